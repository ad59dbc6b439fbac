//! Data value export: a streamed export is byte-for-byte the buffered one, progress is reported, org unit
//! children widen the selection, and a big synthetic export streams through.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use dhis2::accessors::data_values::ExportQuery;
use dhis2::accessors::progress::Progress;
use dhis2::{BasicAuth, Dhis2Client};
use http_body_util::BodyExt;
use support::emulator::root_org_unit;

#[tokio::test]
async fn streamed_export_bytes_match_the_buffered_export() {
    let (_emu, client) = support::emulator::start("2.42.6").await;
    let t = support::emulator::target_with_data(&client).await;
    let root = root_org_unit(&client).await;
    let query = ExportQuery::new()
        .data_set(&t.data_set)
        .dates("2020-01-01", "2030-12-31")
        .org_unit(&root)
        .children(true);

    let seen = Arc::new(AtomicU64::new(0));
    let s = seen.clone();
    let mut streamed = Vec::new();
    let written = client
        .data_values()
        .export_to_with_progress(
            &query,
            &mut streamed,
            Progress::new(move |b| s.store(b, Ordering::SeqCst)),
        )
        .await
        .unwrap();
    assert_eq!(written, streamed.len() as u64);
    assert_eq!(
        seen.load(Ordering::SeqCst),
        written,
        "the last progress report is the total"
    );

    // The same request, buffered whole by the raw response path.
    let params: Vec<(&str, &str)> = query
        .params()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let resp = client
        .get_response("api/dataValueSets", &params, &[])
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let buffered = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        streamed,
        buffered.to_vec(),
        "streamed and buffered bytes differ"
    );

    // And the typed export holds the same values.
    let typed = client.data_values().export(&query).await.unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&streamed).unwrap();
    assert_eq!(
        typed.data_values.len(),
        parsed["dataValues"].as_array().unwrap().len()
    );
    assert!(
        typed.data_values.len() > 10,
        "the seed has values for this data set"
    );
}

#[tokio::test]
async fn children_widen_the_org_unit_selection() {
    let (_emu, client) = support::emulator::start("2.41.4").await;
    let t = support::emulator::target_with_data(&client).await;
    let root = root_org_unit(&client).await;
    let base = ExportQuery::new()
        .data_set(&t.data_set)
        .dates("2020-01-01", "2030-12-31")
        .org_unit(&root);
    let with_children = client
        .data_values()
        .export(&base.clone().children(true))
        .await
        .unwrap();
    assert!(!with_children.data_values.is_empty());
    // Values are stored on facilities, not on the root itself.
    let root_only = client.data_values().export(&base).await;
    let root_count = root_only.map(|s| s.data_values.len()).unwrap_or(0);
    assert!(with_children.data_values.len() > root_count);
    let limited = client
        .data_values()
        .export(&base.children(true).limit(3))
        .await
        .unwrap();
    assert_eq!(limited.data_values.len(), 3);
}

#[tokio::test]
async fn a_large_synthetic_export_streams_to_a_writer() {
    let emu = dhis2_emulator::Emulator::builder()
        .version("2.42.6")
        .synthetic_data_values(20_000)
        .start()
        .await
        .unwrap();
    let client = Dhis2Client::builder(emu.url())
        .auth(BasicAuth::new("admin", "district"))
        .connect()
        .await
        .unwrap();
    let t = support::emulator::target_with_data(&client).await;
    let root = root_org_unit(&client).await;
    let query = ExportQuery::new()
        .data_set(&t.data_set)
        .period("202401")
        .org_unit(&root)
        .children(true);
    // Count bytes and rows without keeping the body.
    let mut sink = CountingSink::default();
    let written = client
        .data_values()
        .export_to(&query, &mut sink)
        .await
        .unwrap();
    assert_eq!(written, sink.bytes);
    assert_eq!(sink.rows, 20_000, "every synthetic row arrives once");
}

/// An `AsyncWrite` that only counts bytes and data value rows (a row marker may straddle two writes, so the
/// tail of the previous write is kept).
#[derive(Default)]
struct CountingSink {
    bytes: u64,
    rows: u64,
    tail: Vec<u8>,
}

impl tokio::io::AsyncWrite for CountingSink {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.bytes += buf.len() as u64;
        const MARKER: &[u8] = b"\"dataElement\"";
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(buf);
        self.rows += window
            .windows(MARKER.len())
            .filter(|w| *w == MARKER)
            .count() as u64;
        let keep = window.len().min(MARKER.len() - 1);
        self.tail = window[window.len() - keep..].to_vec();
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}
