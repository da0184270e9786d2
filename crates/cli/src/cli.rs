//! The command line, as clap types. Each subcommand's arguments live in one
//! struct; shared option groups are flattened into them.

use std::path::PathBuf;

use callfull_model::{CallStage, Crm};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Contract, payloads and fake CRMs for Asterisk↔CRM connectors (call_full).
#[derive(Debug, Parser)]
#[command(name = "callfull", version, about, propagate_version = true, arg_required_else_help = true)]
#[command(
    after_help = "Exit codes: 0 ok, 1 a payload (verify: a request) breaks the contract (replay: a call failed), 2 bad usage or unreadable input."
)]
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
    /// List the scenario catalog, one line each.
    Scenarios,
    /// Generate realistic calls: call_full at every stage (NDJSON), or their CEL.
    Generate(GenerateArgs),
    /// Serve a fake Bitrix24 REST portal and amoCRM API v4 account over the seeded world.
    Serve(ServeArgs),
    /// Replay a connector: make each call's CRM requests and print call_full filled from the answers.
    Replay(ReplayArgs),
    /// Check a connector's real CRM traffic (the fake's /_admin/journal) against the vendor contract.
    Verify(VerifyArgs),
    /// Turn a real CEL export (CSV, psql, MySQL or PostgreSQL dump) into call_full at every stage.
    FromCel(FromCelArgs),
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

/// The CRM a generated payload is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenCrm {
    /// itgrix_bx: registration set, deal null.
    Bitrix24,
    /// itgrix_amo: deal set, registration null.
    Amocrm,
}

impl From<GenCrm> for Crm {
    fn from(crm: GenCrm) -> Crm {
        match crm {
            GenCrm::Bitrix24 => Crm::Bitrix24,
            GenCrm::Amocrm => Crm::AmoCrm,
        }
    }
}

/// A stage, or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageArg(pub Option<CallStage>);

impl std::str::FromStr for StageArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "all" {
            return Ok(StageArg(None));
        }
        s.parse::<CallStage>().map(|st| StageArg(Some(st))).map_err(|e| format!("{e}, or all"))
    }
}

/// `I/N`: this machine makes the I-th of N equal slices of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard(pub u64, pub u64);

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not I/N with 1 <= I <= N (e.g. 2/4)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (i, n): (u64, u64) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if n == 0 || i == 0 || i > n {
            return Err(bad());
        }
        Ok(Shard(i, n))
    }
}

#[derive(Debug, Args)]
#[command(after_help = "\
Each call is simulated on a PBX (CEL rows as Asterisk 17+ writes them), then assembled into
call_full at each stage: conversation_requested, conversation_accepted, conversation_ended, call_ended.
The same seed and world give the same bytes, whatever --jobs and --shard.

Examples:
  callfull generate --scenario incoming_answered --crm amocrm --pretty
  callfull generate --count 100000 --seed 42 > calls.ndjson
  callfull generate --scenario outgoing_busy --cel
  callfull generate --count 1000 --out payloads/ --stage call_ended")]
pub struct GenerateArgs {
    /// Scenarios to use (see `callfull scenarios`), comma-separated or repeated; `all` for every one.
    #[arg(long, value_name = "NAME", value_delimiter = ',', default_value = "all")]
    pub scenario: Vec<String>,

    /// Which CRM's payloads.
    #[arg(long, value_enum, default_value = "bitrix24", env = "CALLFULL_CRM")]
    pub crm: GenCrm,

    /// Only this stage: conversation_requested, conversation_accepted, conversation_ended, call_ended, or all.
    #[arg(long, value_name = "STAGE", default_value = "all")]
    pub stage: StageArg,

    /// Number of calls (default: one per selected scenario). With several
    /// scenarios the calls cycle through them, or follow the world's mix.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// The seed: same seed, same world, same calls.
    #[arg(long, value_name = "SEED", default_value_t = 1, env = "CALLFULL_SEED")]
    pub seed: u64,

    /// World settings (TOML, see fixtures/worlds/); default: the built-in world.
    #[arg(long, value_name = "FILE")]
    pub world: Option<PathBuf>,

    /// Pretty-print each payload.
    #[arg(long)]
    pub pretty: bool,

    /// Write one file per call and stage under DIR instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Print the calls' CEL rows as CSV (CEL column names) instead of payloads.
    #[arg(long)]
    pub cel: bool,

    /// Threads (default: all cores). Does not change the output.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Make only slice I of N of the run (for splitting a large run across machines).
    #[arg(long, value_name = "I/N", default_value = "1/1")]
    pub shard: Shard,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Prints the Bitrix24 webhook URL, the access token for /rest/<method>?auth=…, and the admin URL
(GET /_admin/info returns them as JSON), then serves until Ctrl-C.

With --tls it serves HTTPS with a certificate made at start for localhost, 127.0.0.1 and ::1, and
writes its CA to a file (printed): an unmodified https client trusts it with
REQUESTS_CA_BUNDLE=FILE (Python requests) or SSL_CERT_FILE=FILE (OpenSSL-based clients).

Examples:
  callfull serve
  callfull serve --port 0 --seed 42
  curl http://127.0.0.1:8080/rest/<user>/<code>/user.get.json   (the webhook URL it prints)
  callfull serve --tls --tls-ca ca.pem
  REQUESTS_CA_BUNDLE=ca.pem python3 my_connector.py   (with the https webhook URL it prints)")]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", value_name = "HOST")]
    pub host: std::net::IpAddr,

    /// Port to listen on (0: any free port, printed at start).
    #[arg(long, default_value_t = 8080, value_name = "PORT")]
    pub port: u16,

    /// The seed of the world served.
    #[arg(long, value_name = "SEED", default_value_t = 1, env = "CALLFULL_SEED")]
    pub seed: u64,

    /// World settings (TOML); default: the built-in world.
    #[arg(long, value_name = "FILE")]
    pub world: Option<PathBuf>,

    /// Turn the rate limits off (on by default: Bitrix24's leaky bucket, 50 burst, 2/s;
    /// amoCRM's 7 requests a second).
    #[arg(long)]
    pub no_rate_limit: bool,

    /// Freeze the server clock at this Unix time (seconds); it then moves only
    /// by `POST /_admin/clock`. Answers that carry the time (CALL_ID, new
    /// records) are then the same run after run. Frozen, the rate limits
    /// never refill: use with --no-rate-limit.
    #[arg(long, value_name = "UNIX_SECS")]
    pub clock_at: Option<i64>,

    /// Keep the CRM state in FILE across restarts: read at start if it exists,
    /// written (atomically, flushed to disk) before each write is answered.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Which fake CRMs answer: Bitrix24 under /rest, amoCRM under /api/v4.
    #[arg(long, value_enum, default_value = "both", value_name = "CRM")]
    pub crm: CrmChoice,

    /// amoCRM: the account's paid period is over, every API call answers 402.
    #[arg(long)]
    pub amo_payment_required: bool,

    /// Open the admin API (`/_admin`) to clients off this machine that send
    /// TOKEN in the `X-Callfull-Admin-Token` header (loopback clients need none).
    #[arg(long, value_name = "TOKEN", env = "CALLFULL_ADMIN_TOKEN")]
    pub admin_token: Option<String>,

    /// Bitrix24: telephony methods refuse incoming webhooks (403
    /// `WRONG_AUTH_TYPE`), as the current docs say; by default webhooks work,
    /// as on portals in production.
    #[arg(long)]
    pub b24_telephony_app_only: bool,

    /// Bitrix24: the `error` code of telephony validation errors (the server
    /// answers `""`; the docs list `ERROR_CORE`).
    #[arg(long, value_name = "CODE", default_value = "")]
    pub b24_telephony_error_code: String,

    /// Bitrix24: the HTTP status of `INVALID_CREDENTIALS` for a wrong webhook
    /// code: 401 as seen on a portal, or 403 as the docs say.
    #[arg(long, value_name = "STATUS", default_value_t = 401, value_parser = webhook_status)]
    pub b24_wrong_webhook_status: u16,

    /// Serve HTTPS with a certificate made at start (new keys each run) for
    /// localhost, 127.0.0.1, ::1 and --host; its CA goes to --tls-ca.
    #[arg(long)]
    pub tls: bool,

    /// Where --tls writes the CA certificate (PEM) clients must trust
    /// [default: callfull-ca.pem in the system's temporary directory].
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub tls_ca: Option<PathBuf>,
}

/// `--b24-wrong-webhook-status`: the two statuses seen for a wrong webhook code.
fn webhook_status(text: &str) -> Result<u16, String> {
    match text {
        "401" => Ok(401),
        "403" => Ok(403),
        _ => Err("401 (as seen on a portal) or 403 (as the docs say)".into()),
    }
}

/// `serve --crm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CrmChoice {
    /// Bitrix24 and amoCRM on the same port.
    Both,
    /// Bitrix24 only.
    Bitrix24,
    /// amoCRM only.
    Amocrm,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Every call is generated as `callfull generate` makes it; at each stage the requests a connector makes
go to the CRM (docs/replay.md lists them), and registration, entity and deal come from its answers.
Output: the customization input of every stage, one per line, as `generate` prints it. A failed request
ends its call (reported, with the request and why); the next call goes on. The summary goes to stderr.

Against `callfull serve` the credentials are read from its /_admin/info when --webhook and --token are
not given. For the same bytes run after run, serve with a frozen clock and no rate limit:
  callfull serve --port 8080 --seed 42 --no-rate-limit --clock-at 1794895200

Examples:
  callfull replay --crm bitrix24 --url http://127.0.0.1:8080 --seed 42 --count 100
  callfull replay --crm amocrm --url https://example.amocrm.ru --token \"$AMO_TOKEN\" --scenario incoming_missed
  callfull replay --url https://example.bitrix24.ru --webhook https://example.bitrix24.ru/rest/1/abc/

Exit codes: 0 every call replayed, 1 some call failed (or the CRM could not be reached), 2 bad usage.")]
pub struct ReplayArgs {
    /// Which CRM the URL is.
    #[arg(long, value_enum, default_value = "bitrix24", env = "CALLFULL_CRM")]
    pub crm: GenCrm,

    /// The CRM's base URL (`http://127.0.0.1:8080` for callfull serve, `https://portal.bitrix24.ru`, `https://sub.amocrm.ru`).
    #[arg(long, value_name = "URL")]
    pub url: String,

    /// Bitrix24 incoming webhook: a full URL, or its path under --url (`/rest/1/abc/`).
    #[arg(long, value_name = "URL", conflicts_with = "token")]
    pub webhook: Option<String>,

    /// Access token (Bitrix24 OAuth, sent as `auth`; amoCRM long-lived or OAuth, as a Bearer token).
    #[arg(long, value_name = "TOKEN", env = "CALLFULL_CRM_TOKEN")]
    pub token: Option<String>,

    /// Scenarios to use (see `callfull scenarios`), comma-separated or repeated; `all` for every one.
    #[arg(long, value_name = "NAME", value_delimiter = ',', default_value = "all")]
    pub scenario: Vec<String>,

    /// Number of calls (default: one per selected scenario).
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// The index of the first call (to replay one call of a run again: --first I --count 1).
    #[arg(long, value_name = "I", default_value_t = 0)]
    pub first: u64,

    /// The seed: same seed, same calls (serve the fake with the same one).
    #[arg(long, value_name = "SEED", default_value_t = 1, env = "CALLFULL_SEED")]
    pub seed: u64,

    /// World settings (TOML): the PBX's extensions, trunks and prefixes; default: the built-in world.
    #[arg(long, value_name = "FILE")]
    pub world: Option<PathBuf>,

    /// Only print this stage: conversation_requested, conversation_accepted, conversation_ended, call_ended, or all.
    #[arg(long, value_name = "STAGE", default_value = "all")]
    pub stage: StageArg,

    /// Pretty-print each payload.
    #[arg(long)]
    pub pretty: bool,

    /// Longest wait for one answer, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,

    /// Retries of a request the CRM rate-limits (Bitrix24 503 QUERY_LIMIT_EXCEEDED, amoCRM 429), backing off 0.5 s, 1 s, 2 s … 8 s.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub retries: u32,

    /// Also trust the CA certificates in this PEM file (`callfull serve --tls` writes one).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// amoCRM: do not create a contact for an unknown number (the call goes to unsorted instead).
    #[arg(long)]
    pub amo_no_contact: bool,

    /// amoCRM: create no lead with a new contact.
    #[arg(long)]
    pub amo_no_lead: bool,

    /// amoCRM: a missed call from an unknown number creates a contact and lead, not an unsorted entry.
    #[arg(long)]
    pub amo_no_unsorted: bool,
}

/// `verify --crm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyCrm {
    /// Only the Bitrix24 requests (`/rest/…`, and the portal's event deliveries).
    Bitrix24,
    /// Only the amoCRM requests (`/api/v4/…`).
    Amocrm,
    /// Every request in the journal, each by its CRM's rules.
    Auto,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Input: the JSON of GET /_admin/journal ({\"entries\": […]}), a bare array of entries, or JSON Lines (one
entry per line). Each breach names its rule (`--rules` lists them, docs/verify.md cites their sources),
the request (seq and method) and the offending parameters. The fake's journal keeps the CALL_ID each
register handed out; in a journal without it the CALL_ID is inferred from the order of requests
(docs/ASSUMPTIONS.md, A-VERIFY-1).

amoCRM calls must go to a phone some contact or company has: give the world the fake was seeded with
(--seed, --world, as given to `callfull serve`) to check it against the seeded cards; without them only
what the journal shows (searches, created contacts) counts, and the rest is a warning.

Examples:
  curl -s http://127.0.0.1:8080/_admin/journal > journal.json
  callfull verify --crm bitrix24 journal.json
  curl -s http://127.0.0.1:8080/_admin/journal | callfull verify --crm amocrm --seed 42 -
  callfull verify --format json --strict journal.json

Exit codes: 0 no errors, 1 a request breaks the contract, 2 the journal cannot be read or parsed.")]
pub struct VerifyArgs {
    /// Journals to check; `-` or nothing reads standard input.
    #[arg(value_name = "JOURNAL")]
    pub files: Vec<PathBuf>,

    /// Which CRM's requests to check.
    #[arg(long, value_enum, default_value = "auto", env = "CALLFULL_CRM")]
    pub crm: VerifyCrm,

    /// The seed the fake was served with: its amoCRM contacts' and companies' phones are known.
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,

    /// The world settings the fake was served with (TOML); implies the seed 1 unless --seed.
    #[arg(long, value_name = "FILE")]
    pub world: Option<PathBuf>,

    /// Report warnings as errors.
    #[arg(long)]
    pub strict: bool,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// When to colour text output.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,

    /// Largest journal accepted, in bytes.
    #[arg(long, default_value_t = callfull_verify::DEFAULT_MAX_BYTES, value_name = "BYTES")]
    pub max_bytes: usize,

    /// List the rules (id, slug, severity, source) and exit.
    #[arg(long, conflicts_with = "files")]
    pub rules: bool,
}

/// `from-cel --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CelFormat {
    /// Decide from the first bytes of each input.
    Auto,
    /// CSV with a header naming CEL columns (any subset, any order), or headerless cel_custom CSV.
    Csv,
    /// psql table output (`|`-separated, with or without the `---+---` rule).
    Psql,
    /// A MySQL/MariaDB dump (`INSERT INTO cel … VALUES (…),(…)`).
    Mysql,
    /// A PostgreSQL dump (`COPY cel (…) FROM stdin`).
    PgCopy,
}

/// `from-cel --event-numbers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventNumbersArg {
    /// Asterisk 12 and later: BRIDGE_ENTER 7, PARK_START 9, … DTMF 21.
    #[value(name = "12")]
    Asterisk12,
    /// Asterisk 1.8 and 11: BRIDGE_START 7, PARK_START 11, … FORWARD 25.
    #[value(name = "11")]
    Asterisk11,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Rows are grouped into calls by linkedid (linkedids that share a channel, as after a transfer or a
park retrieval, are one call), ordered by time and id, and each call is assembled and printed as soon
as it is over: at its LINKEDID_END, or once all its channels ended and --quiet seconds of event time
passed. Output: as `callfull generate` prints it, one customization input per line. Users and CRM
entities come from the world (--world, --seed), looked up by number.

A broken row is reported on stderr with its line and skipped; the summary counts them (--strict stops
at the first). A header without an eventtype, uniqueid or linkedid column is refused.

Examples:
  callfull from-cel cel.csv --tz +03:00 --stage call_ended
  mysqldump asteriskcdrdb cel | callfull from-cel --crm amocrm -
  psql -c 'select * from cel' asterisk | callfull from-cel --trunk-pattern 'mts*,beeline*' -
  callfull generate --cel --seed 7 | callfull from-cel --seed 7 -   (the same payloads as generate)

Exit codes: 0 every row imported, 2 bad usage, an unreadable input, or some rows skipped.")]
pub struct FromCelArgs {
    /// CEL exports to read, in order, as one stream; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Input format.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: CelFormat,

    /// Which CRM's payloads.
    #[arg(long, value_enum, default_value = "bitrix24", env = "CALLFULL_CRM")]
    pub crm: GenCrm,

    /// Only this stage: conversation_requested, conversation_accepted, conversation_ended, call_ended, or all.
    #[arg(long, value_name = "STAGE", default_value = "all")]
    pub stage: StageArg,

    /// World settings (TOML): extensions, trunks, prefixes, users, clients; default: the built-in world.
    #[arg(long, value_name = "FILE")]
    pub world: Option<PathBuf>,

    /// The world's seed (same seed as `generate` gives the same users, clients and CRM ids).
    #[arg(long, value_name = "SEED", default_value_t = 1, env = "CALLFULL_SEED")]
    pub seed: u64,

    /// The Asterisk server's zone, a UTC offset (`+03:00`, `-4`, `UTC`) or an IANA name
    /// (`Europe/Moscow`): times without a zone are read in it, payload times printed in it, at
    /// the offset in force then [default: the world's utc_offset_hours].
    #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
    pub tz: Option<String>,

    /// Numbers that are extensions, besides the world's (comma-separated; `_1XXX` dialplan
    /// patterns or `*` globs).
    #[arg(long, value_name = "PATTERNS", default_value = "")]
    pub extension_pattern: String,

    /// Channel endpoints that are trunks, besides the world's (comma-separated globs or `_` patterns;
    /// `trunk` of `SIP/trunk-00000028`).
    #[arg(long, value_name = "PATTERNS", default_value = "*trunk*")]
    pub trunk_pattern: String,

    /// Dialplan contexts of incoming trunk channels (comma-separated globs): a channel whose first
    /// row is in one is a trunk whatever its endpoint's name.
    #[arg(long, value_name = "PATTERNS", default_value = "from-trunk*,from-pstn*,from-extern*")]
    pub trunk_context: String,

    /// Seconds of event time a call whose channels all ended waits for more rows (exports without LINKEDID_END).
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub quiet: f64,

    /// How integer `eventtype` columns are numbered: 12 (Asterisk 12+) or 11 (Asterisk 1.8/11, whose
    /// BRIDGE_START, CONF_*, TRANSFER… are kept under their names). Names are read the same either way.
    #[arg(long, value_enum, value_name = "VERSION", default_value = "12")]
    pub event_numbers: EventNumbersArg,

    /// Stop at the first broken row.
    #[arg(long)]
    pub strict: bool,

    /// Pretty-print each payload.
    #[arg(long)]
    pub pretty: bool,
}
