//! Response helpers shared by every area: the WebMessage envelope (WIRE.md section 6), JSON bodies with DHIS2's
//! content type and cache headers, the container's HTML 404, and request URL helpers (`contextPath`, API path).

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// `Content-Type` of JSON answers from controllers (WIRE.md 1.5).
pub(crate) const JSON_UTF8: &str = "application/json;charset=UTF-8";

/// `Cache-Control` of lists, single objects and error WebMessages.
pub(crate) const NO_CACHE_PRIVATE: &str = "no-cache, private";

/// The reason phrase DHIS2 puts in `httpStatus`.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown")
}

/// A JSON response from already-serialized bytes.
pub(crate) fn json_bytes(status: u16, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    if status >= 400 {
        resp.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(NO_CACHE_PRIVATE),
        );
    }
    resp
}

/// A JSON response from shared bytes (no copy).
pub(crate) fn json_bytes_shared(status: u16, body: bytes::Bytes) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    resp
}

/// A JSON response from a value.
pub(crate) fn json(status: u16, value: &Value) -> Response {
    json_bytes(status, serde_json::to_vec(value).unwrap_or_default())
}

/// A JSON response with `Cache-Control` set.
pub(crate) fn json_cached(status: u16, value: &Value, cache_control: &'static str) -> Response {
    let mut resp = json(status, value);
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    resp
}

/// Builder for the WebMessage envelope, keeping DHIS2's key order.
#[derive(Debug, Clone)]
pub(crate) struct WebMessage {
    status_code: u16,
    status: &'static str,
    message: Option<String>,
    dev_message: Option<String>,
    response: Option<Value>,
    error_code: Option<String>,
}

impl WebMessage {
    /// A message with HTTP status `code` and `status` `OK`, `WARNING` or `ERROR`.
    pub(crate) fn new(code: u16, status: &'static str) -> Self {
        Self {
            status_code: code,
            status,
            message: None,
            dev_message: None,
            response: None,
            error_code: None,
        }
    }

    /// An `ERROR` message with text.
    pub(crate) fn error(code: u16, message: impl Into<String>) -> Self {
        Self::new(code, "ERROR").message(message)
    }

    /// Sets `message`.
    pub(crate) fn message(mut self, m: impl Into<String>) -> Self {
        self.message = Some(m.into());
        self
    }

    /// Sets `devMessage`.
    pub(crate) fn dev_message(mut self, m: impl Into<String>) -> Self {
        self.dev_message = Some(m.into());
        self
    }

    /// Sets `response`.
    pub(crate) fn response(mut self, r: Value) -> Self {
        self.response = Some(r);
        self
    }

    /// Sets `errorCode`.
    pub(crate) fn error_code(mut self, c: impl Into<String>) -> Self {
        self.error_code = Some(c.into());
        self
    }

    /// The envelope as JSON.
    pub(crate) fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("httpStatus".into(), reason_phrase(self.status_code).into());
        m.insert("httpStatusCode".into(), self.status_code.into());
        m.insert("status".into(), self.status.into());
        if let Some(x) = &self.message {
            m.insert("message".into(), x.clone().into());
        }
        if let Some(x) = &self.dev_message {
            m.insert("devMessage".into(), x.clone().into());
        }
        if let Some(x) = &self.response {
            m.insert("response".into(), x.clone());
        }
        if let Some(x) = &self.error_code {
            m.insert("errorCode".into(), x.clone().into());
        }
        Value::Object(m)
    }
}

impl IntoResponse for WebMessage {
    fn into_response(self) -> Response {
        json(self.status_code, &self.to_value())
    }
}

/// The servlet container's HTML 404 for paths no handler matches (WIRE.md 1.4).
pub(crate) fn html_not_found(path: &str) -> Response {
    let escaped = path
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><title>HTTP Status 404 – Not Found</title></head>\
         <body><h1>HTTP Status 404 – Not Found</h1><p>No handler found for {escaped}</p></body></html>"
    );
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::NOT_FOUND;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=utf-8"),
    );
    resp
}

/// The absolute server root (`scheme://host[:port]`) as DHIS2 computes `contextPath` (WIRE.md 2.3).
pub(crate) fn context_path(headers: &HeaderMap) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let scheme = match get("x-forwarded-proto").as_deref() {
        Some("https") => "https",
        _ => "http",
    };
    let forwarded_host = get("x-forwarded-host").map(|h| {
        let first = h.split(',').next().unwrap_or("").trim().to_string();
        // The port of a forwarded host is dropped; X-Forwarded-Port supplies it.
        match first.rsplit_once(':') {
            Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host.to_string(),
            _ => first,
        }
    });
    let host = match forwarded_host {
        Some(h) => match get("x-forwarded-port") {
            Some(p) if p != "80" && p != "443" => format!("{h}:{p}"),
            _ => h,
        },
        None => get("host").unwrap_or_else(|| "localhost".to_string()),
    };
    format!("{scheme}://{host}")
}

/// The `/api` prefix the request came in on: `/api`, or `/api/NN` for a versioned request the server keeps in
/// links. Set by the server before routing (see `server.rs`); absent means `/api`.
#[derive(Debug, Clone)]
pub(crate) struct ApiPrefix(pub(crate) String);

/// The socket address of the client, stored in request extensions by the server.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddr(pub(crate) std::net::SocketAddr);

/// The absolute API path for links: `contextPath + /api[/NN]`.
pub(crate) fn api_base(headers: &HeaderMap, prefix: Option<&ApiPrefix>) -> String {
    let p = prefix.map_or("/api", |p| p.0.as_str());
    format!("{}{}", context_path(headers), p)
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSS` of a point in time, in UTC (the emulator's server time zone).
pub(crate) fn format_date(t: std::time::SystemTime) -> String {
    let ms = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    format_millis(ms)
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSS` of milliseconds since the epoch, in UTC.
pub(crate) fn format_millis(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}",
        rem / 3_600_000,
        (rem / 60_000) % 60,
        (rem / 1000) % 60,
        rem % 1000
    )
}

/// Milliseconds since the epoch now.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_key_order_and_status() {
        let v = WebMessage::error(404, "x").error_code("E1005").to_value();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"httpStatus":"Not Found","httpStatusCode":404,"status":"ERROR","message":"x","errorCode":"E1005"}"#
        );
    }

    #[test]
    fn dates_have_three_fraction_digits() {
        assert_eq!(format_millis(0), "1970-01-01T00:00:00.000");
        assert_eq!(format_millis(1_348_130_765_594), "2012-09-20T08:46:05.594");
    }

    #[test]
    fn context_path_honours_forwarded_headers() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(context_path(&h), "http://127.0.0.1:8080");
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        h.insert(
            "x-forwarded-host",
            HeaderValue::from_static("dhis.example.org:9999, b"),
        );
        assert_eq!(context_path(&h), "https://dhis.example.org");
        h.insert("x-forwarded-port", HeaderValue::from_static("8443"));
        assert_eq!(context_path(&h), "https://dhis.example.org:8443");
    }
}
