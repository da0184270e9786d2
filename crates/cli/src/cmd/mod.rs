pub mod from_cel;
pub mod generate;
pub mod replay;
pub mod rules;
pub mod scenarios;
pub mod schema;
pub mod serve;
pub mod validate;
