//! What a run did: calls replayed and failed (with the request that failed
//! and why), requests made, and where the time went.

use std::fmt;
use std::time::Duration;

use callfull_model::Crm;

use crate::error::ReplayError;

/// One call that could not be replayed to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The call's index in the run.
    pub index: u64,
    /// Its scenario.
    pub scenario: &'static str,
    /// The request that failed, and why.
    pub error: ReplayError,
}

/// The outcome of [`Replay::run`](crate::Replay::run).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// The CRM replayed against.
    pub crm: Crm,
    /// The run's seed.
    pub seed: u64,
    /// Calls started.
    pub calls: u64,
    /// Calls replayed to their end.
    pub ok: u64,
    /// Calls that stopped at a failed request.
    pub failures: Vec<Failure>,
    /// Set when the run could not start (reading the users failed): no call ran.
    pub setup: Option<ReplayError>,
    /// HTTP requests sent (retries included).
    pub requests: u64,
    /// Of them, retries after a rate-limit answer.
    pub retries: u64,
    /// Time spent waiting for HTTP answers.
    pub http: Duration,
    /// Time spent making calls and building payloads (generation, assembly, filling).
    pub build: Duration,
    /// The whole run.
    pub total: Duration,
}

impl Summary {
    /// No call failed and the run started.
    pub fn is_ok(&self) -> bool {
        self.failures.is_empty() && self.setup.is_none()
    }

    pub(crate) fn finish(&mut self, (requests, retries, http): &(u64, u64, Duration), total: Duration) {
        self.requests = *requests;
        self.retries = *retries;
        self.http = *http;
        self.total = total;
    }

    /// Calls replayed per second, end to end.
    pub fn calls_per_second(&self) -> f64 {
        let secs = self.total.as_secs_f64();
        if secs > 0.0 { self.calls as f64 / secs } else { 0.0 }
    }
}

fn share(part: Duration, total: Duration) -> f64 {
    if total.is_zero() { 0.0 } else { 100.0 * part.as_secs_f64() / total.as_secs_f64() }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let crm = self.crm.as_str();
        if let Some(error) = &self.setup {
            writeln!(f, "replay against {crm} could not start: {error}")?;
        }
        writeln!(
            f,
            "replayed {} calls against {crm}: {} ok, {} failed; {} requests ({} retried after a rate limit)",
            self.calls,
            self.ok,
            self.failures.len(),
            self.requests,
            self.retries
        )?;
        for failure in &self.failures {
            writeln!(f, "  call {} ({}): {}", failure.index, failure.scenario, failure.error)?;
        }
        write!(
            f,
            "time: {:.3} s, {:.1} calls/s; HTTP {:.3} s ({:.0} %), building payloads {:.3} s ({:.0} %)",
            self.total.as_secs_f64(),
            self.calls_per_second(),
            self.http.as_secs_f64(),
            share(self.http, self.total),
            self.build.as_secs_f64(),
            share(self.build, self.total)
        )
    }
}
