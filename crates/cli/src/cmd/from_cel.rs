//! `callfull from-cel`.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use callfull_cel::{EventNumbers, InputFormat, Pattern, PatternLookup, Zone};
use callfull_gen::{ImportOptions, Importer, WorldLookup};
use callfull_world::{World, WorldSettings};

use crate::cli::{CelFormat, EventNumbersArg, FromCelArgs};
use crate::output::plural;

/// Broken rows reported one by one; the rest are only counted.
const REPORTED_ROWS: u64 = 50;

pub fn run(args: &FromCelArgs) -> anyhow::Result<ExitCode> {
    let settings = match &args.world {
        Some(path) => WorldSettings::load(path)?,
        None => WorldSettings::default_settings(),
    };
    let world = World::generate(&settings, args.seed);
    let zone = match &args.tz {
        Some(tz) => Zone::parse(tz).map_err(|why| anyhow::anyhow!("--tz {why}"))?,
        None => Zone::fixed(i64::from(world.settings.utc_offset_hours) * 3600),
    };
    if !(args.quiet.is_finite() && args.quiet >= 0.0) {
        bail!("--quiet {} is not a number of seconds", args.quiet);
    }
    let crm = args.crm.into();
    let lookup = PatternLookup::new(
        WorldLookup::new(&world, crm, args.seed),
        Pattern::list(&args.extension_pattern),
        Pattern::list(&args.trunk_pattern),
    )
    .trunk_contexts(Pattern::list(&args.trunk_context));
    let options = ImportOptions {
        format: match args.format {
            CelFormat::Auto => InputFormat::Auto,
            CelFormat::Csv => InputFormat::Csv,
            CelFormat::Psql => InputFormat::Psql,
            CelFormat::Mysql => InputFormat::Mysql,
            CelFormat::PgCopy => InputFormat::PgCopy,
        },
        zone,
        event_numbers: match args.event_numbers {
            EventNumbersArg::Asterisk12 => EventNumbers::Asterisk12,
            EventNumbersArg::Asterisk11 => EventNumbers::Asterisk11,
        },
        stage: args.stage.0,
        pretty: args.pretty,
        strict: args.strict,
        quiet_micros: (args.quiet * 1e6) as i64,
    };
    let mut importer = Importer::new(&lookup, crm, options);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut reported = 0u64;
    let mut report = |e: &callfull_cel::ReadError| {
        reported += 1;
        if reported <= REPORTED_ROWS {
            eprintln!("skipped: {e}");
        } else if reported == REPORTED_ROWS + 1 {
            eprintln!("skipped: … (further broken rows only counted)");
        }
    };
    let stdin_only = args.files.is_empty() || args.files.iter().all(|f| f == Path::new("-"));
    if stdin_only {
        let stdin = io::stdin();
        importer.read(stdin.lock(), "<stdin>", &mut out, &mut report)?;
    } else {
        for path in &args.files {
            if path == Path::new("-") {
                importer.read(io::stdin().lock(), "<stdin>", &mut out, &mut report)?;
                continue;
            }
            let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
            let name = path.display().to_string();
            importer.read(BufReader::with_capacity(1 << 20, file), &name, &mut out, &mut report)?;
        }
    }
    let stats = importer.finish(&mut out)?;
    out.flush()?;
    let mut summary = format!(
        "{}, {}, {}",
        plural(stats.rows as usize, "row"),
        plural(stats.calls as usize, "call"),
        plural(stats.payloads as usize, "payload")
    );
    if stats.broken > 0 {
        summary.push_str(&format!(", {} skipped", plural(stats.broken as usize, "broken row")));
    }
    eprintln!("{summary}");
    if stats.calls == 0 {
        eprintln!("no call found: check --format, and that the rows have eventtype, uniqueid and linkedid values");
    }
    Ok(if stats.broken > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
