//! Users (the `admin` superuser and a few staff accounts) and user roles.

use serde_json::{json, Value};

use super::common::{id_refs, identifiable, with_sharing, ADMIN_UID};
use super::rng::Rng;

/// Users and roles.
pub(crate) struct Users {
    pub(crate) users: Vec<Value>,
    pub(crate) roles: Vec<Value>,
}

const ROLES: &[(&str, &str, &[&str])] = &[
    ("Superuser", "Full access to everything", &["ALL"]),
    (
        "Data entry clerk",
        "Enters aggregate data for assigned facilities",
        &[
            "F_DATAVALUE_ADD",
            "F_DATAVALUE_DELETE",
            "M_dhis-web-aggregate-data-entry",
            "F_VIEW_UNAPPROVED_DATA",
        ],
    ),
    (
        "Data analyst",
        "Reads data and builds dashboards",
        &[
            "M_dhis-web-dashboard",
            "M_dhis-web-data-visualizer",
            "F_VIEW_UNAPPROVED_DATA",
        ],
    ),
    (
        "Metadata manager",
        "Maintains data elements, data sets and organisation units",
        &[
            "F_DATAELEMENT_PUBLIC_ADD",
            "F_DATASET_PUBLIC_ADD",
            "F_ORGANISATIONUNIT_ADD",
            "M_dhis-web-maintenance",
        ],
    ),
];

const STAFF: &[(&str, &str, usize)] = &[
    ("Aminata", "Kamara", 1),
    ("Mohamed", "Sesay", 1),
    ("Fatmata", "Conteh", 1),
    ("Ibrahim", "Bangura", 2),
    ("Mariama", "Jalloh", 2),
    ("Abdul", "Koroma", 3),
    ("Isatu", "Turay", 1),
    ("Joseph", "Kanu", 2),
];

/// Builds users and roles; users are attached to the given root and district org units.
pub(crate) fn build(country: &str, districts: &[String]) -> Users {
    let mut rng = Rng::new("users");
    let role_uids: Vec<String> = ROLES.iter().map(|_| rng.uid()).collect();
    let mut users = Vec::new();
    let mut members: Vec<Vec<String>> = vec![Vec::new(); ROLES.len()];

    let mut push_user = |rng: &mut Rng,
                         uid: String,
                         first: &str,
                         last: &str,
                         username: &str,
                         role: usize,
                         ou: &str| {
        let name = format!("{first} {last}");
        let mut u = identifiable(rng, &uid, None, &name, None);
        u.insert("username".into(), json!(username));
        u.insert("firstName".into(), json!(first));
        u.insert("surname".into(), json!(last));
        u.insert(
            "email".into(),
            json!(format!("{username}@kandoria-health.example")),
        );
        u.insert("disabled".into(), json!(false));
        u.insert("externalAuth".into(), json!(false));
        u.insert("userRoles".into(), id_refs([role_uids[role].as_str()]));
        u.insert("userGroups".into(), json!([]));
        u.insert("organisationUnits".into(), id_refs([ou]));
        u.insert("dataViewOrganisationUnits".into(), id_refs([ou]));
        u.insert("teiSearchOrganisationUnits".into(), json!([]));
        u.insert("lastLogin".into(), json!(rng.date_between(2024, 2025)));
        members[role].push(uid);
        users.push(Value::Object(u));
    };
    push_user(
        &mut rng,
        ADMIN_UID.to_string(),
        "John",
        "Traore",
        "admin",
        0,
        country,
    );
    for (i, (first, last, role)) in STAFF.iter().enumerate() {
        let uid = rng.uid();
        let username = format!(
            "{}.{}",
            first.to_ascii_lowercase(),
            last.to_ascii_lowercase()
        );
        let ou = districts
            .get(i * 5 % districts.len().max(1))
            .map_or(country, String::as_str);
        push_user(&mut rng, uid, first, last, &username, *role, ou);
    }

    let roles = ROLES
        .iter()
        .zip(&role_uids)
        .zip(&members)
        .map(|(((name, description, auths), uid), users)| {
            let mut r = identifiable(&mut rng, uid, None, name, None);
            r.insert("description".into(), json!(description));
            r.insert("authorities".into(), json!(auths));
            r.insert("restrictions".into(), json!([]));
            r.insert("users".into(), id_refs(users.iter().map(String::as_str)));
            with_sharing(&mut r, "rw------");
            Value::Object(r)
        })
        .collect();
    Users { users, roles }
}
