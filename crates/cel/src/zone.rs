//! The Asterisk server's time zone, as `--tz` names it: a fixed offset
//! (`+03:00`, `-4`, `UTC`) or an IANA name (`Europe/Moscow`,
//! `America/New_York`) whose offset changes with daylight saving time.
//!
//! CEL tables written in local time hold wall-clock times: reading them needs
//! local → UTC, and printing `call_full` times needs UTC → local, both at the
//! offset in force then.
//!
//! Implementation notes: a named zone is turned once into a table of its
//! offset changes from 1900 to 2200 (IANA data bundled in the binary by
//! `jiff`, so the answer does not depend on the machine's tzdata), and each
//! conversion is a binary search in it: the reader converts every row.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// First and last instants the table covers (1900-01-01, 2200-01-01 UTC).
const TABLE_START: i64 = -2_208_988_800;
const TABLE_END: i64 = 7_258_118_400;

/// A time zone: UTC offsets by period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    name: String,
    /// `(from, offset)`: from this UTC second on (until the next entry),
    /// local time is `offset` seconds east of UTC. The first entry starts at
    /// `i64::MIN`.
    periods: Vec<(i64, i64)>,
}

impl Zone {
    /// A zone always `offset_secs` east of UTC.
    pub fn fixed(offset_secs: i64) -> Zone {
        let sign = if offset_secs < 0 { '-' } else { '+' };
        let abs = offset_secs.unsigned_abs();
        let name = format!("{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60);
        Zone { name, periods: vec![(i64::MIN, offset_secs)] }
    }

    /// UTC.
    pub fn utc() -> Zone {
        Zone::fixed(0)
    }

    /// From `--tz`: a fixed offset (`UTC`, `Z`, `+03`, `-04:00`, `+0530`) or
    /// an IANA zone name (`Europe/Moscow`).
    pub fn parse(text: &str) -> Result<Zone, String> {
        let text = text.trim();
        if let Some(offset) = crate::read::parse_zone(text) {
            return Ok(Zone::fixed(offset));
        }
        let tz = TimeZone::get(text).map_err(|e| {
            format!("{text:?} is neither a UTC offset (+03:00, -4, +0530, UTC) nor a known IANA zone name ({e})")
        })?;
        Ok(Zone::named(text, &tz))
    }

    fn named(name: &str, tz: &TimeZone) -> Zone {
        let start = Timestamp::from_second(TABLE_START).unwrap_or(Timestamp::UNIX_EPOCH);
        let mut periods = vec![(i64::MIN, i64::from(tz.to_offset(start).seconds()))];
        for transition in tz.following(start) {
            let at = transition.timestamp().as_second();
            if at >= TABLE_END {
                break;
            }
            let offset = i64::from(transition.offset().seconds());
            if periods.last().is_some_and(|&(_, last)| last != offset) {
                periods.push((at, offset));
            }
        }
        Zone { name: name.to_owned(), periods }
    }

    /// The name it was given (`Europe/Moscow`), or `+03:00` for a fixed one.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The offset, when it never changes.
    pub fn fixed_offset(&self) -> Option<i64> {
        match self.periods.as_slice() {
            [(_, offset)] => Some(*offset),
            _ => None,
        }
    }

    fn period_at(&self, unix_secs: i64) -> usize {
        self.periods.partition_point(|&(from, _)| from <= unix_secs).saturating_sub(1)
    }

    /// Seconds east of UTC at the instant `unix_secs`.
    pub fn offset_at(&self, unix_secs: i64) -> i64 {
        self.periods[self.period_at(unix_secs)].1
    }

    /// The instant a wall-clock time (`local_secs`: seconds since the epoch
    /// as if the wall clock were UTC) stands for. A time the clocks skipped
    /// (spring forward) is read with the offset before the change, so it
    /// lands after it; a time they showed twice (fall back) is the first of
    /// the two. That is RFC 9557's and `jiff`'s "compatible" choice.
    pub fn local_to_utc(&self, local_secs: i64) -> i64 {
        if let [(_, offset)] = self.periods.as_slice() {
            return local_secs - offset;
        }
        // The period the time falls in is next to the one the offset of a
        // nearby instant gives; every candidate that maps back is valid.
        let guess = self.period_at(local_secs - self.offset_at(local_secs));
        let lo = guess.saturating_sub(1);
        let hi = (guess + 1).min(self.periods.len() - 1);
        let valid = (lo..=hi).map(|i| local_secs - self.periods[i].1).filter(|&utc| {
            let i = self.period_at(utc);
            local_secs - self.periods[i].1 == utc
        });
        match valid.min() {
            Some(utc) => utc,
            // Skipped: the change at `k` moved the clocks past it, so the
            // offset before the change applies.
            None => {
                let skipped_at = |k: usize| {
                    let start = self.periods[k].0;
                    local_secs - self.periods[k - 1].1 >= start && local_secs - self.periods[k].1 < start
                };
                let k = (lo.max(1)..=hi).find(|&k| skipped_at(k)).unwrap_or(hi.max(1));
                local_secs - self.periods[k - 1].1
            }
        }
    }
}

impl Default for Zone {
    fn default() -> Zone {
        Zone::utc()
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `YYYY-MM-DD HH:MM:SS` as seconds, the wall clock read as UTC.
    fn wall(text: &str) -> i64 {
        crate::read::parse_time(text.as_bytes(), 0).unwrap().unix_secs()
    }

    fn jiff_utc(zone: &str, text: &str) -> i64 {
        let tz = TimeZone::get(zone).unwrap();
        let civil: jiff::civil::DateTime = text.parse().unwrap();
        tz.to_ambiguous_zoned(civil).compatible().unwrap().timestamp().as_second()
    }

    #[test]
    fn fixed_offsets_parse_as_before() {
        assert_eq!(Zone::parse("+03:00").unwrap().fixed_offset(), Some(3 * 3600));
        assert_eq!(Zone::parse("UTC").unwrap(), Zone::utc());
        assert_eq!(Zone::parse("-0530").unwrap().name(), "-05:30");
        assert_eq!(Zone::fixed(3 * 3600).local_to_utc(wall("2024-06-10 12:39:05")), wall("2024-06-10 09:39:05"));
    }

    #[test]
    fn a_named_zone_follows_its_offset_changes() {
        let moscow = Zone::parse("Europe/Moscow").unwrap();
        assert_eq!(moscow.offset_at(wall("2024-06-10 09:00:00")), 3 * 3600);
        // Moscow kept summer time all year from 2011 to 2014 (+04).
        assert_eq!(moscow.offset_at(wall("2012-01-10 09:00:00")), 4 * 3600);
        assert_eq!(moscow.offset_at(wall("2010-01-10 09:00:00")), 3 * 3600);
        assert_eq!(moscow.offset_at(wall("2010-07-10 09:00:00")), 4 * 3600);
        let new_york = Zone::parse("America/New_York").unwrap();
        assert_eq!(new_york.offset_at(wall("2024-01-15 12:00:00")), -5 * 3600);
        assert_eq!(new_york.offset_at(wall("2024-07-15 12:00:00")), -4 * 3600);
        assert!(new_york.fixed_offset().is_none());
    }

    #[test]
    fn wall_clock_times_convert_as_jiff_compatible_does() {
        let times = [
            "2024-03-10 01:59:59",
            "2024-03-10 02:00:00", // skipped
            "2024-03-10 02:30:00", // skipped
            "2024-03-10 03:00:00",
            "2024-11-03 00:59:59",
            "2024-11-03 01:00:00", // shown twice
            "2024-11-03 01:30:00", // shown twice
            "2024-11-03 02:00:00",
            "2024-06-10 12:00:00",
            "1995-01-01 00:00:00",
        ];
        for zone in ["America/New_York", "Europe/Moscow", "Australia/Lord_Howe", "Asia/Kolkata"] {
            let z = Zone::parse(zone).unwrap();
            for t in times {
                assert_eq!(z.local_to_utc(wall(t)), jiff_utc(zone, t), "{zone} {t}");
            }
        }
    }

    #[test]
    fn an_unknown_name_is_refused_with_what_is_accepted() {
        let e = Zone::parse("Mars/Olympus").unwrap_err();
        assert!(e.contains("Mars/Olympus") && e.contains("IANA"), "{e}");
    }
}
