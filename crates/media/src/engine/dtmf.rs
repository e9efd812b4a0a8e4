//! DTMF on one terminating channel, sans-IO: the digits its peer presses, as RFC 4733
//! events or, when the peer negotiated no telephone-event, detected in band; and the
//! digits we send it, as events or, likewise, as tones mixed into its audio.
//!
//! Both directions come down to the same two reports per digit, a begin and an end, so
//! the owner of a channel sees no difference between the two ways digits travel.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::dtmf::goertzel::DtmfDetector;
use crate::dtmf::rfc4733::{DtmfEvent, DtmfPacket, DtmfReceiver, DtmfSender, DtmfSenderConfig, MAX_QUEUED_DIGITS};
use crate::dtmf::{Digit, DtmfError};
use crate::mixer::AudioFrame;
use crate::tones::{ToneGenerator, ToneSpec, MAX_SEGMENTS};

/// The length of one frame, which in-band durations are counted in.
const FRAME: Duration = Duration::from_millis(20);

/// A digit's begin or end, however it travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DigitEvent {
    /// The key went down.
    Begin(Digit),
    /// The key came up after this long.
    End(Digit, Duration),
}

/// The digits a channel's peer presses.
#[derive(Debug)]
pub(crate) struct DtmfInput {
    receiver: DtmfReceiver,
    detector: DtmfDetector,
    /// What the detector found in the last frame; capacity kept, so no allocation.
    found: Vec<Digit>,
    /// The in-band digit down now, and for how many frames.
    held: Option<(Digit, u32)>,
    /// The telephone-event clock, for event durations.
    clock_rate: u32,
}

impl DtmfInput {
    /// Nothing heard yet; events count time at `clock_rate`.
    pub(crate) fn new(clock_rate: u32) -> DtmfInput {
        DtmfInput {
            receiver: DtmfReceiver::new(),
            detector: DtmfDetector::new(),
            found: Vec::with_capacity(4),
            held: None,
            clock_rate: clock_rate.max(1),
        }
    }

    /// Takes in a telephone-event packet. Events that are not digits (flash, fax tones)
    /// and short payloads are ignored: the peer gets no answer to them anyway.
    pub(crate) fn on_event(&mut self, now: Instant, timestamp: u32, sequence: u16, payload: &[u8]) {
        let _ = self.receiver.receive(now, timestamp, sequence, payload);
    }

    /// Looks for digits in one frame of the peer's audio (when it sends no events).
    pub(crate) fn on_audio(&mut self, frame: &[i16], mut report: impl FnMut(DigitEvent)) {
        self.found.clear();
        self.detector.process(frame, &mut self.found);
        for &digit in &self.found {
            if let Some((previous, frames)) = self.held.take() {
                report(DigitEvent::End(previous, FRAME * frames));
            }
            report(DigitEvent::Begin(digit));
            self.held = Some((digit, 0));
        }
        if let Some((digit, frames)) = self.held {
            if self.detector.held() == Some(digit) {
                self.held = Some((digit, frames + 1));
            } else {
                report(DigitEvent::End(digit, FRAME * frames));
                self.held = None;
            }
        }
    }

    /// Reports what the events received so far say, and ends a digit whose end packets
    /// were all lost; call once per tick.
    pub(crate) fn poll(&mut self, now: Instant, mut report: impl FnMut(DigitEvent)) {
        self.receiver.handle_timeout(now);
        while let Some(event) = self.receiver.poll_event() {
            report(match event {
                DtmfEvent::Begin(digit) => DigitEvent::Begin(digit),
                DtmfEvent::End { digit, duration } => {
                    let micros = u64::from(duration) * 1_000_000 / u64::from(self.clock_rate);
                    DigitEvent::End(digit, Duration::from_micros(micros))
                }
            });
        }
    }

    /// Forgets the stream, as when the peer's SSRC changes; a digit down ends at the
    /// next [`DtmfInput::poll`].
    pub(crate) fn reset(&mut self) {
        self.receiver.reset();
        self.detector.reset();
    }
}

/// Digits to send, checked: what `send_dtmf` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DtmfRequest {
    /// The digits, in runs split where the request had a `,` (a pause).
    runs: Vec<Vec<Digit>>,
    config: DtmfSenderConfig,
    /// Quiet before the first digit, and after the last before the next request.
    before: Duration,
    after: Duration,
}

impl DtmfRequest {
    /// `digits` as tones of `duration`, `between` apart, a `,` pausing half a second (as
    /// Asterisk's); refused if a character is not a digit or a comma, there are too many,
    /// or the duration is outside what RFC 4733 carries.
    pub(crate) fn new(digits: &str, between: Duration, duration: Duration) -> Result<DtmfRequest, DtmfError> {
        let runs = digits
            .split(',')
            .map(|run| run.chars().map(Digit::from_char).collect::<Result<Vec<_>, _>>())
            .collect::<Result<Vec<_>, _>>()?;
        if runs.iter().map(Vec::len).sum::<usize>() > MAX_QUEUED_DIGITS {
            return Err(DtmfError::QueueFull(MAX_QUEUED_DIGITS));
        }
        let config = DtmfSenderConfig { tone_length: duration, gap: between, ..DtmfSenderConfig::default() };
        // The sender checks the timings; the one made here is only a check.
        DtmfSender::new(config)?;
        Ok(DtmfRequest { runs, config, before: Duration::ZERO, after: Duration::ZERO })
    }

    /// The same digits, sent `before` after the previous request is done, and holding
    /// the next one back `after` (ARI's `before`/`after`).
    pub(crate) fn paced(self, before: Duration, after: Duration) -> DtmfRequest {
        DtmfRequest { before, after, ..self }
    }
}

/// How long a `,` among the digits pauses (Asterisk's `ast_dtmf_stream`).
const COMMA_PAUSE: Duration = Duration::from_millis(500);

/// The ticks a pause of `length` takes, rounded up.
fn pause_ticks(length: Duration) -> u32 {
    let tick = super::clock::TICK.as_micros();
    u32::try_from(length.as_micros().div_ceil(tick)).unwrap_or(u32::MAX)
}

/// One request being sent.
#[derive(Debug)]
enum Job {
    /// As RFC 4733 events.
    Events(DtmfSender),
    /// As tones, when the peer takes no events.
    Tones(ToneGenerator),
    /// Quiet, for this many more ticks (audio flows meanwhile).
    Pause(u32),
}

/// What [`DtmfOutput::tick`] has for this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DtmfTick {
    /// Nothing: send audio as usual.
    Idle,
    /// Send this event packet instead of audio.
    Event(DtmfPacket),
    /// The frame was filled with a tone: send it as the audio.
    Tone,
}

/// The digits we send a channel's peer, request after request.
#[derive(Debug, Default)]
pub(crate) struct DtmfOutput {
    jobs: VecDeque<Job>,
}

impl DtmfOutput {
    /// Queues a request: as events when the peer takes them, as tones otherwise.
    pub(crate) fn push(&mut self, request: DtmfRequest, events: bool) {
        if !request.before.is_zero() {
            self.jobs.push_back(Job::Pause(pause_ticks(request.before)));
        }
        for (index, run) in request.runs.iter().enumerate() {
            if index > 0 {
                self.jobs.push_back(Job::Pause(pause_ticks(COMMA_PAUSE)));
            }
            self.push_digits(run, request.config, events);
        }
        if !request.after.is_zero() {
            self.jobs.push_back(Job::Pause(pause_ticks(request.after)));
        }
    }

    fn push_digits(&mut self, digits: &[Digit], config: DtmfSenderConfig, events: bool) {
        if digits.is_empty() {
            return;
        }
        if events {
            let Ok(mut sender) = DtmfSender::new(config) else { return };
            // Within MAX_QUEUED_DIGITS: checked when the request was made.
            for digit in digits {
                let _ = sender.send(*digit);
            }
            self.jobs.push_back(Job::Events(sender));
            return;
        }
        let tone = segment_ms(config.tone_length);
        let gap = segment_ms(config.gap);
        let per_digit = if gap == 0 { 1 } else { 2 };
        for chunk in digits.chunks(MAX_SEGMENTS / per_digit) {
            let mut spec = String::new();
            for digit in chunk {
                let (low, high) = digit.frequencies();
                // Keypad frequencies are whole hertz; `!` plays each segment once.
                let _ = write!(spec, "!{low}+{high}/{tone},");
                if gap != 0 {
                    let _ = write!(spec, "!0/{gap},");
                }
            }
            spec.pop();
            if let Ok(spec) = ToneSpec::parse(&spec) {
                self.jobs.push_back(Job::Tones(ToneGenerator::new(spec)));
            }
        }
    }

    /// Whether nothing is being sent or waiting to be.
    pub(crate) fn is_idle(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Advances one tick. `timestamp` is the RTP timestamp of this tick's packet; a tone
    /// is written into `frame`.
    pub(crate) fn tick(&mut self, timestamp: u32, frame: &mut AudioFrame) -> DtmfTick {
        while let Some(job) = self.jobs.front_mut() {
            match job {
                Job::Events(sender) => {
                    if let Some(packet) = sender.tick(timestamp) {
                        return DtmfTick::Event(packet);
                    }
                    if !sender.is_idle() {
                        // A gap between digits: audio flows meanwhile.
                        return DtmfTick::Idle;
                    }
                }
                Job::Tones(generator) => {
                    generator.fill(frame);
                    if generator.is_finished() {
                        self.jobs.pop_front();
                    }
                    return DtmfTick::Tone;
                }
                Job::Pause(left) => {
                    if *left > 0 {
                        *left -= 1;
                        return DtmfTick::Idle;
                    }
                }
            }
            self.jobs.pop_front();
        }
        DtmfTick::Idle
    }
}

/// A tone segment's length in whole milliseconds; at least 1 where not zero, since 0
/// means "for ever" in tone strings.
fn segment_ms(length: Duration) -> u128 {
    if length.is_zero() {
        0
    } else {
        length.as_millis().max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtmf::goertzel::Goertzel;
    use crate::dtmf::rfc4733::TelephoneEvent;
    use crate::FRAME_SAMPLES;

    fn digit(c: char) -> Digit {
        Digit::from_char(c).unwrap()
    }

    fn collect(input: &mut DtmfInput, now: Instant) -> Vec<DigitEvent> {
        let mut events = Vec::new();
        input.poll(now, |event| events.push(event));
        events
    }

    #[test]
    fn events_become_begin_and_end_with_their_duration() {
        let start = Instant::now();
        let mut input = DtmfInput::new(8000);
        let payload = |end, duration: u16| TelephoneEvent { event: 5, end, volume: 10, duration }.to_bytes();
        input.on_event(start, 1000, 1, &payload(false, 160));
        input.on_event(start, 1000, 2, &payload(false, 320));
        assert_eq!(collect(&mut input, start), [DigitEvent::Begin(digit('5'))]);
        for seq in 3..6 {
            input.on_event(start, 1000, seq, &payload(true, 800));
        }
        input.on_event(start, 1000, 6, &[1, 2]);
        assert_eq!(collect(&mut input, start), [DigitEvent::End(digit('5'), Duration::from_millis(100))]);
        assert_eq!(collect(&mut input, start + Duration::from_secs(1)), []);
    }

    /// `ms` of the tones of `c` (or silence), 20 ms at a time.
    fn keypad_frames(c: Option<char>, ms: usize) -> Vec<AudioFrame> {
        let spec = match c {
            Some(c) => {
                let (low, high) = digit(c).frequencies();
                format!("{low}+{high}")
            }
            None => "0".to_owned(),
        };
        let mut generator = ToneGenerator::new(ToneSpec::parse(&spec).unwrap());
        (0..ms / 20)
            .map(|_| {
                let mut frame = [0; FRAME_SAMPLES];
                generator.fill(&mut frame);
                frame
            })
            .collect()
    }

    #[test]
    fn in_band_tones_become_begin_and_end() {
        let mut input = DtmfInput::new(8000);
        let mut events = Vec::new();
        let audio = [keypad_frames(None, 100), keypad_frames(Some('7'), 200), keypad_frames(None, 200)];
        for frame in audio.iter().flatten() {
            input.on_audio(frame, |event| events.push(event));
        }
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0], DigitEvent::Begin(digit('7')));
        let DigitEvent::End(ended, duration) = events[1] else { panic!("{events:?}") };
        assert_eq!(ended, digit('7'));
        assert!((Duration::from_millis(140)..=Duration::from_millis(260)).contains(&duration), "{duration:?}");
    }

    #[test]
    fn requests_are_checked() {
        let ms = Duration::from_millis;
        assert!(DtmfRequest::new("123#*abcd", ms(100), ms(100)).is_ok());
        assert_eq!(DtmfRequest::new("12x", ms(100), ms(100)), Err(DtmfError::NotADigit('x')));
        assert_eq!(DtmfRequest::new("1", ms(100), ms(10)), Err(DtmfError::ToneTooShort(ms(10))));
        assert_eq!(DtmfRequest::new(&"1".repeat(300), ms(100), ms(100)), Err(DtmfError::QueueFull(256)));
    }

    #[test]
    fn events_replace_audio_only_while_a_tone_is_on() {
        let ms = Duration::from_millis;
        let mut output = DtmfOutput::default();
        output.push(DtmfRequest::new("12", ms(40), ms(60)).unwrap(), true);
        let mut frame = [0; FRAME_SAMPLES];
        let ticks: Vec<DtmfTick> = (0..20u32).map(|tick| output.tick(tick * 160, &mut frame)).collect();
        let events: Vec<(u8, bool, u32)> = ticks
            .iter()
            .filter_map(|tick| match tick {
                DtmfTick::Event(packet) => Some((packet.event.event, packet.event.end, packet.timestamp)),
                _ => None,
            })
            .collect();
        // Each digit: 3 ticks of tone, the last with the end bit, and 2 more end packets, which
        // count towards the 40 ms gap.
        assert_eq!(
            events,
            [(1, false, 0), (1, false, 0), (1, true, 0), (1, true, 0), (1, true, 0)]
                .into_iter()
                .chain([(2, false, 800), (2, false, 800), (2, true, 800), (2, true, 800), (2, true, 800)])
                .collect::<Vec<_>>()
        );
        assert_eq!(ticks.iter().filter(|tick| **tick == DtmfTick::Idle).count(), 10);
        assert!(output.is_idle());
    }

    #[test]
    fn without_events_digits_are_tones() {
        let ms = Duration::from_millis;
        let mut output = DtmfOutput::default();
        output.push(DtmfRequest::new(&"9".repeat(40), ms(40), ms(60)).unwrap(), false);
        let mut frame = [0; FRAME_SAMPLES];
        assert_eq!(output.tick(0, &mut frame), DtmfTick::Tone);
        let (low, high) = digit('9').frequencies();
        let level = |frequency: f32| {
            let mut filter = Goertzel::new(f64::from(frequency), 8000);
            filter.feed(&frame);
            filter.amplitude()
        };
        assert!(level(low) > 3000.0 && level(high) > 3000.0);
        // 40 digits of 100 ms each, across two tone strings of at most 64 segments.
        let mut ticks = 1;
        while output.tick(0, &mut frame) == DtmfTick::Tone {
            ticks += 1;
        }
        assert_eq!(ticks, 200);
        assert!(output.is_idle());
    }

    #[test]
    fn before_and_after_pause_the_digits_without_holding_anything_else() {
        let ms = Duration::from_millis;
        let mut output = DtmfOutput::default();
        // 50 ms before: three ticks of quiet (rounded up); then one 60 ms tone; then 40 ms
        // after, which holds the next request back two ticks.
        output.push(DtmfRequest::new("1", ms(0), ms(60)).unwrap().paced(ms(50), ms(40)), false);
        output.push(DtmfRequest::new("2", ms(0), ms(60)).unwrap(), false);
        let mut frame = [0; FRAME_SAMPLES];
        let ticks: Vec<DtmfTick> = (0..11).map(|_| output.tick(0, &mut frame)).collect();
        use DtmfTick::{Idle, Tone};
        assert_eq!(ticks, [Idle, Idle, Idle, Tone, Tone, Tone, Idle, Idle, Tone, Tone, Tone]);
        assert_eq!(output.tick(0, &mut frame), Idle);
        assert!(output.is_idle());
    }

    #[test]
    fn a_comma_pauses_half_a_second_between_digits() {
        let ms = Duration::from_millis;
        let mut output = DtmfOutput::default();
        output.push(DtmfRequest::new("1,2", ms(0), ms(60)).unwrap(), false);
        let mut frame = [0; FRAME_SAMPLES];
        let ticks: Vec<DtmfTick> = (0..32).map(|_| output.tick(0, &mut frame)).collect();
        let tones: Vec<usize> = (0..32).filter(|i| ticks[*i] == DtmfTick::Tone).collect();
        assert_eq!(tones, [0, 1, 2, 28, 29, 30], "3 ticks of 1, 25 quiet (500 ms), 3 ticks of 2");
        assert!(DtmfRequest::new(",", ms(0), ms(60)).is_ok(), "commas alone are pauses");
        assert_eq!(DtmfRequest::new("1;2", ms(0), ms(60)), Err(DtmfError::NotADigit(';')));
    }
}
