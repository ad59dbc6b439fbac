//! Request and response body types shared by every layer.
//!
//! Requests carry a [`RequestBody`]: empty, a buffered [`Bytes`] (cheap to clone, so it can be resent by the retry
//! and auth layers) or a stream (never cloned, so never resent). Responses carry a boxed [`ResponseBody`].

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;

/// The error type used throughout the stack.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The response body type of the erased stack.
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// Boxes any body into a [`ResponseBody`].
pub fn boxed_response_body<B>(body: B) -> ResponseBody
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}

/// A [`ResponseBody`] holding the given bytes.
pub fn full_response_body(bytes: impl Into<Bytes>) -> ResponseBody {
    boxed_response_body(http_body_util::Full::new(bytes.into()))
}

/// A request body: empty, buffered, or streaming.
///
/// Buffered bodies clone cheaply ([`RequestBody::try_clone`]); streaming bodies cannot be cloned, which is how the
/// retry layer knows never to resend them.
pub struct RequestBody {
    kind: Kind,
}

enum Kind {
    Empty,
    /// `None` once the bytes were yielded.
    Full(Option<Bytes>),
    Streaming(UnsyncBoxBody<Bytes, BoxError>),
}

impl RequestBody {
    /// An empty body.
    pub fn empty() -> Self {
        RequestBody { kind: Kind::Empty }
    }

    /// A buffered body. Empty bytes give an empty body.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        if bytes.is_empty() {
            Self::empty()
        } else {
            RequestBody {
                kind: Kind::Full(Some(bytes)),
            }
        }
    }

    /// A streaming body. It is never cloned, so requests carrying it are never retried or replayed.
    pub fn streaming<B>(body: B) -> Self
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        RequestBody {
            kind: Kind::Streaming(body.map_err(Into::into).boxed_unsync()),
        }
    }

    /// A copy of this body if it is empty or buffered; `None` for a streaming body.
    pub fn try_clone(&self) -> Option<RequestBody> {
        match &self.kind {
            Kind::Empty => Some(Self::empty()),
            Kind::Full(bytes) => Some(RequestBody {
                kind: Kind::Full(bytes.clone()),
            }),
            Kind::Streaming(_) => None,
        }
    }

    /// The buffered bytes, if this body is buffered and not yet consumed (`Some(empty)` for an empty body).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.kind {
            Kind::Empty => Some(&[]),
            Kind::Full(Some(bytes)) => Some(bytes),
            Kind::Full(None) => Some(&[]),
            Kind::Streaming(_) => None,
        }
    }

    /// Whether this body is a stream.
    pub fn is_streaming(&self) -> bool {
        matches!(self.kind, Kind::Streaming(_))
    }
}

/// Clones `req` (method, URI, version, headers, extensions and body) if its body can be cloned.
pub fn try_clone_request(req: &http::Request<RequestBody>) -> Option<http::Request<RequestBody>> {
    let body = req.body().try_clone()?;
    let mut out = http::Request::new(body);
    *out.method_mut() = req.method().clone();
    *out.uri_mut() = req.uri().clone();
    *out.version_mut() = req.version();
    *out.headers_mut() = req.headers().clone();
    *out.extensions_mut() = req.extensions().clone();
    Some(out)
}

impl Default for RequestBody {
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies can hold credentials (token grants), so only the shape is printed.
        match &self.kind {
            Kind::Empty => f.write_str("RequestBody::Empty"),
            Kind::Full(Some(b)) => write!(f, "RequestBody::Full({} bytes)", b.len()),
            Kind::Full(None) => f.write_str("RequestBody::Full(consumed)"),
            Kind::Streaming(_) => f.write_str("RequestBody::Streaming"),
        }
    }
}

impl From<Bytes> for RequestBody {
    fn from(b: Bytes) -> Self {
        Self::full(b)
    }
}

impl From<Vec<u8>> for RequestBody {
    fn from(b: Vec<u8>) -> Self {
        Self::full(b)
    }
}

impl From<String> for RequestBody {
    fn from(s: String) -> Self {
        Self::full(s)
    }
}

impl From<&'static str> for RequestBody {
    fn from(s: &'static str) -> Self {
        Self::full(s)
    }
}

impl From<()> for RequestBody {
    fn from(_: ()) -> Self {
        Self::empty()
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match &mut this.kind {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Streaming(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Empty => true,
            Kind::Full(bytes) => bytes.is_none(),
            Kind::Streaming(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Kind::Full(None) => SizeHint::with_exact(0),
            Kind::Streaming(body) => body.size_hint(),
        }
    }
}

/// Bounds for draining a discarded response body.
const DRAIN_LIMIT: usize = 64 * 1024;
const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Reads a small discarded body to its end so its connection can go back to the pool; gives up (drops it) when it
/// is larger than 64 KiB or takes longer than 1 s.
pub(crate) async fn drain<B: Body<Data = Bytes>>(body: B) {
    let read = async {
        let mut body = std::pin::pin!(body);
        let mut seen = 0usize;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return };
            if let Some(data) = frame.data_ref() {
                seen += data.len();
                if seen > DRAIN_LIMIT {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, read).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn buffered_body_clones_and_yields_bytes() {
        let body = RequestBody::from("hello");
        assert_eq!(body.size_hint().exact(), Some(5));
        let copy = body.try_clone().expect("buffered bodies clone");
        let a = body.collect().await.unwrap().to_bytes();
        let b = copy.collect().await.unwrap().to_bytes();
        assert_eq!(a, Bytes::from("hello"));
        assert_eq!(a, b);
    }

    #[tokio::test]
    async fn empty_body_is_end_of_stream() {
        let body = RequestBody::from(String::new());
        assert!(body.is_end_stream());
        assert_eq!(body.as_bytes(), Some(&[][..]));
        assert!(body.collect().await.unwrap().to_bytes().is_empty());
    }

    #[test]
    fn streaming_body_never_clones() {
        let body = RequestBody::streaming(http_body_util::Full::new(Bytes::from("x")));
        assert!(body.is_streaming());
        assert!(body.try_clone().is_none());
        let req = http::Request::new(body);
        assert!(try_clone_request(&req).is_none());
    }

    #[test]
    fn request_clone_keeps_parts() {
        let mut req = http::Request::post("/api/x")
            .header("a", "b")
            .body(RequestBody::from("{}"))
            .unwrap();
        req.extensions_mut().insert(7u8);
        let c = try_clone_request(&req).unwrap();
        assert_eq!(c.method(), http::Method::POST);
        assert_eq!(c.uri(), "/api/x");
        assert_eq!(c.headers()["a"], "b");
        assert_eq!(c.extensions().get::<u8>(), Some(&7));
        assert_eq!(c.body().as_bytes(), Some(&b"{}"[..]));
    }

    #[test]
    fn debug_does_not_print_content() {
        let body = RequestBody::from("password=secret");
        assert!(!format!("{body:?}").contains("secret"));
    }
}
