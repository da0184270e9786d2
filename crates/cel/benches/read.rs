//! The reading side of `from-cel` on one core: rows per second of
//! [`CelReader`] over an in-memory export of ~100 000 rows (CSV as `generate
//! --cel` prints it, and the same rows as aligned `psql` output, a MySQL dump
//! and a PostgreSQL `COPY` block), and of [`Grouper`] push + pop over the
//! same rows. The binary uses mimalloc, so the bench does too.
//!
//! Run: `cargo bench -p callfull-cel --bench read`.

use std::hint::black_box;

use callfull_cel::{CelEvent, CelReader, CsvWriter, EventTime, EventType, Grouper, InputFormat};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CALLS: u64 = 7_000;

/// One answered inbound call of 15 rows, varied by its index: a trunk leg
/// dials an extension, both bridge, the callee hangs up.
fn call(index: u64, rows: &mut Vec<CelEvent>) {
    let start = 1_718_012_345 + index as i64 * 7;
    let caller_uid = format!("{start}.{}", index * 2);
    let callee_uid = format!("{start}.{}", index * 2 + 1);
    let ext = 101 + index % 40;
    let caller_num = format!("+7916{:07}", index * 7919 % 10_000_000);
    let trunk = format!("PJSIP/siptrunk-{:08x}", index * 2);
    let phone = format!("PJSIP/{ext}-{:08x}", index * 2 + 1);
    let bridge =
        format!("{{\"bridge_id\":\"3f2c6f0e-6a57-4b8e-9a55-{index:012x}\",\"bridge_technology\":\"simple_bridge\"}}");
    let hangup = |source: &str, status: &str| {
        format!("{{\"hangupcause\":16,\"hangupsource\":\"{source}\",\"dialstatus\":\"{status}\"}}")
    };
    let mut at = 0i64;
    let mut row = |eventtype: EventType, callee: bool, extra: String, peer: &str| {
        at += 1 + (index as i64 * 37 + at * 101) % 900_000;
        let (uid, chan, name, num) = if callee {
            (&callee_uid, &phone, format!("Сотрудник {ext}"), ext.to_string())
        } else {
            (&caller_uid, &trunk, "ACME".to_owned(), caller_num.clone())
        };
        let (appname, appdata) = match (callee, &eventtype) {
            (_, EventType::ChanStart) => ("", String::new()),
            (true, _) => ("AppDial", "(Outgoing Line)".to_owned()),
            (false, _) => ("Dial", format!("PJSIP/{ext},30,tT")),
        };
        rows.push(CelEvent {
            id: index * 15 + rows.len() as u64 % 15 + 1,
            eventtype,
            eventtime: EventTime::from_unix(start, 0).plus_micros(at),
            cid_name: name.as_str().into(),
            cid_num: num.as_str().into(),
            cid_ani: num.as_str().into(),
            cid_dnid: "8005550100".into(),
            exten: if callee { "s".into() } else { "8005550100".into() },
            context: if callee { "from-internal".into() } else { "from-trunk".into() },
            channame: chan.as_str().into(),
            appname: appname.into(),
            appdata: appdata.as_str().into(),
            amaflags: 3,
            uniqueid: uid.as_str().into(),
            linkedid: caller_uid.as_str().into(),
            peer: peer.into(),
            extra: extra.as_str().into(),
            ..CelEvent::default()
        });
    };
    use EventType::*;
    row(ChanStart, false, String::new(), "");
    row(AppStart, false, String::new(), "");
    row(ChanStart, true, String::new(), "");
    row(Answer, true, String::new(), "");
    row(Answer, false, String::new(), "");
    row(BridgeEnter, true, bridge.clone(), "");
    row(BridgeEnter, false, bridge.clone(), &phone);
    row(BridgeExit, true, bridge.clone(), &trunk);
    row(Hangup, true, hangup(&phone, ""), "");
    row(ChanEnd, true, String::new(), "");
    row(BridgeExit, false, bridge, "");
    row(AppEnd, false, String::new(), "");
    row(Hangup, false, hangup(&phone, "ANSWER"), "");
    row(ChanEnd, false, String::new(), "");
    row(LinkedidEnd, false, String::new(), "");
}

fn events() -> Vec<CelEvent> {
    let mut rows = Vec::new();
    for index in 0..CALLS {
        call(index, &mut rows);
    }
    rows
}

fn csv(rows: &[CelEvent]) -> Vec<u8> {
    let mut w = CsvWriter::new(Vec::new(), 3 * 3600).unwrap();
    for r in rows {
        w.write(r).unwrap();
    }
    w.finish().unwrap()
}

/// The fields every other format holds, as text.
fn fields(r: &CelEvent) -> [String; 9] {
    [
        r.id.to_string(),
        r.eventtype.name().to_owned(),
        r.eventtime.format_local(3 * 3600),
        r.cid_num.to_string(),
        r.channame.to_string(),
        r.appdata.to_string(),
        r.uniqueid.to_string(),
        r.linkedid.to_string(),
        r.extra.to_string(),
    ]
}

const NAMES: [&str; 9] =
    ["id", "eventtype", "eventtime", "cid_num", "channame", "appdata", "uniqueid", "linkedid", "extra"];

/// Aligned `psql` output: padded columns, a `---+---` rule, a footer.
fn psql(rows: &[CelEvent]) -> Vec<u8> {
    let table: Vec<[String; 9]> = rows.iter().map(fields).collect();
    let mut widths = NAMES.map(str::len);
    for r in &table {
        for (w, f) in widths.iter_mut().zip(r) {
            *w = (*w).max(f.chars().count());
        }
    }
    let line = |cells: &[&str]| -> String {
        let padded: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!(" {c:<w$} ")).collect();
        padded.join("|").trim_end().to_owned() + "\n"
    };
    let mut out = line(&NAMES);
    out += &widths.map(|w| "-".repeat(w + 2)).join("+");
    out.push('\n');
    for r in &table {
        out += &line(&r.each_ref().map(String::as_str));
    }
    out += &format!("({} rows)\n", table.len());
    out.into_bytes()
}

/// A mysqldump: extended inserts of 1 000 rows.
fn mysql(rows: &[CelEvent]) -> Vec<u8> {
    let mut out = String::from("-- MySQL dump 10.13\n");
    for chunk in rows.chunks(1_000) {
        out += &format!("INSERT INTO `cel` ({}) VALUES ", NAMES.join(","));
        let tuples: Vec<String> = chunk
            .iter()
            .map(|r| {
                let f = fields(r);
                let quoted: Vec<String> =
                    f[1..].iter().map(|v| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))).collect();
                format!("({},{})", f[0], quoted.join(","))
            })
            .collect();
        out += &tuples.join(",");
        out += ";\n";
    }
    out.into_bytes()
}

/// A pg_dump `COPY` block.
fn pg_copy(rows: &[CelEvent]) -> Vec<u8> {
    let mut out = format!("--\n-- PostgreSQL database dump\n--\nCOPY public.cel ({}) FROM stdin;\n", NAMES.join(", "));
    for r in rows {
        out += &fields(r).join("\t");
        out.push('\n');
    }
    out += "\\.\n";
    out.into_bytes()
}

fn read_all(input: &[u8], format: InputFormat) -> usize {
    let reader = CelReader::open(input, "bench", format, 3 * 3600).unwrap();
    let mut n = 0;
    for row in reader {
        black_box(row.unwrap());
        n += 1;
    }
    n
}

fn bench(c: &mut Criterion) {
    let rows = events();
    let mut group = c.benchmark_group("cel-read");
    group.throughput(Throughput::Elements(rows.len() as u64));
    for (name, format, input) in [
        ("csv", InputFormat::Csv, csv(&rows)),
        ("psql", InputFormat::Psql, psql(&rows)),
        ("mysql", InputFormat::Mysql, mysql(&rows)),
        ("pg-copy", InputFormat::PgCopy, pg_copy(&rows)),
    ] {
        assert_eq!(read_all(&input, format), rows.len(), "{name}");
        eprintln!("{name}: {} rows, {} bytes", rows.len(), input.len());
        group.bench_function(name, |b| b.iter(|| read_all(black_box(&input), format)));
    }
    group.bench_function("grouper", |b| {
        b.iter_batched(
            || rows.clone(),
            |rows| {
                let mut grouper = Grouper::new();
                let mut calls = 0;
                for row in rows {
                    grouper.push(row);
                    while let Some(call) = grouper.pop() {
                        calls += black_box(call).len();
                    }
                }
                grouper.finish();
                calls
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
