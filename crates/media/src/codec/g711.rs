//! G.711 (ITU-T G.711, 11/1988): PCMU (µ-law) and PCMA (A-law), the codecs every SIP
//! phone speaks. Stateless, one byte per sample at 8 kHz.
//!
//! Decoding is a lookup in a 256-entry table built at compile time; encoding finds the
//! segment with one `leading_zeros` instead of a search. Both laws follow the reference
//! implementation of ITU-T G.191 (STL `g711.c`) bit for bit, including its handling of
//! negative inputs (one's complement, so -1 encodes like 0 and the laws stay symmetric).

use std::fmt;
use std::marker::PhantomData;

use super::{Codec, Decoder, Encoder};

/// PCMU, payload type 0.
pub const PCMU: G711<MuLaw> = G711(PhantomData);

/// PCMA, payload type 8.
pub const PCMA: G711<ALaw> = G711(PhantomData);

/// One of G.711's two companding laws.
pub trait Law: Send + Sync + fmt::Debug + 'static {
    /// The encoding name of `a=rtpmap`.
    const NAME: &'static str;
    /// The static payload type (RFC 3551 Table 4).
    const PAYLOAD_TYPE: u8;
    /// Compresses one 16-bit linear sample into a code word.
    fn encode(sample: i16) -> u8;
    /// Expands a code word into a 16-bit linear sample.
    fn decode(code: u8) -> i16;
}

/// µ-law, used in North America and Japan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MuLaw;

/// A-law, used everywhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ALaw;

/// G.711 under law `L`: the codec, its encoder and its decoder, all in one zero-sized value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct G711<L>(PhantomData<L>);

impl<L: Law> Codec for G711<L> {
    fn name(&self) -> &'static str {
        L::NAME
    }

    fn payload_type(&self) -> Option<u8> {
        Some(L::PAYLOAD_TYPE)
    }

    fn clock_rate(&self) -> u32 {
        8000
    }

    fn encoder(&self) -> Box<dyn Encoder> {
        Box::new(G711::<L>(PhantomData))
    }

    fn decoder(&self) -> Box<dyn Decoder> {
        Box::new(G711::<L>(PhantomData))
    }
}

impl<L: Law> Encoder for G711<L> {
    fn encode(&mut self, pcm: &[i16], payload: &mut Vec<u8>) {
        payload.extend(pcm.iter().map(|&sample| L::encode(sample)));
    }
}

impl<L: Law> Decoder for G711<L> {
    fn decode(&mut self, payload: &[u8], pcm: &mut Vec<i16>) {
        pcm.extend(payload.iter().map(|&code| L::decode(code)));
    }
}

/// µ-law's bias (33 in G.711's 14-bit scale): it makes the segments start at powers of two.
const MU_BIAS: i32 = 0x84;

/// The largest magnitude µ-law represents before the bias would overflow 15 bits.
const MU_CLIP: i32 = 32635;

/// Every µ-law code word's linear value.
static MU_DECODE: [i16; 256] = mu_table();

/// Every A-law code word's linear value.
static A_DECODE: [i16; 256] = a_table();

impl Law for MuLaw {
    const NAME: &'static str = "PCMU";
    const PAYLOAD_TYPE: u8 = 0;

    fn encode(sample: i16) -> u8 {
        let (sign, magnitude) = sign_and_magnitude(sample);
        let biased = magnitude.min(MU_CLIP) + MU_BIAS;
        // `biased` lies in 132..=32767, so its top bit is bit 7 to 14: segments 0 to 7.
        let segment = (31 - biased.leading_zeros()) - 7;
        let mantissa = (biased >> (segment + 3)) & 0x0F;
        // µ-law code words are sent with every bit inverted, which keeps silence away from 0x00.
        !(sign | (segment << 4) as u8 | mantissa as u8)
    }

    fn decode(code: u8) -> i16 {
        MU_DECODE[usize::from(code)]
    }
}

impl Law for ALaw {
    const NAME: &'static str = "PCMA";
    const PAYLOAD_TYPE: u8 = 8;

    fn encode(sample: i16) -> u8 {
        let (sign, magnitude) = sign_and_magnitude(sample);
        // A-law works on 12 bits of magnitude.
        let level = magnitude >> 4;
        let code = if level < 16 {
            level as u8
        } else {
            // `level` lies in 16..=2047: top bit 4 to 10, segments 1 to 7.
            let segment = (31 - level.leading_zeros()) - 3;
            let mantissa = (level >> (segment - 1)) & 0x0F;
            (segment << 4) as u8 | mantissa as u8
        };
        // Positive samples carry the sign bit, and A-law inverts the even bits on the line.
        (code | (sign ^ 0x80)) ^ 0x55
    }

    fn decode(code: u8) -> i16 {
        A_DECODE[usize::from(code)]
    }
}

/// The sign bit (0x80 for negative) and the magnitude, taking the one's complement of
/// negative samples as G.191 does, so that -32768 needs no special case.
fn sign_and_magnitude(sample: i16) -> (u8, i32) {
    if sample < 0 {
        (0x80, i32::from(!sample))
    } else {
        (0, i32::from(sample))
    }
}

/// G.711 µ-law expansion of one code word (the midpoint of its decision interval).
const fn mu_expand(code: u8) -> i16 {
    let code = !code;
    let segment = (code >> 4) & 0x07;
    let biased = ((((code & 0x0F) as i32) << 3) + MU_BIAS) << segment;
    if code & 0x80 != 0 {
        (MU_BIAS - biased) as i16
    } else {
        (biased - MU_BIAS) as i16
    }
}

/// G.711 A-law expansion of one code word (the midpoint of its decision interval).
const fn a_expand(code: u8) -> i16 {
    let code = code ^ 0x55;
    let segment = (code >> 4) & 0x07;
    let mut mantissa = (code & 0x0F) as i32;
    if segment > 0 {
        // The implicit leading one of segments 1 to 7.
        mantissa += 16;
    }
    let mut magnitude = (mantissa << 4) + 8;
    if segment > 1 {
        magnitude <<= segment - 1;
    }
    if code & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

const fn mu_table() -> [i16; 256] {
    let mut table = [0; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = mu_expand(code as u8);
        code += 1;
    }
    table
}

const fn a_table() -> [i16; 256] {
    let mut table = [0; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = a_expand(code as u8);
        code += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_codes() -> impl Iterator<Item = u8> {
        0..=u8::MAX
    }

    fn all_samples() -> impl Iterator<Item = i16> {
        i16::MIN..=i16::MAX
    }

    #[test]
    fn mu_law_reference_values() {
        assert_eq!(MuLaw::decode(0xFF), 0);
        assert_eq!(MuLaw::decode(0x7F), 0);
        assert_eq!(MuLaw::decode(0x00), -32124);
        assert_eq!(MuLaw::decode(0x80), 32124);
        assert_eq!(MuLaw::decode(0xFE), 8);
        assert_eq!(MuLaw::decode(0x7E), -8);
        assert_eq!(MuLaw::encode(0), 0xFF);
        assert_eq!(MuLaw::encode(-1), 0x7F);
        assert_eq!(MuLaw::encode(i16::MAX), 0x80);
        assert_eq!(MuLaw::encode(i16::MIN), 0x00);
    }

    #[test]
    fn a_law_reference_values() {
        assert_eq!(ALaw::decode(0xD5), 8);
        assert_eq!(ALaw::decode(0x55), -8);
        assert_eq!(ALaw::decode(0xAA), 32256);
        assert_eq!(ALaw::decode(0x2A), -32256);
        assert_eq!(ALaw::encode(0), 0xD5);
        assert_eq!(ALaw::encode(-1), 0x55);
        assert_eq!(ALaw::encode(i16::MAX), 0xAA);
        assert_eq!(ALaw::encode(i16::MIN), 0x2A);
    }

    #[test]
    fn every_mu_law_code_survives_a_round_trip_except_negative_zero() {
        for code in all_codes() {
            let again = MuLaw::encode(MuLaw::decode(code));
            // 0x7F is µ-law's "negative zero": it decodes to 0, which encodes as 0xFF.
            let expected = if code == 0x7F { 0xFF } else { code };
            assert_eq!(again, expected, "code {code:#04x}");
        }
    }

    #[test]
    fn every_a_law_code_survives_a_round_trip() {
        // A-law has no zero level (its smallest are ±8), so no code is a duplicate.
        for code in all_codes() {
            assert_eq!(ALaw::encode(ALaw::decode(code)), code, "code {code:#04x}");
        }
    }

    #[test]
    fn quantisation_is_monotonic_and_odd() {
        fn check<L: Law>() {
            let mut previous = i16::MIN;
            for sample in all_samples() {
                let level = L::decode(L::encode(sample));
                assert!(level >= previous, "{} not monotonic at {sample}", L::NAME);
                previous = level;
                // Symmetric around -0.5, because negatives are one's complemented.
                assert_eq!(L::decode(L::encode(!sample)), -level, "{} at {sample}", L::NAME);
            }
        }
        check::<MuLaw>();
        check::<ALaw>();
    }

    #[test]
    fn decoding_lands_on_the_nearest_level() {
        // The error never exceeds half a step; the largest step is 1024 for both laws,
        // plus µ-law's clipping above 32635.
        for sample in all_samples() {
            let mu = (i32::from(MuLaw::decode(MuLaw::encode(sample))) - i32::from(sample)).abs();
            let a = (i32::from(ALaw::decode(ALaw::encode(sample))) - i32::from(sample)).abs();
            assert!(mu <= 644, "µ-law error {mu} at {sample}");
            assert!(a <= 512, "A-law error {a} at {sample}");
            // Relative precision: about 4 bits of mantissa everywhere above the first segments.
            if sample.unsigned_abs() > 256 && sample.unsigned_abs() < 32000 {
                assert!(mu * 16 <= i32::from(sample.unsigned_abs()), "µ-law error {mu} at {sample}");
                assert!(a * 16 <= i32::from(sample.unsigned_abs()), "A-law error {a} at {sample}");
            }
        }
    }

    fn snr_db<L: Law>(amplitude: f64) -> f64 {
        let codec = G711::<L>(PhantomData);
        let pcm: Vec<i16> = (0..8000)
            .map(|n| (amplitude * (2.0 * std::f64::consts::PI * 1020.0 * f64::from(n) / 8000.0).sin()) as i16)
            .collect();
        let mut payload = Vec::new();
        codec.encoder().encode(&pcm, &mut payload);
        assert_eq!(payload.len(), pcm.len());
        let mut decoded = Vec::new();
        codec.decoder().decode(&payload, &mut decoded);
        let signal: f64 = pcm.iter().map(|&s| f64::from(s).powi(2)).sum();
        let noise: f64 = pcm.iter().zip(&decoded).map(|(&s, &d)| (f64::from(s) - f64::from(d)).powi(2)).sum();
        10.0 * (signal / noise).log10()
    }

    #[test]
    fn a_sine_keeps_its_snr_across_the_dynamic_range() {
        // G.711's companding keeps the SNR near 38 dB from about -30 dBm0 to full scale.
        for amplitude in [1000.0, 4000.0, 16000.0, 30000.0] {
            let mu = snr_db::<MuLaw>(amplitude);
            let a = snr_db::<ALaw>(amplitude);
            assert!(mu > 35.0, "µ-law SNR {mu:.1} dB at amplitude {amplitude}");
            assert!(a > 35.0, "A-law SNR {a:.1} dB at amplitude {amplitude}");
        }
    }

    #[test]
    fn encoders_append_rather_than_overwrite() {
        let mut payload = vec![0xAB];
        PCMU.encoder().encode(&[0, 0], &mut payload);
        assert_eq!(payload, [0xAB, 0xFF, 0xFF]);
        let mut pcm = vec![7];
        PCMA.decoder().decode(&[0xD5], &mut pcm);
        assert_eq!(pcm, [7, 8]);
    }
}
