//! The version profile: which DHIS2 release the emulator pretends to be, and every behaviour that depends on it.
//!
//! Accepts every version string DHIS2 servers report (`2.42.6`, `2.40.2.1`, `2.42.5-SNAPSHOT`, `2.44-SNAPSHOT`,
//! `2.43.0-RC1`) plus the display form `42.5.1` (WIRE.md section 2.4).

use std::fmt;

/// A parsed DHIS2 version together with the behaviours that follow from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionProfile {
    raw: String,
    major: u32,
    patch: u32,
    hotfix: Option<u32>,
    pre_release: Option<String>,
}

/// Why a version string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionParseError {
    input: String,
    reason: &'static str,
}

impl fmt::Display for VersionParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid DHIS2 version `{}`: {}", self.input, self.reason)
    }
}

impl std::error::Error for VersionParseError {}

impl VersionProfile {
    /// Parses a version string such as `2.42.6`, `2.40.2.1`, `2.44-SNAPSHOT` or `42.5.1`.
    ///
    /// Only majors 39 to 44 are emulated.
    pub fn parse(input: &str) -> Result<Self, VersionParseError> {
        let err = |reason| VersionParseError {
            input: input.to_string(),
            reason,
        };
        let trimmed = input.trim();
        let (numbers, pre) = match trimmed.split_once('-') {
            Some((n, p)) if !p.is_empty() => (n, Some(p.to_string())),
            Some(_) => return Err(err("empty pre-release suffix")),
            None => (trimmed, None),
        };
        let parts: Vec<u32> = numbers
            .split('.')
            .map(|p| p.parse::<u32>())
            .collect::<Result<_, _>>()
            .map_err(|_| err("expected dot-separated numbers"))?;
        // `2.MM(.p(.h)?)?` or the display form `MM.p(.h)?` (first number >= 40 is the major).
        let (major, rest) = match parts.as_slice() {
            [2, major, rest @ ..] => (*major, rest),
            [major, rest @ ..] if *major >= 40 => (*major, rest),
            _ => return Err(err("expected `2.MM[.p[.h]]` or `MM.p[.h]`")),
        };
        if rest.len() > 2 {
            return Err(err("too many version parts"));
        }
        if !(39..=44).contains(&major) {
            return Err(err("only DHIS2 2.39 to 2.44 are emulated"));
        }
        Ok(Self {
            raw: trimmed.to_string(),
            major,
            patch: rest.first().copied().unwrap_or(0),
            hotfix: rest.get(1).copied(),
            pre_release: pre,
        })
    }

    /// The version string exactly as `/api/system/info` reports it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The DHIS2 major (the second number of `2.42.6`, so `42`).
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The patch number (`6` in `2.42.6`; `0` when absent as in `2.44-SNAPSHOT`).
    pub fn patch(&self) -> u32 {
        self.patch
    }

    /// Whether this is a `-SNAPSHOT` build.
    pub fn is_snapshot(&self) -> bool {
        self.pre_release.as_deref() == Some("SNAPSHOT")
    }

    /// `2.43+` adds `sessionTimeout` and `capability` to system info.
    pub(crate) fn system_info_has_capability(&self) -> bool {
        self.major >= 43
    }

    /// The keys `/api/me` declares for this version (WIRE.md section 3), in a stable order.
    pub(crate) fn me_keys(&self) -> Vec<&'static str> {
        let mut keys = vec![
            "access",
            "authorities",
            "avatar",
            "birthday",
            "created",
            "dataSets",
            "dataViewOrganisationUnits",
            "displayName",
            "education",
            "email",
            "employer",
            "externalAccess",
            "facebookMessenger",
            "favorites",
            "firstName",
            "gender",
            "id",
            "interests",
            "introduction",
            "jobTitle",
            "languages",
            "lastUpdated",
            "name",
            "nationality",
            "organisationUnits",
            "phoneNumber",
            "programs",
            "settings",
            "sharing",
            "skype",
            "surname",
            "teiSearchOrganisationUnits",
            "telegram",
            "translations",
            "twitter",
            "userAccesses",
            "userCredentials",
            "userGroupAccesses",
            "userGroups",
            "userRoles",
            "username",
            "whatsApp",
        ];
        if self.major >= 40 {
            keys.push("impersonation");
        }
        if self.major >= 41 {
            keys.retain(|k| *k != "externalAccess");
            keys.push("patTokens");
            keys.push("attributeValues");
        }
        if self.major >= 42 {
            keys.retain(|k| *k != "userCredentials");
            keys.push("emailVerified");
            keys.push("twoFactorType");
        }
        if self.major >= 43 {
            keys.push("canImpersonate");
        }
        if self.major >= 44 {
            keys.retain(|k| *k != "favorites");
        }
        keys
    }

    /// The login page path used in 302 redirects of unauthenticated browser-style requests (WIRE.md 12.3).
    pub(crate) fn login_path(&self) -> &'static str {
        match self.major {
            39 | 40 => "/dhis-web-commons/security/login.action",
            41 => "/dhis-web-login",
            42 => "/dhis-web-login/",
            _ => "/login/",
        }
    }

    /// Whether `responseType` keeps the `WebMessageResponse` suffix (2.42.0-2.42.4.x and 2.43.0.x, WIRE.md 6.3).
    pub(crate) fn long_response_type(&self) -> bool {
        (self.major == 42 && self.patch <= 4) || (self.major == 43 && self.patch == 0)
    }

    /// The `responseType` for a response class given by its short name (`ObjectReport`, `ImportReport`, ...).
    pub(crate) fn response_type(&self, short: &str) -> String {
        let suffixed = matches!(
            short,
            "ObjectReport"
                | "ImportReport"
                | "ErrorReports"
                | "JobConfiguration"
                | "ImportCount"
                | "TrackerJob"
                | "TypeReport"
                | "FileResource"
        );
        if suffixed && self.long_response_type() {
            format!("{short}WebMessageResponse")
        } else {
            short.to_string()
        }
    }

    /// Data value imports run 2.43's pipeline (atomic reports, WARNING answered 200) from 2.43.
    pub(crate) fn new_data_value_pipeline(&self) -> bool {
        self.major >= 43
    }

    /// HTTP status of a data value import whose summary is `WARNING`: 409 up to 2.42, 200 from 2.43.
    pub(crate) fn data_value_warning_status(&self) -> u16 {
        if self.new_data_value_pipeline() {
            200
        } else {
            409
        }
    }

    /// From 2.44 a failed job's last notification stays open and the next poll closes it (WIRE.md 9.2).
    pub(crate) fn poll_closes_failed_jobs(&self) -> bool {
        self.major >= 44
    }

    /// 2.41+ validates PAT checksums before any lookup; 2.39/2.40 never do.
    pub(crate) fn validates_pat_checksum(&self) -> bool {
        self.major >= 41
    }

    /// `POST /api/auth/login` exists from 2.41.
    pub(crate) fn has_json_login(&self) -> bool {
        self.major >= 41
    }

    /// 404 answers carry `errorCode: E1005` from 2.40.
    pub(crate) fn not_found_has_error_code(&self) -> bool {
        self.major >= 40
    }

    /// List endpoints answer bad query parameters with 400 E1003 from 2.40 and 409 without a code on 2.39.
    pub(crate) fn query_error_is_bad_request(&self) -> bool {
        self.major >= 40
    }

    /// The `!empty` filter operator exists from 2.42.
    pub(crate) fn has_not_empty_operator(&self) -> bool {
        self.major >= 42
    }

    /// Field transformer names are case-insensitive only on master (2.44).
    pub(crate) fn case_insensitive_transformers(&self) -> bool {
        self.major >= 44
    }

    /// Whether external sharing (`sharing.external`, `access.externalize`) still exists (WIRE.md 13, "Sharing").
    pub(crate) fn has_external_sharing(&self) -> bool {
        match self.major {
            39 | 40 => true,
            41 => self.patch <= 8,
            42 => self.patch <= 5,
            _ => false,
        }
    }

    /// The highest `NN` accepted in versioned paths `/api/NN/...` (the lowest is 28).
    pub(crate) fn max_api_version(&self) -> u32 {
        match self.major {
            39 => 39,
            40..=42 => 42,
            m => m,
        }
    }

    /// Whether links from a versioned request keep `/api/NN` (2.39-2.42) or come back unversioned (2.43+).
    pub(crate) fn links_keep_api_version(&self) -> bool {
        self.major <= 42
    }

    /// The 7-character git revision reported for this build (derived from the version for determinism).
    pub(crate) fn revision(&self) -> String {
        let crc = crc32fast::hash(self.raw.as_bytes());
        format!("{:07x}", crc & 0x0fff_ffff)
    }
}

impl fmt::Display for VersionProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl std::str::FromStr for VersionProfile {
    type Err = VersionParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_servers_send() {
        for (s, major, patch) in [
            ("2.39.0", 39, 0),
            ("2.40.2.1", 40, 2),
            ("2.42.6", 42, 6),
            ("2.42.5-SNAPSHOT", 42, 5),
            ("2.44-SNAPSHOT", 44, 0),
            ("2.43.0-RC1", 43, 0),
            ("42.5.1", 42, 5),
            ("2.41", 41, 0),
        ] {
            let v = VersionProfile::parse(s).unwrap();
            assert_eq!((v.major(), v.patch()), (major, patch), "{s}");
            assert_eq!(v.as_str(), s);
        }
        assert!(VersionProfile::parse("2.44-SNAPSHOT")
            .unwrap()
            .is_snapshot());
    }

    #[test]
    fn rejects_garbage_and_unsupported_majors() {
        for s in [
            "",
            "abc",
            "2",
            "2.38.1",
            "2.45.0",
            "1.2.3",
            "2.42.1.2.3",
            "2.42-",
            "3.0",
        ] {
            assert!(VersionProfile::parse(s).is_err(), "{s}");
        }
        let e = VersionProfile::parse("2.38.1").unwrap_err().to_string();
        assert!(e.contains("2.38.1"), "{e}");
    }

    #[test]
    fn me_key_counts_match_wire() {
        let count = |s: &str| VersionProfile::parse(s).unwrap().me_keys().len();
        assert_eq!(count("2.39.1"), 42);
        assert_eq!(count("2.40.2.1"), 43);
        assert_eq!(count("2.41.10"), 44);
        assert_eq!(count("2.42.6"), 45);
        assert_eq!(count("2.43.2"), 46);
        assert_eq!(count("2.44-SNAPSHOT"), 45);
    }

    #[test]
    fn response_type_regression_window() {
        let rt = |s: &str| {
            VersionProfile::parse(s)
                .unwrap()
                .response_type("ObjectReport")
        };
        assert_eq!(rt("2.41.9"), "ObjectReport");
        assert_eq!(rt("2.42.0"), "ObjectReportWebMessageResponse");
        assert_eq!(rt("2.42.4.1"), "ObjectReportWebMessageResponse");
        assert_eq!(rt("2.42.5"), "ObjectReport");
        assert_eq!(rt("2.43.0.1"), "ObjectReportWebMessageResponse");
        assert_eq!(rt("2.43.1"), "ObjectReport");
        assert_eq!(rt("2.44-SNAPSHOT"), "ObjectReport");
        assert_eq!(
            VersionProfile::parse("2.42.0")
                .unwrap()
                .response_type("ImportSummary"),
            "ImportSummary"
        );
    }

    #[test]
    fn data_value_warning_status_switches_at_43() {
        let st = |s: &str| {
            VersionProfile::parse(s)
                .unwrap()
                .data_value_warning_status()
        };
        assert_eq!(st("2.42.6"), 409);
        assert_eq!(st("2.43.0"), 200);
    }
}
