//! `callfull`: the command line over the callfull libraries. It parses
//! arguments and prints; the work lives in the crates under `crates/`.

mod cli;
mod cmd;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => cmd::validate::run(&args),
        Command::Schema(args) => cmd::schema::run(&args),
        Command::Rules(args) => cmd::rules::run(&args),
        Command::Scenarios => cmd::scenarios::run(),
        Command::Generate(args) => cmd::generate::run(&args),
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
