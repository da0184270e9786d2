//! End-to-end tests of the `callfull` binary: each runs the built binary in
//! its own temporary directory.

mod util;

mod bad_input;
mod from_cel;
mod generate;
mod replay;
mod schema;
mod serve;
mod validate;
mod verify;
