//! `callfull validate`: every payload of every input, every finding, then a
//! summary. A bad input is reported and the next one is read; the exit code
//! says the worst that happened (2 unreadable input, 1 contract broken, 0 ok).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use callfull_model::{
    Crm, Finding, InputError, Json, Limits, Options, Payload, PayloadReader, Severity, validate_json,
};
use serde_json::json;

use crate::cli::{Format, ValidateArgs};
use crate::output::{Style, plural};

#[derive(Default)]
struct Tally {
    payloads: usize,
    broken: usize,
    errors: usize,
    warnings: usize,
    input_errors: usize,
    bitrix24: usize,
    amocrm: usize,
}

struct Printer<W: Write> {
    out: W,
    format: Format,
    style: Style,
}

impl<W: Write> Printer<W> {
    fn finding(&mut self, source: &str, payload: &Payload<Json>, f: &Finding) -> io::Result<()> {
        match self.format {
            Format::Text => {
                let severity = match f.severity {
                    Severity::Error => self.style.red(&format!("error[{}]", f.rule)),
                    Severity::Warning => self.style.yellow(&format!("warning[{}]", f.rule)),
                };
                writeln!(
                    self.out,
                    "{}: {severity}: {}: found {}, expected {}",
                    self.style.dim(&location(source, payload)),
                    self.style.bold(&f.path),
                    f.found,
                    f.expected
                )
            }
            Format::Json => {
                let line = json!({
                    "kind": "finding",
                    "file": source,
                    "line": payload.line,
                    "index": payload.index,
                    "path": f.path,
                    "rule": f.rule.id(),
                    "slug": f.rule.slug(),
                    "severity": f.severity,
                    "found": f.found,
                    "expected": f.expected,
                });
                writeln!(self.out, "{line}")
            }
        }
    }

    fn input_error(&mut self, source: &str, err: &InputError) -> io::Result<()> {
        // People read errors on stderr; tools get them in the JSON stream too.
        self.out.flush()?;
        crate::output::error_line(&format!("{source}: {err}"));
        if self.format == Format::Json {
            let (line, column) = match err {
                InputError::Json { line, column, .. } | InputError::Utf8 { line, column, .. } => {
                    (Some(*line), Some(*column))
                }
                InputError::TooLarge { line, .. } => (Some(*line), None),
                InputError::ByteOrderMark => (Some(1), Some(1)),
                _ => (None, None),
            };
            let line = json!({ "kind": "input-error", "file": source, "line": line, "column": column,
                               "message": err.to_string() });
            writeln!(self.out, "{line}")?;
        }
        Ok(())
    }
}

fn location(source: &str, payload: &Payload<Json>) -> String {
    match payload.index {
        Some(i) => format!("{source}:{}[{i}]", payload.line),
        None => format!("{source}:{}", payload.line),
    }
}

pub fn run(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let options = Options { crm: args.crm.into(), strict: args.strict };
    let limits = Limits { max_line_bytes: args.max_line_bytes, max_document_bytes: args.max_document_bytes };
    let stdout = io::stdout();
    let mut printer = Printer {
        out: BufWriter::with_capacity(64 << 10, stdout.lock()),
        format: args.format,
        style: Style::for_stdout(args.color),
    };
    let mut tally = Tally::default();

    let stdin_only = [Path::new("-").to_path_buf()];
    let files = if args.files.is_empty() { &stdin_only[..] } else { &args.files[..] };
    for path in files {
        let source = path.display().to_string();
        let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
            Box::new(io::stdin().lock())
        } else {
            match open(path) {
                Ok(file) => Box::new(BufReader::with_capacity(1 << 20, file)),
                Err(message) => {
                    tally.input_errors += 1;
                    printer.input_error(&source, &InputError::Io(io::Error::other(message)))?;
                    continue;
                }
            }
        };
        let source = if path.as_os_str() == "-" { "<stdin>".to_owned() } else { source };
        for item in PayloadReader::<_, Json>::with_limits(reader, limits) {
            let payload = match item {
                Ok(payload) => payload,
                Err(err) => {
                    tally.input_errors += 1;
                    printer.input_error(&source, &err)?;
                    continue;
                }
            };
            let report = validate_json(&payload.value, &options);
            tally.payloads += 1;
            match report.crm {
                Crm::Bitrix24 => tally.bitrix24 += 1,
                Crm::AmoCrm => tally.amocrm += 1,
                Crm::Auto => {}
            }
            let errors = report.errors();
            tally.errors += errors;
            tally.warnings += report.warnings();
            tally.broken += usize::from(errors > 0);
            for finding in &report.findings {
                printer.finding(&source, &payload, finding)?;
            }
        }
    }
    printer.out.flush()?;
    if args.format == Format::Text {
        summary(&tally);
    }
    Ok(if tally.input_errors > 0 {
        ExitCode::from(2)
    } else if tally.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Opens a file for reading, or says in words why it cannot be.
pub(crate) fn open(path: &Path) -> Result<File, String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return Err("is a directory, not a file (name the files in it)".into()),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err("no such file".into()),
        Err(e) => return Err(e.to_string()),
    }
    File::open(path).map_err(|e| e.to_string())
}

fn summary(t: &Tally) {
    let style = Style::for_stderr();
    let mut line = format!("{} checked", plural(t.payloads, "payload"));
    let crms: Vec<String> = [("bitrix24", t.bitrix24), ("amocrm", t.amocrm)]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{name}: {n}"))
        .collect();
    if !crms.is_empty() {
        line += &format!(" ({})", crms.join(", "));
    }
    let verdict = if t.payloads == 0 {
        String::new()
    } else if t.broken == 0 {
        style.green(": all follow the contract")
    } else {
        style.red(&format!(
            ": {} the contract",
            if t.broken == 1 { "1 breaks".to_owned() } else { format!("{} break", t.broken) }
        ))
    };
    line += &verdict;
    let mut counts = vec![plural(t.errors, "error"), plural(t.warnings, "warning")];
    if t.input_errors > 0 {
        counts.push(plural(t.input_errors, "input error"));
    }
    line += &format!(" ({})", counts.join(", "));
    let _ = writeln!(io::stderr().lock(), "{line}");
}
