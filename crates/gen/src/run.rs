//! A run of many calls: split into chunks made on `jobs` threads, written in
//! call order, so the bytes never depend on `--jobs`; a shard is a contiguous
//! slice of the call indices, so shards concatenated give the whole run.

use std::io::{self, Write};
use std::path::Path;

use callfull_cel::CsvWriter;
use callfull_model::CallStage;

use crate::{Generator, write_payload};

/// What to print for each call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Customization inputs, one per stage, one JSON document per line.
    Payloads {
        /// Pretty-print each document.
        pretty: bool,
    },
    /// The CEL rows as CSV with the CEL column names.
    Cel,
}

/// How many calls, which of them, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Calls in the whole run.
    pub count: u64,
    /// This shard, `(i, n)` with `1 <= i <= n`: calls `[count*(i-1)/n, count*i/n)`.
    pub shard: (u64, u64),
    /// Threads.
    pub jobs: usize,
    /// Only this stage (`None`: every stage).
    pub stage: Option<CallStage>,
    /// What to print.
    pub format: Format,
}

impl RunOptions {
    /// The call indices this shard makes.
    pub fn indices(&self) -> std::ops::Range<u64> {
        let (i, n) = self.shard;
        let n = n.max(1);
        let i = i.clamp(1, n);
        (self.count * (i - 1) / n)..(self.count * i / n)
    }
}

/// What a run made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Calls simulated.
    pub calls: u64,
    /// Payloads (or CEL rows) written.
    pub items: u64,
    /// Bytes written.
    pub bytes: u64,
}

const CHUNK: u64 = 16;

/// Renders one chunk of calls into `buf` (cleared first); returns the items written.
fn render(generator: &Generator<'_>, options: &RunOptions, range: std::ops::Range<u64>, buf: &mut Vec<u8>) -> u64 {
    buf.clear();
    let mut items = 0;
    match options.format {
        Format::Payloads { pretty } => {
            for index in range {
                generator.payloads(index, |stage, call| {
                    if options.stage.is_none_or(|s| s == stage) {
                        items += 1;
                        // Writing to a Vec cannot fail.
                        let _ = write_payload(&mut *buf, stage, call, pretty);
                    }
                });
            }
        }
        Format::Cel => {
            let mut csv = CsvWriter::continuing(&mut *buf, generator.utc_offset_secs());
            for index in range {
                for row in generator.cel(index).rows {
                    items += 1;
                    let _ = csv.write(&row);
                }
            }
            let _ = csv.finish();
        }
    }
    items
}

/// Makes the run's calls and writes them to `out` in call order.
/// `progress` is told the number of calls done after each round.
pub fn generate_to(
    generator: &Generator<'_>,
    options: &RunOptions,
    out: &mut impl Write,
    mut progress: impl FnMut(u64),
) -> io::Result<RunStats> {
    let mut stats = RunStats::default();
    if options.format == Format::Cel {
        // The header alone.
        let header = CsvWriter::new(Vec::new(), 0)?.finish()?;
        out.write_all(&header)?;
        stats.bytes += header.len() as u64;
    }
    let range = options.indices();
    let chunks: Vec<std::ops::Range<u64>> =
        (range.start..range.end).step_by(CHUNK as usize).map(|s| s..(s + CHUNK).min(range.end)).collect();
    let jobs = options.jobs.max(1).min(chunks.len().max(1));
    let mut write = |bytes: &[u8], items: u64, range: &std::ops::Range<u64>| -> io::Result<()> {
        out.write_all(bytes)?;
        stats.calls += range.end - range.start;
        stats.items += items;
        stats.bytes += bytes.len() as u64;
        progress(stats.calls);
        Ok(())
    };
    if jobs == 1 {
        let mut buf = Vec::new();
        for range in &chunks {
            let items = render(generator, options, range.clone(), &mut buf);
            write(&buf, items, range)?;
        }
        return Ok(stats);
    }
    // Workers take the next chunk from a shared counter and hand each
    // rendered buffer to this thread, which writes them in chunk order and
    // hands the buffer back. Threads live for the whole run (a thread per
    // chunk would pay for a fresh allocator heap each time), and each worker
    // has a few buffers, so it can run ahead of a slower one while memory
    // stays bounded.
    const BUFFERS_PER_WORKER: usize = 4;
    let next_chunk = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| -> io::Result<()> {
        let (done_tx, done_rx) = std::sync::mpsc::channel::<(usize, usize, Vec<u8>, u64)>();
        let mut give_back = Vec::new();
        for worker in 0..jobs {
            let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<u8>>();
            for _ in 0..BUFFERS_PER_WORKER {
                back_tx.send(Vec::new()).ok();
            }
            give_back.push(back_tx);
            let done_tx = done_tx.clone();
            let (chunks, next_chunk) = (&chunks, &next_chunk);
            scope.spawn(move || {
                while let Ok(mut buf) = back_rx.recv() {
                    let i = next_chunk.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(range) = chunks.get(i) else { return };
                    let items = render(generator, options, range.clone(), &mut buf);
                    if done_tx.send((i, worker, buf, items)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut waiting = std::collections::BTreeMap::new();
        let mut next = 0;
        for (i, worker, buf, items) in done_rx {
            waiting.insert(i, (worker, buf, items));
            while let Some((worker, buf, items)) = waiting.remove(&next) {
                // On a write error, dropping the channels stops the workers.
                write(&buf, items, &chunks[next])?;
                give_back[worker].send(buf).ok();
                next += 1;
            }
        }
        Ok(())
    })?;
    Ok(stats)
}

/// Writes one file per call and stage under `dir`:
/// `<call>-<scenario>/<n>-<stage>.json` (pretty), or `<call>-<scenario>.csv` for CEL.
pub fn generate_files(
    generator: &Generator<'_>,
    options: &RunOptions,
    dir: &Path,
    mut progress: impl FnMut(u64),
) -> io::Result<RunStats> {
    std::fs::create_dir_all(dir)?;
    let mut stats = RunStats::default();
    let width = options.count.max(1).to_string().len();
    for index in options.indices() {
        match options.format {
            Format::Cel => {
                let call = generator.cel(index);
                let path = dir.join(format!("{index:0width$}-{}.csv", call.scenario.name));
                let mut csv = CsvWriter::new(
                    std::io::BufWriter::new(std::fs::File::create(&path)?),
                    generator.utc_offset_secs(),
                )?;
                for row in &call.rows {
                    csv.write(row)?;
                    stats.items += 1;
                }
                csv.finish()?.flush()?;
            }
            Format::Payloads { pretty } => {
                let mut files = Vec::new();
                let scenario = generator.payloads(index, |stage, call| {
                    if options.stage.is_none_or(|s| s == stage) {
                        let mut buf = Vec::new();
                        let _ = write_payload(&mut buf, stage, call, pretty);
                        files.push((stage, buf));
                    }
                });
                let call_dir = dir.join(format!("{index:0width$}-{}", scenario.name));
                std::fs::create_dir_all(&call_dir)?;
                for (n, (stage, bytes)) in files.into_iter().enumerate() {
                    std::fs::write(call_dir.join(format!("{:02}-{}.json", n + 1, stage.as_str())), &bytes)?;
                    stats.items += 1;
                    stats.bytes += bytes.len() as u64;
                }
            }
        }
        stats.calls += 1;
        progress(stats.calls);
    }
    Ok(stats)
}
