//! Support for [`lossless_model!`]: the object key type its `Deserialize` impls read keys into, and the decoder
//! of its list fields.
//!
//! serde's `#[serde(flatten)]` buffers every key and value of an object into an intermediate tree and then
//! deserializes the struct from that tree a second time, which made typed decoding slower than decoding into
//! `serde_json::Value`. The hand-written visitors of `lossless_model!` read each key once, dispatch known keys
//! straight into their field and put only unknown keys into `extra`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, SeqAccess, Visitor};

use super::Field;

/// An object key, borrowed from the input when the deserializer allows it (`serde_json::from_slice`/`from_str`
/// on keys without escapes), so matching a known key allocates nothing.
pub(crate) struct Key<'de>(Cow<'de, str>);

impl<'de> Key<'de> {
    /// The key text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as an owned `String` (for `extra`); allocates only when it was borrowed.
    pub(crate) fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                // A transient key (escaped, or from a reader): one copy, the same a `String` key would cost.
                Ok(Key(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Decodes a `Field<Vec<T>>` (`null` is [`Field::Null`]) into a buffer that ends at the list's length.
///
/// serde's `Vec` grows from nothing to four elements on its first push. Embedded lists of metadata
/// (`attributeValues`, `translations`, references) mostly hold one or two elements of 80-120 bytes each, so that
/// allocated three to four times the memory needed, which a long list of objects then writes, page-faults and
/// frees. This starts at one element, grows as `Vec` does, and gives back what is left over at the end.
pub(crate) struct VecField<T>(PhantomData<fn() -> T>);

impl<T> VecField<T> {
    pub(crate) fn new() -> Self {
        VecField(PhantomData)
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for VecField<T> {
    type Value = Field<Vec<T>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for VecField<T> {
    type Value = Field<Vec<T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Field::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Field::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer
            .deserialize_seq(ExactVec(PhantomData))
            .map(Field::Value)
    }
}

/// The list inside a [`VecField`].
struct ExactVec<T>(PhantomData<fn() -> T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ExactVec<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let Some(first) = seq.next_element()? else {
            return Ok(Vec::new());
        };
        // A size hint (not serde_json's) is trusted only so far, as serde does.
        let rest = seq.size_hint().unwrap_or(0).min(4096);
        let mut items = Vec::with_capacity(1 + rest);
        items.push(first);
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        if items.capacity() > items.len() {
            items.shrink_to_fit();
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Result<Field<Vec<u32>>, String> {
        VecField::new()
            .deserialize(&mut serde_json::Deserializer::from_str(text))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn lists_end_at_their_length_and_null_stays_null() {
        assert_eq!(decode("null"), Ok(Field::Null));
        for n in [0usize, 1, 2, 3, 5, 17, 600] {
            let items: Vec<u32> = (0..n as u32).collect();
            let got = decode(&serde_json::to_string(&items).unwrap()).unwrap();
            let got = got.into_option().unwrap();
            assert_eq!(got, items);
            assert_eq!(got.capacity(), n, "{n} elements");
        }
    }

    #[test]
    fn errors_read_as_serdes_own() {
        let ours = decode(r#"{"a":1}"#).unwrap_err();
        let theirs = serde_json::from_str::<Option<Vec<u32>>>(r#"{"a":1}"#)
            .unwrap_err()
            .to_string();
        assert_eq!(ours, theirs);
        let ours = decode("[1,\"x\"]").unwrap_err();
        let theirs = serde_json::from_str::<Option<Vec<u32>>>("[1,\"x\"]")
            .unwrap_err()
            .to_string();
        assert_eq!(ours, theirs);
    }
}
