//! DTMF as RTP telephone-events (RFC 4733, which obsoletes RFC 2833), sans-IO: the payload
//! format, a sender that turns digits into the packets of each 20 ms tick, and a receiver
//! that turns packets back into digits, once each, whatever the network did to them.
//!
//! Neither side owns the RTP session: the caller supplies timestamps and sequence
//! numbers, stamps and sends what the sender yields, and feeds the receiver the payloads
//! of the negotiated telephone-event payload type.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{Digit, DtmfError};

/// How often a sender updates an event: the usual 20 ms packetisation.
const UPDATE_INTERVAL: Duration = Duration::from_millis(20);

/// The shortest tone we send: ITU-T Q.24 receivers must recognise 40 ms, not less.
pub const MIN_TONE_LENGTH: Duration = Duration::from_millis(40);

/// How many times the final packet of an event is sent, at the update interval, so a lost
/// one does not lose the end (RFC 4733 §2.5.1.4).
const END_PACKETS: u32 = 3;

/// How many digits a [`DtmfSender`] holds before refusing more; bounds what one request
/// can make us buffer.
pub const MAX_QUEUED_DIGITS: usize = 256;

/// A receiver ends an event whose end packets were all lost after this long without news
/// of it. Updates come every 20 to 50 ms, so this is several lost packets in a row.
pub const LOST_END_TIMEOUT: Duration = Duration::from_millis(400);

/// How many past events a receiver remembers, to recognise their late packets.
const REMEMBERED_EVENTS: usize = 4;

/// One telephone-event payload (RFC 4733 §2.3): an event code, the end bit, the volume and
/// the duration so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// The event code; 0 to 15 are the DTMF digits.
    pub event: u8,
    /// The E bit: this packet reports the event's final duration.
    pub end: bool,
    /// The power level in -dBm0, 0 to 63.
    pub volume: u8,
    /// The duration so far, in RTP timestamp units from the event's timestamp.
    pub duration: u16,
}

impl TelephoneEvent {
    /// The payload's length in bytes.
    pub const LEN: usize = 4;

    /// Reads a payload. Bytes beyond the first four are ignored, the reserved R bit too.
    pub fn parse(payload: &[u8]) -> Result<TelephoneEvent, DtmfError> {
        let &[event, flags, duration_high, duration_low, ..] = payload else {
            return Err(DtmfError::ShortPayload(payload.len()));
        };
        Ok(TelephoneEvent {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([duration_high, duration_low]),
        })
    }

    /// The payload's bytes; a volume above 63 is sent as 63.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let [duration_high, duration_low] = self.duration.to_be_bytes();
        [self.event, u8::from(self.end) << 7 | self.volume.min(63), duration_high, duration_low]
    }
}

/// How a [`DtmfSender`] shapes its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfSenderConfig {
    /// How long each tone lasts; rounded up to whole 20 ms ticks, at least [`MIN_TONE_LENGTH`].
    pub tone_length: Duration,
    /// The least silence between two tones; rounded up to whole ticks. The three end
    /// packets take 40 ms of it in any case.
    pub gap: Duration,
    /// The power level in -dBm0 written in the payload (0 to 63).
    pub volume: u8,
    /// The telephone-event clock rate negotiated in SDP, usually 8000.
    pub clock_rate: u32,
}

impl Default for DtmfSenderConfig {
    /// 100 ms tones 100 ms apart, as ARI's `sendDTMF` does by default, at -10 dBm0.
    fn default() -> Self {
        DtmfSenderConfig {
            tone_length: Duration::from_millis(100),
            gap: Duration::from_millis(100),
            volume: 10,
            clock_rate: 8000,
        }
    }
}

/// A packet for the caller to send: its RTP marker bit, its RTP timestamp and its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPacket {
    /// Set on the first packet of an event.
    pub marker: bool,
    /// The RTP timestamp: the tick the event began on, the same for all its packets.
    pub timestamp: u32,
    /// The payload.
    pub event: TelephoneEvent,
}

/// Sends digits as telephone-events: queue digits with [`DtmfSender::send`], call
/// [`DtmfSender::tick`] every 20 ms and send what it returns.
#[derive(Debug, Clone)]
pub struct DtmfSender {
    /// Timestamp units per tick.
    step: u32,
    /// Ticks per tone.
    tone_frames: u32,
    /// Silent ticks required between tones.
    gap_frames: u32,
    /// The volume written in payloads.
    volume: u8,
    /// Digits not yet begun.
    queue: VecDeque<Digit>,
    /// What is on the wire now.
    state: SenderState,
}

/// Where a [`DtmfSender`] is between events.
#[derive(Debug, Clone, Copy)]
enum SenderState {
    /// No event on the wire; `quiet` ticks have passed since the last tone ended.
    Idle { quiet: u32 },
    /// Sending `digit`, whose event began at `timestamp`; `sent` packets so far.
    Sending { digit: Digit, timestamp: u32, sent: u32 },
}

impl DtmfSender {
    /// A sender with this configuration, if it is valid.
    pub fn new(config: DtmfSenderConfig) -> Result<DtmfSender, DtmfError> {
        let step = config.clock_rate / 50;
        // A whole, non-zero number of timestamp units per 20 ms tick.
        if step == 0 || step * 50 != config.clock_rate {
            return Err(DtmfError::BadClockRate(config.clock_rate));
        }
        if config.volume > 63 {
            return Err(DtmfError::BadVolume(config.volume));
        }
        if config.tone_length < MIN_TONE_LENGTH {
            return Err(DtmfError::ToneTooShort(config.tone_length));
        }
        let tone_frames = ticks_in(config.tone_length);
        // Longer tones would need RFC 4733's multi-segment events, which no caller wants.
        if tone_frames.saturating_mul(step) > u32::from(u16::MAX) {
            return Err(DtmfError::ToneTooLong(config.tone_length));
        }
        Ok(DtmfSender {
            step,
            tone_frames,
            gap_frames: ticks_in(config.gap),
            volume: config.volume,
            queue: VecDeque::new(),
            state: SenderState::Idle { quiet: u32::MAX },
        })
    }

    /// Queues a digit to be sent after those already queued.
    pub fn send(&mut self, digit: Digit) -> Result<(), DtmfError> {
        if self.queue.len() >= MAX_QUEUED_DIGITS {
            return Err(DtmfError::QueueFull(MAX_QUEUED_DIGITS));
        }
        self.queue.push_back(digit);
        Ok(())
    }

    /// Queues every digit of `digits`, or none if one is invalid or they do not all fit.
    pub fn send_digits(&mut self, digits: &str) -> Result<(), DtmfError> {
        let digits = digits.chars().map(Digit::from_char).collect::<Result<Vec<_>, _>>()?;
        if self.queue.len() + digits.len() > MAX_QUEUED_DIGITS {
            return Err(DtmfError::QueueFull(MAX_QUEUED_DIGITS));
        }
        self.queue.extend(digits);
        Ok(())
    }

    /// Whether an event is on the wire. The caller should hold back audio meanwhile, so
    /// the far end does not hear the digit both in band and as an event.
    pub fn is_sending(&self) -> bool {
        matches!(self.state, SenderState::Sending { .. })
    }

    /// Whether nothing is being sent nor waiting to be.
    pub fn is_idle(&self) -> bool {
        !self.is_sending() && self.queue.is_empty()
    }

    /// Advances one 20 ms tick. `rtp_timestamp` is the timestamp this tick's packet of
    /// the stream would carry; an event keeps the one of the tick it began on.
    pub fn tick(&mut self, rtp_timestamp: u32) -> Option<DtmfPacket> {
        if let SenderState::Idle { quiet } = &mut self.state {
            if *quiet < self.gap_frames {
                *quiet += 1;
                return None;
            }
            let digit = self.queue.pop_front()?;
            self.state = SenderState::Sending { digit, timestamp: rtp_timestamp, sent: 0 };
        }
        let SenderState::Sending { digit, timestamp, sent } = &mut self.state else {
            return None;
        };
        *sent += 1;
        let elapsed = (*sent).min(self.tone_frames);
        let packet = DtmfPacket {
            marker: *sent == 1,
            timestamp: *timestamp,
            event: TelephoneEvent {
                event: digit.event(),
                end: *sent >= self.tone_frames,
                volume: self.volume,
                // Checked in `new` to fit in 16 bits.
                duration: u16::try_from(elapsed * self.step).unwrap_or(u16::MAX),
            },
        };
        if *sent == self.tone_frames + END_PACKETS - 1 {
            // The tone ended with the first end packet; the repeats were silent ticks.
            self.state = SenderState::Idle { quiet: END_PACKETS - 1 };
        }
        Some(packet)
    }
}

/// How many 20 ms ticks cover `length`, rounding up.
fn ticks_in(length: Duration) -> u32 {
    let ticks = length.as_micros().div_ceil(UPDATE_INTERVAL.as_micros());
    u32::try_from(ticks).unwrap_or(u32::MAX)
}

/// What a [`DtmfReceiver`] reports: each digit begins once and ends once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfEvent {
    /// A digit was pressed (the first packet of its event arrived).
    Begin(Digit),
    /// The digit was released: its end packet arrived, a later event began, or
    /// nothing was heard of it for [`LOST_END_TIMEOUT`].
    End {
        /// The digit.
        digit: Digit,
        /// How long it lasted as far as we know, in RTP timestamp units.
        duration: u32,
    },
}

/// Turns incoming telephone-event payloads into [`DtmfEvent`]s.
///
/// Events are told apart by their RTP timestamp (RFC 4733 §2.5.2), so retransmitted end
/// packets, duplicates and late stragglers of a finished event are recognised and
/// dropped; a lost start packet only means the digit begins with the next one. Feed
/// packets with [`DtmfReceiver::receive`], then drain [`DtmfReceiver::poll_event`]; call
/// [`DtmfReceiver::handle_timeout`] at [`DtmfReceiver::poll_timeout`].
#[derive(Debug, Clone, Default)]
pub struct DtmfReceiver {
    /// The latest event, ended or not.
    current: Option<Incoming>,
    /// The timestamps of the last few events (and segments), the current one included.
    recent: [Option<u32>; REMEMBERED_EVENTS],
    /// Where the next timestamp goes in `recent`.
    next_recent: usize,
    /// The highest sequence number seen.
    highest_sequence: Option<u16>,
    /// Events not yet polled.
    events: VecDeque<DtmfEvent>,
}

/// The event a [`DtmfReceiver`] is following.
#[derive(Debug, Clone, Copy)]
struct Incoming {
    digit: Digit,
    /// The timestamp of its current segment (a new one every 0xFFFF units, §2.5.1.3).
    timestamp: u32,
    /// The duration of its earlier segments.
    earlier_segments: u32,
    /// The largest duration reported in its current segment.
    segment_duration: u16,
    /// When we last heard of it.
    heard: Instant,
    /// Whether its end has been reported.
    ended: bool,
}

impl Incoming {
    /// The duration so far, all segments included.
    fn duration(&self) -> u32 {
        // Saturating: a peer could chain segments for ever.
        self.earlier_segments.saturating_add(u32::from(self.segment_duration))
    }

    /// Takes in a packet of the current segment; packets may arrive out of order.
    fn update(&mut self, packet: &TelephoneEvent, now: Instant) {
        self.segment_duration = self.segment_duration.max(packet.duration);
        self.heard = now;
    }

    /// Whether a packet of `digit` at `timestamp` starts the next segment of this event:
    /// the current segment ran out of duration field, or the timestamp says so.
    fn continues_with(&self, digit: Digit, timestamp: u32) -> bool {
        !self.ended
            && self.digit == digit
            && (self.segment_duration == u16::MAX || timestamp == self.timestamp.wrapping_add(u32::from(u16::MAX)))
    }
}

impl DtmfReceiver {
    /// A receiver that has heard nothing yet.
    pub fn new() -> DtmfReceiver {
        DtmfReceiver::default()
    }

    /// Takes in one telephone-event packet: its arrival time, RTP timestamp, sequence
    /// number and payload. Events other than the sixteen digits are refused, and leave
    /// the state as it was.
    pub fn receive(&mut self, now: Instant, timestamp: u32, sequence: u16, payload: &[u8]) -> Result<(), DtmfError> {
        let packet = TelephoneEvent::parse(payload)?;
        let digit = Digit::from_event(packet.event)?;
        let newer_sequence = self.advance_sequence(sequence);

        if let Some(current) = self.current.as_mut().filter(|current| current.timestamp == timestamp) {
            if !current.ended {
                current.update(&packet, now);
                if packet.end {
                    self.end_current();
                }
            }
            return Ok(());
        }
        if self.recent.contains(&Some(timestamp)) {
            // A late or repeated packet of an event already superseded.
            return Ok(());
        }
        if let Some(current) = &mut self.current {
            // An older timestamp is a reordered packet of a forgotten event, unless the
            // sequence moved on, which means the sender restarted its timestamps.
            if is_before(timestamp, current.timestamp) && !newer_sequence {
                return Ok(());
            }
            if current.continues_with(digit, timestamp) {
                current.earlier_segments = current.duration();
                current.timestamp = timestamp;
                current.segment_duration = 0;
                current.update(&packet, now);
                self.remember(timestamp);
                if packet.end {
                    self.end_current();
                }
                return Ok(());
            }
        }

        self.end_current();
        self.remember(timestamp);
        self.events.push_back(DtmfEvent::Begin(digit));
        self.current = Some(Incoming {
            digit,
            timestamp,
            earlier_segments: 0,
            segment_duration: packet.duration,
            heard: now,
            ended: false,
        });
        if packet.end {
            self.end_current();
        }
        Ok(())
    }

    /// The next event to report, oldest first.
    pub fn poll_event(&mut self) -> Option<DtmfEvent> {
        self.events.pop_front()
    }

    /// When [`DtmfReceiver::handle_timeout`] should be called, if a digit is still down.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.current.filter(|current| !current.ended).map(|current| current.heard + LOST_END_TIMEOUT)
    }

    /// Ends a digit whose end packets were all lost, once [`LOST_END_TIMEOUT`] has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|deadline| now >= deadline) {
            self.end_current();
        }
    }

    /// Forgets the stream, as when its SSRC changes; a digit still down ends now.
    pub fn reset(&mut self) {
        self.end_current();
        let events = std::mem::take(&mut self.events);
        *self = DtmfReceiver { events, ..DtmfReceiver::default() };
    }

    /// Reports the end of the current event, if not done yet.
    fn end_current(&mut self) {
        if let Some(current) = self.current.as_mut().filter(|current| !current.ended) {
            current.ended = true;
            self.events.push_back(DtmfEvent::End { digit: current.digit, duration: current.duration() });
        }
    }

    /// Records an event's timestamp among the recent ones, forgetting the oldest.
    fn remember(&mut self, timestamp: u32) {
        self.recent[self.next_recent] = Some(timestamp);
        self.next_recent = (self.next_recent + 1) % REMEMBERED_EVENTS;
    }

    /// Notes a sequence number; whether it is beyond all seen so far (RFC 3550 §A.1's
    /// modular comparison).
    fn advance_sequence(&mut self, sequence: u16) -> bool {
        let newer = self.highest_sequence.is_none_or(|highest| (sequence.wrapping_sub(highest) as i16) > 0);
        if newer {
            self.highest_sequence = Some(sequence);
        }
        newer
    }
}

/// Whether RTP timestamp `a` comes before `b`, modulo 2^32.
fn is_before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digit(c: char) -> Digit {
        Digit::from_char(c).unwrap()
    }

    /// Runs a sender from `timestamp` until it is idle, returning each tick's packet.
    fn run(sender: &mut DtmfSender, mut timestamp: u32) -> Vec<Option<DtmfPacket>> {
        let mut ticks = Vec::new();
        while !sender.is_idle() {
            ticks.push(sender.tick(timestamp));
            timestamp = timestamp.wrapping_add(160);
        }
        ticks
    }

    /// The packets a default sender produces for `digits`, from timestamp `start`.
    fn packets(digits: &str, start: u32) -> Vec<DtmfPacket> {
        let mut sender = DtmfSender::new(DtmfSenderConfig::default()).unwrap();
        sender.send_digits(digits).unwrap();
        run(&mut sender, start).into_iter().flatten().collect()
    }

    /// A receiver fed packets 20 ms apart with consecutive sequence numbers (wrapping soon).
    struct Harness {
        receiver: DtmfReceiver,
        now: Instant,
        sequence: u16,
    }

    impl Harness {
        fn new() -> Harness {
            Harness { receiver: DtmfReceiver::new(), now: Instant::now(), sequence: 65530 }
        }

        fn feed(&mut self, packet: &DtmfPacket) {
            self.sequence = self.sequence.wrapping_add(1);
            self.now += UPDATE_INTERVAL;
            self.receiver.receive(self.now, packet.timestamp, self.sequence, &packet.event.to_bytes()).unwrap();
        }

        fn events(&mut self) -> Vec<DtmfEvent> {
            std::iter::from_fn(|| self.receiver.poll_event()).collect()
        }
    }

    fn begin_end(c: char, duration: u32) -> [DtmfEvent; 2] {
        [DtmfEvent::Begin(digit(c)), DtmfEvent::End { digit: digit(c), duration }]
    }

    #[test]
    fn payload_layout_follows_section_2_3() {
        let event = TelephoneEvent { event: 5, end: true, volume: 10, duration: 800 };
        assert_eq!(event.to_bytes(), [0x05, 0x8A, 0x03, 0x20]);
        assert_eq!(TelephoneEvent::parse(&[0x05, 0x8A, 0x03, 0x20]), Ok(event));
        // The reserved bit is ignored, trailing bytes too.
        assert_eq!(TelephoneEvent::parse(&[0x05, 0xCA, 0x03, 0x20, 0xFF]), Ok(event));
        let start = TelephoneEvent { event: 11, end: false, volume: 63, duration: 0xFFFF };
        assert_eq!(TelephoneEvent::parse(&start.to_bytes()), Ok(start));
        assert_eq!(TelephoneEvent::parse(&[1, 2, 3]), Err(DtmfError::ShortPayload(3)));
        assert_eq!(TelephoneEvent::parse(&[]), Err(DtmfError::ShortPayload(0)));
    }

    #[test]
    fn a_default_digit_is_five_updates_and_three_end_packets() {
        let sent = packets("7", 1000);
        let summary: Vec<_> = sent.iter().map(|p| (p.marker, p.event.end, p.event.duration)).collect();
        assert_eq!(
            summary,
            [
                (true, false, 160),
                (false, false, 320),
                (false, false, 480),
                (false, false, 640),
                (false, true, 800),
                (false, true, 800),
                (false, true, 800),
            ]
        );
        for packet in &sent {
            assert_eq!(packet.timestamp, 1000);
            assert_eq!(packet.event.event, 7);
            assert_eq!(packet.event.volume, 10);
        }
    }

    #[test]
    fn tone_length_is_configurable_rounded_up_and_bounded() {
        let config = |ms| DtmfSenderConfig { tone_length: Duration::from_millis(ms), ..DtmfSenderConfig::default() };
        let mut sender = DtmfSender::new(config(50)).unwrap();
        sender.send(digit('1')).unwrap();
        let durations: Vec<_> = run(&mut sender, 0).into_iter().flatten().map(|p| p.event.duration).collect();
        assert_eq!(durations, [160, 320, 480, 480, 480]);

        let mut sender = DtmfSender::new(config(40)).unwrap();
        sender.send(digit('1')).unwrap();
        assert_eq!(run(&mut sender, 0).len(), 4);

        assert_eq!(DtmfSender::new(config(39)).unwrap_err(), DtmfError::ToneTooShort(Duration::from_millis(39)));
        assert!(DtmfSender::new(config(8180)).is_ok());
        assert_eq!(DtmfSender::new(config(8200)).unwrap_err(), DtmfError::ToneTooLong(Duration::from_millis(8200)));
        let bad_volume = DtmfSenderConfig { volume: 64, ..DtmfSenderConfig::default() };
        assert_eq!(DtmfSender::new(bad_volume).unwrap_err(), DtmfError::BadVolume(64));
        let bad_clock = DtmfSenderConfig { clock_rate: 8001, ..DtmfSenderConfig::default() };
        assert_eq!(DtmfSender::new(bad_clock).unwrap_err(), DtmfError::BadClockRate(8001));
    }

    #[test]
    fn wideband_clocks_step_by_their_own_20_ms() {
        let config = DtmfSenderConfig { clock_rate: 48000, ..DtmfSenderConfig::default() };
        let mut sender = DtmfSender::new(config).unwrap();
        sender.send(digit('9')).unwrap();
        let first = sender.tick(0).unwrap();
        assert_eq!(first.event.duration, 960);
        assert_eq!(sender.tick(960).unwrap().event.duration, 1920);
    }

    #[test]
    fn queued_digits_get_new_timestamps_and_keep_the_gap() {
        let mut sender = DtmfSender::new(DtmfSenderConfig::default()).unwrap();
        assert!(sender.is_idle());
        assert_eq!(sender.tick(0), None);
        sender.send_digits("12").unwrap();
        let ticks = run(&mut sender, 0);
        // 5 tone ticks, 2 more end packets, 3 more silent ticks (100 ms gap), 7 packets.
        assert_eq!(ticks.len(), 5 + 2 + 3 + 7);
        assert!(ticks[7..10].iter().all(Option::is_none));
        let second = ticks[10].unwrap();
        assert!(second.marker);
        assert_eq!(second.event.event, 2);
        assert_eq!(second.timestamp, 10 * 160);
        assert!(ticks[10..].iter().flatten().all(|p| p.timestamp == 1600));

        // Without a gap the next event follows the last end packet directly.
        let config = DtmfSenderConfig { gap: Duration::ZERO, ..DtmfSenderConfig::default() };
        let mut sender = DtmfSender::new(config).unwrap();
        sender.send_digits("34").unwrap();
        let ticks = run(&mut sender, 0);
        assert!(ticks.iter().all(Option::is_some));
        assert_eq!(ticks.len(), 14);
        assert_eq!(ticks[7].unwrap().timestamp, 7 * 160);
    }

    #[test]
    fn sending_refuses_bad_digits_and_overflow_whole() {
        let mut sender = DtmfSender::new(DtmfSenderConfig::default()).unwrap();
        assert_eq!(sender.send_digits("12x3"), Err(DtmfError::NotADigit('x')));
        assert!(sender.is_idle());
        sender.send_digits(&"1".repeat(MAX_QUEUED_DIGITS - 1)).unwrap();
        assert_eq!(sender.send_digits("12"), Err(DtmfError::QueueFull(MAX_QUEUED_DIGITS)));
        sender.send(digit('#')).unwrap();
        assert_eq!(sender.send(digit('#')), Err(DtmfError::QueueFull(MAX_QUEUED_DIGITS)));
        assert!(sender.tick(0).is_some());
        assert!(sender.is_sending());
    }

    #[test]
    fn a_clean_stream_gives_each_digit_once() {
        let mut harness = Harness::new();
        for packet in packets("5#", 0) {
            harness.feed(&packet);
        }
        let events = harness.events();
        assert_eq!(events[..2], begin_end('5', 800));
        assert_eq!(events[2..], begin_end('#', 800));
        assert_eq!(harness.receiver.poll_timeout(), None);
    }

    #[test]
    fn duplicates_and_reordering_do_not_repeat_a_digit() {
        let sent = packets("8", 4000);
        let mut harness = Harness::new();
        // Repeated packets, and an end packet overtaking an update.
        let order = [0, 1, 1, 2, 4, 3, 5, 5, 6, 2];
        for &i in &order {
            harness.feed(&sent[i]);
        }
        assert_eq!(harness.events(), begin_end('8', 800));
    }

    #[test]
    fn a_lost_start_packet_begins_the_digit_late() {
        let sent = packets("3", 0);
        let mut harness = Harness::new();
        for packet in &sent[2..] {
            harness.feed(packet);
        }
        assert_eq!(harness.events(), begin_end('3', 800));
    }

    #[test]
    fn an_event_heard_only_by_its_end_still_counts() {
        let sent = packets("A", 0);
        let mut harness = Harness::new();
        harness.feed(&sent[6]);
        assert_eq!(harness.events(), begin_end('A', 800));
    }

    #[test]
    fn the_same_digit_twice_is_two_events() {
        let mut harness = Harness::new();
        for packet in packets("00", 123) {
            harness.feed(&packet);
        }
        let events = harness.events();
        assert_eq!(events.len(), 4);
        assert_eq!(events[2..], begin_end('0', 800));
    }

    #[test]
    fn lost_end_packets_end_the_digit_at_the_next_event() {
        let first = packets("1", 0);
        let second = packets("2", 8000);
        let mut harness = Harness::new();
        for packet in first.iter().take(3).chain(&second) {
            harness.feed(packet);
        }
        let events = harness.events();
        assert_eq!(events[..2], begin_end('1', 480));
        assert_eq!(events[2..], begin_end('2', 800));
    }

    #[test]
    fn lost_end_packets_end_the_digit_after_a_timeout() {
        let sent = packets("9", 0);
        let mut harness = Harness::new();
        for packet in &sent[..4] {
            harness.feed(packet);
        }
        assert_eq!(harness.events(), [DtmfEvent::Begin(digit('9'))]);
        let deadline = harness.receiver.poll_timeout().unwrap();
        assert_eq!(deadline, harness.now + LOST_END_TIMEOUT);
        harness.receiver.handle_timeout(deadline - Duration::from_millis(1));
        assert!(harness.events().is_empty());
        harness.receiver.handle_timeout(deadline);
        assert_eq!(harness.events(), [DtmfEvent::End { digit: digit('9'), duration: 640 }]);
        assert_eq!(harness.receiver.poll_timeout(), None);
        // The end packets arriving after all change nothing.
        for packet in &sent[4..] {
            harness.feed(packet);
        }
        assert!(harness.events().is_empty());
    }

    #[test]
    fn stragglers_of_a_finished_event_are_dropped() {
        let first = packets("4", 0);
        let second = packets("6", 3200);
        let mut harness = Harness::new();
        for packet in &first {
            harness.feed(packet);
        }
        harness.feed(&second[0]);
        // A sender repeating its previous end packet after the new start, with new
        // sequence numbers, and a very late update of the first event.
        harness.feed(&first[6]);
        harness.feed(&first[1]);
        for packet in &second[1..] {
            harness.feed(packet);
        }
        let events = harness.events();
        assert_eq!(events[..2], begin_end('4', 800));
        assert_eq!(events[2..], begin_end('6', 800));
    }

    #[test]
    fn reordered_packets_of_a_forgotten_event_are_dropped() {
        let mut harness = Harness::new();
        for packet in packets("12345", 0) {
            harness.feed(&packet);
        }
        let events = harness.events();
        assert_eq!(events.len(), 10);
        // An update of "1" delayed past four newer events: older timestamp, older sequence.
        let late = TelephoneEvent { event: 1, end: false, volume: 10, duration: 320 };
        harness.receiver.receive(harness.now, 0, harness.sequence.wrapping_sub(60), &late.to_bytes()).unwrap();
        assert!(harness.events().is_empty());
    }

    #[test]
    fn timestamps_wrap_and_may_restart() {
        let mut harness = Harness::new();
        for packet in packets("7", u32::MAX - 100).iter().chain(&packets("8", 1500)) {
            harness.feed(packet);
        }
        assert_eq!(harness.events().len(), 4);
        // The sender restarts its timestamps lower, its sequence numbers carry on.
        for packet in packets("9", 200) {
            harness.feed(&packet);
        }
        assert_eq!(harness.events(), begin_end('9', 800));
    }

    #[test]
    fn long_events_continue_over_segments() {
        let mut harness = Harness::new();
        let full = TelephoneEvent { event: 12, end: false, volume: 10, duration: u16::MAX };
        harness.feed(&DtmfPacket { marker: true, timestamp: 0, event: full });
        let tail = TelephoneEvent { event: 12, end: true, volume: 10, duration: 800 };
        harness.feed(&DtmfPacket { marker: false, timestamp: 0xFFFF, event: tail });
        assert_eq!(harness.events(), begin_end('A', 0xFFFF + 800));
    }

    #[test]
    fn non_digit_events_are_refused_without_disturbing_a_digit() {
        let sent = packets("2", 0);
        let mut harness = Harness::new();
        harness.feed(&sent[0]);
        let flash = TelephoneEvent { event: 16, end: false, volume: 10, duration: 160 };
        let err = harness.receiver.receive(harness.now, 9999, 1, &flash.to_bytes()).unwrap_err();
        assert_eq!(err, DtmfError::UnsupportedEvent(16));
        assert_eq!(harness.receiver.receive(harness.now, 0, 2, &[0x02]).unwrap_err(), DtmfError::ShortPayload(1));
        for packet in &sent[1..] {
            harness.feed(packet);
        }
        assert_eq!(harness.events(), begin_end('2', 800));
    }

    #[test]
    fn reset_ends_a_held_digit_and_forgets_the_stream() {
        let sent = packets("B", 500);
        let mut harness = Harness::new();
        harness.feed(&sent[0]);
        harness.receiver.reset();
        assert_eq!(harness.events(), begin_end('B', 160));
        // The same timestamp from a new stream is a new event.
        harness.feed(&sent[1]);
        assert_eq!(harness.events(), [DtmfEvent::Begin(digit('B'))]);
    }
}
