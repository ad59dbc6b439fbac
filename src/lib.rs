//! `dhis2`: an async client for the DHIS2 Web API, built as a tower middleware stack on hyper.
#![deny(missing_docs)]
#![deny(unreachable_pub)]
#![forbid(unsafe_code)]

pub mod models;
