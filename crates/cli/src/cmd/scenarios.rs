//! `callfull scenarios`.

use std::io::Write;
use std::process::ExitCode;

use callfull_gen::CATALOG;

pub fn run() -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let width = CATALOG.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for scenario in CATALOG {
        writeln!(out, "{:<width$}  {}", scenario.name, scenario.summary)?;
    }
    Ok(ExitCode::SUCCESS)
}
