//! Numbers and lookups: what the connector does with a number it got from
//! Asterisk or from the CRM, and who in the world it belongs to.
//!
//! Two spellings are the same number when their 10-digit national numbers
//! are equal (`+7 (916) 777-55-33`, `89167775533`, `9167775533`), or, for
//! numbers that have none (`6408812`, dialled without the city code, or a
//! variant like `+74959167775533`), when their `base` under the prefix
//! settings is equal, or one is the other's base. Every number in the world
//! is unique, so a number matches at most one employee or client.

use callfull_model::{Crm, Number};
use rustc_hash::FxHashMap;

use crate::phone::{self, normalize};
use crate::types::*;

/// Who owns a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    Employee(usize),
    Contact(usize),
    Company(usize),
    Lead(usize),
}

/// The owners of the world's numbers by national number, so that a lookup
/// is one hash probe instead of a scan of every phone (the generator looks
/// numbers up for every call). Only used when every stored number has a
/// national form, which a generated world guarantees; otherwise lookups scan.
/// Extensions are indexed too: the assembler asks about every number it sees.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct NumberIndex {
    by_national: FxHashMap<u64, Vec<Owner>>,
    /// Employee by extension (the first one, as a scan would find).
    by_extension: FxHashMap<String, usize>,
    complete: bool,
}

impl NumberIndex {
    pub(crate) fn build(world: &World) -> NumberIndex {
        let mut index = NumberIndex { complete: true, ..NumberIndex::default() };
        for e in world.employees.iter().rev() {
            index.by_extension.insert(e.extension.clone(), e.index);
        }
        let mut add = |number: &str, owner: Owner| match phone::national(number) {
            Some(n) => index.by_national.entry(n).or_default().push(owner),
            None => index.complete = false,
        };
        for e in &world.employees {
            add(&e.mobile, Owner::Employee(e.index));
            if !e.work_phone.is_empty() && phone::extension_of(&e.work_phone).is_none() {
                add(&e.work_phone, Owner::Employee(e.index));
            }
        }
        for c in &world.contacts {
            c.phones.iter().for_each(|p| add(p, Owner::Contact(c.index)));
        }
        for c in &world.companies {
            c.phones.iter().for_each(|p| add(p, Owner::Company(c.index)));
        }
        for l in &world.leads {
            l.phones.iter().for_each(|p| add(p, Owner::Lead(l.index)));
        }
        index
    }

    /// The owners of `number`, when the index can answer for it.
    pub(crate) fn owners(&self, number: &str) -> Option<&[Owner]> {
        if !self.complete {
            return None;
        }
        let national = phone::national(number)?;
        Some(self.by_national.get(&national).map_or(&[][..], Vec::as_slice))
    }
}

/// A number prepared for comparing with stored ones.
struct Query {
    national: Option<u64>,
    normalized: String,
    base: String,
    local: bool,
}

impl World {
    /// The number object for `original` as Asterisk gave it: `base` and
    /// `variants` from the prefix settings, `custom` from the first
    /// auto-replacement rule that applies (`""` when none does). Extensions
    /// (up to 4 digits) stay local and are never replaced.
    ///
    /// With the default settings `+79001234567` gives the vendor's example:
    /// base `9001234567`, custom `89001234567`.
    pub fn number(&self, original: &str) -> Number {
        if self.prefixes.is_internal(original) {
            return self.prefixes.number(original);
        }
        let custom = self.settings.replacements.iter().find_map(|rule| rule.apply(original)).unwrap_or_default();
        self.prefixes.number_with_custom(original, &custom)
    }

    /// The number object for a phone as stored in the CRM
    /// (`+7 (916) 777-55-33`): `original` is the stored text, `base` and
    /// `variants` come from its normalized form (leading `+` and digits, an
    /// extension like "доб. 101" cut off), `custom` is `""`.
    pub fn crm_number(&self, stored: &str) -> Number {
        let normalized = normalize(stored);
        let mut number = self.prefixes.number(&normalized);
        number.original = stored.into();
        number
    }

    /// Whether two spellings are the same number (see the module docs).
    pub fn same_number(&self, a: &str, b: &str) -> bool {
        self.matches(&self.query(a), b)
    }

    fn query(&self, number: &str) -> Query {
        let normalized = normalize(number);
        let local = normalized.is_empty() || self.prefixes.is_internal(&normalized);
        let base = self.prefixes.base(&normalized).to_owned();
        Query { national: phone::national(number), normalized, base, local }
    }

    fn matches(&self, q: &Query, stored: &str) -> bool {
        if q.local {
            return false;
        }
        if let (Some(a), Some(b)) = (q.national, phone::national(stored)) {
            return a == b;
        }
        // A number without a national form: compare bases. The number may
        // also be a base itself, which the prefixes would cut further
        // (`7201133` is the base of `+74957201133`, but its own base is `201133`).
        let normalized = normalize(stored);
        if self.prefixes.is_internal(&normalized) {
            return false;
        }
        let base = self.prefixes.base(&normalized);
        base == q.base || base == q.normalized
    }

    /// The employee with that extension.
    pub fn employee_by_extension(&self, ext: &str) -> Option<&Employee> {
        let ext = ext.trim();
        match self.numbers.by_extension.get(ext) {
            Some(&i) => self.employees.get(i),
            // A world built by hand has no index.
            None if self.numbers.by_extension.is_empty() => self.employees.iter().find(|e| e.extension == ext),
            None => None,
        }
    }

    /// The employee a number belongs to: by extension, mobile or work phone.
    /// A work phone written as the company's main number with an extension
    /// ("+7 (495) 225-01-01 доб. 101") is not the employee's own line: it
    /// matches through the extension only.
    pub fn employee_by_number(&self, number: &str) -> Option<&Employee> {
        if let Some(e) = self.employee_by_extension(number) {
            return Some(e);
        }
        if let Some(owners) = self.numbers.owners(number) {
            return owners.iter().find_map(|o| match o {
                Owner::Employee(i) => self.employees.get(*i),
                _ => None,
            });
        }
        let q = self.query(number);
        if q.local {
            // An extension that is nobody's (a queue, an IVR) matches no phone.
            return None;
        }
        self.employees.iter().find(|e| {
            self.matches(&q, &e.mobile)
                || (!e.work_phone.is_empty()
                    && phone::extension_of(&e.work_phone).is_none()
                    && self.matches(&q, &e.work_phone))
        })
    }

    /// The client a number belongs to, as `crm` would find it: contacts
    /// first, then companies, then leads. Leads are Bitrix24 records: with
    /// [`Crm::AmoCrm`] they are never returned ([`Crm::Auto`] searches them
    /// like Bitrix24).
    pub fn client_by_number(&self, number: &str, crm: Crm) -> Option<ClientRef<'_>> {
        if let Some(owners) = self.numbers.owners(number) {
            // Contacts first, then companies, then (Bitrix24 only) leads.
            let client = |o: &Owner| match *o {
                Owner::Contact(i) => self.contacts.get(i).map(|c| (0, ClientRef::Contact(c))),
                Owner::Company(i) => self.companies.get(i).map(|c| (1, ClientRef::Company(c))),
                Owner::Lead(i) if crm != Crm::AmoCrm => self.leads.get(i).map(|l| (2, ClientRef::Lead(l))),
                _ => None,
            };
            return owners.iter().filter_map(client).min_by_key(|(rank, _)| *rank).map(|(_, c)| c);
        }
        let q = self.query(number);
        if q.local {
            return None;
        }
        let has = |phones: &[String]| phones.iter().any(|p| self.matches(&q, p));
        if let Some(c) = self.contacts.iter().find(|c| has(&c.phones)) {
            return Some(ClientRef::Contact(c));
        }
        if let Some(c) = self.companies.iter().find(|c| has(&c.phones)) {
            return Some(ClientRef::Company(c));
        }
        if crm == Crm::AmoCrm {
            return None;
        }
        self.leads.iter().find(|l| has(&l.phones)).map(ClientRef::Lead)
    }

    /// The amoCRM deal a call with this client attaches to: its most
    /// recently created open deal (not won, not lost), if any. `None` for
    /// leads (Bitrix24 has no amoCRM deals).
    pub fn open_deal_for(&self, client: ClientRef<'_>) -> Option<&Deal> {
        let bound = |d: &&Deal| match client {
            ClientRef::Contact(c) => d.contact == Some(c.index),
            ClientRef::Company(c) => d.company == Some(c.index),
            ClientRef::Lead(_) => false,
        };
        self.deals.iter().filter(|d| d.is_open()).filter(bound).max_by(|a, b| a.created.cmp(&b.created))
    }

    /// The employee responsible for `client` (the first employee if the
    /// index is out of range, which a generated world never has).
    pub fn responsible_of(&self, client: ClientRef<'_>) -> &Employee {
        self.employee(client.responsible())
    }

    /// Employee `index`, or the first one if out of range.
    pub fn employee(&self, index: usize) -> &Employee {
        &self.employees[if index < self.employees.len() { index } else { 0 }]
    }

    /// Every client, contacts then companies then leads.
    pub fn clients(&self) -> impl Iterator<Item = ClientRef<'_>> {
        self.contacts
            .iter()
            .map(ClientRef::Contact)
            .chain(self.companies.iter().map(ClientRef::Company))
            .chain(self.leads.iter().map(ClientRef::Lead))
    }

    /// The trunk whose DID is `number` (any spelling).
    pub fn trunk_by_number(&self, number: &str) -> Option<&Trunk> {
        let q = self.query(number);
        self.trunks.iter().find(|t| self.matches(&q, &t.did))
    }

    /// A Bitrix24 `ID` no record of the world has (for records created later).
    pub fn next_b24_id(&self) -> u32 {
        let employees = self.employees.iter().map(|e| e.b24_id);
        let contacts = self.contacts.iter().map(|c| c.b24_id);
        let companies = self.companies.iter().map(|c| c.b24_id);
        let leads = self.leads.iter().map(|l| l.b24_id);
        employees.chain(contacts).chain(companies).chain(leads).max().unwrap_or(0) + 1
    }

    /// An amoCRM `id` no record of the world has (for records created later).
    pub fn next_amo_id(&self) -> u64 {
        let employees = self.employees.iter().map(|e| e.amo_id);
        let contacts = self.contacts.iter().map(|c| c.amo_id);
        let companies = self.companies.iter().map(|c| c.amo_id);
        let deals = self.deals.iter().map(|d| d.amo_id);
        employees.chain(contacts).chain(companies).chain(deals).max().unwrap_or(0) + 1
    }
}
