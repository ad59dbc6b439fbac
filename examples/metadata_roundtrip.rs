//! Metadata round trip: create a category combo (options, category, combo) in one bulk import, create a data
//! element that uses it, read it back, patch it, delete it, and clean up.
//!
//! With `DHIS2_URL` set (plus `DHIS2_PAT`, or `DHIS2_USERNAME`/`DHIS2_PASSWORD`, or `DHIS2_SESSION_COOKIE`) it
//! talks to that server (it creates and then deletes its own objects); otherwise it starts the embedded
//! `dhis2-emulator` and logs in as admin/district.
//!
//! ```sh
//! cargo run --example metadata_roundtrip
//! ```

use dhis2::accessors::metadata::{MetadataImportOptions, MetadataPayload};
use dhis2::models::{
    AggregationType, Category, CategoryCombo, CategoryOption, DataDimensionType, DataElement,
    DataElementDomain, JsonPatch, Ref, Uid, ValueType,
};
use dhis2::{BasicAuth, Dhis2Client, Profile};

// `pub` so that the test suite can run it (tests/examples_run.rs).
#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the emulator alive until the end of main (it shuts down on drop).
    let mut _emulator = None;
    let builder = if std::env::var_os("DHIS2_URL").is_some() {
        Profile::from_env()?.builder()
    } else {
        let emulator = dhis2_emulator::Emulator::builder()
            .version("2.42.6")
            .start()
            .await?;
        println!(
            "no DHIS2_URL: using the embedded emulator at {}",
            emulator.url()
        );
        let builder =
            Dhis2Client::builder(emulator.url()).auth(BasicAuth::new("admin", "district"));
        _emulator = Some(emulator);
        builder
    };
    let client = builder.connect().await?;
    println!("connected to DHIS2 {}", client.raw_version()?);

    // Client-generated uids keep the run's objects apart from everything else on the server.
    let tag = Uid::generate();
    let named = |what: &str| format!("rt {what} {tag}");

    // 1. A category combo with one category of two options, in one bulk import.
    let options: Vec<CategoryOption> = ["yes", "no"]
        .iter()
        .map(|o| {
            let mut opt = CategoryOption::default();
            opt.id.set(Uid::generate().into_string());
            opt.name.set(named(o));
            opt.short_name.set(named(o));
            opt
        })
        .collect();
    let mut category = Category::default();
    category.id.set(Uid::generate().into_string());
    category.name.set(named("category"));
    category.short_name.set(named("category"));
    category
        .data_dimension_type
        .set(DataDimensionType::Disaggregation);
    category.category_options.set(
        options
            .iter()
            .filter_map(|o| o.id.as_str().map(Ref::new))
            .collect(),
    );
    let mut combo = CategoryCombo::default();
    let combo_id = Uid::generate();
    combo.id.set(combo_id.to_string());
    combo.name.set(named("combo"));
    combo
        .data_dimension_type
        .set(DataDimensionType::Disaggregation);
    combo.categories.set(vec![Ref::new(
        category.id.as_str().unwrap_or_default().to_owned(),
    )]);
    let payload = MetadataPayload::new()
        .with(&options)
        .with(std::slice::from_ref(&category))
        .with(std::slice::from_ref(&combo));
    let report = client
        .metadata()
        .create_all(&payload, MetadataImportOptions::new())
        .await?;
    if !report.is_ok() {
        for e in report.errors() {
            eprintln!("  {} {:?}: {:?}", e.klass, e.uid, e.report.message.value());
        }
        return Err("the category combo import failed".into());
    }
    for created in report.created() {
        println!("created {} x {}", created.count, created.klass);
    }

    // 2. A data element disaggregated by that combo.
    let elements = client.resources()?.of::<DataElement>();
    let mut element = DataElement::default();
    element.name.set(named("element"));
    element.short_name.set(named("element"));
    element.value_type.set(ValueType::Integer);
    element.aggregation_type.set(AggregationType::Sum);
    element.domain_type.set(DataElementDomain::Aggregate);
    element.category_combo.set(Ref::new(combo_id.to_string()));
    let uid = elements.create(&element).await?;
    println!("created data element {uid}");

    // 3. Read it back.
    let read = elements.get(uid.as_str()).await?;
    println!(
        "read back: {:?}, category combo {:?}",
        read.name.as_str(),
        read.category_combo.value().and_then(|r| r.id())
    );
    if read.category_combo.value().and_then(|r| r.id()) != Some(combo_id.as_str()) {
        return Err("the data element lost its category combo".into());
    }

    // 4. Patch it.
    let patch = JsonPatch::new()
        .replace("name", named("element patched"))
        .add("description", "patched by metadata_roundtrip");
    elements.patch(uid.as_str(), &patch).await?;
    let patched = elements
        .get_with(uid.as_str(), "id,name,description")
        .await?;
    println!(
        "patched: {:?} / {:?}",
        patched.name.as_str(),
        patched.description.as_str()
    );

    // 5. Delete it, then the category objects in one bulk delete.
    elements.delete(uid.as_str()).await?;
    println!("deleted data element {uid}");
    let option_ids: Vec<&str> = options.iter().filter_map(|o| o.id.as_str()).collect();
    let cleanup = MetadataPayload::new()
        .with_ids::<CategoryCombo, _>(&[combo_id.as_str()])
        .with_ids::<Category, _>(&[category.id.as_str().unwrap_or_default()])
        .with_ids::<CategoryOption, _>(&option_ids);
    let report = client
        .metadata()
        .delete_all(&cleanup, MetadataImportOptions::new())
        .await?;
    for deleted in report.deleted() {
        println!("deleted {} x {}", deleted.count, deleted.klass);
    }
    client.close().await;
    Ok(())
}
