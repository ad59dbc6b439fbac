//! [`Error`]: the one error type of the `dhis2` crate.

use http::{Method, StatusCode};

use crate::models::WebMessage;
use dhis2_layers::BoxError;

/// Everything that can go wrong talking to DHIS2.
///
/// Messages name the HTTP method and the path (without the query, which may carry user data); credentials never
/// appear in them. Use [`std::error::Error::source`] to walk to the underlying cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a non-2xx status (other than 401). A 400 that carries `WWW-Authenticate` (DHIS2's
    /// answer to a malformed personal access token) keeps the hint and says to check the token.
    #[error("{method} {path}: HTTP {status}: {message}{}", api_hint(*status, www_authenticate))]
    Api {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// Response status.
        status: StatusCode,
        /// The DHIS2 message when the body is a WebMessage, else a snippet of the body or the reason phrase.
        message: String,
        /// The response body as text (lossy UTF-8).
        body: String,
        /// The parsed WebMessage envelope, when the body is one.
        web_message: Option<Box<WebMessage>>,
        /// The `WWW-Authenticate` header, when sent (DHIS2 sends `ApiToken` with a 400 for a malformed token).
        www_authenticate: Option<Box<str>>,
    },
    /// 401, or a redirect to a login page: the credentials are missing, wrong or expired.
    #[error(
        "{method} {path}: unauthorized: {message}{}",
        hint(www_authenticate, location)
    )]
    Unauthorized {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// The DHIS2 message (e.g. `Unauthorized`, `Bad credentials`, `Account locked`).
        message: String,
        /// The `WWW-Authenticate` header, when sent.
        www_authenticate: Option<String>,
        /// The login page the server redirected to, when it answered with a redirect.
        location: Option<String>,
    },
    /// The server's DHIS2 version has no model set (and fallback was not allowed, or could not help).
    #[error("unsupported DHIS2 version {version}: {reason}")]
    UnsupportedVersion {
        /// The version string the server reported.
        version: String,
        /// Why it was refused and what to do.
        reason: String,
    },
    /// The builder pinned a version that disagrees with the server.
    #[error(
        "version pin {pinned} does not match the server's version {server}; \
         use allow_version_mismatch(true) to keep the pin anyway"
    )]
    VersionPinMismatch {
        /// The pinned version key.
        pinned: crate::VersionKey,
        /// The version the server reported.
        server: String,
    },
    /// The client was built but not connected: call `connect()` first.
    #[error("the client is not connected: call connect() first")]
    NotConnected,
    /// The server version is unknown because the client skipped the version probe (or was made with
    /// `from_service` and never connected).
    #[error("the DHIS2 version is unknown: the client was built with skip_version_probe")]
    VersionUnknown,
    /// The client was closed with `close()`.
    #[error("the client is closed")]
    Closed,
    /// A 2xx answer whose body is not JSON (typically an SSO or proxy login page).
    #[error("{method} {path}: expected JSON, got {} (HTTP {status}): {snippet:?}",
        content_type.as_deref().unwrap_or("no content type"))]
    NotJson {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// Response status.
        status: StatusCode,
        /// The `Content-Type` header, when sent.
        content_type: Option<String>,
        /// The first characters of the body.
        snippet: String,
    },
    /// A GET answered 200 with an empty body (DHIS2 does this for data outside the account's scope).
    #[error("{method} {path}: empty response body (data outside the account's scope?)")]
    EmptyRead {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
    },
    /// A time limit passed: the per-attempt timeout (for the head, or a stalled body), the low-speed guard, the
    /// call's deadline, or the connect timeout.
    #[error("{method} {path}: timed out{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Timeout {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// Which limit, when known (e.g. "transfer slower than 256 bytes/s for 60s ...").
        detail: Option<String>,
    },
    /// The request could not be sent or the response not read (DNS, connect, TLS handshake, reset, ...). For a
    /// write (anything but GET/HEAD/OPTIONS) that may have reached the server, the message says that it may or
    /// may not have been applied.
    #[error(
        "{method} {path}: transport error: {source}{}",
        maybe_applied(method, source)
    )]
    Transport {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The body is JSON but does not fit the requested type.
    #[error("{method} {path}: cannot decode the response at `{json_path}`: {source}")]
    Decode {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// Where in the document decoding failed, as a JSONPath (`$.dataElements[2].name`; `$` for the root).
        json_path: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// The response body is larger than the configured `max_response_size`.
    #[error(
        "{method} {path}: response body larger than the {limit}-byte limit (max_response_size)"
    )]
    BodyTooLarge {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// A successful answer is compressed with a `Content-Encoding` the client does not decode (an encoding it
    /// was built without, or any encoding while `compression(false)` is set and the server compressed anyway).
    #[error(
        "{method} {path}: the body is compressed with Content-Encoding `{encoding}`, which this client does \
         not decode (enable the crate feature for it, or check the server's compression settings)"
    )]
    UnsupportedEncoding {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// The `Content-Encoding` the server used.
        encoding: String,
    },
    /// Bad builder, profile or TLS input.
    #[error("configuration error: {0}")]
    Config(String),
    /// TLS could not be set up.
    #[error("TLS error: {0}")]
    Tls(String),
    /// Local I/O failed (e.g. writing a streamed body).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// An async job did not finish within the wait's overall timeout (it may still be running on the server).
    #[error(
        "job {job_type}/{job_id} did not finish within {waited:?}{}",
        last_message.as_deref().map(|m| format!(" (last message: {m})")).unwrap_or_default()
    )]
    JobTimeout {
        /// Job type, e.g. `DATAVALUE_IMPORT`.
        job_type: String,
        /// Job UID.
        job_id: String,
        /// How long the client waited.
        waited: std::time::Duration,
        /// The newest notification's message, when there was one.
        last_message: Option<String>,
    },
    /// An async job finished as failed.
    #[error("job {job_type}/{job_id} failed: {message}")]
    JobFailed {
        /// Job type, e.g. `DATAVALUE_IMPORT`.
        job_type: String,
        /// Job UID.
        job_id: String,
        /// The failure notification's message (or why the client concluded the job failed).
        message: String,
    },
}

/// Tells the caller of a failed write that may have reached the server that it may have been applied (so they
/// check before resending); a request that was certainly never sent (e.g. connection refused) gets no such note.
fn maybe_applied(method: &Method, source: &BoxError) -> &'static str {
    let safe = matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if safe || crate::stack::classify_error(source) == dhis2_layers::ErrorClass::NotSent {
        ""
    } else {
        "; the request may or may not have been applied by the server: check before sending it again"
    }
}

/// What an I/O timeout in the chain says (the body guards name the limit); `None` for a bare elapsed timer.
fn timeout_detail(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    std::iter::successors(Some(err), |e| e.source()).find_map(|e| {
        e.downcast_ref::<std::io::Error>()
            .filter(|io| io.kind() == std::io::ErrorKind::TimedOut && io.get_ref().is_some())
            .map(ToString::to_string)
    })
}

/// Whether `err` (or anything in its source chain, including errors wrapped in `io::Error`) is a timeout.
fn is_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.is::<tower::timeout::error::Elapsed>() || e.is::<tokio::time::error::Elapsed>() {
            return true;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
            if let Some(inner) = io.get_ref() {
                if is_timeout(inner) {
                    return true;
                }
            }
        }
        current = e.source();
    }
    false
}

/// The `WWW-Authenticate` hint of an [`Error::Api`], with advice when it is DHIS2's answer to a bad token.
fn api_hint(status: StatusCode, www_authenticate: &Option<Box<str>>) -> String {
    let Some(w) = www_authenticate else {
        return String::new();
    };
    let mut out = format!(" (WWW-Authenticate: {w})");
    if status == StatusCode::BAD_REQUEST
        && w.trim_start().to_ascii_lowercase().starts_with("apitoken")
    {
        out.push_str(
            "; check the personal access token's format: it is sent as `Authorization: ApiToken d2p_...`, \
             exactly as DHIS2 issued it",
        );
    }
    out
}

fn hint(www_authenticate: &Option<String>, location: &Option<String>) -> String {
    let mut out = String::new();
    if let Some(w) = www_authenticate {
        out.push_str(&format!(" (WWW-Authenticate: {w})"));
    }
    if let Some(l) = location {
        out.push_str(&format!(" (redirected to login page {l})"));
    }
    out
}

impl Error {
    /// True for a [`Timeout`](Error::Timeout) of any kind (head, stalled or trickling body, deadline, connect).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// True when the connection could not be made (refused, unreachable, DNS, TLS handshake or proxy tunnel
    /// failure): the request never reached the server.
    pub fn is_connect(&self) -> bool {
        match self {
            Error::Transport { source, .. } => {
                crate::stack::classify_error(source) == dhis2_layers::ErrorClass::NotSent
                    && std::iter::successors(
                        Some(&**source as &(dyn std::error::Error + 'static)),
                        |e| e.source(),
                    )
                    .all(|e| e.downcast_ref::<h2::Error>().is_none())
            }
            _ => false,
        }
    }

    /// The HTTP status, for errors that carry one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } | Error::NotJson { status, .. } => Some(*status),
            Error::Unauthorized { .. } => Some(StatusCode::UNAUTHORIZED),
            _ => None,
        }
    }

    /// The parsed DHIS2 WebMessage, for API errors whose body is one.
    pub fn web_message(&self) -> Option<&WebMessage> {
        match self {
            Error::Api { web_message, .. } => web_message.as_deref(),
            _ => None,
        }
    }

    /// The error reports DHIS2 sent with a failed call (an ObjectReport's, an `ErrorReports` response's or an
    /// ImportReport's), e.g. `E4000` for a missing required property; empty when there are none.
    pub fn error_reports(&self) -> Vec<&crate::models::ErrorReport> {
        self.web_message()
            .map(WebMessage::error_reports)
            .unwrap_or_default()
    }

    /// Turns an error of the erased stack into an [`Error`], naming the request.
    pub(crate) fn from_stack(err: BoxError, method: &Method, path: &str) -> Error {
        let err = match err.downcast::<Error>() {
            Ok(e) => return *e,
            Err(e) => e,
        };
        let err = match err.downcast::<dhis2_layers::MappedError>() {
            Ok(e) => return Error::from(*e),
            Err(e) => e,
        };
        if is_timeout(&*err) {
            return Error::Timeout {
                method: method.clone(),
                path: path.to_owned(),
                detail: timeout_detail(&*err),
            };
        }
        Error::Transport {
            method: method.clone(),
            path: path.to_owned(),
            source: err,
        }
    }
}

/// A path inside a JSON document, as serde_path_to_error prints it (`dataElements[2].name`, `.` for the root),
/// in the JSONPath form users know (`$.dataElements[2].name`, `$`).
pub(crate) fn json_path(serde_path: &str) -> String {
    match serde_path {
        "" | "." | "$" => "$".to_owned(),
        p if p.starts_with('$') => p.to_owned(),
        p if p.starts_with('[') => format!("${p}"),
        p => format!("$.{p}"),
    }
}

/// Strips the query from a path-and-query so error messages never echo parameter values.
pub(crate) fn path_only(path_and_query: &str) -> String {
    path_and_query
        .split_once('?')
        .map_or(path_and_query, |(p, _)| p)
        .to_owned()
}

impl From<dhis2_layers::MappedError> for Error {
    fn from(err: dhis2_layers::MappedError) -> Self {
        use dhis2_layers::MappedError as M;
        match err {
            M::Api {
                method,
                path,
                status,
                message,
                body,
                headers,
            } => {
                let www_authenticate = headers
                    .get(http::header::WWW_AUTHENTICATE)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into());
                let web_message = serde_json::from_slice::<WebMessage>(&body)
                    .ok()
                    .filter(|w| w.http_status_code.is_value() || w.http_status.is_value())
                    .map(Box::new);
                Error::Api {
                    method,
                    path: path_only(&path),
                    status,
                    message,
                    body: String::from_utf8_lossy(&body).into_owned(),
                    web_message,
                    www_authenticate,
                }
            }
            M::Unauthorized {
                method,
                path,
                message,
                www_authenticate,
                location,
                ..
            } => Error::Unauthorized {
                method,
                path: path_only(&path),
                message: message.unwrap_or_else(|| "Unauthorized".to_owned()),
                www_authenticate,
                location,
            },
            M::NotJson {
                method,
                path,
                status,
                content_type,
                snippet,
            } => Error::NotJson {
                method,
                path: path_only(&path),
                status,
                content_type,
                snippet,
            },
            M::BodyTooLarge {
                method,
                path,
                limit,
            } => Error::BodyTooLarge {
                method,
                path: path_only(&path),
                limit,
            },
            M::UnsupportedEncoding {
                method,
                path,
                encoding,
            } => Error::UnsupportedEncoding {
                method,
                path: path_only(&path),
                encoding,
            },
            M::EmptyRead { method, path, .. } => Error::EmptyRead {
                method,
                path: path_only(&path),
            },
            M::Inner {
                method,
                path,
                source,
            } => Error::from_stack(source, &method, &path_only(&path)),
            other => Error::Transport {
                method: other.method().clone(),
                path: path_only(other.path()),
                source: Box::new(other),
            },
        }
    }
}
