//! Asterisk CEL (Channel Event Logging) as callfull reads and writes it, and
//! the assembler that turns one call's CEL rows into the `call_full` a
//! connector hands customizations at each stage.
//!
//! Where it sits: seed → world → simulator → **CEL** → **assembler** →
//! `call_full` → CRM. It knows no CRM server and no generator: what it needs
//! to know about users, numbers and the CRM comes through the [`Lookup`] trait.
//!
//! # Brief overview
//!
//! - [`CelEvent`] is one row of a CEL table (Asterisk 12+ columns), with
//!   [`EventType`] and [`EventTime`] (microseconds, UTC).
//! - [`CsvWriter`] prints rows as CSV under the CEL column names; [`read_csv`]
//!   reads CSV exports with any subset of those columns.
//! - [`CelReader`] streams rows from CSV, cel_custom CSV, `psql` output,
//!   MySQL dumps and `COPY` blocks ([`sniff`] picks the format); [`Grouper`]
//!   groups them into calls by linkedid, following merges, and hands each out
//!   once it is over.
//! - [`Assembler`] plays a call's rows and yields `call_full` at
//!   `conversation_requested`, `conversation_accepted`, `conversation_ended`
//!   and `call_ended`.
//! - [`Zone`] is the PBX's time zone: a fixed offset or an IANA name.
//! - [`MemoLookup`] remembers a [`Lookup`]'s number objects over a long import.
//! - [`unanswered_result`] is the cause/dialstatus → SIP table for calls no one
//!   answered.

#![deny(missing_docs)]

mod assemble;
mod csv;
mod event;
mod group;
mod memo;
mod outcome;
mod pattern;
mod read;
mod zone;

pub use assemble::{ASSEMBLER_COLUMNS, AssembleError, Assembler, Binding, BindingRequest, Lookup};
pub use compact_str::CompactString;
pub use csv::{COLUMNS, CsvError, CsvWriter, read_csv};
pub use event::{CelEvent, EventNumbers, EventTime, EventType};
pub use group::{GroupStats, Grouper};
pub use memo::MemoLookup;
pub use outcome::{CAUSE_TO_SIP, unanswered_result};
pub use pattern::{Pattern, PatternLookup};
pub use read::{
    CEL_CUSTOM_COLUMNS, CelReader, Columns, FREEPBX_COLUMNS, InputFormat, ReadError, Record, RowBuilder, parse_time,
    parse_time_in, parse_zone, sniff,
};
pub use zone::Zone;
