//! The in-memory object store: metadata collections keyed by plural name, each an insertion-ordered map
//! `uid -> JSON object`, plus the data values (whose type belongs to `data_values.rs`).
//!
//! Lock discipline: the store lives in a `std::sync::RwLock` inside `AppState`; never hold a guard across `.await`.

use std::collections::HashMap;
use std::sync::OnceLock;

use indexmap::IndexMap;
use serde_json::Value;

/// One metadata collection (e.g. `dataElements`).
#[derive(Debug, Default)]
pub(crate) struct Collection {
    objects: IndexMap<String, Value>,
    /// Positions of `objects` in DHIS2's default order (name case-insensitive, then id), computed on first use
    /// and dropped on every write so a hot list request does not re-sort.
    default_order: OnceLock<Vec<usize>>,
}

impl Collection {
    /// The objects in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Value> {
        self.objects.values()
    }

    /// The object at a position of the insertion order.
    pub(crate) fn get_index(&self, i: usize) -> Option<&Value> {
        self.objects.get_index(i).map(|(_, v)| v)
    }

    /// Number of objects.
    pub(crate) fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the collection is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The object with this uid.
    pub(crate) fn get(&self, uid: &str) -> Option<&Value> {
        self.objects.get(uid)
    }

    /// Insertion positions sorted by `name` (case-insensitive) then `id`, cached until the next write.
    pub(crate) fn default_order(&self) -> &[usize] {
        self.default_order.get_or_init(|| {
            let mut keyed: Vec<(String, &str, usize)> = self
                .objects
                .iter()
                .enumerate()
                .map(|(i, (id, v))| {
                    let name = v
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_lowercase();
                    (name, id.as_str(), i)
                })
                .collect();
            keyed.sort();
            keyed.into_iter().map(|(_, _, i)| i).collect()
        })
    }

    fn touch(&mut self) {
        self.default_order = OnceLock::new();
    }
}

/// Why a store write was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreError {
    /// The object has no string `id`.
    MissingId,
    /// An object with this uid already exists (in the named collection).
    DuplicateId(String, String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::MissingId => f.write_str("object has no string `id`"),
            StoreError::DuplicateId(uid, plural) => {
                write!(f, "uid `{uid}` already exists in `{plural}`")
            }
        }
    }
}

/// All emulator data.
#[derive(Debug, Default)]
pub(crate) struct Store {
    collections: HashMap<String, Collection>,
    /// uid -> plural of the collection holding it, for `find_by_uid_any_type`.
    uid_index: HashMap<String, String>,
    /// Data values; the type and its handling belong to `data_values.rs`.
    pub(crate) data_values: Vec<crate::data_values::DataValue>,
    /// Bumped by every metadata write, so derived answers (e.g. `/api/me`) can be cached.
    generation: u64,
}

impl Store {
    /// An empty store.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// One object by type and uid.
    pub(crate) fn get(&self, plural: &str, uid: &str) -> Option<&Value> {
        self.collections.get(plural)?.get(uid)
    }

    /// A whole collection, if the type has ever held an object.
    pub(crate) fn collection(&self, plural: &str) -> Option<&Collection> {
        self.collections.get(plural)
    }

    /// The objects of a type in insertion order (empty for an unknown type).
    pub(crate) fn list(&self, plural: &str) -> impl Iterator<Item = &Value> {
        self.collections
            .get(plural)
            .into_iter()
            .flat_map(|c| c.iter())
    }

    /// Number of objects of a type.
    pub(crate) fn len(&self, plural: &str) -> usize {
        self.collections.get(plural).map_or(0, Collection::len)
    }

    /// A number that changes whenever metadata changes.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// The plural names of every non-empty collection, sorted.
    pub(crate) fn plurals(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .collections
            .iter()
            .filter(|(_, c)| !c.is_empty())
            .map(|(k, _)| k.as_str())
            .collect();
        v.sort_unstable();
        v
    }

    /// Finds an object by uid in whichever collection holds it; returns `(plural, object)`.
    pub(crate) fn find_by_uid_any_type(&self, uid: &str) -> Option<(&str, &Value)> {
        let plural = self.uid_index.get(uid)?;
        let obj = self.collections.get(plural)?.get(uid)?;
        Some((plural.as_str(), obj))
    }

    /// Inserts a new object (which must carry a string `id` not used by any other object).
    pub(crate) fn insert(&mut self, plural: &str, object: Value) -> Result<(), StoreError> {
        let uid = object_uid(&object)?;
        if let Some(existing) = self.uid_index.get(&uid) {
            return Err(StoreError::DuplicateId(uid, existing.clone()));
        }
        self.put(plural, uid, object);
        Ok(())
    }

    /// Inserts or overwrites an object by its `id` (used by seeding and imports).
    pub(crate) fn upsert(&mut self, plural: &str, object: Value) -> Result<(), StoreError> {
        let uid = object_uid(&object)?;
        match self.uid_index.get(&uid) {
            Some(p) if p != plural => return Err(StoreError::DuplicateId(uid, p.clone())),
            _ => {}
        }
        self.put(plural, uid, object);
        Ok(())
    }

    /// Stores `object` under `uid` in `plural` (creating the collection), indexing it; callers have
    /// checked that `uid` is not held by another collection.
    fn put(&mut self, plural: &str, uid: String, object: Value) {
        let coll = self.collections.entry(plural.to_string()).or_default();
        coll.touch();
        coll.objects.insert(uid.clone(), object);
        self.uid_index.insert(uid, plural.to_string());
        self.generation += 1;
    }

    /// Replaces an existing object, keeping its position; returns the old one (None if it did not exist, in
    /// which case nothing is stored).
    pub(crate) fn replace(&mut self, plural: &str, uid: &str, mut object: Value) -> Option<Value> {
        let coll = self.collections.get_mut(plural)?;
        let slot = coll.objects.get_mut(uid)?;
        if let Some(map) = object.as_object_mut() {
            map.insert("id".to_string(), Value::String(uid.to_string()));
        }
        let old = std::mem::replace(slot, object);
        coll.touch();
        self.generation += 1;
        Some(old)
    }

    /// Removes an object; returns it.
    pub(crate) fn remove(&mut self, plural: &str, uid: &str) -> Option<Value> {
        let coll = self.collections.get_mut(plural)?;
        let old = coll.objects.shift_remove(uid)?;
        coll.touch();
        self.uid_index.remove(uid);
        self.generation += 1;
        Some(old)
    }
}

/// The string `id` of `object`.
fn object_uid(object: &Value) -> Result<String, StoreError> {
    object
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or(StoreError::MissingId)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn insert_get_replace_remove() {
        let mut s = Store::new();
        s.insert("dataElements", json!({"id": "a1234567890", "name": "B"}))
            .unwrap();
        s.insert("dataElements", json!({"id": "b1234567890", "name": "a"}))
            .unwrap();
        assert_eq!(
            s.insert("indicators", json!({"id": "a1234567890"})),
            Err(StoreError::DuplicateId(
                "a1234567890".into(),
                "dataElements".into()
            ))
        );
        assert_eq!(
            s.insert("indicators", json!({"name": "x"})),
            Err(StoreError::MissingId)
        );
        assert_eq!(s.len("dataElements"), 2);
        assert_eq!(
            s.collection("dataElements").unwrap().default_order(),
            &[1, 0]
        );
        assert_eq!(
            s.find_by_uid_any_type("b1234567890").unwrap().0,
            "dataElements"
        );
        s.replace("dataElements", "b1234567890", json!({"name": "z"}))
            .unwrap();
        assert_eq!(
            s.get("dataElements", "b1234567890").unwrap()["id"],
            "b1234567890"
        );
        assert_eq!(
            s.collection("dataElements").unwrap().default_order(),
            &[0, 1]
        );
        assert!(s.remove("dataElements", "a1234567890").is_some());
        assert!(s.find_by_uid_any_type("a1234567890").is_none());
        assert_eq!(s.plurals(), vec!["dataElements"]);
    }
}
