//! A user tower layer inserted into the client stack with `ClientBuilder::layer`: it times every logical request
//! (it sits above the retry layer, so retries are included in the time) and tags it with a header.
//!
//! ```sh
//! cargo run --example custom_layer
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use dhis2::{BasicAuth, BoxError, Dhis2Client, Profile, RequestBody, ResponseBody};
use http::{Request, Response};
use tower::{Layer, Service};

/// Counts and times requests, and adds `X-Request-Source: custom-layer-example`.
#[derive(Clone, Default)]
struct TimingLayer {
    count: Arc<AtomicUsize>,
}

impl<S> Layer<S> for TimingLayer {
    type Service = Timing<S>;
    fn layer(&self, inner: S) -> Timing<S> {
        Timing {
            inner,
            count: self.count.clone(),
        }
    }
}

#[derive(Clone)]
struct Timing<S> {
    inner: S,
    count: Arc<AtomicUsize>,
}

impl<S> Service<Request<RequestBody>> for Timing<S>
where
    S: Service<Request<RequestBody>, Response = Response<ResponseBody>, Error = BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response<ResponseBody>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<RequestBody>) -> Self::Future {
        self.count.fetch_add(1, Ordering::Relaxed);
        req.headers_mut().insert(
            "x-request-source",
            http::HeaderValue::from_static("custom-layer-example"),
        );
        let label = format!("{} {}", req.method(), req.uri().path());
        let started = Instant::now();
        let fut = self.inner.call(req);
        Box::pin(async move {
            let result = fut.await;
            match &result {
                Ok(resp) => println!(
                    "[timing] {label} -> {} in {:?}",
                    resp.status(),
                    started.elapsed()
                ),
                Err(e) => println!("[timing] {label} -> error {e} in {:?}", started.elapsed()),
            }
            result
        })
    }
}

// `pub` so that the test suite can run it (tests/examples_run.rs).
#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut _emulator = None;
    let builder = if std::env::var_os("DHIS2_URL").is_some() {
        Profile::from_env()?.builder()
    } else {
        let emulator = dhis2_emulator::Emulator::builder()
            .version("2.42.6")
            .start()
            .await?;
        let b = Dhis2Client::builder(emulator.url()).auth(BasicAuth::new("admin", "district"));
        _emulator = Some(emulator);
        b
    };
    let timing = TimingLayer::default();
    let client = builder.layer(timing.clone()).connect().await?;
    let me = client.system().me().await?;
    println!("hello {}", me.username);
    let units = client
        .get_raw(
            "api/organisationUnits",
            &[("fields", "id,name"), ("pageSize", "3")],
        )
        .await?;
    println!("first page keys: {:?}", units.keys().collect::<Vec<_>>());
    println!(
        "the layer saw {} requests",
        timing.count.load(Ordering::Relaxed)
    );
    client.close().await;
    Ok(())
}
