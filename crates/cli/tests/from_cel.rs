//! `callfull from-cel`: the generator's CEL imported back, broken rows,
//! refused headers, formats from stdin.

use crate::util::callfull_stdin;

#[test]
fn a_whole_generated_run_imported_back_is_byte_for_byte_what_generate_prints() {
    for crm in ["bitrix24", "amocrm"] {
        // Arrange: 60 calls of every scenario, their CEL.
        let cel = callfull_stdin(&["generate", "--cel", "--count", "60", "--seed", "9"], b"");
        let expected = callfull_stdin(&["generate", "--count", "60", "--seed", "9", "--crm", crm], b"");
        // Act
        let got = callfull_stdin(&["from-cel", "--seed", "9", "--crm", crm, "-"], cel.stdout.as_bytes());
        // Assert
        assert_eq!(got.code, 0, "{}", got.stderr);
        assert!(got.stdout == expected.stdout, "{crm}: from-cel differs from generate");
        assert!(got.stderr.contains(", 60 calls, "), "{}", got.stderr);
    }
}

#[test]
fn broken_rows_are_reported_by_line_skipped_and_counted_and_strict_stops_at_the_first() {
    let csv = "eventtype,eventtime,uniqueid,linkedid,channame\n\
        CHAN_START,2024-06-10 09:39:05,1.1,1.1,PJSIP/101-1\n\
        ANSWER,noon,1.1,1.1,PJSIP/101-1\n\
        HANGUP,2024-06-10 09:39:09,1.1,1.1,PJSIP/101-1\n\
        CHAN_END,2024-06-10 09:39:09,1.1,1.1,PJSIP/101-1\n\
        LINKEDID_END,2024-06-10 09:39:09,1.1,1.1,PJSIP/101-1\n";
    let run = callfull_stdin(&["from-cel", "--stage", "call_ended", "-"], csv.as_bytes());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("skipped: <stdin> line 3: eventtime \"noon\" is not a time"), "{}", run.stderr);
    assert!(run.stderr.contains("4 rows, 1 call, 1 payload, 1 broken row skipped"), "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1);

    let strict = callfull_stdin(&["from-cel", "--strict", "-"], csv.as_bytes());
    assert_eq!(strict.code, 2);
    assert!(strict.stderr.contains("error: <stdin> line 3: eventtime \"noon\" is not a time"), "{}", strict.stderr);
}

#[test]
fn a_header_without_the_call_columns_is_refused() {
    let run = callfull_stdin(&["from-cel", "-"], b"eventtime,channame,cid_num\n2024-06-10 09:39:05,PJSIP/1-1,101\n");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "error: <stdin> line 1: no \"eventtype\", \"uniqueid\", \"linkedid\" columns (the header has: eventtime,channame,cid_num)"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_mysql_dump_on_stdin_is_sniffed() {
    let dump = "INSERT INTO `cel` (`eventtype`,`eventtime`,`uniqueid`,`linkedid`,`channame`,`cid_num`,`exten`,`extra`) VALUES \
        ('CHAN_START','2024-06-10 09:39:05','1.1','1.1','PJSIP/101-1','101','102',''),\
        ('CHAN_START','2024-06-10 09:39:05','1.2','1.1','PJSIP/102-2','102','s',''),\
        ('ANSWER','2024-06-10 09:39:07','1.2','1.1','PJSIP/102-2','102','s',''),\
        ('HANGUP','2024-06-10 09:39:19','1.2','1.1','PJSIP/102-2','102','s','{\\\"hangupcause\\\":16,\\\"hangupsource\\\":\\\"\\\",\\\"dialstatus\\\":\\\"\\\"}'),\
        ('HANGUP','2024-06-10 09:39:19','1.1','1.1','PJSIP/101-1','101','102','{\\\"hangupcause\\\":16,\\\"hangupsource\\\":\\\"\\\",\\\"dialstatus\\\":\\\"ANSWER\\\"}'),\
        ('LINKEDID_END','2024-06-10 09:39:19','1.1','1.1','PJSIP/101-1','101','102','');\n";
    let run = callfull_stdin(&["from-cel", "--stage", "call_ended", "--tz", "+03:00", "-"], dump.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let payload: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    let call = &payload["call_full"];
    assert_eq!(call["channel"]["type"], "local");
    assert_eq!(call["result"], 200);
    assert_eq!(call["conversations"]["1.2"]["channel"]["answer_time"], "2024-06-10 09:39:07");
}

#[test]
fn legacy_integer_event_types_are_read_with_event_numbers_11() {
    // CHAN_START 1, ANSWER 4, BRIDGE_START 7 (a 1.8/11-only type), HANGUP 3, LINKEDID_END 22.
    let csv = "eventtype,eventtime,uniqueid,linkedid,channame,cid_num,exten,extra\n\
        1,2024-06-10 09:39:05,1.1,1.1,SIP/101-1,101,102,\n\
        1,2024-06-10 09:39:05,1.2,1.1,SIP/102-2,102,s,\n\
        4,2024-06-10 09:39:07,1.2,1.1,SIP/102-2,102,s,\n\
        7,2024-06-10 09:39:07,1.1,1.1,SIP/101-1,101,102,\n\
        3,2024-06-10 09:39:19,1.2,1.1,SIP/102-2,102,s,\"16,SIP/102-2,\"\n\
        3,2024-06-10 09:39:19,1.1,1.1,SIP/101-1,101,102,\"16,SIP/102-2,ANSWER\"\n\
        22,2024-06-10 09:39:19,1.1,1.1,SIP/101-1,101,102,\n";
    let run = callfull_stdin(
        &["from-cel", "--event-numbers", "11", "--stage", "call_ended", "--tz", "+03:00", "-"],
        csv.as_bytes(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let payload: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(payload["call_full"]["result"], 200);
    assert_eq!(payload["call_full"]["conversations"]["1.2"]["channel"]["answer_time"], "2024-06-10 09:39:07");

    let bad = callfull_stdin(&["from-cel", "--event-numbers", "13", "-"], csv.as_bytes());
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}
