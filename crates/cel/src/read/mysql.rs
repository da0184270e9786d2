//! MySQL/MariaDB dumps: `INSERT INTO cel [(cols)] VALUES (…),(…);`, one
//! statement per line as mysqldump writes them (extended inserts) or spread
//! over lines. The column order comes from the statement's column list, else
//! from the dump's `CREATE TABLE cel (…)`, else FreePBX's table. Statements for
//! other tables are skipped.

use std::io::BufRead;

use super::{Columns, FREEPBX_COLUMNS, Next, Record, read_line};

pub(crate) struct MysqlRows<R: BufRead> {
    input: R,
    line: Vec<u8>,
    number: u64,
    /// The statement being read out, its first line, and the cursor in it.
    statement: Vec<u8>,
    start_line: u64,
    at: usize,
    /// Newlines before `at`.
    lines_before: u64,
    in_values: bool,
    /// Column names from `CREATE TABLE cel`.
    created: Option<Vec<String>>,
    /// The columns handed out last.
    current: Option<Vec<String>>,
    /// Columns to hand out before the next row.
    announce: Option<Vec<String>>,
}

/// Whether a table name (`cel`, `` `asteriskcdrdb`.`cel` ``) is a CEL table.
fn is_cel_table(name: &[u8]) -> bool {
    let name = String::from_utf8_lossy(name).replace(['`', '"'], "").to_ascii_lowercase();
    let last = name.rsplit('.').next().unwrap_or("");
    last.contains("cel")
}

fn skip_space(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn starts_with_ci(s: &[u8], prefix: &str) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Reads an identifier (backticked, double-quoted or bare, dotted parts joined).
fn identifier(s: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    loop {
        i = skip_space(s, i);
        match s.get(i) {
            Some(&q @ (b'`' | b'"')) => {
                let end = s[i + 1..].iter().position(|&c| c == q).map_or(s.len(), |p| i + 1 + p);
                out.extend_from_slice(&s[i + 1..end]);
                i = (end + 1).min(s.len());
            }
            _ => {
                let end =
                    s[i..].iter().position(|c| !(c.is_ascii_alphanumeric() || *c == b'_')).map_or(s.len(), |p| i + p);
                out.extend_from_slice(&s[i..end]);
                i = end;
            }
        }
        if s.get(i) == Some(&b'.') {
            out.push(b'.');
            i += 1;
        } else {
            return (out, i);
        }
    }
}

/// Tracks quotes over a chunk; returns the new state.
fn quote_state(mut quote: Option<u8>, chunk: &[u8]) -> Option<u8> {
    let mut escaped = false;
    for &c in chunk {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == b'\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == b'\'' || c == b'"' => quote = Some(c),
            None => {}
        }
    }
    quote
}

impl<R: BufRead> MysqlRows<R> {
    pub(crate) fn new(input: R) -> Self {
        MysqlRows {
            input,
            line: Vec::new(),
            number: 0,
            statement: Vec::new(),
            start_line: 0,
            at: 0,
            lines_before: 0,
            in_values: false,
            created: None,
            current: None,
            announce: None,
        }
    }

    fn read_line(&mut self) -> std::io::Result<bool> {
        self.line.clear();
        let n = read_line(&mut self.input, &mut self.line)?;
        self.number += 1;
        Ok(n > 0)
    }

    /// Reads up to the next `INSERT INTO <cel>` statement; false at the end.
    fn next_statement(&mut self) -> std::io::Result<bool> {
        loop {
            if !self.read_line()? {
                return Ok(false);
            }
            let trimmed = self.line.trim_ascii();
            if starts_with_ci(trimmed, "CREATE TABLE") {
                let (name, _) = identifier(trimmed, skip_space(trimmed, "CREATE TABLE".len()));
                let name = if starts_with_ci(&name, "IF") { identifier(trimmed, trimmed.len()).0 } else { name };
                if is_cel_table(&name) || is_cel_table(trimmed) {
                    self.read_create()?;
                }
                continue;
            }
            let insert = ["INSERT INTO", "INSERT IGNORE INTO", "REPLACE INTO"]
                .iter()
                .find(|p| starts_with_ci(trimmed, p))
                .map(|p| p.len());
            let Some(skip) = insert else { continue };
            self.start_line = self.number;
            self.statement.clear();
            self.statement.extend_from_slice(&self.line);
            let mut quote = quote_state(None, &self.line);
            while quote.is_some() || !self.statement.trim_ascii_end().ends_with(b";") {
                if !self.read_line()? {
                    break;
                }
                quote = quote_state(quote, &self.line);
                self.statement.extend_from_slice(&self.line);
            }
            let st = &self.statement;
            let lead = st.len() - st.trim_ascii_start().len();
            let (table, mut i) = identifier(st, lead + skip);
            if !is_cel_table(&table) {
                continue;
            }
            i = skip_space(st, i);
            let mut names: Option<Vec<String>> = None;
            if st.get(i) == Some(&b'(') {
                let end = st[i..].iter().position(|&c| c == b')').map_or(st.len(), |p| i + p);
                let list = String::from_utf8_lossy(&st[i + 1..end]);
                names =
                    Some(list.split(',').map(|n| n.trim().trim_matches('`').trim_matches('"').to_owned()).collect());
                i = skip_space(st, end + 1);
            }
            if !starts_with_ci(&st[i..], "VALUES") {
                continue;
            }
            i += "VALUES".len();
            let names = names
                .or_else(|| self.created.clone())
                .unwrap_or_else(|| FREEPBX_COLUMNS.iter().map(|s| (*s).to_owned()).collect());
            if self.current.as_ref() != Some(&names) {
                self.announce = Some(names);
            }
            self.at = i;
            self.lines_before = st[..i].iter().filter(|&&c| c == b'\n').count() as u64;
            self.in_values = true;
            return Ok(true);
        }
    }

    /// Column names of `CREATE TABLE cel (…)`, one per line, until `)`.
    fn read_create(&mut self) -> std::io::Result<()> {
        let mut names = Vec::new();
        while self.read_line()? {
            let t = self.line.trim_ascii();
            if t.starts_with(b")") {
                break;
            }
            let upper = String::from_utf8_lossy(t).to_ascii_uppercase();
            if ["PRIMARY", "KEY", "UNIQUE", "INDEX", "CONSTRAINT", "FULLTEXT"].iter().any(|k| upper.starts_with(k)) {
                continue;
            }
            let (name, _) = identifier(t, 0);
            if !name.is_empty() {
                names.push(String::from_utf8_lossy(&name).into_owned());
            }
        }
        if !names.is_empty() {
            self.created = Some(names);
        }
        Ok(())
    }

    /// Parses one `(…)` tuple at the cursor into `record`.
    fn tuple(&mut self, record: &mut Record) -> Result<Option<u64>, (u64, String)> {
        let st = &self.statement;
        let mut i = skip_space(st, self.at);
        while i < st.len() && st[i] == b',' {
            i = skip_space(st, i + 1);
        }
        let newlines = |from: usize, to: usize| st[from..to].iter().filter(|&&c| c == b'\n').count() as u64;
        self.lines_before += newlines(self.at, i);
        let line = self.start_line + self.lines_before;
        match st.get(i) {
            None | Some(b';') => return Ok(None),
            Some(b'(') => i += 1,
            Some(_) => return Err((line, "expected `(` opening a row of values".into())),
        }
        let open = i;
        record.clear();
        loop {
            i = skip_space(st, i);
            record.start_field();
            let field = record.buf();
            match st.get(i) {
                Some(&q @ (b'\'' | b'"')) => {
                    i += 1;
                    loop {
                        match st.get(i) {
                            None => return Err((line, "unterminated string".into())),
                            Some(b'\\') => {
                                let c = st.get(i + 1).copied().unwrap_or(b'\\');
                                if matches!(c, b'%' | b'_') {
                                    field.push(b'\\');
                                }
                                field.push(match c {
                                    b'0' => 0,
                                    b'n' => b'\n',
                                    b'r' => b'\r',
                                    b't' => b'\t',
                                    b'b' => 8,
                                    b'Z' => 26,
                                    other => other,
                                });
                                i += 2;
                            }
                            Some(&c) if c == q => {
                                if st.get(i + 1) == Some(&q) {
                                    field.push(q);
                                    i += 2;
                                } else {
                                    i += 1;
                                    break;
                                }
                            }
                            Some(&c) => {
                                field.push(c);
                                i += 1;
                            }
                        }
                    }
                }
                _ => {
                    let end = st[i..].iter().position(|&c| c == b',' || c == b')').map_or(st.len(), |p| i + p);
                    let token = st[i..end].trim_ascii();
                    if !token.eq_ignore_ascii_case(b"NULL") {
                        field.extend_from_slice(token);
                    }
                    i = end;
                }
            }
            record.end_field();
            i = skip_space(st, i);
            match st.get(i) {
                Some(b',') => i += 1,
                Some(b')') => {
                    i += 1;
                    break;
                }
                _ => return Err((line, "expected `,` or `)` after a value".into())),
            }
        }
        self.lines_before += newlines(open, i);
        self.at = i;
        Ok(Some(line))
    }

    pub(crate) fn next(&mut self, record: &mut Record) -> std::io::Result<Next> {
        loop {
            if let Some(names) = self.announce.take() {
                record.clear();
                for n in &names {
                    record.push_field(n.as_bytes());
                }
                let columns = Columns::from_names(names.iter().map(String::as_str));
                self.current = Some(names);
                return Ok(Next::Columns(Box::new(columns), self.start_line));
            }
            if self.in_values {
                match self.tuple(record) {
                    Ok(Some(line)) => return Ok(Next::Record(line)),
                    Ok(None) => self.in_values = false,
                    Err((line, message)) => {
                        self.in_values = false;
                        return Ok(Next::Bad(line, format!("{message}; the rest of this INSERT is skipped")));
                    }
                }
            }
            if !self.next_statement()? {
                return Ok(Next::End);
            }
        }
    }
}
