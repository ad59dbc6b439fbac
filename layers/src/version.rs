//! DHIS2 server versions ([`Dhis2Version`]) and the model-set keys they map to ([`VersionKey`]).
//!
//! Servers report `2.MM(.p(.h)?)?(-SUFFIX)?` where `MM` (the *second* number) is the DHIS2 major. The release
//! catalogue also uses the display form `MM.p.h` (first number >= 40 means it is the major). Both are accepted.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// A pre-release or build suffix after `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PreRelease {
    /// `-SNAPSHOT`: a development build.
    Snapshot,
    /// `-RCn`: release candidate `n`.
    Rc(u32),
    /// `-EMBARGOED`: a security release published before its fix is disclosed.
    Embargoed,
}

impl fmt::Display for PreRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PreRelease::Snapshot => f.write_str("SNAPSHOT"),
            PreRelease::Rc(n) => write!(f, "RC{n}"),
            PreRelease::Embargoed => f.write_str("EMBARGOED"),
        }
    }
}

/// A DHIS2 server version such as `2.42.6`, `2.40.2.1`, `2.44-SNAPSHOT` or `42.3.1`.
///
/// Equality and ordering ignore whether the version was written in the `2.MM` or `MM` form, and treat a missing
/// patch or hotfix part as `0`. A pre-release orders before the release it precedes; `EMBARGOED` after it.
#[derive(Debug, Clone)]
pub struct Dhis2Version {
    major: u32,
    patch: Option<u32>,
    hotfix: Option<u32>,
    pre: Option<PreRelease>,
    /// Written as `MM.p.h` (no leading `2.`); only affects `Display`.
    display_form: bool,
}

impl Dhis2Version {
    /// DHIS2 2.40.
    pub const V40: Dhis2Version = Dhis2Version::new(40, None, None);
    /// DHIS2 2.41.
    pub const V41: Dhis2Version = Dhis2Version::new(41, None, None);
    /// DHIS2 2.42.
    pub const V42: Dhis2Version = Dhis2Version::new(42, None, None);
    /// DHIS2 2.43.
    pub const V43: Dhis2Version = Dhis2Version::new(43, None, None);
    /// DHIS2 2.44.
    pub const V44: Dhis2Version = Dhis2Version::new(44, None, None);

    /// A release version `2.major(.patch(.hotfix))`.
    pub const fn new(major: u32, patch: Option<u32>, hotfix: Option<u32>) -> Self {
        Dhis2Version {
            major,
            patch,
            hotfix,
            pre: None,
            display_form: false,
        }
    }

    /// The same version with a pre-release suffix.
    pub fn with_pre_release(mut self, pre: Option<PreRelease>) -> Self {
        self.pre = pre;
        self
    }

    /// The DHIS2 major (the `42` of `2.42.6`).
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The patch part (the `6` of `2.42.6`), if present.
    pub fn patch(&self) -> Option<u32> {
        self.patch
    }

    /// The hotfix part (the `1` of `2.40.2.1`), if present.
    pub fn hotfix(&self) -> Option<u32> {
        self.hotfix
    }

    /// The suffix, if any.
    pub fn pre_release(&self) -> Option<&PreRelease> {
        self.pre.as_ref()
    }

    /// Whether this is a `-SNAPSHOT` build.
    pub fn is_snapshot(&self) -> bool {
        self.pre == Some(PreRelease::Snapshot)
    }

    /// The model-set key for this version (see [`VersionKey::select`]).
    pub fn key(&self, allow_fallback: bool) -> Result<VersionKey, VersionError> {
        VersionKey::select(self, allow_fallback)
    }

    fn cmp_key(&self) -> (u32, u32, u32, u8, u32) {
        // Pre-release rank: snapshot < RC < release < embargoed.
        let (rank, n) = match &self.pre {
            Some(PreRelease::Snapshot) => (0, 0),
            Some(PreRelease::Rc(n)) => (1, *n),
            None => (2, 0),
            Some(PreRelease::Embargoed) => (3, 0),
        };
        (
            self.major,
            self.patch.unwrap_or(0),
            self.hotfix.unwrap_or(0),
            rank,
            n,
        )
    }
}

impl PartialEq for Dhis2Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp_key() == other.cmp_key()
    }
}

impl Eq for Dhis2Version {}

impl Hash for Dhis2Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cmp_key().hash(state)
    }
}

impl PartialOrd for Dhis2Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Dhis2Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_key().cmp(&other.cmp_key())
    }
}

impl fmt::Display for Dhis2Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.display_form {
            f.write_str("2.")?;
        }
        write!(f, "{}", self.major)?;
        if let Some(p) = self.patch {
            write!(f, ".{p}")?;
            if let Some(h) = self.hotfix {
                write!(f, ".{h}")?;
            }
        }
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

const MAX_INPUT: usize = 64;

impl FromStr for Dhis2Version {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, VersionError> {
        let fail = |reason: &'static str| VersionError::Parse {
            input: truncate(input),
            reason,
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(fail("empty version string"));
        }
        if s.len() > MAX_INPUT {
            return Err(fail("version string too long"));
        }
        let (numbers, suffix) = match s.split_once('-') {
            Some((n, sfx)) => (n, Some(sfx)),
            None => (s, None),
        };
        let pre = match suffix {
            None => None,
            Some(sfx) => Some(
                parse_suffix(sfx)
                    .ok_or_else(|| fail("unknown suffix (expected SNAPSHOT, RCn or EMBARGOED)"))?,
            ),
        };
        let mut parts = Vec::with_capacity(4);
        for part in numbers.split('.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(fail("expected dot-separated numbers"));
            }
            parts.push(part.parse::<u32>().map_err(|_| fail("number too large"))?);
        }
        let (display_form, rest) = match parts.as_slice() {
            [2, rest @ ..] if !rest.is_empty() && rest.len() <= 3 => (false, rest),
            [2] => return Err(fail("missing major after `2.`")),
            [2, ..] => return Err(fail("too many parts (at most 2.MM.p.h)")),
            [first, ..] if *first >= 40 && parts.len() <= 3 => (true, &parts[..]),
            [first, ..] if *first >= 40 => return Err(fail("too many parts (at most MM.p.h)")),
            _ => return Err(fail("expected `2.MM...` or `MM.p.h` with MM >= 40")),
        };
        Ok(Dhis2Version {
            major: rest[0],
            patch: rest.get(1).copied(),
            hotfix: rest.get(2).copied(),
            pre,
            display_form,
        })
    }
}

fn parse_suffix(sfx: &str) -> Option<PreRelease> {
    let upper = sfx.to_ascii_uppercase();
    match upper.as_str() {
        "SNAPSHOT" => Some(PreRelease::Snapshot),
        "EMBARGOED" => Some(PreRelease::Embargoed),
        _ => {
            let n = upper.strip_prefix("RC")?;
            if n.is_empty() {
                return Some(PreRelease::Rc(0));
            }
            if !n.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            n.parse().ok().map(PreRelease::Rc)
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(MAX_INPUT).collect()
}

impl serde::Serialize for Dhis2Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Dhis2Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The model set a version is served with: `v40` .. `v44`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VersionKey {
    /// DHIS2 2.40.
    V40,
    /// DHIS2 2.41.
    V41,
    /// DHIS2 2.42.
    V42,
    /// DHIS2 2.43.
    V43,
    /// DHIS2 2.44.
    V44,
}

impl VersionKey {
    /// Every supported key, oldest first.
    pub const ALL: [VersionKey; 5] = [
        VersionKey::V40,
        VersionKey::V41,
        VersionKey::V42,
        VersionKey::V43,
        VersionKey::V44,
    ];

    /// `"v40"` .. `"v44"`.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionKey::V40 => "v40",
            VersionKey::V41 => "v41",
            VersionKey::V42 => "v42",
            VersionKey::V43 => "v43",
            VersionKey::V44 => "v44",
        }
    }

    /// The DHIS2 major (40 .. 44).
    pub fn major(self) -> u32 {
        match self {
            VersionKey::V40 => 40,
            VersionKey::V41 => 41,
            VersionKey::V42 => 42,
            VersionKey::V43 => 43,
            VersionKey::V44 => 44,
        }
    }

    /// The key for a major, if supported.
    pub fn from_major(major: u32) -> Option<VersionKey> {
        VersionKey::ALL.into_iter().find(|k| k.major() == major)
    }

    /// Picks the key for `version`. A major newer than the newest supported one maps to the newest key only when
    /// `allow_fallback` is set (the nearest lower supported key); an older major is never supported.
    pub fn select(
        version: &Dhis2Version,
        allow_fallback: bool,
    ) -> Result<VersionKey, VersionError> {
        if let Some(key) = VersionKey::from_major(version.major()) {
            return Ok(key);
        }
        let newest = VersionKey::V44;
        if version.major() > newest.major() && allow_fallback {
            return Ok(newest);
        }
        Err(VersionError::Unsupported {
            version: version.to_string(),
            fallback_possible: version.major() > newest.major(),
        })
    }
}

impl fmt::Display for VersionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VersionKey {
    type Err = VersionError;

    /// Accepts `v42`, `V42` or `42`.
    fn from_str(s: &str) -> Result<Self, VersionError> {
        let t = s.trim();
        let digits = t.strip_prefix(['v', 'V']).unwrap_or(t);
        digits
            .parse::<u32>()
            .ok()
            .and_then(VersionKey::from_major)
            .ok_or_else(|| VersionError::Parse {
                input: truncate(s),
                reason: "expected a version key v40 .. v44",
            })
    }
}

/// Why a version string or key was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// The string is not a DHIS2 version.
    #[error("invalid DHIS2 version {input:?}: {reason}")]
    Parse {
        /// The input (truncated to 64 characters).
        input: String,
        /// What was wrong.
        reason: &'static str,
    },
    /// The version parsed but no model set supports it.
    #[error(
        "DHIS2 version {version} is not supported (supported: 2.40 .. 2.44){}",
        if *fallback_possible { "; allow version fallback to use the v44 models" } else { "" }
    )]
    Unsupported {
        /// The version, as displayed.
        version: String,
        /// Whether allowing fallback would have selected a key.
        fallback_possible: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Dhis2Version {
        s.parse().unwrap()
    }

    #[test]
    fn parses_all_server_forms() {
        type Case = (
            &'static str,
            u32,
            Option<u32>,
            Option<u32>,
            Option<PreRelease>,
        );
        let cases: &[Case] = &[
            ("2.42.6", 42, Some(6), None, None),
            ("2.40.2.1", 40, Some(2), Some(1), None),
            (
                "2.42.5-SNAPSHOT",
                42,
                Some(5),
                None,
                Some(PreRelease::Snapshot),
            ),
            ("2.44-SNAPSHOT", 44, None, None, Some(PreRelease::Snapshot)),
            ("2.43.0-RC1", 43, Some(0), None, Some(PreRelease::Rc(1))),
            (
                "2.41.0-EMBARGOED",
                41,
                Some(0),
                None,
                Some(PreRelease::Embargoed),
            ),
            ("42.3.1", 42, Some(3), Some(1), None),
            ("43.0.0", 43, Some(0), Some(0), None),
            ("2.39", 39, None, None, None),
            (" 2.42.5.2 ", 42, Some(5), Some(2), None),
            (
                "2.43.1-snapshot",
                43,
                Some(1),
                None,
                Some(PreRelease::Snapshot),
            ),
        ];
        for (s, major, patch, hotfix, pre) in cases {
            let parsed = v(s);
            assert_eq!(parsed.major(), *major, "{s}");
            assert_eq!(parsed.patch(), *patch, "{s}");
            assert_eq!(parsed.hotfix(), *hotfix, "{s}");
            assert_eq!(parsed.pre_release(), pre.as_ref(), "{s}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "2.42.6",
            "2.40.2.1",
            "2.42.5-SNAPSHOT",
            "2.44-SNAPSHOT",
            "2.43.0-RC1",
            "2.41.0-EMBARGOED",
            "42.3.1",
        ] {
            assert_eq!(v(s).to_string(), s);
        }
    }

    #[test]
    fn garbage_is_rejected_with_a_clear_error() {
        for s in [
            "",
            "  ",
            "2",
            "2.",
            "2..1",
            ".42",
            "abc",
            "2.42.x",
            "2.42.1.1.1",
            "1.2.3",
            "39.1.0",
            "2.42-FOO",
            "2.42-RCx",
            "2.42-",
            "99999999999.1",
            "2.42 .1",
            "42.1.1.1",
        ] {
            let err = s.parse::<Dhis2Version>().unwrap_err();
            let msg = err.to_string();
            assert!(msg.starts_with("invalid DHIS2 version"), "{s}: {msg}");
        }
    }

    #[test]
    fn ordering_and_equality() {
        assert_eq!(v("2.42.3.1"), v("42.3.1"));
        assert!(v("2.42.5-SNAPSHOT") < v("2.42.5"));
        assert!(v("2.43.0-RC1") < v("2.43.0-RC2"));
        assert!(v("2.43.0-RC2") < v("2.43.0"));
        assert!(v("2.42.9") < v("2.43.0"));
        assert!(v("2.40.2") < v("2.40.2.1"));
        assert_eq!(Dhis2Version::V42, v("2.42"));
    }

    #[test]
    fn key_selection() {
        assert_eq!(VersionKey::select(&v("2.42.6"), false), Ok(VersionKey::V42));
        assert_eq!(
            VersionKey::select(&v("2.40.2.1"), false),
            Ok(VersionKey::V40)
        );
        assert_eq!(
            VersionKey::select(&v("2.44-SNAPSHOT"), false),
            Ok(VersionKey::V44)
        );
        assert_eq!(
            VersionKey::select(&v("43.0.0"), false).unwrap().as_str(),
            "v43"
        );
        // Newer than supported: only with fallback.
        let err = VersionKey::select(&v("2.45.0"), false).unwrap_err();
        assert!(err.to_string().contains("2.45.0"), "{err}");
        assert!(err.to_string().contains("fallback"), "{err}");
        assert_eq!(VersionKey::select(&v("2.45.0"), true), Ok(VersionKey::V44));
        // Older: never.
        assert!(VersionKey::select(&v("2.39.1"), true).is_err());
        assert!(!VersionKey::select(&v("2.39.1"), true)
            .unwrap_err()
            .to_string()
            .contains("fallback"));
    }

    #[test]
    fn key_parse_and_display() {
        assert_eq!("v42".parse::<VersionKey>(), Ok(VersionKey::V42));
        assert_eq!("44".parse::<VersionKey>(), Ok(VersionKey::V44));
        assert!("v39".parse::<VersionKey>().is_err());
        assert_eq!(VersionKey::V41.to_string(), "v41");
    }

    #[test]
    fn serde_round_trip() {
        let ver: Dhis2Version = serde_json::from_str("\"2.42.5-SNAPSHOT\"").unwrap();
        assert_eq!(serde_json::to_string(&ver).unwrap(), "\"2.42.5-SNAPSHOT\"");
        assert!(serde_json::from_str::<Dhis2Version>("\"nope\"").is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_strings_never_panic(s in ".*") {
            let _ = s.parse::<Dhis2Version>();
            let _ = s.parse::<VersionKey>();
        }

        #[test]
        fn generated_versions_round_trip(major in 40u32..60, patch in 0u32..100, hotfix in proptest::option::of(0u32..10)) {
            let s = match hotfix {
                Some(h) => format!("2.{major}.{patch}.{h}"),
                None => format!("2.{major}.{patch}"),
            };
            let parsed: Dhis2Version = s.parse().unwrap();
            proptest::prop_assert_eq!(parsed.to_string(), s);
        }
    }
}
