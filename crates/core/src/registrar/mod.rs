//! The registrar and location service (RFC 3261 §10): which contacts each extension is
//! reachable at, until when. Sans-IO: [`Bindings`] is fed parsed REGISTER facts and the
//! current Unix time, and answers the resulting binding set or the error to send;
//! [`Registrar`] keeps that table in memory and written through to the store.

mod bindings;
mod service;

pub use bindings::{Binding, Bindings, ContactSet, RegisterError, RegisterPolicy, RegisterRequest, RequestedContact};
pub use service::{unix_now, Registrar, RegistrarError};
