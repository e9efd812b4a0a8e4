//! Switchboard's SIP layer (RFC 3261).
//!
//! - [`message`]: parsing and building SIP messages; the one module that touches the
//!   parser crate, so it can be swapped without the rest noticing.

pub mod message;
