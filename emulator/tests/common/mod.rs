//! A tiny HTTP/1.1 client over a raw TCP stream for the emulator's tests: full control over headers, and
//! transport failures (resets, short bodies) surface as errors instead of being papered over.
#![allow(dead_code)]

use std::io;

use base64::Engine;
use dhis2_emulator::{Emulator, Seed};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A complete response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn host_port(base: &str) -> &str {
    base.trim_start_matches("http://").trim_end_matches('/')
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut data: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(data, b"\r\n")
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "chunk size line"))?;
        let size_str = std::str::from_utf8(&data[..line_end])
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim();
        let size = usize::from_str_radix(size_str, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "short chunk"));
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Sends one request on a fresh connection (`Connection: close`) and reads the whole answer.
pub async fn raw(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> io::Result<Resp> {
    let hp = host_port(base);
    let mut stream = TcpStream::connect(hp).await?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {hp}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await?;
    if let Some(b) = body {
        stream.write_all(b).await?;
    }
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await?;
    let head_end = find(&buf, b"\r\n\r\n")
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no response head"))?;
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let rest = &buf[head_end + 4..];
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let body = if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        if rest.len() < len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("body {} of {len} bytes", rest.len()),
            ));
        }
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Resp {
        status,
        headers,
        body,
    })
}

pub fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

/// An authenticated API-style request as admin.
pub async fn call(emu: &Emulator, method: &str, path: &str, body: Option<&str>) -> Resp {
    let auth = basic("admin", "district");
    let mut headers = vec![
        ("Authorization", auth.as_str()),
        ("X-Requested-With", "XMLHttpRequest"),
        ("Accept", "application/json"),
    ];
    if body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    raw(emu.url(), method, path, &headers, body.map(str::as_bytes))
        .await
        .expect("request failed")
}

pub async fn get(emu: &Emulator, path: &str) -> Resp {
    call(emu, "GET", path, None).await
}

pub async fn get_json(emu: &Emulator, path: &str) -> Value {
    let r = get(emu, path).await;
    assert_eq!(r.status, 200, "GET {path}: {}", r.text());
    r.json()
}

pub async fn start(version: &str) -> Emulator {
    Emulator::builder()
        .version(version)
        .seed(Seed::Empty)
        .start()
        .await
        .expect("emulator starts")
}

/// A small fixed metadata set: an org unit tree and data elements with predictable names.
pub fn fixture() -> Value {
    let mut ous = vec![
        serde_json::json!({"id": "OuRoot00001", "name": "Root", "shortName": "Root", "code": "ROOT", "level": 1, "openingDate": "1990-01-01T00:00:00.000", "path": "/OuRoot00001"}),
    ];
    for i in 0..3 {
        ous.push(serde_json::json!({"id": format!("OuDist0000{i}"), "name": format!("District {i}"), "shortName": format!("D{i}"),
            "code": format!("D{i}"), "level": 2, "openingDate": "1990-01-01T00:00:00.000", "parent": {"id": "OuRoot00001"}}));
    }
    let mut des = Vec::new();
    for i in 0..25 {
        des.push(serde_json::json!({"id": format!("DeElem{i:05}"), "name": format!("Element {i:02}"), "shortName": format!("E{i:02}"),
            "code": format!("DE_{i:02}"), "valueType": if i % 2 == 0 { "NUMBER" } else { "TEXT" }, "aggregationType": "SUM",
            "domainType": "AGGREGATE", "zeroIsSignificant": i % 5 == 0, "categoryCombo": {"id": "CcDefault01"},
            "legendSets": (0..(i % 3)).map(|k| serde_json::json!({"id": format!("LegSet{k:05}")})).collect::<Vec<_>>()}));
    }
    let legend_sets: Vec<Value> = [0, 1, 2, 9]
        .iter()
        .map(|k| serde_json::json!({"id": format!("LegSet{k:05}"), "name": format!("Legend set {k}")}))
        .collect();
    serde_json::json!({
        "categoryCombos": [{"id": "CcDefault01", "name": "Fixture default", "dataDimensionType": "DISAGGREGATION"}],
        "organisationUnits": ous,
        "legendSets": legend_sets,
        "dataElements": des,
    })
}

pub async fn start_with_fixture(version: &str) -> Emulator {
    Emulator::builder()
        .version(version)
        .seed(Seed::Empty)
        .import_metadata(fixture())
        .start()
        .await
        .expect("emulator starts")
}
