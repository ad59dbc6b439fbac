//! The fixed-cost server: hyper http1 on loopback, answering from pre-rendered bytes, on its own runtime
//! (`/api/me` and `/api/system/info`; for decode_100k also the org unit list).
//!
//! Thread split (see README): the server gets its own tokio runtime with `server_threads()` worker threads (1 on
//! a 2-core machine) and the client side gets `client_threads()` (also 1 there), so on 2 cores each side owns one
//! core and no contender can starve the server or borrow its core. Every contender runs under the same split.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use dhis2_emulator::{Emulator, EmulatorBuilder};
use http::{header, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::canned;
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

    /// Starts a fixed-cost server (canned `/api/me` and `/api/system/info`) on an ephemeral loopback port.
    pub(crate) fn start(&self) -> Result<FixedServer, BenchError> {
        self.start_serving(None)
    }

    /// Starts a fixed-cost server that also answers `GET /api/organisationUnits` (any query) with `org_units`.
    pub(crate) fn start_with_org_units(&self, org_units: Bytes) -> Result<FixedServer, BenchError> {
        self.start_serving(Some(org_units))
    }

    fn start_serving(&self, org_units: Option<Bytes>) -> Result<FixedServer, BenchError> {
        let listener = self
            .rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .map_err(|e| format!("cannot bind the fixed-cost server on 127.0.0.1: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("fixed-cost server has no local address: {e}"))?;
        let state = Arc::new(State {
            system_info: Bytes::from(canned::system_info(&format!("http://{addr}"))),
            org_units,
        });
        let (stop, stopped) = watch::channel(false);
        self.rt.spawn(accept_loop(listener, state, stopped));
        Ok(FixedServer { addr, stop })
    }

    /// Starts the emulator (built in release with the bench) on this runtime, on an ephemeral loopback port.
    pub(crate) fn start_emulator(&self, builder: EmulatorBuilder) -> Result<Emulator, BenchError> {
        self.rt
            .block_on(builder.start())
            .map_err(|e| format!("cannot start the emulator: {e}").into())
    }
}

struct State {
    system_info: Bytes,
    /// The decode_100k list, when this server serves one.
    org_units: Option<Bytes>,
}

/// A running fixed-cost server; stops accepting when dropped.
pub(crate) struct FixedServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
}

impl FixedServer {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
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

type ServerBody = Full<Bytes>;

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<ServerBody>, Infallible> {
    let path = req.uri().path();
    let path = path.strip_suffix(".json").unwrap_or(path);
    let response = match path {
        "/api/me" => json(Bytes::from_static(canned::ME.as_bytes())),
        "/api/system/info" => json(state.system_info.clone()),
        "/api/organisationUnits" => match &state.org_units {
            Some(list) => json(list.clone()),
            None => not_found(path),
        },
        _ => not_found(path),
    };
    Ok(response)
}

fn json(body: Bytes) -> Response<ServerBody> {
    let mut response = Response::new(Full::new(body));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_split_uses_every_core_once() {
        assert!(server_threads() >= 1 && client_threads() >= 1);
        if cores() >= 2 {
            assert_eq!(server_threads() + client_threads(), cores());
        }
    }

    #[test]
    fn serves_canned_bodies_and_starts_the_emulator() {
        let host = ServerHost::new().unwrap();
        let server = host.start().unwrap();
        let emu = host
            .start_emulator(Emulator::builder().seed(dhis2_emulator::Seed::Empty))
            .unwrap();
        let lister = host
            .start_with_org_units(Bytes::from_static(b"{\"organisationUnits\":[]}"))
            .unwrap();
        let url = server.url();
        let list_url = format!(
            "{}/api/organisationUnits?paging=false&fields=*",
            lister.url()
        );
        let client_rt = tokio::runtime::Runtime::new().unwrap();
        let (me, missing, emu_me, list, unlisted) = client_rt.block_on(async {
            let client = reqwest::Client::new();
            let list = client
                .get(list_url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let unlisted = client
                .get(format!("{url}/api/organisationUnits"))
                .send()
                .await
                .unwrap()
                .status();
            let me = client.get(format!("{url}/api/me")).send().await.unwrap();
            let me = me.text().await.unwrap();
            let missing = client.get(format!("{url}/api/nothing")).send().await;
            let emu_me = client
                .get(format!("{}/api/me", emu.url()))
                .basic_auth("admin", Some("district"))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap();
            (me, missing.unwrap().status(), emu_me, list, unlisted)
        });
        assert_eq!(list, r#"{"organisationUnits":[]}"#);
        assert_eq!(unlisted, StatusCode::NOT_FOUND);
        assert_eq!(me, canned::ME);
        assert_eq!(missing, StatusCode::NOT_FOUND);
        assert_eq!(emu_me["username"], "admin");
        assert_eq!(emu.counters().requests("/api/me"), 1);
    }
}
