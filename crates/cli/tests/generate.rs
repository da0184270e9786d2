use serde_json::Value;

use crate::util::{Dir, callfull, callfull_stdin};

#[test]
fn scenarios_lists_the_catalog_one_line_each() {
    let run = callfull(&["scenarios"]);
    assert_eq!(run.code, 0);
    let names: Vec<&str> = run.stdout.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert!(names.len() >= 20, "{}", run.stdout);
    assert!(names.contains(&"incoming_queue") && names.contains(&"outgoing_busy"));
}

#[test]
fn generated_payloads_pass_strict_validation_for_each_crm() {
    for crm in ["bitrix24", "amocrm"] {
        let run = callfull(&["generate", "--crm", crm, "--seed", "9"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let lines: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert!(lines.len() > 25 * 2, "{crm}: every scenario gives several stages");
        let check = callfull_stdin(&["validate", "--strict", "--crm", crm, "-"], run.stdout.as_bytes());
        assert_eq!(check.code, 0, "{crm}: {}{}", check.stdout, check.stderr);
    }
}

#[test]
fn stage_and_scenario_select_what_is_printed() {
    let run = callfull(&[
        "generate",
        "--scenario",
        "incoming_ring_group,outgoing_busy",
        "--stage",
        "call_ended",
        "--count",
        "4",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stages: Vec<String> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["call_stage"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(stages, ["call_ended"; 4]);
}

#[test]
fn same_seed_same_bytes_and_shards_add_up() {
    let whole = callfull(&["generate", "--count", "130", "--seed", "4", "--jobs", "2"]).stdout;
    assert_eq!(whole, callfull(&["generate", "--count", "130", "--seed", "4", "--jobs", "1"]).stdout);
    let parts: String = (1..=2)
        .map(|i| callfull(&["generate", "--count", "130", "--seed", "4", "--shard", &format!("{i}/2")]).stdout)
        .collect();
    assert_eq!(whole, parts);
}

#[test]
fn cel_output_is_csv_with_the_cel_column_names() {
    let run = callfull(&["generate", "--scenario", "incoming_answered", "--cel"]);
    assert_eq!(run.code, 0);
    let mut lines = run.stdout.lines();
    assert!(lines.next().unwrap().starts_with("id,eventtype,eventtime,cid_name,cid_num,"));
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.first().unwrap().contains(",CHAN_START,") && rows.last().unwrap().contains(",LINKEDID_END,"),
        "{rows:?}"
    );
}

#[test]
fn out_writes_one_file_per_call_and_stage() {
    let dir = Dir::new();
    let run = callfull(&["generate", "--scenario", "local_call", "--count", "2", "--out", &dir.path()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let calls: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let first = std::path::Path::new(&dir.path()).join("0-local_call");
    let mut files: Vec<_> =
        std::fs::read_dir(&first).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(
        files,
        [
            "01-conversation_requested.json",
            "02-conversation_accepted.json",
            "03-conversation_ended.json",
            "04-call_ended.json"
        ]
    );
}

#[test]
fn an_unknown_scenario_lists_the_valid_names() {
    let run = callfull(&["generate", "--scenario", "incoming_answerd"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown scenario \"incoming_answerd\" (known: incoming_answered, "), "{}", run.stderr);
}

#[test]
fn an_unknown_stage_lists_the_valid_names() {
    let run = callfull(&["generate", "--stage", "ringing"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("conversation_requested, conversation_accepted, conversation_ended, call_ended"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_broken_world_file_names_the_field_and_line() {
    let dir = Dir::new();
    let file = dir.file("world.toml", b"# a world\nemployees = 5\nemployes = 7\n");
    let run = callfull(&["generate", "--world", &file]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("line 3") && run.stderr.contains("employes"), "{}", run.stderr);
    let file = dir.file("types.toml", b"contacts = \"many\"\n");
    let run = callfull(&["generate", "--world", &file]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("line 1") && run.stderr.contains("contacts"), "{}", run.stderr);
}

#[test]
fn a_world_file_changes_the_world() {
    let dir = Dir::new();
    let file = dir.file("small.toml", b"employees = 3\nfirst_extension = 501\n");
    let run = callfull(&["generate", "--world", &file, "--scenario", "local_call"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let first: Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    let from = first["call_full"]["channel"]["from"]["original"].as_str().unwrap().to_owned();
    assert!(["501", "502", "503"].contains(&from.as_str()), "{from}");
}

#[test]
fn a_bad_shard_is_a_usage_error() {
    let run = callfull(&["generate", "--shard", "3/2"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("is not I/N"), "{}", run.stderr);
}
