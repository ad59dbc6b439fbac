//! `client.sharing()`: read and set an object's sharing through `/api/sharing?type=..&id=..`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::models::Field;
use crate::{Dhis2Client, Error};

/// Sharing endpoints. Get one with [`Dhis2Client::sharing`].
#[derive(Debug, Clone, Copy)]
pub struct SharingApi<'a> {
    client: &'a Dhis2Client,
}

impl Dhis2Client {
    /// Object sharing (`/api/sharing`).
    pub fn sharing(&self) -> SharingApi<'_> {
        SharingApi { client: self }
    }
}

/// One user or user group with its access string.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessEntry {
    /// User or user group UID.
    pub id: String,
    /// 8-character access string, metadata then data (`rw------`, `r-rw----`).
    pub access: String,
    /// Display name (read only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub display_name: Field<String>,
    /// Other keys, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AccessEntry {
    /// An entry for `id` with `access`.
    pub fn new(id: impl Into<String>, access: impl Into<String>) -> Self {
        AccessEntry {
            id: id.into(),
            access: access.into(),
            ..AccessEntry::default()
        }
    }
}

/// The `object` of a sharing answer: public access, user and user group accesses.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharingObject {
    /// Public access string.
    #[serde(default)]
    pub public_access: String,
    /// External access (only on builds with external sharing; WIRE 13).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub external_access: Field<bool>,
    /// Per-user access.
    #[serde(default)]
    pub user_accesses: Vec<AccessEntry>,
    /// Per-group access.
    #[serde(default)]
    pub user_group_accesses: Vec<AccessEntry>,
    /// Other keys (`id`, `name`, `user`, ...), kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer of `GET /api/sharing`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SharingInfo {
    /// What may be set (`allowPublicAccess`, `allowExternalAccess`).
    #[serde(default)]
    pub meta: Map<String, Value>,
    /// The sharing itself.
    #[serde(default)]
    pub object: SharingObject,
}

impl SharingApi<'_> {
    /// The sharing of object `id` of schema type `kind` (singular, e.g. `dataElement`).
    pub async fn get(&self, kind: &str, id: &str) -> Result<SharingInfo, Error> {
        self.client
            .get("api/sharing", &[("type", kind), ("id", id)])
            .await
    }

    /// Replaces the sharing of an object (only public, external, user and group accesses are sent).
    pub async fn set(&self, kind: &str, id: &str, sharing: &SharingObject) -> Result<(), Error> {
        let mut object = Map::new();
        object.insert(
            "publicAccess".into(),
            Value::String(sharing.public_access.clone()),
        );
        if let Some(external) = sharing.external_access.get() {
            object.insert("externalAccess".into(), Value::Bool(external));
        }
        let entries = |list: &[AccessEntry]| {
            Value::Array(
                list.iter()
                    .map(|e| serde_json::json!({"id": e.id, "access": e.access}))
                    .collect(),
            )
        };
        object.insert("userAccesses".into(), entries(&sharing.user_accesses));
        object.insert(
            "userGroupAccesses".into(),
            entries(&sharing.user_group_accesses),
        );
        let body = serde_json::json!({ "object": object });
        self.client
            .post_raw("api/sharing", &body, &[("type", kind), ("id", id)])
            .await?;
        Ok(())
    }
}
