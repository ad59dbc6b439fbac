//! Every example in `examples/` runs, against the embedded emulator, as part of `cargo test`.
//!
//! Each example file is compiled into this test as a module (so `cargo test` builds exactly the code users read),
//! and each test runs one example in a child process: this same test binary, filtered to that one test, with
//! `DHIS2_URL` and the other profile variables removed from its environment. So an example never reaches a real
//! server during the tests, whatever the developer's shell holds, and it gets a process of its own (its own
//! stdout, its own tokio runtime). The parent fails when the child fails, when the child ran no test (a filter
//! that matched nothing), when an expected line is missing from the example's output, or when the output holds
//! the emulator's password (examples must not print credentials).

#[path = "../examples/axum_embed.rs"]
mod axum_embed;
#[path = "../examples/custom_layer.rs"]
mod custom_layer;
// Its `main` only parses the output path; the test calls `export` with its own.
#[allow(dead_code)]
#[path = "../examples/export_to_file.rs"]
mod export_to_file;
#[path = "../examples/health_check.rs"]
mod health_check;
#[path = "../examples/metadata_roundtrip.rs"]
mod metadata_roundtrip;
#[path = "../examples/push_data_values.rs"]
mod push_data_values;
#[path = "../examples/quickstart.rs"]
mod quickstart;

use std::error::Error;
use std::path::PathBuf;
use std::process::Command;

/// Set in the child process: run the example instead of supervising it.
const CHILD: &str = "DHIS2_RS_EXAMPLES_RUN_CHILD";
/// Where the child's `export_to_file` writes (set by the parent).
const EXPORT_OUT: &str = "DHIS2_RS_EXAMPLES_RUN_EXPORT";

/// Variables that would point an example at a real server or change its credentials.
const PROFILE_VARS: &[&str] = &[
    "DHIS2_URL",
    "DHIS2_PAT",
    "DHIS2_USERNAME",
    "DHIS2_PASSWORD",
    "DHIS2_SESSION_COOKIE",
    "DHIS2_DATA_SET",
    "DHIS2_ORG_UNIT",
    "DHIS2_PERIOD",
];

/// The emulator's admin password and the Basic credentials made from it (`admin:district`).
const SECRETS: &[&str] = &["district", "YWRtaW46ZGlzdHJpY3Q="];

/// What a child printed.
struct Output {
    stdout: String,
}

/// In the child: runs `example` (a `main` that builds its own runtime) and panics if it fails. In the parent:
/// runs test `test` in a child process and checks it, returning the child's output.
fn run_example(
    test: &str,
    example: impl FnOnce() -> Result<(), Box<dyn Error>>,
    extra_env: &[(&str, String)],
) -> Option<Output> {
    if std::env::var_os(CHILD).is_some() {
        if let Err(e) = example() {
            panic!("example failed: {e}");
        }
        return None;
    }
    let mut cmd = Command::new(std::env::current_exe().expect("the test binary"));
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1");
    for var in PROFILE_VARS {
        cmd.env_remove(var);
    }
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the child test process starts");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(
        out.status.success(),
        "example run `{test}` failed ({}):\n{report}",
        out.status
    );
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "the child ran no example (`{test}` matched no test):\n{report}"
    );
    for secret in SECRETS {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "example `{test}` printed a credential ({secret}):\n{report}"
        );
    }
    Some(Output { stdout })
}

impl Output {
    /// Panics unless the example printed every one of `lines` (substrings).
    fn expect(&self, lines: &[&str]) {
        for line in lines {
            assert!(
                self.stdout.contains(line),
                "the example did not print {line:?}:\n{}",
                self.stdout
            );
        }
    }
}

#[test]
fn quickstart_runs() {
    if let Some(out) = run_example("quickstart_runs", quickstart::main, &[]) {
        out.expect(&[
            "no DHIS2_URL: using the embedded emulator at http://127.0.0.1:",
            "version_key = v42",
            "raw_version = 2.42.6",
            "as admin (",
        ]);
    }
}

#[test]
fn health_check_runs() {
    if let Some(out) = run_example("health_check_runs", health_check::main, &[]) {
        out.expect(&[
            "no DHIS2_URL: checking the embedded emulator at http://127.0.0.1:",
            "api/system/info                      200  application/json",
            "api/me                               200  application/json",
            "api/no-such-endpoint                 404",
            "1 of 5 endpoints did not answer 2xx",
        ]);
    }
}

#[test]
fn custom_layer_runs() {
    if let Some(out) = run_example("custom_layer_runs", custom_layer::main, &[]) {
        out.expect(&[
            "[timing] GET /api/system/info -> 200 OK in",
            "[timing] GET /api/me -> 200 OK in",
            "hello admin",
            "first page keys: [\"pager\", \"organisationUnits\"]",
            "the layer saw 3 requests",
        ]);
    }
}

#[test]
fn axum_embed_runs() {
    if let Some(out) = run_example("axum_embed_runs", axum_embed::main, &[]) {
        out.expect(&[
            "GET /whoami -> HTTP/1.1 200 OK",
            r#""username":"admin""#,
            r#""dhis2":"2.42.6""#,
        ]);
    }
}

#[test]
fn metadata_roundtrip_runs() {
    if let Some(out) = run_example("metadata_roundtrip_runs", metadata_roundtrip::main, &[]) {
        out.expect(&[
            "connected to DHIS2 2.42.6",
            "created 2 x org.hisp.dhis.category.CategoryOption",
            "created 1 x org.hisp.dhis.category.CategoryCombo",
            "created data element ",
            "patched: Some(\"rt element patched ",
            "deleted data element ",
            "deleted 1 x org.hisp.dhis.category.CategoryCombo",
            "deleted 2 x org.hisp.dhis.category.CategoryOption",
        ]);
    }
}

#[test]
fn push_data_values_runs() {
    if let Some(out) = run_example("push_data_values_runs", push_data_values::main, &[]) {
        out.expect(&["pushing ", "status Some(Success): imported "]);
        assert!(
            !out.stdout.contains("pushing 0 values"),
            "the example found no values to push:\n{}",
            out.stdout
        );
    }
}

#[test]
fn export_to_file_runs() {
    let path = std::env::temp_dir().join(format!(
        "dhis2-examples-run-export-{}.json",
        std::process::id()
    ));
    let child = || -> Result<(), Box<dyn Error>> {
        let out = PathBuf::from(std::env::var_os(EXPORT_OUT).ok_or("no output path")?);
        tokio::runtime::Runtime::new()?.block_on(export_to_file::export(&out))?;
        Ok(())
    };
    let env = [(EXPORT_OUT, path.to_string_lossy().into_owned())];
    if let Some(out) = run_example("export_to_file_runs", child, &env) {
        out.expect(&["no DHIS2_URL: using the embedded emulator at", "wrote "]);
        let text = std::fs::read_to_string(&path).expect("the export file");
        let _ = std::fs::remove_file(&path);
        let export: serde_json::Value = serde_json::from_str(&text).expect("the export is JSON");
        let values = export["dataValues"].as_array().map_or(0, Vec::len);
        assert!(values > 0, "the export holds no data values");
        assert!(
            out.stdout
                .contains(&format!("wrote {} bytes to {}", text.len(), path.display())),
            "the reported size is the file's ({} bytes):\n{}",
            text.len(),
            out.stdout
        );
    }
}
