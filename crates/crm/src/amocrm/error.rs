//! amoCRM's errors: `application/problem+json` with `title`, `type`,
//! `status`, `detail` (`amocrm-api.md` §1.5–§1.6), and the 400 with
//! `validation-errors` per batch item.

use serde_json::{Value, json};

/// One amoCRM error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AmoError {
    /// HTTP status.
    pub status: u16,
    /// `title`.
    pub title: String,
    /// `detail`.
    pub detail: String,
    /// More keys of the body (`validation-errors`, `retry_after`, `hint`).
    pub extra: Vec<(&'static str, Value)>,
}

impl AmoError {
    /// An error with its status, title and detail.
    pub fn new(status: u16, title: impl Into<String>, detail: impl Into<String>) -> Self {
        AmoError { status, title: title.into(), detail: detail.into(), extra: Vec::new() }
    }

    /// 401: a missing, unknown or expired token.
    pub fn unauthorized() -> Self {
        AmoError::new(401, "Unauthorized", "Invalid user name or password")
    }

    /// 429 with `retry_after`.
    pub fn too_many_requests() -> Self {
        AmoError {
            extra: vec![("retry_after", json!(1))],
            ..AmoError::new(429, "Too Many Requests", "Too many requests")
        }
    }

    /// 400 `Request data can not be empty`.
    pub fn empty_request() -> Self {
        AmoError::new(400, "Bad Request", "Request data can not be empty")
    }

    /// 422 `Limit 250 per page`.
    pub fn over_limit() -> Self {
        AmoError::new(422, "Unprocessable Entity", "Limit 250 per page")
    }

    /// 400 `Request validation failed` with `validation-errors`: one
    /// `{request_id, errors: [{code, path, detail}]}` block per failing item.
    pub fn validation(blocks: Vec<Value>) -> Self {
        AmoError {
            extra: vec![("validation-errors", Value::Array(blocks))],
            ..AmoError::new(400, "Bad Request", "Request validation failed")
        }
    }

    /// The problem+json body.
    pub fn body(&self) -> Value {
        let mut body = serde_json::Map::new();
        for (key, value) in &self.extra {
            body.insert((*key).into(), value.clone());
        }
        body.insert("title".into(), json!(self.title));
        body.insert("type".into(), json!(format!("https://httpstatus.es/{}", self.status)));
        body.insert("status".into(), json!(self.status));
        body.insert("detail".into(), json!(self.detail));
        Value::Object(body)
    }
}
