//! Data elements (12 program areas x 19 measures = 228) and the option sets some of them use.

use serde_json::{json, Value};

use super::common::{code_of, id_ref, id_refs, identifiable, short, with_sharing};
use super::rng::Rng;

/// Program areas; the last one holds tracker-domain data elements.
pub(crate) const AREAS: &[&str] = &[
    "Malaria",
    "HIV",
    "TB",
    "Nutrition",
    "Immunization",
    "Maternal health",
    "Child health",
    "Family planning",
    "NCD",
    "WASH",
    "Mental health",
    "Surveillance",
];

/// A measure: name suffix, value type, combo index (into the category combos), option set index.
struct Measure {
    name: &'static str,
    value_type: &'static str,
    combo: usize,
    option_set: Option<usize>,
}

const MEASURES: &[Measure] = &[
    Measure {
        name: "new cases",
        value_type: "INTEGER_ZERO_OR_POSITIVE",
        combo: 2,
        option_set: None,
    },
    Measure {
        name: "cases referred",
        value_type: "INTEGER_ZERO_OR_POSITIVE",
        combo: 0,
        option_set: None,
    },
    Measure {
        name: "deaths",
        value_type: "INTEGER_ZERO_OR_POSITIVE",
        combo: 2,
        option_set: None,
    },
    Measure {
        name: "tests performed",
        value_type: "INTEGER_ZERO_OR_POSITIVE",
        combo: 0,
        option_set: None,
    },
    Measure {
        name: "positive tests",
        value_type: "INTEGER_ZERO_OR_POSITIVE",
        combo: 0,
        option_set: None,
    },
    Measure {
        name: "clients on treatment",
        value_type: "INTEGER",
        combo: 1,
        option_set: None,
    },
    Measure {
        name: "stock on hand",
        value_type: "NUMBER",
        combo: 0,
        option_set: None,
    },
    Measure {
        name: "stock out days",
        value_type: "INTEGER_ZERO_OR_POSITIVE",
        combo: 0,
        option_set: None,
    },
    Measure {
        name: "coverage",
        value_type: "PERCENTAGE",
        combo: 0,
        option_set: None,
    },
    Measure {
        name: "first visits",
        value_type: "INTEGER_POSITIVE",
        combo: 1,
        option_set: None,
    },
    Measure {
        name: "follow-up visits",
        value_type: "INTEGER_ZERO_OR_POSITIVE",
        combo: 1,
        option_set: None,
    },
    Measure {
        name: "outreach sessions",
        value_type: "INTEGER_ZERO_OR_POSITIVE",
        combo: 3,
        option_set: None,
    },
    Measure {
        name: "target population",
        value_type: "INTEGER_POSITIVE",
        combo: 0,
        option_set: None,
    },
    Measure {
        name: "average waiting time",
        value_type: "NUMBER",
        combo: 0,
        option_set: None,
    },
    Measure {
        name: "data verified",
        value_type: "BOOLEAN",
        combo: 0,
        option_set: None,
    },
    Measure {
        name: "register available",
        value_type: "TRUE_ONLY",
        combo: 0,
        option_set: None,
    },
    Measure {
        name: "last supervision date",
        value_type: "DATE",
        combo: 0,
        option_set: None,
    },
    Measure {
        name: "predominant case classification",
        value_type: "TEXT",
        combo: 0,
        option_set: Some(0),
    },
    Measure {
        name: "remarks",
        value_type: "LONG_TEXT",
        combo: 0,
        option_set: None,
    },
];

/// Option sets: name, value type, options (name, code).
/// An option set: name, value type, options (name, code).
type OptionSetDef = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const OPTION_SETS: &[OptionSetDef] = &[
    (
        "Case classification",
        "TEXT",
        &[
            ("Confirmed", "CONFIRMED"),
            ("Probable", "PROBABLE"),
            ("Suspected", "SUSPECTED"),
            ("Not a case", "NOT_A_CASE"),
        ],
    ),
    ("Yes/No", "TEXT", &[("Yes", "YES"), ("No", "NO")]),
    (
        "Treatment outcome",
        "TEXT",
        &[
            ("Cured", "CURED"),
            ("Treatment completed", "COMPLETED"),
            ("Treatment failed", "FAILED"),
            ("Died", "DIED"),
            ("Lost to follow-up", "LTFU"),
            ("Transferred out", "TRANSFERRED"),
        ],
    ),
    (
        "Referral reason",
        "TEXT",
        &[
            ("Complication", "COMPLICATION"),
            ("Lack of supplies", "SUPPLIES"),
            ("Specialist care", "SPECIALIST"),
        ],
    ),
    (
        "Malaria species",
        "TEXT",
        &[
            ("P. falciparum", "PF"),
            ("P. vivax", "PV"),
            ("P. malariae", "PM"),
            ("Mixed", "MIXED"),
        ],
    ),
];

/// A data element as the data sets, indicators and data values need it.
#[derive(Clone, Debug)]
pub(crate) struct DataElementInfo {
    pub(crate) uid: String,
    pub(crate) area: usize,
    pub(crate) measure: usize,
    pub(crate) value_type: &'static str,
    pub(crate) combo: usize,
    pub(crate) aggregate: bool,
    /// Option codes when the element has an option set.
    pub(crate) options: Option<Vec<&'static str>>,
}

/// The data element area.
pub(crate) struct DataElements {
    pub(crate) elements: Vec<Value>,
    pub(crate) option_sets: Vec<Value>,
    pub(crate) options: Vec<Value>,
    pub(crate) info: Vec<DataElementInfo>,
}

/// Builds data elements and option sets; `combos` are the category combo UIDs (index 0 = default).
pub(crate) fn build(combos: &[String]) -> DataElements {
    let mut rng = Rng::new("dataElements");
    let mut option_sets = Vec::new();
    let mut options = Vec::new();
    let mut set_uids = Vec::new();
    for (name, vt, opts) in OPTION_SETS {
        let uid = rng.uid();
        let opt_uids: Vec<String> = opts.iter().map(|_| rng.uid()).collect();
        for (i, ((oname, ocode), ouid)) in opts.iter().zip(&opt_uids).enumerate() {
            let mut o = identifiable(&mut rng, ouid, Some(ocode), oname, None);
            o.insert("sortOrder".into(), json!(i + 1));
            o.insert("optionSet".into(), id_ref(&uid));
            options.push(Value::Object(o));
        }
        let code = code_of("OS_", name);
        let mut s = identifiable(&mut rng, &uid, Some(&code), name, None);
        s.insert("valueType".into(), json!(vt));
        s.insert("version".into(), json!(1));
        s.insert(
            "options".into(),
            id_refs(opt_uids.iter().map(String::as_str)),
        );
        with_sharing(&mut s, "rw------");
        option_sets.push(Value::Object(s));
        set_uids.push(uid);
    }

    let mut elements = Vec::with_capacity(AREAS.len() * MEASURES.len());
    let mut info = Vec::with_capacity(AREAS.len() * MEASURES.len());
    for (ai, area) in AREAS.iter().enumerate() {
        let aggregate = ai + 1 < AREAS.len();
        for (mi, m) in MEASURES.iter().enumerate() {
            let uid = rng.uid();
            let name = format!("{area} {}", m.name);
            let code = code_of("DE_", &name);
            let short_name = short(&name);
            let mut e = identifiable(&mut rng, &uid, Some(&code), &name, Some(&short_name));
            e.insert("formName".into(), json!(name));
            e.insert(
                "description".into(),
                json!(format!(
                    "Number or status of {} in the {} programme",
                    m.name, area
                )),
            );
            e.insert("valueType".into(), json!(m.value_type));
            let aggregation = match m.value_type {
                "PERCENTAGE" | "NUMBER" => "AVERAGE",
                "TEXT" | "LONG_TEXT" | "DATE" => "NONE",
                "BOOLEAN" | "TRUE_ONLY" => "COUNT",
                _ => "SUM",
            };
            e.insert("aggregationType".into(), json!(aggregation));
            e.insert(
                "domainType".into(),
                json!(if aggregate { "AGGREGATE" } else { "TRACKER" }),
            );
            e.insert("zeroIsSignificant".into(), json!(m.name == "stock on hand"));
            let combo = if aggregate { m.combo } else { 0 };
            e.insert(
                "categoryCombo".into(),
                id_ref(&combos[combo.min(combos.len().saturating_sub(1))]),
            );
            if let Some(os) = m.option_set {
                e.insert("optionSet".into(), id_ref(&set_uids[os]));
            }
            e.insert("aggregationLevels".into(), json!([]));
            e.insert("legendSets".into(), json!([]));
            with_sharing(&mut e, "rwrw----");
            elements.push(Value::Object(e));
            info.push(DataElementInfo {
                uid,
                area: ai,
                measure: mi,
                value_type: m.value_type,
                combo,
                aggregate,
                options: m
                    .option_set
                    .map(|os| OPTION_SETS[os].2.iter().map(|(_, c)| *c).collect()),
            });
        }
    }
    DataElements {
        elements,
        option_sets,
        options,
        info,
    }
}

/// The measure name of a data element (for indicator formulas).
pub(crate) fn measure_name(i: usize) -> &'static str {
    MEASURES.get(i).map_or("", |m| m.name)
}
