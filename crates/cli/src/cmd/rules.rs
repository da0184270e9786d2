//! `callfull rules`.

use std::io::Write;
use std::process::ExitCode;

use callfull_model::Rule;
use serde_json::json;

use crate::cli::{Format, RulesArgs};

pub fn run(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    for rule in Rule::ALL {
        let severity = if rule.is_derived() { "warning" } else { "error" };
        match args.format {
            Format::Text => writeln!(out, "{:<4} {:<18} {:<8} {}", rule.id(), rule.slug(), severity, rule.summary())?,
            Format::Json => writeln!(
                out,
                "{}",
                json!({ "rule": rule.id(), "slug": rule.slug(), "severity": severity,
                        "derived": rule.is_derived(), "summary": rule.summary() })
            )?,
        }
    }
    Ok(ExitCode::SUCCESS)
}
