//! Shared embedded objects of metadata: [`Sharing`], [`Access`], [`AttributeValue`], [`Translation`].

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Extra, Field, IdRef};

/// `sharing`: `{"owner", "external"?, "public", "users": {"<uid>": {...}}, "userGroups": {"<uid>": {...}}}`.
///
/// `external` exists only on builds that still have external sharing (WIRE 13, "Sharing"). The uid-keyed maps keep
/// their keys.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sharing {
    /// Owner user UID.
    pub owner: Field<String>,
    /// External access (removed on newer builds).
    pub external: Field<bool>,
    /// Public access string, 8 characters (metadata then data), e.g. `rw------`.
    pub public: Field<String>,
    /// Per-user access, keyed by user UID.
    pub users: Field<BTreeMap<String, SharingEntry>>,
    /// Per-group access, keyed by user group UID.
    pub user_groups: Field<BTreeMap<String, SharingEntry>>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    Sharing {
        owner: "owner",
        external: "external",
        public: "public",
        users: "users",
        user_groups: "userGroups",
    }
}

/// One entry of a sharing map: `{"id", "access", "displayName"?}`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SharingEntry {
    /// User or group UID.
    pub id: Field<String>,
    /// Access string, e.g. `rw------`.
    pub access: Field<String>,
    /// Display name.
    pub display_name: Field<String>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    SharingEntry {
        id: "id",
        access: "access",
        display_name: "displayName",
    }
}

/// `access`: what the current user may do with an object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Access {
    /// May manage (share) the object.
    pub manage: Field<bool>,
    /// May share externally (removed with external sharing).
    pub externalize: Field<bool>,
    /// May write.
    pub write: Field<bool>,
    /// May read.
    pub read: Field<bool>,
    /// May update.
    pub update: Field<bool>,
    /// May delete.
    pub delete: Field<bool>,
    /// Data access (`{"read", "write"}`) for data-shareable types.
    pub data: Field<Map<String, Value>>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    Access {
        manage: "manage",
        externalize: "externalize",
        write: "write",
        read: "read",
        update: "update",
        delete: "delete",
        data: "data",
    }
}

/// One attribute value: `{"value": "...", "attribute": {"id": "..."}}`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttributeValue {
    /// The value (a string for most attribute types; kept as JSON).
    pub value: Field<Value>,
    /// The attribute.
    pub attribute: Field<IdRef>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    AttributeValue {
        value: "value",
        attribute: "attribute",
    }
}

/// One translation: `{"property": "NAME", "locale": "fr", "value": "..."}`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Translation {
    /// Translated property, e.g. `NAME`, `SHORT_NAME`.
    pub property: Field<String>,
    /// Locale, e.g. `fr`.
    pub locale: Field<String>,
    /// Translated text.
    pub value: Field<String>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! { Translation { property: "property", locale: "locale", value: "value" } }
