//! Organisation unit groups (facility type, ownership, location) and their group sets.

use serde_json::{json, Value};

use super::common::{code_of, id_refs, identifiable, with_sharing};
use super::org_units::{Facility, FACILITY_KINDS};
use super::rng::Rng;

/// Groups and group sets.
pub(crate) struct Groups {
    pub(crate) groups: Vec<Value>,
    pub(crate) group_sets: Vec<Value>,
}

const OWNERSHIP: &[&str] = &["Public facilities", "Private clinics", "NGO facilities"];

/// Builds the groups from the facilities' attributes.
pub(crate) fn build(facilities: &[Facility]) -> Groups {
    let mut rng = Rng::new("organisationUnitGroups");
    let mut groups = Vec::new();
    let mut group_sets = Vec::new();
    let make_set = |rng: &mut Rng,
                    set_name: &str,
                    members: Vec<(String, Vec<&str>)>,
                    groups: &mut Vec<Value>| {
        let set_uid = rng.uid();
        let mut group_ids = Vec::new();
        for (name, units) in members {
            let uid = rng.uid();
            let code = code_of("OUG_", &name);
            let mut g = identifiable(rng, &uid, Some(&code), &name, Some(&name));
            g.insert("symbol".into(), json!(format!("{}.png", rng.range(1, 40))));
            g.insert("organisationUnits".into(), id_refs(units));
            g.insert("groupSets".into(), id_refs([set_uid.as_str()]));
            with_sharing(&mut g, "rw------");
            groups.push(Value::Object(g));
            group_ids.push(uid);
        }
        let code = code_of("OUGS_", set_name);
        let mut s = identifiable(rng, &set_uid, Some(&code), set_name, Some(set_name));
        s.insert("compulsory".into(), json!(true));
        s.insert("dataDimension".into(), json!(true));
        s.insert("includeSubhierarchyInAnalytics".into(), json!(false));
        s.insert(
            "organisationUnitGroups".into(),
            id_refs(group_ids.iter().map(String::as_str)),
        );
        with_sharing(&mut s, "rw------");
        Value::Object(s)
    };
    let kinds = FACILITY_KINDS
        .iter()
        .enumerate()
        .map(|(k, (short_kind, _))| {
            let units = facilities
                .iter()
                .filter(|f| f.kind == k)
                .map(|f| f.uid.as_str())
                .collect();
            ((*short_kind).to_string(), units)
        })
        .collect();
    group_sets.push(make_set(&mut rng, "Facility Type", kinds, &mut groups));
    let owners = OWNERSHIP
        .iter()
        .enumerate()
        .map(|(o, name)| {
            (
                (*name).to_string(),
                facilities
                    .iter()
                    .filter(|f| f.ownership == o)
                    .map(|f| f.uid.as_str())
                    .collect(),
            )
        })
        .collect();
    group_sets.push(make_set(
        &mut rng,
        "Facility Ownership",
        owners,
        &mut groups,
    ));
    let location = vec![
        (
            "Urban".to_string(),
            facilities
                .iter()
                .filter(|f| f.urban)
                .map(|f| f.uid.as_str())
                .collect(),
        ),
        (
            "Rural".to_string(),
            facilities
                .iter()
                .filter(|f| !f.urban)
                .map(|f| f.uid.as_str())
                .collect(),
        ),
    ];
    group_sets.push(make_set(
        &mut rng,
        "Location Rural/Urban",
        location,
        &mut groups,
    ));
    Groups { groups, group_sets }
}
