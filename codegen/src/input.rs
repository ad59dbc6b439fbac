//! Reading schema (and optional OpenAPI) documents.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Error;

/// Where to read one version's `/api/schemas` document from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    /// Version label such as `v42`; taken from the document's `version_key` or the file name when not given.
    pub label: Option<String>,
    /// Path to the JSON (or gzip JSON) document.
    pub path: PathBuf,
}

/// One loaded version.
#[derive(Debug, Clone)]
pub struct LoadedInput {
    /// Version label, e.g. `v42`.
    pub label: String,
    /// The `schemas` array.
    pub schemas: Vec<Value>,
    /// `components.schemas` of the matching OpenAPI document, when found (used for property docs and JSON keys).
    pub openapi: Option<serde_json::Map<String, Value>>,
}

/// `../shared/dhis2/schemas-v41.json.gz` .. `v44` relative to `root`.
pub fn default_input_specs(root: &Path) -> Vec<InputSpec> {
    (41..=44)
        .map(|v| InputSpec {
            label: Some(format!("v{v}")),
            path: root.join(format!("../shared/dhis2/schemas-v{v}.json.gz")),
        })
        .collect()
}

impl InputSpec {
    /// Parses `LABEL=PATH` or `PATH`.
    pub fn parse(arg: &str) -> InputSpec {
        match arg.split_once('=') {
            Some((label, path)) if !label.is_empty() && !label.contains('/') => InputSpec {
                label: Some(label.to_owned()),
                path: PathBuf::from(path),
            },
            _ => InputSpec {
                label: None,
                path: PathBuf::from(arg),
            },
        }
    }

    /// Loads the document, and the sibling `openapi-LABEL.json.gz` when `use_openapi` and it exists.
    pub fn load(&self, use_openapi: bool) -> Result<LoadedInput, Error> {
        let doc = read_json(&self.path)?;
        let label = match (&self.label, doc.get("version_key").and_then(Value::as_str)) {
            (Some(l), _) => l.clone(),
            (None, Some(k)) => k.to_owned(),
            (None, None) => label_from_path(&self.path).ok_or_else(|| {
                Error::new(format!(
                    "{}: cannot tell the version; pass LABEL=PATH",
                    self.path.display()
                ))
            })?,
        };
        let schemas = doc
            .get("schemas")
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| Error::new(format!("{}: no `schemas` array", self.path.display())))?;
        let mut openapi = None;
        if use_openapi {
            if let Some(dir) = self.path.parent() {
                for name in [
                    format!("openapi-{label}.json.gz"),
                    format!("openapi-{label}.json"),
                ] {
                    let p = dir.join(name);
                    if p.exists() {
                        let doc = read_json(&p)?;
                        openapi = doc
                            .pointer("/components/schemas")
                            .and_then(Value::as_object)
                            .cloned();
                        break;
                    }
                }
            }
        }
        Ok(LoadedInput {
            label,
            schemas,
            openapi,
        })
    }
}

fn label_from_path(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let start = name.find("-v")? + 1;
    let rest = &name[start..];
    let end = rest.find('.').unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}

fn read_json(path: &Path) -> Result<Value, Error> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::new(format!("reading {}: {e}", path.display())))?;
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut s)
            .map_err(|e| Error::new(format!("gunzip {}: {e}", path.display())))?;
        s
    } else {
        bytes
    };
    serde_json::from_slice(&text)
        .map_err(|e| Error::new(format!("parsing {}: {e}", path.display())))
}
