//! SIP messages: reading what arrives, answering what cannot be used, building responses.
//!
//! This is the one module that touches the parser crate (`sipx-sip`, pinned exactly): the
//! rest of Switchboard uses the types re-exported here and the functions below, so the
//! parser can be replaced by editing this folder alone.

mod inbound;
mod respond;
mod salvage;

pub use inbound::{check_request, parse, read_datagram, Inbound, Rejection, ServerPolicy};
pub use respond::{encode, response_to};
pub use sipx_sip::{HeaderName, Headers, Limits, Message, Method, Request, Response, Scheme, StatusCode, Uri};
