//! CEL as CSV with the CEL table's column names: what `callfull generate --cel`
//! prints, and a reader for CSV exports with any subset of those columns in
//! any order (the shape of a `COPY cel TO … CSV HEADER` or a spreadsheet export).

use std::io::{Read, Write};

use crate::event::CelEvent;
#[cfg(test)]
use crate::event::{EventTime, EventType};

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

/// Why a CEL CSV could not be read (the readers' error).
pub type CsvError = crate::read::ReadError;

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

/// Reads a whole CEL CSV whose header names any subset of [`COLUMNS`] (in any
/// order; unknown columns are ignored; `eventtype` may be a name or an
/// Asterisk 12+ number; `eventtime` `YYYY-MM-DD HH:MM:SS[.ffffff]` in the zone
/// `utc_offset_secs`, or epoch seconds). Rows without an `id` are numbered
/// from 1 in file order. The first broken row is an error; to skip broken
/// rows and stream, use [`crate::CelReader`].
pub fn read_csv<R: Read>(input: R, source_name: &str, utc_offset_secs: i64) -> Result<Vec<CelEvent>, CsvError> {
    let reader = crate::read::CelReader::open(
        std::io::BufReader::new(input),
        source_name,
        crate::read::InputFormat::Csv,
        utc_offset_secs,
    )?;
    reader.collect()
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
