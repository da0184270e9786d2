//! Input that is not a journal: a clear error, never a panic.

use callfull_verify::{Journal, JournalError, Options, verify};

#[test]
fn not_json_names_line_and_column() {
    let err = Journal::parse(b"{\"entries\": [\n  {\"seq\": 1,, }\n]}").unwrap_err();
    assert!(matches!(err, JournalError::Json { line: 2, .. }), "{err}");
    assert!(err.to_string().starts_with("line 2 column "), "{err}");
}

#[test]
fn wrong_shapes_say_what_was_expected() {
    for (input, needle) in [
        (&b"\"hello\""[..], "not a journal: a string"),
        (b"{\"rows\": []}", "without `entries`"),
        (b"{\"entries\": 3}", "`entries` is a number"),
        (b"[{\"seq\": 1}]", "[0]: not a journal entry: missing field `method`"),
        (b"[{\"seq\": -1, \"method\": \"x\"}]", "[0]: not a journal entry"),
        (b"[{\"seq\": 1, \"method\": \"x\", \"crm\": \"kommo\"}]", "unknown crm \"kommo\""),
        (b"", "empty input"),
    ] {
        let err = Journal::parse(input).unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
}

#[test]
fn a_journal_over_the_limit_is_refused_without_reading_it_all() {
    let big = vec![b' '; 1 << 20];
    let err = Journal::read(&big[..], 1000).unwrap_err();
    assert!(matches!(err, JournalError::TooLarge { limit: 1000 }), "{err}");
}

#[test]
fn odd_but_valid_entries_do_not_panic() {
    // Params of every JSON type, methods with odd spellings, huge numbers.
    let text = r#"[
      {"seq": 1, "method": "telephony.externalCall.register.json", "params": [1, 2]},
      {"seq": 2, "method": "telephony.externalcall.finish", "params": "CALL_ID=x"},
      {"seq": 3, "method": "telephony.externalcall.show", "params": {"CALL_ID": "externalCall.x.99999999999999999999", "USER_ID": {}}},
      {"seq": 4, "method": "POST /api/v4/calls/", "params": {"_body": [null, 1, {"phone": 5, "duration": 1e300}]}},
      {"seq": 5, "method": "POST /leads/unsorted/sip", "params": {"_body": [{"metadata": [], "_embedded": {"contacts": [{}, {}]}}]}},
      {"seq": 6, "method": "GET /contacts", "params": {"query": 79990000000}},
      {"seq": 7, "method": "batch", "params": {"cmd": {"a": "telephony.externalcall.finish?CALL_ID=x"}}},
      {"seq": 8, "method": "event:ONEXTERNALCALLSTART", "params": {"body": 5}},
      {"seq": 18446744073709551615, "method": "", "params": null, "status": 0}
    ]"#;
    let journal = Journal::parse(text.as_bytes()).unwrap();
    let report = verify(&journal, &Options::default());
    assert!(report.errors() > 0);
}
