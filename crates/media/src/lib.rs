//! Switchboard's media layer: what a B2BUA needs so that a call's audio flows through it.
//!
//! - [`sdp`]: reading an SDP offer or answer (RFC 8866, RFC 3264) far enough to find its
//!   audio stream, and rewriting it so that stream points at our relay; sans-IO.
//! - [`relay`]: the RTP/RTCP relay (RFC 3550) with symmetric latching (RFC 4961), so
//!   phones behind NAT work; the tokio side, which only moves packets.
//! - [`codec`]: audio codecs (G.711 so far) and transcoding between them; sans-IO.
//! - [`dtmf`]: DTMF digits sent and received as RFC 4733 telephone-events, and detected
//!   in band; sans-IO.
//! - [`tones`]: call-progress tones (ring, busy, dial, …) per country; sans-IO.
//!
//! The relay forwards same-codec calls untouched. Transcoding, DTMF and tones are
//! building blocks for the media engine that mixes and plays; they live beside the relay
//! rather than inside its forwarding path.

pub mod codec;
pub mod dtmf;
pub mod relay;
pub mod sdp;
pub mod tones;
