//! The validator: every rule of the contract, reported by JSON path.
//!
//! It works on a parsed [`serde_json::Value`], not on the typed model, so that
//! one payload with a wrong type here and a bad date there yields *all* its
//! findings instead of the first serde error. Rules R01–R06 (the shape) are
//! checked in `structure.rs`, R07–R14 (consistency, **[derived]**) in
//! `consistency.rs`; the consistency rules skip any value the shape rules
//! already reported, so a finding is never reported twice.

mod consistency;
mod json;
mod structure;

use std::fmt;

use serde::Serialize;
use serde_json::Value;

pub use json::{Json, Object};

/// A rule of the contract. The ids (`R01`…`R14`) and slugs are stable: tools
/// may match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// Every key present, no other keys, every value of its type.
    Keys,
    /// Datetimes are `YYYY-MM-DD HH:MM:SS` and real dates, or the zero datetime.
    Datetime,
    /// `state`, `type` (and `call_stage`) are one of their values; `result` is an integer.
    Enums,
    /// Bitrix24: `deal` null, `entity.type` ∈ {company, contact, lead}; amoCRM: `registration` null.
    CrmFlavour,
    /// `user.phones` are strings; `entity.phones` are number objects.
    Phones,
    /// `raw` holds no null, "", 0, false, [] or {} values.
    RawNonEmpty,
    /// The main channel is primary; a conversation channel is primary only if it is the main channel.
    Primary,
    /// Conversation keys equal their channel ids; `active_conversation_id` is "" or a key.
    ConversationKeys,
    /// start ≤ answer ≤ end; `was_answered` ⇔ `answer_time` is set.
    TimeOrder,
    /// `state` agrees with the times.
    StateTimes,
    /// `variants[0] == base` and every variant ends with `base`.
    Variants,
    /// `type` agrees with `is_local` of `from` and `to`.
    CallType,
    /// `responsible.id == responsible_id`; `registration` agrees with `entity`.
    References,
    /// `is_ivr` ⇒ nothing answered; `result == 200` ⇔ something answered.
    Outcome,
}

impl Rule {
    /// All rules, by number.
    pub const ALL: [Rule; 14] = [
        Rule::Keys,
        Rule::Datetime,
        Rule::Enums,
        Rule::CrmFlavour,
        Rule::Phones,
        Rule::RawNonEmpty,
        Rule::Primary,
        Rule::ConversationKeys,
        Rule::TimeOrder,
        Rule::StateTimes,
        Rule::Variants,
        Rule::CallType,
        Rule::References,
        Rule::Outcome,
    ];

    /// The rule's number in `call_full.md` (1–14).
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The stable id: `R01` … `R14`.
    pub fn id(self) -> &'static str {
        const IDS: [&str; 14] =
            ["R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10", "R11", "R12", "R13", "R14"];
        IDS[self as usize]
    }

    /// The stable slug, e.g. `time-order`.
    pub fn slug(self) -> &'static str {
        match self {
            Rule::Keys => "keys-and-types",
            Rule::Datetime => "datetime",
            Rule::Enums => "enum-values",
            Rule::CrmFlavour => "crm-flavour",
            Rule::Phones => "phones",
            Rule::RawNonEmpty => "raw-non-empty",
            Rule::Primary => "primary-channel",
            Rule::ConversationKeys => "conversation-keys",
            Rule::TimeOrder => "time-order",
            Rule::StateTimes => "state-times",
            Rule::Variants => "number-variants",
            Rule::CallType => "call-type",
            Rule::References => "references",
            Rule::Outcome => "outcome",
        }
    }

    /// One line on what the rule asks.
    pub fn summary(self) -> &'static str {
        match self {
            Rule::Keys => "every key present, no other keys, every value of its type",
            Rule::Datetime => "datetimes are YYYY-MM-DD HH:MM:SS and real dates, or 0001-01-01 00:00:00",
            Rule::Enums => "state, type and call_stage are one of their values; result is an integer",
            Rule::CrmFlavour => {
                "Bitrix24: deal null, entity.type company|contact|lead; amoCRM: registration null, deal.type deal"
            }
            Rule::Phones => "user.phones are strings; entity.phones are number objects",
            Rule::RawNonEmpty => "raw holds no null, \"\", 0, false, [] or {} values",
            Rule::Primary => "the main channel is primary; a conversation channel is primary iff it is the main one",
            Rule::ConversationKeys => {
                "conversation keys equal their channel id; active_conversation_id is \"\" or a key"
            }
            Rule::TimeOrder => "start_time <= answer_time <= end_time where set; was_answered iff answer_time set",
            Rule::StateTimes => "ringing: no answer, no end; talking: answered, no end; ended/processed: ended",
            Rule::Variants => "variants[0] == base and every variant ends with base",
            Rule::CallType => "type agrees with is_local of from and to",
            Rule::References => "responsible.id == responsible_id; registration.entity_* agree with entity",
            Rule::Outcome => "is_ivr means nothing answered; result 200 iff a conversation was answered",
        }
    }

    /// Whether the rule is the vendor's (hard, R01–R06) or our reading of it
    /// (**[derived]**, R07–R14, warnings unless strict).
    pub fn is_derived(self) -> bool {
        self.number() >= 7
    }

    /// Looks a rule up by id (`R09`, `r9`), slug or number.
    pub fn find(name: &str) -> Option<Rule> {
        let digits = name.trim_start_matches(['R', 'r']);
        Rule::ALL.into_iter().find(|r| r.slug() == name || digits.parse::<u8>().is_ok_and(|n| n == r.number()))
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id(), self.slug())
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Suspicious, but the vendor's contract does not forbid it.
    Warning,
    /// The payload breaks the contract.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One violation: where, which rule, what was there and what should be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// JSON path, e.g. `call_full.conversations["1700000000.12"].channel.answer_time`.
    pub path: String,
    /// The rule broken.
    pub rule: Rule,
    /// Error or warning (after `strict` was applied).
    pub severity: Severity,
    /// What the payload holds there.
    pub found: String,
    /// What the contract expects there.
    pub expected: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}: found {}, expected {}", self.severity, self.rule, self.path, self.found, self.expected)
    }
}

/// Which CRM's rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Crm {
    /// Bitrix24 (itgrix_bx): `deal` is always null.
    Bitrix24,
    /// amoCRM (itgrix_amo): `registration` is always null.
    #[serde(rename = "amocrm")]
    AmoCrm,
    /// Decide per payload: `registration` set means Bitrix24, `deal` set means amoCRM.
    #[default]
    Auto,
}

impl Crm {
    /// The wire / command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            Crm::Bitrix24 => "bitrix24",
            Crm::AmoCrm => "amocrm",
            Crm::Auto => "auto",
        }
    }
}

impl std::str::FromStr for Crm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "bitrix24" | "bitrix" | "b24" => Ok(Crm::Bitrix24),
            "amocrm" | "amo" | "kommo" => Ok(Crm::AmoCrm),
            "auto" => Ok(Crm::Auto),
            _ => Err(format!("unknown CRM {s:?} (known: bitrix24, amocrm, auto)")),
        }
    }
}

/// How to validate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Which CRM's rules apply (default: decide per payload).
    pub crm: Crm,
    /// Report warnings as errors (default: off).
    pub strict: bool,
}

impl Options {
    /// Options for `crm`, not strict.
    pub fn crm(crm: Crm) -> Self {
        Options { crm, strict: false }
    }

    /// The same options with `strict` set.
    pub fn strict(self, strict: bool) -> Self {
        Options { strict, ..self }
    }
}

/// What the validator found in one payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Every finding, in the order the payload was walked.
    pub findings: Vec<Finding>,
    /// The CRM whose rules were applied (`Auto` when the payload did not tell).
    pub crm: Crm,
    /// The payload was the customization envelope (`{"call_full":…, "call_stage":…}`).
    pub envelope: bool,
}

impl Report {
    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Error).count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }

    /// No errors (warnings allowed; with `strict` they are errors already).
    pub fn is_valid(&self) -> bool {
        self.errors() == 0
    }
}

/// Validates one payload: a bare `call_full` object or the customization
/// envelope `{"call_full": …, "call_stage": …}` (recognised by its
/// `call_full` key).
pub fn validate(payload: &Value, options: &Options) -> Report {
    validate_json(&Json::from(payload), options)
}

/// [`validate`] on the validator's own tree, which parses faster than a
/// `Value` (read payloads with `PayloadReader::<_, Json>`).
pub fn validate_json(payload: &Json, options: &Options) -> Report {
    let mut report = Report::default();
    let mut walker = structure::Walker::new(&mut report.findings, options.strict);
    let call_full = match payload.get("call_full") {
        Some(call_full) => {
            report.envelope = true;
            walker.envelope_stage(payload);
            call_full
        }
        None => payload,
    };
    report.crm = walker.call_full(call_full, options.crm);
    consistency::check(call_full, &mut report.findings, options.strict);
    report
}

/// Parses `json` and validates it; `Err` when it is not JSON at all.
pub fn validate_str(json: &str, options: &Options) -> Result<Report, serde_json::Error> {
    Ok(validate_json(&serde_json::from_str(json)?, options))
}

/// A short, printable description of a JSON value for `found`.
pub(crate) fn describe(value: &Json) -> String {
    const MAX: usize = 60;
    match value {
        Json::Str(s) if s.chars().count() > MAX => {
            let cut: String = s.chars().take(MAX).collect();
            format!("{:?}… ({} chars)", cut, s.chars().count())
        }
        Json::Array(a) if a.is_empty() => "[]".into(),
        Json::Array(a) => format!("an array of {} item{}", a.len(), if a.len() == 1 { "" } else { "s" }),
        Json::Object(o) if o.is_empty() => "{}".into(),
        Json::Object(o) => format!("an object with {} key{}", o.len(), if o.len() == 1 { "" } else { "s" }),
        other => other.to_string(),
    }
}

/// [`describe`] with the JSON type named, for type errors: `integer 5`,
/// `string "5"`, `an array of 2 items`.
pub(crate) fn describe_typed(value: &Json) -> String {
    match value {
        Json::Array(_) | Json::Object(_) | Json::Null => describe(value),
        _ => format!("{} {}", value.type_name(), describe(value)),
    }
}

#[cfg(test)]
mod tests;
