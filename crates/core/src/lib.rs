//! Switchboard's core: it owns the behaviour every HTTP surface shares.
//!
//! - [`provisioning`]: the configuration model (the catalogue of provisionable resources,
//!   SARK's, with relations as rows; their validation; transactional, audited writes).
//! - [`pbx`]: the SIP user agent core: registrations, calls as B2BUA tasks, media relays.
//! - [`registrar`], [`access`], [`directory`]: who is where, who may do what, and what the
//!   store says about each extension (through a [`config_cache`]).
//! - [`cdr`], [`metrics`], [`throttle`]: call records, figures for `/metrics`, bans.

pub mod access;
pub mod cdr;
pub mod config_cache;
pub mod devicestate;
pub mod directory;
pub mod metrics;
pub mod pbx;
pub mod provisioning;
pub mod registrar;
pub mod secrets;
pub mod throttle;
