//! An append-only list kept in fixed-size chunks. Pushing never moves what
//! is stored: a plain `Vec` doubles by copying everything it holds, and with
//! a million calls logged that copy (tens of megabytes, under the CRM's
//! lock) stalls every request waiting for the lock.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Items per chunk.
const CHUNK: usize = 4096;

/// Items in the order they were pushed. Serialized as a plain array.
#[derive(Debug, Clone)]
pub struct Log<T> {
    chunks: Vec<Vec<T>>,
}

impl<T> Default for Log<T> {
    fn default() -> Self {
        Log { chunks: Vec::new() }
    }
}

impl<T> Log<T> {
    /// Adds `item` at the end.
    pub fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(item),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push(chunk);
            }
        }
    }

    /// How many items there are.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// The items, oldest first (`.rev()` for newest first).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T> FromIterator<T> for Log<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut log = Log::default();
        for item in items {
            log.push(item);
        }
        log
    }
}

impl<T: Serialize> Serialize for Log<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Log<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<T>::deserialize(deserializer)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_keep_their_order_across_chunks_and_through_json() {
        let log: Log<usize> = (0..CHUNK * 2 + 3).collect();
        assert_eq!(log.len(), CHUNK * 2 + 3);
        assert_eq!(log.chunks.len(), 3);
        assert!(log.iter().copied().eq(0..CHUNK * 2 + 3));
        assert_eq!(log.iter().next_back(), Some(&(CHUNK * 2 + 2)));
        let text = serde_json::to_string(&log).unwrap_or_default();
        let back: Log<usize> = serde_json::from_str(&text).unwrap_or_default();
        assert!(back.iter().eq(log.iter()));
        assert!(
            Log::<u8>::default().is_empty()
                && serde_json::to_string(&Log::<u8>::default()).ok().as_deref() == Some("[]")
        );
    }
}
