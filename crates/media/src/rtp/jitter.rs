//! The adaptive jitter buffer between the network and a steady 20 ms playout clock: packets
//! go in when they arrive ([`JitterBuffer::push`]), one frame comes out per tick
//! ([`JitterBuffer::pop`]), in sequence order, whatever order and rhythm they came in.
//!
//! How it plays out:
//! - Frames are keyed by extended sequence number, one packet per frame (20 ms packets of
//!   8 kHz audio). Reordered packets are put back in order; duplicates and packets arriving
//!   after their turn are dropped; a packet that never came plays as [`Frame::Missing`].
//! - Playout starts once the buffer holds its target delay. When it runs dry mid-stream, it
//!   waits for the target again without skipping the frame it was waiting for, so a late
//!   packet still plays and the delay grows by what it took; a lost one is skipped then.
//! - The target follows the spread of transit times (arrival minus media timestamp) over
//!   the last packets, between the configured minimum and maximum. When the buffer has held
//!   more than the target for a while it drops a frame; it never holds more than the maximum.
//! - A new SSRC, a sequence jump the buffer cannot span, or a timestamp that jumps against
//!   the arrival clock (the sender restarted) flushes it and starts over.
//!
//! Memory is bounded: a fixed ring of slots whose payload buffers are reused, so neither
//! `push` nor `pop` allocates once every slot has held a payload. Loss concealment happens
//! after decoding, with [`Concealment`].

use std::time::{Duration, Instant};

/// The largest payload stored: a full Ethernet MTU. Narrowband frames are far smaller.
pub const MAX_PAYLOAD_LEN: usize = 1500;

/// Packets this far behind the playout point are stale; further behind, the source restarted.
const MAX_MISORDER: i64 = 100;

/// A timestamp that moves against the arrival clock by more than this is a new timeline.
const RESYNC_TRANSIT_JUMP_US: i64 = 1_000_000;

/// Transit times remembered for the target delay: two seconds of 20 ms packets.
const TRANSIT_WINDOW: usize = 100;

/// Pops over which the buffer must stay above its target before a frame is dropped.
const SHRINK_PERIOD: u32 = 25;

/// Slots for early packets beyond the maximum delay.
const EARLY_SLOTS: usize = 16;

/// The longest delay (and frame) a configuration can ask for; bounds the ring's memory.
const MAX_DELAY_LIMIT: Duration = Duration::from_secs(5);

/// How a [`JitterBuffer`] paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// The least delay, and the one a new stream starts with.
    pub min_delay: Duration,
    /// The most delay (at most 5 s); older frames are dropped to stay under it.
    pub max_delay: Duration,
    /// The duration of one packet's frame, which is also the interval `pop` is called at.
    pub frame: Duration,
    /// Media timestamp units per second.
    pub clock_rate: u32,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            frame: Duration::from_millis(20),
            clock_rate: crate::SAMPLE_RATE,
        }
    }
}

/// What a tick of the playout clock gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// The payload of the packet due now.
    Audio(&'a [u8]),
    /// No packet for now: lost, late, or the buffer is filling. The caller conceals it.
    Missing,
}

/// What [`JitterBuffer::push`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Kept for playout.
    Stored,
    /// Kept, after flushing the buffer for a new source or timeline.
    Resynced,
    /// Dropped: its turn to play has passed.
    Late,
    /// Dropped: the same packet is already held.
    Duplicate,
    /// Dropped: larger than [`MAX_PAYLOAD_LEN`].
    TooLarge,
}

/// Counters of what the buffer has done since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets that arrived after their turn.
    pub late: u64,
    /// Packets received twice.
    pub duplicates: u64,
    /// Frames played as missing because their packet never came (or came too late).
    pub lost: u64,
    /// Times the buffer ran dry while playing.
    pub underruns: u64,
    /// Frames dropped to bring the delay down.
    pub dropped: u64,
    /// Flushes for a new SSRC or timeline.
    pub resyncs: u64,
}

/// An adaptive jitter buffer for one stream; see the module documentation.
#[derive(Debug)]
pub struct JitterBuffer {
    frame_us: i64,
    clock_rate: i64,
    min_frames: i64,
    max_frames: i64,
    target_frames: i64,
    slots: Box<[Slot]>,
    transits: TransitWindow,
    sync: Option<Sync>,
    stats: JitterStats,
}

/// One frame's place in the ring.
#[derive(Debug, Default)]
struct Slot {
    /// The extended sequence number held, when `filled`.
    seq: i64,
    filled: bool,
    payload: Vec<u8>,
}

/// Where the buffer stands in the current stream; replaced on resync.
#[derive(Debug)]
struct Sync {
    ssrc: u32,
    /// The origin of transit times.
    epoch: Instant,
    /// The highest packet stored, the reference for unwrapping sequence numbers and timestamps.
    highest: i64,
    highest_seq: u16,
    highest_ts: u32,
    highest_ext_ts: i64,
    /// The next extended sequence number to play.
    next: i64,
    playing: bool,
    /// Whether anything has played since the sync: before, earlier packets may still start it.
    started: bool,
    /// When the first packet arrived while filling, so a short stream still plays out.
    filling_since: Option<Instant>,
    /// The frame the buffer ran dry waiting for, already played as missing.
    waited_for: Option<i64>,
    last_transit_us: i64,
    /// The least depth seen in the current shrink period, and the pops in it.
    shrink_min_depth: i64,
    shrink_pops: u32,
}

/// Where an arriving packet belongs.
enum Placement {
    /// In the ring, at this extended sequence number and timestamp.
    Ring { ext_seq: i64, ext_ts: i64, transit_us: i64 },
    /// Nowhere: its turn has passed.
    Late { transit_us: i64 },
    /// In a new sync.
    Resync,
}

impl JitterBuffer {
    /// An empty buffer; a maximum below the minimum is raised to it.
    pub fn new(config: JitterConfig) -> Self {
        let micros = |delay: Duration| u64::try_from(delay.min(MAX_DELAY_LIMIT).as_micros()).unwrap_or(u64::MAX);
        let frame_us = micros(config.frame).max(1);
        let min_frames = micros(config.min_delay).div_ceil(frame_us).max(1);
        let max_frames = (micros(config.max_delay) / frame_us).max(min_frames);
        // All at most MAX_DELAY_LIMIT in microseconds, far inside every integer type here.
        let (frame_us, min_frames, max_frames) = (frame_us as i64, min_frames as i64, max_frames as i64);
        let slot_count = max_frames as usize * 2 + EARLY_SLOTS;
        Self {
            frame_us,
            clock_rate: i64::from(config.clock_rate.max(1)),
            min_frames,
            max_frames,
            target_frames: min_frames,
            slots: (0..slot_count).map(|_| Slot::default()).collect(),
            transits: TransitWindow::default(),
            sync: None,
            stats: JitterStats::default(),
        }
    }

    /// Takes in an RTP packet's payload that arrived at `arrival`.
    pub fn push(&mut self, ssrc: u32, seq: u16, timestamp: u32, payload: &[u8], arrival: Instant) -> PushOutcome {
        if payload.len() > MAX_PAYLOAD_LEN {
            return PushOutcome::TooLarge;
        }
        let (ext_seq, ext_ts, transit_us, outcome) = match self.place(ssrc, seq, timestamp, arrival) {
            Placement::Ring { ext_seq, ext_ts, transit_us } => (ext_seq, ext_ts, transit_us, PushOutcome::Stored),
            Placement::Late { transit_us } => {
                // A late packet says the delay was too short: it counts for the target.
                self.record_transit(transit_us);
                self.stats.late += 1;
                return PushOutcome::Late;
            }
            Placement::Resync => {
                let outcome = if self.sync.is_some() {
                    self.stats.resyncs += 1;
                    PushOutcome::Resynced
                } else {
                    PushOutcome::Stored
                };
                self.resync(ssrc, seq, timestamp, arrival);
                (i64::from(seq), 0, 0, outcome)
            }
        };
        let Some(sync) = self.sync.as_mut() else { return outcome };
        // Ahead of what the ring spans: the oldest frames give way (the delay cap drops them anyway).
        let overflow = ext_seq - (sync.next + ring_len(&self.slots) - 1);
        if overflow > 0 {
            release_range(&mut self.slots, sync.next, overflow);
            sync.next += overflow;
            self.stats.dropped += overflow.unsigned_abs();
        }
        let slot_count = self.slots.len();
        let slot = &mut self.slots[ring_index(ext_seq, slot_count)];
        if slot.filled && slot.seq == ext_seq {
            self.stats.duplicates += 1;
            return PushOutcome::Duplicate;
        }
        slot.seq = ext_seq;
        slot.filled = true;
        slot.payload.clear();
        slot.payload.extend_from_slice(payload);

        sync.last_transit_us = transit_us;
        if ext_seq > sync.highest {
            sync.highest = ext_seq;
            sync.highest_seq = seq;
            sync.highest_ts = timestamp;
            sync.highest_ext_ts = ext_ts;
        }
        if !sync.started && ext_seq < sync.next {
            sync.next = ext_seq;
        }
        if !sync.playing && sync.filling_since.is_none() {
            sync.filling_since = Some(arrival);
        }
        self.record_transit(transit_us);
        outcome
    }

    /// The frame to play at `now`; call once per frame interval.
    pub fn pop(&mut self, now: Instant) -> Frame<'_> {
        let target_frames = self.target_frames;
        let target_delay = self.frames_duration(target_frames);
        let Some(sync) = self.sync.as_mut() else { return Frame::Missing };
        let depth = sync.highest - sync.next + 1;
        if !sync.playing {
            let waited_enough =
                sync.filling_since.is_some_and(|since| now.saturating_duration_since(since) >= target_delay);
            if depth <= 0 || (depth < target_frames && !waited_enough) {
                return Frame::Missing;
            }
            sync.playing = true;
            sync.started = true;
            sync.filling_since = None;
            sync.shrink_min_depth = depth;
            sync.shrink_pops = 0;
        } else if depth <= 0 {
            // Dry: wait for the target again, still expecting the same frame.
            sync.playing = false;
            sync.waited_for = Some(sync.next);
            self.stats.underruns += 1;
            return Frame::Missing;
        }

        // Never more than the maximum delay; above the target for a whole period, one frame less.
        let mut skip = (depth - self.max_frames).max(0);
        self.stats.dropped += skip.unsigned_abs();
        sync.shrink_min_depth = sync.shrink_min_depth.min(depth);
        sync.shrink_pops += 1;
        if sync.shrink_pops >= SHRINK_PERIOD {
            if skip == 0 && sync.shrink_min_depth > target_frames {
                skip = 1;
                self.stats.dropped += 1;
            }
            sync.shrink_pops = 0;
            sync.shrink_min_depth = i64::MAX;
        }
        // The frame the buffer ran dry for was played as missing then: no second gap for it.
        if sync.waited_for.take() == Some(sync.next) && skip == 0 && depth > 1 && !holds(&self.slots, sync.next) {
            skip += 1;
            self.stats.lost += 1;
        }
        release_range(&mut self.slots, sync.next, skip);
        sync.next += skip;

        let seq = sync.next;
        sync.next += 1;
        let slot_count = self.slots.len();
        let slot = &mut self.slots[ring_index(seq, slot_count)];
        if slot.filled && slot.seq == seq {
            slot.filled = false;
            Frame::Audio(&slot.payload)
        } else {
            self.stats.lost += 1;
            Frame::Missing
        }
    }

    /// The delay the buffer currently aims for.
    pub fn target_delay(&self) -> Duration {
        self.frames_duration(self.target_frames)
    }

    /// Frames from the playout point to the newest packet held, gaps included.
    pub fn buffered_frames(&self) -> usize {
        self.sync.as_ref().map_or(0, |sync| usize::try_from(sync.highest - sync.next + 1).unwrap_or(0))
    }

    /// What the buffer has done so far.
    pub fn stats(&self) -> &JitterStats {
        &self.stats
    }

    /// Decides where a packet goes relative to the current sync.
    fn place(&self, ssrc: u32, seq: u16, timestamp: u32, arrival: Instant) -> Placement {
        let Some(sync) = self.sync.as_ref().filter(|sync| sync.ssrc == ssrc) else {
            return Placement::Resync;
        };
        // Nearest unwrapping around the highest packet: within ±2^15 packets, ±2^31 timestamp units.
        let ext_seq = sync.highest + i64::from(seq.wrapping_sub(sync.highest_seq) as i16);
        let ext_ts = sync.highest_ext_ts + i64::from(timestamp.wrapping_sub(sync.highest_ts) as i32);
        let transit_us = signed_micros(arrival, sync.epoch) - ext_ts * 1_000_000 / self.clock_rate;
        let slot_count = ring_len(&self.slots);
        // Before anything played, an earlier packet may still become the first to play.
        let lowest_kept = if sync.started { sync.next } else { sync.highest - slot_count + 1 };
        if ext_seq < sync.next - MAX_MISORDER || ext_seq >= sync.highest.max(sync.next) + slot_count {
            // Further off than reordering explains, or a gap wider than the whole ring.
            return Placement::Resync;
        }
        if ext_seq < lowest_kept {
            return Placement::Late { transit_us };
        }
        if (transit_us - sync.last_transit_us).abs() > RESYNC_TRANSIT_JUMP_US {
            return Placement::Resync;
        }
        Placement::Ring { ext_seq, ext_ts, transit_us }
    }

    /// Flushes everything and starts a new sync at this packet.
    fn resync(&mut self, ssrc: u32, seq: u16, timestamp: u32, arrival: Instant) {
        for slot in self.slots.iter_mut() {
            slot.filled = false;
        }
        self.transits.clear();
        self.target_frames = self.min_frames;
        self.sync = Some(Sync {
            ssrc,
            epoch: arrival,
            highest: i64::from(seq),
            highest_seq: seq,
            highest_ts: timestamp,
            highest_ext_ts: 0,
            next: i64::from(seq),
            playing: false,
            started: false,
            filling_since: None,
            waited_for: None,
            last_transit_us: 0,
            shrink_min_depth: i64::MAX,
            shrink_pops: 0,
        });
    }

    /// Adds a transit time and sets the target to cover the spread of the recent ones.
    fn record_transit(&mut self, transit_us: i64) {
        self.transits.push(transit_us);
        let spread_frames = (self.transits.spread() + self.frame_us - 1) / self.frame_us;
        self.target_frames = (1 + spread_frames).clamp(self.min_frames, self.max_frames);
    }

    fn frames_duration(&self, frames: i64) -> Duration {
        Duration::from_micros(u64::try_from(frames * self.frame_us).unwrap_or(0))
    }
}

/// The last [`TRANSIT_WINDOW`] transit times, in a fixed ring.
#[derive(Debug)]
struct TransitWindow {
    values: [i64; TRANSIT_WINDOW],
    len: usize,
    at: usize,
}

impl Default for TransitWindow {
    fn default() -> Self {
        Self { values: [0; TRANSIT_WINDOW], len: 0, at: 0 }
    }
}

impl TransitWindow {
    fn push(&mut self, value: i64) {
        self.values[self.at] = value;
        self.at = (self.at + 1) % TRANSIT_WINDOW;
        self.len = (self.len + 1).min(TRANSIT_WINDOW);
    }

    fn clear(&mut self) {
        self.len = 0;
        self.at = 0;
    }

    /// The latest arrival relative to the earliest: the delay that would have covered them all.
    fn spread(&self) -> i64 {
        let values = &self.values[..self.len];
        let (min, max) = values.iter().fold((i64::MAX, i64::MIN), |(min, max), &v| (min.min(v), max.max(v)));
        if values.is_empty() {
            0
        } else {
            max - min
        }
    }
}

fn ring_index(seq: i64, slot_count: usize) -> usize {
    // The remainder is below `slot_count`, a usize.
    seq.rem_euclid(slot_count as i64) as usize
}

/// Whether the ring holds the packet `seq`.
fn holds(slots: &[Slot], seq: i64) -> bool {
    let slot = &slots[ring_index(seq, slots.len())];
    slot.filled && slot.seq == seq
}

/// Frees the slots of the `count` packets from `first` on.
fn release_range(slots: &mut [Slot], first: i64, count: i64) {
    // Past one turn of the ring every slot has been visited.
    let count = count.min(ring_len(slots));
    for seq in first..first + count {
        let slot = &mut slots[ring_index(seq, slots.len())];
        slot.filled = false;
    }
}

/// The number of slots, as sequence arithmetic needs it.
fn ring_len(slots: &[Slot]) -> i64 {
    i64::try_from(slots.len()).unwrap_or(i64::MAX)
}

/// `time − origin` in microseconds, negative when `time` is earlier.
fn signed_micros(time: Instant, origin: Instant) -> i64 {
    match time.checked_duration_since(origin) {
        Some(after) => i64::try_from(after.as_micros()).unwrap_or(i64::MAX),
        None => -i64::try_from(origin.duration_since(time).as_micros()).unwrap_or(i64::MAX),
    }
}

/// How a missing frame is filled in, once decoded audio is at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConcealMode {
    /// Silence.
    Silence,
    /// The last frame heard again, halving each time, then silence.
    RepeatLast,
}

/// Repeats beyond which [`ConcealMode::RepeatLast`] falls silent: a longer buzz is worse than a gap.
const MAX_REPEATS: u32 = 3;

/// Fills in missing frames of decoded 16-bit audio.
#[derive(Debug, Clone)]
pub struct Concealment {
    mode: ConcealMode,
    last: Vec<i16>,
    repeats: u32,
}

impl Concealment {
    /// A concealer working in `mode`.
    pub fn new(mode: ConcealMode) -> Self {
        Self { mode, last: Vec::new(), repeats: 0 }
    }

    /// Notes a frame that played, which a later gap may repeat.
    pub fn heard(&mut self, frame: &[i16]) {
        if self.mode == ConcealMode::RepeatLast {
            self.last.clear();
            self.last.extend_from_slice(frame);
        }
        self.repeats = 0;
    }

    /// Fills `out` in for a missing frame.
    pub fn conceal(&mut self, out: &mut [i16]) {
        self.repeats = self.repeats.saturating_add(1);
        if self.mode == ConcealMode::Silence || self.repeats > MAX_REPEATS {
            out.fill(0);
            return;
        }
        let attenuation = self.repeats - 1;
        let mut last = self.last.iter();
        for sample in out.iter_mut() {
            *sample = last.next().map_or(0, |&heard| heard >> attenuation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SSRC: u32 = 0xabcd;

    /// Drives a buffer the way a call does: packets arrive at given times, and `pop` ticks
    /// every 20 ms, 10 ms after the packets' nominal arrival.
    struct Harness {
        buffer: JitterBuffer,
        start: Instant,
        /// (arrival ms, ssrc, seq, timestamp), kept sorted by arrival.
        pending: Vec<(u64, u32, u16, u32)>,
        next_tick_ms: u64,
    }

    impl Harness {
        fn new(config: JitterConfig) -> Self {
            Self { buffer: JitterBuffer::new(config), start: Instant::now(), pending: Vec::new(), next_tick_ms: 10 }
        }

        /// Packet number `index` of a stream starting at `first_seq`, sent at `20 * index` ms
        /// and arriving `late_ms` after that.
        fn send(&mut self, first_seq: u16, index: u32, late_ms: u64) {
            let seq = first_seq.wrapping_add(index as u16);
            self.send_raw(u64::from(index) * 20 + late_ms, SSRC, seq, index * 160);
        }

        fn send_raw(&mut self, arrival_ms: u64, ssrc: u32, seq: u16, timestamp: u32) {
            self.pending.push((arrival_ms, ssrc, seq, timestamp));
            self.pending.sort_by_key(|packet| packet.0);
        }

        fn at(&self, ms: u64) -> Instant {
            self.start + Duration::from_millis(ms)
        }

        /// Runs `ticks` pops; what each played: the sequence number in the payload, or `None`.
        fn tick(&mut self, ticks: usize) -> Vec<Option<u16>> {
            (0..ticks)
                .map(|_| {
                    let now_ms = self.next_tick_ms;
                    self.next_tick_ms += 20;
                    while self.pending.first().is_some_and(|packet| packet.0 <= now_ms) {
                        let (arrival_ms, ssrc, seq, timestamp) = self.pending.remove(0);
                        self.buffer.push(ssrc, seq, timestamp, &seq.to_be_bytes(), self.at(arrival_ms));
                    }
                    match self.buffer.pop(self.at(now_ms)) {
                        Frame::Audio(payload) => Some(u16::from_be_bytes([payload[0], payload[1]])),
                        Frame::Missing => None,
                    }
                })
                .collect()
        }
    }

    /// What played, with the silence before the first frame left out.
    fn played(output: &[Option<u16>]) -> Vec<Option<u16>> {
        output.iter().copied().skip_while(Option::is_none).collect()
    }

    fn seqs(range: std::ops::Range<u16>) -> Vec<Option<u16>> {
        range.map(Some).collect()
    }

    #[test]
    fn plays_a_steady_stream_in_order_after_the_minimum_delay() {
        let mut harness = Harness::new(JitterConfig::default());
        (0..50).for_each(|i| harness.send(0, i, 0));
        let output = harness.tick(60);
        assert_eq!(output[0], Some(0), "20 ms of delay: the first packet plays at the first tick");
        assert_eq!(played(&output)[..50], seqs(0..50));
        assert_eq!(harness.buffer.target_delay(), Duration::from_millis(20));
        assert_eq!(*harness.buffer.stats(), JitterStats { underruns: 1, ..JitterStats::default() });
    }

    #[test]
    fn puts_reordered_packets_back_in_order() {
        let config = JitterConfig { min_delay: Duration::from_millis(60), ..JitterConfig::default() };
        let mut harness = Harness::new(config);
        for i in 0..30 {
            // Each pair arrives swapped: 1 before 0, 3 before 2...
            let late = if i % 2 == 0 { 25 } else { 0 };
            harness.send(0, i, late);
        }
        let output = played(&harness.tick(40));
        assert_eq!(output[..30], seqs(0..30));
        assert_eq!(harness.buffer.stats().lost, 0);
    }

    #[test]
    fn a_lost_packet_plays_as_one_missing_frame() {
        let mut harness = Harness::new(JitterConfig::default());
        (0..30).filter(|&i| i != 7).for_each(|i| harness.send(0, i, 0));
        let output = played(&harness.tick(30));
        let mut expected = seqs(0..7);
        expected.push(None);
        expected.extend(seqs(8..30));
        assert_eq!(output, expected);
        assert_eq!(harness.buffer.stats().lost, 1);
    }

    #[test]
    fn drops_duplicates_and_late_packets() {
        let mut harness = Harness::new(JitterConfig::default());
        (0..20).for_each(|i| harness.send(0, i, 0));
        harness.send(0, 3, 1); // a copy right behind the original
        harness.send(0, 5, 200); // long after 5 played
        let output = played(&harness.tick(25));
        assert_eq!(output[..20], seqs(0..20));
        assert_eq!((harness.buffer.stats().duplicates, harness.buffer.stats().late), (1, 1));
    }

    #[test]
    fn a_burst_after_a_stall_is_played_whole_and_raises_the_target() {
        let mut harness = Harness::new(JitterConfig::default());
        for i in 0..60 {
            // Packets 10–14 are held up and arrive together with 15.
            let late = if (10..15).contains(&i) { u64::from(15 - i) * 20 } else { 0 };
            harness.send(0, i, late);
        }
        let output = played(&harness.tick(70));
        let heard: Vec<u16> = output.iter().flatten().copied().collect();
        assert_eq!(heard, (0..60).collect::<Vec<_>>(), "nothing lost or reordered");
        assert_eq!(harness.buffer.target_delay(), Duration::from_millis(20 + 100));
        assert_eq!(harness.buffer.stats().lost, 0);
    }

    #[test]
    fn plays_across_the_sequence_wrap() {
        let mut harness = Harness::new(JitterConfig::default());
        (0..20).for_each(|i| harness.send(65530, i, 0));
        let output = played(&harness.tick(20));
        let expected: Vec<Option<u16>> = (0..20u16).map(|i| Some(65530u16.wrapping_add(i))).collect();
        assert_eq!(output[..20], expected[..]);
    }

    #[test]
    fn adapts_up_to_jitter_then_back_down() {
        let mut harness = Harness::new(JitterConfig::default());
        // Ten seconds where every fifth packet is 50 ms late, then ten steady seconds.
        for i in 0..1000 {
            let late = if i < 500 && i % 5 == 0 { 50 } else { 0 };
            harness.send(0, i, late);
        }
        let jittery = harness.tick(500);
        assert_eq!(harness.buffer.target_delay(), Duration::from_millis(20 + 60));
        assert!(jittery[250..].iter().all(Option::is_some), "once adapted, no more gaps");
        // Four frames held before each pop: the one played and three behind it.
        assert_eq!(harness.buffer.buffered_frames(), 3);

        let steady = harness.tick(500);
        assert_eq!(harness.buffer.target_delay(), Duration::from_millis(20));
        // Back to one frame held before each pop: three dropped on the way, none missing.
        assert_eq!(harness.buffer.buffered_frames(), 0);
        assert_eq!(harness.buffer.stats().dropped, 3);
        assert!(steady.iter().all(Option::is_some));
        let heard: Vec<u16> = jittery.iter().chain(&steady).flatten().copied().collect();
        assert!(heard.windows(2).all(|pair| pair[0] < pair[1]), "always in order");
    }

    #[test]
    fn never_holds_more_than_the_maximum_delay() {
        let mut harness = Harness::new(JitterConfig::default());
        // A full second of packets arrives at once.
        (0..50).for_each(|i| harness.send_raw(1000, SSRC, i as u16, i * 160));
        let output = played(&harness.tick(70));
        assert_eq!(output.iter().flatten().count(), 10);
        assert_eq!(output[..10], seqs(40..50));
        assert_eq!(harness.buffer.stats().dropped, 40);
    }

    #[test]
    fn a_new_ssrc_or_timeline_starts_over() {
        let mut harness = Harness::new(JitterConfig::default());
        (0..10).for_each(|i| harness.send(0, i, 0));
        // Another source takes over at 200 ms, with its own numbering.
        (0..10u16).for_each(|i| harness.send_raw(200 + u64::from(i) * 20, 0x9999, 5000 + i, 777 + u32::from(i) * 160));
        let output = played(&harness.tick(25));
        let heard: Vec<u16> = output.iter().flatten().copied().collect();
        assert_eq!(heard[..10], (0..10).collect::<Vec<_>>());
        assert_eq!(heard[10..], (5000..5010).collect::<Vec<_>>());
        assert_eq!(harness.buffer.stats().resyncs, 1);

        // Same source, sequence continues, but the timestamp leaps an hour ahead.
        let arrival = harness.at(1000);
        let leap = 3600 * 8000;
        assert_eq!(harness.buffer.push(0x9999, 5010, leap, b"x", arrival), PushOutcome::Resynced);
        assert_eq!(harness.buffer.push(0x9999, 5011, leap + 160, b"y", arrival), PushOutcome::Stored);
        assert_eq!(harness.buffer.stats().resyncs, 2);
    }

    #[test]
    fn memory_stays_bounded_without_pops() {
        let mut buffer = JitterBuffer::new(JitterConfig::default());
        let start = Instant::now();
        for i in 0..5000u32 {
            buffer.push(SSRC, i as u16, i * 160, &[0; 160], start + Duration::from_millis(u64::from(i) * 20));
            assert!(buffer.buffered_frames() <= buffer.slots.len());
        }
        assert_eq!(buffer.push(SSRC, 0, 0, &[0; MAX_PAYLOAD_LEN + 1], start), PushOutcome::TooLarge);
    }

    #[test]
    fn an_empty_buffer_plays_missing() {
        let mut buffer = JitterBuffer::new(JitterConfig::default());
        assert_eq!(buffer.pop(Instant::now()), Frame::Missing);
        assert_eq!(buffer.buffered_frames(), 0);
    }

    #[test]
    fn concealment_by_silence() {
        let mut concealment = Concealment::new(ConcealMode::Silence);
        concealment.heard(&[1000; 4]);
        let mut out = [7; 4];
        concealment.conceal(&mut out);
        assert_eq!(out, [0; 4]);
    }

    #[test]
    fn concealment_by_repeating_fades_out() {
        let mut concealment = Concealment::new(ConcealMode::RepeatLast);
        let mut out = [0; 4];
        concealment.conceal(&mut out);
        assert_eq!(out, [0; 4], "nothing heard yet: silence");

        concealment.heard(&[1000, -1000, 400, 8]);
        let mut repeats = Vec::new();
        for _ in 0..4 {
            concealment.conceal(&mut out);
            repeats.push(out);
        }
        assert_eq!(repeats, [[1000, -1000, 400, 8], [500, -500, 200, 4], [250, -250, 100, 2], [0; 4]]);

        concealment.heard(&[5, 5]);
        let mut longer = [9; 3];
        concealment.conceal(&mut longer);
        assert_eq!(longer, [5, 5, 0]);
    }
}
