//! The assembler: what a connector builds from a call's CEL rows, and the
//! `call_full` it hands customizations at each stage.
//!
//! Implementation notes. The call is the main linkedid: the linkedid of the
//! earliest row, whose channel (uniqueid = linkedid) is the main channel. Every
//! channel that ever carries that linkedid belongs to the call, with all its
//! rows (a transfer target or a parking retriever joins mid-way, with its
//! earlier rows under another linkedid). Local channels are plumbing; every
//! other channel but the main one is a conversation (a leg that rang an
//! employee or a client). Rows are applied in `(eventtime, id)` order to one
//! `CallFull` that is updated in place, and the stage sink sees it after each
//! trigger:
//!
//! - `conversation_requested`: a conversation's CHAN_START;
//! - `conversation_accepted`: its ANSWER;
//! - `conversation_ended`: its HANGUP;
//! - `call_ended`: LINKEDID_END of the main linkedid (or, without one, after
//!   the last row), every state then `processed`.
//!
//! Each rule we had to decide is listed in docs/ASSUMPTIONS.md (A-ASM-*).

use callfull_model::{
    CallFull, CallStage, CallType, Channel, ChannelState, Conversation, Crm, CustomizationInput, DateTime, Deal,
    Entity, Number, Registration, SipStatus, User,
};
use indexmap::IndexMap;
use rustc_hash::{FxBuildHasher, FxHashSet};
use serde_json::{Map, Value};

use crate::event::{CelEvent, EventTime, EventType};
use crate::outcome::unanswered_result;
use crate::zone::Zone;

/// The CEL columns the assembler (and the [`crate::Grouper`]) read; the
/// others may be left empty ([`crate::CelReader::assembler_columns_only`]).
pub const ASSEMBLER_COLUMNS: [&str; 10] =
    ["id", "eventtype", "eventtime", "cid_num", "exten", "context", "channame", "uniqueid", "linkedid", "extra"];

/// What the assembler needs to know about the PBX and the CRM. The generator
/// fills it from its world; an importer fills it from the user's settings.
pub trait Lookup {
    /// The number object for a number as Asterisk gave it (prefixes,
    /// auto-replacement, FMC numbers marked local).
    fn number(&self, original: &str) -> Number;
    /// The DID of a trunk endpoint (`mts-trunk`), `None` for anything else.
    fn trunk_did(&self, endpoint: &str) -> Option<String>;
    /// The CRM user whose number (extension or mobile) this is.
    fn user(&self, number: &str) -> Option<User>;
    /// Whether the number is internal (what [`Lookup::number`] marks
    /// `is_local`), without building the number object.
    fn is_internal(&self, number: &str) -> bool {
        self.number(number).is_local
    }
    /// Whether a channel whose first row is in this dialplan context is a
    /// trunk whatever its endpoint's name (`from-trunk`, `from-extern`).
    fn is_trunk_context(&self, _context: &str) -> bool {
        false
    }
    /// Whether the number is an employee's, without building the user.
    fn is_employee(&self, number: &str) -> bool {
        self.user(number).is_some()
    }
    /// The CRM side of the call: the entity and deal found and registered,
    /// the registration, the recording link.
    fn binding(&self, request: &BindingRequest<'_>) -> Binding;
}

/// What the connector knows when it binds a call to the CRM.
#[derive(Debug, Clone, PartialEq)]
pub struct BindingRequest<'a> {
    /// The CRM.
    pub crm: Crm,
    /// The call's linkedid.
    pub linkedid: &'a str,
    /// The call's direction.
    pub direction: CallType,
    /// The client's number as Asterisk gave it (`None` for internal calls).
    pub client: Option<&'a str>,
    /// The employee the call is for: the first one rung, or the caller.
    pub employee: Option<&'a str>,
    /// When the call started.
    pub start: EventTime,
    /// Whether any conversation was answered.
    pub answered: bool,
}

/// The CRM side of a call.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Binding {
    /// The entity found by the client's number before registration.
    pub found_entity: Option<Entity>,
    /// The deal found with it (amoCRM).
    pub found_deal: Option<Deal>,
    /// The entity created when the call was registered (`is_new`), `None`
    /// when registration kept the found one.
    pub registered_entity: Option<Entity>,
    /// The deal created at registration (amoCRM), `None` when it kept the found one.
    pub registered_deal: Option<Deal>,
    /// Bitrix24's registration of the call.
    pub registration: Option<Registration>,
    /// The recording link, once the call has ended.
    pub record: Option<String>,
}

/// Why a list of rows is not a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssembleError {
    /// No rows at all.
    #[error("no CEL rows")]
    Empty,
}

/// Turns one call's CEL rows into `call_full` at each stage.
pub struct Assembler<'a, L: Lookup + ?Sized> {
    lookup: &'a L,
    crm: Crm,
    clock: Clock<'a>,
    /// The one stage the sink wants, `None` for all.
    only: Option<CallStage>,
}

/// Where the payload's wall-clock times are read: a fixed offset, or a zone
/// whose offset changes.
#[derive(Debug, Clone, Copy)]
enum Clock<'a> {
    Fixed(i64),
    Zone(&'a Zone),
}

impl Clock<'_> {
    fn local(self, t: EventTime) -> DateTime {
        match self {
            Clock::Fixed(offset) => t.local(offset),
            Clock::Zone(zone) => t.local(zone.offset_at(t.unix_secs())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Phone,
    Trunk,
    Local,
}

#[derive(Debug)]
struct Leg {
    uniqueid: String,
    name: String,
    /// Endpoint resource: `101` of `PJSIP/101-0000002b`.
    resource: String,
    kind: Kind,
    start: Option<EventTime>,
    answer: Option<EventTime>,
    end: Option<EventTime>,
    /// The latest HANGUP's extra, until the leg's channel takes it.
    new_extra: Option<Map<String, Value>>,
    /// The main leg's latest HANGUP cause and dial status, which decide an
    /// unanswered call's result (other legs leave them unset).
    hangup_cause: Option<i64>,
    dialstatus: String,
    /// First CHAN_START fields.
    first_cid_num: String,
    first_exten: String,
    /// The latest non-empty caller id seen.
    cid_num: String,
    /// The first local number (extension, IVR, queue) the leg's dialplan was at.
    local_exten: String,
    /// The employee number this leg reaches (pickup moves it).
    employee: Option<String>,
    conversation: bool,
}

fn parse_name(name: &str) -> (String, Kind) {
    let (tech, rest) = name.split_once('/').unwrap_or(("", name));
    let resource = match rest.rfind('-') {
        Some(i) if is_channel_sequence(&rest.as_bytes()[i + 1..]) => &rest[..i],
        _ => rest,
    };
    let kind = if tech.eq_ignore_ascii_case("local") { Kind::Local } else { Kind::Phone };
    (resource.to_owned(), kind)
}

/// Whether `suffix` is what Asterisk appends to an endpoint to name a
/// channel: a hex sequence number (`0000002b`), then `;1`/`;2` on Local
/// channels.
fn is_channel_sequence(suffix: &[u8]) -> bool {
    let mut digits = suffix;
    for half in [b";1", b";2"] {
        while let Some(rest) = digits.strip_suffix(half) {
            digits = rest;
        }
    }
    digits.iter().all(u8::is_ascii_hexdigit)
}

/// The CEL `extra` as the connector prints it: parsed into a map, keys sorted
/// (the connector is a Go program, and Go prints map keys sorted; A-ORD-1).
fn parse_extra(extra: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str::<Value>(extra) {
        Ok(Value::Object(mut map)) => {
            map.sort_keys();
            Some(map)
        }
        _ => None,
    }
}

/// A 1.8/11 HANGUP extra, plain text `cause,source,dialstatus`
/// (`16,SIP/101-00000001,ANSWER`), as the JSON Asterisk 12+ writes.
fn legacy_hangup_extra(extra: &str) -> Option<Map<String, Value>> {
    let mut parts = extra.splitn(3, ',');
    let cause: i64 = parts.next()?.trim().parse().ok()?;
    let mut map = Map::new();
    map.insert("dialstatus".into(), Value::String(parts.nth(1).unwrap_or("").trim().to_owned()));
    map.insert("hangupcause".into(), Value::from(cause));
    let source = extra.split(',').nth(1).unwrap_or("").trim().to_owned();
    map.insert("hangupsource".into(), Value::String(source));
    Some(map)
}

/// Rows closer together than this belong to one burst.
const BURST_MICROS: i64 = 100_000;

/// Whether the row starts a stage: a conversation's CHAN_START, first ANSWER or HANGUP.
fn is_trigger(e: &CelEvent, leg: &Leg) -> bool {
    leg.conversation
        && match e.eventtype {
            EventType::ChanStart | EventType::Hangup => true,
            EventType::Answer => leg.answer.is_none(),
            // A conversation's first row requests it, whatever its event
            // (an export may have lost CHAN_START): never folded into the
            // stage before, which would be lost.
            _ => leg.start.is_none(),
        }
}

/// A call's legs by uniqueid (a few keys, looked up for every row).
type LegIndex<'e> = IndexMap<&'e str, usize, FxBuildHasher>;

/// Snapshot of the whole call, computed once before the stages are played.
struct Plan {
    direction: CallType,
    client: Option<String>,
    employee: Option<String>,
    trunk_did: String,
}

impl<'a, L: Lookup + ?Sized> Assembler<'a, L> {
    /// An assembler for `crm`, printing times `utc_offset_secs` east of UTC
    /// (the Asterisk server's zone).
    pub fn new(lookup: &'a L, crm: Crm, utc_offset_secs: i64) -> Self {
        Assembler { lookup, crm, clock: Clock::Fixed(utc_offset_secs), only: None }
    }

    /// An assembler for `crm`, printing times in `zone` (the Asterisk
    /// server's), at the offset in force at each time.
    pub fn in_zone(lookup: &'a L, crm: Crm, zone: &'a Zone) -> Self {
        let clock = zone.fixed_offset().map_or(Clock::Zone(zone), Clock::Fixed);
        Assembler { lookup, crm, clock, only: None }
    }

    /// Hands the sink only `stage` (`None`: every stage). The call is then
    /// brought up to date only for that stage: its state is computed from
    /// the rows so far, so it is what playing every stage would give.
    #[must_use]
    pub fn only(mut self, stage: Option<CallStage>) -> Self {
        self.only = stage;
        self
    }

    /// Whether the sink wants `stage`.
    fn wants(&self, stage: CallStage) -> bool {
        self.only.is_none_or(|only| only == stage)
    }

    /// Every stage of the call as customization inputs.
    pub fn stages(&self, events: &[CelEvent]) -> Result<Vec<CustomizationInput>, AssembleError> {
        let mut out = Vec::new();
        self.assemble(events, |stage, call| out.push(CustomizationInput::new(call.clone(), stage)))?;
        Ok(out)
    }

    /// Plays the call's rows and calls `sink` with the `call_full` of each stage.
    pub fn assemble(
        &self,
        events: &[CelEvent],
        mut sink: impl FnMut(CallStage, &CallFull),
    ) -> Result<(), AssembleError> {
        let mut order: Vec<&CelEvent> = events.iter().collect();
        order.sort_by_key(|e| (e.eventtime, e.id));
        let first = order.first().ok_or(AssembleError::Empty)?;
        let main_linkedid = first.linkedid.clone();
        // Most calls never changed linkedid: then every row is the call's.
        if order.iter().any(|e| e.linkedid != main_linkedid) {
            let members: FxHashSet<&str> =
                order.iter().filter(|e| e.linkedid == main_linkedid).map(|e| e.uniqueid.as_str()).collect();
            order.retain(|e| members.contains(e.uniqueid.as_str()));
        }

        let mut legs: Vec<Leg> = Vec::new();
        let mut index: LegIndex<'_> = LegIndex::default();
        // The leg of each row in `order`, looked up once.
        let mut leg_of: Vec<usize> = Vec::with_capacity(order.len());
        for e in &order {
            if let Some(&li) = index.get(e.uniqueid.as_str()) {
                leg_of.push(li);
            } else {
                let (resource, mut kind) = parse_name(&e.channame);
                if kind == Kind::Phone
                    && (self.lookup.trunk_did(&resource).is_some() || self.lookup.is_trunk_context(&e.context))
                {
                    kind = Kind::Trunk;
                }
                leg_of.push(legs.len());
                index.insert(e.uniqueid.as_str(), legs.len());
                legs.push(Leg {
                    uniqueid: e.uniqueid.as_str().into(),
                    name: e.channame.as_str().into(),
                    resource,
                    kind,
                    start: None,
                    answer: None,
                    end: None,
                    new_extra: None,
                    hangup_cause: None,
                    dialstatus: String::new(),
                    first_cid_num: e.cid_num.as_str().into(),
                    first_exten: e.exten.as_str().into(),
                    cid_num: String::new(),
                    local_exten: String::new(),
                    employee: None,
                    conversation: false,
                });
            }
        }
        let main = index.get(main_linkedid.as_str()).copied().unwrap_or(0);
        for (i, leg) in legs.iter_mut().enumerate() {
            leg.conversation = i != main && leg.kind != Kind::Local;
        }
        let plan = self.plan(&order, &leg_of, &mut legs, main);

        let answered_ever =
            order.iter().zip(&leg_of).any(|(e, &li)| e.eventtype == EventType::Answer && legs[li].conversation);
        let mut binding = self.lookup.binding(&BindingRequest {
            crm: self.crm,
            linkedid: &main_linkedid,
            direction: plan.direction,
            client: plan.client.as_deref(),
            employee: plan.employee.as_deref(),
            start: order[0].eventtime,
            answered: answered_ever,
        });

        let mut call = CallFull {
            active_conversation_id: String::new(),
            channel: self.blank_channel(&legs[main], &plan, true),
            conversations: IndexMap::with_capacity(legs.iter().filter(|l| l.conversation).count()),
            deal: None,
            entity: binding.found_entity.take(),
            is_ivr: false,
            record: String::new(),
            registration: None,
            result: SipStatus::UNDECIDED,
        };
        if self.crm == Crm::AmoCrm {
            call.deal = binding.found_deal.take();
        }
        let mut stages_seen = 0usize;
        let mut parked_conversation: Option<String> = None;
        let mut last_talking: Option<String> = None;
        let mut ended = false;

        // A stage is handed over at the end of its burst of rows (the rows a
        // connector reads together): before the next trigger, or once 100 ms
        // pass with no row (A-ASM-3).
        let mut pending: Option<(CallStage, usize, EventTime)> = None;
        let mut flush = |pending: &mut Option<(CallStage, usize, EventTime)>,
                         binding: &mut Binding,
                         call: &mut CallFull,
                         legs: &mut [Leg],
                         stages_seen: &mut usize,
                         parked: Option<&str>| {
            if let Some((stage, li, _)) = pending.take() {
                if self.wants(stage) {
                    self.refresh(call, legs, &index, main, binding, *stages_seen, parked, false);
                    call.active_conversation_id = legs[li].uniqueid.clone();
                    sink(stage, call);
                }
                *stages_seen += 1;
            }
        };
        for (e, &li) in order.iter().zip(&leg_of) {
            if pending.as_ref().is_some_and(|p| e.eventtime.0 - p.2.0 > BURST_MICROS || is_trigger(e, &legs[li])) {
                flush(
                    &mut pending,
                    &mut binding,
                    &mut call,
                    &mut legs,
                    &mut stages_seen,
                    parked_conversation.as_deref(),
                );
            }
            let mut stage = None;
            // A conversation is requested at its first row: CHAN_START, or
            // whatever row comes first in an export that lost it. That row
            // then still has its own effect; when the effect is a stage of its
            // own (an ANSWER, a HANGUP), the request is handed over first.
            let first_row = legs[li].start.is_none();
            if first_row {
                legs[li].start = Some(e.eventtime);
                if legs[li].conversation {
                    let leg = &legs[li];
                    let channel = self.blank_channel(leg, &plan, false);
                    let user = self.conversation_user(leg, &plan);
                    call.conversations.insert(leg.uniqueid.clone(), Conversation { channel, is_parked: false, user });
                    call.conversations.sort_unstable_keys();
                    if matches!(e.eventtype, EventType::Answer | EventType::Hangup) {
                        pending = Some((CallStage::ConversationRequested, li, e.eventtime));
                        flush(
                            &mut pending,
                            &mut binding,
                            &mut call,
                            &mut legs,
                            &mut stages_seen,
                            parked_conversation.as_deref(),
                        );
                    } else {
                        stage = Some(CallStage::ConversationRequested);
                    }
                }
            }
            match &e.eventtype {
                EventType::ChanStart => {}
                EventType::Answer if legs[li].answer.is_none() => {
                    legs[li].answer = Some(e.eventtime);
                    if legs[li].conversation {
                        stage = Some(CallStage::ConversationAccepted);
                        last_talking = Some(legs[li].uniqueid.clone());
                    }
                }
                EventType::Hangup => {
                    legs[li].end = Some(e.eventtime);
                    // A Local channel is plumbing: unless it is the main one
                    // (whose cause decides the result), its extra is never read.
                    if legs[li].kind != Kind::Local || li == main {
                        let extra = parse_extra(&e.extra).or_else(|| legacy_hangup_extra(&e.extra));
                        let leg = &mut legs[li];
                        if li == main {
                            let field = |key| extra.as_ref().and_then(|x| x.get(key));
                            leg.hangup_cause = field("hangupcause").and_then(Value::as_i64);
                            leg.dialstatus = field("dialstatus").and_then(Value::as_str).unwrap_or("").to_owned();
                        }
                        // An extra that is not JSON leaves the channel's empty.
                        leg.new_extra = Some(extra.unwrap_or_default());
                    }
                    if legs[li].conversation {
                        stage = Some(CallStage::ConversationEnded);
                    }
                }
                EventType::ChanEnd if legs[li].end.is_none() => legs[li].end = Some(e.eventtime),
                EventType::BridgeEnter if legs[li].conversation && legs[li].answer.is_some() => {
                    last_talking = Some(legs[li].uniqueid.clone());
                }
                EventType::ParkStart if li == main => parked_conversation = last_talking.clone(),
                EventType::ParkEnd if li == main => parked_conversation = None,
                EventType::Pickup => {
                    if let Some(picker) = parse_extra(&e.extra)
                        .and_then(|x| x.get("pickup_channel").and_then(Value::as_str).map(str::to_owned))
                    {
                        let (resource, _) = parse_name(&picker);
                        legs[li].employee = Some(resource);
                        if let Some(conversation) = call.conversations.get_mut(&legs[li].uniqueid) {
                            conversation.user = self.conversation_user(&legs[li], &plan);
                            conversation.channel.to = self.lookup.number(legs[li].employee.as_deref().unwrap_or(""));
                        }
                    }
                }
                EventType::LinkedidEnd if e.linkedid == main_linkedid => {
                    ended = true;
                }
                _ => {}
            }
            if !e.cid_num.is_empty() {
                legs[li].cid_num = e.cid_num.as_str().into();
            }
            if let Some(stage) = stage {
                pending = Some((stage, li, e.eventtime));
            }
            if ended {
                break;
            }
        }
        flush(&mut pending, &mut binding, &mut call, &mut legs, &mut stages_seen, parked_conversation.as_deref());
        if self.wants(CallStage::CallEnded) {
            self.refresh(&mut call, &mut legs, &index, main, &mut binding, stages_seen, None, true);
            sink(CallStage::CallEnded, &call);
        }
        Ok(())
    }

    /// Decides the call's direction and parties from all its rows.
    fn plan(&self, order: &[&CelEvent], leg_of: &[usize], legs: &mut [Leg], main: usize) -> Plan {
        // A leg's rows mostly repeat one exten: each is looked up once in a row.
        let mut last_exten: Vec<&str> = vec![""; legs.len()];
        for (e, &li) in order.iter().zip(leg_of) {
            let leg = &mut legs[li];
            if !e.cid_num.is_empty() && leg.cid_num.is_empty() && e.eventtype != EventType::ChanStart {
                leg.cid_num = e.cid_num.as_str().into();
            }
            if leg.local_exten.is_empty() && !e.exten.is_empty() && e.exten != last_exten[li] {
                last_exten[li] = &e.exten;
                if self.lookup.is_internal(&e.exten) {
                    leg.local_exten = e.exten.as_str().into();
                }
            }
        }
        for leg in legs.iter_mut() {
            if leg.cid_num.is_empty() {
                leg.cid_num = leg.first_cid_num.clone();
            }
            leg.employee = match leg.kind {
                // A phone's endpoint is its extension, unless the PBX names
                // endpoints otherwise (Wazo's `SIP/hg63xv`): then its caller id.
                Kind::Phone if !self.lookup.is_internal(&leg.resource) && !leg.cid_num.is_empty() => {
                    Some(leg.cid_num.clone())
                }
                Kind::Phone => Some(leg.resource.clone()),
                Kind::Trunk => Some(leg.cid_num.clone()).filter(|n| !n.is_empty()),
                Kind::Local => None,
            };
        }
        let main_leg = &legs[main];
        let dialed = main_leg.first_exten.clone();
        let conversations: Vec<&Leg> = legs.iter().filter(|l| l.conversation).collect();
        let employee_reached = |l: &&Leg| match l.kind {
            Kind::Phone => true,
            Kind::Trunk => l.employee.as_deref().is_some_and(|n| self.lookup.is_employee(n)),
            Kind::Local => false,
        };
        match main_leg.kind {
            Kind::Trunk => {
                let external_only = !conversations.is_empty() && !conversations.iter().any(employee_reached);
                let first_employee = if external_only {
                    conversations.first().and_then(|l| l.employee.clone())
                } else {
                    conversations.iter().find(|l| employee_reached(l)).and_then(|l| l.employee.clone())
                };
                let trunk_did = if dialed.is_empty() || self.lookup.is_internal(&dialed) {
                    self.lookup.trunk_did(&main_leg.resource).unwrap_or_default()
                } else {
                    dialed
                };
                Plan {
                    direction: if external_only { CallType::Unknown } else { CallType::Incoming },
                    client: Some(main_leg.first_cid_num.clone()),
                    employee: first_employee,
                    trunk_did,
                }
            }
            _ => {
                // A dialed `s` (an originate) or nothing says nothing: then
                // the call is local unless a conversation went out on a trunk.
                let dialed_number = dialed.bytes().any(|b| b.is_ascii_digit())
                    && dialed.bytes().all(|b| b.is_ascii_digit() || b"+*#".contains(&b));
                let to_local = if dialed_number {
                    self.lookup.is_internal(&dialed)
                } else {
                    !conversations.iter().any(|l| l.kind == Kind::Trunk)
                };
                let trunk_did = conversations
                    .iter()
                    .find(|l| l.kind == Kind::Trunk)
                    .and_then(|l| self.lookup.trunk_did(&l.resource))
                    .unwrap_or_default();
                let caller = main_leg.first_cid_num.clone();
                if to_local {
                    Plan { direction: CallType::Local, client: None, employee: Some(caller), trunk_did: String::new() }
                } else {
                    Plan { direction: CallType::Outgoing, client: Some(dialed), employee: Some(caller), trunk_did }
                }
            }
        }
    }

    /// The main or a conversation channel with the numbers of the plan and no times yet.
    fn blank_channel(&self, leg: &Leg, plan: &Plan, is_main: bool) -> Channel {
        let (from, to) = self.parties(leg, plan, is_main);
        Channel {
            answer_time: DateTime::ZERO,
            end_time: DateTime::ZERO,
            extra: Map::new(),
            from: self.lookup.number(from),
            id: leg.uniqueid.clone(),
            is_primary: is_main,
            name: leg.name.clone(),
            start_time: DateTime::ZERO,
            state: ChannelState::Ringing,
            to: self.lookup.number(to),
            trunk: self.lookup.number(&plan.trunk_did),
            kind: plan.direction,
            was_answered: false,
        }
    }

    /// The numbers a channel is `from` and `to`.
    fn parties<'p>(&self, leg: &'p Leg, plan: &'p Plan, is_main: bool) -> (&'p str, &'p str) {
        let client = plan.client.as_deref().unwrap_or_default();
        let employee = plan.employee.as_deref().unwrap_or_default();
        let this_employee = leg.employee.as_deref().unwrap_or_default();
        match plan.direction {
            CallType::Incoming | CallType::Unknown if is_main => {
                let to = if employee.is_empty() { &leg.local_exten } else { employee };
                (client, to)
            }
            CallType::Incoming | CallType::Unknown => (client, this_employee),
            CallType::Outgoing => (employee, client),
            CallType::Local if is_main => (employee, &leg.first_exten),
            CallType::Local => (employee, this_employee),
        }
    }

    fn conversation_user(&self, leg: &Leg, plan: &Plan) -> Option<User> {
        let number = match plan.direction {
            CallType::Outgoing => plan.employee.as_deref(),
            _ => leg.employee.as_deref(),
        }?;
        self.lookup.user(number)
    }

    /// Brings times, states, extras, the CRM binding and the outcome up to date.
    #[allow(clippy::too_many_arguments)]
    fn refresh(
        &self,
        call: &mut CallFull,
        legs: &mut [Leg],
        index: &LegIndex<'_>,
        main: usize,
        binding: &mut Binding,
        stages_seen: usize,
        parked: Option<&str>,
        ended: bool,
    ) {
        self.update_channel(&mut call.channel, &mut legs[main], ended);
        let mut answered = false;
        for (key, conversation) in call.conversations.iter_mut() {
            let leg = &mut legs[index[key.as_str()]];
            self.update_channel(&mut conversation.channel, leg, ended);
            conversation.is_parked = parked == Some(key.as_str());
            answered |= conversation.channel.was_answered;
        }
        let registered = match self.crm {
            Crm::Bitrix24 => stages_seen >= 1 || ended,
            _ => ended,
        };
        // Registration happens once: what it created replaces what was found.
        if registered {
            if let Some(entity) = binding.registered_entity.take() {
                call.entity = Some(entity);
            }
            match self.crm {
                Crm::Bitrix24 => {
                    if let Some(registration) = binding.registration.take() {
                        call.registration = Some(registration);
                    }
                }
                _ => {
                    if let Some(deal) = binding.registered_deal.take() {
                        call.deal = Some(deal);
                    }
                }
            }
        }
        call.is_ivr = ended && call.conversations.is_empty() && legs[main].answer.is_some();
        call.result = if answered {
            SipStatus::OK
        } else if ended {
            unanswered_result(legs[main].hangup_cause, &legs[main].dialstatus)
        } else {
            SipStatus::UNDECIDED
        };
        if ended {
            call.active_conversation_id.clear();
            call.record = if answered { binding.record.take().unwrap_or_default() } else { String::new() };
        }
    }

    fn update_channel(&self, channel: &mut Channel, leg: &mut Leg, ended: bool) {
        let local = |t: Option<EventTime>| t.map_or(DateTime::ZERO, |t| self.clock.local(t));
        channel.start_time = local(leg.start);
        channel.answer_time = local(leg.answer);
        channel.end_time = local(leg.end);
        channel.was_answered = leg.answer.is_some();
        if let Some(extra) = leg.new_extra.take() {
            channel.extra = extra;
        }
        channel.state = if ended {
            ChannelState::Processed
        } else if leg.end.is_some() {
            ChannelState::Ended
        } else if leg.answer.is_some() {
            ChannelState::Talking
        } else {
            ChannelState::Ringing
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_give_their_endpoint() {
        let endpoint = |name| parse_name(name).0;
        assert_eq!(endpoint("PJSIP/101-0000002b"), "101");
        assert_eq!(endpoint("PJSIP/mts-trunk-00000001"), "mts-trunk");
        assert_eq!(endpoint("Local/101@from-queue-00000004;1"), "101@from-queue");
        assert_eq!(endpoint("Local/101@from-queue-00000004;2"), "101@from-queue");
        assert_eq!(endpoint("SIP/hg63xv"), "hg63xv", "no sequence");
        assert_eq!(endpoint("SIP/gw-main"), "gw-main", "`main` is not hex");
        assert_eq!(endpoint("SIP/gw-"), "gw", "an empty sequence counts, as Asterisk never ends a name in `-`");
        assert_eq!(parse_name("Local/1@x-1;1").1, Kind::Local);
        assert_eq!(parse_name("PJSIP/1-1").1, Kind::Phone);
    }
}
