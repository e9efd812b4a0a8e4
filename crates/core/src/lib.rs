//! Switchboard's core: it owns the behaviour every HTTP surface shares.
//!
//! Today that is the configuration model: the catalogue of provisionable resources
//! (SARK's, with relations as rows), their validation, and transactional, audited writes.
//! Channels, bridges and routing join here with the SIP issue.

pub mod provisioning;
pub mod secrets;
