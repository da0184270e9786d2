//! The external-call lifecycle (`bitrix24-rest.md` §4, §5, §7 items 10–15):
//! `register` (CALL_ID, the same CALL_ID again within 30 minutes, internal
//! calls, CRM lookup by phone, lead auto-creation), `show`/`hide`, `finish`
//! (statistics row, call activity, responsible of what the call created, the
//! active call gone), `attachRecord`, `searchCrmEntities`, and the call
//! activities it leaves behind.

use callfull_world::World;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Answer, B24Error, Ctx, Records};
use crate::params;

/// A registered, unfinished call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActiveCall {
    call_id: String,
    user_id: String,
    phone: String,
    kind: u8,
    line: String,
    external_id: String,
    registered_micros: i64,
    start_iso: String,
    #[serde(with = "entity_kind")]
    entity: Option<(&'static str, u64)>,
    created_lead: Option<u64>,
    /// The users whose call card is shown now (`show` adds, `hide` removes).
    #[serde(default)]
    shown_to: Vec<String>,
    /// Every `show`/`hide` push in order: `("show"|"hide", user ids)`.
    #[serde(default)]
    pushes: Vec<(String, Vec<String>)>,
}

/// Calls, statistics and activities of the portal.
#[derive(Debug, Serialize, Deserialize)]
pub struct Telephony {
    active: Vec<ActiveCall>,
    /// Finished calls: the statistics rows `finish` answered with.
    stats: Vec<Map<String, Value>>,
    /// `CALL_ID` → position in `stats`, built on first use (a long replay
    /// attaches a record to each of its calls: no scan per request).
    #[serde(skip)]
    stats_by_call: std::cell::OnceCell<std::collections::HashMap<String, usize>>,
    /// Call activities (`crm.activity.*`).
    activities: Vec<Map<String, Value>>,
    /// External lines: `(ID, NUMBER, NAME, CRM_AUTO_CREATE)`.
    lines: Vec<(u64, String, String, String)>,
    /// Upload URLs handed out by `attachRecord` and not used yet.
    #[serde(default)]
    uploads: Vec<PendingUpload>,
    next_id: u64,
    calls_made: u64,
    seed: u64,
}

/// An `uploadUrl` of `attachRecord` mode 3, waiting for its file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingUpload {
    token: String,
    call_id: String,
    filename: String,
}

impl Telephony {
    /// The position of `call_id`'s statistics row.
    fn stat_of(&self, call_id: &str) -> Option<usize> {
        let index = self.stats_by_call.get_or_init(|| {
            let mut index = std::collections::HashMap::new();
            for (at, row) in self.stats.iter().enumerate() {
                if let Some(id) = row.get("CALL_ID").and_then(Value::as_str) {
                    index.entry(id.to_owned()).or_insert(at);
                }
            }
            index
        });
        index.get(call_id).copied()
    }

    /// Adds a finished call's statistics row.
    fn push_stat(&mut self, row: Map<String, Value>) {
        if let (Some(index), Some(id)) = (self.stats_by_call.get_mut(), row.get("CALL_ID").and_then(Value::as_str)) {
            index.entry(id.to_owned()).or_insert(self.stats.len());
        }
        self.stats.push(row);
    }

    pub(crate) fn new(world: &World) -> Self {
        Telephony {
            active: Vec::new(),
            stats: Vec::new(),
            stats_by_call: std::cell::OnceCell::new(),
            activities: Vec::new(),
            lines: Vec::new(),
            uploads: Vec::new(),
            next_id: u64::from(world.next_b24_id()).max(5_000),
            calls_made: 0,
            seed: world.seed,
        }
    }

    pub(super) fn dump(&self) -> Value {
        let active: Vec<Value> = self
            .active
            .iter()
            .map(|c| {
                json!({"CALL_ID": c.call_id, "USER_ID": c.user_id, "PHONE_NUMBER": c.phone, "TYPE": c.kind,
                       "LINE_NUMBER": c.line, "EXTERNAL_CALL_ID": c.external_id, "CALL_START_DATE": c.start_iso,
                       "CRM_ENTITY_TYPE": c.entity.map_or("", |e| e.0), "CRM_ENTITY_ID": c.entity.map(|e| e.1),
                       "CRM_CREATED_LEAD": c.created_lead, "SHOWN_TO": c.shown_to,
                       "PUSHES": c.pushes.iter().map(|(action, users)| json!({"action": action, "USER_ID": users})).collect::<Vec<_>>()})
            })
            .collect();
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|(id, number, name, auto)| json!({"ID": id, "NUMBER": number, "NAME": name, "CRM_AUTO_CREATE": auto}))
            .collect();
        json!({"active_calls": active, "finished_calls": self.stats, "activities": self.activities, "lines": lines})
    }

    pub(super) fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

/// `(CONTACT|COMPANY|LEAD|DEAL, id)` saved as text and read back as the
/// static names the handlers use.
mod entity_kind {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<(&'static str, u64)>, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<(&'static str, u64)>, D::Error> {
        let v: Option<(String, u64)> = Option::deserialize(d)?;
        Ok(v.map(|(kind, id)| {
            let kind = ["CONTACT", "COMPANY", "LEAD", "DEAL"].into_iter().find(|k| *k == kind).unwrap_or("LEAD");
            (kind, id)
        }))
    }
}

/// Ids and owner type ids of CRM records: lead 1, contact 3, company 4.
fn owner_type_id(kind: &str) -> u8 {
    match kind {
        "LEAD" => 1,
        "DEAL" => 2,
        "CONTACT" => 3,
        _ => 4,
    }
}

fn str_param(p: &Map<String, Value>, name: &str) -> Option<String> {
    match params::get(p, name)? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1".into() } else { "0".into() }),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

fn int_param(p: &Map<String, Value>, name: &str) -> Option<i64> {
    str_param(p, name).and_then(|s| s.parse().ok())
}

fn flag(p: &Map<String, Value>, name: &str, default: bool) -> bool {
    match str_param(p, name).as_deref() {
        None => default,
        Some(v) => matches!(v, "1" | "Y" | "y" | "true" | "TRUE"),
    }
}

/// The active user a call is for: `USER_ID`, else `USER_PHONE_INNER`.
fn user_of(records: &Records, p: &Map<String, Value>) -> Result<String, B24Error> {
    let by_id = int_param(p, "USER_ID").filter(|id| *id > 0).map(|id| id.to_string());
    let inner = str_param(p, "USER_PHONE_INNER");
    if by_id.is_none() && inner.is_none() {
        return Err(B24Error::legacy("USER_ID or USER_PHONE_INNER should be set"));
    }
    let active = |u: &&Map<String, Value>| u.get("ACTIVE") == Some(&Value::Bool(true));
    let found = records.users.iter().filter(active).find(|u| match &by_id {
        Some(id) => u.get("ID").and_then(Value::as_str) == Some(id.as_str()),
        None => u.get("UF_PHONE_INNER").and_then(Value::as_str) == inner.as_deref(),
    });
    found
        .and_then(|u| u.get("ID").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| B24Error::legacy("User is not found or is not active"))
}

/// `PHONE_NUMBER` with letters and punctuation stripped (a leading `+` kept).
fn phone_of(p: &Map<String, Value>) -> Result<String, B24Error> {
    let raw = str_param(p, "PHONE_NUMBER").unwrap_or_default();
    let plus = raw.starts_with('+');
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return Err(B24Error::legacy("Unsupported phone number format"));
    }
    Ok(if plus { format!("+{digits}") } else { digits })
}

/// `YYYY-MM-DDTHH:MM:SS` followed by `Z` or `±HH:MM` (ISO 8601 with a zone).
fn is_iso8601_with_zone(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() < 20 || b[10] != b'T' {
        return false;
    }
    // `get`, not indexing: byte 19 may fall inside a multi-byte character.
    let (Some(date), Some(time), Some(zone)) = (text.get(..10), text.get(11..19), text.get(19..)) else {
        return false;
    };
    if callfull_model::DateTime::parse(&format!("{date} {time}")).is_err() {
        return false;
    }
    let zone = zone.strip_prefix('.').map_or(zone, |z| z.trim_start_matches(|c: char| c.is_ascii_digit()));
    zone == "Z"
        || (zone.len() == 6
            && (zone.starts_with('+') || zone.starts_with('-'))
            && zone.as_bytes()[3] == b':'
            && zone[1..3].chars().chain(zone[4..].chars()).all(|c| c.is_ascii_digit()))
}

/// The CRM records holding `phone` (any spelling), contacts first, then
/// companies, then leads.
fn records_with_phone<'r>(
    records: &'r Records,
    world: &World,
    phone: &str,
) -> Vec<(&'static str, &'r Map<String, Value>)> {
    let has = |r: &&Map<String, Value>| super::crm::holds(r, "PHONE", world, phone);
    let kinds: [(&'static str, &Vec<Map<String, Value>>); 3] =
        [("CONTACT", &records.contacts), ("COMPANY", &records.companies), ("LEAD", &records.leads)];
    kinds.into_iter().flat_map(|(kind, rows)| rows.iter().filter(has).map(move |r| (kind, r))).collect()
}

fn id_of(record: &Map<String, Value>) -> u64 {
    record.get("ID").and_then(Value::as_str).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// `externalCall.<32 hex>.<unix time>`, from the seed and the call's number.
fn call_id(seed: u64, n: u64, unix: i64) -> String {
    let mut x = seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut hex = String::with_capacity(32);
    for _ in 0..2 {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        hex.push_str(&format!("{:016x}", z ^ (z >> 31)));
    }
    format!("externalCall.{hex}.{unix}")
}

const DEDUP_MICROS: i64 = 30 * 60 * 1_000_000;

pub(super) fn register(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let user_id = user_of(ctx.records, p)?;
    let phone = phone_of(p)?;
    let kind = match int_param(p, "TYPE") {
        Some(t @ 1..=5) => t as u8,
        _ => return Err(B24Error::legacy("Unknown TYPE")),
    };
    let start_iso = match str_param(p, "CALL_START_DATE") {
        Some(date) if is_iso8601_with_zone(&date) => date,
        Some(_) => return Err(B24Error::legacy("CALL_START_DATE should be in the ISO-8601 format")),
        None => ctx.now_iso(),
    };
    let line = str_param(p, "LINE_NUMBER").unwrap_or_default();
    // An unknown line number creates the line for the caller.
    if !line.is_empty() && !ctx.records.telephony.lines.iter().any(|l| l.1 == line) {
        let id = ctx.records.telephony.new_id();
        ctx.records.telephony.lines.push((id, line.clone(), line.clone(), "Y".into()));
    }
    let external_id = str_param(p, "EXTERNAL_CALL_ID").unwrap_or_default();
    let now = ctx.now_micros;
    let world = ctx.portal.world();

    // The same unfinished call within 30 minutes gets its CALL_ID back.
    if let Some(call) = ctx.records.telephony.active.iter().find(|c| {
        c.user_id == user_id
            && world.same_number(&c.phone, &phone)
            && c.kind == kind
            && (line.is_empty() || c.line == line)
            && (external_id.is_empty() || c.external_id == external_id)
            && now - c.registered_micros < DEDUP_MICROS
    }) {
        return Ok(register_answer(call));
    }

    // A number that is an active user's extension: an internal call, no CRM.
    let internal = ctx.records.users.iter().any(|u| {
        u.get("ACTIVE") == Some(&Value::Bool(true))
            && u.get("UF_PHONE_INNER").and_then(Value::as_str) == Some(phone.as_str())
    });
    let explicit = match (str_param(p, "CRM_ENTITY_TYPE"), int_param(p, "CRM_ENTITY_ID")) {
        (Some(t), Some(id)) if id > 0 && ["CONTACT", "COMPANY", "LEAD"].contains(&t.to_ascii_uppercase().as_str()) => {
            let t = ["CONTACT", "COMPANY", "LEAD"].into_iter().find(|k| k.eq_ignore_ascii_case(&t)).unwrap_or("LEAD");
            Some((t, id as u64))
        }
        _ => None,
    };
    let found = if internal {
        None
    } else {
        explicit.or_else(|| records_with_phone(ctx.records, world, &phone).first().map(|(k, r)| (*k, id_of(r))))
    };
    let mut created_lead = None;
    let entity = match found {
        Some(e) => Some(e),
        None if !internal && flag(p, "CRM_CREATE", false) => {
            let id = ctx.records.telephony.new_id();
            let lead = new_lead(ctx, id, &phone, kind, &user_id);
            ctx.records.leads.push(lead);
            created_lead = Some(id);
            Some(("LEAD", id))
        }
        None => None,
    };
    ctx.records.telephony.calls_made += 1;
    let n = ctx.records.telephony.calls_made;
    let call = ActiveCall {
        call_id: call_id(ctx.records.telephony.seed, n, now.div_euclid(1_000_000)),
        user_id,
        phone,
        kind,
        line,
        external_id,
        registered_micros: now,
        start_iso,
        entity,
        created_lead,
        shown_to: Vec::new(),
        pushes: Vec::new(),
    };
    let answer = register_answer(&call);
    ctx.records.telephony.active.push(call);
    Ok(answer)
}

/// A register's answer; the journal keeps the CALL_ID it hands out.
fn register_answer(call: &ActiveCall) -> Answer {
    let journaled = Some(json!({ "CALL_ID": call.call_id }));
    Answer { journaled, ..Answer::of(register_result(call)) }
}

fn register_result(call: &ActiveCall) -> Value {
    json!({
        "CALL_ID": call.call_id,
        "CRM_CREATED_LEAD": call.created_lead,
        "CRM_CREATED_ENTITIES": call.created_lead.map(|id| vec![json!({"ENTITY_TYPE": "LEAD", "ENTITY_ID": id})]).unwrap_or_default(),
        "CRM_ENTITY_TYPE": call.entity.map_or("", |e| e.0),
        "CRM_ENTITY_ID": call.entity.map(|e| e.1),
    })
}

/// The lead Bitrix24 creates for an unknown caller (`CRM_CREATE=1`).
fn new_lead(ctx: &Ctx<'_>, id: u64, phone: &str, kind: u8, user_id: &str) -> Map<String, Value> {
    let now = ctx.now_iso();
    let title = if kind == 1 {
        format!("{phone} - Исходящий звонок")
    } else {
        format!("{phone} - Входящий звонок")
    };
    let lead = json!({
        "ID": id.to_string(),
        "TITLE": title,
        "STATUS_ID": "NEW",
        "STATUS_SEMANTIC_ID": "P",
        "SOURCE_ID": "CALL",
        "OPENED": "Y",
        "ASSIGNED_BY_ID": user_id,
        "CREATED_BY_ID": user_id,
        "MODIFY_BY_ID": user_id,
        "DATE_CREATE": now,
        "DATE_MODIFY": now,
        "OPPORTUNITY": "0.00",
        "CURRENCY_ID": "RUB",
        "HAS_PHONE": "Y",
        "HAS_EMAIL": "N",
        "HAS_IMOL": "N",
        "PHONE": [{"ID": (id * 10).to_string(), "VALUE_TYPE": "WORK", "VALUE": phone, "TYPE_ID": "PHONE"}],
    });
    lead.as_object().cloned().unwrap_or_default()
}

fn active_index(records: &Records, p: &Map<String, Value>) -> Option<usize> {
    let id = str_param(p, "CALL_ID")?;
    records.telephony.active.iter().position(|c| c.call_id == id)
}

pub(super) fn show(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    push(ctx, p, "show")
}

pub(super) fn hide(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    push(ctx, p, "hide")
}

/// `show`/`hide`: `true` and the push recorded on the call when it is active,
/// `false` (never an error) when it is unknown or finished. `USER_ID` is an
/// id or a list of ids; by default the registering user.
fn push(ctx: &mut Ctx<'_>, p: &Map<String, Value>, action: &str) -> Result<Answer, B24Error> {
    let Some(index) = active_index(ctx.records, p) else { return Ok(Answer::of(json!(false))) };
    let id_text = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let call = &mut ctx.records.telephony.active[index];
    let users: Vec<String> = match params::get(p, "USER_ID") {
        Some(Value::Array(items)) => items.iter().filter_map(id_text).collect(),
        Some(one) => id_text(one).into_iter().collect(),
        None => vec![call.user_id.clone()],
    };
    for user in &users {
        if action == "show" && !call.shown_to.contains(user) {
            call.shown_to.push(user.clone());
        } else if action == "hide" {
            call.shown_to.retain(|u| u != user);
        }
    }
    call.pushes.push((action.to_owned(), users));
    Ok(Answer::of(json!(true)))
}

pub(super) fn finish(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    match params::get(p, "CALL_ID") {
        Some(Value::String(_)) => {}
        Some(_) => return Err(B24Error::new(400, "INVALID_ARGUMENT", "CALL_ID must be a string")),
        None => return Err(B24Error::legacy("Call is not found (call should be registered prior to finishing")),
    }
    let user_id = user_of(ctx.records, p)?;
    let Some(index) = active_index(ctx.records, p) else {
        return Err(B24Error::legacy("Call is not found (call should be registered prior to finishing"));
    };
    let duration = int_param(p, "DURATION").unwrap_or(0).max(0);
    let status_code =
        str_param(p, "STATUS_CODE").unwrap_or_else(|| if duration > 0 { "200" } else { "304" }.to_owned());
    let call = ctx.records.telephony.active.remove(index);

    // What this call created now belongs to whoever finished it.
    if let Some(lead_id) = call.created_lead {
        let id = lead_id.to_string();
        if let Some(lead) =
            ctx.records.leads.iter_mut().find(|l| l.get("ID").and_then(Value::as_str) == Some(id.as_str()))
        {
            lead.insert("ASSIGNED_BY_ID".into(), json!(user_id));
        }
    }
    let activity_id = call.entity.map(|(kind, owner)| {
        let id = ctx.records.telephony.new_id();
        let activity = activity(ctx, id, &call, kind, owner, &user_id, duration, &status_code);
        ctx.records.telephony.activities.push(activity);
        id
    });
    let stat_id = ctx.records.telephony.stats.len() + 1;
    let mut row = json!({
        "CALL_ID": call.call_id,
        "EXTERNAL_CALL_ID": if call.external_id.is_empty() { Value::Null } else { json!(call.external_id) },
        "PORTAL_USER_ID": user_id.parse::<u64>().unwrap_or(0),
        "PHONE_NUMBER": call.phone.trim_start_matches('+'),
        "PORTAL_NUMBER": if call.line.is_empty() { "REST_APP:".to_owned() } else { call.line.clone() },
        "INCOMING": call.kind.to_string(),
        "CALL_DURATION": duration,
        "CALL_START_DATE": {},
        "CALL_STATUS": i32::from(duration > 0),
        "CALL_VOTE": int_param(p, "VOTE").unwrap_or(0),
        "COST": 0,
        "COST_CURRENCY": str_param(p, "COST_CURRENCY").unwrap_or_default(),
        "CALL_FAILED_CODE": status_code,
        "CALL_FAILED_REASON": str_param(p, "FAILED_REASON").unwrap_or_default(),
        "REST_APP_ID": Value::Null,
        "REST_APP_NAME": false,
        "CRM_ACTIVITY_ID": activity_id,
        "COMMENT": Value::Null,
    });
    if let (Some((kind, id)), Some(obj)) = (call.entity, row.as_object_mut()) {
        obj.insert("CRM_ENTITY_TYPE".into(), json!(kind));
        obj.insert("CRM_ENTITY_ID".into(), json!(id));
    }
    if let Some(obj) = row.as_object_mut() {
        obj.insert("ID".into(), json!(stat_id));
    }
    let row = row.as_object().cloned().unwrap_or_default();
    ctx.records.telephony.push_stat(row.clone());
    Ok(Answer::of(Value::Object(row)))
}

/// The call activity `finish` leaves on the bound entity.
#[allow(clippy::too_many_arguments)]
fn activity(
    ctx: &Ctx<'_>,
    id: u64,
    call: &ActiveCall,
    kind: &str,
    owner: u64,
    user_id: &str,
    duration: i64,
    status_code: &str,
) -> Map<String, Value> {
    let incoming = matches!(call.kind, 2 | 3);
    let now = ctx.now_iso();
    let subject = if incoming {
        format!("Входящий звонок {}", call.phone)
    } else {
        format!("Исходящий звонок {}", call.phone)
    };
    json!({
        "ID": id.to_string(),
        "OWNER_ID": owner.to_string(),
        "OWNER_TYPE_ID": owner_type_id(kind).to_string(),
        "TYPE_ID": "2",
        "PROVIDER_ID": "VOXIMPLANT_CALL",
        "PROVIDER_TYPE_ID": "CALL",
        "ORIGIN_ID": format!("VI_{}", call.call_id),
        "SUBJECT": subject,
        "DIRECTION": if incoming { "1" } else { "2" },
        "COMPLETED": "Y",
        "STATUS": "2",
        "RESPONSIBLE_ID": user_id,
        "AUTHOR_ID": user_id,
        "EDITOR_ID": user_id,
        "START_TIME": call.start_iso,
        "END_TIME": now,
        "DEADLINE": now,
        "CREATED": now,
        "LAST_UPDATED": now,
        "DESCRIPTION": format!("Длительность: {duration} с, статус: {status_code}"),
        "DESCRIPTION_TYPE": "1",
        "SETTINGS": [],
        "PROVIDER_PARAMS": [],
        "FILES": [],
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

pub(super) fn attach_record(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let call_id = str_param(p, "CALL_ID").unwrap_or_default();
    if ctx.records.telephony.stat_of(&call_id).is_none() {
        return Err(B24Error::legacy("Call is not found in the statistic table. Looks like it is not finished yet."));
    }
    let url = str_param(p, "RECORD_URL");
    let filename = str_param(p, "FILENAME");
    let content = str_param(p, "FILE_CONTENT");
    let name = match (&url, &filename, &content) {
        (Some(url), _, _) => {
            filename.clone().unwrap_or_else(|| url.rsplit('/').next().unwrap_or("record.mp3").to_owned())
        }
        (None, Some(name), Some(content)) => {
            if !is_base64(content) {
                return Err(B24Error::legacy("File content is not properly encoded. Base64 encoding is expected."));
            }
            name.clone()
        }
        (None, Some(name), None) => {
            check_extension(name)?;
            // Mode 3: an upload URL the client POSTs the file to (field `file`).
            let n = ctx.records.telephony.new_id();
            let token = format!("telephony|{}", super::token(ctx.records.telephony.seed ^ n, 0x0F11E, 32));
            ctx.records.telephony.uploads.push(PendingUpload {
                token: token.clone(),
                call_id: call_id.clone(),
                filename: name.clone(),
            });
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("auth", ctx.portal.access_token())
                .append_pair("token", &token)
                .finish();
            return Ok(Answer::of(json!({
                "uploadUrl": format!("{}/rest/upload.json?{query}", ctx.portal.public_url()),
                "fieldName": "file",
            })));
        }
        (None, None, _) => {
            return Err(B24Error::legacy(
                "Required parameters are not set. Request should contain or URL or FILENAME parameter",
            ));
        }
    };
    check_extension(&name)?;
    let file_id = attach_file(ctx, &call_id, url.unwrap_or(name));
    Ok(Answer::of(json!({ "FILE_ID": file_id })))
}

fn check_extension(name: &str) -> Result<(), B24Error> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".mp3") || lower.ends_with(".wav") {
        Ok(())
    } else {
        Err(B24Error::legacy("Wrong file extension. Only wav and mp3 are allowed"))
    }
}

/// Stores a record for a finished call: a new file id, set on the call's
/// statistics row (`RECORD_FILE_ID`, `CALL_RECORD_URL`) and activity
/// (`FILES`); calling again replaces the previous record.
fn attach_file(ctx: &mut Ctx<'_>, call_id: &str, url: String) -> u64 {
    let file_id = ctx.records.telephony.new_id();
    let at = ctx.records.telephony.stat_of(call_id);
    if let Some(row) = at.and_then(|at| ctx.records.telephony.stats.get_mut(at)) {
        row.insert("RECORD_FILE_ID".into(), json!(file_id));
        row.insert("CALL_RECORD_URL".into(), json!(url));
    }
    let origin = format!("VI_{call_id}");
    if let Some(activity) = ctx
        .records
        .telephony
        .activities
        .iter_mut()
        .find(|a| a.get("ORIGIN_ID").and_then(Value::as_str) == Some(origin.as_str()))
    {
        activity.insert("FILES".into(), json!([{"id": file_id, "url": url}]));
    }
    file_id
}

/// `POST /rest/upload.json?auth=…&token=telephony|…` with the multipart field
/// `file`: the second half of `attachRecord` mode 3. Each upload URL takes
/// one file.
pub(super) fn upload(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let token = str_param(p, "token").unwrap_or_default();
    let Some(index) = ctx.records.telephony.uploads.iter().position(|u| u.token == token) else {
        return Err(B24Error::new(400, "ERROR_UPLOAD", "The upload token is unknown or was used already"));
    };
    let content = match params::get(p, "file") {
        Some(Value::Array(file)) => file.get(1).and_then(Value::as_str).unwrap_or_default(),
        Some(Value::String(text)) => text.as_str(),
        _ => "",
    };
    if content.is_empty() {
        return Err(B24Error::legacy("File content is empty."));
    }
    let pending = ctx.records.telephony.uploads.remove(index);
    let file_id = attach_file(ctx, &pending.call_id, pending.filename);
    Ok(Answer::of(json!({ "FILE_ID": file_id })))
}

fn is_base64(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    !text.is_empty()
        && text.len() % 4 == 0
        && text.len() - body.len() <= 2
        && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

pub(super) fn search_crm_entities(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let phone = str_param(p, "PHONE_NUMBER").ok_or_else(|| B24Error::legacy("PHONE_NUMBER is empty"))?;
    let world = ctx.portal.world();
    let mut found = records_with_phone(ctx.records, world, &phone);
    // Contacts, then leads, then companies.
    found.sort_by_key(|(kind, _)| match *kind {
        "CONTACT" => 0,
        "LEAD" => 1,
        _ => 2,
    });
    let items: Vec<Value> = found
        .into_iter()
        .map(|(kind, r)| {
            let assigned = r.get("ASSIGNED_BY_ID").and_then(Value::as_str).unwrap_or("");
            let user = ctx.records.users.iter().find(|u| u.get("ID").and_then(Value::as_str) == Some(assigned));
            let field = |name: &str| user.and_then(|u| u.get(name)).cloned().filter(|v| v != "").unwrap_or(Value::Null);
            let name = match r.get("TITLE").and_then(Value::as_str).filter(|_| kind == "COMPANY") {
                Some(title) => title.to_owned(),
                None => [r.get("NAME"), r.get("LAST_NAME")]
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            json!({
                "CRM_ENTITY_TYPE": kind,
                "CRM_ENTITY_ID": id_of(r),
                "ASSIGNED_BY_ID": assigned.parse::<u64>().unwrap_or(0),
                "NAME": name,
                "ASSIGNED_BY": {
                    "ID": assigned,
                    "TIMEMAN_STATUS": "UNAVAILABLE",
                    "USER_PHONE_INNER": field("UF_PHONE_INNER"),
                    "WORK_PHONE": field("WORK_PHONE"),
                    "PERSONAL_PHONE": field("PERSONAL_PHONE"),
                    "PERSONAL_MOBILE": field("PERSONAL_MOBILE"),
                },
            })
        })
        .collect();
    Ok(Answer::of(Value::Array(items)))
}

pub(super) fn activity_get(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let id = super::crm::id_param(p)?;
    ctx.records
        .telephony
        .activities
        .iter()
        .find(|a| a.get("ID").and_then(Value::as_str) == Some(id.as_str()))
        .map(|a| Answer::of(Value::Object(a.clone())))
        .ok_or_else(|| B24Error::legacy("Activity is not found"))
}

pub(super) fn activity_list(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    use super::query::{page, sort, start_of};
    let super::crm::ListParams { filter, mut order, select } = super::crm::list_params(p)?;
    let mut rows: Vec<&Map<String, Value>> =
        ctx.records.telephony.activities.iter().filter(|a| filter.matches(a)).collect();
    if order.is_empty() {
        order.push(("START_TIME".into(), false));
    }
    sort(&mut rows, &order);
    let page = page(rows, start_of(params::get(p, "start")));
    let (total, next) = (Some(page.total.unwrap_or(0)), page.next);
    // COMMUNICATIONS, FILES and BINDINGS come only when named in `select`.
    let only_named = ["COMMUNICATIONS", "FILES", "BINDINGS"];
    Ok(Answer {
        total,
        next,
        ..Answer::of(Value::Array(
            page.rows.into_iter().map(|r| Value::Object(super::crm::project(r, &select, &only_named))).collect(),
        ))
    })
}

pub(super) fn line_add(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let number = str_param(p, "NUMBER").ok_or_else(|| B24Error::legacy("NUMBER should not be empty"))?;
    if ctx.records.telephony.lines.iter().any(|l| l.1 == number) {
        return Err(B24Error::legacy("Line already exists"));
    }
    let name = str_param(p, "NAME").unwrap_or_else(|| number.clone());
    let auto = if flag(p, "CRM_AUTO_CREATE", true) { "Y" } else { "N" };
    let id = ctx.records.telephony.new_id();
    ctx.records.telephony.lines.push((id, number, name, auto.into()));
    Ok(Answer::of(json!({ "ID": id })))
}

pub(super) fn line_get(ctx: &mut Ctx<'_>, _: &Map<String, Value>) -> Result<Answer, B24Error> {
    let lines: Vec<Value> = ctx
        .records
        .telephony
        .lines
        .iter()
        .map(|(_, number, name, auto)| json!({"NUMBER": number, "NAME": name, "CRM_AUTO_CREATE": auto}))
        .collect();
    Ok(Answer::of(Value::Array(lines)))
}

pub(super) fn line_update(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let number = str_param(p, "NUMBER").ok_or_else(|| B24Error::legacy("NUMBER should not be empty"))?;
    let name = str_param(p, "NAME");
    let auto = str_param(p, "CRM_AUTO_CREATE").map(|_| if flag(p, "CRM_AUTO_CREATE", true) { "Y" } else { "N" });
    if name.is_none() && auto.is_none() {
        return Err(B24Error::legacy("There are no fields to update"));
    }
    let line = ctx.records.telephony.lines.iter_mut().find(|l| l.1 == number);
    let Some(line) = line else { return Err(B24Error::legacy(format!("Could not find line with number {number}"))) };
    if let Some(name) = name {
        line.2 = name;
    }
    if let Some(auto) = auto {
        line.3 = auto.into();
    }
    Ok(Answer::of(json!({ "ID": line.0.to_string() })))
}

pub(super) fn line_delete(ctx: &mut Ctx<'_>, p: &Map<String, Value>) -> Result<Answer, B24Error> {
    let number = str_param(p, "NUMBER").unwrap_or_default();
    let before = ctx.records.telephony.lines.len();
    ctx.records.telephony.lines.retain(|l| l.1 != number);
    if ctx.records.telephony.lines.len() == before {
        return Err(B24Error::legacy(format!("Could not find line with number {number}")));
    }
    Ok(Answer::of(json!([])))
}

/// A user clicked `phone` in the CRM: the portal registers an outgoing call
/// (as `register` would) and sends `ONEXTERNALCALLSTART` to every bound
/// handler. `p`: `user_id` or `extension`, `phone`, and optionally `line`,
/// `crm_entity_type`, `crm_entity_id`.
pub(super) fn click_to_call(
    ctx: &mut Ctx<'_>,
    p: &Map<String, Value>,
) -> Result<(Value, Vec<super::events::Delivery>), B24Error> {
    let clicked = str_param(p, "phone").ok_or_else(|| B24Error::invalid_request("`phone` is required"))?;
    let mut register_params = Map::new();
    match (str_param(p, "user_id"), str_param(p, "extension")) {
        (Some(id), _) => register_params.insert("USER_ID".into(), json!(id)),
        (None, Some(ext)) => register_params.insert("USER_PHONE_INNER".into(), json!(ext)),
        (None, None) => return Err(B24Error::invalid_request("`user_id` or `extension` is required")),
    };
    register_params.insert("PHONE_NUMBER".into(), json!(clicked));
    register_params.insert("TYPE".into(), json!(1));
    for (from, to) in
        [("line", "LINE_NUMBER"), ("crm_entity_type", "CRM_ENTITY_TYPE"), ("crm_entity_id", "CRM_ENTITY_ID")]
    {
        if let Some(v) = str_param(p, from) {
            register_params.insert(to.into(), json!(v));
        }
    }
    let user_id = user_of(ctx.records, &register_params)?;
    let registered = register(ctx, &register_params)?.into_result();
    let world = ctx.portal.world();
    let number = world.number(&callfull_world::phone::normalize(&clicked));
    let international = if number.base.len() == 10 && !number.is_local {
        format!("+7{}", number.base)
    } else {
        callfull_world::phone::normalize(&clicked)
    };
    let data = json!({
        "PHONE_NUMBER": clicked,
        "PHONE_NUMBER_INTERNATIONAL": international,
        "EXTENSION": callfull_world::phone::extension_of(&clicked).unwrap_or(""),
        "USER_ID": user_id,
        "CALL_LIST_ID": "0",
        "LINE_NUMBER": str_param(p, "line").unwrap_or_default(),
        "IS_MOBILE": "0",
        "CALL_ID": registered["CALL_ID"],
        "CRM_ENTITY_TYPE": registered["CRM_ENTITY_TYPE"],
        "CRM_ENTITY_ID": registered["CRM_ENTITY_ID"].as_u64().map(|id| id.to_string()).unwrap_or_default(),
    });
    let map = data.as_object().cloned().unwrap_or_default();
    let deliveries = super::events::deliveries(ctx, "ONEXTERNALCALLSTART", &map);
    Ok((data, deliveries))
}

/// A visitor asked for a call back through a CRM form routed to the
/// application: `ONEXTERNALCALLBACKSTART` to every bound handler. `p`:
/// `phone`, and optionally `text`, `voice`, `line`, `crm_entity_type`,
/// `crm_entity_id`.
pub(super) fn callback_request(
    ctx: &mut Ctx<'_>,
    p: &Map<String, Value>,
) -> Result<(Value, Vec<super::events::Delivery>), B24Error> {
    let phone = str_param(p, "phone").ok_or_else(|| B24Error::invalid_request("`phone` is required"))?;
    let world = ctx.portal.world();
    let found = records_with_phone(ctx.records, world, &phone).first().map(|(kind, r)| (*kind, id_of(r)));
    let (kind, id) = match (str_param(p, "crm_entity_type"), str_param(p, "crm_entity_id")) {
        (Some(kind), Some(id)) => (kind.to_ascii_uppercase(), id),
        _ => found.map_or((String::new(), String::new()), |(k, id)| (k.to_owned(), id.to_string())),
    };
    let data = json!({
        "PHONE_NUMBER": phone,
        "TEXT": str_param(p, "text").unwrap_or_default(),
        "VOICE": str_param(p, "voice").unwrap_or_else(|| "ruinternalfemale".into()),
        "CRM_ENTITY_TYPE": kind,
        "CRM_ENTITY_ID": id,
        "LINE_NUMBER": str_param(p, "line").unwrap_or_default(),
    });
    let map = data.as_object().cloned().unwrap_or_default();
    let deliveries = super::events::deliveries(ctx, "ONEXTERNALCALLBACKSTART", &map);
    Ok((data, deliveries))
}
