//! List filters, order and paging as Bitrix24 list methods apply them
//! (`bitrix24-rest.md` §1.4, §2.1, §3.3): operator prefixes `=`, `!`/`!=`,
//! `>`, `>=`, `<`, `<=`, `@` (in), `!@`, `%` (substring); array values mean
//! "any of"; pages of 50 with `total` and `next`.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Value};

/// Bitrix24's fixed page size.
pub const PAGE: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    NotIn,
    Like,
    NotLike,
}

fn split_op(key: &str) -> (Op, &str) {
    for (prefix, op) in [
        ("!=%", Op::NotLike),
        ("!%", Op::NotLike),
        ("!@", Op::NotIn),
        ("!=", Op::Ne),
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("=%", Op::Like),
        ("%=", Op::Like),
        ("!", Op::Ne),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("@", Op::In),
        ("%", Op::Like),
        ("=", Op::Eq),
    ] {
        if let Some(field) = key.strip_prefix(prefix) {
            return (op, field);
        }
    }
    (Op::Eq, key)
}

/// A value as text for comparing: strings as they are, numbers and bools
/// the way PHP casts them (`true` → `"Y"` for Bitrix24's Y/N fields).
fn text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "Y" } else { "N" })),
        _ => None,
    }
}

/// Whether any value `record` holds for `field` passes `test`: a scalar,
/// each item of a list, or each `VALUE` of a multi-field (`PHONE`, `EMAIL`).
fn any_value(record: &Map<String, Value>, field: &str, mut test: impl FnMut(&str) -> bool) -> bool {
    match record.get(field) {
        None | Some(Value::Null) => false,
        Some(Value::Array(items)) => items.iter().any(|item| {
            let value = match item {
                Value::Object(o) => o.get("VALUE").and_then(text),
                other => text(other),
            };
            value.is_some_and(|v| test(&v))
        }),
        Some(v) => text(v).is_some_and(|v| test(&v)),
    }
}

/// The first value `record` holds for `field` (for sorting).
fn first_value<'a>(record: &'a Map<String, Value>, field: &str) -> Option<Cow<'a, str>> {
    match record.get(field)? {
        Value::Array(items) => items.iter().find_map(|item| match item {
            Value::Object(o) => o.get("VALUE").and_then(text),
            other => text(other),
        }),
        v => text(v),
    }
}

fn wanted(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().filter_map(text).map(Cow::into_owned).collect(),
        other => text(other).map(Cow::into_owned).into_iter().collect(),
    }
}

fn compare(a: &str, b: &str) -> Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

/// One condition of a filter, read once for every record it is tested on.
struct Condition {
    op: Op,
    /// The field as the caller wrote it (after the operator) and upper-cased.
    field: String,
    want: Vec<String>,
    /// `want` lower-cased, for `%` (substring) conditions.
    want_lower: Vec<String>,
}

/// A list filter (`{"=ID": 1, "%NAME": "ан", "@ID": [1, 2]}`), parsed once.
pub struct Filter(Vec<Condition>);

impl Filter {
    /// Reads `filter`'s keys (operator prefix + field) and wanted values.
    pub fn new(filter: &Map<String, Value>) -> Self {
        Filter(
            filter
                .iter()
                .map(|(key, want)| {
                    let (op, field) = split_op(key);
                    let want = wanted(want);
                    let want_lower = if matches!(op, Op::Like | Op::NotLike) {
                        want.iter().map(|w| w.to_lowercase()).collect()
                    } else {
                        Vec::new()
                    };
                    Condition { op, field: field.to_ascii_uppercase(), want, want_lower }
                })
                .collect(),
        )
    }

    /// Whether `record` passes every condition.
    pub fn matches(&self, record: &Map<String, Value>) -> bool {
        self.0.iter().all(|c| {
            let field = c.field.as_str();
            let eq = |h: &str| c.want.iter().any(|w| w.eq_ignore_ascii_case(h) || normalized_eq(field, h, w));
            let like = |h: &str| {
                let h = h.to_lowercase();
                c.want_lower.iter().any(|w| h.contains(w.as_str()))
            };
            match c.op {
                Op::Eq | Op::In => c.want.is_empty() || any_value(record, field, eq),
                Op::Ne | Op::NotIn => !any_value(record, field, eq),
                Op::Like => any_value(record, field, like),
                Op::NotLike => !any_value(record, field, like),
                Op::Gt | Op::Ge | Op::Lt | Op::Le => any_value(record, field, |h| {
                    c.want.iter().any(|w| {
                        let o = compare(h, w);
                        match c.op {
                            Op::Gt => o == Ordering::Greater,
                            Op::Ge => o != Ordering::Less,
                            Op::Lt => o == Ordering::Less,
                            _ => o != Ordering::Greater,
                        }
                    })
                }),
            }
        })
    }
}

/// Whether `record` passes every condition of `filter`.
pub fn matches(record: &Map<String, Value>, filter: &Map<String, Value>) -> bool {
    Filter::new(filter).matches(record)
}

/// `ACTIVE` as the user filter reads it: `N` is inactive, any other value
/// PHP counts as true (`"true"`, `"True"`, `"1"`, even `"false"`) is `Y`,
/// and `""`/`"0"` are `N`.
fn normalized_eq(field: &str, have: &str, want: &str) -> bool {
    if !field.eq_ignore_ascii_case("ACTIVE") {
        return false;
    }
    let want = if want == "N" || !php_truthy(&Value::String(want.to_owned())) { "N" } else { "Y" };
    have == want
}

/// PHP's truthiness of a request value: `""`, `"0"`, `0`, `false`, `null`
/// and empty lists are false; everything else (`"false"`, `"N"` too) is true.
pub fn php_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !(s.is_empty() || s == "0"),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// Sorts by `order` (`{FIELD: "ASC"|"DESC"}`), then by `ID` ascending.
pub fn sort(records: &mut [&Map<String, Value>], order: &[(String, bool)]) {
    records.sort_by(|a, b| {
        for (field, descending) in order {
            let o = match (first_value(a, field), first_value(b, field)) {
                (Some(x), Some(y)) => compare(&x, &y),
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (None, None) => Ordering::Equal,
            };
            let o = if *descending { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        compare(&first_value(a, "ID").unwrap_or_default(), &first_value(b, "ID").unwrap_or_default())
    });
}

/// The order of a list call: `{"ID": "DESC"}` maps, in the order given.
pub fn order_of(value: Option<&Value>) -> Vec<(String, bool)> {
    match value {
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), v.as_str().is_some_and(|d| d.eq_ignore_ascii_case("DESC"))))
            .collect(),
        _ => Vec::new(),
    }
}

/// `start` as Bitrix24 reads it (a number or a numeric string; -1 turns counting off).
pub fn start_of(value: Option<&Value>) -> i64 {
    match value {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

/// One page of a list: the rows, `total` (absent when counting is off) and `next`.
pub struct Page<T> {
    /// The rows of this page.
    pub rows: Vec<T>,
    /// How many rows match in all.
    pub total: Option<usize>,
    /// The `start` of the next page, when there is one.
    pub next: Option<usize>,
}

/// Cuts page `start` out of `rows`.
pub fn page<T>(rows: Vec<T>, start: i64) -> Page<T> {
    let total = rows.len();
    if start < 0 {
        return Page { rows: rows.into_iter().take(PAGE).collect(), total: None, next: None };
    }
    let offset = start as usize;
    let rows: Vec<T> = rows.into_iter().skip(offset).take(PAGE).collect();
    let end = offset + rows.len();
    Page { next: (end < total).then_some(end), total: Some(total), rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn operators_filter_as_bitrix24_does() {
        let r = rec(json!({"ID": "12", "NAME": "Анна", "ACTIVE": true, "UF_DEPARTMENT": [1, 3],
                            "PHONE": [{"ID": "1", "VALUE": "+79161234567", "VALUE_TYPE": "WORK", "TYPE_ID": "PHONE"}]}));
        let f = |v: Value| matches(&r, v.as_object().unwrap());
        assert!(f(json!({"ID": "12"})));
        assert!(f(json!({">ID": "9", "<=ID": 12})), "numeric, not text, comparison");
        assert!(!f(json!({"!ID": "12"})));
        assert!(f(json!({"@ID": ["1", "12"]})));
        assert!(f(json!({"%NAME": "нн"})));
        assert!(f(json!({"UF_DEPARTMENT": "3"})));
        assert!(f(json!({"ACTIVE": "true"})) && f(json!({"ACTIVE": true})));
        assert!(f(json!({"ACTIVE": "True"})) && f(json!({"ACTIVE": "false"})), "PHP-truthy means Y");
        assert!(!f(json!({"ACTIVE": "N"})) && !f(json!({"ACTIVE": "0"})) && !f(json!({"ACTIVE": false})));
        assert!(f(json!({"PHONE": "+79161234567"})) && !f(json!({"PHONE": "89161234567"})), "PHONE is exact");
    }

    #[test]
    fn pages_have_total_and_next() {
        let p = page((0..120).collect(), 50);
        assert_eq!((p.rows.len(), p.total, p.next), (50, Some(120), Some(100)));
        let p = page((0..120).collect(), 100);
        assert_eq!((p.rows.len(), p.total, p.next), (20, Some(120), None));
        let p = page((0..120).collect::<Vec<i32>>(), -1);
        assert_eq!((p.rows.len(), p.total, p.next), (50, None, None));
    }
}
