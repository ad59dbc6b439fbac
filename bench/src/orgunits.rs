//! A deterministic synthetic org-unit hierarchy (about 220 bytes of JSON per unit), served as one `paging=false`
//! body or in DHIS2 pages.
//!
//! The whole list is rendered once; a page is a slice of it plus a pager, so serving costs almost nothing and the
//! client is what gets measured.

use std::fmt::Write as _;

use bytes::{Bytes, BytesMut};

/// Fields every generated unit carries (the `fields=` a client asks for).
pub(crate) const FIELDS: &str = "id,name,code,level,path,created,lastUpdated,parent[id]";

/// The rendered list.
pub(crate) struct OrgUnits {
    /// `{"organisationUnits":[...]}`, the `paging=false` answer.
    full: Bytes,
    /// Byte range of each object inside `full`.
    spans: Vec<(usize, usize)>,
}

const DISTRICTS: usize = 14;
const CHIEFDOMS_PER_DISTRICT: usize = 13;
const KINDS: [&str; 5] = ["CHC", "CHP", "MCHP", "Hospital", "Clinic"];
const SYLLABLES: [&str; 16] = [
    "ba", "bo", "ka", "ke", "lo", "ma", "mo", "na", "ngo", "la", "hun", "ku", "ri", "se", "to",
    "wa",
];

impl OrgUnits {
    /// Generates `n` units: one root, 14 districts, 182 chiefdoms, the rest facilities.
    pub(crate) fn generate(n: usize) -> OrgUnits {
        let mut rng = SplitMix64(0x0d15_2b3e_2026);
        let mut ids: Vec<String> = Vec::with_capacity(n);
        let mut paths: Vec<String> = Vec::with_capacity(n);
        let mut out = String::with_capacity(n * 240 + 64);
        let mut spans = Vec::with_capacity(n);
        out.push_str("{\"organisationUnits\":[");
        for i in 0..n {
            let id = uid(&mut rng);
            let (level, parent) = if i == 0 {
                (1, None)
            } else if i <= DISTRICTS {
                (2, Some(0))
            } else if i <= DISTRICTS + DISTRICTS * CHIEFDOMS_PER_DISTRICT {
                (3, Some(1 + (i - DISTRICTS - 1) % DISTRICTS))
            } else {
                let first_chiefdom = DISTRICTS + 1;
                let chiefdoms = DISTRICTS * CHIEFDOMS_PER_DISTRICT;
                (
                    4,
                    Some(first_chiefdom + (i - first_chiefdom - chiefdoms) % chiefdoms),
                )
            };
            let path = match parent {
                Some(p) if p < paths.len() => format!("{}/{id}", paths[p]),
                _ => format!("/{id}"),
            };
            let word = place_name(&mut rng);
            let name = match level {
                1 => "Sierra Leone".to_string(),
                2 => format!("{word} District"),
                3 => format!("{word} Chiefdom"),
                _ => format!("{word} {} {i}", KINDS[i % KINDS.len()]),
            };
            if i > 0 {
                out.push(',');
            }
            let start = out.len();
            let day = 1 + i % 28;
            let month = 1 + i % 12;
            // Writing into a String cannot fail.
            let _ = write!(
                out,
                r#"{{"id":"{id}","name":"{name}","code":"OU_{i}","level":{level},"path":"{path}","created":"2012-{month:02}-{day:02}T15:54:39.987","lastUpdated":"2024-{month:02}-{day:02}T10:21:48.515""#
            );
            if let Some(p) = parent {
                let _ = write!(out, r#","parent":{{"id":"{}"}}"#, ids[p]);
            }
            out.push('}');
            spans.push((start, out.len()));
            ids.push(id);
            paths.push(path);
        }
        out.push_str("]}");
        OrgUnits {
            full: Bytes::from(out),
            spans,
        }
    }

    /// Number of units.
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// The `paging=false` body.
    pub(crate) fn full(&self) -> Bytes {
        self.full.clone()
    }

    /// One DHIS2 page (`page` is 1-based). `next_base` is the URL the `nextPage` link starts with, up to `page=`.
    pub(crate) fn page(&self, page: usize, page_size: usize, link_base: &str) -> Bytes {
        let page = page.max(1);
        let page_size = page_size.max(1);
        let total = self.len();
        let page_count = total.div_ceil(page_size);
        let from = ((page - 1) * page_size).min(total);
        let to = (from + page_size).min(total);
        let mut head = format!(
            r#"{{"pager":{{"page":{page},"total":{total},"pageSize":{page_size},"pageCount":{page_count}"#
        );
        if page > 1 {
            let _ = write!(
                head,
                r#","prevPage":"{link_base}page={}&pageSize={page_size}""#,
                page - 1
            );
        }
        if page < page_count {
            let _ = write!(
                head,
                r#","nextPage":"{link_base}page={}&pageSize={page_size}""#,
                page + 1
            );
        }
        head.push_str(r#"},"organisationUnits":["#);
        let mut buf = BytesMut::with_capacity(head.len() + 2 + self.slice_len(from, to));
        buf.extend_from_slice(head.as_bytes());
        if from < to {
            buf.extend_from_slice(&self.full[self.spans[from].0..self.spans[to - 1].1]);
        }
        buf.extend_from_slice(b"]}");
        buf.freeze()
    }

    fn slice_len(&self, from: usize, to: usize) -> usize {
        if from < to {
            self.spans[to - 1].1 - self.spans[from].0
        } else {
            0
        }
    }
}

/// A small fixed-seed PRNG so the data is the same on every run.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// An 11-character DHIS2 UID whose first character is a letter.
fn uid(rng: &mut SplitMix64) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut s = String::with_capacity(11);
    s.push(LETTERS[(rng.next() % LETTERS.len() as u64) as usize] as char);
    for _ in 0..10 {
        s.push(ALNUM[(rng.next() % ALNUM.len() as u64) as usize] as char);
    }
    s
}

fn place_name(rng: &mut SplitMix64) -> String {
    let parts = 2 + (rng.next() % 2) as usize;
    let mut s = String::new();
    for _ in 0..parts {
        s.push_str(SYLLABLES[(rng.next() % SYLLABLES.len() as u64) as usize]);
    }
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn full_list_is_valid_json_with_a_tree() {
        let units = OrgUnits::generate(1000);
        let v: Value = serde_json::from_slice(&units.full()).unwrap();
        let list = v["organisationUnits"].as_array().unwrap();
        assert_eq!(list.len(), 1000);
        assert_eq!(list[0]["level"], 1);
        assert!(list[0].get("parent").is_none());
        let last = &list[999];
        assert_eq!(last["level"], 4);
        let path = last["path"].as_str().unwrap();
        assert_eq!(path.matches('/').count(), 4, "{path}");
        assert!(path.ends_with(last["id"].as_str().unwrap()));
        let id = last["id"].as_str().unwrap();
        assert_eq!(id.len(), 11);
        assert!(id.as_bytes()[0].is_ascii_alphabetic());
    }

    #[test]
    fn hundred_thousand_is_about_twenty_mb() {
        let units = OrgUnits::generate(100_000);
        let len = units.full().len();
        assert!((18 << 20..24 << 20).contains(&len), "{len}");
    }

    #[test]
    fn pages_cover_the_list_exactly() {
        let units = OrgUnits::generate(2500);
        let mut seen = Vec::new();
        let mut page = 1;
        loop {
            let body = units.page(page, 1000, "http://h/api/organisationUnits?");
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["pager"]["total"], 2500);
            assert_eq!(v["pager"]["pageCount"], 3);
            for u in v["organisationUnits"].as_array().unwrap() {
                seen.push(u["id"].as_str().unwrap().to_string());
            }
            match v["pager"]["nextPage"].as_str() {
                Some(next) => {
                    assert!(next.contains(&format!("page={}", page + 1)), "{next}");
                    page += 1;
                }
                None => break,
            }
        }
        assert_eq!(page, 3);
        let full: Value = serde_json::from_slice(&units.full()).unwrap();
        let all: Vec<String> = full["organisationUnits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(seen, all);
        let beyond: Value = serde_json::from_slice(&units.page(9, 1000, "x?")).unwrap();
        assert_eq!(beyond["organisationUnits"].as_array().unwrap().len(), 0);
    }
}
