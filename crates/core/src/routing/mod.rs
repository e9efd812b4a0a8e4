//! Routing by configuration: the trunks to carriers, the inbound routes that take the
//! carriers' calls (by DDI or caller id) to a destination, and the outbound routes whose dial
//! patterns send an extension's calls out through trunks. What the store says, read for the
//! call layer (`pbx`), which decides what to do with it.
//!
//! - [`trunks`]: the active trunks, where they are, and which one a request comes from.
//! - [`routes`]: inbound routes by DDI or caller id, outbound routes by dial pattern.
//! - [`dial_pattern`]: Asterisk's dial patterns (`_NXX.`), matched sans-IO.
//! - [`custom_apps`]: custom apps by key, with their programs.
//! - [`ivrs`]: IVR menus by key, with the destination of each key.

pub mod custom_apps;
pub mod dial_pattern;
pub mod ivrs;
pub mod routes;
pub mod trunks;

pub use custom_apps::{custom_app, CustomApp, Span};
pub use ivrs::{ivr, Ivr};
pub use routes::{InboundKind, InboundRoute, OutboundRoute, Routes};
pub use trunks::{TrunkEntry, TrunkHost, Trunks};
