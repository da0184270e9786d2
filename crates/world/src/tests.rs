//! Crate-level tests: determinism, the vendor's number example, gender
//! agreement, unique numbers, lookups, and every `call_full` piece passing
//! the contract's validator.

use std::collections::BTreeSet;

use callfull_model::{
    CallFull, CallType, Channel, ChannelState, Conversation, Crm, DateTime, Entity, Options, Registration, SipStatus,
    User, is_empty_value, validate,
};
use indexmap::IndexMap;

use crate::locale::{FEMALE_FIRST_NAMES, MALE_FIRST_NAMES, SURNAMES, surname_form};
use crate::phone::{self, Style};
use crate::{ClientRef, Gender, World, WorldSettings};

fn world() -> World {
    World::from_seed(42)
}

#[test]
fn same_seed_same_world_byte_for_byte() {
    let a = serde_json::to_string(&World::from_seed(7)).unwrap();
    let b = serde_json::to_string(&World::from_seed(7)).unwrap();
    assert_eq!(a, b);
    let c = serde_json::to_string(&World::from_seed(8)).unwrap();
    assert_ne!(a, c);
    // The CRM views are stable too.
    let (w1, w2) = (World::from_seed(7), World::from_seed(7));
    let views = |w: &World| {
        let client = ClientRef::Contact(&w.contacts[3]);
        serde_json::to_string(&(w.bitrix24_entity(client), w.amocrm_entity(client), w.amocrm_deal(&w.deals[0])))
            .unwrap()
    };
    assert_eq!(views(&w1), views(&w2));
}

#[test]
fn cyrillic_round_trips_through_json() {
    let w = world();
    let text = serde_json::to_string(&w).unwrap();
    assert!(text.contains(&w.employees[0].last_name), "Cyrillic is written as is, not escaped");
    let back: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back, serde_json::to_value(&w).unwrap());
}

#[test]
fn vendor_number_example() {
    let w = world();
    let n = w.number("+79001234567");
    assert_eq!(
        serde_json::to_string(&n).unwrap(),
        r#"{"base":"9001234567","custom":"89001234567","is_local":false,"original":"+79001234567","variants":["9001234567","+74959001234567","84959001234567","+79001234567","79001234567","89001234567"]}"#
    );
    let ext = w.number("101");
    assert!(ext.is_local && ext.custom.is_empty() && ext.variants == ["101"]);
    assert_eq!(w.number("89001234567").custom, "", "the rule replaces +7 only");
    assert_eq!(w.number("+7").custom, "", "too short to replace");
}

#[test]
fn crm_numbers_keep_the_stored_text() {
    let w = world();
    let n = w.crm_number("+7 (916) 777-55-33");
    assert_eq!(n.original, "+7 (916) 777-55-33");
    assert_eq!(n.base, "9167775533");
    assert_eq!(n.variants[0], n.base);
    assert_eq!(n.variants[3], "+79167775533");
    assert_eq!(n.custom, "");
    let n = w.crm_number("8 495 123-45-67");
    assert_eq!(n.base, "1234567");
    let n = w.crm_number("+7 (495) 225-01-01 доб. 101");
    assert_eq!(n.base, "2250101");
}

#[test]
fn names_agree_with_gender() {
    for seed in 0..5 {
        let w = World::from_seed(seed);
        let people = w
            .employees
            .iter()
            .map(|e| (&e.first_name, &e.last_name, &e.patronymic, e.gender))
            .chain(w.contacts.iter().map(|c| (&c.first_name, &c.last_name, &c.patronymic, c.gender)));
        for (first, last, patronymic, gender) in people {
            let forms: Vec<String> = SURNAMES.iter().map(|s| surname_form(s, gender)).collect();
            assert!(forms.contains(last), "{first} {last}: not a {gender:?} surname");
            match gender {
                Gender::Male => {
                    assert!(MALE_FIRST_NAMES.contains(&first.as_str()), "{first}");
                    assert!(patronymic.is_empty() || patronymic.ends_with("ич"), "{first} {patronymic}");
                }
                Gender::Female => {
                    assert!(FEMALE_FIRST_NAMES.contains(&first.as_str()), "{first}");
                    assert!(patronymic.is_empty() || patronymic.ends_with("на"), "{first} {patronymic}");
                    let male_form = ["ов", "ев", "ёв", "ин", "ский", "цкий", "ой"];
                    assert!(!male_form.iter().any(|e| last.ends_with(e)), "{first} {last}");
                }
            }
        }
        for e in &w.employees {
            assert!(!e.patronymic.is_empty(), "employees have patronymics in the CRM");
        }
    }
}

#[test]
fn every_number_is_unique_and_never_an_extension() {
    for seed in [0, 1, 42, 1234] {
        let w = World::from_seed(seed);
        let mut seen = BTreeSet::new();
        let mut own = |text: &str| {
            let n = phone::national(text).unwrap_or_else(|| panic!("{text} is not a full number"));
            assert!(seen.insert(n), "{text} appears twice (seed {seed})");
        };
        for t in &w.trunks {
            own(&t.did);
        }
        for e in &w.employees {
            own(&e.mobile);
            if !e.work_phone.is_empty() && phone::extension_of(&e.work_phone).is_none() {
                own(&e.work_phone);
            }
        }
        for client in w.clients() {
            assert!(!client.phones().is_empty());
            for p in client.phones() {
                own(p);
                assert!(!w.prefixes.is_internal(&phone::normalize(p)), "{p} looks like an extension");
            }
        }
        let extensions: BTreeSet<_> = w.employees.iter().map(|e| e.extension.as_str()).collect();
        assert_eq!(extensions.len(), w.employees.len());
        let emails: BTreeSet<_> = w.employees.iter().map(|e| e.email.as_str()).collect();
        assert_eq!(emails.len(), w.employees.len(), "employee e-mails are unique (amoCRM maps users by e-mail)");
    }
}

#[test]
fn everyone_is_findable_by_number() {
    let w = world();
    for e in &w.employees {
        assert_eq!(w.employee_by_extension(&e.extension).map(|f| f.index), Some(e.index));
        assert_eq!(w.employee_by_number(&e.extension).map(|f| f.index), Some(e.index));
        assert_eq!(w.employee_by_number(&e.mobile).map(|f| f.index), Some(e.index));
        let n = phone::national(&e.mobile).unwrap();
        for style in Style::ALL {
            assert_eq!(w.employee_by_number(&phone::format(n, style)).map(|f| f.index), Some(e.index));
        }
        if !e.work_phone.is_empty() && phone::extension_of(&e.work_phone).is_none() {
            assert_eq!(w.employee_by_number(&e.work_phone).map(|f| f.index), Some(e.index));
        }
        assert!(w.client_by_number(&e.mobile, Crm::Bitrix24).is_none());
    }
    assert!(w.employee_by_number(&w.trunks[0].did).is_none(), "the main number is no one's own line");

    for crm in [Crm::Bitrix24, Crm::AmoCrm] {
        for c in &w.contacts {
            for p in &c.phones {
                let n = phone::national(p).unwrap();
                for spelling in [p.clone(), phone::format(n, Style::E164), phone::format(n, Style::Eight)] {
                    let found = w.client_by_number(&spelling, crm);
                    assert!(matches!(found, Some(ClientRef::Contact(f)) if f.index == c.index), "{spelling}");
                }
                // The connector's search: the base and every variant.
                for variant in &w.number(&phone::format(n, Style::E164)).variants {
                    assert!(
                        matches!(w.client_by_number(variant, crm), Some(ClientRef::Contact(f)) if f.index == c.index)
                    );
                }
            }
        }
        for c in &w.companies {
            for p in &c.phones {
                assert!(matches!(w.client_by_number(p, crm), Some(ClientRef::Company(f)) if f.index == c.index), "{p}");
            }
        }
        for l in &w.leads {
            for p in &l.phones {
                let found = w.client_by_number(p, crm);
                match crm {
                    Crm::AmoCrm => assert!(found.is_none(), "amoCRM has no leads: {p}"),
                    _ => assert!(matches!(found, Some(ClientRef::Lead(f)) if f.index == l.index), "{p}"),
                }
            }
        }
    }
    assert!(w.client_by_number("101", Crm::Bitrix24).is_none());
    assert!(w.client_by_number("", Crm::Bitrix24).is_none());
    assert!(w.client_by_number("+79990000000", Crm::Bitrix24).is_none() || w.contacts.len() > 100);
}

#[test]
fn open_deals_are_bound_and_open() {
    let w = world();
    let mut with_deal = 0;
    for c in &w.contacts {
        if let Some(d) = w.open_deal_for(ClientRef::Contact(c)) {
            assert_eq!(d.contact, Some(c.index));
            assert!(d.is_open());
            with_deal += 1;
        }
    }
    assert!(with_deal > 0 && with_deal < w.contacts.len(), "some contacts have an open deal, some do not");
    for c in &w.companies {
        if let Some(d) = w.open_deal_for(ClientRef::Company(c)) {
            assert_eq!(d.company, Some(c.index));
        }
    }
    assert!(w.open_deal_for(ClientRef::Lead(&w.leads[0])).is_none());
    for d in &w.deals {
        let pipeline = w.amo.pipelines.iter().find(|p| p.id == d.pipeline_id).expect("a pipeline of the account");
        assert!(pipeline.statuses.iter().any(|s| s.id == d.status_id));
        assert!(d.contact.is_some() || d.company.is_some());
        assert!(d.created.as_str() < "2026-11-17", "{}", d.created);
    }
}

#[test]
fn new_ids_are_free() {
    let w = world();
    let b24 = w.next_b24_id();
    assert!(w.clients().all(|c| c.b24_id() < b24) && w.employees.iter().all(|e| e.b24_id < b24));
    let amo = w.next_amo_id();
    assert!(w.contacts.iter().all(|c| c.amo_id < amo) && w.deals.iter().all(|d| d.amo_id < amo));
    assert!(w.employees.iter().all(|e| e.amo_id < amo) && w.companies.iter().all(|c| c.amo_id < amo));
    let ids: BTreeSet<u32> = w.clients().map(|c| c.b24_id()).collect();
    assert_eq!(ids.len(), w.contacts.len() + w.companies.len() + w.leads.len(), "Bitrix24 ids unique across kinds");
}

fn assert_user(user: &User) {
    for (key, value) in user.raw.iter() {
        assert!(!is_empty_value(value), "user raw.{key} is empty");
    }
    assert!(!user.id.is_empty() && !user.name.is_empty() && !user.email.is_empty());
}

fn assert_entity(entity: &Entity) {
    for (key, value) in entity.raw.iter() {
        assert!(!is_empty_value(value), "{} raw.{key} is empty", entity.kind);
    }
    assert_eq!(entity.responsible.id, entity.responsible_id);
    for n in &entity.phones {
        assert_eq!(n.variants.first(), Some(&n.base));
        assert!(n.variants.iter().all(|v| v.ends_with(n.base.as_str())));
    }
    assert_user(&entity.responsible);
}

/// A ringing incoming call from `from` to `to`, with the given pieces.
fn payload(w: &World, from: &str, to: &str, user: Option<User>, entity: Option<Entity>, crm: Crm) -> CallFull {
    let start = DateTime::parse("2026-11-17 10:15:03").unwrap();
    let channel = |id: &str, name: &str, primary: bool| Channel {
        answer_time: DateTime::ZERO,
        end_time: DateTime::ZERO,
        extra: serde_json::Map::new(),
        from: w.number(from),
        id: id.into(),
        is_primary: primary,
        name: name.into(),
        start_time: start,
        state: ChannelState::Ringing,
        to: w.number(to),
        trunk: w.number(&w.trunks[0].did),
        kind: CallType::Incoming,
        was_answered: false,
    };
    let mut conversations = IndexMap::new();
    conversations.insert(
        "1794899704.1841".to_owned(),
        Conversation { channel: channel("1794899704.1841", "PJSIP/101-0000031b", false), is_parked: false, user },
    );
    let registration = (crm == Crm::Bitrix24).then(|| Registration {
        activity_id: String::new(),
        created_company_id: String::new(),
        created_contact_id: String::new(),
        created_deal_id: String::new(),
        created_lead_id: String::new(),
        entity_id: entity.as_ref().map(|e| e.id.clone()).unwrap_or_default(),
        entity_type: entity.as_ref().map(|e| e.kind.clone()).unwrap_or_default(),
        id: "externalCall.c8641cca59661efdc63a02d8de787758.1794899703".into(),
        responsible_id: entity.as_ref().map(|e| e.responsible_id.clone()).unwrap_or_default(),
    });
    CallFull {
        active_conversation_id: "1794899704.1841".into(),
        channel: channel("1794899703.1840", "PJSIP/trunk-0000031a", true),
        conversations,
        deal: None,
        entity,
        is_ivr: false,
        record: String::new(),
        registration,
        result: SipStatus::UNDECIDED,
    }
}

fn assert_valid(call: &CallFull, crm: Crm) {
    let value = serde_json::to_value(call).unwrap();
    let report = validate(&value, &Options::crm(crm).strict(true));
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

#[test]
fn bitrix24_pieces_pass_the_contract() {
    for seed in [1, 42] {
        let w = World::from_seed(seed);
        for e in &w.employees {
            let user = w.bitrix24_user(e);
            assert_user(&user);
            assert_eq!(user.id, e.b24_id.to_string());
            assert_eq!(user.name, format!("{} {}", e.first_name, e.last_name));
            assert_eq!(user.phones[0], e.extension);
            assert_eq!(user.phones[1], e.mobile);
            assert_eq!(user.raw["UF_PHONE_INNER"], e.extension.as_str());
            assert_eq!(user.raw["ACTIVE"], true);
        }
        for client in w.clients() {
            let entity = w.bitrix24_entity(client);
            assert_entity(&entity);
            assert_eq!(entity.kind, client.kind());
            assert_eq!(entity.phones.len(), client.phones().len());
            assert_eq!(entity.raw["ID"], entity.id.as_str());
            let phones = entity.raw["PHONE"].as_array().unwrap();
            assert_eq!(phones.len(), client.phones().len());
            for item in phones {
                let keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
                assert_eq!(keys, ["ID", "TYPE_ID", "VALUE", "VALUE_TYPE"], "nested keys sorted like the connector's");
            }
            let responsible = w.responsible_of(client);
            let call = payload(
                &w,
                &client.phones()[0],
                &responsible.extension,
                Some(w.bitrix24_user(responsible)),
                Some(entity),
                Crm::Bitrix24,
            );
            assert_valid(&call, Crm::Bitrix24);
        }
        let e = &w.employees[0];
        let created = DateTime::parse("2026-11-17 13:42:11").unwrap();
        let lead = w.bitrix24_new_lead("+79263418860", e, w.next_b24_id(), created);
        assert!(lead.is_new);
        assert_eq!(lead.kind, "lead");
        assert_eq!(lead.raw["SOURCE_ID"], "CALL");
        assert_eq!(lead.raw["TITLE"], "+79263418860 - Входящий звонок");
        assert_eq!(lead.raw["DATE_CREATE"], "2026-11-17T13:42:11+03:00");
        assert_entity(&lead);
        assert_valid(&payload(&w, "+79263418860", &e.extension, None, Some(lead), Crm::Bitrix24), Crm::Bitrix24);
    }
}

#[test]
fn amocrm_pieces_pass_the_contract() {
    for seed in [1, 42] {
        let w = World::from_seed(seed);
        for e in &w.employees {
            let user = w.amocrm_user(e);
            assert_user(&user);
            assert_eq!(user.id, e.amo_id.to_string());
            assert_eq!(user.phones, std::slice::from_ref(&e.extension));
            assert_eq!(user.raw["id"], e.amo_id);
        }
        for c in &w.contacts {
            let client = ClientRef::Contact(c);
            let entity = w.amocrm_entity(client);
            assert_entity(&entity);
            assert_eq!(entity.kind, "contact");
            assert_eq!(entity.id, c.amo_id.to_string());
            let fields = entity.raw["custom_fields_values"].as_array().unwrap();
            let phone = &fields[0];
            assert_eq!(phone["field_code"], "PHONE");
            assert_eq!(phone["field_type"], "multitext");
            for (value, stored) in phone["values"].as_array().unwrap().iter().zip(&c.phones) {
                assert_eq!(value["value"], stored.as_str());
                assert!(value["enum_code"] == "MOB" || value["enum_code"] == "WORK");
            }
            let mut call =
                payload(&w, &c.phones[0], &w.responsible_of(client).extension, None, Some(entity), Crm::AmoCrm);
            call.deal = w.open_deal_for(client).map(|d| w.amocrm_deal(d));
            assert_valid(&call, Crm::AmoCrm);
        }
        for c in &w.companies {
            let entity = w.amocrm_entity(ClientRef::Company(c));
            assert_entity(&entity);
            assert_eq!(entity.kind, "company");
            assert_valid(&payload(&w, &c.phones[0], "101", None, Some(entity), Crm::AmoCrm), Crm::AmoCrm);
        }
        for d in &w.deals {
            let deal = w.amocrm_deal(d);
            assert_entity(&deal);
            assert_eq!((deal.kind.as_str(), deal.phones.len()), ("deal", 0));
            assert_eq!(deal.raw["pipeline_id"], d.pipeline_id);
            assert_eq!(deal.raw["status_id"], d.status_id);
            assert_eq!(deal.raw["responsible_user_id"], w.employees[d.responsible].amo_id);
        }
        let e = &w.employees[1];
        let created = DateTime::parse("2026-11-17 12:00:00").unwrap();
        let contact_id = w.next_amo_id();
        let contact = w.amocrm_new_contact("+79263418860", e, contact_id, created);
        let deal = w.amocrm_new_deal(contact_id, e, contact_id + 1, created);
        assert!(contact.is_new && deal.is_new);
        assert_eq!(contact.raw["created_at"], w.unix_time(created));
        assert_eq!(deal.raw["_embedded"]["contacts"][0]["id"], contact_id);
        assert_entity(&contact);
        assert_entity(&deal);
        let mut call = payload(&w, "+79263418860", &e.extension, Some(w.amocrm_user(e)), Some(contact), Crm::AmoCrm);
        call.deal = Some(deal);
        assert_valid(&call, Crm::AmoCrm);
    }
}

#[test]
fn times_convert_for_each_crm() {
    let w = world();
    let t = DateTime::parse("2026-11-17 10:15:03").unwrap();
    assert_eq!(w.bitrix24_time(t), "2026-11-17T10:15:03+03:00");
    assert_eq!(DateTime::from_unix(w.unix_time(t), 3 * 3600), t);
    let settings = WorldSettings { utc_offset_hours: -5, ..WorldSettings::default() };
    let w = World::generate(&settings, 1);
    assert_eq!(w.bitrix24_time(t), "2026-11-17T10:15:03-05:00");
    assert_eq!(w.time_zone(), "Etc/GMT+5");
}

#[test]
fn settings_scale_the_world() {
    let settings = WorldSettings::from_toml_str(
        "employees = 3\ncontacts = 5\ncompanies = 0\nleads = 0\ndeals = 4\ntrunks = 12\nfirst_extension = 9000\n",
        "small.toml",
    )
    .unwrap();
    let w = World::generate(&settings, 3);
    assert_eq!((w.employees.len(), w.contacts.len(), w.companies.len(), w.leads.len()), (3, 5, 0, 0));
    assert_eq!(w.deals.len(), 4);
    assert_eq!(w.trunks.len(), 12);
    assert_eq!(w.employees[2].extension, "9002");
    let names: BTreeSet<_> = w.trunks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names.len(), 12, "trunk names are unique");
    assert!(w.deals.iter().all(|d| d.contact.is_some()));
    assert!(w.employees.iter().any(|e| e.is_sales()));

    let big = WorldSettings { employees: 900, contacts: 3_000, ..WorldSettings::default() };
    let w = World::generate(&big, 5);
    assert_eq!(w.employees.last().unwrap().extension, "1000");
    assert!(w.client_by_number(&w.contacts[2_999].phones[0], Crm::AmoCrm).is_some());
}

mod settings {
    use crate::{SettingsError, WorldSettings};

    #[test]
    fn known_fields_are_the_struct_fields() {
        let value = serde_json::to_value(WorldSettings::default()).unwrap();
        let keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, crate::settings::FIELDS);
    }

    #[test]
    fn default_toml_is_the_code_defaults() {
        assert_eq!(WorldSettings::default_settings(), WorldSettings::default());
        assert_eq!(WorldSettings::from_toml_str("", "empty.toml").unwrap(), WorldSettings::default());
    }

    #[test]
    fn unknown_field_names_line_and_field() {
        let err = WorldSettings::from_toml_str("contacts = 5\n\nemployes = 3\n", "worlds/x.toml").unwrap_err();
        assert_eq!(err.line(), Some(3));
        assert_eq!(err.field(), Some("employes"));
        let text = err.to_string();
        assert!(
            text.starts_with("worlds/x.toml line 3: unknown field \"employes\" (known: employees, contacts,"),
            "{text}"
        );
        assert!(matches!(err, SettingsError::UnknownField { .. }));

        let err = WorldSettings::from_toml_str(
            "[[replacements]]\nfrom = \"+7\"\nto = \"8\"\n\n[[replacements]]\nform = \"7\"\n",
            "r.toml",
        )
        .unwrap_err();
        assert_eq!((err.line(), err.field()), (Some(6), Some("replacements[1].form")));
    }

    #[test]
    fn wrong_type_names_line_and_field() {
        let err = WorldSettings::from_toml_str("contacts = 5\nemployees = \"many\"\n", "worlds/x.toml").unwrap_err();
        assert_eq!(err.line(), Some(2));
        assert_eq!(err.field(), Some("employees"));
        assert_eq!(err.to_string(), "worlds/x.toml line 2: employees: invalid type: string \"many\", expected usize");

        let err =
            WorldSettings::from_toml_str("trunks = 2\n\n[mix]\nincoming = 3\nmissed = -1\n", "m.toml").unwrap_err();
        assert_eq!(err.line(), Some(5), "{err}");
        assert_eq!(err.field(), Some("mix.missed"), "{err}");

        let err = WorldSettings::from_toml_str("prefixes = [\"+7\", 8]\n", "p.toml").unwrap_err();
        assert_eq!((err.line(), err.field()), (Some(1), Some("prefixes[1]")), "{err}");
    }

    #[test]
    fn values_are_checked_with_field_and_line() {
        let err = WorldSettings::from_toml_str("trunks = 2\nemployees = 0\n", "e.toml").unwrap_err();
        assert_eq!((err.line(), err.field()), (Some(2), Some("employees")), "{err}");
        assert!(err.to_string().contains("expected 1..=900"), "{err}");

        let err = WorldSettings::from_toml_str("employees = 900\nfirst_extension = 9500\n", "e.toml").unwrap_err();
        assert_eq!((err.line(), err.field()), (Some(2), Some("first_extension")), "{err}");

        let err = WorldSettings::from_toml_str("date = \"2026-02-30\"\n", "d.toml").unwrap_err();
        assert_eq!((err.line(), err.field()), (Some(1), Some("date")), "{err}");

        let err = WorldSettings::from_toml_str("contacts = 0", "c.toml").unwrap_err();
        assert_eq!((err.line(), err.field()), (Some(1), Some("contacts")));
        let err = WorldSettings::from_toml_str("trunks = 0", "t.toml").unwrap_err();
        assert_eq!(err.field(), Some("trunks"));
        let err = WorldSettings::from_toml_str("prefixes = [\"+7\", \"x\"]", "p.toml").unwrap_err();
        assert_eq!(err.field(), Some("prefixes[1]"));
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let err = WorldSettings::from_toml_str("employees = 3\ncontacts = \n", "s.toml").unwrap_err();
        assert!(matches!(err, SettingsError::Syntax { line: 2, .. }), "{err:?}");
        assert!(err.to_string().starts_with("s.toml line 2: "), "{err}");
    }

    #[test]
    fn dates_may_be_bare() {
        let s = WorldSettings::from_toml_str("date = 2025-03-01\n", "d.toml").unwrap();
        assert_eq!(s.date, "2025-03-01");
        let err = WorldSettings::from_toml_str("date = 20250301\n", "d.toml").unwrap_err();
        assert_eq!(err.field(), Some("date"), "{err}");
    }

    #[test]
    fn mix_keeps_its_order() {
        let s = WorldSettings::from_toml_str("[mix]\nmissed = 1\nincoming_answered = 5\nbusy = 2\n", "m.toml").unwrap();
        assert_eq!(s.mix.keys().collect::<Vec<_>>(), ["missed", "incoming_answered", "busy"]);
    }

    #[test]
    fn load_reports_the_path() {
        let err = WorldSettings::load(std::path::Path::new("/nonexistent/world.toml")).unwrap_err();
        assert!(err.to_string().starts_with("/nonexistent/world.toml: "), "{err}");
        assert_eq!(err.line(), None);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/worlds/default.toml");
        assert_eq!(WorldSettings::load(std::path::Path::new(path)).unwrap(), WorldSettings::default());
    }
}

#[test]
fn generated_worlds_answer_number_lookups_from_the_index() {
    for seed in [1, 2, 3] {
        assert!(World::from_seed(seed).numbers.owners("+79001234567").is_some(), "seed {seed}: the index is complete");
    }
}
