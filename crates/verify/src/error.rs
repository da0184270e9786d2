//! Why a journal could not be read.

/// A journal that cannot be read or parsed. Breaches of the contract are not
/// errors: they are [`crate::Breach`]es in the [`crate::Report`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Reading failed.
    #[error("cannot read the journal: {0}")]
    Io(#[source] std::io::Error),
    /// Larger than the limit.
    #[error(
        "larger than {limit} bytes (raise the limit with --max-bytes, or export less with /_admin/journal?limit=N)"
    )]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Nothing but white space.
    #[error("empty input (expected the JSON of GET /_admin/journal)")]
    Empty,
    /// Not JSON.
    #[error("line {line} column {column}: not JSON: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's message.
        message: String,
    },
    /// JSON, but not a journal.
    #[error("not a journal: {0}")]
    Shape(String),
    /// An entry that is not a journal entry.
    #[error("{at}: not a journal entry: {message} (expected {{\"seq\", \"method\", \"params\", \"status\", …}})")]
    Entry {
        /// Where: `entries[3]`, `[3]`, `line 4`.
        at: String,
        /// What is wrong with it.
        message: String,
    },
}
