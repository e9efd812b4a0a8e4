//! Two-party pass-through, sans-IO: when a mixing bridge holds exactly two channels that
//! agree on codec and packet time, both take telephone-events, and nothing needs their
//! audio decoded (no playback, recording, echo, mute, music on hold or DTMF being sent on
//! either, no announcer or music in the bridge), the clock passes each one's RTP to the
//! other undecoded, as the relay does, instead of decoding, mixing and encoding it.
//!
//! - [`PassProfile`]: what one side must match on the other.
//! - [`PassLane`]: the packets one member took in this tick, for the other to send; its
//!   buffers are kept, so passing allocates nothing once they have grown to size.
//! - [`Rewriter`]: re-heads the partner's packets into the receiving channel's own
//!   outgoing stream: its SSRC (the stream's), its sequence numbers continuing, timestamps
//!   offset so the stream stays continuous, payload types mapped to what that side
//!   negotiated, and the marker set where a new source (or a restarted one) begins.
//!
//! Which bridges pass through is the clock's decision, tick by tick, since it sees both
//! channels; the channel does the rest (see `ChannelCore::set_forwarding`). Digits still
//! reach each channel's owner, and reception statistics and RTCP go on as before: only the
//! decoding, mixing and encoding stop.

use super::channel::MAX_READS_PER_TICK;
use super::negotiate::Negotiated;
use super::stream::{later_sequence, later_timestamp, TICK_UNITS};
use crate::codec::{same_codec, Codec};
use crate::rtp::RtpHeader;
use crate::FRAME_SAMPLES;

/// Packets a lane holds: as many as a channel reads from its socket in one tick.
pub(crate) const LANE_CAPACITY: usize = MAX_READS_PER_TICK;

/// How far behind the newest packet a source's packet may be and still belong to it
/// (RFC 3550 A.1's `MAX_MISORDER`); further back, the source restarted.
const MAX_MISORDER: i32 = 100;

/// How far ahead of the newest packet a source's packet may jump and still belong to it
/// (RFC 3550 A.1's `MAX_DROPOUT`).
const MAX_DROPOUT: i32 = 3000;

/// What one side of a pass-through is: the codec and packet time, which must match the
/// other side's, and the payload types, which are mapped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PassProfile {
    codec: &'static dyn Codec,
    payload_type: u8,
    telephone_event: u8,
    ptime: u32,
}

impl PassProfile {
    /// The profile of a channel that negotiated `negotiated`; `None` without
    /// telephone-event, whose digits would have to be made into tones.
    pub(crate) fn of(negotiated: &Negotiated) -> Option<PassProfile> {
        Some(PassProfile {
            codec: negotiated.codec,
            payload_type: negotiated.payload_type,
            telephone_event: negotiated.telephone_event?,
            ptime: negotiated.ptime,
        })
    }

    /// Whether packets of this side can be passed to `other` as they are.
    pub(crate) fn matches(&self, other: &PassProfile) -> bool {
        same_codec(self.codec, other.codec) && self.ptime == other.ptime
    }

    /// Whether two profiles are the same in every respect, payload types included.
    fn same(&self, other: &PassProfile) -> bool {
        self.matches(other) && (self.payload_type, self.telephone_event) == (other.payload_type, other.telephone_event)
    }
}

/// One packet in a lane: its header as received, and its payload.
#[derive(Debug)]
struct Passed {
    header: RtpHeader,
    payload: Vec<u8>,
}

/// The packets one member of a passing bridge took in this tick, for the other to send.
#[derive(Debug, Default)]
pub(crate) struct PassLane {
    /// Slots, of which the first `len` are this tick's; kept with their buffers.
    slots: Vec<Passed>,
    len: usize,
}

impl PassLane {
    /// Adds a packet; past [`LANE_CAPACITY`] it is dropped, as a full socket would.
    pub(crate) fn push(&mut self, header: RtpHeader, payload: &[u8]) {
        if self.len == self.slots.len() {
            if self.len >= LANE_CAPACITY {
                return;
            }
            self.slots.push(Passed { header, payload: Vec::with_capacity(FRAME_SAMPLES) });
        }
        let slot = &mut self.slots[self.len];
        slot.header = header;
        slot.payload.clear();
        slot.payload.extend_from_slice(payload);
        self.len += 1;
    }

    /// This tick's packets, in arrival order.
    pub(crate) fn packets(&self) -> impl Iterator<Item = (&RtpHeader, &[u8])> {
        self.slots[..self.len].iter().map(|passed| (&passed.header, passed.payload.as_slice()))
    }

    /// Empties the lane for the next tick, keeping its buffers.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }
}

/// Where the source being passed stands against our stream.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    ssrc: u32,
    /// The newest sequence number seen from it.
    newest: u16,
    /// Added to its sequence numbers and timestamps to make ours.
    sequence_offset: u16,
    timestamp_offset: u32,
}

/// Re-heads a partner's packets into one channel's outgoing stream; see the module
/// documentation. Made when the channel starts passing, dropped when it stops.
#[derive(Debug)]
pub(crate) struct Rewriter {
    /// The partner's side, whose packets come in.
    from: PassProfile,
    /// Our side, which the peer decodes.
    to: PassProfile,
    anchor: Option<Anchor>,
    /// The timestamp of the last packet rewritten.
    last_timestamp: Option<u32>,
    /// Whether the next audio packet starts a talkspurt (a new source did).
    marker: bool,
}

impl Rewriter {
    /// A rewriter from the partner's profile `from` into ours, `to`.
    pub(crate) fn new(from: PassProfile, to: PassProfile) -> Rewriter {
        Rewriter { from, to, anchor: None, last_timestamp: None, marker: true }
    }

    /// Whether it rewrites between these two profiles.
    pub(crate) fn is_between(&self, from: &PassProfile, to: &PassProfile) -> bool {
        self.from.same(from) && self.to.same(to)
    }

    /// The header to send `incoming` with, in a stream whose next sequence number is
    /// `next_sequence` and whose timestamp this tick is `tick_timestamp`; `None` for a
    /// payload type that is neither the partner's audio nor its events. The SSRC is left
    /// for the stream to set.
    pub(crate) fn rewrite(
        &mut self,
        incoming: &RtpHeader,
        next_sequence: u16,
        tick_timestamp: u32,
    ) -> Option<RtpHeader> {
        let audio = incoming.payload_type == self.from.payload_type;
        let payload_type = match audio {
            true => self.to.payload_type,
            false if incoming.payload_type == self.from.telephone_event => self.to.telephone_event,
            false => return None,
        };
        let anchor = match self.anchor {
            Some(anchor) if anchor.ssrc == incoming.ssrc && belongs(anchor.newest, incoming.sequence) => anchor,
            _ => {
                // A new source, or one that restarted: it starts where our stream is now,
                // and never before what we sent last.
                let floor = self
                    .last_timestamp
                    .map_or(tick_timestamp, |last| later_timestamp(tick_timestamp, last.wrapping_add(TICK_UNITS)));
                self.marker = true;
                Anchor {
                    ssrc: incoming.ssrc,
                    newest: incoming.sequence,
                    sequence_offset: next_sequence.wrapping_sub(incoming.sequence),
                    timestamp_offset: floor.wrapping_sub(incoming.timestamp),
                }
            }
        };
        let timestamp = incoming.timestamp.wrapping_add(anchor.timestamp_offset);
        self.anchor = Some(Anchor { newest: later_sequence(anchor.newest, incoming.sequence), ..anchor });
        self.last_timestamp = Some(self.last_timestamp.map_or(timestamp, |last| later_timestamp(last, timestamp)));
        // Events keep their own marker, which says where an event begins.
        let marker = match audio {
            true => incoming.marker || std::mem::take(&mut self.marker),
            false => incoming.marker,
        };
        Some(RtpHeader {
            marker,
            payload_type,
            sequence: incoming.sequence.wrapping_add(anchor.sequence_offset),
            timestamp,
            ssrc: incoming.ssrc,
        })
    }
}

/// Whether sequence number `sequence` belongs to the source whose newest is `newest`.
fn belongs(newest: u16, sequence: u16) -> bool {
    // As i16: the signed distance, within half the number space.
    (-MAX_MISORDER..=MAX_DROPOUT).contains(&i32::from(sequence.wrapping_sub(newest) as i16))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::g711;

    fn profile(codec: &'static dyn Codec, payload_type: u8, telephone_event: u8) -> PassProfile {
        PassProfile { codec, payload_type, telephone_event, ptime: 20 }
    }

    fn header(payload_type: u8, sequence: u16, timestamp: u32, ssrc: u32) -> RtpHeader {
        RtpHeader { marker: false, payload_type, sequence, timestamp, ssrc }
    }

    /// (marker, payload type, sequence, timestamp) of a rewritten header.
    fn fields(header: Option<RtpHeader>) -> (bool, u8, u16, u32) {
        let header = header.expect("rewritten");
        (header.marker, header.payload_type, header.sequence, header.timestamp)
    }

    #[test]
    fn profiles_match_on_codec_and_packet_time_not_payload_types() {
        let pcmu = profile(&g711::PCMU, 0, 101);
        assert!(pcmu.matches(&profile(&g711::PCMU, 0, 96)));
        assert!(!pcmu.matches(&profile(&g711::PCMA, 8, 101)));
        assert!(!pcmu.matches(&PassProfile { ptime: 30, ..pcmu }));
        assert!(!pcmu.same(&profile(&g711::PCMU, 0, 96)));
    }

    #[test]
    fn packets_join_our_stream_with_payload_types_mapped() {
        let mut rewriter = Rewriter::new(profile(&g711::PCMU, 0, 101), profile(&g711::PCMU, 0, 96));
        // Our stream: next sequence number 500, timestamp 80_000 this tick.
        let first = rewriter.rewrite(&header(0, 65535, 7_000, 1), 500, 80_000);
        assert_eq!(fields(first), (true, 0, 500, 80_000), "anchored where our stream is, marked");
        let second = rewriter.rewrite(&header(0, 0, 7_160, 1), 501, 80_000);
        assert_eq!(fields(second), (false, 0, 501, 80_160), "across the source's wrap");
        let event = RtpHeader { marker: true, ..header(101, 1, 7_320, 1) };
        assert_eq!(fields(rewriter.rewrite(&event, 502, 80_160)), (true, 96, 502, 80_320), "events mapped to 96");
        let event_end = header(101, 2, 7_320, 1);
        assert_eq!(fields(rewriter.rewrite(&event_end, 503, 80_320)), (false, 96, 503, 80_320));
        assert_eq!(rewriter.rewrite(&header(13, 3, 7_480, 1), 504, 80_320), None, "comfort noise is not passed");
        // A lost packet stays a gap; a late one keeps its place.
        assert_eq!(fields(rewriter.rewrite(&header(0, 5, 7_800, 1), 504, 80_480)), (false, 0, 506, 80_800));
        assert_eq!(fields(rewriter.rewrite(&header(0, 4, 7_640, 1), 507, 80_800)), (false, 0, 505, 80_640));
    }

    #[test]
    fn a_new_source_or_a_restart_starts_after_what_was_sent() {
        let mut rewriter = Rewriter::new(profile(&g711::PCMA, 8, 101), profile(&g711::PCMA, 8, 101));
        assert_eq!(fields(rewriter.rewrite(&header(8, 100, 0, 1), 10, 5_000)), (true, 8, 10, 5_000));
        assert_eq!(fields(rewriter.rewrite(&header(8, 101, 160, 1), 11, 5_000)), (false, 8, 11, 5_160));
        // Another SSRC, in the same tick: it follows on rather than overlapping.
        let new_source = rewriter.rewrite(&header(8, 40_000, 99_999, 2), 12, 5_160);
        assert_eq!(fields(new_source), (true, 8, 12, 5_320));
        assert_eq!(fields(rewriter.rewrite(&header(8, 40_001, 100_159, 2), 13, 5_320)), (false, 8, 13, 5_480));
        // The same SSRC jumping far: a restart, anchored afresh.
        let restart = rewriter.rewrite(&header(8, 10_000, 3, 2), 14, 5_640);
        assert_eq!(fields(restart), (true, 8, 14, 5_640));
        // An event first after a new source keeps its own marker; the audio after it is marked.
        let event = rewriter.rewrite(&header(101, 500, 70, 3), 15, 5_800);
        assert_eq!(fields(event), (false, 101, 15, 5_800));
        assert_eq!(fields(rewriter.rewrite(&header(8, 501, 230, 3), 16, 5_800)), (true, 8, 16, 5_960));
    }

    #[test]
    fn a_lane_keeps_its_buffers_and_a_tick_of_packets_at_most() {
        let mut lane = PassLane::default();
        for n in 0..LANE_CAPACITY + 5 {
            lane.push(header(0, n as u16, 0, 1), &[n as u8; 160]);
        }
        assert_eq!(lane.packets().count(), LANE_CAPACITY);
        lane.clear();
        assert_eq!(lane.packets().count(), 0);
        lane.push(header(0, 9, 0, 1), &[9, 9]);
        let packets: Vec<_> = lane.packets().map(|(header, payload)| (header.sequence, payload.to_vec())).collect();
        assert_eq!(packets, [(9, vec![9, 9])]);
        assert!(lane.slots[0].payload.capacity() >= 160, "the buffer was kept");
    }
}
