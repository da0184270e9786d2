//! Fake CRMs for connector development and contract tests: a Bitrix24 REST
//! portal (and, next, amoCRM) served over HTTP from the seeded world, so a
//! connector can run with no portal at all.
//!
//! Where it sits: seed → world → … → `call_full` → **CRM**. It knows its
//! state (the world plus what clients wrote), not how calls are generated.
//!
//! # Brief overview
//!
//! - [`spawn`] starts the server on an address (port 0: ephemeral) and returns
//!   a [`CrmServer`] with its URLs; dropping it shuts the server down.
//!   [`spawn_with`] and a [`TlsConfig`] serve HTTPS instead, with a
//!   certificate made at start ([`tls`]).
//! - [`bitrix24::Portal`] is the Bitrix24 state and method dispatch, usable
//!   without HTTP; [`routes`] are the warp filters, testable with
//!   `warp::test::request()`.
//! - [`params`] reads parameters as PHP does (bracket notation, JSON bodies).
//! - [`Clock`]: the system clock when serving, [`ManualClock`] in tests.
//!
//! What exists so far (issue #4 is in progress): the webhook and token
//! transports, the success and error envelopes, `user.get`, `user.current`,
//! `user.search`, `crm.{contact,company,lead}.{get,list}`,
//! `crm.duplicate.findbycomm`, and `GET /_admin/info`.

#![deny(missing_docs)]

pub mod admin;
pub mod bitrix24;
mod clock;
mod deliver;
mod http;
pub mod mock;
pub mod params;
mod router;
mod server;
pub mod tls;

pub use clock::{Clock, ManualClock, SystemClock};
pub use router::{ADMIN_TOKEN_HEADER, MAX_BODY, Request, Response, handle};
pub use server::{CrmServer, ServerOptions, Shared, routes, spawn, spawn_with};
pub use tls::TlsConfig;
