//! A JSON Patch (RFC 6902) builder limited to what DHIS2 accepts (WIRE 10): `add`, `remove`, `replace` and the
//! DHIS2 extension `remove-by-id`. `move`, `copy` and `test` are rejected by DHIS2 with 400, so they are not offered.
//!
//! Send the serialised patch as `Content-Type: application/json-patch+json` ([`JsonPatch::CONTENT_TYPE`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One patch operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum PatchOp {
    /// Adds `value` at `path` (a trailing `/-` appends to a collection).
    Add {
        /// JSON pointer.
        path: String,
        /// The value to add.
        value: Value,
    },
    /// Removes the value at `path`.
    Remove {
        /// JSON pointer.
        path: String,
    },
    /// Replaces the value at `path`.
    Replace {
        /// JSON pointer.
        path: String,
        /// The new value.
        value: Value,
    },
    /// DHIS2 extension: removes the element with `id` from the collection at `path`.
    RemoveById {
        /// JSON pointer of a collection, e.g. `/organisationUnits`.
        path: String,
        /// The id of the element to remove.
        id: String,
    },
}

/// A list of patch operations; serialises to the JSON array DHIS2 expects.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonPatch {
    /// The operations, in order.
    pub ops: Vec<PatchOp>,
}

/// Builds a JSON pointer from raw segments, escaping `~` as `~0` and `/` as `~1` (RFC 6901).
pub fn pointer<I, S>(segments: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = String::new();
    for seg in segments {
        out.push('/');
        for ch in seg.as_ref().chars() {
            match ch {
                '~' => out.push_str("~0"),
                '/' => out.push_str("~1"),
                c => out.push(c),
            }
        }
    }
    out
}

/// Turns a property name or a ready pointer into a pointer: `name` becomes `/name`, `/a/b` stays.
fn to_path(path: &str) -> String {
    if path.starts_with('/') || path.is_empty() {
        path.to_owned()
    } else {
        pointer([path])
    }
}

impl JsonPatch {
    /// The content type DHIS2 requires for JSON Patch bodies.
    pub const CONTENT_TYPE: &'static str = "application/json-patch+json";

    /// An empty patch.
    pub fn new() -> JsonPatch {
        JsonPatch::default()
    }

    /// Adds `value` at `path` (a JSON pointer, or a bare property name).
    pub fn add(mut self, path: &str, value: impl Into<Value>) -> JsonPatch {
        self.ops.push(PatchOp::Add {
            path: to_path(path),
            value: value.into(),
        });
        self
    }

    /// Appends `value` to the collection at `path` (`path/-`).
    pub fn push(mut self, path: &str, value: impl Into<Value>) -> JsonPatch {
        let mut p = to_path(path);
        p.push_str("/-");
        self.ops.push(PatchOp::Add {
            path: p,
            value: value.into(),
        });
        self
    }

    /// Removes the value at `path`.
    pub fn remove(mut self, path: &str) -> JsonPatch {
        self.ops.push(PatchOp::Remove {
            path: to_path(path),
        });
        self
    }

    /// Replaces the value at `path`.
    pub fn replace(mut self, path: &str, value: impl Into<Value>) -> JsonPatch {
        self.ops.push(PatchOp::Replace {
            path: to_path(path),
            value: value.into(),
        });
        self
    }

    /// Removes the element with `id` from the collection at `path` (DHIS2's `remove-by-id`).
    pub fn remove_by_id(mut self, path: &str, id: impl Into<String>) -> JsonPatch {
        self.ops.push(PatchOp::RemoveById {
            path: to_path(path),
            id: id.into(),
        });
        self
    }

    /// Adds an operation.
    pub fn op(mut self, op: PatchOp) -> JsonPatch {
        self.ops.push(op);
        self
    }

    /// `true` when there are no operations.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// The patch as a JSON array.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The patch as JSON bytes, ready to send.
    pub fn to_vec(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"[]".to_vec())
    }
}
