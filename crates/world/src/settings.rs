//! World settings: how big the company is, the connector's number settings
//! and the working day, read from TOML (`fixtures/worlds/*.toml`).
//!
//! Every error names the file, the line and the field, so a typo in a
//! settings file is fixed without guessing:
//!
//! ```text
//! worlds/x.toml line 3: unknown field "employes" (known: employees, contacts, …)
//! worlds/x.toml line 2: employees: invalid type: string "many", expected usize
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use callfull_model::DateTime;

/// The embedded default settings file.
pub const DEFAULT_TOML: &str = include_str!("../../../fixtures/worlds/default.toml");

/// The largest number of employees: extensions must stay within 4 digits.
pub const MAX_EMPLOYEES: usize = 900;
/// The largest number of contacts, companies, leads or deals.
pub const MAX_CLIENTS: usize = 100_000;
/// The largest number of trunks.
pub const MAX_TRUNKS: usize = 99;

/// What the world looks like. Every field has a default, so an empty file is
/// a valid settings file; unknown fields are errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorldSettings {
    /// Employees with an extension each (default 20, at most 900).
    pub employees: usize,
    /// Contacts, the people who call (default 60).
    pub contacts: usize,
    /// Client companies (default 15).
    pub companies: usize,
    /// Bitrix24 leads: prospects not yet converted (default 20).
    pub leads: usize,
    /// amoCRM leads ("сделки"), bound to contacts or companies (default 40).
    pub deals: usize,
    /// Trunks, one DID each (default 3).
    pub trunks: usize,
    /// The connector's prefix settings, in order (default `["+7495", "8495", "+7", "7", "8"]`).
    pub prefixes: Vec<String>,
    /// Auto-replacement rules for external numbers (default one rule, `+7` → `8`).
    pub replacements: Vec<Replacement>,
    /// The PBX's time zone, hours east of UTC (default 3, Moscow).
    pub utc_offset_hours: i32,
    /// The working day calls happen on, `YYYY-MM-DD` (default `2026-11-17`).
    #[serde(deserialize_with = "date_string")]
    pub date: String,
    /// The first employee's extension; the others follow (default 101).
    pub first_extension: u32,
    /// Scenario name → weight; empty means every scenario equally often.
    pub mix: IndexMap<String, u32>,
}

/// An auto-replacement rule: an external number that starts with `from`
/// (and is longer than 4 characters) becomes `to` + the rest, in `custom`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replacement {
    /// The prefix replaced.
    pub from: String,
    /// What it is replaced with.
    pub to: String,
}

impl Replacement {
    /// The replaced form of `original`, if this rule applies to it.
    pub fn apply(&self, original: &str) -> Option<String> {
        if original.len() <= 4 || self.from.is_empty() {
            return None;
        }
        original.strip_prefix(self.from.as_str()).map(|rest| [self.to.as_str(), rest].concat())
    }
}

impl Default for WorldSettings {
    fn default() -> Self {
        WorldSettings {
            employees: 20,
            contacts: 60,
            companies: 15,
            leads: 20,
            deals: 40,
            trunks: 3,
            prefixes: ["+7495", "8495", "+7", "7", "8"].map(String::from).to_vec(),
            replacements: vec![Replacement { from: "+7".into(), to: "8".into() }],
            utc_offset_hours: 3,
            date: "2026-11-17".into(),
            first_extension: 101,
            mix: IndexMap::new(),
        }
    }
}

/// The top-level fields, in declaration order (for "known: …").
pub(crate) const FIELDS: &[&str] = &[
    "employees",
    "contacts",
    "companies",
    "leads",
    "deals",
    "trunks",
    "prefixes",
    "replacements",
    "utc_offset_hours",
    "date",
    "first_extension",
    "mix",
];
const REPLACEMENT_FIELDS: &[&str] = &["from", "to"];

/// Why a settings file was refused.
#[derive(thiserror::Error, Debug)]
#[non_exhaustive]
pub enum SettingsError {
    /// The file could not be read.
    #[error("{}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        error: std::io::Error,
    },
    /// The text is not TOML.
    #[error("{origin} line {line}: {message}")]
    Syntax {
        /// Where the text came from (a path, or a name like `<default>`).
        origin: String,
        /// 1-based line.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// A field the settings do not have (often a typo).
    #[error("{origin} line {line}: unknown field \"{field}\" (known: {})", known.join(", "))]
    UnknownField {
        /// Where the text came from.
        origin: String,
        /// 1-based line.
        line: usize,
        /// The field's path, e.g. `employes` or `replacements[0].form`.
        field: String,
        /// The fields allowed there.
        known: Vec<&'static str>,
    },
    /// A field of the wrong type or with a value out of range.
    #[error("{origin}{}: {field}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Invalid {
        /// Where the text came from.
        origin: String,
        /// 1-based line of the field, when the file sets it.
        line: Option<usize>,
        /// The field's path, e.g. `employees` or `mix.incoming`.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl SettingsError {
    /// The 1-based line the error is on, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            SettingsError::Read { .. } => None,
            SettingsError::Syntax { line, .. } | SettingsError::UnknownField { line, .. } => Some(*line),
            SettingsError::Invalid { line, .. } => *line,
        }
    }

    /// The field the error is about, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            SettingsError::UnknownField { field, .. } | SettingsError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl WorldSettings {
    /// Parses and checks settings from TOML text; `origin` names the text in
    /// errors (usually its path).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<WorldSettings, SettingsError> {
        let tree = DeTable::parse(text).map_err(|e| SettingsError::Syntax {
            origin: origin.to_owned(),
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: e.message().trim().to_owned(),
        })?;
        check_known_fields(tree.get_ref(), text, origin)?;
        let settings: WorldSettings = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_owned();
            let span = e.span();
            match span.as_ref().and_then(|s| field_at(tree.get_ref(), s)) {
                Some(field) => SettingsError::Invalid {
                    origin: origin.to_owned(),
                    line: span.map(|s| line_of(text, s.start)),
                    field,
                    message,
                },
                None => SettingsError::Syntax {
                    origin: origin.to_owned(),
                    line: span.map_or(1, |s| line_of(text, s.start)),
                    message,
                },
            }
        })?;
        settings.check().map_err(|(field, message)| {
            let top = field.split(['.', '[']).next().unwrap_or(&field);
            let line =
                tree.get_ref().iter().find(|(k, _)| k.get_ref() == top).map(|(k, _)| line_of(text, k.span().start));
            SettingsError::Invalid { origin: origin.to_owned(), line, field, message }
        })?;
        Ok(settings)
    }

    /// Reads and checks a settings file.
    pub fn load(path: &Path) -> Result<WorldSettings, SettingsError> {
        let text =
            std::fs::read_to_string(path).map_err(|error| SettingsError::Read { path: path.to_owned(), error })?;
        WorldSettings::from_toml_str(&text, &path.display().to_string())
    }

    /// The defaults, parsed from the embedded `fixtures/worlds/default.toml`
    /// (a test keeps it equal to [`WorldSettings::default`]).
    pub fn default_settings() -> WorldSettings {
        WorldSettings::from_toml_str(DEFAULT_TOML, "fixtures/worlds/default.toml").unwrap_or_default()
    }

    /// The working day as a date-time at midnight.
    pub fn day(&self) -> DateTime {
        parse_date(&self.date).unwrap_or_else(|| DateTime::parse("2026-11-17 00:00:00").unwrap_or_default())
    }

    /// The checks serde cannot do: `(field, message)` of the first failure.
    pub fn check(&self) -> Result<(), (String, String)> {
        let fail = |field: &str, message: String| Err((field.to_owned(), message));
        if !(1..=MAX_EMPLOYEES).contains(&self.employees) {
            return fail("employees", format!("{} is out of range, expected 1..={MAX_EMPLOYEES}", self.employees));
        }
        if !(1..=MAX_CLIENTS).contains(&self.contacts) {
            return fail("contacts", format!("{} is out of range, expected 1..={MAX_CLIENTS}", self.contacts));
        }
        for (field, value) in [("companies", self.companies), ("leads", self.leads), ("deals", self.deals)] {
            if value > MAX_CLIENTS {
                return fail(field, format!("{value} is out of range, expected 0..={MAX_CLIENTS}"));
            }
        }
        if !(1..=MAX_TRUNKS).contains(&self.trunks) {
            return fail("trunks", format!("{} is out of range, expected 1..={MAX_TRUNKS}", self.trunks));
        }
        let last = u64::from(self.first_extension) + self.employees as u64 - 1;
        if self.first_extension < 10 || last > 9999 {
            return fail(
                "first_extension",
                format!(
                    "extensions {}..={last} do not fit in 2 to 4 digits (first_extension 10..={})",
                    self.first_extension,
                    10_000 - self.employees
                ),
            );
        }
        for (i, prefix) in self.prefixes.iter().enumerate() {
            if prefix.is_empty() || !prefix.trim_start_matches('+').bytes().all(|b| b.is_ascii_digit()) {
                return fail(
                    &format!("prefixes[{i}]"),
                    format!("{prefix:?} is not a prefix (digits, optional leading +)"),
                );
            }
        }
        for (i, rule) in self.replacements.iter().enumerate() {
            if rule.from.is_empty() {
                return fail(&format!("replacements[{i}].from"), "must not be empty".into());
            }
        }
        if !(-12..=14).contains(&self.utc_offset_hours) {
            return fail("utc_offset_hours", format!("{} is out of range, expected -12..=14", self.utc_offset_hours));
        }
        if parse_date(&self.date).is_none() {
            return fail("date", format!("{:?} is not a date like \"2026-11-17\"", self.date));
        }
        Ok(())
    }
}

fn parse_date(date: &str) -> Option<DateTime> {
    (date.len() == 10).then(|| DateTime::parse(&format!("{date} 00:00:00")).ok()).flatten()
}

/// `date` may be written as a string or as a bare TOML date.
fn date_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match toml::Value::deserialize(d)? {
        toml::Value::String(s) => Ok(s),
        toml::Value::Datetime(dt) if dt.date.is_some() && dt.time.is_none() => Ok(dt.to_string()),
        other => Err(serde::de::Error::custom(format_args!(
            "invalid type: {}, expected a date like \"2026-11-17\"",
            other.type_str()
        ))),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset].iter().filter(|b| **b == b'\n').count() + 1
}

fn check_known_fields(tree: &DeTable<'_>, text: &str, origin: &str) -> Result<(), SettingsError> {
    let unknown = |key: &Spanned<std::borrow::Cow<'_, str>>, path: String, known: &'static [&'static str]| {
        SettingsError::UnknownField {
            origin: origin.to_owned(),
            line: line_of(text, key.span().start),
            field: path,
            known: known.to_vec(),
        }
    };
    // The first unknown key in the file, not in the map's order.
    let mut first: Option<(usize, SettingsError)> = None;
    let mut note = |start: usize, error: SettingsError| {
        if first.as_ref().is_none_or(|(s, _)| start < *s) {
            first = Some((start, error));
        }
    };
    for (key, value) in tree.iter() {
        if !FIELDS.contains(&key.get_ref().as_ref()) {
            note(key.span().start, unknown(key, key.get_ref().to_string(), FIELDS));
            continue;
        }
        if key.get_ref() != "replacements" {
            continue;
        }
        let DeValue::Array(items) = value.get_ref() else { continue };
        for (i, item) in items.iter().enumerate() {
            let DeValue::Table(table) = item.get_ref() else { continue };
            for (k, _) in table.iter().filter(|(k, _)| !REPLACEMENT_FIELDS.contains(&k.get_ref().as_ref())) {
                note(k.span().start, unknown(k, format!("replacements[{i}].{}", k.get_ref()), REPLACEMENT_FIELDS));
            }
        }
    }
    first.map_or(Ok(()), |(_, e)| Err(e))
}

/// The path of the deepest field whose key or value covers `span`.
fn field_at(tree: &DeTable<'_>, span: &Range<usize>) -> Option<String> {
    fn covers(outer: Range<usize>, inner: &Range<usize>) -> bool {
        outer.start <= inner.start && inner.end <= outer.end.max(outer.start + 1)
    }
    // Tables are searched whether or not their own span covers `span`: a
    // `[table]`'s span may be its header only.
    fn find(value: &DeValue<'_>, span: &Range<usize>) -> Option<String> {
        match value {
            DeValue::Table(table) => table.iter().find_map(|(key, value)| {
                let name = key.get_ref();
                match find(value.get_ref(), span) {
                    Some(sub) if sub.starts_with('[') => Some(format!("{name}{sub}")),
                    Some(sub) => Some(format!("{name}.{sub}")),
                    None => (covers(key.span(), span) || covers(value.span(), span)).then(|| name.to_string()),
                }
            }),
            DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| match find(item.get_ref(), span) {
                Some(sub) if sub.starts_with('[') => Some(format!("[{i}]{sub}")),
                Some(sub) => Some(format!("[{i}].{sub}")),
                None => covers(item.span(), span).then(|| format!("[{i}]")),
            }),
            _ => None,
        }
    }
    find(&DeValue::Table(tree.clone()), span)
}
