//! Contacts, companies and leads (`amocrm-api.md` §3): HAL lists with
//! `query` (phones by their last 7–10 digits, text by substring), `filter[…]`,
//! `order[…]` and `with=` expansions; one record by id; batch add and update
//! with per-item `validation-errors`.
//!
//! Links are stored one way — a contact names its company
//! (`_embedded.companies`), a lead its contacts and company — and the other
//! way (a company's contacts and leads, a contact's leads) is derived on
//! every read, so the two sides never disagree.

use serde_json::{Map, Value, json};

use super::table::{Row, Table};
use super::{AmoAnswer, AmoError, Ctx, Records, Req, hal, search};

/// Which records a route serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Contacts,
    Companies,
    Leads,
}

impl Kind {
    /// `contacts`, `companies`, `leads`: the path and the `_embedded` key.
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Contacts => "contacts",
            Kind::Companies => "companies",
            Kind::Leads => "leads",
        }
    }

    pub(super) fn of(self, records: &Records) -> &Table {
        match self {
            Kind::Contacts => &records.contacts,
            Kind::Companies => &records.companies,
            Kind::Leads => &records.leads,
        }
    }

    fn of_mut(self, records: &mut Records) -> &mut Table {
        match self {
            Kind::Contacts => &mut records.contacts,
            Kind::Companies => &mut records.companies,
            Kind::Leads => &mut records.leads,
        }
    }
}

macro_rules! handlers {
    ($kind:expr, $list:ident, $get:ident, $add:ident, $update:ident, $update_one:ident) => {
        pub(super) fn $list(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
            list(ctx, req, $kind)
        }
        pub(super) fn $get(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
            get(ctx, req, $kind)
        }
        pub(super) fn $add(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
            add(ctx, req, $kind)
        }
        pub(super) fn $update(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
            update(ctx, req, $kind)
        }
        pub(super) fn $update_one(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
            update_one(ctx, req, $kind)
        }
    };
}

handlers!(Kind::Contacts, contacts_list, contacts_get, contacts_add, contacts_update, contacts_update_one);
handlers!(Kind::Companies, companies_list, companies_get, companies_add, companies_update, companies_update_one);
handlers!(Kind::Leads, leads_list, leads_get, leads_add, leads_update, leads_update_one);

/// The `id` of a record.
pub(super) fn id_of(record: &Map<String, Value>) -> u64 {
    record.get("id").and_then(Value::as_u64).unwrap_or(0)
}

/// `{"self": {"href": …/api/v4/{path}}}`.
pub(super) fn links(ctx: &Ctx<'_>, path: &str) -> Value {
    json!({ "self": { "href": ctx.href(path) } })
}

/// `{id, _links}`: how one record names another in `_embedded`.
pub(super) fn reference(ctx: &Ctx<'_>, kind: Kind, id: u64) -> Value {
    json!({ "id": id, "_links": links(ctx, &format!("{}/{id}", kind.name())) })
}

/// The token's user: the account's administrator (`current_user_id`).
pub(super) fn current_user(ctx: &Ctx<'_>) -> u64 {
    let world = ctx.account.world();
    world.employees.iter().find(|e| e.is_admin()).or(world.employees.first()).map_or(0, |e| e.amo_id)
}

/// One `{code, path, detail}` of a `validation-errors` block.
pub(super) fn problem(code: &str, path: &str, detail: &str) -> Value {
    json!({ "code": code, "path": path, "detail": detail })
}

pub(super) const NOT_A_CHOICE: &str = "The value you selected is not a valid choice.";

/// A 400 `validation-errors` for a problem with the query string.
fn bad_query(code: &str, path: &str, detail: &str) -> AmoError {
    AmoError::validation(vec![json!({ "request_id": "0", "errors": [problem(code, path, detail)] })])
}

fn with_of(req: &Req<'_>) -> Vec<String> {
    match req.query.get("with") {
        Some(Value::String(w)) => w.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------- reading --

/// What a client sees of `record`: the stored object plus the `with=`
/// expansions (a lead's contacts only with `with=contacts`).
fn view(ctx: &Ctx<'_>, kind: Kind, record: &Map<String, Value>, with: &[String]) -> Value {
    let mut out = record.clone();
    let id = id_of(record);
    let wants = |name: &str| with.iter().any(|w| w == name);
    let mut embedded = match out.remove("_embedded") {
        Some(Value::Object(e)) => e,
        _ => Map::new(),
    };
    let refs = |kind: Kind, ids: Vec<u64>| Value::Array(ids.into_iter().map(|i| reference(ctx, kind, i)).collect());
    // Links are stored on the lead (and on the contact, to its company).
    let linking = |kind: Kind, links: fn(&Row) -> &Vec<u64>| -> Vec<u64> {
        kind.of(ctx.records).index().rows.iter().filter(|r| links(r).contains(&id)).map(|r| r.id).collect()
    };
    match kind {
        Kind::Contacts => {
            if wants("leads") {
                embedded.insert("leads".into(), refs(Kind::Leads, linking(Kind::Leads, |r| &r.contacts)));
            }
            if wants("customers") {
                embedded.insert("customers".into(), json!([]));
            }
        }
        Kind::Companies => {
            if wants("leads") {
                embedded.insert("leads".into(), refs(Kind::Leads, linking(Kind::Leads, |r| &r.companies)));
            }
            if wants("contacts") {
                embedded.insert("contacts".into(), refs(Kind::Contacts, linking(Kind::Contacts, |r| &r.companies)));
            }
            if wants("customers") {
                embedded.insert("customers".into(), json!([]));
            }
        }
        Kind::Leads => {
            if !wants("contacts") {
                embedded.remove("contacts");
            }
            if wants("loss_reason") {
                embedded.insert("loss_reason".into(), json!([]));
            }
            if wants("is_price_modified_by_robot") {
                out.insert("is_price_modified_by_robot".into(), json!(false));
            }
            if wants("source_id") {
                out.insert("source_id".into(), Value::Null);
            }
        }
    }
    if wants("catalog_elements") {
        embedded.insert("catalog_elements".into(), json!([]));
    }
    out.insert("_embedded".into(), Value::Object(embedded));
    Value::Object(out)
}

/// A number of the query string (`filter[id]=5`): a string of digits.
fn number(value: &Value, path: &str) -> Result<u64, AmoError> {
    let parsed = match value {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    };
    parsed.ok_or_else(|| bad_query("InvalidType", path, "This value should be of type int."))
}

/// One number or several (`filter[id]=1`, `filter[id][]=1&filter[id][]=2`, `filter[id]=1,2`).
fn numbers(value: &Value, path: &str) -> Result<Vec<u64>, AmoError> {
    match value {
        Value::Array(items) => items.iter().map(|v| number(v, path)).collect(),
        Value::Object(items) => items.values().map(|v| number(v, path)).collect(),
        Value::String(s) => s.split(',').map(|p| number(&Value::String(p.to_owned()), path)).collect(),
        other => number(other, path).map(|n| vec![n]),
    }
}

/// `filter[created_at]=ts` or `[from]`/`[to]`: inclusive bounds.
fn range(value: &Value, path: &str) -> Result<(u64, u64), AmoError> {
    match value {
        Value::Object(bounds) => {
            let from = bounds.get("from").map(|v| number(v, &format!("{path}.from"))).transpose()?;
            let to = bounds.get("to").map(|v| number(v, &format!("{path}.to"))).transpose()?;
            Ok((from.unwrap_or(0), to.unwrap_or(u64::MAX)))
        }
        other => number(other, path).map(|n| (n, n)),
    }
}

#[derive(Default)]
struct Filter {
    ids: Option<Vec<u64>>,
    names: Option<Vec<String>>,
    created: Option<(u64, u64)>,
    updated: Option<(u64, u64)>,
    responsible: Option<Vec<u64>>,
    pipelines: Option<Vec<u64>>,
    /// `(pipeline_id, status_id)` pairs, either may be absent.
    statuses: Option<Vec<(Option<u64>, Option<u64>)>>,
}

impl Filter {
    fn parse(req: &Req<'_>, kind: Kind) -> Result<Filter, AmoError> {
        let mut filter = Filter::default();
        let Some(given) = req.query.get("filter") else { return Ok(filter) };
        let Value::Object(given) = given else {
            return Err(bad_query("InvalidType", "filter", "This value should be of type array."));
        };
        for (key, value) in given {
            let path = format!("filter.{key}");
            match key.as_str() {
                "id" => filter.ids = Some(numbers(value, &path)?),
                "name" => {
                    let names = match value {
                        Value::String(s) => vec![s.clone()],
                        Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                        Value::Object(items) => items.values().filter_map(Value::as_str).map(str::to_owned).collect(),
                        _ => Vec::new(),
                    };
                    filter.names = Some(names.iter().map(|n| n.trim().to_lowercase()).collect());
                }
                "created_at" => filter.created = Some(range(value, &path)?),
                "updated_at" => filter.updated = Some(range(value, &path)?),
                "responsible_user_id" => filter.responsible = Some(numbers(value, &path)?),
                "pipeline_id" if kind == Kind::Leads => filter.pipelines = Some(numbers(value, &path)?),
                "statuses" if kind == Kind::Leads => {
                    let items: Vec<&Value> = match value {
                        Value::Array(items) => items.iter().collect(),
                        Value::Object(items) => items.values().collect(),
                        _ => return Err(bad_query("InvalidType", &path, "This value should be of type array.")),
                    };
                    let mut pairs = Vec::new();
                    for (i, item) in items.into_iter().enumerate() {
                        let field =
                            |name: &str| item.get(name).map(|v| number(v, &format!("{path}.{i}.{name}"))).transpose();
                        pairs.push((field("pipeline_id")?, field("status_id")?));
                    }
                    filter.statuses = Some(pairs);
                }
                _ => {}
            }
        }
        Ok(filter)
    }

    fn admits(&self, row: &Row) -> bool {
        let within =
            |bounds: &Option<(u64, u64)>, value: u64| bounds.is_none_or(|(from, to)| (from..=to).contains(&value));
        let listed = |list: &Option<Vec<u64>>, value: u64| list.as_ref().is_none_or(|l| l.contains(&value));
        listed(&self.ids, row.id)
            && self.names.as_ref().is_none_or(|names| names.contains(&row.name_key))
            && within(&self.created, row.created_at)
            && within(&self.updated, row.updated_at)
            && listed(&self.responsible, row.responsible_user_id)
            && listed(&self.pipelines, row.pipeline_id)
            && self.statuses.as_ref().is_none_or(|pairs| {
                pairs
                    .iter()
                    .any(|(p, s)| p.is_none_or(|p| p == row.pipeline_id) && s.is_none_or(|s| s == row.status_id))
            })
    }
}

/// A full-text `query`, read once: a phone whose last 7–10 digits are the
/// query's (for a query of 7 digits or more), or the query as a
/// case-insensitive substring of the name or any field value, or the id.
struct Query {
    text: String,
    /// The last (up to) 10 digits, when the query has 7 or more.
    phone_suffix: Option<String>,
    /// The query has no letters: case does not matter.
    caseless: bool,
    id: Option<u64>,
}

impl Query {
    fn new(query: &str) -> Self {
        let text = query.trim().to_owned();
        let digits = search::digits(&text);
        let phone_suffix = (digits.len() >= 7).then(|| digits[digits.len().saturating_sub(10)..].to_owned());
        Query { phone_suffix, caseless: !text.chars().any(char::is_alphabetic), id: text.parse().ok(), text }
    }

    /// Whether each record of `table` answers the query (all do an empty one).
    fn answers(&self, table: &Table) -> Vec<bool> {
        let index = table.index();
        if self.text.is_empty() {
            return vec![true; index.rows.len()];
        }
        let mut hits = vec![false; index.rows.len()];
        if let Some(suffix) = &self.phone_suffix {
            index.phone_suffix(suffix, &mut hits);
        }
        index.text_containing(&self.text, self.caseless, &mut hits);
        if let Some(at) = self.id.and_then(|id| table.position(id)) {
            hits[at] = true;
        }
        hits
    }
}

/// `order[id|created_at|updated_at]=asc|desc`.
fn order_of(req: &Req<'_>) -> Result<Option<(String, bool)>, AmoError> {
    let Some(order) = req.query.get("order") else { return Ok(None) };
    let Value::Object(order) = order else {
        return Err(bad_query("InvalidType", "order", "This value should be of type array."));
    };
    let Some((field, direction)) = order.iter().next() else { return Ok(None) };
    if !matches!(field.as_str(), "id" | "created_at" | "updated_at") {
        return Err(bad_query("NotSupportedChoice", &format!("order.{field}"), NOT_A_CHOICE));
    }
    let descending = match direction.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("asc") => false,
        Some("desc") => true,
        _ => return Err(bad_query("NotSupportedChoice", &format!("order.{field}"), NOT_A_CHOICE)),
    };
    Ok(Some((field.clone(), descending)))
}

fn list(ctx: &mut Ctx<'_>, req: &Req<'_>, kind: Kind) -> Result<AmoAnswer, AmoError> {
    let ctx: &Ctx<'_> = ctx;
    let (page, limit) = hal::page_and_limit(req)?;
    let filter = Filter::parse(req, kind)?;
    let order = order_of(req)?;
    let query = match req.query.get("query") {
        None => Query::new(""),
        Some(Value::String(q)) => Query::new(q),
        Some(_) => return Err(bad_query("InvalidType", "query", "This value should be of type string.")),
    };
    let with = with_of(req);
    let only_deleted = kind == Kind::Leads && with.iter().any(|w| w == "only_deleted");
    let table = kind.of(ctx.records);
    let index = table.index();
    let answers = query.answers(table);
    let mut rows: Vec<usize> = (0..index.rows.len())
        .filter(|&at| answers[at])
        .filter(|&at| {
            let row = &index.rows[at];
            !row.is_unsorted && row.is_deleted == only_deleted && filter.admits(row)
        })
        .collect();
    if let Some((field, descending)) = order {
        rows.sort_by_key(|&at| index.rows[at].order_key(&field));
        if descending {
            rows.reverse();
        }
    }
    // Only the records on the page are rendered.
    let total = rows.len();
    let on_page = rows.into_iter().skip((page - 1).saturating_mul(limit)).take(limit);
    let items = on_page.map(|at| view(ctx, kind, &table[at], &with)).collect();
    hal::page(ctx, req, kind.name(), (page, limit), total, items, Map::new())
}

fn get(ctx: &mut Ctx<'_>, req: &Req<'_>, kind: Kind) -> Result<AmoAnswer, AmoError> {
    let ctx: &Ctx<'_> = ctx;
    let id: u64 = req.ids.first().and_then(|i| i.parse().ok()).unwrap_or(0);
    let with = with_of(req);
    match kind.of(ctx.records).by_id(id) {
        Some(record) => Ok(AmoAnswer::ok(view(ctx, kind, record, &with))),
        None => Ok(AmoAnswer::no_content()),
    }
}

// ---------------------------------------------------------------- writing --

/// A field's new block on a record (`None`: the field is cleared), by field id.
type FieldBlock = (u64, Option<Value>);

/// A tag named on a write: one the account has, or a new name.
#[derive(Debug, Clone)]
enum TagRef {
    Known(u64, String),
    New(String),
}

/// One item of a write, checked: what to set on the record.
#[derive(Debug, Default)]
pub(super) struct Draft {
    /// The item's `request_id` (`None`: not sent).
    pub request_id: Option<String>,
    /// `id` (updates).
    pub id: Option<u64>,
    /// Plain fields to set: `name`, `price`, `responsible_user_id`, timestamps…
    fields: Map<String, Value>,
    /// `custom_fields_values`: `None` not sent, `Some(None)` null, else field blocks by id.
    custom_fields: Option<Option<Vec<FieldBlock>>>,
    /// `_embedded.tags` (replace).
    tags: Option<Vec<TagRef>>,
    tags_to_add: Vec<TagRef>,
    tags_to_delete: Vec<TagRef>,
    /// `_embedded.companies` ids.
    pub companies: Option<Vec<u64>>,
    /// `_embedded.contacts` `(id, is_main)`.
    pub contacts: Option<Vec<(u64, Option<bool>)>>,
    /// A lead's `(pipeline_id, status_id)`.
    status: Option<(u64, u64)>,
}

/// Checks items against the account, collecting `{code, path, detail}`s.
pub(super) struct Checker<'c, 'a> {
    pub ctx: &'c Ctx<'a>,
    pub errors: Vec<Value>,
}

impl Checker<'_, '_> {
    fn fail(&mut self, code: &str, path: &str, detail: &str) {
        self.errors.push(problem(code, path, detail));
    }

    fn int(&mut self, value: &Value, path: &str, nullable: bool) -> Option<Value> {
        match value {
            Value::Number(n) if n.as_u64().is_some() => Some(value.clone()),
            Value::Null if nullable => Some(Value::Null),
            _ => {
                self.fail("InvalidType", path, "This value should be of type int.");
                None
            }
        }
    }

    fn user(&mut self, value: &Value, path: &str, zero_ok: bool) -> Option<Value> {
        let id = self.int(value, path, false)?.as_u64().unwrap_or(0);
        let known = (zero_ok && id == 0) || self.ctx.records.users.iter().any(|u| id_of(u) == id);
        if known {
            Some(json!(id))
        } else {
            self.fail("NotSupportedChoice", path, NOT_A_CHOICE);
            None
        }
    }

    fn text(&mut self, value: &Value, path: &str) -> Option<Value> {
        match value {
            Value::String(_) => Some(value.clone()),
            Value::Null => Some(json!("")),
            _ => {
                self.fail("InvalidType", path, "This value should be of type string.");
                None
            }
        }
    }

    fn list<'v>(&mut self, value: &'v Value, path: &str) -> Option<&'v Vec<Value>> {
        match value {
            Value::Array(items) => Some(items),
            _ => {
                self.fail("InvalidType", path, "This value should be of type array.");
                None
            }
        }
    }

    /// The ids of `[{id}, …]` that name existing records of `kind`.
    fn references(&mut self, value: &Value, path: &str, kind: Kind) -> Option<Vec<(u64, Option<bool>)>> {
        let items = self.list(value, path)?;
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Some(id) = item.get("id") else {
                self.fail("InvalidType", &format!("{path}.{i}.id"), "This value should be of type int.");
                continue;
            };
            let Some(id) = self.int(id, &format!("{path}.{i}.id"), false).and_then(|v| v.as_u64()) else {
                continue;
            };
            if !kind.of(self.ctx.records).iter().any(|r| id_of(r) == id) {
                self.fail("NotSupportedChoice", &format!("{path}.{i}.id"), NOT_A_CHOICE);
                continue;
            }
            let is_main = item.get("is_main").and_then(Value::as_bool);
            out.push((id, is_main));
        }
        Some(out)
    }

    fn tags(&mut self, value: &Value, path: &str, kind: Kind) -> Vec<TagRef> {
        let Some(items) = self.list(value, path) else { return Vec::new() };
        let world_tags = &self.ctx.account.world().amo.tags;
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match (item.get("id").and_then(Value::as_u64), item.get("name").and_then(Value::as_str).or(item.as_str())) {
                (Some(id), _) => match world_tags.iter().find(|(t, _)| *t == id) {
                    Some((_, name)) => out.push(TagRef::Known(id, name.clone())),
                    None => match known_tag(self.ctx.records, kind, |t| id_of(t) == id) {
                        Some(tag) => out.push(tag),
                        None => self.fail("NotSupportedChoice", &format!("{path}.{i}.id"), NOT_A_CHOICE),
                    },
                },
                (None, Some(name)) => {
                    let same = |t: &str| t.eq_ignore_ascii_case(name.trim());
                    let tag = world_tags
                        .iter()
                        .find(|(_, t)| same(t))
                        .map(|(id, t)| TagRef::Known(*id, t.clone()))
                        .or_else(|| {
                            known_tag(self.ctx.records, kind, |t| {
                                t.get("name").and_then(Value::as_str).is_some_and(same)
                            })
                        })
                        .unwrap_or_else(|| TagRef::New(name.trim().to_owned()));
                    out.push(tag);
                }
                (None, None) => {
                    self.fail("InvalidType", &format!("{path}.{i}"), "This value should be of type object.")
                }
            }
        }
        out
    }

    /// `custom_fields_values` of an item of `kind`.
    fn custom_fields(&mut self, value: &Value, kind: Kind, prefix: &str) -> Option<Option<Vec<FieldBlock>>> {
        let path = format!("{prefix}custom_fields_values");
        if value.is_null() {
            return Some(None);
        }
        let items = self.list(value, &path)?;
        let amo = &self.ctx.account.world().amo;
        let fields = match kind {
            Kind::Contacts => vec![&amo.phone_field, &amo.email_field, &amo.position_field],
            Kind::Companies => vec![&amo.phone_field, &amo.email_field, &amo.web_field],
            Kind::Leads => Vec::new(),
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{path}.{i}");
            let field = match (item.get("field_id"), item.get("field_code")) {
                (Some(Value::Number(id)), _) => {
                    let found = fields.iter().find(|f| id.as_u64() == Some(f.id));
                    if found.is_none() {
                        self.fail("NotSupportedChoice", &format!("{at}.field_id"), NOT_A_CHOICE);
                    }
                    found
                }
                (Some(_), _) => {
                    self.fail("InvalidType", &format!("{at}.field_id"), "This value should be of type int.");
                    None
                }
                (None, Some(Value::String(code))) => {
                    let found = fields.iter().find(|f| f.code.eq_ignore_ascii_case(code));
                    if found.is_none() {
                        self.fail("NotSupportedChoice", &format!("{at}.field_code"), NOT_A_CHOICE);
                    }
                    found
                }
                (None, Some(_)) => {
                    self.fail("InvalidType", &format!("{at}.field_code"), "This value should be of type string.");
                    None
                }
                (None, None) => {
                    self.fail("NotSupportedChoice", &format!("{at}.field_id"), NOT_A_CHOICE);
                    None
                }
            };
            let Some(field) = field else { continue };
            let values = match item.get("values") {
                None | Some(Value::Null) => {
                    out.push((field.id, None));
                    continue;
                }
                Some(v) => match self.list(v, &format!("{at}.values")) {
                    Some(v) => v,
                    None => continue,
                },
            };
            let mut stored = Vec::new();
            for (j, v) in values.iter().enumerate() {
                let vat = format!("{at}.values.{j}");
                let text = match v.get("value") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => {
                        self.fail("InvalidType", &format!("{vat}.value"), "This value should be of type string.");
                        continue;
                    }
                };
                if field.enums.is_empty() {
                    stored.push(json!({ "value": text }));
                    continue;
                }
                let chosen = match (v.get("enum_id"), v.get("enum_code")) {
                    (Some(Value::Number(id)), _) => field.enums.iter().find(|(_, e)| id.as_u64() == Some(*e)),
                    (None, Some(Value::String(code))) => field.enums.iter().find(|(c, _)| c.eq_ignore_ascii_case(code)),
                    (None, None) => field.enums.iter().find(|(c, _)| c == "WORK").or(field.enums.first()),
                    _ => None,
                };
                match chosen {
                    Some((code, id)) => stored.push(json!({ "value": text, "enum_id": id, "enum_code": code })),
                    None => {
                        let key = if v.get("enum_id").is_some() { "enum_id" } else { "enum_code" };
                        self.fail("NotSupportedChoice", &format!("{vat}.{key}"), NOT_A_CHOICE);
                    }
                }
            }
            let block = (!stored.is_empty()).then(|| {
                json!({
                    "field_id": field.id, "field_name": field.name, "field_code": field.code,
                    "field_type": field.field_type, "values": stored,
                })
            });
            out.push((field.id, block));
        }
        Some(Some(out))
    }

    /// Checks one item of a write of `kind` (`prefix`: its path in a
    /// complex add, e.g. `_embedded.contacts.0.`).
    pub(super) fn item(&mut self, value: &Value, kind: Kind, prefix: &str, updating: bool) -> Draft {
        let mut draft = Draft::default();
        let Value::Object(item) = value else {
            self.fail("InvalidType", prefix.trim_end_matches('.'), "This value should be of type object.");
            return draft;
        };
        let at = |key: &str| format!("{prefix}{key}");
        let mut pipeline = None;
        let mut status = None;
        for (key, value) in item {
            let path = at(key);
            let set = match (key.as_str(), kind) {
                ("request_id", _) => {
                    match value {
                        Value::String(s) => draft.request_id = Some(s.clone()),
                        Value::Number(n) => draft.request_id = Some(n.to_string()),
                        _ => self.fail("InvalidType", &path, "This value should be of type string."),
                    }
                    None
                }
                ("id", _) if updating => {
                    draft.id = self.int(value, &path, false).and_then(|v| v.as_u64());
                    None
                }
                ("name", _) | ("first_name" | "last_name", Kind::Contacts) => self.text(value, &path),
                ("price", Kind::Leads) => self.int(value, &path, false),
                ("closed_at" | "loss_reason_id", Kind::Leads) => self.int(value, &path, true),
                ("created_at" | "updated_at", _) => self.int(value, &path, false),
                ("responsible_user_id", _) => self.user(value, &path, false),
                ("created_by" | "updated_by", _) => self.user(value, &path, true),
                ("pipeline_id", Kind::Leads) => {
                    pipeline = self.int(value, &path, false).and_then(|v| v.as_u64()).map(|v| (v, path));
                    None
                }
                ("status_id", Kind::Leads) => {
                    status = self.int(value, &path, false).and_then(|v| v.as_u64()).map(|v| (v, path));
                    None
                }
                ("custom_fields_values", _) => {
                    draft.custom_fields = self.custom_fields(value, kind, prefix);
                    None
                }
                ("tags_to_add", _) => {
                    draft.tags_to_add = self.tags(value, &path, kind);
                    None
                }
                ("tags_to_delete", _) => {
                    draft.tags_to_delete = self.tags(value, &path, kind);
                    None
                }
                ("_embedded", _) => {
                    self.embedded(value, kind, &path, &mut draft);
                    None
                }
                // Keys amoCRM does not take on this entity are ignored, as its serializer does.
                _ => None,
            };
            if let Some(v) = set {
                draft.fields.insert(key.clone(), v);
            }
        }
        if updating && draft.id.is_none() && !item.contains_key("id") && prefix.is_empty() {
            self.fail("NotBlank", &at("id"), "This value should not be blank.");
        }
        if kind == Kind::Leads {
            draft.status = self.status(pipeline, status);
        }
        draft
    }

    fn embedded(&mut self, value: &Value, kind: Kind, path: &str, draft: &mut Draft) {
        let Value::Object(embedded) = value else {
            self.fail("InvalidType", path, "This value should be of type object.");
            return;
        };
        for (key, value) in embedded {
            let at = format!("{path}.{key}");
            match (key.as_str(), kind) {
                ("tags", _) => draft.tags = Some(self.tags(value, &at, kind)),
                ("companies", Kind::Contacts | Kind::Leads) => {
                    draft.companies =
                        self.references(value, &at, Kind::Companies).map(|r| r.into_iter().map(|(id, _)| id).collect());
                }
                ("contacts", Kind::Leads) => draft.contacts = self.references(value, &at, Kind::Contacts),
                _ => {}
            }
        }
    }

    /// A lead's pipeline and status from what was sent: a status alone
    /// names its pipeline, a pipeline alone its first working status.
    fn status(&mut self, pipeline: Option<(u64, String)>, status: Option<(u64, String)>) -> Option<(u64, u64)> {
        let pipelines = &self.ctx.account.world().amo.pipelines;
        let first_working = |p: &callfull_world::Pipeline| {
            p.statuses.iter().find(|s| s.kind == 0 && s.is_editable).or(p.statuses.first()).map_or(0, |s| s.id)
        };
        match (pipeline, status) {
            (None, None) => None,
            (Some((pid, path)), status) => {
                let Some(p) = pipelines.iter().find(|p| p.id == pid) else {
                    self.fail("NotSupportedChoice", &path, NOT_A_CHOICE);
                    return None;
                };
                match status {
                    None => Some((pid, first_working(p))),
                    Some((sid, _)) if p.statuses.iter().any(|s| s.id == sid) => Some((pid, sid)),
                    Some((_, path)) => {
                        self.fail("NotSupportedChoice", &path, NOT_A_CHOICE);
                        None
                    }
                }
            }
            (None, Some((sid, path))) => match pipelines.iter().find(|p| p.statuses.iter().any(|s| s.id == sid)) {
                Some(p) => Some((p.id, sid)),
                None => {
                    self.fail("NotSupportedChoice", &path, NOT_A_CHOICE);
                    None
                }
            },
        }
    }
}

/// A tag already on a record of `kind`.
fn known_tag(records: &Records, kind: Kind, pick: impl Fn(&Map<String, Value>) -> bool) -> Option<TagRef> {
    kind.of(records)
        .iter()
        .filter_map(|r| r.get("_embedded").and_then(|e| e.get("tags")).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_object)
        .find(|t| pick(t))
        .map(|t| TagRef::Known(id_of(t), t.get("name").and_then(Value::as_str).unwrap_or_default().to_owned()))
}

/// A new record of `kind` with `id`, before the draft is applied.
fn blank(ctx: &Ctx<'_>, kind: Kind, id: u64) -> Map<String, Value> {
    let user = current_user(ctx);
    let now = ctx.now();
    let account_id = ctx.account.world().amo.account_id;
    let self_links = links(ctx, &format!("{}/{id}", kind.name()));
    let value = match kind {
        Kind::Contacts => json!({
            "id": id, "name": "", "first_name": "", "last_name": "", "responsible_user_id": user, "group_id": 0,
            "created_by": user, "updated_by": user, "created_at": now, "updated_at": now,
            "closest_task_at": null, "is_deleted": false, "is_unsorted": false, "custom_fields_values": null,
            "account_id": account_id, "_links": self_links, "_embedded": { "tags": [], "companies": [] },
        }),
        Kind::Companies => json!({
            "id": id, "name": "", "responsible_user_id": user, "group_id": 0,
            "created_by": user, "updated_by": user, "created_at": now, "updated_at": now,
            "closest_task_at": null, "is_deleted": false, "custom_fields_values": null,
            "account_id": account_id, "_links": self_links, "_embedded": { "tags": [] },
        }),
        Kind::Leads => {
            let (pipeline_id, status_id) = ctx.account.world().amo_first_status();
            json!({
                "id": id, "name": callfull_world::new_deal_name(id), "price": 0, "responsible_user_id": user,
                "group_id": 0, "status_id": status_id, "pipeline_id": pipeline_id, "loss_reason_id": null,
                "created_by": user, "updated_by": user, "created_at": now, "updated_at": now, "closed_at": null,
                "closest_task_at": null, "is_deleted": false, "custom_fields_values": null, "score": null,
                "account_id": account_id, "labor_cost": null, "_links": self_links,
                "_embedded": { "tags": [], "companies": [], "contacts": [] },
            })
        }
    };
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn tag_values(ctx: &mut Ctx<'_>, tags: &[TagRef]) -> Vec<Value> {
    tags.iter()
        .map(|t| match t {
            TagRef::Known(id, name) => json!({ "id": id, "name": name, "color": null }),
            TagRef::New(name) => json!({ "id": ctx.new_id(), "name": name, "color": null }),
        })
        .collect()
}

/// Writes `draft` onto `record` (a new one when `creating`).
pub(super) fn apply(ctx: &mut Ctx<'_>, kind: Kind, record: &mut Map<String, Value>, draft: &Draft, creating: bool) {
    let user = current_user(ctx);
    let now = ctx.now();
    for (key, value) in &draft.fields {
        record.insert(key.clone(), value.clone());
    }
    // A contact's name follows its first and last names unless it is sent.
    let renamed = ["first_name", "last_name"].iter().any(|k| draft.fields.contains_key(*k));
    if kind == Kind::Contacts && (creating || renamed) && !draft.fields.contains_key("name") {
        let first = record.get("first_name").and_then(Value::as_str).unwrap_or_default();
        let last = record.get("last_name").and_then(Value::as_str).unwrap_or_default();
        let name = format!("{first} {last}").trim().to_owned();
        record.insert("name".into(), json!(name));
    }
    if !draft.fields.contains_key("updated_at") {
        record.insert("updated_at".into(), json!(now));
    }
    if !draft.fields.contains_key("updated_by") {
        record.insert("updated_by".into(), json!(user));
    }
    if creating && !draft.fields.contains_key("created_at") && draft.fields.contains_key("updated_at") {
        record.insert("created_at".into(), draft.fields["updated_at"].clone());
    }
    match &draft.custom_fields {
        None => {}
        Some(None) => {
            record.insert("custom_fields_values".into(), Value::Null);
        }
        Some(Some(blocks)) => {
            let mut fields = record.get("custom_fields_values").and_then(Value::as_array).cloned().unwrap_or_default();
            for (field_id, block) in blocks {
                let at = fields.iter().position(|f| f.get("field_id").and_then(Value::as_u64) == Some(*field_id));
                match (at, block) {
                    (Some(i), Some(block)) => fields[i] = block.clone(),
                    (Some(i), None) => {
                        fields.remove(i);
                    }
                    (None, Some(block)) => fields.push(block.clone()),
                    (None, None) => {}
                }
            }
            let fields = if fields.is_empty() { Value::Null } else { Value::Array(fields) };
            record.insert("custom_fields_values".into(), fields);
        }
    }
    if let Some((pipeline_id, status_id)) = draft.status {
        record.insert("pipeline_id".into(), json!(pipeline_id));
        record.insert("status_id".into(), json!(status_id));
        let closed = status_id == callfull_world::WON_STATUS || status_id == callfull_world::LOST_STATUS;
        if !draft.fields.contains_key("closed_at") {
            let was_closed = record.get("closed_at").is_some_and(|c| !c.is_null());
            let at = match (closed, was_closed) {
                (true, true) => record["closed_at"].clone(),
                (true, false) => json!(now),
                (false, _) => Value::Null,
            };
            record.insert("closed_at".into(), at);
        }
    }
    let mut embedded = match record.remove("_embedded") {
        Some(Value::Object(e)) => e,
        _ => Map::new(),
    };
    let mut tags: Vec<Value> = embedded.get("tags").and_then(Value::as_array).cloned().unwrap_or_default();
    if let Some(set) = &draft.tags {
        tags = tag_values(ctx, set);
    }
    for tag in tag_values(ctx, &draft.tags_to_add) {
        if !tags.iter().any(|t| t.get("id") == tag.get("id")) {
            tags.push(tag);
        }
    }
    for gone in &draft.tags_to_delete {
        let (id, name) = match gone {
            TagRef::Known(id, name) => (Some(*id), name.as_str()),
            TagRef::New(name) => (None, name.as_str()),
        };
        tags.retain(|t| {
            t.get("id").and_then(Value::as_u64) != id && t.get("name").and_then(Value::as_str) != Some(name)
        });
    }
    embedded.insert("tags".into(), Value::Array(tags));
    if let Some(companies) = &draft.companies {
        // A contact or a lead has at most one company: the first named.
        let refs = companies.iter().take(1).map(|id| reference(ctx, Kind::Companies, *id)).collect();
        embedded.insert("companies".into(), Value::Array(refs));
    }
    if let Some(contacts) = &draft.contacts {
        let has_main = contacts.iter().any(|(_, main)| *main == Some(true));
        let refs = contacts
            .iter()
            .enumerate()
            .map(|(i, (id, main))| {
                let mut r = reference(ctx, Kind::Contacts, *id);
                r["is_main"] = json!(main.unwrap_or(!has_main && i == 0));
                r
            })
            .collect();
        embedded.insert("contacts".into(), Value::Array(refs));
    }
    record.insert("_embedded".into(), Value::Object(embedded));
}

/// The `request_id` of item `index`: its own, or the index.
pub(super) fn request_id_of(draft: &Draft, index: usize) -> String {
    draft.request_id.clone().unwrap_or_else(|| index.to_string())
}

/// A new record of `kind` from a checked draft; its id.
pub(super) fn create(ctx: &mut Ctx<'_>, kind: Kind, draft: &Draft) -> u64 {
    let id = ctx.new_id();
    create_as(ctx, kind, draft, id);
    id
}

/// A new record of `kind` with `id` (from [`Ctx::new_id`]) from a checked draft.
pub(super) fn create_as(ctx: &mut Ctx<'_>, kind: Kind, draft: &Draft, id: u64) {
    let mut record = blank(ctx, kind, id);
    apply(ctx, kind, &mut record, draft, true);
    let created_by = record.get("created_by").and_then(Value::as_u64).unwrap_or(0);
    kind.of_mut(ctx.records).push(record);
    // `lead_added`, `contact_added`, `company_added` in the account's events.
    let (entity, event_kind) = match kind {
        Kind::Contacts => ("contact", "contact_added"),
        Kind::Companies => ("company", "company_added"),
        Kind::Leads => ("lead", "lead_added"),
    };
    let mut event = super::events::NewEvent::new(event_kind, entity, id, ctx.now());
    event.created_by = created_by;
    super::events::record_event(ctx.records, event);
}

fn add(ctx: &mut Ctx<'_>, req: &Req<'_>, kind: Kind) -> Result<AmoAnswer, AmoError> {
    let items = req.batch(hal::MAX_LIMIT)?;
    let mut drafts = Vec::new();
    let mut blocks = Vec::new();
    {
        let mut checker = Checker { ctx, errors: Vec::new() };
        for (i, item) in items.iter().enumerate() {
            let draft = checker.item(item, kind, "", false);
            let errors = std::mem::take(&mut checker.errors);
            if !errors.is_empty() {
                blocks.push(json!({ "request_id": request_id_of(&draft, i), "errors": errors }));
            }
            drafts.push(draft);
        }
    }
    if !blocks.is_empty() {
        return Err(AmoError::validation(blocks));
    }
    let mut answers = Vec::new();
    for (i, draft) in drafts.iter().enumerate() {
        let id = create(ctx, kind, draft);
        let mut answer = Map::new();
        answer.insert("id".into(), json!(id));
        if kind == Kind::Contacts {
            answer.insert("is_deleted".into(), json!(false));
            answer.insert("is_unsorted".into(), json!(false));
        }
        answer.insert("request_id".into(), json!(request_id_of(draft, i)));
        answer.insert("_links".into(), links(ctx, &format!("{}/{id}", kind.name())));
        answers.push(Value::Object(answer));
    }
    Ok(AmoAnswer::ok(json!({
        "_links": links(ctx, kind.name()),
        "_embedded": { kind.name(): answers },
    })))
}

/// Checks update items; 400 naming every failing one (an unknown `id` is a
/// `NotSupportedChoice` at `id`).
fn check_updates(ctx: &Ctx<'_>, kind: Kind, items: &[Value], fixed_id: Option<u64>) -> Result<Vec<Draft>, AmoError> {
    let mut checker = Checker { ctx, errors: Vec::new() };
    let mut drafts = Vec::new();
    let mut blocks = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut draft = checker.item(item, kind, "", fixed_id.is_none());
        if let Some(id) = fixed_id {
            draft.id = Some(id);
        }
        if let Some(id) = draft.id {
            if kind.of(ctx.records).position(id).is_none() {
                checker.fail("NotSupportedChoice", "id", NOT_A_CHOICE);
            }
        }
        let errors = std::mem::take(&mut checker.errors);
        if !errors.is_empty() {
            blocks.push(json!({ "request_id": request_id_of(&draft, i), "errors": errors }));
        }
        drafts.push(draft);
    }
    if blocks.is_empty() { Ok(drafts) } else { Err(AmoError::validation(blocks)) }
}

/// Applies a checked update; `{id, updated_at, _links}` (and `request_id` when sent).
fn apply_update(ctx: &mut Ctx<'_>, kind: Kind, draft: &Draft) -> Value {
    let id = draft.id.unwrap_or(0);
    let Some(mut record) = kind.of(ctx.records).by_id(id).cloned() else { return Value::Null };
    apply(ctx, kind, &mut record, draft, false);
    let updated_at = record.get("updated_at").cloned().unwrap_or(Value::Null);
    if let Some(stored) = kind.of_mut(ctx.records).by_id_mut(id) {
        *stored = record;
    }
    let mut answer = Map::new();
    answer.insert("id".into(), json!(id));
    answer.insert("updated_at".into(), updated_at);
    if let Some(request_id) = &draft.request_id {
        answer.insert("request_id".into(), json!(request_id));
    }
    answer.insert("_links".into(), links(ctx, &format!("{}/{id}", kind.name())));
    Value::Object(answer)
}

fn update(ctx: &mut Ctx<'_>, req: &Req<'_>, kind: Kind) -> Result<AmoAnswer, AmoError> {
    let items = req.batch(hal::MAX_LIMIT)?;
    let drafts = check_updates(ctx, kind, items, None)?;
    let answers: Vec<Value> = drafts.iter().map(|d| apply_update(ctx, kind, d)).collect();
    Ok(AmoAnswer::ok(json!({
        "_links": links(ctx, kind.name()),
        "_embedded": { kind.name(): answers },
    })))
}

fn update_one(ctx: &mut Ctx<'_>, req: &Req<'_>, kind: Kind) -> Result<AmoAnswer, AmoError> {
    let id: u64 = req.ids.first().and_then(|i| i.parse().ok()).unwrap_or(0);
    let item = req.body()?;
    match item {
        Value::Object(map) if map.is_empty() => return Err(AmoError::empty_request()),
        Value::Object(_) => {}
        _ => {
            return Err(AmoError::validation(vec![json!({"request_id": "0", "errors": [
                problem("InvalidType", "", "This value should be of type object.")]})]));
        }
    }
    let drafts = check_updates(ctx, kind, std::slice::from_ref(item), Some(id))?;
    Ok(AmoAnswer::ok(apply_update(ctx, kind, &drafts[0])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amocrm::{Account, AccountOptions};
    use callfull_world::World;

    const T0: i64 = 1_794_899_703_000_000;

    #[test]
    fn unsorted_contacts_are_hidden_from_lists_but_not_from_their_own_url() {
        let world = World::from_seed(7);
        let account = Account::new(world.clone(), AccountOptions { rate_limit: None, ..AccountOptions::default() });
        let token = format!("Bearer {}", account.long_lived_token());
        let contact = &world.contacts[0];
        let query = "query=89684304325";
        assert_eq!(account.handle("GET", "/contacts", query, Some(&token), b"", T0).status, 200);
        {
            let mut records = account.records.lock().unwrap();
            let record = records.contacts.by_id_mut(contact.amo_id).unwrap();
            record.insert("is_unsorted".into(), json!(true));
        }
        assert_eq!(account.handle("GET", "/contacts", query, Some(&token), b"", T0).status, 204);
        let filtered = format!("filter[id]={}", contact.amo_id);
        assert_eq!(account.handle("GET", "/contacts", &filtered, Some(&token), b"", T0).status, 204);
        let one = account.handle("GET", &format!("/contacts/{}", contact.amo_id), "", Some(&token), b"", T0);
        assert_eq!((one.status, one.body.unwrap()["is_unsorted"].as_bool()), (200, Some(true)));
    }

    #[test]
    fn a_query_of_seven_to_ten_digits_is_a_phone_suffix_shorter_ones_are_text() {
        let record = json!({"id": 77, "name": "ООО «Ромашка»", "custom_fields_values": [
            {"field_code": "PHONE", "values": [{"value": "+375 (29) 123-45-67"}, {"value": "101"}]},
            {"field_code": "EMAIL", "values": [{"value": "Info@Romashka.by"}]},
        ]});
        let table: Table = [record.as_object().cloned().unwrap()].into_iter().collect();
        let answers_query = |q: &str| Query::new(q).answers(&table) == [true];
        let hits =
            ["375291234567", "291234567", "1234567", "+375 29 123 45 67", "ромашка", "info@romashka", "101", "77"];
        for hit in hits {
            assert!(answers_query(hit), "{hit}");
        }
        for miss in ["234567", "1234568", "лютик", "102", "78"] {
            assert!(!answers_query(miss), "{miss}");
        }
    }
}
