//! Switchboard's core: it owns the behaviour every HTTP surface shares.
//!
//! Today that is the configuration model (the catalogue of provisionable resources,
//! SARK's, with relations as rows; their validation; transactional, audited writes) and
//! the registrar's binding rules. Channels, bridges and routing join here.

pub mod provisioning;
pub mod registrar;
pub mod secrets;
