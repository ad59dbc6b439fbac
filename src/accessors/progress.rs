//! Progress reporting for long transfers: an optional callback plus `tracing` events.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Method;
use tokio::io::AsyncWrite;

use crate::{Dhis2Client, Error};

/// Report the callback at most every this many bytes (and once at the end).
const CALLBACK_STEP: u64 = 64 * 1024;
/// Emit a `tracing` event at most every this many bytes.
const TRACE_STEP: u64 = 8 * 1024 * 1024;

/// An optional progress callback, called with the running byte count of a transfer.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<dyn Fn(u64) + Send + Sync>>);

impl Progress {
    /// No callback (progress still goes to `tracing`).
    pub fn none() -> Self {
        Progress(None)
    }

    /// Calls `f` with the number of bytes transferred so far.
    pub fn new(f: impl Fn(u64) + Send + Sync + 'static) -> Self {
        Progress(Some(Arc::new(f)))
    }

    pub(crate) fn report(&self, bytes: u64) {
        if let Some(f) = &self.0 {
            f(bytes);
        }
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(callback)"
        } else {
            "Progress(none)"
        })
    }
}

/// An `AsyncWrite` adapter that counts what passes through and reports progress.
pub(crate) struct CountingWriter<'a, W: ?Sized> {
    inner: &'a mut W,
    progress: Progress,
    target: &'static str,
    written: u64,
    reported: u64,
    traced: u64,
}

impl<'a, W: AsyncWrite + Unpin + ?Sized> CountingWriter<'a, W> {
    pub(crate) fn new(inner: &'a mut W, progress: Progress, target: &'static str) -> Self {
        CountingWriter {
            inner,
            progress,
            target,
            written: 0,
            reported: 0,
            traced: 0,
        }
    }

    /// Reports the final count.
    pub(crate) fn finish(&mut self) {
        self.progress.report(self.written);
        tracing::info!(target: "dhis2::progress", source = self.target, bytes = self.written, "transfer finished");
    }

    fn count(&mut self, n: usize) {
        self.written += n as u64;
        if self.written - self.reported >= CALLBACK_STEP {
            self.reported = self.written;
            self.progress.report(self.written);
        }
        if self.written - self.traced >= TRACE_STEP {
            self.traced = self.written;
            tracing::debug!(target: "dhis2::progress", source = self.target, bytes = self.written, "transfer progress");
        }
    }
}

/// Streams the answer of `GET path` into `writer`, reporting `progress` (and a final event naming `target`);
/// returns the bytes written.
pub(crate) async fn stream_get<W>(
    client: &Dhis2Client,
    path: &str,
    params: &[(&str, &str)],
    writer: &mut W,
    progress: Progress,
    target: &'static str,
) -> Result<u64, Error>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut counting = CountingWriter::new(writer, progress, target);
    let written = client
        .stream(Method::GET, path, params, &mut counting)
        .await?;
    counting.finish();
    Ok(written)
}

impl<W: AsyncWrite + Unpin + ?Sized> AsyncWrite for CountingWriter<'_, W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut *this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                this.count(n);
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn counts_and_reports() {
        let seen = Arc::new(AtomicU64::new(0));
        let s = seen.clone();
        let mut sink = Vec::new();
        let mut w = CountingWriter::new(
            &mut sink,
            Progress::new(move |b| s.store(b, Ordering::SeqCst)),
            "test",
        );
        w.write_all(&vec![1u8; 100_000]).await.unwrap();
        assert_eq!(seen.load(Ordering::SeqCst), 100_000);
        w.write_all(b"abc").await.unwrap();
        w.finish();
        assert_eq!(seen.load(Ordering::SeqCst), 100_003);
        assert_eq!(sink.len(), 100_003);
    }
}
