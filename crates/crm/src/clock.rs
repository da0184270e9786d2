//! The server's clock: the system clock when serving, a fixed or stepped one
//! in tests, so no test waits for time to pass.

use std::sync::atomic::{AtomicI64, Ordering};

/// Now, in microseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now_micros(&self) -> i64;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_micros(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
    }
}

/// A clock that stands still until told to move.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock at `micros`.
    pub fn at(micros: i64) -> Self {
        ManualClock(AtomicI64::new(micros))
    }

    /// Moves the clock forward.
    pub fn advance(&self, micros: i64) {
        self.0.fetch_add(micros, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_micros(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
