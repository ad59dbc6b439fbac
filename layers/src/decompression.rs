//! [`DecompressionLayer`]: asks for compressed answers and decodes them with tower-http's decompression, unless
//! the caller set `Accept-Encoding` itself, in which case the body is handed over as the server sent it.
//!
//! tower-http's `Decompression` does the work (gzip and deflate always; br and zstd with this crate's `br` and
//! `zstd` features). This wrapper adds only what it lacks: a per-request way out. A request that already carries
//! `Accept-Encoding` means the caller wants the bytes as sent (to save a gzip export untouched), the rule reqwest
//! follows too; it goes through the same tower-http service with every decoder off, so both paths share one
//! response and body type. [`DecompressionLayer::off`] never asks for compression and never decodes.
//!
//! ```
//! # async fn run() -> Result<(), dhis2_layers::BoxError> {
//! use dhis2_layers::DecompressionLayer;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! let svc = ServiceBuilder::new()
//!     .layer(DecompressionLayer::new())
//!     .service_fn(|req: http::Request<String>| async move {
//!         // A server that ignores Accept-Encoding.
//!         assert!(req.headers().contains_key(http::header::ACCEPT_ENCODING));
//!         Ok::<_, dhis2_layers::BoxError>(http::Response::new(http_body_util::Full::new(
//!             bytes::Bytes::from_static(b"{}"),
//!         )))
//!     });
//! let resp = svc.oneshot(http::Request::new(String::new())).await?;
//! assert_eq!(resp.status(), 200);
//! # Ok(())
//! # }
//! ```

use std::task::{Context, Poll};

use http::header::ACCEPT_ENCODING;
use http::{Request, Response};
use http_body::Body;
use tower::{Layer, Service};
use tower_http::decompression::{
    DecompressionBody, DecompressionLayer as TowerDecompressionLayer, ResponseFuture,
};

use crate::body::BoxError;
use crate::future::take_ready;

/// Layer producing [`Decompression`].
#[derive(Debug, Clone)]
pub struct DecompressionLayer {
    /// The decoders in use; all off for [`DecompressionLayer::off`].
    decode: TowerDecompressionLayer,
    /// Every decoder off: a body passes through as sent.
    passthrough: TowerDecompressionLayer,
}

impl DecompressionLayer {
    /// Ask for and decode every encoding compiled in: gzip and deflate, plus br and zstd with the crate
    /// features of those names.
    pub fn new() -> Self {
        // tower-http decodes whatever its features compile in, and another crate in the build may turn br or
        // zstd on; ask only for what this crate's features promise.
        let decode = TowerDecompressionLayer::new();
        #[cfg(not(feature = "br"))]
        let decode = decode.no_br();
        #[cfg(not(feature = "zstd"))]
        let decode = decode.no_zstd();
        DecompressionLayer {
            decode,
            passthrough: no_decoders(),
        }
    }

    /// Ask for no compression and decode nothing (`compression(false)` in the client).
    pub fn off() -> Self {
        DecompressionLayer {
            decode: no_decoders(),
            passthrough: no_decoders(),
        }
    }
}

impl Default for DecompressionLayer {
    fn default() -> Self {
        Self::new()
    }
}

fn no_decoders() -> TowerDecompressionLayer {
    TowerDecompressionLayer::new()
        .no_gzip()
        .no_deflate()
        .no_br()
        .no_zstd()
}

impl<S> Layer<S> for DecompressionLayer {
    type Service = Decompression<S>;

    fn layer(&self, inner: S) -> Decompression<S> {
        Decompression {
            inner,
            decode: self.decode.clone(),
            passthrough: self.passthrough.clone(),
        }
    }
}

/// Decodes compressed answers (see the module docs).
#[derive(Debug, Clone)]
pub struct Decompression<S> {
    inner: S,
    decode: TowerDecompressionLayer,
    passthrough: TowerDecompressionLayer,
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for Decompression<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>> + Clone,
    ResB: Body,
    ResB::Error: Into<BoxError>,
{
    type Response = Response<DecompressionBody<ResB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        // The ready inner service moves into the per-call tower-http wrapper (building it copies four flags).
        let inner = take_ready(&mut self.inner);
        let layer = if req.headers().contains_key(ACCEPT_ENCODING) {
            &self.passthrough
        } else {
            &self.decode
        };
        layer.layer(inner).call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::HeaderValue;
    use http_body_util::{BodyExt, Full};
    use std::io::Write;
    use tower::ServiceExt;

    fn gzip(data: &[u8]) -> Bytes {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        Bytes::from(enc.finish().unwrap())
    }

    /// A server that always answers gzip and echoes the request's Accept-Encoding in a header.
    fn gzip_server() -> impl Service<
        Request<()>,
        Response = Response<Full<Bytes>>,
        Error = BoxError,
        Future = impl Send,
    > + Clone {
        tower::service_fn(|req: Request<()>| async move {
            let mut resp = Response::new(Full::new(gzip(br#"{"ok":true}"#)));
            resp.headers_mut()
                .insert("content-encoding", HeaderValue::from_static("gzip"));
            if let Some(ae) = req.headers().get(ACCEPT_ENCODING) {
                resp.headers_mut()
                    .insert("x-seen-accept-encoding", ae.clone());
            }
            Ok::<_, BoxError>(resp)
        })
    }

    #[tokio::test]
    async fn asks_for_gzip_and_decodes() {
        let svc = DecompressionLayer::new().layer(gzip_server());
        let resp = svc.oneshot(Request::new(())).await.unwrap();
        let seen = resp.headers()["x-seen-accept-encoding"].to_str().unwrap();
        assert!(seen.contains("gzip") && seen.contains("deflate"), "{seen}");
        assert_eq!(seen.contains("br"), cfg!(feature = "br"), "{seen}");
        assert_eq!(seen.contains("zstd"), cfg!(feature = "zstd"), "{seen}");
        assert!(!resp.headers().contains_key("content-encoding"));
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], br#"{"ok":true}"#);
    }

    #[tokio::test]
    async fn own_accept_encoding_gets_the_bytes_as_sent() {
        let svc = DecompressionLayer::new().layer(gzip_server());
        let mut req = Request::new(());
        req.headers_mut()
            .insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let resp = svc.oneshot(req).await.unwrap();
        assert_eq!(resp.headers()["content-encoding"], "gzip");
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, gzip(br#"{"ok":true}"#));
    }

    #[tokio::test]
    async fn off_asks_for_nothing_and_decodes_nothing() {
        let svc = DecompressionLayer::off().layer(gzip_server());
        let resp = svc.oneshot(Request::new(())).await.unwrap();
        assert!(!resp.headers().contains_key("x-seen-accept-encoding"));
        assert_eq!(resp.headers()["content-encoding"], "gzip");
    }
}
