//! Event times as CEL backends write them, parsed without allocating.

use crate::event::EventTime;
use crate::zone::Zone;

/// Days since 1970-01-01 of a proleptic Gregorian date.
#[inline]
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    let mut n = 0i64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(c - b'0');
    }
    Some(n)
}

/// Up to six fraction digits as microseconds (more are cut).
fn fraction(b: &[u8]) -> Option<i64> {
    let mut micros = 0i64;
    for i in 0..6 {
        micros *= 10;
        if let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() {
                return None;
            }
            micros += i64::from(c - b'0');
        }
    }
    b.iter().all(u8::is_ascii_digit).then_some(micros)
}

/// A zone suffix: `Z`, `+03`, `-04`, `+0300`, `+03:00`; seconds east of UTC.
fn zone(b: &[u8]) -> Option<i64> {
    let b = trim(b);
    if b.eq_ignore_ascii_case(b"z") || b.eq_ignore_ascii_case(b"utc") || b.eq_ignore_ascii_case(b"gmt") {
        return Some(0);
    }
    let (sign, rest) = match b.first()? {
        b'+' => (1, &b[1..]),
        b'-' => (-1, &b[1..]),
        _ => return None,
    };
    let (h, m) = match rest.len() {
        1 | 2 => (digits(rest)?, 0),
        4 => (digits(&rest[..2])?, digits(&rest[2..])?),
        5 if rest[2] == b':' => (digits(&rest[..2])?, digits(&rest[3..])?),
        _ => return None,
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// Parses an event time:
///
/// - `YYYY-MM-DD HH:MM:SS[.f…][zone]` (also with `T`, as ISO 8601 writes it),
///   local in the zone `utc_offset_secs` unless a zone follows (`-04`,
///   `+03:00`, `Z`: PostgreSQL `timestamptz`);
/// - ODBC's `{ts 'YYYY-MM-DD HH:MM:SS.f'}`;
/// - epoch seconds `S[.f…]` (cel_custom's default `%ld.%06ld`, numeric columns).
pub fn parse_time(text: &[u8], utc_offset_secs: i64) -> Option<EventTime> {
    parse(text, |local| local - utc_offset_secs, &mut LastMinute::default())
}

/// [`parse_time`] with local times in `zone`, at the offset in force then.
pub fn parse_time_in(text: &[u8], zone: &Zone) -> Option<EventTime> {
    parse(text, |local| zone.local_to_utc(local), &mut LastMinute::default())
}

/// The minute (`YYYY-MM-DD HH:MM`, as written) of the last fixed-form time
/// read, and its local seconds: an export's rows come minute by minute, and
/// reading the date was most of reading a time.
#[derive(Debug, Clone, Default)]
pub(crate) struct LastMinute(Option<([u8; 16], i64)>);

/// [`parse_time_in`] for a reader going through rows in order.
pub(crate) fn parse_time_in_order(text: &[u8], zone: &Zone, last: &mut LastMinute) -> Option<EventTime> {
    parse(text, |local| zone.local_to_utc(local), last)
}

/// The value of a few ASCII digits, `None` if any byte is not one (no
/// length check: the fixed form's fields are 2 to 6 digits).
fn fixed_digits(b: &[u8]) -> Option<i64> {
    let (mut n, mut all_digits) = (0i64, true);
    for &c in b {
        let digit = c.wrapping_sub(b'0');
        all_digits &= digit <= 9;
        n = n * 10 + i64::from(digit);
    }
    all_digits.then_some(n)
}

/// Exactly `YYYY-MM-DD HH:MM:SS.ffffff` (or with `T`), as cel_odbc and
/// cel_pgsql write it: the common case, read at fixed positions. `None`
/// when the text has another form or is invalid (the general path then
/// decides); otherwise what the general path gives.
fn parse_fixed(t: &[u8], local_to_utc: impl Fn(i64) -> i64, last: &mut LastMinute) -> Option<EventTime> {
    let t: &[u8; 26] = t.try_into().ok()?;
    let separators_ok = t[4] == b'-'
        && t[7] == b'-'
        && (t[10] == b' ' || t[10] == b'T')
        && t[13] == b':'
        && t[16] == b':'
        && t[19] == b'.';
    if !separators_ok {
        return None;
    }
    let minute: [u8; 16] = t[..16].try_into().ok()?;
    let minute_local = match last.0 {
        Some((seen, local)) if seen == minute => local,
        _ => {
            let y = fixed_digits(&t[0..4])?;
            let mo = fixed_digits(&t[5..7])?;
            let d = fixed_digits(&t[8..10])?;
            let h = fixed_digits(&t[11..13])?;
            let mi = fixed_digits(&t[14..16])?;
            if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 {
                return None;
            }
            let local = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60;
            last.0 = Some((minute, local));
            local
        }
    };
    let s = fixed_digits(&t[17..19])?;
    let micros = fixed_digits(&t[20..26])?;
    if s > 60 {
        return None;
    }
    Some(EventTime::from_unix(local_to_utc(minute_local + s), micros))
}

/// `local_to_utc` turns a local wall-clock time (seconds, as if UTC) into
/// the instant; times with their own zone and epoch times do not need it.
fn parse(text: &[u8], local_to_utc: impl Fn(i64) -> i64, last: &mut LastMinute) -> Option<EventTime> {
    let t = trim(text);
    parse_fixed(t, &local_to_utc, last).or_else(|| parse_any(t, local_to_utc))
}

/// Every form [`parse_time`] takes, from trimmed text.
fn parse_any(mut t: &[u8], local_to_utc: impl Fn(i64) -> i64) -> Option<EventTime> {
    if let Some(inner) = t.strip_prefix(b"{ts ").and_then(|r| r.strip_suffix(b"}")) {
        t = trim(inner);
        t = t.strip_prefix(b"'").and_then(|r| r.strip_suffix(b"'")).unwrap_or(t);
    }
    if t.len() >= 10 && t[4] == b'-' && t[7] == b'-' {
        let y = digits(&t[..4])?;
        let mo = digits(&t[5..7])?;
        let d = digits(&t[8..10])?;
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
            return None;
        }
        let (mut secs, rest) = if t.len() >= 19 && (t[10] == b' ' || t[10] == b'T') && t[13] == b':' && t[16] == b':' {
            let (h, mi, s) = (digits(&t[11..13])?, digits(&t[14..16])?, digits(&t[17..19])?);
            if h > 23 || mi > 59 || s > 60 {
                return None;
            }
            (h * 3600 + mi * 60 + s, &t[19..])
        } else if t.len() == 10 {
            (0, &t[10..])
        } else {
            return None;
        };
        secs += days_from_civil(y, mo, d) * 86_400;
        let (micros, rest) = match rest.strip_prefix(b".") {
            Some(r) => {
                let end = r.iter().position(|c| !c.is_ascii_digit()).unwrap_or(r.len());
                (fraction(&r[..end])?, &r[end..])
            }
            None => (0, rest),
        };
        let utc = if trim(rest).is_empty() { local_to_utc(secs) } else { secs - zone(rest)? };
        return Some(EventTime::from_unix(utc, micros));
    }
    let (whole, frac) = match t.iter().position(|&c| c == b'.') {
        Some(i) => (&t[..i], &t[i + 1..]),
        None => (t, &t[t.len()..]),
    };
    let (negative, whole) = match whole.strip_prefix(b"-") {
        Some(w) => (true, w),
        None => (false, whole),
    };
    let secs = digits(whole)?;
    let micros = if frac.is_empty() { 0 } else { fraction(frac)? };
    Some(if negative { EventTime(-(secs * 1_000_000 + micros)) } else { EventTime::from_unix(secs, micros) })
}

/// A fixed zone as `--tz` takes it: `UTC`, `Z`, `+03`, `-04:00`, `+0530`.
pub fn parse_zone(text: &str) -> Option<i64> {
    zone(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str, offset: i64) -> Option<(i64, i64)> {
        parse_time(s.as_bytes(), offset).map(|t| (t.unix_secs(), t.micros()))
    }

    #[test]
    fn local_times_take_the_given_zone() {
        assert_eq!(t("2024-06-10 09:39:05.104233", 0), Some((1_718_012_345, 104_233)));
        assert_eq!(t("2024-06-10 12:39:05.104233", 3 * 3600), Some((1_718_012_345, 104_233)));
        assert_eq!(t("2024-06-10T09:39:05", 0), Some((1_718_012_345, 0)));
        assert_eq!(t("2013-01-01 11:02:38.5", 0).map(|x| x.1), Some(500_000));
    }

    #[test]
    fn a_zone_suffix_wins_over_the_given_zone() {
        assert_eq!(t("2024-09-24 09:37:44.351668-04", 3 * 3600), Some((1_727_185_064, 351_668)));
        assert_eq!(t("2024-09-24 13:37:44+00:00", 7200), Some((1_727_185_064, 0)));
        assert_eq!(t("2024-09-24 17:07:44.1+0330", 0), Some((1_727_185_064, 100_000)));
    }

    #[test]
    fn epoch_and_odbc_forms() {
        assert_eq!(t("1718012345.104233", 3 * 3600), Some((1_718_012_345, 104_233)));
        assert_eq!(t("1718012345", 0), Some((1_718_012_345, 0)));
        assert_eq!(t("{ts '2024-06-10 09:39:05.104233'}", 0), Some((1_718_012_345, 104_233)));
    }

    /// A small deterministic generator (xorshift), so the test needs no crate.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// A fixed-form time with some fields out of range, now and then a byte
    /// replaced by one the form does not expect.
    fn random_fixed_time(rng: &mut Rng) -> Vec<u8> {
        let text = format!(
            "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}.{:06}",
            rng.below(10_000),
            rng.below(14),
            rng.below(33),
            if rng.below(2) == 0 { ' ' } else { 'T' },
            rng.below(26),
            rng.below(62),
            rng.below(62),
            rng.below(1_000_000),
        );
        let mut bytes = text.into_bytes();
        if rng.below(3) == 0 {
            let at = rng.below(26) as usize;
            bytes[at] = b"0123456789-: T./+Zx\xff"[rng.below(20) as usize];
        }
        bytes
    }

    #[test]
    fn the_fixed_form_fast_path_agrees_with_the_general_path() {
        let zone = Zone::fixed(3 * 3600);
        let local_to_utc = |local| zone.local_to_utc(local);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut taken, mut same_minute) = (0, 0);
        let mut last = LastMinute::default();
        let mut previous = Vec::new();
        for _ in 0..200_000 {
            let mut raw = random_fixed_time(&mut rng);
            // Half the times are in the minute before's (as written, valid
            // or not), so the remembered minute is used too.
            if rng.below(2) == 0 && previous.len() >= 16 && raw.len() >= 16 {
                raw[..16].copy_from_slice(&previous[..16]);
            }
            let text = trim(&raw);
            let hit = last.0.is_some_and(|(minute, _)| text.get(..16) == Some(&minute[..]));
            // Whatever the fast path leaves (other forms, invalid times) the
            // general path decides; whatever it takes, it must read the same.
            if let Some(fast) = parse_fixed(text, local_to_utc, &mut last) {
                taken += 1;
                same_minute += usize::from(hit);
                assert_eq!(Some(fast), parse_any(text, local_to_utc), "{}", String::from_utf8_lossy(text));
            }
            previous = raw;
        }
        assert!(taken > 50_000 && same_minute > 20_000, "the fast path took {taken} times, {same_minute} remembered");
        for other in ["2024-06-10 09:39:05.1042331", "2024-06-10 09:39:05.10423", "2024-06-10 09:39:05+03:00"] {
            assert_eq!(parse_fixed(other.as_bytes(), local_to_utc, &mut last), None, "{other}");
        }
    }

    #[test]
    fn garbage_is_refused() {
        for bad in ["yesterday", "", "2024-13-01 00:00:00", "2024-06-10 25:00:00", "2024-06-10 09:39:05 PST", "1.2.3"] {
            assert_eq!(t(bad, 0), None, "{bad}");
        }
        assert_eq!(parse_zone("+03:00"), Some(10_800));
        assert_eq!(parse_zone("UTC"), Some(0));
        assert_eq!(parse_zone("Moscow"), None);
    }
}
