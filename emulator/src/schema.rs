//! The type registry: plural and singular names, Java class, required and unique properties, and every
//! property's kind (with the target type of references) for the metadata types the emulator serves.
//!
//! `schema_table.txt` was derived from DHIS2 2.42's `/api/schemas` (one line per type:
//! `plural|singular|klass|required|unique|name:kind[:targetPlural],...`, kinds `t` text, `i` integer, `n` number,
//! `b` boolean, `d` date, `r` reference, `c` collection, `x` complex). Types not listed (e.g. brought in by
//! `--import`) are served without property checks.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The kind of a property, as far as filtering, ordering and validation care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Integer,
    Number,
    Boolean,
    Date,
    /// A reference to one object of the named type (`""` when the target is not a served type).
    Reference(&'static str),
    /// A collection; of references when the target type is given.
    Collection(Option<&'static str>),
    /// An embedded object or anything else.
    Complex,
}

/// One property of a type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Property {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
}

/// One metadata type.
#[derive(Debug)]
pub(crate) struct TypeSchema {
    pub(crate) plural: &'static str,
    /// Fully qualified Java class, as `klass` in reports.
    pub(crate) klass: &'static str,
    pub(crate) required: Vec<&'static str>,
    pub(crate) unique: Vec<&'static str>,
    pub(crate) properties: Vec<Property>,
}

impl TypeSchema {
    /// The simple class name (`DataElement`), as in 404 messages.
    pub(crate) fn class_name(&self) -> &'static str {
        self.klass.rsplit('.').next().unwrap_or(self.klass)
    }

    /// A property by JSON name.
    pub(crate) fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }
}

static TABLE: &str = include_str!("schema_table.txt");

struct Registry {
    types: Vec<TypeSchema>,
    by_plural: HashMap<&'static str, usize>,
}

fn parse_kind(kind: &'static str, target: Option<&'static str>) -> Kind {
    match kind {
        "t" => Kind::Text,
        "i" => Kind::Integer,
        "n" => Kind::Number,
        "b" => Kind::Boolean,
        "d" => Kind::Date,
        "r" => Kind::Reference(target.unwrap_or("")),
        "c" => Kind::Collection(target),
        _ => Kind::Complex,
    }
}

fn list(s: &'static str) -> Vec<&'static str> {
    s.split(',').filter(|x| !x.is_empty()).collect()
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let mut types = Vec::new();
    for line in TABLE.lines() {
        let cols: Vec<&'static str> = line.split('|').collect();
        // The singular name (second column) is not needed yet.
        let [plural, _singular, klass, required, unique, props] = cols.as_slice() else {
            continue;
        };
        let properties = props
            .split(',')
            .filter_map(|p| {
                let mut it = p.split(':');
                let name = it.next().filter(|n| !n.is_empty())?;
                let kind = it.next().unwrap_or("x");
                Some(Property {
                    name,
                    kind: parse_kind(kind, it.next()),
                })
            })
            .collect();
        types.push(TypeSchema {
            plural,
            klass,
            required: list(required),
            unique: list(unique),
            properties,
        });
    }
    let by_plural = types
        .iter()
        .enumerate()
        .map(|(i, t)| (t.plural, i))
        .collect();
    Registry { types, by_plural }
});

/// The schema of a type by plural name (`dataElements`).
pub(crate) fn by_plural(plural: &str) -> Option<&'static TypeSchema> {
    let r = &*REGISTRY;
    r.by_plural.get(plural).map(|&i| &r.types[i])
}

/// The Java class of a type, also for unregistered ones (a plausible `org.hisp.dhis.<lower>.<Upper>`).
pub(crate) fn klass_of(plural: &str) -> String {
    match by_plural(plural) {
        Some(t) => t.klass.to_string(),
        None => {
            let class = class_name_of(plural);
            format!("org.hisp.dhis.{}.{}", class.to_lowercase(), class)
        }
    }
}

/// The simple class name of a type, also for unregistered ones (`things` -> `Thing`).
pub(crate) fn class_name_of(plural: &str) -> String {
    if let Some(t) = by_plural(plural) {
        return t.class_name().to_string();
    }
    let singular = plural
        .strip_suffix("ies")
        .map(|s| format!("{s}y"))
        .or_else(|| plural.strip_suffix('s').map(str::to_string))
        .unwrap_or_else(|| plural.to_string());
    let mut c = singular.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_knows_core_types() {
        let de = by_plural("dataElements").unwrap();
        assert_eq!(de.class_name(), "DataElement");
        assert!(de.required.contains(&"name") && de.required.contains(&"valueType"));
        assert!(de.unique.contains(&"code"));
        assert_eq!(
            de.property("categoryCombo").unwrap().kind,
            Kind::Reference("categoryCombos")
        );
        let ou = by_plural("organisationUnits").unwrap();
        assert_eq!(
            ou.property("parent").unwrap().kind,
            Kind::Reference("organisationUnits")
        );
        assert_eq!(ou.property("level").unwrap().kind, Kind::Integer);
        assert!(matches!(
            ou.property("children").unwrap().kind,
            Kind::Collection(Some("organisationUnits"))
        ));
        assert!(REGISTRY.types.len() > 40);
        assert_eq!(class_name_of("widgets"), "Widget");
        assert_eq!(klass_of("categories"), "org.hisp.dhis.category.Category");
    }
}
