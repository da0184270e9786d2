//! OAuth for the fake portal (`bitrix24-rest.md` §1.6): access tokens that
//! expire after an hour on the server's clock and are renewed with a refresh
//! token (which rotates), from `POST|GET /oauth/token/` with
//! `grant_type=authorization_code` or `refresh_token`. Codes come from the
//! admin API. The long-lived token printed at start never expires.

use serde_json::{Map, Value, json};

use super::{B24Error, token};
use crate::oauth::{GrantError, Grants, TokenState};
use crate::params;

/// An access token lives one hour.
pub const ACCESS_TTL_MICROS: i64 = 3_600 * 1_000_000;

/// Codes from the admin API stay usable this long.
const CODE_TTL_MICROS: i64 = 20 * 60 * 1_000_000;

/// The OAuth application registered on the portal, and its tokens.
#[derive(Debug)]
pub struct OAuth {
    /// `client_id` of the application.
    pub client_id: String,
    /// `client_secret` of the application.
    pub client_secret: String,
    seed: u64,
    /// The user who installed the application: the portal's first user,
    /// whom `user.current` answers for.
    user_id: u32,
    grants: Grants,
}

/// What `/oauth/token/` answers: the status and the JSON body.
pub type TokenAnswer = (u16, Value);

impl OAuth {
    pub(crate) fn new(seed: u64, user_id: u32) -> Self {
        OAuth {
            client_id: format!("local.{}", token(seed, 0xC1, 14)),
            client_secret: token(seed, 0x5EC, 40),
            seed,
            user_id,
            grants: Grants::new(seed, ACCESS_TTL_MICROS),
        }
    }

    /// A new one-time authorization code (what installing the app gives),
    /// usable for 20 minutes from `now`.
    pub fn new_code(&self, now: i64) -> String {
        self.grants.new_code(now + CODE_TTL_MICROS)
    }

    /// Whether `access` is a live token at `now`: `Ok` if so, the vendor's
    /// 401 (`expired_token` or `invalid_token`) if not, `None` if unknown here.
    pub(crate) fn check(&self, access: &str, now: i64) -> Option<Result<(), B24Error>> {
        match self.grants.check(access, now) {
            TokenState::Unknown => None,
            TokenState::Live => Some(Ok(())),
            TokenState::Expired => {
                Some(Err(B24Error::new(401, "expired_token", "The access token provided has expired")))
            }
        }
    }

    /// `/oauth/token/` with `params` at server time `now`.
    pub fn token_endpoint(&self, p: &Map<String, Value>, now: i64, portal_url: &str) -> TokenAnswer {
        let text = |name: &str| params::get(p, name).and_then(Value::as_str).unwrap_or("").to_owned();
        let fail = |code: &str, text: &str| (400, json!({"error": code, "error_description": text}));
        if text("client_id") != self.client_id || text("client_secret") != self.client_secret {
            return (401, json!({"error": "invalid_client", "error_description": "Invalid client credentials"}));
        }
        let issued = match text("grant_type").as_str() {
            "authorization_code" => self.grants.redeem_code(&text("code"), now),
            "refresh_token" => self.grants.redeem_refresh(&text("refresh_token"), now),
            other => return fail("unsupported_grant_type", &format!("Unsupported grant type {other:?}")),
        };
        let (access, refresh) = match issued {
            Ok(issued) => (issued.access, issued.refresh),
            Err(GrantError::BadCode) => return fail("invalid_grant", "Invalid authorization code"),
            Err(GrantError::BadRefresh) => return fail("invalid_grant", "Invalid refresh token"),
        };
        (
            200,
            json!({
                "access_token": access,
                "expires": now.div_euclid(1_000_000) + ACCESS_TTL_MICROS / 1_000_000,
                "expires_in": ACCESS_TTL_MICROS / 1_000_000,
                "scope": "app",
                "domain": portal_url.trim_start_matches("http://").trim_start_matches("https://"),
                "server_endpoint": format!("{portal_url}/oauth/"),
                "client_endpoint": format!("{portal_url}/rest/"),
                "member_id": token(self.seed, 0x3E3, 32),
                "user_id": self.user_id,
                "status": "L",
                "refresh_token": refresh,
            }),
        )
    }
}
