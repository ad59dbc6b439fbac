//! `dhis2-emulator`: an axum server that answers like DHIS2, for offline tests.
#![deny(missing_docs)]
#![deny(unreachable_pub)]
#![forbid(unsafe_code)]
