//! Switchboard's media layer: what a B2BUA needs so that a call's audio flows through it,
//! and what the PBX needs to be a call's far end itself.
//!
//! - [`sdp`]: reading an SDP offer or answer (RFC 8866, RFC 3264) far enough to find its
//!   audio stream, and rewriting it so that stream points at our relay; sans-IO.
//! - [`relay`]: the RTP/RTCP relay (RFC 3550) with symmetric latching (RFC 4961), so
//!   phones behind NAT work; the tokio side, which only moves packets.
//! - [`codec`]: audio codecs (G.711 so far) and transcoding between them; sans-IO.
//! - [`dtmf`]: DTMF digits sent and received as RFC 4733 telephone-events, and detected
//!   in band; sans-IO.
//! - [`tones`]: call-progress tones (ring, busy, dial, …) per country; sans-IO.
//! - [`rtp`]: RTP and RTCP as plain data (RFC 3550): packet parse and build, sequence and
//!   loss tracking, sender and receiver reports, and the adaptive jitter buffer; sans-IO.
//! - [`mixer`]: the core of a mixing bridge: each participant hears the sum of the others.
//! - [`sound`]: ARI media URIs, the sound file library prompts are read from, and the WAV
//!   recordings calls are written to.
//! - [`engine`]: the terminating media engine, the PBX as a call's far end: RTP endpoints
//!   paced by one 20 ms clock, playing, music on hold, recording, DTMF, and bridges
//!   (mixing, holding, with an announcer; two same-codec parties pass packets undecoded).
//!
//! The relay forwards same-codec packets untouched; the terminating side (decoding,
//! mixing, playing, recording) is built from the sans-IO pieces here, beside the relay
//! rather than inside its forwarding path, and shares the relay's port range. Everything that handles audio samples works in
//! 8 kHz mono 16-bit PCM, 20 ms at a time.

pub mod codec;
pub mod dtmf;
pub mod engine;
pub mod mixer;
pub mod relay;
pub mod rtp;
pub mod sdp;
pub mod sound;
pub mod tones;

/// The sample rate of all decoded audio in the media layer: narrowband telephony.
pub const SAMPLE_RATE: u32 = 8000;

/// The samples in one 20 ms frame at [`SAMPLE_RATE`], the interval media is paced by.
pub const FRAME_SAMPLES: usize = 160;
