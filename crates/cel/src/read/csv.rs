//! CSV: a header naming any subset of the CEL columns, in any order, or
//! headerless rows in the order of Asterisk's sample cel_custom mapping.
//!
//! RFC 4180 as spreadsheets and databases write it: `,` between fields, a
//! field quoted when it starts with `"` (`""` inside is one quote; commas
//! and line breaks inside are data), LF or CRLF line ends, a UTF-8 BOM
//! skipped, blank lines skipped. A quote inside an unquoted field, or after
//! a quoted part, is kept as it is. A row is split where it was read: an
//! unquoted line stays in the record's buffer untouched, a quoted one is
//! unescaped in place (never longer than the text read).

use std::io::BufRead;

use memchr::memchr;

use super::{CEL_CUSTOM_COLUMNS, Columns, Next, Record, read_line};
use crate::event::EventType;

const BOM: &[u8] = b"\xEF\xBB\xBF";

pub(crate) struct CsvRows<R: BufRead> {
    input: R,
    /// Lines read so far.
    lines: u64,
    started: bool,
    /// A headerless file's first row, handed out after its columns.
    pending: Option<u64>,
}

/// What reading one row gave.
enum Row {
    Done,
    /// The input ended inside a quoted field.
    Unterminated,
    End,
}

/// The end of a line's text: before its `\n` and any `\r` before that.
fn text_end(buf: &[u8]) -> usize {
    let mut end = buf.len();
    if end > 0 && buf[end - 1] == b'\n' {
        end -= 1;
    }
    while end > 0 && buf[end - 1] == b'\r' {
        end -= 1;
    }
    end
}

/// The bytes of `word` equal to `byte`, as the high bit of each such byte.
/// Exact: a byte of `x` is zero where `word` has `byte`, and adding 0x7f to
/// a byte's low seven bits sets its high bit unless they are all zero.
fn bytes_equal(word: u64, byte: u8) -> u64 {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ (u64::from(byte) * 0x0101_0101_0101_0101);
    !(((x & LOW) + LOW) | x) & !LOW
}

/// Pushes `base` plus the offset of each comma in `text` to `ends`, eight
/// bytes at a time (fields are ~10 bytes: a memchr call per comma costs more
/// than the search).
fn push_commas(text: &[u8], base: usize, ends: &mut Vec<usize>) {
    let mut chunks = text.chunks_exact(8);
    let mut at = base;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let mut commas = bytes_equal(u64::from_le_bytes(word), b',');
        while commas != 0 {
            ends.push(at + commas.trailing_zeros() as usize / 8);
            commas &= commas - 1;
        }
        at += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == b',' {
            ends.push(at + i);
        }
    }
}

impl<R: BufRead> CsvRows<R> {
    pub(crate) fn new(input: R) -> Self {
        CsvRows { input, lines: 0, started: false, pending: None }
    }

    /// Appends the next line (with its `\n`) to `buf`; false at the end.
    fn read_line(&mut self, buf: &mut Vec<u8>) -> std::io::Result<bool> {
        let read = read_line(&mut self.input, buf)? > 0;
        if read {
            self.lines += 1;
        }
        Ok(read)
    }

    /// Reads one row (one line, or more when a quoted field spans lines).
    fn read_row(&mut self, record: &mut Record) -> std::io::Result<Row> {
        record.clear();
        let (buf, ends) = record.parts();
        if !self.read_line(buf)? {
            return Ok(Row::End);
        }
        if self.lines == 1 && buf.starts_with(BOM) {
            buf.drain(..BOM.len());
        }
        let end = text_end(buf);
        if memchr(b'"', &buf[..end]).is_some() {
            return self.split_quoted(buf, ends);
        }
        push_commas(&buf[..end], 0, ends);
        buf.truncate(end);
        ends.push(end);
        Ok(Row::Done)
    }

    /// Splits a row with quotes, unescaping in place: `w` (written) never
    /// passes `r` (read), and one `,` is left between fields. The text
    /// between quotes is plain: moved in one piece, its commas found as in
    /// a plain line.
    fn split_quoted(&mut self, buf: &mut Vec<u8>, ends: &mut Vec<usize>) -> std::io::Result<Row> {
        let (mut r, mut w) = (0, 0);
        let mut end = text_end(buf);
        loop {
            debug_assert!(r <= end, "a quoted part ends before the line break");
            let quote = memchr(b'"', &buf[r..end]).map_or(end, |p| r + p);
            let plain = quote - r;
            if w != r {
                buf.copy_within(r..quote, w);
            }
            push_commas(&buf[w..w + plain], w, ends);
            (r, w) = (quote, w + plain);
            if r == end {
                buf.truncate(w);
                ends.push(w);
                return Ok(Row::Done);
            }
            let field_start = ends.last().map_or(0, |&comma| comma + 1);
            r += 1;
            if w != field_start {
                // A quote inside an unquoted field, or after a quoted part: data.
                buf[w] = b'"';
                w += 1;
                continue;
            }
            loop {
                let Some(p) = memchr(b'"', &buf[r..]) else {
                    // The line break is part of the field: on to the next line.
                    buf.copy_within(r.., w);
                    w += buf.len() - r;
                    r = buf.len();
                    if !self.read_line(buf)? {
                        return Ok(Row::Unterminated);
                    }
                    end = text_end(buf);
                    continue;
                };
                buf.copy_within(r..r + p, w);
                w += p;
                r += p + 1;
                if buf.get(r) != Some(&b'"') {
                    break;
                }
                buf[w] = b'"';
                w += 1;
                r += 1;
            }
        }
    }

    pub(crate) fn next(&mut self, record: &mut Record) -> std::io::Result<Next> {
        if let Some(line) = self.pending.take() {
            return Ok(Next::Record(line));
        }
        loop {
            let line = self.lines + 1;
            match self.read_row(record)? {
                Row::End => return Ok(Next::End),
                Row::Unterminated => {
                    return Ok(Next::Bad(
                        line,
                        "a quoted field runs to the end of the input (a `\"` is missing)".into(),
                    ));
                }
                Row::Done => {}
            }
            if record.len() == 1 && record.get(0).is_some_and(|f| f.trim_ascii().is_empty()) {
                continue;
            }
            if !self.started {
                self.started = true;
                return Ok(self.first_row(record, line));
            }
            return Ok(Next::Record(line));
        }
    }

    /// The header, or a headerless cel_custom file's first row.
    fn first_row(&mut self, record: &Record, line: u64) -> Next {
        let names: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
        let columns = Columns::from_names(names.iter().map(String::as_str));
        let looks_like_data = columns.known() == 0
            && record
                .get(0)
                .and_then(|f| std::str::from_utf8(f).ok())
                .is_some_and(|f| !matches!(EventType::parse(f), EventType::Other(_)));
        if looks_like_data {
            self.pending = Some(line);
            return Next::Columns(Box::new(Columns::from_names(CEL_CUSTOM_COLUMNS)), line);
        }
        Next::Columns(Box::new(columns), line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_equal_marks_exactly_the_bytes_equal() {
        let word = u64::from_le_bytes(*b",a\",\x00\xff,,");
        assert_eq!(bytes_equal(word, b','), 0x8080_0000_8000_0080);
        assert_eq!(bytes_equal(word, b'"'), 0x0000_0000_0080_0000);
        assert_eq!(bytes_equal(word, 0), 0x0000_0080_0000_0000);
    }
}
