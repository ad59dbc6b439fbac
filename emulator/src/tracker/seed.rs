//! Deterministic tracker seed: one person program with a few thousand tracked entities, their enrollments,
//! two events each and a relationship for every tenth person.
//!
//! Generated lazily on the first tracker request from a fixed-seed PRNG, so every emulator answers the same data.

use serde_json::{json, Value};

/// The tracked entity type of every seeded tracked entity ("Person").
pub(crate) const TRACKED_ENTITY_TYPE: &str = "nEenWmSyUEp";
/// The seeded tracker program ("Child Programme").
pub(crate) const PROGRAM: &str = "IpHINAT79UW";
/// The first stage of the seeded program ("Birth").
pub(crate) const STAGE_BIRTH: &str = "A03MvHHogjR";
/// The second stage of the seeded program ("Baby Postnatal").
pub(crate) const STAGE_POSTNATAL: &str = "ZzYYXq4fJie";
/// The seeded relationship type ("Mother-Child").
pub(crate) const RELATIONSHIP_TYPE: &str = "dDrh5UyCyvQ";
/// First-name attribute.
pub(crate) const ATTR_FIRST_NAME: &str = "w75KJ2mc4zz";
/// Last-name attribute.
pub(crate) const ATTR_LAST_NAME: &str = "zDhUuAYrxNC";
/// Data element recorded in every event ("Apgar score").
pub(crate) const DE_APGAR: &str = "a3kGcGDCuk6";
/// Data element recorded in every event ("Weight (g)").
pub(crate) const DE_WEIGHT: &str = "UXz7xuGCEhU";
/// The default attribute option combo.
const DEFAULT_AOC: &str = "HllvX50cXC0";
/// The default category option.
const DEFAULT_CO: &str = "xYerKDKCefk";

/// Number of seeded tracked entities: enough for export to span many pages at the default page size.
pub(crate) const TRACKED_ENTITY_COUNT: usize = 2_500;

const FIRST_NAMES: &[&str] = &[
    "Aminata", "Fatmata", "Isatu", "Mariama", "Hawa", "Kadiatu", "Mohamed", "Ibrahim", "Abu",
    "Alusine", "Sorie", "Foday", "Jane", "John", "Grace", "Peter",
];
const LAST_NAMES: &[&str] = &[
    "Kamara", "Sesay", "Koroma", "Bangura", "Conteh", "Turay", "Jalloh", "Kargbo", "Mansaray",
    "Fofanah",
];

/// The admin user as tracker writes it (`uid`, not `id`).
pub(crate) fn admin_user() -> Value {
    json!({"uid": "M5zQapPyTZI", "username": "admin", "firstName": "admin", "surname": "admin"})
}

/// A small splitmix64 generator: deterministic, dependency-free and good enough for seed data.
pub(crate) struct Prng(u64);

impl Prng {
    /// A generator started from `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A DHIS2 UID: 11 characters, a letter first.
    pub(crate) fn uid(&mut self) -> String {
        const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let mut s = String::with_capacity(11);
        s.push(LETTERS[self.below(LETTERS.len() as u64) as usize] as char);
        for _ in 0..10 {
            s.push(ALNUM[self.below(ALNUM.len() as u64) as usize] as char);
        }
        s
    }
}

/// All tracker objects, flat, in creation order.
#[derive(Debug, Default)]
pub(crate) struct TrackerData {
    pub(crate) tracked_entities: Vec<Value>,
    pub(crate) enrollments: Vec<Value>,
    pub(crate) events: Vec<Value>,
    pub(crate) relationships: Vec<Value>,
}

/// A date `day` days after 2023-01-01 (no calendar subtleties: 28-day months keep every date valid).
fn date(day: u64, millis: u64) -> String {
    let year = 2023 + day / 336;
    let month = (day % 336) / 28 + 1;
    let dom = day % 28 + 1;
    let secs = millis / 1000;
    format!(
        "{year:04}-{month:02}-{dom:02}T{:02}:{:02}:{:02}.{:03}",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60,
        millis % 1000
    )
}

/// The current time as tracker writes it (`2024-05-01T10:11:12.345`, no zone).
pub(crate) fn now_string() -> String {
    crate::web::format_date(std::time::SystemTime::now())
}

/// Generates the seed; `org_units` are the org units to spread records over (synthetic ones when empty).
pub(crate) fn generate(org_units: &[String]) -> TrackerData {
    let mut rng = Prng::new(0x0074_7261_636b_6572); // "tracker"
    let fallback: Vec<String>;
    let org_units: &[String] = if org_units.is_empty() {
        fallback = (0..20).map(|_| rng.uid()).collect();
        &fallback
    } else {
        org_units
    };
    let mut data = TrackerData::default();
    let mut te_ids = Vec::with_capacity(TRACKED_ENTITY_COUNT);
    for i in 0..TRACKED_ENTITY_COUNT as u64 {
        let te = rng.uid();
        let enrollment = rng.uid();
        let ou = &org_units[rng.below(org_units.len() as u64) as usize];
        let day = rng.below(600);
        let created = date(day, rng.below(86_400_000));
        let first = FIRST_NAMES[rng.below(FIRST_NAMES.len() as u64) as usize];
        let last = LAST_NAMES[rng.below(LAST_NAMES.len() as u64) as usize];
        let attributes = json!([
            {"attribute": ATTR_FIRST_NAME, "displayName": "First name", "createdAt": created, "updatedAt": created,
             "valueType": "TEXT", "value": first},
            {"attribute": ATTR_LAST_NAME, "displayName": "Last name", "createdAt": created, "updatedAt": created,
             "valueType": "TEXT", "value": last},
        ]);
        data.tracked_entities.push(json!({
            "trackedEntity": te, "trackedEntityType": TRACKED_ENTITY_TYPE,
            "createdAt": created, "createdAtClient": created, "updatedAt": created, "updatedAtClient": created,
            "orgUnit": ou, "inactive": false, "deleted": false, "potentialDuplicate": false,
            "createdBy": admin_user(), "updatedBy": admin_user(),
            "attributes": attributes,
            "programOwners": [{"orgUnit": ou, "trackedEntity": te, "program": PROGRAM}],
        }));
        data.enrollments.push(json!({
            "enrollment": enrollment, "createdAt": created, "createdAtClient": created, "updatedAt": created,
            "updatedAtClient": created, "trackedEntity": te, "program": PROGRAM,
            "status": if i % 3 == 0 { "COMPLETED" } else { "ACTIVE" }, "orgUnit": ou,
            "enrolledAt": date(day, 0), "occurredAt": date(day, 0), "followUp": false, "deleted": false,
            "createdBy": admin_user(), "updatedBy": admin_user(), "attributes": [], "notes": [],
        }));
        for (n, stage) in [STAGE_BIRTH, STAGE_POSTNATAL].into_iter().enumerate() {
            let occurred = date(day + 7 * n as u64, 0);
            data.events.push(json!({
                "event": rng.uid(), "status": if n == 0 { "COMPLETED" } else { "ACTIVE" },
                "program": PROGRAM, "programStage": stage, "enrollment": enrollment, "trackedEntity": te,
                "orgUnit": ou, "occurredAt": occurred, "scheduledAt": occurred,
                "createdAt": created, "createdAtClient": created, "updatedAt": created, "updatedAtClient": created,
                "followUp": false, "deleted": false,
                "attributeOptionCombo": DEFAULT_AOC, "attributeCategoryOptions": DEFAULT_CO,
                "createdBy": admin_user(), "updatedBy": admin_user(),
                "dataValues": [
                    {"dataElement": DE_APGAR, "value": (rng.below(10) + 1).to_string(), "providedElsewhere": false,
                     "createdAt": created, "updatedAt": created},
                    {"dataElement": DE_WEIGHT, "value": (2000 + rng.below(2500)).to_string(), "providedElsewhere": false,
                     "createdAt": created, "updatedAt": created},
                ],
                "notes": [],
            }));
        }
        te_ids.push(te);
    }
    // Every tenth person is linked to the next one ("mother of").
    for i in (0..te_ids.len().saturating_sub(1)).step_by(10) {
        let created = date(rng.below(600), rng.below(86_400_000));
        data.relationships.push(json!({
            "relationship": rng.uid(), "relationshipType": RELATIONSHIP_TYPE, "relationshipName": "Mother-Child",
            "bidirectional": false, "createdAt": created, "createdAtClient": created, "updatedAt": created,
            "deleted": false,
            "from": {"trackedEntity": {"trackedEntity": te_ids[i]}},
            "to": {"trackedEntity": {"trackedEntity": te_ids[i + 1]}},
        }));
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_is_deterministic_and_linked() {
        let a = generate(&[]);
        let b = generate(&[]);
        assert_eq!(a.tracked_entities.len(), TRACKED_ENTITY_COUNT);
        assert_eq!(a.events.len(), 2 * TRACKED_ENTITY_COUNT);
        assert_eq!(a.tracked_entities[17], b.tracked_entities[17]);
        assert_eq!(
            a.events[0]["trackedEntity"],
            a.tracked_entities[0]["trackedEntity"]
        );
        assert_eq!(a.relationships.len(), 250);
    }

    #[test]
    fn uids_are_well_formed() {
        let mut rng = Prng::new(1);
        for _ in 0..100 {
            let uid = rng.uid();
            assert_eq!(uid.len(), 11);
            assert!(uid.as_bytes()[0].is_ascii_alphabetic());
            assert!(uid.bytes().all(|b| b.is_ascii_alphanumeric()));
        }
    }
}
