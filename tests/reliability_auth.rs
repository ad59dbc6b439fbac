//! Fault matrix, part 3: credentials under stress — redirects to other hosts, https to http, a PAT revoked
//! mid-run, an expired OAuth2 token refreshed once and replayed.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use dhis2::layers::auth::{OAuth2Auth, OAuth2Config, OAuth2Token};
use dhis2::{BasicAuth, Dhis2Client, Error, PatAuth, RetryPolicy, TlsConfig};
use dhis2_emulator::{Emulator, Seed};
use serde_json::json;
use support::{Action, Resp};

fn creds_in(req: &support::Req) -> bool {
    req.header("authorization").is_some() || req.header("cookie").is_some()
}

#[tokio::test]
async fn fault_redirect_to_another_host_carries_no_credentials() {
    let other = support::start(|req| async move {
        match req.path() {
            "/api/system/info" => Action::Reply(Resp::json(200, support::system_info("2.42.1"))),
            _ => Action::Reply(Resp::json(200, json!({"stolen": true}))),
        }
    })
    .await;
    // Same machine, another origin: `localhost` is not `127.0.0.1`.
    let elsewhere = format!("http://localhost:{}", other.addr.port());
    let home = support::start(move |req| {
        let elsewhere = elsewhere.clone();
        async move {
            match req.path() {
                "/api/system/info" => {
                    Action::Reply(Resp::json(200, support::system_info("2.42.1")))
                }
                p => Action::Reply(Resp::empty(302).header("location", &format!("{elsewhere}{p}"))),
            }
        }
    })
    .await;
    let c = Dhis2Client::builder(&home.url)
        .auth(BasicAuth::new("admin", "s3cret-basic"))
        .retry_policy(RetryPolicy::default())
        .connect()
        .await
        .unwrap();
    assert_eq!(
        c.base_url(),
        home.url,
        "an unrelated origin is not adopted as the base URL"
    );
    let err = c.get_raw("api/me", &[]).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(302), "{err:?}");
    let seen = other.stats.log();
    assert!(
        seen.iter().all(|r| !creds_in(r)),
        "credentials reached the other host: {seen:?}"
    );
    assert!(
        seen.iter().all(|r| r.path() != "/api/me"),
        "API redirects are not followed: {seen:?}"
    );
    assert!(home
        .stats
        .log()
        .iter()
        .any(|r| r.path() == "/api/me" && creds_in(r)));
}

#[tokio::test]
async fn fault_https_to_http_redirect_is_refused() {
    let plain = support::always(Resp::json(200, support::system_info("2.42.1"))).await;
    let downgrade = format!("http://127.0.0.1:{}/", plain.addr.port());
    let (cert, key) = support::tls::self_signed(&["localhost"]);
    let secure = support::start_tls(support::tls::acceptor(&cert, &key), move |req| {
        let downgrade = downgrade.clone();
        async move {
            match req.path() {
                "/api/system/info" => {
                    Action::Reply(Resp::json(200, support::system_info("2.42.1")))
                }
                "/api/me" => Action::Reply(Resp::json(200, json!({"username": "admin"}))),
                _ => Action::Reply(Resp::empty(302).header("location", &downgrade)),
            }
        }
    })
    .await;
    let ca = support::tls::temp_file("ca.pem", &cert);
    let c = Dhis2Client::builder(&secure.url)
        .auth(BasicAuth::new("admin", "district"))
        .tls(TlsConfig::ca_bundle(ca))
        .connect()
        .await
        .unwrap();
    assert!(
        c.base_url().starts_with("https://localhost:"),
        "{}",
        c.base_url()
    );
    assert_eq!(c.get_raw("api/me", &[]).await.unwrap()["username"], "admin");
    assert_eq!(
        plain.stats.requests(),
        0,
        "the http target was never contacted"
    );
}

async fn emulator() -> Emulator {
    Emulator::builder().seed(Seed::Empty).start().await.unwrap()
}

#[tokio::test]
async fn fault_pat_revoked_mid_run_is_unauthorized() {
    let emu = emulator().await;
    let admin = Dhis2Client::builder(emu.url())
        .auth(BasicAuth::new("admin", "district"))
        .connect()
        .await
        .unwrap();
    let in_an_hour = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        + 3_600_000;
    let minted = admin
        .post_raw("api/apiToken", &json!({"expire": in_an_hour}), &[])
        .await
        .unwrap();
    let token = minted["response"]["key"].as_str().unwrap().to_string();

    let c = Dhis2Client::builder(emu.url())
        .auth(PatAuth::new(token.clone()))
        .retry_policy(RetryPolicy::default())
        .connect()
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(c.system().me().await.unwrap().username, "admin");
    }
    // Revoke it: the server now holds the token as expired.
    emu.auth().add_api_token(&token, "admin", UNIX_EPOCH);
    let before = emu.counters().requests("/api/me");
    let err = c.system().me().await.unwrap_err();
    match &err {
        Error::Unauthorized {
            path,
            message,
            www_authenticate,
            ..
        } => {
            assert_eq!(path, "/api/me");
            assert!(message.contains("API token"), "{message}");
            assert_eq!(www_authenticate.as_deref(), Some("ApiToken"));
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    assert_eq!(
        emu.counters().requests("/api/me"),
        before + 1,
        "a 401 is not retried"
    );
    assert!(!err.to_string().contains(&token), "{err}");
    assert!(!format!("{err:?}").contains(&token));
}

/// A token endpoint (the `TokenService` the OAuth2 provider calls) that mints real emulator bearer tokens.
fn token_endpoint(
    emu: &Emulator,
    calls: Arc<AtomicUsize>,
) -> dhis2::layers::auth::oauth2::TokenService {
    let auth = emu.auth();
    tower::util::BoxCloneSyncService::new(tower::service_fn(
        move |req: http::Request<dhis2::RequestBody>| {
            let auth = auth.clone();
            let calls = calls.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                let form = req
                    .body()
                    .as_bytes()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default();
                assert!(form.contains("grant_type=refresh_token"), "{form}");
                let fresh = auth.issue_bearer_token("admin", Duration::from_secs(3600));
                let body =
                    json!({"access_token": fresh, "token_type": "Bearer", "expires_in": 3600})
                        .to_string();
                Ok::<_, dhis2::BoxError>(
                    http::Response::builder()
                        .status(200)
                        .header("content-type", "application/json")
                        .body(dhis2::layers::body::full_response_body(Bytes::from(body)))
                        .unwrap(),
                )
            }
        },
    ))
}

#[tokio::test]
async fn fault_expired_oauth2_token_is_refreshed_once_and_replayed() {
    let emu = emulator().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let config = OAuth2Config::new(
        "dhis2-rs",
        format!("{}/oauth2/authorize", emu.url()),
        format!("{}/oauth2/token", emu.url()),
    );
    let oauth = OAuth2Auth::new(config, token_endpoint(&emu, calls.clone()));
    // The server already considers this token expired; the client does not know yet.
    let stale = emu.auth().issue_bearer_token("admin", Duration::ZERO);
    oauth
        .set_token(OAuth2Token::new(stale.clone()).with_refresh_token("refresh-1"))
        .await
        .unwrap();
    let c = Dhis2Client::builder(emu.url())
        .auth(oauth)
        .skip_version_probe(true)
        .connect()
        .await
        .unwrap();
    // Ten concurrent calls hit the 401 together: one refresh, each replayed once.
    let calls_made: Vec<_> = (0..10)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.system().me().await })
        })
        .collect();
    for h in calls_made {
        assert_eq!(h.await.unwrap().unwrap().username, "admin");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "exactly one refresh");
    let seen = emu.counters().requests("/api/me");
    assert!(
        (11..=20).contains(&seen),
        "each call replayed at most once: {seen}"
    );
    // Later calls use the fresh token without another refresh.
    c.system().me().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(emu.counters().requests("/api/me"), seen + 1);
}

#[tokio::test]
async fn a_malformed_token_keeps_the_auth_hint_on_the_400() {
    let emu = Emulator::builder().version("2.42.6").start().await.unwrap();
    let err = Dhis2Client::builder(emu.url())
        .auth(PatAuth::new("apitoken-not-a-real-token"))
        .connect()
        .await
        .unwrap_err();
    match &err {
        Error::Api {
            status,
            www_authenticate,
            message,
            ..
        } => {
            assert_eq!(status.as_u16(), 400);
            assert_eq!(www_authenticate.as_deref(), Some("ApiToken"));
            // Not a d2p_ token with a valid checksum: one of DHIS2's 400 answers (WIRE §PAT failures).
            assert!(
                message == "Api token is malformed" || message == "Checksum validation failed",
                "{message}"
            );
        }
        other => panic!("expected Api 400, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("WWW-Authenticate: ApiToken"), "{text}");
    assert!(
        text.contains("check the personal access token's format"),
        "{text}"
    );
}
