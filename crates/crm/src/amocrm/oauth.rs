//! amoCRM's OAuth 2.0 (`amocrm-api.md` §1.2): `POST /oauth2/access_token`
//! with a JSON body (`client_id`, `client_secret`, `grant_type`, `code` or
//! `refresh_token`, `redirect_uri`), tokens for 24 hours on the server's
//! clock, refresh tokens that work once and rotate, and errors with the
//! `hint` / `OAuthProblemJson` envelope. Codes come from the admin API.

use serde_json::{Value, json};

use super::{AmoAnswer, PROBLEM_JSON};
use crate::bitrix24::token;
use crate::oauth::{GrantError, Grants, TokenState};

/// An access token lives 24 hours.
pub const ACCESS_TTL_MICROS: i64 = 86_400 * 1_000_000;

/// A code is usable for 20 minutes.
const CODE_TTL_MICROS: i64 = 20 * 60 * 1_000_000;

/// The integration registered on the account, and its tokens.
#[derive(Debug)]
pub struct OAuth {
    /// The integration's id (`client_id`).
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: String,
    /// The redirect URI the integration was registered with.
    pub redirect_uri: String,
    grants: Grants,
}

impl OAuth {
    pub(crate) fn new(seed: u64) -> Self {
        let hex = crate::bitrix24::hex_token(seed, 0xA7C1, 32);
        OAuth {
            client_id: format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]),
            client_secret: token(seed, 0xA75E, 64),
            redirect_uri: "https://connector.example/amocrm/oauth".into(),
            grants: Grants::new(seed ^ 0xA40C, ACCESS_TTL_MICROS),
        }
    }

    /// A new authorization code (what a user granting access gives), usable
    /// for 20 minutes from `now`.
    pub fn new_code(&self, now: i64) -> String {
        self.grants.new_code(now + CODE_TTL_MICROS)
    }

    /// What `access` is at `now`.
    pub(crate) fn check(&self, access: &str, now: i64) -> TokenState {
        self.grants.check(access, now)
    }

    /// `POST /oauth2/access_token` with the JSON `body` at server time `now`.
    pub(crate) fn token_endpoint(&self, method: &str, body: &[u8], now: i64) -> AmoAnswer {
        let fail = |status: u16, hint: &str| AmoAnswer {
            status,
            body: Some(json!({
                "hint": hint,
                "title": "Некорректный запрос",
                "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
                "status": status,
                "detail": "В запросе отсутствует ряд параметров или параметры невалидны",
            })),
            content_type: PROBLEM_JSON,
        };
        if method != "POST" {
            return fail(405, "Use POST");
        }
        let Ok(Value::Object(p)) = serde_json::from_slice::<Value>(body) else {
            return fail(400, "The request body must be a JSON object");
        };
        let text = |name: &str| p.get(name).and_then(Value::as_str).unwrap_or("").to_owned();
        if text("client_id") != self.client_id {
            return fail(400, "Check the `client_id` parameter");
        }
        if text("client_secret") != self.client_secret {
            return fail(401, "Check the `client_secret` parameter");
        }
        if text("redirect_uri") != self.redirect_uri {
            return fail(400, "Check the `redirect_uri` parameter");
        }
        let issued = match text("grant_type").as_str() {
            "authorization_code" => self.grants.redeem_code(&text("code"), now),
            "refresh_token" => self.grants.redeem_refresh(&text("refresh_token"), now),
            _ => return fail(400, "Check the `grant_type` parameter"),
        };
        match issued {
            Ok(issued) => AmoAnswer {
                status: 200,
                body: Some(json!({
                    "token_type": "Bearer",
                    "expires_in": self.grants.ttl_secs(),
                    "access_token": issued.access,
                    "refresh_token": issued.refresh,
                    "server_time": now.div_euclid(1_000_000),
                })),
                content_type: "application/json",
            },
            Err(GrantError::BadCode) => fail(400, "Authorization code has expired"),
            Err(GrantError::BadRefresh) => fail(400, "Invalid refresh token"),
        }
    }
}
