//! The clients under test.

pub(crate) mod by_hand;
pub(crate) mod dhis2c;
pub(crate) mod hyper_bare;
pub(crate) mod plain;
