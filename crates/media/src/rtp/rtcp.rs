//! RTCP (RFC 3550 §6) as far as a voice endpoint needs it: sender and receiver reports with
//! their report blocks (§6.4), the SDES CNAME every compound packet carries (§6.5), and BYE
//! (§6.6). Parsing walks a compound packet in place; writing appends to a buffer the caller
//! reuses. Wall-clock time comes in as a `SystemTime`, never read here.

use std::str;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use thiserror::Error;

/// Packet type of a sender report.
pub const SENDER_REPORT: u8 = 200;
/// Packet type of a receiver report.
pub const RECEIVER_REPORT: u8 = 201;
/// Packet type of a source description.
pub const SOURCE_DESCRIPTION: u8 = 202;
/// Packet type of a BYE.
pub const BYE: u8 = 203;

/// The most report blocks, SDES chunks or BYE sources the 5-bit count field allows.
pub const MAX_COUNT: usize = 31;

/// Version, padding, count, packet type and length in words minus one.
const HEADER_LEN: usize = 4;
const SSRC_LEN: usize = 4;
const SENDER_INFO_LEN: usize = 20;
const REPORT_BLOCK_LEN: usize = 24;
const VERSION: u8 = 2;
const PADDING_BIT: u8 = 0x20;
const COUNT_MASK: u8 = 0x1f;
/// The SDES item that ends a chunk's item list.
const SDES_END: u8 = 0;
/// The SDES item type of the canonical name.
const SDES_CNAME: u8 = 1;
/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// Why received bytes are not a valid RTCP compound packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtcpParseError {
    /// Fewer bytes than an RTCP header where a packet should start.
    #[error("{0} bytes left, shorter than an RTCP header")]
    TooShort(usize),
    /// The version field is not 2.
    #[error("RTCP version {0}, expected 2")]
    BadVersion(u8),
    /// The length field claims more bytes than were received.
    #[error("the packet claims {claimed} bytes, {available} are left")]
    BadLength {
        /// Bytes the length field claims.
        claimed: usize,
        /// Bytes left in the compound packet.
        available: usize,
    },
    /// The padding count is zero or larger than the packet.
    #[error("padding of {0} bytes does not fit the packet")]
    BadPadding(u8),
    /// The body is too short for the reports or sources its count announces.
    #[error("packet type {packet_type} needs {needed} bytes of body, has {len}")]
    TruncatedBody {
        /// The packet type.
        packet_type: u8,
        /// Bytes the count implies.
        needed: usize,
        /// Bytes the body has.
        len: usize,
    },
    /// An SDES item list runs past the packet or is not terminated.
    #[error("SDES chunk is truncated")]
    TruncatedSdes,
    /// A CNAME or a BYE reason is not UTF-8.
    #[error("RTCP text is not UTF-8")]
    BadText,
}

/// Why an RTCP packet could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtcpWriteError {
    /// More report blocks or BYE sources than the count field holds.
    #[error("{0} entries, at most 31 fit in one packet")]
    TooMany(usize),
    /// A CNAME or BYE reason longer than its one-byte length.
    #[error("text of {0} bytes, at most 255 fit")]
    TextTooLong(usize),
}

/// A 64-bit NTP timestamp: seconds since 1900 in the high word, the fraction in the low.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NtpTime(pub u64);

impl NtpTime {
    /// The NTP time of a wall-clock instant; times before 1970 count as 1970. The seconds
    /// wrap in 2036 as NTP era 0 does, which only the differences used here survive.
    pub fn from_system_time(time: SystemTime) -> Self {
        let since_unix = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        let seconds = (since_unix.as_secs() + NTP_UNIX_OFFSET) & u64::from(u32::MAX);
        let fraction = (u64::from(since_unix.subsec_nanos()) << 32) / 1_000_000_000;
        Self(seconds << 32 | fraction)
    }

    /// The middle 32 bits (16.16 seconds), as the LSR field of a report block carries it.
    pub fn compact(self) -> u32 {
        (self.0 >> 16) as u32
    }
}

/// The sender information of a sender report (§6.4.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SenderInfo {
    /// The wall-clock time the report was sent.
    pub ntp_time: NtpTime,
    /// The RTP timestamp corresponding to `ntp_time`.
    pub rtp_timestamp: u32,
    /// Packets sent since the start of transmission.
    pub packet_count: u32,
    /// Payload bytes sent since the start of transmission.
    pub octet_count: u32,
}

/// One report block: reception statistics about one source (§6.4.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportBlock {
    /// The source the block is about.
    pub ssrc: u32,
    /// Packets lost since the previous report, as a fraction of 256.
    pub fraction_lost: u8,
    /// Packets lost since reception started; 24-bit signed (duplicates can make it negative).
    pub cumulative_lost: i32,
    /// The highest sequence number received, with the wrap count in the high 16 bits.
    pub extended_highest_sequence: u32,
    /// The interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// The compact NTP time of the last sender report received from the source, or 0.
    pub last_sender_report: u32,
    /// Time since that sender report was received, in 1/65536 s.
    pub delay_since_last_sender_report: u32,
}

/// The largest and smallest cumulative loss the 24-bit field can carry.
const CUMULATIVE_LOST_MAX: i32 = 0x7f_ffff;
const CUMULATIVE_LOST_MIN: i32 = -0x80_0000;

impl ReportBlock {
    /// The round-trip time to the source this block came from, given when it arrived
    /// (§6.4.1: arrival − LSR − DLSR); `None` when it carries no sender report echo.
    pub fn round_trip_time(&self, arrival: NtpTime) -> Option<Duration> {
        if self.last_sender_report == 0 {
            return None;
        }
        let units =
            arrival.compact().wrapping_sub(self.last_sender_report).wrapping_sub(self.delay_since_last_sender_report);
        // A "negative" result means clocks or the peer misbehave: no estimate beats a wrong one.
        if units > u32::MAX / 2 {
            return None;
        }
        Some(Duration::from_micros(u64::from(units) * 1_000_000 / 65_536))
    }

    fn read(bytes: &[u8]) -> Self {
        // Sign-extend the 24-bit cumulative loss.
        let cumulative_lost = (read_u32(bytes, 4) << 8) as i32 >> 8;
        Self {
            ssrc: read_u32(bytes, 0),
            fraction_lost: bytes[4],
            cumulative_lost,
            extended_highest_sequence: read_u32(bytes, 8),
            jitter: read_u32(bytes, 12),
            last_sender_report: read_u32(bytes, 16),
            delay_since_last_sender_report: read_u32(bytes, 20),
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        let lost = self.cumulative_lost.clamp(CUMULATIVE_LOST_MIN, CUMULATIVE_LOST_MAX) as u32 & 0xff_ffff;
        out.extend_from_slice(&(u32::from(self.fraction_lost) << 24 | lost).to_be_bytes());
        for word in
            [self.extended_highest_sequence, self.jitter, self.last_sender_report, self.delay_since_last_sender_report]
        {
            out.extend_from_slice(&word.to_be_bytes());
        }
    }
}

/// The report blocks of a received SR or RR, decoded as they are iterated.
#[derive(Debug, Clone)]
pub struct ReportBlocks<'a>(std::slice::ChunksExact<'a, u8>);

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;

    fn next(&mut self) -> Option<ReportBlock> {
        self.0.next().map(ReportBlock::read)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for ReportBlocks<'_> {}

/// A received sender report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderReport<'a> {
    /// The sender.
    pub ssrc: u32,
    /// What it has sent, and when.
    pub sender_info: SenderInfo,
    blocks: &'a [u8],
}

impl<'a> SenderReport<'a> {
    /// What the sender has received from each source it reports on.
    pub fn report_blocks(&self) -> ReportBlocks<'a> {
        ReportBlocks(self.blocks.chunks_exact(REPORT_BLOCK_LEN))
    }
}

/// A received receiver report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    /// The reporter.
    pub ssrc: u32,
    blocks: &'a [u8],
}

impl<'a> ReceiverReport<'a> {
    /// What the reporter has received from each source it reports on.
    pub fn report_blocks(&self) -> ReportBlocks<'a> {
        ReportBlocks(self.blocks.chunks_exact(REPORT_BLOCK_LEN))
    }
}

/// One SDES chunk: a source and its canonical name, the only item kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    /// The source described.
    pub ssrc: u32,
    /// Its CNAME item, if the chunk has one.
    pub cname: Option<&'a str>,
}

/// A received source description; its chunks were validated when it was parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDescription<'a> {
    count: u8,
    body: &'a [u8],
}

impl<'a> SourceDescription<'a> {
    /// The chunks, one per source described.
    pub fn chunks(&self) -> impl Iterator<Item = SdesChunk<'a>> + 'a {
        let mut rest = self.body;
        // Parsing already walked these chunks, so the reads cannot fail here.
        (0..self.count).map_while(move |_| {
            let (chunk, after) = read_sdes_chunk(rest).ok()?;
            rest = after;
            Some(chunk)
        })
    }
}

/// A received BYE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bye<'a> {
    sources: &'a [u8],
    /// Why the sources left, if they said.
    pub reason: Option<&'a str>,
}

impl<'a> Bye<'a> {
    /// The sources leaving.
    pub fn sources(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        self.sources.chunks_exact(SSRC_LEN).map(|word| read_u32(word, 0))
    }
}

/// One packet of a compound RTCP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    /// SR.
    SenderReport(SenderReport<'a>),
    /// RR.
    ReceiverReport(ReceiverReport<'a>),
    /// SDES.
    SourceDescription(SourceDescription<'a>),
    /// BYE.
    Bye(Bye<'a>),
    /// APP, feedback, XR or anything else, left unparsed.
    Other {
        /// The packet type.
        packet_type: u8,
        /// The five bits after the padding bit.
        count: u8,
        /// The body after the header, without padding.
        body: &'a [u8],
    },
}

/// The packets of a compound RTCP packet, parsed one by one; ends after the first error.
#[derive(Debug, Clone)]
pub struct RtcpPackets<'a> {
    rest: &'a [u8],
}

/// Walks the packets of the compound packet `bytes`.
pub fn parse_compound(bytes: &[u8]) -> RtcpPackets<'_> {
    RtcpPackets { rest: bytes }
}

impl<'a> Iterator for RtcpPackets<'a> {
    type Item = Result<RtcpPacket<'a>, RtcpParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match read_packet(self.rest) {
            Ok((packet, rest)) => {
                self.rest = rest;
                Some(Ok(packet))
            }
            Err(error) => {
                self.rest = &[];
                Some(Err(error))
            }
        }
    }
}

/// Reads the packet at the start of `bytes`; returns it and the bytes after it.
fn read_packet(bytes: &[u8]) -> Result<(RtcpPacket<'_>, &[u8]), RtcpParseError> {
    if bytes.len() < HEADER_LEN {
        return Err(RtcpParseError::TooShort(bytes.len()));
    }
    let version = bytes[0] >> 6;
    if version != VERSION {
        return Err(RtcpParseError::BadVersion(version));
    }
    let count = bytes[0] & COUNT_MASK;
    let packet_type = bytes[1];
    let claimed = (usize::from(u16::from_be_bytes([bytes[2], bytes[3]])) + 1) * 4;
    if claimed > bytes.len() {
        return Err(RtcpParseError::BadLength { claimed, available: bytes.len() });
    }
    let (packet, rest) = bytes.split_at(claimed);
    let mut body = &packet[HEADER_LEN..];
    if bytes[0] & PADDING_BIT != 0 {
        let padding = packet[claimed - 1];
        if padding == 0 || usize::from(padding) > body.len() {
            return Err(RtcpParseError::BadPadding(padding));
        }
        body = &body[..body.len() - usize::from(padding)];
    }
    let count_len = usize::from(count);
    let needing = |needed: usize| {
        if body.len() < needed {
            Err(RtcpParseError::TruncatedBody { packet_type, needed, len: body.len() })
        } else {
            Ok(())
        }
    };
    let packet = match packet_type {
        SENDER_REPORT => {
            let blocks_at = SSRC_LEN + SENDER_INFO_LEN;
            needing(blocks_at + count_len * REPORT_BLOCK_LEN)?;
            let sender_info = SenderInfo {
                ntp_time: NtpTime(u64::from(read_u32(body, 4)) << 32 | u64::from(read_u32(body, 8))),
                rtp_timestamp: read_u32(body, 12),
                packet_count: read_u32(body, 16),
                octet_count: read_u32(body, 20),
            };
            // Profile-specific extensions after the blocks are ignored.
            let blocks = &body[blocks_at..blocks_at + count_len * REPORT_BLOCK_LEN];
            RtcpPacket::SenderReport(SenderReport { ssrc: read_u32(body, 0), sender_info, blocks })
        }
        RECEIVER_REPORT => {
            needing(SSRC_LEN + count_len * REPORT_BLOCK_LEN)?;
            let blocks = &body[SSRC_LEN..SSRC_LEN + count_len * REPORT_BLOCK_LEN];
            RtcpPacket::ReceiverReport(ReceiverReport { ssrc: read_u32(body, 0), blocks })
        }
        SOURCE_DESCRIPTION => {
            let mut rest = body;
            for _ in 0..count {
                rest = read_sdes_chunk(rest)?.1;
            }
            RtcpPacket::SourceDescription(SourceDescription { count, body })
        }
        BYE => {
            let sources_len = count_len * SSRC_LEN;
            needing(sources_len)?;
            let reason = match body.get(sources_len) {
                None => None,
                Some(&len) => {
                    let text_at = sources_len + 1;
                    needing(text_at + usize::from(len))?;
                    Some(read_text(&body[text_at..text_at + usize::from(len)])?)
                }
            };
            RtcpPacket::Bye(Bye { sources: &body[..sources_len], reason })
        }
        _ => RtcpPacket::Other { packet_type, count, body },
    };
    Ok((packet, rest))
}

/// Reads the SDES chunk at the start of `bytes`; returns it and the bytes after it.
fn read_sdes_chunk(bytes: &[u8]) -> Result<(SdesChunk<'_>, &[u8]), RtcpParseError> {
    if bytes.len() < SSRC_LEN {
        return Err(RtcpParseError::TruncatedSdes);
    }
    let mut chunk = SdesChunk { ssrc: read_u32(bytes, 0), cname: None };
    let mut at = SSRC_LEN;
    loop {
        let item_type = *bytes.get(at).ok_or(RtcpParseError::TruncatedSdes)?;
        if item_type == SDES_END {
            // The list ends with a null octet, then nulls up to the next word (§6.5).
            let end = (at + 4) & !3;
            let rest = bytes.get(end..).ok_or(RtcpParseError::TruncatedSdes)?;
            return Ok((chunk, rest));
        }
        let len = usize::from(*bytes.get(at + 1).ok_or(RtcpParseError::TruncatedSdes)?);
        let text = bytes.get(at + 2..at + 2 + len).ok_or(RtcpParseError::TruncatedSdes)?;
        if item_type == SDES_CNAME {
            chunk.cname = Some(read_text(text)?);
        }
        at += 2 + len;
    }
}

fn read_text(bytes: &[u8]) -> Result<&str, RtcpParseError> {
    str::from_utf8(bytes).map_err(|_| RtcpParseError::BadText)
}

/// Appends a sender report from `ssrc` with its report `blocks` to `out`.
pub fn write_sender_report(
    out: &mut Vec<u8>,
    ssrc: u32,
    sender_info: &SenderInfo,
    blocks: &[ReportBlock],
) -> Result<(), RtcpWriteError> {
    let start = begin_packet(out, blocks.len(), SENDER_REPORT)?;
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(&sender_info.ntp_time.0.to_be_bytes());
    for word in [sender_info.rtp_timestamp, sender_info.packet_count, sender_info.octet_count] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    blocks.iter().for_each(|block| block.write(out));
    finish_packet(out, start);
    Ok(())
}

/// Appends a receiver report from `ssrc` with its report `blocks` to `out`.
pub fn write_receiver_report(out: &mut Vec<u8>, ssrc: u32, blocks: &[ReportBlock]) -> Result<(), RtcpWriteError> {
    let start = begin_packet(out, blocks.len(), RECEIVER_REPORT)?;
    out.extend_from_slice(&ssrc.to_be_bytes());
    blocks.iter().for_each(|block| block.write(out));
    finish_packet(out, start);
    Ok(())
}

/// Appends a source description giving `ssrc` the canonical name `cname` to `out`.
pub fn write_sdes_cname(out: &mut Vec<u8>, ssrc: u32, cname: &str) -> Result<(), RtcpWriteError> {
    let len = text_len(cname)?;
    let start = begin_packet(out, 1, SOURCE_DESCRIPTION)?;
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(&[SDES_CNAME, len]);
    out.extend_from_slice(cname.as_bytes());
    // The end-of-list item; `finish_packet` adds the nulls up to the word boundary.
    out.push(SDES_END);
    finish_packet(out, start);
    Ok(())
}

/// Appends a BYE for `sources`, with an optional `reason`, to `out`.
pub fn write_bye(out: &mut Vec<u8>, sources: &[u32], reason: Option<&str>) -> Result<(), RtcpWriteError> {
    let reason = reason.map(|text| Ok((text_len(text)?, text))).transpose()?;
    let start = begin_packet(out, sources.len(), BYE)?;
    sources.iter().for_each(|ssrc| out.extend_from_slice(&ssrc.to_be_bytes()));
    if let Some((len, text)) = reason {
        out.push(len);
        out.extend_from_slice(text.as_bytes());
    }
    finish_packet(out, start);
    Ok(())
}

/// The one-byte length prefix of an SDES item or BYE reason.
fn text_len(text: &str) -> Result<u8, RtcpWriteError> {
    u8::try_from(text.len()).map_err(|_| RtcpWriteError::TextTooLong(text.len()))
}

/// Writes a header with the length still unknown; returns where the packet starts.
fn begin_packet(out: &mut Vec<u8>, count: usize, packet_type: u8) -> Result<usize, RtcpWriteError> {
    if count > MAX_COUNT {
        return Err(RtcpWriteError::TooMany(count));
    }
    let start = out.len();
    // `count` fits in the five count bits: checked above.
    out.extend_from_slice(&[VERSION << 6 | count as u8, packet_type, 0, 0]);
    Ok(start)
}

/// Pads the packet begun at `start` with nulls to a word boundary and fills in its length.
fn finish_packet(out: &mut Vec<u8>, start: usize) {
    out.resize(start + (out.len() - start).next_multiple_of(4), 0);
    // At most 31 blocks of 24 bytes or 255 bytes of text: far below 2^16 words.
    let words = ((out.len() - start) / 4 - 1) as u16;
    out[start + 2..start + 4].copy_from_slice(&words.to_be_bytes());
}

/// The big-endian word at `at`; callers have checked the bounds.
fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block() -> ReportBlock {
        ReportBlock {
            ssrc: 0x0102_0304,
            fraction_lost: 0x40,
            cumulative_lost: 5,
            extended_highest_sequence: 0x0001_0010,
            jitter: 27,
            last_sender_report: 0xaabb_ccdd,
            delay_since_last_sender_report: 0x0001_8000,
        }
    }

    #[rustfmt::skip]
    const BLOCK_BYTES: [u8; 24] = [
        0x01, 0x02, 0x03, 0x04, // SSRC
        0x40, 0x00, 0x00, 0x05, // fraction lost 1/4, 5 lost
        0x00, 0x01, 0x00, 0x10, // one wrap, highest 16
        0x00, 0x00, 0x00, 27,   // jitter
        0xaa, 0xbb, 0xcc, 0xdd, // LSR
        0x00, 0x01, 0x80, 0x00, // DLSR 1.5 s
    ];

    #[test]
    fn ntp_time_counts_from_1900() {
        let time = UNIX_EPOCH + Duration::from_millis(1_000_000_000_500);
        let ntp = NtpTime::from_system_time(time);
        assert_eq!(ntp.0 >> 32, 1_000_000_000 + 2_208_988_800);
        assert_eq!(ntp.0 as u32, 0x8000_0000);
        assert_eq!(ntp.compact(), ((1_000_000_000u32 + 2_208_988_800) << 16) | 0x8000);
        assert_eq!(NtpTime::from_system_time(UNIX_EPOCH - Duration::from_secs(1)).0, NTP_UNIX_OFFSET << 32);
    }

    #[test]
    fn writes_and_reads_a_sender_report_with_sdes() {
        let info = SenderInfo {
            ntp_time: NtpTime(0x1122_3344_5566_7788),
            rtp_timestamp: 160,
            packet_count: 2,
            octet_count: 320,
        };
        let mut out = Vec::new();
        write_sender_report(&mut out, 0xcafe_babe, &info, &[block()]).unwrap();
        write_sdes_cname(&mut out, 0xcafe_babe, "sb@host").unwrap();

        let mut expected = vec![
            0x81, 200, 0, 12, // V=2, RC=1, SR, 13 words
            0xca, 0xfe, 0xba, 0xbe, // sender SSRC
            0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, // NTP
            0, 0, 0, 160, 0, 0, 0, 2, 0, 0, 1, 64, // RTP ts, packets, octets
        ];
        expected.extend_from_slice(&BLOCK_BYTES);
        expected.extend_from_slice(&[
            0x81, 202, 0, 4, // V=2, SC=1, SDES, 5 words
            0xca, 0xfe, 0xba, 0xbe, 1, 7, b's', b'b', b'@', b'h', b'o', b's', b't', 0, 0, 0,
        ]);
        assert_eq!(out, expected);

        let packets: Vec<_> = parse_compound(&expected).collect::<Result<_, _>>().unwrap();
        let [RtcpPacket::SenderReport(sr), RtcpPacket::SourceDescription(sdes)] = &packets[..] else {
            panic!("{packets:?}");
        };
        assert_eq!(sr.ssrc, 0xcafe_babe);
        assert_eq!(sr.sender_info, info);
        assert_eq!(sr.report_blocks().collect::<Vec<_>>(), [block()]);
        assert_eq!(sdes.chunks().collect::<Vec<_>>(), [SdesChunk { ssrc: 0xcafe_babe, cname: Some("sb@host") }]);
    }

    #[test]
    fn reads_a_receiver_report_and_a_bye() {
        let mut bytes = vec![0x81, 201, 0, 7, 0, 0, 0, 9];
        bytes.extend_from_slice(&BLOCK_BYTES);
        bytes.extend_from_slice(&[0x82, 203, 0, 4, 0, 0, 0, 9, 0, 0, 0, 10, 4, b'd', b'o', b'n', b'e', 0, 0, 0]);
        let packets: Vec<_> = parse_compound(&bytes).collect::<Result<_, _>>().unwrap();
        let [RtcpPacket::ReceiverReport(rr), RtcpPacket::Bye(bye)] = &packets[..] else {
            panic!("{packets:?}");
        };
        assert_eq!(rr.ssrc, 9);
        assert_eq!(rr.report_blocks().collect::<Vec<_>>(), [block()]);
        assert_eq!(bye.sources().collect::<Vec<_>>(), [9, 10]);
        assert_eq!(bye.reason, Some("done"));

        let mut out = Vec::new();
        write_receiver_report(&mut out, 9, &[block()]).unwrap();
        write_bye(&mut out, &[9, 10], Some("done")).unwrap();
        assert_eq!(out, bytes);
    }

    #[test]
    fn an_empty_receiver_report_and_a_silent_bye() {
        let mut out = Vec::new();
        write_receiver_report(&mut out, 1, &[]).unwrap();
        write_bye(&mut out, &[1], None).unwrap();
        assert_eq!(out, [0x80, 201, 0, 1, 0, 0, 0, 1, 0x81, 203, 0, 1, 0, 0, 0, 1]);
        let packets: Vec<_> = parse_compound(&out).collect::<Result<_, _>>().unwrap();
        assert!(matches!(&packets[1], RtcpPacket::Bye(bye) if bye.reason.is_none()));
    }

    #[test]
    fn negative_cumulative_loss_is_sign_extended_and_clamped() {
        let lost = ReportBlock { cumulative_lost: -2, ..block() };
        let mut out = Vec::new();
        write_receiver_report(&mut out, 1, &[lost]).unwrap();
        assert_eq!(&out[12..16], &[0x40, 0xff, 0xff, 0xfe]);
        let Some(Ok(RtcpPacket::ReceiverReport(rr))) = parse_compound(&out).next() else { panic!() };
        assert_eq!(rr.report_blocks().next().unwrap().cumulative_lost, -2);

        out.clear();
        write_receiver_report(&mut out, 1, &[ReportBlock { cumulative_lost: i32::MAX, ..block() }]).unwrap();
        assert_eq!(&out[12..16], &[0x40, 0x7f, 0xff, 0xff]);
    }

    #[test]
    fn unknown_packets_and_padding_are_passed_over() {
        // An APP packet with 4 bytes of padding, then an empty RR.
        let bytes = [0xa1, 204, 0, 3, 0, 0, 0, 1, b'n', b'a', b'm', b'e', 0, 0, 0, 4, 0x80, 201, 0, 1, 0, 0, 0, 2];
        let packets: Vec<_> = parse_compound(&bytes).collect::<Result<_, _>>().unwrap();
        assert_eq!(packets[0], RtcpPacket::Other { packet_type: 204, count: 1, body: &bytes[4..12] });
        assert!(matches!(&packets[1], RtcpPacket::ReceiverReport(rr) if rr.ssrc == 2));
    }

    #[test]
    fn malformed_packets_are_errors() {
        let first_error = |bytes: &[u8]| parse_compound(bytes).find_map(Result::err);
        assert_eq!(first_error(&[0x80, 201, 0]), Some(RtcpParseError::TooShort(3)));
        assert_eq!(first_error(&[0x40, 201, 0, 1, 0, 0, 0, 2]), Some(RtcpParseError::BadVersion(1)));
        assert_eq!(
            first_error(&[0x80, 201, 0, 2, 0, 0, 0, 2]),
            Some(RtcpParseError::BadLength { claimed: 12, available: 8 })
        );
        assert_eq!(
            first_error(&[0x81, 201, 0, 1, 0, 0, 0, 2]),
            Some(RtcpParseError::TruncatedBody { packet_type: 201, needed: 28, len: 4 })
        );
        assert_eq!(first_error(&[0xa0, 201, 0, 1, 0, 0, 0, 0]), Some(RtcpParseError::BadPadding(0)));
        assert_eq!(first_error(&[0xa0, 201, 0, 1, 0, 0, 0, 9]), Some(RtcpParseError::BadPadding(9)));
        // An SDES item longer than the chunk, and one never terminated.
        assert_eq!(first_error(&[0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, b'a', b'b']), Some(RtcpParseError::TruncatedSdes));
        assert_eq!(first_error(&[0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, b'a', b'b']), Some(RtcpParseError::TruncatedSdes));
        assert_eq!(first_error(&[0x81, 202, 0, 2, 0, 0, 0, 1, 1, 1, 0xff, 0]), Some(RtcpParseError::BadText));
        // A good packet before a bad one is still returned.
        let mut iter = parse_compound(&[0x80, 201, 0, 1, 0, 0, 0, 2, 0x80]);
        assert!(matches!(iter.next(), Some(Ok(_))));
        assert_eq!(iter.next(), Some(Err(RtcpParseError::TooShort(1))));
        assert_eq!(iter.next(), None);
    }

    #[test]
    fn refuses_what_the_fields_cannot_hold() {
        let mut out = Vec::new();
        assert_eq!(write_receiver_report(&mut out, 1, &[block(); 32]), Err(RtcpWriteError::TooMany(32)));
        assert_eq!(write_sdes_cname(&mut out, 1, &"x".repeat(256)), Err(RtcpWriteError::TextTooLong(256)));
        assert_eq!(write_bye(&mut out, &[1], Some(&"x".repeat(300))), Err(RtcpWriteError::TextTooLong(300)));
        assert!(out.is_empty());
    }

    #[test]
    fn round_trip_time_from_an_echoed_sender_report() {
        // LSR at 10.0 s, held for 0.25 s by the peer, back at 10.5 s: 250 ms on the wire.
        let echoed = ReportBlock { last_sender_report: 10 << 16, delay_since_last_sender_report: 1 << 14, ..block() };
        let arrival = NtpTime(((10u64 << 16) | 0x8000) << 16);
        assert_eq!(echoed.round_trip_time(arrival), Some(Duration::from_millis(250)));
        assert_eq!(ReportBlock { last_sender_report: 0, ..echoed }.round_trip_time(arrival), None);
        assert_eq!(echoed.round_trip_time(NtpTime(10 << 32)), None);
    }
}
