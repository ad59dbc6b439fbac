//! Every accessor read is bounded like the typed calls (issue 12 §3): `max_response_size` stops an oversized
//! answer to settings, system settings, datastore and job reads, and `deadline` bounds the whole call.

mod support;

use std::time::Duration;

use dhis2::{BasicAuth, Dhis2Client, Error};
use dhis2_emulator::Emulator;
use serde_json::json;

async fn setup() -> (Emulator, Dhis2Client) {
    let emu = Emulator::builder().version("2.42.6").start().await.unwrap();
    let admin = Dhis2Client::builder(emu.url())
        .auth(BasicAuth::new("admin", "district"))
        .connect()
        .await
        .unwrap();
    // Values far over the cap used below.
    let big = "x".repeat(8 * 1024);
    admin
        .datastore()
        .put("bounded", "big", &json!({ "blob": big }))
        .await
        .unwrap();
    admin.settings().set("keyBigText", &big).await.unwrap();
    (emu, admin)
}

fn capped(emu: &Emulator) -> dhis2::ClientBuilder {
    Dhis2Client::builder(emu.url())
        .auth(BasicAuth::new("admin", "district"))
        .max_response_size(1024)
}

fn assert_too_large(err: Error, what: &str) {
    match err {
        Error::BodyTooLarge { limit, .. } => assert_eq!(limit, 1024, "{what}"),
        other => panic!("{what}: expected BodyTooLarge, got {other:?}"),
    }
}

#[tokio::test]
async fn oversized_answers_stop_at_the_cap_on_every_accessor_family() {
    let (emu, _admin) = setup().await;
    let client = capped(&emu).connect().await.unwrap();
    assert_too_large(
        client
            .datastore()
            .get_json("bounded", "big")
            .await
            .unwrap_err(),
        "datastore get",
    );
    assert_too_large(
        client.settings().get("keyBigText").await.unwrap_err(),
        "settings get",
    );
    assert_too_large(
        client.system().setting("keyBigText").await.unwrap_err(),
        "system setting",
    );
    assert_too_large(client.settings().all().await.unwrap_err(), "settings all");
}

#[tokio::test]
async fn the_deadline_bounds_accessor_calls() {
    let (emu, _admin) = setup().await;
    emu.faults()
        .set_spec("/api/dataStore/bounded/big=repeat:delay-headers=60s")
        .unwrap();
    emu.faults()
        .set_spec("/api/systemSettings/keyBigText=repeat:delay-headers=60s")
        .unwrap();
    let client = Dhis2Client::builder(emu.url())
        .auth(BasicAuth::new("admin", "district"))
        .deadline(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    for (what, err) in [
        (
            "datastore",
            client
                .datastore()
                .get_json("bounded", "big")
                .await
                .unwrap_err(),
        ),
        (
            "system setting",
            client.system().setting("keyBigText").await.unwrap_err(),
        ),
        (
            "settings",
            client.settings().get("keyBigText").await.unwrap_err(),
        ),
    ] {
        match &err {
            Error::Timeout { detail, .. } => {
                assert!(
                    detail.as_deref().unwrap_or_default().contains("deadline"),
                    "{what}: {err}"
                );
            }
            other => panic!("{what}: expected the deadline Timeout, got {other:?}"),
        }
    }
}
