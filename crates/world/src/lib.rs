//! The seeded company ("world") every other part of callfull works with: the
//! employees behind the extensions, the clients who call (contacts,
//! companies, Bitrix24 leads, amoCRM deals), the trunks and the connector's
//! prefix settings. It sits at the start of callfull's flow
//! (seed → **world** → simulator → CEL → assembler → `call_full` → CRM): the
//! simulator dials its numbers, the assembler looks its users and entities
//! up, and the fake CRMs serve it. It is data, not events: nothing here
//! knows about calls. One seed gives one world, byte for byte.
//!
//! # Brief overview
//!
//! - [`WorldSettings`] says how big the world is, which prefixes and
//!   auto-replacement rules the connector uses, the PBX's time zone and the
//!   working day. It is read from TOML ([`WorldSettings::load`]); every
//!   [`SettingsError`] names the file, line and field. The defaults live in
//!   `fixtures/worlds/default.toml`.
//! - [`World::generate`] builds a [`World`] from settings and a seed (one
//!   `ChaCha8Rng`, no clock); [`World::from_seed`] uses the defaults. Every
//!   phone number in it is unique, and no client number looks like an
//!   extension.
//! - Numbers and lookups ([`World::number`], [`World::crm_number`],
//!   [`World::employee_by_number`], [`World::client_by_number`],
//!   [`World::open_deal_for`]) answer what the connector asks.
//! - CRM views turn records into `call_full` pieces ([`World::bitrix24_user`],
//!   [`World::amocrm_entity`], [`World::amocrm_deal`], the `*_new_*`
//!   records created for unknown callers) and into the REST objects the fake
//!   CRMs return (`*_object`).
//! - [`locale`] is a Russian locale for the `fake` crate ([`locale::RU_RU`])
//!   plus the gender-aware name helpers it needs; [`phone`] spells and
//!   normalizes numbers; [`translit`] makes e-mails from Cyrillic names.
//!
//! # Ids
//!
//! Bitrix24 ids are small and grouped by kind like a young portal's: users
//! from 1–11, companies from ~1000, contacts from ~2000, leads from ~3000
//! (each range starts after the previous one ends). amoCRM ids are large:
//! users ~6–10 million, companies then contacts in one sequence from 20–29
//! million, deals ~10–19 million. [`World::next_b24_id`] and
//! [`World::next_amo_id`] give ids free in every kind. Bitrix24 multi-field
//! item ids are the owner's id × 10 + the item's position.
//!
//! # Example
//!
//! ```
//! use callfull_model::Crm;
//! use callfull_world::World;
//!
//! let world = World::from_seed(42);
//! let contact = &world.contacts[0];
//! let client = world.client_by_number(&contact.phones[0], Crm::Bitrix24).expect("every phone is findable");
//! let entity = world.bitrix24_entity(client);
//! assert_eq!(entity.kind, "contact");
//! assert_eq!(entity.responsible.id, entity.responsible_id);
//!
//! let to = world.number("+79001234567");
//! assert_eq!((to.base.as_str(), to.custom.as_str()), ("9001234567", "89001234567"));
//! ```

#![deny(missing_docs)]
#![recursion_limit = "256"]

mod crm;
mod generate;
pub mod locale;
mod lookup;
pub mod phone;
mod settings;
pub mod translit;
mod types;

pub use crm::{call_full_raw, new_deal_name, new_lead_title};
pub use settings::{DEFAULT_TOML, MAX_CLIENTS, MAX_EMPLOYEES, MAX_TRUNKS, Replacement, SettingsError, WorldSettings};
pub use types::{
    AmoAccount, Bitrix24Portal, ClientCompany, ClientRef, Company, Contact, CustomField, Deal, Department, Employee,
    Gender, LOST_STATUS, Lead, Pipeline, Status, Trunk, WON_STATUS, World, full_name,
};

#[cfg(test)]
mod tests;
