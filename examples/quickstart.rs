//! Quick start: connect, print the version, ask who we are, close.
//!
//! With `DHIS2_URL` set (plus `DHIS2_PAT`, or `DHIS2_USERNAME`/`DHIS2_PASSWORD`, or `DHIS2_SESSION_COOKIE`) it
//! talks to that server; otherwise it starts the embedded `dhis2-emulator` and logs in as admin/district.
//!
//! ```sh
//! cargo run --example quickstart
//! ```

use dhis2::{BasicAuth, Dhis2Client, Limits, Profile, RetryPolicy};

// `pub` so that the test suite can run it (tests/examples_run.rs).
#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the emulator alive until the end of main (it shuts down on drop).
    let mut _emulator = None;
    let builder = if std::env::var_os("DHIS2_URL").is_some() {
        Profile::from_env()?.builder()
    } else {
        let emulator = dhis2_emulator::Emulator::builder()
            .version("2.42.6")
            .start()
            .await?;
        println!(
            "no DHIS2_URL: using the embedded emulator at {}",
            emulator.url()
        );
        let builder =
            Dhis2Client::builder(emulator.url()).auth(BasicAuth::new("admin", "district"));
        _emulator = Some(emulator);
        builder
    };

    let client = builder
        .retry_policy(RetryPolicy::default()) // 429/5xx + connection errors
        .limits(
            Limits::default()
                .max_concurrent_requests(20)
                .max_idle_per_host(10),
        )
        .connect() // pool + canonical-URL probe + /api/system/info
        .await?;
    println!("version_key = {}", client.version_key()?); // v42 / v43 / v41
    println!("raw_version = {}", client.raw_version()?); // "2.42.6" etc.
    let me = client.system().me().await?;
    println!(
        "as {} ({})",
        me.username,
        me.display_name.value().map(String::as_str).unwrap_or("-")
    );
    client.close().await;
    Ok(())
}
