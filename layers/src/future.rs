//! [`LayerFuture`]: the boxed response future of the layers whose work is an `async fn` (auth, retry, version
//! probe), so each of them does not define its own.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::body::BoxError;

/// A boxed, `Send` future resolving to a layer's response or a [`BoxError`].
pub struct LayerFuture<T> {
    inner: Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>,
}

impl<T> LayerFuture<T> {
    /// Boxes `fut`.
    pub(crate) fn new(fut: impl Future<Output = Result<T, BoxError>> + Send + 'static) -> Self {
        LayerFuture {
            inner: Box::pin(fut),
        }
    }
}

impl<T> Future for LayerFuture<T> {
    type Output = Result<T, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

/// Takes the service that `poll_ready` made ready for this call and leaves a clone behind for the next call (a
/// clone of a tower service is not necessarily ready).
pub(crate) fn take_ready<S: Clone>(inner: &mut S) -> S {
    let clone = inner.clone();
    std::mem::replace(inner, clone)
}
