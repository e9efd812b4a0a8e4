//! Switchboard's core: it owns the behaviour every HTTP surface shares.
//!
//! - [`provisioning`]: the configuration model (the catalogue of provisionable resources,
//!   SARK's, with relations as rows; their validation; transactional, audited writes).
//! - [`pbx`]: the SIP user agent core: registrations, calls as B2BUA tasks, media relays.
//! - [`registrar`], [`access`], [`directory`]: who is where, who may do what, and what the
//!   store says about each extension (through a [`config_cache`]).
//! - [`routing`]: trunks, inbound routes (DDIs) and outbound routes (dial patterns).
//! - [`cdr`], [`metrics`], [`throttle`]: call records, figures for `/metrics`, bans.
//! - [`events`]: the bus every channel event is published on once (webhooks, later ARI).
//! - [`custom_app`]: the safe programs custom apps run (`Stasis`, `Answer`, `Playback`...).

pub mod access;
pub mod cdr;
pub mod config_cache;
pub mod custom_app;
pub mod devicestate;
pub mod directory;
pub mod events;
pub mod metrics;
pub mod pbx;
pub mod provisioning;
pub mod registrar;
pub mod routing;
pub mod secrets;
pub mod throttle;
