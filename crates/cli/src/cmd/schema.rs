//! `callfull schema`.

use std::io::Write;
use std::process::ExitCode;

use callfull_model::{call_full_schema, customization_input_schema};

use crate::cli::SchemaArgs;

pub fn run(args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    let schema =
        if args.bare { call_full_schema(args.crm.into()) } else { customization_input_schema(args.crm.into()) };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &schema)?;
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
}
