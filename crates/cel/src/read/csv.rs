//! CSV: a header naming any subset of the CEL columns, in any order, or
//! headerless rows in the order of Asterisk's sample cel_custom mapping.

use std::io::BufRead;

use csv::ByteRecord;

use super::{CEL_CUSTOM_COLUMNS, Columns, Next};
use crate::event::EventType;

pub(crate) struct CsvRows<R: BufRead> {
    reader: csv::Reader<R>,
    started: bool,
    /// A headerless file's first row, handed out after its columns.
    pending: Option<u64>,
}

impl<R: BufRead> CsvRows<R> {
    pub(crate) fn new(input: R) -> Self {
        let reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input);
        CsvRows { reader, started: false, pending: None }
    }

    pub(crate) fn next(&mut self, record: &mut ByteRecord) -> std::io::Result<Next> {
        if let Some(line) = self.pending.take() {
            return Ok(Next::Record(line));
        }
        loop {
            match self.reader.read_byte_record(record) {
                Ok(false) => return Ok(Next::End),
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    return match e.into_kind() {
                        csv::ErrorKind::Io(io) => Err(io),
                        kind => Ok(Next::Bad(line, format!("{kind:?}"))),
                    };
                }
            }
            let line = record.position().map_or(0, |p| p.line());
            if record.len() == 1 && record.get(0).is_some_and(|f| f.trim_ascii().is_empty()) {
                continue;
            }
            if !self.started {
                self.started = true;
                let names: Vec<String> = record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).trim_start_matches('\u{feff}').to_owned())
                    .collect();
                let columns = Columns::from_names(names.iter().map(String::as_str));
                let looks_like_data = columns.known() == 0
                    && record
                        .get(0)
                        .and_then(|f| std::str::from_utf8(f).ok())
                        .is_some_and(|f| !matches!(EventType::parse(f), EventType::Other(_)));
                if looks_like_data {
                    self.pending = Some(line);
                    return Ok(Next::Columns(Box::new(Columns::from_names(CEL_CUSTOM_COLUMNS)), line));
                }
                return Ok(Next::Columns(Box::new(columns), line));
            }
            return Ok(Next::Record(line));
        }
    }
}
