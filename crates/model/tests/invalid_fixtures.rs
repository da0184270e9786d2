use callfull_model::{Crm, Options, Rule, Severity, validate};
use serde::Deserialize;

use crate::util::{fixtures, parse, root};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub file: String,
    pub base: String,
    pub crm: String,
    pub rule: String,
    pub path: String,
    pub severity: String,
    pub schema_rejects: bool,
    pub note: String,
}

pub fn manifest() -> Vec<Case> {
    let text = std::fs::read_to_string(root().join("fixtures/invalid/manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn each_invalid_fixture_breaks_exactly_its_rule_at_its_path() {
    let files = fixtures("invalid");
    let cases = manifest();
    assert_eq!(files.len(), cases.len(), "every file in fixtures/invalid/ has a manifest entry");
    for case in &cases {
        let (_, text) = files.iter().find(|(n, _)| *n == case.file).unwrap_or_else(|| panic!("{} missing", case.file));
        let payload = parse(&case.file, text);
        let crm: Crm = case.crm.parse().unwrap();
        let report = validate(&payload, &Options::crm(crm));
        let got: Vec<_> = report.findings.iter().map(|f| (f.rule.id(), f.path.as_str(), f.severity)).collect();
        let severity = if case.severity == "error" { Severity::Error } else { Severity::Warning };
        assert_eq!(got, [(case.rule.as_str(), case.path.as_str(), severity)], "{} ({})", case.file, case.note);

        let strict = validate(&payload, &Options::crm(crm).strict(true));
        assert_eq!(strict.findings.len(), 1, "{}", case.file);
        assert_eq!(strict.findings[0].severity, Severity::Error, "{}: strict makes warnings errors", case.file);
    }
}

#[test]
fn every_rule_has_at_least_one_invalid_fixture() {
    let cases = manifest();
    for rule in Rule::ALL {
        assert!(cases.iter().any(|c| c.rule == rule.id()), "no fixture breaks {rule}");
    }
}

#[test]
fn each_invalid_fixture_differs_from_its_valid_base() {
    for case in manifest() {
        let base = std::fs::read_to_string(root().join("fixtures/payloads").join(&case.base)).unwrap();
        let text = std::fs::read_to_string(root().join("fixtures/invalid").join(&case.file)).unwrap();
        assert_ne!(parse(&case.base, &base), parse(&case.file, &text), "{}", case.file);
    }
}
