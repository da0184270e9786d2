//! The record every reader fills: one row's fields as bytes.

use std::ops::Range;

/// The byte between two fields in [`Record`]'s buffer (any ASCII byte would
/// do: what matters is that it is one byte and not part of UTF-8 sequences).
const SEPARATOR: u8 = b',';

/// One row's fields as bytes, reused from row to row so that reading costs
/// no allocation once the buffers have grown.
///
/// The fields sit in one buffer, one separator byte apart, so the whole
/// buffer is UTF-8 exactly when every field is: a row needs one UTF-8 check,
/// and the CSV reader can leave an unquoted line where it read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    buf: Vec<u8>,
    /// Where each field ends in `buf`; a field starts one byte after the
    /// previous one's end (the first at 0).
    ends: Vec<usize>,
}

impl Record {
    /// An empty record.
    pub fn new() -> Record {
        Record::default()
    }

    /// A record of these fields.
    pub fn from_fields<'a>(fields: impl IntoIterator<Item = &'a [u8]>) -> Record {
        let mut record = Record::new();
        for field in fields {
            record.push_field(field);
        }
        record
    }

    /// Drops every field (keeping the buffers).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
    }

    /// How many fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no field.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.range(i).map(|r| &self.buf[r])
    }

    /// Where field `i` sits in [`Record::as_bytes`].
    #[inline]
    pub fn range(&self, i: usize) -> Option<Range<usize>> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        Some(start..end)
    }

    /// The fields.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Every field, one separator byte apart.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Appends a field.
    pub fn push_field(&mut self, field: &[u8]) {
        self.start_field();
        self.buf.extend_from_slice(field);
        self.end_field();
    }

    /// Starts a field that the reader then writes into [`Record::buf`] and
    /// ends with [`Record::end_field`].
    pub(crate) fn start_field(&mut self) {
        if !self.ends.is_empty() {
            self.buf.push(SEPARATOR);
        }
    }

    /// Ends the field written since [`Record::start_field`].
    pub(crate) fn end_field(&mut self) {
        self.ends.push(self.buf.len());
    }

    /// The buffer, for readers that fill it in place.
    pub(crate) fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// The buffer and the field ends, for the CSV reader, which splits a
    /// line where it read it. The caller keeps the layout: fields one
    /// byte apart, the last one ending at the end of the buffer.
    pub(crate) fn parts(&mut self) -> (&mut Vec<u8>, &mut Vec<usize>) {
        (&mut self.buf, &mut self.ends)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_back_as_pushed() {
        let mut r = Record::from_fields([&b"a"[..], b"", b"ccc"]);
        assert_eq!(r.len(), 3);
        assert_eq!(r.iter().collect::<Vec<_>>(), [&b"a"[..], b"", b"ccc"]);
        assert_eq!(r.range(2), Some(3..6));
        assert_eq!(r.get(3), None);
        r.clear();
        assert!(r.is_empty());
        r.push_field(b"");
        assert_eq!(r.get(0), Some(&b""[..]));
    }
}
