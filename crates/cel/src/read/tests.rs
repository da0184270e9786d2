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
