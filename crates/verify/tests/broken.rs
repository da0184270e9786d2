//! Hand-made journals of a broken connector: each breach is caught with its
//! rule, at the request that made it.

use callfull_verify::{Journal, Options, Report, SeededPhones, Severity, verify};
use serde_json::{Value, json};

const CALL: &str = "externalCall.ec779c3693f88501fed9eeb4936de39d.1794895200";
const T: i64 = 1_794_895_200_000_000;

fn b24(seq: u64, method: &str, params: Value) -> Value {
    json!({"seq": seq, "time_micros": T, "crm": "bitrix24", "method": method, "auth": "webhook",
           "params": params, "status": 200, "error": null})
}

fn amo(seq: u64, method: &str, params: Value, status: u16) -> Value {
    json!({"seq": seq, "time_micros": T, "crm": "amocrm", "method": method, "auth": "bearer",
           "params": params, "status": status, "error": null})
}

fn register(seq: u64) -> Value {
    b24(
        seq,
        "telephony.externalcall.register",
        json!({"USER_ID": 15, "PHONE_NUMBER": "89994864268", "TYPE": 2, "CALL_START_DATE": "2026-11-17T09:00:12+03:00",
               "CRM_CREATE": 1, "SHOW": 0, "EXTERNAL_CALL_ID": "1794895212.1000", "LINE_NUMBER": "84954013302"}),
    )
}

fn show(seq: u64) -> Value {
    b24(seq, "telephony.externalcall.show", json!({"CALL_ID": CALL, "USER_ID": 15}))
}

fn finish(seq: u64) -> Value {
    b24(
        seq,
        "telephony.externalcall.finish",
        json!({"CALL_ID": CALL, "USER_ID": 15, "DURATION": 242, "STATUS_CODE": "200"}),
    )
}

fn attach(seq: u64) -> Value {
    b24(
        seq,
        "telephony.externalcall.attachrecord",
        json!({"CALL_ID": CALL, "FILENAME": "in.mp3", "RECORD_URL": "https://pbx.example/in.mp3"}),
    )
}

fn run(entries: Vec<Value>) -> Report {
    run_with(entries, Options::default())
}

fn run_with(entries: Vec<Value>, options: Options) -> Report {
    let text = json!({ "entries": entries }).to_string();
    verify(&Journal::parse(text.as_bytes()).unwrap(), &options)
}

/// `(rule id, seq, severity)` of every breach.
fn found(report: &Report) -> Vec<(&'static str, u64, Severity)> {
    report.breaches.iter().map(|b| (b.rule.id(), b.seq, b.severity)).collect()
}

fn only(report: &Report, rule: &str, seq: u64) {
    assert_eq!(found(report), vec![(rule_id(rule), seq, Severity::Error)], "{:#?}", report.breaches);
}

fn rule_id(id: &str) -> &'static str {
    callfull_verify::Rule::ALL.iter().find(|r| r.id() == id).map(|r| r.id()).unwrap()
}

fn has(report: &Report, rule: &str, seq: u64, severity: Severity) {
    assert!(found(report).contains(&(rule_id(rule), seq, severity)), "{rule} at {seq}: {:#?}", report.breaches);
}

#[test]
fn a_well_behaved_call_breaks_nothing() {
    let report = run(vec![register(1), show(2), finish(3), attach(4)]);
    assert!(report.breaches.is_empty(), "{:#?}", report.breaches);
    assert_eq!(report.bitrix24, 4);
}

#[test]
fn finish_before_register_is_caught() {
    // Arrange: the connector finishes a call it registers only afterwards.
    let entries = vec![finish(1), register(2)];
    // Act
    let report = run(entries);
    // Assert
    has(&report, "B24-LIFE-1", 1, Severity::Error);
    let breach = &report.breaches[0];
    assert_eq!(breach.method, "telephony.externalcall.finish");
    assert_eq!(breach.params, json!({"CALL_ID": CALL}));
    has(&report, "B24-LIFE-5", 2, Severity::Warning);
}

#[test]
fn a_missing_user_id_is_caught_on_register_and_finish() {
    let mut no_user = register(1);
    no_user["params"].as_object_mut().unwrap().remove("USER_ID");
    no_user["status"] = json!(400);
    let report = run(vec![no_user]);
    only(&report, "B24-REG-1", 1);
    assert_eq!(report.breaches[0].params, json!({"USER_ID": null, "USER_PHONE_INNER": null}));

    let mut no_user = finish(3);
    no_user["params"].as_object_mut().unwrap().remove("USER_ID");
    let report = run(vec![register(1), show(2), no_user, attach(4)]);
    only(&report, "B24-FIN-2", 3);
    // USER_PHONE_INNER is enough.
    let mut inner = finish(3);
    inner["params"] = json!({"CALL_ID": CALL, "USER_PHONE_INNER": "101", "DURATION": 5, "STATUS_CODE": "200"});
    assert!(run(vec![register(1), show(2), inner]).breaches.is_empty());
}

#[test]
fn a_second_finish_of_a_call_is_caught() {
    let report = run(vec![register(1), finish(2), finish(3)]);
    only(&report, "B24-LIFE-2", 3);
    assert_eq!(report.breaches[0].related_seq, Some(2));
}

#[test]
fn a_failed_finish_retried_is_one_finish() {
    let mut limited = finish(2);
    limited["status"] = json!(503);
    limited["error"] = json!("QUERY_LIMIT_EXCEEDED");
    assert!(run(vec![register(1), limited, finish(3)]).breaches.is_empty());
}

#[test]
fn attach_record_before_finish_is_caught() {
    let report = run(vec![register(1), attach(2), finish(3)]);
    only(&report, "B24-LIFE-3", 2);
}

#[test]
fn show_after_finish_and_an_unfinished_call_are_warnings() {
    let report = run(vec![register(1), finish(2), show(3)]);
    assert_eq!(found(&report), vec![("B24-LIFE-4", 3, Severity::Warning)]);
    let report = run(vec![register(1), show(2)]);
    assert_eq!(found(&report), vec![("B24-LIFE-5", 1, Severity::Warning)]);
}

#[test]
fn wrong_types_are_caught_with_their_rule() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("telephony.externalcall.register", json!({"TYPE": "incoming"}), "B24-REG-3"),
        ("telephony.externalcall.register", json!({"TYPE": 9}), "B24-REG-3"),
        ("telephony.externalcall.register", json!({"CALL_START_DATE": "2026-11-17 09:00:12"}), "B24-REG-4"),
        ("telephony.externalcall.register", json!({"PHONE_NUMBER": "anonymous"}), "B24-REG-2"),
        ("telephony.externalcall.register", json!({"USER_ID": "abc"}), "B24-REG-1"),
        ("telephony.externalcall.register", json!({"SHOW": 2}), "B24-REG-5"),
        ("telephony.externalcall.register", json!({"CRM_ENTITY_TYPE": "DEAL", "CRM_ENTITY_ID": 5}), "B24-REG-5"),
        ("telephony.externalcall.finish", json!({"DURATION": -5}), "B24-FIN-3"),
        ("telephony.externalcall.finish", json!({"DURATION": 1.5}), "B24-FIN-3"),
        ("telephony.externalcall.finish", json!({"VOTE": 7}), "B24-FIN-3"),
        ("telephony.externalcall.finish", json!({"CALL_ID": 12345}), "B24-FIN-1"),
        ("telephony.externalcall.show", json!({"USER_ID": [15, "x"]}), "B24-SHOW-1"),
        ("telephony.externalcall.attachrecord", json!({"FILENAME": "in.ogg"}), "B24-REC-1"),
    ];
    for (method, overrides, rule) in cases {
        // Arrange: a good call whose request `method` has the bad value.
        let mut entries = vec![register(1), show(2), finish(3), attach(4)];
        let at = entries.iter().position(|e| e["method"] == method).unwrap();
        for (k, v) in overrides.as_object().unwrap() {
            entries[at]["params"][k] = v.clone();
        }
        // Act
        let report = run(entries);
        // Assert
        let seq = at as u64 + 1;
        let errors: Vec<_> = found(&report).into_iter().filter(|f| f.2 == Severity::Error).collect();
        assert!(
            errors.contains(&(rule_id(rule), seq, Severity::Error)),
            "{method} {overrides}: {:#?}",
            report.breaches
        );
    }
}

#[test]
fn form_strings_are_read_as_the_portal_casts_them() {
    let mut form = register(1);
    form["params"] = json!({"USER_ID": "15", "PHONE_NUMBER": "89994864268", "TYPE": "2", "SHOW": "0",
                            "EXTERNAL_CALL_ID": "1.1"});
    let mut done = finish(2);
    done["params"]["DURATION"] = json!("242");
    assert!(run(vec![form, done]).breaches.is_empty());
}

#[test]
fn a_click_to_call_is_registered_by_the_portal() {
    let event = json!({"seq": 1, "crm": "bitrix24", "method": "event:ONEXTERNALCALLSTART", "auth": "outgoing",
        "params": {"handler": "http://127.0.0.1:9/", "body": format!("event=ONEXTERNALCALLSTART&data%5BCALL_ID%5D={CALL}&data%5BUSER_ID%5D=15")},
        "status": 200});
    assert!(run(vec![event, finish(2)]).breaches.is_empty());
}

#[test]
fn a_re_register_of_an_open_call_is_the_same_call() {
    assert!(run(vec![register(1), register(2), finish(3)]).breaches.is_empty());
}

#[test]
fn a_register_answer_in_the_journal_is_taken_as_is() {
    let mut answered = register(1);
    answered["result"] = json!({"CALL_ID": "externalCall.00000000000000000000000000000000.1794895200"});
    let report = run(vec![answered, finish(2)]);
    has(&report, "B24-LIFE-1", 2, Severity::Error);
}

#[test]
fn a_journal_with_lost_history_reports_warnings_not_errors() {
    let report = run(vec![b24(40, "user.get", json!({})), finish(41)]);
    assert_eq!(found(&report), vec![("JRN-1", 40, Severity::Warning), ("B24-LIFE-1", 41, Severity::Warning)]);
}

fn call_item(phone: &str) -> Value {
    json!({"direction": "inbound", "uniq": format!("u-{phone}"), "duration": 12, "source": "callfull",
           "phone": phone, "call_status": 4, "created_by": 1, "request_id": "0"})
}

fn seeded() -> Options {
    Options { crm: None, seeded: Some(SeededPhones::from_phones(["+7 (999) 486-42-68"])) }
}

#[test]
fn an_amocrm_call_for_an_unknown_phone_is_caught() {
    let calls = |phone: &str| amo(1, "POST /calls", json!({"_body": [call_item(phone)]}), 200);
    assert!(run_with(vec![calls("89994864268")], seeded()).breaches.is_empty(), "a seeded phone");
    let report = run_with(vec![calls("89990000000")], seeded());
    only(&report, "AMO-CALL-3", 1);
    assert_eq!(report.breaches[0].item, Some(0));
    assert_eq!(report.breaches[0].params, json!({"phone": "89990000000"}));
    // Without the world: both searches found nobody.
    let searches = vec![
        amo(1, "GET /contacts", json!({"query": "9990000000", "with": "leads"}), 204),
        amo(2, "GET /companies", json!({"query": "9990000000", "with": "leads"}), 204),
        amo(3, "POST /calls", json!({"_body": [call_item("89990000000")]}), 200),
    ];
    only(&run(searches), "AMO-CALL-3", 3);
    // No evidence either way: a warning.
    let report = run(vec![amo(1, "POST /calls", json!({"_body": [call_item("89990000000")]}), 200)]);
    assert_eq!(found(&report), vec![("AMO-CALL-3", 1, Severity::Warning)]);
}

#[test]
fn an_amocrm_contact_created_earlier_makes_its_phone_known() {
    let contact = json!({"_body": [{"name": "89990000000", "custom_fields_values": [
        {"field_code": "PHONE", "values": [{"value": "89990000000", "enum_code": "WORK"}]}]}]});
    let entries = vec![
        amo(1, "POST /contacts", contact, 200),
        amo(2, "POST /calls", json!({"_body": [call_item("+7 999 000-00-00")]}), 200),
    ];
    assert!(run_with(entries, seeded()).breaches.is_empty());
}

#[test]
fn amocrm_wrong_types_and_bodies_are_caught() {
    let mut item = call_item("89994864268");
    item["duration"] = json!("12");
    item["direction"] = json!("in");
    item["call_status"] = json!(9);
    let report = run_with(vec![amo(1, "POST /calls", json!({"_body": [item]}), 400)], seeded());
    assert_eq!(
        found(&report),
        vec![
            ("AMO-CALL-1", 1, Severity::Error),
            ("AMO-CALL-1", 1, Severity::Error),
            ("AMO-CALL-2", 1, Severity::Error)
        ]
    );
    let report = run(vec![amo(1, "POST /calls", json!({"_body": call_item("89994864268")}), 400)]);
    only(&report, "AMO-BODY-1", 1);
    let report = run(vec![amo(1, "POST /calls", json!({}), 400)]);
    only(&report, "AMO-BODY-1", 1);
}

#[test]
fn the_same_unsorted_entry_twice_is_caught() {
    let sip = json!({"_body": [{"source_uid": "callfull", "source_name": "callfull",
        "metadata": {"uniq": "1.1", "phone": "89990000000", "called_at": 1794895212, "duration": 0,
                     "is_call_event_needed": true}}]});
    let report =
        run(vec![amo(1, "POST /leads/unsorted/sip", sip.clone(), 200), amo(2, "POST /leads/unsorted/sip", sip, 400)]);
    only(&report, "AMO-SIP-2", 2);
    assert_eq!(report.breaches[0].related_seq, Some(1));
    let bad = json!({"_body": [{"source_uid": "callfull", "metadata": {"uniq": 5}}]});
    let report = run(vec![amo(1, "POST /leads/unsorted/sip", bad, 400)]);
    let rules: Vec<_> = found(&report).into_iter().filter(|f| f.2 == Severity::Error).map(|f| f.0).collect();
    assert_eq!(rules, vec!["AMO-SIP-1", "AMO-SIP-1"], "{:#?}", report.breaches);
}

#[test]
fn a_repeated_uniq_is_a_warning() {
    let entries = vec![
        amo(1, "POST /calls", json!({"_body": [call_item("89994864268")]}), 200),
        amo(2, "POST /calls", json!({"_body": [call_item("89994864268")]}), 200),
    ];
    let report = run_with(entries, seeded());
    assert_eq!(found(&report), vec![("AMO-CALL-4", 2, Severity::Warning)]);
}

#[test]
fn crm_option_checks_one_crm_only() {
    let entries = vec![finish(1), amo(2, "POST /calls", json!({}), 400)];
    let report = run_with(entries.clone(), Options { crm: Some(callfull_verify::CrmKind::Amocrm), seeded: None });
    assert_eq!(found(&report), vec![("AMO-BODY-1", 2, Severity::Error)]);
    assert_eq!((report.bitrix24, report.amocrm), (0, 1));
}
