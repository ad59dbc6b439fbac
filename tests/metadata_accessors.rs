//! `client.metadata()` against the emulator: imports with conflicts read through the typed ImportReport helpers,
//! every import option, async imports, export with per-type fields and filters, and bulk create/update/delete.

mod support;

use dhis2::accessors::metadata::{
    AtomicMode, Identifier, ImportReportMode, ImportStrategy, Metadata, MetadataExport,
    MetadataImportOptions, MetadataPayload,
};
use dhis2::models::{
    AggregationType, CategoryCombo, DataElement, DataElementDomain, ImportReport, Ref, Status, Uid,
    ValueType,
};
use dhis2::query::{Filter, Query};
use dhis2::{Dhis2Client, Error};
use support::emulator::start;

const DE_KLASS: &str = "org.hisp.dhis.dataelement.DataElement";

fn element(id: Option<&str>, name: &str, code: &str) -> DataElement {
    let mut de = DataElement::default();
    if let Some(id) = id {
        de.id.set(id.to_owned());
    }
    de.name.set(name.to_owned());
    de.short_name.set(name.to_owned());
    de.code.set(code.to_owned());
    de.value_type.set(ValueType::Number);
    de.aggregation_type.set(AggregationType::Sum);
    de.domain_type.set(DataElementDomain::Aggregate);
    de
}

async fn count_codes(client: &Dhis2Client, codes: &[&str]) -> u64 {
    client
        .resources()
        .unwrap()
        .of::<DataElement>()
        .count(&Query::new().filter(Filter::on("code").in_(codes)))
        .await
        .unwrap()
}

/// A payload with one valid element and three invalid ones: missing `valueType`, a duplicate code, and a
/// dangling category combo reference.
fn conflicting_payload() -> MetadataPayload {
    let ok = element(Some("mdOkElem001"), "Md ok", "MD_OK");
    let mut missing = element(Some("mdMissing01"), "Md missing", "MD_MISSING");
    missing.value_type = dhis2::models::Field::Absent;
    let dup = element(Some("mdDupElem01"), "Md dup", "MD_OK");
    let mut dangling = element(Some("mdDangling1"), "Md dangling", "MD_DANGLING");
    dangling.category_combo.set(Ref::new("abcdefghijk"));
    MetadataPayload::new().with(&[ok, missing, dup, dangling])
}

fn codes_by_uid(report: &ImportReport) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report
        .errors()
        .iter()
        .map(|e| {
            (
                e.uid.unwrap_or("").to_owned(),
                e.report.error_code.as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The sorted `(uid, error code)` pairs of importing `payload` with `strategy`.
async fn strategy_codes(
    md: &Metadata<'_>,
    payload: &MetadataPayload,
    strategy: ImportStrategy,
) -> Vec<(String, String)> {
    let options = MetadataImportOptions::new().strategy(strategy);
    codes_by_uid(&md.import(payload, &options).await.unwrap())
}

#[tokio::test]
async fn import_with_conflicts_is_a_report_read_through_the_helpers() {
    let (_emu, client) = start("2.42.6").await;
    let payload = conflicting_payload();
    assert_eq!(payload.len(), 4);

    // atomicMode=ALL (the default): nothing is written, status ERROR.
    let report = client
        .metadata()
        .import(&payload, &MetadataImportOptions::new())
        .await
        .expect("a report with errors is an answer, not an error");
    assert_eq!(report.status.value(), Some(&Status::Error), "{report:?}");
    assert!(!report.is_ok());
    assert!(report.created().is_empty());
    assert_eq!(count_codes(&client, &["MD_OK"]).await, 0);

    // atomicMode=NONE: the valid one is created, the others are ignored with their reasons.
    let report = client
        .metadata()
        .import(
            &payload,
            &MetadataImportOptions::new().atomic_mode(AtomicMode::None),
        )
        .await
        .unwrap();
    assert_eq!(report.status.value(), Some(&Status::Warning));
    let created = report.created();
    assert_eq!(created.len(), 1);
    assert_eq!((created[0].klass, created[0].count), (DE_KLASS, 1));
    assert!(report.updated().is_empty());
    assert_eq!(report.ignored_count(), 3);
    let ignored = report.ignored();
    assert_eq!(ignored.len(), 3);
    assert!(ignored.iter().all(|i| i.klass == DE_KLASS));
    let missing = ignored
        .iter()
        .find(|i| i.uid == Some("mdMissing01"))
        .unwrap();
    assert_eq!(missing.index, Some(1));
    assert_eq!(missing.display_name, Some("Md missing"));
    assert_eq!(
        missing.reasons[0].error_property.as_str(),
        Some("valueType")
    );
    assert_eq!(
        codes_by_uid(&report),
        [
            ("mdDangling1".to_owned(), "E5002".to_owned()),
            ("mdDupElem01".to_owned(), "E5003".to_owned()),
            ("mdMissing01".to_owned(), "E4000".to_owned()),
        ]
    );
    assert_eq!(
        count_codes(&client, &["MD_OK", "MD_MISSING", "MD_DANGLING"]).await,
        1
    );
}

#[tokio::test]
async fn import_options_strategy_identifier_validate_and_report_mode() {
    let (_emu, client) = start("2.42.6").await;
    let md = client.metadata();
    let one = MetadataPayload::new().with(&[element(Some("mdOptElem01"), "Md opt", "MD_OPT")]);

    // An answer without a report (the payload is not an object) is an error, not an empty report.
    let err = md
        .import(
            &serde_json::json!(["not", "an", "object"]),
            &MetadataImportOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));

    // Validate only: a clean report, nothing stored.
    let report = md
        .import(&one, &MetadataImportOptions::new().validate_only(true))
        .await
        .unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(count_codes(&client, &["MD_OPT"]).await, 0);

    // UPDATE of a missing object: E5001.
    assert_eq!(
        strategy_codes(&md, &one, ImportStrategy::Update).await,
        [("mdOptElem01".to_owned(), "E5001".to_owned())]
    );

    // CREATE with a full report: every object is listed, also without errors.
    let report = md
        .import(
            &one,
            &MetadataImportOptions::new()
                .strategy(ImportStrategy::Create)
                .report_mode(ImportReportMode::Full),
        )
        .await
        .unwrap();
    assert!(report.is_ok(), "{report:?}");
    let objects = report.types()[0].objects();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0].uid.as_str(), Some("mdOptElem01"));
    assert!(report.ignored().is_empty());

    // CREATE again: E5000.
    assert_eq!(
        strategy_codes(&md, &one, ImportStrategy::Create).await,
        [("mdOptElem01".to_owned(), "E5000".to_owned())]
    );

    // identifier=CODE: an object without id updates the one with the same code.
    let by_code = MetadataPayload::new().with(&[element(None, "Md opt renamed", "MD_OPT")]);
    let report = md
        .import(
            &by_code,
            &MetadataImportOptions::new().identifier(Identifier::Code),
        )
        .await
        .unwrap();
    assert_eq!(report.updated().len(), 1, "{report:?}");
    let stored = client
        .resources()
        .unwrap()
        .of::<DataElement>()
        .get("mdOptElem01")
        .await
        .unwrap();
    assert_eq!(stored.name.as_str(), Some("Md opt renamed"));
}

#[tokio::test]
async fn async_import_returns_a_job_and_its_report() {
    let (_emu, client) = start("2.42.6").await;
    let md = client.metadata();
    let job = md
        .import_async(
            &conflicting_payload(),
            &MetadataImportOptions::new().atomic_mode(AtomicMode::None),
        )
        .await
        .unwrap();
    assert_eq!(job.job_type(), "METADATA_IMPORT");
    assert!(Uid::is_valid(job.id()), "{}", job.id());

    let wait = support::emulator::fast_wait();
    let report = md
        .import_and_wait(
            &MetadataPayload::new().with(&[element(Some("mdAsyncEl01"), "Md async", "MD_ASYNC")]),
            &MetadataImportOptions::new(),
            wait,
        )
        .await
        .unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.created()[0].count, 1);
    assert_eq!(count_codes(&client, &["MD_ASYNC"]).await, 1);
}

#[tokio::test]
async fn export_chosen_types_with_fields_and_filters() {
    let (_emu, client) = start("2.42.6").await;
    let md = client.metadata();
    md.create_all(
        &MetadataPayload::new().with(&[
            element(Some("mdExport001"), "Md export one", "EXP_1"),
            element(Some("mdExport002"), "Md export two", "EXP_2"),
        ]),
        MetadataImportOptions::new(),
    )
    .await
    .unwrap();

    let doc = md
        .export(
            &MetadataExport::new()
                .of_with::<DataElement>("id,code,name")
                .filter::<DataElement>(Filter::on("code").starts_like("EXP_"))
                .of_with::<CategoryCombo>("id,name")
                .filter::<CategoryCombo>(Filter::on("name").eq("default")),
        )
        .await
        .unwrap();
    assert!(doc.system().and_then(|s| s.get("version")).is_some());
    let mut plurals: Vec<&str> = doc.plurals().collect();
    plurals.sort();
    assert_eq!(plurals, ["categoryCombos", "dataElements"]);
    let elements = doc.objects::<DataElement>().unwrap();
    let mut codes: Vec<&str> = elements.iter().map(|d| d.code.as_str().unwrap()).collect();
    codes.sort();
    assert_eq!(codes, ["EXP_1", "EXP_2"]);
    assert!(elements.iter().all(|d| d.value_type.is_absent()));
    let combos = doc.objects::<CategoryCombo>().unwrap();
    assert_eq!(combos.len(), 1);
    assert_eq!(combos[0].name.as_str(), Some("default"));
    assert!(combos[0].data_dimension_type.is_absent());

    // A bad per-type filter is an error naming the request.
    let err = md
        .export(
            &MetadataExport::new()
                .of::<DataElement>()
                .filter::<DataElement>(Filter::on("nosuchproperty").eq("x")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err}");
    assert!(err.to_string().contains("/api/metadata"), "{err}");

    // A partial export cannot be imported back (required properties are missing) ...
    let report = md
        .import(&doc.into_payload(), &MetadataImportOptions::new())
        .await
        .unwrap();
    assert!(report
        .errors()
        .iter()
        .any(|e| e.report.error_code.as_str() == Some("E4000")));
    // ... but an export with the default `:owner` fields can, as is.
    let owner = md
        .export(
            &MetadataExport::new()
                .of::<DataElement>()
                .filter::<DataElement>(Filter::on("code").starts_like("EXP_")),
        )
        .await
        .unwrap();
    assert_eq!(owner.objects::<DataElement>().unwrap().len(), 2);
    let report = md
        .import(&owner.into_payload(), &MetadataImportOptions::new())
        .await
        .unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.updated()[0].count, 2);
}

#[tokio::test]
async fn bulk_create_update_delete_in_one_call_each() {
    let (emu, client) = start("2.42.6").await;
    let md = client.metadata();
    let uids: Vec<Uid> = (0..5).map(|_| Uid::generate()).collect();
    let codes: Vec<String> = (0..5).map(|i| format!("BULK_{i}")).collect();
    let code_refs: Vec<&str> = codes.iter().map(String::as_str).collect();
    let mut elements: Vec<DataElement> = uids
        .iter()
        .zip(&codes)
        .map(|(u, c)| element(Some(u.as_str()), &format!("Bulk {c}"), c))
        .collect();

    emu.counters().reset();
    let report = md
        .create_all(
            &MetadataPayload::new().with(&elements),
            MetadataImportOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(emu.counters().requests("/api/metadata"), 1);
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.created()[0].count, 5);
    // The full report lists every uid.
    let mut reported: Vec<&str> = report.types()[0]
        .objects()
        .iter()
        .filter_map(|o| o.uid.as_str())
        .collect();
    reported.sort();
    let mut expected: Vec<&str> = uids.iter().map(Uid::as_str).collect();
    expected.sort();
    assert_eq!(reported, expected);
    assert_eq!(count_codes(&client, &code_refs).await, 5);

    for de in &mut elements {
        de.description.set("bulk updated".to_owned());
    }
    let report = md
        .update_all(
            &MetadataPayload::new().with(&elements),
            MetadataImportOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(report.updated()[0].count, 5, "{report:?}");
    let updated = client
        .resources()
        .unwrap()
        .of::<DataElement>()
        .list(
            &Query::new()
                .fields("id,description")
                .filter(Filter::on("code").in_(&code_refs)),
        )
        .await
        .unwrap();
    assert!(updated
        .items
        .iter()
        .all(|d| d.description.as_str() == Some("bulk updated")));

    // Creating them again fails atomically: nothing changes.
    let report = md
        .create_all(
            &MetadataPayload::new().with(&elements),
            MetadataImportOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(report.ignored_count(), 5);

    let report = md
        .delete_all(
            &MetadataPayload::new().with_ids::<DataElement, _>(&uids),
            MetadataImportOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(report.deleted()[0].count, 5, "{report:?}");
    assert_eq!(count_codes(&client, &code_refs).await, 0);
}

/// Older servers answer `/api/NN/metadata` with a bare ImportReport; newer ones wrap it in a WebMessage. Both read
/// as the same report, from one answer each.
#[tokio::test]
async fn enveloped_and_bare_import_reports_read_alike() {
    const KLASS: &str = "org.hisp.dhis.dataelement.DataElement";
    let report = serde_json::json!({
        "responseType": "ImportReport",
        "status": "OK",
        "stats": {"created": 2, "updated": 0, "deleted": 0, "ignored": 0, "total": 2},
        "typeReports": [{
            "klass": KLASS,
            "stats": {"created": 2, "updated": 0, "deleted": 0, "ignored": 0, "total": 2},
            "objectReports": []
        }]
    });
    let enveloped = serde_json::json!({
        "httpStatus": "OK", "httpStatusCode": 200, "status": "OK", "response": report.clone()
    });
    for (label, answer) in [("enveloped", enveloped), ("bare", report)] {
        let srv = support::dhis2_like("2.41.3", move |_r| {
            let answer = answer.clone();
            async move { support::Resp::json(200, answer) }
        })
        .await;
        let client = Dhis2Client::builder(&srv.url)
            .auth(dhis2::BasicAuth::new("admin", "district"))
            .connect()
            .await
            .unwrap();
        let got = client
            .metadata()
            .import(
                &serde_json::json!({"dataElements": []}),
                &MetadataImportOptions::new(),
            )
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(got.is_ok(), "{label}: {got:?}");
        let created = got.created();
        assert_eq!(created.len(), 1, "{label}");
        assert_eq!((created[0].klass, created[0].count), (KLASS, 2), "{label}");
        assert_eq!(srv.count("/api/metadata"), 1, "{label}");
    }
}
