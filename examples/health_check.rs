//! Health check: no version probe, raw responses only. Reports status and content type of a few endpoints
//! instead of failing on the first error.
//!
//! ```sh
//! DHIS2_URL=https://play.im.dhis2.org/dev-2-43 DHIS2_USERNAME=admin DHIS2_PASSWORD=district \
//!     cargo run --example health_check
//! ```

use dhis2::{BasicAuth, Dhis2Client, Profile};

// `pub` so that the test suite can run it (tests/examples_run.rs).
#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut _emulator = None;
    let builder = if std::env::var_os("DHIS2_URL").is_some() {
        Profile::from_env()?.builder()
    } else {
        let emulator = dhis2_emulator::Emulator::builder()
            .version("2.42.6")
            .start()
            .await?;
        println!(
            "no DHIS2_URL: checking the embedded emulator at {}",
            emulator.url()
        );
        let b = Dhis2Client::builder(emulator.url()).auth(BasicAuth::new("admin", "district"));
        _emulator = Some(emulator);
        b
    };
    // No handshake: this works even against a server whose /api/system/info is broken.
    let client = builder.skip_version_probe(true).connect().await?;
    let endpoints = [
        "api/system/info",
        "api/me",
        "api/dataElements?pageSize=1",
        "api/systemSettings/keyUiLocale",
        "api/no-such-endpoint",
    ];
    let mut failures = 0;
    for path in endpoints {
        match client.get_response(path, &[], &[]).await {
            Ok(resp) => {
                let ct = resp
                    .headers()
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_owned();
                if !resp.status().is_success() {
                    failures += 1;
                }
                println!("{:<36} {:>3}  {}", path, resp.status().as_u16(), ct);
            }
            Err(e) => {
                failures += 1;
                println!("{path:<36} ERR  {e}");
            }
        }
    }
    println!(
        "{failures} of {} endpoints did not answer 2xx",
        endpoints.len()
    );
    client.close().await;
    Ok(())
}
