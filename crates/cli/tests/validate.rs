use serde_json::Value;

use crate::util::{Dir, callfull, callfull_stdin, fixture, one_line};

#[test]
fn valid_fixtures_exit_zero_with_a_summary() {
    let files: Vec<String> = ["bitrix24/incoming_processed.json", "amocrm/outgoing_answered.json"]
        .iter()
        .map(|f| fixture(&format!("payloads/{f}")).to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["validate", "--strict"];
    args.extend(files.iter().map(String::as_str));
    let run = callfull(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr.trim(),
        "2 payloads checked (bitrix24: 1, amocrm: 1): all follow the contract (0 errors, 0 warnings)"
    );
}

#[test]
fn a_broken_payload_exits_one_and_names_rule_and_path() {
    let file = fixture("invalid/r03-state.json");
    let run = callfull(&["validate", file.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains(
            ":1: error[R03 enum-values]: call_full.conversations[\"1794899704.1841\"].channel.state: found \"hold\""
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn warnings_pass_unless_strict() {
    let file = fixture("invalid/r09-answer-before-start.json");
    let file = file.to_str().unwrap();
    let lenient = callfull(&["validate", file]);
    assert_eq!(lenient.code, 0);
    assert!(lenient.stdout.contains("warning[R09 time-order]"), "{}", lenient.stdout);
    let strict = callfull(&["validate", "--strict", file]);
    assert_eq!(strict.code, 1);
    assert!(strict.stdout.contains("error[R09 time-order]"), "{}", strict.stdout);
}

#[test]
fn crm_flag_applies_that_crms_rules() {
    let file = fixture("invalid/r04-amocrm-registration.json");
    let run = callfull(&["validate", "--crm", "amocrm", file.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[R04 crm-flavour]: call_full.registration: "), "{}", run.stdout);
    let run = callfull(&["validate", "--crm", "kommo", file.to_str().unwrap()]);
    assert_eq!(run.code, 2, "an unknown CRM is a usage error");
    assert!(run.stderr.contains("bitrix24") && run.stderr.contains("amocrm"), "{}", run.stderr);
}

#[test]
fn ndjson_on_stdin_reports_each_line_with_its_number() {
    let good = one_line("payloads/bitrix24/incoming_answered.json");
    let bad = good.replace("\"talking\"", "\"paused\"");
    let input = format!("{good}\n{bad}\n\n{good}\n");
    let run = callfull_stdin(&["validate", "-"], input.as_bytes());
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines.len() == 2 && lines.iter().all(|l| l.starts_with("<stdin>:2: error[R03")), "{}", run.stdout);
    assert!(run.stderr.contains("3 payloads checked"), "{}", run.stderr);
}

#[test]
fn json_format_prints_one_parsable_finding_per_line() {
    let dir = Dir::new();
    let good = one_line("payloads/amocrm/local_call.json");
    let array = format!("[{good},{}]", good.replace("\"is_ivr\":false", "\"is_ivr\":\"no\""));
    let file = dir.file("calls.json", array.as_bytes());
    let run = callfull(&["validate", "--format", "json", &file]);
    assert_eq!(run.code, 1);
    let findings: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f["kind"], "finding");
    assert_eq!(f["index"], 1);
    assert_eq!(f["rule"], "R01");
    assert_eq!(f["path"], "call_full.is_ivr");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["found"], "string \"no\"");
}

#[test]
fn a_bad_file_does_not_stop_the_others() {
    let dir = Dir::new();
    let bad = dir.file("bad.json", b"{\"call_full\": ");
    let good = fixture("invalid/r14-result-not-200.json");
    let run = callfull(&["validate", &bad, good.to_str().unwrap()]);
    assert_eq!(run.code, 2, "an unreadable input outranks a broken contract");
    assert!(run.stdout.contains("warning[R14 outcome]"), "{}", run.stdout);
    assert!(run.stderr.contains("bad.json: line 1, column 13: the JSON ends too early"), "{}", run.stderr);
}

#[test]
fn rules_lists_all_fourteen() {
    let run = callfull(&["rules", "--format", "json"]);
    assert_eq!(run.code, 0);
    let ids: Vec<String> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["rule"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, (1..=14).map(|n| format!("R{n:02}")).collect::<Vec<_>>());
}
