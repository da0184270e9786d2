//! Which CRM to replay against and how to reach it; for `callfull serve`,
//! the credentials can be read from its admin API.

use callfull_model::Crm;
use hyper::Method;
use serde_json::Value;

use crate::bitrix24::Bitrix24Auth;
use crate::error::{ReplayError, excerpt};
use crate::http::{Http, Request};

/// Which CRM to replay against, and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A Bitrix24 portal.
    Bitrix24(Bitrix24Auth),
    /// An amoCRM account: its URL (`https://sub.amocrm.ru`, with or without
    /// `/api/v4`) and an access token.
    AmoCrm {
        /// The account's base URL.
        url: String,
        /// A long-lived or OAuth access token.
        token: String,
    },
}

impl Target {
    /// The CRM the payloads are for.
    pub fn crm(&self) -> Crm {
        match self {
            Target::Bitrix24(_) => Crm::Bitrix24,
            Target::AmoCrm { .. } => Crm::AmoCrm,
        }
    }

    /// The target a `callfull serve` at `url` names in `GET /_admin/info`
    /// (its webhook URL, or its amoCRM long-lived token). Only the fake has
    /// that route; a real CRM needs the credentials given.
    pub async fn from_admin_info(http: &Http, url: &str, crm: Crm) -> Result<Target, ReplayError> {
        let label = "GET /_admin/info".to_owned();
        let request = Request {
            label: label.clone(),
            method: Method::GET,
            url: format!("{}/_admin/info", url.trim_end_matches('/')),
            headers: Vec::new(),
            body: None,
        };
        let response = http.send(&request, |_| false).await?;
        let info: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        let pick = |pointer: &str| info.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
        let target = match crm {
            Crm::AmoCrm => pick("/amocrm/access_token").map(|token| Target::AmoCrm { url: url.to_owned(), token }),
            _ => pick("/bitrix24/webhook_url").map(|w| Target::Bitrix24(Bitrix24Auth::Webhook(w))),
        };
        target.ok_or_else(|| ReplayError::Garbage {
            request: label,
            status: response.status,
            reason: format!(
                "no {} credentials (is this a callfull serve? else give --webhook or --token)",
                crm.as_str()
            ),
            excerpt: excerpt(&response.body),
        })
    }
}
