//! [`ImportReport`]: the answer to a metadata import (WIRE 7.2), with helpers to read what happened.

use super::{ErrorReport, Extra, Field, ObjectReport};

string_enum! {
    /// Status of a WebMessage or import report: `OK`, `WARNING`, `ERROR`.
    pub enum Status {
        /// Everything succeeded.
        Ok => "OK",
        /// Partly succeeded.
        Warning => "WARNING",
        /// Failed.
        Error => "ERROR",
    }
}

/// Counts of a metadata import, overall or per type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stats {
    /// Objects created.
    pub created: Field<u64>,
    /// Objects updated.
    pub updated: Field<u64>,
    /// Objects deleted.
    pub deleted: Field<u64>,
    /// Objects ignored (rejected).
    pub ignored: Field<u64>,
    /// All objects.
    pub total: Field<u64>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    Stats {
        created: "created",
        updated: "updated",
        deleted: "deleted",
        ignored: "ignored",
        total: "total",
    }
}

/// Per-type part of an import report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TypeReport {
    /// Fully qualified Java class of the type.
    pub klass: Field<String>,
    /// Counts for this type.
    pub stats: Field<Stats>,
    /// Reports for individual objects (with `importReportMode=ERRORS`, only those with errors).
    pub object_reports: Field<Vec<ObjectReport>>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    TypeReport {
        klass: "klass",
        stats: "stats",
        object_reports: "objectReports" vec,
    }
}

impl TypeReport {
    /// The object reports (empty when absent).
    pub fn objects(&self) -> &[ObjectReport] {
        self.object_reports
            .value()
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// The metadata import report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportReport {
    /// `ImportReport` or `ImportReportWebMessageResponse` inside a WebMessage (kept as sent); absent in a plain report.
    pub response_type: Field<String>,
    /// Overall status.
    pub status: Field<Status>,
    /// Overall counts.
    pub stats: Field<Stats>,
    /// One entry per imported type.
    pub type_reports: Field<Vec<TypeReport>>,
    /// Other keys (e.g. `importParams` in plain reports), kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    ImportReport {
        response_type: "responseType",
        status: "status",
        stats: "stats",
        type_reports: "typeReports" vec,
    }
}

/// A count of objects of one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeCount<'a> {
    /// Fully qualified Java class.
    pub klass: &'a str,
    /// Number of objects.
    pub count: u64,
}

/// An object the import rejected, with the reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct Ignored<'a> {
    /// Fully qualified Java class.
    pub klass: &'a str,
    /// UID of the object, when known.
    pub uid: Option<&'a str>,
    /// Position in the payload, when known.
    pub index: Option<i64>,
    /// Display name, when known.
    pub display_name: Option<&'a str>,
    /// Why it was rejected.
    pub reasons: &'a [ErrorReport],
}

/// An error report with the object it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportError<'a> {
    /// Fully qualified Java class of the object.
    pub klass: &'a str,
    /// UID of the object, when known.
    pub uid: Option<&'a str>,
    /// Position in the payload, when known.
    pub index: Option<i64>,
    /// The error.
    pub report: &'a ErrorReport,
}

impl ImportReport {
    /// The type reports (empty when absent).
    pub fn types(&self) -> &[TypeReport] {
        self.type_reports.value().map(Vec::as_slice).unwrap_or(&[])
    }

    fn counts(&self, pick: impl Fn(&Stats) -> Option<u64>) -> Vec<TypeCount<'_>> {
        self.types()
            .iter()
            .filter_map(|t| {
                let count = t.stats.value().and_then(&pick)?;
                (count > 0).then(|| TypeCount {
                    klass: t.klass.as_str().unwrap_or(""),
                    count,
                })
            })
            .collect()
    }

    /// Types with created objects and how many (DHIS2 reports counts per type, not per object).
    pub fn created(&self) -> Vec<TypeCount<'_>> {
        self.counts(|s| s.created.get())
    }

    /// Types with updated objects and how many.
    pub fn updated(&self) -> Vec<TypeCount<'_>> {
        self.counts(|s| s.updated.get())
    }

    /// Types with deleted objects and how many.
    pub fn deleted(&self) -> Vec<TypeCount<'_>> {
        self.counts(|s| s.deleted.get())
    }

    /// Overall number of ignored objects (from `stats`).
    pub fn ignored_count(&self) -> u64 {
        self.stats
            .value()
            .and_then(|s| s.ignored.get())
            .unwrap_or(0)
    }

    /// Objects that carry error reports, i.e. were ignored, each with its reasons.
    pub fn ignored(&self) -> Vec<Ignored<'_>> {
        self.types()
            .iter()
            .flat_map(|t| {
                let klass = t.klass.as_str();
                t.objects()
                    .iter()
                    .filter(|o| o.has_errors())
                    .map(move |o| Ignored {
                        klass: o.klass.as_str().or(klass).unwrap_or(""),
                        uid: o.uid.as_str(),
                        index: o.index.get(),
                        display_name: o.display_name.as_str(),
                        reasons: o.errors(),
                    })
            })
            .collect()
    }

    /// Every error report, flattened, with the object it belongs to.
    pub fn errors(&self) -> Vec<ImportError<'_>> {
        self.ignored()
            .into_iter()
            .flat_map(|i| {
                i.reasons.iter().map(move |report| ImportError {
                    klass: i.klass,
                    uid: i.uid,
                    index: i.index,
                    report,
                })
            })
            .collect()
    }

    /// `true` when the status is `OK` and nothing was ignored.
    pub fn is_ok(&self) -> bool {
        matches!(self.status.value(), Some(Status::Ok) | None)
            && self.ignored_count() == 0
            && self.errors().is_empty()
    }
}
