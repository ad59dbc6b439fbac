//! Categories, category options, category combos and their option combos, including DHIS2's default ones.

use serde_json::{json, Value};

use super::common::{
    code_of, id_ref, id_refs, identifiable, with_sharing, DEFAULT_CATEGORY, DEFAULT_CATEGORY_COMBO,
    DEFAULT_CATEGORY_OPTION, DEFAULT_COC,
};
use super::rng::Rng;

/// A category combo as the data elements and data values need it.
#[derive(Clone, Debug)]
pub(crate) struct Combo {
    pub(crate) uid: String,
    pub(crate) cocs: Vec<String>,
}

/// Everything in the category area.
pub(crate) struct Categories {
    pub(crate) categories: Vec<Value>,
    pub(crate) options: Vec<Value>,
    pub(crate) combos: Vec<Value>,
    pub(crate) option_combos: Vec<Value>,
    /// Index 0 is the default combo; the others are disaggregation combos, the last one an attribute combo.
    pub(crate) combo_list: Vec<Combo>,
}

struct CategoryDef {
    name: &'static str,
    short: &'static str,
    attribute: bool,
    options: &'static [&'static str],
}

const CATEGORIES: &[CategoryDef] = &[
    CategoryDef {
        name: "Sex",
        short: "Sex",
        attribute: false,
        options: &["Male", "Female"],
    },
    CategoryDef {
        name: "Age group",
        short: "Age",
        attribute: false,
        options: &["<5y", "5-14y", "15-49y", "50+y"],
    },
    CategoryDef {
        name: "Location Fixed/Outreach",
        short: "Location",
        attribute: false,
        options: &["Fixed", "Outreach"],
    },
    CategoryDef {
        name: "Funding Mechanism",
        short: "Funding",
        attribute: true,
        options: &["Government", "Global Fund", "Health Pooled Fund"],
    },
];

/// Combos as lists of category indexes into `CATEGORIES`.
const COMBOS: &[(&str, &[usize])] = &[
    ("Sex", &[0]),
    ("Age and sex", &[1, 0]),
    ("Location Fixed/Outreach", &[2]),
    ("Funding Mechanism", &[3]),
];

/// Builds the category area deterministically.
pub(crate) fn build() -> Categories {
    let mut rng = Rng::new("categories");
    let mut categories = Vec::new();
    let mut options = Vec::new();
    let mut combos = Vec::new();
    let mut option_combos = Vec::new();
    let mut combo_list = Vec::new();

    // The default objects, with DHIS2's well-known UIDs.
    let mut o = identifiable(
        &mut rng,
        DEFAULT_CATEGORY_OPTION,
        Some("default"),
        "default",
        Some("default"),
    );
    o.insert("isDefault".into(), json!(true));
    o.insert("categories".into(), id_refs([DEFAULT_CATEGORY]));
    o.insert("organisationUnits".into(), json!([]));
    with_sharing(&mut o, "rwrw----");
    options.push(Value::Object(o));
    let mut c = identifiable(
        &mut rng,
        DEFAULT_CATEGORY,
        Some("default"),
        "default",
        Some("default"),
    );
    c.insert("dataDimensionType".into(), json!("DISAGGREGATION"));
    c.insert("dataDimension".into(), json!(false));
    c.insert("categoryOptions".into(), id_refs([DEFAULT_CATEGORY_OPTION]));
    c.insert("categoryCombos".into(), id_refs([DEFAULT_CATEGORY_COMBO]));
    with_sharing(&mut c, "rw------");
    categories.push(Value::Object(c));
    let mut cc = identifiable(
        &mut rng,
        DEFAULT_CATEGORY_COMBO,
        Some("default"),
        "default",
        None,
    );
    // Category combos carry no attribute values (not a property of the type).
    cc.shift_remove("attributeValues");
    cc.insert("dataDimensionType".into(), json!("DISAGGREGATION"));
    cc.insert("skipTotal".into(), json!(false));
    cc.insert("isDefault".into(), json!(true));
    cc.insert("categories".into(), id_refs([DEFAULT_CATEGORY]));
    cc.insert("categoryOptionCombos".into(), id_refs([DEFAULT_COC]));
    with_sharing(&mut cc, "rw------");
    combos.push(Value::Object(cc));
    let mut coc = identifiable(&mut rng, DEFAULT_COC, Some("default"), "default", None);
    coc.insert("ignoreApproval".into(), json!(false));
    coc.insert("categoryCombo".into(), id_ref(DEFAULT_CATEGORY_COMBO));
    coc.insert("categoryOptions".into(), id_refs([DEFAULT_CATEGORY_OPTION]));
    option_combos.push(Value::Object(coc));
    combo_list.push(Combo {
        uid: DEFAULT_CATEGORY_COMBO.into(),
        cocs: vec![DEFAULT_COC.into()],
    });

    // uids decided first so categories and combos can reference each other.
    let cat_uids: Vec<String> = CATEGORIES.iter().map(|_| rng.uid()).collect();
    let opt_uids: Vec<Vec<String>> = CATEGORIES
        .iter()
        .map(|c| c.options.iter().map(|_| rng.uid()).collect())
        .collect();
    let combo_uids: Vec<String> = COMBOS.iter().map(|_| rng.uid()).collect();

    for (ci, def) in CATEGORIES.iter().enumerate() {
        let in_combos: Vec<&str> = COMBOS
            .iter()
            .zip(&combo_uids)
            .filter(|((_, cats), _)| cats.contains(&ci))
            .map(|(_, u)| u.as_str())
            .collect();
        for (oi, oname) in def.options.iter().enumerate() {
            let code = code_of("", oname);
            let mut o = identifiable(&mut rng, &opt_uids[ci][oi], Some(&code), oname, Some(oname));
            o.insert("isDefault".into(), json!(false));
            o.insert("categories".into(), id_refs([cat_uids[ci].as_str()]));
            o.insert("organisationUnits".into(), json!([]));
            with_sharing(&mut o, "rwrw----");
            options.push(Value::Object(o));
        }
        let code = code_of("", def.name);
        let mut c = identifiable(
            &mut rng,
            &cat_uids[ci],
            Some(&code),
            def.name,
            Some(def.short),
        );
        c.insert(
            "dataDimensionType".into(),
            json!(if def.attribute {
                "ATTRIBUTE"
            } else {
                "DISAGGREGATION"
            }),
        );
        c.insert("dataDimension".into(), json!(true));
        c.insert(
            "categoryOptions".into(),
            id_refs(opt_uids[ci].iter().map(String::as_str)),
        );
        c.insert("categoryCombos".into(), id_refs(in_combos));
        with_sharing(&mut c, "rw------");
        categories.push(Value::Object(c));
    }

    for ((name, cats), uid) in COMBOS.iter().zip(&combo_uids) {
        // Cartesian product of the options, first category varying slowest.
        let mut rows: Vec<(Vec<&str>, Vec<&str>)> = vec![(Vec::new(), Vec::new())];
        for &ci in cats.iter() {
            let mut next = Vec::new();
            for (names, uids) in &rows {
                for (oi, oname) in CATEGORIES[ci].options.iter().enumerate() {
                    let mut n = names.clone();
                    n.push(*oname);
                    let mut u = uids.clone();
                    u.push(opt_uids[ci][oi].as_str());
                    next.push((n, u));
                }
            }
            rows = next;
        }
        let attribute = cats.iter().any(|&ci| CATEGORIES[ci].attribute);
        let mut cocs = Vec::new();
        for (names, uids) in rows {
            let coc_uid = rng.uid();
            let coc_name = names.join(", ");
            let mut coc = identifiable(&mut rng, &coc_uid, None, &coc_name, None);
            coc.insert("ignoreApproval".into(), json!(false));
            coc.insert("categoryCombo".into(), id_ref(uid));
            coc.insert("categoryOptions".into(), id_refs(uids));
            option_combos.push(Value::Object(coc));
            cocs.push(coc_uid);
        }
        let code = code_of("CC_", name);
        let mut cc = identifiable(&mut rng, uid, Some(&code), name, None);
        cc.shift_remove("attributeValues");
        cc.insert(
            "dataDimensionType".into(),
            json!(if attribute {
                "ATTRIBUTE"
            } else {
                "DISAGGREGATION"
            }),
        );
        cc.insert("skipTotal".into(), json!(false));
        cc.insert("isDefault".into(), json!(false));
        cc.insert(
            "categories".into(),
            id_refs(cats.iter().map(|&ci| cat_uids[ci].as_str())),
        );
        cc.insert(
            "categoryOptionCombos".into(),
            id_refs(cocs.iter().map(String::as_str)),
        );
        with_sharing(&mut cc, "rw------");
        combos.push(Value::Object(cc));
        combo_list.push(Combo {
            uid: uid.clone(),
            cocs,
        });
    }

    Categories {
        categories,
        options,
        combos,
        option_combos,
        combo_list,
    }
}
