//! [`Extra`]: the keys a model does not know, kept verbatim and in order, in one pointer when there are none.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The keys of a JSON object that a model has no field for, in the order the server sent them.
///
/// It dereferences to a `serde_json::Map<String, Value>` (`get`, `contains_key`, `keys`, `iter`, `insert`,
/// `extra["key"]`, ...), and converts from and into one. Unlike a map held inline (72 bytes with serde_json's
/// `preserve_order`, which this crate enables), it takes one pointer and allocates only when a key is stored:
/// almost every decoded object has no unknown keys, and every model and reference carries one of these, so a
/// long list decodes into less memory and frees fewer, smaller allocations (issue 11, section 6).
///
/// Two values are equal when their maps are (an empty `Extra` equals one that was emptied).
#[derive(Clone, Default)]
pub struct Extra(Option<Box<Map<String, Value>>>);

fn empty() -> &'static Map<String, Value> {
    static EMPTY: OnceLock<Map<String, Value>> = OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

impl Extra {
    /// No keys (allocates nothing).
    pub const fn new() -> Extra {
        Extra(None)
    }

    /// The keys as a map.
    pub fn as_map(&self) -> &Map<String, Value> {
        self.0.as_deref().unwrap_or_else(|| empty())
    }

    /// The keys as a mutable map (allocated on first use).
    pub fn as_map_mut(&mut self) -> &mut Map<String, Value> {
        self.0.get_or_insert_with(Box::default)
    }

    /// The keys as an owned map.
    pub fn into_map(self) -> Map<String, Value> {
        self.0.map(|m| *m).unwrap_or_default()
    }
}

impl Deref for Extra {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        self.as_map()
    }
}

impl DerefMut for Extra {
    fn deref_mut(&mut self) -> &mut Map<String, Value> {
        self.as_map_mut()
    }
}

impl PartialEq for Extra {
    fn eq(&self, other: &Extra) -> bool {
        self.as_map() == other.as_map()
    }
}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_map(), f)
    }
}

impl From<Map<String, Value>> for Extra {
    /// An empty map is stored as nothing.
    fn from(map: Map<String, Value>) -> Extra {
        if map.is_empty() {
            Extra(None)
        } else {
            Extra(Some(Box::new(map)))
        }
    }
}

impl From<Extra> for Map<String, Value> {
    fn from(extra: Extra) -> Map<String, Value> {
        extra.into_map()
    }
}

impl FromIterator<(String, Value)> for Extra {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Extra {
        Map::from_iter(iter).into()
    }
}

impl Extend<(String, Value)> for Extra {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        let mut iter = iter.into_iter().peekable();
        if iter.peek().is_some() {
            self.as_map_mut().extend(iter);
        }
    }
}

impl<'a> IntoIterator for &'a Extra {
    type Item = (&'a String, &'a Value);
    type IntoIter = serde_json::map::Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_map().iter()
    }
}

impl<'a> IntoIterator for &'a mut Extra {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = serde_json::map::IterMut<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_map_mut().iter_mut()
    }
}

impl IntoIterator for Extra {
    type Item = (String, Value);
    type IntoIter = serde_json::map::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        self.into_map().into_iter()
    }
}

impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_map().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Extra::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_costs_a_pointer_and_reads_as_an_empty_map() {
        assert_eq!(std::mem::size_of::<Extra>(), std::mem::size_of::<usize>());
        let e = Extra::new();
        assert!(e.is_empty());
        assert_eq!(e.get("x"), None);
        assert_eq!((&e).into_iter().count(), 0);
        assert_eq!(format!("{e:?}"), "{}");
        assert_eq!(serde_json::to_string(&e).unwrap(), "{}");
    }

    #[test]
    fn behaves_as_the_map_it_holds() {
        let mut e = Extra::new();
        e.insert("b".into(), json!(1));
        e.insert("a".into(), json!([true]));
        assert_eq!(e["b"], 1);
        assert!(e.contains_key("a"));
        let keys: Vec<&str> = e.keys().map(String::as_str).collect();
        assert_eq!(keys, ["b", "a"]);
        for (_, v) in &mut e {
            *v = Value::Null;
        }
        assert!(e["a"].is_null());
        let map: Map<String, Value> = e.clone().into();
        assert_eq!(Extra::from(map.clone()), e);
        assert_eq!(serde_json::to_value(&e).unwrap(), Value::Object(map));
        let back: Extra = serde_json::from_str(r#"{"b":null,"a":null}"#).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn emptied_equals_never_filled() {
        let mut e = Extra::new();
        e.insert("k".into(), json!(1));
        e.remove("k");
        assert_eq!(e, Extra::new());
        assert_eq!(Extra::from(Map::new()), Extra::default());
        let mut grown = Extra::new();
        grown.extend(Vec::new());
        assert_eq!(grown.0, None);
        grown.extend([("x".to_string(), json!(2))]);
        assert_eq!(grown["x"], 2);
        assert_eq!(
            [("x".to_string(), json!(2))].into_iter().collect::<Extra>(),
            grown
        );
    }
}
