//! Russian-market data: a `ru_RU` locale for the `fake` crate, plus the
//! gender-aware helpers that `fake`'s locale trait cannot express.
//!
//! [`RU_RU`] implements [`fake::locales::Data`], so every locale-generic
//! faker of `fake` works with it:
//!
//! ```
//! use callfull_world::locale::RU_RU;
//! use fake::Fake;
//! use fake::faker::address::raw::CityName;
//! use fake::faker::name::raw::FirstName;
//! use rand::SeedableRng;
//!
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
//! let name: String = FirstName(RU_RU).fake_with_rng(&mut rng);
//! let city: String = CityName(RU_RU).fake_with_rng(&mut rng);
//! assert!(name.chars().all(|c| ('А'..='я').contains(&c) || c == 'ё'));
//! assert!(callfull_world::locale::CITIES.iter().any(|c| c.name == city));
//! ```
//!
//! The trait has no gender: `FirstName` draws from both lists and `LastName`
//! gives the dictionary (masculine) form. Where the name must agree, use
//! [`first_name`], [`surname`] and [`patronymic`], which take a [`Gender`].

use fake::faker::address::raw::CityName;
use fake::faker::impls::address::CityNameGenFn;
use fake::locales::Data;
use rand::RngExt;
use rand::seq::IndexedRandom;

use crate::Gender;

/// The Russian locale for `fake` (`FirstName(RU_RU)`, `CityName(RU_RU)`,
/// `CompanyName(RU_RU)`, `CellNumber(RU_RU)`, …).
#[allow(non_camel_case_types)]
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub struct RU_RU;

const FIRST_NAMES: [&str; 90] = [
    // male (MALE_COUNT)
    "Александр",
    "Алексей",
    "Анатолий",
    "Андрей",
    "Антон",
    "Аркадий",
    "Артём",
    "Борис",
    "Вадим",
    "Валерий",
    "Василий",
    "Виктор",
    "Виталий",
    "Владимир",
    "Владислав",
    "Вячеслав",
    "Геннадий",
    "Георгий",
    "Глеб",
    "Григорий",
    "Денис",
    "Дмитрий",
    "Евгений",
    "Егор",
    "Иван",
    "Игорь",
    "Илья",
    "Кирилл",
    "Константин",
    "Лев",
    "Леонид",
    "Максим",
    "Матвей",
    "Михаил",
    "Никита",
    "Николай",
    "Олег",
    "Павел",
    "Пётр",
    "Роман",
    "Руслан",
    "Семён",
    "Сергей",
    "Станислав",
    "Степан",
    "Тимофей",
    "Фёдор",
    "Эдуард",
    "Юрий",
    "Ярослав",
    // female
    "Александра",
    "Алина",
    "Алёна",
    "Анастасия",
    "Анна",
    "Валентина",
    "Валерия",
    "Вера",
    "Вероника",
    "Виктория",
    "Галина",
    "Дарья",
    "Диана",
    "Евгения",
    "Екатерина",
    "Елена",
    "Елизавета",
    "Жанна",
    "Инна",
    "Ирина",
    "Карина",
    "Кристина",
    "Ксения",
    "Лариса",
    "Любовь",
    "Людмила",
    "Маргарита",
    "Марина",
    "Мария",
    "Надежда",
    "Наталья",
    "Оксана",
    "Ольга",
    "Полина",
    "Светлана",
    "София",
    "Таисия",
    "Татьяна",
    "Юлия",
    "Яна",
];
const MALE_COUNT: usize = 50;

/// Male first names.
pub const MALE_FIRST_NAMES: &[&str] = FIRST_NAMES.split_at(MALE_COUNT).0;
/// Female first names.
pub const FEMALE_FIRST_NAMES: &[&str] = FIRST_NAMES.split_at(MALE_COUNT).1;

/// Surnames in their dictionary (masculine) form; [`surname`] gives the
/// feminine one (Котов → Котова, Лебедев → Лебедева, Никитин → Никитина,
/// Островский → Островская, Толстой → Толстая; Шевченко, Полищук, Черных stay).
pub const SURNAMES: &[&str] = &[
    "Иванов",
    "Петров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Александров",
    "Дмитриев",
    "Королёв",
    "Гусев",
    "Киселёв",
    "Ильин",
    "Максимов",
    "Поляков",
    "Сорокин",
    "Виноградов",
    "Ковалёв",
    "Белов",
    "Медведев",
    "Антонов",
    "Тарасов",
    "Жуков",
    "Баранов",
    "Филиппов",
    "Комаров",
    "Давыдов",
    "Беляев",
    "Герасимов",
    "Богданов",
    "Осипов",
    "Сидоров",
    "Матвеев",
    "Титов",
    "Марков",
    "Миронов",
    "Крылов",
    "Куликов",
    "Карпов",
    "Власов",
    "Мельников",
    "Денисов",
    "Гаврилов",
    "Тихонов",
    "Казаков",
    "Афанасьев",
    "Данилов",
    "Савельев",
    "Тимофеев",
    "Фомин",
    "Чернов",
    "Абрамов",
    "Мартынов",
    "Ефимов",
    "Щербаков",
    "Назаров",
    "Калинин",
    "Исаев",
    "Быков",
    "Маслов",
    "Родионов",
    "Коновалов",
    "Лазарев",
    "Воронин",
    "Климов",
    "Филатов",
    "Пономарёв",
    "Голубев",
    "Кудрявцев",
    "Прохоров",
    "Наумов",
    "Потапов",
    "Журавлёв",
    "Овчинников",
    "Трофимов",
    "Леонов",
    "Соболев",
    "Ермаков",
    "Колесников",
    "Гончаров",
    "Котов",
    "Гришин",
    "Ефремов",
    "Громов",
    "Кириллов",
    "Малышев",
    "Панов",
    "Румянцев",
    "Галкин",
    "Скворцов",
    "Белоусов",
    "Цветков",
    "Князев",
    "Жданов",
    "Щукин",
    "Островский",
    "Вишневский",
    "Покровский",
    "Успенский",
    "Соколовский",
    "Белецкий",
    "Толстой",
    "Шевченко",
    "Бондаренко",
    "Ткаченко",
    "Коваленко",
    "Полищук",
    "Черных",
    "Седых",
];

/// Patronymics: the father's name, then the masculine and feminine forms.
/// Covers every male first name above plus a few names now more often seen
/// in patronymics than on people (Фома, Лука, Кузьма).
pub const PATRONYMICS: &[(&str, &str, &str)] = &[
    ("Александр", "Александрович", "Александровна"),
    ("Алексей", "Алексеевич", "Алексеевна"),
    ("Анатолий", "Анатольевич", "Анатольевна"),
    ("Андрей", "Андреевич", "Андреевна"),
    ("Антон", "Антонович", "Антоновна"),
    ("Аркадий", "Аркадьевич", "Аркадьевна"),
    ("Артём", "Артёмович", "Артёмовна"),
    ("Борис", "Борисович", "Борисовна"),
    ("Вадим", "Вадимович", "Вадимовна"),
    ("Валерий", "Валерьевич", "Валерьевна"),
    ("Василий", "Васильевич", "Васильевна"),
    ("Виктор", "Викторович", "Викторовна"),
    ("Виталий", "Витальевич", "Витальевна"),
    ("Владимир", "Владимирович", "Владимировна"),
    ("Владислав", "Владиславович", "Владиславовна"),
    ("Вячеслав", "Вячеславович", "Вячеславовна"),
    ("Геннадий", "Геннадьевич", "Геннадьевна"),
    ("Георгий", "Георгиевич", "Георгиевна"),
    ("Глеб", "Глебович", "Глебовна"),
    ("Григорий", "Григорьевич", "Григорьевна"),
    ("Денис", "Денисович", "Денисовна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"),
    ("Егор", "Егорович", "Егоровна"),
    ("Иван", "Иванович", "Ивановна"),
    ("Игорь", "Игоревич", "Игоревна"),
    ("Илья", "Ильич", "Ильинична"),
    ("Кирилл", "Кириллович", "Кирилловна"),
    ("Константин", "Константинович", "Константиновна"),
    ("Лев", "Львович", "Львовна"),
    ("Леонид", "Леонидович", "Леонидовна"),
    ("Максим", "Максимович", "Максимовна"),
    ("Матвей", "Матвеевич", "Матвеевна"),
    ("Михаил", "Михайлович", "Михайловна"),
    ("Никита", "Никитич", "Никитична"),
    ("Николай", "Николаевич", "Николаевна"),
    ("Олег", "Олегович", "Олеговна"),
    ("Павел", "Павлович", "Павловна"),
    ("Пётр", "Петрович", "Петровна"),
    ("Роман", "Романович", "Романовна"),
    ("Руслан", "Русланович", "Руслановна"),
    ("Семён", "Семёнович", "Семёновна"),
    ("Сергей", "Сергеевич", "Сергеевна"),
    ("Станислав", "Станиславович", "Станиславовна"),
    ("Степан", "Степанович", "Степановна"),
    ("Тимофей", "Тимофеевич", "Тимофеевна"),
    ("Фёдор", "Фёдорович", "Фёдоровна"),
    ("Эдуард", "Эдуардович", "Эдуардовна"),
    ("Юрий", "Юрьевич", "Юрьевна"),
    ("Ярослав", "Ярославович", "Ярославовна"),
    ("Фома", "Фомич", "Фоминична"),
    ("Лука", "Лукич", "Лукинична"),
    ("Кузьма", "Кузьмич", "Кузьминична"),
];

/// A city: its name, its long-distance codes (first one is the main) and
/// the IANA zone a PBX there would use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct City {
    /// Name, nominative: "Москва".
    pub name: &'static str,
    /// Three-digit long-distance codes, main first: `["495", "499"]`.
    pub codes: &'static [&'static str],
    /// IANA time zone.
    pub time_zone: &'static str,
}

/// Cities with three-digit codes (so a city number is code + 7 digits).
pub const CITIES: &[City] = &[
    City { name: "Москва", codes: &["495", "499"], time_zone: "Europe/Moscow" },
    City { name: "Санкт-Петербург", codes: &["812"], time_zone: "Europe/Moscow" },
    City { name: "Екатеринбург", codes: &["343"], time_zone: "Asia/Yekaterinburg" },
    City { name: "Новосибирск", codes: &["383"], time_zone: "Asia/Novosibirsk" },
    City { name: "Казань", codes: &["843"], time_zone: "Europe/Moscow" },
    City { name: "Нижний Новгород", codes: &["831"], time_zone: "Europe/Moscow" },
    City { name: "Самара", codes: &["846"], time_zone: "Europe/Samara" },
    City { name: "Ростов-на-Дону", codes: &["863"], time_zone: "Europe/Moscow" },
    City { name: "Краснодар", codes: &["861"], time_zone: "Europe/Moscow" },
    City { name: "Челябинск", codes: &["351"], time_zone: "Asia/Yekaterinburg" },
    City { name: "Уфа", codes: &["347"], time_zone: "Asia/Yekaterinburg" },
    City { name: "Пермь", codes: &["342"], time_zone: "Asia/Yekaterinburg" },
    City { name: "Воронеж", codes: &["473"], time_zone: "Europe/Moscow" },
    City { name: "Красноярск", codes: &["391"], time_zone: "Asia/Krasnoyarsk" },
];

const CITY_NAMES: [&str; 14] = [
    "Москва",
    "Санкт-Петербург",
    "Екатеринбург",
    "Новосибирск",
    "Казань",
    "Нижний Новгород",
    "Самара",
    "Ростов-на-Дону",
    "Краснодар",
    "Челябинск",
    "Уфа",
    "Пермь",
    "Воронеж",
    "Красноярск",
];

/// Russian mobile (DEF) codes in use: +7 9xx.
pub const MOBILE_CODES: &[&str] = &[
    "901", "903", "905", "906", "909", "910", "911", "912", "913", "914", "915", "916", "917", "918", "919", "920",
    "921", "922", "925", "926", "927", "928", "929", "930", "931", "932", "933", "937", "938", "939", "950", "951",
    "952", "953", "958", "960", "961", "962", "963", "964", "965", "966", "967", "968", "969", "977", "978", "980",
    "981", "982", "983", "984", "985", "986", "987", "988", "989", "991", "993", "995", "996", "999",
];

/// Free e-mail providers people in Russia use.
pub const FREE_EMAIL_PROVIDERS: &[&str] =
    &["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "list.ru", "inbox.ru", "rambler.ru", "ya.ru"];

/// Job titles of a client's contact person (`POST` in Bitrix24, `POSITION` in amoCRM).
pub const CLIENT_POSTS: &[&str] = &[
    "Генеральный директор",
    "Директор",
    "Коммерческий директор",
    "Финансовый директор",
    "Технический директор",
    "Главный инженер",
    "Главный бухгалтер",
    "Бухгалтер",
    "Начальник отдела снабжения",
    "Менеджер по закупкам",
    "Специалист по закупкам",
    "Заведующий складом",
    "Руководитель проекта",
    "Инженер",
    "Юрист",
    "Офис-менеджер",
    "Администратор",
    "Индивидуальный предприниматель",
];

/// One-word brand names for companies ("ООО «Ромашка»").
pub const BRANDS: &[&str] = &[
    "Ромашка",
    "Вектор",
    "Гранит",
    "Меридиан",
    "Альянс",
    "Горизонт",
    "Сириус",
    "Атлант",
    "Орион",
    "Спектр",
    "Эталон",
    "Авангард",
    "Прогресс",
    "Магистраль",
    "Регион",
    "Созвездие",
    "Берёзка",
    "Импульс",
    "Монолит",
    "Феникс",
    "Кристалл",
    "Меркурий",
    "Восход",
    "Содружество",
];

/// First halves of compound company names ("Строй" + "Инвест").
pub const BRAND_HEADS: &[&str] = &[
    "Строй",
    "Техно",
    "Пром",
    "Агро",
    "Мед",
    "Энерго",
    "Транс",
    "Электро",
    "Тепло",
    "Газ",
    "Нефте",
    "Хим",
    "Лес",
    "Металл",
    "Спец",
    "Евро",
    "Сиб",
    "Урал",
    "Волга",
    "Нева",
    "Инфо",
    "Бизнес",
    "Авто",
    "Дом",
];

/// Second halves of compound company names.
pub const BRAND_TAILS: &[&str] = &[
    "Инвест",
    "Снаб",
    "Торг",
    "Сервис",
    "Комплект",
    "Монтаж",
    "Проект",
    "Логистик",
    "Трейд",
    "Систем",
    "Ресурс",
    "Строй",
    "Маркет",
    "Групп",
    "Холдинг",
    "Лайн",
    "Профи",
    "Техника",
    "Альянс",
    "Капитал",
];

/// Legal forms of client companies, with how often each appears.
pub const LEGAL_FORMS: &[(&str, u32)] = &[("ООО", 14), ("АО", 3), ("ПАО", 1), ("ИП", 4)];

/// What the company sells: lead and deal subjects ("Поставка стеллажей для склада").
pub const DEAL_SUBJECTS: &[&str] = &[
    "Поставка стеллажей для склада",
    "Поставка офисной мебели",
    "Монтаж системы видеонаблюдения",
    "Обслуживание кондиционеров",
    "Поставка серверного оборудования",
    "Годовое сервисное обслуживание",
    "Поставка расходных материалов",
    "Внедрение CRM",
    "Аренда спецтехники",
    "Поставка металлопроката",
    "Ремонт офиса",
    "Поставка упаковки",
    "Обучение персонала",
    "Доставка оборудования",
    "Поставка спецодежды",
    "Проектирование вентиляции",
    "Поставка электрокабеля",
    "Поставка IP-телефонов",
    "Настройка АТС",
    "Абонентское обслуживание",
];

impl Data for RU_RU {
    const NAME_FIRST_NAME: &'static [&'static str] = &FIRST_NAMES;
    const NAME_LAST_NAME: &'static [&'static str] = SURNAMES;
    const NAME_TITLE: &'static [&'static str] = &["г-н", "г-жа", "д-р", "проф."];
    const NAME_SUFFIX: &'static [&'static str] = &["мл.", "ст."];
    const NAME_TPL: &'static str = "{FirstName} {LastName}";
    const NAME_WITH_TITLE_TPL: &'static str = "{Title} {FirstName} {LastName}";

    const JOB_SENIORITY: &'static [&'static str] = &["Младший", "Старший", "Ведущий", "Главный"];
    const JOB_FIELD: &'static [&'static str] =
        &["продаж", "закупок", "логистики", "маркетинга", "поддержки", "бухгалтерии", "снабжения"];
    const JOB_POSITION: &'static [&'static str] = &["менеджер", "специалист", "инженер", "аналитик", "консультант"];
    const JOB_TITLE_TPL: &'static str = "{Seniority} {Position} {Field}";

    const ADDRESS_CITY_PREFIX: &'static [&'static str] = &["Нижний", "Великий", "Старый", "Новый"];
    const ADDRESS_CITY_SUFFIX: &'static [&'static str] = &["ск", "град", "бург", "ов"];
    const ADDRESS_CITY_TPL: &'static str = "{CityName}";
    const ADDRESS_CITY_WITH_PREFIX_TPL: &'static str = "{CityPrefix} {CityName}";
    const ADDRESS_COUNTRY: &'static [&'static str] = &["Россия"];
    const ADDRESS_COUNTRY_CODE: &'static [&'static str] = &["RU"];
    const ADDRESS_STREET_SUFFIX: &'static [&'static str] = &["улица", "проспект", "переулок", "шоссе", "бульвар"];
    const ADDRESS_STREET_TPL: &'static str = "{StreetSuffix} {StreetName}";
    const ADDRESS_SECONDARY_ADDR_TYPE: &'static [&'static str] = &["офис", "кв.", "пом."];
    const ADDRESS_SECONDARY_ADDR_TPL: &'static str = "{SecondaryAddressType} {BuildingNumber}";
    const ADDRESS_TIME_ZONE: &'static [&'static str] = &[
        "Europe/Kaliningrad",
        "Europe/Moscow",
        "Europe/Samara",
        "Asia/Yekaterinburg",
        "Asia/Omsk",
        "Asia/Novosibirsk",
        "Asia/Krasnoyarsk",
        "Asia/Irkutsk",
        "Asia/Yakutsk",
        "Asia/Vladivostok",
        "Asia/Magadan",
        "Asia/Kamchatka",
    ];
    const ADDRESS_STATE: &'static [&'static str] = &[
        "Москва",
        "Санкт-Петербург",
        "Московская область",
        "Ленинградская область",
        "Свердловская область",
        "Новосибирская область",
        "Республика Татарстан",
        "Нижегородская область",
        "Самарская область",
        "Ростовская область",
        "Краснодарский край",
        "Челябинская область",
        "Республика Башкортостан",
        "Пермский край",
        "Воронежская область",
        "Красноярский край",
    ];
    const ADDRESS_STATE_ABBR: &'static [&'static str] =
        &["77", "78", "50", "47", "66", "54", "16", "52", "63", "61", "23", "74", "02", "59", "36", "24"];
    const ADDRESS_ZIP_FORMATS: &'static [&'static str] = &["######"];
    const ADDRESS_POSTCODE_FORMATS: &'static [&'static str] = &["######"];

    const COMPANY_SUFFIX: &'static [&'static str] = &["ООО", "АО", "ПАО"];
    const COMPANY_NAME_TPLS: &'static [&'static str] = &["{Suffix} «{Name_1}»", "{Suffix} «{Name_1} и {Name_2}»"];
    const COMPANY_INDUSTRY: &'static [&'static str] = &[
        "Оптовая торговля",
        "Розничная торговля",
        "Строительство",
        "Производство",
        "Логистика",
        "Информационные технологии",
        "Телекоммуникации",
        "Медицина",
        "Образование",
        "Финансы",
        "Консалтинг",
        "Государственный сектор",
    ];
    const COMPANY_PROFESSION: &'static [&'static str] =
        &["бухгалтер", "инженер", "юрист", "менеджер", "логист", "программист", "экономист", "водитель"];

    const INTERNET_FREE_EMAIL_PROVIDER: &'static [&'static str] = FREE_EMAIL_PROVIDERS;
    const INTERNET_DOMAIN_SUFFIX: &'static [&'static str] = &["ru", "com", "su", "net", "org"];

    const PHONE_NUMBER_FORMATS: &'static [&'static str] =
        &["+7 (4##) ^##-##-##", "8 (4##) ^##-##-##", "+7 (8##) ^##-##-##", "8 8## ^##-##-##"];
    const PHONE_CELL_NUMBER_FORMATS: &'static [&'static str] =
        &["+7 (9##) ###-##-##", "+79#########", "89#########", "8 9## ###-##-##"];

    const CURRENCY_CODE: &'static [&'static str] = &["RUB"];
    const CURRENCY_NAME: &'static [&'static str] = &["Российский рубль"];
    const CURRENCY_SYMBOL: &'static [&'static str] = &["₽"];
}

impl CityNameGenFn for RU_RU {
    fn r#gen<R: RngExt + ?Sized>(_: &CityName<Self>, rng: &mut R) -> String {
        CITY_NAMES.choose(rng).copied().unwrap_or("Москва").to_owned()
    }
}

/// A first name of that gender.
pub fn first_name<R: RngExt + ?Sized>(rng: &mut R, gender: Gender) -> &'static str {
    let list = match gender {
        Gender::Male => MALE_FIRST_NAMES,
        Gender::Female => FEMALE_FIRST_NAMES,
    };
    list.choose(rng).copied().unwrap_or("Анна")
}

/// A surname in the form that agrees with `gender`.
pub fn surname<R: RngExt + ?Sized>(rng: &mut R, gender: Gender) -> String {
    let base = SURNAMES.choose(rng).copied().unwrap_or("Иванов");
    surname_form(base, gender)
}

/// The form of a (dictionary-form) surname for `gender`: Котов → Котова,
/// Никитин → Никитина, Островский → Островская, Толстой → Толстая;
/// surnames that do not decline (Шевченко, Полищук, Черных) stay as they are.
pub fn surname_form(base: &str, gender: Gender) -> String {
    if gender == Gender::Male {
        return base.to_owned();
    }
    for ending in ["ов", "ев", "ёв", "ин", "ын"] {
        if base.ends_with(ending) {
            return format!("{base}а");
        }
    }
    for (ending, female) in [("ский", "ская"), ("цкий", "цкая"), ("ой", "ая")] {
        if let Some(stem) = base.strip_suffix(ending) {
            return format!("{stem}{female}");
        }
    }
    base.to_owned()
}

/// The patronymic from `father`'s first name, for a child of `gender`:
/// Сергей → Сергеевич / Сергеевна, Илья → Ильич / Ильинична,
/// Никита → Никитич / Никитична, Фома → Фомич / Фоминична.
pub fn patronymic(father: &str, gender: Gender) -> String {
    if let Some((_, male, female)) = PATRONYMICS.iter().find(|(name, _, _)| *name == father) {
        return match gender {
            Gender::Male => (*male).to_owned(),
            Gender::Female => (*female).to_owned(),
        };
    }
    // Names not in the table: the regular rules.
    let (stem, m, f) = if let Some(stem) = father.strip_suffix("ей").or_else(|| father.strip_suffix("ай")) {
        let vowel = if father.ends_with("ей") { "е" } else { "а" };
        (format!("{stem}{vowel}"), "евич", "евна")
    } else if let Some(stem) = father.strip_suffix("ий") {
        (format!("{stem}ь"), "евич", "евна")
    } else if let Some(stem) = father.strip_suffix('ь') {
        (stem.to_owned(), "евич", "евна")
    } else if let Some(stem) = father.strip_suffix('а').or_else(|| father.strip_suffix('я')) {
        return match gender {
            Gender::Male => format!("{stem}ич"),
            Gender::Female => format!("{stem}ична"),
        };
    } else {
        (father.to_owned(), "ович", "овна")
    };
    match gender {
        Gender::Male => format!("{stem}{m}"),
        Gender::Female => format!("{stem}{f}"),
    }
}

/// A patronymic from a random male first name (now and then an old-fashioned one: Фомич, Лукинична).
pub fn random_patronymic<R: RngExt + ?Sized>(rng: &mut R, gender: Gender) -> String {
    // The old-fashioned fathers' names (the table's last three) are rarer.
    let table = if rng.random_bool(0.05) { PATRONYMICS } else { &PATRONYMICS[..PATRONYMICS.len() - 3] };
    let (_, male, female) = table.choose(rng).copied().unwrap_or(("Иван", "Иванович", "Ивановна"));
    match gender {
        Gender::Male => male.to_owned(),
        Gender::Female => female.to_owned(),
    }
}

/// A city, Moscow and Saint Petersburg more often than the others.
pub fn city<R: RngExt + ?Sized>(rng: &mut R) -> &'static City {
    let roll = rng.random_range(0..100u32);
    let index = match roll {
        0..45 => 0,
        45..60 => 1,
        _ => rng.random_range(2..CITIES.len()),
    };
    &CITIES[index]
}

/// A company name without its legal form: a brand ("Ромашка") or a
/// compound ("СтройИнвест").
pub fn brand<R: RngExt + ?Sized>(rng: &mut R) -> String {
    if rng.random_bool(0.3) {
        BRANDS.choose(rng).copied().unwrap_or("Ромашка").to_owned()
    } else {
        let head = BRAND_HEADS.choose(rng).copied().unwrap_or("Строй");
        let mut tail = BRAND_TAILS.choose(rng).copied().unwrap_or("Инвест");
        if tail == head {
            tail = "Сервис";
        }
        format!("{head}{tail}")
    }
}

/// Initials: "Анна", "Сергеевна" → "А. С."; "Анна", "" → "А.".
pub fn initials(first_name: &str, patronymic: &str) -> String {
    let initial = |s: &str| s.chars().next().map(|c| format!("{c}."));
    match (initial(first_name), initial(patronymic)) {
        (Some(f), Some(p)) => format!("{f} {p}"),
        (Some(f), None) => f,
        (None, Some(p)) => p,
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fake::Fake;
    use fake::faker::company::raw::CompanyName;
    use fake::faker::name::raw::{FirstName, LastName, Name};
    use fake::faker::phone_number::raw::CellNumber;
    use rand::SeedableRng;

    #[test]
    fn fake_works_through_the_locale() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..50 {
            let first: String = FirstName(RU_RU).fake_with_rng(&mut rng);
            assert!(FIRST_NAMES.contains(&first.as_str()));
            let last: String = LastName(RU_RU).fake_with_rng(&mut rng);
            assert!(SURNAMES.contains(&last.as_str()));
            let name: String = Name(RU_RU).fake_with_rng(&mut rng);
            assert_eq!(name.split(' ').count(), 2, "{name}");
            let city: String = CityName(RU_RU).fake_with_rng(&mut rng);
            assert!(CITY_NAMES.contains(&city.as_str()), "{city}");
            let company: String = CompanyName(RU_RU).fake_with_rng(&mut rng);
            assert!(company.contains('«') && company.ends_with('»'), "{company}");
            let cell: String = CellNumber(RU_RU).fake_with_rng(&mut rng);
            let digits: String = cell.chars().filter(char::is_ascii_digit).collect();
            assert_eq!(digits.len(), 11, "{cell}");
        }
    }

    #[test]
    fn name_lists_are_split_by_gender() {
        assert_eq!(MALE_FIRST_NAMES.len(), MALE_COUNT);
        assert!(MALE_FIRST_NAMES.contains(&"Юрий") && !MALE_FIRST_NAMES.contains(&"Анна"));
        assert!(FEMALE_FIRST_NAMES.iter().all(|n| n.ends_with(['а', 'я', 'ь'])), "{FEMALE_FIRST_NAMES:?}");
        for name in MALE_FIRST_NAMES {
            assert!(PATRONYMICS.iter().any(|(father, _, _)| father == name), "no patronymic from {name}");
        }
        assert_eq!(CITY_NAMES.len(), CITIES.len());
        assert!(CITIES.iter().zip(CITY_NAMES).all(|(c, n)| c.name == n));
    }

    #[test]
    fn surnames_agree_with_gender() {
        let cases = [
            ("Котов", "Котова"),
            ("Волков", "Волкова"),
            ("Лебедев", "Лебедева"),
            ("Соловьёв", "Соловьёва"),
            ("Никитин", "Никитина"),
            ("Островский", "Островская"),
            ("Белецкий", "Белецкая"),
            ("Толстой", "Толстая"),
            ("Шевченко", "Шевченко"),
            ("Полищук", "Полищук"),
            ("Черных", "Черных"),
        ];
        for (male, female) in cases {
            assert_eq!(surname_form(male, Gender::Male), male);
            assert_eq!(surname_form(male, Gender::Female), female);
        }
    }

    #[test]
    fn patronymics_have_the_right_endings() {
        let cases = [
            ("Сергей", "Сергеевич", "Сергеевна"),
            ("Игорь", "Игоревич", "Игоревна"),
            ("Илья", "Ильич", "Ильинична"),
            ("Никита", "Никитич", "Никитична"),
            ("Фома", "Фомич", "Фоминична"),
            ("Михаил", "Михайлович", "Михайловна"),
            ("Юрий", "Юрьевич", "Юрьевна"),
            ("Дмитрий", "Дмитриевич", "Дмитриевна"),
        ];
        for (father, m, f) in cases {
            assert_eq!(patronymic(father, Gender::Male), m);
            assert_eq!(patronymic(father, Gender::Female), f);
        }
        // Names outside the table follow the regular rules.
        assert_eq!(patronymic("Тихон", Gender::Female), "Тихоновна");
        assert_eq!(patronymic("Всеволод", Gender::Male), "Всеволодович");
        assert_eq!(patronymic("Алексей", Gender::Female), "Алексеевна");
        assert_eq!(patronymic("Гордей", Gender::Male), "Гордеевич");
        assert_eq!(patronymic("Евстафий", Gender::Male), "Евстафьевич");
        assert_eq!(patronymic("Савва", Gender::Female), "Саввична");
        for (_, m, f) in PATRONYMICS {
            assert!(m.ends_with("ич"), "{m}");
            assert!(f.ends_with("на"), "{f}");
        }
    }

    #[test]
    fn initials_are_dotted() {
        assert_eq!(initials("Анна", "Сергеевна"), "А. С.");
        assert_eq!(initials("Илья", ""), "И.");
    }
}
