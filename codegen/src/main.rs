//! Generates `src/models/generated/*.rs` from DHIS2 `/api/schemas` documents.
fn main() {}
