//! The `call_full` contract: what an Asterisk↔CRM connector (Itgrix) hands its
//! customization scripts at every call stage, as Rust types, a validator that
//! explains every violation by JSON path, and a JSON Schema for other languages.
//!
//! This crate sits at the end of callfull's flow
//! (seed → world → simulator → CEL → assembler → **`call_full`** → CRM) and
//! knows none of the other parts: no I/O beyond parsing from a reader, no
//! generator, no server.
//!
//! # Brief overview
//!
//! - [`CallFull`] and its parts ([`Channel`], [`Conversation`], [`Number`],
//!   [`User`], [`Entity`], [`Deal`], [`Registration`]) serialize byte-stable:
//!   keys in the vendor's order, `null` where the contract allows it, nothing
//!   skipped. [`CustomizationInput`] is the envelope
//!   `{"call_full": …, "call_stage": …}`; [`DateTime`] has the contract's zero
//!   value `0001-01-01 00:00:00`.
//! - [`validate()`] checks one parsed payload against rules R01–R14 of
//!   `call_full.md` and returns a [`Report`] of [`Finding`]s, each with a path,
//!   a [`Rule`], a [`Severity`], what was found and what was expected.
//! - [`PayloadReader`] turns a file or stream (one document, an array, NDJSON)
//!   into payloads, with line and column on every error.
//! - [`customization_input_schema`] is the JSON Schema (draft 2020-12)
//!   generated from the same types.
//!
//! # Wire format
//!
//! Every key of every object is always present, in alphabetical order (the
//! vendor's). `deal`, `entity`, `registration` and `conversations[*].user`
//! are `null` when absent; strings are `""` when empty; times are
//! `YYYY-MM-DD HH:MM:SS` in the PBX's zone, `0001-01-01 00:00:00` when the event
//! did not happen; `result` is an integer SIP status, never a float. `extra`
//! and `raw` are the CEL's and the CRM's own objects and may hold any keys
//! (`raw` only non-empty values). Rules marked **[derived]** are our reading of
//! the vendor's text and are listed in `docs/ASSUMPTIONS.md`.
//!
//! # Example
//!
//! ```
//! use callfull_model::{Crm, Options, Rule, validate};
//!
//! let payload: serde_json::Value = serde_json::from_str(include_str!(
//!     "../../../fixtures/payloads/bitrix24/incoming_answered.json"
//! ))?;
//! let report = validate(&payload, &Options::crm(Crm::Bitrix24).strict(true));
//! assert!(report.findings.is_empty(), "{:?}", report.findings);
//!
//! let mut broken = payload.clone();
//! broken["call_full"]["channel"]["state"] = "on-hold".into();
//! let report = validate(&broken, &Options::default());
//! assert_eq!(report.findings[0].rule, Rule::Enums);
//! assert_eq!(report.findings[0].path, "call_full.channel.state");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod datetime;
mod input;
pub mod json;
mod number;
mod schema;
mod types;
pub mod validate;

pub use compact_str::CompactString;
pub use datetime::{DATETIME_PATTERN, DateTime, DateTimeError};
pub use input::{Document, InputError, Limits, Payload, PayloadReader};
pub use number::{Number, PrefixSettings};
pub use schema::{call_full_schema, customization_input_schema};
pub use types::{
    CallFull, CallStage, CallType, Channel, ChannelState, Conversation, CustomizationInput, Deal, Entity, Raw,
    Registration, SipStatus, User, entity_type, is_empty_value,
};
pub use validate::{Crm, Finding, Json, Options, Report, Rule, Severity, validate, validate_json, validate_str};
