//! `POST /api/v4/leads/complex` (`amocrm-api.md` §3.6): up to 50 leads, each
//! with at most one contact and one company (new, or `{id}` of an existing
//! one); a new contact is linked to the company. The answer is a bare array
//! (not HAL): `[{id, contact_id, company_id, request_id: [..], merged}]`.

use serde_json::{Value, json};

use super::entities::{self, Checker, Draft, Kind, id_of};
use super::{AmoAnswer, AmoError, Ctx, Req};

/// The most leads one complex add takes.
const MAX_COMPLEX: usize = 50;

/// A contact or company of a complex item: an existing id or a new one.
enum Party {
    None,
    Existing(u64),
    New(Box<Draft>),
}

struct Item {
    lead: Draft,
    contact: Party,
    company: Party,
}

/// The contact (or company) of `item`'s `_embedded.{key}`.
fn party(checker: &mut Checker<'_, '_>, item: &Value, key: &str, kind: Kind) -> Party {
    let path = format!("_embedded.{key}");
    let Some(value) = item.get("_embedded").and_then(|e| e.get(key)) else { return Party::None };
    let Value::Array(list) = value else {
        checker.errors.push(entities::problem("InvalidType", &path, "This value should be of type array."));
        return Party::None;
    };
    if list.len() > 1 {
        let detail = "This collection should contain 1 element or less.";
        checker.errors.push(entities::problem("NotSupportedChoice", &path, detail));
        return Party::None;
    }
    let Some(one) = list.first() else { return Party::None };
    match one.get("id") {
        Some(id) => match id.as_u64() {
            Some(id) if kind.of(checker.ctx.records).iter().any(|r| id_of(r) == id) => Party::Existing(id),
            Some(_) => {
                checker.errors.push(entities::problem(
                    "NotSupportedChoice",
                    &format!("{path}.0.id"),
                    entities::NOT_A_CHOICE,
                ));
                Party::None
            }
            None => {
                let detail = "This value should be of type int.";
                checker.errors.push(entities::problem("InvalidType", &format!("{path}.0.id"), detail));
                Party::None
            }
        },
        None => Party::New(Box::new(checker.item(one, kind, &format!("{path}.0."), false))),
    }
}

pub(super) fn add(ctx: &mut Ctx<'_>, req: &Req<'_>) -> Result<AmoAnswer, AmoError> {
    let items = req.batch(MAX_COMPLEX)?;
    let mut checked = Vec::new();
    let mut blocks = Vec::new();
    {
        let mut checker = Checker { ctx, errors: Vec::new() };
        for (i, value) in items.iter().enumerate() {
            // The lead's own `_embedded` keeps tags; contacts and companies are parties.
            let mut lead_value = value.clone();
            if let Some(embedded) = lead_value.get_mut("_embedded").and_then(Value::as_object_mut) {
                embedded.remove("contacts");
                embedded.remove("companies");
            }
            let lead = checker.item(&lead_value, Kind::Leads, "", false);
            let contact =
                if value.is_object() { party(&mut checker, value, "contacts", Kind::Contacts) } else { Party::None };
            let company =
                if value.is_object() { party(&mut checker, value, "companies", Kind::Companies) } else { Party::None };
            let errors = std::mem::take(&mut checker.errors);
            if !errors.is_empty() {
                blocks.push(json!({ "request_id": entities::request_id_of(&lead, i), "errors": errors }));
            }
            checked.push(Item { lead, contact, company });
        }
    }
    if !blocks.is_empty() {
        return Err(AmoError::validation(blocks));
    }
    let mut answers = Vec::new();
    for (i, mut item) in checked.into_iter().enumerate() {
        // Ids in the vendor's order: the lead, then its new contact, then its new company.
        let id = ctx.new_id();
        let new_contact = matches!(item.contact, Party::New(_)).then(|| ctx.new_id());
        let new_company = matches!(item.company, Party::New(_)).then(|| ctx.new_id());
        let company_id = match &item.company {
            Party::None => None,
            Party::Existing(id) => Some(*id),
            Party::New(draft) => {
                let company = new_company.unwrap_or_default();
                entities::create_as(ctx, Kind::Companies, draft, company);
                Some(company)
            }
        };
        let contact_id = match &mut item.contact {
            Party::None => None,
            Party::Existing(id) => Some(*id),
            Party::New(draft) => {
                // A new contact works for the lead's company.
                if draft.companies.is_none() {
                    draft.companies = company_id.map(|c| vec![c]);
                }
                let contact = new_contact.unwrap_or_default();
                entities::create_as(ctx, Kind::Contacts, draft, contact);
                Some(contact)
            }
        };
        if let Some(id) = contact_id {
            item.lead.contacts = Some(vec![(id, Some(true))]);
        }
        if let Some(id) = company_id {
            item.lead.companies = Some(vec![id]);
        }
        entities::create_as(ctx, Kind::Leads, &item.lead, id);
        answers.push(json!({
            "id": id,
            "contact_id": contact_id,
            "company_id": company_id,
            "request_id": [entities::request_id_of(&item.lead, i)],
            "merged": false,
        }));
    }
    Ok(AmoAnswer::ok(Value::Array(answers)))
}
