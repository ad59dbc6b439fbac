//! The `fields` parameter (WIRE.md 11.1): parser and applier.
//!
//! Supports nesting (`a[b,c]`, also `a(b,c)`), `*`, the presets (`:all`, `:owner`, `:persisted`,
//! `:identifiable`, `:nameable`, `:idName`, `:id`, `:code`, `:simple`), exclusion (`!a`, also inside brackets)
//! and chainable transformers (`~rename(x)`, `~size`, `~isEmpty`, `~isNotEmpty`, `~pluck[(f)]`, `~keyBy[(f)]`;
//! unknown ones are ignored). Unknown field names are simply absent from the output. The parser never fails:
//! whatever cannot be understood is dropped, as DHIS2 drops unknown names.

use serde_json::{Map, Value};

/// Deepest bracket nesting honoured; deeper input is ignored rather than recursed into.
const MAX_DEPTH: usize = 32;

/// A field preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Preset {
    Owner,
    Identifiable,
    Nameable,
    IdName,
    Id,
    Code,
    Simple,
}

/// A value transformer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Transform {
    Rename(String),
    Size,
    IsEmpty,
    IsNotEmpty,
    Pluck(Option<String>),
    KeyBy(Option<String>),
}

/// One item of a field list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldItem {
    /// `*` or `:all`.
    All,
    /// A preset other than `:all`.
    Preset(Preset),
    /// `!name`.
    Exclude(String),
    /// A named field, with optional sub-fields and transformers.
    Field {
        name: String,
        children: Option<FieldSpec>,
        transforms: Vec<Transform>,
    },
}

/// A parsed `fields` value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct FieldSpec {
    pub(crate) items: Vec<FieldItem>,
}

/// Splits at top-level commas (ignoring commas inside `[]` and `()`).
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth: i32 = 0;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth = (depth - 1).max(0),
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// Given `s` starting with an opening bracket, returns (inner, rest after the matching close).
fn take_group(s: &str) -> (&str, &str) {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => {
                depth -= 1;
                if depth == 0 {
                    return (&s[1..i], &s[i + 1..]);
                }
            }
            _ => {}
        }
    }
    // Unclosed: everything after the opener is the group.
    (s.get(1..).unwrap_or(""), "")
}

fn parse_preset(name: &str) -> Option<FieldItem> {
    Some(match name {
        "all" | "*" => FieldItem::All,
        "owner" | "persisted" => FieldItem::Preset(Preset::Owner),
        "identifiable" => FieldItem::Preset(Preset::Identifiable),
        "nameable" => FieldItem::Preset(Preset::Nameable),
        "idName" => FieldItem::Preset(Preset::IdName),
        "id" => FieldItem::Preset(Preset::Id),
        "code" => FieldItem::Preset(Preset::Code),
        "simple" => FieldItem::Preset(Preset::Simple),
        _ => return None,
    })
}

fn parse_transform(name: &str, arg: Option<&str>, case_insensitive: bool) -> Option<Transform> {
    let n = if case_insensitive {
        name.to_ascii_lowercase()
    } else {
        name.to_string()
    };
    let eq = |x: &str| {
        if case_insensitive {
            n == x.to_ascii_lowercase()
        } else {
            n == x
        }
    };
    let arg = arg
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string);
    if eq("rename") {
        return arg.map(Transform::Rename);
    }
    if eq("size") {
        return Some(Transform::Size);
    }
    if eq("isEmpty") {
        return Some(Transform::IsEmpty);
    }
    if eq("isNotEmpty") {
        return Some(Transform::IsNotEmpty);
    }
    if eq("pluck") {
        return Some(Transform::Pluck(arg));
    }
    if eq("keyBy") {
        return Some(Transform::KeyBy(arg));
    }
    None
}

/// Parses a `fields` value. `case_insensitive_transformers` follows the version (2.44 only).
pub(crate) fn parse(input: &str, case_insensitive_transformers: bool) -> FieldSpec {
    parse_depth(input, case_insensitive_transformers, 0)
}

fn parse_depth(input: &str, ci: bool, depth: usize) -> FieldSpec {
    let mut items = Vec::new();
    if depth > MAX_DEPTH {
        return FieldSpec { items };
    }
    for raw in split_top(input) {
        let item = raw.trim();
        if item.is_empty() {
            continue;
        }
        if item == "*" {
            items.push(FieldItem::All);
            continue;
        }
        if let Some(rest) = item.strip_prefix('!') {
            let name: String = rest
                .chars()
                .take_while(|c| !matches!(c, '[' | '(' | '~' | '|'))
                .collect();
            let name = name.trim();
            if let Some(p) = name.strip_prefix(':') {
                // Excluding a preset is not meaningful; ignore it.
                let _ = p;
            } else if !name.is_empty() {
                items.push(FieldItem::Exclude(name.to_string()));
            }
            continue;
        }
        if let Some(p) = item.strip_prefix(':') {
            if let Some(it) = parse_preset(p.trim()) {
                items.push(it);
            }
            continue;
        }
        let name_end = item.find(['[', '(', '~', '|']).unwrap_or(item.len());
        // Old `name::rename(x)` syntax: treat `::` like `~`.
        let (name, mut rest) = match item[..name_end].find("::") {
            Some(i) => (&item[..i], &item[i + 1..]),
            None => (&item[..name_end], &item[name_end..]),
        };
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        let mut children = None;
        let mut transforms = Vec::new();
        if rest.starts_with(['[', '(']) {
            let (inner, after) = take_group(rest);
            children = Some(parse_depth(inner, ci, depth + 1));
            rest = after;
        }
        while let Some(r) = rest.strip_prefix(['~', '|', ':']) {
            let r = r.trim_start_matches(':');
            let tname_end = r.find(['[', '(', '~', '|', ':']).unwrap_or(r.len());
            let tname = &r[..tname_end];
            let mut after = &r[tname_end..];
            let mut arg = None;
            if after.starts_with(['[', '(']) {
                let (inner, a) = take_group(after);
                arg = Some(inner);
                after = a;
            }
            if let Some(t) = parse_transform(tname, arg, ci) {
                transforms.push(t);
            }
            if after.len() >= rest.len() {
                break;
            }
            rest = after;
        }
        items.push(FieldItem::Field {
            name: name.to_string(),
            children,
            transforms,
        });
    }
    FieldSpec { items }
}

/// Resolves references and computes derived properties while fields are applied.
pub(crate) struct FieldContext<'a> {
    /// Looks up an object by uid in any collection: `(plural, object)`.
    pub(crate) resolve: &'a dyn Fn(&str) -> Option<(&'a str, &'a Value)>,
    /// Absolute API base for `href` (e.g. `http://host/api`), if links are wanted.
    pub(crate) api_base: Option<&'a str>,
    /// Whether `access.externalize` is still part of `access`.
    pub(crate) externalize: bool,
}

/// Keys that are computed, not owned (dropped by `:owner`).
const COMPUTED: &[&str] = &[
    "displayName",
    "displayShortName",
    "displayDescription",
    "displayFormName",
    "access",
    "href",
    "favorite",
];

fn access_value(externalize: bool) -> Value {
    let mut m = Map::new();
    m.insert("manage".into(), true.into());
    if externalize {
        m.insert("externalize".into(), true.into());
    }
    for k in ["write", "read", "update", "delete"] {
        m.insert(k.into(), true.into());
    }
    Value::Object(m)
}

/// The value of one property, stored or computed. `plural` is the object's type when it is a metadata object.
fn property(
    obj: &Map<String, Value>,
    name: &str,
    plural: Option<&str>,
    ctx: &FieldContext<'_>,
) -> Option<Value> {
    if let Some(v) = obj.get(name) {
        return Some(v.clone());
    }
    let from = |k: &str| obj.get(k).cloned();
    match name {
        "displayName" => from("name"),
        "displayShortName" => from("shortName"),
        "displayDescription" => from("description"),
        "displayFormName" => from("formName").or_else(|| from("name")),
        "href" => {
            let (base, plural) = (ctx.api_base?, plural?);
            let id = obj.get("id")?.as_str()?;
            Some(Value::String(format!("{base}/{plural}/{id}")))
        }
        "access" if plural.is_some() => Some(access_value(ctx.externalize)),
        _ => None,
    }
}

fn all_keys(obj: &Map<String, Value>, plural: Option<&str>) -> Vec<String> {
    let mut keys: Vec<String> = obj.keys().cloned().collect();
    if plural.is_some() {
        for (computed, source) in [("displayName", "name"), ("displayShortName", "shortName")] {
            if obj.contains_key(source) && !obj.contains_key(computed) {
                keys.push(computed.to_string());
            }
        }
        if obj.contains_key("id") && !obj.contains_key("access") {
            keys.push("access".to_string());
        }
    }
    keys
}

fn preset_keys(p: Preset, obj: &Map<String, Value>) -> Vec<String> {
    let fixed: &[&str] = match p {
        Preset::Identifiable => &[
            "id",
            "name",
            "code",
            "created",
            "lastUpdated",
            "lastUpdatedBy",
        ],
        Preset::Nameable => &[
            "id",
            "name",
            "shortName",
            "description",
            "code",
            "created",
            "lastUpdated",
        ],
        Preset::IdName => &["id", "displayName"],
        Preset::Id => &["id"],
        Preset::Code => &["code"],
        Preset::Owner => {
            return obj
                .keys()
                .filter(|k| !COMPUTED.contains(&k.as_str()))
                .cloned()
                .collect()
        }
        Preset::Simple => {
            return obj
                .iter()
                .filter(|(k, v)| !v.is_object() && !v.is_array() && !COMPUTED.contains(&k.as_str()))
                .map(|(k, _)| k.clone())
                .collect()
        }
    };
    fixed.iter().map(|s| s.to_string()).collect()
}

/// Applies sub-fields to a nested value: references (`{"id": ...}`) are resolved to the full object first.
fn apply_nested(spec: &FieldSpec, v: &Value, ctx: &FieldContext<'_>) -> Value {
    match v {
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| apply_nested(spec, i, ctx)).collect())
        }
        Value::Object(m) => {
            let resolved = m
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| (ctx.resolve)(id));
            match resolved {
                Some((plural, full)) => apply(spec, full, Some(plural), ctx),
                None => apply(spec, v, None, ctx),
            }
        }
        other => other.clone(),
    }
}

fn transform(t: &Transform, v: Value) -> Value {
    match t {
        Transform::Rename(_) => v,
        Transform::Size => match &v {
            Value::Array(a) => a.len().into(),
            Value::String(s) => s.chars().count().into(),
            Value::Object(m) => m.len().into(),
            _ => v,
        },
        Transform::IsEmpty | Transform::IsNotEmpty => {
            let empty = match &v {
                Value::Array(a) => a.is_empty(),
                Value::String(s) => s.is_empty(),
                Value::Object(m) => m.is_empty(),
                Value::Null => true,
                _ => false,
            };
            Value::Bool(if matches!(t, Transform::IsEmpty) {
                empty
            } else {
                !empty
            })
        }
        Transform::Pluck(field) => {
            let f = field.as_deref().unwrap_or("id");
            match v {
                Value::Array(a) => {
                    Value::Array(a.into_iter().filter_map(|x| x.get(f).cloned()).collect())
                }
                Value::Object(m) => m.get(f).cloned().unwrap_or(Value::Null),
                other => other,
            }
        }
        Transform::KeyBy(field) => {
            let f = field.as_deref().unwrap_or("id");
            match v {
                Value::Array(a) => {
                    let mut out = Map::new();
                    for x in a {
                        if let Some(k) = x.get(f).map(|k| match k {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        }) {
                            out.insert(k, x);
                        }
                    }
                    Value::Object(out)
                }
                other => other,
            }
        }
    }
}

/// Applies `spec` to an object. `plural` names its metadata type, enabling `href`, `access` and `display*`.
pub(crate) fn apply(
    spec: &FieldSpec,
    value: &Value,
    plural: Option<&str>,
    ctx: &FieldContext<'_>,
) -> Value {
    let Some(obj) = value.as_object() else {
        return value.clone();
    };
    let mut out = Map::new();
    let mut excluded: Vec<&str> = Vec::new();
    for item in &spec.items {
        match item {
            FieldItem::All => {
                for k in all_keys(obj, plural) {
                    if !out.contains_key(&k) {
                        if let Some(v) = property(obj, &k, plural, ctx) {
                            out.insert(k, v);
                        }
                    }
                }
            }
            FieldItem::Preset(p) => {
                for k in preset_keys(*p, obj) {
                    if !out.contains_key(&k) {
                        if let Some(v) = property(obj, &k, plural, ctx) {
                            out.insert(k, v);
                        }
                    }
                }
            }
            FieldItem::Exclude(name) => excluded.push(name),
            FieldItem::Field {
                name,
                children,
                transforms,
            } => {
                let Some(mut v) = property(obj, name, plural, ctx) else {
                    continue;
                };
                if let Some(children) = children {
                    v = apply_nested(children, &v, ctx);
                }
                let mut key = name.clone();
                for t in transforms {
                    if let Transform::Rename(n) = t {
                        key = n.clone();
                    }
                    v = transform(t, v);
                }
                out.insert(key, v);
            }
        }
    }
    for name in excluded {
        out.shift_remove(name);
    }
    Value::Object(out)
}

/// Whether the spec is exactly `id,displayName` or `:idName`, for which lists take a fast path.
pub(crate) fn is_id_display_name(spec: &FieldSpec) -> bool {
    let plain = |i: &FieldItem, n: &str| matches!(i, FieldItem::Field { name, children: None, transforms } if name == n && transforms.is_empty());
    match spec.items.as_slice() {
        [FieldItem::Preset(Preset::IdName)] => true,
        [a, b] => plain(a, "id") && plain(b, "displayName"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn none(_: &str) -> Option<(&'static str, &'static Value)> {
        None
    }

    fn ctx<'a>(resolve: &'a dyn Fn(&str) -> Option<(&'a str, &'a Value)>) -> FieldContext<'a> {
        FieldContext {
            resolve,
            api_base: Some("http://h/api"),
            externalize: false,
        }
    }

    #[test]
    fn parses_nesting_presets_exclusions_and_transformers() {
        let s = parse(
            "id,children[id,name~rename(n)],:nameable,!code,a~size~rename(b),*",
            false,
        );
        assert_eq!(s.items.len(), 6);
        assert!(
            matches!(&s.items[1], FieldItem::Field { name, children: Some(c), .. } if name == "children" && c.items.len() == 2)
        );
        assert_eq!(s.items[3], FieldItem::Exclude("code".into()));
        assert!(
            matches!(&s.items[4], FieldItem::Field { transforms, .. } if transforms == &vec![Transform::Size, Transform::Rename("b".into())])
        );
        assert_eq!(s.items[5], FieldItem::All);
    }

    #[test]
    fn transformer_case_follows_version() {
        let cs = parse("a~SIZE", false);
        assert!(
            matches!(&cs.items[0], FieldItem::Field { transforms, .. } if transforms.is_empty())
        );
        let ci = parse("a~SIZE", true);
        assert!(
            matches!(&ci.items[0], FieldItem::Field { transforms, .. } if transforms == &vec![Transform::Size])
        );
    }

    #[test]
    fn applies_to_objects() {
        let obj = json!({"id": "abcdefghijk", "name": "N", "code": "C", "kids": [{"id": "x"}, {"id": "y"}]});
        let c = ctx(&none);
        let out = apply(
            &parse("id,displayName,href,kids~size,nope", false),
            &obj,
            Some("things"),
            &c,
        );
        assert_eq!(
            out,
            json!({"id": "abcdefghijk", "displayName": "N", "href": "http://h/api/things/abcdefghijk", "kids": 2})
        );
        let out = apply(
            &parse(":all,!kids,!access", false),
            &obj,
            Some("things"),
            &c,
        );
        assert_eq!(
            out,
            json!({"id": "abcdefghijk", "name": "N", "code": "C", "displayName": "N"})
        );
        let out = apply(
            &parse("kids~pluck~rename(ids),kids~isEmpty", false),
            &obj,
            None,
            &c,
        );
        assert_eq!(out, json!({"ids": ["x", "y"], "kids": false}));
    }

    #[test]
    fn nested_references_are_resolved() {
        let parent = json!({"id": "p0000000001", "name": "Parent", "level": 1});
        let child = json!({"id": "c0000000001", "parent": {"id": "p0000000001"}});
        let resolve = |uid: &str| {
            if uid == "p0000000001" {
                Some(("organisationUnits", &parent))
            } else {
                None
            }
        };
        let c = ctx(&resolve);
        let out = apply(
            &parse("parent[name,level]", false),
            &child,
            Some("organisationUnits"),
            &c,
        );
        assert_eq!(out, json!({"parent": {"name": "Parent", "level": 1}}));
        let out = apply(
            &parse("parent", false),
            &child,
            Some("organisationUnits"),
            &c,
        );
        assert_eq!(out, json!({"parent": {"id": "p0000000001"}}));
    }

    #[test]
    fn odd_input_never_panics() {
        for s in [
            "",
            "[",
            "]",
            "a[",
            "a[b[c",
            "~",
            "!",
            ":",
            "a~rename(",
            "a]]]",
            ",,,",
            "a~~~",
            "a::",
            "é[ü~ß(",
            "((((",
        ] {
            let _ = parse(s, false);
            let _ = parse(s, true);
        }
        let deep = "a[".repeat(10_000);
        let _ = parse(&deep, false);
    }

    proptest::proptest! {
        #[test]
        fn parser_and_applier_never_panic(input in ".{0,200}", ci in proptest::bool::ANY) {
            let spec = parse(&input, ci);
            let obj = json!({"id": "abcdefghijk", "name": "N", "kids": [{"id": "x"}], "o": {"a": 1}});
            let _ = apply(&spec, &obj, Some("things"), &ctx(&none));
        }

        #[test]
        fn bracket_soup_never_panics(input in "[a-z\\[\\]()~!:,*|]{0,300}") {
            let spec = parse(&input, false);
            let obj = json!({"a": [{"b": 1}], "c": "d"});
            let _ = apply(&spec, &obj, None, &ctx(&none));
        }
    }
}
