//! Streams CEL rows into calls: rows are grouped by linkedid, linkedids that
//! share a channel are merged (a transfer target or a parking retriever takes
//! the call's linkedid, so its uniqueid appears under both), and a call is
//! handed out as soon as it is over, so memory holds only the calls in
//! progress, however long the export.
//!
//! A call is over at a LINKEDID_END row after which every linkedid of it has
//! had its LINKEDID_END and every channel its HANGUP or CHAN_END; or, for exports without LINKEDID_END, once
//! every channel has ended and a quiet period ([`Grouper::quiet`], 10 s by
//! default) has passed with no row for it; or, for channels whose end was
//! never logged, after [`Grouper::stale`] (1 h) with no row. Periods are
//! measured on event time (the latest `eventtime` read so far), never on the
//! wall clock, so a file gives the same calls however fast it is read.
//! Whatever is left at the end of the input is handed out by
//! [`Grouper::finish`], in the order the calls began.

use std::collections::{HashMap, VecDeque};

use compact_str::CompactString;
use rustc_hash::FxBuildHasher;

use crate::event::{CelEvent, EventTime, EventType};

/// Keyed by ids and channel names, which are short: a key's copy is held
/// inline, without an allocation, and hashed with FxHash (SipHash's flood
/// resistance buys nothing for a file read once).
type Map<V> = HashMap<CompactString, V, FxBuildHasher>;

/// Which map a group's key is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Linkedid,
    Uniqueid,
    Name,
}

/// Rows a new group has room for, at first and at most: it gets room for
/// as many rows as the longest call so far (up to the most), since growing
/// copies every row (456 bytes each); calls have 10 to 45 rows or so.
const ROWS_RESERVED: usize = 16;
const MOST_ROWS_RESERVED: usize = 64;

/// Map keys a group has room for before it grows: a uniqueid and a channel
/// name per channel, and the linkedid.
const KEYS_RESERVED: usize = 8;

/// `pickup_channel` of a PICKUP extra, without parsing the JSON.
fn pickup_channel(extra: &str) -> Option<&str> {
    const KEY: &str = "\"pickup_channel\":\"";
    let start = extra.find(KEY)? + KEY.len();
    let len = extra[start..].find('"')?;
    Some(&extra[start..start + len])
}

#[derive(Debug, Default)]
struct Group {
    rows: Vec<CelEvent>,
    /// The map keys that point at this group.
    keys: Vec<(KeyKind, CompactString)>,
    open_links: usize,
    open_channels: usize,
    last: EventTime,
    first_seq: u64,
}

/// Counts of what the grouper did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupStats {
    /// Calls handed out.
    pub calls: u64,
    /// Of them, calls handed out at LINKEDID_END.
    pub ended: u64,
    /// Of them, calls handed out after the quiet period or as stale.
    pub timed_out: u64,
    /// Linkedid merges (two groups found to share a channel).
    pub merges: u64,
    /// The most calls in progress at once.
    pub peak_in_progress: usize,
}

/// Groups a stream of CEL rows into calls: by linkedid, merging linkedids that
/// share a channel (or a PICKUP's picker), each call handed out ([`Grouper::pop`])
/// at its LINKEDID_END, or once its channels ended and the quiet period of
/// event time passed, or at [`Grouper::finish`].
///
/// ```
/// use callfull_cel::{CelEvent, EventTime, EventType, Grouper};
///
/// let row = |id, t: EventType, u: &str, l: &str| CelEvent {
///     id, eventtype: t, eventtime: EventTime(id as i64), uniqueid: u.into(), linkedid: l.into(), ..CelEvent::default()
/// };
/// let mut grouper = Grouper::new();
/// grouper.push(row(1, EventType::ChanStart, "1.1", "1.1"));
/// grouper.push(row(2, EventType::ChanEnd, "1.1", "1.1"));
/// assert!(grouper.pop().is_none(), "no LINKEDID_END yet");
/// grouper.push(row(3, EventType::LinkedidEnd, "1.1", "1.1"));
/// assert_eq!(grouper.pop().map(|call| call.len()), Some(3));
/// ```
#[derive(Debug)]
pub struct Grouper {
    quiet: i64,
    stale: i64,
    groups: Vec<Option<Group>>,
    free: Vec<usize>,
    live: usize,
    by_linkedid: Map<(usize, bool)>,
    by_uniqueid: Map<(usize, bool)>,
    /// Channel names, for PICKUP rows, which name the picker's channel.
    by_name: Map<usize>,
    ready: VecDeque<Vec<CelEvent>>,
    /// Rows a new group has room for.
    rows_reserved: usize,
    watermark: EventTime,
    next_scan: i64,
    seq: u64,
    stats: GroupStats,
}

impl Default for Grouper {
    fn default() -> Self {
        Grouper::new()
    }
}

impl Grouper {
    /// A grouper with a 10 s quiet period and a 1 h stale limit.
    pub fn new() -> Grouper {
        Grouper {
            quiet: 10_000_000,
            stale: 3_600_000_000,
            groups: Vec::new(),
            free: Vec::new(),
            live: 0,
            by_linkedid: Map::default(),
            by_uniqueid: Map::default(),
            by_name: Map::default(),
            ready: VecDeque::new(),
            rows_reserved: ROWS_RESERVED,
            watermark: EventTime(i64::MIN),
            next_scan: i64::MIN,
            seq: 0,
            stats: GroupStats::default(),
        }
    }

    /// How long, in event time, a call whose channels all ended waits for
    /// more rows before it is handed out (for exports without LINKEDID_END).
    #[must_use]
    pub fn quiet(mut self, micros: i64) -> Grouper {
        self.quiet = micros.max(0);
        self
    }

    /// How long, in event time, a call with no row at all is kept before it
    /// is handed out unfinished (channels whose end was never logged).
    #[must_use]
    pub fn stale(mut self, micros: i64) -> Grouper {
        self.stale = micros.max(0);
        self
    }

    /// What happened so far.
    pub fn stats(&self) -> GroupStats {
        self.stats
    }

    /// Calls in progress.
    pub fn in_progress(&self) -> usize {
        self.live
    }

    fn new_group(&mut self) -> usize {
        self.live += 1;
        self.stats.peak_in_progress = self.stats.peak_in_progress.max(self.live);
        self.seq += 1;
        let group = Group {
            first_seq: self.seq,
            rows: Vec::with_capacity(self.rows_reserved),
            keys: Vec::with_capacity(KEYS_RESERVED),
            ..Group::default()
        };
        match self.free.pop() {
            Some(i) => {
                self.groups[i] = Some(group);
                i
            }
            None => {
                self.groups.push(Some(group));
                self.groups.len() - 1
            }
        }
    }

    fn group(&mut self, g: usize) -> &mut Group {
        // Indices in the maps always point at live groups.
        self.groups[g].get_or_insert_with(Group::default)
    }

    /// Moves group `from` into `into`.
    fn merge(&mut self, into: usize, from: usize) {
        let Some(moved) = self.groups[from].take() else { return };
        self.free.push(from);
        self.live -= 1;
        self.stats.merges += 1;
        for (kind, key) in &moved.keys {
            let entry = match kind {
                KeyKind::Linkedid => self.by_linkedid.get_mut(key).map(|e| &mut e.0),
                KeyKind::Uniqueid => self.by_uniqueid.get_mut(key).map(|e| &mut e.0),
                KeyKind::Name => self.by_name.get_mut(key),
            };
            if let Some(entry) = entry {
                *entry = into;
            }
        }
        let target = self.group(into);
        target.rows.extend(moved.rows);
        target.keys.extend(moved.keys);
        target.open_links += moved.open_links;
        target.open_channels += moved.open_channels;
        target.last = target.last.max(moved.last);
        target.first_seq = target.first_seq.min(moved.first_seq);
    }

    /// Takes one row (in file order).
    #[inline]
    pub fn push(&mut self, row: CelEvent) {
        if row.eventtime > self.watermark {
            self.watermark = row.eventtime;
        }
        let by_u = self.by_uniqueid.get(row.uniqueid.as_str()).map(|e| e.0);
        let by_l = self.by_linkedid.get(row.linkedid.as_str()).map(|e| e.0);
        let g = match (by_u, by_l) {
            (Some(a), Some(b)) if a != b => {
                // Keep the group with more rows, move the other.
                let (big, small) = if self.group(a).rows.len() >= self.group(b).rows.len() { (a, b) } else { (b, a) };
                self.merge(big, small);
                big
            }
            (Some(g), _) | (None, Some(g)) => g,
            (None, None) => self.new_group(),
        };
        if by_u.is_none() {
            self.by_uniqueid.insert(row.uniqueid.clone(), (g, false));
            let group = self.group(g);
            group.keys.push((KeyKind::Uniqueid, row.uniqueid.clone()));
            group.open_channels += 1;
            if !row.channame.is_empty() && !self.by_name.contains_key(row.channame.as_str()) {
                self.by_name.insert(row.channame.clone(), g);
                self.group(g).keys.push((KeyKind::Name, row.channame.clone()));
            }
        }
        if by_l.is_none() {
            self.by_linkedid.insert(row.linkedid.clone(), (g, false));
            let group = self.group(g);
            group.keys.push((KeyKind::Linkedid, row.linkedid.clone()));
            group.open_links += 1;
        }
        match row.eventtype {
            EventType::Hangup | EventType::ChanEnd => {
                if let Some(entry) = self.by_uniqueid.get_mut(row.uniqueid.as_str()) {
                    if !entry.1 {
                        entry.1 = true;
                        self.group(g).open_channels -= 1;
                    }
                }
            }
            // The picker's channel takes the ringing one's place (Asterisk
            // swaps them): its own short call is part of this one.
            EventType::Pickup => {
                if let Some(&other) = pickup_channel(&row.extra).and_then(|name| self.by_name.get(name)) {
                    if other != g {
                        self.merge(g, other);
                    }
                }
            }
            EventType::LinkedidEnd => {
                if let Some(entry) = self.by_linkedid.get_mut(row.linkedid.as_str()) {
                    if !entry.1 {
                        entry.1 = true;
                        self.group(g).open_links -= 1;
                    }
                }
            }
            _ => {}
        }
        // Only a LINKEDID_END ends a call at once: when the last end arrives
        // on another row, the export is out of order (Wazo's are, some even
        // reversed) and more of the call may follow; the quiet period decides.
        let at_end = row.eventtype == EventType::LinkedidEnd;
        let group = self.group(g);
        group.last = group.last.max(row.eventtime);
        group.rows.push(row);
        if at_end && group.open_links == 0 && group.open_channels == 0 {
            self.stats.ended += 1;
            self.emit(g);
        }
        if self.watermark.0 >= self.next_scan {
            self.scan();
        }
    }

    /// Hands out calls whose quiet period or stale limit has passed.
    fn scan(&mut self) {
        self.next_scan = self.watermark.0.saturating_add(1_000_000);
        let now = self.watermark.0;
        let mut due: Vec<(u64, usize)> = self
            .groups
            .iter()
            .enumerate()
            .filter_map(|(i, g)| g.as_ref().map(|g| (i, g)))
            .filter(|(_, g)| {
                let idle = now.saturating_sub(g.last.0);
                (g.open_channels == 0 && idle >= self.quiet) || idle >= self.stale
            })
            .map(|(i, g)| (g.first_seq, i))
            .collect();
        due.sort_unstable();
        for (_, g) in due {
            self.stats.timed_out += 1;
            self.emit(g);
        }
    }

    fn emit(&mut self, g: usize) {
        let Some(group) = self.groups[g].take() else { return };
        self.free.push(g);
        self.live -= 1;
        for (kind, key) in &group.keys {
            match kind {
                KeyKind::Linkedid => {
                    self.by_linkedid.remove(key);
                }
                KeyKind::Uniqueid => {
                    self.by_uniqueid.remove(key);
                }
                KeyKind::Name => {
                    self.by_name.remove(key);
                }
            }
        }
        self.stats.calls += 1;
        self.rows_reserved = self.rows_reserved.max(group.rows.len()).min(MOST_ROWS_RESERVED);
        self.ready.push_back(group.rows);
    }

    /// The next call that is over, its rows in file order.
    pub fn pop(&mut self) -> Option<Vec<CelEvent>> {
        self.ready.pop_front()
    }

    /// Ends the input: every call still in progress is handed out, in the
    /// order they began.
    pub fn finish(&mut self) {
        let mut left: Vec<(u64, usize)> =
            self.groups.iter().enumerate().filter_map(|(i, g)| g.as_ref().map(|g| (g.first_seq, i))).collect();
        left.sort_unstable();
        for (_, g) in left {
            self.emit(g);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: u64, secs: i64, t: EventType, u: &str, l: &str) -> CelEvent {
        CelEvent {
            id,
            eventtype: t,
            eventtime: EventTime::from_unix(secs, 0),
            uniqueid: u.into(),
            linkedid: l.into(),
            ..CelEvent::default()
        }
    }

    fn ids(call: &[CelEvent]) -> Vec<u64> {
        call.iter().map(|r| r.id).collect()
    }

    use EventType::*;

    #[test]
    fn interleaved_calls_come_out_at_their_linkedid_end() {
        let mut g = Grouper::new();
        for r in [
            row(1, 0, ChanStart, "1.1", "1.1"),
            row(2, 1, ChanStart, "2.2", "2.2"),
            row(3, 2, ChanEnd, "2.2", "2.2"),
            row(4, 2, LinkedidEnd, "2.2", "2.2"),
            row(5, 3, ChanEnd, "1.1", "1.1"),
        ] {
            g.push(r);
        }
        assert_eq!(g.pop().map(|c| ids(&c)), Some(vec![2, 3, 4]));
        assert!(g.pop().is_none());
        g.push(row(6, 3, LinkedidEnd, "1.1", "1.1"));
        assert_eq!(g.pop().map(|c| ids(&c)), Some(vec![1, 5, 6]));
        assert_eq!(g.stats().peak_in_progress, 2);
    }

    #[test]
    fn a_channel_under_two_linkedids_merges_them_and_the_retired_one_does_not_end_the_call() {
        // Caller 1.1 talks to 1.2; 1.2 consults 3.3 (linkedid 3.3) which rings 3.4;
        // the transfer bridges 1.1 with 3.4: 3.4 takes linkedid 1.1, 3.3's linkedid retires.
        let mut g = Grouper::new();
        for r in [
            row(1, 0, ChanStart, "1.1", "1.1"),
            row(2, 0, ChanStart, "1.2", "1.1"),
            row(3, 5, ChanStart, "3.3", "3.3"),
            row(4, 5, ChanStart, "3.4", "3.3"),
            row(5, 9, Hangup, "1.2", "1.1"),
            row(6, 9, ChanEnd, "1.2", "1.1"),
            row(7, 9, Hangup, "3.3", "3.3"),
            row(8, 9, ChanEnd, "3.3", "3.3"),
            row(9, 9, LinkedidEnd, "3.4", "3.3"),
            row(10, 9, BridgeEnter, "3.4", "1.1"),
        ] {
            g.push(r);
        }
        assert!(g.pop().is_none(), "3.4 is still up");
        for r in [
            row(11, 20, Hangup, "3.4", "1.1"),
            row(12, 20, ChanEnd, "3.4", "1.1"),
            row(13, 20, Hangup, "1.1", "1.1"),
            row(14, 20, ChanEnd, "1.1", "1.1"),
            row(15, 20, LinkedidEnd, "1.1", "1.1"),
        ] {
            g.push(r);
        }
        let mut call = ids(&g.pop().unwrap_or_default());
        call.sort_unstable();
        assert_eq!(call, (1..=15).collect::<Vec<_>>());
        assert_eq!(g.stats().merges, 1);
        assert_eq!(g.in_progress(), 0);
    }

    #[test]
    fn a_reversed_export_is_one_call() {
        let mut g = Grouper::new();
        for r in [
            row(4, 9, LinkedidEnd, "1.2", "1.1"),
            row(3, 9, Hangup, "1.2", "1.1"),
            row(2, 8, Hangup, "1.1", "1.1"),
            row(1, 0, ChanStart, "1.1", "1.1"),
        ] {
            g.push(r);
        }
        assert!(g.pop().is_none());
        g.finish();
        assert_eq!(g.pop().map(|c| ids(&c)), Some(vec![4, 3, 2, 1]));
    }

    #[test]
    fn without_linkedid_end_a_call_waits_for_the_quiet_period_in_event_time() {
        let mut g = Grouper::new().quiet(10_000_000);
        g.push(row(1, 0, ChanStart, "1.1", "1.1"));
        g.push(row(2, 4, ChanEnd, "1.1", "1.1"));
        g.push(row(3, 5, ChanStart, "2.2", "2.2"));
        g.push(row(4, 13, Answer, "2.2", "2.2"));
        assert!(g.pop().is_none(), "only 9 s of event time since its last row");
        g.push(row(5, 14, Hangup, "2.2", "2.2"));
        assert_eq!(g.pop().map(|c| ids(&c)), Some(vec![1, 2]));
        g.finish();
        assert_eq!(g.pop().map(|c| ids(&c)), Some(vec![3, 4, 5]));
        assert_eq!(g.stats().timed_out, 1);
    }

    #[test]
    fn a_call_whose_end_was_never_logged_goes_out_when_stale() {
        let mut g = Grouper::new().stale(60_000_000);
        g.push(row(1, 0, ChanStart, "1.1", "1.1"));
        g.push(row(2, 30, ChanStart, "2.2", "2.2"));
        assert!(g.pop().is_none());
        g.push(row(3, 61, Answer, "2.2", "2.2"));
        assert_eq!(g.pop().map(|c| ids(&c)), Some(vec![1]));
    }
}
