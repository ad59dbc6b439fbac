//! Data sets (one per pair of aggregate program areas) with sections and dataSetElements.

use serde_json::{json, Map, Value};

use super::common::{code_of, id_ref, id_refs, identifiable, with_sharing, DEFAULT_CATEGORY_COMBO};
use super::data_elements::{DataElementInfo, AREAS};
use super::org_units::Facility;
use super::rng::Rng;

/// A data set as the data values need it.
#[derive(Clone, Debug)]
pub(crate) struct DataSetInfo {
    pub(crate) period_type: &'static str,
    /// Indexes into the data element list.
    pub(crate) elements: Vec<usize>,
    /// Indexes into the facility list.
    pub(crate) facilities: Vec<usize>,
}

/// The data set area.
pub(crate) struct DataSets {
    pub(crate) data_sets: Vec<Value>,
    pub(crate) sections: Vec<Value>,
    pub(crate) info: Vec<DataSetInfo>,
}

const PERIOD_TYPES: &[&str] = &[
    "Monthly",
    "Monthly",
    "Quarterly",
    "Monthly",
    "Monthly",
    "Yearly",
];
const SECTIONS: &[(&str, &[usize])] = &[
    ("Cases and outcomes", &[0, 1, 2, 3, 4, 5]),
    ("Services and commodities", &[6, 7, 8, 9, 10, 11, 12, 13]),
    ("Data quality", &[14, 15, 16, 17, 18]),
];

/// Builds the data sets from the aggregate data elements and the facilities.
pub(crate) fn build(elements: &[DataElementInfo], facilities: &[Facility]) -> DataSets {
    let mut rng = Rng::new("dataSets");
    let mut data_sets = Vec::new();
    let mut sections = Vec::new();
    let mut info = Vec::new();
    let aggregate_areas = AREAS.len() - 1;
    for (di, period_type) in PERIOD_TYPES.iter().enumerate() {
        let areas: Vec<usize> = [di * 2, di * 2 + 1]
            .into_iter()
            .filter(|a| *a < aggregate_areas)
            .collect();
        if areas.is_empty() {
            continue;
        }
        let uid = rng.uid();
        let title = areas
            .iter()
            .map(|a| AREAS[*a])
            .collect::<Vec<_>>()
            .join(" and ");
        let name = format!("{title} {} report", period_type.to_ascii_lowercase());
        let short_name: String = name.chars().take(50).collect();
        let code = code_of("DS_", &title);
        let member_idx: Vec<usize> = (0..elements.len())
            .filter(|i| areas.contains(&elements[*i].area) && elements[*i].aggregate)
            .collect();
        // Most facilities report every data set; a deterministic 15% do not.
        let fac_idx: Vec<usize> = (0..facilities.len())
            .filter(|_| !rng.chance(15, 100))
            .collect();

        let mut m: Map<String, Value> =
            identifiable(&mut rng, &uid, Some(&code), &name, Some(&short_name));
        m.insert("periodType".into(), json!(period_type));
        m.insert("categoryCombo".into(), id_ref(DEFAULT_CATEGORY_COMBO));
        m.insert("version".into(), json!(rng.range(1, 20)));
        m.insert("expiryDays".into(), json!(0));
        m.insert("timelyDays".into(), json!(15));
        m.insert("openFuturePeriods".into(), json!(0));
        m.insert("mobile".into(), json!(false));
        m.insert("validCompleteOnly".into(), json!(false));
        m.insert("noValueRequiresComment".into(), json!(false));
        m.insert("fieldCombinationRequired".into(), json!(false));
        m.insert("renderAsTabs".into(), json!(false));
        m.insert("renderHorizontally".into(), json!(false));
        m.insert("skipOffline".into(), json!(false));
        m.insert("compulsoryFieldsCompleteOnly".into(), json!(false));
        m.insert(
            "dataSetElements".into(),
            Value::Array(
                member_idx
                    .iter()
                    .map(|i| json!({"dataElement": {"id": elements[*i].uid}, "dataSet": {"id": uid}}))
                    .collect(),
            ),
        );
        m.insert(
            "organisationUnits".into(),
            id_refs(fac_idx.iter().map(|i| facilities[*i].uid.as_str())),
        );
        m.insert("indicators".into(), json!([]));
        m.insert("compulsoryDataElementOperands".into(), json!([]));
        m.insert("legendSets".into(), json!([]));

        let mut section_ids = Vec::new();
        for (si, (sname, measures)) in SECTIONS.iter().enumerate() {
            let suid = rng.uid();
            let des: Vec<&str> = member_idx
                .iter()
                .filter(|i| measures.contains(&elements[**i].measure))
                .map(|i| elements[*i].uid.as_str())
                .collect();
            let mut s = identifiable(&mut rng, &suid, None, sname, None);
            // Sections are not shareable and carry no user references.
            s.shift_remove("createdBy");
            s.shift_remove("lastUpdatedBy");
            s.insert("sortOrder".into(), json!(si + 1));
            s.insert("dataSet".into(), id_ref(&uid));
            s.insert("dataElements".into(), id_refs(des));
            s.insert("indicators".into(), json!([]));
            s.insert("greyedFields".into(), json!([]));
            s.insert("showRowTotals".into(), json!(false));
            s.insert("showColumnTotals".into(), json!(false));
            s.insert("disableDataElementAutoGroup".into(), json!(false));
            sections.push(Value::Object(s));
            section_ids.push(suid);
        }
        m.insert(
            "sections".into(),
            id_refs(section_ids.iter().map(String::as_str)),
        );
        with_sharing(&mut m, "rwrw----");
        data_sets.push(Value::Object(m));
        info.push(DataSetInfo {
            period_type,
            elements: member_idx,
            facilities: fac_idx,
        });
    }
    DataSets {
        data_sets,
        sections,
        info,
    }
}
