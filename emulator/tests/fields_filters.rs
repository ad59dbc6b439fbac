//! `fields`, `filter` and `rootJunction` over HTTP, and DHIS2's answers to bad filters per version.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn fields_nesting_presets_exclusion_and_transformers() {
    let emu = start_with_fixture("2.42.6").await;
    let one = |q: &'static str| {
        let emu = &emu;
        async move {
            let v = get_json(
                emu,
                &format!("/api/organisationUnits?filter=id:eq:OuDist00001&{q}"),
            )
            .await;
            v["organisationUnits"][0].clone()
        }
    };
    // Nesting resolves references to the referenced object.
    assert_eq!(
        one("fields=id,parent[id,name,code]").await,
        json!({"id": "OuDist00001", "parent": {"id": "OuRoot00001", "name": "Root", "code": "ROOT"}})
    );
    // A reference without sub-fields stays a bare reference.
    assert_eq!(
        one("fields=parent").await,
        json!({"parent": {"id": "OuRoot00001"}})
    );
    // `*` / `:all` give every property, `!` drops some.
    let all = one("fields=*").await;
    for k in [
        "id",
        "name",
        "shortName",
        "code",
        "level",
        "parent",
        "displayName",
        "openingDate",
    ] {
        assert!(all.get(k).is_some(), "{k} missing from *: {all}");
    }
    let all2 = one("fields=:all,!parent,!level").await;
    assert!(
        all2.get("parent").is_none() && all2.get("level").is_none() && all2.get("name").is_some()
    );
    // Presets.
    let owner = one("fields=:owner").await;
    assert!(owner.get("displayName").is_none() && owner.get("name").is_some());
    let ident = one("fields=:identifiable").await;
    let mut k: Vec<&str> = ident
        .as_object()
        .unwrap()
        .keys()
        .map(|s| s.as_str())
        .collect();
    k.sort();
    assert_eq!(k, vec!["code", "id", "name"]);
    let nameable = one("fields=:nameable").await;
    assert!(nameable.get("shortName").is_some() && nameable.get("level").is_none());
    // Transformers.
    assert_eq!(
        one("fields=name~rename(title)").await,
        json!({"title": "District 1"})
    );
    let de = get_json(&emu, "/api/dataElements?filter=id:eq:DeElem00002&fields=legendSets~size,legendSets~isEmpty~rename(none),legendSets~pluck~rename(ids)").await;
    assert_eq!(
        de["dataElements"][0],
        json!({"legendSets": 2, "none": false, "ids": ["LegSet00000", "LegSet00001"]})
    );
    // Unknown names are simply absent.
    assert_eq!(
        one("fields=id,noSuchField").await,
        json!({"id": "OuDist00001"})
    );
    // href is absolute.
    assert_eq!(
        one("fields=href").await["href"],
        format!("{}/api/organisationUnits/OuDist00001", emu.url())
    );
}

#[tokio::test]
async fn filters_each_operator_over_http() {
    let emu = start_with_fixture("2.42.6").await;
    let total = |f: &'static str| {
        let emu = &emu;
        async move {
            let enc: String = url::form_urlencoded::byte_serialize(f.as_bytes()).collect();
            let v = get_json(
                emu,
                &format!("/api/dataElements?fields=id&paging=false&filter={enc}"),
            )
            .await;
            v["dataElements"].as_array().unwrap().len()
        }
    };
    let cases: &[(&str, usize)] = &[
        ("name:eq:Element 03", 1),
        ("name:ieq:element 03", 1),
        ("name:!eq:Element 03", 24),
        ("name:neq:Element 03", 24),
        ("name:ne:Element 03", 24),
        ("code:gt:DE_20", 4),
        ("code:lt:DE_05", 5),
        ("code:gte:DE_20", 5),
        ("code:ge:DE_20", 5),
        ("code:lte:DE_05", 6),
        ("code:le:DE_05", 6),
        ("name:like:ent 1", 10),
        ("name:!like:ent 1", 15),
        ("name:$like:Elem", 25),
        ("name:!$like:Elem", 0),
        ("name:like$:5", 2),
        ("name:!like$:5", 23),
        ("name:ilike:ELEMENT 2", 5),
        ("name:!ilike:element 2", 20),
        ("name:$ilike:element 0", 10),
        ("name:startsWith:ELEMENT 0", 10),
        ("name:!$ilike:element 0", 15),
        ("name:ilike$:1", 3),
        ("name:endsWith:1", 3),
        ("name:!ilike$:1", 22),
        ("name:token:element 2", 5),
        ("name:!token:element", 0),
        ("id:in:[DeElem00001,DeElem00002,nope]", 2),
        ("id:!in:[DeElem00001,DeElem00002]", 23),
        ("description:null", 25),
        ("description:!null", 0),
        ("legendSets:empty", 9),
        ("legendSets:!empty", 16),
        ("legendSets:eq:2", 8),
        ("legendSets.id:eq:LegSet00001", 8),
        ("zeroIsSignificant:eq:true", 5),
        ("categoryCombo.name:eq:Fixture default", 25),
        ("valueType:eq:TEXT", 12),
    ];
    for (f, n) in cases {
        assert_eq!(total(f).await, *n, "filter {f}");
    }
    // Several filters: AND by default, OR with rootJunction=OR; comma-joined filters split.
    let v = get_json(
        &emu,
        "/api/dataElements?fields=id&filter=code:eq:DE_01&filter=code:eq:DE_02",
    )
    .await;
    assert_eq!(v["pager"]["total"], 0);
    let v = get_json(
        &emu,
        "/api/dataElements?fields=id&filter=code:eq:DE_01&filter=code:eq:DE_02&rootJunction=OR",
    )
    .await;
    assert_eq!(v["pager"]["total"], 2);
    let v = get_json(
        &emu,
        "/api/dataElements?fields=id&filter=code:eq:DE_01,code:eq:DE_02&rootJunction=or",
    )
    .await;
    assert_eq!(v["pager"]["total"], 2);
    let v = get_json(
        &emu,
        "/api/organisationUnits?fields=id&filter=parent.id:eq:OuRoot00001",
    )
    .await;
    assert_eq!(v["pager"]["total"], 3);
}

#[tokio::test]
async fn bad_filters_answer_per_version() {
    let emu = start_with_fixture("2.42.6").await;
    for (f, msg) in [
        ("name", "Invalid filter => name"),
        ("name:bogus:x", "`bogus` is not a valid operator."),
        ("nope:eq:1", "Unknown path property: nope"),
        (
            "attributeValues.value:eq:x",
            "Unknown path property: attributeValues.value",
        ),
        ("id:in:[]", "Invalid argument `[]` for in operator."),
        ("legendSets:in:x", "Collection size must be integer `x`"),
        (
            "zeroIsSignificant:eq:maybe",
            "Unable to parse `maybe` as `Boolean`.",
        ),
    ] {
        let r = get(&emu, &format!("/api/dataElements?filter={f}")).await;
        assert_eq!(r.status, 400, "{f}");
        assert_eq!(r.header("cache-control"), Some("no-cache, private"));
        assert_eq!(
            r.json(),
            json!({"httpStatus": "Bad Request", "httpStatusCode": 400, "status": "ERROR", "message": msg, "errorCode": "E1003"}),
            "{f}"
        );
    }
    // `!empty` exists from 2.42 only.
    let emu41 = start_with_fixture("2.41.10").await;
    let r = get(&emu41, "/api/dataElements?filter=legendSets:!empty").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["message"], "`!empty` is not a valid operator.");
    // 2.39 answers 409 without an error code.
    let emu39 = start_with_fixture("2.39.1").await;
    let r = get(&emu39, "/api/dataElements?filter=nope:eq:1").await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json(),
        json!({"httpStatus": "Conflict", "httpStatusCode": 409, "status": "ERROR", "message": "Unknown path property: nope"})
    );
}

#[tokio::test]
async fn attribute_value_filter() {
    let mut fx = fixture();
    fx["dataElements"][0]["attributeValues"] =
        json!([{"value": "red", "attribute": {"id": "AttrColour1"}}]);
    let emu = dhis2_emulator::Emulator::builder()
        .seed(dhis2_emulator::Seed::Empty)
        .import_metadata(fx)
        .start()
        .await
        .unwrap();
    let v = get_json(
        &emu,
        "/api/dataElements?fields=id&filter=AttrColour1:eq:red",
    )
    .await;
    assert_eq!(v["dataElements"], json!([{"id": "DeElem00000"}]));
}
