//! The contract's date-time: `YYYY-MM-DD HH:MM:SS` in the Asterisk server's
//! local time, with `0001-01-01 00:00:00` meaning "did not happen".
//!
//! Implementation notes: the value is kept as whole seconds since
//! `0001-01-01 00:00:00` of the proleptic Gregorian calendar, so the zero
//! value of the contract (Go's zero `time.Time`, which the connector prints)
//! is literally `0`, ordering is integer ordering, and adding a ring time is
//! an addition. There is no time zone: the contract has none.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A wall-clock date and time with one-second resolution, or the zero value.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(i64);

/// Why a string is not a contract date-time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateTimeError {
    /// The text is not shaped `YYYY-MM-DD HH:MM:SS`.
    #[error("not in the form YYYY-MM-DD HH:MM:SS")]
    Format,
    /// The shape is right but the date or time does not exist.
    #[error("no such date or time: {0}")]
    OutOfRange(&'static str),
}

const SECS_PER_DAY: i64 = 86_400;
/// Days from 0000-03-01 (the epoch of the civil algorithm below) to 0001-01-01.
const DAYS_TO_YEAR_ONE: i64 = 306;
/// Seconds from 0001-01-01 to 1970-01-01.
const UNIX_EPOCH_SECS: i64 = 719_162 * SECS_PER_DAY;

impl DateTime {
    /// `0001-01-01 00:00:00`: the event did not happen.
    pub const ZERO: DateTime = DateTime(0);
    /// The canonical text of [`DateTime::ZERO`].
    pub const ZERO_STR: &'static str = "0001-01-01 00:00:00";

    /// Builds a date-time from its parts, checking that it exists.
    pub fn from_ymd_hms(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
    ) -> Result<DateTime, DateTimeError> {
        if !(1..=9999).contains(&year) {
            return Err(DateTimeError::OutOfRange("year must be 0001..9999"));
        }
        if !(1..=12).contains(&month) {
            return Err(DateTimeError::OutOfRange("month must be 01..12"));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateTimeError::OutOfRange("day is not in that month"));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(DateTimeError::OutOfRange("time must be 00:00:00..23:59:59"));
        }
        let days = days_from_civil(year, month, day) - DAYS_TO_YEAR_ONE;
        let secs = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        Ok(DateTime(days * SECS_PER_DAY + secs))
    }

    /// The local wall-clock time of a Unix timestamp shifted by
    /// `utc_offset_secs` (the Asterisk server's zone offset).
    pub fn from_unix(unix_secs: i64, utc_offset_secs: i64) -> DateTime {
        DateTime(unix_secs + utc_offset_secs + UNIX_EPOCH_SECS)
    }

    /// Whether this is the zero value ("did not happen").
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `Some(self)` unless this is the zero value.
    pub fn get(self) -> Option<DateTime> {
        (!self.is_zero()).then_some(self)
    }

    /// Seconds since `0001-01-01 00:00:00`.
    pub fn seconds_since_year_one(self) -> i64 {
        self.0
    }

    /// This time plus `secs` seconds.
    pub fn plus_seconds(self, secs: i64) -> DateTime {
        DateTime(self.0 + secs)
    }

    /// Whole seconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn seconds_since(self, earlier: DateTime) -> i64 {
        self.0 - earlier.0
    }

    /// `(year, month, day, hour, minute, second)`.
    pub fn parts(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(SECS_PER_DAY);
        let secs = self.0.rem_euclid(SECS_PER_DAY);
        let (y, m, d) = civil_from_days(days + DAYS_TO_YEAR_ONE);
        let secs = secs as u32;
        (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
    }

    /// Parses exactly `YYYY-MM-DD HH:MM:SS` (no zone, no fraction).
    pub fn parse(text: &str) -> Result<DateTime, DateTimeError> {
        let b = text.as_bytes();
        if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
            return Err(DateTimeError::Format);
        }
        let num = |range: std::ops::Range<usize>| -> Result<u32, DateTimeError> {
            b[range].iter().try_fold(0u32, |acc, &c| {
                if c.is_ascii_digit() { Ok(acc * 10 + u32::from(c - b'0')) } else { Err(DateTimeError::Format) }
            })
        };
        DateTime::from_ymd_hms(i64::from(num(0..4)?), num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's `days_from_civil`, counted from 0000-03-01.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let era = days.div_euclid(146_097);
    let doe = days - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.parts();
        write!(f, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DateTime({self})")
    }
}

impl FromStr for DateTime {
    type Err = DateTimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DateTime::parse(s)
    }
}

impl DateTime {
    /// The 19 bytes of `YYYY-MM-DD HH:MM:SS`, without going through `fmt`
    /// (serializing times is a large part of printing a payload).
    pub fn to_bytes(self) -> [u8; 19] {
        let (y, mo, d, h, mi, s) = self.parts();
        let mut b = *b"0000-00-00 00:00:00";
        let y = y.clamp(0, 9999) as u32;
        let two = |b: &mut [u8], at: usize, v: u32| {
            b[at] = b'0' + (v / 10 % 10) as u8;
            b[at + 1] = b'0' + (v % 10) as u8;
        };
        two(&mut b, 0, y / 100);
        two(&mut b, 2, y % 100);
        two(&mut b, 5, mo);
        two(&mut b, 8, d);
        two(&mut b, 11, h);
        two(&mut b, 14, mi);
        two(&mut b, 17, s);
        b
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bytes = self.to_bytes();
        // The buffer holds ASCII digits and separators only.
        serializer.serialize_str(std::str::from_utf8(&bytes).unwrap_or(DateTime::ZERO_STR))
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        DateTime::parse(&text).map_err(|e| serde::de::Error::custom(format_args!("datetime {text:?}: {e}")))
    }
}

/// The pattern a contract date-time matches in the JSON Schema: the shape and
/// field ranges (a regular expression cannot know that 2023-02-29 does not exist;
/// the validator's rule R02 does).
pub const DATETIME_PATTERN: &str =
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$";

impl schemars::JsonSchema for DateTime {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DateTime".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "YYYY-MM-DD HH:MM:SS in the Asterisk server's time zone; 0001-01-01 00:00:00 when the event did not happen",
            "pattern": DATETIME_PATTERN,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_value_is_year_one_midnight() {
        assert_eq!(DateTime::ZERO.to_string(), DateTime::ZERO_STR);
        assert_eq!(DateTime::parse(DateTime::ZERO_STR), Ok(DateTime::ZERO));
        assert!(DateTime::ZERO.is_zero());
    }

    #[test]
    fn unix_epoch_converts() {
        assert_eq!(DateTime::from_unix(0, 0).to_string(), "1970-01-01 00:00:00");
        assert_eq!(DateTime::from_unix(1_764_064_800, 3 * 3600).to_string(), "2025-11-25 13:00:00");
    }

    #[test]
    fn parse_and_print_round_trip_across_calendar_edges() {
        for text in [
            "2024-02-29 23:59:59",
            "2000-02-29 00:00:00",
            "1999-12-31 23:59:59",
            "9999-12-31 23:59:59",
            "0001-03-01 12:00:00",
            "2026-11-25 10:00:01",
        ] {
            assert_eq!(DateTime::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn non_dates_are_refused() {
        for text in ["2023-02-29 00:00:00", "1900-02-29 00:00:00", "2024-04-31 00:00:00", "2024-13-01 00:00:00"] {
            assert!(matches!(DateTime::parse(text), Err(DateTimeError::OutOfRange(_))), "{text}");
        }
        for text in ["2024-01-01T00:00:00", "2024-01-01 00:00", "", "2024-01-01 00:00:00Z", "２０２４-01-01 00:00:0"]
        {
            assert_eq!(DateTime::parse(text), Err(DateTimeError::Format), "{text}");
        }
    }

    #[test]
    fn serializing_matches_display() {
        for text in ["0001-01-01 00:00:00", "2026-11-25 09:05:07", "9999-12-31 23:59:59"] {
            let t = DateTime::parse(text).unwrap();
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{t}\""));
        }
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        let mut t = DateTime::parse("1900-01-01 00:00:00").unwrap();
        let mut previous = t;
        for _ in 0..146_097 {
            let text = t.to_string();
            assert_eq!(DateTime::parse(&text), Ok(t), "{text}");
            previous = t;
            t = t.plus_seconds(SECS_PER_DAY);
        }
        assert_eq!(previous.to_string(), "2299-12-31 00:00:00");
    }
}
