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
            // A `;` or `,` in the id would add cookies of its own: only RFC 6265 cookie octets are sent.
            if !is_cookie_value(self.jsessionid.expose()) {
                return Err(AuthError::InvalidCredential { header: "Cookie" });
            }
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

/// RFC 6265 `cookie-value`: non-empty, printable ASCII without space, `"`, `,`, `;` and `\`.
fn is_cookie_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_session_id_cannot_smuggle_cookies_or_lines() {
        for bad in ["abc; admin=1", "abc, x=1", "abc\r\nX-Evil: 1", "a b", ""] {
            let mut h = HeaderMap::new();
            let err = SessionCookieAuth::new(bad)
                .authorize(&mut h)
                .await
                .unwrap_err();
            assert!(
                matches!(err, AuthError::InvalidCredential { header: "Cookie" }),
                "{bad:?}"
            );
            assert!(h.get(COOKIE).is_none(), "{bad:?}");
        }
        let mut h = HeaderMap::new();
        SessionCookieAuth::new("8F3A1C.node0")
            .authorize(&mut h)
            .await
            .unwrap();
        assert_eq!(h[COOKIE], "JSESSIONID=8F3A1C.node0");
    }
}
