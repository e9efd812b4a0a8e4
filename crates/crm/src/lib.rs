//! The CRM bridge: what salara did for Asterisk, done over correct, authenticated HTTP.
//!
//! A thin adapter over the core (see `ARCHITECTURE.md`): it parses and authorises, asks the
//! core, and maps the answers to salara's codes and texts; no call logic lives here.

pub mod listener;
