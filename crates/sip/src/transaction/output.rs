//! What a transaction answers: the [`Output`]s its driver must carry out, and the
//! [`TuEvent`]s it reports to its transaction user (the UA core, a proxy core, a dialog).

use std::time::Instant;

use bytes::Bytes;

use super::Timer;

/// One thing a transaction asks its driver to do, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Hand these encoded bytes to the transport, towards the transaction's peer.
    Send(Bytes),
    /// Call `on_timer(timer, at)` at `at`. Scheduling a timer that is already scheduled
    /// replaces it: each transaction has at most one deadline per [`Timer`].
    Schedule {
        /// Which timer.
        timer: Timer,
        /// When it fires.
        at: Instant,
    },
    /// The timer is no longer needed (firing it anyway is harmless: it is ignored).
    Cancel(Timer),
    /// Report this to the transaction user.
    Deliver(TuEvent),
    /// The transaction has reached Terminated: drop it; it will never output again.
    Terminated,
}

/// What a transaction tells its transaction user (TU).
///
/// New requests are not among them: the first request of a server transaction is the TU's
/// business from the start (the [`TransactionTable`](super::TransactionTable) says which
/// arrivals are new), and retransmissions are absorbed by the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TuEvent {
    /// Client: a provisional (1xx) response arrived in Calling/Trying/Proceeding.
    Provisional(u16),
    /// Client: a final response arrived. For an INVITE in Accepted (RFC 6026 §7.2) every
    /// further 2xx is delivered again: the TU must ACK each copy and each fork's answer.
    Final(u16),
    /// Client: Timer B or F fired without a final response. Server: Timer H fired
    /// without an ACK for the non-2xx final response (§17.2.1).
    Timeout,
    /// The transport failed to send one of this transaction's messages (§17.1.4, §17.2.4).
    TransportError,
    /// Server INVITE in Accepted: an ACK matched this transaction and must go to the TU
    /// rather than be absorbed (RFC 6026 §7.1).
    Ack,
}
