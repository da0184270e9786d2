//! One CEL row, as an Asterisk 12+ CEL table holds it.

use std::fmt;

use callfull_model::DateTime;
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// A CEL event type (Asterisk 12+ numbering for the integer form).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventType {
    /// A channel was created (first row of every channel).
    ChanStart,
    /// A channel was destroyed.
    ChanEnd,
    /// A channel hung up; `extra` has `hangupcause`, `hangupsource`, `dialstatus`.
    Hangup,
    /// A channel went Up.
    Answer,
    /// A tracked application started.
    AppStart,
    /// A tracked application ended.
    AppEnd,
    /// A channel entered a bridge.
    BridgeEnter,
    /// A channel left a bridge.
    BridgeExit,
    /// A channel was parked.
    ParkStart,
    /// A parked channel left the lot.
    ParkEnd,
    /// A blind transfer succeeded.
    BlindTransfer,
    /// An attended transfer succeeded.
    AttendedTransfer,
    /// `CELGenUserEvent`.
    UserDefined,
    /// The last channel of a linkedid is gone.
    LinkedidEnd,
    /// A ringing channel was picked up.
    Pickup,
    /// A dialed phone redirected the call.
    Forward,
    /// A Local channel pair was optimised away.
    LocalOptimize,
    /// Local optimisation began (18.18/20.3+).
    LocalOptimizeBegin,
    /// A stream started (20.16/21.11/22.6+).
    StreamBegin,
    /// A stream ended (20.16/21.11/22.6+).
    StreamEnd,
    /// A DTMF digit (20.16/21.11/22.6+).
    Dtmf,
    /// Any other name: user events as the backends write them, vendor types.
    Other(String),
}

const NAMES: [(&str, u8); 21] = [
    ("CHAN_START", 1),
    ("CHAN_END", 2),
    ("HANGUP", 3),
    ("ANSWER", 4),
    ("APP_START", 5),
    ("APP_END", 6),
    ("BRIDGE_ENTER", 7),
    ("BRIDGE_EXIT", 8),
    ("PARK_START", 9),
    ("PARK_END", 10),
    ("BLINDTRANSFER", 11),
    ("ATTENDEDTRANSFER", 12),
    ("USER_DEFINED", 13),
    ("LINKEDID_END", 14),
    ("PICKUP", 15),
    ("FORWARD", 16),
    ("LOCAL_OPTIMIZE", 17),
    ("LOCAL_OPTIMIZE_BEGIN", 18),
    ("STREAM_BEGIN", 19),
    ("STREAM_END", 20),
    ("DTMF", 21),
];

/// How integer `eventtype` columns are numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventNumbers {
    /// Asterisk 12 and later (`include/asterisk/cel.h`): CHAN_START 1 … DTMF 21.
    #[default]
    Asterisk12,
    /// Asterisk 1.8 and 11: CHAN_START 1 … FORWARD 25, with the types 12
    /// removed (BRIDGE_START, CONF_START, …) in between.
    Asterisk11,
}

/// Asterisk 1.8/11's `enum ast_cel_event_type` (`include/asterisk/cel.h` at
/// tag 11.25.3; 1.8 has the same values), 1-based, with the names its
/// `main/cel.c` writes. Names that 12 removed stay [`EventType::Other`].
const LEGACY_NAMES: [&str; 25] = [
    "CHAN_START",
    "CHAN_END",
    "HANGUP",
    "ANSWER",
    "APP_START",
    "APP_END",
    "BRIDGE_START",
    "BRIDGE_END",
    "CONF_START",
    "CONF_END",
    "PARK_START",
    "PARK_END",
    "BLINDTRANSFER",
    "ATTENDEDTRANSFER",
    "TRANSFER",
    "HOOKFLASH",
    "3WAY_START",
    "3WAY_END",
    "CONF_ENTER",
    "CONF_EXIT",
    "USER_DEFINED",
    "LINKEDID_END",
    "BRIDGE_UPDATE",
    "PICKUP",
    "FORWARD",
];

impl EventType {
    fn known(index: usize) -> EventType {
        use EventType::*;
        [
            ChanStart,
            ChanEnd,
            Hangup,
            Answer,
            AppStart,
            AppEnd,
            BridgeEnter,
            BridgeExit,
            ParkStart,
            ParkEnd,
            BlindTransfer,
            AttendedTransfer,
            UserDefined,
            LinkedidEnd,
            Pickup,
            Forward,
            LocalOptimize,
            LocalOptimizeBegin,
            StreamBegin,
            StreamEnd,
            Dtmf,
        ][index]
            .clone()
    }

    fn index(&self) -> Option<usize> {
        NAMES.iter().position(|(name, _)| *name == self.name())
    }

    /// The name a CEL table holds (`CHAN_START`, …).
    pub fn name(&self) -> &str {
        use EventType::*;
        match self {
            ChanStart => "CHAN_START",
            ChanEnd => "CHAN_END",
            Hangup => "HANGUP",
            Answer => "ANSWER",
            AppStart => "APP_START",
            AppEnd => "APP_END",
            BridgeEnter => "BRIDGE_ENTER",
            BridgeExit => "BRIDGE_EXIT",
            ParkStart => "PARK_START",
            ParkEnd => "PARK_END",
            BlindTransfer => "BLINDTRANSFER",
            AttendedTransfer => "ATTENDEDTRANSFER",
            UserDefined => "USER_DEFINED",
            LinkedidEnd => "LINKEDID_END",
            Pickup => "PICKUP",
            Forward => "FORWARD",
            LocalOptimize => "LOCAL_OPTIMIZE",
            LocalOptimizeBegin => "LOCAL_OPTIMIZE_BEGIN",
            StreamBegin => "STREAM_BEGIN",
            StreamEnd => "STREAM_END",
            Dtmf => "DTMF",
            Other(name) => name,
        }
    }

    /// The Asterisk 12+ enum number (integer `eventtype` columns), `None` for others.
    pub fn number(&self) -> Option<u8> {
        self.index().map(|i| NAMES[i].1)
    }

    /// From a name or an Asterisk 12+ number; anything else is kept as [`EventType::Other`].
    pub fn parse(text: &str) -> EventType {
        EventType::parse_numbered(text, EventNumbers::Asterisk12)
    }

    /// From a name or a number in the `numbers` numbering; anything else
    /// (vendor types, 1.8/11 types that 12 removed) is kept as
    /// [`EventType::Other`] with its name.
    pub fn parse_numbered(text: &str, numbers: EventNumbers) -> EventType {
        if let Some(known) = EventType::exact(text) {
            return known;
        }
        let text = text.trim();
        if let Some(i) = NAMES.iter().position(|(name, _)| name.eq_ignore_ascii_case(text)) {
            return EventType::known(i);
        }
        if let Ok(n) = text.parse::<u8>() {
            if let Some(known) = EventType::from_number(n, numbers) {
                return known;
            }
        }
        EventType::Other(text.to_owned())
    }

    /// The type numbered `n` in `numbers`.
    fn from_number(n: u8, numbers: EventNumbers) -> Option<EventType> {
        match numbers {
            EventNumbers::Asterisk12 => NAMES.iter().position(|(_, number)| *number == n).map(EventType::known),
            EventNumbers::Asterisk11 => {
                let name = LEGACY_NAMES.get(usize::from(n).checked_sub(1)?)?;
                Some(EventType::exact(name).unwrap_or_else(|| EventType::Other((*name).to_owned())))
            }
        }
    }

    /// A name as Asterisk writes it (upper case, no spaces): the common case,
    /// matched without a scan.
    fn exact(text: &str) -> Option<EventType> {
        use EventType::*;
        Some(match text {
            "CHAN_START" => ChanStart,
            "CHAN_END" => ChanEnd,
            "HANGUP" => Hangup,
            "ANSWER" => Answer,
            "APP_START" => AppStart,
            "APP_END" => AppEnd,
            "BRIDGE_ENTER" => BridgeEnter,
            "BRIDGE_EXIT" => BridgeExit,
            "PARK_START" => ParkStart,
            "PARK_END" => ParkEnd,
            "BLINDTRANSFER" => BlindTransfer,
            "ATTENDEDTRANSFER" => AttendedTransfer,
            "USER_DEFINED" => UserDefined,
            "LINKEDID_END" => LinkedidEnd,
            "PICKUP" => Pickup,
            "FORWARD" => Forward,
            "LOCAL_OPTIMIZE" => LocalOptimize,
            "LOCAL_OPTIMIZE_BEGIN" => LocalOptimizeBegin,
            "STREAM_BEGIN" => StreamBegin,
            "STREAM_END" => StreamEnd,
            "DTMF" => Dtmf,
            _ => return None,
        })
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(EventType::parse(&String::deserialize(deserializer)?))
    }
}

/// When an event happened: microseconds since the Unix epoch (UTC), which is
/// what Asterisk keeps (`struct timeval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventTime(pub i64);

impl EventTime {
    /// From whole seconds and microseconds.
    pub fn from_unix(secs: i64, micros: i64) -> EventTime {
        EventTime(secs * 1_000_000 + micros)
    }

    /// Whole seconds since the epoch (the integer part of a uniqueid).
    pub fn unix_secs(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// The microseconds within the second.
    pub fn micros(self) -> i64 {
        self.0.rem_euclid(1_000_000)
    }

    /// This time plus `micros`.
    pub fn plus_micros(self, micros: i64) -> EventTime {
        EventTime(self.0 + micros)
    }

    /// The contract's wall-clock time in a zone `utc_offset_secs` east of UTC
    /// (the fraction is dropped, as the connector prints seconds).
    pub fn local(self, utc_offset_secs: i64) -> DateTime {
        DateTime::from_unix(self.unix_secs(), utc_offset_secs)
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff` in that zone: what cel_odbc/cel_pgsql write.
    pub fn format_local(self, utc_offset_secs: i64) -> String {
        format!("{}.{:06}", self.local(utc_offset_secs), self.micros())
    }
}

/// One row of the CEL table. Empty values are empty strings, never missing,
/// as Asterisk writes them. Strings are [`CompactString`]s: ids, channel
/// names, numbers and contexts (up to 24 bytes) are held inline, so a row
/// read costs an allocation only for its long values (`extra`, some
/// `appdata`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CelEvent {
    /// The table's auto-increment id: the only total order.
    pub id: u64,
    /// What happened.
    pub eventtype: EventType,
    /// When it happened.
    pub eventtime: EventTime,
    /// Caller-id name of this channel.
    pub cid_name: CompactString,
    /// Caller-id number of this channel.
    pub cid_num: CompactString,
    /// ANI.
    pub cid_ani: CompactString,
    /// Redirecting number.
    pub cid_rdnis: CompactString,
    /// Dialed number.
    pub cid_dnid: CompactString,
    /// Current dialplan extension.
    pub exten: CompactString,
    /// Current dialplan context.
    pub context: CompactString,
    /// Channel name, e.g. `PJSIP/101-0000002b`.
    pub channame: CompactString,
    /// Application running now.
    pub appname: CompactString,
    /// Its arguments.
    pub appdata: CompactString,
    /// AMA flags (3 = DOCUMENTATION, the default).
    pub amaflags: u8,
    /// Account code.
    pub accountcode: CompactString,
    /// The bridged peer's account code.
    pub peeraccount: CompactString,
    /// The channel's id.
    pub uniqueid: CompactString,
    /// The call's id.
    pub linkedid: CompactString,
    /// Free text.
    pub userfield: CompactString,
    /// Other channels in the bridge (BRIDGE_ENTER/EXIT only).
    pub peer: CompactString,
    /// Event-specific JSON, compact; `""` when the event has none.
    pub extra: CompactString,
    /// User-defined event name (and DTMF/STREAM sub-types).
    pub userdeftype: CompactString,
}

impl Default for EventType {
    fn default() -> Self {
        EventType::Other(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        for (i, (name, number)) in NAMES.iter().enumerate() {
            let t = EventType::known(i);
            assert_eq!(t.name(), *name);
            assert_eq!(t.number(), Some(*number));
            assert_eq!(EventType::parse(name), t);
            assert_eq!(EventType::parse(&number.to_string()), t);
        }
        assert_eq!(EventType::parse("XIVO_INCALL"), EventType::Other("XIVO_INCALL".into()));
        assert_eq!(EventType::parse("chan_start"), EventType::ChanStart);
    }

    #[test]
    fn legacy_numbers_name_the_1_8_and_11_types() {
        let legacy = |n: u8| EventType::parse_numbered(&n.to_string(), EventNumbers::Asterisk11);
        assert_eq!(legacy(1), EventType::ChanStart);
        assert_eq!(legacy(4), EventType::Answer);
        assert_eq!(legacy(7), EventType::Other("BRIDGE_START".into()));
        assert_eq!(legacy(11), EventType::ParkStart);
        assert_eq!(legacy(13), EventType::BlindTransfer);
        assert_eq!(legacy(17), EventType::Other("3WAY_START".into()));
        assert_eq!(legacy(21), EventType::UserDefined);
        assert_eq!(legacy(22), EventType::LinkedidEnd);
        assert_eq!(legacy(24), EventType::Pickup);
        assert_eq!(legacy(25), EventType::Forward);
        assert_eq!(legacy(26), EventType::Other("26".into()), "unknown numbers are kept, never fatal");
        assert_eq!(legacy(0), EventType::Other("0".into()));
        assert_eq!(EventType::parse_numbered("HANGUP", EventNumbers::Asterisk11), EventType::Hangup);
        assert_eq!(EventType::parse("7"), EventType::BridgeEnter, "12+ numbering by default");
    }

    #[test]
    fn event_time_renders_in_a_zone_with_microseconds() {
        let t = EventTime::from_unix(1_718_012_345, 104_233);
        assert_eq!(t.format_local(0), "2024-06-10 09:39:05.104233");
        assert_eq!(t.format_local(3 * 3600), "2024-06-10 12:39:05.104233");
        assert_eq!(t.local(3 * 3600).to_string(), "2024-06-10 12:39:05");
    }
}
