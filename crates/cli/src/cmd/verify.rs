//! `callfull verify`: every breach in every journal, then a summary. A
//! journal that cannot be read is reported and the next one is checked; the
//! exit code says the worst that happened (2 unreadable, 1 a breach, 0 ok),
//! as for `validate`.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use callfull_verify::{Breach, CrmKind, Journal, JournalError, Options, Rule, SeededPhones, Severity, verify};
use callfull_world::{World, WorldSettings};
use serde_json::json;

use crate::cli::{Format, VerifyArgs, VerifyCrm};
use crate::output::{Style, plural};

#[derive(Default)]
struct Tally {
    requests: usize,
    bitrix24: usize,
    amocrm: usize,
    errors: usize,
    warnings: usize,
    input_errors: usize,
}

struct Printer<W: Write> {
    out: W,
    format: Format,
    style: Style,
}

impl<W: Write> Printer<W> {
    fn breach(&mut self, source: &str, b: &Breach) -> io::Result<()> {
        match self.format {
            Format::Text => {
                let label = format!("{}[{}]", severity_name(b.severity), b.rule);
                let label = match b.severity {
                    Severity::Error => self.style.red(&label),
                    Severity::Warning => self.style.yellow(&label),
                };
                let item = b.item.map(|i| format!(" item {i}")).unwrap_or_default();
                let at = format!("{source}: seq {}", b.seq);
                let params = if b.params.is_null() { String::new() } else { format!(" {}", b.params) };
                writeln!(
                    self.out,
                    "{}: {label}: {}{item}: {}{}",
                    self.style.dim(&at),
                    self.style.bold(&b.method),
                    b.message,
                    self.style.dim(&params)
                )
            }
            Format::Json => {
                let line = json!({
                    "kind": "breach",
                    "file": source,
                    "seq": b.seq,
                    "method": b.method,
                    "item": b.item,
                    "rule": b.rule.id(),
                    "slug": b.rule.slug(),
                    "severity": b.severity,
                    "message": b.message,
                    "params": b.params,
                    "related_seq": b.related_seq,
                });
                writeln!(self.out, "{line}")
            }
        }
    }

    fn input_error(&mut self, source: &str, err: &JournalError) -> io::Result<()> {
        self.out.flush()?;
        crate::output::error_line(&format!("{source}: {err}"));
        if self.format == Format::Json {
            let (line, column) = match err {
                JournalError::Json { line, column, .. } => (Some(*line), Some(*column)),
                _ => (None, None),
            };
            let line = json!({ "kind": "input-error", "file": source, "line": line, "column": column,
                               "message": err.to_string() });
            writeln!(self.out, "{line}")?;
        }
        Ok(())
    }
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    if args.rules {
        return rules(args.format);
    }
    let seeded = if args.seed.is_some() || args.world.is_some() {
        let settings = match &args.world {
            Some(path) => WorldSettings::load(path)?,
            None => WorldSettings::default_settings(),
        };
        Some(SeededPhones::from_world(&World::generate(&settings, args.seed.unwrap_or(1))))
    } else {
        None
    };
    let crm = match args.crm {
        VerifyCrm::Bitrix24 => Some(CrmKind::Bitrix24),
        VerifyCrm::Amocrm => Some(CrmKind::Amocrm),
        VerifyCrm::Auto => None,
    };
    let options = Options { crm, seeded };
    let mut printer = Printer {
        out: BufWriter::with_capacity(64 << 10, io::stdout().lock()),
        format: args.format,
        style: Style::for_stdout(args.color),
    };
    let mut tally = Tally::default();
    let stdin_only = [Path::new("-").to_path_buf()];
    let files = if args.files.is_empty() { &stdin_only[..] } else { &args.files[..] };
    for path in files {
        let stdin = path.as_os_str() == "-";
        let source = if stdin { "<stdin>".to_owned() } else { path.display().to_string() };
        let journal = if stdin {
            Journal::read(io::stdin().lock(), args.max_bytes)
        } else {
            match crate::cmd::validate::open(path) {
                Ok(file) => Journal::read(file, args.max_bytes),
                Err(message) => Err(JournalError::Io(io::Error::other(message))),
            }
        };
        let journal = match journal {
            Ok(journal) => journal,
            Err(err) => {
                tally.input_errors += 1;
                printer.input_error(&source, &err)?;
                continue;
            }
        };
        let mut report = verify(&journal, &options);
        if args.strict {
            for breach in &mut report.breaches {
                breach.severity = Severity::Error;
            }
        }
        tally.requests += report.requests();
        tally.bitrix24 += report.bitrix24;
        tally.amocrm += report.amocrm;
        tally.errors += report.errors();
        tally.warnings += report.warnings();
        for breach in &report.breaches {
            printer.breach(&source, breach)?;
        }
    }
    printer.out.flush()?;
    if args.format == Format::Text {
        summary(&tally, options.crm);
    }
    Ok(if tally.input_errors > 0 {
        ExitCode::from(2)
    } else if tally.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn rules(format: Format) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    for rule in Rule::ALL {
        match format {
            Format::Text => writeln!(
                out,
                "{:<11} {:<22} {:<8} {}  [{}]",
                rule.id(),
                rule.slug(),
                severity_name(rule.severity()),
                rule.summary(),
                rule.source()
            )?,
            Format::Json => writeln!(
                out,
                "{}",
                json!({ "rule": rule.id(), "slug": rule.slug(), "severity": rule.severity(),
                        "summary": rule.summary(), "source": rule.source() })
            )?,
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(t: &Tally, crm: Option<CrmKind>) {
    let style = Style::for_stderr();
    let mut line = format!("{} checked", plural(t.requests, "request"));
    let crms: Vec<String> = [("bitrix24", t.bitrix24), ("amocrm", t.amocrm)]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{name}: {n}"))
        .collect();
    if !crms.is_empty() {
        line += &format!(" ({})", crms.join(", "));
    }
    if t.requests > 0 {
        line += &if t.errors == 0 {
            style.green(": all follow the contract")
        } else {
            style.red(&format!(": {} of the contract", plural(t.errors, "breach")))
        };
    }
    let mut counts = vec![plural(t.errors, "error"), plural(t.warnings, "warning")];
    if t.input_errors > 0 {
        counts.push(plural(t.input_errors, "input error"));
    }
    line += &format!(" ({})", counts.join(", "));
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}");
    if t.requests == 0 && t.input_errors == 0 {
        let hint = match crm {
            Some(crm) => format!("the journal holds no {} request (try --crm auto)", crm.name()),
            None => "the journal is empty: export it after the connector ran (GET /_admin/journal)".into(),
        };
        let _ = writeln!(err, "hint: {hint}");
    }
}
