//! Response bodies of the fixed-cost server: a whole `Bytes`, or a lazily generated data value export of a given
//! size (the same pre-rendered 64 KiB chunk repeated, so the server costs almost nothing per byte).

use std::convert::Infallible;
use std::fmt::Write as _;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// A body the server answers with.
pub(crate) enum ServerBody {
    /// One buffer, sent with a `Content-Length`.
    Full(Option<Bytes>),
    /// A chunked export.
    Export(ExportBody),
}

impl ServerBody {
    pub(crate) fn full(bytes: impl Into<Bytes>) -> ServerBody {
        ServerBody::Full(Some(bytes.into()))
    }
}

impl Body for ServerBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let next = match self.get_mut() {
            ServerBody::Full(bytes) => bytes.take(),
            ServerBody::Export(export) => export.next_chunk(),
        };
        Poll::Ready(next.map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ServerBody::Full(bytes) => bytes.is_none(),
            ServerBody::Export(export) => export.is_done(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ServerBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            ServerBody::Full(None) => SizeHint::with_exact(0),
            // No length: DHIS2 streams exports chunked.
            ServerBody::Export(_) => SizeHint::default(),
        }
    }
}

/// `{"dataValues":[ ... ]}` of at least the requested size.
pub(crate) struct ExportBody {
    head: Option<Bytes>,
    chunk: Bytes,
    chunks_left: u64,
    tail: Option<Bytes>,
}

/// Pre-rendered pieces of an export; cheap to clone into any number of bodies.
#[derive(Clone)]
pub(crate) struct ExportTemplate {
    head: Bytes,
    chunk: Bytes,
    chunks: u64,
    tail: Bytes,
}

const CHUNK_TARGET: usize = 64 * 1024;

impl ExportTemplate {
    /// An export of at least `bytes` bytes.
    pub(crate) fn new(bytes: u64) -> ExportTemplate {
        let mut head = String::from("{\"dataValues\":[");
        push_value(&mut head, 0);
        let mut chunk = String::with_capacity(CHUNK_TARGET + 512);
        let mut i = 1;
        while chunk.len() < CHUNK_TARGET {
            chunk.push(',');
            push_value(&mut chunk, i);
            i += 1;
        }
        let tail = "]}";
        let fixed = (head.len() + tail.len()) as u64;
        let chunks = bytes.saturating_sub(fixed).div_ceil(chunk.len() as u64);
        ExportTemplate {
            head: Bytes::from(head),
            chunk: Bytes::from(chunk),
            chunks,
            tail: Bytes::from_static(tail.as_bytes()),
        }
    }

    /// Exact size of the body in bytes.
    pub(crate) fn total_len(&self) -> u64 {
        (self.head.len() + self.tail.len()) as u64 + self.chunks * self.chunk.len() as u64
    }

    pub(crate) fn body(&self) -> ExportBody {
        ExportBody {
            head: Some(self.head.clone()),
            chunk: self.chunk.clone(),
            chunks_left: self.chunks,
            tail: Some(self.tail.clone()),
        }
    }
}

impl ExportBody {
    fn next_chunk(&mut self) -> Option<Bytes> {
        if let Some(head) = self.head.take() {
            return Some(head);
        }
        if self.chunks_left > 0 {
            self.chunks_left -= 1;
            return Some(self.chunk.clone());
        }
        self.tail.take()
    }

    fn is_done(&self) -> bool {
        self.head.is_none() && self.chunks_left == 0 && self.tail.is_none()
    }
}

/// One data value as `/api/dataValueSets` exports it.
fn push_value(out: &mut String, i: u64) {
    let period = 202001 + (i % 12) + 100 * ((i / 12) % 5);
    let _ = write!(
        out,
        r#"{{"dataElement":"fbfJHSPpUQD","period":"{period}","orgUnit":"DiszpKrYNg8","categoryOptionCombo":"HllvX50cXC0","attributeOptionCombo":"HllvX50cXC0","value":"{}","storedBy":"admin","created":"2024-01-05T10:00:00.000+0000","lastUpdated":"2024-01-05T10:00:00.000+0000","followup":false}}"#,
        i % 997
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn export_is_valid_json_of_the_announced_size() {
        let template = ExportTemplate::new(300_000);
        assert!(template.total_len() >= 300_000);
        assert!(template.total_len() < 300_000 + 2 * CHUNK_TARGET as u64);
        let bytes = ServerBody::Export(template.body())
            .collect()
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(bytes.len() as u64, template.total_len());
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let values = v["dataValues"].as_array().unwrap();
        assert!(values.len() > 900);
        assert_eq!(values[0]["dataElement"], "fbfJHSPpUQD");
    }

    #[tokio::test]
    async fn full_body_has_exact_size_hint() {
        let body = ServerBody::full("abc");
        assert_eq!(body.size_hint().exact(), Some(3));
        assert_eq!(body.collect().await.unwrap().to_bytes(), "abc");
    }
}
