//! The serde types of the contract. They only describe and (de)serialize;
//! the rules a payload must also follow live in [`crate::validate`].
//!
//! Fields are declared in the vendor's (alphabetical) key order, so serializing
//! prints keys in that order; every `Option` prints as `null`, nothing is
//! skipped, and every key is required when parsing (`nullable` below), so
//! parsing then printing a valid payload gives the same bytes.

use std::sync::Arc;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::{DateTime, Number};

/// A nullable key that must still be present: serde would otherwise accept a
/// missing `Option` field as `None`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// The call data handed to customizations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallFull {
    /// Uniqueid of the current conversation, or `""`.
    pub active_conversation_id: String,
    /// The call's main channel: the one whose uniqueid is the linkedid.
    pub channel: Channel,
    /// One entry per conversation, keyed by the conversation channel's uniqueid.
    pub conversations: IndexMap<String, Conversation>,
    /// amoCRM deal (lead) data; always `null` for Bitrix24.
    #[serde(deserialize_with = "nullable")]
    pub deal: Option<Deal>,
    /// The CRM client record the call is bound to.
    #[serde(deserialize_with = "nullable")]
    pub entity: Option<Entity>,
    /// The call was missed on the IVR.
    pub is_ivr: bool,
    /// Link to the call recording, or `""`.
    pub record: String,
    /// The call's registration in Bitrix24; always `null` for amoCRM.
    #[serde(deserialize_with = "nullable")]
    pub registration: Option<Registration>,
    /// The call's result as a SIP status code.
    pub result: SipStatus,
}

/// One leg that rang an employee or a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Conversation {
    /// The conversation's channel.
    pub channel: Channel,
    /// The conversation is on hold (parked).
    pub is_parked: bool,
    /// The CRM user found by the conversation's phone number.
    #[serde(deserialize_with = "nullable")]
    pub user: Option<User>,
}

/// An Asterisk channel as the connector sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// When it was answered, or the zero datetime.
    pub answer_time: DateTime,
    /// When it ended, or the zero datetime.
    pub end_time: DateTime,
    /// The CEL `extra` field, parsed (`hangupcause`, `hangupsource`, `dialstatus`, …).
    pub extra: Map<String, Value>,
    /// The number that called.
    pub from: Number,
    /// The channel's uniqueid.
    pub id: String,
    /// uniqueid = linkedid.
    pub is_primary: bool,
    /// Channel name from CEL, e.g. `PJSIP/101-0000001a`.
    pub name: String,
    /// When it started, or the zero datetime.
    pub start_time: DateTime,
    /// Where the channel is in its life.
    pub state: ChannelState,
    /// The number called.
    pub to: Number,
    /// The trunk's number.
    pub trunk: Number,
    /// The call's direction.
    #[serde(rename = "type")]
    pub kind: CallType,
    /// There was an answer.
    pub was_answered: bool,
}

/// `channel.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChannelState {
    /// The phone is ringing, no answer yet.
    Ringing,
    /// Answered, not hung up.
    Talking,
    /// Hung up.
    Ended,
    /// Handled by the connector.
    Processed,
}

impl ChannelState {
    /// Every value, in the vendor's order.
    pub const ALL: [ChannelState; 4] =
        [ChannelState::Ringing, ChannelState::Talking, ChannelState::Ended, ChannelState::Processed];
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelState::Ringing => "ringing",
            ChannelState::Talking => "talking",
            ChannelState::Ended => "ended",
            ChannelState::Processed => "processed",
        }
    }
}

/// `channel.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CallType {
    /// Internal → internal.
    Local,
    /// External → internal.
    Incoming,
    /// Internal → external.
    Outgoing,
    /// The connector could not tell.
    Unknown,
}

impl CallType {
    /// Every value, in the vendor's order.
    pub const ALL: [CallType; 4] = [CallType::Local, CallType::Incoming, CallType::Outgoing, CallType::Unknown];
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CallType::Local => "local",
            CallType::Incoming => "incoming",
            CallType::Outgoing => "outgoing",
            CallType::Unknown => "unknown",
        }
    }
}

/// A CRM user (`conversations[*].user`, `entity.responsible`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// E-mail.
    pub email: String,
    /// The user's ID in the CRM.
    pub id: String,
    /// Name.
    pub name: String,
    /// The user's phone numbers, as the CRM stores them.
    pub phones: Vec<String>,
    /// Job title.
    pub position: String,
    /// The user as the CRM returns it, only non-empty fields.
    pub raw: Raw,
}

/// The CRM client record (`entity`); also the shape of `deal`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// The entity's ID.
    pub id: String,
    /// The entity was created when this call was registered.
    pub is_new: bool,
    /// The entity's name.
    pub name: String,
    /// The entity's phones, each a number object.
    pub phones: Vec<Number>,
    /// The entity as the CRM returns it, only non-empty fields.
    pub raw: Raw,
    /// The responsible user.
    pub responsible: User,
    /// The responsible user's ID.
    pub responsible_id: String,
    /// The entity type: Bitrix24 `company`, `contact` or `lead`; amoCRM `contact` or `company`; `deal` for a deal.
    #[serde(rename = "type")]
    pub kind: String,
}

/// amoCRM deal data.
///
/// **[derived]** The vendor gives no field list for `deal` ("deal data, or null").
/// We model it with the entity's shape: `type` is `"deal"`, `phones` is empty and
/// `raw` is the amoCRM lead object. This alias is the one place that assumption
/// lives (`docs/ASSUMPTIONS.md`, A-DEAL-1).
pub type Deal = Entity;

/// Entity and deal `type` values.
pub mod entity_type {
    /// Bitrix24 and amoCRM contact.
    pub const CONTACT: &str = "contact";
    /// Bitrix24 and amoCRM company.
    pub const COMPANY: &str = "company";
    /// Bitrix24 lead.
    pub const LEAD: &str = "lead";
    /// The `type` of an amoCRM [`Deal`](super::Deal).
    pub const DEAL: &str = "deal";
    /// The values Bitrix24 payloads allow in `entity.type`.
    pub const BITRIX24: [&str; 3] = [COMPANY, CONTACT, LEAD];
}

/// The call's registration in Bitrix24 (`telephony.externalcall.register`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// ID of the CRM activity, or `""`.
    pub activity_id: String,
    /// Company created at registration, or `""`.
    pub created_company_id: String,
    /// Contact created at registration, or `""`.
    pub created_contact_id: String,
    /// Deal created at registration, or `""`.
    pub created_deal_id: String,
    /// Lead created at registration, or `""`.
    pub created_lead_id: String,
    /// ID of the entity used.
    pub entity_id: String,
    /// Its type: `company`, `contact` or `lead`.
    pub entity_type: String,
    /// `CALL_ID` in Bitrix24, e.g. `externalCall.<32 hex>.<unix time>`.
    pub id: String,
    /// The user responsible for the call.
    pub responsible_id: String,
}

/// A CRM object as the CRM returns it; the contract keeps only non-empty fields
/// (rule R06).
///
/// Implementation notes: the map is shared (`Arc`), because the same user or
/// entity is copied into many calls and copying a CRM object field by field
/// cost more than assembling the call. Read it through `Deref`; change it
/// with [`Raw::make_mut`], which copies it only when it is shared.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Raw(pub Arc<Map<String, Value>>);

impl Raw {
    /// Keeps only the fields the contract allows in `raw`: drops `null`, `""`,
    /// `0`, `false`, `[]` and `{}` values.
    pub fn from_crm_object(mut object: Map<String, Value>) -> Raw {
        object.retain(|_, v| !is_empty_value(v));
        Raw(Arc::new(object))
    }

    /// The map, to change it (copied first if another call shares it).
    pub fn make_mut(&mut self) -> &mut Map<String, Value> {
        Arc::make_mut(&mut self.0)
    }
}

impl std::ops::Deref for Raw {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        &self.0
    }
}

impl From<Map<String, Value>> for Raw {
    fn from(map: Map<String, Value>) -> Raw {
        Raw(Arc::new(map))
    }
}

/// `null`, `""`, `0`, `false`, `[]` or `{}`: what `raw` must not hold.
pub fn is_empty_value(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

impl schemars::JsonSchema for Raw {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Raw".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "The object as the CRM returns it, only fields with a non-empty, non-zero value",
            "additionalProperties": { "not": { "enum": [null, "", 0, false, [], {}] } },
        })
    }
}

/// The call's result: a SIP status code as an integer (`0` while undecided).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SipStatus(pub i64);

impl SipStatus {
    /// No outcome yet (the call is still ringing).
    pub const UNDECIDED: SipStatus = SipStatus(0);
    /// Success: a conversation took place.
    pub const OK: SipStatus = SipStatus(200);
    /// Missed.
    pub const MISSED: SipStatus = SipStatus(304);
    /// Insufficient funds.
    pub const PAYMENT_REQUIRED: SipStatus = SipStatus(402);
    /// Forbidden.
    pub const FORBIDDEN: SipStatus = SipStatus(403);
    /// Wrong number.
    pub const NOT_FOUND: SipStatus = SipStatus(404);
    /// Temporarily unavailable (no answer).
    pub const TEMPORARILY_UNAVAILABLE: SipStatus = SipStatus(480);
    /// Address incomplete (direction unavailable).
    pub const ADDRESS_INCOMPLETE: SipStatus = SipStatus(484);
    /// Busy.
    pub const BUSY: SipStatus = SipStatus(486);
    /// Request terminated: the caller hung up while it rang.
    pub const REQUEST_TERMINATED: SipStatus = SipStatus(487);
    /// Blocked.
    pub const BLOCKED: SipStatus = SipStatus(423);
    /// Service unavailable (direction unavailable, congestion).
    pub const SERVICE_UNAVAILABLE: SipStatus = SipStatus(503);
    /// Declined.
    pub const DECLINED: SipStatus = SipStatus(603);

    /// The name of a known code (`"busy"` for 486), `None` for others.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "undecided",
            200 => "success",
            304 => "missed",
            402 => "insufficient funds",
            403 => "forbidden",
            404 => "wrong number",
            423 => "blocked",
            480 => "temporarily unavailable",
            484 => "address incomplete",
            486 => "busy",
            487 => "request terminated",
            503 => "service unavailable",
            603 => "declined",
            _ => return None,
        })
    }
}

impl schemars::JsonSchema for SipStatus {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SipStatus".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "integer",
            "description": "The call's result as a SIP status code (200 success, 304 missed, 486 busy, …); 0 while undecided",
        })
    }
}

/// `call_stage`: where in the call the customization is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallStage {
    /// A leg starts ringing.
    ConversationRequested,
    /// A leg is answered.
    ConversationAccepted,
    /// A leg ends.
    ConversationEnded,
    /// The whole call ended.
    CallEnded,
}

impl CallStage {
    /// Every stage, in the order a call passes them.
    pub const ALL: [CallStage; 4] = [
        CallStage::ConversationRequested,
        CallStage::ConversationAccepted,
        CallStage::ConversationEnded,
        CallStage::CallEnded,
    ];
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CallStage::ConversationRequested => "conversation_requested",
            CallStage::ConversationAccepted => "conversation_accepted",
            CallStage::ConversationEnded => "conversation_ended",
            CallStage::CallEnded => "call_ended",
        }
    }
}

impl std::str::FromStr for CallStage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CallStage::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = CallStage::ALL.iter().map(|st| st.as_str()).collect();
            format!("unknown stage {s:?} (known: {})", names.join(", "))
        })
    }
}

/// What a customization receives: `{"call_full": …, "call_stage": …}` plus the
/// hook's own keys (`phone` for `process_client_phone`, `activity` for
/// `customize_activity`, …), kept in `hook`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CustomizationInput {
    /// The call.
    pub call_full: CallFull,
    /// The stage the call is at.
    pub call_stage: CallStage,
    /// Hook-specific keys, printed after the two above.
    #[serde(flatten)]
    pub hook: Map<String, Value>,
}

impl CustomizationInput {
    /// The envelope for one stage, with no hook-specific keys.
    pub fn new(call_full: CallFull, call_stage: CallStage) -> Self {
        CustomizationInput { call_full, call_stage, hook: Map::new() }
    }
}
