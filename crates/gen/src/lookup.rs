//! The assembler's view of the world: numbers, trunks, users, and what the
//! CRM answers when a connector registers a call.

use callfull_cel::{Binding, BindingRequest, Lookup};
use callfull_model::{CallType, Crm, DateTime, Entity, Number, Registration, User, entity_type};
use callfull_world::{ClientRef, Employee, World};

use crate::seed::mix;

/// [`Lookup`] over a [`World`] for one CRM.
///
/// Implementation notes: the CRM's users, entities and deals are built once,
/// when the lookup is made, and cloned into each call: building them (raw
/// objects with sorted keys) costs more than a whole call otherwise.
pub struct WorldLookup<'w> {
    world: &'w World,
    crm: Crm,
    seed: u64,
    utc_offset_secs: i64,
    users: Vec<User>,
    contacts: Vec<Entity>,
    companies: Vec<Entity>,
    leads: Vec<Entity>,
    deals: Vec<Entity>,
    /// Ids free for records created during calls (computed once: the world scans every record for them).
    next_b24_id: u32,
    next_amo_id: u64,
}

impl<'w> WorldLookup<'w> {
    /// The lookup for `crm`; `seed` makes the CRM's ids (CALL_ID, new records) reproducible.
    pub fn new(world: &'w World, crm: Crm, seed: u64) -> Self {
        let utc_offset_secs = i64::from(world.settings.utc_offset_hours) * 3600;
        let amo = crm == Crm::AmoCrm;
        let entity = |c: ClientRef<'_>| if amo { world.amocrm_entity(c) } else { world.bitrix24_entity(c) };
        WorldLookup {
            world,
            crm,
            seed,
            utc_offset_secs,
            users: world
                .employees
                .iter()
                .map(|e| if amo { world.amocrm_user(e) } else { world.bitrix24_user(e) })
                .collect(),
            contacts: world.contacts.iter().map(|c| entity(ClientRef::Contact(c))).collect(),
            companies: world.companies.iter().map(|c| entity(ClientRef::Company(c))).collect(),
            leads: if amo { Vec::new() } else { world.leads.iter().map(|l| entity(ClientRef::Lead(l))).collect() },
            deals: if amo { world.deals.iter().map(|d| world.amocrm_deal(d)).collect() } else { Vec::new() },
            next_b24_id: world.next_b24_id(),
            next_amo_id: world.next_amo_id(),
        }
    }

    fn user_of(&self, e: &Employee) -> User {
        self.users[e.index].clone()
    }

    fn entity_of(&self, client: ClientRef<'_>) -> Entity {
        let cached = match client {
            ClientRef::Contact(c) => self.contacts.get(c.index),
            ClientRef::Company(c) => self.companies.get(c.index),
            ClientRef::Lead(l) => self.leads.get(l.index),
        };
        match (cached, self.crm) {
            (Some(entity), _) => entity.clone(),
            (None, Crm::AmoCrm) => self.world.amocrm_entity(client),
            (None, _) => self.world.bitrix24_entity(client),
        }
    }

    /// The employee responsible for the call: the one it was for, else the
    /// client's responsible, else the first employee.
    fn responsible(&self, request: &BindingRequest<'_>, client: Option<ClientRef<'_>>) -> &'w Employee {
        request
            .employee
            .and_then(|n| self.world.employee_by_number(n))
            .or_else(|| client.and_then(|c| self.world.employees.get(c.responsible())))
            .unwrap_or(&self.world.employees[0])
    }

    /// A per-call number below `modulo`, from the seed and the linkedid.
    fn call_number(&self, linkedid: &str, salt: u64, modulo: u64) -> u64 {
        let h = linkedid.bytes().fold(mix(self.seed ^ salt), |h, b| mix(h ^ u64::from(b)));
        h % modulo
    }
}

impl Lookup for WorldLookup<'_> {
    fn number(&self, original: &str) -> Number {
        let mut number = self.world.number(original);
        // FMC: an employee's mobile counts as internal (A-FMC-1).
        if !number.is_local && !original.is_empty() && self.world.employee_by_number(original).is_some() {
            number.is_local = true;
        }
        number
    }

    fn is_internal(&self, number: &str) -> bool {
        self.world.prefixes.is_internal(number)
            || (!number.is_empty() && self.world.employee_by_number(number).is_some())
    }

    fn is_employee(&self, number: &str) -> bool {
        self.world.employee_by_number(number).is_some()
    }

    fn trunk_did(&self, endpoint: &str) -> Option<String> {
        self.world.trunks.iter().find(|t| t.name == endpoint).map(|t| t.did.clone())
    }

    fn user(&self, number: &str) -> Option<User> {
        self.world.employee_by_number(number).map(|e| self.user_of(e))
    }

    fn binding(&self, request: &BindingRequest<'_>) -> Binding {
        let Some(phone) = request.client.filter(|_| request.direction != CallType::Local) else {
            return Binding::default();
        };
        let client = self.world.client_by_number(phone, self.crm);
        let responsible = self.responsible(request, client);
        let start = request.start.local(self.utc_offset_secs);
        let found_entity = client.map(|c| self.entity_of(c));
        let record = request.answered.then(|| self.record_url(request, phone, start));
        match self.crm {
            Crm::AmoCrm => {
                let found_deal = client
                    .and_then(|c| self.world.open_deal_for(c))
                    .map(|d| self.deals.get(d.index).cloned().unwrap_or_else(|| self.world.amocrm_deal(d)));
                let (registered_entity, registered_deal) = match &found_entity {
                    Some(_) => (None, None),
                    None => {
                        let contact_id = self.next_amo_id + self.call_number(request.linkedid, 1, 1_000_000);
                        let deal_id = self.next_amo_id + 1_000_000 + self.call_number(request.linkedid, 2, 1_000_000);
                        let contact = self.world.amocrm_new_contact_with(
                            phone,
                            responsible,
                            self.user_of(responsible),
                            contact_id,
                            start,
                        );
                        let deal = self.world.amocrm_new_deal_with(
                            contact_id,
                            responsible,
                            self.user_of(responsible),
                            deal_id,
                            start,
                        );
                        (Some(contact), Some(deal))
                    }
                };
                Binding { found_entity, found_deal, registered_entity, registered_deal, registration: None, record }
            }
            _ => {
                let mut created_lead_id = String::new();
                let created = match &found_entity {
                    Some(_) => None,
                    None => {
                        let id = self.next_b24_id + self.call_number(request.linkedid, 3, 1_000_000) as u32;
                        created_lead_id = id.to_string();
                        Some(self.world.bitrix24_new_lead_with(
                            phone,
                            responsible,
                            self.user_of(responsible),
                            id,
                            start,
                        ))
                    }
                };
                let Some(entity) = found_entity.as_ref().or(created.as_ref()) else {
                    return Binding::default();
                };
                let registration = self.registration(request, entity, responsible, created_lead_id);
                Binding {
                    found_entity,
                    found_deal: None,
                    registered_entity: created,
                    registered_deal: None,
                    registration: Some(registration),
                    record,
                }
            }
        }
    }
}

impl WorldLookup<'_> {
    /// Bitrix24's answer to `telephony.externalcall.register`.
    fn registration(
        &self,
        request: &BindingRequest<'_>,
        entity: &Entity,
        responsible: &Employee,
        created_lead_id: String,
    ) -> Registration {
        let mut id = String::with_capacity(64);
        id.push_str("externalCall.");
        push_hex(&mut id, self.call_number(request.linkedid, 4, u64::MAX));
        push_hex(&mut id, self.call_number(request.linkedid, 5, u64::MAX));
        id.push('.');
        id.push_str(itoa::Buffer::new().format(request.start.unix_secs()));
        let activity = 40_000 + self.call_number(request.linkedid, 6, 1_000_000);
        Registration {
            activity_id: itoa::Buffer::new().format(activity).to_owned(),
            created_company_id: String::new(),
            created_contact_id: String::new(),
            created_deal_id: String::new(),
            created_lead_id,
            entity_id: entity.id.clone(),
            entity_type: if entity.kind.is_empty() { entity_type::LEAD.to_owned() } else { entity.kind.clone() },
            id,
            responsible_id: itoa::Buffer::new().format(responsible.b24_id).to_owned(),
        }
    }

    /// The recording link the PBX gives an answered call (`None` for an
    /// unanswered or internal one), without the CRM side of [`Lookup::binding`].
    pub fn record(&self, request: &BindingRequest<'_>) -> Option<String> {
        let phone = request.client.filter(|_| request.direction != CallType::Local)?;
        let start = request.start.local(self.utc_offset_secs);
        request.answered.then(|| self.record_url(request, phone, start))
    }

    /// FreePBX's recording name under the company's PBX host.
    /// `https://pbx.{domain}/monitor/{Y}/{M}/{D}/{in|out}-{digits}-{ext}-{YMD}-{hms}-{linkedid}.mp3`,
    /// written piece by piece (`format!` was a tenth of a call's binding).
    fn record_url(&self, request: &BindingRequest<'_>, phone: &str, start: DateTime) -> String {
        let text = start.to_bytes();
        // `YYYY-MM-DD HH:MM:SS`: ASCII digits and separators.
        let text = std::str::from_utf8(&text).unwrap_or_default();
        let (y, mo, d, h, mi, s) =
            (&text[0..4], &text[5..7], &text[8..10], &text[11..13], &text[14..16], &text[17..19]);
        let domain = &self.world.company.domain;
        let mut url = String::with_capacity(80 + domain.len() + phone.len() + request.linkedid.len());
        url.push_str("https://pbx.");
        url.push_str(domain);
        url.push_str("/monitor/");
        for part in [y, mo, d] {
            url.push_str(part);
            url.push('/');
        }
        url.push_str(if request.direction == CallType::Outgoing { "out-" } else { "in-" });
        url.extend(phone.chars().filter(char::is_ascii_digit));
        url.push('-');
        url.push_str(request.employee.unwrap_or(""));
        url.push('-');
        url.extend([y, mo, d]);
        url.push('-');
        url.extend([h, mi, s]);
        url.push('-');
        url.push_str(request.linkedid);
        url.push_str(".mp3");
        url
    }
}

/// `n` as 16 lower-case hex digits (`format!("{n:016x}")`).
fn push_hex(out: &mut String, n: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend((0..16).rev().map(|i| char::from(HEX[(n >> (i * 4) & 0xf) as usize])));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_hex_matches_format() {
        for n in [0, 7, 42, 999, 2026, 12_345, u64::MAX] {
            let mut hex = String::new();
            push_hex(&mut hex, n);
            assert_eq!(hex, format!("{n:016x}"));
        }
    }
}
