//! A simulated Asterisk 17+ PJSIP system that writes CEL rows the way the real
//! one does: channel names with per-driver hex counters, uniqueids
//! `<epoch>.<counter>`, linkedids inherited from the requestor and merged on
//! bridging (oldest wins), compact `extra` JSON, HANGUP/CHAN_END/LINKEDID_END
//! on one timestamp, bursts of rows a few hundred microseconds apart.
//! Sources: `asterisk-cel.md` §1–§4.
//!
//! Scenarios (in `scenarios.rs`) script calls with the verbs below; the clock
//! is virtual and every random choice comes from the call's own seeded RNG.

use callfull_cel::{CelEvent, CompactString, EventTime, EventType};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A channel handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chan(usize);

#[derive(Debug, Clone)]
struct ChanState {
    name: String,
    uniqueid: String,
    /// (creation time, counter): what "oldest linkedid" compares.
    created: (i64, u64),
    linkedid: String,
    linked_created: (i64, u64),
    cid_name: String,
    cid_num: String,
    cid_ani: String,
    cid_dnid: String,
    exten: String,
    context: String,
    appname: String,
    appdata: String,
    bridge: Option<usize>,
    alive: bool,
}

#[derive(Debug, Clone)]
struct Bridge {
    id: String,
    technology: &'static str,
    members: Vec<Chan>,
}

/// Where one call's numbering starts, so that calls can be simulated
/// independently (in parallel, in shards) and still look like one PBX log.
#[derive(Debug, Clone, Copy)]
pub struct Counters {
    /// First row id.
    pub row: u64,
    /// First uniqueid counter.
    pub uniqueid: u64,
    /// First PJSIP channel-name counter.
    pub pjsip: u32,
    /// First Local channel-name counter.
    pub local: u32,
}

/// The PBX writing one call's CEL.
pub struct Pbx<'r> {
    rng: &'r mut ChaCha8Rng,
    now: EventTime,
    counters: Counters,
    chans: Vec<ChanState>,
    bridges: Vec<Bridge>,
    rows: Vec<CelEvent>,
    /// linkedid → number of live channels holding it.
    linked_refs: Vec<(String, usize)>,
}

/// The fields of a new channel.
pub struct NewChan<'a> {
    /// `PJSIP` or `Local`.
    pub tech: &'a str,
    /// Endpoint (`101`, `mts-trunk`) or `101@from-queue` for Local.
    pub resource: &'a str,
    /// Caller-id name.
    pub cid_name: &'a str,
    /// Caller-id number.
    pub cid_num: &'a str,
    /// Dialplan extension on CHAN_START.
    pub exten: &'a str,
    /// Dialplan context.
    pub context: &'a str,
}

impl<'r> Pbx<'r> {
    /// A PBX whose clock starts at `start`.
    pub fn new(rng: &'r mut ChaCha8Rng, start: EventTime, counters: Counters) -> Self {
        Pbx {
            rng,
            now: start,
            counters,
            chans: Vec::new(),
            bridges: Vec::new(),
            rows: Vec::new(),
            linked_refs: Vec::new(),
        }
    }

    /// The rows written so far.
    pub fn into_rows(self) -> Vec<CelEvent> {
        self.rows
    }

    /// The call's random source.
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        self.rng
    }

    /// A whole number of seconds in `range`.
    pub fn secs(&mut self, range: std::ops::RangeInclusive<u32>) -> u32 {
        self.rng.random_range(range)
    }

    /// Lets `secs` seconds pass (plus up to 300 ms of jitter).
    pub fn wait(&mut self, secs: u32) {
        let jitter = self.rng.random_range(0..300_000);
        self.now = self.now.plus_micros(i64::from(secs) * 1_000_000 + jitter);
    }

    /// Lets a short time pass between rows of one burst (0.1–1.5 ms).
    fn tick(&mut self) {
        let step = self.rng.random_range(100..1_500);
        self.now = self.now.plus_micros(step);
    }

    /// The channel's name.
    pub fn name(&self, c: Chan) -> &str {
        &self.chans[c.0].name
    }

    /// The channel's uniqueid.
    pub fn uniqueid(&self, c: Chan) -> &str {
        &self.chans[c.0].uniqueid
    }

    /// Creates a channel (CHAN_START). `requestor` gives it its linkedid.
    pub fn start(&mut self, new: NewChan<'_>, requestor: Option<Chan>) -> Chan {
        self.tick();
        let counter = self.counters.uniqueid;
        self.counters.uniqueid += 1;
        let secs = self.now.unix_secs();
        let uniqueid = format!("{secs}.{counter}");
        let name = if new.tech.eq_ignore_ascii_case("local") {
            self.counters.local += 1;
            format!("Local/{}-{:08x};1", new.resource, self.counters.local)
        } else {
            self.counters.pjsip += 1;
            format!("{}/{}-{:08x}", new.tech, new.resource, self.counters.pjsip)
        };
        let (linkedid, linked_created) = match requestor {
            Some(r) => (self.chans[r.0].linkedid.clone(), self.chans[r.0].linked_created),
            None => (uniqueid.clone(), (secs, counter)),
        };
        self.add_ref(&linkedid);
        self.chans.push(ChanState {
            name,
            uniqueid,
            created: (secs, counter),
            linkedid,
            linked_created,
            cid_name: new.cid_name.to_owned(),
            cid_num: new.cid_num.to_owned(),
            cid_ani: String::new(),
            cid_dnid: String::new(),
            exten: new.exten.to_owned(),
            context: new.context.to_owned(),
            appname: String::new(),
            appdata: String::new(),
            bridge: None,
            alive: true,
        });
        let c = Chan(self.chans.len() - 1);
        self.row(c, EventType::ChanStart, String::new(), String::new());
        c
    }

    /// The `;2` half of a Local pair whose `;1` is `one` (same linkedid).
    pub fn local_two(&mut self, one: Chan, cid_name: &str, cid_num: &str) -> Chan {
        self.tick();
        let counter = self.counters.uniqueid;
        self.counters.uniqueid += 1;
        let secs = self.now.unix_secs();
        let mut state = self.chans[one.0].clone();
        state.name = state.name.replace(";1", ";2");
        state.uniqueid = format!("{secs}.{counter}");
        state.created = (secs, counter);
        state.cid_name = cid_name.to_owned();
        state.cid_num = cid_num.to_owned();
        state.appname.clear();
        state.appdata.clear();
        state.bridge = None;
        self.add_ref(&state.linkedid);
        self.chans.push(state);
        let c = Chan(self.chans.len() - 1);
        self.row(c, EventType::ChanStart, String::new(), String::new());
        c
    }

    fn add_ref(&mut self, linkedid: &str) {
        match self.linked_refs.iter_mut().find(|(l, _)| l == linkedid) {
            Some((_, n)) => *n += 1,
            None => self.linked_refs.push((linkedid.to_owned(), 1)),
        }
    }

    /// Drops one reference to `linkedid`; true when it was the last.
    fn drop_ref(&mut self, linkedid: &str) -> bool {
        match self.linked_refs.iter_mut().find(|(l, _)| l == linkedid) {
            Some((_, n)) => {
                *n -= 1;
                *n == 0
            }
            None => false,
        }
    }

    /// Changes fields that later rows of the channel carry.
    pub fn set(&mut self, c: Chan, f: impl FnOnce(&mut ChanFields<'_>)) {
        let s = &mut self.chans[c.0];
        f(&mut ChanFields {
            cid_name: &mut s.cid_name,
            cid_num: &mut s.cid_num,
            cid_ani: &mut s.cid_ani,
            cid_dnid: &mut s.cid_dnid,
            exten: &mut s.exten,
            context: &mut s.context,
            appname: &mut s.appname,
            appdata: &mut s.appdata,
        });
    }

    /// Writes one row of the channel's current fields.
    fn row(&mut self, c: Chan, eventtype: EventType, extra: String, peer: String) {
        let s = &self.chans[c.0];
        let id = self.counters.row;
        self.counters.row += 1;
        self.rows.push(CelEvent {
            id,
            eventtype,
            eventtime: self.now,
            cid_name: s.cid_name.as_str().into(),
            cid_num: s.cid_num.as_str().into(),
            cid_ani: s.cid_ani.as_str().into(),
            cid_rdnis: CompactString::default(),
            cid_dnid: s.cid_dnid.as_str().into(),
            exten: s.exten.as_str().into(),
            context: s.context.as_str().into(),
            channame: s.name.as_str().into(),
            appname: s.appname.as_str().into(),
            appdata: s.appdata.as_str().into(),
            amaflags: 3,
            accountcode: CompactString::default(),
            peeraccount: CompactString::default(),
            uniqueid: s.uniqueid.as_str().into(),
            linkedid: s.linkedid.as_str().into(),
            userfield: CompactString::default(),
            peer: peer.into(),
            extra: extra.into(),
            userdeftype: CompactString::default(),
        });
    }

    /// A row with no extra, after a short tick.
    pub fn event(&mut self, c: Chan, eventtype: EventType) {
        self.tick();
        self.row(c, eventtype, String::new(), String::new());
    }

    /// A row with `extra` JSON, after a short tick.
    pub fn event_with(&mut self, c: Chan, eventtype: EventType, extra: String) {
        self.tick();
        self.row(c, eventtype, extra, String::new());
    }

    /// APP_START of a tracked application.
    pub fn app_start(&mut self, c: Chan, app: &str, data: &str) {
        self.set(c, |f| {
            *f.appname = app.to_owned();
            *f.appdata = data.to_owned();
        });
        self.event(c, EventType::AppStart);
    }

    /// APP_END; the app fields are cleared after it.
    pub fn app_end(&mut self, c: Chan) {
        self.event(c, EventType::AppEnd);
        self.set(c, |f| {
            f.appname.clear();
            f.appdata.clear();
        });
    }

    /// ANSWER.
    pub fn answer(&mut self, c: Chan) {
        self.event(c, EventType::Answer);
    }

    fn uuid(&mut self) -> String {
        let a: u64 = self.rng.random();
        let b: u64 = self.rng.random();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }

    /// A new bridge (`simple_bridge`, or `holding_bridge` for parking).
    pub fn new_bridge(&mut self, technology: &'static str) -> usize {
        let id = self.uuid();
        self.bridges.push(Bridge { id, technology, members: Vec::new() });
        self.bridges.len() - 1
    }

    /// The bridge's id.
    pub fn bridge_id(&self, bridge: usize) -> &str {
        &self.bridges[bridge].id
    }

    /// BRIDGE_ENTER: the peer column lists who is already there; in a basic
    /// bridge every member takes the oldest linkedid present.
    pub fn enter(&mut self, c: Chan, bridge: usize) {
        self.tick();
        let peers: Vec<String> = self.bridges[bridge].members.iter().map(|m| self.chans[m.0].name.clone()).collect();
        self.bridges[bridge].members.push(c);
        self.chans[c.0].bridge = Some(bridge);
        if self.bridges[bridge].technology != "holding_bridge" {
            self.merge_linkedids(bridge);
        }
        let extra = format!(
            r#"{{"bridge_id":"{}","bridge_technology":"{}"}}"#,
            self.bridges[bridge].id, self.bridges[bridge].technology
        );
        self.row(c, EventType::BridgeEnter, extra, peers.join(","));
    }

    fn merge_linkedids(&mut self, bridge: usize) {
        let members = self.bridges[bridge].members.clone();
        let Some(oldest) =
            members.iter().map(|m| (self.chans[m.0].linked_created, self.chans[m.0].linkedid.clone())).min()
        else {
            return;
        };
        for m in members {
            if self.chans[m.0].linkedid != oldest.1 {
                let old = std::mem::replace(&mut self.chans[m.0].linkedid, oldest.1.clone());
                self.chans[m.0].linked_created = oldest.0;
                self.add_ref(&oldest.1);
                if self.drop_ref(&old) {
                    // The abandoned linkedid retires at once, on this channel's fields.
                    let mut s = self.chans[m.0].clone();
                    s.linkedid = old;
                    self.chans.push(s);
                    let ghost = Chan(self.chans.len() - 1);
                    self.row(ghost, EventType::LinkedidEnd, String::new(), String::new());
                    self.chans.pop();
                }
            }
        }
    }

    /// BRIDGE_EXIT: the peer column lists who stays.
    pub fn exit(&mut self, c: Chan) {
        let Some(bridge) = self.chans[c.0].bridge.take() else { return };
        self.tick();
        self.bridges[bridge].members.retain(|m| *m != c);
        let peers: Vec<String> = self.bridges[bridge].members.iter().map(|m| self.chans[m.0].name.clone()).collect();
        let extra = format!(
            r#"{{"bridge_id":"{}","bridge_technology":"{}"}}"#,
            self.bridges[bridge].id, self.bridges[bridge].technology
        );
        self.row(c, EventType::BridgeExit, extra, peers.join(","));
    }

    /// HANGUP and CHAN_END on one timestamp (Asterisk 17+), then
    /// LINKEDID_END if this was the linkedid's last channel.
    pub fn hangup(&mut self, c: Chan, cause: u32, source: &str, dialstatus: &str) {
        self.exit(c);
        self.tick();
        let extra = format!(r#"{{"hangupcause":{cause},"hangupsource":"{source}","dialstatus":"{dialstatus}"}}"#);
        self.row(c, EventType::Hangup, extra, String::new());
        self.row(c, EventType::ChanEnd, String::new(), String::new());
        self.chans[c.0].alive = false;
        let linkedid = self.chans[c.0].linkedid.clone();
        if self.drop_ref(&linkedid) {
            self.row(c, EventType::LinkedidEnd, String::new(), String::new());
        }
    }

    /// Whether the channel has not hung up.
    pub fn is_alive(&self, c: Chan) -> bool {
        self.chans[c.0].alive
    }
}

/// The fields of a channel that later rows carry, for [`Pbx::set`].
pub struct ChanFields<'a> {
    /// Caller-id name.
    pub cid_name: &'a mut String,
    /// Caller-id number.
    pub cid_num: &'a mut String,
    /// ANI.
    pub cid_ani: &'a mut String,
    /// Dialed number.
    pub cid_dnid: &'a mut String,
    /// Extension.
    pub exten: &'a mut String,
    /// Context.
    pub context: &'a mut String,
    /// Application.
    pub appname: &'a mut String,
    /// Its data.
    pub appdata: &'a mut String,
}
