//! Support for [`lossless_model!`]: the object key type its `Deserialize` impls read keys into.
//!
//! serde's `#[serde(flatten)]` buffers every key and value of an object into an intermediate tree and then
//! deserializes the struct from that tree a second time, which made typed decoding slower than decoding into
//! `serde_json::Value`. The hand-written visitors of `lossless_model!` read each key once, dispatch known keys
//! straight into their field and put only unknown keys into `extra`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

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
