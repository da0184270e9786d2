//! The assembler on a hand-written call: §4.1 of asterisk-cel.md (an inbound
//! trunk call to extension 101, answered, the callee hangs up), read from CSV
//! the way a CEL export arrives.

use callfull_cel::{Assembler, Binding, BindingRequest, Lookup, read_csv, unanswered_result};
use callfull_model::{CallStage, CallType, ChannelState, Crm, Number, PrefixSettings, Raw, SipStatus, User};

struct Pbx;

impl Lookup for Pbx {
    fn number(&self, original: &str) -> Number {
        PrefixSettings::default().number(original)
    }
    fn trunk_did(&self, endpoint: &str) -> Option<String> {
        (endpoint == "siptrunk").then(|| "+74952250101".to_owned())
    }
    fn user(&self, number: &str) -> Option<User> {
        (number == "101").then(|| User {
            email: "a.kotova@example.ru".into(),
            id: "14".into(),
            name: "Анна Котова".into(),
            phones: vec!["101".into()],
            position: "Менеджер".into(),
            raw: Raw::default(),
        })
    }
    fn binding(&self, _: &BindingRequest<'_>) -> Binding {
        Binding::default()
    }
}

const CSV: &str = r#"id,eventtype,eventtime,cid_name,cid_num,exten,context,channame,appname,appdata,uniqueid,linkedid,peer,extra
1,CHAN_START,2024-06-10 09:39:05.104233,ACME,+79161230000,+74952250101,from-trunk,PJSIP/siptrunk-0000002a,,,1718012345.118,1718012345.118,,
2,APP_START,2024-06-10 09:39:05.109871,ACME,+79161230000,+74952250101,from-trunk,PJSIP/siptrunk-0000002a,Dial,"PJSIP/101,30,tT",1718012345.118,1718012345.118,,
3,CHAN_START,2024-06-10 09:39:05.110412,Alice,101,s,from-internal,PJSIP/101-0000002b,,,1718012345.119,1718012345.118,,
4,ANSWER,2024-06-10 09:39:11.523918,Alice,101,+74952250101,from-internal,PJSIP/101-0000002b,AppDial,(Outgoing Line),1718012345.119,1718012345.118,,
5,ANSWER,2024-06-10 09:39:11.524660,ACME,+79161230000,+74952250101,from-trunk,PJSIP/siptrunk-0000002a,Dial,"PJSIP/101,30,tT",1718012345.118,1718012345.118,,
6,BRIDGE_ENTER,2024-06-10 09:39:11.528104,Alice,101,+74952250101,from-internal,PJSIP/101-0000002b,AppDial,(Outgoing Line),1718012345.119,1718012345.118,,"{""bridge_id"":""3f2c"",""bridge_technology"":""simple_bridge""}"
7,BRIDGE_ENTER,2024-06-10 09:39:11.528530,ACME,+79161230000,+74952250101,from-trunk,PJSIP/siptrunk-0000002a,Dial,"PJSIP/101,30,tT",1718012345.118,1718012345.118,PJSIP/101-0000002b,"{""bridge_id"":""3f2c"",""bridge_technology"":""simple_bridge""}"
8,BRIDGE_EXIT,2024-06-10 09:41:02.771045,Alice,101,+74952250101,from-internal,PJSIP/101-0000002b,AppDial,(Outgoing Line),1718012345.119,1718012345.118,PJSIP/siptrunk-0000002a,"{""bridge_id"":""3f2c"",""bridge_technology"":""simple_bridge""}"
9,HANGUP,2024-06-10 09:41:02.772310,Alice,101,+74952250101,from-internal,PJSIP/101-0000002b,AppDial,(Outgoing Line),1718012345.119,1718012345.118,,"{""hangupcause"":16,""hangupsource"":""PJSIP/101-0000002b"",""dialstatus"":""""}"
10,CHAN_END,2024-06-10 09:41:02.772310,Alice,101,+74952250101,from-internal,PJSIP/101-0000002b,AppDial,(Outgoing Line),1718012345.119,1718012345.118,,
11,BRIDGE_EXIT,2024-06-10 09:41:02.773002,ACME,+79161230000,+74952250101,from-trunk,PJSIP/siptrunk-0000002a,Dial,"PJSIP/101,30,tT",1718012345.118,1718012345.118,,"{""bridge_id"":""3f2c"",""bridge_technology"":""simple_bridge""}"
12,APP_END,2024-06-10 09:41:02.773519,ACME,+79161230000,+74952250101,from-trunk,PJSIP/siptrunk-0000002a,Dial,"PJSIP/101,30,tT",1718012345.118,1718012345.118,,
13,HANGUP,2024-06-10 09:41:02.775120,ACME,+79161230000,+74952250101,from-trunk,PJSIP/siptrunk-0000002a,,,1718012345.118,1718012345.118,,"{""hangupcause"":16,""hangupsource"":""PJSIP/101-0000002b"",""dialstatus"":""ANSWER""}"
14,CHAN_END,2024-06-10 09:41:02.775120,ACME,+79161230000,+74952250101,from-trunk,PJSIP/siptrunk-0000002a,,,1718012345.118,1718012345.118,,
15,LINKEDID_END,2024-06-10 09:41:02.775120,ACME,+79161230000,+74952250101,from-trunk,PJSIP/siptrunk-0000002a,,,1718012345.118,1718012345.118,,
"#;

#[test]
fn an_answered_inbound_call_passes_four_stages_in_order() {
    let rows = read_csv(CSV.as_bytes(), "4.1.csv", 0).unwrap();
    let stages = Assembler::new(&Pbx, Crm::Bitrix24, 3 * 3600).stages(&rows).unwrap();
    let names: Vec<CallStage> = stages.iter().map(|s| s.call_stage).collect();
    assert_eq!(
        names,
        [
            CallStage::ConversationRequested,
            CallStage::ConversationAccepted,
            CallStage::ConversationEnded,
            CallStage::CallEnded
        ]
    );

    let ringing = &stages[0].call_full;
    let leg = &ringing.conversations["1718012345.119"];
    assert_eq!((leg.channel.state, ringing.channel.state), (ChannelState::Ringing, ChannelState::Ringing));
    assert_eq!(leg.user.as_ref().map(|u| u.name.as_str()), Some("Анна Котова"));
    assert_eq!(ringing.channel.kind, CallType::Incoming);
    assert_eq!((ringing.channel.from.original.as_str(), ringing.channel.to.original.as_str()), ("+79161230000", "101"));
    assert_eq!(ringing.channel.trunk.original, "+74952250101");
    assert_eq!(ringing.result, SipStatus::UNDECIDED);

    let talking = &stages[1].call_full;
    assert_eq!(talking.channel.state, ChannelState::Talking, "the caller's ANSWER is in the same burst");
    assert_eq!(talking.conversations["1718012345.119"].channel.answer_time.to_string(), "2024-06-10 12:39:11");
    assert_eq!(talking.result, SipStatus::OK);

    let ended = &stages[2].call_full;
    let leg = &ended.conversations["1718012345.119"].channel;
    assert_eq!(leg.state, ChannelState::Ended);
    assert_eq!(
        serde_json::to_string(&leg.extra).unwrap(),
        r#"{"dialstatus":"","hangupcause":16,"hangupsource":"PJSIP/101-0000002b"}"#
    );
    assert_eq!(ended.active_conversation_id, "1718012345.119");

    let last = &stages[3].call_full;
    assert_eq!(last.active_conversation_id, "");
    assert!(last.conversations.values().all(|c| c.channel.state == ChannelState::Processed));
    assert_eq!(last.channel.state, ChannelState::Processed);
    assert_eq!(last.channel.end_time.to_string(), "2024-06-10 12:41:02");
    assert_eq!(last.result, SipStatus::OK);
    assert!(!last.is_ivr);
}

#[test]
fn the_same_call_without_its_callee_rows_is_a_missed_call_with_no_conversation() {
    let rows: Vec<_> = read_csv(CSV.as_bytes(), "4.1.csv", 0)
        .unwrap()
        .into_iter()
        .filter(|r| r.uniqueid.ends_with(".118") && r.eventtype.name() != "ANSWER")
        .map(|mut r| {
            if r.eventtype.name() == "HANGUP" {
                r.extra = r#"{"hangupcause":20,"hangupsource":"","dialstatus":"CHANUNAVAIL"}"#.into();
            }
            r
        })
        .collect();
    let stages = Assembler::new(&Pbx, Crm::Bitrix24, 0).stages(&rows).unwrap();
    assert_eq!(stages.len(), 1);
    let call = &stages[0].call_full;
    assert_eq!(call.result, SipStatus::TEMPORARILY_UNAVAILABLE);
    assert!(call.conversations.is_empty() && !call.is_ivr);
}

#[test]
fn no_rows_is_an_error() {
    assert!(Assembler::new(&Pbx, Crm::AmoCrm, 0).stages(&[]).is_err());
}

/// Regression: a conversation whose CHAN_START the export lost was requested
/// at its first row, but that row's own effect (here its ANSWER) was dropped,
/// so the call never had an accepted stage and ended unanswered.
#[test]
fn a_leg_without_chan_start_is_requested_and_its_first_row_still_counts() {
    let rows: Vec<_> = read_csv(CSV.as_bytes(), "4.1.csv", 0).unwrap().into_iter().filter(|r| r.id != 3).collect();
    let stages = Assembler::new(&Pbx, Crm::Bitrix24, 0).stages(&rows).unwrap();
    let names: Vec<CallStage> = stages.iter().map(|s| s.call_stage).collect();
    assert_eq!(
        names,
        [
            CallStage::ConversationRequested,
            CallStage::ConversationAccepted,
            CallStage::ConversationEnded,
            CallStage::CallEnded
        ]
    );
    let requested = &stages[0].call_full.conversations["1718012345.119"].channel;
    assert_eq!((requested.state, requested.was_answered), (ChannelState::Ringing, false));
    let last = &stages[3].call_full;
    assert_eq!(last.conversations["1718012345.119"].channel.answer_time.to_string(), "2024-06-10 09:39:11");
    assert_eq!(last.result, SipStatus::OK);
}

/// Regression: a conversation whose first row (its CHAN_START lost) came
/// within a burst of another leg's HANGUP replaced that leg's pending
/// "ended" stage, which was never handed over.
#[test]
fn a_first_row_right_after_a_hangup_does_not_swallow_its_stage() {
    let second_leg = "\
16,APP_START,2024-06-10 09:41:02.772400,Alice,101,s,from-internal,PJSIP/101-0000002c,AppDial,(Outgoing Line),1718012345.120,1718012345.118,,
17,HANGUP,2024-06-10 09:41:02.772500,Alice,101,s,from-internal,PJSIP/101-0000002c,AppDial,(Outgoing Line),1718012345.120,1718012345.118,,\"{\"\"hangupcause\"\":16}\"
";
    let rows = read_csv(format!("{CSV}{second_leg}").as_bytes(), "4.1.csv", 0).unwrap();
    let stages = Assembler::new(&Pbx, Crm::Bitrix24, 0).stages(&rows).unwrap();
    let seen: Vec<(CallStage, String)> =
        stages.iter().map(|s| (s.call_stage, s.call_full.active_conversation_id.clone())).collect();
    let ended_119 = (CallStage::ConversationEnded, "1718012345.119".to_owned());
    let requested_120 = (CallStage::ConversationRequested, "1718012345.120".to_owned());
    let at = |stage: &(CallStage, String)| seen.iter().position(|s| s == stage);
    assert!(at(&ended_119).is_some() && at(&ended_119) < at(&requested_120), "{seen:?}");
}

#[test]
fn a_legacy_hangup_extra_gives_the_result() {
    let rows: Vec<_> = read_csv(CSV.as_bytes(), "4.1.csv", 0)
        .unwrap()
        .into_iter()
        .filter(|r| r.uniqueid.ends_with(".118") && r.eventtype.name() != "ANSWER")
        .map(|mut r| {
            if r.eventtype.name() == "HANGUP" {
                r.extra = "17,SIP/trunk-00000001,BUSY".into();
            }
            r
        })
        .collect();
    let stages = Assembler::new(&Pbx, Crm::Bitrix24, 0).stages(&rows).unwrap();
    assert_eq!(stages[0].call_full.result, SipStatus::BUSY);
    assert_eq!(
        serde_json::to_string(&stages[0].call_full.channel.extra).unwrap(),
        r#"{"dialstatus":"BUSY","hangupcause":17,"hangupsource":"SIP/trunk-00000001"}"#
    );
}

/// A-ASM-6: the channel shows its latest HANGUP's extra, `{}` when that one
/// is not JSON; the main channel's latest cause decides an unanswered result.
#[test]
fn a_second_hangup_replaces_the_channel_extra() {
    let main_only = |second_extra: &str| {
        let mut rows: Vec<_> = read_csv(CSV.as_bytes(), "4.1.csv", 0)
            .unwrap()
            .into_iter()
            .filter(|r| r.uniqueid.ends_with(".118") && r.eventtype.name() != "ANSWER")
            .collect();
        let hangup = rows.iter().position(|r| r.eventtype.name() == "HANGUP").unwrap();
        // The same time and id: the sort is stable, so it stays right after.
        let mut again = rows[hangup].clone();
        again.extra = second_extra.into();
        rows.insert(hangup + 1, again);
        let stages = Assembler::new(&Pbx, Crm::Bitrix24, 0).stages(&rows).unwrap();
        stages.last().unwrap().call_full.clone()
    };
    let call = main_only(r#"{"hangupcause":17,"hangupsource":"","dialstatus":"BUSY"}"#);
    assert_eq!(call.channel.extra["dialstatus"], "BUSY");
    assert_eq!(call.result, SipStatus::BUSY);
    let call = main_only("not json");
    assert!(call.channel.extra.is_empty());
    assert_eq!(call.result, unanswered_result(None, ""));
}
