//! The sending side of one channel's RTP session (RFC 3550), sans-IO: our SSRC, sequence
//! numbers and timestamps, the marker bit, what we have sent, and the RTCP report due
//! every few seconds. Packets are written into buffers kept from one tick to the next, so
//! sending allocates nothing once they have grown to size.
//!
//! Packets are our own audio and events, or a bridge partner's packets passed through
//! undecoded (see `passthrough`): either way they carry our SSRC, and sequence numbers and
//! timestamps never go back, so the peer sees one stream whichever way it was made.

use std::time::{Duration, Instant, SystemTime};

use crate::codec::Encoder;
use crate::dtmf::rfc4733::DtmfPacket;
use crate::rtp::rtcp::{self, NtpTime, ReportBlock, SenderInfo};
use crate::rtp::RtpHeader;
use crate::FRAME_SAMPLES;

/// How often a report goes out. RFC 3550 §6.2 scales it with the session's bandwidth;
/// for one voice stream each way its 5 s minimum is the interval.
pub(crate) const REPORT_INTERVAL: Duration = Duration::from_secs(5);

/// RTP timestamp units per 20 ms tick: narrowband codecs only, so far.
pub(crate) const TICK_UNITS: u32 = FRAME_SAMPLES as u32;

/// The sending state of one RTP stream.
#[derive(Debug)]
pub(crate) struct OutStream {
    ssrc: u32,
    /// The next packet's sequence number.
    sequence: u16,
    /// This tick's RTP timestamp.
    timestamp: u32,
    /// Whether the next audio packet starts a talkspurt.
    marker: bool,
    /// Packets and payload bytes sent, for sender reports (they wrap, as RFC 3550 allows).
    packets: u32,
    octets: u32,
    /// The canonical name every report carries.
    cname: String,
    /// When the next report is due.
    next_report: Instant,
    /// Reused buffers.
    payload: Vec<u8>,
    packet: Vec<u8>,
    report: Vec<u8>,
}

impl OutStream {
    /// A stream with random SSRC, first sequence number and first timestamp (§5.1), whose
    /// first report goes out one interval after `now`.
    pub(crate) fn new(cname: String, now: Instant) -> OutStream {
        OutStream {
            ssrc: rand::random(),
            sequence: rand::random(),
            timestamp: rand::random(),
            marker: true,
            packets: 0,
            octets: 0,
            cname,
            next_report: now + REPORT_INTERVAL,
            payload: Vec::with_capacity(FRAME_SAMPLES),
            packet: Vec::with_capacity(FRAME_SAMPLES + 64),
            report: Vec::with_capacity(128),
        }
    }

    /// Our SSRC.
    #[cfg(test)]
    pub(crate) fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// This tick's RTP timestamp.
    pub(crate) fn timestamp(&self) -> u32 {
        self.timestamp
    }

    /// The next packet's sequence number.
    pub(crate) fn next_sequence(&self) -> u16 {
        self.sequence
    }

    /// Moves to the next tick; call once per tick, whatever was sent.
    pub(crate) fn advance(&mut self) {
        self.timestamp = self.timestamp.wrapping_add(TICK_UNITS);
    }

    /// Notes that nothing was sent this tick: the next audio packet starts a talkspurt.
    pub(crate) fn pause(&mut self) {
        self.marker = true;
    }

    /// The audio packet of this tick: `frame` encoded with `encoder`.
    pub(crate) fn audio(&mut self, payload_type: u8, encoder: &mut dyn Encoder, frame: &[i16]) -> &[u8] {
        self.payload.clear();
        encoder.encode(frame, &mut self.payload);
        let header = RtpHeader {
            marker: std::mem::take(&mut self.marker),
            payload_type,
            sequence: self.sequence,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
        };
        self.write(header)
    }

    /// A telephone-event packet; it carries its event's timestamp, not the tick's, and
    /// the audio after it starts a new talkspurt.
    pub(crate) fn event(&mut self, payload_type: u8, packet: &DtmfPacket) -> &[u8] {
        self.payload.clear();
        self.payload.extend_from_slice(&packet.event.to_bytes());
        self.marker = true;
        let header = RtpHeader {
            marker: packet.marker,
            payload_type,
            sequence: self.sequence,
            timestamp: packet.timestamp,
            ssrc: self.ssrc,
        };
        self.write(header)
    }

    /// A packet passed through from a bridge partner, its header already rewritten into
    /// this stream (see `passthrough`): sent with our SSRC. Sequence numbers and this
    /// tick's timestamp move up to it, so what we make ourselves afterwards follows on.
    pub(crate) fn forward(&mut self, header: RtpHeader, payload: &[u8]) -> &[u8] {
        self.payload.clear();
        self.payload.extend_from_slice(payload);
        self.timestamp = later_timestamp(self.timestamp, header.timestamp);
        self.write(RtpHeader { ssrc: self.ssrc, ..header })
    }

    /// The last packet written by [`OutStream::audio`], [`OutStream::event`] or
    /// [`OutStream::forward`].
    pub(crate) fn packet(&self) -> &[u8] {
        &self.packet
    }

    /// Whether a report is due at `now`.
    pub(crate) fn is_report_due(&self, now: Instant) -> bool {
        now >= self.next_report
    }

    /// The RTCP compound packet due at `now`, if one is: a sender report (a receiver
    /// report until we have sent something) with `block` about the peer's stream, and
    /// our CNAME. `wall` is the wall-clock time for the report's NTP timestamp.
    pub(crate) fn report(&mut self, now: Instant, wall: SystemTime, block: Option<ReportBlock>) -> Option<&[u8]> {
        if !self.is_report_due(now) {
            return None;
        }
        self.next_report = now + REPORT_INTERVAL;
        self.report.clear();
        let blocks = block.as_slice();
        let written = if self.packets > 0 {
            let info = SenderInfo {
                ntp_time: NtpTime::from_system_time(wall),
                rtp_timestamp: self.timestamp,
                packet_count: self.packets,
                octet_count: self.octets,
            };
            rtcp::write_sender_report(&mut self.report, self.ssrc, &info, blocks)
        } else {
            rtcp::write_receiver_report(&mut self.report, self.ssrc, blocks)
        };
        // Neither fails: one block at most, and a CNAME shorter than 255 bytes.
        written.and_then(|()| rtcp::write_sdes_cname(&mut self.report, self.ssrc, &self.cname)).ok()?;
        Some(&self.report)
    }

    /// Writes the packet for `header` and the payload; counts it as sent.
    fn write(&mut self, header: RtpHeader) -> &[u8] {
        // The payload type comes from SDP negotiation (0–127) and there are no CSRCs,
        // so writing cannot fail; an empty packet would simply not be sent.
        if header.write_to_vec(&[], &self.payload, &mut self.packet).is_err() {
            self.packet.clear();
            return &self.packet;
        }
        // Our own packets take the next number; a partner's late one leaves it be.
        self.sequence = later_sequence(self.sequence, header.sequence.wrapping_add(1));
        self.packets = self.packets.wrapping_add(1);
        // A payload is at most a few hundred bytes; the count wraps as RFC 3550 allows.
        self.octets = self.octets.wrapping_add(self.payload.len() as u32);
        &self.packet
    }
}

/// The later of two sequence numbers, in RFC 3550's modular order.
pub(crate) fn later_sequence(a: u16, b: u16) -> u16 {
    // As i16: the signed distance from a to b, within half the number space.
    if (b.wrapping_sub(a) as i16) > 0 {
        b
    } else {
        a
    }
}

/// The later of two RTP timestamps, in modular order.
pub(crate) fn later_timestamp(a: u32, b: u32) -> u32 {
    // As i32: the signed distance from a to b, within half the timestamp space.
    if (b.wrapping_sub(a) as i32) > 0 {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{codec_for, g711, Codec};
    use crate::dtmf::rfc4733::TelephoneEvent;
    use crate::rtp::rtcp::{parse_compound, RtcpPacket};
    use crate::rtp::RtpPacket;

    #[test]
    fn audio_packets_count_up_and_mark_talkspurts() {
        let now = Instant::now();
        let mut stream = OutStream::new("me@example".to_owned(), now);
        let mut encoder = g711::PCMU.encoder();
        let frame = [0i16; FRAME_SAMPLES];
        let first = RtpPacket::parse(stream.audio(0, encoder.as_mut(), &frame)).unwrap().header();
        assert!(first.marker);
        assert_eq!(first.ssrc, stream.ssrc());
        stream.advance();
        let second = RtpPacket::parse(stream.audio(0, encoder.as_mut(), &frame)).unwrap().header();
        assert!(!second.marker);
        assert_eq!(second.sequence, first.sequence.wrapping_add(1));
        assert_eq!(second.timestamp, first.timestamp.wrapping_add(160));
        stream.advance();
        stream.pause();
        stream.advance();
        let third = RtpPacket::parse(stream.audio(8, encoder.as_mut(), &frame)).unwrap();
        assert!(third.marker(), "after a pause");
        assert_eq!(third.header().timestamp, first.timestamp.wrapping_add(480), "time went on");
        assert_eq!(third.payload().len(), 160);
        assert_eq!(third.payload_type(), 8);
    }

    #[test]
    fn sequence_and_timestamp_wrap() {
        let mut stream = OutStream::new("x".to_owned(), Instant::now());
        stream.sequence = u16::MAX;
        stream.timestamp = u32::MAX - 100;
        let mut encoder = codec_for("PCMA").unwrap().encoder();
        let frame = [0i16; FRAME_SAMPLES];
        assert_eq!(RtpPacket::parse(stream.audio(8, encoder.as_mut(), &frame)).unwrap().sequence(), u16::MAX);
        stream.advance();
        let next = RtpPacket::parse(stream.audio(8, encoder.as_mut(), &frame)).unwrap().header();
        assert_eq!((next.sequence, next.timestamp), (0, 59));
    }

    #[test]
    fn events_keep_their_timestamp_and_the_next_audio_is_marked() {
        let mut stream = OutStream::new("x".to_owned(), Instant::now());
        let mut encoder = g711::PCMU.encoder();
        let frame = [0i16; FRAME_SAMPLES];
        stream.audio(0, encoder.as_mut(), &frame);
        let event = TelephoneEvent { event: 1, end: true, volume: 10, duration: 800 };
        let packet = DtmfPacket { marker: false, timestamp: 1234, event };
        let parsed = RtpPacket::parse(stream.event(101, &packet)).unwrap().header();
        assert_eq!((parsed.payload_type, parsed.timestamp, parsed.marker), (101, 1234, false));
        assert!(RtpPacket::parse(stream.audio(0, encoder.as_mut(), &frame)).unwrap().marker());
    }

    #[test]
    fn forwarded_packets_take_our_ssrc_and_move_the_stream_on() {
        let mut stream = OutStream::new("x".to_owned(), Instant::now());
        stream.sequence = 65535;
        stream.timestamp = 1000;
        let header = RtpHeader { marker: true, payload_type: 8, sequence: 65535, timestamp: 1000, ssrc: 0xdead };
        let ssrc = stream.ssrc();
        let sent = RtpPacket::parse(stream.forward(header, &[1, 2, 3])).unwrap();
        assert_eq!(sent.header(), RtpHeader { ssrc, ..header });
        assert_eq!(sent.payload(), [1, 2, 3]);
        let ahead = RtpHeader { marker: false, sequence: 1, timestamp: 1480, ..header };
        stream.forward(ahead, &[4]);
        assert_eq!((stream.next_sequence(), stream.timestamp()), (2, 1480), "moved up to the packet");
        let late = RtpHeader { sequence: 0, timestamp: 1320, ..ahead };
        stream.forward(late, &[5]);
        assert_eq!((stream.next_sequence(), stream.timestamp()), (2, 1480), "a late one moves nothing back");
        stream.advance();
        let own = RtpPacket::parse(stream.audio(0, g711::PCMU.encoder().as_mut(), &[0; FRAME_SAMPLES])).unwrap();
        assert_eq!((own.sequence(), own.timestamp()), (2, 1640));
        assert_eq!(stream.packets, 4);
    }

    #[test]
    fn modular_order() {
        assert_eq!(later_sequence(65535, 0), 0);
        assert_eq!(later_sequence(0, 65535), 0);
        assert_eq!(later_sequence(10, 20), 20);
        assert_eq!(later_timestamp(u32::MAX - 10, 5), 5);
        assert_eq!(later_timestamp(5, u32::MAX - 10), 5);
    }

    #[test]
    fn reports_every_five_seconds_sender_once_sending() {
        let start = Instant::now();
        let wall = SystemTime::now();
        let mut stream = OutStream::new("me@example".to_owned(), start);
        assert!(stream.report(start, wall, None).is_none());
        let block = ReportBlock { ssrc: 77, ..ReportBlock::default() };
        let rr = stream.report(start + REPORT_INTERVAL, wall, Some(block)).unwrap().to_vec();
        let packets: Vec<_> = parse_compound(&rr).collect::<Result<_, _>>().unwrap();
        assert!(matches!(&packets[0], RtcpPacket::ReceiverReport(rr) if rr.report_blocks().next() == Some(block)));
        assert!(matches!(&packets[1], RtcpPacket::SourceDescription(_)));
        assert!(stream.report(start + REPORT_INTERVAL + Duration::from_secs(1), wall, None).is_none());

        stream.audio(0, g711::PCMU.encoder().as_mut(), &[0; FRAME_SAMPLES]);
        let sr = stream.report(start + REPORT_INTERVAL * 2, wall, None).unwrap().to_vec();
        match parse_compound(&sr).next() {
            Some(Ok(RtcpPacket::SenderReport(sr))) => {
                assert_eq!((sr.ssrc, sr.sender_info.packet_count, sr.sender_info.octet_count), (stream.ssrc(), 1, 160));
            }
            other => panic!("{other:?}"),
        }
    }
}
