//! What the importer knows per metadata type: Java class, required and unique properties, references, and the
//! dependency order imports run in (taken from DHIS2's schema descriptors for the types the emulator seeds).

/// A reference property: JSON key, target collection, whether it is a list of references.
pub(crate) type Reference = (&'static str, &'static str, bool);

/// Import rules of one type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TypeInfo {
    pub(crate) plural: &'static str,
    pub(crate) klass: &'static str,
    pub(crate) required: &'static [&'static str],
    pub(crate) unique: &'static [&'static str],
    pub(crate) references: &'static [Reference],
}

impl TypeInfo {
    /// The simple class name (`DataElement`).
    pub(crate) fn simple_name(&self) -> &'static str {
        self.klass.rsplit('.').next().unwrap_or(self.klass)
    }
}

macro_rules! t {
    ($plural:literal, $klass:literal, [$($req:literal),*], [$($uniq:literal),*], [$(($rk:literal, $rt:literal, $rc:literal)),*]) => {
        TypeInfo { plural: $plural, klass: $klass, required: &[$($req),*], unique: &[$($uniq),*], references: &[$(($rk, $rt, $rc)),*] }
    };
}

/// Known types, in import (dependency) order.
pub(crate) const TYPES: &[TypeInfo] = &[
    t!(
        "userRoles",
        "org.hisp.dhis.user.UserRole",
        ["name"],
        ["code", "name"],
        []
    ),
    t!(
        "organisationUnitLevels",
        "org.hisp.dhis.organisationunit.OrganisationUnitLevel",
        ["name", "level"],
        ["code", "name", "level"],
        []
    ),
    t!(
        "organisationUnits",
        "org.hisp.dhis.organisationunit.OrganisationUnit",
        ["name", "shortName", "openingDate"],
        ["code"],
        [("parent", "organisationUnits", false)]
    ),
    t!(
        "organisationUnitGroups",
        "org.hisp.dhis.organisationunit.OrganisationUnitGroup",
        ["name", "shortName"],
        ["code", "name", "shortName"],
        [("organisationUnits", "organisationUnits", true)]
    ),
    t!(
        "organisationUnitGroupSets",
        "org.hisp.dhis.organisationunit.OrganisationUnitGroupSet",
        ["name", "shortName"],
        ["code", "name", "shortName"],
        [("organisationUnitGroups", "organisationUnitGroups", true)]
    ),
    t!(
        "users",
        "org.hisp.dhis.user.User",
        ["firstName", "surname", "username"],
        ["code", "username"],
        [
            ("userRoles", "userRoles", true),
            ("organisationUnits", "organisationUnits", true),
            ("dataViewOrganisationUnits", "organisationUnits", true)
        ]
    ),
    t!(
        "categoryOptions",
        "org.hisp.dhis.category.CategoryOption",
        ["name", "shortName"],
        ["code", "name", "shortName"],
        [("organisationUnits", "organisationUnits", true)]
    ),
    t!(
        "categories",
        "org.hisp.dhis.category.Category",
        ["name", "shortName"],
        ["code", "name", "shortName"],
        [("categoryOptions", "categoryOptions", true)]
    ),
    t!(
        "categoryCombos",
        "org.hisp.dhis.category.CategoryCombo",
        ["name"],
        ["code", "name"],
        [("categories", "categories", true)]
    ),
    t!(
        "categoryOptionCombos",
        "org.hisp.dhis.category.CategoryOptionCombo",
        ["categoryCombo"],
        ["code"],
        [
            ("categoryCombo", "categoryCombos", false),
            ("categoryOptions", "categoryOptions", true)
        ]
    ),
    t!(
        "optionSets",
        "org.hisp.dhis.option.OptionSet",
        ["name", "valueType"],
        ["code", "name"],
        []
    ),
    t!(
        "options",
        "org.hisp.dhis.option.Option",
        ["name", "code"],
        [],
        [("optionSet", "optionSets", false)]
    ),
    t!(
        "dataElements",
        "org.hisp.dhis.dataelement.DataElement",
        ["name", "shortName", "valueType"],
        ["code", "name", "shortName"],
        [
            ("categoryCombo", "categoryCombos", false),
            ("optionSet", "optionSets", false),
            ("commentOptionSet", "optionSets", false)
        ]
    ),
    t!(
        "dataElementGroups",
        "org.hisp.dhis.dataelement.DataElementGroup",
        ["name", "shortName"],
        ["code", "name", "shortName"],
        [("dataElements", "dataElements", true)]
    ),
    t!(
        "indicatorTypes",
        "org.hisp.dhis.indicator.IndicatorType",
        ["name", "factor"],
        ["code", "name"],
        []
    ),
    t!(
        "indicators",
        "org.hisp.dhis.indicator.Indicator",
        [
            "name",
            "shortName",
            "indicatorType",
            "numerator",
            "denominator"
        ],
        ["code"],
        [("indicatorType", "indicatorTypes", false)]
    ),
    t!(
        "dataSets",
        "org.hisp.dhis.dataset.DataSet",
        ["name", "shortName", "periodType"],
        ["code", "shortName"],
        [
            ("categoryCombo", "categoryCombos", false),
            ("organisationUnits", "organisationUnits", true),
            ("indicators", "indicators", true)
        ]
    ),
    t!(
        "sections",
        "org.hisp.dhis.dataset.Section",
        ["name", "dataSet"],
        ["code"],
        [
            ("dataSet", "dataSets", false),
            ("dataElements", "dataElements", true),
            ("indicators", "indicators", true)
        ]
    ),
];

/// Rules for a plural name; other types get their class from the schema registry and only need `name` (when
/// the registry says they have one).
pub(crate) fn info(plural: &str) -> TypeInfo {
    if let Some(t) = TYPES.iter().find(|t| t.plural == plural) {
        return *t;
    }
    let schema = crate::schema::by_plural(plural);
    let needs_name = schema.map_or(true, |s| s.required.contains(&"name"));
    TypeInfo {
        plural: schema.map_or("", |s| s.plural),
        klass: schema.map_or("org.hisp.dhis.common.IdentifiableObject", |s| s.klass),
        required: if needs_name { &["name"] } else { &[] },
        unique: &["code"],
        references: &[],
    }
}

/// Position of a type in the import order (unknown types last, in payload order).
pub(crate) fn order(plural: &str) -> usize {
    TYPES
        .iter()
        .position(|t| t.plural == plural)
        .unwrap_or(TYPES.len())
}
