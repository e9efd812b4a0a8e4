//! The SIP transaction layer (RFC 3261 §17, with the RFC 6026 fixes for INVITE 2xx):
//! the four transaction state machines, their keys, and a table that drives many of them.
//!
//! Sans-IO, like the rest of Switchboard's protocol code: a transaction is a plain struct
//! fed inputs (a response's status code, the TU's response bytes, a retransmitted request,
//! a fired timer, a transport error) together with the current [`std::time::Instant`], and
//! it answers a list of [`Output`]s: bytes to send, timers to (re)schedule or cancel,
//! events for the transaction user (TU), and its own termination. It never reads a clock,
//! never sleeps and never touches a socket.
//!
//! The layer is message-agnostic: it never parses. Messages are opaque [`bytes::Bytes`]
//! already encoded by the message layer, and the few facts a transaction needs (a status
//! code, a branch, a sent-by, a method) are handed over as plain values.
//!
//! - [`ClientTransaction`]: INVITE (§17.1.1, RFC 6026 §7.2) and non-INVITE (§17.1.2).
//! - [`ServerTransaction`]: INVITE (§17.2.1, RFC 6026 §7.1) and non-INVITE (§17.2.2).
//! - [`TransactionKey`]: matching of requests (§17.2.3) and responses (§17.1.3).
//! - [`TransactionTable`]: transactions by key, with the earliest deadline, so one timer
//!   task drives thousands of them; bounded, so floods cannot grow memory.
//! - [`Timers`] and [`Timer`]: T1/T2/T4 and the timers A–M derived from them (§17, Table 4
//!   of Appendix A).

mod client;
mod key;
mod output;
mod server;
mod table;
#[cfg(test)]
mod testkit;
mod timers;

pub use client::{ClientState, ClientTransaction};
pub use key::{KeyError, Role, TransactionKey, MAGIC_COOKIE};
pub use output::{Output, TuEvent};
pub use server::{RespondError, ServerState, ServerTransaction};
pub use table::{Arrival, TableError, Transaction, TransactionTable};
pub use timers::{Timer, Timers, TimersError};

/// Which of the two families of state machines a transaction follows.
///
/// INVITE transactions are different because an INVITE may take a human's time to answer
/// and because the ACK to a non-2xx final response belongs to the transaction (§17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An INVITE transaction (§17.1.1, §17.2.1).
    Invite,
    /// Any other method except ACK, which never has a transaction of its own (§17.1.2, §17.2.2).
    NonInvite,
}

/// Whether the transport under a transaction delivers reliably (§17.1.1.2, §18).
///
/// Over a reliable transport (TCP, TLS, SCTP) the transaction never retransmits (no timers
/// A, E or G) and its "wait for stray retransmissions" timers D, I, J and K are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reliability {
    /// UDP: messages may be lost, so the transaction retransmits.
    Unreliable,
    /// TCP, TLS or SCTP: the transport retransmits for us.
    Reliable,
}

impl Reliability {
    /// `true` for TCP, TLS or SCTP.
    pub fn is_reliable(self) -> bool {
        self == Reliability::Reliable
    }
}

/// The response classes a transaction tells apart (§7.2, §21).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusClass {
    /// 100–199.
    Provisional,
    /// 200–299.
    Success,
    /// 300–699: the non-2xx finals, which an INVITE transaction acknowledges itself.
    Failure,
}

impl StatusClass {
    /// The class of `status`, or `None` if it is not a SIP status code (100–699, §7.2).
    fn of(status: u16) -> Option<StatusClass> {
        match status {
            100..=199 => Some(StatusClass::Provisional),
            200..=299 => Some(StatusClass::Success),
            300..=699 => Some(StatusClass::Failure),
            _ => None,
        }
    }
}
