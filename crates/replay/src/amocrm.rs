//! The amoCRM side of the connector (`itgrix-connector.md` §6.2,
//! `amocrm-api.md`): the API v4 calls and how their answers become `entity`,
//! `deal` and users.
//!
//! Per call: the contact (else company) holding the client's number and its
//! newest open lead before the first stage; before the `call_ended` hook, for
//! an unknown number, a new contact and lead (or, for a missed incoming call,
//! an unsorted SIP entry), then `POST /api/v4/calls`.

use callfull_model::{CallFull, CallStage, CallType, Entity, SipStatus, User, entity_type};
use callfull_world::{World, call_full_raw};
use hyper::Method;
use serde_json::{Map, Value, json};

use crate::driver::{duration_secs, last_answered_user};
use crate::error::{ReplayError, excerpt};
use crate::http::{Http, Request, Response};
use crate::lookup::CallFacts;
use crate::users::Users;

/// What the connector does for a number no card holds (the module's
/// settings; each setter of a real connector's admin page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmoSettings {
    /// Create a contact for an unknown number (default true).
    pub create_contact: bool,
    /// Create a lead with that contact (default true).
    pub create_lead: bool,
    /// A missed incoming call from an unknown number goes to "unsorted" as a
    /// SIP entry instead (default true).
    pub unsorted_for_missed: bool,
    /// `source` of calls and `source_name` of unsorted entries (default "callfull").
    pub source: String,
}

impl Default for AmoSettings {
    fn default() -> Self {
        AmoSettings { create_contact: true, create_lead: true, unsorted_for_missed: true, source: "callfull".into() }
    }
}

/// The API client for one account.
pub(crate) struct AmoCrm<'w> {
    http: Http,
    base: String,
    token: String,
    world: &'w World,
    settings: AmoSettings,
    default_user: Option<String>,
}

/// One call's CRM state.
#[derive(Debug, Default)]
pub(crate) struct CallState {
    entity: Option<Entity>,
    deal: Option<Entity>,
}

fn limited(response: &Response) -> bool {
    response.status == 429
}

fn id_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn int_or_text(id: &str) -> Value {
    id.parse::<u64>().map_or(json!(id), |n| json!(n))
}

/// A `GET /api/v4/users` item as a `call_full` user: amoCRM users have no
/// position; `phones` is the `phone_number` the account gives with
/// `with=phone_number`.
pub(crate) fn user_of(object: Map<String, Value>) -> User {
    let phone = object.get("phone_number").and_then(Value::as_str).unwrap_or("").to_owned();
    User {
        email: object.get("email").and_then(Value::as_str).unwrap_or("").to_owned(),
        id: id_text(object.get("id")),
        name: object.get("name").and_then(Value::as_str).unwrap_or("").to_owned(),
        phones: if phone.is_empty() { Vec::new() } else { vec![phone] },
        position: String::new(),
        raw: call_full_raw(object),
    }
}

fn unknown_user(id: &str) -> User {
    let mut raw = Map::new();
    raw.insert("id".into(), int_or_text(id));
    User {
        email: String::new(),
        id: id.to_owned(),
        name: String::new(),
        phones: Vec::new(),
        position: String::new(),
        raw: call_full_raw(raw),
    }
}

/// `call_status`: 4 took place, 7 busy, 5 wrong number, 6 no answer.
fn call_status(result: SipStatus) -> u8 {
    match result.0 {
        200 => 4,
        486 => 7,
        404 | 484 => 5,
        _ => 6,
    }
}

/// The last 10 digits (the part amoCRM matches a phone by), or all of them.
impl<'w> AmoCrm<'w> {
    pub(crate) fn new(
        http: Http,
        url: &str,
        token: String,
        world: &'w World,
        settings: AmoSettings,
    ) -> Result<Self, ReplayError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ReplayError::BadUrl { url: url.into(), reason: "expected http:// or https://".into() });
        }
        let base = url.trim_end_matches('/').trim_end_matches("/api/v4").to_owned();
        Ok(AmoCrm { http, base, token, world, settings, default_user: None })
    }

    /// `method path` with an optional JSON body; `None` for 204.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Option<Value>, ReplayError> {
        let label = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let mut headers =
            vec![("authorization", format!("Bearer {}", self.token)), ("accept", "application/json".into())];
        if body.is_some() {
            headers.push(("content-type", "application/json".into()));
        }
        let request = Request {
            label: label.clone(),
            method,
            url: format!("{}{path}", self.base),
            headers,
            body: body.map(|b| b.to_string().into_bytes()),
        };
        let response = self.http.send(&request, limited).await?;
        if response.status == 204 {
            return Ok(None);
        }
        let parsed = serde_json::from_slice::<Value>(&response.body).ok();
        if (200..300).contains(&response.status) {
            return match parsed {
                Some(value @ Value::Object(_)) => Ok(Some(value)),
                _ => Err(ReplayError::Garbage {
                    request: label,
                    status: response.status,
                    reason: "not a JSON object".into(),
                    excerpt: excerpt(&response.body),
                }),
            };
        }
        match parsed.as_ref().and_then(Value::as_object).filter(|p| p.contains_key("title") || p.contains_key("detail"))
        {
            Some(problem) => Err(ReplayError::Crm {
                request: label,
                status: response.status,
                error: problem.get("title").map(|t| id_text(Some(t))).unwrap_or_default(),
                description: problem.get("detail").map(|t| id_text(Some(t))).unwrap_or_default(),
            }),
            None => Err(ReplayError::Garbage {
                request: label,
                status: response.status,
                reason: "an error status without a problem+json body".into(),
                excerpt: excerpt(&response.body),
            }),
        }
    }

    fn garbage(label: &str, reason: &str, body: &Value) -> ReplayError {
        ReplayError::Garbage {
            request: label.into(),
            status: 200,
            reason: reason.into(),
            excerpt: excerpt(body.to_string().as_bytes()),
        }
    }

    /// Every user, by pages of 250, with their phone numbers.
    pub(crate) async fn users(&mut self) -> Result<Users, ReplayError> {
        let mut users = Vec::new();
        for page in 1.. {
            let path = format!("/api/v4/users?with=phone_number&limit=250&page={page}");
            let Some(answer) = self.call(Method::GET, &path, None).await? else { break };
            let Some(items) = answer.pointer("/_embedded/users").and_then(Value::as_array) else {
                return Err(Self::garbage("GET /api/v4/users", "no _embedded.users", &answer));
            };
            users.extend(items.iter().filter_map(|i| i.as_object().cloned()).map(user_of));
            if answer.pointer("/_links/next").is_none() || items.is_empty() {
                break;
            }
        }
        self.default_user = users.first().map(|u| u.id.clone());
        Ok(Users::new(users))
    }

    fn entity_of(&self, record: Map<String, Value>, kind: &str, is_new: bool, users: &Users) -> Entity {
        let phones = if kind == entity_type::DEAL {
            Vec::new()
        } else {
            record
                .get("custom_fields_values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|f| f.get("field_code").and_then(Value::as_str) == Some("PHONE"))
                .flat_map(|f| f.get("values").and_then(Value::as_array).into_iter().flatten())
                .filter_map(|v| v.get("value").and_then(Value::as_str))
                .map(|p| self.world.crm_number(p))
                .collect()
        };
        let responsible_id = id_text(record.get("responsible_user_id"));
        Entity {
            id: id_text(record.get("id")),
            is_new,
            name: record.get("name").and_then(Value::as_str).unwrap_or("").to_owned(),
            phones,
            responsible: users.by_id(&responsible_id).cloned().unwrap_or_else(|| unknown_user(&responsible_id)),
            responsible_id,
            raw: call_full_raw(record),
            kind: kind.to_owned(),
        }
    }

    async fn get_record(&self, path: &str) -> Result<Map<String, Value>, ReplayError> {
        let label = format!("GET {}", path.split('?').next().unwrap_or(path));
        match self.call(Method::GET, path, None).await? {
            Some(Value::Object(record)) => Ok(record),
            _ => Err(ReplayError::Garbage {
                request: label,
                status: 204,
                reason: "the record just named is not there".into(),
                excerpt: "(empty)".into(),
            }),
        }
    }

    /// The first contact, else company, holding `phone`, with its lead ids.
    async fn find(&self, phone: &str) -> Result<Option<(Map<String, Value>, &'static str)>, ReplayError> {
        let query = callfull_world::phone::phone_key(phone);
        for (list, kind) in [("contacts", entity_type::CONTACT), ("companies", entity_type::COMPANY)] {
            let path = format!("/api/v4/{list}?query={query}&with=leads");
            if let Some(answer) = self.call(Method::GET, &path, None).await? {
                let first = answer.pointer(&format!("/_embedded/{list}/0")).and_then(Value::as_object);
                if let Some(card) = first {
                    return Ok(Some((card.clone(), kind)));
                }
            }
        }
        Ok(None)
    }

    /// The card's newest open lead (status not won 142 / lost 143).
    async fn open_deal(&self, card: &Map<String, Value>, users: &Users) -> Result<Option<Entity>, ReplayError> {
        let ids: Vec<String> = card
            .get("_embedded")
            .and_then(|e| e.get("leads"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|l| id_text(l.get("id")))
            .filter(|id| !id.is_empty())
            .collect();
        if ids.is_empty() {
            return Ok(None);
        }
        let filter: String = ids.iter().enumerate().map(|(i, id)| format!("&filter[id][{i}]={id}")).collect();
        let path = format!("/api/v4/leads?with=contacts&limit=250{filter}");
        let Some(answer) = self.call(Method::GET, &path, None).await? else { return Ok(None) };
        let leads = answer.pointer("/_embedded/leads").and_then(Value::as_array).cloned().unwrap_or_default();
        let open = leads
            .into_iter()
            .filter_map(|l| match l {
                Value::Object(o) => Some(o),
                _ => None,
            })
            .filter(|l| !matches!(l.get("status_id").and_then(Value::as_u64), Some(142 | 143)))
            .max_by_key(|l| {
                (
                    l.get("created_at").and_then(Value::as_i64).unwrap_or(0),
                    l.get("id").and_then(Value::as_u64).unwrap_or(0),
                )
            });
        Ok(open.map(|lead| self.entity_of(lead, entity_type::DEAL, false, users)))
    }

    fn responsible(&self, facts: &CallFacts, users: &Users, state: &CallState) -> String {
        facts
            .employee
            .as_deref()
            .and_then(|n| users.by_number(n))
            .map(|u| u.id.clone())
            .or_else(|| state.entity.as_ref().map(|e| e.responsible_id.clone()).filter(|id| users.by_id(id).is_some()))
            .or_else(|| self.default_user.clone())
            .unwrap_or_default()
    }

    fn phone_field(phone: &str) -> Value {
        json!([{ "field_code": "PHONE", "values": [{ "value": phone, "enum_code": "WORK" }] }])
    }

    async fn create(&self, facts: &CallFacts, users: &Users, state: &mut CallState) -> Result<(), ReplayError> {
        let user = int_or_text(&self.responsible(facts, users, state));
        let phone = &facts.client_phone;
        let added = self
            .call(
                Method::POST,
                "/api/v4/contacts",
                Some(json!([{
                    "name": phone, "responsible_user_id": user, "created_by": user,
                    "custom_fields_values": Self::phone_field(phone), "request_id": "0",
                }])),
            )
            .await?
            .unwrap_or(Value::Null);
        let contact_id = id_text(added.pointer("/_embedded/contacts/0/id"));
        if contact_id.is_empty() {
            return Err(Self::garbage("POST /api/v4/contacts", "no _embedded.contacts[0].id", &added));
        }
        let contact = self.get_record(&format!("/api/v4/contacts/{contact_id}")).await?;
        state.entity = Some(self.entity_of(contact, entity_type::CONTACT, true, users));
        if self.settings.create_lead {
            let added = self
                .call(
                    Method::POST,
                    "/api/v4/leads",
                    Some(json!([{
                        "responsible_user_id": user, "created_by": user, "request_id": "0",
                        "_embedded": { "contacts": [{ "id": int_or_text(&contact_id) }] },
                    }])),
                )
                .await?
                .unwrap_or(Value::Null);
            let lead_id = id_text(added.pointer("/_embedded/leads/0/id"));
            if lead_id.is_empty() {
                return Err(Self::garbage("POST /api/v4/leads", "no _embedded.leads[0].id", &added));
            }
            let lead = self.get_record(&format!("/api/v4/leads/{lead_id}?with=contacts")).await?;
            state.deal = Some(self.entity_of(lead, entity_type::DEAL, true, users));
        }
        Ok(())
    }

    async fn unsorted(
        &self,
        facts: &CallFacts,
        cf: &CallFull,
        users: &Users,
        state: &mut CallState,
    ) -> Result<(), ReplayError> {
        let phone = &facts.client_phone;
        let mut metadata = json!({
            "uniq": facts.linkedid, "from": phone, "phone": phone, "called_at": facts.start.unix_secs(),
            "duration": duration_secs(cf), "service_code": self.settings.source, "is_call_event_needed": true,
        });
        if !cf.record.is_empty() {
            metadata["link"] = json!(cf.record);
        }
        let added = self
            .call(
                Method::POST,
                "/api/v4/leads/unsorted/sip",
                Some(json!([{
                    "source_uid": facts.linkedid, "source_name": self.settings.source, "request_id": "0",
                    "metadata": metadata,
                    "_embedded": { "contacts": [{ "name": phone, "custom_fields_values": Self::phone_field(phone) }] },
                }])),
            )
            .await?
            .unwrap_or(Value::Null);
        let label = "POST /api/v4/leads/unsorted/sip";
        let entry = added.pointer("/_embedded/unsorted/0/_embedded").cloned().unwrap_or(Value::Null);
        let contact_id = id_text(entry.pointer("/contacts/0/id"));
        let lead_id = id_text(entry.pointer("/leads/0/id"));
        if contact_id.is_empty() || lead_id.is_empty() {
            return Err(Self::garbage(label, "no contact and lead id in _embedded.unsorted[0]._embedded", &added));
        }
        let contact = self.get_record(&format!("/api/v4/contacts/{contact_id}")).await?;
        state.entity = Some(self.entity_of(contact, entity_type::CONTACT, true, users));
        let lead = self.get_record(&format!("/api/v4/leads/{lead_id}?with=contacts")).await?;
        state.deal = Some(self.entity_of(lead, entity_type::DEAL, true, users));
        Ok(())
    }

    async fn log_call(
        &self,
        facts: &CallFacts,
        cf: &CallFull,
        users: &Users,
        state: &CallState,
    ) -> Result<(), ReplayError> {
        let user = last_answered_user(cf)
            .filter(|id| users.by_id(id).is_some())
            .unwrap_or_else(|| self.responsible(facts, users, state));
        let user = int_or_text(&user);
        let mut call = json!({
            "direction": if facts.direction == CallType::Outgoing { "outbound" } else { "inbound" },
            "uniq": facts.linkedid,
            "duration": duration_secs(cf),
            "source": self.settings.source,
            "phone": facts.client_phone,
            "call_result": cf.result.name().unwrap_or("other"),
            "call_status": call_status(cf.result),
            "created_by": user,
            "responsible_user_id": user,
            "created_at": facts.start.unix_secs(),
            "request_id": "0",
        });
        if !cf.record.is_empty() {
            call["link"] = json!(cf.record);
        }
        self.call(Method::POST, "/api/v4/calls", Some(json!([call]))).await?;
        Ok(())
    }

    /// The requests due before stage `index`'s hook runs.
    pub(crate) async fn before(
        &self,
        facts: &CallFacts,
        index: usize,
        stage: CallStage,
        cf: &CallFull,
        users: &Users,
        state: &mut CallState,
    ) -> Result<(), ReplayError> {
        if !facts.is_bound() {
            return Ok(());
        }
        if index == 0 {
            if let Some((mut card, kind)) = self.find(&facts.client_phone).await? {
                state.deal = self.open_deal(&card, users).await?;
                // `with=leads` added them to the list item; the card itself has none.
                if let Some(Value::Object(embedded)) = card.get_mut("_embedded") {
                    embedded.remove("leads");
                }
                state.entity = Some(self.entity_of(card, kind, false, users));
            }
        }
        if stage != CallStage::CallEnded {
            return Ok(());
        }
        let missed = cf.result != SipStatus::OK && facts.direction != CallType::Outgoing;
        let mut logged_by_unsorted = false;
        if state.entity.is_none() {
            if (missed && self.settings.unsorted_for_missed) || !self.settings.create_contact {
                self.unsorted(facts, cf, users, state).await?;
                logged_by_unsorted = true;
            } else {
                self.create(facts, users, state).await?;
            }
        }
        if !logged_by_unsorted {
            self.log_call(facts, cf, users, state).await?;
        }
        Ok(())
    }

    /// Puts the call's CRM side into the stage's `call_full`.
    pub(crate) fn fill(&self, state: &CallState, cf: &mut CallFull) {
        cf.registration = None;
        cf.entity = state.entity.clone();
        cf.deal = state.deal.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_status_follows_the_result() {
        assert_eq!(call_status(SipStatus::OK), 4);
        assert_eq!(call_status(SipStatus::BUSY), 7);
        assert_eq!(call_status(SipStatus::MISSED), 6);
        assert_eq!(call_status(SipStatus::NOT_FOUND), 5);
    }

    #[test]
    fn the_query_is_the_last_ten_digits() {
        assert_eq!(callfull_world::phone::phone_key("+7 (916) 123-45-67"), "9161234567");
        assert_eq!(callfull_world::phone::phone_key("6408812"), "6408812");
    }
}
