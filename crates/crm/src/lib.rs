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
//!   [`spawn_with`] and [`ServerOptions`] add HTTPS with a certificate made at
//!   start ([`tls`]) and an admin token.
//! - [`mock::MountedPortal`] puts the same portal behind a
//!   `wiremock::MockServer`.
//! - [`handle`] is the router every transport uses: a [`Request`] in, a
//!   [`Response`] out; [`routes`] wraps it as a warp filter, testable with
//!   `warp::test::request()` and no socket.
//! - [`bitrix24::Portal`] is the Bitrix24 state and method dispatch, usable
//!   without HTTP; [`admin`] the journal, faults and clock.
//! - [`params`] reads parameters as PHP does (bracket notation, JSON and
//!   multipart bodies).
//! - [`Clock`]: the system clock when serving, [`ManualClock`] in tests.
//!
//! `docs/crm.md` lists the methods, the admin API and the events.

#![deny(missing_docs)]

pub mod admin;
pub mod amocrm;
pub mod bitrix24;
mod clock;
mod deliver;
mod http;
pub mod log;
pub mod mock;
pub mod oauth;
pub mod params;
mod router;
mod server;
pub mod state;
pub mod tls;

pub use clock::{Clock, ManualClock, SystemClock};
pub use router::{ADMIN_TOKEN_HEADER, MAX_BODY, Request, Response, handle, too_large};
pub use server::{CrmServer, Crms, ServerOptions, Shared, routes, spawn, spawn_with};
pub use tls::TlsConfig;
