//! `serde_plain_typed`: the org unit list as a user writes it with plain `#[derive(Deserialize)]` structs, for
//! every key the decode_100k payload carries: `Option` for what may be missing, `Vec` defaulting to empty, no
//! tri-state `Field`, no unknown-key capture (serde skips unknown keys), dates as `String`, geometry as
//! `serde_json::Value`. The baseline the typed lossless models are measured against (issue 11, section 6).

use std::collections::BTreeMap;

use serde::Deserialize;

// The same `{"id": ".."}` reference the hand-written loopback structs use.
use super::by_hand::IdRef;

/// `/api/organisationUnits` with `paging=false` (no pager).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrgUnitList {
    pub(crate) organisation_units: Vec<OrgUnit>,
}

/// An org unit, `fields=*`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // Fields exist to be decoded, as in user code; the benchmark only counts units.
pub(crate) struct OrgUnit {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) short_name: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) level: Option<u32>,
    pub(crate) path: Option<String>,
    pub(crate) leaf: Option<bool>,
    pub(crate) created: Option<String>,
    pub(crate) last_updated: Option<String>,
    pub(crate) opening_date: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) display_short_name: Option<String>,
    pub(crate) parent: Option<IdRef>,
    pub(crate) last_updated_by: Option<UserRef>,
    pub(crate) geometry: Option<serde_json::Value>,
    pub(crate) sharing: Option<Sharing>,
    #[serde(default)]
    pub(crate) translations: Vec<Translation>,
    #[serde(default)]
    pub(crate) attribute_values: Vec<AttributeValue>,
    #[serde(default)]
    pub(crate) children: Vec<IdRef>,
}

/// `lastUpdatedBy` and friends (DHIS2 writes `code: null`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub(crate) struct UserRef {
    pub(crate) id: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) username: Option<String>,
}

/// `sharing`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub(crate) struct Sharing {
    pub(crate) owner: Option<String>,
    pub(crate) external: Option<bool>,
    pub(crate) public: Option<String>,
    #[serde(default)]
    pub(crate) users: BTreeMap<String, SharingEntry>,
    #[serde(default)]
    pub(crate) user_groups: BTreeMap<String, SharingEntry>,
}

/// One entry of a sharing map.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub(crate) struct SharingEntry {
    pub(crate) id: String,
    pub(crate) access: String,
    pub(crate) display_name: Option<String>,
}

/// One translation.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
pub(crate) struct Translation {
    pub(crate) property: String,
    pub(crate) locale: String,
    pub(crate) value: String,
}

/// One attribute value.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
pub(crate) struct AttributeValue {
    pub(crate) value: String,
    pub(crate) attribute: IdRef,
}
