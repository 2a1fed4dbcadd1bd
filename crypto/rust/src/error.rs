//! Errors that cross the C ABI: a stable `code` the C++ side branches on, and a one-line `message` for people.

use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbiError {
    pub code: &'static str,
    pub message: String,
    /// True when the same call may succeed later without anything changing on our side (a room key not here yet).
    pub retryable: bool,
}

impl AbiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), retryable: false }
    }

    pub fn retryable(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), retryable: true }
    }

    pub fn bad_json(what: &str, error: impl std::fmt::Display) -> Self {
        Self::new("bad_json", format!("{what} is not valid JSON of the expected shape: {error}"))
    }

    pub fn bad_argument(message: impl Into<String>) -> Self {
        Self::new("bad_argument", message)
    }

    pub fn store(error: impl std::fmt::Display) -> Self {
        Self::new("store_error", format!("the encryption store failed: {error}"))
    }

    pub fn to_json(&self) -> Value {
        json!({"error": {"code": self.code, "message": self.message, "retryable": self.retryable}})
    }
}

pub type AbiResult<T> = Result<T, AbiError>;
