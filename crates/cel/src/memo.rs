//! A [`Lookup`] that remembers the numbers it was asked about, for a
//! long single-threaded run (an import) whose calls keep meeting the same
//! trunk numbers, extensions and clients.

use std::cell::RefCell;
use std::collections::HashMap;

use callfull_model::{Number, User};
use compact_str::CompactString;
use rustc_hash::FxBuildHasher;

use crate::assemble::{Binding, BindingRequest, Lookup};

/// Answers kept before the memo starts over: memory stays bounded on an
/// export with millions of client numbers, and the numbers that recur
/// (trunks, extensions) are back after a few calls.
const CAPACITY: usize = 4096;

type Memo<V> = RefCell<HashMap<CompactString, V, FxBuildHasher>>;

/// `inner` with its answers to [`Lookup::number`] and [`Lookup::is_internal`]
/// remembered. A number object costs a dozen strings and a few lookups to
/// build, and a call asks for the same numbers channel after channel.
///
/// The memo is only correct for a lookup whose answers depend on the number
/// alone, as every lookup of a fixed world does. It is not `Sync`: one per
/// thread.
pub struct MemoLookup<'l, L: Lookup + ?Sized> {
    inner: &'l L,
    numbers: Memo<Number>,
    internal: Memo<bool>,
}

impl<'l, L: Lookup + ?Sized> MemoLookup<'l, L> {
    /// `inner`, remembered.
    pub fn new(inner: &'l L) -> Self {
        MemoLookup { inner, numbers: Memo::default(), internal: Memo::default() }
    }
}

/// The memo's answer for `key`, else `compute`'s, remembered.
fn remembered<V: Clone>(memo: &Memo<V>, key: &str, compute: impl FnOnce() -> V) -> V {
    if let Some(value) = memo.borrow().get(key) {
        return value.clone();
    }
    let value = compute();
    let mut memo = memo.borrow_mut();
    if memo.len() >= CAPACITY {
        memo.clear();
    }
    memo.insert(key.into(), value.clone());
    value
}

impl<L: Lookup + ?Sized> Lookup for MemoLookup<'_, L> {
    fn number(&self, original: &str) -> Number {
        remembered(&self.numbers, original, || self.inner.number(original))
    }

    fn is_internal(&self, number: &str) -> bool {
        remembered(&self.internal, number, || self.inner.is_internal(number))
    }

    fn trunk_did(&self, endpoint: &str) -> Option<String> {
        self.inner.trunk_did(endpoint)
    }

    fn user(&self, number: &str) -> Option<User> {
        self.inner.user(number)
    }

    fn is_trunk_context(&self, context: &str) -> bool {
        self.inner.is_trunk_context(context)
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
    use std::cell::Cell;

    use super::*;

    /// Counts the numbers it builds.
    #[derive(Default)]
    struct Counting {
        built: Cell<usize>,
    }

    impl Lookup for Counting {
        fn number(&self, original: &str) -> Number {
            self.built.set(self.built.get() + 1);
            Number { original: original.into(), is_local: original.len() <= 3, ..Number::default() }
        }
        fn trunk_did(&self, _: &str) -> Option<String> {
            None
        }
        fn user(&self, _: &str) -> Option<User> {
            None
        }
        fn binding(&self, _: &BindingRequest<'_>) -> Binding {
            Binding::default()
        }
    }

    #[test]
    fn a_number_is_built_once_and_answered_the_same() {
        let inner = Counting::default();
        let memo = MemoLookup::new(&inner);
        assert_eq!(memo.number("101"), inner.number("101"));
        let built = inner.built.get();
        assert_eq!(memo.number("101"), memo.number("101"));
        assert_eq!(inner.built.get(), built, "answered from the memo");
        assert!(memo.is_internal("101") && !memo.is_internal("+79161234567"));
    }

    #[test]
    fn the_memo_stays_bounded() {
        let inner = Counting::default();
        let memo = MemoLookup::new(&inner);
        for i in 0..CAPACITY * 3 {
            assert_eq!(memo.number(&i.to_string()).original, i.to_string());
        }
        assert!(memo.numbers.borrow().len() <= CAPACITY);
    }
}
