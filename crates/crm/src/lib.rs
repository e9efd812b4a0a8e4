//! The CRM bridge: what salara did for Asterisk, done over correct, authenticated HTTP.
//!
//! A thin adapter over the core (see `ARCHITECTURE.md`): it parses and authorises, asks the
//! core, and maps the answers to salara's codes and texts; no call logic lives here.
//!
//! - [`listener`]: salara's JSON API on port 5058 (states, text messages, click-to-call).
//! - [`lookup`]: the CRM routing lookup of inbound calls (salara's dialplan application),
//!   plugged into the core's `CallerLookup`.
//! - [`webhooks`]: salara's call events (`Newchannel`, `Newexten`, `Hangup`, ...) from the
//!   core's event bus, through a durable outbox, POSTed signed and retried to each tenant's
//!   webhooks.

pub mod listener;
pub mod lookup;
mod outgoing;
pub mod webhooks;
