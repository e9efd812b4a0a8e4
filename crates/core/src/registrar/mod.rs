//! The registrar and location service (RFC 3261 §10): which contacts each extension is
//! reachable at, until when. Sans-IO: [`Bindings`] is fed parsed REGISTER facts and the
//! current Unix time, and answers the resulting binding set or the error to send.

mod bindings;

pub use bindings::{Binding, Bindings, ContactSet, RegisterError, RegisterPolicy, RegisterRequest, RequestedContact};
