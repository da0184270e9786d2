//! Phone numbers as people type them into a CRM, and how the world tells two
//! spellings of one number apart from two numbers.
//!
//! Every Russian number here is kept as its 10-digit national significant
//! number (`9161234567`, `4952250101`): that is what the phone book checks
//! for uniqueness and what lookups compare. [`format()`] spells it the ways
//! people type it; [`normalize`] takes a typed number back to `+` and digits.

use std::collections::BTreeSet;

use rand::RngExt;
use rand::seq::IndexedRandom;

use crate::locale::{City, MOBILE_CODES};

const LOCAL: u64 = 10_000_000;

/// The digits of `text`, in order.
pub fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The key amoCRM matches a phone by: its last 10 digits (all of them when
/// fewer), so `+7 916…`, `8 916…` and `916…` are one number.
pub fn phone_key(text: &str) -> String {
    let d = digits(text);
    d[d.len().saturating_sub(10)..].to_owned()
}

/// The number as stored, with its extension ("доб. 101", "ext. 12", ", 12")
/// cut off, reduced to an optional leading `+` and digits:
/// `"+7 (916) 777-55-33"` → `"+79167775533"`,
/// `"+7 (495) 225-01-01 доб. 101"` → `"+74952250101"`.
pub fn normalize(stored: &str) -> String {
    let main = main_part(stored);
    let mut out = String::with_capacity(main.len());
    if main.trim_start().starts_with('+') {
        out.push('+');
    }
    out.extend(main.chars().filter(char::is_ascii_digit));
    out
}

/// The extension written after the number ("доб. 101" → `Some("101")`).
pub fn extension_of(stored: &str) -> Option<&str> {
    let rest = &stored[main_part(stored).len()..];
    let digits = rest.trim_start_matches(|c: char| !c.is_ascii_digit());
    let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
    (end > 0).then(|| &digits[..end])
}

/// Everything before the first letter, `,`, `;` or `#`.
fn main_part(stored: &str) -> &str {
    let is_end = |c: char| c.is_alphabetic() || matches!(c, ',' | ';' | '#');
    // ASCII first, byte by byte: the numbers Asterisk gives are digits.
    let ascii_end = stored.bytes().position(|b| !b.is_ascii() || is_end(char::from(b)));
    let end = match ascii_end {
        None => stored.len(),
        Some(i) if stored.as_bytes()[i].is_ascii() => i,
        Some(i) => stored[i..].find(is_end).map_or(stored.len(), |j| i + j),
    };
    &stored[..end]
}

/// The 10-digit national number of a Russian number in any spelling
/// (`+7…`, `7…`, `8…` with 11 digits, or 10 digits), extension ignored.
/// `None` for extensions, short local numbers and foreign numbers.
pub fn national(number: &str) -> Option<u64> {
    let mut digits = [0u8; 11];
    let mut len = 0;
    for b in main_part(number).bytes().filter(u8::is_ascii_digit) {
        if len == digits.len() {
            return None;
        }
        digits[len] = b - b'0';
        len += 1;
    }
    let significant = match len {
        11 if matches!(digits[0], 7 | 8) => &digits[1..11],
        10 => &digits[..10],
        _ => return None,
    };
    Some(significant.iter().fold(0u64, |acc, d| acc * 10 + u64::from(*d)))
}

/// Whether a national number is a mobile one (+7 9xx).
pub fn is_mobile(national: u64) -> bool {
    national / LOCAL / 100 == 9
}

/// How a number is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `+79161234567`
    E164,
    /// `+7 (916) 123-45-67`
    PlusParens,
    /// `+7 916 123-45-67`
    PlusSpaced,
    /// `+7 916 123 45 67`
    PlusBlocks,
    /// `89161234567`
    Eight,
    /// `8 (916) 123-45-67`
    EightParens,
    /// `8 916 123-45-67`
    EightSpaced,
    /// `8-916-123-45-67`
    EightDashes,
    /// `79161234567`
    Seven,
}

impl Style {
    /// Every style.
    pub const ALL: [Style; 9] = [
        Style::E164,
        Style::PlusParens,
        Style::PlusSpaced,
        Style::PlusBlocks,
        Style::Eight,
        Style::EightParens,
        Style::EightSpaced,
        Style::EightDashes,
        Style::Seven,
    ];

    /// A style people use, the common ones more often.
    pub fn random<R: RngExt + ?Sized>(rng: &mut R) -> Style {
        const WEIGHTED: [Style; 16] = [
            Style::E164,
            Style::E164,
            Style::E164,
            Style::PlusParens,
            Style::PlusParens,
            Style::PlusParens,
            Style::PlusSpaced,
            Style::PlusBlocks,
            Style::Eight,
            Style::Eight,
            Style::Eight,
            Style::EightParens,
            Style::EightSpaced,
            Style::EightSpaced,
            Style::EightDashes,
            Style::Seven,
        ];
        WEIGHTED.choose(rng).copied().unwrap_or(Style::E164)
    }
}

/// Spells a 10-digit national number in `style`.
pub fn format(national: u64, style: Style) -> String {
    let code = national / LOCAL;
    let local = national % LOCAL;
    let (a, b, c) = (local / 10_000, local / 100 % 100, local % 100);
    match style {
        Style::E164 => format!("+7{national:010}"),
        Style::PlusParens => format!("+7 ({code:03}) {a:03}-{b:02}-{c:02}"),
        Style::PlusSpaced => format!("+7 {code:03} {a:03}-{b:02}-{c:02}"),
        Style::PlusBlocks => format!("+7 {code:03} {a:03} {b:02} {c:02}"),
        Style::Eight => format!("8{national:010}"),
        Style::EightParens => format!("8 ({code:03}) {a:03}-{b:02}-{c:02}"),
        Style::EightSpaced => format!("8 {code:03} {a:03}-{b:02}-{c:02}"),
        Style::EightDashes => format!("8-{code:03}-{a:03}-{b:02}-{c:02}"),
        Style::Seven => format!("7{national:010}"),
    }
}

/// The numbers already given out, so that every number in the world is
/// unique (lookups by number are then unambiguous).
#[derive(Debug, Default, Clone)]
pub(crate) struct PhoneBook {
    taken: BTreeSet<u64>,
}

impl PhoneBook {
    /// Marks `national` taken; false if it already was.
    pub(crate) fn take(&mut self, national: u64) -> bool {
        self.taken.insert(national)
    }

    /// A new mobile number (+7 9xx).
    pub(crate) fn mobile<R: RngExt + ?Sized>(&mut self, rng: &mut R) -> u64 {
        loop {
            let code: u64 = MOBILE_CODES.choose(rng).and_then(|c| c.parse().ok()).unwrap_or(916);
            let n = code * LOCAL + rng.random_range(0..LOCAL);
            if self.take(n) {
                return n;
            }
        }
    }

    /// A new land-line number in `city` (local part not starting with 0 or 1).
    pub(crate) fn city<R: RngExt + ?Sized>(&mut self, rng: &mut R, city: &City) -> u64 {
        loop {
            let code: u64 = city.codes.choose(rng).and_then(|c| c.parse().ok()).unwrap_or(495);
            let n = code * LOCAL + rng.random_range(2 * LOCAL / 10..LOCAL);
            if self.take(n) {
                return n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_style_normalizes_to_the_same_national_number() {
        for n in [9_161_234_567u64, 4_952_250_101, 8_121_000_009] {
            for style in Style::ALL {
                let text = format(n, style);
                assert_eq!(national(&text), Some(n), "{text}");
                let normalized = normalize(&text);
                assert!(normalized.len() == 11 || normalized.len() == 12, "{normalized}");
            }
        }
        assert_eq!(format(9_161_234_567, Style::PlusParens), "+7 (916) 123-45-67");
        assert_eq!(format(4_950_000_101, Style::EightSpaced), "8 495 000-01-01");
    }

    #[test]
    fn normalize_cuts_extensions() {
        assert_eq!(normalize("+7 (916) 777-55-33"), "+79167775533");
        assert_eq!(normalize("+7 (495) 225-01-01 доб. 101"), "+74952250101");
        assert_eq!(normalize("8 495 123-45-67 ext. 12"), "84951234567");
        assert_eq!(normalize("101"), "101");
        assert_eq!(extension_of("+7 (495) 225-01-01 доб. 101"), Some("101"));
        assert_eq!(extension_of("+7 (495) 225-01-01"), None);
    }

    #[test]
    fn national_numbers() {
        assert_eq!(national("+79001234567"), Some(9_001_234_567));
        assert_eq!(national("89001234567"), Some(9_001_234_567));
        assert_eq!(national("9001234567"), Some(9_001_234_567));
        assert_eq!(national("101"), None);
        assert_eq!(national("2250101"), None);
        assert_eq!(national("+380441234567"), None);
        assert_eq!(national("+7 (495) 225-01-01 доб. 101"), Some(4_952_250_101));
        assert!(is_mobile(9_001_234_567) && !is_mobile(4_952_250_101));
    }
}
