//! Call-progress tones (ring, busy, dial, …), sans-IO: the national cadences of a few
//! tonezones, the tone specification syntax of Asterisk's `indications.conf` they are
//! written in, and a generator that plays a specification as 8 kHz samples, frame by
//! frame.
//!
//! A specification is a comma-separated list of segments, `[!]f1[+f2][/ms]`: one or two
//! frequencies in Hz (0 for silence) and a length in milliseconds (none, or 0, for
//! forever). The cadence loops from its first segment not marked `!`; if all are marked,
//! it plays once and ends. Asterisk's modulated (`f1*f2`) and MIDI-note (`M`) forms are
//! refused with an error rather than approximated.
//!
//! The zones' ring, busy, congestion and dial tones are the national values of ITU-T E.180
//! (Supplement 2), rounded to whole hertz and milliseconds. Call-waiting, recording,
//! information and stutter tones vary more between operators; theirs are the common
//! national practice, to be checked against a zone's own standard before relying on them.
//! A generator plays each frequency at about -13 dBm0.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::SAMPLE_RATE;

/// Samples per millisecond at [`SAMPLE_RATE`].
const SAMPLES_PER_MS: u64 = SAMPLE_RATE as u64 / 1000;

/// The peak amplitude of each frequency: about -13 dBm0, where a sine peaking at 22 700
/// is 0 dBm0 in G.711. Two of them never clip.
const COMPONENT_AMPLITUDE: f64 = 5080.0;

/// The most segments a specification may have; real ones have at most a dozen or two.
pub const MAX_SEGMENTS: usize = 64;

/// Why a tone name, tonezone or tone specification was refused. Segments count from 1.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ToneError {
    /// A tone name we do not know.
    #[error("unknown tone `{0}`, expected one of: {known}", known = list(&ToneName::ALL.map(ToneName::as_str)))]
    UnknownTone(String),
    /// A tonezone we do not know.
    #[error("unknown tonezone `{0}`, expected one of: {known}", known = list(&Tonezone::ALL.map(Tonezone::as_str)))]
    UnknownZone(String),
    /// The specification is empty.
    #[error("empty tone specification")]
    Empty,
    /// The specification has more than [`MAX_SEGMENTS`] segments.
    #[error("a tone specification has at most {MAX_SEGMENTS} segments")]
    TooManySegments,
    /// A segment is empty, as in `440,,0`.
    #[error("tone segment {segment} is empty")]
    EmptySegment {
        /// Which segment.
        segment: usize,
    },
    /// A segment uses a form of Asterisk's syntax we do not generate.
    #[error("tone segment {segment}: {feature} are not supported")]
    Unsupported {
        /// Which segment.
        segment: usize,
        /// What it asked for.
        feature: &'static str,
    },
    /// A frequency is not a whole number of hertz.
    #[error("tone segment {segment}: `{text}` is not a frequency in Hz")]
    BadFrequency {
        /// Which segment.
        segment: usize,
        /// The offending text.
        text: String,
    },
    /// A frequency at or above the Nyquist frequency of 8 kHz audio.
    #[error("tone segment {segment}: {frequency} Hz is not below the 4000 Hz an 8 kHz stream carries")]
    FrequencyTooHigh {
        /// Which segment.
        segment: usize,
        /// The frequency.
        frequency: u32,
    },
    /// More than two frequencies added up.
    #[error("tone segment {segment}: at most two frequencies may be combined")]
    TooManyFrequencies {
        /// Which segment.
        segment: usize,
    },
    /// A length is not a whole number of milliseconds.
    #[error("tone segment {segment}: `{text}` is not a length in milliseconds")]
    BadDuration {
        /// Which segment.
        segment: usize,
        /// The offending text.
        text: String,
    },
    /// A segment that plays forever is followed by others, which would never play.
    #[error("tone segment {segment} plays forever, so the segments after it would never play")]
    Unreachable {
        /// Which segment.
        segment: usize,
    },
}

/// `a, b, c` for error messages.
fn list(names: &[&str]) -> String {
    names.join(", ")
}

/// The tones a tonezone defines, named as in `indications.conf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToneName {
    /// Ringback: the callee's phone is ringing.
    Ring,
    /// The callee is busy.
    Busy,
    /// The network is congested (reorder, fast busy).
    Congestion,
    /// Dial tone.
    Dial,
    /// Call waiting: another call is coming in.
    CallWaiting,
    /// The call is being recorded.
    Record,
    /// Special information tone: the number cannot be reached as dialled.
    Info,
    /// Stuttered dial tone: a message is waiting, or a feature is on.
    Stutter,
}

impl ToneName {
    /// Every tone name.
    pub const ALL: [ToneName; 8] = [
        ToneName::Ring,
        ToneName::Busy,
        ToneName::Congestion,
        ToneName::Dial,
        ToneName::CallWaiting,
        ToneName::Record,
        ToneName::Info,
        ToneName::Stutter,
    ];

    /// The tone called `name` (`ring`, `busy`, …), ignoring case.
    pub fn parse(name: &str) -> Result<ToneName, ToneError> {
        ToneName::ALL
            .into_iter()
            .find(|tone| tone.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| ToneError::UnknownTone(name.to_owned()))
    }

    /// The name as `indications.conf` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ToneName::Ring => "ring",
            ToneName::Busy => "busy",
            ToneName::Congestion => "congestion",
            ToneName::Dial => "dial",
            ToneName::CallWaiting => "callwaiting",
            ToneName::Record => "record",
            ToneName::Info => "info",
            ToneName::Stutter => "stutter",
        }
    }
}

impl FromStr for ToneName {
    type Err = ToneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ToneName::parse(s)
    }
}

impl fmt::Display for ToneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A country's set of call-progress tones, named by its `indications.conf` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tonezone {
    /// United States (and the North American Numbering Plan).
    Us,
    /// United Kingdom.
    Uk,
    /// Germany.
    De,
    /// France.
    Fr,
    /// Italy.
    It,
    /// The Netherlands.
    Nl,
    /// Australia.
    Au,
    /// Japan.
    Jp,
}

/// One zone's tone specifications, one field per [`ToneName`].
struct ZoneTones {
    ring: &'static str,
    busy: &'static str,
    congestion: &'static str,
    dial: &'static str,
    callwaiting: &'static str,
    record: &'static str,
    info: &'static str,
    stutter: &'static str,
}

/// The ITU-T special information tone (Q.35/E.180): three rising tones, then a pause.
const ITU_INFO: &str = "950/330,1400/330,1800/330,0/1000";

const US: ZoneTones = ZoneTones {
    ring: "440+480/2000,0/4000",
    busy: "480+620/500,0/500",
    congestion: "480+620/250,0/250",
    dial: "350+440",
    callwaiting: "440/300,0/9700",
    record: "1400/500,0/15000",
    // The North American SIT (the "no circuit" variant), once, then silence.
    info: "!914/274,!1371/274,!1777/380,0",
    stutter: "!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,\
              !350+440/100,!0/100,!350+440/100,!0/100,350+440",
};

const UK: ZoneTones = ZoneTones {
    ring: "400+450/400,0/200,400+450/400,0/2000",
    busy: "400/375,0/375",
    congestion: "400/400,0/350,400/225,0/525",
    dial: "350+440",
    callwaiting: "400/100,0/3000",
    record: "1400/500,0/60000",
    info: ITU_INFO,
    stutter: "350+440/750,0/750",
};

const DE: ZoneTones = ZoneTones {
    ring: "425/1000,0/4000",
    busy: "425/480,0/480",
    congestion: "425/240,0/240",
    dial: "425",
    callwaiting: "425/200,0/200,425/200,0/5000",
    record: "1400/80,0/15000",
    info: ITU_INFO,
    stutter: "!425/100,!0/40,!425/100,!0/40,!425/100,!0/40,!425/100,!0/40,!425/100,!0/40,425",
};

const FR: ZoneTones = ZoneTones {
    ring: "440/1500,0/3500",
    busy: "440/500,0/500",
    congestion: "440/250,0/250",
    dial: "440",
    callwaiting: "440/300,0/10000",
    record: "1400/500,0/15000",
    info: ITU_INFO,
    stutter: "!440/100,!0/100,!440/100,!0/100,!440/100,!0/100,!440/100,!0/100,!440/100,!0/100,440",
};

const IT: ZoneTones = ZoneTones {
    ring: "425/1000,0/4000",
    busy: "425/500,0/500",
    congestion: "425/200,0/200",
    dial: "425/200,0/200,425/600,0/1000",
    callwaiting: "425/400,0/100,425/250,0/100,425/150,0/14000",
    record: "1400/400,0/15000",
    info: ITU_INFO,
    stutter: "470/400,425/400",
};

const NL: ZoneTones = ZoneTones {
    ring: "425/1000,0/4000",
    busy: "425/500,0/500",
    congestion: "425/250,0/250",
    dial: "425",
    callwaiting: "425/500,0/9500",
    record: "1400/500,0/15000",
    info: ITU_INFO,
    stutter: "425/500,0/50",
};

const AU: ZoneTones = ZoneTones {
    ring: "413+438/400,0/200,413+438/400,0/2000",
    busy: "425/375,0/375",
    // Australia alternates the level of its congestion tone; a slightly detuned second
    // burst stands in for that.
    congestion: "425/375,0/375,420/375,0/375",
    dial: "413+438",
    callwaiting: "425/200,0/200,425/200,0/4400",
    record: "1400/425,0/15000",
    info: ITU_INFO,
    stutter: "413+438/100,0/40",
};

const JP: ZoneTones = ZoneTones {
    // 400 Hz modulated at 16 Hz: the 416 Hz partner beats with it at that rate.
    ring: "400+416/1000,0/2000",
    busy: "400/500,0/500",
    congestion: "400/500,0/500",
    dial: "400",
    callwaiting: "400/500,0/100,400/500,0/3500",
    record: "1400/500,0/15000",
    info: ITU_INFO,
    stutter: "!400/100,!0/100,!400/100,!0/100,!400/100,!0/100,!400/100,!0/100,!400/100,!0/100,400",
};

impl Tonezone {
    /// Every tonezone.
    pub const ALL: [Tonezone; 8] = [
        Tonezone::Us,
        Tonezone::Uk,
        Tonezone::De,
        Tonezone::Fr,
        Tonezone::It,
        Tonezone::Nl,
        Tonezone::Au,
        Tonezone::Jp,
    ];

    /// The zone with this code (`us`, `uk`, …), ignoring case.
    pub fn parse(code: &str) -> Result<Tonezone, ToneError> {
        Tonezone::ALL
            .into_iter()
            .find(|zone| zone.as_str().eq_ignore_ascii_case(code))
            .ok_or_else(|| ToneError::UnknownZone(code.to_owned()))
    }

    /// The zone's code as `indications.conf` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Tonezone::Us => "us",
            Tonezone::Uk => "uk",
            Tonezone::De => "de",
            Tonezone::Fr => "fr",
            Tonezone::It => "it",
            Tonezone::Nl => "nl",
            Tonezone::Au => "au",
            Tonezone::Jp => "jp",
        }
    }

    /// The specification of one of the zone's tones, in `indications.conf` syntax.
    pub fn spec(self, tone: ToneName) -> &'static str {
        let tones = match self {
            Tonezone::Us => &US,
            Tonezone::Uk => &UK,
            Tonezone::De => &DE,
            Tonezone::Fr => &FR,
            Tonezone::It => &IT,
            Tonezone::Nl => &NL,
            Tonezone::Au => &AU,
            Tonezone::Jp => &JP,
        };
        match tone {
            ToneName::Ring => tones.ring,
            ToneName::Busy => tones.busy,
            ToneName::Congestion => tones.congestion,
            ToneName::Dial => tones.dial,
            ToneName::CallWaiting => tones.callwaiting,
            ToneName::Record => tones.record,
            ToneName::Info => tones.info,
            ToneName::Stutter => tones.stutter,
        }
    }

    /// One of the zone's tones, parsed. The built-in specifications are all valid (a test
    /// checks), so this only fails if one is broken by an edit.
    pub fn tone(self, tone: ToneName) -> Result<ToneSpec, ToneError> {
        ToneSpec::parse(self.spec(tone))
    }
}

impl FromStr for Tonezone {
    type Err = ToneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tonezone::parse(s)
    }
}

impl fmt::Display for Tonezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One segment of a cadence: up to two frequencies for a length of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToneSegment {
    /// The frequencies in Hz; 0 stands for none, so `[0, 0]` is silence.
    pub frequencies: [u16; 2],
    /// The length in milliseconds; `None` plays forever.
    pub duration_ms: Option<u32>,
    /// Marked `!`: not repeated when the cadence loops.
    pub once: bool,
}

impl ToneSegment {
    /// The length in samples at [`SAMPLE_RATE`]; `None` for forever.
    fn duration_samples(&self) -> Option<u64> {
        self.duration_ms.map(|ms| u64::from(ms) * SAMPLES_PER_MS)
    }

    /// Parses segment number `segment` (from 1) of a specification.
    fn parse(text: &str, segment: usize) -> Result<ToneSegment, ToneError> {
        let text = text.trim();
        let (once, text) = match text.strip_prefix('!') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, text),
        };
        if text.is_empty() {
            return Err(ToneError::EmptySegment { segment });
        }
        if text.starts_with(['M', 'm']) {
            return Err(ToneError::Unsupported { segment, feature: "MIDI notes (`M`)" });
        }
        let (frequencies_text, duration_text) = match text.split_once('/') {
            Some((frequencies, duration)) => (frequencies, Some(duration.trim())),
            None => (text, None),
        };
        if frequencies_text.contains('*') {
            return Err(ToneError::Unsupported { segment, feature: "modulated tones (`*`)" });
        }

        let mut frequencies = [0; 2];
        for (i, part) in frequencies_text.split('+').enumerate() {
            let slot = frequencies.get_mut(i).ok_or(ToneError::TooManyFrequencies { segment })?;
            let part = part.trim();
            let frequency: u32 =
                part.parse().map_err(|_| ToneError::BadFrequency { segment, text: part.to_owned() })?;
            *slot = u16::try_from(frequency)
                .ok()
                .filter(|&f| u32::from(f) < SAMPLE_RATE / 2)
                .ok_or(ToneError::FrequencyTooHigh { segment, frequency })?;
        }

        let duration_ms = match duration_text {
            None => None,
            Some(text) => {
                let ms: u32 = text.parse().map_err(|_| ToneError::BadDuration { segment, text: text.to_owned() })?;
                // As in Asterisk, a length of 0 means forever.
                (ms > 0).then_some(ms)
            }
        };
        Ok(ToneSegment { frequencies, duration_ms, once })
    }
}

impl fmt::Display for ToneSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.once {
            f.write_str("!")?;
        }
        match self.frequencies {
            [first, 0] => write!(f, "{first}")?,
            [0, second] => write!(f, "{second}")?,
            [first, second] => write!(f, "{first}+{second}")?,
        }
        if let Some(ms) = self.duration_ms {
            write!(f, "/{ms}")?;
        }
        Ok(())
    }
}

/// A parsed tone specification: a cadence of segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToneSpec {
    /// At least one, at most [`MAX_SEGMENTS`]; only the last may play forever.
    segments: Vec<ToneSegment>,
}

impl ToneSpec {
    /// Parses `indications.conf` syntax, e.g. `"440+480/2000,0/4000"`.
    pub fn parse(spec: &str) -> Result<ToneSpec, ToneError> {
        if spec.trim().is_empty() {
            return Err(ToneError::Empty);
        }
        let mut segments = Vec::new();
        for (i, text) in spec.split(',').enumerate() {
            if i == MAX_SEGMENTS {
                return Err(ToneError::TooManySegments);
            }
            if segments.last().is_some_and(|previous: &ToneSegment| previous.duration_ms.is_none()) {
                return Err(ToneError::Unreachable { segment: i });
            }
            segments.push(ToneSegment::parse(text, i + 1)?);
        }
        Ok(ToneSpec { segments })
    }

    /// The segments, in order.
    pub fn segments(&self) -> &[ToneSegment] {
        &self.segments
    }

    /// Where the cadence starts again once played through: the first segment not marked
    /// `!`. `None` if the tone plays once and ends.
    pub fn repeat_from(&self) -> Option<usize> {
        self.segments.iter().position(|segment| !segment.once)
    }
}

impl FromStr for ToneSpec {
    type Err = ToneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ToneSpec::parse(s)
    }
}

impl fmt::Display for ToneSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{segment}")?;
        }
        Ok(())
    }
}

/// Plays a [`ToneSpec`] as 8 kHz samples, in frames of any size. Frames join seamlessly,
/// and segment boundaries fall on exactly the sample their lengths say.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    spec: ToneSpec,
    /// The segment playing.
    segment: usize,
    /// Samples played of it.
    elapsed: u64,
    /// Each frequency's oscillator phase, in turns (0 to 1).
    phases: [f64; 2],
    /// Whether a play-once tone has played through.
    finished: bool,
}

impl ToneGenerator {
    /// A generator at the start of `spec`.
    pub fn new(spec: ToneSpec) -> ToneGenerator {
        ToneGenerator { spec, segment: 0, elapsed: 0, phases: [0.0; 2], finished: false }
    }

    /// Goes back to the start of the specification, as if new; allocates nothing.
    pub fn restart(&mut self) {
        self.segment = 0;
        self.elapsed = 0;
        self.phases = [0.0; 2];
        self.finished = false;
    }

    /// Whether the tone has played through (only tones whose segments are all `!`);
    /// from then on it yields silence.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Fills `frame` with the next samples of the tone.
    pub fn fill(&mut self, frame: &mut [i16]) {
        let mut rest = frame;
        while !rest.is_empty() {
            let Some(&segment) = self.spec.segments.get(self.segment).filter(|_| !self.finished) else {
                rest.fill(0);
                return;
            };
            let left_in_segment = segment.duration_samples().map_or(u64::MAX, |length| length - self.elapsed);
            let count = usize::try_from(left_in_segment).map_or(rest.len(), |left| left.min(rest.len()));
            let (now, later) = rest.split_at_mut(count);
            for sample in now {
                *sample = self.next_sample(&segment);
            }
            self.elapsed += count as u64;
            if segment.duration_samples() == Some(self.elapsed) {
                self.next_segment();
            }
            rest = later;
        }
    }

    /// One sample of `segment`, advancing the oscillators.
    fn next_sample(&mut self, segment: &ToneSegment) -> i16 {
        let mut value = 0.0;
        for (phase, &frequency) in self.phases.iter_mut().zip(&segment.frequencies) {
            if frequency == 0 {
                continue;
            }
            value += COMPONENT_AMPLITUDE * (std::f64::consts::TAU * *phase).sin();
            *phase = (*phase + f64::from(frequency) / f64::from(SAMPLE_RATE)).fract();
        }
        // Two components at COMPONENT_AMPLITUDE stay far inside the i16 range.
        value.round() as i16
    }

    /// Moves to the next segment, looping or finishing at the end.
    fn next_segment(&mut self) {
        let previous = self.spec.segments.get(self.segment).map(|segment| segment.frequencies);
        self.segment += 1;
        self.elapsed = 0;
        if self.segment == self.spec.segments.len() {
            match self.spec.repeat_from() {
                Some(start) => self.segment = start,
                None => self.finished = true,
            }
        }
        // A tone that carries on into the next segment keeps its phase; one that starts
        // afresh starts at zero, so its onset has no step.
        if previous != self.spec.segments.get(self.segment).map(|segment| segment.frequencies) {
            self.phases = [0.0; 2];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtmf::goertzel::Goertzel;

    /// `len` samples of `spec`, generated 20 ms at a time.
    fn generate(spec: &str, len: usize) -> Vec<i16> {
        let mut generator = ToneGenerator::new(ToneSpec::parse(spec).unwrap());
        let mut audio = vec![0; len];
        for frame in audio.chunks_mut(160) {
            generator.fill(frame);
        }
        audio
    }

    /// The amplitude of `frequency` in `samples`.
    fn level(samples: &[i16], frequency: f64) -> f64 {
        let mut filter = Goertzel::new(frequency, SAMPLE_RATE);
        filter.feed(samples);
        filter.amplitude()
    }

    #[test]
    fn restart_plays_the_tone_again_from_its_start() {
        let spec = ToneSpec::parse("!440/100,!0/100").unwrap();
        let mut generator = ToneGenerator::new(spec.clone());
        let mut first = vec![0; 1600];
        generator.fill(&mut first);
        assert!(generator.is_finished());
        generator.restart();
        assert!(!generator.is_finished());
        let mut again = vec![0; 1600];
        generator.fill(&mut again);
        assert_eq!(first, again);
    }

    #[test]
    fn names_and_zones_parse_with_clear_errors() {
        assert_eq!(ToneName::parse("ring"), Ok(ToneName::Ring));
        assert_eq!(ToneName::parse("CallWaiting"), Ok(ToneName::CallWaiting));
        assert_eq!("stutter".parse(), Ok(ToneName::Stutter));
        assert_eq!(Tonezone::parse("uk"), Ok(Tonezone::Uk));
        assert_eq!(Tonezone::parse("JP"), Ok(Tonezone::Jp));
        for tone in ToneName::ALL {
            assert_eq!(ToneName::parse(&tone.to_string()), Ok(tone));
        }
        for zone in Tonezone::ALL {
            assert_eq!(Tonezone::parse(&zone.to_string()), Ok(zone));
        }

        let err = ToneName::parse("ringing").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown tone `ringing`, expected one of: ring, busy, congestion, dial, callwaiting, record, info, stutter"
        );
        let err = Tonezone::parse("xx").unwrap_err();
        assert_eq!(err.to_string(), "unknown tonezone `xx`, expected one of: us, uk, de, fr, it, nl, au, jp");
        assert!(Tonezone::parse("").is_err());
    }

    #[test]
    fn every_built_in_tone_is_a_valid_cadence() {
        for zone in Tonezone::ALL {
            for tone in ToneName::ALL {
                let spec = zone.tone(tone).unwrap_or_else(|err| panic!("{zone}/{tone}: {err}"));
                // Something audible, and a cadence that loops (or ends in a steady state).
                assert!(spec.segments().iter().any(|s| s.frequencies != [0, 0]), "{zone}/{tone}");
                assert!(spec.repeat_from().is_some(), "{zone}/{tone}");
            }
        }
        assert_eq!(Tonezone::Us.spec(ToneName::Ring), "440+480/2000,0/4000");
        assert_eq!(Tonezone::Uk.spec(ToneName::Busy), "400/375,0/375");
        assert_eq!(Tonezone::De.spec(ToneName::Dial), "425");
    }

    #[test]
    fn us_busy_is_480_and_620_hz_half_a_second_on_and_off() {
        let audio = generate(Tonezone::Us.spec(ToneName::Busy), 3 * 8000);
        for cycle in 0..3 {
            let on = &audio[cycle * 8000..cycle * 8000 + 4000];
            let off = &audio[cycle * 8000 + 4000..(cycle + 1) * 8000];
            for frequency in [480.0, 620.0] {
                let amplitude = level(on, frequency);
                assert!((amplitude - COMPONENT_AMPLITUDE).abs() < 50.0, "{frequency} Hz: {amplitude}");
            }
            for frequency in [350.0, 440.0, 1000.0] {
                assert!(level(on, frequency) < 50.0, "{frequency} Hz");
            }
            assert!(off.iter().all(|&s| s == 0), "cycle {cycle}");
            // The tone is present right up to its last sample.
            assert!(level(&on[4000 - 102..], 480.0) > COMPONENT_AMPLITUDE / 2.0);
        }
        // Every cycle is the same to the sample.
        assert_eq!(audio[..8000], audio[8000..16000]);
    }

    #[test]
    fn cadences_are_exact_to_the_sample_across_frames() {
        // 37 ms on and 13 ms off do not line up with 20 ms frames.
        let audio = generate("440/37,0/13", 8000);
        for (n, &sample) in audio.iter().enumerate() {
            let t = n % 400;
            let expected = if t < 296 {
                (COMPONENT_AMPLITUDE * (std::f64::consts::TAU * 440.0 * t as f64 / 8000.0).sin()).round()
            } else {
                0.0
            };
            assert!((f64::from(sample) - expected).abs() <= 1.0, "sample {n}: {sample} vs {expected}");
        }
    }

    #[test]
    fn frame_size_does_not_change_the_waveform() {
        let spec = ToneSpec::parse("350+440/1003,0/17,!440/5").unwrap();
        let mut whole = vec![0; 20_000];
        ToneGenerator::new(spec.clone()).fill(&mut whole);
        for frame_len in [1, 7, 160, 333, 4096] {
            let mut generator = ToneGenerator::new(spec.clone());
            let mut pieces = vec![0; whole.len()];
            for frame in pieces.chunks_mut(frame_len) {
                generator.fill(frame);
            }
            assert_eq!(pieces, whole, "frames of {frame_len}");
        }
    }

    #[test]
    fn play_once_segments_lead_into_the_loop() {
        // A 100 ms beep once, then 50 ms of 350 Hz and 100 ms of silence, looping.
        let audio = generate("!1000/100,350/50,0/100", 800 + 3 * 1200);
        assert!(level(&audio[..800], 1000.0) > 5000.0);
        for cycle in 0..3 {
            let start = 800 + cycle * 1200;
            assert!(level(&audio[start..start + 400], 350.0) > 5000.0, "cycle {cycle}");
            assert!(level(&audio[start..start + 400], 1000.0) < 200.0, "cycle {cycle}");
            assert!(audio[start + 400..start + 1200].iter().all(|&s| s == 0), "cycle {cycle}");
        }
    }

    #[test]
    fn a_play_once_tone_ends_in_silence() {
        let mut generator = ToneGenerator::new(ToneSpec::parse("!440/30,!0/10,!620/10").unwrap());
        let mut frame = [0i16; 160];
        generator.fill(&mut frame);
        assert!(!generator.is_finished());
        assert!(frame.iter().any(|&s| s != 0));
        // 30 + 10 + 10 ms = 400 samples, done within the third frame.
        generator.fill(&mut frame);
        assert!(!generator.is_finished());
        generator.fill(&mut frame);
        assert!(generator.is_finished());
        assert!(frame[80..].iter().all(|&s| s == 0));
        generator.fill(&mut frame);
        assert!(frame.iter().all(|&s| s == 0));
    }

    #[test]
    fn a_steady_tone_never_ends() {
        let audio = generate("350+440", 80_000);
        assert!(level(&audio[72_000..], 350.0) > 5000.0);
        assert!(level(&audio[72_000..], 440.0) > 5000.0);
    }

    #[test]
    fn specifications_parse_like_asterisk() {
        let spec = ToneSpec::parse(" !350 + 440 / 100 , 0/100,440").unwrap();
        assert_eq!(
            spec.segments(),
            [
                ToneSegment { frequencies: [350, 440], duration_ms: Some(100), once: true },
                ToneSegment { frequencies: [0, 0], duration_ms: Some(100), once: false },
                ToneSegment { frequencies: [440, 0], duration_ms: None, once: false },
            ]
        );
        assert_eq!(spec.repeat_from(), Some(1));
        assert_eq!(spec.to_string(), "!350+440/100,0/100,440");
        // A length of 0 is forever, as in Asterisk.
        assert_eq!(ToneSpec::parse("425/0").unwrap().segments()[0].duration_ms, None);
        assert_eq!(ToneSpec::parse("!1400/500").unwrap().repeat_from(), None);
        for zone in Tonezone::ALL {
            for tone in ToneName::ALL {
                assert_eq!(zone.tone(tone).unwrap().to_string(), zone.spec(tone).replace(' ', ""));
            }
        }
    }

    #[test]
    fn malformed_specifications_are_refused_with_their_place() {
        let cases = [
            ("", ToneError::Empty),
            ("  ", ToneError::Empty),
            ("440/100,,0", ToneError::EmptySegment { segment: 2 }),
            ("440/100,", ToneError::EmptySegment { segment: 2 }),
            ("!", ToneError::EmptySegment { segment: 1 }),
            ("440*20/100", ToneError::Unsupported { segment: 1, feature: "modulated tones (`*`)" }),
            ("0/100,M60/100", ToneError::Unsupported { segment: 2, feature: "MIDI notes (`M`)" }),
            ("abc", ToneError::BadFrequency { segment: 1, text: "abc".into() }),
            ("440+", ToneError::BadFrequency { segment: 1, text: "".into() }),
            ("-440", ToneError::BadFrequency { segment: 1, text: "-440".into() }),
            ("440.5/100", ToneError::BadFrequency { segment: 1, text: "440.5".into() }),
            ("440+480+620", ToneError::TooManyFrequencies { segment: 1 }),
            ("4000", ToneError::FrequencyTooHigh { segment: 1, frequency: 4000 }),
            ("99999999", ToneError::FrequencyTooHigh { segment: 1, frequency: 99_999_999 }),
            ("440/abc", ToneError::BadDuration { segment: 1, text: "abc".into() }),
            ("440/", ToneError::BadDuration { segment: 1, text: "".into() }),
            ("440/-5", ToneError::BadDuration { segment: 1, text: "-5".into() }),
            ("440/100/100", ToneError::BadDuration { segment: 1, text: "100/100".into() }),
            ("440,0/100", ToneError::Unreachable { segment: 1 }),
        ];
        for (spec, expected) in cases {
            assert_eq!(ToneSpec::parse(spec), Err(expected), "{spec:?}");
        }
        let long = vec!["440/10"; MAX_SEGMENTS + 1].join(",");
        assert_eq!(ToneSpec::parse(&long), Err(ToneError::TooManySegments));
        assert!(ToneSpec::parse(&vec!["440/10"; MAX_SEGMENTS].join(",")).is_ok());
        assert_eq!(
            ToneSpec::parse("440*20").unwrap_err().to_string(),
            "tone segment 1: modulated tones (`*`) are not supported"
        );
    }
}
