//! `dhis2-layers`: tower layers for talking to DHIS2, usable in any `ServiceBuilder`.
#![deny(missing_docs)]
#![deny(unreachable_pub)]
#![forbid(unsafe_code)]
