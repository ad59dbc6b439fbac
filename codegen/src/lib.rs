//! Library side of `dhis2-codegen`: loads DHIS2 `/api/schemas` documents (one per version), merges them into one
//! model set and renders Rust source for `src/models/generated/`.
//!
//! The output is deterministic (everything is sorted) and formatted with `rustfmt`, so a test can regenerate and
//! compare with the committed files.

#![deny(missing_docs)]

mod emit;
mod input;
mod model;
mod naming;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use input::{default_input_specs, InputSpec, LoadedInput};

/// A codegen failure, with a message naming the file or schema involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    /// Creates an error from a message.
    pub fn new(msg: impl Into<String>) -> Error {
        Error(msg.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// The repository root (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Generates the files (name -> unformatted source).
pub fn generate(inputs: &[LoadedInput]) -> Result<BTreeMap<String, String>, Error> {
    if inputs.is_empty() {
        return Err(Error::new("no schema inputs given"));
    }
    let merged = model::merge(inputs)?;
    Ok(emit::render(&merged))
}

/// Generates the files and formats each with `rustfmt --edition 2021`.
pub fn generate_formatted(inputs: &[LoadedInput]) -> Result<BTreeMap<String, String>, Error> {
    generate(inputs)?
        .into_iter()
        .map(|(name, src)| {
            let formatted = format_rust(&src).map_err(|e| Error::new(format!("{name}: {e}")))?;
            Ok((name, formatted))
        })
        .collect()
}

/// Formats Rust source with `rustfmt` (from `$RUSTFMT` or `PATH`).
pub fn format_rust(src: &str) -> Result<String, Error> {
    let rustfmt = std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".to_owned());
    let mut child = Command::new(&rustfmt)
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::new(format!("cannot run {rustfmt}: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Error::new("rustfmt stdin unavailable"))?;
    let input = src.to_owned();
    // Write from a thread so a large output cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| Error::new(format!("rustfmt failed: {e}")))?;
    writer
        .join()
        .map_err(|_| Error::new("rustfmt writer thread panicked"))?
        .map_err(|e| Error::new(format!("writing to rustfmt: {e}")))?;
    if !output.status.success() {
        return Err(Error::new(format!(
            "rustfmt rejected the generated code: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    String::from_utf8(output.stdout)
        .map_err(|e| Error::new(format!("rustfmt output is not UTF-8: {e}")))
}

/// Writes the files into `dir` (created if needed) and deletes other `.rs` files there.
pub fn write_dir(dir: &Path, files: &BTreeMap<String, String>) -> Result<(), Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::new(format!("creating {}: {e}", dir.display())))?;
    for entry in
        std::fs::read_dir(dir).map_err(|e| Error::new(format!("reading {}: {e}", dir.display())))?
    {
        let entry = entry.map_err(|e| Error::new(format!("reading {}: {e}", dir.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".rs") && !files.contains_key(&name) {
            std::fs::remove_file(entry.path())
                .map_err(|e| Error::new(format!("removing {name}: {e}")))?;
        }
    }
    for (name, src) in files {
        let path = dir.join(name);
        let unchanged = std::fs::read_to_string(&path)
            .map(|old| old == *src)
            .unwrap_or(false);
        if !unchanged {
            std::fs::write(&path, src)
                .map_err(|e| Error::new(format!("writing {}: {e}", path.display())))?;
        }
    }
    Ok(())
}

/// Compares `files` with the `.rs` files in `dir`; returns the names that differ, are missing, or are extra.
pub fn compare_dir(dir: &Path, files: &BTreeMap<String, String>) -> Result<Vec<String>, Error> {
    let mut stale = Vec::new();
    for (name, src) in files {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(old) if old == *src => {}
            Ok(_) => stale.push(format!("{name} (differs)")),
            Err(_) => stale.push(format!("{name} (missing)")),
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".rs") && !files.contains_key(&name) {
                stale.push(format!("{name} (extra)"));
            }
        }
    }
    stale.sort();
    Ok(stale)
}
