//! Typed DHIS2 models: hand-written envelopes and core types, plus generated metadata models.
