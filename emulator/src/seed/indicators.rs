//! Indicator types and indicators built from the data elements' measures.

use serde_json::{json, Value};

use super::common::{code_of, id_ref, identifiable, short, with_sharing};
use super::data_elements::{measure_name, DataElementInfo, AREAS};
use super::rng::Rng;

/// Indicator types and indicators.
pub(crate) struct Indicators {
    pub(crate) types: Vec<Value>,
    pub(crate) indicators: Vec<Value>,
}

/// (indicator name suffix, numerator measure, denominator measure, type index)
const FORMULAS: &[(&str, &str, &str, usize)] = &[
    ("positivity rate", "positive tests", "tests performed", 0),
    ("case fatality rate", "deaths", "new cases", 0),
    ("referral rate", "cases referred", "new cases", 1),
];

/// Builds the indicator types and three indicators per aggregate program area.
pub(crate) fn build(elements: &[DataElementInfo]) -> Indicators {
    let mut rng = Rng::new("indicators");
    let mut types = Vec::new();
    let mut type_uids = Vec::new();
    for (name, factor, number) in [
        ("Per cent", 100, false),
        ("Per thousand", 1000, false),
        ("Number (Factor 1)", 1, true),
    ] {
        let uid = rng.uid();
        let code = code_of("IT_", name);
        let mut t = identifiable(&mut rng, &uid, Some(&code), name, None);
        t.insert("factor".into(), json!(factor));
        t.insert("number".into(), json!(number));
        types.push(Value::Object(t));
        type_uids.push(uid);
    }
    let find = |area: usize, measure: &str| {
        elements
            .iter()
            .find(|e| e.area == area && measure_name(e.measure) == measure)
            .map(|e| e.uid.as_str())
    };
    let mut indicators = Vec::new();
    for (ai, area) in AREAS.iter().enumerate().take(AREAS.len() - 1) {
        for (suffix, num, den, ty) in FORMULAS {
            let (Some(n), Some(d)) = (find(ai, num), find(ai, den)) else {
                continue;
            };
            let uid = rng.uid();
            let name = format!("{area} {suffix}");
            let code = code_of("IN_", &name);
            let mut i = identifiable(&mut rng, &uid, Some(&code), &name, Some(&short(&name)));
            i.insert("annualized".into(), json!(false));
            i.insert("decimals".into(), json!(1));
            i.insert("indicatorType".into(), id_ref(&type_uids[*ty]));
            i.insert("numerator".into(), json!(format!("#{{{n}}}")));
            i.insert(
                "numeratorDescription".into(),
                json!(format!("{area} {num}")),
            );
            i.insert("denominator".into(), json!(format!("#{{{d}}}")));
            i.insert(
                "denominatorDescription".into(),
                json!(format!("{area} {den}")),
            );
            i.insert("legendSets".into(), json!([]));
            with_sharing(&mut i, "rw------");
            indicators.push(Value::Object(i));
        }
    }
    Indicators { types, indicators }
}
