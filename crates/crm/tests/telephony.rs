//! The external-call lifecycle on the fake Bitrix24, through `Portal::call`
//! (the same dispatch the HTTP routes use), with a clock the test moves.

use callfull_crm::bitrix24::{Answer, Auth, B24Error, Portal, PortalOptions};
use callfull_world::World;
use serde_json::{Map, Value, json};

const T0: i64 = 1_794_899_703_000_000;

struct Fixture {
    portal: Portal,
    world: World,
}

impl Fixture {
    fn new() -> Self {
        // No rate limit: the test's clock stands still while it makes hundreds of calls.
        let portal =
            Portal::with_options(World::from_seed(11), PortalOptions { rate_limit: None, ..PortalOptions::default() });
        Fixture { portal, world: World::from_seed(11) }
    }

    fn call(&self, method: &str, params: Value, at: i64) -> Result<Value, B24Error> {
        let path = self.portal.webhook_path();
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let auth = Auth::Webhook { user: parts[1], code: parts[2] };
        let params: Map<String, Value> = params.as_object().cloned().unwrap_or_default();
        self.portal.call(&auth, method, &params, at).map(Answer::into_result)
    }

    fn ok(&self, method: &str, params: Value, at: i64) -> Value {
        self.call(method, params, at).unwrap_or_else(|e| panic!("{method}: {e:?}"))
    }
}

#[test]
fn an_answered_incoming_call_from_a_known_contact() {
    let f = Fixture::new();
    let contact = &f.world.contacts[2];
    let employee = &f.world.employees[4];
    let registered = f.ok(
        "telephony.externalcall.register",
        json!({"USER_PHONE_INNER": employee.extension, "PHONE_NUMBER": contact.phones[0], "TYPE": 2,
               "LINE_NUMBER": "+74952250101", "EXTERNAL_CALL_ID": "1794899703.1840", "CRM_CREATE": 1}),
        T0,
    );
    let call_id = registered["CALL_ID"].as_str().unwrap().to_owned();
    assert!(
        call_id.starts_with("externalCall.") && call_id.ends_with(".1794899703") && call_id.len() == 13 + 32 + 11,
        "{call_id}"
    );
    assert_eq!(registered["CRM_ENTITY_TYPE"], "CONTACT");
    assert_eq!(registered["CRM_ENTITY_ID"], json!(contact.b24_id));
    assert_eq!(
        (registered["CRM_CREATED_LEAD"].clone(), registered["CRM_CREATED_ENTITIES"].clone()),
        (Value::Null, json!([]))
    );

    assert_eq!(f.ok("telephony.externalcall.show", json!({"CALL_ID": call_id}), T0), json!(true));
    let user_id = employee.b24_id.to_string();
    let finished = f.ok(
        "telephony.externalcall.finish",
        json!({"CALL_ID": call_id, "USER_ID": user_id, "DURATION": 95, "STATUS_CODE": "200"}),
        T0 + 100_000_000,
    );
    assert_eq!((finished["CALL_FAILED_CODE"].as_str(), finished["CALL_STATUS"].as_i64()), (Some("200"), Some(1)));
    assert_eq!((finished["CRM_ENTITY_TYPE"].as_str(), finished["INCOMING"].as_str()), (Some("CONTACT"), Some("2")));
    let activity_id = finished["CRM_ACTIVITY_ID"].as_u64().unwrap();

    // The call is gone: show answers false, a second finish is refused.
    assert_eq!(f.ok("telephony.externalcall.hide", json!({"CALL_ID": call_id}), T0), json!(false));
    let again =
        f.call("telephony.externalcall.finish", json!({"CALL_ID": call_id, "USER_ID": user_id}), T0).unwrap_err();
    assert_eq!(
        (again.status, again.code.as_ref(), again.description.as_str()),
        (400, "", "Call is not found (call should be registered prior to finishing")
    );

    let activity = f.ok("crm.activity.get", json!({"id": activity_id}), T0);
    assert_eq!((activity["OWNER_TYPE_ID"].as_str(), activity["DIRECTION"].as_str()), (Some("3"), Some("1")));
    assert_eq!(activity["ORIGIN_ID"], format!("VI_{call_id}"));

    let record = f.ok(
        "telephony.externalCall.attachRecord",
        json!({"CALL_ID": call_id, "FILENAME": "call.mp3", "FILE_CONTENT": "SUQzBAAAAAAA"}),
        T0,
    );
    assert!(record["FILE_ID"].as_u64().is_some());
    let filter = json!({"ORIGIN_ID": format!("VI_{call_id}")});
    let listed = f.ok("crm.activity.list", json!({"filter": filter, "select": ["*", "FILES"]}), T0);
    assert_eq!(listed[0]["FILES"].as_array().unwrap().len(), 1);
    let listed = f.ok("crm.activity.list", json!({"filter": filter}), T0);
    assert!(listed[0].get("FILES").is_none(), "FILES only when named in select");
}

#[test]
fn an_unknown_caller_gets_a_lead_that_the_finishing_user_owns() {
    let f = Fixture::new();
    let first = &f.world.employees[0];
    let second = &f.world.employees[1];
    let registered = f.ok(
        "telephony.externalcall.register",
        json!({"USER_ID": first.b24_id, "PHONE_NUMBER": "+7 (999) 000-11-22", "TYPE": "2", "CRM_CREATE": "1"}),
        T0,
    );
    let lead_id = registered["CRM_CREATED_LEAD"].as_u64().unwrap();
    assert_eq!(registered["CRM_CREATED_ENTITIES"], json!([{"ENTITY_TYPE": "LEAD", "ENTITY_ID": lead_id}]));
    assert_eq!(registered["CRM_ENTITY_TYPE"], "LEAD");
    let lead = f.ok("crm.lead.get", json!({"id": lead_id}), T0);
    assert_eq!(lead["TITLE"], "+79990001122 - Входящий звонок");
    assert_eq!(lead["ASSIGNED_BY_ID"], first.b24_id.to_string());

    let call_id = registered["CALL_ID"].as_str().unwrap();
    let finished =
        f.ok("telephony.externalcall.finish", json!({"CALL_ID": call_id, "USER_ID": second.b24_id}), T0 + 30_000_000);
    assert_eq!(
        (finished["CALL_FAILED_CODE"].as_str(), finished["CALL_STATUS"].as_i64()),
        (Some("304"), Some(0)),
        "no duration: missed"
    );
    let lead = f.ok("crm.lead.get", json!({"id": lead_id}), T0);
    assert_eq!(lead["ASSIGNED_BY_ID"], second.b24_id.to_string(), "created by this call: reassigned");
    let dup = f.ok("crm.duplicate.findbycomm", json!({"type": "PHONE", "values": ["89990001122"]}), T0);
    assert_eq!(dup, json!({"LEAD": [lead_id]}));
}

#[test]
fn the_same_unfinished_call_within_thirty_minutes_keeps_its_call_id() {
    let f = Fixture::new();
    let e = &f.world.employees[2];
    let params = json!({"USER_ID": e.b24_id, "PHONE_NUMBER": "+79990001133", "TYPE": 2, "EXTERNAL_CALL_ID": "1.1"});
    let a = f.ok("telephony.externalcall.register", params.clone(), T0);
    let b = f.ok("telephony.externalcall.register", params.clone(), T0 + 29 * 60 * 1_000_000);
    assert_eq!(a["CALL_ID"], b["CALL_ID"]);
    let c = f.ok("telephony.externalcall.register", params.clone(), T0 + 31 * 60 * 1_000_000);
    assert_ne!(a["CALL_ID"], c["CALL_ID"], "older than 30 minutes: a new call");
    let other = f.ok(
        "telephony.externalcall.register",
        json!({"USER_ID": e.b24_id, "PHONE_NUMBER": "+79990001133", "TYPE": 2, "EXTERNAL_CALL_ID": "1.2"}),
        T0,
    );
    assert_ne!(a["CALL_ID"], other["CALL_ID"], "another EXTERNAL_CALL_ID: another call");
}

#[test]
fn a_call_to_an_extension_is_internal_and_never_creates_a_lead() {
    let f = Fixture::new();
    let (a, b) = (&f.world.employees[0], &f.world.employees[1]);
    let r = f.ok(
        "telephony.externalcall.register",
        json!({"USER_ID": a.b24_id, "PHONE_NUMBER": b.extension, "TYPE": 1, "CRM_CREATE": 1}),
        T0,
    );
    assert_eq!((r["CRM_ENTITY_TYPE"].as_str(), r["CRM_CREATED_LEAD"].clone()), (Some(""), Value::Null));
    let finished = f.ok(
        "telephony.externalcall.finish",
        json!({"CALL_ID": r["CALL_ID"], "USER_ID": a.b24_id, "DURATION": 10}),
        T0,
    );
    assert_eq!(finished["CRM_ACTIVITY_ID"], Value::Null);
    assert!(finished.get("CRM_ENTITY_TYPE").is_none());
}

#[test]
fn register_and_finish_refuse_bad_parameters_with_the_vendor_texts() {
    let f = Fixture::new();
    let e = &f.world.employees[0];
    let cases = [
        (json!({"PHONE_NUMBER": "+79990001122", "TYPE": 2}), "USER_ID or USER_PHONE_INNER should be set"),
        (json!({"USER_ID": 999_999, "PHONE_NUMBER": "+79990001122", "TYPE": 2}), "User is not found or is not active"),
        (json!({"USER_ID": e.b24_id, "PHONE_NUMBER": "abc", "TYPE": 2}), "Unsupported phone number format"),
        (json!({"USER_ID": e.b24_id, "PHONE_NUMBER": "+79990001122", "TYPE": 9}), "Unknown TYPE"),
        (
            json!({"USER_ID": e.b24_id, "PHONE_NUMBER": "+79990001122", "TYPE": 2, "CALL_START_DATE": "2026-11-17 10:00:00"}),
            "CALL_START_DATE should be in the ISO-8601 format",
        ),
    ];
    for (params, text) in cases {
        let err = f.call("telephony.externalcall.register", params, T0).unwrap_err();
        assert_eq!((err.status, err.code.as_ref(), err.description.as_str()), (400, "", text));
    }
    let ok = f.ok(
        "telephony.externalcall.register",
        json!({"USER_ID": e.b24_id, "PHONE_NUMBER": "+79990001122", "TYPE": 2,
                                                             "CALL_START_DATE": "2026-11-17T10:00:00+03:00"}),
        T0,
    );
    assert!(ok["CALL_ID"].is_string());
    let err = f.call("telephony.externalcall.finish", json!({"CALL_ID": 5, "USER_ID": e.b24_id}), T0).unwrap_err();
    assert_eq!((err.code.as_ref(), err.description.as_str()), ("INVALID_ARGUMENT", "CALL_ID must be a string"));
    let err = f
        .call(
            "telephony.externalCall.attachRecord",
            json!({"CALL_ID": ok["CALL_ID"], "FILENAME": "a.mp3", "FILE_CONTENT": "AAAA"}),
            T0,
        )
        .unwrap_err();
    assert_eq!(err.description, "Call is not found in the statistic table. Looks like it is not finished yet.");
}

#[test]
fn search_crm_entities_finds_a_client_and_its_responsible() {
    let f = Fixture::new();
    let contact = &f.world.contacts[5];
    let found = f.ok("telephony.externalCall.searchCrmEntities", json!({"PHONE_NUMBER": contact.phones[0]}), T0);
    assert_eq!(found[0]["CRM_ENTITY_TYPE"], "CONTACT");
    assert_eq!(found[0]["CRM_ENTITY_ID"], json!(contact.b24_id));
    assert!(found[0]["ASSIGNED_BY_ID"].is_u64() && found[0]["ASSIGNED_BY"]["ID"].is_string());
    assert_eq!(
        f.ok("telephony.externalCall.searchCrmEntities", json!({"PHONE_NUMBER": "+70000000000"}), T0),
        json!([])
    );
}

#[test]
fn concurrent_clients_register_and_finish_every_call_exactly_once() {
    let f = std::sync::Arc::new(Fixture::new());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let f = f.clone();
            std::thread::spawn(move || {
                let e = &f.world.employees[t % f.world.employees.len()];
                for i in 0..50 {
                    let phone = format!("+7999{t:03}{i:04}");
                    let r = f.ok(
                        "telephony.externalcall.register",
                        json!({"USER_ID": e.b24_id, "PHONE_NUMBER": phone, "TYPE": 2,
                                                                           "EXTERNAL_CALL_ID": format!("{t}.{i}")}),
                        T0,
                    );
                    f.ok(
                        "telephony.externalcall.finish",
                        json!({"CALL_ID": r["CALL_ID"], "USER_ID": e.b24_id, "DURATION": 1}),
                        T0,
                    );
                    assert!(
                        f.call(
                            "telephony.externalcall.finish",
                            json!({"CALL_ID": r["CALL_ID"], "USER_ID": e.b24_id}),
                            T0
                        )
                        .is_err()
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn external_lines_are_added_listed_updated_deleted_and_made_by_register() {
    let f = Fixture::new();
    assert!(f.ok("telephony.externalLine.add", json!({"NUMBER": "+74952250101", "NAME": "Приём"}), T0)["ID"].is_u64());
    let err = f.call("telephony.externalLine.add", json!({"NUMBER": "+74952250101"}), T0).unwrap_err();
    assert_eq!(err.description, "Line already exists");
    f.ok("telephony.externalLine.update", json!({"NUMBER": "+74952250101", "CRM_AUTO_CREATE": "N"}), T0);
    let e = &f.world.employees[0];
    f.ok(
        "telephony.externalcall.register",
        json!({"USER_ID": e.b24_id, "PHONE_NUMBER": "+79990001177", "TYPE": 2, "LINE_NUMBER": "+74952250102"}),
        T0,
    );
    let lines = f.ok("telephony.externalLine.get", json!({}), T0);
    assert_eq!(
        lines,
        json!([
            {"NUMBER": "+74952250101", "NAME": "Приём", "CRM_AUTO_CREATE": "N"},
            {"NUMBER": "+74952250102", "NAME": "+74952250102", "CRM_AUTO_CREATE": "Y"},
        ])
    );
    assert_eq!(f.ok("telephony.externalLine.delete", json!({"NUMBER": "+74952250102"}), T0), json!([]));
    let err = f.call("telephony.externalLine.update", json!({"NUMBER": "+70000000000", "NAME": "x"}), T0).unwrap_err();
    assert_eq!(err.description, "Could not find line with number +70000000000");
}

#[test]
fn with_a_state_file_every_answered_write_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("callfull-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("portal.json");
    let _ = std::fs::remove_file(&file);
    let options = PortalOptions { rate_limit: None, state_file: Some(file.clone()), ..PortalOptions::default() };
    let world = World::from_seed(11);
    let e = &world.employees[0];

    let first =
        Fixture { portal: Portal::open(World::from_seed(11), options.clone()).unwrap(), world: World::from_seed(11) };
    let r = first.ok(
        "telephony.externalcall.register",
        json!({"USER_ID": e.b24_id, "PHONE_NUMBER": "+79990001188", "TYPE": 2, "CRM_CREATE": 1}),
        T0,
    );
    let lead = r["CRM_CREATED_LEAD"].as_u64().unwrap();
    drop(first); // as if killed: nothing is written at exit

    let second =
        Fixture { portal: Portal::open(World::from_seed(11), options.clone()).unwrap(), world: World::from_seed(11) };
    assert_eq!(second.ok("crm.lead.get", json!({"id": lead}), T0)["ID"], lead.to_string());
    let done = second.ok(
        "telephony.externalcall.finish",
        json!({"CALL_ID": r["CALL_ID"], "USER_ID": e.b24_id, "DURATION": 3}),
        T0,
    );
    assert_eq!(done["CALL_FAILED_CODE"], "200", "the call registered before the restart is still active");

    std::fs::write(&file, b"{not json").unwrap();
    let err = Portal::open(World::from_seed(11), options).err().expect("a broken state file is refused");
    assert!(err.to_string().contains("not a callfull state file"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_open_questions_are_settings_app_only_telephony_error_code_and_webhook_status() {
    let options = PortalOptions {
        rate_limit: None,
        telephony_app_only: true,
        telephony_error_code: "ERROR_CORE".into(),
        wrong_webhook_status: 403,
        ..PortalOptions::default()
    };
    let world = World::from_seed(11);
    let portal = Portal::with_options(world.clone(), options);
    let path = portal.webhook_path();
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let webhook = Auth::Webhook { user: parts[1], code: parts[2] };
    let app = Auth::Token(Some(portal.access_token().to_owned()));
    let params = |v: Value| v.as_object().cloned().unwrap();
    let register = params(json!({"USER_ID": world.employees[0].b24_id, "PHONE_NUMBER": "+79990001122", "TYPE": 2}));

    let refused = portal.call(&webhook, "telephony.externalcall.register", &register, T0).unwrap_err();
    assert_eq!((refused.status, refused.code.as_ref()), (403, "WRONG_AUTH_TYPE"));
    assert!(portal.call(&webhook, "user.current", &Map::new(), T0).is_ok(), "only telephony is app-only");
    assert!(portal.call(&app, "telephony.externalcall.register", &register, T0).is_ok());

    let invalid =
        portal.call(&app, "telephony.externalcall.register", &params(json!({"PHONE_NUMBER": "1"})), T0).unwrap_err();
    assert_eq!((invalid.status, invalid.code.as_ref()), (400, "ERROR_CORE"));
    assert_eq!(invalid.description, "USER_ID or USER_PHONE_INNER should be set");
    let not_found = portal.call(&app, "crm.contact.get", &params(json!({"id": 1})), T0).unwrap_err();
    assert_eq!(not_found.code, "", "CRM handlers keep the empty code");

    let wrong =
        portal.call(&Auth::Webhook { user: parts[1], code: "nope" }, "user.current", &Map::new(), T0).unwrap_err();
    assert_eq!((wrong.status, wrong.code.as_ref()), (403, "INVALID_CREDENTIALS"));
}

#[test]
fn show_and_hide_record_whom_the_call_card_rang_for() {
    let f = Fixture::new();
    let (first, second) = (&f.world.employees[0], &f.world.employees[1]);
    let registered = f.ok(
        "telephony.externalcall.register",
        json!({"USER_ID": first.b24_id, "PHONE_NUMBER": "+79990001122", "TYPE": 2}),
        T0,
    );
    let call_id = registered["CALL_ID"].clone();
    assert_eq!(
        f.ok("telephony.externalcall.show", json!({"CALL_ID": call_id, "USER_ID": [first.b24_id, second.b24_id]}), T0),
        json!(true)
    );
    assert_eq!(
        f.ok("telephony.externalcall.hide", json!({"CALL_ID": call_id, "USER_ID": second.b24_id}), T0),
        json!(true)
    );
    let active = f.portal.dump()["telephony"]["active_calls"][0].clone();
    assert_eq!(active["SHOWN_TO"], json!([first.b24_id.to_string()]));
    assert_eq!(
        active["PUSHES"],
        json!([
            {"action": "show", "USER_ID": [first.b24_id.to_string(), second.b24_id.to_string()]},
            {"action": "hide", "USER_ID": [second.b24_id.to_string()]}
        ])
    );
    assert_eq!(f.ok("telephony.externalcall.show", json!({"CALL_ID": "externalCall.nope.1"}), T0), json!(false));
}

#[test]
fn user_get_select_keeps_the_named_fields_and_crm_add_prints_every_field() {
    let f = Fixture::new();
    let users = f.ok(
        "user.get",
        json!({"select": ["ID", "UF_PHONE_INNER"], "filter": {"ID": f.world.employees[0].b24_id}}),
        T0,
    );
    assert_eq!(
        users,
        json!([{"ID": f.world.employees[0].b24_id.to_string(), "UF_PHONE_INNER": f.world.employees[0].extension}])
    );
    let id = f.ok("crm.deal.add", json!({"fields": {"TITLE": "Поставка", "OPPORTUNITY": 15000}}), T0);
    let deal = f.ok("crm.deal.get", json!({"id": id}), T0);
    assert_eq!(deal["OPPORTUNITY"], "15000.00");
    assert_eq!(deal["COMPANY_ID"], Value::Null, "absent fields print as null");
    let id = f.ok("crm.contact.add", json!({"fields": {"NAME": "Иван"}}), T0);
    let contact = f.ok("crm.contact.get", json!({"id": id}), T0);
    assert!(contact.as_object().unwrap().contains_key("SECOND_NAME") && contact["POST"].is_null());
}

#[test]
fn an_outgoing_call_to_a_company_and_one_to_an_unknown_number() {
    let f = Fixture::new();
    let company = &f.world.companies[0];
    let employee = &f.world.employees[3];
    let registered = f.ok(
        "telephony.externalcall.register",
        json!({"USER_ID": employee.b24_id, "PHONE_NUMBER": company.phones[0], "TYPE": 1, "SHOW": 0}),
        T0,
    );
    assert_eq!(registered["CRM_ENTITY_TYPE"], "COMPANY");
    assert_eq!(registered["CRM_ENTITY_ID"], json!(company.b24_id));
    let finished = f.ok(
        "telephony.externalcall.finish",
        json!({"CALL_ID": registered["CALL_ID"], "USER_ID": employee.b24_id, "DURATION": 42}),
        T0 + 50_000_000,
    );
    assert_eq!((finished["INCOMING"].as_str(), finished["CALL_FAILED_CODE"].as_str()), (Some("1"), Some("200")));
    let activity = f.ok("crm.activity.get", json!({"id": finished["CRM_ACTIVITY_ID"]}), T0);
    assert_eq!((activity["OWNER_TYPE_ID"].as_str(), activity["DIRECTION"].as_str()), (Some("4"), Some("2")));

    // An unknown number with CRM_CREATE: an outgoing call's lead; busy (486) at the end.
    let unknown = f.ok(
        "telephony.externalcall.register",
        json!({"USER_ID": employee.b24_id, "PHONE_NUMBER": "+79990007788", "TYPE": 1, "CRM_CREATE": 1}),
        T0,
    );
    let lead = f.ok("crm.lead.get", json!({"id": unknown["CRM_CREATED_LEAD"]}), T0);
    assert_eq!(lead["TITLE"], "+79990007788 - Исходящий звонок");
    let busy = f.ok(
        "telephony.externalcall.finish",
        json!({"CALL_ID": unknown["CALL_ID"], "USER_ID": employee.b24_id, "DURATION": 0, "STATUS_CODE": "486"}),
        T0,
    );
    assert_eq!((busy["CALL_FAILED_CODE"].as_str(), busy["CALL_STATUS"].as_i64()), (Some("486"), Some(0)));
}
