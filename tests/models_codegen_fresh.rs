//! The committed `src/models/generated/` matches what `dhis2-codegen` produces from `../shared/dhis2`.
//!
//! The inputs are DHIS2's reference documents (about 1.2 MB of schemas and OpenAPI, not part of this repository;
//! the generated models are their committed, compact form). Runs only when `../shared/dhis2` (relative to the
//! crate root) exists. Otherwise the test is skipped loudly: a `SKIPPED` line naming it goes straight to the
//! process's stderr, which the test harness does not capture, so the skip shows in every `cargo test` output.

use std::io::Write;
use std::path::Path;

#[test]
fn committed_generated_models_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/dhis2");
    if !shared.is_dir() {
        let line = format!(
            "SKIPPED models_codegen_fresh::committed_generated_models_are_fresh: the reference documents are \
             absent ({} not found), so src/models/generated was NOT checked against them\n",
            shared.display()
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
        return;
    }
    let specs = dhis2_codegen::default_input_specs(root);
    let loaded: Vec<_> = specs.iter().map(|s| s.load(true).unwrap()).collect();
    let files = dhis2_codegen::generate_formatted(&loaded).unwrap();

    // Write into a temporary directory first, so a failure leaves something to diff against.
    let tmp = std::env::temp_dir().join(format!("dhis2-codegen-fresh-{}", std::process::id()));
    dhis2_codegen::write_dir(&tmp, &files).unwrap();
    let committed = root.join("src/models/generated");
    let stale = dhis2_codegen::compare_dir(&committed, &files).unwrap();
    if stale.is_empty() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    assert!(
        stale.is_empty(),
        "src/models/generated is stale ({} files: {}).\nFresh output is in {}.\n\
         Regenerate with: cargo run -p dhis2-codegen -- --out src/models/generated",
        stale.len(),
        stale.join(", "),
        tmp.display()
    );
}
