//! Decode -> encode round trips of realistic DHIS2 JSON, WebMessage parsing, JSON Patch, Uid and dates.

use dhis2::models::{
    AggregationType, CategoryCombo, DataElement, DhisDate, Field, ImportStatus, JobStatus,
    JsonPatch, Me, OrganisationUnit, PatchOp, Status, SystemInfo, Uid, UidError, User, ValueType,
    WebMessage, WebMessageResponse,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// Decodes `text` into `T`, encodes it again and checks the JSON value is unchanged; returns the model.
fn roundtrip<T: DeserializeOwned + Serialize>(text: &str) -> T {
    let original: Value = serde_json::from_str(text).unwrap();
    let model: T = serde_json::from_str(text).unwrap();
    let again = serde_json::to_value(&model).unwrap();
    assert_eq!(again, original, "round trip changed the JSON");
    model
}

/// Encoded text of a model, to check byte-level details such as dates.
fn text_of<T: Serialize>(model: &T) -> String {
    serde_json::to_string(model).unwrap()
}

const DATA_ELEMENT: &str = r##"{
  "id": "fbfJHSPpUQD", "code": "DE_359596", "name": "ANC 1st visit", "shortName": "ANC 1st visit",
  "created": "2010-02-05T10:58:43.646", "lastUpdated": "2026-05-08T17:40:02.117",
  "createdBy": {"id": "GOLswS44mh8", "code": null, "name": "Tom Wakiki", "displayName": "Tom Wakiki", "username": "system"},
  "lastUpdatedBy": {"id": "xE7jOejl9FI", "code": null, "name": null, "displayName": "John Traore", "username": "admin"},
  "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE", "zeroIsSignificant": false,
  "aggregationLevels": [1, 2, 4],
  "categoryCombo": {"id": "m2jTvAj5kkm"},
  "dataElementGroups": [{"id": "qfxEYY9xAl6", "name": "ANC"}],
  "legendSets": [],
  "attributeValues": [{"value": "42", "attribute": {"id": "l1VmqIHKk6t"}}],
  "translations": [{"property": "NAME", "locale": "fr", "value": "Première visite CPN"}],
  "sharing": {"owner": "GOLswS44mh8", "external": false, "public": "rw------",
              "users": {"xE7jOejl9FI": {"id": "xE7jOejl9FI", "access": "rw------", "displayName": "John"}},
              "userGroups": {"wl5cDMuUhmF": {"id": "wl5cDMuUhmF", "access": "r-------"}}},
  "access": {"manage": true, "externalize": false, "write": true, "read": true, "update": true, "delete": true},
  "style": {"color": "#fff", "icon": "anc"},
  "favorites": [], "favorite": false,
  "someFutureKey": {"nested": [1, 2.5, -3, 18446744073709551615]},
  "displayName": "ANC 1st visit"
}"##;

#[test]
fn data_element_roundtrips_with_typed_fields() {
    let de: DataElement = roundtrip(DATA_ELEMENT);
    assert_eq!(de.id.as_str(), Some("fbfJHSPpUQD"));
    assert_eq!(de.value_type, Field::Value(ValueType::Number));
    assert_eq!(de.aggregation_type, Field::Value(AggregationType::Sum));
    assert_eq!(
        de.category_combo.value().and_then(|r| r.id()),
        Some("m2jTvAj5kkm")
    );
    let created_by = de.created_by.value().unwrap();
    assert!(
        created_by.code.is_null(),
        "explicit null must be kept as Null"
    );
    assert_eq!(created_by.username.as_str(), Some("system"));
    let sharing = de.sharing.value().unwrap();
    assert_eq!(
        sharing.users.value().unwrap()["xE7jOejl9FI"]
            .access
            .as_str(),
        Some("rw------")
    );
    assert!(sharing
        .user_groups
        .value()
        .unwrap()
        .contains_key("wl5cDMuUhmF"));
    assert!(
        de.extra.contains_key("someFutureKey"),
        "unknown keys are kept"
    );
    assert_eq!(
        de.created.value().map(DhisDate::as_str),
        Some("2010-02-05T10:58:43.646")
    );
    let text = text_of(&de);
    assert!(text.contains(r#""created":"2010-02-05T10:58:43.646""#));
    assert!(
        text.contains(r#""code":null"#),
        "explicit nulls are written back"
    );
    assert!(
        text.contains("18446744073709551615"),
        "big integers keep their value"
    );
}

#[test]
fn unknown_enum_values_decode_as_other_and_roundtrip() {
    let de: DataElement = roundtrip(r#"{"id": "fbfJHSPpUQD", "valueType": "QUANTUM_BIT"}"#);
    assert_eq!(
        de.value_type,
        Field::Value(ValueType::Other("QUANTUM_BIT".into()))
    );
}

const ORG_UNIT: &str = r#"{
  "id": "DiszpKrYNg8", "name": "Ngelehun CHC", "shortName": "Ngelehun CHC", "code": "OU_559",
  "level": 4, "path": "/ImspTQPwCqd/O6uvpzGd5pu/YuQRtpLP10I/DiszpKrYNg8", "leaf": true,
  "openingDate": "1970-01-01T00:00:00.000", "created": "2012-02-17T15:54:39.987",
  "parent": {"id": "YuQRtpLP10I"},
  "children": [],
  "ancestors": [{"id": "ImspTQPwCqd"}, {"id": "O6uvpzGd5pu"}, {"id": "YuQRtpLP10I"}],
  "organisationUnitGroups": [{"id": "f25dqv3Y7Z0"}],
  "geometry": {"type": "Point", "coordinates": [-11.4197, 8.1039]},
  "attributeValues": [],
  "translations": []
}"#;

#[test]
fn org_unit_with_geometry_roundtrips() {
    let ou: OrganisationUnit = roundtrip(ORG_UNIT);
    assert_eq!(ou.level.get(), Some(4));
    assert_eq!(ou.parent.value().and_then(|p| p.id()), Some("YuQRtpLP10I"));
    assert_eq!(ou.ancestors.value().map(Vec::len), Some(3));
    let geometry = ou.geometry.value().unwrap();
    assert_eq!(geometry["coordinates"][0], json!(-11.4197));
    assert!(
        ou.extra.is_empty(),
        "every key of this fixture is modelled: {:?}",
        ou.extra.keys()
    );
}

const CATEGORY_COMBO: &str = r#"{
  "id": "m2jTvAj5kkm", "name": "Location and age group", "code": "LOC_AGE", "dataDimensionType": "DISAGGREGATION",
  "skipTotal": false, "isDefault": false,
  "categories": [{"id": "cX5k9anHEHd"}, {"id": "YNZyaJHiHYq", "name": "Age"}],
  "categoryOptionCombos": [{"id": "S34ULMcHMca"}, {"id": "sqGRzCziswD"}],
  "created": "2011-12-24T12:24:25.203", "lastUpdated": "2019-06-14T10:12:07.312",
  "createdBy": {"id": null, "code": null, "name": null, "displayName": null, "username": null},
  "sharing": {"owner": null, "public": "rw------", "users": {}, "userGroups": {}}
}"#;

#[test]
fn category_combo_roundtrips_including_all_null_user_ref() {
    let cc: CategoryCombo = roundtrip(CATEGORY_COMBO);
    assert_eq!(cc.categories.value().map(Vec::len), Some(2));
    let created_by = cc.created_by.value().unwrap();
    assert!(created_by.id.is_null() && created_by.username.is_null());
    assert!(cc.sharing.value().unwrap().owner.is_null());
}

const USER: &str = r#"{
  "id": "xE7jOejl9FI", "username": "admin", "firstName": "John", "surname": "Traore", "name": "John Traore",
  "email": "admin@example.org", "disabled": false, "lastLogin": "2026-05-08T17:40:02.117",
  "createdBy": {"id": "GOLswS44mh8", "code": null, "name": "Tom Wakiki", "displayName": "Tom Wakiki", "username": "system"},
  "userCredentials": {"id": "ZyjSDLHGPv4", "username": "admin", "disabled": false, "externalAuth": false},
  "userRoles": [{"id": "yrB6vc5Ip3r"}], "organisationUnits": [{"id": "ImspTQPwCqd"}],
  "userGroups": [], "attributeValues": [], "favorites": []
}"#;

#[test]
fn user_roundtrips_with_credentials_and_nulls() {
    let user: User = roundtrip(USER);
    assert_eq!(user.username.as_str(), Some("admin"));
    assert!(user.created_by.value().unwrap().code.is_null());
    assert!(user.user_credentials.is_value());
}

#[test]
fn dates_come_back_byte_for_byte_and_parse() {
    for s in [
        "2012-09-20T08:46:05.594",
        "2010-04-13T00:00:00.000+0000",
        "2024-02-29",
        "weird but kept",
    ] {
        let d: DhisDate = serde_json::from_value(json!(s)).unwrap();
        assert_eq!(serde_json::to_value(&d).unwrap(), json!(s));
    }
    let p = DhisDate::new("2012-09-20T08:46:05.594").parse().unwrap();
    assert_eq!(
        (p.year, p.month, p.day, p.hour, p.minute, p.second, p.millis),
        (2012, 9, 20, 8, 46, 5, 594)
    );
    assert_eq!(p.offset_minutes, None);
    let z = DhisDate::new("2010-04-13T00:00:00.000+0000")
        .parse()
        .unwrap();
    assert_eq!(z.offset_minutes, Some(0));
    assert_eq!(
        DhisDate::from_parts(&z).as_str(),
        "2010-04-13T00:00:00.000+0000"
    );
    assert_eq!(DhisDate::from_parts(&p).as_str(), "2012-09-20T08:46:05.594");
    let minus = DhisDate::new("2020-01-01T10:00:00-05:30").parse().unwrap();
    assert_eq!(minus.offset_minutes, Some(-330));
    for bad in [
        "",
        "2012-13-01",
        "2023-02-29",
        "2012-09-20T25:00",
        "2012-09-20T08:46:05.",
        "2012-09-20X",
        "weird",
    ] {
        assert!(
            DhisDate::new(bad).parse().is_err(),
            "{bad:?} should not parse"
        );
    }
}

#[test]
fn system_info_roundtrips_and_keeps_unknown_keys() {
    let text = r#"{"contextPath": "https://dhis2.example.org", "userAgent": "curl/8.5.0", "calendar": "iso8601",
      "dateFormat": "yyyy-mm-dd", "serverDate": "2026-05-08T17:40:02.117", "version": "2.42.5-SNAPSHOT",
      "revision": "4615de9", "buildTime": "2026-05-08T17:38:59.000", "cpuCores": 16, "sessionTimeout": 3600,
      "databaseInfo": {"spatialSupport": true, "time": "2026-05-08T17:40:02.117"},
      "capability": {"analyticsTotalCounts": true}, "isMetadataVersionEnabled": true,
      "lastAnalyticsTableSuccessByType": {"EVENT": "2026-05-01T00:00:00.000"}, "encryption": false}"#;
    let info: SystemInfo = roundtrip(text);
    assert_eq!(info.version.as_str(), Some("2.42.5-SNAPSHOT"));
    assert_eq!(
        info.context_path.as_str(),
        Some("https://dhis2.example.org")
    );
    assert_eq!(info.is_metadata_version_enabled.get(), Some(true));
    assert!(info.extra.contains_key("lastAnalyticsTableSuccessByType"));
}

#[test]
fn me_resolves_username_per_version() {
    // 2.41 shape: userCredentials plus flat keys.
    let v41: Me = roundtrip(
        r#"{"id": "xE7jOejl9FI", "displayName": "John Traore", "userCredentials": {"username": "admin", "id": "x"},
            "authorities": ["ALL"], "settings": {"keyUiLocale": "en"}, "patTokens": []}"#,
    );
    assert_eq!(v41.username, "admin");
    assert!(v41.has_authority("F_ANYTHING"));
    assert!(v41.extra.contains_key("patTokens"));
    // 2.42 shape: flat only.
    let v42: Me = roundtrip(
        r#"{"id": "xE7jOejl9FI", "username": "admin", "displayName": "John Traore", "emailVerified": false,
            "twoFactorType": "NOT_ENABLED", "programs": ["IpHINAT79UW"], "organisationUnits": [{"id": "ImspTQPwCqd"}]}"#,
    );
    assert_eq!(v42.username, "admin");
    assert_eq!(v42.display_name.as_str(), Some("John Traore"));
    assert_eq!(
        v42.organisation_units.value().unwrap()[0].id(),
        Some("ImspTQPwCqd")
    );
    // Both places, different values: the top level wins and both survive.
    let both: Me = roundtrip(r#"{"username": "top", "userCredentials": {"username": "nested"}}"#);
    assert_eq!(both.username, "top");
    // Changing the username writes a top-level key.
    let mut changed = v41.clone();
    changed.username = "other".into();
    assert_eq!(
        serde_json::to_value(&changed).unwrap()["username"],
        json!("other")
    );
}

// --- WebMessage: the exact examples of WIRE.md section 6-9. ---

#[test]
fn web_message_plain_ok_and_errors() {
    let ok: WebMessage = roundtrip(r#"{"httpStatus":"OK","httpStatusCode":200,"status":"OK"}"#);
    assert!(ok.is_ok());
    assert!(ok.response.is_absent());
    let nf: WebMessage = roundtrip(
        r#"{"httpStatus":"Not Found","httpStatusCode":404,"status":"ERROR","message":"DataElement with id abcdefghijk could not be found.","errorCode":"E1005"}"#,
    );
    assert_eq!(nf.http_status_code.get(), Some(404));
    assert_eq!(nf.status, Field::Value(Status::Error));
    assert_eq!(nf.error_code.as_str(), Some("E1005"));
    let bad: WebMessage = roundtrip(
        r#"{"httpStatus":"Bad Request","httpStatusCode":400,"status":"ERROR","message":"Invalid path /test"}"#,
    );
    assert!(bad.error_code.is_absent());
}

#[test]
fn web_message_object_report_both_spellings() {
    for rt in ["ObjectReport", "ObjectReportWebMessageResponse"] {
        let text = format!(
            r#"{{"httpStatus":"Created","httpStatusCode":201,"status":"OK","response":{{"responseType":"{rt}","uid":"aB3dEf5gH7i","klass":"org.hisp.dhis.dataelement.DataElement","errorReports":[]}}}}"#
        );
        let wm: WebMessage = roundtrip(&text);
        assert_eq!(wm.uid(), Some("aB3dEf5gH7i"), "{rt}");
        assert!(
            matches!(
                wm.response.value(),
                Some(WebMessageResponse::ObjectReport(_))
            ),
            "{rt}"
        );
    }
    let conflict: WebMessage = roundtrip(
        r#"{"httpStatus":"Conflict","httpStatusCode":409,"status":"ERROR","message":"One or more errors occurred, please see full details in import report.","response":{"responseType":"ObjectReport","klass":"org.hisp.dhis.dataelement.DataElement","uid":"aB3dEf5gH7i","errorReports":[{"message":"Missing required property `valueType`","mainKlass":"org.hisp.dhis.dataelement.DataElement","errorProperty":"valueType","errorProperties":["valueType"],"errorCode":"E4000","args":["valueType"]}]}}"#,
    );
    let errors = conflict.error_reports();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].error_code.as_str(), Some("E4000"));
}

#[test]
fn web_message_pat_creation_keeps_key() {
    let wm: WebMessage = roundtrip(
        r#"{"httpStatus":"Created","httpStatusCode":201,"status":"OK","response":{"responseType":"ObjectReport","uid":"aB3dEf5gH7i","klass":"org.hisp.dhis.security.apikey.ApiToken","errorReports":[],"key":"d2p_abc"}}"#,
    );
    assert_eq!(
        wm.object_report()
            .unwrap()
            .key
            .value()
            .map(|k| k.expose_secret()),
        Some("d2p_abc")
    );
}

const IMPORT_REPORT: &str = r#"{
  "httpStatus": "Conflict", "httpStatusCode": 409, "status": "WARNING",
  "message": "One or more errors occurred, please see full details in import report.",
  "response": {
    "responseType": "ImportReportWebMessageResponse",
    "status": "ERROR",
    "stats": {"created": 1, "updated": 2, "deleted": 0, "ignored": 1, "total": 4},
    "typeReports": [
      {"klass": "org.hisp.dhis.dataelement.DataElement",
       "stats": {"created": 1, "updated": 2, "deleted": 0, "ignored": 1, "total": 4},
       "objectReports": [
         {"klass": "org.hisp.dhis.dataelement.DataElement", "index": 3, "uid": "deUidAAA001",
          "displayName": "Broken",
          "errorReports": [
            {"message": "Missing required property `valueType`", "mainKlass": "org.hisp.dhis.dataelement.DataElement",
             "errorKlass": "org.hisp.dhis.common.ValueType", "errorProperty": "valueType", "errorProperties": ["valueType"],
             "errorCode": "E4000", "mainId": "deUidAAA001", "value": null, "args": ["valueType"]}
          ]},
         {"klass": "org.hisp.dhis.dataelement.DataElement", "index": 0, "uid": "deUidAAA002", "errorReports": []}
       ]}
    ]
  }
}"#;

#[test]
fn web_message_import_report_helpers() {
    let wm: WebMessage = roundtrip(IMPORT_REPORT);
    let report = wm.import_report().expect("typed import report");
    assert_eq!(
        report.response_type.as_str(),
        Some("ImportReportWebMessageResponse")
    );
    assert_eq!(report.status, Field::Value(Status::Error));
    assert_eq!(report.created()[0].count, 1);
    assert_eq!(report.updated()[0].count, 2);
    assert!(report.deleted().is_empty());
    assert_eq!(report.ignored_count(), 1);
    let ignored = report.ignored();
    assert_eq!(ignored.len(), 1);
    assert_eq!(ignored[0].uid, Some("deUidAAA001"));
    assert_eq!(ignored[0].index, Some(3));
    assert_eq!(
        ignored[0].reasons[0].error_property.as_str(),
        Some("valueType")
    );
    assert!(
        ignored[0].reasons[0].value.is_null(),
        "explicit null value survives"
    );
    let errors = report.errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].report.error_code.as_str(), Some("E4000"));
    assert!(!report.is_ok());
}

const IMPORT_SUMMARY: &str = r#"{
  "httpStatus": "Conflict", "httpStatusCode": 409, "status": "WARNING",
  "message": "One more conflicts encountered, please check import summary.",
  "response": {
    "status": "WARNING",
    "importOptions": {"idSchemes": {}, "dryRun": false, "async": false, "importStrategy": "CREATE_AND_UPDATE",
                      "mergeMode": "REPLACE", "reportMode": "FULL", "skipExistingCheck": false,
                      "firstRowIsHeader": true, "skipLastUpdated": false, "mergeDataValues": false, "skipCache": false},
    "description": "Import process completed successfully",
    "importCount": {"imported": 0, "updated": 0, "ignored": 1, "deleted": 0},
    "conflicts": [
      {"object": "209503",
       "objects": {"period": "209503", "dataElement": "DEancVisit1", "dataSet": "NORMonthDS1"},
       "value": "Period: `209503` is after latest open future period: `202603` for data element: `DEancVisit1` and data set: `NORMonthDS1`",
       "errorCode": "E7641", "property": "period", "indexes": [0]}
    ],
    "rejectedIndexes": [0],
    "dataSetComplete": "false",
    "responseType": "ImportSummary"
  }
}"#;

#[test]
fn web_message_import_summary() {
    let wm: WebMessage = roundtrip(IMPORT_SUMMARY);
    let summary = wm.import_summary().expect("typed import summary");
    assert_eq!(summary.status, Field::Value(ImportStatus::Warning));
    assert_eq!(summary.import_count.value().unwrap().ignored.get(), Some(1));
    let c = summary.conflicts_for_index(0);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].error_code.as_str(), Some("E7641"));
    assert!(summary.conflicts_for_index(1).is_empty());
}

#[test]
fn web_message_error_reports_and_job() {
    let wm: WebMessage = roundtrip(
        r#"{"httpStatus":"Bad Request","httpStatusCode":400,"status":"ERROR","message":"x","errorCode":"E1003","response":{"responseType":"ErrorReportsWebMessageResponse","errorReports":[{"message":"bad","errorCode":"E1003"}]}}"#,
    );
    assert!(matches!(
        wm.response.value(),
        Some(WebMessageResponse::ErrorReports(_))
    ));
    assert_eq!(wm.error_reports().len(), 1);

    let job: WebMessage = roundtrip(
        r#"{"httpStatus":"OK","httpStatusCode":200,"status":"OK","message":"Initiated METADATA_IMPORT",
            "response":{"responseType":"JobConfiguration","name":"METADATA_IMPORT","id":"qGnBbmcLQOg","created":"2026-05-08T17:40:02.117",
                        "jobType":"METADATA_IMPORT","jobStatus":"SCHEDULED","jobParameters":{"a":1},
                        "relativeNotifierEndpoint":"/api/system/tasks/METADATA_IMPORT/qGnBbmcLQOg"}}"#,
    );
    let j = job.job().expect("typed job");
    assert_eq!(j.job_status, Field::Value(JobStatus::Scheduled));
    assert_eq!(
        j.tasks_path().as_deref(),
        Some("/api/system/tasks/METADATA_IMPORT/qGnBbmcLQOg")
    );

    let tracker: WebMessage = roundtrip(
        r#"{"httpStatus":"OK","httpStatusCode":200,"status":"OK","message":"Tracker job added","response":{"responseType":"TrackerJob","id":"abc","location":"https://host/api/tracker/jobs/abc"}}"#,
    );
    assert!(matches!(
        tracker.response.value(),
        Some(WebMessageResponse::Other(_))
    ));
    assert_eq!(
        tracker.response.value().unwrap().response_type(),
        Some("TrackerJob")
    );
}

#[test]
fn web_message_response_that_does_not_fit_is_kept_raw() {
    let wm: WebMessage = roundtrip(
        r#"{"status":"OK","response":{"responseType":"ObjectReport","uid":12345,"errorReports":"not a list"}}"#,
    );
    assert!(matches!(
        wm.response.value(),
        Some(WebMessageResponse::Other(_))
    ));
    let notif: Vec<dhis2::models::Notification> = roundtrip(
        r#"[{"id":"1","uid":"u","level":"INFO","category":"METADATA_IMPORT","time":"2026-05-08T17:40:02.117","message":"Import complete","completed":true,"dataType":"PARAMETERS","data":{}}]"#,
    );
    assert!(notif[0].is_completed());
}

// --- JSON Patch ---

#[test]
fn json_patch_builder_output() {
    let patch = JsonPatch::new()
        .add("openId", "admin")
        .replace("/name", json!("New name"))
        .remove("/description")
        .remove_by_id("/organisationUnits", "u6CvKyF0Db5")
        .push("dataElementGroups", json!({"id": "qfxEYY9xAl6"}))
        .add(&dhis2::models::patch::pointer(["a/b", "c~d"]), 1);
    assert_eq!(
        patch.to_value(),
        json!([
            {"op": "add", "path": "/openId", "value": "admin"},
            {"op": "replace", "path": "/name", "value": "New name"},
            {"op": "remove", "path": "/description"},
            {"op": "remove-by-id", "path": "/organisationUnits", "id": "u6CvKyF0Db5"},
            {"op": "add", "path": "/dataElementGroups/-", "value": {"id": "qfxEYY9xAl6"}},
            {"op": "add", "path": "/a~1b/c~0d", "value": 1}
        ])
    );
    assert_eq!(patch.len(), 6);
    assert_eq!(JsonPatch::CONTENT_TYPE, "application/json-patch+json");
    let back: JsonPatch = serde_json::from_slice(&patch.to_vec()).unwrap();
    assert_eq!(back, patch);
    // RFC 6902 ops DHIS2 rejects are not representable.
    assert!(
        serde_json::from_value::<PatchOp>(json!({"op": "move", "from": "/a", "path": "/b"}))
            .is_err()
    );
    assert!(
        serde_json::from_value::<PatchOp>(json!({"op": "test", "path": "/a", "value": 1})).is_err()
    );
}

// --- Uid ---

#[test]
fn uid_generation_and_validation() {
    let mut seen = std::collections::HashSet::new();
    for _ in 0..2000 {
        let uid = Uid::generate();
        assert!(Uid::is_valid(uid.as_str()), "{uid}");
        assert!(uid.as_str().starts_with(|c: char| c.is_ascii_alphabetic()));
        assert!(seen.insert(uid), "2000 random uids should not collide");
    }
    assert!(Uid::is_valid("fbfJHSPpUQD"));
    assert!(matches!(
        Uid::validate("fbfJHSPpUQ"),
        Err(UidError::Length { len: 10, .. })
    ));
    assert!(matches!(
        Uid::validate("1bfJHSPpUQD"),
        Err(UidError::FirstNotLetter { .. })
    ));
    assert!(matches!(
        Uid::validate("fbfJHS-pUQD"),
        Err(UidError::BadChar {
            ch: '-',
            position: 6,
            ..
        })
    ));
    assert!(matches!(
        Uid::validate("fbfJHSépUQD"),
        Err(UidError::BadChar { ch: 'é', .. })
    ));
    let parsed: Uid = "fbfJHSPpUQD".parse().unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), json!("fbfJHSPpUQD"));
    assert!(serde_json::from_value::<Uid>(json!("not a uid")).is_err());
    let msg = Uid::validate("abc").unwrap_err().to_string();
    assert!(msg.contains("\"abc\"") && msg.contains("11"), "{msg}");
}

#[test]
fn secrets_are_redacted_in_debug_but_serialised() {
    let wm: WebMessage = roundtrip(
        r#"{"httpStatus":"Created","httpStatusCode":201,"status":"OK","response":{"responseType":"ObjectReport","uid":"aB3dEf5gH7i","klass":"org.hisp.dhis.security.apikey.ApiToken","errorReports":[],"key":"d2p_supersecret"}}"#,
    );
    let debug = format!("{wm:?}");
    assert!(
        !debug.contains("d2p_supersecret") && debug.contains("[redacted]"),
        "{debug}"
    );
    let user: User =
        roundtrip(r#"{"id": "xE7jOejl9FI", "username": "admin", "password": "Hunter2!"}"#);
    assert_eq!(
        user.password.value().map(|p| p.expose_secret()),
        Some("Hunter2!")
    );
    assert!(!format!("{user:?}").contains("Hunter2!"));
}

#[test]
fn pager_roundtrips_and_knows_about_next_pages() {
    let p: dhis2::models::Pager = roundtrip(
        r#"{"page": 1, "total": 1034, "pageSize": 50, "pageCount": 21, "nextPage": "https://host/api/dataElements?page=2"}"#,
    );
    assert_eq!(
        (p.page.get(), p.total.get(), p.page_count.get()),
        (Some(1), Some(1034), Some(21))
    );
    assert!(p.has_next());
    let last: dhis2::models::Pager = roundtrip(
        r#"{"page": 21, "total": 1034, "pageSize": 50, "pageCount": 21, "prevPage": "https://host/api/dataElements?page=20"}"#,
    );
    assert!(!last.has_next());
    // Tracker pager without totals (WIRE 4.3).
    let tracker: dhis2::models::Pager = roundtrip(
        r#"{"page": 1, "pageSize": 2, "nextPage": "http://x/api/tracker/trackedEntities?page=2"}"#,
    );
    assert!(tracker.total.is_absent() && tracker.has_next());
}
