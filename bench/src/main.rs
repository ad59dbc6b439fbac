//! The dhis2 benchmark program.
fn main() {}
