//! The fixed-cost server: hyper http1 on loopback, answering from pre-rendered bytes, on its own runtime.
//!
//! Thread split (see README): the server gets its own tokio runtime with `server_threads()` worker threads (1 on
//! a 2-core machine) and the client side gets `client_threads()` (also 1 there), so on 2 cores each side owns one
//! core and no contender can starve the server or borrow its core. Every contender runs under the same split.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::body::{ExportTemplate, ServerBody};
use crate::canned;
use crate::orgunits::OrgUnits;
use crate::BenchError;

/// Worker threads of the server runtime: half the cores, at least one.
pub(crate) fn server_threads() -> usize {
    (cores() / 2).max(1)
}

/// Worker threads of the client runtime: the cores the server does not get, at least one.
pub(crate) fn client_threads() -> usize {
    cores().saturating_sub(server_threads()).max(1)
}

pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The runtime the servers (fixed-cost and emulator) run on.
pub(crate) struct ServerHost {
    rt: tokio::runtime::Runtime,
}

impl ServerHost {
    pub(crate) fn new() -> Result<ServerHost, BenchError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(server_threads())
            .thread_name("bench-server")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot build the server runtime: {e}"))?;
        Ok(ServerHost { rt })
    }

    /// Starts a fixed-cost server on an ephemeral loopback port.
    pub(crate) fn start(&self, config: ServerConfig) -> Result<FixedServer, BenchError> {
        let listener = self
            .rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .map_err(|e| format!("cannot bind the fixed-cost server on 127.0.0.1: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("fixed-cost server has no local address: {e}"))?;
        let state = Arc::new(State {
            system_info: Bytes::from(canned::system_info(&format!("http://{addr}"))),
            config,
            counters: Counters::default(),
        });
        let (stop, stopped) = watch::channel(false);
        self.rt.spawn(accept_loop(listener, state.clone(), stopped));
        Ok(FixedServer { addr, state, stop })
    }
}

/// What a fixed-cost server serves beyond `/api/me` and `/api/system/info`.
#[derive(Default)]
pub(crate) struct ServerConfig {
    /// `/api/organisationUnits` (paging=false or pages).
    pub(crate) org_units: Option<Arc<OrgUnits>>,
    /// `/api/dataValueSets`: a lazily generated export.
    pub(crate) export: Option<ExportTemplate>,
    /// Time each `/api/me` request is held before answering (limit_10k), so requests overlap.
    pub(crate) me_delay: Option<Duration>,
}

/// Request counters the harness reads.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Counters {
    /// Highest number of requests being handled at once since the last reset.
    pub(crate) fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    pub(crate) fn reset_max_in_flight(&self) {
        self.max_in_flight.store(0, Ordering::SeqCst);
    }

    fn enter(&self) -> InFlight<'_> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }
}

/// Decrements the in-flight count when the handler finishes (or is dropped).
struct InFlight<'a>(&'a Counters);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

struct State {
    system_info: Bytes,
    config: ServerConfig,
    counters: Counters,
}

/// A running fixed-cost server; stops accepting when dropped.
pub(crate) struct FixedServer {
    addr: SocketAddr,
    state: Arc<State>,
    stop: watch::Sender<bool>,
}

impl FixedServer {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.state.counters
    }
}

impl Drop for FixedServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stopped: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors or a reset before accept: keep serving the others.
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(state.clone(), req));
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = stopped.changed() => {}
            }
        });
    }
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<ServerBody>, Infallible> {
    let _in_flight = state.counters.enter();
    let path = req.uri().path();
    let path = path.strip_suffix(".json").unwrap_or(path);
    let query = req.uri().query().unwrap_or("");
    let response = match path {
        "/api/me" => {
            if let Some(delay) = state.config.me_delay {
                tokio::time::sleep(delay).await;
            }
            json(Bytes::from_static(canned::ME.as_bytes()))
        }
        "/api/system/info" => json(state.system_info.clone()),
        "/api/organisationUnits" => match &state.config.org_units {
            Some(units) => {
                if param(query, "paging") == Some("false") {
                    json(units.full())
                } else {
                    let page = param(query, "page")
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(1);
                    let size = param(query, "pageSize")
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(50);
                    let host = req
                        .headers()
                        .get(header::HOST)
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or("127.0.0.1");
                    json(units.page(page, size, &link_base(host, query)))
                }
            }
            None => not_found(path),
        },
        "/api/dataValueSets" => match &state.config.export {
            Some(export) => Response::builder()
                .header(header::CONTENT_TYPE, "application/json;charset=UTF-8")
                .body(ServerBody::Export(export.body()))
                .unwrap_or_else(|_| not_found(path)),
            None => not_found(path),
        },
        _ => not_found(path),
    };
    Ok(response)
}

fn json(body: Bytes) -> Response<ServerBody> {
    let mut response = Response::new(ServerBody::full(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
}

fn not_found(path: &str) -> Response<ServerBody> {
    let body = format!(
        r#"{{"httpStatus":"Not Found","httpStatusCode":404,"status":"ERROR","message":"bench server does not serve {}"}}"#,
        path.replace('"', "")
    );
    let mut response = json(Bytes::from(body));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// The value of the first `name=` in a query string.
fn param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `http://HOST/api/organisationUnits?<query without page/pageSize>&` for pager links.
fn link_base(host: &str, query: &str) -> String {
    let mut base = format!("http://{host}/api/organisationUnits?");
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let key = pair.split('=').next().unwrap_or("");
        if key != "page" && key != "pageSize" {
            base.push_str(pair);
            base.push('&');
        }
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_helpers() {
        assert_eq!(param("a=1&paging=false", "paging"), Some("false"));
        assert_eq!(param("a=1", "paging"), None);
        assert_eq!(
            link_base("h:1", "fields=id&page=3&pageSize=10"),
            "http://h:1/api/organisationUnits?fields=id&"
        );
    }

    #[test]
    fn thread_split_uses_every_core_once() {
        assert!(server_threads() >= 1 && client_threads() >= 1);
        if cores() >= 2 {
            assert_eq!(server_threads() + client_threads(), cores());
        }
    }

    #[test]
    fn serves_canned_bodies_and_counts_in_flight() {
        let host = ServerHost::new().unwrap();
        let server = host
            .start(ServerConfig {
                org_units: Some(Arc::new(OrgUnits::generate(30))),
                me_delay: Some(Duration::from_millis(20)),
                ..ServerConfig::default()
            })
            .unwrap();
        let url = server.url();
        let client_rt = tokio::runtime::Runtime::new().unwrap();
        let (me, page, missing) = client_rt.block_on(async {
            let client = reqwest::Client::new();
            let get = |p: &str| client.get(format!("{url}{p}")).send();
            let (a, b) = tokio::join!(get("/api/me"), get("/api/me"));
            let me = a.unwrap().text().await.unwrap();
            b.unwrap().text().await.unwrap();
            let page = get("/api/organisationUnits?page=2&pageSize=10")
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap();
            let missing = get("/api/nothing").await.unwrap().status();
            (me, page, missing)
        });
        assert_eq!(me, canned::ME);
        assert_eq!(page["pager"]["page"], 2);
        assert_eq!(page["organisationUnits"].as_array().unwrap().len(), 10);
        assert!(page["pager"]["nextPage"]
            .as_str()
            .unwrap()
            .contains("page=3"));
        assert_eq!(missing, StatusCode::NOT_FOUND);
        assert_eq!(server.counters().max_in_flight(), 2);
        assert_eq!(server.counters().requests.load(Ordering::Relaxed), 4);
    }
}
