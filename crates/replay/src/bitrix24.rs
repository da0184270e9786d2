//! The Bitrix24 side of the connector (`itgrix-connector.md` §6.1,
//! `bitrix24-rest.md`): the REST calls and how their answers become
//! `registration`, `entity` and users.
//!
//! Per call: `crm.duplicate.findbycomm` + `crm.{type}.get` before the first
//! stage (the entity found by the client's number); `telephony.externalcall.register`
//! right after the first `conversation_requested` hook (before `call_ended`
//! when there was none); `show` when a conversation rings, `hide` when it
//! ends; `finish` and `attachRecord` before the `call_ended` hook.

use std::collections::BTreeSet;

use callfull_model::{CallFull, CallStage, CallType, Entity, Registration, User, entity_type};
use callfull_world::{World, call_full_raw, full_name};
use hyper::Method;
use serde_json::{Map, Value, json};

use crate::driver::{duration_secs, last_answered_user};
use crate::error::{ReplayError, excerpt};
use crate::http::{Http, Request, Response};
use crate::lookup::CallFacts;
use crate::users::Users;

/// How the connector reaches the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bitrix24Auth {
    /// An incoming webhook: `https://portal/rest/{user}/{code}/`.
    Webhook(String),
    /// An OAuth or long-lived token against `https://portal` (sent as `auth`).
    Token {
        /// The portal's base URL.
        base: String,
        /// The access token.
        token: String,
    },
}

/// The REST client for one portal.
pub(crate) struct Bitrix24<'w> {
    http: Http,
    auth: Bitrix24Auth,
    world: &'w World,
    /// The calling user's id for calls no employee is known for.
    default_user: Option<String>,
}

/// One call's CRM state.
#[derive(Debug, Default)]
pub(crate) struct CallState {
    entity: Option<Entity>,
    registration: Option<Registration>,
    shown: BTreeSet<String>,
}

fn limited(response: &Response) -> bool {
    response.status == 503
        && serde_json::from_slice::<Value>(&response.body)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(|e| e == "QUERY_LIMIT_EXCEEDED"))
            .unwrap_or(false)
}

/// An id as a string, whether the portal printed it as a number or a string.
fn id_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn str_field<'a>(object: &'a Map<String, Value>, key: &str) -> &'a str {
    object.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A `user.get` item as a `call_full` user.
pub(crate) fn user_of(object: Map<String, Value>) -> User {
    let phones = ["UF_PHONE_INNER", "PERSONAL_MOBILE", "WORK_PHONE", "PERSONAL_PHONE"]
        .iter()
        .map(|k| id_text(object.get(*k)))
        .filter(|s| !s.is_empty())
        .collect();
    User {
        email: str_field(&object, "EMAIL").to_owned(),
        id: id_text(object.get("ID")),
        name: format!("{} {}", str_field(&object, "NAME"), str_field(&object, "LAST_NAME")).trim().to_owned(),
        phones,
        position: str_field(&object, "WORK_POSITION").to_owned(),
        raw: call_full_raw(object),
    }
}

/// A stand-in for a responsible user the portal did not list (fired, or
/// hidden from the webhook's user): only the id is known.
fn unknown_user(id: &str) -> User {
    let mut raw = Map::new();
    raw.insert("ID".into(), json!(id));
    User {
        email: String::new(),
        id: id.to_owned(),
        name: String::new(),
        phones: Vec::new(),
        position: String::new(),
        raw: call_full_raw(raw),
    }
}

/// `STATUS_CODE` for a result: the codes `finish` knows, else `OTHER`.
fn status_code(result: i64) -> String {
    const KNOWN: [i64; 12] = [200, 304, 402, 403, 404, 423, 480, 484, 486, 503, 603, 487];
    match result {
        487 => "603-S".to_owned(),
        r if KNOWN.contains(&r) => r.to_string(),
        _ => "OTHER".to_owned(),
    }
}

impl<'w> Bitrix24<'w> {
    pub(crate) fn new(http: Http, auth: Bitrix24Auth, world: &'w World) -> Result<Self, ReplayError> {
        let url = match &auth {
            Bitrix24Auth::Webhook(url) => url,
            Bitrix24Auth::Token { base, .. } => base,
        };
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ReplayError::BadUrl { url: url.clone(), reason: "expected http:// or https://".into() });
        }
        Ok(Bitrix24 { http, auth, world, default_user: None })
    }

    /// Calls `method` with a JSON body and returns its `result`.
    async fn call(&self, method: &str, params: Value) -> Result<Value, ReplayError> {
        let label = format!("POST {method}");
        let (url, body) = match &self.auth {
            Bitrix24Auth::Webhook(base) => (format!("{}/{method}.json", base.trim_end_matches('/')), params),
            Bitrix24Auth::Token { base, token } => {
                let mut params = params;
                if let Value::Object(map) = &mut params {
                    map.insert("auth".into(), json!(token));
                }
                (format!("{}/rest/{method}.json", base.trim_end_matches('/')), params)
            }
        };
        let request = Request {
            label: label.clone(),
            method: Method::POST,
            url,
            headers: vec![("content-type", "application/json".into()), ("accept", "application/json".into())],
            body: Some(body.to_string().into_bytes()),
        };
        let response = self.http.send(&request, limited).await?;
        let garbage = |reason: &str| ReplayError::Garbage {
            request: label.clone(),
            status: response.status,
            reason: reason.to_owned(),
            excerpt: excerpt(&response.body),
        };
        let Ok(Value::Object(mut envelope)) = serde_json::from_slice::<Value>(&response.body) else {
            return Err(garbage("not a JSON object"));
        };
        if let Some(error) = envelope.get("error") {
            return Err(ReplayError::Crm {
                request: label.clone(),
                status: response.status,
                error: id_text(Some(error)),
                description: str_field(&envelope, "error_description").to_owned(),
            });
        }
        if response.status != 200 {
            return Err(garbage("an error status without Bitrix24's error envelope"));
        }
        envelope.remove("result").ok_or_else(|| garbage("no \"result\" in the envelope"))
    }

    /// Every user, paging `user.get` by 50.
    pub(crate) async fn users(&mut self) -> Result<Users, ReplayError> {
        let mut users = Vec::new();
        let mut start = 0u64;
        loop {
            let label = "POST user.get";
            let page = self.call("user.get", json!({"ACTIVE": true, "start": start})).await?;
            let Value::Array(items) = page else {
                return Err(ReplayError::Garbage {
                    request: label.into(),
                    status: 200,
                    reason: "\"result\" is not a list".into(),
                    excerpt: excerpt(page.to_string().as_bytes()),
                });
            };
            let n = items.len() as u64;
            users.extend(items.into_iter().filter_map(|i| match i {
                Value::Object(o) => Some(user_of(o)),
                _ => None,
            }));
            if n < 50 {
                break;
            }
            start += n;
        }
        self.default_user = users.first().map(|u| u.id.clone());
        Ok(Users::new(users))
    }

    /// The first record holding `phone`: contacts, then companies, then leads
    /// (A-B24-7), as `(type, id)`.
    async fn find(&self, phone: &str) -> Result<Option<(&'static str, String)>, ReplayError> {
        let found = self.call("crm.duplicate.findbycomm", json!({"type": "PHONE", "values": [phone]})).await?;
        for (key, kind) in [("CONTACT", "contact"), ("COMPANY", "company"), ("LEAD", "lead")] {
            if let Some(id) = found.get(key).and_then(Value::as_array).and_then(|ids| ids.first()) {
                return Ok(Some((kind, id_text(Some(id)))));
            }
        }
        Ok(None)
    }

    /// `crm.{kind}.get` as a `call_full` entity.
    async fn entity(&self, kind: &str, id: &str, is_new: bool, users: &Users) -> Result<Entity, ReplayError> {
        let method = format!("crm.{kind}.get");
        let record = self.call(&method, json!({"id": id})).await?;
        let Value::Object(record) = record else {
            return Err(ReplayError::Garbage {
                request: format!("POST {method}"),
                status: 200,
                reason: "\"result\" is not an object".into(),
                excerpt: excerpt(record.to_string().as_bytes()),
            });
        };
        let name = match kind {
            entity_type::CONTACT => full_name(
                str_field(&record, "NAME"),
                str_field(&record, "SECOND_NAME"),
                str_field(&record, "LAST_NAME"),
            ),
            _ => str_field(&record, "TITLE").to_owned(),
        };
        let phones = record
            .get("PHONE")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get("VALUE").and_then(Value::as_str))
                    .map(|p| self.world.crm_number(p))
                    .collect()
            })
            .unwrap_or_default();
        let responsible_id = id_text(record.get("ASSIGNED_BY_ID"));
        let responsible = users.by_id(&responsible_id).cloned().unwrap_or_else(|| unknown_user(&responsible_id));
        Ok(Entity {
            id: Some(id_text(record.get("ID"))).filter(|s| !s.is_empty()).unwrap_or_else(|| id.to_owned()),
            is_new,
            name,
            phones,
            raw: call_full_raw(record),
            responsible_id,
            responsible,
            kind: kind.to_owned(),
        })
    }

    /// The user a call is registered for: the employee's, else the found
    /// entity's responsible, else the first user listed.
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

    async fn register(
        &self,
        facts: &CallFacts,
        cf: &CallFull,
        users: &Users,
        state: &mut CallState,
    ) -> Result<(), ReplayError> {
        let user_id = self.responsible(facts, users, state);
        let kind = match facts.direction {
            CallType::Outgoing => 1,
            CallType::Unknown => 3,
            _ => 2,
        };
        let start = self.world.bitrix24_time(facts.start.local(i64::from(self.world.settings.utc_offset_hours) * 3600));
        let mut params = json!({
            "USER_ID": user_id.parse::<u64>().map_or(json!(user_id), |n| json!(n)),
            "PHONE_NUMBER": facts.client_phone,
            "TYPE": kind,
            "CALL_START_DATE": start,
            "CRM_CREATE": 1,
            "SHOW": 0,
            "EXTERNAL_CALL_ID": facts.linkedid,
        });
        let line = cf.channel.trunk.effective();
        if !line.is_empty() {
            params["LINE_NUMBER"] = json!(line);
        }
        let answer = self.call("telephony.externalcall.register", params).await?;
        let garbage = |reason: &str| ReplayError::Garbage {
            request: "POST telephony.externalcall.register".into(),
            status: 200,
            reason: reason.into(),
            excerpt: excerpt(answer.to_string().as_bytes()),
        };
        let call_id = answer.get("CALL_ID").and_then(Value::as_str).filter(|s| !s.is_empty());
        let Some(call_id) = call_id else { return Err(garbage("no CALL_ID")) };
        let entity_kind = answer.get("CRM_ENTITY_TYPE").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
        let entity_id = id_text(answer.get("CRM_ENTITY_ID"));
        let created = |kind: &str| {
            answer
                .get("CRM_CREATED_ENTITIES")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|e| e.get("ENTITY_TYPE").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case(kind)))
                .map(|e| id_text(e.get("ENTITY_ID")))
                .unwrap_or_default()
        };
        let mut created_lead_id = id_text(answer.get("CRM_CREATED_LEAD"));
        if created_lead_id.is_empty() {
            created_lead_id = created("LEAD");
        }
        let registration = Registration {
            activity_id: String::new(),
            created_company_id: created("COMPANY"),
            created_contact_id: created("CONTACT"),
            created_deal_id: created("DEAL"),
            created_lead_id: created_lead_id.clone(),
            entity_id: entity_id.clone(),
            entity_type: entity_kind.clone(),
            id: call_id.to_owned(),
            responsible_id: user_id,
        };
        let same = state.entity.as_ref().is_some_and(|e| e.id == entity_id && e.kind == entity_kind);
        if !entity_id.is_empty() && !same && entity_type::BITRIX24.contains(&entity_kind.as_str()) {
            let is_new =
                [&registration.created_lead_id, &registration.created_contact_id, &registration.created_company_id]
                    .iter()
                    .any(|id| **id == entity_id);
            state.entity = Some(self.entity(&entity_kind, &entity_id, is_new, users).await?);
        }
        state.registration = Some(registration);
        Ok(())
    }

    async fn push(&self, method: &str, state: &CallState, user_id: &str) -> Result<(), ReplayError> {
        let Some(registration) = &state.registration else { return Ok(()) };
        let user = user_id.parse::<u64>().map_or(json!(user_id), |n| json!(n));
        self.call(method, json!({"CALL_ID": registration.id, "USER_ID": user})).await?;
        Ok(())
    }

    async fn finish(&self, cf: &CallFull, users: &Users, state: &mut CallState) -> Result<(), ReplayError> {
        let Some(registration) = &mut state.registration else { return Ok(()) };
        let user_id = last_answered_user(cf)
            .filter(|id| users.by_id(id).is_some())
            .unwrap_or_else(|| registration.responsible_id.clone());
        let answer = self
            .call(
                "telephony.externalcall.finish",
                json!({
                    "CALL_ID": registration.id,
                    "USER_ID": user_id.parse::<u64>().map_or(json!(user_id), |n| json!(n)),
                    "DURATION": duration_secs(cf),
                    "STATUS_CODE": status_code(cf.result.0),
                }),
            )
            .await?;
        registration.activity_id = id_text(answer.get("CRM_ACTIVITY_ID"));
        if !cf.record.is_empty() {
            let filename = cf.record.rsplit('/').next().unwrap_or("record.mp3");
            self.call(
                "telephony.externalCall.attachRecord",
                json!({"CALL_ID": registration.id, "FILENAME": filename, "RECORD_URL": cf.record}),
            )
            .await?;
        }
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
            if let Some((kind, id)) = self.find(&facts.client_phone).await? {
                state.entity = Some(self.entity(kind, &id, false, users).await?);
            }
        }
        if state.registration.is_none() && (index > 0 || stage == CallStage::CallEnded) {
            self.register(facts, cf, users, state).await?;
        }
        if stage == CallStage::CallEnded {
            self.finish(cf, users, state).await?;
        }
        Ok(())
    }

    /// Puts the call's CRM side into the stage's `call_full`.
    pub(crate) fn fill(&self, state: &CallState, cf: &mut CallFull) {
        cf.registration = state.registration.clone();
        cf.entity = state.entity.clone();
        cf.deal = None;
    }

    /// The requests stage `index` triggers once its hook ran.
    pub(crate) async fn after(
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
        if index == 0 && state.registration.is_none() && stage != CallStage::CallEnded {
            self.register(facts, cf, users, state).await?;
        }
        let user = cf.conversations.get(&cf.active_conversation_id).and_then(|c| c.user.as_ref()).map(|u| u.id.clone());
        match (stage, user) {
            (CallStage::ConversationRequested, Some(user)) if !state.shown.contains(&user) => {
                self.push("telephony.externalcall.show", state, &user).await?;
                state.shown.insert(user);
            }
            (CallStage::ConversationEnded, Some(user)) if state.shown.contains(&user) => {
                self.push("telephony.externalcall.hide", state, &user).await?;
                state.shown.remove(&user);
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_are_the_ones_finish_takes() {
        assert_eq!(status_code(200), "200");
        assert_eq!(status_code(486), "486");
        assert_eq!(status_code(487), "603-S");
        assert_eq!(status_code(499), "OTHER");
    }
}
