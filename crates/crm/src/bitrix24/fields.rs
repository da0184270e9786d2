//! `crm.{contact,company,lead,deal}.fields`: the description of each field
//! (`type`, `isRequired`, `isReadOnly`, `isImmutable`, `isMultiple`,
//! `isDynamic`, `title`, and `statusType` for dictionary fields), for the
//! fields the fake's records carry.

use serde_json::{Map, Value, json};

/// The fields of a deal (the world has no deals to read them from).
const DEAL_FIELDS: &[&str] = &[
    "ID",
    "TITLE",
    "TYPE_ID",
    "CATEGORY_ID",
    "STAGE_ID",
    "STAGE_SEMANTIC_ID",
    "IS_NEW",
    "CLOSED",
    "OPENED",
    "OPPORTUNITY",
    "CURRENCY_ID",
    "COMPANY_ID",
    "CONTACT_ID",
    "CONTACT_IDS",
    "LEAD_ID",
    "ASSIGNED_BY_ID",
    "CREATED_BY_ID",
    "MODIFY_BY_ID",
    "DATE_CREATE",
    "DATE_MODIFY",
    "COMMENTS",
    "SOURCE_ID",
    "ORIGIN_ID",
];

const MULTI_FIELDS: &[&str] = &["PHONE", "EMAIL", "WEB", "IM"];

/// The fields of `entity` (`CONTACT`, …) without its multi-fields: the keys
/// of `sample`, one of its records, or a fixed list when there is none.
pub(super) fn names<'a>(entity: &str, sample: Option<&'a Map<String, Value>>) -> Vec<&'a str> {
    match sample {
        Some(record) => record.keys().map(String::as_str).filter(|k| !MULTI_FIELDS.contains(k)).collect(),
        None if entity == "DEAL" => DEAL_FIELDS.to_vec(),
        None => vec!["ID", "TITLE", "NAME", "LAST_NAME", "ASSIGNED_BY_ID", "DATE_CREATE", "DATE_MODIFY"],
    }
}

/// The answer of `crm.{entity}.fields`: `sample` is one record of the kind
/// (its keys are the fields), `None` when there is none.
pub(super) fn describe(entity: &str, sample: Option<&Map<String, Value>>) -> Value {
    let mut names = names(entity, sample);
    if entity != "DEAL" {
        names.extend(MULTI_FIELDS);
    }
    let mut out = Map::new();
    for name in names {
        out.insert(name.to_owned(), field(entity, name));
    }
    Value::Object(out)
}

fn field(entity: &str, name: &str) -> Value {
    let status_type = |t: &str| Some(t.to_owned());
    let (kind, read_only, multiple, status): (&str, bool, bool, Option<String>) = match name {
        "ID" => ("integer", true, false, None),
        "PHONE" | "EMAIL" | "WEB" | "IM" => ("crm_multifield", false, true, None),
        "CREATED_BY_ID" | "MODIFY_BY_ID" => ("user", true, false, None),
        "ASSIGNED_BY_ID" => ("user", false, false, None),
        "DATE_CREATE" | "DATE_MODIFY" => ("datetime", true, false, None),
        "BIRTHDATE" => ("date", false, false, None),
        "HAS_PHONE" | "HAS_EMAIL" | "HAS_IMOL" | "IS_NEW" => ("char", true, false, None),
        "OPENED" | "EXPORT" | "IS_MY_COMPANY" | "CLOSED" => ("char", false, false, None),
        "STATUS_SEMANTIC_ID" | "STAGE_SEMANTIC_ID" => ("string", true, false, None),
        "TYPE_ID" if entity == "DEAL" => ("crm_status", false, false, status_type("DEAL_TYPE")),
        "TYPE_ID" => ("crm_status", false, false, status_type("CONTACT_TYPE")),
        "SOURCE_ID" => ("crm_status", false, false, status_type("SOURCE")),
        "STATUS_ID" => ("crm_status", false, false, status_type("STATUS")),
        "STAGE_ID" => ("crm_status", false, false, status_type("DEAL_STAGE")),
        "COMPANY_TYPE" => ("crm_status", false, false, status_type("COMPANY_TYPE")),
        "INDUSTRY" => ("crm_status", false, false, status_type("INDUSTRY")),
        "HONORIFIC" => ("crm_status", false, false, status_type("HONORIFIC")),
        "COMPANY_ID" => ("crm_company", false, false, None),
        "CONTACT_ID" => ("crm_contact", false, false, None),
        "CONTACT_IDS" => ("crm_contact", false, true, None),
        "LEAD_ID" => ("crm_lead", false, false, None),
        "CURRENCY_ID" => ("crm_currency", false, false, None),
        "CATEGORY_ID" => ("crm_category", false, false, None),
        "OPPORTUNITY" => ("double", false, false, None),
        "PHOTO" | "LOGO" => ("file", false, false, None),
        _ => ("string", false, false, None),
    };
    let required = matches!((entity, name), ("LEAD" | "DEAL" | "COMPANY", "TITLE"));
    let mut field = json!({
        "type": kind,
        "isRequired": required,
        "isReadOnly": read_only,
        "isImmutable": matches!(name, "CATEGORY_ID"),
        "isMultiple": multiple,
        "isDynamic": name.starts_with("UF_"),
        "title": title(name),
    });
    if let Some(status) = status {
        field["statusType"] = json!(status);
    }
    field
}

/// The Russian portal's titles for the usual fields (the field name otherwise).
fn title(name: &str) -> &str {
    match name {
        "ID" => "ID",
        "NAME" => "Имя",
        "SECOND_NAME" => "Отчество",
        "LAST_NAME" => "Фамилия",
        "TITLE" => "Название",
        "POST" => "Должность",
        "PHONE" => "Телефон",
        "EMAIL" => "E-mail",
        "WEB" => "Сайт",
        "IM" => "Мессенджер",
        "COMMENTS" => "Комментарий",
        "TYPE_ID" => "Тип",
        "SOURCE_ID" => "Источник",
        "STATUS_ID" => "Стадия",
        "STAGE_ID" => "Стадия сделки",
        "COMPANY_ID" => "Компания",
        "CONTACT_ID" | "CONTACT_IDS" => "Контакт",
        "LEAD_ID" => "Лид",
        "ASSIGNED_BY_ID" => "Ответственный",
        "CREATED_BY_ID" => "Кем создан",
        "MODIFY_BY_ID" => "Кем изменён",
        "DATE_CREATE" => "Дата создания",
        "DATE_MODIFY" => "Дата изменения",
        "OPENED" => "Доступен для всех",
        "OPPORTUNITY" => "Сумма",
        "CURRENCY_ID" => "Валюта",
        "BIRTHDATE" => "Дата рождения",
        "COMPANY_TYPE" => "Тип компании",
        "INDUSTRY" => "Сфера деятельности",
        "CATEGORY_ID" => "Направление",
        "CLOSED" => "Сделка закрыта",
        "HONORIFIC" => "Обращение",
        "PHOTO" => "Фотография",
        "LOGO" => "Логотип",
        "ADDRESS" => "Адрес",
        "SOURCE_DESCRIPTION" => "Дополнительно об источнике",
        "EXPORT" => "Участвует в экспорте контактов",
        "HAS_PHONE" => "Задан телефон",
        "HAS_EMAIL" => "Задан e-mail",
        "HAS_IMOL" => "Задана открытая линия",
        "IS_MY_COMPANY" => "Моя компания",
        "STATUS_SEMANTIC_ID" | "STAGE_SEMANTIC_ID" => "Состояние",
        _ => name,
    }
}
