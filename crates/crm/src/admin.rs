//! The admin side of the fake: a capped request journal, injected faults, a
//! clock that can be moved forward, reset and state dump (routes in
//! `server.rs`, under `/_admin`, answered only to loopback clients).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bitrix24::B24Error;
use crate::clock::Clock;

/// How many requests the journal keeps (oldest dropped first), so a soak run
/// keeps a flat memory footprint.
pub const JOURNAL_CAP: usize = 10_000;

/// One request the fake answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// Server time, microseconds since the epoch.
    pub time_micros: i64,
    /// `bitrix24`.
    pub crm: &'static str,
    /// The method, lower case, without `.json`.
    pub method: String,
    /// `webhook` or `token`.
    pub auth: &'static str,
    /// The merged parameters.
    pub params: Value,
    /// The HTTP status answered.
    pub status: u16,
    /// The `error` code when it failed.
    pub error: Option<String>,
    /// What the answer named that later requests refer to (`{"CALL_ID": …}`
    /// of a `telephony.externalcall.register`), so a journal can be checked
    /// on its own (`callfull verify`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
}

/// The journal: the last [`JOURNAL_CAP`] requests.
#[derive(Debug, Default)]
pub struct Journal {
    entries: Mutex<VecDeque<Entry>>,
    seq: AtomicU64,
}

impl Journal {
    /// Records one request.
    pub fn push(&self, mut entry: Entry) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Numbered under the lock, so the kept entries are in seq order and
        // the cap drops the oldest ones.
        entry.seq = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        if entries.len() == JOURNAL_CAP {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// The entries matching `method` and `status` (when given), oldest first,
    /// at most `limit` of the newest.
    pub fn query(&self, method: Option<&str>, status: Option<u16>, limit: Option<usize>) -> Vec<Entry> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let matching: Vec<&Entry> = entries
            .iter()
            .filter(|e| method.is_none_or(|m| e.method.eq_ignore_ascii_case(m)))
            .filter(|e| status.is_none_or(|s| e.status == s))
            .collect();
        let skip = limit.map_or(0, |l| matching.len().saturating_sub(l));
        matching.into_iter().skip(skip).cloned().collect()
    }

    /// Forgets every entry and starts numbering again from 1 (a reset
    /// portal's journal reads as a fresh one).
    pub fn clear(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.clear();
        self.seq.store(0, Ordering::SeqCst);
    }
}

/// A fault to inject: the next `times` calls of `method` fail with `error`
/// (or only wait `latency_ms`, when there is no error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// The method (any case), or `*` for every method.
    pub method: String,
    /// HTTP status of the injected error (default 503).
    #[serde(default)]
    pub status: Option<u16>,
    /// Its `error` code (default `QUERY_LIMIT_EXCEEDED`).
    #[serde(default)]
    pub error: Option<String>,
    /// Its `error_description`.
    #[serde(default)]
    pub description: Option<String>,
    /// Delay before answering, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// How many calls it hits (default 1; 0 means until removed).
    #[serde(default = "one")]
    pub times: u64,
    /// Whether it returns an error (default true); false injects only latency.
    #[serde(default = "yes")]
    pub fail: bool,
}

fn one() -> u64 {
    1
}

fn yes() -> bool {
    true
}

/// What a fault does to one call.
pub struct Hit {
    /// Wait this long first.
    pub latency_ms: u64,
    /// Then answer this, when set.
    pub error: Option<B24Error>,
}

/// The faults in force.
#[derive(Debug, Default)]
pub struct Faults(Mutex<Vec<Fault>>);

impl Faults {
    /// Adds a fault.
    pub fn add(&self, fault: Fault) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(fault);
    }

    /// Every fault in force.
    pub fn list(&self) -> Vec<Fault> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The fault that hits this call of `method`, used up by one.
    pub fn hit(&self, method: &str) -> Option<Hit> {
        let mut faults = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let index = faults.iter().position(|f| f.method == "*" || f.method.eq_ignore_ascii_case(method))?;
        let fault = faults[index].clone();
        if fault.times == 1 {
            faults.remove(index);
        } else if fault.times > 1 {
            faults[index].times -= 1;
        }
        let error = fault.fail.then(|| {
            B24Error::new(
                fault.status.unwrap_or(503),
                fault.error.clone().unwrap_or_else(|| "QUERY_LIMIT_EXCEEDED".into()),
                fault.description.clone().unwrap_or_else(|| "Too many requests".into()),
            )
        });
        Some(Hit { latency_ms: fault.latency_ms, error })
    }
}

/// A clock the admin API can move forward: another clock plus an offset.
pub struct AdjustableClock {
    inner: Box<dyn Clock>,
    offset: AtomicI64,
}

impl AdjustableClock {
    /// `inner`, not moved yet.
    pub fn new(inner: impl Clock + 'static) -> Self {
        AdjustableClock { inner: Box::new(inner), offset: AtomicI64::new(0) }
    }

    /// Moves the clock forward by `micros`.
    pub fn advance(&self, micros: i64) {
        self.offset.fetch_add(micros, Ordering::SeqCst);
    }
}

impl Clock for AdjustableClock {
    fn now_micros(&self) -> i64 {
        self.inner.now_micros() + self.offset.load(Ordering::SeqCst)
    }
}
