//! The decode_100k payload: a `GET /api/organisationUnits?paging=false&fields=*` answer of a realistic DHIS2
//! 2.42 server, rendered once into memory (issue 11, section 6).
//!
//! Each unit carries what a `fields=*` listing of a real hierarchy carries, in the key order DHIS2 writes:
//! `id`, `name`, `shortName` and their display forms, `code`, `level`, `path`, `leaf`, three dates, the `parent`
//! reference, `sharing` (owner, public access, a user-group entry on one unit in ten), `translations` (a name
//! translation on one unit in two), `attributeValues` (one), `children` (every child, so a district lists about
//! 500), a `lastUpdatedBy` user reference with its explicit `code: null` on one unit in twenty, and a `geometry`
//! on one unit in ten (a point for a facility, a polygon above). The tree: one country, 10 provinces, 200
//! districts, the rest facilities. About 625 bytes a unit (62 MB for 100,000); the set is the same on every run
//! (a fixed-seed generator).

use std::fmt::Write;

/// A fixed-seed generator (splitmix64): the payload is the same on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    /// A DHIS2-style UID: 11 characters, a letter first.
    fn uid(&mut self) -> String {
        const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let mut s = String::with_capacity(11);
        s.push(LETTERS[self.below(LETTERS.len() as u64) as usize] as char);
        for _ in 0..10 {
            s.push(ALNUM[self.below(ALNUM.len() as u64) as usize] as char);
        }
        s
    }

    /// `yyyy-MM-ddTHH:mm:ss.SSS` between the two years.
    fn date(&mut self, from: u64, to: u64) -> String {
        format!(
            "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            from + self.below(to - from),
            1 + self.below(12),
            1 + self.below(28),
            self.below(24),
            self.below(60),
            self.below(60),
            self.below(1000)
        )
    }

    fn coordinate(&mut self, base: f64, spread: f64) -> f64 {
        let v = base + (self.below(1_000_000) as f64 / 1_000_000.0 - 0.5) * spread;
        (v * 10_000.0).round() / 10_000.0
    }
}

const SYLLABLES: &[&str] = &[
    "Ba", "Bo", "Ka", "Ko", "Ma", "Mo", "Ne", "Ro", "Sa", "Se", "Ta", "To", "Wo", "Ya", "Lu", "Ga",
];
const KINDS: &[&str] = &["CHP", "MCHP", "CHC", "Clinic", "Hospital"];
const PROVINCES: usize = 10;
const DISTRICTS: usize = 200;
const ATTRIBUTE: &str = "l1VmqIHKk6t";
const OWNER: &str = "M5zQapPyTZI";
const USER_GROUP: &str = "wl5cDMuUhmF";
const LOCALES: &[&str] = &["fr", "pt", "es"];

fn place(rng: &mut Rng) -> String {
    let n = 2 + rng.below(3);
    (0..n)
        .map(|i| {
            let s = SYLLABLES[rng.below(SYLLABLES.len() as u64) as usize];
            if i == 0 {
                s.to_string()
            } else {
                s.to_lowercase()
            }
        })
        .collect()
}

/// One unit's place in the tree.
struct Node {
    id: String,
    level: u8,
    parent: Option<usize>,
    path: String,
    children: Vec<usize>,
}

fn tree(rng: &mut Rng, n: usize) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::with_capacity(n);
    for i in 0..n {
        let id = rng.uid();
        let (level, parent) = if i == 0 {
            (1, None)
        } else if i <= PROVINCES {
            (2, Some(0))
        } else if i <= PROVINCES + DISTRICTS {
            (3, Some(1 + (i - 1 - PROVINCES) % PROVINCES))
        } else {
            (
                4,
                Some(1 + PROVINCES + (i - 1 - PROVINCES - DISTRICTS) % DISTRICTS),
            )
        };
        let path = match parent {
            Some(p) => format!("{}/{id}", nodes[p].path),
            None => format!("/{id}"),
        };
        if let Some(p) = parent {
            nodes[p].children.push(i);
        }
        nodes.push(Node {
            id,
            level,
            parent,
            path,
            children: Vec::new(),
        });
    }
    nodes
}

fn id_refs(out: &mut String, ids: impl Iterator<Item = impl AsRef<str>>) {
    out.push('[');
    for (i, id) in ids.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, r#"{{"id":"{}"}}"#, id.as_ref());
    }
    out.push(']');
}

fn geometry(rng: &mut Rng, out: &mut String, level: u8) {
    let (lon, lat) = (rng.coordinate(-11.8, 2.0), rng.coordinate(8.5, 2.0));
    if level == 4 {
        let _ = write!(
            out,
            r#""geometry":{{"type":"Point","coordinates":[{lon},{lat}]}},"#
        );
        return;
    }
    out.push_str(r#""geometry":{"type":"Polygon","coordinates":[["#);
    let corners = 6 + rng.below(6);
    for k in 0..corners {
        let _ = write!(
            out,
            "[{},{}],",
            rng.coordinate(lon, 0.3),
            rng.coordinate(lat, 0.3)
        );
        if k == corners - 1 {
            // A closed ring ends where it began.
            let _ = write!(out, "[{lon},{lat}]");
        }
    }
    out.push_str("]]},");
}

fn unit(rng: &mut Rng, nodes: &[Node], i: usize, out: &mut String) {
    let node = &nodes[i];
    let name = match node.level {
        1 => "Sierra Leone".to_string(),
        2 => format!("{} Province", place(rng)),
        3 => format!("{} District", place(rng)),
        _ => format!(
            "{} {}",
            place(rng),
            KINDS[rng.below(KINDS.len() as u64) as usize]
        ),
    };
    let short: String = name.chars().take(50).collect();
    let created = rng.date(2010, 2016);
    let updated = rng.date(2016, 2026);
    let opening = format!("{}-01-01T00:00:00.000", 1970 + rng.below(40));
    let id = &node.id;
    let _ = write!(
        out,
        r#"{{"lastUpdated":"{updated}","id":"{id}","level":{},"created":"{created}","name":"{name}","shortName":"{short}","code":"OU_{:06}","leaf":{},"path":"{}","displayName":"{name}","displayShortName":"{short}","openingDate":"{opening}","#,
        node.level,
        i + 1,
        node.children.is_empty(),
        node.path,
    );
    if let Some(p) = node.parent {
        let _ = write!(out, r#""parent":{{"id":"{}"}},"#, nodes[p].id);
    }
    if rng.one_in(20) {
        out.push_str(
            r#""lastUpdatedBy":{"id":"xE7jOejl9FI","code":null,"name":"John Traore","displayName":"John Traore","username":"admin"},"#,
        );
    }
    if rng.one_in(10) {
        geometry(rng, out, node.level);
    }
    let _ = write!(
        out,
        r#""sharing":{{"owner":"{OWNER}","external":false,"users":{{}},"userGroups":{{"#
    );
    if rng.one_in(10) {
        let _ = write!(
            out,
            r#""{USER_GROUP}":{{"id":"{USER_GROUP}","access":"r-------"}}"#
        );
    }
    out.push_str(r#"},"public":"rw------"},"translations":["#);
    if rng.one_in(2) {
        let locale = LOCALES[rng.below(LOCALES.len() as u64) as usize];
        let _ = write!(
            out,
            r#"{{"property":"NAME","locale":"{locale}","value":"{name}"}}"#
        );
    }
    out.push_str(r#"],"attributeValues":["#);
    let _ = write!(
        out,
        r#"{{"value":"MOH-{:06}","attribute":{{"id":"{}"}}}}"#,
        rng.below(1_000_000),
        ATTRIBUTE
    );
    out.push_str(r#"],"children":"#);
    id_refs(out, node.children.iter().map(|&c| nodes[c].id.as_str()));
    out.push('}');
}

/// The whole `paging=false` answer for `n` units: `{"organisationUnits":[...]}`.
pub(crate) fn list_json(n: usize) -> Vec<u8> {
    let mut rng = Rng(0x0d15_2011);
    let nodes = tree(&mut rng, n);
    let mut out = String::with_capacity(n * 640 + 64);
    out.push_str(r#"{"organisationUnits":["#);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        unit(&mut rng, &nodes, i, &mut out);
    }
    out.push_str("]}");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_valid_deterministic_and_about_625_bytes_a_unit() {
        let a = list_json(5_000);
        assert_eq!(a, list_json(5_000));
        let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
        let units = v["organisationUnits"].as_array().unwrap();
        assert_eq!(units.len(), 5_000);
        let per_unit = a.len() / units.len();
        assert!((560..700).contains(&per_unit), "{per_unit} bytes a unit");
        let with_geometry = units.iter().filter(|u| u.get("geometry").is_some()).count();
        assert!((350..650).contains(&with_geometry), "{with_geometry}");
        let facility = &units[4_999];
        assert_eq!(facility["level"], 4);
        assert_eq!(facility["leaf"], true);
        assert_eq!(facility["path"].as_str().unwrap().split('/').count(), 5);
        assert!(units[1]["children"].as_array().unwrap().len() >= 20);
        assert!(units
            .iter()
            .any(|u| u.get("lastUpdatedBy").is_some_and(|b| b["code"].is_null())));
    }
}
