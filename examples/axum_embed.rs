//! An axum handler that uses a `Dhis2Client` from `State`. The example serves one request to itself and exits.
//!
//! ```sh
//! cargo run --example axum_embed
//! ```

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use dhis2::{BasicAuth, Dhis2Client, Profile};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `GET /whoami`: asks DHIS2 who the client is, using the shared client from the router state.
async fn whoami(State(client): State<Dhis2Client>) -> Result<Json<Value>, (StatusCode, String)> {
    let me = client
        .system()
        .me()
        .await
        .map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()))?;
    let version = client.raw_version().unwrap_or_default();
    Ok(Json(json!({"username": me.username, "dhis2": version})))
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
    let client = builder.connect().await?;

    let app = Router::new()
        .route("/whoami", get(whoami))
        .with_state(client.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await
    });

    // One request to our own app, then shut down.
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET /whoami HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    println!("GET /whoami -> {}", answer.lines().next().unwrap_or(""));
    println!("{body}");

    let _ = stop_tx.send(());
    server.await??;
    client.close().await;
    Ok(())
}
