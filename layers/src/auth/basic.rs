//! HTTP Basic credentials.

use base64::Engine;
use http::header::AUTHORIZATION;
use http::HeaderMap;

use super::{sensitive_value, AuthError, AuthFuture, AuthProvider};
use crate::secret::Secret;

/// `Authorization: Basic base64(user:pass)`.
#[derive(Debug, Clone)]
pub struct BasicAuth {
    username: String,
    password: Secret,
}

impl BasicAuth {
    /// Credentials for `username` / `password`.
    pub fn new(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        BasicAuth {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }
}

impl AuthProvider for BasicAuth {
    fn authorize<'a>(
        &'a self,
        headers: &'a mut HeaderMap,
    ) -> AuthFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            let raw = format!("{}:{}", self.username, self.password.expose());
            let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
            headers.insert(
                AUTHORIZATION,
                sensitive_value(&format!("Basic {encoded}"), "Authorization")?,
            );
            Ok(())
        })
    }
}
