//! `dhis2-codegen`: generates `src/models/generated/*.rs` from DHIS2 `/api/schemas` documents.
//!
//! ```text
//! cargo run -p dhis2-codegen -- --out src/models/generated            # defaults to ../shared/dhis2/schemas-v4{1..4}.json.gz
//! cargo run -p dhis2-codegen -- --out DIR v45=/path/to/schemas.json    # a live /api/schemas document, labelled v45
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dhis2-codegen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), dhis2_codegen::Error> {
    let mut out: Option<PathBuf> = None;
    let mut check = false;
    let mut use_openapi = true;
    let mut inputs: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => {
                out = Some(
                    args.next()
                        .ok_or_else(|| dhis2_codegen::Error::new("--out needs a directory"))?
                        .into(),
                )
            }
            "--check" => check = true,
            "--no-openapi" => use_openapi = false,
            "-h" | "--help" => {
                println!(
                    "usage: dhis2-codegen [--out DIR] [--check] [--no-openapi] [[LABEL=]SCHEMAS.json[.gz] ...]\n\
                     defaults: --out src/models/generated, inputs ../shared/dhis2/schemas-v41..v44.json.gz \
                     (paths relative to the repository root); openapi-LABEL.json.gz beside an input adds docs"
                );
                return Ok(());
            }
            _ => inputs.push(arg),
        }
    }
    let root = dhis2_codegen::repo_root();
    let specs = if inputs.is_empty() {
        dhis2_codegen::default_input_specs(&root)
    } else {
        inputs
            .iter()
            .map(|s| dhis2_codegen::InputSpec::parse(s))
            .collect()
    };
    let loaded = specs
        .iter()
        .map(|s| s.load(use_openapi))
        .collect::<Result<Vec<_>, _>>()?;
    let files = dhis2_codegen::generate_formatted(&loaded)?;
    let out = out.unwrap_or_else(|| root.join("src/models/generated"));
    if check {
        let stale = dhis2_codegen::compare_dir(&out, &files)?;
        if stale.is_empty() {
            println!("{} is up to date ({} files)", out.display(), files.len());
            return Ok(());
        }
        return Err(dhis2_codegen::Error::new(format!(
            "stale generated files in {}: {}",
            out.display(),
            stale.join(", ")
        )));
    }
    dhis2_codegen::write_dir(&out, &files)?;
    println!("wrote {} files to {}", files.len(), out.display());
    Ok(())
}
