//! Switchboard's media layer: what a B2BUA needs so that a call's audio flows through it.
//!
//! - [`sdp`]: reading an SDP offer or answer (RFC 8866, RFC 3264) far enough to find its
//!   audio stream, and rewriting it so that stream points at our relay; sans-IO.
//! - [`relay`]: the RTP/RTCP relay (RFC 3550) with symmetric latching (RFC 4961), so
//!   phones behind NAT work; the tokio side, which only moves packets.
//!
//! Same-codec calls only: packets are forwarded untouched. Transcoding, mixing and
//! players will live here too, beside the relay rather than inside its forwarding path.

pub mod relay;
pub mod sdp;
