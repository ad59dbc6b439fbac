//! Typed accessors hanging off [`Dhis2Client`](crate::Dhis2Client) (`client.system()`, ...).

pub mod analytics;
pub mod data_values;
pub mod datastore;
mod exchange;
pub mod files;
pub mod metadata;
pub mod progress;
pub mod resources;
pub mod routes;
pub mod settings;
pub mod sharing;
pub mod system;
pub mod tasks;
pub mod tracker;

pub use system::System;
