//! [`Pager`]: the paging block of collection lists.

use super::{Extra, Field};

/// `pager` of a collection list: `{"page", "total", "pageSize", "pageCount", "nextPage"?, "prevPage"?}` (WIRE 4.2).
///
/// Tracker lists omit `total` and `pageCount` unless `totalPages=true` (WIRE 4.3).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pager {
    /// Current page (1-based; clamped by the server into `[1, pageCount]`).
    pub page: Field<u64>,
    /// Number of pages.
    pub page_count: Field<u64>,
    /// Total number of matching objects.
    pub total: Field<u64>,
    /// Page size.
    pub page_size: Field<u64>,
    /// Absolute URL of the next page, when there is one.
    pub next_page: Field<String>,
    /// Absolute URL of the previous page, when there is one.
    pub prev_page: Field<String>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    Pager {
        page: "page",
        page_count: "pageCount",
        total: "total",
        page_size: "pageSize",
        next_page: "nextPage",
        prev_page: "prevPage",
    }
}

impl Pager {
    /// `true` when the server says a later page exists (a `nextPage` link, or `page < pageCount`).
    pub fn has_next(&self) -> bool {
        if self.next_page.is_value() {
            return true;
        }
        match (self.page.get(), self.page_count.get()) {
            (Some(page), Some(count)) => page < count,
            _ => false,
        }
    }
}
