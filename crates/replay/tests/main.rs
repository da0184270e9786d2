//! The replay against the in-process fake CRM (both CRMs, every scenario),
//! against servers that misbehave, and its back-off on rate limits.

mod util;

mod backoff;
mod contract;
mod faults;
mod scenarios;
