//! PostgreSQL dumps: `COPY [schema.]cel (cols) FROM stdin;`, then one row per
//! line, tab-separated, `\N` for NULL, backslash escapes, up to `\.`. Other
//! tables' blocks and every other line are skipped.

use std::io::BufRead;

use super::{Columns, Next, Record, read_line};

/// The PostgreSQL example table of Asterisk's docs plus `extra`, for a `COPY`
/// without a column list.
const PG_COLUMNS: [&str; 21] = [
    "id",
    "eventtype",
    "eventtime",
    "userdeftype",
    "cid_name",
    "cid_num",
    "cid_ani",
    "cid_rdnis",
    "cid_dnid",
    "exten",
    "context",
    "channame",
    "appname",
    "appdata",
    "amaflags",
    "accountcode",
    "peeraccount",
    "uniqueid",
    "linkedid",
    "userfield",
    "peer",
];

pub(crate) struct CopyRows<R: BufRead> {
    input: R,
    line: Vec<u8>,
    number: u64,
    in_copy: bool,
}

/// Unescapes one COPY text field onto the end of `out`.
fn unescape(field: &[u8], out: &mut Vec<u8>) {
    if field == b"\\N" {
        return;
    }
    if memchr::memchr(b'\\', field).is_none() {
        out.extend_from_slice(field);
        return;
    }
    let mut i = 0;
    while i < field.len() {
        let c = field[i];
        if c != b'\\' || i + 1 == field.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let n = field[i + 1];
        i += 2;
        match n {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(n - b'0');
                for _ in 0..2 {
                    match field.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' => {
                let mut v = 0u32;
                let mut seen = 0;
                while seen < 2 {
                    match field.get(i).and_then(|d| (*d as char).to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            i += 1;
                            seen += 1;
                        }
                        None => break,
                    }
                }
                if seen == 0 {
                    out.push(b'x');
                } else {
                    out.push(v as u8);
                }
            }
            other => out.push(other),
        }
    }
}

/// `COPY <table> [(cols)] FROM stdin;`: the column names if the table is a CEL table.
fn copy_header(line: &[u8]) -> Option<Vec<String>> {
    let text = String::from_utf8_lossy(line);
    let rest = text.trim().strip_prefix("COPY ").or_else(|| text.trim().strip_prefix("copy "))?;
    let upper = rest.to_ascii_uppercase();
    let from = upper.find(" FROM STDIN")?;
    let spec = &rest[..from];
    let (table, cols) = match spec.find('(') {
        Some(p) => (&spec[..p], Some(&spec[p + 1..spec.rfind(')').unwrap_or(spec.len())])),
        None => (spec, None),
    };
    let table = table.trim().replace('"', "").to_ascii_lowercase();
    if !table.rsplit('.').next().unwrap_or("").contains("cel") {
        return Some(Vec::new());
    }
    Some(match cols {
        Some(cols) => cols.split(',').map(|c| c.trim().trim_matches('"').to_owned()).collect(),
        None => PG_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
    })
}

impl<R: BufRead> CopyRows<R> {
    pub(crate) fn new(input: R) -> Self {
        CopyRows { input, line: Vec::new(), number: 0, in_copy: false }
    }

    pub(crate) fn next(&mut self, record: &mut Record) -> std::io::Result<Next> {
        loop {
            self.line.clear();
            if read_line(&mut self.input, &mut self.line)? == 0 {
                return Ok(Next::End);
            }
            self.number += 1;
            let mut line: &[u8] = &self.line;
            line = line.strip_suffix(b"\n").unwrap_or(line);
            line = line.strip_suffix(b"\r").unwrap_or(line);
            if !self.in_copy {
                match copy_header(line) {
                    // Another table's block: skip to its end.
                    Some(names) if names.is_empty() => loop {
                        self.line.clear();
                        if read_line(&mut self.input, &mut self.line)? == 0 {
                            return Ok(Next::End);
                        }
                        self.number += 1;
                        if self.line.trim_ascii() == b"\\." {
                            break;
                        }
                    },
                    Some(names) => {
                        self.in_copy = true;
                        record.clear();
                        for n in &names {
                            record.push_field(n.as_bytes());
                        }
                        return Ok(Next::Columns(
                            Box::new(Columns::from_names(names.iter().map(String::as_str))),
                            self.number,
                        ));
                    }
                    None => {}
                }
                continue;
            }
            if line == b"\\." {
                self.in_copy = false;
                continue;
            }
            record.clear();
            for raw in line.split(|&c| c == b'\t') {
                record.start_field();
                unescape(raw, record.buf());
                record.end_field();
            }
            return Ok(Next::Record(self.number));
        }
    }
}
