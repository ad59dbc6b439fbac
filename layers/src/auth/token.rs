//! Static token credentials: DHIS2 personal access tokens and bearer tokens.

use http::header::AUTHORIZATION;
use http::HeaderMap;

use super::{sensitive_value, AuthError, AuthFuture, AuthProvider};
use crate::secret::Secret;

/// A DHIS2 personal access token: `Authorization: ApiToken <token>`.
#[derive(Debug, Clone)]
pub struct PatAuth {
    token: Secret,
}

impl PatAuth {
    /// A provider for `token` (e.g. `d2p_...`).
    pub fn new(token: impl Into<Secret>) -> Self {
        PatAuth {
            token: token.into(),
        }
    }
}

impl AuthProvider for PatAuth {
    fn authorize<'a>(
        &'a self,
        headers: &'a mut HeaderMap,
    ) -> AuthFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            let value = sensitive_value(
                &format!("ApiToken {}", self.token.expose()),
                "Authorization",
            )?;
            headers.insert(AUTHORIZATION, value);
            Ok(())
        })
    }
}

/// A fixed bearer token: `Authorization: Bearer <token>`. For tokens that refresh, use
/// [`OAuth2Auth`](super::OAuth2Auth).
#[derive(Debug, Clone)]
pub struct BearerAuth {
    token: Secret,
}

impl BearerAuth {
    /// A provider for `token`.
    pub fn new(token: impl Into<Secret>) -> Self {
        BearerAuth {
            token: token.into(),
        }
    }
}

impl AuthProvider for BearerAuth {
    fn authorize<'a>(
        &'a self,
        headers: &'a mut HeaderMap,
    ) -> AuthFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            let value =
                sensitive_value(&format!("Bearer {}", self.token.expose()), "Authorization")?;
            headers.insert(AUTHORIZATION, value);
            Ok(())
        })
    }
}
