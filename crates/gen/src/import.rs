//! Real CEL in, `call_full` out: rows from a user's export are read
//! ([`CelReader`]), grouped into calls ([`Grouper`]) and assembled with the
//! generator's assembler, and each call's payloads printed as `generate`
//! prints them, as soon as the call is over.

use std::io::{self, BufRead, Write};

use callfull_cel::{
    Assembler, CelEvent, CelReader, EventNumbers, Grouper, InputFormat, Lookup, MemoLookup, ReadError, Zone,
};
use callfull_model::{CallStage, Crm};

use crate::write_payload;

/// How to read and what to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// The input format ([`InputFormat::Auto`] sniffs each input).
    pub format: InputFormat,
    /// The Asterisk server's zone: local times are read in it and payload
    /// times printed in it, at the offset in force at each time.
    pub zone: Zone,
    /// How integer `eventtype` columns are numbered.
    pub event_numbers: EventNumbers,
    /// Only this stage (`None`: every stage).
    pub stage: Option<CallStage>,
    /// Pretty-print each payload.
    pub pretty: bool,
    /// Stop at the first broken row instead of skipping it.
    pub strict: bool,
    /// The grouper's quiet period, microseconds of event time.
    pub quiet_micros: i64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            format: InputFormat::Auto,
            zone: Zone::utc(),
            event_numbers: EventNumbers::Asterisk12,
            stage: None,
            pretty: false,
            strict: false,
            quiet_micros: 10_000_000,
        }
    }
}

/// What an import read and printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// Rows read.
    pub rows: u64,
    /// Broken rows skipped.
    pub broken: u64,
    /// Calls assembled.
    pub calls: u64,
    /// Payloads printed.
    pub payloads: u64,
    /// Linkedid merges followed.
    pub merges: u64,
    /// The most calls in progress at once.
    pub peak_in_progress: usize,
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The input could not be read (or, with `strict`, a row was broken).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Writing the payloads failed.
    #[error("writing payloads: {0}")]
    Write(#[from] io::Error),
}

/// Reads CEL inputs one after another (one stream of rows: a call may span
/// two files) and prints every call's payloads once it is over.
pub struct Importer<'l, L: Lookup + ?Sized> {
    /// The calls of an export keep meeting the same numbers.
    lookup: MemoLookup<'l, L>,
    crm: Crm,
    grouper: Grouper,
    options: ImportOptions,
    stats: ImportStats,
    buf: Vec<u8>,
}

impl<'l, L: Lookup + ?Sized> Importer<'l, L> {
    /// An importer for `crm` over `lookup`.
    pub fn new(lookup: &'l L, crm: Crm, options: ImportOptions) -> Self {
        Importer {
            lookup: MemoLookup::new(lookup),
            crm,
            grouper: Grouper::new().quiet(options.quiet_micros),
            options,
            stats: ImportStats::default(),
            buf: Vec::with_capacity(64 << 10),
        }
    }

    /// Reads one input named `name`; broken rows go to `on_broken_row` and are
    /// skipped (or, with `strict`, end the import).
    pub fn read<R: BufRead>(
        &mut self,
        input: R,
        name: &str,
        out: &mut impl Write,
        mut on_broken_row: impl FnMut(&ReadError),
    ) -> Result<(), ImportError> {
        let mut reader = CelReader::open(input, name, self.options.format, 0)?
            .event_numbers(self.options.event_numbers)
            .zone(self.options.zone.clone())
            .assembler_columns_only();
        // Each row is built here and moved once, into its call.
        let mut row = CelEvent::default();
        while let Some(result) = reader.next_into(&mut row) {
            match result {
                Ok(()) => {
                    self.stats.rows += 1;
                    self.grouper.push(std::mem::take(&mut row));
                    self.drain(out)?;
                }
                Err(e) if e.is_fatal() || self.options.strict => return Err(e.into()),
                Err(e) => {
                    self.stats.broken += 1;
                    on_broken_row(&e);
                }
            }
        }
        Ok(())
    }

    /// Ends the input: the calls still in progress are printed.
    pub fn finish(&mut self, out: &mut impl Write) -> Result<ImportStats, ImportError> {
        self.grouper.finish();
        self.drain(out)?;
        let grouped = self.grouper.stats();
        self.stats.merges = grouped.merges;
        self.stats.peak_in_progress = grouped.peak_in_progress;
        Ok(self.stats)
    }

    fn drain(&mut self, out: &mut impl Write) -> Result<(), ImportError> {
        while let Some(rows) = self.grouper.pop() {
            self.buf.clear();
            let (stage, pretty) = (self.options.stage, self.options.pretty);
            let buf = &mut self.buf;
            let mut payloads = 0;
            // A group always has rows, so the assembler always has a call.
            let assembler = Assembler::in_zone(&self.lookup, self.crm, &self.options.zone).only(stage);
            let _ = assembler.assemble(&rows, |s, call| {
                payloads += 1;
                // Writing to a Vec cannot fail.
                let _ = write_payload(buf, s, call, pretty);
            });
            self.stats.calls += 1;
            self.stats.payloads += payloads;
            out.write_all(&self.buf)?;
        }
        Ok(())
    }
}
