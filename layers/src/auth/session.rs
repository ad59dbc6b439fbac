//! Session cookie credentials.

use http::header::COOKIE;
use http::HeaderMap;

use super::{sensitive_value, AuthError, AuthFuture, AuthProvider, X_XSRF_TOKEN};
use crate::secret::Secret;

/// An existing DHIS2 session: `Cookie: JSESSIONID=<id>` plus, when CSRF protection is on (2.42+ with
/// `http.security.csrf.enabled`), `X-XSRF-TOKEN: <token>`.
#[derive(Debug, Clone)]
pub struct SessionCookieAuth {
    jsessionid: Secret,
    xsrf: Option<Secret>,
}

impl SessionCookieAuth {
    /// A provider for the session id `jsessionid`.
    pub fn new(jsessionid: impl Into<Secret>) -> Self {
        SessionCookieAuth {
            jsessionid: jsessionid.into(),
            xsrf: None,
        }
    }

    /// Also sends `X-XSRF-TOKEN`.
    pub fn with_xsrf(mut self, token: impl Into<Secret>) -> Self {
        self.xsrf = Some(token.into());
        self
    }
}

impl AuthProvider for SessionCookieAuth {
    fn authorize<'a>(
        &'a self,
        headers: &'a mut HeaderMap,
    ) -> AuthFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            // HTTP/1.1 allows one Cookie header, so merge with any cookie already present.
            let session = format!("JSESSIONID={}", self.jsessionid.expose());
            let cookie = match headers.get(COOKIE).and_then(|v| v.to_str().ok()) {
                Some(existing) if !existing.trim().is_empty() => format!("{existing}; {session}"),
                _ => session,
            };
            headers.insert(COOKIE, sensitive_value(&cookie, "Cookie")?);
            if let Some(xsrf) = &self.xsrf {
                headers.insert(
                    X_XSRF_TOKEN,
                    sensitive_value(xsrf.expose(), "X-XSRF-TOKEN")?,
                );
            }
            Ok(())
        })
    }
}
