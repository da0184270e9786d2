//! The world as each CRM shows it: REST objects (`user.get`, `crm.contact.get`,
//! `/api/v4/contacts/{id}`, …) and the `call_full` pieces built from them.
//!
//! Two views of every record:
//!
//! - `*_object` methods return the object as the CRM's REST API returns it:
//!   its own key order, empty fields included (`"COMMENTS": null`,
//!   `"closest_task_at": null`). The fake CRM servers answer with these.
//! - The `call_full` builders (`bitrix24_user`, `amocrm_entity`, …) put the
//!   same object in `raw` the way the connector prints it: keys sorted at
//!   every level (the connector is written in Go, whose JSON encoder sorts
//!   map keys), and top-level empty fields dropped
//!   ([`Raw::from_crm_object`]).
//!
//! Fields that a CRM keeps but the world does not (modification dates, last
//! login, lead status, tags) are drawn from a small RNG seeded by the world's
//! seed and the record's id, so they are stable too.

use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use callfull_model::{DateTime, Deal as CallDeal, Entity, Raw, User, entity_type};

use crate::generate::{ADMIN_POSITIONS, SALES_DEPARTMENTS};
use crate::phone;
use crate::types::*;

/// `raw` as the connector prints it: keys sorted at every level, top-level
/// empty fields dropped.
pub fn call_full_raw(mut object: Map<String, Value>) -> Raw {
    sort_map_keys(&mut object);
    Raw::from_crm_object(object)
}

/// Sorts keys at every level, in place.
fn sort_map_keys(map: &mut Map<String, Value>) {
    map.sort_keys();
    map.values_mut().for_each(sort_keys);
}

fn sort_keys(value: &mut Value) {
    match value {
        Value::Object(map) => sort_map_keys(map),
        Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl Employee {
    /// "Имя Фамилия", as both CRMs show a user.
    pub fn short_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// "Имя Отчество Фамилия".
    pub fn full_name(&self) -> String {
        full_name(&self.first_name, &self.patronymic, &self.last_name)
    }

    /// Works in a sales department (and so is made responsible for clients).
    pub fn is_sales(&self) -> bool {
        SALES_DEPARTMENTS.contains(&self.department.as_str())
    }

    /// Is an amoCRM admin (directors and the head of sales).
    pub fn is_admin(&self) -> bool {
        ADMIN_POSITIONS.contains(&self.position.as_str())
    }
}

impl World {
    /// `+03:00` for the PBX's zone.
    fn offset(&self) -> String {
        let h = self.settings.utc_offset_hours;
        format!("{}{:02}:00", if h < 0 { '-' } else { '+' }, h.unsigned_abs())
    }

    /// A PBX wall-clock time as Bitrix24 writes it: `2025-04-02T11:24:17+03:00`.
    pub fn bitrix24_time(&self, t: DateTime) -> String {
        let text = t.to_string();
        format!("{}T{}{}", &text[..10], &text[11..], self.offset())
    }

    /// A PBX wall-clock time as amoCRM writes it: Unix seconds.
    pub fn unix_time(&self, t: DateTime) -> i64 {
        t.seconds_since(DateTime::from_unix(0, 0)) - i64::from(self.settings.utc_offset_hours) * 3600
    }

    /// The IANA zone of the PBX's offset (Bitrix24's `TIME_ZONE`).
    pub fn time_zone(&self) -> String {
        match self.settings.utc_offset_hours {
            2 => "Europe/Kaliningrad".into(),
            3 => "Europe/Moscow".into(),
            4 => "Europe/Samara".into(),
            5 => "Asia/Yekaterinburg".into(),
            6 => "Asia/Omsk".into(),
            7 => "Asia/Novosibirsk".into(),
            8 => "Asia/Irkutsk".into(),
            9 => "Asia/Yakutsk".into(),
            10 => "Asia/Vladivostok".into(),
            11 => "Asia/Magadan".into(),
            12 => "Asia/Kamchatka".into(),
            0 => "UTC".into(),
            // The Etc zones' sign is inverted: UTC+1 is Etc/GMT-1.
            h if h > 0 => format!("Etc/GMT-{h}"),
            h => format!("Etc/GMT+{}", -h),
        }
    }

    fn parse_local(&self, text: &str) -> DateTime {
        DateTime::parse(text).unwrap_or_else(|_| self.settings.day())
    }

    /// A small RNG for the fields a record does not store, stable per world and record.
    fn aux(&self, salt: u64, id: u64) -> ChaCha8Rng {
        let mut x = self.seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ id.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 31;
        ChaCha8Rng::seed_from_u64(x)
    }

    /// A time between `from` and the working day's morning.
    fn modified(&self, rng: &mut ChaCha8Rng, from: DateTime) -> DateTime {
        let until = self.settings.day().plus_seconds(-3600);
        let span = until.seconds_since(from);
        if span <= 0 { from } else { from.plus_seconds(rng.random_range(0..=span)) }
    }

    fn b24_user_id(&self, index: usize) -> String {
        self.employee(index).b24_id.to_string()
    }

    // ----- Bitrix24 -----

    /// The employee as `user.get` returns it (every field, empty ones too;
    /// `UF_PHONE_INNER` is left out when the employee has no extension).
    pub fn bitrix24_user_object(&self, e: &Employee) -> Map<String, Value> {
        let mut rng = self.aux(1, u64::from(e.b24_id));
        let day = self.settings.day();
        let registered = day.plus_seconds(-rng.random_range(200..2_000i64) * 86_400);
        let registered = DateTime::parse(&format!("{} 00:00:00", &registered.to_string()[..10])).unwrap_or(registered);
        let last_login = day.plus_seconds(rng.random_range(8 * 3600..10 * 3600));
        let online = if rng.random_bool(0.85) { "Y" } else { "N" };
        let mut user = object(json!({
            "ID": e.b24_id.to_string(),
            "XML_ID": "",
            "ACTIVE": true,
            "NAME": e.first_name,
            "LAST_NAME": e.last_name,
            "SECOND_NAME": e.patronymic,
            "TITLE": "",
            "EMAIL": e.email,
            "LAST_LOGIN": self.bitrix24_time(last_login),
            "DATE_REGISTER": self.bitrix24_time(registered),
            "TIME_ZONE": self.time_zone(),
            "IS_ONLINE": online,
            "PERSONAL_GENDER": e.gender.bitrix24_code(),
            "PERSONAL_PROFESSION": "",
            "PERSONAL_WWW": "",
            "PERSONAL_BIRTHDAY": "",
            "PERSONAL_PHOTO": "",
            "PERSONAL_ICQ": "",
            "PERSONAL_PHONE": "",
            "PERSONAL_FAX": "",
            "PERSONAL_MOBILE": e.mobile,
            "PERSONAL_PAGER": "",
            "PERSONAL_STREET": "",
            "PERSONAL_CITY": "",
            "PERSONAL_STATE": "",
            "PERSONAL_ZIP": "",
            "PERSONAL_COUNTRY": "",
            "PERSONAL_MAILBOX": "",
            "PERSONAL_NOTES": "",
            "WORK_PHONE": e.work_phone,
            "WORK_COMPANY": self.company.name,
            "WORK_POSITION": e.position,
            "WORK_DEPARTMENT": e.department,
            "WORK_WWW": "",
            "WORK_FAX": "",
            "WORK_PAGER": "",
            "WORK_STREET": "",
            "WORK_MAILBOX": "",
            "WORK_CITY": "",
            "WORK_STATE": "",
            "WORK_ZIP": "",
            "WORK_COUNTRY": "",
            "WORK_PROFILE": "",
            "WORK_NOTES": "",
            "UF_EMPLOYMENT_DATE": "",
            "UF_DEPARTMENT": [self.b24.department_id(&e.department)],
        }));
        if !e.extension.is_empty() {
            user.insert("UF_PHONE_INNER".into(), e.extension.clone().into());
        }
        user.insert("USER_TYPE".into(), "employee".into());
        user
    }

    /// The employee as a `call_full` user for Bitrix24: `id` is the user `ID`,
    /// `name` "Имя Фамилия", `phones` the non-empty of `UF_PHONE_INNER`,
    /// `PERSONAL_MOBILE`, `WORK_PHONE`, `PERSONAL_PHONE` as stored.
    pub fn bitrix24_user(&self, e: &Employee) -> User {
        let object = self.bitrix24_user_object(e);
        let phones = ["UF_PHONE_INNER", "PERSONAL_MOBILE", "WORK_PHONE", "PERSONAL_PHONE"]
            .iter()
            .filter_map(|k| object.get(*k).and_then(Value::as_str))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        User {
            email: e.email.clone(),
            id: e.b24_id.to_string(),
            name: e.short_name(),
            phones,
            position: e.position.clone(),
            raw: call_full_raw(object),
        }
    }

    /// A `crm_multifield` list: `[{"ID","VALUE_TYPE","VALUE","TYPE_ID"}]`.
    /// Item ids are the record's id × 10 + the item's position (e-mails and
    /// sites from 5), so they are unique and stable.
    fn multifield(owner: u32, first: u32, kind: &str, values: &[(String, &str)]) -> Value {
        Value::Array(
            values
                .iter()
                .enumerate()
                .map(|(i, (value, value_type))| {
                    json!({
                        "ID": (u64::from(owner) * 10 + u64::from(first) + i as u64).to_string(),
                        "VALUE_TYPE": value_type,
                        "VALUE": value,
                        "TYPE_ID": kind,
                    })
                })
                .collect(),
        )
    }

    fn b24_phones(owner: u32, phones: &[String]) -> Value {
        let typed: Vec<(String, &str)> = phones
            .iter()
            .map(|p| (p.clone(), if phone::national(p).is_some_and(phone::is_mobile) { "MOBILE" } else { "WORK" }))
            .collect();
        Self::multifield(owner, 0, "PHONE", &typed)
    }

    fn b24_emails(owner: u32, email: &str) -> Option<Value> {
        (!email.is_empty()).then(|| Self::multifield(owner, 5, "EMAIL", &[(email.to_owned(), "WORK")]))
    }

    /// The client as `crm.contact.get`, `crm.company.get` or `crm.lead.get`
    /// returns it (multi-fields included, as `get` does).
    pub fn bitrix24_entity_object(&self, client: ClientRef<'_>) -> Map<String, Value> {
        let responsible = self.b24_user_id(client.responsible());
        const SOURCES: [&str; 6] = ["CALL", "WEB", "EMAIL", "RECOMMENDATION", "ADVERTISING", "REPEAT_SALE"];
        match client {
            ClientRef::Contact(c) => {
                let mut rng = self.aux(2, u64::from(c.b24_id));
                let created = self.parse_local(&c.created);
                let modified = self.modified(&mut rng, created);
                let company_id = c.company.and_then(|i| self.companies.get(i)).map(|co| co.b24_id.to_string());
                let mut contact = object(json!({
                    "ID": c.b24_id.to_string(),
                    "POST": c.post,
                    "COMMENTS": null,
                    "HONORIFIC": null,
                    "NAME": c.first_name,
                    "SECOND_NAME": c.patronymic,
                    "LAST_NAME": c.last_name,
                    "PHOTO": null,
                    "LEAD_ID": null,
                    "TYPE_ID": "CLIENT",
                    "SOURCE_ID": SOURCES.choose(&mut rng).copied().unwrap_or("CALL"),
                    "SOURCE_DESCRIPTION": null,
                    "COMPANY_ID": company_id,
                    "BIRTHDATE": "",
                    "EXPORT": "Y",
                    "HAS_PHONE": if c.phones.is_empty() { "N" } else { "Y" },
                    "HAS_EMAIL": if c.email.is_empty() { "N" } else { "Y" },
                    "HAS_IMOL": "N",
                    "DATE_CREATE": self.bitrix24_time(created),
                    "DATE_MODIFY": self.bitrix24_time(modified),
                    "ASSIGNED_BY_ID": responsible,
                    "CREATED_BY_ID": responsible,
                    "MODIFY_BY_ID": responsible,
                    "OPENED": "Y",
                    "ORIGINATOR_ID": null,
                    "ORIGIN_ID": null,
                    "ORIGIN_VERSION": null,
                    "FACE_ID": null,
                    "ADDRESS": null,
                    "UTM_SOURCE": null,
                    "UTM_MEDIUM": null,
                    "UTM_CAMPAIGN": null,
                    "UTM_CONTENT": null,
                    "UTM_TERM": null,
                }));
                if !c.phones.is_empty() {
                    contact.insert("PHONE".into(), Self::b24_phones(c.b24_id, &c.phones));
                }
                if let Some(emails) = Self::b24_emails(c.b24_id, &c.email) {
                    contact.insert("EMAIL".into(), emails);
                }
                contact
            }
            ClientRef::Company(c) => {
                let mut rng = self.aux(3, u64::from(c.b24_id));
                let created = self.parse_local(&c.created);
                let modified = self.modified(&mut rng, created);
                const INDUSTRIES: [&str; 7] =
                    ["IT", "MANUFACTURING", "DELIVERY", "TELECOM", "CONSULTING", "FINANCE", "OTHER"];
                const SIZES: [&str; 4] = ["EMPLOYEES_1", "EMPLOYEES_2", "EMPLOYEES_3", "EMPLOYEES_4"];
                let mut company = object(json!({
                    "ID": c.b24_id.to_string(),
                    "COMPANY_TYPE": "CUSTOMER",
                    "TITLE": c.title,
                    "LOGO": null,
                    "LEAD_ID": null,
                    "HAS_PHONE": if c.phones.is_empty() { "N" } else { "Y" },
                    "HAS_EMAIL": if c.email.is_empty() { "N" } else { "Y" },
                    "HAS_IMOL": "N",
                    "ASSIGNED_BY_ID": responsible,
                    "CREATED_BY_ID": responsible,
                    "MODIFY_BY_ID": responsible,
                    "BANKING_DETAILS": null,
                    "INDUSTRY": INDUSTRIES.choose(&mut rng).copied().unwrap_or("OTHER"),
                    "REVENUE": null,
                    "CURRENCY_ID": "RUB",
                    "EMPLOYEES": SIZES.choose(&mut rng).copied().unwrap_or("EMPLOYEES_1"),
                    "COMMENTS": null,
                    "DATE_CREATE": self.bitrix24_time(created),
                    "DATE_MODIFY": self.bitrix24_time(modified),
                    "OPENED": "Y",
                    "IS_MY_COMPANY": "N",
                    "ORIGINATOR_ID": null,
                    "ORIGIN_ID": null,
                    "ORIGIN_VERSION": null,
                    "ADDRESS": null,
                    "ADDRESS_CITY": c.city,
                    "ADDRESS_COUNTRY": "Россия",
                    "UTM_SOURCE": null,
                }));
                if !c.phones.is_empty() {
                    company.insert("PHONE".into(), Self::b24_phones(c.b24_id, &c.phones));
                }
                if let Some(emails) = Self::b24_emails(c.b24_id, &c.email) {
                    company.insert("EMAIL".into(), emails);
                    if let Some((_, domain)) = c.email.split_once('@').filter(|(_, d)| company_site(d)) {
                        let web = [(format!("www.{domain}"), "WORK")];
                        company.insert("WEB".into(), Self::multifield(c.b24_id, 8, "WEB", &web));
                    }
                }
                company
            }
            ClientRef::Lead(l) => {
                let mut rng = self.aux(4, u64::from(l.b24_id));
                let created = self.parse_local(&l.created);
                let modified = self.modified(&mut rng, created);
                let status = ["NEW", "NEW", "IN_PROCESS", "PROCESSED"].choose(&mut rng).copied().unwrap_or("NEW");
                let opportunity = rng.random_bool(0.4).then(|| format!("{}.00", rng.random_range(10..500u32) * 1000));
                let mut lead = object(json!({
                    "ID": l.b24_id.to_string(),
                    "TITLE": l.title,
                    "HONORIFIC": null,
                    "NAME": l.first_name,
                    "SECOND_NAME": null,
                    "LAST_NAME": l.last_name,
                    "COMPANY_TITLE": null,
                    "COMPANY_ID": null,
                    "CONTACT_ID": null,
                    "IS_RETURN_CUSTOMER": "N",
                    "BIRTHDATE": "",
                    "SOURCE_ID": SOURCES.choose(&mut rng).copied().unwrap_or("WEB"),
                    "SOURCE_DESCRIPTION": null,
                    "STATUS_ID": status,
                    "STATUS_DESCRIPTION": null,
                    "POST": null,
                    "COMMENTS": null,
                    "CURRENCY_ID": "RUB",
                    "OPPORTUNITY": opportunity,
                    "IS_MANUAL_OPPORTUNITY": "N",
                    "HAS_PHONE": if l.phones.is_empty() { "N" } else { "Y" },
                    "HAS_EMAIL": "N",
                    "HAS_IMOL": "N",
                    "ASSIGNED_BY_ID": responsible,
                    "CREATED_BY_ID": responsible,
                    "MODIFY_BY_ID": responsible,
                    "DATE_CREATE": self.bitrix24_time(created),
                    "DATE_MODIFY": self.bitrix24_time(modified),
                    "DATE_CLOSED": "",
                    "STATUS_SEMANTIC_ID": "P",
                    "OPENED": "Y",
                    "ORIGINATOR_ID": null,
                    "ORIGIN_ID": null,
                    "ADDRESS": null,
                    "UTM_SOURCE": null,
                }));
                if !l.phones.is_empty() {
                    lead.insert("PHONE".into(), Self::b24_phones(l.b24_id, &l.phones));
                }
                lead
            }
        }
    }

    /// The client as a Bitrix24 `call_full` entity: `type` contact, company
    /// or lead; `phones` the [`crm_number`](World::crm_number) of each stored
    /// phone; `responsible` the [`bitrix24_user`](World::bitrix24_user) of the
    /// responsible employee.
    pub fn bitrix24_entity(&self, client: ClientRef<'_>) -> Entity {
        let responsible = self.bitrix24_user(self.responsible_of(client));
        Entity {
            id: client.b24_id().to_string(),
            is_new: false,
            name: client.name(),
            phones: client.phones().iter().map(|p| self.crm_number(p)).collect(),
            raw: call_full_raw(self.bitrix24_entity_object(client)),
            responsible_id: responsible.id.clone(),
            responsible,
            kind: client.kind().to_owned(),
        }
    }

    /// The lead `telephony.externalcall.register` (with `CRM_CREATE`) makes
    /// for an unknown caller, as `crm.lead.get` returns it.
    pub fn bitrix24_new_lead_object(
        &self,
        phone: &str,
        responsible: &Employee,
        id: u32,
        created: DateTime,
    ) -> Map<String, Value> {
        let responsible_id = responsible.b24_id.to_string();
        let time = self.bitrix24_time(created);
        object(json!({
            "ID": id.to_string(),
            "TITLE": new_lead_title(phone),
            "HONORIFIC": null,
            "NAME": null,
            "SECOND_NAME": null,
            "LAST_NAME": null,
            "COMPANY_TITLE": null,
            "COMPANY_ID": null,
            "CONTACT_ID": null,
            "IS_RETURN_CUSTOMER": "N",
            "BIRTHDATE": "",
            "SOURCE_ID": "CALL",
            "SOURCE_DESCRIPTION": null,
            "STATUS_ID": "NEW",
            "STATUS_DESCRIPTION": null,
            "POST": null,
            "COMMENTS": null,
            "CURRENCY_ID": "RUB",
            "OPPORTUNITY": null,
            "IS_MANUAL_OPPORTUNITY": "N",
            "HAS_PHONE": "Y",
            "HAS_EMAIL": "N",
            "HAS_IMOL": "N",
            "ASSIGNED_BY_ID": responsible_id,
            "CREATED_BY_ID": responsible_id,
            "MODIFY_BY_ID": responsible_id,
            "DATE_CREATE": time,
            "DATE_MODIFY": time,
            "DATE_CLOSED": "",
            "STATUS_SEMANTIC_ID": "P",
            "OPENED": "Y",
            "ORIGINATOR_ID": null,
            "ORIGIN_ID": null,
            "ADDRESS": null,
            "UTM_SOURCE": null,
            "PHONE": Self::multifield(id, 0, "PHONE", &[(phone.to_owned(), "WORK")]),
        }))
    }

    /// The lead created for an unknown caller, as a `call_full` entity:
    /// `is_new` true, `TITLE` "+79263418860 - Входящий звонок" (Bitrix24's own
    /// title for leads it makes from calls), `SOURCE_ID` "CALL", status "NEW".
    pub fn bitrix24_new_lead(&self, phone: &str, responsible: &Employee, id: u32, created: DateTime) -> Entity {
        self.bitrix24_new_lead_with(phone, responsible, self.bitrix24_user(responsible), id, created)
    }

    /// [`World::bitrix24_new_lead`] with the responsible's user already
    /// built (`bitrix24_user(responsible)`), as a caller that made every
    /// user once has it.
    pub fn bitrix24_new_lead_with(
        &self,
        phone: &str,
        responsible: &Employee,
        user: User,
        id: u32,
        created: DateTime,
    ) -> Entity {
        Entity {
            id: id.to_string(),
            is_new: true,
            name: new_lead_title(phone),
            phones: vec![self.crm_number(phone)],
            raw: call_full_raw(self.bitrix24_new_lead_object(phone, responsible, id, created)),
            responsible_id: user.id.clone(),
            responsible: user,
            kind: entity_type::LEAD.to_owned(),
        }
    }

    // ----- amoCRM -----

    fn link(&self, path: &str) -> Value {
        json!({ "self": { "href": format!("{}/api/v4/{path}", self.amo.base_url()) } })
    }

    /// The employee as `GET /api/v4/users/{id}` returns it.
    pub fn amocrm_user_object(&self, e: &Employee) -> Map<String, Value> {
        let admin = e.is_admin();
        let own = if admin { "A" } else { "M" };
        let rights = json!({
            "view": "A", "edit": "A", "add": "A", "delete": own, "export": own,
        });
        object(json!({
            "id": e.amo_id,
            "name": e.short_name(),
            "email": e.email,
            "lang": "ru",
            "rights": {
                "leads": rights,
                "contacts": rights,
                "companies": rights,
                "tasks": { "edit": "A", "delete": own },
                "mail_access": true,
                "catalog_access": true,
                "status_rights": [],
                "is_admin": admin,
                "is_free": false,
                "is_active": true,
                "group_id": if e.is_sales() { Value::from(self.amo.group_id) } else { Value::Null },
                "role_id": null,
            },
            "_links": self.link(&format!("users/{}", e.amo_id)),
        }))
    }

    /// The employee as a `call_full` user for amoCRM: `id` the user `id`,
    /// `name` as amoCRM stores it ("Имя Фамилия"), `position` `""` (amoCRM
    /// users have none) and `phones` `[extension]`: the v4 user object has no
    /// phone, so the connector knows a user's number only from its own
    /// user↔extension map.
    pub fn amocrm_user(&self, e: &Employee) -> User {
        User {
            email: e.email.clone(),
            id: e.amo_id.to_string(),
            name: e.short_name(),
            phones: if e.extension.is_empty() { Vec::new() } else { vec![e.extension.clone()] },
            position: String::new(),
            raw: call_full_raw(self.amocrm_user_object(e)),
        }
    }

    fn amo_phone_field(&self, phones: &[String]) -> Value {
        let field = &self.amo.phone_field;
        let values: Vec<Value> = phones
            .iter()
            .map(|p| {
                let code = if phone::national(p).is_some_and(phone::is_mobile) { "MOB" } else { "WORK" };
                json!({ "value": p, "enum_id": field.enum_id(code), "enum_code": code })
            })
            .collect();
        json!({
            "field_id": field.id, "field_name": field.name, "field_code": field.code,
            "field_type": field.field_type, "values": values,
        })
    }

    fn amo_email_field(&self, email: &str) -> Value {
        let field = &self.amo.email_field;
        json!({
            "field_id": field.id, "field_name": field.name, "field_code": field.code,
            "field_type": field.field_type,
            "values": [{ "value": email, "enum_id": field.enum_id("WORK"), "enum_code": "WORK" }],
        })
    }

    fn amo_text_field(field: &CustomField, value: &str) -> Value {
        json!({
            "field_id": field.id, "field_name": field.name, "field_code": field.code,
            "field_type": field.field_type, "values": [{ "value": value }],
        })
    }

    /// The client as `GET /api/v4/contacts/{id}` or `/companies/{id}` returns
    /// it. A lead has no amoCRM record: it is shown as a contact with the
    /// lead's name and phones and its Bitrix24 id.
    pub fn amocrm_entity_object(&self, client: ClientRef<'_>) -> Map<String, Value> {
        let responsible = self.employee(client.responsible()).amo_id;
        let (id, created) = match client {
            ClientRef::Contact(c) => (c.amo_id, c.created.as_str()),
            ClientRef::Company(c) => (c.amo_id, c.created.as_str()),
            ClientRef::Lead(l) => (u64::from(l.b24_id), l.created.as_str()),
        };
        let mut rng = self.aux(5, id);
        let created = self.parse_local(created);
        let updated = self.modified(&mut rng, created);
        let mut fields = Vec::new();
        if !client.phones().is_empty() {
            fields.push(self.amo_phone_field(client.phones()));
        }
        let tags: Vec<Value> = if rng.random_bool(0.25) {
            self.amo
                .tags
                .choose(&mut rng)
                .map(|(id, name)| json!({ "id": id, "name": name, "color": null }))
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        match client {
            ClientRef::Contact(c) => {
                if !c.email.is_empty() {
                    fields.push(self.amo_email_field(&c.email));
                }
                if !c.post.is_empty() {
                    fields.push(Self::amo_text_field(&self.amo.position_field, &c.post));
                }
            }
            ClientRef::Company(c) => {
                if !c.email.is_empty() {
                    fields.push(self.amo_email_field(&c.email));
                }
                if let Some((_, domain)) = c.email.split_once('@').filter(|(_, d)| company_site(d)) {
                    fields.push(Self::amo_text_field(&self.amo.web_field, &format!("https://{domain}")));
                }
            }
            ClientRef::Lead(_) => {}
        }
        let fields = if fields.is_empty() { Value::Null } else { Value::Array(fields) };
        let common = |name: String| {
            json!({
                "id": id,
                "name": name,
                "responsible_user_id": responsible,
                "group_id": 0,
                "created_by": responsible,
                "updated_by": responsible,
                "created_at": self.unix_time(created),
                "updated_at": self.unix_time(updated),
                "closest_task_at": null,
                "is_deleted": false,
            })
        };
        match client {
            ClientRef::Company(c) => {
                let mut company = object(common(c.title.clone()));
                company.insert("custom_fields_values".into(), fields);
                company.insert("account_id".into(), self.amo.account_id.into());
                company.insert("_links".into(), self.link(&format!("companies/{id}")));
                company.insert("_embedded".into(), json!({ "tags": tags }));
                company
            }
            ClientRef::Contact(_) | ClientRef::Lead(_) => {
                let (first, last, company) = match client {
                    ClientRef::Contact(c) => {
                        (c.first_name.as_str(), c.last_name.as_str(), c.company.and_then(|i| self.companies.get(i)))
                    }
                    ClientRef::Lead(l) => (l.first_name.as_str(), l.last_name.as_str(), None),
                    ClientRef::Company(_) => ("", "", None),
                };
                let mut contact = object(common(format!("{first} {last}").trim().to_owned()));
                contact.insert("first_name".into(), first.into());
                contact.insert("last_name".into(), last.into());
                contact.insert("is_unsorted".into(), false.into());
                contact.insert("custom_fields_values".into(), fields);
                contact.insert("account_id".into(), self.amo.account_id.into());
                contact.insert("_links".into(), self.link(&format!("contacts/{id}")));
                let companies: Vec<Value> = company
                    .map(|co| json!({ "id": co.amo_id, "_links": self.link(&format!("companies/{}", co.amo_id)) }))
                    .into_iter()
                    .collect();
                contact.insert("_embedded".into(), json!({ "tags": tags, "companies": companies }));
                contact
            }
        }
    }

    /// The client as an amoCRM `call_full` entity: `type` contact or company,
    /// `name` amoCRM's `name` ("Имя Фамилия" for a contact), `raw` with
    /// `custom_fields_values` PHONE (`enum_code` MOB for mobiles, WORK for
    /// land lines).
    pub fn amocrm_entity(&self, client: ClientRef<'_>) -> Entity {
        let responsible = self.amocrm_user(self.responsible_of(client));
        let object = self.amocrm_entity_object(client);
        let id = object.get("id").map(Value::to_string).unwrap_or_default();
        let name = object.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
        let kind = match client {
            ClientRef::Company(_) => entity_type::COMPANY,
            ClientRef::Contact(_) | ClientRef::Lead(_) => entity_type::CONTACT,
        };
        Entity {
            id,
            is_new: false,
            name,
            phones: client.phones().iter().map(|p| self.crm_number(p)).collect(),
            raw: call_full_raw(object),
            responsible_id: responsible.id.clone(),
            responsible,
            kind: kind.to_owned(),
        }
    }

    /// The deal as `GET /api/v4/leads/{id}?with=contacts` returns it.
    pub fn amocrm_deal_object(&self, deal: &Deal) -> Map<String, Value> {
        let mut rng = self.aux(6, deal.amo_id);
        let created = self.parse_local(&deal.created);
        let updated = self.modified(&mut rng, created);
        let responsible = self.employee(deal.responsible).amo_id;
        let closed = (!deal.is_open()).then(|| self.unix_time(updated));
        let contacts: Vec<Value> = deal
            .contact
            .and_then(|i| self.contacts.get(i))
            .map(|c| json!({ "id": c.amo_id, "is_main": true, "_links": self.link(&format!("contacts/{}", c.amo_id)) }))
            .into_iter()
            .collect();
        let companies: Vec<Value> = deal
            .company
            .and_then(|i| self.companies.get(i))
            .map(|c| json!({ "id": c.amo_id, "_links": self.link(&format!("companies/{}", c.amo_id)) }))
            .into_iter()
            .collect();
        self.amo_lead(AmoLead {
            id: deal.amo_id,
            name: &deal.name,
            price: deal.price,
            responsible,
            status_id: deal.status_id,
            pipeline_id: deal.pipeline_id,
            created_at: self.unix_time(created),
            updated_at: self.unix_time(updated),
            closed_at: closed,
            contacts,
            companies,
        })
    }

    fn amo_lead(&self, lead: AmoLead<'_>) -> Map<String, Value> {
        object(json!({
            "id": lead.id,
            "name": lead.name,
            "price": lead.price,
            "responsible_user_id": lead.responsible,
            "group_id": 0,
            "status_id": lead.status_id,
            "pipeline_id": lead.pipeline_id,
            "loss_reason_id": null,
            "created_by": lead.responsible,
            "updated_by": lead.responsible,
            "created_at": lead.created_at,
            "updated_at": lead.updated_at,
            "closed_at": lead.closed_at,
            "closest_task_at": null,
            "is_deleted": false,
            "custom_fields_values": null,
            "score": null,
            "account_id": self.amo.account_id,
            "labor_cost": null,
            "_links": self.link(&format!("leads/{}", lead.id)),
            "_embedded": { "tags": [], "companies": lead.companies, "contacts": lead.contacts },
        }))
    }

    /// The deal as a `call_full` deal: `type` "deal", `phones` empty, `raw`
    /// the amoCRM lead (`pipeline_id`, `status_id`, `price`,
    /// `responsible_user_id`, `_embedded` contacts and companies).
    pub fn amocrm_deal(&self, deal: &Deal) -> CallDeal {
        let responsible = self.amocrm_user(self.employee(deal.responsible));
        CallDeal {
            id: deal.amo_id.to_string(),
            is_new: false,
            name: deal.name.clone(),
            phones: Vec::new(),
            raw: call_full_raw(self.amocrm_deal_object(deal)),
            responsible_id: responsible.id.clone(),
            responsible,
            kind: entity_type::DEAL.to_owned(),
        }
    }

    /// The contact the connector creates for an unknown caller, as amoCRM returns it.
    pub fn amocrm_new_contact_object(
        &self,
        phone: &str,
        responsible: &Employee,
        id: u64,
        created: DateTime,
    ) -> Map<String, Value> {
        let at = self.unix_time(created);
        object(json!({
            "id": id,
            "name": phone,
            "first_name": "",
            "last_name": "",
            "responsible_user_id": responsible.amo_id,
            "group_id": 0,
            "created_by": responsible.amo_id,
            "updated_by": responsible.amo_id,
            "created_at": at,
            "updated_at": at,
            "closest_task_at": null,
            "is_deleted": false,
            "is_unsorted": false,
            "custom_fields_values": [self.amo_phone_field(&[phone.to_owned()])],
            "account_id": self.amo.account_id,
            "_links": self.link(&format!("contacts/{id}")),
            "_embedded": { "tags": [], "companies": [] },
        }))
    }

    /// The contact created for an unknown caller, as a `call_full` entity:
    /// `is_new` true, named by its number (as amoCRM names contacts made from calls).
    pub fn amocrm_new_contact(&self, phone: &str, responsible: &Employee, id: u64, created: DateTime) -> Entity {
        self.amocrm_new_contact_with(phone, responsible, self.amocrm_user(responsible), id, created)
    }

    /// [`World::amocrm_new_contact`] with the responsible's user already built.
    pub fn amocrm_new_contact_with(
        &self,
        phone: &str,
        responsible: &Employee,
        user: User,
        id: u64,
        created: DateTime,
    ) -> Entity {
        Entity {
            id: id.to_string(),
            is_new: true,
            name: phone.to_owned(),
            phones: vec![self.crm_number(phone)],
            raw: call_full_raw(self.amocrm_new_contact_object(phone, responsible, id, created)),
            responsible_id: user.id.clone(),
            responsible: user,
            kind: entity_type::CONTACT.to_owned(),
        }
    }

    /// The deal the connector creates for a new contact, as amoCRM returns
    /// it: in the main pipeline's first working status, no budget.
    pub fn amocrm_new_deal_object(
        &self,
        contact_id: u64,
        responsible: &Employee,
        id: u64,
        created: DateTime,
    ) -> Map<String, Value> {
        let at = self.unix_time(created);
        let (pipeline_id, status_id) = self.amo_first_status();
        let contacts =
            vec![json!({ "id": contact_id, "is_main": true, "_links": self.link(&format!("contacts/{contact_id}")) })];
        self.amo_lead(AmoLead {
            id,
            name: &new_deal_name(id),
            price: 0,
            responsible: responsible.amo_id,
            status_id,
            pipeline_id,
            created_at: at,
            updated_at: at,
            closed_at: None,
            contacts,
            companies: Vec::new(),
        })
    }

    /// The main pipeline and its first working status ("Первичный контакт").
    pub fn amo_first_status(&self) -> (u64, u64) {
        self.amo
            .pipelines
            .first()
            .map_or((0, 0), |p| (p.id, p.statuses.iter().find(|s| s.kind == 0 && s.is_editable).map_or(0, |s| s.id)))
    }

    /// The deal created with a new contact, as a `call_full` deal: `is_new`
    /// true, named "Сделка #id" (amoCRM's name for an unnamed lead).
    pub fn amocrm_new_deal(&self, contact_id: u64, responsible: &Employee, id: u64, created: DateTime) -> CallDeal {
        self.amocrm_new_deal_with(contact_id, responsible, self.amocrm_user(responsible), id, created)
    }

    /// [`World::amocrm_new_deal`] with the responsible's user already built.
    pub fn amocrm_new_deal_with(
        &self,
        contact_id: u64,
        responsible: &Employee,
        user: User,
        id: u64,
        created: DateTime,
    ) -> CallDeal {
        CallDeal {
            id: id.to_string(),
            is_new: true,
            name: new_deal_name(id),
            phones: Vec::new(),
            raw: call_full_raw(self.amocrm_new_deal_object(contact_id, responsible, id, created)),
            responsible_id: user.id.clone(),
            responsible: user,
            kind: entity_type::DEAL.to_owned(),
        }
    }
}

struct AmoLead<'a> {
    id: u64,
    name: &'a str,
    price: u64,
    responsible: u64,
    status_id: u64,
    pipeline_id: u64,
    created_at: i64,
    updated_at: i64,
    closed_at: Option<i64>,
    contacts: Vec<Value>,
    companies: Vec<Value>,
}

/// Bitrix24's title for a lead it creates from a call.
pub fn new_lead_title(phone: &str) -> String {
    format!("{phone} - Входящий звонок")
}

/// amoCRM's name for a lead created without one.
pub fn new_deal_name(id: u64) -> String {
    format!("Сделка #{id}")
}

/// Whether an e-mail domain is the company's own (it then has a site there).
fn company_site(domain: &str) -> bool {
    !crate::locale::FREE_EMAIL_PROVIDERS.contains(&domain)
}
