//! The command line, as clap types. Each subcommand's arguments live in one
//! struct; shared option groups are flattened into them.

use std::path::PathBuf;

use callfull_model::Crm;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Contract, payloads and fake CRMs for Asterisk↔CRM connectors (call_full).
#[derive(Debug, Parser)]
#[command(name = "callfull", version, about, propagate_version = true, arg_required_else_help = true)]
#[command(after_help = "Exit codes: 0 ok, 1 a payload breaks the contract, 2 bad usage or unreadable input.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check call_full payloads against the contract (rules R01–R14).
    Validate(ValidateArgs),
    /// Print the JSON Schema (draft 2020-12) of the customization input.
    Schema(SchemaArgs),
    /// List the validator's rules with their ids.
    Rules(RulesArgs),
}

/// The CRM flavour of a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CrmArg {
    /// itgrix_bx: `deal` is always null, `entity.type` is company, contact or lead.
    Bitrix24,
    /// itgrix_amo: `registration` is always null.
    Amocrm,
    /// Decide per payload: `registration` set means Bitrix24, `deal` set means amoCRM.
    Auto,
}

impl From<CrmArg> for Crm {
    fn from(crm: CrmArg) -> Crm {
        match crm {
            CrmArg::Bitrix24 => Crm::Bitrix24,
            CrmArg::Amocrm => Crm::AmoCrm,
            CrmArg::Auto => Crm::Auto,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: one line per finding, then a summary on stderr.
    Text,
    /// For tools: one JSON object per line (findings, and input errors with "kind":"input-error").
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Input: a bare call_full object or the customization input {\"call_full\": …, \"call_stage\": …}; \
one JSON document (pretty or not), a JSON array of payloads, several documents in a row, or NDJSON \
(one payload per line, streamed).

Examples:
  callfull validate fixtures/payloads/bitrix24/incoming_answered.json
  callfull validate --crm amocrm --strict calls.ndjson
  some-connector --dump | callfull validate --format json -

Exit codes: 0 no errors, 1 a payload breaks the contract, 2 an input cannot be read or parsed.")]
pub struct ValidateArgs {
    /// Files to check; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Which CRM's rules apply (R04).
    #[arg(long, value_enum, default_value = "auto", env = "CALLFULL_CRM")]
    pub crm: CrmArg,

    /// Report warnings (the [derived] rules R07–R14, unknown keys) as errors.
    #[arg(long)]
    pub strict: bool,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// When to colour text output.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,

    /// Longest NDJSON line accepted, in bytes (a larger one is an input error).
    #[arg(long, default_value_t = 16 << 20, value_name = "BYTES")]
    pub max_line_bytes: usize,

    /// Largest whole document (pretty JSON or array) accepted, in bytes.
    #[arg(long, default_value_t = 256 << 20, value_name = "BYTES")]
    pub max_document_bytes: usize,
}

#[derive(Debug, Args)]
#[command(after_help = "\
The schema checks keys, types and values (R01–R06); the consistency rules R07–R14 need `callfull validate`.

Examples:
  callfull schema --crm bitrix24 > call_full.bitrix24.schema.json
  callfull schema --bare")]
pub struct SchemaArgs {
    /// Add the rules of one CRM (R04).
    #[arg(long, value_enum, default_value = "auto")]
    pub crm: CrmArg,

    /// Describe a bare call_full object instead of the customization input.
    #[arg(long)]
    pub bare: bool,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}
