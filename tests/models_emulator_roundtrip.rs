//! Every metadata type the emulator serves decodes into its generated model and encodes back to the same JSON,
//! on each DHIS2 version the models cover. Also `/api/system/info` and `/api/me`.

use bytes::Bytes;
use dhis2::models::{Me, Resource, SystemInfo};
use dhis2_emulator::Emulator;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

struct Api {
    client: HttpClient,
    base: String,
    auth: String,
}

impl Api {
    async fn get(&self, path_and_query: &str) -> (u16, Bytes) {
        let req = http::Request::get(format!("{}{path_and_query}", self.base))
            .header(http::header::AUTHORIZATION, &self.auth)
            .header(http::header::ACCEPT, "application/json")
            .body(Empty::new())
            .unwrap();
        let resp = self.client.request(req).await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.into_body().collect().await.unwrap().to_bytes())
    }
}

fn assert_roundtrip<T: DeserializeOwned + Serialize>(what: &str, original: &Value) {
    let model: T = serde_json::from_value(original.clone())
        .unwrap_or_else(|e| panic!("{what}: decode failed: {e}\n{original}"));
    let again = serde_json::to_value(&model).unwrap();
    assert_eq!(&again, original, "{what}: round trip changed the JSON");
}

/// Lists every object of `T` with all fields and round-trips each; returns how many objects were checked, or
/// `None` when the emulator does not serve the type.
async fn check_type<T: Resource>(api: &Api, version: &str) -> Option<usize> {
    let (status, body) = api
        .get(&format!("{}?fields=*&paging=false", T::ENDPOINT))
        .await;
    if status != 200 {
        return None;
    }
    let doc: Value = serde_json::from_slice(&body).ok()?;
    let items = doc.get(T::PLURAL)?.as_array()?;
    for (i, item) in items.iter().enumerate() {
        assert_roundtrip::<T>(&format!("{version} {}[{i}]", T::PLURAL), item);
    }
    Some(items.len())
}

async fn check_version(version: &str) {
    let emulator = Emulator::builder().version(version).start().await.unwrap();
    let (user, pass) = emulator.admin_credentials();
    let api = Api {
        client: Client::builder(TokioExecutor::new()).build_http(),
        base: emulator.url().trim_end_matches('/').to_owned(),
        auth: format!("Basic {}", base64(format!("{user}:{pass}").as_bytes())),
    };

    let (status, body) = api.get("/api/system/info").await;
    assert_eq!(status, 200, "{version}: system/info");
    let info: Value = serde_json::from_slice(&body).unwrap();
    assert_roundtrip::<SystemInfo>(&format!("{version} system/info"), &info);
    let (status, body) = api.get("/api/me").await;
    assert_eq!(status, 200, "{version}: me");
    let me_json: Value = serde_json::from_slice(&body).unwrap();
    assert_roundtrip::<Me>(&format!("{version} me"), &me_json);
    let me: Me = serde_json::from_value(me_json).unwrap();
    assert_eq!(
        me.username, user,
        "{version}: Me::username resolves on this version"
    );

    let mut served: Vec<(&'static str, usize)> = Vec::new();
    macro_rules! check {
        ($name:ident, $path:path) => {
            if let Some(n) = check_type::<$path>(&api, version).await {
                served.push((<$path as Resource>::PLURAL, n));
            }
        };
    }
    dhis2::for_each_resource!(check);
    let total: usize = served.iter().map(|(_, n)| n).sum();
    println!(
        "{version}: {} types served, {total} objects round-tripped",
        served.len()
    );
    for must in [
        "dataElements",
        "organisationUnits",
        "categoryCombos",
        "users",
    ] {
        assert!(
            served.iter().any(|(p, n)| *p == must && *n > 0),
            "{version}: expected the emulator to serve some {must}; served {served:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_objects_roundtrip_v41() {
    check_version("2.41.10").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_objects_roundtrip_v42() {
    check_version("2.42.6").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_objects_roundtrip_v43() {
    check_version("2.43.2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_objects_roundtrip_v44() {
    check_version("2.44-SNAPSHOT").await;
}

#[test]
fn base64_matches_rfc4648() {
    assert_eq!(base64(b"admin:district"), "YWRtaW46ZGlzdHJpY3Q=");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
}
