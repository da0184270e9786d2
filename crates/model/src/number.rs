//! Phone numbers as the contract carries them (`from`, `to`, `trunk`, and each
//! item of `entity.phones`), and the prefix settings that produce `base` and
//! `variants` from the number Asterisk gave.

use serde::{Deserialize, Serialize};

/// A number object: the original as Asterisk gave it, the number without
/// prefixes, the customized form, and the spellings the connector searches.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Number {
    /// The number without prefixes.
    pub base: String,
    /// The number after auto-replacement and/or `process_client_phone`, or `""` when none applied.
    pub custom: String,
    /// The number is internal (an extension).
    pub is_local: bool,
    /// The number exactly as Asterisk gave it.
    pub original: String,
    /// `base`, then `prefix + base` for every prefix of the connector's settings, in settings order.
    pub variants: Vec<String>,
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
        let base = self.base(original).to_owned();
        let variants = if original.is_empty() {
            Vec::new()
        } else if is_local {
            vec![base.clone()]
        } else {
            // Concatenated by hand: `format!` here was a tenth of assembling a call.
            let prefixed = |p: &String| {
                let mut v = String::with_capacity(p.len() + base.len());
                v.push_str(p);
                v.push_str(&base);
                v
            };
            std::iter::once(base.clone()).chain(self.prefixes.iter().map(prefixed)).collect()
        };
        Number { base, custom: custom.to_owned(), is_local, original: original.to_owned(), variants }
    }
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
        assert_eq!((n.base.as_str(), n.variants.as_slice()), ("101", &["101".to_owned()][..]));
        assert_eq!(n.effective(), "101");
        assert!(PrefixSettings::default().number("8").is_local, "a one-digit extension is not a prefix");
    }

    #[test]
    fn empty_number_has_no_variants() {
        let n = PrefixSettings::default().number("");
        assert_eq!(n, Number::default());
    }
}
