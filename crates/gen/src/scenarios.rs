//! The scenario catalog: each scenario scripts one call on the simulated PBX,
//! following the CEL sequences of `asterisk-cel.md` §4. Ring and talk times,
//! who answers and who hangs up are drawn from the call's own RNG.

use callfull_model::Crm;
use callfull_world::{ClientRef, Employee, World};
use rand::RngExt;
use rand::seq::IndexedRandom;

use crate::pbx::{Chan, NewChan, Pbx};
use callfull_cel::EventType;

/// One named kind of call.
#[derive(Debug)]
pub struct Scenario {
    /// Stable name, e.g. `incoming_answered`.
    pub name: &'static str,
    /// One line for `callfull scenarios`.
    pub summary: &'static str,
    run: fn(&mut Call<'_, '_>),
}

impl Scenario {
    /// Scripts the call on `pbx`.
    pub fn run(&self, call: &mut Call<'_, '_>) {
        (self.run)(call)
    }
}

/// A call being scripted: the world, the CRM (some parties differ per CRM),
/// and the PBX writing its CEL.
pub struct Call<'w, 'r> {
    /// The company.
    pub world: &'w World,
    /// The CRM the payloads are for.
    pub crm: Crm,
    /// The PBX.
    pub pbx: Pbx<'r>,
}

/// Every scenario, in catalog order.
pub static CATALOG: &[Scenario] = &[
    Scenario {
        name: "incoming_answered",
        summary: "a known contact calls a DID, one extension answers",
        run: incoming_answered,
    },
    Scenario {
        name: "incoming_from_company",
        summary: "a known company's number calls, answered",
        run: incoming_from_company,
    },
    Scenario {
        name: "incoming_from_lead",
        summary: "a Bitrix24 lead's number calls, answered (unknown to amoCRM)",
        run: incoming_from_lead,
    },
    Scenario {
        name: "incoming_unknown_client",
        summary: "an unknown number calls, answered; the CRM creates a lead / contact (is_new)",
        run: incoming_unknown_client,
    },
    Scenario {
        name: "incoming_no_answer",
        summary: "an extension rings until the Dial timeout, nobody answers (missed)",
        run: incoming_no_answer,
    },
    Scenario { name: "incoming_busy", summary: "the extension is busy (486)", run: incoming_busy },
    Scenario {
        name: "incoming_abandoned",
        summary: "the caller hangs up while the extension rings (CANCEL)",
        run: incoming_abandoned,
    },
    Scenario {
        name: "incoming_ring_group",
        summary: "a ring group rings 2-4 extensions at once, one answers",
        run: incoming_ring_group,
    },
    Scenario {
        name: "incoming_queue",
        summary: "a queue rings its members through Local channels, one answers",
        run: incoming_queue,
    },
    Scenario {
        name: "incoming_queue_abandoned",
        summary: "the caller gives up in a queue while members ring",
        run: incoming_queue_abandoned,
    },
    Scenario {
        name: "incoming_ivr_abandon",
        summary: "the IVR answers, the caller hangs up in the menu (is_ivr)",
        run: incoming_ivr_abandon,
    },
    Scenario {
        name: "incoming_blind_transfer",
        summary: "an extension answers and blind-transfers to a colleague",
        run: incoming_blind_transfer,
    },
    Scenario {
        name: "incoming_attended_transfer",
        summary: "an extension answers, consults a colleague, completes the transfer",
        run: incoming_attended_transfer,
    },
    Scenario {
        name: "incoming_parked",
        summary: "an extension answers and parks the call; a colleague retrieves it",
        run: incoming_parked,
    },
    Scenario {
        name: "incoming_pickup",
        summary: "an extension rings, a colleague picks the call up (*8)",
        run: incoming_pickup,
    },
    Scenario {
        name: "incoming_fmc_mobile",
        summary: "the call goes to an employee's mobile over the trunk (FMC), answered",
        run: incoming_fmc_mobile,
    },
    Scenario {
        name: "incoming_external_forward",
        summary: "a DID forwards to an outside number (type unknown)",
        run: incoming_external_forward,
    },
    Scenario { name: "outgoing_answered", summary: "an employee calls a client, answered", run: outgoing_answered },
    Scenario {
        name: "outgoing_no_answer",
        summary: "an employee calls a client who does not answer",
        run: outgoing_no_answer,
    },
    Scenario { name: "outgoing_busy", summary: "an employee calls a client who is busy (486)", run: outgoing_busy },
    Scenario {
        name: "outgoing_wrong_number",
        summary: "an employee dials a number that does not exist (404)",
        run: outgoing_wrong_number,
    },
    Scenario { name: "outgoing_rejected", summary: "the client rejects the call (603)", run: outgoing_rejected },
    Scenario { name: "outgoing_congestion", summary: "the trunk is congested (503)", run: outgoing_congestion },
    Scenario { name: "local_call", summary: "an extension calls another extension, answered", run: local_call },
    Scenario {
        name: "local_no_answer",
        summary: "an extension calls another extension, nobody answers",
        run: local_no_answer,
    },
];

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    CATALOG.iter().find(|s| s.name == name)
}

// ---------------------------------------------------------------- parties

/// Who calls in, as the trunk presents the number.
struct Caller {
    number: String,
    name: String,
}

/// The number as a Russian trunk presents it: `+7…`, `7…` or `8…`.
fn as_trunk_presents(call: &mut Call<'_, '_>, stored: &str) -> String {
    let digits: String = stored.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.len() {
        11 => digits[1..].to_owned(),
        10 => digits,
        _ => return stored.to_owned(),
    };
    match call.pbx.rng().random_range(0..10) {
        0..=6 => format!("+7{national}"),
        7 | 8 => format!("7{national}"),
        _ => format!("8{national}"),
    }
}

fn contact_caller(call: &mut Call<'_, '_>) -> Caller {
    let world = call.world;
    let contact = world.contacts.choose(call.pbx.rng()).expect("a world has contacts");
    let phone = contact.phones.choose(call.pbx.rng()).cloned().unwrap_or_default();
    let number = as_trunk_presents(call, &phone);
    let name = match call.pbx.rng().random_range(0..3) {
        0 => String::new(),
        _ => format!("{} {}", contact.first_name, contact.last_name),
    };
    Caller { number, name }
}

fn client_caller(call: &mut Call<'_, '_>, client: ClientRef<'_>) -> Caller {
    let phone = client.phones().choose(call.pbx.rng()).cloned().unwrap_or_default();
    Caller { number: as_trunk_presents(call, &phone), name: String::new() }
}

/// A mobile number nobody in the world has.
fn unknown_number(call: &mut Call<'_, '_>) -> String {
    loop {
        let n: u64 = call.pbx.rng().random_range(0..1_000_000_000);
        let number = format!("+79{n:09}");
        if call.world.client_by_number(&number, Crm::Bitrix24).is_none()
            && call.world.employee_by_number(&number).is_none()
        {
            return number;
        }
    }
}

fn employee<'w>(call: &mut Call<'w, '_>) -> &'w Employee {
    call.world.employees.choose(call.pbx.rng()).expect("a world has employees")
}

/// `n` different employees.
fn employees<'w>(call: &mut Call<'w, '_>, n: usize) -> Vec<&'w Employee> {
    let n = n.min(call.world.employees.len());
    call.world.employees.sample(call.pbx.rng(), n).collect()
}

fn full_name(e: &Employee) -> String {
    format!("{} {}", e.first_name, e.last_name)
}

// ---------------------------------------------------------------- building blocks

/// The trunk channel of an incoming call (CHAN_START with the DID as exten).
fn trunk_in(call: &mut Call<'_, '_>, caller: &Caller) -> (Chan, String) {
    let trunk = call.world.trunks.choose(call.pbx.rng()).expect("a world has trunks").clone();
    let a = call.pbx.start(
        NewChan {
            tech: "PJSIP",
            resource: &trunk.name,
            cid_name: &caller.name,
            cid_num: &caller.number,
            exten: &trunk.did,
            context: "from-trunk",
        },
        None,
    );
    let (number, did) = (caller.number.clone(), trunk.did.clone());
    call.pbx.set(a, |f| {
        *f.cid_ani = number;
        *f.cid_dnid = did;
    });
    (a, trunk.did)
}

/// The dialed leg of an extension: its own caller id, `AppDial` from the first row on.
fn ring_extension(call: &mut Call<'_, '_>, from: Chan, e: &Employee, exten: &str) -> Chan {
    let name = full_name(e);
    let leg = call.pbx.start(
        NewChan {
            tech: "PJSIP",
            resource: &e.extension,
            cid_name: &name,
            cid_num: &e.extension,
            exten: "s",
            context: "from-internal",
        },
        Some(from),
    );
    call.pbx.set(leg, |f| {
        *f.appname = "AppDial".into();
        *f.appdata = "(Outgoing Line)".into();
        *f.exten = exten.to_owned();
    });
    leg
}

/// The trunk leg dialing an outside number (empty caller id on CHAN_START,
/// the dialed number from the next row on).
fn ring_outside(call: &mut Call<'_, '_>, from: Chan, trunk: &str, number: &str) -> Chan {
    let leg = call.pbx.start(
        NewChan { tech: "PJSIP", resource: trunk, cid_name: "", cid_num: "", exten: "s", context: "from-trunk" },
        Some(from),
    );
    call.pbx.set(leg, |f| {
        *f.cid_num = number.to_owned();
        *f.appname = "AppDial".into();
        *f.appdata = "(Outgoing Line)".into();
        *f.exten = number.to_owned();
    });
    leg
}

/// Callee answers, caller answers (if not up yet), both enter a new bridge.
fn connect(call: &mut Call<'_, '_>, caller: Chan, callee: Chan, caller_up: bool) -> usize {
    call.pbx.answer(callee);
    if !caller_up {
        call.pbx.answer(caller);
    }
    let bridge = call.pbx.new_bridge("simple_bridge");
    call.pbx.enter(callee, bridge);
    call.pbx.enter(caller, bridge);
    bridge
}

/// The end of a two-party call: one side hangs up, the other follows.
fn hang_up_both(call: &mut Call<'_, '_>, caller: Chan, callee: Chan, in_dial: bool) {
    let caller_first = call.pbx.rng().random_bool(0.45);
    if caller_first {
        let source = call.pbx.name(caller).to_owned();
        call.pbx.exit(caller);
        if in_dial {
            call.pbx.app_end(caller);
        }
        call.pbx.hangup(caller, 16, &source, if in_dial { "ANSWER" } else { "" });
        call.pbx.hangup(callee, 16, &source, "");
    } else {
        let source = call.pbx.name(callee).to_owned();
        call.pbx.hangup(callee, 16, &source, "");
        call.pbx.exit(caller);
        if in_dial {
            call.pbx.app_end(caller);
        }
        call.pbx.hangup(caller, 16, &source, if in_dial { "ANSWER" } else { "" });
    }
}

/// An incoming call that `e` answers after `ring` seconds and talks on for
/// `talk` seconds: the trunk channel, the extension's leg, their bridge.
fn answered_incoming(
    call: &mut Call<'_, '_>,
    caller: &Caller,
    e: &Employee,
    ring: std::ops::RangeInclusive<u32>,
    talk: std::ops::RangeInclusive<u32>,
) -> (Chan, Chan, usize) {
    let (a, did) = trunk_in(call, caller);
    call.pbx.app_start(a, "Dial", &format!("PJSIP/{},30,tT", e.extension));
    let b = ring_extension(call, a, e, &did);
    let ring = call.pbx.secs(ring);
    call.pbx.wait(ring);
    let bridge = connect(call, a, b, false);
    let talk = call.pbx.secs(talk);
    call.pbx.wait(talk);
    (a, b, bridge)
}

/// A whole answered incoming call to one extension.
fn incoming_to(call: &mut Call<'_, '_>, caller: Caller, e: &Employee) {
    let (a, b, _) = answered_incoming(call, &caller, e, 2..=20, 15..=420);
    hang_up_both(call, a, b, true);
}

/// Two different employees (the first answers, the second takes over).
fn two_employees<'w>(call: &mut Call<'w, '_>) -> (&'w Employee, &'w Employee) {
    let pair = employees(call, 2);
    (pair[0], pair[pair.len() - 1])
}

// ---------------------------------------------------------------- incoming

fn incoming_answered(call: &mut Call<'_, '_>) {
    let caller = contact_caller(call);
    let e = employee(call);
    incoming_to(call, caller, e);
}

fn incoming_from_company(call: &mut Call<'_, '_>) {
    let world = call.world;
    let company = world.companies.choose(call.pbx.rng()).expect("a world has companies");
    let caller = client_caller(call, ClientRef::Company(company));
    let e = employee(call);
    incoming_to(call, caller, e);
}

fn incoming_from_lead(call: &mut Call<'_, '_>) {
    let world = call.world;
    let caller = match world.leads.choose(call.pbx.rng()) {
        Some(lead) => client_caller(call, ClientRef::Lead(lead)),
        None => contact_caller(call),
    };
    let e = employee(call);
    incoming_to(call, caller, e);
}

fn incoming_unknown_client(call: &mut Call<'_, '_>) {
    let number = unknown_number(call);
    let e = employee(call);
    incoming_to(call, Caller { number, name: String::new() }, e);
}

/// Rings one extension that does not answer; `outcome` scripts the end.
fn incoming_unanswered(call: &mut Call<'_, '_>, outcome: Unanswered) {
    let caller = contact_caller(call);
    let e = employee(call);
    let (a, did) = trunk_in(call, &caller);
    call.pbx.app_start(a, "Dial", &format!("PJSIP/{},30,tT", e.extension));
    let b = ring_extension(call, a, e, &did);
    match outcome {
        Unanswered::Timeout => {
            call.pbx.wait(30);
            call.pbx.hangup(b, 0, "", "");
            call.pbx.app_end(a);
            call.pbx.hangup(a, 16, "dialplan/builtin", "NOANSWER");
        }
        Unanswered::Busy => {
            let ring = call.pbx.secs(0..=2);
            call.pbx.wait(ring);
            let source = call.pbx.name(b).to_owned();
            call.pbx.hangup(b, 17, &source, "");
            call.pbx.app_end(a);
            call.pbx.hangup(a, 17, "dialplan/builtin", "BUSY");
        }
        Unanswered::Abandoned => {
            let ring = call.pbx.secs(3..=25);
            call.pbx.wait(ring);
            let source = call.pbx.name(a).to_owned();
            call.pbx.app_end(a);
            call.pbx.hangup(a, 16, &source, "CANCEL");
            call.pbx.hangup(b, 16, "", "");
        }
    }
}

enum Unanswered {
    Timeout,
    Busy,
    Abandoned,
}

fn incoming_no_answer(call: &mut Call<'_, '_>) {
    incoming_unanswered(call, Unanswered::Timeout);
}

fn incoming_busy(call: &mut Call<'_, '_>) {
    incoming_unanswered(call, Unanswered::Busy);
}

fn incoming_abandoned(call: &mut Call<'_, '_>) {
    incoming_unanswered(call, Unanswered::Abandoned);
}

fn incoming_ring_group(call: &mut Call<'_, '_>) {
    let caller = contact_caller(call);
    let n = call.pbx.rng().random_range(2..=4);
    let members = employees(call, n);
    let (a, did) = trunk_in(call, &caller);
    let dial: Vec<String> = members.iter().map(|m| format!("PJSIP/{}", m.extension)).collect();
    call.pbx.app_start(a, "Dial", &format!("{},20", dial.join("&")));
    let legs: Vec<Chan> = members.iter().map(|m| ring_extension(call, a, m, &did)).collect();
    let ring = call.pbx.secs(3..=18);
    call.pbx.wait(ring);
    let winner = call.pbx.rng().random_range(0..legs.len());
    call.pbx.answer(legs[winner]);
    call.pbx.answer(a);
    for (i, leg) in legs.iter().enumerate() {
        if i != winner {
            call.pbx.hangup(*leg, 26, "", "");
        }
    }
    let bridge = call.pbx.new_bridge("simple_bridge");
    call.pbx.enter(legs[winner], bridge);
    call.pbx.enter(a, bridge);
    let talk = call.pbx.secs(20..=300);
    call.pbx.wait(talk);
    hang_up_both(call, a, legs[winner], true);
}

/// Queue members are `Local/<ext>@from-queue/n` pairs; the `;2` half dials the phone.
fn queue_member(call: &mut Call<'_, '_>, a: Chan, e: &Employee) -> (Chan, Chan, Chan) {
    let resource = format!("{}@from-queue", e.extension);
    let one = call.pbx.start(
        NewChan {
            tech: "Local",
            resource: &resource,
            cid_name: "",
            cid_num: "",
            exten: &e.extension,
            context: "from-queue",
        },
        Some(a),
    );
    call.pbx.set(one, |f| {
        *f.appname = "AppQueue".into();
        *f.appdata = "(Outgoing Line)".into();
    });
    let two = call.pbx.local_two(one, "", "");
    call.pbx.set(two, |f| {
        *f.appname = "Dial".into();
        *f.appdata = format!("PJSIP/{},,", e.extension);
    });
    let phone = ring_extension(call, two, e, &e.extension);
    (one, two, phone)
}

fn queue_start(call: &mut Call<'_, '_>) -> (Chan, Vec<(Chan, Chan, Chan)>) {
    let caller = contact_caller(call);
    let n = call.pbx.rng().random_range(2..=3);
    let members = employees(call, n);
    let (a, _) = trunk_in(call, &caller);
    call.pbx.set(a, |f| {
        *f.appname = "Answer".into();
        *f.exten = "600".into();
        *f.context = "ext-queues".into();
    });
    call.pbx.answer(a);
    call.pbx.wait(1);
    call.pbx.app_start(a, "Queue", "600,t,,,300");
    let legs = members.iter().map(|m| queue_member(call, a, m)).collect();
    (a, legs)
}

fn incoming_queue(call: &mut Call<'_, '_>) {
    let (a, legs) = queue_start(call);
    let ring = call.pbx.secs(3..=15);
    call.pbx.wait(ring);
    let winner = call.pbx.rng().random_range(0..legs.len());
    let (one, two, phone) = legs[winner];
    call.pbx.answer(phone);
    call.pbx.answer(two);
    call.pbx.answer(one);
    for (i, (l1, l2, p)) in legs.iter().enumerate() {
        if i != winner {
            call.pbx.hangup(*l1, 26, "", "");
            call.pbx.hangup(*p, 26, "", "");
            call.pbx.hangup(*l2, 26, "", "CANCEL");
        }
    }
    let inner = call.pbx.new_bridge("simple_bridge");
    call.pbx.enter(phone, inner);
    call.pbx.enter(two, inner);
    let outer = call.pbx.new_bridge("simple_bridge");
    call.pbx.enter(one, outer);
    call.pbx.enter(a, outer);
    let talk = call.pbx.secs(20..=400);
    call.pbx.wait(talk);
    let caller_first = call.pbx.rng().random_bool(0.5);
    let source = if caller_first { call.pbx.name(a).to_owned() } else { call.pbx.name(phone).to_owned() };
    if caller_first {
        call.pbx.exit(a);
        call.pbx.app_end(a);
        call.pbx.hangup(a, 16, &source, "ANSWER");
        call.pbx.hangup(one, 16, &source, "");
        call.pbx.hangup(two, 16, &source, "ANSWER");
        call.pbx.hangup(phone, 16, &source, "");
    } else {
        call.pbx.hangup(phone, 16, &source, "");
        call.pbx.hangup(two, 16, &source, "ANSWER");
        call.pbx.hangup(one, 16, &source, "");
        call.pbx.exit(a);
        call.pbx.app_end(a);
        call.pbx.hangup(a, 16, &source, "ANSWER");
    }
}

fn incoming_queue_abandoned(call: &mut Call<'_, '_>) {
    let (a, legs) = queue_start(call);
    let wait = call.pbx.secs(8..=60);
    call.pbx.wait(wait);
    let source = call.pbx.name(a).to_owned();
    call.pbx.app_end(a);
    call.pbx.hangup(a, 16, &source, "NOANSWER");
    for (one, two, phone) in legs {
        call.pbx.hangup(one, 0, "", "");
        call.pbx.hangup(phone, 0, "", "");
        call.pbx.hangup(two, 0, "", "CANCEL");
    }
}

fn incoming_ivr_abandon(call: &mut Call<'_, '_>) {
    let caller = contact_caller(call);
    let (a, _) = trunk_in(call, &caller);
    call.pbx.set(a, |f| {
        *f.appname = "Answer".into();
        *f.exten = "500".into();
        *f.context = "ivr-1".into();
    });
    call.pbx.answer(a);
    call.pbx.set(a, |f| {
        *f.appname = "BackGround".into();
        *f.appdata = "custom/welcome".into();
    });
    let menu = call.pbx.secs(4..=40);
    call.pbx.wait(menu);
    let source = call.pbx.name(a).to_owned();
    call.pbx.set(a, |f| {
        f.appname.clear();
        f.appdata.clear();
    });
    call.pbx.hangup(a, 16, &source, "");
}

fn incoming_blind_transfer(call: &mut Call<'_, '_>) {
    let caller = contact_caller(call);
    let (first, second) = two_employees(call);
    let (a, b, bridge) = answered_incoming(call, &caller, first, 2..=12, 10..=90);
    let extra = format!(
        r#"{{"extension":"{}","context":"from-internal-xfer","bridge_id":"{}","transferee_channel_name":"{}","transferee_channel_uniqueid":"{}"}}"#,
        second.extension,
        call.pbx.bridge_id(bridge),
        call.pbx.name(a),
        call.pbx.uniqueid(a)
    );
    call.pbx.event_with(b, EventType::BlindTransfer, extra);
    let source = call.pbx.name(b).to_owned();
    call.pbx.hangup(b, 16, &source, "");
    call.pbx.exit(a);
    call.pbx.app_end(a);
    let ext = second.extension.clone();
    call.pbx.set(a, |f| {
        *f.exten = ext.clone();
        *f.context = "from-internal-xfer".into();
    });
    call.pbx.app_start(a, "Dial", &format!("PJSIP/{ext},30,tT"));
    let c = ring_extension(call, a, second, &ext);
    let ring = call.pbx.secs(2..=12);
    call.pbx.wait(ring);
    connect(call, a, c, true);
    let talk = call.pbx.secs(15..=300);
    call.pbx.wait(talk);
    hang_up_both(call, a, c, true);
}

fn incoming_attended_transfer(call: &mut Call<'_, '_>) {
    let caller = contact_caller(call);
    let (first, second) = two_employees(call);
    let (a, b, x) = answered_incoming(call, &caller, first, 2..=12, 10..=90);
    // The consultation: a new call from the first employee's phone.
    let name = full_name(first);
    let consult = call.pbx.start(
        NewChan {
            tech: "PJSIP",
            resource: &first.extension,
            cid_name: &name,
            cid_num: &first.extension,
            exten: &second.extension,
            context: "from-internal",
        },
        None,
    );
    call.pbx.app_start(consult, "Dial", &format!("PJSIP/{},30,tT", second.extension));
    let target = ring_extension(call, consult, second, &second.extension);
    let ring = call.pbx.secs(2..=10);
    call.pbx.wait(ring);
    let y = connect(call, consult, target, false);
    let talk = call.pbx.secs(5..=40);
    call.pbx.wait(talk);
    let extra = format!(
        r#"{{"bridge1_id":"{}","channel2_name":"{}","channel2_uniqueid":"{}","bridge2_id":"{}","transferee_channel_name":"{}","transferee_channel_uniqueid":"{}","transfer_target_channel_name":"{}","transfer_target_channel_uniqueid":"{}"}}"#,
        call.pbx.bridge_id(x),
        call.pbx.name(consult),
        call.pbx.uniqueid(consult),
        call.pbx.bridge_id(y),
        call.pbx.name(a),
        call.pbx.uniqueid(a),
        call.pbx.name(target),
        call.pbx.uniqueid(target)
    );
    call.pbx.event_with(b, EventType::AttendedTransfer, extra);
    call.pbx.exit(target);
    call.pbx.enter(target, x);
    let source = call.pbx.name(b).to_owned();
    call.pbx.hangup(b, 16, &source, "");
    call.pbx.exit(consult);
    call.pbx.app_end(consult);
    call.pbx.hangup(consult, 16, &source, "ANSWER");
    let talk = call.pbx.secs(15..=300);
    call.pbx.wait(talk);
    hang_up_both(call, a, target, true);
}

fn incoming_parked(call: &mut Call<'_, '_>) {
    let caller = contact_caller(call);
    let (first, second) = two_employees(call);
    let (a, b, bridge) = answered_incoming(call, &caller, first, 2..=12, 10..=90);
    let extra = format!(
        r#"{{"extension":"70","context":"from-internal-xfer","bridge_id":"{}","transferee_channel_name":"{}","transferee_channel_uniqueid":"{}"}}"#,
        call.pbx.bridge_id(bridge),
        call.pbx.name(a),
        call.pbx.uniqueid(a)
    );
    call.pbx.event_with(b, EventType::BlindTransfer, extra);
    call.pbx.exit(a);
    call.pbx.app_end(a);
    call.pbx.set(a, |f| {
        *f.exten = "71".into();
        *f.context = "parkedcalls".into();
        *f.appname = "Park".into();
    });
    let parker = format!(r#"{{"parker_dial_string":"PJSIP/{}","parking_lot":"default"}}"#, first.extension);
    call.pbx.event_with(a, EventType::ParkStart, parker);
    let lot = call.pbx.new_bridge("holding_bridge");
    call.pbx.enter(a, lot);
    let source = call.pbx.name(b).to_owned();
    call.pbx.hangup(b, 16, &source, "");
    let parked = call.pbx.secs(8..=60);
    call.pbx.wait(parked);
    let name = full_name(second);
    let retriever = call.pbx.start(
        NewChan {
            tech: "PJSIP",
            resource: &second.extension,
            cid_name: &name,
            cid_num: &second.extension,
            exten: "71",
            context: "from-internal",
        },
        None,
    );
    call.pbx.set(retriever, |f| *f.appname = "ParkedCall".into());
    call.pbx.answer(retriever);
    let unparked = format!(r#"{{"reason":"ParkedCallUnparked","retriever":"{}"}}"#, call.pbx.name(retriever));
    call.pbx.event_with(a, EventType::ParkEnd, unparked);
    call.pbx.exit(a);
    let talk_bridge = call.pbx.new_bridge("simple_bridge");
    call.pbx.enter(a, talk_bridge);
    call.pbx.enter(retriever, talk_bridge);
    let talk = call.pbx.secs(15..=300);
    call.pbx.wait(talk);
    hang_up_both(call, a, retriever, false);
}

fn incoming_pickup(call: &mut Call<'_, '_>) {
    let caller = contact_caller(call);
    let (target_e, picker_e) = two_employees(call);
    let (a, did) = trunk_in(call, &caller);
    call.pbx.app_start(a, "Dial", &format!("PJSIP/{},30,tT", target_e.extension));
    let target = ring_extension(call, a, target_e, &did);
    let ring = call.pbx.secs(4..=15);
    call.pbx.wait(ring);
    let name = full_name(picker_e);
    let picker = call.pbx.start(
        NewChan {
            tech: "PJSIP",
            resource: &picker_e.extension,
            cid_name: &name,
            cid_num: &picker_e.extension,
            exten: "*8",
            context: "from-internal",
        },
        None,
    );
    call.pbx.set(picker, |f| *f.appname = "Pickup".into());
    call.pbx.answer(picker);
    let extra = format!(
        r#"{{"pickup_channel":"{}","pickup_channel_uniqueid":"{}"}}"#,
        call.pbx.name(picker),
        call.pbx.uniqueid(picker)
    );
    call.pbx.event_with(target, EventType::Pickup, extra);
    let ext = picker_e.extension.clone();
    call.pbx.set(target, |f| {
        *f.cid_name = name.clone();
        *f.cid_num = ext.clone();
    });
    call.pbx.hangup(picker, 26, "", "");
    connect(call, a, target, false);
    let talk = call.pbx.secs(15..=300);
    call.pbx.wait(talk);
    hang_up_both(call, a, target, true);
}

fn incoming_fmc_mobile(call: &mut Call<'_, '_>) {
    let caller = contact_caller(call);
    let e = employee(call);
    let (a, _) = trunk_in(call, &caller);
    let trunk = call.world.trunks.choose(call.pbx.rng()).expect("trunks").name.clone();
    call.pbx.app_start(a, "Dial", &format!("PJSIP/{}@{trunk},40,tT", e.mobile));
    let b = ring_outside(call, a, &trunk, &e.mobile);
    let ring = call.pbx.secs(4..=20);
    call.pbx.wait(ring);
    connect(call, a, b, false);
    let talk = call.pbx.secs(20..=300);
    call.pbx.wait(talk);
    hang_up_both(call, a, b, true);
}

fn incoming_external_forward(call: &mut Call<'_, '_>) {
    let caller = contact_caller(call);
    let outside = unknown_number(call);
    let (a, _) = trunk_in(call, &caller);
    let trunk = call.world.trunks.choose(call.pbx.rng()).expect("trunks").name.clone();
    call.pbx.app_start(a, "Dial", &format!("PJSIP/{outside}@{trunk},60"));
    let b = ring_outside(call, a, &trunk, &outside);
    let ring = call.pbx.secs(4..=20);
    call.pbx.wait(ring);
    connect(call, a, b, false);
    let talk = call.pbx.secs(20..=300);
    call.pbx.wait(talk);
    hang_up_both(call, a, b, true);
}

// ---------------------------------------------------------------- outgoing

/// The number an employee dials for a known contact: `8…` or `+7…`.
fn dialed_number(call: &mut Call<'_, '_>) -> String {
    let world = call.world;
    let contact = world.contacts.choose(call.pbx.rng()).expect("contacts");
    let phone = contact.phones.choose(call.pbx.rng()).cloned().unwrap_or_default();
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = if digits.len() == 11 { digits[1..].to_owned() } else { digits };
    if call.pbx.rng().random_bool(0.7) { format!("8{national}") } else { format!("+7{national}") }
}

/// The employee's phone channel dialing `number` through a trunk.
fn outgoing_start(call: &mut Call<'_, '_>, number: &str) -> (Chan, Chan) {
    let e = employee(call);
    let name = full_name(e);
    let a = call.pbx.start(
        NewChan {
            tech: "PJSIP",
            resource: &e.extension,
            cid_name: &name,
            cid_num: &e.extension,
            exten: number,
            context: "from-internal",
        },
        None,
    );
    let trunk = call.world.trunks.choose(call.pbx.rng()).expect("trunks").clone();
    call.pbx.app_start(a, "Dial", &format!("PJSIP/{number}@{},300,T", trunk.name));
    let did = trunk.did.clone();
    call.pbx.set(a, |f| *f.cid_num = did);
    let b = ring_outside(call, a, &trunk.name, number);
    (a, b)
}

fn outgoing_answered(call: &mut Call<'_, '_>) {
    let number = dialed_number(call);
    let (a, b) = outgoing_start(call, &number);
    let ring = call.pbx.secs(3..=25);
    call.pbx.wait(ring);
    connect(call, a, b, false);
    let talk = call.pbx.secs(10..=600);
    call.pbx.wait(talk);
    hang_up_both(call, a, b, true);
}

/// An outgoing call the far end refuses with `cause` (CEL dialstatus as the dial API reports it).
fn outgoing_failed(
    call: &mut Call<'_, '_>,
    number: &str,
    ring: std::ops::RangeInclusive<u32>,
    cause: u32,
    dialstatus: &str,
) {
    let (a, b) = outgoing_start(call, number);
    let ring = call.pbx.secs(ring);
    call.pbx.wait(ring);
    let source = if cause == 0 { String::new() } else { call.pbx.name(b).to_owned() };
    call.pbx.hangup(b, cause, &source, "");
    call.pbx.app_end(a);
    let caller_cause = if cause == 0 { 16 } else { cause };
    call.pbx.hangup(a, caller_cause, "dialplan/builtin", dialstatus);
}

fn outgoing_no_answer(call: &mut Call<'_, '_>) {
    let number = dialed_number(call);
    let (a, b) = outgoing_start(call, &number);
    let ring = call.pbx.secs(15..=45);
    call.pbx.wait(ring);
    // The employee gives up: the caller cancels.
    let source = call.pbx.name(a).to_owned();
    call.pbx.app_end(a);
    call.pbx.hangup(a, 16, &source, "CANCEL");
    call.pbx.hangup(b, 16, "", "");
}

fn outgoing_busy(call: &mut Call<'_, '_>) {
    let number = dialed_number(call);
    outgoing_failed(call, &number, 1..=4, 17, "BUSY");
}

fn outgoing_wrong_number(call: &mut Call<'_, '_>) {
    let n: u64 = call.pbx.rng().random_range(0..10_000_000);
    let number = format!("8800{n:07}");
    outgoing_failed(call, &number, 0..=2, 1, "NOANSWER");
}

fn outgoing_rejected(call: &mut Call<'_, '_>) {
    let number = dialed_number(call);
    outgoing_failed(call, &number, 2..=10, 21, "NOANSWER");
}

fn outgoing_congestion(call: &mut Call<'_, '_>) {
    let number = dialed_number(call);
    outgoing_failed(call, &number, 0..=1, 34, "CONGESTION");
}

// ---------------------------------------------------------------- local

fn local_start(call: &mut Call<'_, '_>) -> (Chan, Chan) {
    let (from, to) = two_employees(call);
    let name = full_name(from);
    let a = call.pbx.start(
        NewChan {
            tech: "PJSIP",
            resource: &from.extension,
            cid_name: &name,
            cid_num: &from.extension,
            exten: &to.extension,
            context: "from-internal",
        },
        None,
    );
    call.pbx.app_start(a, "Dial", &format!("PJSIP/{},30,tT", to.extension));
    let b = ring_extension(call, a, to, &to.extension);
    (a, b)
}

fn local_call(call: &mut Call<'_, '_>) {
    let (a, b) = local_start(call);
    let ring = call.pbx.secs(2..=15);
    call.pbx.wait(ring);
    connect(call, a, b, false);
    let talk = call.pbx.secs(10..=300);
    call.pbx.wait(talk);
    hang_up_both(call, a, b, true);
}

fn local_no_answer(call: &mut Call<'_, '_>) {
    let (a, b) = local_start(call);
    call.pbx.wait(30);
    call.pbx.hangup(b, 0, "", "");
    call.pbx.app_end(a);
    call.pbx.hangup(a, 16, "dialplan/builtin", "NOANSWER");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_there_are_at_least_twenty() {
        assert!(CATALOG.len() >= 20);
        let mut names: Vec<_> = CATALOG.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOG.len());
    }
}
