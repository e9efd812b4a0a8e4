//! SIP messages: reading what arrives, answering what cannot be used, building responses.
//!
//! This is the one module that touches the parser crate (`sipx-sip`, pinned exactly): the
//! rest of Switchboard uses the types re-exported here and the functions below, so the
//! parser can be replaced by editing this folder alone.

mod fields;
mod inbound;
mod respond;
mod salvage;

pub use fields::{
    build_header, call_id, contacts, cseq, expires, from, header, header_all, parse_uri, record_route, stamp_top_via, to, top_via,
    Contacts, NameAddr, ViaHop,
};
pub use inbound::{check_request, parse, read_datagram, Inbound, Rejection, ServerPolicy};
pub use respond::{encode, encode_request, response_to, Reply};
pub use sipx_sip::{
    Header, HeaderName, Headers, Limits, Message, Method, Request, RequestBuilder, Response, ResponseBuilder, Scheme, StatusCode, Uri,
};
