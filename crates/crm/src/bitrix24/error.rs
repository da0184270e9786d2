//! Bitrix24's error envelope `{"error": CODE, "error_description": TEXT}` with
//! its HTTP status (`bitrix24-rest.md` §1.5–§1.6). Legacy CRM and telephony
//! handlers answer `"error": ""` with status 400.

use std::borrow::Cow;

use serde_json::{Value, json};

/// One Bitrix24 error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct B24Error {
    /// HTTP status.
    pub status: u16,
    /// `error`: a code, or `""` for legacy handlers.
    pub code: Cow<'static, str>,
    /// `error_description`.
    pub description: String,
}

impl B24Error {
    /// An error with its status, code and text.
    pub fn new(status: u16, code: impl Into<Cow<'static, str>>, description: impl Into<String>) -> Self {
        B24Error { status, code: code.into(), description: description.into() }
    }

    /// 401 `NO_AUTH_FOUND`.
    pub fn no_auth() -> Self {
        B24Error::new(401, "NO_AUTH_FOUND", "Wrong authorization data")
    }

    /// 401 `invalid_token`.
    pub fn invalid_token() -> Self {
        B24Error::new(401, "invalid_token", "The access token provided is invalid.")
    }

    /// 401 `INVALID_CREDENTIALS` (wrong webhook user or code).
    pub fn invalid_credentials() -> Self {
        B24Error::new(401, "INVALID_CREDENTIALS", "Invalid request credentials")
    }

    /// 404 `ERROR_METHOD_NOT_FOUND`.
    pub fn method_not_found() -> Self {
        B24Error::new(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
    }

    /// 400 with `error: ""`: what legacy handlers throw.
    pub fn legacy(description: impl Into<String>) -> Self {
        B24Error::new(400, "", description)
    }

    /// 400 `INVALID_REQUEST` for a body the server cannot read.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        B24Error::new(400, "INVALID_REQUEST", description)
    }

    /// 413 `INVALID_REQUEST` for a body over the size limit.
    pub fn too_large(limit: u64) -> Self {
        B24Error::new(413, "INVALID_REQUEST", format!("Request body is larger than {limit} bytes"))
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        json!({ "error": self.code, "error_description": self.description })
    }
}
