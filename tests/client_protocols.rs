//! The client's core scenarios on both protocols, against the emulator with compression on: HTTP/1.1 and h2c
//! (prior knowledge) on plain http, and over TLS both ALPN-negotiated HTTP/2 and forced HTTP/1.1. Each mode
//! checks the protocol actually spoken, typed reads and writes, gzip on the wire, retry on 503, the concurrency
//! limit, the per-attempt timeout, auth and tracing.

mod support;

use std::time::Duration;

use dhis2::models::{AggregationType, DataElement, DataElementDomain, JsonPatch, ValueType};
use dhis2::query::Query;
use dhis2::{BasicAuth, ClientBuilder, Dhis2Client, Error, Limits, RetryPolicy, TlsConfig};
use dhis2_emulator::Emulator;
use http::Version;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Http1,
    H2c,
    TlsNegotiated,
    TlsHttp1,
}

impl Mode {
    fn tls(self) -> bool {
        matches!(self, Mode::TlsNegotiated | Mode::TlsHttp1)
    }

    fn version(self) -> Version {
        match self {
            Mode::Http1 | Mode::TlsHttp1 => Version::HTTP_11,
            Mode::H2c | Mode::TlsNegotiated => Version::HTTP_2,
        }
    }
}

async fn emulator(mode: Mode) -> Emulator {
    let builder = Emulator::builder().version("2.42.6");
    let builder = if mode.tls() {
        builder.tls_self_signed()
    } else {
        builder
    };
    builder.start().await.expect("emulator starts")
}

fn builder(emu: &Emulator, mode: Mode) -> ClientBuilder {
    let b = Dhis2Client::builder(emu.url());
    let b = match emu.ca_path() {
        Some(ca) => b.tls(TlsConfig::ca_bundle_only(ca)),
        None => b,
    };
    match mode {
        Mode::Http1 | Mode::TlsNegotiated => b,
        Mode::H2c => b.http2_prior_knowledge(),
        Mode::TlsHttp1 => b.http1_only(),
    }
}

fn element(name: &str) -> DataElement {
    let mut de = DataElement::default();
    de.name.set(name.to_owned());
    de.short_name.set(name.to_owned());
    de.value_type.set(ValueType::Number);
    de.aggregation_type.set(AggregationType::Sum);
    de.domain_type.set(DataElementDomain::Aggregate);
    de
}

async fn core_scenarios(mode: Mode) {
    let emu = emulator(mode).await;
    let client = builder(&emu, mode)
        .auth(BasicAuth::new("admin", "district"))
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .connect()
        .await
        .unwrap();

    // The protocol actually spoken.
    let resp = client.get_response("api/me", &[], &[]).await.unwrap();
    assert_eq!(resp.version(), mode.version(), "{mode:?}");
    assert_eq!(resp.status(), 200);

    // Typed reads and a write round trip.
    let me = client.system().me().await.unwrap();
    assert_eq!(me.username, "admin");
    let elements = client.resources().unwrap().of::<DataElement>();
    let page = elements.list(&Query::new().page_size(5)).await.unwrap();
    assert!(!page.items.is_empty());
    let uid = elements
        .create(&element(&format!("Proto {mode:?}")))
        .await
        .unwrap();
    let patch = JsonPatch::new().replace("/name", "Patched over the wire");
    elements.patch(uid.as_str(), &patch).await.unwrap();
    let back = elements.get(uid.as_str()).await.unwrap();
    assert_eq!(
        back.name.value().map(String::as_str),
        Some("Patched over the wire")
    );
    elements.delete(uid.as_str()).await.unwrap();

    // gzip on the wire: a big list crosses compressed and arrives decoded.
    let before = emu.counters().body_bytes_sent();
    let list = client
        .get_raw(
            "api/organisationUnits",
            &[("paging", "false"), ("fields", "*")],
        )
        .await
        .unwrap();
    let sent = emu.counters().body_bytes_sent() - before;
    let decoded = serde_json::to_vec(&Value::Object(list)).unwrap().len() as u64;
    assert!(
        sent * 3 < decoded,
        "{mode:?}: {sent} bytes on the wire for {decoded} decoded"
    );

    // Retry: two 503s, then the answer.
    emu.faults()
        .set_spec("/api/system/ping=503,503,pass")
        .unwrap();
    let before = emu.counters().requests("/api/system/ping");
    let resp = client
        .get_response("api/system/ping", &[], &[])
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{mode:?}");
    assert_eq!(emu.counters().requests("/api/system/ping") - before, 3);

    // Without credentials the same server says 401.
    let err = builder(&emu, mode).connect().await.unwrap_err();
    assert!(
        matches!(err, Error::Unauthorized { .. }),
        "{mode:?}: {err:?}"
    );
}

async fn limit_and_timeout(mode: Mode) {
    let emu = emulator(mode).await;
    // Each data element list is held 50 ms; 20 calls at once through a limit of 3.
    emu.faults()
        .set_spec("/api/dataElements=repeat:delay-headers=50ms")
        .unwrap();
    let client = builder(&emu, mode)
        .auth(BasicAuth::new("admin", "district"))
        .limits(Limits::default().max_concurrent_requests(3))
        .connect()
        .await
        .unwrap();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.get_raw("api/dataElements", &[]).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let max = emu.counters().max_in_flight();
    assert!((2..=3).contains(&max), "{mode:?}: {max} in flight");

    // The per-attempt timeout: an answer held far longer than it fails as a Timeout.
    emu.faults()
        .set_spec("/api/me=repeat:delay-headers=60s")
        .unwrap();
    let impatient = builder(&emu, mode)
        .auth(BasicAuth::new("admin", "district"))
        .timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let err = impatient.system().me().await.unwrap_err();
    assert!(err.is_timeout(), "{mode:?}: {err:?}");
}

/// Tracing sees each attempt on either protocol, under a scoped subscriber.
async fn traced(mode: Mode) {
    let emu = emulator(mode).await;
    let buf = support::LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(buf.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let client = builder(&emu, mode)
        .auth(BasicAuth::new("admin", "district"))
        .connect()
        .await
        .unwrap();
    client.system().me().await.unwrap();
    let out = buf.contents();
    assert!(
        out.contains("finished processing request"),
        "{mode:?}: {out}"
    );
    assert!(!out.contains("district"), "credentials in the trace");
}

macro_rules! on_every_protocol {
    ($($name:ident => $mode:expr),* $(,)?) => {
        $(
            mod $name {
                use super::*;

                #[tokio::test]
                async fn core_scenarios() {
                    super::core_scenarios($mode).await;
                }

                #[tokio::test]
                async fn limit_and_timeout() {
                    super::limit_and_timeout($mode).await;
                }

                #[tokio::test]
                async fn traced() {
                    super::traced($mode).await;
                }
            }
        )*
    };
}

on_every_protocol! {
    http1 => Mode::Http1,
    h2c => Mode::H2c,
    tls_h2 => Mode::TlsNegotiated,
    tls_http1 => Mode::TlsHttp1,
}
