//! Shared embedded objects of metadata: [`Sharing`], [`Access`], [`AttributeValue`], [`Translation`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Field, IdRef};

/// `sharing`: `{"owner", "external"?, "public", "users": {"<uid>": {...}}, "userGroups": {"<uid>": {...}}}`.
///
/// `external` exists only on builds that still have external sharing (WIRE 13, "Sharing"). The uid-keyed maps keep
/// their keys.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sharing {
    /// Owner user UID.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub owner: Field<String>,
    /// External access (removed on newer builds).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub external: Field<bool>,
    /// Public access string, 8 characters (metadata then data), e.g. `rw------`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub public: Field<String>,
    /// Per-user access, keyed by user UID.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub users: Field<BTreeMap<String, SharingEntry>>,
    /// Per-group access, keyed by user group UID.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub user_groups: Field<BTreeMap<String, SharingEntry>>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of a sharing map: `{"id", "access", "displayName"?}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharingEntry {
    /// User or group UID.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    /// Access string, e.g. `rw------`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub access: Field<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub display_name: Field<String>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `access`: what the current user may do with an object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Access {
    /// May manage (share) the object.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub manage: Field<bool>,
    /// May share externally (removed with external sharing).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub externalize: Field<bool>,
    /// May write.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub write: Field<bool>,
    /// May read.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub read: Field<bool>,
    /// May update.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub update: Field<bool>,
    /// May delete.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub delete: Field<bool>,
    /// Data access (`{"read", "write"}`) for data-shareable types.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub data: Field<Map<String, Value>>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One attribute value: `{"value": "...", "attribute": {"id": "..."}}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeValue {
    /// The value (a string for most attribute types; kept as JSON).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub value: Field<Value>,
    /// The attribute.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub attribute: Field<IdRef>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One translation: `{"property": "NAME", "locale": "fr", "value": "..."}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Translation {
    /// Translated property, e.g. `NAME`, `SHORT_NAME`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub property: Field<String>,
    /// Locale, e.g. `fr`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub locale: Field<String>,
    /// Translated text.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub value: Field<String>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
