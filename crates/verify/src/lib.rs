//! Checks a connector's real CRM traffic against the vendor contract. The
//! input is the fake CRM's request journal (`GET /_admin/journal` of
//! `callfull serve`); the output is every breach of the Bitrix24 telephony
//! and amoCRM call contracts, each with its rule and the request it concerns.
//!
//! Where it sits: seed → world → simulator → CEL → assembler → `call_full` →
//! CRM → **verify**. It reads JSON only and never imports the fake
//! (`callfull-crm`): a journal exported by hand, or by another tool in the
//! same shape, is checked the same way.
//!
//! # Brief overview
//!
//! - [`Journal`] reads the journal: the `{"entries": […]}` envelope, a bare
//!   array, or JSON Lines; every [`JournalError`] says what is wrong and where.
//! - [`verify`] walks it in `seq` order with [`Options`] (which CRM, and the
//!   [`SeededPhones`] of the world the fake was seeded with) and returns a
//!   [`Report`] of [`Breach`]es.
//! - [`Rule`] lists the rules: stable id (`B24-LIFE-1`), slug, severity and
//!   the spec section each comes from (docs/verify.md has the table).
//!
//! Answers: the fake's journal keeps a register's `CALL_ID` (`result`),
//! used as is; a journal without it (hand-made, another proxy's) gets the
//! CALL_ID inferred from the order of requests (A-VERIFY-1 in
//! docs/ASSUMPTIONS.md).
//!
//! # Example
//!
//! ```
//! use callfull_verify::{Journal, Options, verify};
//!
//! let journal = Journal::parse(br#"{"entries": [
//!   {"seq": 1, "crm": "bitrix24", "method": "telephony.externalcall.finish", "status": 400,
//!    "params": {"CALL_ID": "externalCall.0123456789abcdef0123456789abcdef.1794895200", "USER_ID": 5,
//!               "DURATION": 42, "STATUS_CODE": "200"}}
//! ]}"#)?;
//! let report = verify(&journal, &Options::default());
//! assert_eq!(report.breaches[0].rule.id(), "B24-LIFE-1");
//! assert_eq!(report.breaches[0].seq, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod amocrm;
mod bitrix24;
mod error;
mod journal;
mod params;
mod rules;

use serde::Serialize;
use serde_json::Value;

pub use amocrm::SeededPhones;
pub use error::JournalError;
pub use journal::{CrmKind, DEFAULT_MAX_BYTES, Entry, Journal};
pub use rules::{Rule, Severity};

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only this CRM's requests; `None`: every CRM in the journal.
    pub crm: Option<CrmKind>,
    /// The phones of the world the fake was seeded with (amoCRM contacts and
    /// companies). Without it, AMO-CALL-3 knows only what the journal shows.
    pub seeded: Option<SeededPhones>,
}

/// One breach of the contract, with the request it concerns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breach {
    /// The rule broken.
    pub rule: Rule,
    /// Error or warning (a rule's usual severity, or milder when the journal cannot tell).
    pub severity: Severity,
    /// The request's `seq`.
    pub seq: u64,
    /// The request's method, as journaled.
    pub method: String,
    /// The item of an amoCRM batch body, when it is one item's fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
    /// What is wrong, in words.
    pub message: String,
    /// The offending parameters (only those the rule looks at; `null` for absent ones).
    pub params: Value,
    /// The earlier request it clashes with (the first finish, the first log of a uniq).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_seq: Option<u64>,
}

/// Every breach in a journal, in `seq` order, and what was checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// The breaches, ordered by `seq` (then rule).
    pub breaches: Vec<Breach>,
    /// Bitrix24 requests checked (event deliveries included).
    pub bitrix24: usize,
    /// amoCRM requests checked.
    pub amocrm: usize,
}

impl Report {
    /// Breaches that are errors.
    pub fn errors(&self) -> usize {
        self.breaches.iter().filter(|b| b.severity == Severity::Error).count()
    }

    /// Breaches that are warnings.
    pub fn warnings(&self) -> usize {
        self.breaches.iter().filter(|b| b.severity == Severity::Warning).count()
    }

    /// Requests checked.
    pub fn requests(&self) -> usize {
        self.bitrix24 + self.amocrm
    }
}

/// Checks every request of `journal` (of `options.crm`, or all) in `seq` order.
pub fn verify(journal: &Journal, options: &Options) -> Report {
    let gap_from = first_gap(&journal.entries);
    let mut report = Report::default();
    let mut sink = Sink { breaches: Vec::new(), gap_from };
    if let Some(seq) = gap_from
        && let Some(entry) = journal.entries.iter().find(|e| e.seq >= seq)
    {
        let before = journal.entries.iter().rev().find(|e| e.seq < seq).map(|e| e.seq);
        let what = match before {
            Some(before) => format!("the journal skips from seq {before} to {seq}"),
            None => format!("the journal starts at seq {seq}, not 1"),
        };
        sink.push(Breach {
            rule: Rule::JournalGap,
            severity: Severity::Warning,
            seq: entry.seq,
            method: entry.method.clone(),
            item: None,
            message: format!(
                "{what}: earlier requests are missing (the fake keeps the last 10 000, was reset, \
                 or the export was filtered), so lifecycle breaches from here on are warnings"
            ),
            params: Value::Null,
            related_seq: None,
        });
    }
    let wanted = |e: &&Entry| options.crm.is_none_or(|crm| e.crm == crm);
    let mut b24 = bitrix24::Checker::default();
    let mut amo = amocrm::Checker::new(options.seeded.as_ref());
    for entry in journal.entries.iter().filter(wanted) {
        match entry.crm {
            CrmKind::Bitrix24 => {
                report.bitrix24 += 1;
                b24.check(entry, &mut sink);
            }
            CrmKind::Amocrm => {
                report.amocrm += 1;
                amo.check(entry, &mut sink);
            }
        }
    }
    b24.end(&mut sink);
    let mut breaches = sink.breaches;
    breaches.sort_by_key(|b| (b.seq, b.item, b.rule));
    report.breaches = breaches;
    report
}

/// The first `seq` after which the journal has lost requests (it does not
/// start at 1, or skips numbers).
fn first_gap(entries: &[Entry]) -> Option<u64> {
    let first = entries.first()?;
    if first.seq > 1 {
        return Some(first.seq);
    }
    entries.windows(2).find(|w| w[1].seq > w[0].seq + 1).map(|w| w[1].seq)
}

/// Collects breaches; knows whether history before a request may be lost.
pub(crate) struct Sink {
    breaches: Vec<Breach>,
    gap_from: Option<u64>,
}

impl Sink {
    pub(crate) fn push(&mut self, breach: Breach) {
        self.breaches.push(breach);
    }

    /// A breach that rests on what came before `seq`: a warning when the
    /// journal may have lost some of it.
    pub(crate) fn history(&self, seq: u64, severity: Severity) -> Severity {
        match self.gap_from {
            Some(gap) if seq >= gap => Severity::Warning,
            _ => severity,
        }
    }
}
