//! Static token credentials: DHIS2 personal access tokens and bearer tokens.

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::{sensitive_value, AuthError, AuthFuture, AuthProvider};
use crate::secret::Secret;

/// A DHIS2 personal access token: `Authorization: ApiToken <token>`.
#[derive(Debug, Clone)]
pub struct PatAuth {
    token: Secret,
    /// `ApiToken <token>`, built once (marked sensitive, so `Debug` does not show it).
    header: Option<HeaderValue>,
}

impl PatAuth {
    /// A provider for `token` (e.g. `d2p_...`).
    pub fn new(token: impl Into<Secret>) -> Self {
        let token: Secret = token.into();
        let header = token_value("ApiToken", &token).ok();
        PatAuth { token, header }
    }
}

impl AuthProvider for PatAuth {
    fn authorize<'a>(
        &'a self,
        headers: &'a mut HeaderMap,
    ) -> AuthFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            let value = match &self.header {
                Some(v) => v.clone(),
                None => token_value("ApiToken", &self.token)?,
            };
            headers.insert(AUTHORIZATION, value);
            Ok(())
        })
    }

    fn fixed_header(&self) -> Option<(HeaderName, HeaderValue)> {
        self.header.clone().map(|v| (AUTHORIZATION, v))
    }
}

/// A fixed bearer token: `Authorization: Bearer <token>`. For tokens that refresh, use
/// [`OAuth2Auth`](super::OAuth2Auth).
#[derive(Debug, Clone)]
pub struct BearerAuth {
    token: Secret,
    /// `Bearer <token>`, built once (marked sensitive, so `Debug` does not show it).
    header: Option<HeaderValue>,
}

impl BearerAuth {
    /// A provider for `token`.
    pub fn new(token: impl Into<Secret>) -> Self {
        let token: Secret = token.into();
        let header = token_value("Bearer", &token).ok();
        BearerAuth { token, header }
    }
}

impl AuthProvider for BearerAuth {
    fn authorize<'a>(
        &'a self,
        headers: &'a mut HeaderMap,
    ) -> AuthFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            let value = match &self.header {
                Some(v) => v.clone(),
                None => token_value("Bearer", &self.token)?,
            };
            headers.insert(AUTHORIZATION, value);
            Ok(())
        })
    }

    fn fixed_header(&self) -> Option<(HeaderName, HeaderValue)> {
        self.header.clone().map(|v| (AUTHORIZATION, v))
    }
}

/// `<scheme> <token>`, marked sensitive.
fn token_value(scheme: &str, token: &Secret) -> Result<HeaderValue, AuthError> {
    sensitive_value(&format!("{scheme} {}", token.expose()), "Authorization")
}
