//! A gzip bomb (a quarter of a megabyte that inflates to 256 MiB of JSON-looking zeros) stops at
//! `max_response_size`, which counts decoded bytes, with bounded memory. Its own test binary, so the resident
//! set measured is this test's alone.

mod support;

use std::io::Write;

use dhis2::{Dhis2Client, Error};
use support::{dhis2_like, Req, Resp};

const INFLATED: usize = 256 << 20;
const CAP: usize = 4 << 20;

fn bomb() -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(b"[").unwrap();
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..INFLATED >> 20 {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap()
}

#[tokio::test]
async fn a_gzip_bomb_stops_at_the_decoded_size_cap() {
    let body = bomb();
    assert!(
        body.len() < CAP / 8,
        "the bomb is small on the wire: {}",
        body.len()
    );
    let srv = dhis2_like("2.42.6", move |_r: Req| {
        let body = body.clone();
        async move { Resp::bytes(200, "application/json", body).header("content-encoding", "gzip") }
    })
    .await;
    let client = Dhis2Client::builder(&srv.url)
        .max_response_size(CAP)
        .connect()
        .await
        .unwrap();
    let before = support::rss_kib();
    let err = client.get_raw("api/bomb", &[]).await.unwrap_err();
    let grown_mib = support::rss_kib().saturating_sub(before) / 1024;
    match &err {
        Error::BodyTooLarge { path, limit, .. } => {
            assert_eq!(path, "/api/bomb");
            assert_eq!(*limit, CAP);
        }
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
    // Inflating it whole would take 256 MiB; stopping at the cap takes a few.
    assert!(grown_mib < 64, "resident set grew by {grown_mib} MiB");
}
