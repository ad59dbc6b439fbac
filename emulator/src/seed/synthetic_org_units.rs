//! A large synthetic org-unit set (`Emulator::builder().synthetic_org_units(n)`), for list and paging benchmarks.
//!
//! The `n` units form a subtree of their own: one region, up to 100 districts and the rest facilities, hung under
//! the store's first level-1 unit when there is one (so on the demo seed they sit at levels 2-4, the levels the
//! seed declares) and forming their own root otherwise. Every unit carries the keys of the seeded ones except
//! `createdBy`/`lastUpdatedBy` and geometry (kept out so 100,000 units stay small in memory): `id`, `code`, `name`,
//! `shortName`, `displayName`, `displayShortName`, `created`, `lastUpdated`, `translations`, `attributeValues`,
//! `path`, `level`, `parent`, `openingDate`, `children`. UIDs come from a fixed-seed stream, so the set is the same
//! on every run; 100,000 units build in well under a second in a release build.

use serde_json::{Map, Value};

use super::common::{id_ref, id_refs, place_name, short};
use super::org_units::FACILITY_KINDS;
use super::rng::Rng;
use crate::data_values::model::format_millis;
use crate::store::{Store, StoreError};

const PLURAL: &str = "organisationUnits";

/// Most districts the region is split into.
const MAX_DISTRICTS: usize = 100;

/// Where the synthetic subtree hangs.
struct Anchor {
    id: String,
    path: String,
    level: u64,
}

fn find_anchor(store: &Store) -> Option<Anchor> {
    store
        .list(PLURAL)
        .find(|u| u.get("level").and_then(Value::as_u64) == Some(1))
        .and_then(|u| {
            let id = u.get("id")?.as_str()?.to_string();
            let path = u
                .get("path")
                .and_then(Value::as_str)
                .map_or_else(|| format!("/{id}"), str::to_string);
            Some(Anchor { id, path, level: 1 })
        })
}

/// A UID not used by any object of the store or of this set.
fn fresh_uid(rng: &mut Rng, store: &Store, taken: &std::collections::HashSet<String>) -> String {
    loop {
        let uid = rng.uid();
        if store.find_by_uid_any_type(&uid).is_none() && !taken.contains(&uid) {
            return uid;
        }
    }
}

struct Unit<'a> {
    id: &'a str,
    code: String,
    name: String,
    level: u64,
    path: &'a str,
    parent: Option<&'a str>,
    children: &'a [String],
}

fn object(rng: &mut Rng, u: Unit<'_>) -> Value {
    let created = rng.millis_between(2012, 2020);
    let updated = created + rng.range(0, 4 * 365 * 86_400_000);
    let short_name = short(&u.name);
    let mut m = Map::new();
    m.insert("id".into(), Value::from(u.id));
    m.insert("code".into(), Value::from(u.code));
    m.insert("name".into(), Value::from(u.name.as_str()));
    m.insert("shortName".into(), Value::from(short_name.as_str()));
    m.insert("displayName".into(), Value::from(u.name));
    m.insert("displayShortName".into(), Value::from(short_name));
    m.insert("created".into(), Value::from(format_millis(created)));
    m.insert("lastUpdated".into(), Value::from(format_millis(updated)));
    m.insert("translations".into(), Value::Array(Vec::new()));
    m.insert("attributeValues".into(), Value::Array(Vec::new()));
    m.insert("path".into(), Value::from(u.path));
    m.insert("level".into(), Value::from(u.level));
    if let Some(p) = u.parent {
        m.insert("parent".into(), id_ref(p));
    }
    let opening = rng.range(1970, 2010);
    m.insert(
        "openingDate".into(),
        Value::from(format!("{opening}-01-01T00:00:00.000")),
    );
    m.insert(
        "children".into(),
        id_refs(u.children.iter().map(String::as_str)),
    );
    Value::Object(m)
}

/// Adds `n` synthetic org units to the store (see the module docs for their shape).
pub(crate) fn add(store: &mut Store, n: usize) -> Result<(), StoreError> {
    if n == 0 {
        return Ok(());
    }
    let mut rng = Rng::new("syntheticOrganisationUnits");
    let anchor = find_anchor(store);
    let districts = (n.saturating_sub(1) / 1000)
        .clamp(1, MAX_DISTRICTS)
        .min(n - 1);
    let mut taken = std::collections::HashSet::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let uid = fresh_uid(&mut rng, store, &taken);
        taken.insert(uid.clone());
        ids.push(uid);
    }
    drop(taken);
    let base_level = anchor.as_ref().map_or(0, |a| a.level);
    let region_path = match &anchor {
        Some(a) => format!("{}/{}", a.path, ids[0]),
        None => format!("/{}", ids[0]),
    };
    let district_paths: Vec<String> = ids[1..=districts]
        .iter()
        .map(|d| format!("{region_path}/{d}"))
        .collect();
    let facilities = n - 1 - districts;
    // Facility k (0-based) belongs to district k % districts.
    let mut district_children: Vec<Vec<String>> = vec![Vec::new(); districts];
    for k in 0..facilities {
        if let Some(c) = district_children.get_mut(k % districts.max(1)) {
            c.push(ids[1 + districts + k].clone());
        }
    }

    let region = object(
        &mut rng,
        Unit {
            id: &ids[0],
            code: "OU_SYN_REGION".to_string(),
            name: "Synthetic Region".to_string(),
            level: base_level + 1,
            path: &region_path,
            parent: anchor.as_ref().map(|a| a.id.as_str()),
            children: &ids[1..=districts],
        },
    );
    store.upsert(PLURAL, region)?;
    for (d, path) in district_paths.iter().enumerate() {
        let name = format!("{} District S{}", place_name(&mut rng), d + 1);
        let unit = object(
            &mut rng,
            Unit {
                id: &ids[1 + d],
                code: format!("OU_SYN_D{:03}", d + 1),
                name,
                level: base_level + 2,
                path,
                parent: Some(&ids[0]),
                children: &district_children[d],
            },
        );
        store.upsert(PLURAL, unit)?;
    }
    drop(district_children);
    for k in 0..facilities {
        let i = 1 + districts + k;
        let d = k % districts.max(1);
        let kind = FACILITY_KINDS[k % FACILITY_KINDS.len()].0;
        let name = format!("{} {kind} {}", place_name(&mut rng), k + 1);
        let path = format!("{}/{}", district_paths[d], ids[i]);
        let unit = object(
            &mut rng,
            Unit {
                id: &ids[i],
                code: format!("OU_SYN_{:07}", k + 1),
                name,
                level: base_level + 3,
                path: &path,
                parent: Some(&ids[1 + d]),
                children: &[],
            },
        );
        store.upsert(PLURAL, unit)?;
    }
    // The anchor lists the region among its children, as DHIS2 keeps both sides of the tree.
    if let Some(a) = anchor {
        if let Some(mut root) = store.get(PLURAL, &a.id).cloned() {
            if let Some(children) = root.get_mut("children").and_then(Value::as_array_mut) {
                children.push(id_ref(&ids[0]));
                store.replace(PLURAL, &a.id, root);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(seed: bool, n: usize) -> Store {
        let mut store = Store::new();
        if seed {
            for (plural, objects) in super::super::demo().metadata {
                for o in objects {
                    store.upsert(&plural, o).unwrap();
                }
            }
        }
        add(&mut store, n).unwrap();
        store
    }

    #[test]
    fn units_form_a_tree_under_the_seed_root() {
        let before = built(true, 0).len(PLURAL);
        let store = built(true, 2500);
        assert_eq!(store.len(PLURAL), before + 2500);
        let root = store
            .list(PLURAL)
            .find(|u| u["level"] == 1)
            .unwrap()
            .clone();
        let region = store
            .list(PLURAL)
            .find(|u| u["code"] == "OU_SYN_REGION")
            .unwrap();
        assert_eq!(region["level"], 2);
        assert_eq!(region["parent"]["id"], root["id"]);
        assert!(root["children"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"id": region["id"]})));
        let facility = store
            .list(PLURAL)
            .find(|u| u["code"] == "OU_SYN_0002400")
            .unwrap();
        assert_eq!(facility["level"], 4);
        let path = facility["path"].as_str().unwrap();
        let parts: Vec<&str> = path.split('/').skip(1).collect();
        assert_eq!(parts.len(), 4, "{path}");
        assert_eq!(parts[0], root["id"].as_str().unwrap());
        assert_eq!(parts[1], region["id"].as_str().unwrap());
        assert_eq!(parts[3], facility["id"].as_str().unwrap());
        assert_eq!(facility["parent"]["id"].as_str().unwrap(), parts[2]);
        let district = store.get(PLURAL, parts[2]).unwrap();
        assert!(district["children"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"id": facility["id"]})));
        let bytes = serde_json::to_vec(facility).unwrap().len();
        assert!(bytes >= 300, "a facility is {bytes} bytes");
    }

    #[test]
    fn without_a_seed_the_region_is_the_root_and_the_set_is_deterministic() {
        let a = built(false, 10);
        let b = built(false, 10);
        let ids = |s: &Store| -> Vec<Value> { s.list(PLURAL).cloned().collect() };
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(a.len(PLURAL), 10);
        let region = a.list(PLURAL).next().unwrap();
        assert_eq!(region["level"], 1);
        assert!(region.get("parent").is_none());
        assert_eq!(built(false, 1).len(PLURAL), 1);
        assert_eq!(built(false, 2).len(PLURAL), 2);
    }
}
