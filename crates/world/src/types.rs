//! The world's records. They hold what a CRM stores and nothing about calls.
//!
//! Dates (`created`) are wall-clock times of the PBX's zone, written like
//! the contract's date-times (`2025-04-02 11:24:17`); the CRM views convert
//! them (Bitrix24 ISO 8601 with the offset, amoCRM Unix seconds).

use serde::Serialize;

use callfull_model::PrefixSettings;

use crate::WorldSettings;

/// A person's grammatical gender: first names, surnames and patronymics agree with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// Мужской.
    Male,
    /// Женский.
    Female,
}

impl Gender {
    /// Bitrix24's `PERSONAL_GENDER`: `M` or `F`.
    pub fn bitrix24_code(self) -> &'static str {
        match self {
            Gender::Male => "M",
            Gender::Female => "F",
        }
    }
}

/// The seeded company: its staff, its clients, its trunks and its CRM
/// accounts. Build it with [`World::generate`] or [`World::from_seed`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct World {
    /// The seed it was generated from.
    pub seed: u64,
    /// The settings it was generated from.
    pub settings: WorldSettings,
    /// The company whose PBX and CRM this is.
    pub company: Company,
    /// Staff, each with an extension (`employees[i].index == i`).
    pub employees: Vec<Employee>,
    /// People who call or are called (`contacts[i].index == i`).
    pub contacts: Vec<Contact>,
    /// Client companies (`companies[i].index == i`).
    pub companies: Vec<ClientCompany>,
    /// Bitrix24 leads: prospects not yet converted. amoCRM has no such records.
    pub leads: Vec<Lead>,
    /// amoCRM leads ("сделки"), bound to a contact and/or a company.
    pub deals: Vec<Deal>,
    /// Trunks, one DID each.
    pub trunks: Vec<Trunk>,
    /// The connector's prefix settings (from `settings.prefixes`).
    pub prefixes: PrefixSettings,
    /// The Bitrix24 portal: domain and departments.
    pub b24: Bitrix24Portal,
    /// The amoCRM account: ids, custom fields, pipelines.
    pub amo: AmoAccount,
    /// Who owns each number, by national number (built with the world).
    #[serde(skip)]
    pub(crate) numbers: crate::lookup::NumberIndex,
}

/// The company whose PBX and CRM this is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Company {
    /// "ООО «Ромашка»".
    pub name: String,
    /// E-mail and web domain: "romashka.ru".
    pub domain: String,
    /// Where its office (and its trunks' numbers) are: "Москва".
    pub city: String,
}

/// A member of staff with an extension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Employee {
    /// Position in [`World::employees`].
    pub index: usize,
    /// Bitrix24 user `ID`.
    pub b24_id: u32,
    /// amoCRM user `id`.
    pub amo_id: u64,
    /// Имя.
    pub first_name: String,
    /// Фамилия, agreeing with `gender`.
    pub last_name: String,
    /// Отчество, agreeing with `gender`.
    pub patronymic: String,
    /// Gender.
    pub gender: Gender,
    /// Internal number: "101".
    pub extension: String,
    /// Personal mobile, `+79161234567`.
    pub mobile: String,
    /// Work phone as typed in the CRM: a direct line (`+7 (495) 640-12-34`),
    /// the main number with the extension (`+7 (495) 225-01-01 доб. 101`), or `""`.
    pub work_phone: String,
    /// Work e-mail, unique: `a.kotova@romashka.ru`.
    pub email: String,
    /// Job title: "Менеджер по продажам".
    pub position: String,
    /// Department name: "Отдел продаж" (see [`Bitrix24Portal::departments`]).
    pub department: String,
}

/// A client person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    /// Position in [`World::contacts`].
    pub index: usize,
    /// Bitrix24 contact `ID`.
    pub b24_id: u32,
    /// amoCRM contact `id`.
    pub amo_id: u64,
    /// Имя.
    pub first_name: String,
    /// Фамилия, agreeing with `gender`.
    pub last_name: String,
    /// Отчество, agreeing with `gender`, or `""`.
    pub patronymic: String,
    /// Gender.
    pub gender: Gender,
    /// Phones as people typed them: "+7 (916) 777-55-33", "89161234567", "8 495 123-45-67".
    pub phones: Vec<String>,
    /// E-mail, or `""`.
    pub email: String,
    /// Job title at the company, or `""`.
    pub post: String,
    /// Index into [`World::companies`].
    pub company: Option<usize>,
    /// Index into [`World::employees`].
    pub responsible: usize,
    /// When it was created (PBX wall-clock time).
    pub created: String,
}

/// A client company.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientCompany {
    /// Position in [`World::companies`].
    pub index: usize,
    /// Bitrix24 company `ID`.
    pub b24_id: u32,
    /// amoCRM company `id`.
    pub amo_id: u64,
    /// "ООО «Ромашка»", "АО «СтройИнвест»", "ИП Иванов И. И.".
    pub title: String,
    /// Phones as typed.
    pub phones: Vec<String>,
    /// E-mail, or `""`.
    pub email: String,
    /// City.
    pub city: String,
    /// Index into [`World::employees`].
    pub responsible: usize,
    /// When it was created (PBX wall-clock time).
    pub created: String,
}

/// A Bitrix24 lead: a prospect not yet converted into a contact or company.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lead {
    /// Position in [`World::leads`].
    pub index: usize,
    /// Bitrix24 lead `ID`.
    pub b24_id: u32,
    /// `TITLE`: "Заявка с сайта: Поставка офисной мебели".
    pub title: String,
    /// Имя.
    pub first_name: String,
    /// Фамилия.
    pub last_name: String,
    /// Phones as typed.
    pub phones: Vec<String>,
    /// Index into [`World::employees`].
    pub responsible: usize,
    /// When it was created (PBX wall-clock time).
    pub created: String,
}

/// An amoCRM lead ("сделка").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deal {
    /// Position in [`World::deals`].
    pub index: usize,
    /// amoCRM lead `id`.
    pub amo_id: u64,
    /// "Поставка стеллажей для склада".
    pub name: String,
    /// Index into [`World::contacts`].
    pub contact: Option<usize>,
    /// Index into [`World::companies`].
    pub company: Option<usize>,
    /// Index into [`World::employees`].
    pub responsible: usize,
    /// One of [`AmoAccount::pipelines`].
    pub pipeline_id: u64,
    /// A status of that pipeline; [`WON_STATUS`] and [`LOST_STATUS`] are closed.
    pub status_id: u64,
    /// Budget in roubles (may be 0).
    pub price: u64,
    /// When it was created (PBX wall-clock time).
    pub created: String,
}

/// amoCRM's "Успешно реализовано": the same id in every pipeline.
pub const WON_STATUS: u64 = 142;
/// amoCRM's "Закрыто и не реализовано": the same id in every pipeline.
pub const LOST_STATUS: u64 = 143;

impl Deal {
    /// Not won and not lost.
    pub fn is_open(&self) -> bool {
        self.status_id != WON_STATUS && self.status_id != LOST_STATUS
    }
}

/// A SIP trunk and its number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trunk {
    /// PJSIP endpoint: "mts-trunk".
    pub name: String,
    /// The DID, E.164: "+74952250101".
    pub did: String,
}

/// A client of either kind, borrowed from the world.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientRef<'a> {
    /// A contact.
    Contact(&'a Contact),
    /// A client company.
    Company(&'a ClientCompany),
    /// A Bitrix24 lead.
    Lead(&'a Lead),
}

impl ClientRef<'_> {
    /// Its phones as typed.
    pub fn phones(&self) -> &[String] {
        match self {
            ClientRef::Contact(c) => &c.phones,
            ClientRef::Company(c) => &c.phones,
            ClientRef::Lead(l) => &l.phones,
        }
    }

    /// Index of the responsible employee.
    pub fn responsible(&self) -> usize {
        match self {
            ClientRef::Contact(c) => c.responsible,
            ClientRef::Company(c) => c.responsible,
            ClientRef::Lead(l) => l.responsible,
        }
    }

    /// The name Bitrix24 shows: "Имя Отчество Фамилия" for a contact, the
    /// title for a company or a lead.
    pub fn name(&self) -> String {
        match self {
            ClientRef::Contact(c) => full_name(&c.first_name, &c.patronymic, &c.last_name),
            ClientRef::Company(c) => c.title.clone(),
            ClientRef::Lead(l) => l.title.clone(),
        }
    }

    /// The entity type: `contact`, `company` or `lead`.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientRef::Contact(_) => callfull_model::entity_type::CONTACT,
            ClientRef::Company(_) => callfull_model::entity_type::COMPANY,
            ClientRef::Lead(_) => callfull_model::entity_type::LEAD,
        }
    }

    /// Its Bitrix24 `ID`.
    pub fn b24_id(&self) -> u32 {
        match self {
            ClientRef::Contact(c) => c.b24_id,
            ClientRef::Company(c) => c.b24_id,
            ClientRef::Lead(l) => l.b24_id,
        }
    }

    /// Its amoCRM `id`; `None` for a lead (Bitrix24 only).
    pub fn amo_id(&self) -> Option<u64> {
        match self {
            ClientRef::Contact(c) => Some(c.amo_id),
            ClientRef::Company(c) => Some(c.amo_id),
            ClientRef::Lead(_) => None,
        }
    }
}

/// "Имя Отчество Фамилия", skipping empty parts.
pub fn full_name(first: &str, patronymic: &str, last: &str) -> String {
    [first, patronymic, last].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The Bitrix24 portal of the company.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bitrix24Portal {
    /// "romashka.bitrix24.ru".
    pub domain: String,
    /// The company structure (`department.get`); the root has id 1.
    pub departments: Vec<Department>,
}

impl Bitrix24Portal {
    /// The id of the department called `name` (1, the root, if none is).
    pub fn department_id(&self, name: &str) -> u32 {
        self.departments.iter().find(|d| d.name == name).map_or(1, |d| d.id)
    }
}

/// A Bitrix24 department.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Department {
    /// `ID`.
    pub id: u32,
    /// `NAME`.
    pub name: String,
    /// `PARENT`; `None` for the root.
    pub parent: Option<u32>,
}

/// The company's amoCRM account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AmoAccount {
    /// `account_id` of every record.
    pub account_id: u64,
    /// `https://{subdomain}.amocrm.ru`.
    pub subdomain: String,
    /// The users' group (`rights.group_id`) of the sales staff.
    pub group_id: u64,
    /// Contacts' and companies' `PHONE` field (multitext: WORK, WORKDD, MOB, FAX, HOME, OTHER).
    pub phone_field: CustomField,
    /// `EMAIL` field (multitext: WORK, PRIV, OTHER).
    pub email_field: CustomField,
    /// Contacts' `POSITION` field (text).
    pub position_field: CustomField,
    /// Companies' `WEB` field (url).
    pub web_field: CustomField,
    /// Lead pipelines; the first is the main one.
    pub pipelines: Vec<Pipeline>,
    /// Tags used on contacts: `(id, name)`.
    pub tags: Vec<(u64, String)>,
}

impl AmoAccount {
    /// `https://{subdomain}.amocrm.ru`.
    pub fn base_url(&self) -> String {
        format!("https://{}.amocrm.ru", self.subdomain)
    }
}

/// A predefined amoCRM custom field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomField {
    /// `field_id`.
    pub id: u64,
    /// `field_name`: "Телефон".
    pub name: String,
    /// `field_code`: "PHONE".
    pub code: String,
    /// `field_type`: "multitext", "text", "url".
    pub field_type: String,
    /// `(enum_code, enum_id)` pairs of a multitext field.
    pub enums: Vec<(String, u64)>,
}

impl CustomField {
    /// The `enum_id` of `code` (0 if the field has no such enum).
    pub fn enum_id(&self, code: &str) -> u64 {
        self.enums.iter().find(|(c, _)| c == code).map_or(0, |(_, id)| *id)
    }
}

/// An amoCRM lead pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pipeline {
    /// `id`.
    pub id: u64,
    /// `name`: "Воронка".
    pub name: String,
    /// `sort`.
    pub sort: u32,
    /// `is_main`.
    pub is_main: bool,
    /// Statuses in order: "Неразобранное" (type 1) first, 142 and 143 last.
    pub statuses: Vec<Status>,
}

/// A status of a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// `id` (142 and 143 are the same in every pipeline).
    pub id: u64,
    /// `name`.
    pub name: String,
    /// `sort`.
    pub sort: u32,
    /// `color`: "#99ccff".
    pub color: String,
    /// `is_editable`.
    pub is_editable: bool,
    /// `type`: 1 for "Неразобранное" (incoming leads), else 0.
    pub kind: u8,
}
