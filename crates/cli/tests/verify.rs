use serde_json::json;

use crate::util::{Dir, callfull, callfull_stdin};

const CALL: &str = "externalCall.ec779c3693f88501fed9eeb4936de39d.1794895200";

fn journal(entries: serde_json::Value) -> Vec<u8> {
    json!({ "entries": entries }).to_string().into_bytes()
}

fn finish(seq: u64) -> serde_json::Value {
    json!({"seq": seq, "crm": "bitrix24", "method": "telephony.externalcall.finish", "status": 200,
           "params": {"CALL_ID": CALL, "USER_ID": 15, "DURATION": 5, "STATUS_CODE": "200"}})
}

fn register(seq: u64) -> serde_json::Value {
    json!({"seq": seq, "crm": "bitrix24", "method": "telephony.externalcall.register", "status": 200,
           "params": {"USER_ID": 15, "PHONE_NUMBER": "89994864268", "TYPE": 2, "EXTERNAL_CALL_ID": "1.1"}})
}

#[test]
fn a_clean_journal_exits_zero_with_a_summary() {
    let dir = Dir::new();
    let file = dir.file("journal.json", &journal(json!([register(1), finish(2)])));
    let run = callfull(&["verify", "--crm", "bitrix24", &file]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.trim(), "2 requests checked (bitrix24: 2): all follow the contract (0 errors, 0 warnings)");
}

#[test]
fn finish_before_register_exits_one_naming_rule_seq_and_params() {
    let input = journal(json!([finish(1), register(2)]));
    let run = callfull_stdin(&["verify", "-"], &input);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!(
            "<stdin>: seq 1: error[B24-LIFE-1 registered-first]: telephony.externalcall.finish: CALL_ID {CALL} was not registered before"
        )),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&format!("{{\"CALL_ID\":\"{CALL}\"}}")), "{}", run.stdout);
    let json = callfull_stdin(&["verify", "--format", "json", "-"], &input);
    assert_eq!(json.code, 1);
    let first: serde_json::Value = serde_json::from_str(json.stdout.lines().next().unwrap()).unwrap();
    assert_eq!((first["rule"].as_str(), first["seq"].as_u64()), (Some("B24-LIFE-1"), Some(1)));
}

#[test]
fn warnings_pass_unless_strict() {
    let input = journal(json!([register(1)]));
    assert_eq!(callfull_stdin(&["verify"], &input).code, 0);
    let strict = callfull_stdin(&["verify", "--strict"], &input);
    assert_eq!(strict.code, 1);
    assert!(strict.stdout.contains("error[B24-LIFE-5 finished-at-end]"), "{}", strict.stdout);
}

#[test]
fn unreadable_journals_exit_two_and_say_why() {
    let dir = Dir::new();
    for (name, contents, needle) in [
        ("garbage.json", &b"not json"[..], "not JSON"),
        ("shape.json", b"{\"rows\": []}", "not a journal"),
        ("entry.json", b"[{\"seq\": \"x\"}]", "not a journal entry"),
    ] {
        let file = dir.file(name, contents);
        let run = callfull(&["verify", &file]);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{name}: {}", run.stderr);
    }
    let big = dir.file("big.json", &vec![b' '; 4096]);
    let run = callfull(&["verify", "--max-bytes", "100", &big]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("larger than 100 bytes"), "{}", run.stderr);
    let run = callfull(&["verify", &format!("{}/missing.json", dir.path())]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no such file"), "{}", run.stderr);
    let run = callfull(&["verify", "--crm", "kommo", "-"]);
    assert_eq!(run.code, 2, "an unknown CRM is a usage error");
}

#[test]
fn an_amocrm_call_for_a_phone_not_seeded_is_an_error_with_the_world() {
    let input = journal(json!([{"seq": 1, "crm": "amocrm", "method": "POST /calls", "status": 200,
        "params": {"_body": [{"direction": "inbound", "uniq": "1.1", "duration": 3, "source": "x", "phone": "+70000000001"}]}}]));
    let without = callfull_stdin(&["verify", "--crm", "amocrm", "-"], &input);
    assert_eq!(without.code, 0, "no evidence: a warning\n{}", without.stdout);
    assert!(without.stdout.contains("warning[AMO-CALL-3 call-known-phone]"), "{}", without.stdout);
    let with = callfull_stdin(&["verify", "--crm", "amocrm", "--seed", "7", "-"], &input);
    assert_eq!(with.code, 1, "{}", with.stdout);
    assert!(
        with.stdout.contains("error[AMO-CALL-3 call-known-phone]: POST /calls item 0: phone +70000000001"),
        "{}",
        with.stdout
    );
}

#[test]
fn rules_are_listed_with_their_sources() {
    let run = callfull(&["verify", "--rules"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("B24-LIFE-2") && run.stdout.contains("bitrix24-rest.md §4.2"), "{}", run.stdout);
    assert!(run.stdout.contains("AMO-CALL-3"), "{}", run.stdout);
}
