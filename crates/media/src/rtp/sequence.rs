//! What a receiver knows about the source it hears (RFC 3550 Appendix A): source validation
//! and sequence tracking (A.1), packets expected and lost (A.3), interarrival jitter (A.8),
//! and the report block an RTCP receiver report carries about it (§6.4.1).
//!
//! One [`ReceptionStats`] follows one stream; a new SSRC is a new source and starts over.
//! Arrival times come in as `Instant`s; nothing here reads a clock.

use std::time::Instant;

use super::rtcp::{NtpTime, ReportBlock};

/// A forward jump of this many sequence numbers or more is a restart or junk, not loss.
const MAX_DROPOUT: u16 = 3000;
/// Sequence numbers up to this far behind the highest are reordered or duplicate packets.
const MAX_MISORDER: u16 = 100;
/// In-order packets a new source must send before it is believed.
const MIN_SEQUENTIAL: u32 = 2;
const SEQ_MOD: u32 = 1 << 16;

/// What [`ReceptionStats::on_packet`] made of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketVerdict {
    /// A valid packet, counted; its extended sequence number (wraps in the high 16 bits).
    Counted(u32),
    /// A new source has not yet sent enough packets in order to be believed.
    Probation,
    /// A jump beyond the dropout limit: believed as a restart only if the next packet follows it.
    Jump,
}

/// Reception statistics for the RTP stream from one source.
#[derive(Debug, Clone)]
pub struct ReceptionStats {
    clock_rate: u32,
    /// The origin of the arrival clock, in timestamp units; set by the first packet.
    epoch: Option<Instant>,
    source: Option<Source>,
    last_sender_report: Option<LastSenderReport>,
}

/// The A.1 `source` structure, with the A.8 jitter state.
#[derive(Debug, Clone)]
struct Source {
    ssrc: u32,
    max_seq: u16,
    /// Wraps of the sequence number, shifted left 16 bits.
    cycles: u32,
    base_seq: u32,
    /// The sequence number after the last jump: if it comes next, the source restarted.
    bad_seq: u32,
    probation: u32,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    /// Relative transit time of the previous packet, in timestamp units.
    transit: Option<u32>,
    /// The interarrival jitter, times 16 so integer arithmetic keeps its precision (A.8).
    jitter_x16: u64,
}

/// The last sender report heard, echoed in report blocks so the sender can measure round trips.
#[derive(Debug, Clone, Copy)]
struct LastSenderReport {
    ssrc: u32,
    compact_ntp: u32,
    arrival: Instant,
}

impl ReceptionStats {
    /// Statistics for a stream whose timestamps count `clock_rate` units per second.
    pub fn new(clock_rate: u32) -> Self {
        Self { clock_rate, epoch: None, source: None, last_sender_report: None }
    }

    /// Accounts for an RTP packet that arrived at `arrival`.
    pub fn on_packet(&mut self, ssrc: u32, sequence: u16, timestamp: u32, arrival: Instant) -> PacketVerdict {
        let arrival_units = self.arrival_units(arrival);
        if self.ssrc() != Some(ssrc) {
            self.source = Some(Source::new(ssrc, sequence));
        }
        let Some(source) = self.source.as_mut() else { return PacketVerdict::Probation };
        let verdict = source.update(sequence);
        if matches!(verdict, PacketVerdict::Counted(_)) {
            source.update_jitter(arrival_units.wrapping_sub(timestamp));
        }
        verdict
    }

    /// Notes a sender report from `ssrc`, sent at `ntp_time`, that arrived at `arrival`.
    pub fn on_sender_report(&mut self, ssrc: u32, ntp_time: NtpTime, arrival: Instant) {
        self.last_sender_report = Some(LastSenderReport { ssrc, compact_ntp: ntp_time.compact(), arrival });
    }

    /// The source being followed, validated or not.
    pub fn ssrc(&self) -> Option<u32> {
        self.source.as_ref().map(|source| source.ssrc)
    }

    /// The highest extended sequence number received, once the source is validated.
    pub fn extended_highest_sequence(&self) -> Option<u32> {
        self.validated().map(Source::extended_max)
    }

    /// Packets expected since the source was validated (or restarted).
    pub fn expected(&self) -> u32 {
        self.validated().map_or(0, Source::expected)
    }

    /// Packets received since then, duplicates included (as A.3 counts them).
    pub fn received(&self) -> u32 {
        self.validated().map_or(0, |source| source.received)
    }

    /// Packets lost since then; negative when duplicates outnumber losses.
    pub fn cumulative_lost(&self) -> i32 {
        self.validated().map_or(0, Source::cumulative_lost)
    }

    /// The interarrival jitter, in timestamp units.
    pub fn jitter(&self) -> u32 {
        self.validated().map_or(0, Source::jitter)
    }

    /// The report block describing this source at `now`, for the next SR or RR; starts a new
    /// interval for the fraction lost. `None` until the source is validated.
    pub fn report_block(&mut self, now: Instant) -> Option<ReportBlock> {
        let echo = self.last_sender_report;
        let source = self.source.as_mut().filter(|source| source.probation == 0)?;
        let expected = source.expected();
        let expected_interval = expected.wrapping_sub(source.expected_prior);
        let received_interval = source.received.wrapping_sub(source.received_prior);
        source.expected_prior = expected;
        source.received_prior = source.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            // 256 (everything lost) does not fit the 8-bit field.
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        let (last_sender_report, delay_since_last_sender_report) = match echo {
            Some(report) if report.ssrc == source.ssrc => {
                let delay = now.saturating_duration_since(report.arrival);
                let units = delay.as_nanos() * 65_536 / 1_000_000_000;
                (report.compact_ntp, u32::try_from(units).unwrap_or(u32::MAX))
            }
            _ => (0, 0),
        };
        Some(ReportBlock {
            ssrc: source.ssrc,
            fraction_lost,
            cumulative_lost: source.cumulative_lost(),
            extended_highest_sequence: source.extended_max(),
            jitter: source.jitter(),
            last_sender_report,
            delay_since_last_sender_report,
        })
    }

    fn validated(&self) -> Option<&Source> {
        self.source.as_ref().filter(|source| source.probation == 0)
    }

    /// `arrival` on a clock ticking in timestamp units; only differences matter, so it wraps.
    fn arrival_units(&mut self, arrival: Instant) -> u32 {
        let epoch = *self.epoch.get_or_insert(arrival);
        let elapsed = arrival.saturating_duration_since(epoch);
        (elapsed.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000) as u32
    }
}

impl Source {
    /// A source heard for the first time: on probation (A.1 `init_seq` and what precedes it).
    fn new(ssrc: u32, seq: u16) -> Self {
        let mut source = Self {
            ssrc,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: 0,
            probation: MIN_SEQUENTIAL,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter_x16: 0,
        };
        source.restart(seq);
        // As if the packet before this one had been seen, so this one counts towards probation.
        source.max_seq = seq.wrapping_sub(1);
        source
    }

    /// A.1 `init_seq`: counting starts again at `seq`.
    fn restart(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
        // Timestamps restart with the sequence, so the old transit would fake a jitter spike.
        self.transit = None;
    }

    /// A.1 `update_seq`.
    fn update(&mut self, seq: u16) -> PacketVerdict {
        let delta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.restart(seq);
                    self.received += 1;
                    return PacketVerdict::Counted(self.extended_max());
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return PacketVerdict::Probation;
        }
        let extended = if delta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(SEQ_MOD);
            }
            self.max_seq = seq;
            self.extended_max()
        } else if u32::from(delta) <= SEQ_MOD - u32::from(MAX_MISORDER) {
            if u32::from(seq) != self.bad_seq {
                self.bad_seq = (u32::from(seq) + 1) & (SEQ_MOD - 1);
                return PacketVerdict::Jump;
            }
            // Two packets in a row after the jump: the source restarted.
            self.restart(seq);
            self.extended_max()
        } else {
            // Reordered or duplicate; numerically above the highest means from before its wrap.
            let cycles = if seq > self.max_seq { self.cycles.wrapping_sub(SEQ_MOD) } else { self.cycles };
            cycles.wrapping_add(u32::from(seq))
        };
        self.received += 1;
        PacketVerdict::Counted(extended)
    }

    /// A.8: J += (|D| − J) / 16, D being the change in relative transit time.
    fn update_jitter(&mut self, transit: u32) {
        if let Some(previous) = self.transit {
            let change = u64::from((transit.wrapping_sub(previous) as i32).unsigned_abs());
            self.jitter_x16 = self.jitter_x16 + change - ((self.jitter_x16 + 8) >> 4);
        }
        self.transit = Some(transit);
    }

    fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    fn expected(&self) -> u32 {
        self.extended_max().wrapping_sub(self.base_seq).wrapping_add(1)
    }

    fn cumulative_lost(&self) -> i32 {
        let lost = i64::from(self.expected()) - i64::from(self.received);
        lost.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
    }

    fn jitter(&self) -> u32 {
        u32::try_from(self.jitter_x16 >> 4).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const SSRC: u32 = 0x1234;

    /// A stream of 20 ms packets of 8 kHz audio, arriving exactly on time unless told otherwise.
    struct Stream {
        stats: ReceptionStats,
        start: Instant,
    }

    impl Stream {
        fn new() -> Self {
            Self { stats: ReceptionStats::new(8000), start: Instant::now() }
        }

        /// Packet `seq`, the `index`th of the stream, `late_ms` after its due time.
        fn packet(&mut self, seq: u16, index: u32, late_ms: u64) -> PacketVerdict {
            let arrival = self.start + Duration::from_millis(u64::from(index) * 20 + late_ms);
            self.stats.on_packet(SSRC, seq, index * 160, arrival)
        }

        fn in_order(&mut self, first: u16, count: u32) -> Vec<PacketVerdict> {
            (0..count).map(|i| self.packet(first.wrapping_add(i as u16), i, 0)).collect()
        }
    }

    #[test]
    fn a_new_source_is_on_probation_until_the_second_packet() {
        let mut stream = Stream::new();
        assert_eq!(stream.packet(10, 0, 0), PacketVerdict::Probation);
        assert_eq!(stream.stats.extended_highest_sequence(), None);
        assert_eq!(stream.stats.report_block(stream.start), None);
        assert_eq!(stream.packet(11, 1, 0), PacketVerdict::Counted(11));
        assert_eq!((stream.stats.expected(), stream.stats.received(), stream.stats.cumulative_lost()), (1, 1, 0));
        assert_eq!(stream.stats.ssrc(), Some(SSRC));
    }

    #[test]
    fn probation_restarts_when_packets_are_not_in_order() {
        let mut stream = Stream::new();
        assert_eq!(stream.packet(10, 0, 0), PacketVerdict::Probation);
        assert_eq!(stream.packet(20, 1, 0), PacketVerdict::Probation);
        assert_eq!(stream.packet(21, 2, 0), PacketVerdict::Counted(21));
    }

    #[test]
    fn the_extended_sequence_wraps_past_65535() {
        let mut stream = Stream::new();
        let verdicts = stream.in_order(65530, 20);
        assert_eq!(verdicts[5], PacketVerdict::Counted(65535));
        assert_eq!(verdicts[6], PacketVerdict::Counted(65536));
        assert_eq!(stream.stats.extended_highest_sequence(), Some(65536 + 13));
        assert_eq!((stream.stats.expected(), stream.stats.received()), (19, 19));
    }

    #[test]
    fn reordered_packets_keep_their_cycle() {
        let mut stream = Stream::new();
        stream.in_order(65533, 2); // 65533 probation, 65534 counted
        assert_eq!(stream.packet(0, 3, 0), PacketVerdict::Counted(65536));
        assert_eq!(stream.packet(65535, 2, 30), PacketVerdict::Counted(65535));
        assert_eq!(stream.stats.extended_highest_sequence(), Some(65536));
        assert_eq!(stream.stats.cumulative_lost(), 0);
    }

    #[test]
    fn losses_and_their_fraction_per_report_interval() {
        let mut stream = Stream::new();
        stream.packet(0, 0, 0);
        // Packets 1..=100 with every fourth one lost: expected 100, received 75.
        for seq in (1..=100u16).filter(|seq| seq % 4 != 0) {
            stream.packet(seq, u32::from(seq), 0);
        }
        stream.packet(100, 100, 0);
        assert_eq!((stream.stats.expected(), stream.stats.received(), stream.stats.cumulative_lost()), (100, 76, 24));
        let block = stream.stats.report_block(stream.start).unwrap();
        assert_eq!(block.fraction_lost, (24 * 256 / 100) as u8);
        assert_eq!(block.cumulative_lost, 24);
        assert_eq!(block.extended_highest_sequence, 100);
        // The next interval had no loss, though the cumulative count stays.
        for seq in 101..=110u16 {
            stream.packet(seq, u32::from(seq), 0);
        }
        let block = stream.stats.report_block(stream.start).unwrap();
        assert_eq!((block.fraction_lost, block.cumulative_lost), (0, 24));
    }

    #[test]
    fn duplicates_make_the_loss_negative() {
        let mut stream = Stream::new();
        stream.in_order(0, 5);
        assert_eq!(stream.packet(3, 5, 0), PacketVerdict::Counted(3));
        assert_eq!(stream.stats.cumulative_lost(), -1);
        assert_eq!(stream.stats.report_block(stream.start).unwrap().fraction_lost, 0);
    }

    #[test]
    fn a_jump_is_believed_only_when_the_next_packet_follows_it() {
        let mut stream = Stream::new();
        stream.in_order(100, 10);
        assert_eq!(stream.packet(30_000, 10, 0), PacketVerdict::Jump);
        assert_eq!(stream.packet(110, 11, 0), PacketVerdict::Counted(110));
        assert_eq!(stream.packet(30_000, 12, 0), PacketVerdict::Jump);
        assert_eq!(stream.packet(30_001, 13, 0), PacketVerdict::Counted(30_001));
        // Counting restarted at the new sequence.
        assert_eq!((stream.stats.expected(), stream.stats.received()), (1, 1));
    }

    #[test]
    fn a_new_ssrc_is_a_new_source() {
        let mut stream = Stream::new();
        stream.in_order(100, 10);
        let arrival = stream.start + Duration::from_secs(1);
        assert_eq!(stream.stats.on_packet(99, 5, 0, arrival), PacketVerdict::Probation);
        assert_eq!(stream.stats.ssrc(), Some(99));
        assert_eq!(stream.stats.received(), 0);
        assert_eq!(stream.stats.on_packet(99, 6, 160, arrival), PacketVerdict::Counted(6));
    }

    #[test]
    fn jitter_follows_the_a8_estimator() {
        let mut stream = Stream::new();
        stream.in_order(0, 50);
        assert_eq!(stream.stats.jitter(), 0);
        // 8 ms late is 64 units of transit change, once going late and once coming back.
        stream.packet(50, 50, 8);
        assert_eq!(stream.stats.jitter(), 64 >> 4);
        stream.packet(51, 51, 0);
        assert_eq!(stream.stats.jitter(), (64 + 64 - ((64 + 8) >> 4)) >> 4);
        // A steady stream lets it decay back towards zero.
        for i in 52..400u32 {
            stream.packet(i as u16, i, 0);
        }
        assert_eq!(stream.stats.jitter(), 0);
    }

    #[test]
    fn report_blocks_echo_the_last_sender_report() {
        let mut stream = Stream::new();
        stream.in_order(0, 3);
        let ntp = NtpTime(0x0001_0002_0003_0004);
        stream.stats.on_sender_report(SSRC, ntp, stream.start);
        let block = stream.stats.report_block(stream.start + Duration::from_millis(500)).unwrap();
        assert_eq!(block.ssrc, SSRC);
        assert_eq!(block.last_sender_report, 0x0002_0003);
        assert_eq!(block.delay_since_last_sender_report, 32_768);
        // A report from some other source is not echoed.
        stream.stats.on_sender_report(7, ntp, stream.start);
        let block = stream.stats.report_block(stream.start).unwrap();
        assert_eq!((block.last_sender_report, block.delay_since_last_sender_report), (0, 0));
    }
}
