//! Readers for CEL as users have it: CSV exports (any subset of the columns,
//! in any order, or Asterisk's headerless cel_custom CSV), `psql` table
//! output, MySQL dumps (`INSERT INTO cel … VALUES (…),(…)`) and PostgreSQL
//! `COPY cel … FROM stdin` blocks; [`sniff`] tells them apart.
//!
//! Every reader turns its input into one [`Record`] per row (reused, so a
//! row costs no allocation until its event is built), and [`Columns`] maps the
//! record's fields to [`CelEvent`] fields. A broken row is a
//! [`ReadError::Row`] with its line number; the reader goes on with the next
//! one. Errors that end the input ([`ReadError::is_fatal`]) end the iteration.
//!
//! Implementation notes: the readers yield rows in file order. Sorting and
//! grouping them into calls is the job of [`crate::Grouper`].

mod copy;
mod csv;
mod mysql;
mod psql;
mod record;
mod time;

use std::io::BufRead;

use compact_str::CompactString;

use crate::assemble::ASSEMBLER_COLUMNS;
use crate::event::{CelEvent, EventNumbers, EventTime, EventType};
use crate::zone::Zone;

pub use record::Record;
pub use time::{parse_time, parse_time_in, parse_zone};

/// The CEL columns we read, in [`crate::COLUMNS`] order.
const ID: usize = 0;
const EVENTTYPE: usize = 1;
const EVENTTIME: usize = 2;
const UNIQUEID: usize = 16;
const LINKEDID: usize = 17;

/// Column names other schemas use for ours (cel_tds, cel_manager, old tables).
const ALIASES: [(&str, usize); 6] =
    [("eventextra", 20), ("eventname", EVENTTYPE), ("cidname", 3), ("cidnum", 4), ("bridgepeer", 19), ("channel", 10)];

/// The order of Asterisk's sample cel_custom `Master.csv` mapping (no header):
/// eventtype, eventtime, CALLERID(name/num/ANI/RDNIS/DNID), exten, context,
/// channame, appname, appdata, amaflags, accountcode, uniqueid, linkedid,
/// BRIDGEPEER, userfield, userdeftype, eventextra.
pub const CEL_CUSTOM_COLUMNS: [&str; 20] = [
    "eventtype",
    "eventtime",
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
    "uniqueid",
    "linkedid",
    "peer",
    "userfield",
    "userdeftype",
    "extra",
];

/// FreePBX's MySQL `cel` table, for `INSERT INTO cel VALUES` without a column list.
pub const FREEPBX_COLUMNS: [&str; 20] = [
    "id",
    "eventtype",
    "eventtime",
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
    "uniqueid",
    "linkedid",
    "peer",
    "userdeftype",
    "extra",
];

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Decide from the first bytes ([`sniff`]).
    Auto,
    /// CSV with a header naming CEL columns, or headerless cel_custom CSV.
    Csv,
    /// `psql` table output: `|`-separated, with or without the `---+---` rule.
    Psql,
    /// A MySQL/MariaDB dump: `INSERT INTO cel [(cols)] VALUES (…),(…);`.
    Mysql,
    /// A PostgreSQL dump: `COPY cel (cols) FROM stdin;` … `\.`.
    PgCopy,
}

impl InputFormat {
    /// The name `--format` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Auto => "auto",
            InputFormat::Csv => "csv",
            InputFormat::Psql => "psql",
            InputFormat::Mysql => "mysql",
            InputFormat::PgCopy => "pg-copy",
        }
    }
}

/// Why CEL could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// One row is broken; the rest of the input goes on.
    #[error("{source_name} line {line}: {message}")]
    Row {
        /// The file (or `<stdin>`).
        source_name: String,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A header without the columns a call needs.
    #[error("{source_name} line {line}: no {} column{} (the header has: {header})", quote_list(.missing), if .missing.len() == 1 { "" } else { "s" })]
    MissingColumns {
        /// The file.
        source_name: String,
        /// The header's line.
        line: u64,
        /// The columns missing.
        missing: Vec<&'static str>,
        /// The header as read.
        header: String,
    },
    /// The input is not in the format given (or none could be recognised).
    #[error("{source_name}: {message}")]
    Format {
        /// The file.
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// Reading failed underneath.
    #[error("{source_name}: {source}")]
    Io {
        /// The file.
        source_name: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn quote_list(names: &[&str]) -> String {
    names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
}

impl ReadError {
    /// Whether reading stops here (anything but a broken row).
    pub fn is_fatal(&self) -> bool {
        !matches!(self, ReadError::Row { .. })
    }

    /// The line of a broken row.
    pub fn line(&self) -> Option<u64> {
        match self {
            ReadError::Row { line, .. } | ReadError::MissingColumns { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// Appends the next line of `input` (with its `\n`) to `buf`; the bytes
/// read, 0 at the end. `BufRead::read_until` does the same with a slower
/// byte search.
pub(crate) fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let start = buf.len();
    loop {
        let chunk = match input.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let (take, line_ends) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), chunk.is_empty()),
        };
        buf.extend_from_slice(&chunk[..take]);
        input.consume(take);
        if line_ends {
            return Ok(buf.len() - start);
        }
    }
}

/// Where each CEL field sits in a record.
#[derive(Debug, Clone)]
pub struct Columns {
    slots: [Option<usize>; 22],
    width: usize,
}

impl Columns {
    /// From header names (case-insensitive, trimmed, quotes and backticks
    /// dropped); unknown names are ignored.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Columns {
        let mut slots = [None; 22];
        let mut width = 0;
        for (i, name) in names.into_iter().enumerate() {
            width = i + 1;
            let name = name.trim().trim_matches(|c| c == '"' || c == '`' || c == '\'').trim();
            let slot = crate::csv::COLUMNS
                .iter()
                .position(|c| c.eq_ignore_ascii_case(name))
                .or_else(|| ALIASES.iter().find(|(a, _)| a.eq_ignore_ascii_case(name)).map(|(_, s)| *s));
            if let Some(slot) = slot {
                if slots[slot].is_none() {
                    slots[slot] = Some(i);
                }
            }
        }
        Columns { slots, width }
    }

    /// The columns a call cannot do without that are missing.
    pub fn missing(&self) -> Vec<&'static str> {
        [(EVENTTYPE, "eventtype"), (UNIQUEID, "uniqueid"), (LINKEDID, "linkedid")]
            .into_iter()
            .filter(|(slot, _)| self.slots[*slot].is_none())
            .map(|(_, name)| name)
            .collect()
    }

    /// Whether any of the names is a CEL column (a header rather than data).
    fn known(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}

/// Builds events from records; numbers rows that have no `id`.
#[derive(Debug, Clone)]
pub struct RowBuilder {
    columns: Columns,
    /// Where local times are.
    zone: Zone,
    numbers: EventNumbers,
    /// Bit `slot` set: that column is left empty.
    skipped: u32,
    rows: u64,
    last_minute: time::LastMinute,
}

/// A record's fields as text: slices of the record's text when it is UTF-8
/// (checked once for the whole record: fields sit one ASCII byte apart in
/// it, so each is valid when the whole is), else each field repaired.
struct Fields<'r> {
    record: &'r Record,
    whole: Option<&'r str>,
    slots: &'r [Option<usize>; 22],
    /// Bit `slot` set: that column is left empty.
    skipped: u32,
}

impl<'r> Fields<'r> {
    fn new(record: &'r Record, slots: &'r [Option<usize>; 22], skipped: u32) -> Fields<'r> {
        Fields { record, whole: simdutf8::basic::from_utf8(record.as_bytes()).ok(), slots, skipped }
    }

    /// The text of CEL column `slot`, empty when it is skipped (inlined: most
    /// columns are, and then cost only this test).
    #[inline(always)]
    fn column(&self, slot: usize, trim: bool) -> CompactString {
        if self.skipped & 1 << slot != 0 {
            return CompactString::default();
        }
        self.text(self.slots[slot], trim)
    }

    /// The text of field `index` (none: empty), trimmed of ASCII spaces, or
    /// `None` when the record is not UTF-8.
    #[inline]
    fn trimmed_str(&self, index: Option<usize>) -> Option<&'r str> {
        let whole = self.whole?;
        let range = index.and_then(|i| self.record.range(i));
        Some(range.and_then(|range| whole.get(range)).unwrap_or_default().trim_ascii())
    }

    /// The text of field `index` (none: empty), trimmed of ASCII spaces when
    /// `trim` is set.
    fn text(&self, index: Option<usize>, trim: bool) -> CompactString {
        let Some(range) = index.and_then(|i| self.record.range(i)) else { return CompactString::default() };
        if range.is_empty() {
            return CompactString::default();
        }
        let Some(whole) = self.whole else {
            let bytes = &self.record.as_bytes()[range];
            return CompactString::from_utf8_lossy(if trim { bytes.trim_ascii() } else { bytes });
        };
        let s = whole.get(range).unwrap_or_default();
        CompactString::new(if trim { s.trim_ascii() } else { s })
    }
}

/// A number written as ASCII digits only (no sign, at most 19 digits, so it
/// fits): the common case, read without a UTF-8 check. `None` for anything
/// else, which callers read the general way.
fn ascii_digits(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for &c in text {
        let digit = c.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n * 10 + u64::from(digit);
    }
    Some(n)
}

/// An `id` column: what `str::parse::<u64>` reads.
fn parse_id(text: &[u8]) -> Option<u64> {
    ascii_digits(text).or_else(|| std::str::from_utf8(text).ok()?.parse().ok())
}

/// AMA flags as a name or a number; 3 (DOCUMENTATION) when empty or unknown.
fn amaflags(text: &[u8]) -> u8 {
    match text {
        b"OMIT" => 1,
        b"BILLING" => 2,
        b"" | b"DOCUMENTATION" => 3,
        _ => match ascii_digits(text) {
            Some(n) => u8::try_from(n).unwrap_or(3),
            None => std::str::from_utf8(text).ok().and_then(|s| s.parse().ok()).unwrap_or(3),
        },
    }
}

impl RowBuilder {
    /// A builder for records laid out as `columns`, local times in the zone
    /// `utc_offset_secs` east of UTC.
    pub fn new(columns: Columns, utc_offset_secs: i64) -> RowBuilder {
        RowBuilder {
            columns,
            zone: Zone::fixed(utc_offset_secs),
            numbers: EventNumbers::default(),
            skipped: 0,
            rows: 0,
            last_minute: time::LastMinute::default(),
        }
    }

    /// Fills only the columns the assembler reads ([`ASSEMBLER_COLUMNS`]);
    /// the other text columns stay empty. For callers that only assemble
    /// calls: most of a row's text is never read.
    #[must_use]
    pub fn assembler_columns_only(mut self) -> RowBuilder {
        self.skipped = crate::csv::COLUMNS
            .iter()
            .enumerate()
            .filter(|(_, name)| !ASSEMBLER_COLUMNS.contains(name))
            .fold(0, |mask, (slot, _)| mask | 1 << slot);
        self
    }

    /// Reads local times in `zone`, at the offset in force then.
    #[must_use]
    pub fn zone(mut self, zone: Zone) -> RowBuilder {
        self.zone = zone;
        self
    }

    /// Reads integer event types in this numbering (Asterisk 12+ by default).
    #[must_use]
    pub fn event_numbers(mut self, numbers: EventNumbers) -> RowBuilder {
        self.numbers = numbers;
        self
    }

    /// The event of one record, or what is wrong with it.
    pub fn build(&mut self, record: &Record) -> Result<CelEvent, String> {
        let mut event = CelEvent::default();
        self.build_into(record, &mut event)?;
        Ok(event)
    }

    /// [`RowBuilder::build`] into `event`, every field of it set (left as it
    /// was when the record is broken): an event built where it is kept is not
    /// moved (456 bytes) on its way out.
    pub fn build_into(&mut self, record: &Record, event: &mut CelEvent) -> Result<(), String> {
        self.rows += 1;
        let slots = &self.columns.slots;
        let get = |slot: usize| -> &[u8] { slots[slot].and_then(|i| record.get(i)).unwrap_or(b"").trim_ascii() };
        for (slot, name) in [(EVENTTYPE, "eventtype"), (UNIQUEID, "uniqueid")] {
            if get(slot).is_empty() {
                let why = if slots[slot].is_some_and(|i| i >= record.len()) {
                    format!("{} fields, the header has {}", record.len(), self.columns.width)
                } else {
                    format!("empty {name}")
                };
                return Err(why);
            }
        }
        let eventtime = match slots[EVENTTIME] {
            None => EventTime::default(),
            Some(_) => {
                let t = get(EVENTTIME);
                time::parse_time_in_order(t, &self.zone, &mut self.last_minute)
                    .ok_or_else(|| format!("eventtime {:?} is not a time", String::from_utf8_lossy(t)))?
            }
        };
        let id = match get(ID) {
            b"" => self.rows,
            text => parse_id(text).ok_or_else(|| format!("id {:?} is not a number", String::from_utf8_lossy(text)))?,
        };
        let fields = Fields::new(record, slots, self.skipped);
        let eventtype_name = match fields.trimmed_str(slots[EVENTTYPE]) {
            Some(name) => name,
            None => std::str::from_utf8(get(EVENTTYPE)).map_err(|_| "eventtype is not UTF-8")?,
        };
        let eventtype = EventType::parse_numbered(eventtype_name, self.numbers);
        let field = |slot: usize, trim: bool| fields.column(slot, trim);
        let uniqueid = field(UNIQUEID, true);
        let linkedid = field(LINKEDID, true);
        event.linkedid = if linkedid.is_empty() { uniqueid.clone() } else { linkedid };
        event.uniqueid = uniqueid;
        event.id = id;
        event.eventtype = eventtype;
        event.eventtime = eventtime;
        event.cid_name = field(3, false);
        event.cid_num = field(4, true);
        event.cid_ani = field(5, true);
        event.cid_rdnis = field(6, true);
        event.cid_dnid = field(7, true);
        event.exten = field(8, true);
        event.context = field(9, true);
        event.channame = field(10, true);
        event.appname = field(11, true);
        event.appdata = field(12, false);
        event.amaflags = amaflags(get(13));
        event.accountcode = field(14, true);
        event.peeraccount = field(15, true);
        event.userfield = field(18, false);
        event.peer = field(19, true);
        event.extra = field(20, true);
        event.userdeftype = field(21, true);
        Ok(())
    }
}

/// The format of an input from its first bytes: a dump (`COPY … FROM stdin`
/// → pg-copy, `INSERT INTO` → mysql), a `psql` table (a first line of
/// `|`-separated CEL column names), else CSV.
pub fn sniff(head: &[u8]) -> InputFormat {
    let head_text = String::from_utf8_lossy(head);
    let upper = head_text.to_ascii_uppercase();
    if upper.contains("FROM STDIN") || upper.contains("-- POSTGRESQL DATABASE DUMP") {
        return InputFormat::PgCopy;
    }
    if upper.contains("INSERT INTO") || upper.contains("-- MYSQL DUMP") || upper.contains("-- MARIADB DUMP") {
        return InputFormat::Mysql;
    }
    let first = head_text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if first.contains('|') && !first.contains(',') {
        return InputFormat::Psql;
    }
    if first.contains('|') && Columns::from_names(first.split('|')).known() >= 3 {
        return InputFormat::Psql;
    }
    InputFormat::Csv
}

enum Inner<R: BufRead> {
    Csv(csv::CsvRows<R>),
    Psql(psql::PsqlRows<R>),
    Mysql(mysql::MysqlRows<R>),
    Copy(copy::CopyRows<R>),
}

/// What a source yields: a record and its line, a broken row, or the end.
pub(crate) enum Next {
    Record(u64),
    Bad(u64, String),
    /// The reader found the header of a new block (dumps): new columns.
    Columns(Box<Columns>, u64),
    End,
}

/// CEL rows read from one input, in file order.
///
/// ```
/// use callfull_cel::{CelReader, EventType, InputFormat};
///
/// let text = "linkedid,uniqueid,eventtype,eventtime\n1.1,1.1,CHAN_START,1718012345.5\n";
/// let rows: Vec<_> = CelReader::open(text.as_bytes(), "t.csv", InputFormat::Auto, 0)?
///     .collect::<Result<_, _>>()?;
/// assert_eq!(rows[0].eventtype, EventType::ChanStart);
/// # Ok::<(), callfull_cel::ReadError>(())
/// ```
pub struct CelReader<R: BufRead> {
    inner: Inner<R>,
    record: Record,
    builder: Option<RowBuilder>,
    source_name: String,
    zone: Zone,
    numbers: EventNumbers,
    assembler_columns_only: bool,
    format: InputFormat,
    done: bool,
}

impl<R: BufRead> CelReader<R> {
    /// Opens `input` (named `source_name` in errors) as `format`; with
    /// [`InputFormat::Auto`] the format is sniffed from the first 64 KiB.
    /// Local times are in the zone `utc_offset_secs` east of UTC.
    pub fn open(
        mut input: R,
        source_name: &str,
        format: InputFormat,
        utc_offset_secs: i64,
    ) -> Result<CelReader<R>, ReadError> {
        let io = |source| ReadError::Io { source_name: source_name.to_owned(), source };
        let format = match format {
            InputFormat::Auto => {
                let head = input.fill_buf().map_err(io)?;
                let head = &head[..head.len().min(64 << 10)];
                sniff(head)
            }
            f => f,
        };
        let inner = match format {
            InputFormat::Psql => Inner::Psql(psql::PsqlRows::new(input)),
            InputFormat::Mysql => Inner::Mysql(mysql::MysqlRows::new(input)),
            InputFormat::PgCopy => Inner::Copy(copy::CopyRows::new(input)),
            _ => Inner::Csv(csv::CsvRows::new(input)),
        };
        Ok(CelReader {
            inner,
            record: Record::new(),
            builder: None,
            source_name: source_name.to_owned(),
            zone: Zone::fixed(utc_offset_secs),
            numbers: EventNumbers::default(),
            assembler_columns_only: false,
            format,
            done: false,
        })
    }

    /// Fills only the columns the assembler reads
    /// ([`RowBuilder::assembler_columns_only`]).
    #[must_use]
    pub fn assembler_columns_only(mut self) -> CelReader<R> {
        self.assembler_columns_only = true;
        self
    }

    /// Reads local times in `zone` (an IANA zone whose offset changes, or a
    /// fixed one) instead of the fixed offset given to [`CelReader::open`].
    #[must_use]
    pub fn zone(mut self, zone: Zone) -> CelReader<R> {
        self.zone = zone;
        self
    }

    /// Reads integer `eventtype` columns in this numbering: Asterisk 12+
    /// (the default) or 1.8/11 ([`EventNumbers`]). Names are read the same
    /// either way.
    #[must_use]
    pub fn event_numbers(mut self, numbers: EventNumbers) -> CelReader<R> {
        self.numbers = numbers;
        self
    }

    /// The format being read (the sniffed one for [`InputFormat::Auto`]).
    pub fn format(&self) -> InputFormat {
        self.format
    }

    fn next_record(&mut self) -> Result<Next, std::io::Error> {
        match &mut self.inner {
            Inner::Csv(r) => r.next(&mut self.record),
            Inner::Psql(r) => r.next(&mut self.record),
            Inner::Mysql(r) => r.next(&mut self.record),
            Inner::Copy(r) => r.next(&mut self.record),
        }
    }
}

impl<R: BufRead> CelReader<R> {
    /// The next row into `event`, every field of it set: [`Iterator::next`]
    /// without moving the event (456 bytes) on its way out. `None` at the
    /// end; on an error `event` is left as it was.
    pub fn next_into(&mut self, event: &mut CelEvent) -> Option<Result<(), ReadError>> {
        if self.done {
            return None;
        }
        loop {
            let next = match self.next_record() {
                Ok(next) => next,
                Err(source) => {
                    self.done = true;
                    return Some(Err(ReadError::Io { source_name: self.source_name.clone(), source }));
                }
            };
            let row_error = |line, message| ReadError::Row { source_name: self.source_name.clone(), line, message };
            match next {
                Next::End => {
                    self.done = true;
                    if self.builder.is_none() {
                        return Some(Err(ReadError::Format {
                            source_name: self.source_name.clone(),
                            message: format!("no CEL rows found (read as {})", self.format.as_str()),
                        }));
                    }
                    return None;
                }
                Next::Columns(columns, line) => {
                    let missing = columns.missing();
                    if !missing.is_empty() {
                        self.done = true;
                        let header: Vec<String> =
                            self.record.iter().map(|f| String::from_utf8_lossy(f).trim().to_owned()).collect();
                        return Some(Err(ReadError::MissingColumns {
                            source_name: self.source_name.clone(),
                            line,
                            missing,
                            header: header.join(","),
                        }));
                    }
                    let rows = self.builder.as_ref().map_or(0, |b| b.rows);
                    let mut builder = RowBuilder::new(*columns, 0).zone(self.zone.clone()).event_numbers(self.numbers);
                    if self.assembler_columns_only {
                        builder = builder.assembler_columns_only();
                    }
                    builder.rows = rows;
                    self.builder = Some(builder);
                }
                Next::Bad(line, message) => return Some(Err(row_error(line, message))),
                Next::Record(line) => {
                    let Some(builder) = self.builder.as_mut() else {
                        return Some(Err(row_error(line, "a row before any header".into())));
                    };
                    return Some(builder.build_into(&self.record, event).map_err(|m| row_error(line, m)));
                }
            }
        }
    }
}

impl<R: BufRead> Iterator for CelReader<R> {
    type Item = Result<CelEvent, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut event = CelEvent::default();
        Some(self.next_into(&mut event)?.map(|()| event))
    }
}

#[cfg(test)]
mod tests;
