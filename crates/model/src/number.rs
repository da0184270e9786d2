//! Phone numbers as the contract carries them (`from`, `to`, `trunk`, and each
//! item of `entity.phones`), and the prefix settings that produce `base` and
//! `variants` from the number Asterisk gave.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// A number object: the original as Asterisk gave it, the number without
/// prefixes, the customized form, and the spellings the connector searches.
// The strings are `CompactString`s (read them as `&str`): a phone number fits
// in one inline (up to 24 bytes), so a number costs one allocation, for its
// variants, where `String`s cost ten; a call holds a dozen numbers. (A plain
// comment: doc comments become the JSON Schema's description.)
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Number {
    /// The number without prefixes.
    #[schemars(with = "String")]
    pub base: CompactString,
    /// The number after auto-replacement and/or `process_client_phone`, or `""` when none applied.
    #[schemars(with = "String")]
    pub custom: CompactString,
    /// The number is internal (an extension).
    pub is_local: bool,
    /// The number exactly as Asterisk gave it.
    #[schemars(with = "String")]
    pub original: CompactString,
    /// `base`, then `prefix + base` for every prefix of the connector's settings, in settings order.
    #[schemars(with = "Vec<String>")]
    pub variants: Vec<CompactString>,
}

impl Number {
    /// The number the connector uses: `custom` when it is set, else `original`.
    pub fn effective(&self) -> &str {
        if self.custom.is_empty() { &self.original } else { &self.custom }
    }
}

/// The connector's number settings: the prefix list and how long an internal
/// number may be.
///
/// The vendor prints no settings; `["+7495", "8495", "+7", "7", "8"]` is the list
/// that reproduces its `to` example exactly (see `docs/ASSUMPTIONS.md`, A-NUM-1..3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixSettings {
    /// Prefixes in settings order.
    pub prefixes: Vec<String>,
    /// Numbers of up to this many digits are extensions (`is_local`). Default 4.
    pub max_extension_digits: usize,
}

impl Default for PrefixSettings {
    fn default() -> Self {
        PrefixSettings::new(["+7495", "8495", "+7", "7", "8"])
    }
}

impl PrefixSettings {
    /// Settings with these prefixes and extensions of up to 4 digits.
    pub fn new<I, S>(prefixes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        PrefixSettings { prefixes: prefixes.into_iter().map(Into::into).collect(), max_extension_digits: 4 }
    }

    /// Whether `original` is an internal number: non-empty, only digits (and
    /// `*`/`#` feature codes), at most [`max_extension_digits`](Self::max_extension_digits) long.
    pub fn is_internal(&self, original: &str) -> bool {
        !original.is_empty()
            && original.len() <= self.max_extension_digits
            && original.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
    }

    /// `original` with the longest matching prefix removed; internal and
    /// empty numbers, and numbers that are nothing but a prefix, stay whole.
    pub fn base<'a>(&self, original: &'a str) -> &'a str {
        if self.is_internal(original) {
            return original;
        }
        self.prefixes
            .iter()
            .filter(|p| original.len() > p.len() && original.starts_with(p.as_str()))
            .max_by_key(|p| p.len())
            .map_or(original, |p| &original[p.len()..])
    }

    /// The number object for `original`, with `custom` left empty.
    pub fn number(&self, original: &str) -> Number {
        self.number_with_custom(original, "")
    }

    /// The number object for `original` whose customized form is `custom`.
    pub fn number_with_custom(&self, original: &str, custom: &str) -> Number {
        let is_local = self.is_internal(original);
        let base = CompactString::new(self.base(original));
        let variants = if original.is_empty() {
            Vec::new()
        } else if is_local {
            vec![base.clone()]
        } else {
            let mut variants = Vec::with_capacity(1 + self.prefixes.len());
            variants.push(base.clone());
            variants.extend(self.prefixes.iter().map(|p| concat(p, &base)));
            variants
        };
        Number { base, custom: CompactString::new(custom), is_local, original: CompactString::new(original), variants }
    }
}

/// `a` then `b`. Concatenated on the stack when the result fits inline:
/// `format!`, or pushing onto a `CompactString`, was a tenth of assembling a call.
fn concat(a: &str, b: &str) -> CompactString {
    let len = a.len() + b.len();
    let mut buf = [0u8; 24];
    if len > buf.len() {
        let mut long = String::with_capacity(len);
        long.push_str(a);
        long.push_str(b);
        return long.into();
    }
    buf[..a.len()].copy_from_slice(a.as_bytes());
    buf[a.len()..len].copy_from_slice(b.as_bytes());
    // SAFETY: the bytes are two whole `str`s one after the other, so UTF-8.
    unsafe { CompactString::from_utf8_unchecked(&buf[..len]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_to_example_is_reproduced_exactly() {
        let settings = PrefixSettings::default();
        let to = settings.number_with_custom("+79001234567", "89001234567");
        let json = serde_json::to_string(&to).unwrap();
        assert_eq!(
            json,
            r#"{"base":"9001234567","custom":"89001234567","is_local":false,"original":"+79001234567","variants":["9001234567","+74959001234567","84959001234567","+79001234567","79001234567","89001234567"]}"#
        );
        assert_eq!(to.effective(), "89001234567");
    }

    #[test]
    fn longest_prefix_wins() {
        let settings = PrefixSettings::default();
        assert_eq!(settings.base("84951234567"), "1234567");
        assert_eq!(settings.base("+74951234567"), "1234567");
        assert_eq!(settings.base("89001234567"), "9001234567");
        assert_eq!(settings.base("79001234567"), "9001234567");
        assert_eq!(settings.base("9001234567"), "9001234567");
    }

    #[test]
    fn extensions_keep_their_number_and_one_variant() {
        let n = PrefixSettings::default().number("101");
        assert!(n.is_local);
        assert_eq!((n.base.as_str(), n.variants.as_slice()), ("101", &[CompactString::from("101")][..]));
        assert_eq!(n.effective(), "101");
        assert!(PrefixSettings::default().number("8").is_local, "a one-digit extension is not a prefix");
    }

    #[test]
    fn concat_joins_short_and_long_strings() {
        assert_eq!(concat("+7495", "9001234567"), "+74959001234567");
        assert_eq!(concat("", ""), "");
        let long = "1234567890".repeat(3);
        assert_eq!(concat("+7", &long), format!("+7{long}"));
        assert_eq!(concat("пре", "фикс"), "префикс");
    }

    #[test]
    fn empty_number_has_no_variants() {
        let n = PrefixSettings::default().number("");
        assert_eq!(n, Number::default());
    }
}
