//! Tracker export against the emulator: auto-pagination across many pages with each version's envelope
//! (2.40 `instances`, 2.41 `pager` plus flat copies, 2.42 `pager` only) and parameter names.

mod support;

use std::collections::HashSet;

use dhis2::models::{Enrollment, Event, Relationship, TrackedEntity};
use futures_util::TryStreamExt;

const SEEDED: usize = 2_500;

async fn pages_through_everything(version: &str) {
    let (emu, client) = support::emulator::start(version).await;
    let all: Vec<TrackedEntity> = client
        .tracker()
        .tracked_entities()
        .page_size(100)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), SEEDED, "{version}");
    let unique: HashSet<_> = all
        .iter()
        .map(|t| t.tracked_entity.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        unique.len(),
        SEEDED,
        "{version}: every tracked entity exactly once"
    );
    // 25 full pages plus the empty page that proves the end where the version gives no links or totals.
    let requests = emu.counters().requests("/api/tracker/trackedEntities");
    assert!(
        (25..=26).contains(&requests),
        "{version}: {requests} page requests"
    );
    // Default fields leave enrollments out.
    assert!(all[0].enrollments.is_absent());
}

#[tokio::test]
async fn tracked_entities_page_across_many_pages_on_2_40() {
    pages_through_everything("2.40.2.1").await;
}

#[tokio::test]
async fn tracked_entities_page_across_many_pages_on_2_41() {
    pages_through_everything("2.41.4").await;
}

#[tokio::test]
async fn tracked_entities_page_across_many_pages_on_2_42() {
    pages_through_everything("2.42.6").await;
}

#[tokio::test]
async fn totals_are_read_from_every_envelope() {
    for version in ["2.40.2.1", "2.41.4", "2.42.6"] {
        let (_emu, client) = support::emulator::start(version).await;
        let page = client
            .tracker()
            .events()
            .page_size(7)
            .total_pages(true)
            .page(3)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 7, "{version}");
        assert_eq!(page.page, Some(3), "{version}");
        assert_eq!(page.page_size, Some(7), "{version}");
        assert_eq!(page.total, Some(2 * SEEDED as u64), "{version}");
        assert_eq!(
            page.page_count,
            Some((2 * SEEDED as u64).div_ceil(7)),
            "{version}"
        );
        assert!(page.has_more(7));
        if version == "2.42.6" {
            assert!(
                page.next_page
                    .as_deref()
                    .is_some_and(|l| l.contains("page=4")),
                "{page:?}"
            );
        }
    }
}

#[tokio::test]
async fn filters_use_the_names_each_version_expects() {
    for version in ["2.40.2.1", "2.42.6"] {
        let (_emu, client) = support::emulator::start(version).await;
        let first: TrackedEntity = client
            .tracker()
            .tracked_entities()
            .page_size(1)
            .page(1)
            .await
            .unwrap()
            .items
            .remove(0);
        let uid = first.tracked_entity.as_str().unwrap().to_string();
        let ou = first.org_unit.as_str().unwrap().to_string();
        // By tracked entity: exactly one back (a wrong parameter name would be ignored and return all).
        let by_id = client
            .tracker()
            .tracked_entities()
            .tracked_entities([uid.clone()])
            .all()
            .await
            .unwrap();
        assert_eq!(by_id.len(), 1, "{version}");
        // By org unit: every result is in it.
        let in_ou = client
            .tracker()
            .tracked_entities()
            .org_units([ou.clone()])
            .all()
            .await
            .unwrap();
        assert!(
            !in_ou.is_empty() && in_ou.len() < SEEDED,
            "{version}: {}",
            in_ou.len()
        );
        assert!(in_ou
            .iter()
            .all(|t| t.org_unit.as_str() == Some(ou.as_str())));
        // The whole tree below the root, by org unit mode (`ouMode` on 2.40, `orgUnitMode` later).
        let root = support::emulator::root_org_unit(&client).await;
        let below = client
            .tracker()
            .tracked_entities()
            .org_units([root.clone()])
            .org_unit_mode("DESCENDANTS")
            .page_size(1)
            .total_pages(true)
            .page(1)
            .await
            .unwrap();
        assert_eq!(below.total, Some(SEEDED as u64), "{version}");
        let selected_only = client
            .tracker()
            .tracked_entities()
            .org_units([root])
            .all()
            .await
            .unwrap();
        assert!(
            selected_only.is_empty(),
            "{version}: nobody is registered at the root itself"
        );
        // Nested collections on request.
        let full: TrackedEntity = client.tracker().get(&uid, Some("*")).await.unwrap();
        let enrollments = full.enrollments.value().expect("enrollments with fields=*");
        assert_eq!(enrollments[0].events.value().map(Vec::len), Some(2));
        // Enrollments and events of that tracked entity, and its relationships.
        let ens: Vec<Enrollment> = client
            .tracker()
            .enrollments()
            .tracked_entities([uid.clone()])
            .all()
            .await
            .unwrap();
        assert_eq!(ens.len(), 1, "{version}");
        let evs: Vec<Event> = client
            .tracker()
            .events()
            .tracked_entities([uid.clone()])
            .all()
            .await
            .unwrap();
        assert_eq!(evs.len(), 2, "{version}");
        let rels: Vec<Relationship> = client
            .tracker()
            .relationships()
            .tracked_entities([uid])
            .all()
            .await
            .unwrap();
        assert_eq!(rels.len(), 1, "{version}: the first person is a mother");
    }
}

#[tokio::test]
async fn unknown_uid_is_a_404() {
    let (_emu, client) = support::emulator::start("2.42.6").await;
    let err = client
        .tracker()
        .get::<Event>("Aaaaaaaaaaa", None)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{err}");
}
