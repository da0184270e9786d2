use super::*;

fn read(text: &str, format: InputFormat) -> (Vec<CelEvent>, Vec<String>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for row in CelReader::open(text.as_bytes(), "t", format, 0).unwrap() {
        match row {
            Ok(row) => rows.push(row),
            Err(e) => errors.push(e.to_string()),
        }
    }
    (rows, errors)
}

/// The two rows every format below holds.
fn expected() -> Vec<(EventType, i64, &'static str, &'static str, &'static str, &'static str)> {
    vec![
        (EventType::ChanStart, 1_718_012_345_104_233, "1718012345.118", "PJSIP/siptrunk-0000002a", "+79161230000", ""),
        (
            EventType::Hangup,
            1_718_012_462_775_120,
            "1718012345.118",
            "PJSIP/siptrunk-0000002a",
            "+79161230000",
            r#"{"hangupcause":16,"hangupsource":"it's","dialstatus":"ANSWER"}"#,
        ),
    ]
}

fn check(rows: &[CelEvent]) {
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.eventtype.clone(),
                r.eventtime.0,
                r.uniqueid.as_str(),
                r.channame.as_str(),
                r.cid_num.as_str(),
                r.extra.as_str(),
            )
        })
        .collect();
    assert_eq!(got, expected());
    assert!(rows.iter().all(|r| r.linkedid == "1718012345.118"));
}

#[test]
fn csv_with_a_header_in_any_order() {
    let text = "channame,extra,eventtime,cid_num,linkedid,uniqueid,eventtype,nonsense\n\
        PJSIP/siptrunk-0000002a,,2024-06-10 09:39:05.104233,+79161230000,1718012345.118,1718012345.118,CHAN_START,x\n\
        PJSIP/siptrunk-0000002a,\"{\"\"hangupcause\"\":16,\"\"hangupsource\"\":\"\"it's\"\",\"\"dialstatus\"\":\"\"ANSWER\"\"}\",2024-06-10 09:41:02.775120,+79161230000,1718012345.118,1718012345.118,3,y\n";
    assert_eq!(sniff(text.as_bytes()), InputFormat::Csv);
    let (rows, errors) = read(text, InputFormat::Auto);
    assert_eq!(errors, Vec::<String>::new());
    check(&rows);
    assert_eq!((rows[0].id, rows[1].id), (1, 2), "rows without an id are numbered in file order");
}

#[test]
fn cel_custom_csv_has_no_header() {
    let text = "\"CHAN_START\",\"1718012345.104233\",\"ACME\",\"+79161230000\",\"\",\"\",\"\",\"+74952250101\",\"from-trunk\",\"PJSIP/siptrunk-0000002a\",\"\",\"\",\"3\",\"\",\"1718012345.118\",\"1718012345.118\",\"\",\"\",\"\",\"\"\n\
        \"HANGUP\",\"1718012462.775120\",\"ACME\",\"+79161230000\",\"\",\"\",\"\",\"+74952250101\",\"from-trunk\",\"PJSIP/siptrunk-0000002a\",\"\",\"\",\"3\",\"\",\"1718012345.118\",\"1718012345.118\",\"\",\"\",\"\",\"{\"\"hangupcause\"\":16,\"\"hangupsource\"\":\"\"it's\"\",\"\"dialstatus\"\":\"\"ANSWER\"\"}\"\n";
    let (rows, errors) = read(text, InputFormat::Auto);
    assert_eq!(errors, Vec::<String>::new());
    check(&rows);
    assert_eq!(rows[0].exten, "+74952250101");
}

#[test]
fn psql_output_with_and_without_the_rule() {
    let aligned = " eventtype  |         eventtime          |    uniqueid    |    linkedid    |        channame         |   cid_num    | extra
------------+----------------------------+----------------+----------------+-------------------------+--------------+-------
 CHAN_START | 2024-06-10 09:39:05.104233 | 1718012345.118 | 1718012345.118 | PJSIP/siptrunk-0000002a | +79161230000 |
 HANGUP     | 2024-06-10 09:41:02.77512  | 1718012345.118 | 1718012345.118 | PJSIP/siptrunk-0000002a | +79161230000 | {\"hangupcause\":16,\"hangupsource\":\"it's\",\"dialstatus\":\"ANSWER\"}
(2 rows)

";
    assert_eq!(sniff(aligned.as_bytes()), InputFormat::Psql);
    let (rows, errors) = read(aligned, InputFormat::Auto);
    assert_eq!(errors, Vec::<String>::new());
    check(&rows);
    let unaligned: String = aligned.lines().filter(|l| !l.starts_with("---")).map(|l| format!("{l}\n")).collect();
    let (rows, _) = read(&unaligned, InputFormat::Psql);
    check(&rows);
}

#[test]
fn mysql_dump_with_extended_inserts() {
    let text = "-- MySQL dump 10.13\n\
        CREATE TABLE `cdr` (\n  `calldate` datetime\n);\n\
        INSERT INTO `cdr` VALUES ('2024-06-10 09:39:05');\n\
        CREATE TABLE `cel` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `eventtype` varchar(30) NOT NULL,\n  `eventtime` datetime(6) NOT NULL,\n  `cid_num` varchar(80),\n  `channame` varchar(80),\n  `uniqueid` varchar(150),\n  `linkedid` varchar(150),\n  `extra` varchar(512),\n  PRIMARY KEY (`id`),\n  KEY `uniqueid_index` (`uniqueid`)\n) ENGINE=InnoDB;\n\
        INSERT INTO `cel` VALUES (7,'CHAN_START','2024-06-10 09:39:05.104233','+79161230000','PJSIP/siptrunk-0000002a','1718012345.118','1718012345.118',NULL),(8,'HANGUP','2024-06-10 09:41:02.775120','+79161230000','PJSIP/siptrunk-0000002a','1718012345.118','1718012345.118','{\\\"hangupcause\\\":16,\\\"hangupsource\\\":\\\"it\\'s\\\",\\\"dialstatus\\\":\\\"ANSWER\\\"}');\n";
    assert_eq!(sniff(text.as_bytes()), InputFormat::Mysql);
    let (rows, errors) = read(text, InputFormat::Auto);
    assert_eq!(errors, Vec::<String>::new());
    check(&rows);
    assert_eq!((rows[0].id, rows[1].id), (7, 8));
}

#[test]
fn mysql_inserts_with_a_column_list_over_several_lines() {
    let text = "INSERT INTO cel (eventtype, eventtime, uniqueid, linkedid, channame, cid_num, extra) VALUES\n\
        ('CHAN_START', '2024-06-10 09:39:05.104233', '1718012345.118', '1718012345.118', 'PJSIP/siptrunk-0000002a', '+79161230000', ''),\n\
        ('HANGUP', '2024-06-10 09:41:02.775120', '1718012345.118', '1718012345.118', 'PJSIP/siptrunk-0000002a', '+79161230000', '{\"hangupcause\":16,\"hangupsource\":\"it''s\",\"dialstatus\":\"ANSWER\"}');\n";
    let (rows, errors) = read(text, InputFormat::Mysql);
    assert_eq!(errors, Vec::<String>::new());
    check(&rows);
}

#[test]
fn pg_dump_copy_block() {
    let text = "--\n-- PostgreSQL database dump\n--\n\
        COPY public.cdr (calldate) FROM stdin;\n2024-06-10\n\\.\n\
        COPY public.cel (id, eventtype, eventtime, cid_num, channame, uniqueid, linkedid, extra) FROM stdin;\n\
        1\tCHAN_START\t2024-06-10 12:39:05.104233+03\t+79161230000\tPJSIP/siptrunk-0000002a\t1718012345.118\t1718012345.118\t\\N\n\
        2\tHANGUP\t2024-06-10 09:41:02.77512+00\t+79161230000\tPJSIP/siptrunk-0000002a\t1718012345.118\t1718012345.118\t{\"hangupcause\":16,\"hangupsource\":\"it's\",\"dialstatus\":\"ANSWER\"}\n\
        \\.\n";
    assert_eq!(sniff(text.as_bytes()), InputFormat::PgCopy);
    let (rows, errors) = read(text, InputFormat::Auto);
    assert_eq!(errors, Vec::<String>::new());
    check(&rows);
}

#[test]
fn a_broken_row_is_reported_with_its_line_and_the_rest_goes_on() {
    let text = "eventtype,eventtime,uniqueid,linkedid\n\
        CHAN_START,2024-06-10 09:39:05,1.1,1.1\n\
        ANSWER,yesterday,1.1,1.1\n\
        HANGUP,2024-06-10 09:39:09,,1.1\n\
        CHAN_END,2024-06-10 09:39:09,1.1\n\
        LINKEDID_END,2024-06-10 09:39:09,1.1,1.1\n";
    let (rows, errors) = read(text, InputFormat::Csv);
    assert_eq!(errors, ["t line 3: eventtime \"yesterday\" is not a time", "t line 4: empty uniqueid",]);
    let names: Vec<&str> = rows.iter().map(|r| r.eventtype.name()).collect();
    assert_eq!(
        names,
        ["CHAN_START", "CHAN_END", "LINKEDID_END"],
        "a short row still has its uniqueid: its linkedid is the uniqueid"
    );
}

#[test]
fn a_header_without_the_call_columns_is_refused_naming_them() {
    let (rows, errors) = read("eventtime,channame,linkedid\n2024-06-10 09:39:05,PJSIP/1-1,1.1\n", InputFormat::Auto);
    assert!(rows.is_empty());
    assert_eq!(
        errors,
        ["t line 1: no \"eventtype\", \"uniqueid\" columns (the header has: eventtime,channame,linkedid)"]
    );
}

#[test]
fn integer_eventtypes_and_vendor_types() {
    let text = "eventtype,eventtime,uniqueid,linkedid\n4,1718012345,1.1,1.1\nXIVO_INCALL,1718012345,1.1,1.1\n";
    let (rows, _) = read(text, InputFormat::Csv);
    assert_eq!(rows[0].eventtype, EventType::Answer);
    assert_eq!(rows[1].eventtype, EventType::Other("XIVO_INCALL".into()));
}

#[test]
fn an_empty_input_says_nothing_was_found() {
    let (_, errors) = read("", InputFormat::Auto);
    assert_eq!(errors, ["t: no CEL rows found (read as csv)"]);
}

/// A row's line and fields, or a broken row's line and message.
type CsvRow = Result<(u64, Vec<String>), (u64, String)>;

/// Every row read as CSV.
fn csv_fields(text: &[u8]) -> Vec<CsvRow> {
    let mut rows = csv::CsvRows::new(text);
    let mut record = Record::new();
    let mut out = Vec::new();
    loop {
        match rows.next(&mut record).unwrap() {
            Next::End => return out,
            Next::Bad(line, message) => out.push(Err((line, message))),
            Next::Record(line) | Next::Columns(_, line) => {
                out.push(Ok((line, record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect())))
            }
        }
    }
}

fn ok(line: u64, fields: &[&str]) -> CsvRow {
    Ok((line, fields.iter().map(|f| (*f).to_owned()).collect()))
}

#[test]
fn csv_quoting_as_rfc_4180_has_it() {
    let text = "\u{feff}a,b,c\r\n\
        \"x,1\",\"say \"\"hi\"\"\",\r\n\
        \r\n\
        \"two\nlines\",\"\",plain\"quote\n\
        \"q\"after,,\"\"\"\"\n\
        last,row,\"no newline at the end\"";
    assert_eq!(
        csv_fields(text.as_bytes()),
        [
            ok(1, &["a", "b", "c"]),
            ok(2, &["x,1", "say \"hi\"", ""]),
            ok(4, &["two\nlines", "", "plain\"quote"]),
            ok(6, &["qafter", "", "\""]),
            ok(7, &["last", "row", "no newline at the end"]),
        ]
    );
}

#[test]
fn csv_line_numbers_count_the_lines_inside_quotes_and_blank_lines() {
    let text = "eventtype,eventtime,uniqueid,linkedid,appdata\n\
        \n\
        CHAN_START,1718012345,1.1,1.1,\"a\r\nb\r\nc\"\n\
        ANSWER,yesterday,1.1,1.1,\n";
    let (rows, errors) = read(text, InputFormat::Csv);
    assert_eq!(rows[0].appdata, "a\r\nb\r\nc", "line breaks inside quotes are data, as written");
    assert_eq!(errors, ["t line 6: eventtime \"yesterday\" is not a time"]);
}

#[test]
fn csv_an_unterminated_quote_is_a_broken_row_at_its_first_line() {
    let text = "eventtype,eventtime,uniqueid,linkedid,appdata\n\
        CHAN_START,1718012345,1.1,1.1,ok\n\
        ANSWER,1718012345,1.1,1.1,\"never closed\n\
        HANGUP,1718012345,1.1,1.1,\n";
    let (rows, errors) = read(text, InputFormat::Csv);
    assert_eq!(rows.len(), 1);
    assert_eq!(errors, ["t line 3: a quoted field runs to the end of the input (a `\"` is missing)"]);
}

#[test]
fn csv_reads_odd_input_without_panicking() {
    for text in [
        "\"",
        "\"\"",
        ",",
        "\n\n",
        "\u{feff}",
        "\"a\"\"",
        "a,\"b\r",
        "\r\n\"",
        "\"\r\n",
        "x\r\r\n,\"",
        "\u{feff}\"é\"\"é\",\"é",
    ] {
        let _ = csv_fields(text.as_bytes());
        let _ = read(text, InputFormat::Csv);
    }
}

#[test]
fn csv_keeps_non_utf8_rows_repaired() {
    let mut text = b"eventtype,eventtime,uniqueid,linkedid,cid_name\nCHAN_START,1718012345,1.1,1.1,\"caf".to_vec();
    text.extend_from_slice(b"\xe9\"\n");
    let rows: Vec<_> = CelReader::open(&text[..], "t", InputFormat::Csv, 0).unwrap().collect();
    let row = rows[0].as_ref().unwrap();
    assert_eq!(row.cid_name, "caf\u{fffd}");
    assert_eq!(row.uniqueid, "1.1");
}

#[test]
fn legacy_numbered_csv_reads_as_the_1_8_and_11_names() {
    let text = "eventtype,eventtime,uniqueid,linkedid\n\
        1,1718012345,1.1,1.1\n4,1718012346,1.1,1.1\n7,1718012346,1.1,1.1\n3,1718012350,1.1,1.1\n\
        2,1718012350,1.1,1.1\n22,1718012350,1.1,1.1\n";
    let legacy: Vec<String> = CelReader::open(text.as_bytes(), "t", InputFormat::Csv, 0)
        .unwrap()
        .event_numbers(EventNumbers::Asterisk11)
        .map(|r| r.unwrap().eventtype.name().to_owned())
        .collect();
    assert_eq!(legacy, ["CHAN_START", "ANSWER", "BRIDGE_START", "HANGUP", "CHAN_END", "LINKEDID_END"]);
    let (rows, _) = read(text, InputFormat::Csv);
    assert_eq!(rows[2].eventtype, EventType::BridgeEnter, "12+ numbering by default");
}

/// The rows the `csv` crate reads, less those our reader skips as blank.
fn csv_crate_fields(text: &[u8]) -> Vec<Vec<String>> {
    let mut reader = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text);
    let mut out = Vec::new();
    for record in reader.byte_records() {
        let record = record.unwrap();
        if record.len() == 1 && record[0].trim_ascii().is_empty() {
            continue;
        }
        out.push(record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect());
    }
    out
}

/// Same fields as the `csv` crate (which we replaced), on every input of up to
/// six tokens; lines are not compared: after a blank line the crate gives
/// the blank line's number.
#[test]
fn csv_reads_as_the_csv_crate_does_every_short_input() {
    const TOKENS: [&str; 5] = ["a", ",", "\"", "\n", "\r\n"];
    let mut text = String::new();
    let mut digits = [0usize; 6];
    for n in 0..TOKENS.len().pow(6) {
        let mut rest = n;
        for d in &mut digits {
            *d = rest % TOKENS.len();
            rest /= TOKENS.len();
        }
        // Alone, and after eight bytes that push_commas reads as one word.
        for prefix in ["", "abcdefg,"] {
            text.clear();
            text.push_str(prefix);
            digits.iter().for_each(|&d| text.push_str(TOKENS[d]));
            let ours: Vec<_> =
                csv_fields(text.as_bytes()).into_iter().map(|row| row.map(|(_, fields)| fields)).collect();
            let theirs = csv_crate_fields(text.as_bytes());
            match ours.split_last() {
                // An open quote at the end: the csv crate ends the field there instead.
                Some((Err(_), before)) => assert_eq!(
                    before.iter().flatten().collect::<Vec<_>>(),
                    theirs.iter().take(before.len()).collect::<Vec<_>>(),
                    "{text:?}"
                ),
                _ => assert_eq!(ours.into_iter().flatten().collect::<Vec<_>>(), theirs, "{text:?}"),
            }
        }
    }
}

#[test]
fn psql_aligned_rows_are_cut_at_the_rule_so_values_may_hold_bars() {
    let text = " eventtype  | uniqueid | linkedid | cid_name |    appdata     | extra
------------+----------+----------+----------+----------------+-------
 CHAN_START | 1.1      | 1.1      | Анна     | Dial(SIP/a|30) | {\"a\":\"b|c\"}
 ANSWER     | 1.1      | 1.1      | Ёж|ик    | x              |
(2 rows)
";
    let (rows, errors) = read(text, InputFormat::Psql);
    assert_eq!(errors, Vec::<String>::new());
    assert_eq!(rows[0].appdata, "Dial(SIP/a|30)");
    assert_eq!(rows[0].extra, "{\"a\":\"b|c\"}", "the last column takes the rest");
    assert_eq!(rows[0].cid_name, "Анна");
    assert_eq!(rows[1].cid_name, "Ёж|ик", "positions count characters, not bytes");
}

#[test]
fn psql_unaligned_rows_give_surplus_bars_to_the_one_column_that_may_hold_them() {
    let text =
        "eventtype|uniqueid|appdata|linkedid\nCHAN_START|1.1|Dial(SIP/a|30|tT)|1.1\nANSWER|1.1|x|1.1\n(2 rows)\n";
    let (rows, errors) = read(text, InputFormat::Psql);
    assert_eq!(errors, Vec::<String>::new());
    assert_eq!(rows[0].appdata, "Dial(SIP/a|30|tT)");
    assert_eq!(rows[0].linkedid, "1.1");
    assert_eq!(rows[1].appdata, "x");
}

#[test]
fn psql_unaligned_surplus_bars_with_no_single_candidate_are_a_broken_row() {
    let text = "eventtype|uniqueid|appdata|linkedid|extra\nCHAN_START|1.1|Dial(SIP/a|30)|1.1|\nANSWER|1.1|x|1.1|\n";
    let (rows, errors) = read(text, InputFormat::Psql);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        errors,
        ["t line 2: 6 fields, the header has 5: a value holds `|`, and no single appdata, extra or userfield \
          column can be told to hold it"]
    );
}

#[test]
fn local_times_in_a_named_zone_follow_daylight_saving_time() {
    // 01:59:59 EST and 03:00:00 EDT are one second apart.
    let text = "linkedid,uniqueid,eventtype,eventtime\n\
                1.1,1.1,CHAN_START,2024-03-10 01:59:59\n\
                1.1,1.1,HANGUP,2024-03-10 03:00:00\n\
                1.1,1.1,CHAN_END,2024-03-10 03:00:00-04\n";
    let zone = crate::Zone::parse("America/New_York").unwrap();
    let rows: Vec<CelEvent> = CelReader::open(text.as_bytes(), "t.csv", InputFormat::Csv, 0)
        .unwrap()
        .zone(zone)
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows[0].eventtime.unix_secs(), 1_710_053_999);
    assert_eq!(rows[1].eventtime.unix_secs() - rows[0].eventtime.unix_secs(), 1);
    assert_eq!(rows[2].eventtime, rows[1].eventtime, "a zone in the value wins");
}
