//! Reading payloads as people have them: one JSON document (pretty or not), a
//! JSON array of payloads, several documents one after another, or NDJSON
//! (one payload per line, streamed so a large file never sits in memory).
//!
//! [`PayloadReader`] takes any [`BufRead`]; opening files is the caller's job.
//! Every problem is an [`InputError`] that says where (line and column) and
//! what; a bad NDJSON line is reported and reading goes on with the next one.
//!
//! Implementation notes: the format is decided from the first non-blank line.
//! If it holds a complete JSON value, the input is NDJSON. If it ends inside a
//! value (a pretty-printed document), or starts with `[`, the input is read
//! whole (up to [`Limits::max_document_bytes`]) and parsed as a sequence of
//! documents.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::validate::Json;

/// What a [`PayloadReader`] parses each payload into: `serde_json::Value`, or
/// the validator's own [`Json`] tree, which parses about 1.8× faster.
pub trait Document: DeserializeOwned {
    /// The items of a top-level array, or `Err(self)` when this is not one.
    fn into_items(self) -> Result<Vec<Self>, Self>;
}

impl Document for Value {
    fn into_items(self) -> Result<Vec<Self>, Self> {
        match self {
            Value::Array(items) => Ok(items),
            other => Err(other),
        }
    }
}

impl Document for Json {
    fn into_items(self) -> Result<Vec<Self>, Self> {
        match self {
            Json::Array(items) => Ok(items),
            other => Err(other),
        }
    }
}

/// Size limits that keep a hostile input from taking the machine's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest NDJSON line accepted (default 16 MiB; a real payload is a few KiB).
    pub max_line_bytes: usize,
    /// The largest whole document (pretty JSON or a JSON array) accepted (default 256 MiB).
    pub max_document_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_line_bytes: 16 << 20, max_document_bytes: 256 << 20 }
    }
}

/// One payload and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload<T = Value> {
    /// The line (1-based) where the payload, or the array holding it, starts.
    pub line: u64,
    /// The position in its JSON array, when it came from one.
    pub index: Option<usize>,
    /// The parsed payload.
    pub value: T,
}

/// Why (part of) an input could not be read as JSON.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The reader failed.
    #[error("cannot read: {0}")]
    Io(#[from] io::Error),
    /// Nothing but white space.
    #[error("empty input: no JSON payload found")]
    Empty,
    /// A UTF-8 byte order mark at the start.
    #[error(
        "line 1, column 1: the input starts with a UTF-8 byte order mark (EF BB BF), which JSON does not allow; \
         save it as UTF-8 without BOM"
    )]
    ByteOrderMark,
    /// Bytes that are not UTF-8.
    #[error("line {line}, column {column}: invalid UTF-8 (byte 0x{byte:02X}); JSON must be UTF-8")]
    Utf8 {
        /// 1-based line.
        line: u64,
        /// 1-based byte column.
        column: usize,
        /// The first offending byte.
        byte: u8,
    },
    /// Not JSON, or JSON cut short.
    #[error("line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// What serde_json said, in words.
        message: String,
    },
    /// Over a size limit.
    #[error("line {line}: {what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// 1-based line where it starts.
        line: u64,
        /// "the line" or "the document".
        what: &'static str,
        /// The limit broken.
        limit: usize,
    },
}

impl InputError {
    /// Whether reading can go on after this error (a bad NDJSON line can be skipped).
    pub fn is_recoverable(&self) -> bool {
        matches!(
            self,
            InputError::Utf8 { .. } | InputError::Json { .. } | InputError::TooLarge { what: "the line", .. }
        )
    }
}

enum Mode {
    Start,
    Lines,
    Done,
}

/// An iterator over the payloads of one input, each parsed into a `T`
/// (`serde_json::Value` unless asked otherwise).
pub struct PayloadReader<R, T = Value> {
    reader: R,
    limits: Limits,
    /// Lines consumed so far.
    line: u64,
    mode: Mode,
    pending: VecDeque<Result<Payload<T>, InputError>>,
    buf: Vec<u8>,
    seen_any: bool,
}

enum LineRead {
    Eof,
    Line,
    TooLong,
}

impl<R: BufRead, T: Document> PayloadReader<R, T> {
    /// Reads `reader` with the default [`Limits`].
    pub fn new(reader: R) -> Self {
        PayloadReader::with_limits(reader, Limits::default())
    }

    /// Reads `reader` with `limits`.
    pub fn with_limits(reader: R, limits: Limits) -> Self {
        PayloadReader {
            reader,
            limits,
            line: 0,
            mode: Mode::Start,
            pending: VecDeque::new(),
            buf: Vec::with_capacity(8 << 10),
            seen_any: false,
        }
    }

    /// Reads one line into `self.buf` (without its `\n`), at most
    /// `max_line_bytes`; a longer line is skipped to its end.
    fn read_line(&mut self) -> io::Result<LineRead> {
        self.buf.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            any = true;
            let (chunk, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], Some(i + 1)),
                None => (available, None),
            };
            if !too_long {
                if self.buf.len() + chunk.len() > self.limits.max_line_bytes {
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(chunk);
                }
            }
            let consumed = done.unwrap_or(available.len());
            self.reader.consume(consumed);
            if done.is_some() {
                break;
            }
        }
        if !any {
            return Ok(LineRead::Eof);
        }
        self.line += 1;
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(if too_long { LineRead::TooLong } else { LineRead::Line })
    }

    fn fail(&mut self, error: InputError) -> Option<Result<Payload<T>, InputError>> {
        if !error.is_recoverable() {
            self.mode = Mode::Done;
        }
        Some(Err(error))
    }

    /// Queues the payloads of one parsed value (an array gives one per item).
    fn push_value(&mut self, line: u64, value: T) {
        self.seen_any = true;
        match value.into_items() {
            Ok(items) => self
                .pending
                .extend(items.into_iter().enumerate().map(|(i, value)| Ok(Payload { line, index: Some(i), value }))),
            Err(value) => self.pending.push_back(Ok(Payload { line, index: None, value })),
        }
    }

    /// Reads the rest of the input as whole documents, starting with the
    /// current line, which started at line `self.line`.
    fn read_documents(&mut self) -> Result<(), InputError> {
        let first_line = self.line;
        let mut text = std::mem::take(&mut self.buf);
        text.push(b'\n');
        let limit = self.limits.max_document_bytes;
        let room = (limit + 1).saturating_sub(text.len()) as u64;
        (&mut self.reader).take(room).read_to_end(&mut text)?;
        if text.len() > limit {
            return Err(InputError::TooLarge { line: first_line, what: "the document", limit });
        }
        let text = utf8(&text, first_line)?;
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<T>();
        let mut offset = 0;
        let mut line = first_line;
        loop {
            let start = offset + text[offset..].len() - text[offset..].trim_start().len();
            line += bytecount_newlines(&text[offset..start]);
            match stream.next() {
                None => return Ok(()),
                Some(Ok(value)) => self.push_value(line, value),
                Some(Err(e)) if e.is_eof() => {
                    let (line, column) = end_position(text, first_line);
                    return Err(with_position(json_error(&e, 0), line, column));
                }
                Some(Err(e)) => return Err(json_error(&e, first_line - 1)),
            }
            offset = stream.byte_offset();
            line += bytecount_newlines(&text[start..offset]);
        }
    }

    fn next_line(&mut self) -> Option<Result<Payload<T>, InputError>> {
        loop {
            let line = match self.read_line() {
                Err(e) => return self.fail(e.into()),
                Ok(LineRead::Eof) => {
                    self.mode = Mode::Done;
                    return (!self.seen_any).then_some(Err(InputError::Empty));
                }
                Ok(LineRead::TooLong) => {
                    self.seen_any = true;
                    let limit = self.limits.max_line_bytes;
                    return self.fail(InputError::TooLarge { line: self.line, what: "the line", limit });
                }
                Ok(LineRead::Line) => self.line,
            };
            if line == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
                self.seen_any = true;
                self.mode = Mode::Done;
                return Some(Err(InputError::ByteOrderMark));
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let starting = matches!(self.mode, Mode::Start);
            let text = match utf8(&self.buf, line) {
                Ok(text) => text,
                Err(e) => {
                    self.seen_any = true;
                    self.mode = Mode::Lines;
                    return self.fail(e);
                }
            };
            let parsed = if starting && text.trim_start().starts_with('[') {
                None
            } else {
                match serde_json::from_str::<T>(text) {
                    Ok(value) => Some(Ok(value)),
                    Err(e) if starting && e.is_eof() => None,
                    Err(e) => Some(Err(json_error(&e, line - 1))),
                }
            };
            match parsed {
                None => {
                    // A pretty-printed document or an array: read it whole.
                    self.mode = Mode::Done;
                    let result = self.read_documents();
                    self.seen_any = true;
                    if let Err(e) = result {
                        self.pending.push_back(Err(e));
                    }
                    return self.pending.pop_front();
                }
                Some(Ok(value)) => {
                    self.mode = Mode::Lines;
                    self.push_value(line, value);
                    if let Some(next) = self.pending.pop_front() {
                        return Some(next);
                    }
                }
                Some(Err(e)) => {
                    self.seen_any = true;
                    self.mode = Mode::Lines;
                    return self.fail(e);
                }
            }
        }
    }
}

impl<R: BufRead, T: Document> Iterator for PayloadReader<R, T> {
    type Item = Result<Payload<T>, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(next) = self.pending.pop_front() {
            return Some(next);
        }
        match self.mode {
            Mode::Done => None,
            Mode::Start | Mode::Lines => self.next_line(),
        }
    }
}

/// Line and column (1-based) of the last character that is not white space:
/// where a cut-short document really ends.
fn end_position(text: &str, first_line: u64) -> (u64, usize) {
    let end = text.trim_end();
    let line_start = end.rfind('\n').map_or(0, |i| i + 1);
    (first_line + bytecount_newlines(end), end[line_start..].chars().count())
}

fn with_position(error: InputError, line: u64, column: usize) -> InputError {
    match error {
        InputError::Json { message, .. } => InputError::Json { line, column, message },
        other => other,
    }
}

fn bytecount_newlines(text: &str) -> u64 {
    memchr::memchr_iter(b'\n', text.as_bytes()).count() as u64
}

/// `bytes` as text, or where the first invalid byte is.
fn utf8(bytes: &[u8], first_line: u64) -> Result<&str, InputError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let before = &bytes[..at];
        let newlines = memchr::memchr_iter(b'\n', before).count() as u64;
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        InputError::Utf8 { line: first_line + newlines, column: at - line_start + 1, byte: bytes[at] }
    })
}

/// serde_json's error with the line shifted by `line_offset` and its wording
/// made plain.
fn json_error(e: &serde_json::Error, line_offset: u64) -> InputError {
    let text = e.to_string();
    let message = text.rsplit_once(" at line ").map_or(text.as_str(), |(m, _)| m);
    let message = match message {
        "recursion limit exceeded" => "nested deeper than 128 levels (recursion limit exceeded)".to_owned(),
        "EOF while parsing an object"
        | "EOF while parsing a list"
        | "EOF while parsing a string"
        | "EOF while parsing a value" => {
            format!("the JSON ends too early: {} (truncated?)", message.replace("EOF", "end of input"))
        }
        m => m.to_owned(),
    };
    InputError::Json { line: e.line() as u64 + line_offset, column: e.column(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Item = Result<(u64, Option<usize>, Value), String>;

    fn read(input: &[u8]) -> Vec<Item> {
        PayloadReader::new(input).map(|r| r.map(|p| (p.line, p.index, p.value)).map_err(|e| e.to_string())).collect()
    }

    #[test]
    fn ndjson_lines_are_payloads_and_blank_lines_are_skipped() {
        let got = read(b"{\"a\":1}\n\n{\"a\":2}\r\n  \n{\"a\":3}");
        let lines: Vec<u64> = got.iter().map(|r| r.as_ref().unwrap().0).collect();
        assert_eq!(lines, [1, 3, 5]);
    }

    #[test]
    fn a_bad_ndjson_line_is_reported_and_reading_goes_on() {
        let got = read(b"{\"a\":1}\n{\"a\":\n{\"a\":3}\n");
        assert!(got[0].is_ok());
        assert_eq!(
            got[1].as_ref().unwrap_err(),
            "line 2, column 5: the JSON ends too early: end of input while parsing a value (truncated?)"
        );
        assert_eq!(got[2].as_ref().unwrap().0, 3);
    }

    #[test]
    fn pretty_documents_and_arrays_are_read_whole() {
        let got = read(b"\n{\n  \"a\": 1\n}\n{\"b\": 2}\n[\n {\"c\": 3},\n {\"d\": 4}\n]\n");
        let got: Vec<(u64, Option<usize>)> = got.into_iter().map(|r| r.map(|(l, i, _)| (l, i)).unwrap()).collect();
        assert_eq!(got, [(2, None), (5, None), (6, Some(0)), (6, Some(1))]);
    }

    #[test]
    fn truncated_pretty_document_names_its_line() {
        let got = read(b"{\n  \"a\": [1,\n");
        assert_eq!(got.len(), 1);
        assert!(got[0].as_ref().unwrap_err().starts_with("line 2, column 10: the JSON ends too early"), "{got:?}");
    }

    #[test]
    fn empty_and_blank_inputs_are_errors() {
        assert_eq!(read(b""), [Err("empty input: no JSON payload found".to_owned())]);
        assert_eq!(read(b" \n\t\n"), [Err("empty input: no JSON payload found".to_owned())]);
    }

    #[test]
    fn byte_order_mark_is_refused() {
        let got = read(b"\xEF\xBB\xBF{}");
        assert_eq!(got.len(), 1);
        assert!(got[0].as_ref().unwrap_err().contains("byte order mark"));
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let got = read(b"{}\n{\"a\":\"\xFF\"}\n");
        assert_eq!(got[1].as_ref().unwrap_err(), "line 2, column 7: invalid UTF-8 (byte 0xFF); JSON must be UTF-8");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let got = read(deep.as_bytes());
        assert!(got[0].as_ref().unwrap_err().contains("nested deeper than 128 levels"), "{got:?}");
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
        let got = read(deep.as_bytes());
        assert!(got[0].as_ref().unwrap_err().contains("nested deeper than 128 levels"), "{got:?}");
    }

    #[test]
    fn long_lines_are_refused_without_reading_them_whole() {
        let limits = Limits { max_line_bytes: 10, max_document_bytes: 100 };
        let input = b"{\"a\":1}\n{\"a\":\"0123456789\"}\n{\"a\":3}\n";
        let got: Vec<_> =
            PayloadReader::<_, Json>::with_limits(&input[..], limits).map(|r| r.map(|p| p.line)).collect();
        assert_eq!(got[0].as_ref().unwrap(), &1);
        assert_eq!(got[1].as_ref().unwrap_err().to_string(), "line 2: the line is larger than the limit of 10 bytes");
        assert_eq!(got[2].as_ref().unwrap(), &3);
    }
}
