//! What can go wrong talking to a CRM, named by the request that failed.

use std::time::Duration;

/// One failed request: which one (`POST telephony.externalcall.register`,
/// `GET /api/v4/contacts`), and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The URL given for the CRM cannot be used.
    #[error("bad CRM URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The connection could not be made, or broke (reset, closed early, TLS).
    #[error("{request}: connection failed: {reason}")]
    Transport {
        /// The request.
        request: String,
        /// The transport's own message.
        reason: String,
    },
    /// No complete answer within the timeout.
    #[error("{request}: no answer within {} ms", timeout.as_millis())]
    Timeout {
        /// The request.
        request: String,
        /// The limit that passed.
        timeout: Duration,
    },
    /// The CRM kept answering "too many requests" past the retry budget.
    #[error("{request}: still rate-limited (HTTP {status}) after {attempts} attempts")]
    RateLimited {
        /// The request.
        request: String,
        /// 503 (Bitrix24 `QUERY_LIMIT_EXCEEDED`) or 429 (amoCRM).
        status: u16,
        /// How many times it was sent.
        attempts: u32,
    },
    /// The CRM answered with an error in its own envelope.
    #[error("{request}: HTTP {status} {error}: {description}")]
    Crm {
        /// The request.
        request: String,
        /// The HTTP status.
        status: u16,
        /// Bitrix24 `error`, amoCRM problem `title`.
        error: String,
        /// Bitrix24 `error_description`, amoCRM `detail`.
        description: String,
    },
    /// The answer is not what the CRM answers (not JSON, no envelope, a
    /// missing field).
    #[error("{request}: unexpected answer (HTTP {status}): {reason}; body: {excerpt}")]
    Garbage {
        /// The request.
        request: String,
        /// The HTTP status.
        status: u16,
        /// What was expected and not found.
        reason: String,
        /// The first bytes of the body, printable.
        excerpt: String,
    },
}

impl ReplayError {
    /// The request that failed (`""` for a bad URL).
    pub fn request(&self) -> &str {
        match self {
            ReplayError::BadUrl { .. } => "",
            ReplayError::Transport { request, .. }
            | ReplayError::Timeout { request, .. }
            | ReplayError::RateLimited { request, .. }
            | ReplayError::Crm { request, .. }
            | ReplayError::Garbage { request, .. } => request,
        }
    }
}

/// At most 200 characters of a body, for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(MAX).collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    if out.is_empty() { "(empty)".to_owned() } else { format!("{out:?}") }
}
