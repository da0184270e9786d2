//! The connector replay: for every stage of generated calls, makes the
//! requests an Itgrix connector makes to a Bitrix24 portal or an amoCRM
//! account, and fills `registration`, `entity` and `deal` of `call_full` from
//! the CRM's answers.
//!
//! Where it sits: seed → world → simulator → CEL → assembler → `call_full` →
//! **CRM**. It talks to the CRM over HTTP only (no dependency on the fake),
//! so it runs unchanged against `callfull serve` and against a real portal.
//!
//! # Brief overview
//!
//! - [`Replay`] runs calls against a [`Target`] (Bitrix24 by webhook or
//!   token, amoCRM by token) and hands every stage to a sink, as
//!   `callfull generate` would print it; [`Summary`] says what failed and
//!   where the time went.
//! - [`Http`] is the client: a timeout per request, back-off on Bitrix24's
//!   503 `QUERY_LIMIT_EXCEEDED` and amoCRM's 429 ([`RetryPolicy`]), the pause
//!   through an injectable [`Sleep`].
//! - [`ReplayError`] names the request that failed and why (connection,
//!   timeout, rate limit, the CRM's error, an answer that is not the CRM's).
//! - [`AmoSettings`] is what the amoCRM connector does for unknown numbers.
//!
//! `docs/replay.md` lists the requests made at each stage; the decisions are
//! A-REPLAY-* in `docs/ASSUMPTIONS.md`.
//!
//! It never reads the wall clock for what it prints: the calls' times come
//! from the seed, the CRM's from the CRM.

#![deny(missing_docs)]

mod amocrm;
mod bitrix24;
mod driver;
mod error;
mod http;
mod lookup;
mod summary;
mod target;
mod users;

pub use amocrm::AmoSettings;
pub use bitrix24::Bitrix24Auth;
pub use driver::{Replay, RunOptions};
pub use error::ReplayError;
pub use http::{Http, HttpBuilder, RetryPolicy, Sleep};
pub use lookup::CallFacts;
pub use summary::{Failure, Summary};
pub use target::Target;
pub use users::Users;
