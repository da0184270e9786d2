//! `psql` table output: a header of column names separated by `|`, an
//! optional `---+---` rule, rows padded with spaces, a `(N rows)` footer.
//! `psql -A` (unaligned) output reads the same way.

use std::io::BufRead;

use super::{Columns, Next, Record};

pub(crate) struct PsqlRows<R: BufRead> {
    input: R,
    line: Vec<u8>,
    number: u64,
    started: bool,
}

fn is_rule(line: &[u8]) -> bool {
    line.contains(&b'-') && line.iter().all(|c| matches!(c, b'-' | b'+' | b' '))
}

fn is_footer(line: &[u8]) -> bool {
    line.starts_with(b"(") && line.ends_with(b")") && (line.ends_with(b" rows)") || line.ends_with(b" row)"))
}

pub(crate) fn split_into(line: &[u8], sep: u8, record: &mut Record) {
    record.clear();
    for field in line.split(|&c| c == sep) {
        record.push_field(field.trim_ascii());
    }
}

impl<R: BufRead> PsqlRows<R> {
    pub(crate) fn new(input: R) -> Self {
        PsqlRows { input, line: Vec::new(), number: 0, started: false }
    }

    pub(crate) fn next(&mut self, record: &mut Record) -> std::io::Result<Next> {
        loop {
            self.line.clear();
            if self.input.read_until(b'\n', &mut self.line)? == 0 {
                return Ok(Next::End);
            }
            self.number += 1;
            let line = self.line.trim_ascii();
            if line.is_empty() || is_rule(line) || is_footer(line) {
                continue;
            }
            split_into(line, b'|', record);
            if !self.started {
                self.started = true;
                let names: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
                return Ok(Next::Columns(Box::new(Columns::from_names(names.iter().map(String::as_str))), self.number));
            }
            return Ok(Next::Record(self.number));
        }
    }
}
