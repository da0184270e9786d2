pub mod rules;
pub mod schema;
pub mod validate;
