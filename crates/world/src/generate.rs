//! [`World::generate`]: one `ChaCha8Rng` seeded from the seed, drawn from in
//! a fixed order, with no clock, no thread RNG and no hash-map iteration, so
//! the same seed and settings give the same world byte for byte.

use std::collections::BTreeSet;

use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use callfull_model::{DateTime, PrefixSettings};

use crate::locale::{self, CITIES, CLIENT_POSTS, City, DEAL_SUBJECTS, FREE_EMAIL_PROVIDERS, LEGAL_FORMS};
use crate::phone::{self, PhoneBook, Style};
use crate::translit::translit;
use crate::types::*;
use crate::{WorldSettings, full_name};

const DAY: i64 = 86_400;

/// A job: title, department, how often it appears, whether only one person holds it.
struct Role {
    position: &'static str,
    department: &'static str,
    weight: u32,
    unique: bool,
}

const fn role(position: &'static str, department: &'static str, weight: u32, unique: bool) -> Role {
    Role { position, department, weight, unique }
}

/// The sales departments: their staff are made responsible for clients.
pub(crate) const SALES_DEPARTMENTS: [&str; 2] = ["Отдел продаж", "Отдел по работе с клиентами"];
/// Positions that are amoCRM admins.
pub(crate) const ADMIN_POSITIONS: [&str; 3] =
    ["Генеральный директор", "Коммерческий директор", "Руководитель отдела продаж"];

const ROLES: &[Role] = &[
    role("Генеральный директор", "Руководство", 1, true),
    role("Коммерческий директор", "Руководство", 1, true),
    role("Руководитель отдела продаж", "Отдел продаж", 2, true),
    role("Менеджер по продажам", "Отдел продаж", 14, false),
    role("Старший менеджер по продажам", "Отдел продаж", 3, false),
    role("Руководитель клиентского отдела", "Отдел по работе с клиентами", 1, true),
    role("Менеджер по работе с клиентами", "Отдел по работе с клиентами", 4, false),
    role("Менеджер по работе с ключевыми клиентами", "Отдел по работе с клиентами", 2, false),
    role("Главный бухгалтер", "Бухгалтерия", 1, true),
    role("Бухгалтер", "Бухгалтерия", 1, false),
    role("Специалист технической поддержки", "Техническая поддержка", 3, false),
    role("Инженер", "Техническая поддержка", 1, false),
    role("Менеджер по закупкам", "Отдел закупок", 1, false),
    role("Логист", "Отдел закупок", 1, false),
    role("Офис-менеджер", "Администрация", 1, true),
];

const DEPARTMENTS: [&str; 7] = [
    "Руководство",
    "Отдел продаж",
    "Отдел по работе с клиентами",
    "Бухгалтерия",
    "Техническая поддержка",
    "Отдел закупок",
    "Администрация",
];

const OPERATORS: [&str; 10] =
    ["mts", "beeline", "megafon", "rostelecom", "mtt", "zadarma", "sipnet", "telphin", "mango", "uiscom"];

const LEAD_TITLES: [&str; 6] = [
    "Заявка с сайта",
    "Запрос коммерческого предложения",
    "Обратный звонок",
    "Запрос цены",
    "Консультация",
    "Заявка с выставки",
];

const TAGS: [&str; 5] = ["опт", "розница", "VIP", "постоянный клиент", "тендер"];

impl World {
    /// Builds the world for `settings` from `seed`. The same seed and
    /// settings give an identical world (compare `serde_json::to_string`).
    ///
    /// Settings are expected to have passed [`WorldSettings::check`] (they
    /// have if they came from [`WorldSettings::from_toml_str`]); out-of-range
    /// counts are clamped rather than refused.
    pub fn generate(settings: &WorldSettings, seed: u64) -> World {
        let mut g = Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            book: PhoneBook::default(),
            day: settings.day(),
            brands: BTreeSet::new(),
        };
        let employees_n = settings.employees.clamp(1, crate::settings::MAX_EMPLOYEES);
        let first_extension = if settings.first_extension as usize + employees_n <= 10_000 {
            settings.first_extension.max(10)
        } else {
            101
        };

        let city = *locale::city(&mut g.rng);
        let brand = g.brand();
        let stem = translit(&brand);
        let company =
            Company { name: format!("ООО «{brand}»"), domain: format!("{stem}.ru"), city: city.name.into() };
        let subdomain: String = stem.chars().filter(|c| *c != '-').collect();

        let trunks = g.trunks(settings.trunks.clamp(1, crate::settings::MAX_TRUNKS), &city);
        let employees = g.employees(employees_n, first_extension, &company, &city, &trunks);
        let sales: Vec<usize> = {
            let s: Vec<usize> = employees
                .iter()
                .filter(|e| SALES_DEPARTMENTS.contains(&e.department.as_str()))
                .map(|e| e.index)
                .collect();
            if s.is_empty() { (0..employees.len()).collect() } else { s }
        };
        let companies = g.companies(settings.companies.min(crate::settings::MAX_CLIENTS), &sales);
        let contacts = g.contacts(settings.contacts.clamp(1, crate::settings::MAX_CLIENTS), &companies, &sales);
        let leads =
            g.leads(settings.leads.min(crate::settings::MAX_CLIENTS), &sales, companies.last(), contacts.last());
        let amo = g.amo_account(subdomain.clone());
        let deals = g.deals(settings.deals.min(crate::settings::MAX_CLIENTS), &contacts, &companies, &amo);

        let mut departments = vec![Department { id: 1, name: company.name.clone(), parent: None }];
        departments.extend(DEPARTMENTS.iter().enumerate().map(|(i, name)| Department {
            id: i as u32 + 2,
            name: (*name).into(),
            parent: Some(1),
        }));
        let b24 = Bitrix24Portal { domain: format!("{subdomain}.bitrix24.ru"), departments };

        let mut world = World {
            seed,
            settings: settings.clone(),
            company,
            employees,
            contacts,
            companies,
            leads,
            deals,
            trunks,
            prefixes: PrefixSettings::new(settings.prefixes.iter().cloned()),
            b24,
            amo,
            numbers: Default::default(),
        };
        world.numbers = crate::lookup::NumberIndex::build(&world);
        world
    }

    /// The world of `seed` with [`WorldSettings::default_settings`].
    pub fn from_seed(seed: u64) -> World {
        World::generate(&WorldSettings::default_settings(), seed)
    }
}

struct Generator {
    rng: ChaCha8Rng,
    book: PhoneBook,
    day: DateTime,
    brands: BTreeSet<String>,
}

impl Generator {
    fn gender(&mut self) -> Gender {
        if self.rng.random_bool(0.5) { Gender::Male } else { Gender::Female }
    }

    /// A brand no other company of the world has.
    fn brand(&mut self) -> String {
        let mut attempt = 0;
        loop {
            let mut brand = locale::brand(&mut self.rng);
            attempt += 1;
            if attempt > 20 {
                brand = format!("{brand}-{attempt}");
            }
            if self.brands.insert(translit(&brand)) {
                return brand;
            }
        }
    }

    /// A working-hours time `min_days..max_days` before the working day.
    fn past(&mut self, min_days: i64, max_days: i64) -> DateTime {
        let days = self.rng.random_range(min_days..=max_days.max(min_days));
        let secs = self.rng.random_range(9 * 3600..19 * 3600);
        self.day.plus_seconds(-days * DAY + secs)
    }

    fn trunks(&mut self, n: usize, city: &City) -> Vec<Trunk> {
        let mut operators = OPERATORS;
        // Fisher–Yates with our own RNG, so the order depends on the seed only.
        for i in (1..operators.len()).rev() {
            let j = self.rng.random_range(0..=i);
            operators.swap(i, j);
        }
        let code: u64 = city.codes[0].parse().unwrap_or(495);
        let exchange = self.rng.random_range(200..990u64);
        let block = self.rng.random_range(1..90u64);
        let mut next = code * 10_000_000 + exchange * 10_000 + block * 100;
        (0..n)
            .map(|i| {
                let op = operators[i % operators.len()];
                let name = if i < operators.len() {
                    format!("{op}-trunk")
                } else {
                    format!("{op}-trunk-{}", i / operators.len() + 1)
                };
                loop {
                    next += 1;
                    if self.book.take(next) {
                        break;
                    }
                }
                Trunk { name, did: phone::format(next, Style::E164) }
            })
            .collect()
    }

    fn employees(
        &mut self,
        n: usize,
        first_extension: u32,
        company: &Company,
        city: &City,
        trunks: &[Trunk],
    ) -> Vec<Employee> {
        let mut taken_roles = BTreeSet::new();
        let mut emails = BTreeSet::new();
        let main_number = phone::national(&trunks[0].did).unwrap_or(0);
        let mut employees: Vec<Employee> = (0..n)
            .map(|index| {
                let role = self.role(&mut taken_roles);
                let gender = self.gender();
                let first_name = locale::first_name(&mut self.rng, gender).to_owned();
                let last_name = locale::surname(&mut self.rng, gender);
                let patronymic = locale::random_patronymic(&mut self.rng, gender);
                let extension = (first_extension + index as u32).to_string();
                let mobile = phone::format(self.book.mobile(&mut self.rng), Style::E164);
                let work_phone = match self.rng.random_range(0..10) {
                    0..4 => String::new(),
                    4..7 => phone::format(self.book.city(&mut self.rng, city), Style::PlusParens),
                    _ => format!("{} доб. {extension}", phone::format(main_number, Style::PlusParens)),
                };
                let email = unique_email(&mut emails, &first_name, &patronymic, &last_name, &company.domain);
                Employee {
                    index,
                    b24_id: 0,
                    amo_id: 0,
                    first_name,
                    last_name,
                    patronymic,
                    gender,
                    extension,
                    mobile,
                    work_phone,
                    email,
                    position: role.position.into(),
                    department: role.department.into(),
                }
            })
            .collect();
        if !employees.iter().any(|e| SALES_DEPARTMENTS.contains(&e.department.as_str())) {
            employees[0].position = "Менеджер по продажам".into();
            employees[0].department = "Отдел продаж".into();
        }
        let mut b24 = self.rng.random_range(1..12u32);
        let mut amo = self.rng.random_range(6_000_000..9_900_000u64);
        for e in &mut employees {
            e.b24_id = b24;
            e.amo_id = amo;
            b24 += self.rng.random_range(1..4u32);
            amo += self.rng.random_range(1_000..40_000u64);
        }
        employees
    }

    fn role(&mut self, taken: &mut BTreeSet<&'static str>) -> &'static Role {
        let available = || ROLES.iter().filter(|r| !(r.unique && taken.contains(r.position)));
        let total: u32 = available().map(|r| r.weight).sum();
        let mut roll = self.rng.random_range(0..total.max(1));
        let mut chosen = &ROLES[3];
        for r in available() {
            if roll < r.weight {
                chosen = r;
                break;
            }
            roll -= r.weight;
        }
        if chosen.unique {
            taken.insert(chosen.position);
        }
        chosen
    }

    fn companies(&mut self, n: usize, sales: &[usize]) -> Vec<ClientCompany> {
        let mut b24 = self.rng.random_range(1_000..1_200u32);
        let mut amo = self.rng.random_range(20_000_000..29_000_000u64);
        (0..n)
            .map(|index| {
                let city = *locale::city(&mut self.rng);
                let form = weighted(&mut self.rng, LEGAL_FORMS);
                let (title, domain) = if form == "ИП" {
                    let gender = self.gender();
                    let last = locale::surname(&mut self.rng, gender);
                    let first = locale::first_name(&mut self.rng, gender);
                    let patronymic = locale::random_patronymic(&mut self.rng, gender);
                    (format!("ИП {last} {}", locale::initials(first, &patronymic)), None)
                } else {
                    let brand = self.brand();
                    let domain = format!("{}.ru", translit(&brand));
                    (format!("{form} «{brand}»"), Some(domain))
                };
                let mut phones = Vec::new();
                if domain.is_some() {
                    phones.push(phone::format(self.book.city(&mut self.rng, &city), Style::random(&mut self.rng)));
                    if self.rng.random_bool(0.35) {
                        let n = if self.rng.random_bool(0.5) {
                            self.book.city(&mut self.rng, &city)
                        } else {
                            self.book.mobile(&mut self.rng)
                        };
                        phones.push(phone::format(n, Style::random(&mut self.rng)));
                    }
                } else {
                    phones.push(phone::format(self.book.mobile(&mut self.rng), Style::random(&mut self.rng)));
                }
                let email = match &domain {
                    Some(d) => {
                        let mailbox = ["info", "office", "sales", "zakaz", "mail"].choose(&mut self.rng).copied();
                        format!("{}@{d}", mailbox.unwrap_or("info"))
                    }
                    None if self.rng.random_bool(0.6) => {
                        let provider = FREE_EMAIL_PROVIDERS.choose(&mut self.rng).copied().unwrap_or("mail.ru");
                        format!(
                            "{}{}@{provider}",
                            translit(title.split(' ').nth(1).unwrap_or("ip")),
                            self.rng.random_range(10..99)
                        )
                    }
                    None => String::new(),
                };
                let company = ClientCompany {
                    index,
                    b24_id: b24,
                    amo_id: amo,
                    title,
                    phones,
                    email,
                    city: city.name.into(),
                    responsible: *sales.choose(&mut self.rng).unwrap_or(&0),
                    created: self.past(200, 1500).to_string(),
                };
                b24 += self.rng.random_range(1..5u32);
                amo += self.rng.random_range(2..60u64);
                company
            })
            .collect()
    }

    fn contacts(&mut self, n: usize, companies: &[ClientCompany], sales: &[usize]) -> Vec<Contact> {
        let mut b24 = 2_000.max(companies.last().map_or(0, |c| c.b24_id + 1)) + self.rng.random_range(0..600u32);
        let mut amo = companies.last().map_or(self.rng.random_range(20_000_000..29_000_000u64), |c| c.amo_id + 7);
        let mut emails = BTreeSet::new();
        (0..n)
            .map(|index| {
                let gender = self.gender();
                let first_name = locale::first_name(&mut self.rng, gender).to_owned();
                let last_name = locale::surname(&mut self.rng, gender);
                let patronymic = if self.rng.random_bool(0.6) {
                    locale::random_patronymic(&mut self.rng, gender)
                } else {
                    String::new()
                };
                let company = (!companies.is_empty() && self.rng.random_bool(0.6))
                    .then(|| self.rng.random_range(0..companies.len()));
                let home = match company {
                    Some(c) => CITIES.iter().find(|city| city.name == companies[c].city).copied().unwrap_or(CITIES[0]),
                    None => *locale::city(&mut self.rng),
                };
                let mut phones = Vec::new();
                let first = if self.rng.random_bool(0.88) {
                    self.book.mobile(&mut self.rng)
                } else {
                    self.book.city(&mut self.rng, &home)
                };
                phones.push(phone::format(first, Style::random(&mut self.rng)));
                if self.rng.random_bool(0.3) {
                    let n = if phone::is_mobile(first) && self.rng.random_bool(0.7) {
                        self.book.city(&mut self.rng, &home)
                    } else {
                        self.book.mobile(&mut self.rng)
                    };
                    phones.push(phone::format(n, Style::random(&mut self.rng)));
                    if self.rng.random_bool(0.1) {
                        phones.push(phone::format(self.book.mobile(&mut self.rng), Style::random(&mut self.rng)));
                    }
                }
                let company_domain =
                    company.and_then(|c| companies[c].email.split_once('@')).map(|(_, d)| d.to_owned());
                let email = match company_domain {
                    Some(domain) if !FREE_EMAIL_PROVIDERS.contains(&domain.as_str()) => {
                        unique_email(&mut emails, &first_name, &patronymic, &last_name, &domain)
                    }
                    _ if self.rng.random_bool(0.6) => {
                        let provider = FREE_EMAIL_PROVIDERS.choose(&mut self.rng).copied().unwrap_or("mail.ru");
                        let login = match self.rng.random_range(0..3) {
                            0 => format!("{}.{}", translit(&first_name), translit(&last_name)),
                            1 => format!("{}{}", translit(&last_name), self.rng.random_range(70..100)),
                            _ => format!("{}_{}", translit(&first_name), translit(&last_name)),
                        };
                        unique_login(&mut emails, login, provider)
                    }
                    _ => String::new(),
                };
                let post = if company.is_some() {
                    CLIENT_POSTS[..CLIENT_POSTS.len() - 1].choose(&mut self.rng).copied().unwrap_or("").to_owned()
                } else {
                    String::new()
                };
                let responsible = match company {
                    Some(c) if self.rng.random_bool(0.75) => companies[c].responsible,
                    _ => *sales.choose(&mut self.rng).unwrap_or(&0),
                };
                let created = self.past(20, 1100).to_string();
                let contact = Contact {
                    index,
                    b24_id: b24,
                    amo_id: amo,
                    first_name,
                    last_name,
                    patronymic,
                    gender,
                    phones,
                    email,
                    post,
                    company,
                    responsible,
                    created,
                };
                b24 += self.rng.random_range(1..6u32);
                amo += self.rng.random_range(2..60u64);
                contact
            })
            .collect()
    }

    fn leads(
        &mut self,
        n: usize,
        sales: &[usize],
        last_company: Option<&ClientCompany>,
        last_contact: Option<&Contact>,
    ) -> Vec<Lead> {
        let after = last_company.map_or(0, |c| c.b24_id).max(last_contact.map_or(0, |c| c.b24_id)) + 1;
        let mut b24 = 3_000.max(after) + self.rng.random_range(0..400u32);
        (0..n)
            .map(|index| {
                let gender = self.gender();
                let first_name = locale::first_name(&mut self.rng, gender).to_owned();
                let last_name = locale::surname(&mut self.rng, gender);
                let number = if self.rng.random_bool(0.9) {
                    self.book.mobile(&mut self.rng)
                } else {
                    let city = locale::city(&mut self.rng);
                    self.book.city(&mut self.rng, city)
                };
                let kind = LEAD_TITLES.choose(&mut self.rng).copied().unwrap_or("Заявка с сайта");
                let subject = DEAL_SUBJECTS.choose(&mut self.rng).copied().unwrap_or("Консультация");
                let title = match self.rng.random_range(0..3) {
                    0 => kind.to_owned(),
                    1 => format!("{kind}: {}", subject.to_lowercase_first()),
                    _ => format!("{subject} — {}", full_name(&first_name, "", &last_name)),
                };
                let lead = Lead {
                    index,
                    b24_id: b24,
                    title,
                    first_name,
                    last_name,
                    phones: vec![phone::format(number, Style::random(&mut self.rng))],
                    responsible: *sales.choose(&mut self.rng).unwrap_or(&0),
                    created: self.past(1, 60).to_string(),
                };
                b24 += self.rng.random_range(1..4u32);
                lead
            })
            .collect()
    }

    fn amo_account(&mut self, subdomain: String) -> AmoAccount {
        let account_id = self.rng.random_range(28_000_000..33_000_000u64);
        let field = self.rng.random_range(500_000..900_000u64);
        let enums = self.rng.random_range(300_000..500_000u64);
        let multitext = |id: u64, name: &str, code: &str, codes: &[(&str, u64)]| CustomField {
            id,
            name: name.into(),
            code: code.into(),
            field_type: "multitext".into(),
            enums: codes.iter().map(|(c, off)| ((*c).to_owned(), enums + off)).collect(),
        };
        let phone_field = multitext(
            field + 2,
            "Телефон",
            "PHONE",
            &[("WORK", 0), ("WORKDD", 1), ("MOB", 2), ("FAX", 3), ("HOME", 4), ("OTHER", 5)],
        );
        let email_field = multitext(field + 4, "Email", "EMAIL", &[("WORK", 8), ("PRIV", 9), ("OTHER", 10)]);
        let plain = |id: u64, name: &str, code: &str, kind: &str| CustomField {
            id,
            name: name.into(),
            code: code.into(),
            field_type: kind.into(),
            enums: Vec::new(),
        };
        let pipeline_base = self.rng.random_range(3_000_000..9_000_000u64);
        let status_base = self.rng.random_range(30_000_000..70_000_000u64);
        let pipelines = vec![
            pipeline(
                pipeline_base,
                "Воронка",
                1,
                true,
                status_base,
                &["Первичный контакт", "Переговоры", "Принимают решение", "Согласование договора"],
            ),
            pipeline(
                pipeline_base + 1,
                "Повторные продажи",
                2,
                false,
                status_base + 10,
                &["Новый запрос", "Счёт выставлен", "Оплата получена"],
            ),
        ];
        let tag_base = self.rng.random_range(10_000..90_000u64);
        AmoAccount {
            account_id,
            subdomain,
            group_id: self.rng.random_range(100_000..900_000u64),
            phone_field,
            email_field,
            position_field: plain(field, "Должность", "POSITION", "text"),
            web_field: plain(field + 6, "Web", "WEB", "url"),
            pipelines,
            tags: TAGS.iter().enumerate().map(|(i, t)| (tag_base + i as u64, (*t).to_owned())).collect(),
        }
    }

    fn deals(
        &mut self,
        n: usize,
        contacts: &[Contact],
        companies: &[ClientCompany],
        amo_account: &AmoAccount,
    ) -> Vec<Deal> {
        let mut amo = self.rng.random_range(10_000_000..19_000_000u64);
        (0..n)
            .map(|index| {
                let (contact, company) = if companies.is_empty() || self.rng.random_bool(0.75) {
                    let c = self.rng.random_range(0..contacts.len());
                    (Some(c), contacts[c].company)
                } else {
                    (None, Some(self.rng.random_range(0..companies.len())))
                };
                let (responsible, client_created) = match (contact, company) {
                    (Some(c), _) => (contacts[c].responsible, contacts[c].created.as_str()),
                    (None, Some(c)) => (companies[c].responsible, companies[c].created.as_str()),
                    (None, None) => (0, ""),
                };
                let pipeline =
                    if self.rng.random_bool(0.8) { &amo_account.pipelines[0] } else { &amo_account.pipelines[1] };
                let roll = self.rng.random_range(0..100);
                let status_id = match roll {
                    0..12 => WON_STATUS,
                    12..20 => LOST_STATUS,
                    _ => {
                        let open: Vec<u64> =
                            pipeline.statuses.iter().filter(|s| s.kind == 0 && s.is_editable).map(|s| s.id).collect();
                        *open.choose(&mut self.rng).unwrap_or(&pipeline.statuses[0].id)
                    }
                };
                let price = if self.rng.random_bool(0.1) { 0 } else { self.rng.random_range(5..2_000u64) * 1_000 };
                let subject = DEAL_SUBJECTS.choose(&mut self.rng).copied().unwrap_or("Поставка оборудования");
                let client_days =
                    DateTime::parse(client_created).map_or(400, |c| self.day.seconds_since(c) / DAY).clamp(2, 1100);
                let created = self.past(1, client_days - 1).to_string();
                let deal = Deal {
                    index,
                    amo_id: amo,
                    name: subject.to_owned(),
                    contact,
                    company,
                    responsible,
                    pipeline_id: pipeline.id,
                    status_id,
                    price,
                    created,
                };
                amo += self.rng.random_range(3..400u64);
                deal
            })
            .collect()
    }
}

fn pipeline(id: u64, name: &str, sort: u32, is_main: bool, status_base: u64, open: &[&str]) -> Pipeline {
    const COLORS: [&str; 6] = ["#99ccff", "#ffff99", "#ffcc66", "#ff9966", "#87f2c0", "#d6eaff"];
    let mut statuses = vec![Status {
        id: status_base,
        name: "Неразобранное".into(),
        sort: 10,
        color: "#c1c1c1".into(),
        is_editable: false,
        kind: 1,
    }];
    statuses.extend(open.iter().enumerate().map(|(i, s)| Status {
        id: status_base + 1 + i as u64,
        name: (*s).into(),
        sort: 20 + 10 * i as u32,
        color: COLORS[i % COLORS.len()].into(),
        is_editable: true,
        kind: 0,
    }));
    statuses.push(Status {
        id: WON_STATUS,
        name: "Успешно реализовано".into(),
        sort: 10_000,
        color: "#CCFF66".into(),
        is_editable: false,
        kind: 0,
    });
    statuses.push(Status {
        id: LOST_STATUS,
        name: "Закрыто и не реализовано".into(),
        sort: 11_000,
        color: "#D5D8DB".into(),
        is_editable: false,
        kind: 0,
    });
    Pipeline { id, name: name.into(), sort, is_main, statuses }
}

fn weighted<R: RngExt + ?Sized>(rng: &mut R, items: &[(&'static str, u32)]) -> &'static str {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (item, weight) in items {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    items.first().map_or("", |(item, _)| item)
}

/// `a.kotova@domain`, then `a.s.kotova@domain`, `anna.kotova@domain`, `a.kotova2@domain`, ….
fn unique_email(taken: &mut BTreeSet<String>, first: &str, patronymic: &str, last: &str, domain: &str) -> String {
    let (f, p, l) = (translit(first), translit(patronymic), translit(last));
    let initial = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    let candidates = [
        format!("{}.{l}@{domain}", initial(&f)),
        format!("{}.{}.{l}@{domain}", initial(&f), initial(&p)),
        format!("{f}.{l}@{domain}"),
    ];
    for candidate in candidates {
        if !candidate.contains("..") && taken.insert(candidate.clone()) {
            return candidate;
        }
    }
    unique_login(taken, format!("{}.{l}", initial(&f)), domain)
}

fn unique_login(taken: &mut BTreeSet<String>, login: String, domain: &str) -> String {
    let first = format!("{login}@{domain}");
    if taken.insert(first.clone()) {
        return first;
    }
    (2..).map(|n| format!("{login}{n}@{domain}")).find(|candidate| taken.insert(candidate.clone())).unwrap_or(first)
}

trait LowerFirst {
    fn to_lowercase_first(&self) -> String;
}

impl LowerFirst for str {
    /// "Поставка офисной мебели" → "поставка офисной мебели" (keeps "IP-телефонов", "CRM").
    fn to_lowercase_first(&self) -> String {
        let mut chars = self.chars();
        match chars.next() {
            Some(c) => c.to_lowercase().chain(chars).collect(),
            None => String::new(),
        }
    }
}
