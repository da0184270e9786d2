//! Contract tests of the model crate, against the fixtures in `fixtures/`.

mod util;

mod invalid_fixtures;
mod schema;
mod valid_fixtures;
