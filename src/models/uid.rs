//! [`Uid`]: DHIS2's 11-character identifiers (`^[a-zA-Z][a-zA-Z0-9]{10}$`).

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The 62-character alphabet DHIS2 draws UIDs from.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Letters only: the first character of a UID is never a digit.
const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// Length of every UID.
pub const UID_LEN: usize = 11;

/// A validated DHIS2 UID: 11 ASCII alphanumerics, the first a letter.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uid(String);

/// Why a string is not a valid [`Uid`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UidError {
    /// Wrong number of characters.
    #[error("invalid uid {value:?}: expected 11 characters, got {len}")]
    Length {
        /// The rejected input.
        value: String,
        /// Its length in characters.
        len: usize,
    },
    /// The first character is not an ASCII letter.
    #[error("invalid uid {value:?}: the first character must be an ASCII letter")]
    FirstNotLetter {
        /// The rejected input.
        value: String,
    },
    /// A character outside `[a-zA-Z0-9]`.
    #[error("invalid uid {value:?}: character {ch:?} at position {position} is not an ASCII letter or digit")]
    BadChar {
        /// The rejected input.
        value: String,
        /// The offending character.
        ch: char,
        /// Its character position (0-based).
        position: usize,
    },
}

impl Uid {
    /// Generates a fresh random UID using the thread-local CSPRNG (`rand::thread_rng`, seeded from the OS).
    pub fn generate() -> Uid {
        Self::generate_with(&mut rand::thread_rng())
    }

    /// Generates a UID from the given random source (use a CSPRNG outside tests).
    pub fn generate_with<R: Rng + ?Sized>(rng: &mut R) -> Uid {
        let mut s = String::with_capacity(UID_LEN);
        s.push(char::from(LETTERS[rng.gen_range(0..LETTERS.len())]));
        for _ in 1..UID_LEN {
            s.push(char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]));
        }
        Uid(s)
    }

    /// Checks a string against DHIS2's UID rule without allocating.
    pub fn validate(value: &str) -> Result<(), UidError> {
        let len = value.chars().count();
        if len != UID_LEN {
            return Err(UidError::Length {
                value: value.to_owned(),
                len,
            });
        }
        for (position, ch) in value.chars().enumerate() {
            if position == 0 && !ch.is_ascii_alphabetic() {
                return Err(UidError::FirstNotLetter {
                    value: value.to_owned(),
                });
            }
            if !ch.is_ascii_alphanumeric() {
                return Err(UidError::BadChar {
                    value: value.to_owned(),
                    ch,
                    position,
                });
            }
        }
        Ok(())
    }

    /// `true` when `value` is a valid UID.
    pub fn is_valid(value: &str) -> bool {
        Self::validate(value).is_ok()
    }

    /// Validates and wraps a string.
    pub fn parse(value: impl Into<String>) -> Result<Uid, UidError> {
        let value = value.into();
        Self::validate(&value)?;
        Ok(Uid(value))
    }

    /// The UID as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The UID as an owned `String`.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uid({})", self.0)
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Uid {
    type Err = UidError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uid::parse(s)
    }
}

impl TryFrom<String> for Uid {
    type Error = UidError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Uid::parse(value)
    }
}

impl TryFrom<&str> for Uid {
    type Error = UidError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Uid::parse(value)
    }
}

impl AsRef<str> for Uid {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Uid> for String {
    fn from(uid: Uid) -> String {
        uid.0
    }
}

impl PartialEq<str> for Uid {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Uid {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl Serialize for Uid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Uid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Uid::parse(s).map_err(serde::de::Error::custom)
    }
}
