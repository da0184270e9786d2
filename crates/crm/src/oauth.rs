//! The OAuth grants both fake CRMs share: one-time authorization codes
//! (handed out by the admin API, as installing an app would), access tokens
//! that expire on the server's clock, and refresh tokens that work once and
//! rotate. Each CRM wraps it in its own endpoint and answer shapes
//! (`bitrix24::oauth`, `amocrm::oauth`).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::bitrix24::token;

/// Why a grant was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantError {
    /// The code is unknown or was used already.
    BadCode,
    /// The refresh token is unknown or was used already.
    BadRefresh,
}

/// What an access token is at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// Issued here and not expired.
    Live,
    /// Issued here, expired.
    Expired,
    /// Never issued here.
    Unknown,
}

#[derive(Debug, Default)]
struct Tokens {
    /// access token → expiry (server micros).
    access: HashMap<String, i64>,
    /// refresh token → still usable.
    refresh: HashMap<String, bool>,
    /// authorization codes not used yet, with their expiry.
    codes: Vec<(String, i64)>,
    minted: u64,
}

/// Codes and tokens of one OAuth application, deterministic per seed.
#[derive(Debug)]
pub struct Grants {
    seed: u64,
    access_ttl_micros: i64,
    tokens: Mutex<Tokens>,
}

/// A new access token and its refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The access token.
    pub access: String,
    /// The refresh token (single use).
    pub refresh: String,
}

impl Grants {
    /// Grants whose access tokens live `access_ttl_micros`.
    pub fn new(seed: u64, access_ttl_micros: i64) -> Self {
        Grants { seed, access_ttl_micros, tokens: Mutex::default() }
    }

    /// How long an access token lives, in seconds.
    pub fn ttl_secs(&self) -> i64 {
        self.access_ttl_micros / 1_000_000
    }

    fn mint(&self, tokens: &mut Tokens, salt: u64, len: usize) -> String {
        tokens.minted += 1;
        token(self.seed ^ tokens.minted.wrapping_mul(0x9E37_79B9), salt, len)
    }

    /// A new one-time authorization code, usable until `expires_micros`.
    pub fn new_code(&self, expires_micros: i64) -> String {
        let mut t = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        let code = self.mint(&mut t, 0xC0DE, 32);
        t.codes.push((code.clone(), expires_micros));
        code
    }

    /// What `access` is at `now`.
    pub fn check(&self, access: &str, now: i64) -> TokenState {
        let t = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        match t.access.get(access) {
            None => TokenState::Unknown,
            Some(expires) if now < *expires => TokenState::Live,
            Some(_) => TokenState::Expired,
        }
    }

    /// Trades a code (used up) for tokens; an expired code is refused.
    pub fn redeem_code(&self, code: &str, now: i64) -> Result<Issued, GrantError> {
        let mut t = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        let i = t.codes.iter().position(|(c, _)| c == code).ok_or(GrantError::BadCode)?;
        let (_, expires) = t.codes.remove(i);
        if now >= expires {
            return Err(GrantError::BadCode);
        }
        Ok(self.issue(&mut t, now))
    }

    /// Trades a refresh token (used up) for new tokens.
    pub fn redeem_refresh(&self, refresh: &str, now: i64) -> Result<Issued, GrantError> {
        let mut t = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        match t.refresh.get_mut(refresh) {
            Some(live) if *live => *live = false,
            _ => return Err(GrantError::BadRefresh),
        }
        Ok(self.issue(&mut t, now))
    }

    fn issue(&self, t: &mut Tokens, now: i64) -> Issued {
        let access = self.mint(t, 0xACC, 40);
        let refresh = self.mint(t, 0x2EF, 40);
        t.access.insert(access.clone(), now + self.access_ttl_micros);
        t.refresh.insert(refresh.clone(), true);
        Issued { access, refresh }
    }
}
