//! Static token credentials: DHIS2 personal access tokens and bearer tokens.

use http::{HeaderMap, HeaderName, HeaderValue};

use super::prebuilt::PrebuiltAuthorization;
use super::{sensitive_value, AuthError, AuthFuture, AuthProvider};
use crate::secret::Secret;

/// `impl AuthProvider` for a newtype over [`SchemeToken`]: both token types behave the same but
/// for the scheme.
macro_rules! delegate_to_scheme_token {
    ($provider:ty) => {
        impl AuthProvider for $provider {
            fn authorize<'a>(
                &'a self,
                headers: &'a mut HeaderMap,
            ) -> AuthFuture<'a, Result<(), AuthError>> {
                self.0.authorize(headers)
            }

            fn fixed_header(&self) -> Option<(HeaderName, HeaderValue)> {
                self.0.fixed_header()
            }
        }
    };
}

/// A DHIS2 personal access token: `Authorization: ApiToken <token>`.
#[derive(Debug, Clone)]
pub struct PatAuth(SchemeToken);

impl PatAuth {
    /// A provider for `token` (e.g. `d2p_...`).
    pub fn new(token: impl Into<Secret>) -> Self {
        PatAuth(SchemeToken::new("ApiToken", token.into()))
    }
}

delegate_to_scheme_token!(PatAuth);

/// A fixed bearer token: `Authorization: Bearer <token>`. For tokens that refresh, use
/// [`OAuth2Auth`](super::OAuth2Auth).
#[derive(Debug, Clone)]
pub struct BearerAuth(SchemeToken);

impl BearerAuth {
    /// A provider for `token`.
    pub fn new(token: impl Into<Secret>) -> Self {
        BearerAuth(SchemeToken::new("Bearer", token.into()))
    }
}

delegate_to_scheme_token!(BearerAuth);

/// `Authorization: <scheme> <token>`: what [`PatAuth`] and [`BearerAuth`] share.
#[derive(Debug, Clone)]
struct SchemeToken {
    scheme: &'static str,
    token: Secret,
    /// `<scheme> <token>`, built once.
    header: PrebuiltAuthorization,
}

impl SchemeToken {
    fn new(scheme: &'static str, token: Secret) -> Self {
        let header = PrebuiltAuthorization::new(token_value(scheme, &token));
        SchemeToken {
            scheme,
            token,
            header,
        }
    }

    fn authorize<'a>(
        &'a self,
        headers: &'a mut HeaderMap,
    ) -> AuthFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            self.header
                .insert(headers, || token_value(self.scheme, &self.token))
        })
    }

    fn fixed_header(&self) -> Option<(HeaderName, HeaderValue)> {
        self.header.fixed_header()
    }
}

/// `<scheme> <token>`, marked sensitive.
fn token_value(scheme: &str, token: &Secret) -> Result<HeaderValue, AuthError> {
    sensitive_value(&format!("{scheme} {}", token.expose()), "Authorization")
}
