//! The `dhis2-emulator` binary.
fn main() {}
