//! Each kind of bad input gets a clear message and exit 2, never a panic.

use crate::util::{Dir, callfull, callfull_stdin, one_line};

fn expect_input_error(run: &crate::util::Run, needle: &str) {
    assert_eq!(run.code, 2, "stdout: {}\nstderr: {}", run.stdout, run.stderr);
    assert!(run.stderr.contains(needle), "expected {needle:?} in:\n{}", run.stderr);
}

#[test]
fn truncated_json() {
    let dir = Dir::new();
    let whole = std::fs::read_to_string(crate::util::fixture("payloads/bitrix24/incoming_ringing.json")).unwrap();
    let file = dir.file("cut.json", &whole.as_bytes()[..whole.len() / 2]);
    let run = callfull(&["validate", &file]);
    expect_input_error(&run, "the JSON ends too early");
    assert!(run.stderr.contains("cut.json: line "), "{}", run.stderr);
}

#[test]
fn invalid_utf8() {
    let line = one_line("payloads/bitrix24/incoming_ringing.json").replacen("Котова", "Кот\u{FFFD}ова", 1);
    let bytes = line.as_bytes().to_vec();
    let at = line.find('\u{FFFD}').unwrap();
    let mut bytes = [&bytes[..at], b"\xC3\x28", &bytes[at + 3..]].concat();
    bytes.push(b'\n');
    let run = callfull_stdin(&["validate"], &bytes);
    expect_input_error(&run, &format!("<stdin>: line 1, column {}: invalid UTF-8 (byte 0xC3)", at + 1));
}

#[test]
fn byte_order_mark() {
    let dir = Dir::new();
    let file = dir.file(
        "bom.json",
        &[b"\xEF\xBB\xBF".as_slice(), one_line("payloads/amocrm/local_call.json").as_bytes()].concat(),
    );
    expect_input_error(&callfull(&["validate", &file]), "byte order mark");
}

#[test]
fn ten_thousand_deep_nesting() {
    let dir = Dir::new();
    let deep = format!("{{\"call_full\":{}{}}}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let file = dir.file("deep.json", deep.as_bytes());
    expect_input_error(&callfull(&["validate", &file]), "nested deeper than 128 levels");
}

#[test]
fn a_hundred_megabyte_line_is_refused_and_the_next_line_still_checked() {
    let dir = Dir::new();
    let good = one_line("payloads/bitrix24/incoming_answered.json");
    let mut big = Vec::with_capacity(101 << 20);
    big.extend_from_slice(good.as_bytes());
    big.push(b'\n');
    big.extend_from_slice(b"{\"call_full\": \"");
    big.resize(big.len() + (100 << 20), b'x');
    big.extend_from_slice(b"\"}\n");
    big.extend_from_slice(good.replace("\"talking\"", "\"paused\"").as_bytes());
    let file = dir.file("big.ndjson", &big);
    drop(big);
    let run = callfull(&["validate", &file]);
    expect_input_error(&run, "big.ndjson: line 2: the line is larger than the limit of 16777216 bytes");
    assert!(
        run.stdout.contains("big.ndjson:3: error[R03"),
        "the line after the huge one is still read: {}",
        run.stdout
    );
}

#[test]
fn an_empty_file() {
    let dir = Dir::new();
    let file = dir.file("empty.json", b"");
    expect_input_error(&callfull(&["validate", &file]), "empty.json: empty input: no JSON payload found");
    expect_input_error(&callfull_stdin(&["validate"], b"\n  \n"), "<stdin>: empty input");
}

#[test]
fn a_directory_instead_of_a_file() {
    let dir = Dir::new();
    expect_input_error(&callfull(&["validate", &dir.path()]), "is a directory");
}

#[test]
fn a_missing_file() {
    expect_input_error(
        &callfull(&["validate", "/nonexistent/calls.json"]),
        "/nonexistent/calls.json: cannot read: no such file",
    );
}

#[test]
fn not_json_at_all() {
    let run = callfull_stdin(&["validate", "--format", "json"], b"call_full=1\n");
    expect_input_error(&run, "line 1, column 1: expected value");
    let line: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(
        (line["kind"].as_str(), line["line"].as_u64(), line["column"].as_u64()),
        (Some("input-error"), Some(1), Some(1))
    );
}
