//! ImportReport building blocks: `Stats` and `ErrorReport` (WIRE.md 7.2 key sets).

use serde_json::{json, Map, Value};

use super::types::TypeInfo;

/// Created/updated/deleted/ignored counts of a type or a whole import.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Stats {
    pub(super) created: u64,
    pub(super) updated: u64,
    pub(super) deleted: u64,
    pub(super) ignored: u64,
}

impl Stats {
    pub(super) fn add(&mut self, o: Stats) {
        self.created += o.created;
        self.updated += o.updated;
        self.deleted += o.deleted;
        self.ignored += o.ignored;
    }

    pub(super) fn to_json(self) -> Value {
        json!({"created": self.created, "updated": self.updated, "deleted": self.deleted, "ignored": self.ignored,
               "total": self.created + self.updated + self.deleted + self.ignored})
    }
}

/// One `ErrorReport` (keys in DHIS2's order; `errorProperties` always present).
#[allow(clippy::too_many_arguments)]
pub(super) fn error_report(
    info: &TypeInfo,
    code: &str,
    message: String,
    main_id: &str,
    error_klass: Option<&str>,
    property: Option<&str>,
    value: Option<&str>,
    args: Vec<String>,
) -> Value {
    let mut m = Map::new();
    m.insert("message".into(), json!(message));
    m.insert("mainKlass".into(), json!(info.klass));
    if let Some(k) = error_klass {
        m.insert("errorKlass".into(), json!(k));
    }
    if let Some(p) = property {
        m.insert("errorProperty".into(), json!(p));
    }
    // Always present (an empty list when no property is involved).
    m.insert(
        "errorProperties".into(),
        json!(property.into_iter().collect::<Vec<_>>()),
    );
    m.insert("errorCode".into(), json!(code));
    if !main_id.is_empty() {
        m.insert("mainId".into(), json!(main_id));
    }
    if let Some(v) = value {
        m.insert("value".into(), json!(v));
    }
    m.insert("args".into(), json!(args));
    Value::Object(m)
}
