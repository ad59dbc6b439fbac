//! Merging the per-version schema documents into one model set.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::input::LoadedInput;
use crate::naming::{pascal_ident, plural, snake_ident};
use crate::Error;

/// Classes modelled by hand-written types in `dhis2::models`; no struct is generated for them.
const HAND_WRITTEN: &[(&str, Ty)] = &[
    ("org.hisp.dhis.security.acl.Access", Ty::Access),
    ("org.hisp.dhis.user.sharing.Sharing", Ty::Sharing),
    ("org.hisp.dhis.attribute.AttributeValue", Ty::AttrValues),
    ("org.hisp.dhis.attribute.AttributeValues", Ty::AttrValues),
    ("org.hisp.dhis.translation.Translation", Ty::Translation),
];

/// Names already taken in `dhis2::models` or the Rust prelude; generated items avoid them.
const RESERVED: &[&str] = &[
    "Option",
    "SecretString",
    "Result",
    "Vec",
    "String",
    "Box",
    "Some",
    "None",
    "Ok",
    "Err",
    "Field",
    "Extra",
    "Ref",
    "IdRef",
    "UserRef",
    "DhisDate",
    "Sharing",
    "Access",
    "AttributeValue",
    "Translation",
    "Resource",
    "TypeInfo",
    "FieldInfo",
    "FieldKind",
    "Status",
    "Uid",
    "Pager",
    "WebMessage",
    "Me",
    "SystemInfo",
    "ImportReport",
    "ImportSummary",
    "ObjectReport",
    "ErrorReport",
    "ErrorReports",
    "Notification",
    "JobStatus",
    "NotificationLevel",
    "ImportStatus",
    "Stats",
];

/// Text properties holding credentials; modelled as `SecretString` so `Debug` never shows them.
const SECRET_KEYS: &[&str] = &[
    "password",
    "secret",
    "clientSecret",
    "emailVerificationToken",
    "idToken",
    "restoreToken",
    "previousPasswords",
];

/// User references written with explicit nulls (WIRE 1.1).
const USER_REF_KEYS: &[&str] = &["createdBy", "lastUpdatedBy", "user"];

/// Collection field names whose JSON key is the plural of the item name, not the field name
/// (e.g. `DataElementGroup.members` is written as `dataElements`).
const GENERIC_COLLECTION_FIELDS: &[&str] = &[
    "items",
    "members",
    "optionCombos",
    "groups",
    "levels",
    "sources",
    "persistedPeriods",
    "programAttributes",
    "eventRepetitions",
    "codes",
    "notes",
];

/// The Rust type of a property.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ty {
    Str,
    Secret,
    Bool,
    Int,
    Number,
    Date,
    Enum(String),
    Ref(Option<String>),
    UserRef,
    Struct(String),
    Sharing,
    Access,
    AttrValues,
    Translation,
    Json,
    Vec(Box<Ty>),
}

pub(crate) struct EnumModel {
    pub(crate) klass: String,
    pub(crate) rust_name: String,
    pub(crate) values: Vec<String>,
}

pub(crate) struct PropModel {
    pub(crate) key: String,
    pub(crate) ident: String,
    pub(crate) ty: Ty,
    pub(crate) per_version: BTreeMap<String, Ty>,
    /// Descriptor of the newest version: property type, required, writable, max length.
    pub(crate) descriptor: String,
    pub(crate) doc: Option<String>,
}

pub(crate) struct TypeModel {
    pub(crate) klass: String,
    pub(crate) rust_name: String,
    pub(crate) singular: String,
    pub(crate) plural: String,
    pub(crate) endpoint: Option<String>,
    pub(crate) metadata: bool,
    pub(crate) display_name: String,
    pub(crate) versions: Vec<String>,
    pub(crate) props: Vec<PropModel>,
}

pub(crate) struct Merged {
    pub(crate) labels: Vec<String>,
    pub(crate) types: Vec<TypeModel>,
    pub(crate) enums: Vec<EnumModel>,
}

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn simple(klass: &str) -> &str {
    klass.rsplit('.').next().unwrap_or(klass)
}

/// Gives each class a unique Rust name: its simple name, else package segment + simple name.
fn assign_names(
    klasses: &BTreeSet<String>,
    taken: &mut BTreeSet<String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for klass in klasses {
        let base = match simple(klass) {
            "Option" => "DhisOption".to_owned(),
            other => pascal_ident(other),
        };
        let mut name = base.clone();
        if taken.contains(&name) || RESERVED.contains(&name.as_str()) {
            let pkg = klass.rsplit('.').nth(1).unwrap_or("x");
            name = format!("{}{base}", pascal_ident(pkg));
        }
        let mut n = 2;
        while taken.contains(&name) || RESERVED.contains(&name.as_str()) {
            name = format!("{base}{n}");
            n += 1;
        }
        taken.insert(name.clone());
        out.insert(klass.clone(), name);
    }
    out
}

fn constants(p: &Value) -> Vec<String> {
    p.get("constants")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// JSON key of a property: `name` for single values; for collections the field name, or the plural of the item
/// name for generic field names (the descriptors do not carry the collection name).
fn wire_key(p: &Value) -> Option<String> {
    let name = s(p, "name")?;
    let field = s(p, "fieldName").unwrap_or(name);
    if p.get("collection").and_then(Value::as_bool) != Some(true) || name == field {
        return Some(name.to_owned());
    }
    if GENERIC_COLLECTION_FIELDS.contains(&field) {
        Some(plural(name))
    } else {
        Some(field.to_owned())
    }
}

struct Ctx {
    structs: BTreeMap<String, String>,
    enums: BTreeMap<String, String>,
}

impl Ctx {
    fn complex(&self, klass: Option<&str>) -> Ty {
        let Some(klass) = klass else { return Ty::Json };
        if let Some((_, ty)) = HAND_WRITTEN.iter().find(|(k, _)| *k == klass) {
            return ty.clone();
        }
        match self.structs.get(klass) {
            Some(name) => Ty::Struct(name.clone()),
            None => Ty::Json,
        }
    }

    fn reference(&self, klass: Option<&str>) -> Ty {
        Ty::Ref(klass.and_then(|k| self.structs.get(k)).cloned())
    }

    fn scalar(&self, ptype: &str, klass: Option<&str>, p: &Value) -> Ty {
        match ptype {
            "TEXT" | "IDENTIFIER" | "URL" | "COLOR" | "EMAIL" | "PHONENUMBER" | "PASSWORD"
            | "GEOLOCATION" => match klass {
                Some("java.lang.Long" | "java.lang.Integer" | "java.lang.Double") => Ty::Number,
                Some("java.lang.Boolean") => Ty::Bool,
                _ => Ty::Str,
            },
            "BOOLEAN" => match klass {
                Some("java.lang.Boolean" | "boolean") | None => Ty::Bool,
                _ => Ty::Json,
            },
            "INTEGER" => Ty::Int,
            "NUMBER" => Ty::Number,
            "DATE" => Ty::Date,
            "CONSTANT" => match klass.and_then(|k| self.enums.get(k)) {
                Some(name) if !constants(p).is_empty() => Ty::Enum(name.clone()),
                _ => Ty::Str,
            },
            _ => Ty::Json,
        }
    }

    fn ty_of(&self, p: &Value, key: &str) -> Ty {
        let ty = self.ty_of_inner(p, key);
        let secret = s(p, "propertyType") == Some("PASSWORD") || SECRET_KEYS.contains(&key);
        match ty {
            Ty::Str if secret => Ty::Secret,
            Ty::Vec(inner) if secret && *inner == Ty::Str => Ty::Vec(Box::new(Ty::Secret)),
            other => other,
        }
    }

    fn ty_of_inner(&self, p: &Value, key: &str) -> Ty {
        let ptype = s(p, "propertyType").unwrap_or("");
        let klass = s(p, "klass");
        match ptype {
            "REFERENCE"
                if klass == Some("org.hisp.dhis.user.User") && USER_REF_KEYS.contains(&key) =>
            {
                Ty::UserRef
            }
            "REFERENCE" => self.reference(klass),
            "COMPLEX" => self.complex(klass),
            "COLLECTION" => {
                if klass.is_some_and(|k| k.ends_with("Map")) {
                    return Ty::Json;
                }
                let item_klass = s(p, "itemKlass");
                let item = match s(p, "itemPropertyType").unwrap_or("") {
                    "REFERENCE" => self.reference(item_klass),
                    "COMPLEX" => match self.complex(item_klass) {
                        Ty::AttrValues => return Ty::AttrValues,
                        other => other,
                    },
                    other => self.scalar(other, item_klass, p),
                };
                Ty::Vec(Box::new(item))
            }
            other => self.scalar(other, klass, p),
        }
    }
}

/// Combines the types a property has in different versions.
fn merge_ty(tys: &BTreeSet<&Ty>) -> Ty {
    let mut it = tys.iter();
    let Some(first) = it.next() else {
        return Ty::Json;
    };
    if tys.len() == 1 {
        return (*first).clone();
    }
    if tys.iter().all(|t| matches!(t, Ty::Int | Ty::Number)) {
        return Ty::Number;
    }
    if tys.iter().all(|t| matches!(t, Ty::Str | Ty::Enum(_))) {
        return Ty::Str;
    }
    if tys.iter().all(|t| matches!(t, Ty::Vec(_))) {
        return Ty::Vec(Box::new(Ty::Json));
    }
    Ty::Json
}

fn descriptor(p: &Value) -> String {
    let mut d = String::new();
    let ptype = s(p, "propertyType").unwrap_or("?");
    d.push('`');
    d.push_str(ptype);
    if let Some(item) = s(p, "itemPropertyType") {
        d.push_str(" of ");
        d.push_str(item);
    }
    d.push('`');
    if let Some(k) = s(p, "klass").or_else(|| s(p, "itemKlass")) {
        if k.starts_with("org.hisp") {
            d.push_str(&format!(" (`{}`)", s(p, "itemKlass").unwrap_or(k)));
        }
    }
    if p.get("required").and_then(Value::as_bool) == Some(true) {
        d.push_str(", required");
    }
    if p.get("writable").and_then(Value::as_bool) == Some(false) {
        d.push_str(", read-only");
    }
    if p.get("unique").and_then(Value::as_bool) == Some(true) {
        d.push_str(", unique");
    }
    if matches!(ptype, "TEXT" | "IDENTIFIER") {
        if let Some(max) = p
            .get("max")
            .and_then(Value::as_f64)
            .filter(|m| *m > 0.0 && *m < 1e9)
        {
            d.push_str(&format!(", max length {}", max as u64));
        }
    }
    d
}

struct TypeAcc {
    klass: String,
    latest: Value,
    versions: Vec<String>,
    /// key -> (label -> property descriptor)
    props: BTreeMap<String, BTreeMap<String, Value>>,
    docs: BTreeMap<String, String>,
}

pub(crate) fn merge(inputs: &[LoadedInput]) -> Result<Merged, Error> {
    let mut inputs: Vec<&LoadedInput> = inputs.iter().collect();
    inputs.sort_by(|a, b| a.label.cmp(&b.label));
    let labels: Vec<String> = inputs.iter().map(|i| i.label.clone()).collect();
    if labels.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::new(format!("duplicate version labels: {labels:?}")));
    }

    // Pass 1: classes and enum constants.
    let mut struct_klasses = BTreeSet::new();
    let mut enum_values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for input in &inputs {
        for (i, schema) in input.schemas.iter().enumerate() {
            let klass = s(schema, "klass")
                .ok_or_else(|| Error::new(format!("{}: schema #{i} has no klass", input.label)))?;
            if !HAND_WRITTEN.iter().any(|(k, _)| *k == klass) {
                struct_klasses.insert(klass.to_owned());
            }
            for p in schema
                .get("properties")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let is_const = s(p, "propertyType") == Some("CONSTANT");
                let item_const = s(p, "itemPropertyType") == Some("CONSTANT");
                let ek = if is_const {
                    s(p, "klass")
                } else if item_const {
                    s(p, "itemKlass")
                } else {
                    None
                };
                let values = constants(p);
                if let (Some(ek), false) = (ek, values.is_empty()) {
                    let entry = enum_values.entry(ek.to_owned()).or_default();
                    for v in values {
                        if !entry.contains(&v) {
                            entry.push(v);
                        }
                    }
                }
            }
        }
    }
    let mut taken = BTreeSet::new();
    let structs = assign_names(&struct_klasses, &mut taken);
    let enum_klasses: BTreeSet<String> = enum_values.keys().cloned().collect();
    let enums = assign_names(&enum_klasses, &mut taken);
    let ctx = Ctx { structs, enums };

    // Pass 2: properties per class and version.
    let mut accs: BTreeMap<String, TypeAcc> = BTreeMap::new();
    for input in &inputs {
        for schema in &input.schemas {
            let Some(klass) = s(schema, "klass") else {
                continue;
            };
            if !ctx.structs.contains_key(klass) {
                continue;
            }
            let acc = accs.entry(klass.to_owned()).or_insert_with(|| TypeAcc {
                klass: klass.to_owned(),
                latest: Value::Null,
                versions: Vec::new(),
                props: BTreeMap::new(),
                docs: BTreeMap::new(),
            });
            if acc.versions.contains(&input.label) {
                continue;
            }
            acc.versions.push(input.label.clone());
            let mut meta = schema.clone();
            if let Some(m) = meta.as_object_mut() {
                m.remove("properties");
            }
            acc.latest = meta;
            let mut props: Vec<&Value> = schema
                .get("properties")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .collect();
            props.sort_by_key(|p| (wire_key(p), s(p, "fieldName").map(str::to_owned)));
            let openapi_props = input
                .openapi
                .as_ref()
                .and_then(|o| o.get(simple(klass)))
                .and_then(|c| c.get("properties"))
                .and_then(Value::as_object);
            for p in props {
                let Some(key) = wire_key(p) else { continue };
                let per = acc.props.entry(key.clone()).or_default();
                if per.contains_key(&input.label) {
                    continue;
                }
                per.insert(input.label.clone(), p.clone());
                if let Some(doc) = openapi_props
                    .and_then(|o| o.get(&key))
                    .and_then(|x| s(x, "description"))
                {
                    acc.docs.insert(key, doc.to_owned());
                }
            }
        }
    }

    let mut types = Vec::new();
    for (klass, acc) in accs {
        let rust_name = ctx.structs.get(&klass).cloned().unwrap_or_default();
        let mut idents = BTreeSet::new();
        let mut props = Vec::new();
        for (key, per) in &acc.props {
            let per_version: BTreeMap<String, Ty> = per
                .iter()
                .map(|(label, p)| (label.clone(), ctx.ty_of(p, key)))
                .collect();
            let ty = merge_ty(&per_version.values().collect());
            let mut ident = snake_ident(key);
            let base = ident.clone();
            let mut n = 2;
            while !idents.insert(ident.clone()) {
                ident = format!("{base}_{n}");
                n += 1;
            }
            let newest = per.values().next_back().cloned().unwrap_or(Value::Null);
            props.push(PropModel {
                key: key.clone(),
                ident,
                ty,
                per_version,
                descriptor: descriptor(&newest),
                doc: acc.docs.get(key).cloned(),
            });
        }
        let latest = &acc.latest;
        types.push(TypeModel {
            klass: acc.klass.clone(),
            rust_name,
            singular: s(latest, "singular")
                .or_else(|| s(latest, "name"))
                .unwrap_or("")
                .to_owned(),
            plural: s(latest, "plural").unwrap_or("").to_owned(),
            endpoint: s(latest, "relativeApiEndpoint")
                .or_else(|| s(latest, "apiEndpoint"))
                .map(normalize_endpoint),
            metadata: latest
                .get("metadata")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            display_name: s(latest, "displayName")
                .unwrap_or(simple(&klass))
                .to_owned(),
            versions: acc.versions.clone(),
            props,
        });
    }
    types.sort_by(|a, b| a.rust_name.cmp(&b.rust_name));
    let mut enum_models: Vec<EnumModel> = enum_values
        .into_iter()
        .map(|(klass, values)| EnumModel {
            rust_name: ctx.enums.get(&klass).cloned().unwrap_or_default(),
            klass,
            values,
        })
        .collect();
    enum_models.sort_by(|a, b| a.rust_name.cmp(&b.rust_name));
    Ok(Merged {
        labels,
        types,
        enums: enum_models,
    })
}

/// `/api/x` from `/api/x`, `/x` or an absolute `https://host/ctx/api/x` (as a live server writes `apiEndpoint`).
fn normalize_endpoint(e: &str) -> String {
    if let Some(pos) = e.find("://") {
        let rest = &e[pos + 3..];
        return match rest.find("/api/") {
            Some(i) => rest[i..].to_owned(),
            None => rest
                .find('/')
                .map(|i| rest[i..].to_owned())
                .unwrap_or_default(),
        };
    }
    if e.starts_with("/api/") {
        e.to_owned()
    } else {
        format!("/api{}{e}", if e.starts_with('/') { "" } else { "/" })
    }
}
