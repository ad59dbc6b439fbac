//! The `order` parameter (WIRE.md 11.3): `property:asc|desc|iasc|idesc`, repeatable and comma-joined; a missing
//! or unknown direction is `asc`; a property given twice keeps its first direction; only simple properties
//! order (others are ignored). Without `order`, lists go by `name` case-insensitively, then `id`.

use std::cmp::Ordering;

use serde_json::Value;

use crate::schema::{Kind, TypeSchema};

/// One ordering term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrderTerm {
    pub(crate) property: String,
    pub(crate) descending: bool,
    pub(crate) ignore_case: bool,
}

/// Parses every `order` value.
pub(crate) fn parse<'a>(
    raws: impl IntoIterator<Item = &'a str>,
    schema: Option<&TypeSchema>,
) -> Vec<OrderTerm> {
    let mut out: Vec<OrderTerm> = Vec::new();
    for raw in raws {
        for part in raw.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (prop, dir) = match part.split_once(':') {
                Some((p, d)) => (p.trim(), d.trim()),
                None => (part, "asc"),
            };
            let orderable = match schema {
                None => true,
                Some(s) => s.property(prop).is_some_and(|p| {
                    matches!(
                        p.kind,
                        Kind::Text | Kind::Integer | Kind::Number | Kind::Boolean | Kind::Date
                    )
                }),
            };
            if prop.is_empty() || !orderable || out.iter().any(|t| t.property == prop) {
                continue;
            }
            let (descending, ignore_case) = match dir.to_ascii_lowercase().as_str() {
                "desc" => (true, false),
                "iasc" => (false, true),
                "idesc" => (true, true),
                _ => (false, false),
            };
            out.push(OrderTerm {
                property: prop.to_string(),
                descending,
                ignore_case,
            });
        }
    }
    out
}

fn property<'v>(obj: &'v Value, key: &str) -> Option<&'v Value> {
    obj.get(key).or_else(|| match key {
        "displayName" => obj.get("name"),
        "displayShortName" => obj.get("shortName"),
        _ => None,
    })
}

fn cmp_values(a: Option<&Value>, b: Option<&Value>, ignore_case: bool) -> Ordering {
    match (a, b) {
        (None | Some(Value::Null), None | Some(Value::Null)) => Ordering::Equal,
        // Nulls sort last, as in PostgreSQL's default ascending order.
        (None | Some(Value::Null), _) => Ordering::Greater,
        (_, None | Some(Value::Null)) => Ordering::Less,
        (Some(x), Some(y)) => {
            if let (Some(p), Some(q)) = (x.as_f64(), y.as_f64()) {
                return p.partial_cmp(&q).unwrap_or(Ordering::Equal);
            }
            if let (Some(p), Some(q)) = (x.as_bool(), y.as_bool()) {
                return p.cmp(&q);
            }
            match (x.as_str(), y.as_str()) {
                (Some(p), Some(q)) if ignore_case => p.to_lowercase().cmp(&q.to_lowercase()),
                (Some(p), Some(q)) => p.cmp(q),
                _ => x.to_string().cmp(&y.to_string()),
            }
        }
    }
}

/// Compares two objects by the terms, then by `id` for a stable result.
pub(crate) fn compare(terms: &[OrderTerm], a: &Value, b: &Value) -> Ordering {
    for t in terms {
        let mut o = cmp_values(
            property(a, &t.property),
            property(b, &t.property),
            t.ignore_case,
        );
        if t.descending {
            o = o.reverse();
        }
        if o != Ordering::Equal {
            return o;
        }
    }
    cmp_values(a.get("id"), b.get("id"), false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_directions_and_keeps_first() {
        let t = parse(
            [
                "name:desc,code:iasc",
                "name:asc",
                "created:weird",
                "nope:asc",
            ],
            crate::schema::by_plural("dataElements"),
        );
        assert_eq!(t.len(), 3);
        assert!(t[0].descending && !t[0].ignore_case);
        assert!(!t[1].descending && t[1].ignore_case);
        assert_eq!(t[2].property, "created");
        assert!(!t[2].descending);
    }

    #[test]
    fn compares() {
        let a = json!({"id": "a", "name": "b", "n": 2});
        let b = json!({"id": "b", "name": "B", "n": 10});
        let by = |s: &str| parse([s], None);
        assert_eq!(compare(&by("n:asc"), &a, &b), Ordering::Less);
        assert_eq!(compare(&by("n:desc"), &a, &b), Ordering::Greater);
        assert_eq!(compare(&by("name:asc"), &a, &b), Ordering::Greater);
        assert_eq!(compare(&by("name:iasc"), &a, &b), Ordering::Less);
    }
}
