//! CEL as CSV with the CEL table's column names: what `callfull generate --cel`
//! prints, and a reader for CSV exports with any subset of those columns in
//! any order (the shape of a `COPY cel TO … CSV HEADER` or a spreadsheet export).

use std::io::{Read, Write};

use crate::event::{CelEvent, EventTime, EventType};

/// The columns written, in the order of Asterisk's PostgreSQL example table
/// plus `extra` (which users add), FreePBX's `id` first.
pub const COLUMNS: [&str; 22] = [
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
    "peeraccount",
    "uniqueid",
    "linkedid",
    "userfield",
    "peer",
    "extra",
    "userdeftype",
];

/// Why a CEL CSV could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// Not CSV, or an I/O error underneath.
    #[error("{source_name} line {line}: {message}")]
    Csv {
        /// The file (or `<stdin>`).
        source_name: String,
        /// 1-based line.
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// A header without the columns a call needs.
    #[error("{source_name} line 1: no {column:?} column (the header has: {header})")]
    MissingColumn {
        /// The file.
        source_name: String,
        /// The column.
        column: &'static str,
        /// The header as read.
        header: String,
    },
}

/// Writes CEL rows as CSV with a header; times in the zone `utc_offset_secs`
/// east of UTC with microseconds, as cel_odbc/cel_pgsql store them.
pub struct CsvWriter<W: Write> {
    out: csv::Writer<W>,
    utc_offset_secs: i64,
}

impl<W: Write> CsvWriter<W> {
    /// A writer that prints the header first.
    pub fn new(out: W, utc_offset_secs: i64) -> std::io::Result<Self> {
        let mut out = csv::WriterBuilder::new().from_writer(out);
        out.write_record(COLUMNS)?;
        Ok(CsvWriter { out, utc_offset_secs })
    }

    /// A writer that continues a CSV whose header was already written.
    pub fn continuing(out: W, utc_offset_secs: i64) -> Self {
        CsvWriter { out: csv::WriterBuilder::new().from_writer(out), utc_offset_secs }
    }

    /// Writes one row.
    pub fn write(&mut self, e: &CelEvent) -> std::io::Result<()> {
        let id = e.id.to_string();
        let time = e.eventtime.format_local(self.utc_offset_secs);
        let amaflags = e.amaflags.to_string();
        self.out.write_record([
            id.as_str(),
            e.eventtype.name(),
            time.as_str(),
            &e.cid_name,
            &e.cid_num,
            &e.cid_ani,
            &e.cid_rdnis,
            &e.cid_dnid,
            &e.exten,
            &e.context,
            &e.channame,
            &e.appname,
            &e.appdata,
            amaflags.as_str(),
            &e.accountcode,
            &e.peeraccount,
            &e.uniqueid,
            &e.linkedid,
            &e.userfield,
            &e.peer,
            &e.extra,
            &e.userdeftype,
        ])?;
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }
}

/// Reads a CEL CSV whose header names any subset of [`COLUMNS`] (in any
/// order; unknown columns are ignored; `eventtype` may be a name or an
/// Asterisk 12+ number; `eventtime` `YYYY-MM-DD HH:MM:SS[.ffffff]` in the zone
/// `utc_offset_secs`, or epoch seconds). Rows without an `id` are numbered
/// from 1 in file order.
pub fn read_csv<R: Read>(input: R, source_name: &str, utc_offset_secs: i64) -> Result<Vec<CelEvent>, CsvError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let err = |line: u64, message: String| CsvError::Csv { source_name: source_name.to_owned(), line, message };
    let header = reader.headers().map_err(|e| err(1, e.to_string()))?.clone();
    let position = |name: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let columns: Vec<Option<usize>> = COLUMNS.iter().map(|c| position(c)).collect();
    for required in ["eventtype", "eventtime", "uniqueid", "linkedid"] {
        if position(required).is_none() {
            return Err(CsvError::MissingColumn {
                source_name: source_name.to_owned(),
                column: COLUMNS.iter().find(|c| **c == required).copied().unwrap_or("eventtype"),
                header: header.iter().collect::<Vec<_>>().join(","),
            });
        }
    }
    let mut events = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let line = record.as_ref().ok().and_then(|r| r.position()).map_or(n as u64 + 2, |p| p.line());
        let record = record.map_err(|e| err(line, e.to_string()))?;
        let get = |column: usize| columns[column].and_then(|i| record.get(i)).unwrap_or("").to_owned();
        let time_text = get(2);
        let eventtime = parse_time(&time_text, utc_offset_secs)
            .ok_or_else(|| err(line, format!("eventtime {time_text:?} is not a time")))?;
        let id_text = get(0);
        let id = if id_text.is_empty() {
            n as u64 + 1
        } else {
            id_text.trim().parse().map_err(|_| err(line, format!("id {id_text:?} is not a number")))?
        };
        events.push(CelEvent {
            id,
            eventtype: EventType::parse(&get(1)),
            eventtime,
            cid_name: get(3),
            cid_num: get(4),
            cid_ani: get(5),
            cid_rdnis: get(6),
            cid_dnid: get(7),
            exten: get(8),
            context: get(9),
            channame: get(10),
            appname: get(11),
            appdata: get(12),
            amaflags: get(13).trim().parse().unwrap_or(3),
            accountcode: get(14),
            peeraccount: get(15),
            uniqueid: get(16),
            linkedid: get(17),
            userfield: get(18),
            peer: get(19),
            extra: get(20),
            userdeftype: get(21),
        });
    }
    Ok(events)
}

/// `YYYY-MM-DD HH:MM:SS[.f…]` (local, in the given zone) or epoch seconds `S[.f…]`.
fn parse_time(text: &str, utc_offset_secs: i64) -> Option<EventTime> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let micros = if fraction.is_empty() {
        0
    } else {
        let digits: String =
            fraction.chars().take_while(char::is_ascii_digit).chain(std::iter::repeat('0')).take(6).collect();
        digits.parse::<i64>().ok()?
    };
    if let Ok(secs) = whole.parse::<i64>() {
        return Some(EventTime::from_unix(secs, micros));
    }
    let local = callfull_model::DateTime::parse(whole.get(..19)?).ok()?;
    let unix = local.seconds_since(callfull_model::DateTime::from_unix(0, 0)) - utc_offset_secs;
    Some(EventTime::from_unix(unix, micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CelEvent {
        CelEvent {
            id: 7,
            eventtype: EventType::Hangup,
            eventtime: EventTime::from_unix(1_718_012_462, 772_310),
            cid_name: "Анна Котова".into(),
            cid_num: "101".into(),
            exten: "8005550100".into(),
            context: "from-internal".into(),
            channame: "PJSIP/101-0000002b".into(),
            appname: "AppDial".into(),
            appdata: "(Outgoing Line)".into(),
            amaflags: 3,
            uniqueid: "1718012345.119".into(),
            linkedid: "1718012345.118".into(),
            extra: r#"{"hangupcause":16,"hangupsource":"PJSIP/101-0000002b","dialstatus":""}"#.into(),
            ..CelEvent::default()
        }
    }

    #[test]
    fn written_csv_reads_back_identically() {
        let mut w = CsvWriter::new(Vec::new(), 3 * 3600).unwrap();
        w.write(&sample()).unwrap();
        let bytes = w.finish().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("id,eventtype,eventtime,cid_name,"), "{text}");
        assert!(text.contains(r#""{""hangupcause"":16,"#), "extra is quoted CSV: {text}");
        let back = read_csv(&bytes[..], "t.csv", 3 * 3600).unwrap();
        assert_eq!(back, [sample()]);
    }

    #[test]
    fn reads_a_subset_of_columns_in_any_order() {
        let text =
            "linkedid,uniqueid,eventtime,eventtype,channame\n1.1,1.1,2013-01-01 11:02:38.5,1,SIP/trunk-00000028\n";
        let events = read_csv(text.as_bytes(), "t.csv", 0).unwrap();
        assert_eq!(events[0].eventtype, EventType::ChanStart);
        assert_eq!(events[0].eventtime.micros(), 500_000);
        assert_eq!(events[0].id, 1);
        assert_eq!(events[0].channame, "SIP/trunk-00000028");
    }

    #[test]
    fn a_header_without_linkedid_is_refused_with_the_header_shown() {
        let err = read_csv("eventtype,eventtime,uniqueid\n".as_bytes(), "t.csv", 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv line 1: no \"linkedid\" column (the header has: eventtype,eventtime,uniqueid)"
        );
    }

    #[test]
    fn a_bad_time_names_its_line() {
        let text = "eventtype,eventtime,uniqueid,linkedid\nCHAN_START,yesterday,1.1,1.1\n";
        let err = read_csv(text.as_bytes(), "t.csv", 0).unwrap_err();
        assert_eq!(err.to_string(), "t.csv line 2: eventtime \"yesterday\" is not a time");
    }
}
