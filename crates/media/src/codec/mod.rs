//! Audio codecs, sans-IO: what each codec is called in SDP, how it frames audio, and the
//! per-stream state that turns linear PCM into payloads and back.
//!
//! A codec is split in two on purpose. [`Codec`] is the static description (one value per
//! codec, looked up with [`codec_for`]), which SDP negotiation needs without any audio.
//! [`Encoder`] and [`Decoder`] are per-stream state made by it, because G.722 (ADPCM
//! predictors) and Opus carry history from one frame to the next, so one shared value
//! cannot encode two streams. G.711 has no state: its encoder and decoder are zero-sized,
//! so boxing them allocates nothing.
//!
//! Adding a codec means implementing these three traits in its own module and listing it
//! in `CODECS` below; nothing else matches on codec names.
//!
//! - [`g711`]: PCMU and PCMA (ITU-T G.711).
//! - [`transcode`]: a [`Transcoder`](transcode::Transcoder) between two codecs.

pub mod g711;
pub mod transcode;

use std::fmt;

/// Every codec we can encode and decode, in order of preference.
const CODECS: &[&dyn Codec] = &[&g711::PCMU, &g711::PCMA];

/// A codec as SDP names it, and the factory of its per-stream encoders and decoders.
pub trait Codec: Send + Sync + fmt::Debug {
    /// The encoding name of the `a=rtpmap` line (RFC 3551 §6), e.g. `PCMU`.
    fn name(&self) -> &'static str;

    /// The static RTP payload type (RFC 3551 Table 4), if the codec has one.
    fn payload_type(&self) -> Option<u8>;

    /// The RTP timestamp rate in Hz, as in `a=rtpmap`.
    fn clock_rate(&self) -> u32;

    /// The rate of the linear PCM the codec consumes and produces, in Hz. Usually the
    /// clock rate; G.722 is the exception (16 kHz audio, 8 kHz clock, RFC 3551 §4.5.2).
    fn sample_rate(&self) -> u32 {
        self.clock_rate()
    }

    /// How many PCM samples (at [`Codec::sample_rate`]) make a 20 ms frame.
    fn samples_per_frame(&self) -> usize {
        // Every sample rate in use is a multiple of 50 Hz.
        self.sample_rate() as usize / 50
    }

    /// A fresh encoder for one stream.
    fn encoder(&self) -> Box<dyn Encoder>;

    /// A fresh decoder for one stream.
    fn decoder(&self) -> Box<dyn Decoder>;
}

/// One stream's encoder: linear PCM in, RTP payload out.
pub trait Encoder: Send + fmt::Debug {
    /// Encodes `pcm` (16-bit linear at the codec's sample rate) and appends the payload
    /// to `payload`.
    fn encode(&mut self, pcm: &[i16], payload: &mut Vec<u8>);
}

/// One stream's decoder: RTP payload in, linear PCM out.
pub trait Decoder: Send + fmt::Debug {
    /// Decodes `payload` and appends the samples (16-bit linear at the codec's sample
    /// rate) to `pcm`. Any byte string is accepted; what it decodes to is the codec's
    /// business, never a panic.
    fn decode(&mut self, payload: &[u8], pcm: &mut Vec<i16>);
}

/// How a codec is asked for: by its `a=rtpmap` name, or by a static payload type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodecKey<'a> {
    /// An encoding name, compared case-insensitively as SDP encoding names are.
    Name(&'a str),
    /// A static payload type. Dynamic ones (96–127) mean nothing without their SDP, so
    /// resolve them to a name first.
    PayloadType(u8),
}

impl<'a> From<&'a str> for CodecKey<'a> {
    fn from(name: &'a str) -> Self {
        CodecKey::Name(name)
    }
}

impl From<u8> for CodecKey<'_> {
    fn from(payload_type: u8) -> Self {
        CodecKey::PayloadType(payload_type)
    }
}

/// The codec with this name or static payload type, if we implement it.
pub fn codec_for<'a>(key: impl Into<CodecKey<'a>>) -> Option<&'static dyn Codec> {
    let key = key.into();
    CODECS.iter().copied().find(|codec| match key {
        CodecKey::Name(name) => codec.name().eq_ignore_ascii_case(name),
        CodecKey::PayloadType(pt) => codec.payload_type() == Some(pt),
    })
}

/// Every codec we implement, in order of preference (for building an SDP offer).
pub fn codecs() -> impl Iterator<Item = &'static dyn Codec> {
    CODECS.iter().copied()
}

/// Whether two codec descriptions are the same codec. Compares what SDP compares rather
/// than pointers, since the same `&'static dyn` may come with different vtables.
pub fn same_codec(a: &dyn Codec, b: &dyn Codec) -> bool {
    a.name().eq_ignore_ascii_case(b.name()) && a.clock_rate() == b.clock_rate()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_name_is_case_insensitive() {
        assert_eq!(codec_for("PCMU").unwrap().payload_type(), Some(0));
        assert_eq!(codec_for("pcma").unwrap().payload_type(), Some(8));
        assert!(codec_for("G729").is_none());
        assert!(codec_for("").is_none());
    }

    #[test]
    fn lookup_by_static_payload_type() {
        assert_eq!(codec_for(0u8).unwrap().name(), "PCMU");
        assert_eq!(codec_for(8u8).unwrap().name(), "PCMA");
        assert!(codec_for(18u8).is_none());
        assert!(codec_for(101u8).is_none());
    }

    #[test]
    fn g711_frames_are_160_samples_at_8_khz() {
        for codec in codecs() {
            assert_eq!(codec.clock_rate(), 8000, "{}", codec.name());
            assert_eq!(codec.sample_rate(), 8000, "{}", codec.name());
            assert_eq!(codec.samples_per_frame(), 160, "{}", codec.name());
        }
    }

    #[test]
    fn sameness_follows_sdp_not_identity() {
        let pcmu = codec_for("PCMU").unwrap();
        assert!(same_codec(pcmu, codec_for(0u8).unwrap()));
        assert!(!same_codec(pcmu, codec_for("PCMA").unwrap()));
    }

    #[test]
    fn names_and_payload_types_are_unique() {
        let all: Vec<_> = codecs().collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(!a.name().eq_ignore_ascii_case(b.name()));
                assert!(a.payload_type().is_none() || a.payload_type() != b.payload_type());
            }
        }
    }
}
