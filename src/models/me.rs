//! [`Me`]: `GET /api/me` (WIRE 3), across the versions' key sets.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{DhisDate, Extra, Field, IdRef};

/// The current user, from `GET /api/me`.
///
/// Versions differ (WIRE 3): up to 2.41 a `userCredentials` object carries the credential fields (2.41 also has
/// them flat); from 2.42 only the flat keys exist. [`Me::username`] is resolved from the top-level `username`,
/// else `userCredentials.username`. Everything not modelled here is kept in `extra`, and encoding writes back the
/// keys that were read (a top-level `username` is only added when it was present or the value was changed).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Me {
    /// Login name, from whichever place this version puts it (empty if neither has it).
    pub username: String,
    /// User UID.
    pub id: Field<String>,
    /// Display name.
    pub display_name: Field<String>,
    /// Full name.
    pub name: Field<String>,
    /// First name.
    pub first_name: Field<String>,
    /// Surname.
    pub surname: Field<String>,
    /// Email address.
    pub email: Field<String>,
    /// Whether the email is verified (2.42+).
    pub email_verified: Field<bool>,
    /// Phone number.
    pub phone_number: Field<String>,
    /// Creation time.
    pub created: Field<DhisDate>,
    /// Last update time.
    pub last_updated: Field<DhisDate>,
    /// Authorities (plain strings, e.g. `ALL`).
    pub authorities: Field<Vec<String>>,
    /// User roles (only those the caller may read on newer builds).
    pub user_roles: Field<Vec<IdRef>>,
    /// User groups.
    pub user_groups: Field<Vec<IdRef>>,
    /// Data capture organisation units.
    pub organisation_units: Field<Vec<IdRef>>,
    /// Data view organisation units.
    pub data_view_organisation_units: Field<Vec<IdRef>>,
    /// Tracked entity search organisation units.
    pub tei_search_organisation_units: Field<Vec<IdRef>>,
    /// Program UIDs (plain strings).
    pub programs: Field<Vec<String>>,
    /// Data set UIDs (plain strings).
    pub data_sets: Field<Vec<String>>,
    /// User settings (`keyUiLocale`, `keyDbLocale`, ...).
    pub settings: Field<Map<String, Value>>,
    /// Access flags of the caller on this user.
    pub access: Field<Value>,
    /// Legacy credentials object (2.39-2.41 only; its `username` feeds [`Me::username`]).
    pub user_credentials: Field<Map<String, Value>>,
    /// Two-factor state (2.42+), e.g. `NOT_ENABLED`, `TOTP_ENABLED`.
    pub two_factor_type: Field<String>,
    /// The original user while impersonating (2.40+).
    pub impersonation: Field<String>,
    /// Present, as `true`, when the user may impersonate (2.43+).
    pub can_impersonate: Field<bool>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
    /// Whether the JSON had a top-level `username` (and whether it was null), so encoding writes back what was read.
    username_top_level: Field<()>,
}

#[derive(Default)]
struct MeRaw {
    username: Field<String>,
    id: Field<String>,
    display_name: Field<String>,
    name: Field<String>,
    first_name: Field<String>,
    surname: Field<String>,
    email: Field<String>,
    email_verified: Field<bool>,
    phone_number: Field<String>,
    created: Field<DhisDate>,
    last_updated: Field<DhisDate>,
    authorities: Field<Vec<String>>,
    user_roles: Field<Vec<IdRef>>,
    user_groups: Field<Vec<IdRef>>,
    organisation_units: Field<Vec<IdRef>>,
    data_view_organisation_units: Field<Vec<IdRef>>,
    tei_search_organisation_units: Field<Vec<IdRef>>,
    programs: Field<Vec<String>>,
    data_sets: Field<Vec<String>>,
    settings: Field<Map<String, Value>>,
    access: Field<Value>,
    user_credentials: Field<Map<String, Value>>,
    two_factor_type: Field<String>,
    impersonation: Field<String>,
    can_impersonate: Field<bool>,
    extra: Extra,
}

lossless_model! {
    MeRaw {
        username: "username",
        id: "id",
        display_name: "displayName",
        name: "name",
        first_name: "firstName",
        surname: "surname",
        email: "email",
        email_verified: "emailVerified",
        phone_number: "phoneNumber",
        created: "created",
        last_updated: "lastUpdated",
        authorities: "authorities" vec,
        user_roles: "userRoles" vec,
        user_groups: "userGroups" vec,
        organisation_units: "organisationUnits" vec,
        data_view_organisation_units: "dataViewOrganisationUnits" vec,
        tei_search_organisation_units: "teiSearchOrganisationUnits" vec,
        programs: "programs" vec,
        data_sets: "dataSets" vec,
        settings: "settings",
        access: "access",
        user_credentials: "userCredentials",
        two_factor_type: "twoFactorType",
        impersonation: "impersonation",
        can_impersonate: "canImpersonate",
    }
}

impl Me {
    /// `userCredentials.username`, when present.
    fn credentials_username(&self) -> Option<&str> {
        self.user_credentials.value()?.get("username")?.as_str()
    }

    /// `true` when the user has authority `auth` or `ALL`.
    pub fn has_authority(&self, auth: &str) -> bool {
        self.authorities
            .value()
            .is_some_and(|a| a.iter().any(|x| x == auth || x == "ALL"))
    }
}

impl From<MeRaw> for Me {
    fn from(raw: MeRaw) -> Me {
        let from_creds = raw
            .user_credentials
            .value()
            .and_then(|c| c.get("username"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let username_top_level = raw.username.as_ref().map(|_| ());
        let username = raw
            .username
            .into_option()
            .or(from_creds)
            .unwrap_or_default();
        Me {
            username,
            username_top_level,
            id: raw.id,
            display_name: raw.display_name,
            name: raw.name,
            first_name: raw.first_name,
            surname: raw.surname,
            email: raw.email,
            email_verified: raw.email_verified,
            phone_number: raw.phone_number,
            created: raw.created,
            last_updated: raw.last_updated,
            authorities: raw.authorities,
            user_roles: raw.user_roles,
            user_groups: raw.user_groups,
            organisation_units: raw.organisation_units,
            data_view_organisation_units: raw.data_view_organisation_units,
            tei_search_organisation_units: raw.tei_search_organisation_units,
            programs: raw.programs,
            data_sets: raw.data_sets,
            settings: raw.settings,
            access: raw.access,
            user_credentials: raw.user_credentials,
            two_factor_type: raw.two_factor_type,
            impersonation: raw.impersonation,
            can_impersonate: raw.can_impersonate,
            extra: raw.extra,
        }
    }
}

impl From<Me> for MeRaw {
    fn from(me: Me) -> MeRaw {
        let changed = me
            .credentials_username()
            .map_or(!me.username.is_empty(), |c| c != me.username);
        let username = match me.username_top_level {
            Field::Value(()) => Field::Value(me.username.clone()),
            Field::Null if !changed => Field::Null,
            _ if changed => Field::Value(me.username.clone()),
            _ => Field::Absent,
        };
        MeRaw {
            username,
            id: me.id,
            display_name: me.display_name,
            name: me.name,
            first_name: me.first_name,
            surname: me.surname,
            email: me.email,
            email_verified: me.email_verified,
            phone_number: me.phone_number,
            created: me.created,
            last_updated: me.last_updated,
            authorities: me.authorities,
            user_roles: me.user_roles,
            user_groups: me.user_groups,
            organisation_units: me.organisation_units,
            data_view_organisation_units: me.data_view_organisation_units,
            tei_search_organisation_units: me.tei_search_organisation_units,
            programs: me.programs,
            data_sets: me.data_sets,
            settings: me.settings,
            access: me.access,
            user_credentials: me.user_credentials,
            two_factor_type: me.two_factor_type,
            impersonation: me.impersonation,
            can_impersonate: me.can_impersonate,
            extra: me.extra,
        }
    }
}

impl Serialize for Me {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MeRaw::from(self.clone()).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Me {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        MeRaw::deserialize(deserializer).map(Me::from)
    }
}
