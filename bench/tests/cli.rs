//! The benchmark binary end to end: arguments, the stream child, and a small run writing both reports.
//! Nothing here asserts a timing.

use std::convert::Infallible;
use std::path::PathBuf;
use std::process::Command;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const BIN: &str = env!("CARGO_BIN_EXE_dhis2-bench");

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("dhis2-bench-test-{}-{name}", std::process::id()))
}

#[test]
fn help_and_bad_arguments() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    for w in [
        "small_get_c64",
        "decode_100k",
        "stream_1gib",
        "limit_10k",
        "--quick",
    ] {
        assert!(text.contains(w), "{w} missing from --help");
    }
    let bad = Command::new(BIN)
        .args(["--only", "everything"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("everything"));
}

/// A tiny DHIS2-ish server: system info for the dhis2 handshake, a 300 KB export.
async fn serve(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = match req.uri().path() {
        "/api/system/info" => {
            Bytes::from_static(br#"{"version":"2.42.6","contextPath":"http://x"}"#)
        }
        "/api/dataValueSets" => Bytes::from(vec![b'x'; 300_000]),
        _ => {
            let mut resp = Response::new(Full::new(Bytes::from_static(b"{}")));
            *resp.status_mut() = http::StatusCode::NOT_FOUND;
            return Ok(resp);
        }
    };
    Ok(Response::new(Full::new(body)))
}

fn start_server() -> (tokio::runtime::Runtime, String) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(
                http1::Builder::new().serve_connection(TokioIo::new(stream), service_fn(serve)),
            );
        }
    });
    (rt, url)
}

#[test]
fn stream_child_downloads_to_a_file_and_reports_bytes_and_peak_rss() {
    let (_rt, url) = start_server();
    for contender in ["hyper_bare", "dhis2_raw"] {
        let out = temp_path(&format!("stream-{contender}"));
        let output = Command::new(BIN)
            .args(["__stream-child", "--contender", contender, "--url", &url])
            .args([
                "--path",
                "/api/dataValueSets?period=2024&dataSet=a",
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{contender}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["bytes"], 300_000, "{contender}");
        assert!(report["peak_rss_kib"].as_u64().unwrap() > 0);
        assert_eq!(std::fs::metadata(&out).unwrap().len(), 300_000);
        std::fs::remove_file(&out).unwrap();
    }
    let bad = Command::new(BIN)
        .args([
            "__stream-child",
            "--contender",
            "curl",
            "--url",
            &url,
            "--path",
            "/",
        ])
        .args(["--out", temp_path("bad").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("curl"));
    let _ = std::fs::remove_file(temp_path("bad"));
}

#[test]
fn a_quick_limit_run_writes_both_reports() {
    let dir = temp_path("reports");
    let output = Command::new(BIN)
        .args(["--quick", "--only", "limit_10k", "--runs", "1", "--out-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["quick"], true);
    assert!(json["commit"].as_str().is_some_and(|c| !c.is_empty()));
    let rows = json["rows"].as_array().unwrap();
    let find = |contender: &str, metric: &str| {
        rows.iter()
            .find(|r| r["contender"] == contender && r["metric"] == metric)
            .unwrap_or_else(|| panic!("no {contender}/{metric} row in {rows:?}"))
    };
    for contender in ["hyper_bare", "dhis2_raw", "dhis2_unlimited"] {
        let row = find(contender, "req_per_s");
        assert_eq!(row["workload"], "limit_10k");
        assert_eq!(row["runs"], 1);
        assert!(row["median"].as_f64().unwrap() > 0.0);
    }
    // The limit holds: the server never saw more than 20 at once from the limited client.
    let in_flight = find("dhis2_raw", "max_in_flight")["max"].as_f64().unwrap();
    assert!((1.0..=20.0).contains(&in_flight), "{in_flight}");
    let md = std::fs::read_to_string(dir.join("REPORT.md")).unwrap();
    assert!(md.contains("| limit_10k | dhis2_raw | max_in_flight |"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_quick_shaped_link_run_reports_every_contender_and_the_wire_limit() {
    let dir = temp_path("wan-reports");
    let output = Command::new(BIN)
        .args([
            "--quick",
            "--only",
            "wan_small_get_c64",
            "--runs",
            "1",
            "--out-dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let rows = json["rows"].as_array().unwrap();
    let find = |contender: &str, metric: &str| {
        rows.iter()
            .find(|r| r["contender"] == contender && r["metric"] == metric)
            .unwrap_or_else(|| panic!("no {contender}/{metric} row in {rows:?}"))
    };
    for contender in [
        "dhis2_typed",
        "dhis2_no_compression",
        "dhis2_http1",
        "reqwest_gzip",
        "hyper_bare",
        "wire_limit",
    ] {
        for metric in ["seconds", "req_per_s", "wire_mib"] {
            let row = find(contender, metric);
            assert_eq!(row["workload"], "wan_small_get_c64");
            assert_eq!(row["runs"], 1);
            assert!(row["median"].as_f64().unwrap() > 0.0, "{row}");
            assert_eq!(row.as_object().unwrap().len(), 7);
        }
    }
    let md = std::fs::read_to_string(dir.join("REPORT.md")).unwrap();
    assert!(md.contains("| wan_small_get_c64 | wire_limit | seconds |"));
    assert!(md.contains("vs limit"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_wan_child_needs_a_ca() {
    let out = temp_path("wan-child");
    let output = Command::new(BIN)
        .args(["__wan-child", "--contender", "dhis2_typed", "--url"])
        .args(["https://127.0.0.1:1", "--path", "/api/me", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--ca"));
    let _ = std::fs::remove_file(&out);
}
