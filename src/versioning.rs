//! Per-version behaviour: which keys and endpoints apply to the server the handshake found (WIRE 13).
//!
//! [`Dhis2Client::capabilities`] answers from the version `/api/system/info` reported, so callers (and the
//! accessors) can pick the right shape before sending anything:
//!
//! | area | v40 | v41 | v42 | v43 | v44 |
//! |---|---|---|---|---|---|
//! | `/api/me` `userCredentials` | yes | yes | no (flat keys) | no | no |
//! | `/api/me` `emailVerified`, `twoFactorType` | no | no | yes | yes | yes |
//! | `/api/me` `canImpersonate` | no | no | no | yes | yes |
//! | `/api/me` `favorites`, metadata `favorite(s)` | yes | yes | yes | yes | no |
//! | sharing `external` and `access.externalize` | yes | < 2.41.9 | < 2.42.6 | no | no |
//! | filter operator `!empty` | no | no | yes | yes | yes |
//! | JSON Patch only (no `application/json` partial PATCH) | no | yes | yes | yes | yes |
//! | old tracker endpoints (`/api/events`, `/api/trackedEntityInstances`, ...) | yes | yes | no | no | no |
//! | `responseType` with the `WebMessageResponse` suffix | no | no | 2.42.0-2.42.4 | 2.43.0 | no |
//! | list parameter `gist` | no | no | no | no | yes |
//! | `/api/NN/` versioned paths accepted up to | 42 | 42 | 42 | 43 | 44 |
//!
//! Snapshot builds of the 2.41 and 2.42 branches carry the backports, so they have no external sharing.
//! The typed resource accessors use these answers: `!empty` filters are refused before sending on servers that
//! would answer 400, and a type is refused on a version whose schema set lacks it (see
//! [`TypeInfo::versions`](crate::models::TypeInfo)).

use dhis2_layers::{Dhis2Version, PreRelease, VersionKey};

use crate::{Dhis2Client, Error};

/// What the connected server's version supports. Get it with [`Dhis2Client::capabilities`], or build it from any
/// version with [`Capabilities::for_version`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    version: Dhis2Version,
}

impl Dhis2Client {
    /// The per-version behaviour of the connected server. Fails before connect and with `skip_version_probe`.
    pub fn capabilities(&self) -> Result<Capabilities, Error> {
        Ok(Capabilities::for_version(self.version()?))
    }
}

impl Capabilities {
    /// The capabilities of `version`.
    pub fn for_version(version: Dhis2Version) -> Self {
        Capabilities { version }
    }

    /// The version these answers are for.
    pub fn version(&self) -> &Dhis2Version {
        &self.version
    }

    /// The model-set label (`v40` ... `v44`); versions above 2.44 map to `v44`, below 2.40 to `v40`.
    pub fn key(&self) -> VersionKey {
        let major = self.version.major().clamp(40, 44);
        VersionKey::from_major(major).unwrap_or(VersionKey::V44)
    }

    fn major(&self) -> u32 {
        self.version.major()
    }

    /// The patch number, `0` when absent.
    fn patch(&self) -> u32 {
        self.version.patch().unwrap_or(0)
    }

    /// `/api/me` carries a `userCredentials` object (2.39-2.41); from 2.42 only the flat keys exist.
    pub fn me_has_user_credentials(&self) -> bool {
        self.major() <= 41
    }

    /// `/api/me` has `emailVerified` and `twoFactorType` (2.42+).
    pub fn me_has_two_factor_type(&self) -> bool {
        self.major() >= 42
    }

    /// `/api/me` may carry `canImpersonate` (2.43+).
    pub fn me_has_can_impersonate(&self) -> bool {
        self.major() >= 43
    }

    /// `/api/me` `favorites` and the metadata `favorite`/`favorites` keys (dropped in 2.44).
    pub fn has_favorites(&self) -> bool {
        self.major() <= 43
    }

    /// Sharing objects carry `external` and `access` carries `externalize`: up to 2.40.x, 2.41.0-2.41.8.x and
    /// 2.42.0-2.42.5.x; not 2.41.9+, 2.42.6+, 2.43+, nor the 2.41/2.42 branch snapshots.
    pub fn has_external_sharing(&self) -> bool {
        let snapshot = matches!(self.version.pre_release(), Some(PreRelease::Snapshot));
        match self.major() {
            0..=40 => true,
            41 => !snapshot && self.patch() < 9,
            42 => !snapshot && self.patch() < 6,
            _ => false,
        }
    }

    /// The `!empty` filter operator exists (2.42+; 2.41 answers 400 `E1003`).
    pub fn supports_not_empty_filter(&self) -> bool {
        self.major() >= 42
    }

    /// `PATCH /api/{plural}/{uid}` with `application/json` (a legacy partial update answering 204) still exists
    /// (2.39 and 2.40 only); later versions accept only JSON Patch.
    pub fn supports_legacy_partial_patch(&self) -> bool {
        self.major() <= 40
    }

    /// The pre-2.42 tracker endpoints (`/api/events`, `/api/enrollments`, `/api/trackedEntityInstances`,
    /// `/api/relationships`) exist (through 2.41).
    pub fn has_old_tracker_endpoints(&self) -> bool {
        self.major() <= 41
    }

    /// `response.responseType` carries the `WebMessageResponse` suffix (2.42.0-2.42.4.x and 2.43.0.x). The
    /// client accepts both spellings; this only says which one to expect.
    pub fn response_type_has_suffix(&self) -> bool {
        match self.major() {
            42 => self.patch() <= 4,
            43 => self.patch() == 0,
            _ => false,
        }
    }

    /// Lists accept the `gist` parameter (2.44).
    pub fn supports_gist_param(&self) -> bool {
        self.major() >= 44
    }

    /// The highest `NN` accepted in versioned paths `/api/NN/...`.
    pub fn max_api_path_version(&self) -> u32 {
        self.major().max(42)
    }

    /// The model-set label used to check whether a generated type or property exists on this server (`v40`
    /// servers are checked against `v41`, the oldest schema set the models cover).
    pub(crate) fn schema_label(&self) -> &'static str {
        match self.key() {
            VersionKey::V40 => "v41",
            other => other.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(v: &str) -> Capabilities {
        Capabilities::for_version(v.parse().unwrap())
    }

    #[test]
    fn external_sharing_follows_the_tags() {
        assert!(caps("2.40.12").has_external_sharing());
        assert!(caps("2.41.8").has_external_sharing());
        assert!(!caps("2.41.9").has_external_sharing());
        assert!(caps("2.42.5").has_external_sharing());
        assert!(!caps("2.42.6").has_external_sharing());
        assert!(!caps("2.43.0").has_external_sharing());
        assert!(!caps("2.42-SNAPSHOT").has_external_sharing());
    }

    #[test]
    fn me_keys_per_version() {
        assert!(caps("2.41.3").me_has_user_credentials());
        assert!(!caps("2.42.1").me_has_user_credentials());
        assert!(caps("2.42.1").me_has_two_factor_type());
        assert!(!caps("2.42.1").me_has_can_impersonate());
        assert!(caps("2.43.2").me_has_can_impersonate());
        assert!(caps("2.43.2").has_favorites());
        assert!(!caps("2.44-SNAPSHOT").has_favorites());
    }

    #[test]
    fn other_rows() {
        assert!(!caps("2.41.10").supports_not_empty_filter());
        assert!(caps("2.42.0").supports_not_empty_filter());
        assert!(caps("2.42.4").response_type_has_suffix());
        assert!(!caps("2.42.5").response_type_has_suffix());
        assert!(caps("2.43.0").response_type_has_suffix());
        assert!(!caps("2.43.1").response_type_has_suffix());
        assert!(caps("2.40.3").supports_legacy_partial_patch());
        assert!(!caps("2.41.0").supports_legacy_partial_patch());
        assert!(caps("2.41.0").has_old_tracker_endpoints());
        assert!(!caps("2.42.0").has_old_tracker_endpoints());
        assert_eq!(caps("2.40.1").schema_label(), "v41");
        assert_eq!(caps("2.43.1").schema_label(), "v43");
        assert_eq!(caps("2.43.1").max_api_path_version(), 43);
        assert!(caps("2.44-SNAPSHOT").supports_gist_param());
    }
}
