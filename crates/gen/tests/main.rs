//! Contract tests of the generator: snapshots of every scenario × CRM ×
//! stage, every payload valid in strict mode, same seed same bytes.

mod determinism;
mod from_cel;
mod properties;
mod snapshots;
