//! `callfull generate`.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use callfull_gen::{Format, Generator, RunOptions, generate_files, generate_to, select_scenarios};
use callfull_world::{World, WorldSettings};

use crate::cli::GenerateArgs;

pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let scenarios = select_scenarios(&args.scenario)?;
    let settings = match &args.world {
        Some(path) => WorldSettings::load(path)?,
        None => WorldSettings::default_settings(),
    };
    let world = World::generate(&settings, args.seed);
    let generator = Generator::new(&world, args.crm.into(), args.seed, scenarios.clone()).with_mix()?;
    let options = RunOptions {
        count: args.count.unwrap_or(scenarios.len() as u64),
        shard: (args.shard.0, args.shard.1),
        jobs: args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        stage: args.stage.0,
        format: if args.cel { Format::Cel } else { Format::Payloads { pretty: args.pretty } },
    };
    match &args.out {
        Some(dir) => {
            let total = options.indices().end - options.indices().start;
            let bar = (io::stderr().is_terminal() && total >= 100).then(|| {
                let bar = indicatif::ProgressBar::new(total);
                bar.set_style(
                    indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} calls, {per_sec}, eta {eta}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            });
            let stats = generate_files(&generator, &options, dir, |done| {
                if let Some(bar) = &bar {
                    bar.set_position(done);
                }
            })
            .with_context(|| format!("writing under {}", dir.display()))?;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            eprintln!("{} calls, {} files under {} (seed {})", stats.calls, stats.items, dir.display(), args.seed);
        }
        None => {
            let stdout = io::stdout();
            let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
            generate_to(&generator, &options, &mut out, |_| {})?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
