//! Crate-internal request helpers for accessors that need more than the JSON escape hatches: arbitrary body
//! content types (multipart, plain text), reading statuses DHIS2 uses for outcomes (409 import summaries), and
//! streaming with progress.
//!
//! Requests go through the client's `tower::Service` implementation, so auth, retry, limits, tracing and the
//! version probe all apply; [`mapped`] then runs the answer through ErrorMap like the typed helpers do.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tower::ServiceExt;

use crate::client::{decode, map_response};
use crate::{Dhis2Client, Error};
use dhis2_layers::{RequestBody, ResponseBody};

/// A request body with its content type.
pub(crate) struct Payload {
    pub(crate) bytes: Bytes,
    pub(crate) content_type: String,
}

impl Payload {
    /// A JSON body.
    pub(crate) fn json(bytes: impl Into<Bytes>) -> Self {
        Payload {
            bytes: bytes.into(),
            content_type: "application/json".to_owned(),
        }
    }
}

/// The path part of a request (leading `/` added) followed by its encoded query.
pub(crate) fn path_and_query(path: &str, params: &[(&str, &str)]) -> String {
    let mut out = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    if !params.is_empty() {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            ser.append_pair(k, v);
        }
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(&ser.finish());
    }
    out
}

/// Borrows owned parameters as the `&[(&str, &str)]` the client helpers take.
pub(crate) fn borrow(params: &[(String, String)]) -> Vec<(&str, &str)> {
    params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Sends a request below ErrorMap; returns the response and the request path (for error messages).
pub(crate) async fn send(
    client: &Dhis2Client,
    method: Method,
    path: &str,
    params: &[(&str, &str)],
    body: Option<Payload>,
    headers: &[(&'static str, &str)],
) -> Result<(Response<ResponseBody>, String), Error> {
    let uri = path_and_query(path, params);
    let req_path = uri.split('?').next().unwrap_or_default().to_owned();
    let mut builder = Request::builder().method(method.clone()).uri(&uri);
    for (name, value) in headers {
        let value = HeaderValue::from_str(value)
            .map_err(|e| Error::Config(format!("invalid value for header {name}: {e}")))?;
        builder = builder.header(*name, value);
    }
    let body = match body {
        Some(p) => {
            builder = builder.header(CONTENT_TYPE, p.content_type.as_str());
            RequestBody::full(p.bytes)
        }
        None => RequestBody::empty(),
    };
    let req = builder
        .body(body)
        .map_err(|e| Error::Config(format!("cannot build request {method} {req_path}: {e}")))?;
    let resp = client.clone().oneshot(req).await?;
    Ok((resp, req_path))
}

/// Sends a request and collects the body whatever the status.
pub(crate) async fn collect(
    client: &Dhis2Client,
    method: Method,
    path: &str,
    params: &[(&str, &str)],
    body: Option<Payload>,
) -> Result<(StatusCode, Bytes, String), Error> {
    let shown = format!("/{}", path.trim_start_matches('/'));
    client
        .within_deadline(&method, &shown, async {
            let (resp, req_path) = send(client, method.clone(), path, params, body, &[]).await?;
            let (parts, bytes) = client.collect_limited(resp, &method, &req_path).await?;
            Ok((parts.status, bytes, req_path))
        })
        .await
}

/// `payload` as JSON; `what` names it in the error.
pub(crate) fn json_body<B: Serialize + ?Sized>(payload: &B, what: &str) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(payload)
        .map_err(|e| Error::Config(format!("cannot serialise the {what}: {e}")))
}

/// Import parameters with any `async` the caller set replaced by `async=<mode>` (`None`: left out, the server's
/// default).
pub(crate) fn with_async<'a>(
    params: &'a [(String, String)],
    mode: Option<&'static str>,
) -> Vec<(&'a str, &'a str)> {
    let mut params = borrow(params);
    params.retain(|(k, _)| *k != "async");
    params.extend(mode.map(|m| ("async", m)));
    params
}

/// Sends an import in the foreground (`async` per `mode`, see [`with_async`]) and collects the answer whatever its
/// status: imports report their outcome in 409 answers too.
pub(crate) async fn post_import(
    client: &Dhis2Client,
    path: &str,
    params: &[(String, String)],
    mode: Option<&'static str>,
    body: impl Into<Bytes>,
) -> Result<(StatusCode, Bytes, String), Error> {
    let params = with_async(params, mode);
    collect(
        client,
        Method::POST,
        path,
        &params,
        Some(Payload::json(body)),
    )
    .await
}

/// Starts an async import: POSTs the JSON `body` to `path` with `async=true` and decodes the answer that names
/// the job. Returns the answer and the request path (for errors).
pub(crate) async fn start_job<T: DeserializeOwned>(
    client: &Dhis2Client,
    path: &str,
    params: &[(String, String)],
    body: impl Into<Bytes>,
) -> Result<(T, String), Error> {
    let params = with_async(params, Some("true"));
    let (bytes, path) = mapped(
        client,
        Method::POST,
        path,
        &params,
        Some(Payload::json(body)),
    )
    .await?;
    let answer = decode_as(&Method::POST, &path, &bytes)?;
    Ok((answer, path))
}

/// Sends a request through ErrorMap: the body of a 2xx answer, or the mapped error.
pub(crate) async fn mapped(
    client: &Dhis2Client,
    method: Method,
    path: &str,
    params: &[(&str, &str)],
    body: Option<Payload>,
) -> Result<(Bytes, String), Error> {
    let shown = format!("/{}", path.trim_start_matches('/'));
    client
        .within_deadline(&method, &shown, async {
            let (resp, req_path) = send(client, method.clone(), path, params, body, &[]).await?;
            let bytes = client.map_limited(resp, &method, &req_path).await?;
            Ok((bytes, req_path))
        })
        .await
}

/// Decodes a collected body, naming the request in errors.
pub(crate) fn decode_as<T: DeserializeOwned>(
    method: &Method,
    path: &str,
    bytes: &[u8],
) -> Result<T, Error> {
    decode(method, path, bytes)
}

/// An [`Error::Decode`] for an answer that is JSON but lacks what the call needs.
pub(crate) fn decode_error(method: &Method, path: &str, json_path: &str, message: &str) -> Error {
    Error::Decode {
        method: method.clone(),
        path: path.to_owned(),
        json_path: crate::error::json_path(json_path),
        source: <serde_json::Error as serde::de::Error>::custom(message),
    }
}

/// Re-runs a collected non-success answer through ErrorMap to get the crate's error for it.
pub(crate) async fn error_for(
    status: StatusCode,
    bytes: Bytes,
    method: &Method,
    path: &str,
) -> Error {
    let mut resp = Response::new(dhis2_layers::body::full_response_body(bytes));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    match map_response(resp, method, path).await {
        Err(e) => e,
        // ErrorMap accepted it (a 2xx handed in by mistake): describe it plainly.
        Ok(_) => Error::Config(format!("{method} {path}: unexpected answer HTTP {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_paths() {
        assert_eq!(path_and_query("api/x", &[]), "/api/x");
        assert_eq!(
            path_and_query("/api/x", &[("a", "b c"), ("a", "d;e")]),
            "/api/x?a=b+c&a=d%3Be"
        );
        assert_eq!(path_and_query("api/x?y=1", &[("z", "2")]), "/api/x?y=1&z=2");
    }
}
