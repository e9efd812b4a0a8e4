//! Switchboard's SIP layer (RFC 3261).
//!
//! - [`message`]: parsing and building SIP messages; the one module that touches the
//!   parser crate, so it can be swapped without the rest noticing.
//! - [`auth`]: server-side digest authentication (RFC 3261 §22, RFC 7616, RFC 8760),
//!   sans-IO: stateless nonces, replay protection, challenges and verification.
//! - [`transaction`]: the four RFC 3261 §17 transaction state machines (with RFC 6026),
//!   sans-IO: fed bytes and instants, they answer what to send and when to wake them.
//! - [`dialog`]: dialog state (RFC 3261 §12) and the in-dialog requests built from it, sans-IO.
//! - [`endpoint`]: the IO driver joining transports and transactions, handing the TU its
//!   requests and reporting responses to the requests it sends.
//! - [`transport`]: UDP and TCP over IPv4 and IPv6 on tokio (RFC 3261 §18), delivering
//!   whole unparsed messages; TCP reuses connections and frames by Content-Length.

pub mod auth;
pub mod dialog;
pub mod endpoint;
pub mod message;
pub mod transaction;
pub mod transport;
