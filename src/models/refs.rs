//! References to other objects: typed [`Ref<T>`], untyped [`IdRef`], and [`UserRef`] with its explicit nulls.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::lossless::Key;
use super::{Extra, Field, Uid, UidError};
use crate::json::{ObjectBuilder, ValueSeed};

/// A reference to an object of type `T`: `{"id": "..."}` plus whatever other fields the request asked for.
///
/// `T` only documents (and type-checks) what the reference points at; the JSON is the same for every `T`.
pub struct Ref<T: ?Sized = ()> {
    /// The referenced object's id (a UID for most types; period ids and a few others are not UIDs).
    pub id: Field<String>,
    /// Other keys (e.g. `name`, `code`, `displayName` when `fields` asked for them), kept verbatim in order.
    pub extra: Extra,
    _to: PhantomData<fn() -> T>,
}

/// A reference whose target type is not tracked.
pub type IdRef = Ref<()>;

impl<T: ?Sized> Ref<T> {
    /// A reference with just an id.
    pub fn new(id: impl Into<String>) -> Self {
        Ref {
            id: Field::Value(id.into()),
            extra: Extra::new(),
            _to: PhantomData,
        }
    }

    /// The id, if present.
    pub fn id(&self) -> Option<&str> {
        self.id.as_str()
    }

    /// The id validated as a [`Uid`]; `None` when absent.
    pub fn uid(&self) -> Option<Result<Uid, UidError>> {
        self.id().map(Uid::parse)
    }

    /// A string-valued extra key such as `name` or `displayName`.
    pub fn extra_str(&self, key: &str) -> Option<&str> {
        self.extra.get(key).and_then(Value::as_str)
    }

    /// Re-types the reference (the JSON is unchanged).
    pub fn cast<U: ?Sized>(self) -> Ref<U> {
        Ref {
            id: self.id,
            extra: self.extra,
            _to: PhantomData,
        }
    }
}

impl<T: ?Sized> From<Uid> for Ref<T> {
    fn from(uid: Uid) -> Self {
        Ref::new(uid.into_string())
    }
}

impl<T: ?Sized> From<&Uid> for Ref<T> {
    fn from(uid: &Uid) -> Self {
        Ref::new(uid.as_str())
    }
}

impl<T: ?Sized> From<&str> for Ref<T> {
    fn from(id: &str) -> Self {
        Ref::new(id)
    }
}

// Manual impls: derives would wrongly require `T: Clone` etc.
impl<T: ?Sized> Clone for Ref<T> {
    fn clone(&self) -> Self {
        Ref {
            id: self.id.clone(),
            extra: self.extra.clone(),
            _to: PhantomData,
        }
    }
}

impl<T: ?Sized> PartialEq for Ref<T> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.extra == other.extra
    }
}

impl<T: ?Sized> Default for Ref<T> {
    fn default() -> Self {
        Ref {
            id: Field::Absent,
            extra: Extra::new(),
            _to: PhantomData,
        }
    }
}

// Written out (not `lossless_model!`) because of the type parameter; same rules: keys read once, `id` into its
// field, every other key into `extra` in order, the last of duplicate keys wins.
impl<T: ?Sized> Serialize for Ref<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if !self.id.is_absent() {
            map.serialize_entry("id", &self.id)?;
        }
        for (key, value) in &self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, T: ?Sized> Deserialize<'de> for Ref<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RefVisitor<T: ?Sized>(PhantomData<fn() -> T>);

        impl<'de, T: ?Sized> Visitor<'de> for RefVisitor<T> {
            type Value = Ref<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object (a reference such as {\"id\": \"...\"})")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ref<T>, A::Error> {
                let mut out = Ref::default();
                let mut extra = ObjectBuilder::new();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    if key.as_str() == "id" {
                        out.id = map.next_value()?;
                    } else {
                        let value = map.next_value_seed(ValueSeed)?;
                        extra.push(key.into_string(), value);
                    }
                }
                out.extra = extra.into_extra();
                Ok(out)
            }
        }

        deserializer.deserialize_map(RefVisitor(PhantomData))
    }
}

impl<T: ?Sized> fmt::Debug for Ref<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Ref");
        d.field("id", &self.id);
        if !self.extra.is_empty() {
            d.field("extra", &self.extra);
        }
        d.finish()
    }
}

/// An embedded user reference (`createdBy`, `lastUpdatedBy`, `user`).
///
/// DHIS2 writes all five keys with explicit `null`s (WIRE 1.1), e.g.
/// `{"id": "GOLswS44mh8", "code": null, "name": "Tom Wakiki", "displayName": "Tom Wakiki", "username": "system"}`;
/// [`Field`] keeps those nulls. Tracker objects use `uid` instead of `id`; it lands in `extra`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserRef {
    /// User UID.
    pub id: Field<String>,
    /// User code.
    pub code: Field<String>,
    /// Full name.
    pub name: Field<String>,
    /// Display name.
    pub display_name: Field<String>,
    /// Login name.
    pub username: Field<String>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    UserRef {
        id: "id",
        code: "code",
        name: "name",
        display_name: "displayName",
        username: "username",
    }
}

impl UserRef {
    /// The user's id (`id`, or `uid` as tracker objects write it).
    pub fn id(&self) -> Option<&str> {
        self.id
            .as_str()
            .or_else(|| self.extra.get("uid").and_then(Value::as_str))
    }
}
