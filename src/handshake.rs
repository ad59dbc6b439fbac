//! The connect handshake: canonical base URL resolution (without credentials), then version selection.
//!
//! Canonical URL rules:
//! 1. GET the configured base URL with the bare pooled client (no auth layer, so no credentials), following
//!    redirects by hand for at most [`MAX_HOPS`] hops. A redirect from https to http is never followed.
//! 2. Strip a login-page suffix (`/dhis-web-login`, `/login`, `/dhis-web-commons/security/login.action` and
//!    anything after it), the query and any trailing `/` from the final URL.
//! 3. Same origin as configured: adopt it (after checking that its `/api/system/info` answers like DHIS2 when the
//!    path changed). Another origin: adopt it only if the scheme is unchanged, the registrable
//!    domain matches (see [`registrable_domain`]) and its `/api/system/info` answers with a DHIS2 body (system info
//!    JSON, or a DHIS2 error envelope with `httpStatusCode`). Otherwise keep the configured URL.

use std::time::Duration;

use bytes::Bytes;
use http::header::LOCATION;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Limited};
use url::Url;

use crate::stack::HttpClient;
use crate::{Dhis2Version, Error, VersionKey};
use dhis2_layers::RequestBody;

/// Maximum redirects followed while resolving the canonical URL.
pub(crate) const MAX_HOPS: usize = 10;

/// Login-page path suffixes DHIS2 redirects unauthenticated requests to (per version).
const LOGIN_SUFFIXES: [&str; 3] = [
    "/dhis-web-commons/security/login.action",
    "/dhis-web-login",
    "/login",
];

/// Largest body read while checking that a cross-origin target answers like DHIS2.
const PROBE_BODY_LIMIT: usize = 1 << 20;

/// [`canonical_base_url`] under the client's retry policy: a transport failure or timeout of its first request
/// (the server not up yet, as when a service starts alongside DHIS2) is retried with the policy's backoff and
/// budget, as the same fault on an API call would be. Every request of the handshake is a GET.
pub(crate) async fn canonical_base_url_retrying(
    client: &HttpClient,
    configured: &Url,
    timeout: Duration,
    policy: Option<&crate::RetryPolicy>,
) -> Result<Url, Error> {
    let mut attempt: u32 = 1;
    loop {
        let err = match canonical_base_url(client, configured, timeout).await {
            Ok(url) => return Ok(url),
            Err(e) => e,
        };
        let retryable = match &err {
            Error::Transport { source, .. } => {
                crate::stack::classify_error(source) != dhis2_layers::ErrorClass::Fatal
            }
            Error::Timeout { .. } => true,
            _ => false,
        };
        let Some(policy) = policy.filter(|p| retryable && attempt < p.max_attempts) else {
            return Err(err);
        };
        if !policy.withdraw_retry() {
            return Err(err);
        }
        let delay = policy.backoff(attempt);
        tracing::debug!(attempt, error = %err, ?delay, "connect: handshake failed; retrying");
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

/// Resolves the canonical base URL for `configured` (see the module docs). Only the first request's transport
/// failure is an error (the server is unreachable); anything odd later keeps the configured URL.
///
/// Each hop is bounded by `timeout` (the client's per-attempt timeout), so a silent server cannot hang
/// `connect()`.
pub(crate) async fn canonical_base_url(
    client: &HttpClient,
    configured: &Url,
    timeout: Duration,
) -> Result<Url, Error> {
    let mut current = configured.clone();
    let mut last_good = configured.clone();
    for hop in 0..=MAX_HOPS {
        let resp = match tokio::time::timeout(timeout, send_bare(client, &current, false)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) if hop == 0 => {
                return Err(Error::Transport {
                    method: Method::GET,
                    path: configured.path().to_owned(),
                    source: e.into(),
                })
            }
            Err(_) if hop == 0 => {
                return Err(Error::Timeout {
                    method: Method::GET,
                    path: configured.path().to_owned(),
                    detail: Some("no answer to the canonical-URL check within the timeout".into()),
                })
            }
            Ok(Err(_)) | Err(_) => break,
        };
        last_good = current.clone();
        if !resp.status().is_redirection() {
            break;
        }
        let Some(next) = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|loc| current.join(loc).ok())
        else {
            break;
        };
        drop(resp);
        // Never trade https for http, not even as an intermediate hop.
        if current.scheme() == "https" && next.scheme() != "https" {
            tracing::warn!(from = %current, to = %next, "ignoring redirect from https to http");
            break;
        }
        if hop == MAX_HOPS {
            break;
        }
        current = next;
    }
    let candidate = strip_login_suffix(&last_good);
    if candidate == *configured {
        return Ok(candidate);
    }
    if same_origin(&candidate, configured) {
        // Another path on the same origin (e.g. the server lives under `/dhis`): adopt it only if DHIS2 answers
        // there, so a redirect to some app page (`/dhis-web-dashboard/`) does not become the base URL.
        let answers = tokio::time::timeout(timeout, answers_like_dhis2(client, &candidate)).await;
        return Ok(if answers.unwrap_or(false) {
            candidate
        } else {
            configured.clone()
        });
    }
    if candidate.scheme() != configured.scheme() {
        return Ok(configured.clone());
    }
    match (
        registrable_domain(&candidate),
        registrable_domain(configured),
    ) {
        (Some(a), Some(b)) if a == b => {}
        _ => return Ok(configured.clone()),
    }
    let answers = tokio::time::timeout(timeout, answers_like_dhis2(client, &candidate)).await;
    if answers.unwrap_or(false) {
        tracing::info!(from = %configured, to = %candidate, "adopting canonical DHIS2 base URL");
        Ok(candidate)
    } else {
        Ok(configured.clone())
    }
}

async fn send_bare(
    client: &HttpClient,
    url: &Url,
    xhr: bool,
) -> Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
    let mut builder = Request::get(url.as_str()).header(http::header::ACCEPT, "application/json");
    if xhr {
        builder = builder.header(
            dhis2_layers::default_headers::X_REQUESTED_WITH,
            "XMLHttpRequest",
        );
    }
    let req = builder.body(RequestBody::empty());
    match req {
        Ok(req) => client.request(req).await,
        // The URL came from `Url`, so it is a valid URI; treat the impossible case as "no answer".
        Err(_) => client.request(Request::new(RequestBody::empty())).await,
    }
}

/// Whether `base/api/system/info` (fetched without credentials) answers with a DHIS2 body.
async fn answers_like_dhis2(client: &HttpClient, base: &Url) -> bool {
    let Ok(url) = crate::client::build_url(base, "api/system/info", &[]) else {
        return false;
    };
    let Ok(resp) = send_bare(client, &url, true).await else {
        return false;
    };
    let status = resp.status();
    let Ok(body) = Limited::new(resp.into_body(), PROBE_BODY_LIMIT)
        .collect()
        .await
    else {
        return false;
    };
    is_dhis2_body(status, &body.to_bytes())
}

/// A DHIS2 body: system info (an object with a string `version`) or an error envelope with `httpStatusCode`.
pub(crate) fn is_dhis2_body(status: StatusCode, body: &Bytes) -> bool {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return false;
    };
    if status.is_success() && map.get("version").is_some_and(|v| v.is_string()) {
        return true;
    }
    map.get("httpStatusCode").is_some_and(|v| v.is_u64()) && map.contains_key("httpStatus")
}

/// Removes a login-page suffix (and what follows it), the query, the fragment and trailing slashes.
pub(crate) fn strip_login_suffix(url: &Url) -> Url {
    let mut out = url.clone();
    out.set_query(None);
    out.set_fragment(None);
    let path = url.path().to_owned();
    let mut cut = path.len();
    for suffix in LOGIN_SUFFIXES {
        // Match whole segments only: `/login` must not match `/loginx`.
        let mut from = 0;
        while let Some(pos) = path[from..].find(suffix) {
            let at = from + pos;
            let end = at + suffix.len();
            if end == path.len() || path.as_bytes()[end] == b'/' {
                cut = cut.min(at);
                break;
            }
            from = end;
        }
    }
    let trimmed = path[..cut].trim_end_matches('/');
    out.set_path(if trimmed.is_empty() { "/" } else { trimmed });
    out
}

/// Same scheme, host and port.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The registrable domain, simply: the last two labels, or three when the top-level label is a two-letter country
/// code and the second-level label is short (`co.uk`, `org.za`, `com.br`). IP addresses and single-label hosts are
/// their own registrable domain. No public-suffix list is consulted.
pub(crate) fn registrable_domain(url: &Url) -> Option<String> {
    match url.host()? {
        url::Host::Ipv4(ip) => return Some(ip.to_string()),
        url::Host::Ipv6(ip) => return Some(ip.to_string()),
        url::Host::Domain(_) => {}
    }
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    if n <= 2 {
        return Some(host);
    }
    let tld = labels[n - 1];
    let sld = labels[n - 2];
    let take = if tld.len() == 2 && sld.len() <= 3 {
        3
    } else {
        2
    };
    Some(labels[n - take..].join("."))
}

/// Picks the version key for the server's version and the builder's pin.
pub(crate) fn select_key(
    server: &Dhis2Version,
    pin: Option<&Dhis2Version>,
    allow_fallback: bool,
    allow_mismatch: bool,
) -> Result<VersionKey, Error> {
    let detected = VersionKey::select(server, allow_fallback);
    match pin {
        None => detected.map_err(|e| Error::UnsupportedVersion {
            version: server.to_string(),
            reason: e.to_string(),
        }),
        Some(pin) => {
            let pinned = VersionKey::select(pin, allow_fallback)
                .map_err(|e| Error::Config(format!("version pin {pin} is not supported: {e}")))?;
            match detected {
                Ok(key) if key == pinned => Ok(key),
                _ if allow_mismatch => {
                    tracing::warn!(pinned = %pinned, server = %server, "using pinned version key despite mismatch");
                    Ok(pinned)
                }
                _ => Err(Error::VersionPinMismatch {
                    pinned,
                    server: server.to_string(),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn strips_login_suffixes() {
        let cases = [
            ("https://h/dhis-web-login/", "https://h/"),
            (
                "https://h/dhis/dhis-web-login/index.html?x=1",
                "https://h/dhis",
            ),
            ("https://h/login/", "https://h/"),
            (
                "https://h/dhis/dhis-web-commons/security/login.action",
                "https://h/dhis",
            ),
            ("https://h/dhis/", "https://h/dhis"),
            ("https://h/loginx", "https://h/loginx"),
            ("https://h/a/login", "https://h/a"),
        ];
        for (input, want) in cases {
            assert_eq!(strip_login_suffix(&u(input)).as_str(), want, "{input}");
        }
    }

    #[test]
    fn registrable_domains() {
        let cases = [
            ("https://play.im.dhis2.org/x", "dhis2.org"),
            ("https://play.dhis2.org", "dhis2.org"),
            ("https://a.b.nhs.co.uk", "nhs.co.uk"),
            ("https://dhis.health.go.ke", "health.go.ke"),
            ("http://127.0.0.1:8080", "127.0.0.1"),
            ("http://localhost:1", "localhost"),
        ];
        for (input, want) in cases {
            assert_eq!(registrable_domain(&u(input)).unwrap(), want, "{input}");
        }
        assert_ne!(
            registrable_domain(&u("https://dhis2.org.evil.com")),
            registrable_domain(&u("https://dhis2.org"))
        );
    }

    #[test]
    fn dhis2_bodies() {
        let ok = StatusCode::OK;
        assert!(is_dhis2_body(ok, &Bytes::from(r#"{"version":"2.42.6"}"#)));
        assert!(is_dhis2_body(
            StatusCode::UNAUTHORIZED,
            &Bytes::from(r#"{"httpStatus":"Unauthorized","httpStatusCode":401,"status":"ERROR"}"#)
        ));
        assert!(!is_dhis2_body(ok, &Bytes::from("<html>")));
        assert!(!is_dhis2_body(ok, &Bytes::from(r#"{"ok":true}"#)));
    }

    #[test]
    fn key_selection() {
        let v42: Dhis2Version = "2.42.6".parse().unwrap();
        let v45: Dhis2Version = "2.45.0".parse().unwrap();
        let v39: Dhis2Version = "2.39.1".parse().unwrap();
        assert_eq!(
            select_key(&v42, None, false, false).unwrap(),
            VersionKey::V42
        );
        assert!(matches!(
            select_key(&v45, None, false, false),
            Err(Error::UnsupportedVersion { .. })
        ));
        assert_eq!(
            select_key(&v45, None, true, false).unwrap(),
            VersionKey::V44
        );
        assert!(matches!(
            select_key(&v39, None, true, false),
            Err(Error::UnsupportedVersion { .. })
        ));
        let pin = Dhis2Version::V41;
        assert!(matches!(
            select_key(&v42, Some(&pin), false, false),
            Err(Error::VersionPinMismatch { .. })
        ));
        assert_eq!(
            select_key(&v42, Some(&pin), false, true).unwrap(),
            VersionKey::V41
        );
        assert_eq!(
            select_key(&v42, Some(&Dhis2Version::V42), false, false).unwrap(),
            VersionKey::V42
        );
    }
}
