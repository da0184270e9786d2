//! Which numbers are extensions and which endpoints are trunks, as a user
//! describes their PBX on the command line, on top of another [`Lookup`].

use callfull_model::{Number, User};

use crate::assemble::{Binding, BindingRequest, Lookup};

/// A number or endpoint pattern: Asterisk's dialplan form when it starts with
/// `_` (`X` a digit, `Z` 1–9, `N` 2–9, `[1-5a]` a class, `.` one or more of
/// anything, `!` zero or more), otherwise a glob (`*` any run, `?` one
/// character), case-insensitive; a pattern with neither is a literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    dialplan: bool,
}

impl Pattern {
    /// The pattern `text` (see the type's docs).
    pub fn new(text: &str) -> Pattern {
        let text = text.trim();
        match text.strip_prefix('_') {
            Some(rest) => Pattern { text: rest.to_ascii_lowercase(), dialplan: true },
            None => Pattern { text: text.to_ascii_lowercase(), dialplan: false },
        }
    }

    /// Patterns from a comma-separated list (empty items dropped).
    pub fn list(text: &str) -> Vec<Pattern> {
        text.split(',').filter(|p| !p.trim().is_empty()).map(Pattern::new).collect()
    }

    /// Whether `subject` matches the whole pattern (the pattern is lower
    /// case; the subject is lowered byte by byte as it is compared).
    pub fn matches(&self, subject: &str) -> bool {
        if self.dialplan {
            dialplan(self.text.as_bytes(), subject.as_bytes())
        } else {
            glob(self.text.as_bytes(), subject.as_bytes())
        }
    }
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && glob(rest, &s[1..]),
        Some((c, rest)) => s.first().map(u8::to_ascii_lowercase) == Some(*c) && glob(rest, &s[1..]),
    }
}

fn dialplan(p: &[u8], s: &[u8]) -> bool {
    let Some((&c, rest)) = p.split_first() else { return s.is_empty() };
    match c {
        b'.' => (1..=s.len()).any(|i| dialplan(rest, &s[i..])),
        b'!' => (0..=s.len()).any(|i| dialplan(rest, &s[i..])),
        b'[' => {
            let end = rest.iter().position(|&b| b == b']').unwrap_or(rest.len());
            let class = &rest[..end];
            let after = rest.get(end + 1..).unwrap_or(&[]);
            let Some(first) = s.first().map(u8::to_ascii_lowercase) else { return false };
            let mut i = 0;
            let mut hit = false;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= (class[i]..=class[i + 2]).contains(&first);
                    i += 3;
                } else {
                    hit |= class[i] == first;
                    i += 1;
                }
            }
            hit && dialplan(after, &s[1..])
        }
        _ => {
            let Some(first) = s.first().map(u8::to_ascii_lowercase) else { return false };
            let ok = match c {
                b'x' => first.is_ascii_digit(),
                b'z' => (b'1'..=b'9').contains(&first),
                b'n' => (b'2'..=b'9').contains(&first),
                _ => c == first,
            };
            ok && dialplan(rest, &s[1..])
        }
    }
}

/// A [`Lookup`] that also counts numbers matching `extensions` as internal
/// and endpoints matching `trunks` as trunks (with no DID known), for real
/// exports whose PBX the world does not describe.
pub struct PatternLookup<L> {
    inner: L,
    extensions: Vec<Pattern>,
    trunks: Vec<Pattern>,
    trunk_contexts: Vec<Pattern>,
}

impl<L: Lookup> PatternLookup<L> {
    /// `inner` plus the given patterns.
    pub fn new(inner: L, extensions: Vec<Pattern>, trunks: Vec<Pattern>) -> Self {
        PatternLookup { inner, extensions, trunks, trunk_contexts: Vec::new() }
    }

    /// Also counts channels whose first row is in a context matching these
    /// as trunks (`from-extern*`).
    #[must_use]
    pub fn trunk_contexts(mut self, contexts: Vec<Pattern>) -> Self {
        self.trunk_contexts = contexts;
        self
    }

    fn extension(&self, number: &str) -> bool {
        !number.is_empty() && self.extensions.iter().any(|p| p.matches(number))
    }
}

impl<L: Lookup> Lookup for PatternLookup<L> {
    fn number(&self, original: &str) -> Number {
        let mut number = self.inner.number(original);
        if !number.is_local && self.extension(original) {
            number.is_local = true;
        }
        number
    }

    fn trunk_did(&self, endpoint: &str) -> Option<String> {
        self.inner.trunk_did(endpoint).or_else(|| self.trunks.iter().any(|p| p.matches(endpoint)).then(String::new))
    }

    fn user(&self, number: &str) -> Option<User> {
        self.inner.user(number)
    }

    fn is_trunk_context(&self, context: &str) -> bool {
        self.inner.is_trunk_context(context)
            || (!context.is_empty() && self.trunk_contexts.iter().any(|p| p.matches(context)))
    }

    fn is_internal(&self, number: &str) -> bool {
        self.inner.is_internal(number) || self.extension(number)
    }

    fn is_employee(&self, number: &str) -> bool {
        self.inner.is_employee(number)
    }

    fn binding(&self, request: &BindingRequest<'_>) -> Binding {
        self.inner.binding(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialplan_patterns() {
        let p = Pattern::new("_1XXX");
        assert!(p.matches("1002") && !p.matches("2002") && !p.matches("10020"));
        assert!(Pattern::new("_NXX").matches("201") && !Pattern::new("_NXX").matches("101"));
        assert!(Pattern::new("_[1-3]4.").matches("245") && !Pattern::new("_[1-3]4.").matches("24"));
        assert!(Pattern::new("_4!").matches("4"));
    }

    #[test]
    fn globs_and_literals() {
        assert!(Pattern::new("*trunk*").matches("SIP-Trunk-1"));
        assert!(Pattern::new("gw?").matches("gw1") && !Pattern::new("gw?").matches("gw12"));
        assert_eq!(Pattern::list("a, ,_1X"), [Pattern::new("a"), Pattern::new("_1X")]);
    }
}
