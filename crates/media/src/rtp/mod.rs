//! RTP and RTCP (RFC 3550) as plain data for the terminating side of a call: what a
//! player, recorder or bridge needs to receive and send a stream. Sans-IO: bytes and
//! `Instant`s in, decisions and bytes out; the sockets live elsewhere.
//!
//! - [`packet`]: the RTP packet, parsed in place and written into reused buffers.
//! - [`sequence`]: source validation, loss and jitter statistics (Appendix A).
//! - [`rtcp`]: sender and receiver reports, SDES CNAME and BYE.
//! - [`jitter`]: the adaptive jitter buffer feeding a steady playout clock.

pub mod jitter;
pub mod packet;
pub mod rtcp;
pub mod sequence;

pub use jitter::{ConcealMode, Concealment, Frame, JitterBuffer, JitterConfig};
pub use packet::{RtpHeader, RtpPacket};
pub use sequence::{PacketVerdict, ReceptionStats};
