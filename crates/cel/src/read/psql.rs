//! `psql` table output: a header of column names separated by `|`, an
//! optional `---+---` rule, rows padded with spaces, a `(N rows)` footer.
//! `psql -A` (unaligned) output reads the same way.
//!
//! A value may hold `|` (`Dial(SIP/a|30)` in 1.8-style dialplans, JSON in
//! `extra`). Aligned rows are cut where the rule has its `+`s (psql pads to
//! the display width, so positions count characters, not bytes); a row
//! whose `|`s are not all there (wide characters, edited files) is split on
//! every `|` like an unaligned one. An unaligned row with more fields than
//! the header gives its surplus back to the one column that may hold `|`
//! (appdata, extra or userfield, when the header has exactly one of them);
//! otherwise it is a broken row.

use std::io::BufRead;

use memchr::memchr_iter;

use super::{Columns, Next, Record, read_line};

/// Columns whose values may hold `|`: appdata, userfield, extra.
const PIPE_SLOTS: [usize; 3] = [12, 18, 20];

pub(crate) struct PsqlRows<R: BufRead> {
    input: R,
    line: Vec<u8>,
    number: u64,
    started: bool,
    /// The header's field count.
    width: usize,
    /// The rule's `+`s as character offsets, once it has been read.
    cuts: Option<Vec<usize>>,
    /// The one column that takes an unaligned row's surplus fields.
    pipe_column: Option<usize>,
    /// `|` offsets in the line being split.
    bars: Vec<usize>,
}

fn is_rule(line: &[u8]) -> bool {
    line.contains(&b'-') && line.iter().all(|c| matches!(c, b'-' | b'+' | b' '))
}

fn is_footer(line: &[u8]) -> bool {
    line.starts_with(b"(") && line.ends_with(b")") && (line.ends_with(b" rows)") || line.ends_with(b" row)"))
}

/// Character offsets of the `+`s in a rule (all ASCII).
fn rule_cuts(rule: &[u8]) -> Vec<usize> {
    memchr_iter(b'+', rule).collect()
}

/// The byte offsets of the `|`s at the character offsets `cuts` (sorted),
/// or false when one of those characters is not a `|`.
fn aligned_bars(line: &[u8], cuts: &[usize], bars: &mut Vec<usize>) -> bool {
    bars.clear();
    let mut want = cuts.iter().copied().peekable();
    let (mut scanned, mut continuation) = (0, 0);
    for bar in memchr_iter(b'|', line) {
        let Some(&cut) = want.peek() else { break };
        // UTF-8 continuation bytes do not start a character.
        continuation += line[scanned..bar].iter().filter(|&&b| b & 0xC0 == 0x80).count();
        scanned = bar;
        let chars = bar - continuation;
        if chars > cut {
            return false;
        }
        if chars == cut {
            bars.push(bar);
            want.next();
        }
    }
    want.peek().is_none()
}

/// Fills `record` with the trimmed fields between the `|`s at `bars`.
fn cut_into(line: &[u8], bars: &[usize], record: &mut Record) {
    record.clear();
    let mut start = 0;
    for &bar in bars {
        record.push_field(line[start..bar].trim_ascii());
        start = bar + 1;
    }
    record.push_field(line[start..].trim_ascii());
}

pub(crate) fn split_into(line: &[u8], sep: u8, record: &mut Record) {
    record.clear();
    for field in line.split(|&c| c == sep) {
        record.push_field(field.trim_ascii());
    }
}

impl<R: BufRead> PsqlRows<R> {
    pub(crate) fn new(input: R) -> Self {
        PsqlRows {
            input,
            line: Vec::new(),
            number: 0,
            started: false,
            width: 0,
            cuts: None,
            pipe_column: None,
            bars: Vec::new(),
        }
    }

    pub(crate) fn next(&mut self, record: &mut Record) -> std::io::Result<Next> {
        loop {
            self.line.clear();
            if read_line(&mut self.input, &mut self.line)? == 0 {
                return Ok(Next::End);
            }
            self.number += 1;
            let line = self.line.trim_ascii_end();
            let trimmed = line.trim_ascii_start();
            if trimmed.is_empty() || is_footer(trimmed) {
                continue;
            }
            if is_rule(trimmed) {
                if self.started && self.cuts.is_none() {
                    self.cuts = Some(rule_cuts(line));
                }
                continue;
            }
            if !self.started {
                self.started = true;
                split_into(trimmed, b'|', record);
                let names: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
                let columns = Columns::from_names(names.iter().map(String::as_str));
                self.width = record.len();
                self.pipe_column = single_pipe_column(&columns);
                return Ok(Next::Columns(Box::new(columns), self.number));
            }
            return Ok(self.row(record));
        }
    }

    /// Splits the current line (a row) into `record`.
    fn row(&mut self, record: &mut Record) -> Next {
        let line = self.line.trim_ascii_end();
        if let Some(cuts) = &self.cuts {
            if aligned_bars(line, cuts, &mut self.bars) {
                cut_into(line, &self.bars, record);
                return Next::Record(self.number);
            }
        }
        let line = line.trim_ascii_start();
        self.bars.clear();
        self.bars.extend(memchr_iter(b'|', line));
        let fields = self.bars.len() + 1;
        if fields > self.width {
            let Some(column) = self.pipe_column else {
                return Next::Bad(
                    self.number,
                    format!(
                        "{fields} fields, the header has {}: a value holds `|`, and no single appdata, extra or \
                         userfield column can be told to hold it",
                        self.width
                    ),
                );
            };
            // Keep the bars before the column and the last ones after it.
            let surplus = fields - self.width;
            self.bars.drain(column..column + surplus);
        }
        cut_into(line, &self.bars, record);
        Next::Record(self.number)
    }
}

/// The header position of the only column that may hold `|`, if exactly one is there.
fn single_pipe_column(columns: &Columns) -> Option<usize> {
    let mut present = PIPE_SLOTS.iter().filter_map(|&slot| columns.slots[slot]);
    let first = present.next()?;
    present.next().is_none().then_some(first)
}
