//! [`Field`]: a tri-state value that tells "absent" from "explicit `null`" so models round-trip losslessly.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A JSON property that may be absent, explicitly `null`, or hold a value.
///
/// DHIS2 omits null properties almost everywhere but writes explicit `null`s in embedded user references
/// (`createdBy`, `lastUpdatedBy`, ...). Keeping the three states apart lets every model write back exactly what it
/// read. Use it with `#[serde(default, skip_serializing_if = "Field::is_absent")]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Field<T> {
    /// The key was not in the JSON object.
    #[default]
    Absent,
    /// The key was present with the value `null`.
    Null,
    /// The key was present with a value.
    Value(T),
}

impl<T> Field<T> {
    /// `true` when the key was absent (such fields are skipped when serialising).
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    /// `true` when the key was present with an explicit `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Field::Null)
    }

    /// `true` when a value is present.
    pub fn is_value(&self) -> bool {
        matches!(self, Field::Value(_))
    }

    /// The value, if any.
    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value mutably, if any.
    pub fn value_mut(&mut self) -> Option<&mut T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Converts into an `Option`, merging absent and null.
    pub fn into_option(self) -> Option<T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Borrows the value as `Field<&T>`.
    pub fn as_ref(&self) -> Field<&T> {
        match self {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Value(v) => Field::Value(v),
        }
    }

    /// Maps the contained value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Value(v) => Field::Value(f(v)),
        }
    }

    /// Sets the value.
    pub fn set(&mut self, value: T) {
        *self = Field::Value(value);
    }
}

impl<T: Copy> Field<T> {
    /// The value copied out, if any.
    pub fn get(&self) -> Option<T> {
        self.value().copied()
    }
}

impl Field<String> {
    /// The string value as `&str`, if any.
    pub fn as_str(&self) -> Option<&str> {
        self.value().map(String::as_str)
    }
}

impl<T> From<T> for Field<T> {
    fn from(value: T) -> Self {
        Field::Value(value)
    }
}

impl<T> From<Option<T>> for Field<T> {
    /// `None` becomes an explicit [`Field::Null`].
    fn from(value: Option<T>) -> Self {
        match value {
            Some(v) => Field::Value(v),
            None => Field::Null,
        }
    }
}

impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // Absent is normally skipped by `skip_serializing_if`; when it is not (e.g. inside a sequence),
            // null is the closest JSON has.
            Field::Absent | Field::Null => serializer.serialize_none(),
            Field::Value(v) => v.serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A present key reaches this point; a missing key uses `Default` (Absent) via `#[serde(default)]`.
        Ok(Option::<T>::deserialize(deserializer)?.into())
    }
}
