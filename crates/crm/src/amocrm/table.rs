//! One kind of record (contacts, companies or leads) as stored, and an index
//! of what lists, searches and the call attach rule read of it: built on the
//! first read after a write, dropped by every write to that table (and only
//! that table), so reads never walk the records as JSON maps.

use std::cell::OnceCell;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::search::{digits, phone_key, phones_of};

/// A stored record: the object `GET` returns, before `with=` expansions.
pub type Record = Map<String, Value>;

/// The records of one kind, in creation order. Serialized as the bare array.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Table {
    rows: Vec<Record>,
    #[serde(skip)]
    index: OnceCell<Index>,
}

impl From<Vec<Record>> for Table {
    fn from(rows: Vec<Record>) -> Self {
        Table { rows, index: OnceCell::new() }
    }
}

impl FromIterator<Record> for Table {
    fn from_iter<I: IntoIterator<Item = Record>>(records: I) -> Self {
        Table::from(records.into_iter().collect::<Vec<_>>())
    }
}

impl std::ops::Deref for Table {
    type Target = [Record];

    fn deref(&self) -> &[Record] {
        &self.rows
    }
}

impl Table {
    /// What reads look at, built if a write dropped it.
    pub(crate) fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::of(&self.rows))
    }

    /// The position of the record with `id`.
    pub(crate) fn position(&self, id: u64) -> Option<usize> {
        self.index().positions.get(&id).copied()
    }

    /// The record with `id`.
    pub fn by_id(&self, id: u64) -> Option<&Record> {
        self.position(id).map(|at| &self.rows[at])
    }

    /// Adds `record` at the end.
    pub fn push(&mut self, record: Record) {
        self.index.take();
        self.rows.push(record);
    }

    /// The record with `id`, to change.
    pub fn by_id_mut(&mut self, id: u64) -> Option<&mut Record> {
        let at = self.position(id)?;
        self.index.take();
        Some(&mut self.rows[at])
    }
}

/// What reads need of one record, read once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Row {
    pub id: u64,
    pub is_unsorted: bool,
    pub is_deleted: bool,
    pub created_at: u64,
    pub updated_at: u64,
    pub responsible_user_id: u64,
    pub pipeline_id: u64,
    pub status_id: u64,
    /// `name`, trimmed and lower-cased (`filter[name]`).
    pub name_key: String,
    /// The digits of each PHONE value.
    pub phones: Vec<String>,
    /// Ids in `_embedded.contacts` / `_embedded.companies` (the stored direction of a link).
    pub contacts: Vec<u64>,
    pub companies: Vec<u64>,
}

impl Row {
    fn of(record: &Record) -> Self {
        let int = |key: &str| record.get(key).and_then(Value::as_u64).unwrap_or(0);
        let flag = |key: &str| record.get(key).and_then(Value::as_bool).unwrap_or(false);
        let linked = |key: &str| -> Vec<u64> {
            record
                .get("_embedded")
                .and_then(|e| e.get(key))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| r.get("id").and_then(Value::as_u64))
                .collect()
        };
        Row {
            id: int("id"),
            is_unsorted: flag("is_unsorted"),
            is_deleted: flag("is_deleted"),
            created_at: int("created_at"),
            updated_at: int("updated_at"),
            responsible_user_id: int("responsible_user_id"),
            pipeline_id: int("pipeline_id"),
            status_id: int("status_id"),
            name_key: record.get("name").and_then(Value::as_str).unwrap_or_default().trim().to_lowercase(),
            phones: phones_of(record).map(digits).collect(),
            contacts: linked("contacts"),
            companies: linked("companies"),
        }
    }

    /// The value of `order[field]` (`id`, `created_at`, `updated_at`).
    pub fn order_key(&self, field: &str) -> u64 {
        match field {
            "created_at" => self.created_at,
            "updated_at" => self.updated_at,
            _ => self.id,
        }
    }
}

/// Searchable text of every record, one string with `starts` marking where
/// each record's part begins, so a substring search is one pass.
#[derive(Debug, Clone, Default)]
struct Haystack {
    text: String,
    starts: Vec<usize>,
}

impl Haystack {
    fn push(&mut self, part: &str) {
        self.starts.push(self.text.len());
        self.text.push_str(part);
        // Parts never run into each other: no query holds this byte.
        self.text.push('\u{1}');
    }

    /// Marks in `hits` the records whose part contains `needle`.
    fn find(&self, needle: &str, hits: &mut [bool]) {
        if needle.is_empty() || needle.contains('\u{1}') {
            return;
        }
        for at in memchr::memmem::find_iter(self.text.as_bytes(), needle.as_bytes()) {
            let row = self.starts.partition_point(|&s| s <= at) - 1;
            hits[row] = true;
        }
    }
}

/// The index of a table.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    pub rows: Vec<Row>,
    positions: HashMap<u64, usize>,
    /// Phone key (last 10 digits, or all of a shorter number) → positions, ascending.
    phones: HashMap<String, Vec<usize>>,
    /// `name`, `first_name`, `last_name` and every field value, as written…
    text: Haystack,
    /// …and lower-cased.
    lower: Haystack,
}

impl Index {
    fn of(records: &[Record]) -> Self {
        let mut index = Index { rows: Vec::with_capacity(records.len()), ..Index::default() };
        for (at, record) in records.iter().enumerate() {
            let row = Row::of(record);
            index.positions.entry(row.id).or_insert(at);
            for phone in &row.phones {
                let positions = index.phones.entry(phone_key(phone)).or_default();
                if positions.last() != Some(&at) {
                    positions.push(at);
                }
            }
            let text = searchable_text(record);
            index.lower.push(&text.to_lowercase());
            index.text.push(&text);
            index.rows.push(row);
        }
        index
    }

    /// Positions of the records holding `phone` in any spelling (same phone key).
    pub fn holding_phone(&self, phone: &str) -> &[usize] {
        let key = phone_key(phone);
        if key.is_empty() {
            return &[];
        }
        self.phones.get(&key).map_or(&[], Vec::as_slice)
    }

    /// Marks the records whose phone digits end with `suffix` (7–10 digits).
    pub fn phone_suffix(&self, suffix: &str, hits: &mut [bool]) {
        if suffix.len() == 10 {
            // A 10-digit suffix is the phone key itself.
            for &at in self.phones.get(suffix).into_iter().flatten() {
                hits[at] = true;
            }
            return;
        }
        for (at, row) in self.rows.iter().enumerate() {
            if row.phones.iter().any(|p| p.ends_with(suffix)) {
                hits[at] = true;
            }
        }
    }

    /// Marks the records with `needle` in their text, as written (`caseless`
    /// needles have no letters) or lower-cased.
    pub fn text_containing(&self, needle: &str, caseless: bool, hits: &mut [bool]) {
        if caseless { self.text.find(needle, hits) } else { self.lower.find(&needle.to_lowercase(), hits) }
    }
}

/// `name`, `first_name`, `last_name` and every field value, `\0`-joined.
fn searchable_text(record: &Record) -> String {
    let mut parts: Vec<String> = ["name", "first_name", "last_name"]
        .into_iter()
        .filter_map(|k| record.get(k).and_then(Value::as_str).map(str::to_owned))
        .collect();
    let values = record
        .get("custom_fields_values")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| f.get("values").and_then(Value::as_array))
        .flatten()
        .filter_map(|v| v.get("value"));
    for value in values {
        match value {
            Value::String(s) => parts.push(s.clone()),
            Value::Number(n) => parts.push(n.to_string()),
            _ => {}
        }
    }
    parts.join("\0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(v: Value) -> Record {
        v.as_object().cloned().unwrap_or_default()
    }

    fn table() -> Table {
        Table::from(vec![
            record(json!({"id": 5, "name": "Иван Петров", "custom_fields_values": [
                {"field_code": "PHONE", "values": [{"value": "+7 (916) 123-45-67"}, {"value": "101"}]}]})),
            record(json!({"id": 9, "name": "ООО «Ромашка»", "custom_fields_values": [
                {"field_code": "PHONE", "values": [{"value": "8 916 123 45 67"}]},
                {"field_code": "EMAIL", "values": [{"value": "Info@Romashka.by"}]}]})),
        ])
    }

    #[test]
    fn one_number_in_any_spelling_finds_every_record_holding_it() {
        let table = table();
        let index = table.index();
        assert_eq!(index.holding_phone("+79161234567"), [0, 1]);
        assert_eq!(index.holding_phone("9161234567"), [0, 1]);
        assert_eq!(index.holding_phone("101"), [0]);
        assert!(index.holding_phone("102").is_empty() && index.holding_phone("").is_empty());
    }

    #[test]
    fn text_hits_name_the_records_they_fall_in_never_across_two() {
        let table = table();
        let mut hits = vec![false; 2];
        table.index().text_containing("ромашка", false, &mut hits);
        assert_eq!(hits, [false, true]);
        let mut hits = vec![false; 2];
        // "101" ends record 0 and "ООО" starts record 1: a needle spanning
        // the separator finds nothing.
        table.index().text_containing("101\u{1}ООО", true, &mut hits);
        table.index().text_containing("INFO@", false, &mut hits);
        assert_eq!(hits, [false, true]);
    }

    #[test]
    fn a_write_drops_the_index_and_the_next_read_sees_it() {
        let mut table = table();
        assert_eq!(table.by_id(9).and_then(|r| r.get("name")), Some(&json!("ООО «Ромашка»")));
        table.push(record(json!({"id": 11, "name": "Новый", "custom_fields_values": [
            {"field_code": "PHONE", "values": [{"value": "9161234567"}]}]})));
        assert_eq!(table.index().holding_phone("89161234567"), [0, 1, 2]);
        if let Some(r) = table.by_id_mut(5) {
            r.insert("custom_fields_values".into(), Value::Null);
        }
        assert_eq!(table.index().holding_phone("89161234567"), [1, 2]);
        assert_eq!(table.position(11), Some(2));
    }

    #[test]
    fn it_is_stored_as_the_bare_array() {
        let text = serde_json::to_string(&table()).unwrap_or_default();
        assert!(text.starts_with("[{\"id\":5"), "{text}");
        let back: Table = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back.len(), 2);
    }
}
