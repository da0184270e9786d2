//! `callfull`: the command line over the callfull libraries. It parses
//! arguments and prints; the work lives in the crates under `crates/`.

mod cli;
mod cmd;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

// Generating and validating payloads allocates many small strings; mimalloc
// makes `generate` about a third faster than the system allocator (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => cmd::validate::run(&args),
        Command::Schema(args) => cmd::schema::run(&args),
        Command::Rules(args) => cmd::rules::run(&args),
        Command::Scenarios => cmd::scenarios::run(),
        Command::Generate(args) => cmd::generate::run(&args),
        Command::Serve(args) => cmd::serve::run(&args),
        Command::Replay(args) => cmd::replay::run(&args),
        Command::Verify(args) => cmd::verify::run(&args),
        Command::FromCel(args) => cmd::from_cel::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            output::error_line(&format!("{err:#}"));
            ExitCode::from(2)
        }
    }
}
