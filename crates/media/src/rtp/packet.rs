//! The RTP data packet (RFC 3550 §5.1): parsing into a view that borrows the received
//! bytes, and writing a header and payload into a buffer the caller reuses, so neither
//! direction allocates per packet.

use thiserror::Error;

/// The fixed header: flags, payload type, sequence number, timestamp, SSRC.
pub const HEADER_LEN: usize = 12;

/// The only RTP version there is, in the top two bits of the first byte.
pub const VERSION: u8 = 2;

/// The most contributing sources the 4-bit CC field can count.
pub const MAX_CSRCS: usize = 15;

const PADDING_BIT: u8 = 0x20;
const EXTENSION_BIT: u8 = 0x10;
const CSRC_COUNT_MASK: u8 = 0x0f;
const MARKER_BIT: u8 = 0x80;
const PAYLOAD_TYPE_MASK: u8 = 0x7f;

/// The header extension's own header: a profile-defined word and a length in words (§5.3.1).
const EXTENSION_HEADER_LEN: usize = 4;

/// Why received bytes are not an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtpParseError {
    /// Fewer bytes than the fixed header.
    #[error("{0} bytes is shorter than the 12-byte RTP header")]
    TooShort(usize),
    /// The version field is not 2.
    #[error("RTP version {0}, expected 2")]
    BadVersion(u8),
    /// The CSRC list or the header extension runs past the end of the packet.
    #[error("the RTP header ({needed} bytes with CSRCs and extension) runs past the {len}-byte packet")]
    TruncatedHeader {
        /// Bytes the header claims.
        needed: usize,
        /// Bytes received.
        len: usize,
    },
    /// The padding count is zero or larger than what follows the header.
    #[error("padding of {padding} bytes does not fit the {available} bytes after the header")]
    BadPadding {
        /// The count in the last byte.
        padding: u8,
        /// Bytes between the header and the end of the packet.
        available: usize,
    },
}

/// Why a packet could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtpWriteError {
    /// The payload type does not fit in 7 bits.
    #[error("payload type {0} is above 127")]
    BadPayloadType(u8),
    /// More contributing sources than the CC field can count.
    #[error("{0} CSRCs, at most 15 fit")]
    TooManyCsrcs(usize),
    /// The output slice is shorter than the packet.
    #[error("the packet needs {needed} bytes, the buffer has {len}")]
    BufferTooSmall {
        /// Bytes the packet takes.
        needed: usize,
        /// Bytes the buffer has.
        len: usize,
    },
}

/// A received RTP packet, read in place: the accessors decode the header on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    bytes: &'a [u8],
    /// Where the payload starts: after the CSRC list and any header extension.
    payload_start: usize,
    /// Where the payload ends: before any padding.
    payload_end: usize,
}

impl<'a> RtpPacket<'a> {
    /// Checks `bytes` is a well-formed RTP packet and returns a view of it.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, RtpParseError> {
        if bytes.len() < HEADER_LEN {
            return Err(RtpParseError::TooShort(bytes.len()));
        }
        let version = bytes[0] >> 6;
        if version != VERSION {
            return Err(RtpParseError::BadVersion(version));
        }
        let truncated = |needed| RtpParseError::TruncatedHeader { needed, len: bytes.len() };
        let mut header_len = HEADER_LEN + 4 * usize::from(bytes[0] & CSRC_COUNT_MASK);
        if bytes[0] & EXTENSION_BIT != 0 {
            let words_at = header_len + 2;
            let words = bytes.get(words_at..words_at + 2).ok_or(truncated(header_len + EXTENSION_HEADER_LEN))?;
            header_len += EXTENSION_HEADER_LEN + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
        }
        if header_len > bytes.len() {
            return Err(truncated(header_len));
        }
        let mut payload_end = bytes.len();
        if bytes[0] & PADDING_BIT != 0 {
            // The last byte counts the padding, itself included (§5.1), so it cannot be 0.
            let padding = bytes[bytes.len() - 1];
            let available = bytes.len() - header_len;
            if padding == 0 || usize::from(padding) > available {
                return Err(RtpParseError::BadPadding { padding, available });
            }
            payload_end -= usize::from(padding);
        }
        Ok(Self { bytes, payload_start: header_len, payload_end })
    }

    /// The marker bit: for audio, the first packet of a talkspurt (RFC 3551 §4.1).
    pub fn marker(&self) -> bool {
        self.bytes[1] & MARKER_BIT != 0
    }

    /// The payload type, 0–127.
    pub fn payload_type(&self) -> u8 {
        self.bytes[1] & PAYLOAD_TYPE_MASK
    }

    /// The 16-bit sequence number.
    pub fn sequence(&self) -> u16 {
        u16::from_be_bytes([self.bytes[2], self.bytes[3]])
    }

    /// The media timestamp, in clock-rate units.
    pub fn timestamp(&self) -> u32 {
        read_u32(self.bytes, 4)
    }

    /// The synchronisation source.
    pub fn ssrc(&self) -> u32 {
        read_u32(self.bytes, 8)
    }

    /// The contributing sources, as a mixer lists them.
    pub fn csrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let count = usize::from(self.bytes[0] & CSRC_COUNT_MASK);
        self.bytes[HEADER_LEN..HEADER_LEN + 4 * count].chunks_exact(4).map(|word| read_u32(word, 0))
    }

    /// The header extension's profile-defined word and its data, if the X bit is set.
    pub fn extension(&self) -> Option<(u16, &'a [u8])> {
        if self.bytes[0] & EXTENSION_BIT == 0 {
            return None;
        }
        let at = HEADER_LEN + 4 * usize::from(self.bytes[0] & CSRC_COUNT_MASK);
        let profile = u16::from_be_bytes([self.bytes[at], self.bytes[at + 1]]);
        Some((profile, &self.bytes[at + EXTENSION_HEADER_LEN..self.payload_start]))
    }

    /// The payload, without header, extension or padding.
    pub fn payload(&self) -> &'a [u8] {
        &self.bytes[self.payload_start..self.payload_end]
    }

    /// The fixed header fields, e.g. to rewrite and send the payload on.
    pub fn header(&self) -> RtpHeader {
        RtpHeader {
            marker: self.marker(),
            payload_type: self.payload_type(),
            sequence: self.sequence(),
            timestamp: self.timestamp(),
            ssrc: self.ssrc(),
        }
    }
}

/// The fields of an RTP header to write; the CSRCs are passed beside it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RtpHeader {
    /// The marker bit.
    pub marker: bool,
    /// The payload type, 0–127.
    pub payload_type: u8,
    /// The sequence number.
    pub sequence: u16,
    /// The media timestamp.
    pub timestamp: u32,
    /// The synchronisation source.
    pub ssrc: u32,
}

impl RtpHeader {
    /// The bytes a packet with `csrcs` contributing sources and `payload_len` bytes takes.
    pub fn packet_len(csrcs: usize, payload_len: usize) -> usize {
        HEADER_LEN + 4 * csrcs + payload_len
    }

    /// Writes the packet (no extension, no padding) at the start of `out`; returns its length.
    pub fn write(&self, csrcs: &[u32], payload: &[u8], out: &mut [u8]) -> Result<usize, RtpWriteError> {
        self.check(csrcs)?;
        let len = Self::packet_len(csrcs.len(), payload.len());
        if out.len() < len {
            return Err(RtpWriteError::BufferTooSmall { needed: len, len: out.len() });
        }
        // The CSRC count fits in the low four bits: `check` bounded it by 15.
        out[0] = VERSION << 6 | csrcs.len() as u8;
        out[1] = if self.marker { MARKER_BIT } else { 0 } | self.payload_type;
        out[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        out[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        for (slot, csrc) in out[HEADER_LEN..].chunks_exact_mut(4).zip(csrcs) {
            slot.copy_from_slice(&csrc.to_be_bytes());
        }
        out[len - payload.len()..len].copy_from_slice(payload);
        Ok(len)
    }

    /// Replaces the contents of `out` with the packet; allocates only while `out` grows
    /// to the largest packet it has held.
    pub fn write_to_vec(&self, csrcs: &[u32], payload: &[u8], out: &mut Vec<u8>) -> Result<(), RtpWriteError> {
        self.check(csrcs)?;
        out.clear();
        out.resize(Self::packet_len(csrcs.len(), payload.len()), 0);
        self.write(csrcs, payload, out).map(|_| ())
    }

    fn check(&self, csrcs: &[u32]) -> Result<(), RtpWriteError> {
        if self.payload_type > PAYLOAD_TYPE_MASK {
            return Err(RtpWriteError::BadPayloadType(self.payload_type));
        }
        if csrcs.len() > MAX_CSRCS {
            return Err(RtpWriteError::TooManyCsrcs(csrcs.len()));
        }
        Ok(())
    }
}

/// The big-endian word at `at`; callers have checked the bounds.
fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// V=2, no flags, PT 0 (PCMU), seq 0x1234, ts 0x01020304, SSRC 0xdeadbeef, payload "abc".
    const PLAIN: [u8; 15] = [0x80, 0x00, 0x12, 0x34, 0x01, 0x02, 0x03, 0x04, 0xde, 0xad, 0xbe, 0xef, b'a', b'b', b'c'];

    #[test]
    fn parses_the_fixed_header() {
        let packet = RtpPacket::parse(&PLAIN).unwrap();
        assert!(!packet.marker());
        assert_eq!(packet.payload_type(), 0);
        assert_eq!(packet.sequence(), 0x1234);
        assert_eq!(packet.timestamp(), 0x0102_0304);
        assert_eq!(packet.ssrc(), 0xdead_beef);
        assert_eq!(packet.csrcs().len(), 0);
        assert_eq!(packet.extension(), None);
        assert_eq!(packet.payload(), b"abc");
    }

    #[test]
    fn marker_and_payload_type_share_a_byte() {
        let mut bytes = PLAIN;
        bytes[1] = 0x80 | 101;
        let packet = RtpPacket::parse(&bytes).unwrap();
        assert!(packet.marker());
        assert_eq!(packet.payload_type(), 101);
    }

    #[test]
    fn skips_csrcs_extension_and_padding() {
        let bytes = [
            0xb2, 8, 0, 1, 0, 0, 0, 160, 0, 0, 0, 9, // V=2, P, X, CC=2; PT 8
            0, 0, 0, 1, 0, 0, 0, 2, // CSRCs 1 and 2
            0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0, // one-byte-header extension, one word
            b'x', b'y', 0, 0, 3, // payload, then 3 bytes of padding
        ];
        let packet = RtpPacket::parse(&bytes).unwrap();
        assert_eq!(packet.csrcs().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(packet.extension(), Some((0xbede, &[0x10, 0xaa, 0, 0][..])));
        assert_eq!(packet.payload(), b"xy");
        assert_eq!(packet.ssrc(), 9);
    }

    #[test]
    fn rejects_short_and_foreign_packets() {
        assert_eq!(RtpPacket::parse(&PLAIN[..11]), Err(RtpParseError::TooShort(11)));
        assert_eq!(RtpPacket::parse(&[]), Err(RtpParseError::TooShort(0)));
        let mut bytes = PLAIN;
        bytes[0] = 0x40;
        assert_eq!(RtpPacket::parse(&bytes), Err(RtpParseError::BadVersion(1)));
    }

    #[test]
    fn rejects_headers_longer_than_the_packet() {
        let mut bytes = PLAIN;
        bytes[0] = 0x81; // one CSRC: 16 bytes of header in 15
        assert_eq!(RtpPacket::parse(&bytes), Err(RtpParseError::TruncatedHeader { needed: 16, len: 15 }));
        bytes[0] = 0x90; // an extension whose own header is cut short
        assert_eq!(RtpPacket::parse(&bytes), Err(RtpParseError::TruncatedHeader { needed: 16, len: 15 }));
        let mut extended = [0u8; 16];
        extended[0] = 0x90;
        extended[14..16].copy_from_slice(&2u16.to_be_bytes()); // claims 2 words, has none
        assert_eq!(RtpPacket::parse(&extended), Err(RtpParseError::TruncatedHeader { needed: 24, len: 16 }));
    }

    #[test]
    fn rejects_impossible_padding() {
        let mut bytes = PLAIN;
        bytes[0] = 0xa0;
        bytes[14] = 0;
        assert_eq!(RtpPacket::parse(&bytes), Err(RtpParseError::BadPadding { padding: 0, available: 3 }));
        bytes[14] = 4;
        assert_eq!(RtpPacket::parse(&bytes), Err(RtpParseError::BadPadding { padding: 4, available: 3 }));
        bytes[14] = 3; // the whole payload is padding
        assert_eq!(RtpPacket::parse(&bytes).unwrap().payload(), b"");
    }

    #[test]
    fn writes_what_it_parses() {
        let header = RtpHeader { marker: true, payload_type: 8, sequence: 65535, timestamp: u32::MAX, ssrc: 7 };
        let mut out = Vec::new();
        header.write_to_vec(&[10, 11], b"hello", &mut out).unwrap();
        assert_eq!(out.len(), RtpHeader::packet_len(2, 5));
        let packet = RtpPacket::parse(&out).unwrap();
        assert_eq!(packet.header(), header);
        assert_eq!(packet.csrcs().collect::<Vec<_>>(), [10, 11]);
        assert_eq!(packet.payload(), b"hello");

        header.write_to_vec(&[], b"", &mut out).unwrap();
        assert_eq!(out, [0x80, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 7]);
    }

    #[test]
    fn reuses_the_buffer() {
        let mut out = Vec::with_capacity(64);
        let before = out.as_ptr();
        for sequence in 0..100 {
            RtpHeader { sequence, ..RtpHeader::default() }.write_to_vec(&[], &[0xff; 40], &mut out).unwrap();
        }
        assert_eq!(out.as_ptr(), before);
    }

    #[test]
    fn refuses_what_cannot_be_written() {
        let mut out = [0u8; 20];
        let bad_pt = RtpHeader { payload_type: 128, ..RtpHeader::default() };
        assert_eq!(bad_pt.write(&[], b"", &mut out), Err(RtpWriteError::BadPayloadType(128)));
        let header = RtpHeader::default();
        assert_eq!(header.write(&[0; 16], b"", &mut out), Err(RtpWriteError::TooManyCsrcs(16)));
        assert_eq!(header.write(&[], &[0; 9], &mut out), Err(RtpWriteError::BufferTooSmall { needed: 21, len: 20 }));
        assert_eq!(header.write(&[], &[1; 8], &mut out), Ok(20));
    }
}
