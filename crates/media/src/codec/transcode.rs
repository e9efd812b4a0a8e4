//! Transcoding one stream's payloads from one codec to another, sans-IO: decode to linear
//! PCM, encode again. Only between codecs of the same rates; resampling is not ours.
//!
//! Buffers are kept between packets, so after the first packet of a given size the hot
//! path allocates nothing. When both sides speak the same codec the payload is handed back
//! untouched, without a copy.

use thiserror::Error;

use super::{same_codec, Codec, Decoder, Encoder};

/// Why two codecs cannot be transcoded into each other.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TranscodeError {
    /// The codecs' clock or sample rates differ, which would need a resampler.
    #[error("cannot transcode {from} ({from_rate} Hz) to {to} ({to_rate} Hz) without resampling")]
    RateMismatch {
        /// The source codec's name.
        from: &'static str,
        /// The source codec's sample rate.
        from_rate: u32,
        /// The target codec's name.
        to: &'static str,
        /// The target codec's sample rate.
        to_rate: u32,
    },
}

/// Converts one stream's payloads from codec `from` to codec `to`.
#[derive(Debug)]
pub struct Transcoder {
    /// The codec payloads arrive in.
    from: &'static dyn Codec,
    /// The codec payloads leave in.
    to: &'static dyn Codec,
    /// The decode-then-encode path; `None` when both codecs are the same.
    conversion: Option<Conversion>,
}

/// The state of a real conversion: the two codecs' stream state and the reused buffers.
#[derive(Debug)]
struct Conversion {
    decoder: Box<dyn Decoder>,
    encoder: Box<dyn Encoder>,
    /// The decoded PCM of the packet being converted.
    pcm: Vec<i16>,
    /// The re-encoded payload of the packet being converted.
    payload: Vec<u8>,
}

impl Transcoder {
    /// A transcoder from `from` to `to`; fails if their rates differ.
    pub fn new(from: &'static dyn Codec, to: &'static dyn Codec) -> Result<Self, TranscodeError> {
        // Equal clock rates are not enough: G.722 and PCMU share an 8 kHz clock but not
        // their sample rate.
        if from.clock_rate() != to.clock_rate() || from.sample_rate() != to.sample_rate() {
            return Err(TranscodeError::RateMismatch {
                from: from.name(),
                from_rate: from.sample_rate(),
                to: to.name(),
                to_rate: to.sample_rate(),
            });
        }
        let conversion = (!same_codec(from, to)).then(|| Conversion {
            decoder: from.decoder(),
            encoder: to.encoder(),
            pcm: Vec::new(),
            payload: Vec::new(),
        });
        Ok(Transcoder { from, to, conversion })
    }

    /// The codec payloads arrive in.
    pub fn from_codec(&self) -> &'static dyn Codec {
        self.from
    }

    /// The codec payloads leave in.
    pub fn to_codec(&self) -> &'static dyn Codec {
        self.to
    }

    /// Whether payloads pass through unchanged (both sides use the same codec).
    pub fn is_passthrough(&self) -> bool {
        self.conversion.is_none()
    }

    /// Converts one packet's payload; the result is valid until the next call. The RTP
    /// timestamp needs no change, since both codecs share the clock rate.
    pub fn transcode<'a>(&'a mut self, payload: &'a [u8]) -> &'a [u8] {
        let Some(conversion) = &mut self.conversion else {
            return payload;
        };
        conversion.pcm.clear();
        conversion.decoder.decode(payload, &mut conversion.pcm);
        conversion.payload.clear();
        conversion.encoder.encode(&conversion.pcm, &mut conversion.payload);
        &conversion.payload
    }
}

#[cfg(test)]
mod tests {
    use super::super::{codec_for, g711};
    use super::*;

    /// A stand-in for a wideband codec, to show that rates are checked.
    #[derive(Debug)]
    struct Wideband;

    impl Codec for Wideband {
        fn name(&self) -> &'static str {
            "G722"
        }
        fn payload_type(&self) -> Option<u8> {
            Some(9)
        }
        fn clock_rate(&self) -> u32 {
            8000
        }
        fn sample_rate(&self) -> u32 {
            16000
        }
        fn encoder(&self) -> Box<dyn Encoder> {
            g711::PCMU.encoder()
        }
        fn decoder(&self) -> Box<dyn Decoder> {
            g711::PCMU.decoder()
        }
    }

    fn tone(len: usize) -> Vec<i16> {
        (0..len).map(|n| (6000.0 * (n as f64 * 0.3).sin()) as i16).collect()
    }

    #[test]
    fn same_codec_is_handed_back_without_a_copy() {
        let pcmu = codec_for("PCMU").unwrap();
        let mut transcoder = Transcoder::new(pcmu, codec_for(0u8).unwrap()).unwrap();
        assert!(transcoder.is_passthrough());
        let payload = [1u8, 2, 3];
        let out = transcoder.transcode(&payload);
        assert_eq!(out.as_ptr(), payload.as_ptr());
        assert_eq!(out, payload);
    }

    #[test]
    fn pcmu_to_pcma_matches_encoding_the_decoded_audio_directly() {
        let (pcmu, pcma) = (codec_for("PCMU").unwrap(), codec_for("PCMA").unwrap());
        let mut transcoder = Transcoder::new(pcmu, pcma).unwrap();
        assert!(!transcoder.is_passthrough());
        assert_eq!((transcoder.from_codec().name(), transcoder.to_codec().name()), ("PCMU", "PCMA"));

        let mut ulaw = Vec::new();
        pcmu.encoder().encode(&tone(160), &mut ulaw);
        let mut pcm = Vec::new();
        pcmu.decoder().decode(&ulaw, &mut pcm);
        let mut expected = Vec::new();
        pcma.encoder().encode(&pcm, &mut expected);

        assert_eq!(transcoder.transcode(&ulaw), expected);
        // The buffers are cleared between packets, not appended to.
        assert_eq!(transcoder.transcode(&ulaw), expected);
        assert_eq!(transcoder.transcode(&[]), [] as [u8; 0]);
    }

    #[test]
    fn buffers_are_reused_between_packets() {
        let mut transcoder = Transcoder::new(&g711::PCMA, &g711::PCMU).unwrap();
        let packet = [0xD5u8; 160];
        let first = transcoder.transcode(&packet).as_ptr();
        for _ in 0..10 {
            assert_eq!(transcoder.transcode(&packet).as_ptr(), first);
        }
    }

    #[test]
    fn different_sample_rates_are_refused() {
        static WIDEBAND: Wideband = Wideband;
        let err = Transcoder::new(&WIDEBAND, &g711::PCMU).unwrap_err();
        assert_eq!(err, TranscodeError::RateMismatch { from: "G722", from_rate: 16000, to: "PCMU", to_rate: 8000 });
        assert_eq!(err.to_string(), "cannot transcode G722 (16000 Hz) to PCMU (8000 Hz) without resampling");
    }
}
