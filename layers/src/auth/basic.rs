//! HTTP Basic credentials.

use base64::Engine;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::prebuilt::PrebuiltAuthorization;
use super::{sensitive_value, AuthError, AuthFuture, AuthProvider};
use crate::secret::Secret;

/// `Authorization: Basic base64(user:pass)`.
#[derive(Debug, Clone)]
pub struct BasicAuth {
    username: String,
    password: Secret,
    /// `Basic <base64>`, encoded once.
    header: PrebuiltAuthorization,
}

impl BasicAuth {
    /// Credentials for `username` / `password`.
    pub fn new(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        let (username, password) = (username.into(), password.into());
        let header = PrebuiltAuthorization::new(basic_value(&username, &password));
        BasicAuth {
            username,
            password,
            header,
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
            self.header
                .insert(headers, || basic_value(&self.username, &self.password))
        })
    }

    fn fixed_header(&self) -> Option<(HeaderName, HeaderValue)> {
        self.header.fixed_header()
    }
}

/// `Basic base64(username:password)`, marked sensitive.
fn basic_value(username: &str, password: &Secret) -> Result<HeaderValue, AuthError> {
    let raw = format!("{}:{}", username, password.expose());
    let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
    sensitive_value(&format!("Basic {encoded}"), "Authorization")
}
