//! The `filter` parameter (WIRE.md 11.2): splitting, parsing with DHIS2's error messages, and evaluation
//! against stored objects, with property paths through references (`parent.name`, `dataSetElements.dataSet.id`),
//! attribute value filters (`<attributeUid>:eq:v`), `identifiable:token:...` and `rootJunction`.

use serde_json::Value;

use crate::schema::{self, Kind, TypeSchema};

/// A filter operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ieq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Like,
    NotLike,
    StartsLike,
    NotStartsLike,
    EndsLike,
    NotEndsLike,
    ILike,
    NotILike,
    StartsILike,
    NotStartsILike,
    EndsILike,
    NotEndsILike,
    Token,
    NotToken,
    In,
    NotIn,
    Null,
    NotNull,
    Empty,
    NotEmpty,
}

impl Op {
    fn parse(s: &str, not_empty_allowed: bool) -> Option<Op> {
        Some(match s {
            "eq" => Op::Eq,
            "ieq" => Op::Ieq,
            "!eq" | "neq" | "ne" => Op::Ne,
            "gt" => Op::Gt,
            "lt" => Op::Lt,
            "gte" | "ge" => Op::Ge,
            "lte" | "le" => Op::Le,
            "like" => Op::Like,
            "!like" => Op::NotLike,
            "$like" => Op::StartsLike,
            "!$like" => Op::NotStartsLike,
            "like$" => Op::EndsLike,
            "!like$" => Op::NotEndsLike,
            "ilike" => Op::ILike,
            "!ilike" => Op::NotILike,
            "$ilike" | "startsWith" => Op::StartsILike,
            "!$ilike" => Op::NotStartsILike,
            "ilike$" | "endsWith" => Op::EndsILike,
            "!ilike$" => Op::NotEndsILike,
            "token" => Op::Token,
            "!token" => Op::NotToken,
            "in" => Op::In,
            "!in" => Op::NotIn,
            "null" => Op::Null,
            "!null" => Op::NotNull,
            "empty" => Op::Empty,
            "!empty" if not_empty_allowed => Op::NotEmpty,
            _ => return None,
        })
    }

    fn needs_value(self) -> bool {
        !matches!(self, Op::Null | Op::NotNull | Op::Empty | Op::NotEmpty)
    }

    /// The positive operator and whether this one negates it.
    fn positive(self) -> (Op, bool) {
        match self {
            Op::Ne => (Op::Eq, true),
            Op::NotLike => (Op::Like, true),
            Op::NotStartsLike => (Op::StartsLike, true),
            Op::NotEndsLike => (Op::EndsLike, true),
            Op::NotILike => (Op::ILike, true),
            Op::NotStartsILike => (Op::StartsILike, true),
            Op::NotEndsILike => (Op::EndsILike, true),
            Op::NotToken => (Op::Token, true),
            Op::NotIn => (Op::In, true),
            Op::NotNull => (Op::Null, true),
            Op::NotEmpty => (Op::Empty, true),
            other => (other, false),
        }
    }
}

/// The operand of a filter.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    None,
    One(String),
    List(Vec<String>),
    /// `in:N` without brackets: a collection size.
    Size(i64),
}

/// What the path leads to.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// A property path.
    Path(Vec<String>, Option<Kind>),
    /// `<attributeUid>`: the value of that attribute.
    Attribute(String),
    /// `identifiable`: id, code, name and shortName.
    Identifiable,
}

/// One parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Filter {
    target: Target,
    op: Op,
    operand: Operand,
}

/// A parse error; the message is DHIS2's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilterError(pub(crate) String);

/// Finds every `property:op[:value]` in a filter string, as DHIS2's splitting regex
/// `(?<property>[a-zA-Z0-9.]+):(?<op>[!$a-zA-Z]{2,10})(?::(?<value>\[[^]]*]|[^,\n\r]+))?` does.
pub(crate) fn split(raw: &str) -> Vec<&str> {
    let b = raw.as_bytes();
    let is_prop = |c: u8| c.is_ascii_alphanumeric() || c == b'.';
    let is_op = |c: u8| c.is_ascii_alphabetic() || c == b'!' || c == b'$';
    let mut out = Vec::new();
    let mut s = 0;
    while s < b.len() {
        if !is_prop(b[s]) {
            s += 1;
            continue;
        }
        let mut p = s;
        while p < b.len() && is_prop(b[p]) {
            p += 1;
        }
        if p >= b.len() || b[p] != b':' {
            s = p + 1;
            continue;
        }
        let op_start = p + 1;
        let mut o = op_start;
        while o < b.len() && o - op_start < 10 && is_op(b[o]) {
            o += 1;
        }
        if o - op_start < 2 {
            s = p + 1;
            continue;
        }
        let mut end = o;
        if o < b.len() && b[o] == b':' {
            let v = o + 1;
            if v < b.len() && b[v] == b'[' {
                if let Some(close) = b[v..].iter().position(|&c| c == b']') {
                    end = v + close + 1;
                } else {
                    end = scan_plain(b, v);
                }
            } else {
                end = scan_plain(b, v);
            }
            if end == v {
                end = o;
            }
        }
        out.push(&raw[s..end]);
        s = end;
    }
    out
}

fn scan_plain(b: &[u8], from: usize) -> usize {
    let mut e = from;
    while e < b.len() && !matches!(b[e], b',' | b'\n' | b'\r') {
        e += 1;
    }
    e
}

fn is_uid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11 && b[0].is_ascii_alphabetic() && b.iter().all(u8::is_ascii_alphanumeric)
}

fn check_type(kind: Option<Kind>, v: &str) -> Result<(), FilterError> {
    let fail = |t: &str| Err(FilterError(format!("Unable to parse `{v}` as `{t}`.")));
    match kind {
        Some(Kind::Integer) if v.parse::<i64>().is_err() => fail("Integer"),
        Some(Kind::Number) if v.parse::<f64>().is_err() => fail("Double"),
        Some(Kind::Boolean) if v != "true" && v != "false" => fail("Boolean"),
        Some(Kind::Date) if !looks_like_date(v) => fail("Date"),
        _ => Ok(()),
    }
}

fn looks_like_date(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 4
        && b[..4].iter().all(u8::is_ascii_digit)
        && b.iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'T' | b':' | b'.' | b'Z' | b'+'))
}

/// Resolves a property path against a type's schema.
fn resolve_path(schema: Option<&'static TypeSchema>, path: &str) -> Result<Target, FilterError> {
    let segments: Vec<String> = path.split('.').map(str::to_string).collect();
    if segments.iter().any(String::is_empty) {
        return Err(FilterError(format!("Unknown path property: {path}")));
    }
    let Some(mut current) = schema else {
        return Ok(Target::Path(segments, None));
    };
    if segments.len() == 1 && segments[0] == "identifiable" {
        return Ok(Target::Identifiable);
    }
    let mut kind = None;
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let Some(prop) = current.property(seg) else {
            if i == 0 && last && is_uid(seg) {
                return Ok(Target::Attribute(seg.clone()));
            }
            return Err(FilterError(format!("Unknown path property: {path}")));
        };
        kind = Some(prop.kind);
        if last {
            break;
        }
        let next = match prop.kind {
            Kind::Reference(t) => t,
            Kind::Collection(Some(t)) => t,
            Kind::Complex | Kind::Collection(None) => {
                return Err(FilterError(format!("Unknown path property: {path}")))
            }
            _ => {
                return Err(FilterError(
                    "Simple type was found before finished parsing path expression, please check your path string."
                        .to_string(),
                ))
            }
        };
        match schema::by_plural(next) {
            Some(s) => current = s,
            // The target type is not registered: accept the rest of the path unchecked.
            None => return Ok(Target::Path(segments, None)),
        }
    }
    Ok(Target::Path(segments, kind))
}

/// Parses one `property:op[:value]` expression.
pub(crate) fn parse_one(
    raw: &str,
    schema: Option<&'static TypeSchema>,
    not_empty_allowed: bool,
) -> Result<Filter, FilterError> {
    let mut parts = raw.splitn(3, ':');
    let (Some(path), Some(op)) = (parts.next(), parts.next()) else {
        return Err(FilterError(format!("Invalid filter => {raw}")));
    };
    let value = parts.next();
    let op_parsed = Op::parse(op, not_empty_allowed)
        .ok_or_else(|| FilterError(format!("`{op}` is not a valid operator.")))?;
    let target = resolve_path(schema, path)?;
    let kind = match &target {
        Target::Path(_, k) => *k,
        _ => None,
    };
    let is_collection = matches!(kind, Some(Kind::Collection(_)));
    let operand = if !op_parsed.needs_value() {
        Operand::None
    } else if matches!(op_parsed, Op::In | Op::NotIn) {
        let v = value.unwrap_or("");
        match v.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            Some(inner) => {
                let items: Vec<String> = inner
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                if items.is_empty() {
                    return Err(FilterError(format!(
                        "Invalid argument `{v}` for in operator."
                    )));
                }
                for i in &items {
                    check_type(kind, i)?;
                }
                Operand::List(items)
            }
            None => match v.parse::<i64>() {
                Ok(n) => Operand::Size(n),
                Err(_) => {
                    return Err(FilterError(format!(
                        "Collection size must be integer `{v}`"
                    )))
                }
            },
        }
    } else {
        let v = value.unwrap_or("").to_string();
        if is_collection
            && matches!(
                op_parsed,
                Op::Eq | Op::Ne | Op::Gt | Op::Lt | Op::Ge | Op::Le
            )
        {
            if v.parse::<i64>().is_err() {
                return Err(FilterError(format!(
                    "Collection size must be integer `{v}`"
                )));
            }
        } else if !matches!(
            op_parsed.positive().0,
            Op::Like
                | Op::ILike
                | Op::StartsLike
                | Op::EndsLike
                | Op::StartsILike
                | Op::EndsILike
                | Op::Token
                | Op::Ieq
        ) {
            check_type(kind, &v)?;
        }
        Operand::One(v)
    };
    Ok(Filter {
        target,
        op: op_parsed,
        operand,
    })
}

/// Parses every `filter` value (each may hold several comma-joined expressions).
pub(crate) fn parse_all<'a>(
    raws: impl IntoIterator<Item = &'a str>,
    schema: Option<&'static TypeSchema>,
    not_empty_allowed: bool,
) -> Result<Vec<Filter>, FilterError> {
    let mut out = Vec::new();
    for raw in raws {
        let parts = split(raw);
        if parts.is_empty() {
            out.push(parse_one(raw, schema, not_empty_allowed)?);
        } else {
            for p in parts {
                out.push(parse_one(p, schema, not_empty_allowed)?);
            }
        }
    }
    Ok(out)
}

/// Looks up referenced objects while evaluating paths.
pub(crate) type Resolver<'a> = dyn Fn(&str) -> Option<&'a Value> + 'a;

fn computed<'v>(obj: &'v Value, key: &str) -> Option<&'v Value> {
    obj.get(key).or_else(|| match key {
        "displayName" => obj.get("name"),
        "displayShortName" => obj.get("shortName"),
        "displayDescription" => obj.get("description"),
        "displayFormName" => obj.get("formName").or_else(|| obj.get("name")),
        _ => None,
    })
}

/// Values at the end of a path: intermediate arrays are flattened and references resolved.
fn values_at<'a>(obj: &'a Value, path: &[String], resolve: &Resolver<'a>) -> Vec<&'a Value> {
    let mut current: Vec<&'a Value> = vec![obj];
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        let mut next = Vec::new();
        for v in current {
            let found = computed(v, seg).or_else(|| {
                // A stored reference holds only `id`; other properties come from the referenced object.
                let id = v.get("id")?.as_str()?;
                resolve(id).and_then(|full| computed(full, seg))
            });
            match found {
                Some(Value::Array(items)) if !last => next.extend(items.iter()),
                Some(x) => next.push(x),
                None => {}
            }
        }
        current = next;
    }
    current
}

fn as_text(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s)),
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(std::borrow::Cow::Owned(b.to_string())),
        _ => None,
    }
}

fn compare(leaf: &Value, operand: &str) -> Option<std::cmp::Ordering> {
    if let (Some(a), Ok(b)) = (leaf.as_f64(), operand.parse::<f64>()) {
        return a.partial_cmp(&b);
    }
    let text = as_text(leaf)?;
    Some(text.as_ref().cmp(operand))
}

fn scalar_match(op: Op, leaf: &Value, operand: &str) -> bool {
    use std::cmp::Ordering::*;
    let Some(text) = as_text(leaf) else {
        return false;
    };
    let lower = || text.to_lowercase();
    let olower = || operand.to_lowercase();
    match op {
        Op::Eq => match (leaf.as_f64(), operand.parse::<f64>()) {
            (Some(a), Ok(b)) => a == b,
            _ => text == operand,
        },
        Op::Ieq => lower() == olower(),
        Op::Gt => compare(leaf, operand) == Some(Greater),
        Op::Lt => compare(leaf, operand) == Some(Less),
        Op::Ge => matches!(compare(leaf, operand), Some(Greater | Equal)),
        Op::Le => matches!(compare(leaf, operand), Some(Less | Equal)),
        Op::Like => text.contains(operand),
        Op::StartsLike => text.starts_with(operand),
        Op::EndsLike => text.ends_with(operand),
        Op::ILike => lower().contains(&olower()),
        Op::StartsILike => lower().starts_with(&olower()),
        Op::EndsILike => lower().ends_with(&olower()),
        Op::Token => {
            // Every token must start a word of the value (DHIS2 matches `token%` or `% token%`).
            let hay = lower();
            let words: Vec<&str> = hay.split_whitespace().collect();
            olower()
                .split_whitespace()
                .all(|t| words.iter().any(|w| w.starts_with(t)))
        }
        _ => false,
    }
}

fn size_of(v: &Value) -> Option<i64> {
    v.as_array().map(|a| a.len() as i64)
}

/// Whether one object passes one filter.
pub(crate) fn matches<'a>(f: &Filter, obj: &'a Value, resolve: &Resolver<'a>) -> bool {
    let (op, negate) = f.op.positive();
    let result = match &f.target {
        Target::Identifiable => {
            let hay: String = ["id", "code", "name", "shortName"]
                .iter()
                .filter_map(|k| obj.get(*k).and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(" ");
            match &f.operand {
                Operand::One(v) => scalar_match(op, &Value::String(hay), v),
                _ => false,
            }
        }
        Target::Attribute(uid) => {
            let leaves: Vec<&Value> = obj
                .get("attributeValues")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|av| {
                    av.pointer("/attribute/id").and_then(Value::as_str) == Some(uid.as_str())
                })
                .filter_map(|av| av.get("value"))
                .collect();
            eval(op, &leaves, &f.operand, false)
        }
        Target::Path(path, kind) => {
            let leaves = values_at(obj, path, resolve);
            let collection = matches!(kind, Some(Kind::Collection(_)))
                || (kind.is_none() && leaves.iter().any(|v| v.is_array()));
            eval(op, &leaves, &f.operand, collection)
        }
    };
    result != negate
}

fn eval(op: Op, leaves: &[&Value], operand: &Operand, collection: bool) -> bool {
    match op {
        Op::Null => leaves.iter().all(|v| v.is_null()),
        Op::Empty => {
            leaves.is_empty() || leaves.iter().all(|v| size_of(v) == Some(0) || v.is_null())
        }
        Op::In => match operand {
            Operand::List(items) => leaves.iter().any(|leaf| {
                if collection {
                    leaf.as_array().is_some_and(|a| {
                        a.iter().any(|x| {
                            let id = x.get("id").unwrap_or(x);
                            items.iter().any(|i| scalar_match(Op::Eq, id, i))
                        })
                    })
                } else {
                    items.iter().any(|i| scalar_match(Op::Eq, leaf, i))
                }
            }),
            Operand::Size(n) => leaves.iter().any(|l| size_of(l) == Some(*n)),
            _ => false,
        },
        _ => {
            let Operand::One(v) = operand else {
                return false;
            };
            if collection && matches!(op, Op::Eq | Op::Gt | Op::Lt | Op::Ge | Op::Le) {
                let n = size_of_total(leaves);
                return scalar_match(op, &Value::from(n), v);
            }
            leaves.iter().any(|leaf| match leaf {
                Value::Array(items) => items
                    .iter()
                    .any(|x| scalar_match(op, x.get("id").unwrap_or(x), v)),
                other => scalar_match(op, other, v),
            })
        }
    }
}

fn size_of_total(leaves: &[&Value]) -> i64 {
    leaves.iter().filter_map(|v| size_of(v)).sum()
}

/// Whether an object passes all filters (AND) or any (OR); no filters pass everything.
pub(crate) fn matches_all<'a>(
    filters: &[Filter],
    or: bool,
    obj: &'a Value,
    resolve: &Resolver<'a>,
) -> bool {
    if filters.is_empty() {
        return true;
    }
    if or {
        filters.iter().any(|f| matches(f, obj, resolve))
    } else {
        filters.iter().all(|f| matches(f, obj, resolve))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn de() -> Option<&'static TypeSchema> {
        schema::by_plural("dataElements")
    }

    #[test]
    fn splits_like_dhis2() {
        assert_eq!(
            split("name:eq:a,code:like:b"),
            vec!["name:eq:a", "code:like:b"]
        );
        assert_eq!(
            split("id:in:[a,b,c],name:!null"),
            vec!["id:in:[a,b,c]", "name:!null"]
        );
        assert_eq!(
            split("lastUpdated:gt:2020-01-01T10:00"),
            vec!["lastUpdated:gt:2020-01-01T10:00"]
        );
        assert!(split("nonsense").is_empty());
    }

    #[test]
    fn errors_carry_dhis2_messages() {
        let e = |s: &str| parse_all([s], de(), true).unwrap_err().0;
        assert_eq!(e("name"), "Invalid filter => name");
        assert_eq!(e("name:foo:x"), "`foo` is not a valid operator.");
        assert_eq!(e("nope:eq:x"), "Unknown path property: nope");
        assert_eq!(
            e("attributeValues.value:eq:x"),
            "Unknown path property: attributeValues.value"
        );
        assert_eq!(e("id:in:[]"), "Invalid argument `[]` for in operator.");
        assert_eq!(
            e("zeroIsSignificant:eq:maybe"),
            "Unable to parse `maybe` as `Boolean`."
        );
        assert_eq!(e("legendSets:eq:x"), "Collection size must be integer `x`");
        assert_eq!(
            e("name.foo:eq:x"),
            "Simple type was found before finished parsing path expression, please check your path string."
        );
        let e41 = parse_all(["name:!empty"], de(), false).unwrap_err().0;
        assert_eq!(e41, "`!empty` is not a valid operator.");
        assert!(parse_all(["abcdefghijk:eq:x"], de(), true).is_ok());
    }

    #[test]
    fn evaluates_operators() {
        let obj = json!({"id": "a1234567890", "name": "ANC Visit", "code": "ANC1", "zeroIsSignificant": false,
                         "legendSets": [{"id": "l1"}, {"id": "l2"}], "categoryCombo": {"id": "cc000000001"}});
        let cc = json!({"id": "cc000000001", "name": "default"});
        let resolve = |id: &str| if id == "cc000000001" { Some(&cc) } else { None };
        let t = |f: &str| {
            let parsed = parse_all([f], de(), true).unwrap();
            matches_all(&parsed, false, &obj, &resolve)
        };
        for f in [
            "name:eq:ANC Visit",
            "name:ieq:anc visit",
            "name:!eq:x",
            "name:ne:x",
            "name:like:Visit",
            "name:!like:zzz",
            "name:$like:ANC",
            "name:like$:Visit",
            "name:ilike:visit",
            "name:$ilike:anc",
            "name:startsWith:anc",
            "name:ilike$:VISIT",
            "name:endsWith:visit",
            "name:!ilike:zz",
            "name:!$ilike:x",
            "name:!ilike$:x",
            "name:!$like:x",
            "name:!like$:x",
            "name:token:visit anc",
            "name:!token:zzz",
            "code:in:[ANC1,X]",
            "code:!in:[X]",
            "description:null",
            "name:!null",
            "legendSets:eq:2",
            "legendSets:gt:1",
            "legendSets:ge:2",
            "legendSets:lte:2",
            "legendSets:lt:3",
            "legendSets:!empty",
            "aggregationLevels:empty",
            "categoryCombo.name:eq:default",
            "legendSets.id:eq:l2",
            "legendSets.id:in:[l1]",
            "name:gt:AAA",
            "name:lt:ZZZ",
            "name:gte:ANC Visit",
            "name:le:ANC Visit",
            "zeroIsSignificant:eq:false",
            "identifiable:token:anc1",
        ] {
            assert!(t(f), "{f} should match");
        }
        for f in [
            "name:eq:anc visit",
            "name:like:visit",
            "code:in:[X]",
            "name:null",
            "legendSets:empty",
            "categoryCombo.name:eq:other",
            "legendSets:eq:3",
        ] {
            assert!(!t(f), "{f} should not match");
        }
        let both = parse_all(["name:eq:x", "code:eq:ANC1"], de(), true).unwrap();
        assert!(!matches_all(&both, false, &obj, &resolve));
        assert!(matches_all(&both, true, &obj, &resolve));
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(input in ".{0,200}", ne in proptest::bool::ANY) {
            let parsed = parse_all([input.as_str()], de(), ne);
            if let Ok(filters) = parsed {
                let obj = json!({"id": "a1234567890", "name": "x", "legendSets": [{"id": "l"}]});
                let resolve = |_: &str| None;
                let _ = matches_all(&filters, false, &obj, &resolve);
            }
            let _ = parse_all([input.as_str()], None, ne);
        }

        #[test]
        fn structured_filters_never_panic(path in "[a-zA-Z.]{0,30}", op in "[!$a-zA-Z]{0,10}", value in "[\\[\\],:a-z0-9 ]{0,30}") {
            let raw = format!("{path}:{op}:{value}");
            if let Ok(filters) = parse_all([raw.as_str()], de(), true) {
                let obj = json!({"id": "a1234567890", "name": "x", "code": "1"});
                let resolve = |_: &str| None;
                let _ = matches_all(&filters, true, &obj, &resolve);
            }
        }
    }
}
