//! The organisation unit tree: country > 6 provinces > 48 districts > 1,056 facilities (1,111 units, 4 levels),
//! plus the four organisation unit levels.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::common::{code_of, id_ref, id_refs, identifiable, place_name, short};
use super::rng::Rng;

/// Provinces under the country.
const PROVINCES: usize = 6;
/// Districts per province.
const DISTRICTS: usize = 8;
/// Facilities per district.
const FACILITIES: usize = 22;

/// Facility kinds; the index is used by the org unit groups.
pub(crate) const FACILITY_KINDS: &[(&str, &str)] = &[
    ("CHC", "Community Health Centre"),
    ("MCHP", "Maternal and Child Health Post"),
    ("CHP", "Community Health Post"),
    ("Hospital", "Hospital"),
    ("Clinic", "Clinic"),
];

/// A facility as the other seed areas need it.
#[derive(Clone, Debug)]
pub(crate) struct Facility {
    pub(crate) uid: String,
    pub(crate) kind: usize,
    pub(crate) ownership: usize,
    pub(crate) urban: bool,
}

/// The generated tree.
pub(crate) struct OrgUnits {
    pub(crate) units: Vec<Value>,
    pub(crate) levels: Vec<Value>,
    pub(crate) country: String,
    pub(crate) districts: Vec<String>,
    pub(crate) facilities: Vec<Facility>,
}

fn polygon(cx: f64, cy: f64, r: f64) -> Value {
    // A closed pentagon around the centre, rounded like DHIS2 coordinates.
    let mut ring = Vec::new();
    for i in 0..=5 {
        let a = std::f64::consts::TAU * f64::from(i % 5) / 5.0;
        ring.push(json!([round6(cx + r * a.cos()), round6(cy + r * a.sin())]));
    }
    json!({"type": "Polygon", "coordinates": [ring]})
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

struct Node<'a> {
    uid: &'a str,
    code: &'a str,
    name: &'a str,
    level: u32,
    parent: Option<&'a str>,
    path: &'a str,
    geometry: Option<Value>,
}

fn unit(rng: &mut Rng, n: &Node<'_>, children: &[String]) -> Value {
    let mut m: Map<String, Value> =
        identifiable(rng, n.uid, Some(n.code), n.name, Some(&short(n.name)));
    m.insert("path".into(), Value::from(n.path));
    m.insert("level".into(), Value::from(n.level));
    if let Some(p) = n.parent {
        m.insert("parent".into(), id_ref(p));
    }
    let opening = rng.range(1970, 2010);
    m.insert(
        "openingDate".into(),
        Value::from(format!("{opening}-01-01T00:00:00.000")),
    );
    if let Some(g) = &n.geometry {
        m.insert("geometry".into(), g.clone());
    }
    m.insert(
        "children".into(),
        id_refs(children.iter().map(String::as_str)),
    );
    Value::Object(m)
}

/// Builds the tree deterministically.
pub(crate) fn build() -> OrgUnits {
    let mut rng = Rng::new("organisationUnits");
    let mut names = HashSet::new();
    let mut unique_name = |rng: &mut Rng| loop {
        let n = place_name(rng);
        if names.insert(n.clone()) {
            return n;
        }
    };
    let country = rng.uid();
    let country_path = format!("/{country}");
    let (cx, cy) = (-11.8, 8.5);

    let mut units = Vec::with_capacity(1 + PROVINCES * (1 + DISTRICTS * (1 + FACILITIES)));
    let mut districts = Vec::new();
    let mut facilities = Vec::new();
    let mut province_ids = Vec::new();
    let mut later: Vec<Value> = Vec::new();

    for p in 0..PROVINCES {
        let pid = rng.uid();
        let pname = format!("{} Province", unique_name(&mut rng));
        let ppath = format!("{country_path}/{pid}");
        let (px, py) = (
            cx + (p as f64 % 3.0 - 1.0) * 1.2,
            cy + (p as f64 / 3.0).floor() * 1.1 - 0.5,
        );
        let mut district_ids = Vec::new();
        let mut sub = Vec::new();
        for d in 0..DISTRICTS {
            let did = rng.uid();
            let dname = format!("{} District", unique_name(&mut rng));
            let dpath = format!("{ppath}/{did}");
            let (dx, dy) = (
                px + (d as f64 % 4.0 - 1.5) * 0.25,
                py + (d as f64 / 4.0).floor() * 0.3 - 0.15,
            );
            let mut facility_ids = Vec::new();
            let mut fac_units = Vec::new();
            for _ in 0..FACILITIES {
                let fid = rng.uid();
                let kind = usize::try_from(rng.below(FACILITY_KINDS.len() as u64)).unwrap_or(0);
                let fname = format!("{} {}", unique_name(&mut rng), FACILITY_KINDS[kind].0);
                let fpath = format!("{dpath}/{fid}");
                let geometry = rng.chance(4, 5).then(|| {
                    let x = round6(dx + (rng.below(20_000) as f64 / 100_000.0) - 0.1);
                    let y = round6(dy + (rng.below(20_000) as f64 / 100_000.0) - 0.1);
                    json!({"type": "Point", "coordinates": [x, y]})
                });
                let code = format!("OU_{}", fid.to_ascii_uppercase());
                let node = Node {
                    uid: &fid,
                    code: &code,
                    name: &fname,
                    level: 4,
                    parent: Some(&did),
                    path: &fpath,
                    geometry,
                };
                fac_units.push(unit(&mut rng, &node, &[]));
                facilities.push(Facility {
                    uid: fid.clone(),
                    kind,
                    ownership: usize::try_from(rng.below(3)).unwrap_or(0),
                    urban: rng.chance(1, 3),
                });
                facility_ids.push(fid);
            }
            let dcode = code_of("OU_", &dname);
            let node = Node {
                uid: &did,
                code: &dcode,
                name: &dname,
                level: 3,
                parent: Some(&pid),
                path: &dpath,
                geometry: Some(polygon(dx, dy, 0.12)),
            };
            sub.push(unit(&mut rng, &node, &facility_ids));
            sub.extend(fac_units);
            districts.push(did.clone());
            district_ids.push(did);
        }
        let pcode = code_of("OU_", &pname);
        let node = Node {
            uid: &pid,
            code: &pcode,
            name: &pname,
            level: 2,
            parent: Some(&country),
            path: &ppath,
            geometry: Some(polygon(px, py, 0.5)),
        };
        later.push(unit(&mut rng, &node, &district_ids));
        later.extend(sub);
        province_ids.push(pid);
    }
    let node = Node {
        uid: &country,
        code: "OU_KANDORIA",
        name: "Kandoria",
        level: 1,
        parent: None,
        path: &country_path,
        geometry: Some(polygon(cx, cy, 2.0)),
    };
    units.push(unit(&mut rng, &node, &province_ids));
    units.extend(later);

    let levels = ["National", "Province", "District", "Facility"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let uid = rng.uid();
            let mut m = identifiable(&mut rng, &uid, None, name, None);
            m.insert("level".into(), Value::from(i + 1));
            m.insert("offlineLevels".into(), Value::from(0));
            Value::Object(m)
        })
        .collect();

    OrgUnits {
        units,
        levels,
        country,
        districts,
        facilities,
    }
}
