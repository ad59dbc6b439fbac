//! Shared building blocks for seed objects: the common identifiable keys, references and names.

use serde_json::{json, Map, Value};

use super::rng::Rng;

/// The superuser's UID (the one DHIS2's Sierra Leone demo database uses for `admin`).
pub(crate) const ADMIN_UID: &str = "M5zQapPyTZI";
/// DHIS2's well-known UIDs of the default category objects.
pub(crate) const DEFAULT_CATEGORY: &str = "GLevLNI9wkl";
/// Default category option.
pub(crate) const DEFAULT_CATEGORY_OPTION: &str = "xYerKDKCefk";
/// Default category combo.
pub(crate) const DEFAULT_CATEGORY_COMBO: &str = "bjDvmb4bfuf";
/// Default category option combo (also the default attribute option combo).
pub(crate) const DEFAULT_COC: &str = "HllvX50cXC0";

/// The embedded user reference DHIS2 writes with all five keys, nulls included (WIRE.md 1.1).
pub(crate) fn admin_ref() -> Value {
    json!({"id": ADMIN_UID, "code": null, "name": "John Traore", "displayName": "John Traore", "username": "admin"})
}

/// `{"id": uid}`.
pub(crate) fn id_ref(uid: &str) -> Value {
    json!({ "id": uid })
}

/// A list of `{"id": ..}` references.
pub(crate) fn id_refs<'a>(uids: impl IntoIterator<Item = &'a str>) -> Value {
    Value::Array(uids.into_iter().map(id_ref).collect())
}

/// The keys every identifiable seed object carries. `short_name` also sets `displayShortName`.
pub(crate) fn identifiable(
    rng: &mut Rng,
    id: &str,
    code: Option<&str>,
    name: &str,
    short_name: Option<&str>,
) -> Map<String, Value> {
    let created = rng.millis_between(2012, 2020);
    let updated = created + rng.range(0, 4 * 365 * 86_400_000);
    let mut m = Map::new();
    m.insert("id".into(), Value::from(id));
    if let Some(code) = code {
        m.insert("code".into(), Value::from(code));
    }
    m.insert("name".into(), Value::from(name));
    if let Some(sn) = short_name {
        m.insert("shortName".into(), Value::from(sn));
    }
    m.insert("displayName".into(), Value::from(name));
    if let Some(sn) = short_name {
        m.insert("displayShortName".into(), Value::from(sn));
    }
    m.insert(
        "created".into(),
        Value::from(crate::data_values::model::format_millis(created)),
    );
    m.insert(
        "lastUpdated".into(),
        Value::from(crate::data_values::model::format_millis(updated)),
    );
    m.insert("createdBy".into(), admin_ref());
    m.insert("lastUpdatedBy".into(), admin_ref());
    m.insert("translations".into(), json!([]));
    m.insert("attributeValues".into(), json!([]));
    m
}

/// Adds metadata sharing (`public` access string, owner admin) for shareable types.
pub(crate) fn with_sharing(m: &mut Map<String, Value>, public: &str) {
    m.insert(
        "sharing".into(),
        json!({"owner": ADMIN_UID, "public": public, "users": {}, "userGroups": {}}),
    );
}

/// Truncates to DHIS2's 50-character short name limit on a character boundary.
pub(crate) fn short(name: &str) -> String {
    name.chars().take(50).collect()
}

/// An upper-case code made of the name's alphanumeric words (at most 50 characters).
pub(crate) fn code_of(prefix: &str, name: &str) -> String {
    let mut s = String::from(prefix);
    for w in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !s.is_empty() && !s.ends_with('_') {
            s.push('_');
        }
        s.push_str(&w.to_ascii_uppercase());
    }
    s.chars().take(50).collect()
}

const SYL_START: &[&str] = &[
    "Ba", "Be", "Bo", "Da", "Ga", "Ka", "Ke", "Ko", "La", "Lu", "Ma", "Mo", "Na", "Ni", "Pa", "Ro",
    "Sa", "Se", "Ta", "To", "Wa", "Ya", "Yo", "Za", "Fa", "Gbe", "Kpa", "Mbo", "Nya", "Tu",
];
const SYL_MID: &[&str] = &[
    "ba", "da", "di", "go", "ka", "la", "lo", "ma", "me", "na", "ni", "ra", "ri", "sa", "ta", "wo",
    "ye", "ku", "mbe", "ndu",
];
const SYL_END: &[&str] = &[
    "", "n", "ma", "la", "ri", "ne", "wa", "ku", "to", "ya", "ra", "ti",
];

/// A pronounceable place name such as "Kalamawa".
pub(crate) fn place_name(rng: &mut Rng) -> String {
    let mut s = String::from(*rng.pick(SYL_START));
    for _ in 0..rng.range(1, 2) {
        let mid: &&str = rng.pick(SYL_MID);
        s.push_str(mid);
    }
    let end: &&str = rng.pick(SYL_END);
    s.push_str(end);
    s
}
