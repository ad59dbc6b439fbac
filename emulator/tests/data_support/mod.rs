//! A minimal HTTP/1.1 client over a raw `TcpStream` for the data, jobs, metadata and seed tests (no client
//! crate needed; handles `Content-Length` and chunked bodies).
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `admin:district` in Basic form.
pub const BASIC: &str = "Basic YWRtaW46ZGlzdHJpY3Q=";

/// A received response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(500)])
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn host_port(base: &str) -> String {
    let rest = base.trim_start_matches("http://");
    rest.split('/').next().unwrap().to_string()
}

/// Sends one request as `admin` (`Connection: close`) and reads the whole response.
pub async fn request(base: &str, method: &str, path_and_query: &str, body: Option<&str>) -> Resp {
    request_as(base, BASIC, method, path_and_query, body).await
}

/// Sends one request with the given `Authorization` value.
pub async fn request_as(
    base: &str,
    authorization: &str,
    method: &str,
    path_and_query: &str,
    body: Option<&str>,
) -> Resp {
    let hp = host_port(base);
    let mut stream = TcpStream::connect(&hp).await.unwrap();
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: {hp}\r\nAuthorization: {authorization}\r\nAccept: application/json\r\n\
         X-Requested-With: XMLHttpRequest\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    parse(&raw)
}

fn parse(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no header end");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size_txt = String::from_utf8_lossy(&data[..eol]).to_string();
        let size = usize::from_str_radix(size_txt.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[eol + 2..];
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
    out
}

pub async fn get(base: &str, path: &str) -> Resp {
    request(base, "GET", path, None).await
}

pub async fn post(base: &str, path: &str, body: &str) -> Resp {
    request(base, "POST", path, Some(body)).await
}

pub async fn delete(base: &str, path: &str) -> Resp {
    request(base, "DELETE", path, None).await
}

/// The base URL without a trailing slash.
pub fn base(url: &str) -> String {
    url.trim_end_matches('/').to_string()
}

/// Polls `/api/system/tasks/{type}/{id}` until the newest notification is completed (5 s at most).
pub async fn poll_until_completed(base: &str, job_type: &str, id: &str) -> Value {
    for _ in 0..250 {
        let r = get(base, &format!("/api/system/tasks/{job_type}/{id}")).await;
        assert_eq!(r.status, 200);
        let list = r.json();
        if list
            .as_array()
            .and_then(|a| a.first())
            .and_then(|n| n["completed"].as_bool())
            == Some(true)
        {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job {id} did not complete");
}

/// Starts a demo-seeded emulator of `version`; returns it (keep it alive) and its base URL.
pub async fn start(version: &str) -> (dhis2_emulator::Emulator, String) {
    let emu = dhis2_emulator::Emulator::builder()
        .version(version)
        .seed(dhis2_emulator::Seed::Demo)
        .start()
        .await
        .expect("emulator starts");
    let url = base(emu.url());
    (emu, url)
}

/// A monthly seed data set: `(id, data element ids, org unit ids)`.
pub async fn monthly_data_set(base: &str) -> (String, Vec<String>, Vec<String>) {
    let r = get(
        base,
        "/api/dataSets?paging=false&fields=id,name,periodType,dataSetElements,organisationUnits",
    )
    .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    let ds = v["dataSets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"].as_str().unwrap().starts_with("Malaria and HIV"))
        .expect("Malaria and HIV data set")
        .clone();
    assert_eq!(ds["periodType"], "Monthly");
    let des = ds["dataSetElements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["dataElement"]["id"].as_str().unwrap().to_string())
        .collect();
    let ous = ds["organisationUnits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    (ds["id"].as_str().unwrap().to_string(), des, ous)
}

/// `(id, name, valueType, categoryCombo id)` of every data element.
pub async fn data_elements(base: &str) -> Vec<(String, String, String, String)> {
    let r = get(
        base,
        "/api/dataElements?paging=false&fields=id,name,valueType,categoryCombo",
    )
    .await;
    assert_eq!(r.status, 200);
    r.json()["dataElements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["name"].as_str().unwrap().to_string(),
                d["valueType"].as_str().unwrap().to_string(),
                d["categoryCombo"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The id of the data element with this name.
pub fn de_named(all: &[(String, String, String, String)], name: &str) -> String {
    all.iter()
        .find(|d| d.1 == name)
        .unwrap_or_else(|| panic!("no data element {name}"))
        .0
        .clone()
}
