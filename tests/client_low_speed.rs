//! The low-speed guard (issue 12): a server that trickles its answer a byte a second is cut once the rate has
//! stayed under the limit for a whole window, with a `Timeout` that says so; the guard can be switched off.
//! Time is tokio's paused clock, so a minute of trickle takes no real time.

use std::time::Duration;

use dhis2::{Dhis2Client, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves one connection: any request gets a 200 announcing `len` bytes of JSON, sent one byte per second.
async fn trickle_server(len: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let _ = conn.read(&mut buf).await.unwrap();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n\r\n"
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        let mut body = vec![b' '; len];
        body[0] = b'{';
        body[len - 1] = b'}';
        for b in body {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if conn.write_all(&[b]).await.is_err() {
                return;
            }
        }
    });
    url
}

#[tokio::test(start_paused = true)]
async fn a_trickled_answer_is_cut_by_the_low_speed_guard() {
    let url = trickle_server(1_000).await;
    let client = Dhis2Client::builder(&url)
        .skip_version_probe(true)
        .timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let err = client.get_raw("api/me", &[]).await.unwrap_err();
    let took = started.elapsed();
    match &err {
        Error::Timeout { path, detail, .. } => {
            assert_eq!(path, "/api/me");
            let detail = detail.as_deref().unwrap_or_default();
            assert!(detail.contains("slower than 256 bytes/s"), "{detail}");
        }
        other => panic!("expected a low-speed Timeout, got {other:?}"),
    }
    assert!(err.to_string().contains("slower than"), "{err}");
    assert!(err.is_timeout() && !err.is_connect());
    // Cut after the 60 s window, not after the 1000 s the trickle would last.
    assert!(took < Duration::from_secs(70), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn the_guard_can_be_switched_off() {
    let url = trickle_server(90).await;
    let client = Dhis2Client::builder(&url)
        .skip_version_probe(true)
        .timeout(Duration::from_secs(5))
        .low_speed_limit(0, Duration::ZERO)
        .connect()
        .await
        .unwrap();
    let v = client.get_raw("api/me", &[]).await.unwrap();
    assert!(v.is_empty());
}
