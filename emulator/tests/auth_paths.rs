//! Authentication: Basic, PATs (all of dhis2-core's test vectors, and every failure answer), POST /api/apiToken,
//! bearer tokens, the OAuth2 code+PKCE and refresh grants, session login, and 302 vs 401.

mod common;

use std::time::{Duration, SystemTime};

use base64::Engine;
use common::*;
use serde_json::json;
use sha2::Digest;

/// Valid PATs from dhis2-core's ApiKeyTokenGeneratorTest (BSD-3-Clause): 16 V1, 16 V2.
const PAT_VECTORS: &[&str] = &[
    "d2pat_e0b5Y9bXWtUcfEY8BMHHj9aJZkXCQ7O50174669582",
    "d2pat_rxIbXljF8Pj5oFRTos4bDmPTnnRu8f4M2723141895",
    "d2pat_Bp5PJb63ppNCNMQVVbtyS9E6WwoeJOEo2885366845",
    "d2pat_sKFdO7tjvZlZIFDFYsCk8KmH8sbgSwKy0810651361",
    "d2pat_kUZDgXG5BbA3xXxgVTsx1SxiIVTRHA653675120217",
    "d2pat_Wp7YxRQQtejHnpk50vNUmbMWpM16VwOe0751768194",
    "d2pat_d5jEAFMWLEmgqes6wRJzPI2ZoMSp8rTJ3701533066",
    "d2pat_aFAQKHM3X7Uc5qpVQVcClogYiCKn6Zme0306540142",
    "d2pat_V5Z6Sc4K0497APjqs3qtCvmnQtMTb6bS2506225006",
    "d2pat_k2iCLtSwjXxFFE9OYarDaEAn1BXSdXAw3300780998",
    "d2pat_IbJmd231Rb0zlr5mQ0ROhxzFG1DirqTH1635466712",
    "d2pat_tOduz1QO2gzUwcRpkIehx0uCoAyKb59j3466637050",
    "d2pat_Q4evOUK3G7PhHVafr68KWiGiRcAM5tzd3404585560",
    "d2pat_tFCPnU6bj8RG42LDDXlOAJC8l3zVGcn82130457278",
    "d2pat_v6lCfbVkbwG6bku4Pwkx1dYampDZJLyM0098822136",
    "d2pat_ipIeXZVMnPmMy0GZgNJIZY4BZQOJCUb02442885064",
    "d2p_iKrAY7sR6rPea1rub181baRzyyui2AW07ymXPRExAgwa051Mei",
    "d2p_z9T7lpwaWUcvi8yBWt5zvB0LMUfUayHChm7SWGeNrYOJ38vtdY",
    "d2p_KT73ShoY3UGXmKTN4mLIxBtbDgOz6oB1PLRibZlodP0p32ITYN",
    "d2p_loOpu9ax0gIfAAc9wO5PavpbNZB0HOHEZzsuGVgcVKZK27MnlW",
    "d2p_IWMXnDAUjYkoH6zjQlkkmRURZp4qtNQQnRAeWerDv3Yw0wbRlP",
    "d2p_XM8O2nlzS7XqHrg7LJYl6D2JSLcK9dXaKaELKXLtqs6u10J4sw",
    "d2p_ISpkoZW4gkZywSSVEqD78AxDppdWoL4OtzutAT4VCAXA1nRKnf",
    "d2p_OBHMJzUDY7Axa2g552vNs0zddMDU4DddVkKaMX6KYD9E2DnJPY",
    "d2p_ZBbYnjV8oRi9Tn8FUyMjLee5vceOMJOmFagAuohRyNag2Np2oU",
    "d2p_nBQWWYIa3kTtBxKgzbnxbx4bO9JaAshdT6XVIu9sIQ0A3SXDad",
    "d2p_lkhw3UXgceOJN8tm3RLOHHciPRNeTal4D6xfSpYEoaDC0OgCIm",
    "d2p_lyt5j9WqXaVzJsUhvGJ1w0Ea5GL4jkszazPSWo5HWLFC1QnPCi",
    "d2p_kgZwKkQOOUhVAUHfaWtpBGMcMgdAGXmpOgn2nttND2xx4GNcWl",
    "d2p_VEEOPDgPSnQe33g1iJpXnZ4ECX31mzvuDdlYraZDaNPg1j0YLH",
    "d2p_ncHEvom5vkYYb6Rr2Jg4LbpS8L7khNzk8YDPw1KqZKD54Z8410",
    "d2p_JWXuAmuC97jQJEaRz1XEz2z1FSDrBvLKVmNj7oQxNLAS4M0lXY",
];

async fn with_token(emu: &dhis2_emulator::Emulator, header: &str) -> Resp {
    raw(
        emu.url(),
        "GET",
        "/api/me",
        &[("Authorization", header)],
        None,
    )
    .await
    .unwrap()
}

fn later() -> SystemTime {
    SystemTime::now() + Duration::from_secs(3600)
}

#[tokio::test]
async fn basic_auth_answers() {
    let emu = start("2.42.6").await;
    let r = raw(
        emu.url(),
        "GET",
        "/api/me",
        &[("Authorization", &basic("admin", "district"))],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert!(r.header("set-cookie").unwrap().starts_with("JSESSIONID="));
    let r = raw(
        emu.url(),
        "GET",
        "/api/me",
        &[("Authorization", &basic("admin", "wrong"))],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("www-authenticate").is_none());
    assert_eq!(
        r.json(),
        json!({"httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR", "message": "Unauthorized"})
    );
    emu.auth().add_user("jane", "Pass1234");
    emu.auth().set_user_disabled("jane", true);
    let r = raw(
        emu.url(),
        "GET",
        "/api/me",
        &[("Authorization", &basic("jane", "Pass1234"))],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.json()["message"], "Account disabled");
    emu.auth().set_user_disabled("jane", false);
    emu.auth().set_user_locked("jane", true);
    let r = raw(
        emu.url(),
        "GET",
        "/api/me",
        &[("Authorization", &basic("jane", "Pass1234"))],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.json()["message"], "Account locked");
}

#[tokio::test]
async fn unauthenticated_302_or_401() {
    for (v, login) in [
        ("2.39.1", "/dhis-web-commons/security/login.action"),
        ("2.41.10", "/dhis-web-login"),
        ("2.42.6", "/dhis-web-login/"),
        ("2.43.2", "/login/"),
    ] {
        let emu = start(v).await;
        let r = raw(
            emu.url(),
            "GET",
            "/api/me",
            &[("Accept", "application/json")],
            None,
        )
        .await
        .unwrap();
        assert_eq!(r.status, 302, "{v}");
        assert_eq!(
            r.header("location").unwrap(),
            format!("{}{login}", emu.url())
        );
        let r = raw(
            emu.url(),
            "GET",
            "/api/me",
            &[("X-Requested-With", "XMLHttpRequest")],
            None,
        )
        .await
        .unwrap();
        assert_eq!(r.status, 401, "{v}");
        assert_eq!(r.json()["message"], "Unauthorized");
        // The login page itself is served without credentials.
        let r = raw(emu.url(), "GET", login, &[], None).await.unwrap();
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
    }
}

#[tokio::test]
async fn every_pat_vector_is_accepted() {
    let emu = start("2.42.6").await;
    for t in PAT_VECTORS {
        emu.auth().add_api_token(t, "admin", later());
        let r = with_token(&emu, &format!("ApiToken {t}")).await;
        assert_eq!(r.status, 200, "{t}: {}", r.text());
        assert_eq!(r.json()["username"], "admin");
    }
    // The scheme is case-insensitive.
    let r = with_token(&emu, &format!("apitoken {}", PAT_VECTORS[0])).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn pat_failures_have_exact_answers() {
    let emu = start("2.42.6").await;
    let check = |r: Resp, status: u16, message: &str| {
        assert_eq!(r.status, status, "{message}: {}", r.text());
        assert_eq!(r.header("www-authenticate"), Some("ApiToken"), "{message}");
        assert_eq!(
            r.json(),
            json!({"httpStatus": if status == 400 { "Bad Request" } else { "Unauthorized" },
            "httpStatusCode": status, "status": "ERROR", "message": message})
        );
    };
    check(
        with_token(&emu, "ApiToken not a token").await,
        400,
        "Api token is malformed",
    );
    check(
        with_token(&emu, "ApiToken abc=d").await,
        400,
        "Api token is malformed",
    );
    // Bad checksum: one character of a valid vector changed.
    let bad = PAT_VECTORS[27].replace("1QnPCi", "1QnPCj");
    check(
        with_token(&emu, &format!("ApiToken {bad}")).await,
        400,
        "Checksum validation failed",
    );
    check(
        with_token(&emu, "ApiToken d2x_abcdef").await,
        400,
        "Checksum validation failed",
    );
    // Valid checksum, unknown token.
    check(
        with_token(&emu, &format!("ApiToken {}", PAT_VECTORS[20])).await,
        401,
        "The API token does not exists",
    );
    // Expired.
    emu.auth().add_api_token(
        PAT_VECTORS[21],
        "admin",
        SystemTime::now() - Duration::from_secs(5),
    );
    check(
        with_token(&emu, &format!("ApiToken {}", PAT_VECTORS[21])).await,
        401,
        "Failed to authenticate API token, token has expired.",
    );
    // Owner disabled.
    emu.auth().add_user("owner", "Pass1234");
    emu.auth().add_api_token(PAT_VECTORS[22], "owner", later());
    assert_eq!(
        with_token(&emu, &format!("ApiToken {}", PAT_VECTORS[22]))
            .await
            .status,
        200
    );
    emu.auth().set_user_disabled("owner", true);
    check(
        with_token(&emu, &format!("ApiToken {}", PAT_VECTORS[22])).await,
        401,
        "The API token is disabled, locked or 2FA is enabled.",
    );
    // Allow-lists.
    emu.auth().add_api_token_with_allow_lists(
        PAT_VECTORS[23],
        "admin",
        later(),
        &["POST"],
        &[],
        &[],
    );
    check(
        with_token(&emu, &format!("ApiToken {}", PAT_VECTORS[23])).await,
        401,
        "Failed to authenticate API token, request http method is not allowed.",
    );
    emu.auth().add_api_token_with_allow_lists(
        PAT_VECTORS[24],
        "admin",
        later(),
        &[],
        &["10.1.1.1"],
        &[],
    );
    check(
        with_token(&emu, &format!("ApiToken {}", PAT_VECTORS[24])).await,
        401,
        "Failed to authenticate API token, request ip address is not allowed.",
    );
    emu.auth().add_api_token_with_allow_lists(
        PAT_VECTORS[25],
        "admin",
        later(),
        &[],
        &[],
        &["https://app.example"],
    );
    check(
        with_token(&emu, &format!("ApiToken {}", PAT_VECTORS[25])).await,
        401,
        "Failed to authenticate API token, request http referrer is missing or not allowed.",
    );
}

#[tokio::test]
async fn pat_on_2_40_skips_checksum() {
    let emu = start("2.40.2.1").await;
    let r = with_token(&emu, "ApiToken d2pat_notARealChecksumButFine00000000000000").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["message"], "The API token does not exists.");
    let r = with_token(&emu, "ApiToken a b").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["message"], "Api token is malformed");
}

#[tokio::test]
async fn minted_tokens_work() {
    let emu = start("2.42.6").await;
    let expire = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        + 3_600_000;
    let r = call(
        &emu,
        "POST",
        "/api/apiToken",
        Some(&json!({"expire": expire}).to_string()),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    assert_eq!(v["httpStatus"], "Created");
    assert_eq!(
        v["response"]["klass"],
        "org.hisp.dhis.security.apikey.ApiToken"
    );
    let key = v["response"]["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("d2p_") && key.len() == 54, "{key}");
    assert!(r.header("location").unwrap().contains("/api/apiToken/"));
    let r = with_token(&emu, &format!("ApiToken {key}")).await;
    assert_eq!(r.status, 200);
    // Listed (without the key), readable, and revocable.
    let uid = v["response"]["uid"].as_str().unwrap().to_string();
    let list = get_json(&emu, "/api/apiToken?fields=id,expire,version").await;
    assert_eq!(
        list["apiToken"],
        json!([{"id": uid, "expire": expire, "version": 2}])
    );
    let one = get_json(&emu, &format!("/api/apiToken/{uid}")).await;
    assert!(one.get("key").is_none());
    let r = call(&emu, "DELETE", &format!("/api/apiToken/{uid}"), None).await;
    assert_eq!(r.status, 200);
    let r = with_token(&emu, &format!("ApiToken {key}")).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["message"], "The API token does not exists");
    let r = call(&emu, "DELETE", &format!("/api/apiToken/{uid}"), None).await;
    assert_eq!(r.status, 404);
    // 2.40 mints V1.
    let emu40 = start("2.40.2.1").await;
    let r = call(&emu40, "POST", "/api/apiTokens", Some("{}")).await;
    let key = r.json()["response"]["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("d2pat_") && key.len() == 48);
    assert_eq!(
        with_token(&emu40, &format!("ApiToken {key}")).await.status,
        200
    );
}

#[tokio::test]
async fn bearer_tokens_expire() {
    let emu = start("2.42.6").await;
    let t = emu
        .auth()
        .issue_bearer_token("admin", Duration::from_secs(60));
    assert_eq!(with_token(&emu, &format!("Bearer {t}")).await.status, 200);
    let expired = emu.auth().issue_bearer_token("admin", Duration::ZERO);
    let r = with_token(&emu, &format!("Bearer {expired}")).await;
    assert_eq!(r.status, 401);
    let www = r.header("www-authenticate").unwrap();
    assert!(
        www.starts_with("Bearer error=\"invalid_token\", error_description=\"Jwt expired at "),
        "{www}"
    );
    assert!(www.ends_with("error_uri=\"https://tools.ietf.org/html/rfc6750#section-3.1\""));
    assert_eq!(r.json()["message"], "invalid_token");
    let r = with_token(&emu, "Bearer garbage").await;
    assert_eq!(r.status, 401);
    assert!(r.json()["devMessage"].as_str().is_some());
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

fn query_param(location: &str, name: &str) -> Option<String> {
    let q = location.split_once('?')?.1;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn oauth2_code_pkce_and_refresh() {
    let emu = start("2.42.6").await;
    let verifier = "a-very-long-random-verifier-string-0123456789abcdef";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let redirect = "http://127.0.0.1:9999/callback";
    let q = form(&[
        ("response_type", "code"),
        ("client_id", "dhis2-rs"),
        ("redirect_uri", redirect),
        ("scope", "openid"),
        ("state", "xyz"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    let r = raw(
        emu.url(),
        "GET",
        &format!("/oauth2/authorize?{q}"),
        &[],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 302, "{}", r.text());
    let loc = r.header("location").unwrap().to_string();
    assert!(loc.starts_with(redirect));
    assert_eq!(query_param(&loc, "state").as_deref(), Some("xyz"));
    let code = query_param(&loc, "code").unwrap();
    let ct = [("Content-Type", "application/x-www-form-urlencoded")];
    // A wrong verifier fails and burns nothing but this attempt's code.
    let bad = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", redirect),
        ("client_id", "dhis2-rs"),
        ("code_verifier", "wrong"),
    ]);
    let r = raw(
        emu.url(),
        "POST",
        "/oauth2/token",
        &ct,
        Some(bad.as_bytes()),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_grant");
    // Fresh code, right verifier.
    let r = raw(
        emu.url(),
        "GET",
        &format!("/oauth2/authorize?{q}"),
        &[],
        None,
    )
    .await
    .unwrap();
    let code = query_param(r.header("location").unwrap(), "code").unwrap();
    let good = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", redirect),
        ("client_id", "dhis2-rs"),
        ("code_verifier", verifier),
    ]);
    let r = raw(
        emu.url(),
        "POST",
        "/oauth2/token",
        &ct,
        Some(good.as_bytes()),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let tok = r.json();
    assert_eq!(tok["token_type"], "Bearer");
    let access = tok["access_token"].as_str().unwrap().to_string();
    let refresh = tok["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(
        with_token(&emu, &format!("Bearer {access}")).await.json()["username"],
        "admin"
    );
    // The code is single-use.
    let r = raw(
        emu.url(),
        "POST",
        "/oauth2/token",
        &ct,
        Some(good.as_bytes()),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 400);
    // Refresh grant rotates the refresh token.
    let rf = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &refresh),
        ("client_id", "dhis2-rs"),
    ]);
    let r = raw(emu.url(), "POST", "/oauth2/token", &ct, Some(rf.as_bytes()))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let access2 = r.json()["access_token"].as_str().unwrap().to_string();
    assert_ne!(access2, access);
    assert_eq!(
        with_token(&emu, &format!("Bearer {access2}")).await.status,
        200
    );
    let r = raw(emu.url(), "POST", "/oauth2/token", &ct, Some(rf.as_bytes()))
        .await
        .unwrap();
    assert_eq!(r.status, 400);
    // PKCE is mandatory.
    let q = form(&[
        ("response_type", "code"),
        ("client_id", "dhis2-rs"),
        ("redirect_uri", redirect),
    ]);
    let r = raw(
        emu.url(),
        "GET",
        &format!("/oauth2/authorize?{q}"),
        &[],
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        query_param(r.header("location").unwrap(), "error").as_deref(),
        Some("invalid_request")
    );
    // Unknown client / redirect.
    let q = form(&[
        ("response_type", "code"),
        ("client_id", "nope"),
        ("redirect_uri", redirect),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    assert_eq!(
        raw(
            emu.url(),
            "GET",
            &format!("/oauth2/authorize?{q}"),
            &[],
            None
        )
        .await
        .unwrap()
        .status,
        400
    );
    // Confidential clients must authenticate.
    emu.auth()
        .register_oauth2_client("conf", Some("s3cret"), &["https://app.example/cb"]);
    let q = form(&[
        ("response_type", "code"),
        ("client_id", "conf"),
        ("redirect_uri", "https://app.example/cb"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    let r = raw(
        emu.url(),
        "GET",
        &format!("/oauth2/authorize?{q}"),
        &[],
        None,
    )
    .await
    .unwrap();
    let code = query_param(r.header("location").unwrap(), "code").unwrap();
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "https://app.example/cb"),
        ("code_verifier", verifier),
    ]);
    let wrong = basic("conf", "nope");
    let r = raw(
        emu.url(),
        "POST",
        "/oauth2/token",
        &[ct[0], ("Authorization", &wrong)],
        Some(body.as_bytes()),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 401);
    let right = basic("conf", "s3cret");
    let r = raw(
        emu.url(),
        "POST",
        "/oauth2/token",
        &[ct[0], ("Authorization", &right)],
        Some(body.as_bytes()),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn session_login() {
    let emu = start("2.42.6").await;
    let ct = [("Content-Type", "application/json")];
    let r = raw(
        emu.url(),
        "POST",
        "/api/auth/login",
        &ct,
        Some(br#"{"username":"admin","password":"district"}"#),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"loginStatus": "SUCCESS", "redirectUrl": "/"})
    );
    let cookie = r
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("JSESSIONID="));
    let r = raw(emu.url(), "GET", "/api/me", &[("Cookie", &cookie)], None)
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["username"], "admin");
    let r = raw(
        emu.url(),
        "POST",
        "/api/auth/login",
        &ct,
        Some(br#"{"username":"admin","password":"nope"}"#),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        json!({"httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR", "message": "Bad credentials"})
    );
    emu.auth().add_user("dis", "Pass1234");
    emu.auth().set_user_disabled("dis", true);
    let r = raw(
        emu.url(),
        "POST",
        "/api/auth/login",
        &ct,
        Some(br#"{"username":"dis","password":"Pass1234"}"#),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"loginStatus": "ACCOUNT_DISABLED"}));
    // Logout ends the session.
    let r = raw(
        emu.url(),
        "GET",
        "/dhis-web-commons-security/logout.action",
        &[("Cookie", &cookie)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 302);
    let r = raw(
        emu.url(),
        "GET",
        "/api/me",
        &[("Cookie", &cookie), ("X-Requested-With", "XMLHttpRequest")],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 401);
    // 2.41 redirects to the start module; 2.40 has no JSON login but a form login.
    let emu41 = start("2.41.10").await;
    let r = raw(
        emu41.url(),
        "POST",
        "/api/auth/login",
        &ct,
        Some(br#"{"username":"admin","password":"district"}"#),
    )
    .await
    .unwrap();
    assert_eq!(r.json()["redirectUrl"], "/dhis-web-dashboard");
    let emu40 = start("2.40.2.1").await;
    let r = raw(
        emu40.url(),
        "POST",
        "/api/auth/login",
        &ct,
        Some(br#"{"username":"admin","password":"district"}"#),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 404);
    let r = raw(
        emu40.url(),
        "POST",
        "/dhis-web-commons-security/login.action",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b"j_username=admin&j_password=district"),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 302);
    let cookie = r
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        raw(emu40.url(), "GET", "/api/me", &[("Cookie", &cookie)], None)
            .await
            .unwrap()
            .status,
        200
    );
}
