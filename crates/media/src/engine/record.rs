//! Recording what a channel hears from its peer (ARI `record`): the options, and the
//! recorder the media clock feeds one frame per tick, which decides when to stop
//! (maximum duration, trailing silence, a terminating DTMF digit).
//!
//! File work is split by cost. Opening the file (directories, `ifExists`) happens before
//! the recorder reaches the clock, in `spawn_blocking`; the per-tick writes are 320 bytes
//! into a buffered writer, flushed every few hundred milliseconds, cheap enough for the
//! clock; finalising (the WAV header, a cancelled recording's deletion) goes back to
//! `spawn_blocking` through [`Finishing`].

use std::fmt;
use std::fs;
use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

use super::{ChannelId, MediaEvent};
use crate::dtmf::Digit;
use crate::mixer::AudioFrame;
use crate::sound::recording::{IfExists, RecordingError, RecordingWriter};
use crate::tones::{ToneGenerator, ToneSpec};

/// The beep played before recording starts: 1 kHz for a quarter second, as Asterisk's.
const BEEP: &str = "!1000/250";

/// The only format recordings are written in.
pub const RECORDING_FORMAT: &str = "wav";

/// The length of one frame.
const FRAME: Duration = Duration::from_millis(20);

/// Which DTMF digits end a recording (ARI `terminateOn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TerminateOn {
    /// No digit does.
    #[default]
    None,
    /// Any digit does.
    Any,
    /// `*` does.
    Star,
    /// `#` does.
    Hash,
}

/// Why a `terminateOn` value was not understood.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("terminateOn must be none, any, * or #, not {0:?}")]
pub struct BadTerminateOn(pub String);

impl FromStr for TerminateOn {
    type Err = BadTerminateOn;

    fn from_str(value: &str) -> Result<Self, BadTerminateOn> {
        match value {
            "none" => Ok(Self::None),
            "any" => Ok(Self::Any),
            "*" => Ok(Self::Star),
            "#" => Ok(Self::Hash),
            other => Err(BadTerminateOn(other.to_owned())),
        }
    }
}

impl TerminateOn {
    /// Whether `digit` ends the recording.
    pub fn matches(self, digit: Digit) -> bool {
        match self {
            Self::None => false,
            Self::Any => true,
            Self::Star => digit.as_char() == '*',
            Self::Hash => digit.as_char() == '#',
        }
    }
}

/// What a `record` request asks for (ARI's parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOptions {
    /// The recording's name in the recordings directory, without extension.
    pub name: String,
    /// The file format; only `wav` is written.
    pub format: String,
    /// Stop after this long; `None` for no limit.
    pub max_duration: Option<Duration>,
    /// Stop after this much trailing silence; `None` for no limit.
    pub max_silence: Option<Duration>,
    /// Which digits stop it.
    pub terminate_on: TerminateOn,
    /// Play a beep to the peer before recording.
    pub beep: bool,
    /// What to do when a recording of that name exists.
    pub if_exists: IfExists,
    /// Which audio of the channel is recorded.
    pub source: RecordSource,
}

/// Which audio of a channel a recording takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordSource {
    /// What the peer says (ARI's channel recording).
    #[default]
    Heard,
    /// What the channel sends: for a channel in a bridge, the mix of the others (how a
    /// bridge is recorded, as Asterisk's recorder channel does).
    Sent,
}

impl RecordOptions {
    /// ARI's defaults for recording `name`: WAV, no limits, no terminating digit, no
    /// beep, fail if it exists.
    pub fn new(name: impl Into<String>) -> RecordOptions {
        RecordOptions {
            name: name.into(),
            format: RECORDING_FORMAT.to_owned(),
            max_duration: None,
            max_silence: None,
            terminate_on: TerminateOn::None,
            beep: false,
            if_exists: IfExists::Fail,
            source: RecordSource::Heard,
        }
    }
}

/// Why a recording ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordingEnd {
    /// Stopped on request, and kept.
    Stopped,
    /// Stopped on request, and deleted.
    Canceled,
    /// It reached its maximum duration.
    MaxDuration,
    /// Its trailing silence reached the maximum.
    MaxSilence,
    /// The peer pressed this terminating digit.
    Dtmf(char),
    /// The channel closed.
    Hangup,
}

impl fmt::Display for RecordingEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stopped => f.write_str("stopped"),
            Self::Canceled => f.write_str("canceled"),
            Self::MaxDuration => f.write_str("max duration"),
            Self::MaxSilence => f.write_str("max silence"),
            Self::Dtmf(digit) => write!(f, "DTMF {digit}"),
            Self::Hangup => f.write_str("hangup"),
        }
    }
}

/// What a recorder did with a frame.
#[derive(Debug)]
pub(crate) enum RecordStep {
    /// Still beeping, or paused: nothing written.
    Beeping,
    /// Written; `first` for the first frame, when the recording has started.
    Written {
        /// Whether this was the first frame.
        first: bool,
    },
    /// Written, and that was the last: stop for this reason.
    Ended(RecordingEnd),
    /// The write failed; the recording is over.
    Failed(RecordingError),
}

/// A recording in progress on one channel.
#[derive(Debug)]
pub(crate) struct Recorder {
    name: String,
    writer: RecordingWriter,
    /// The beep still to play, if any.
    beep: Option<ToneGenerator>,
    max_duration: Option<Duration>,
    max_silence: Option<Duration>,
    terminate_on: TerminateOn,
    source: RecordSource,
    /// Frames written by this recording (an appended-to file's earlier audio excluded).
    frames: u32,
    /// Paused: nothing is written, and the time does not count (ARI's `pause`).
    paused: bool,
    /// Muted: silence is written instead of the input (ARI's `mute`).
    muted: bool,
}

/// What an application asks of a recording in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingControl {
    /// Stop writing until unpaused.
    Pause,
    /// Write again.
    Unpause,
    /// Write silence until unmuted.
    Mute,
    /// Write the input again.
    Unmute,
}

impl Recorder {
    /// A recorder writing to `writer` as `options` say.
    pub(crate) fn new(options: &RecordOptions, writer: RecordingWriter) -> Recorder {
        // The beep is a constant that parses (a test checks).
        let beep = options.beep.then(|| ToneSpec::parse(BEEP).ok().map(ToneGenerator::new)).flatten();
        Recorder {
            name: options.name.clone(),
            writer,
            beep,
            max_duration: options.max_duration.filter(|limit| !limit.is_zero()),
            max_silence: options.max_silence.filter(|limit| !limit.is_zero()),
            terminate_on: options.terminate_on,
            source: options.source,
            frames: 0,
            paused: false,
            muted: false,
        }
    }

    /// Pauses, mutes, or undoes either.
    pub(crate) fn control(&mut self, control: RecordingControl) {
        match control {
            RecordingControl::Pause => self.paused = true,
            RecordingControl::Unpause => self.paused = false,
            RecordingControl::Mute => self.muted = true,
            RecordingControl::Unmute => self.muted = false,
        }
    }

    /// The recording's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Which audio it records.
    pub(crate) fn source(&self) -> RecordSource {
        self.source
    }

    /// Fills `frame` with the next 20 ms of the beep; false once the beep is over (or
    /// there was none), when recording proper starts.
    pub(crate) fn beep(&mut self, frame: &mut AudioFrame) -> bool {
        let Some(beep) = self.beep.as_mut() else { return false };
        beep.fill(frame);
        if beep.is_finished() {
            self.beep = None;
        }
        true
    }

    /// Records one frame of the channel's input.
    pub(crate) fn write(&mut self, frame: &[i16]) -> RecordStep {
        if self.beep.is_some() || self.paused {
            return RecordStep::Beeping;
        }
        let silence = [0; crate::FRAME_SAMPLES];
        let frame = if self.muted && frame.len() == silence.len() { &silence[..] } else { frame };
        if let Err(error) = self.writer.write(frame) {
            return RecordStep::Failed(error);
        }
        self.frames = self.frames.saturating_add(1);
        if self.max_duration.is_some_and(|limit| self.duration() >= limit) {
            RecordStep::Ended(RecordingEnd::MaxDuration)
        } else if self.max_silence.is_some_and(|limit| self.writer.trailing_silence() >= limit) {
            RecordStep::Ended(RecordingEnd::MaxSilence)
        } else {
            RecordStep::Written { first: self.frames == 1 }
        }
    }

    /// Whether `digit` from the peer ends the recording (not while the beep plays).
    pub(crate) fn on_digit(&self, digit: Digit) -> Option<RecordingEnd> {
        (self.beep.is_none() && self.terminate_on.matches(digit)).then(|| RecordingEnd::Dtmf(digit.as_char()))
    }

    /// How long this recording has run.
    pub(crate) fn duration(&self) -> Duration {
        FRAME * self.frames
    }

    /// The recording's end, ready to be completed off the clock.
    pub(crate) fn finish(self, channel: ChannelId, cause: RecordingEnd) -> Finishing {
        Finishing { channel, duration: self.duration(), name: self.name, writer: self.writer, cause, failure: None }
    }

    /// The recording's end after `error`: what was written is completed as far as it
    /// can be, and the failure is reported.
    pub(crate) fn fail(self, channel: ChannelId, error: RecordingError) -> Finishing {
        Finishing { failure: Some(error.to_string()), ..self.finish(channel, RecordingEnd::Stopped) }
    }
}

/// A recording that has ended, to be finalised (blocking file work) by [`Finishing::run`].
#[derive(Debug)]
pub(crate) struct Finishing {
    channel: ChannelId,
    name: String,
    writer: RecordingWriter,
    cause: RecordingEnd,
    duration: Duration,
    /// Why it failed, if it did.
    failure: Option<String>,
}

impl Finishing {
    /// Completes the WAV file (and deletes it if cancelled); blocking. Returns the event
    /// to report: finished, or failed if the file could not be completed.
    pub(crate) fn run(self) -> MediaEvent {
        let Finishing { channel, name, writer, cause, duration, failure } = self;
        let path = writer.path().to_owned();
        let result = writer.finalize().and_then(|_| match cause {
            RecordingEnd::Canceled => fs::remove_file(&path).map_err(|source| RecordingError::Io { path, source }),
            _ => Ok(()),
        });
        match (failure, result) {
            (Some(reason), _) => MediaEvent::RecordingFailed { channel, name, reason },
            (None, Ok(())) => MediaEvent::RecordingFinished { channel, name, duration, cause },
            (None, Err(error)) => MediaEvent::RecordingFailed { channel, name, reason: error.to_string() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sound::recording::RecordingStore;
    use crate::sound::ScratchDir;
    use crate::FRAME_SAMPLES;

    const LOUD: AudioFrame = [3000; FRAME_SAMPLES];
    const QUIET: AudioFrame = [0; FRAME_SAMPLES];

    fn recorder(dir: &ScratchDir, options: &RecordOptions) -> Recorder {
        let writer = RecordingStore::new(dir.path()).create(&options.name, options.if_exists).unwrap();
        Recorder::new(options, writer)
    }

    /// Writes `frame` until the recorder ends; the cause and the frames written.
    fn run_until_end(recorder: &mut Recorder, frame: &AudioFrame, limit: usize) -> (Option<RecordingEnd>, usize) {
        for written in 1..=limit {
            match recorder.write(frame) {
                RecordStep::Ended(cause) => return (Some(cause), written),
                RecordStep::Failed(error) => panic!("{error}"),
                RecordStep::Beeping | RecordStep::Written { .. } => {}
            }
        }
        (None, limit)
    }

    #[test]
    fn max_duration_stops_after_exactly_that_many_frames() {
        let dir = ScratchDir::new("rec-duration");
        let options = RecordOptions { max_duration: Some(Duration::from_secs(1)), ..RecordOptions::new("d") };
        let mut recorder = recorder(&dir, &options);
        assert!(matches!(recorder.write(&LOUD), RecordStep::Written { first: true }));
        assert!(matches!(recorder.write(&LOUD), RecordStep::Written { first: false }));
        assert_eq!(run_until_end(&mut recorder, &LOUD, 1000), (Some(RecordingEnd::MaxDuration), 48));
        let event = recorder.finish(ChannelId(1), RecordingEnd::MaxDuration).run();
        assert!(matches!(event, MediaEvent::RecordingFinished { duration, .. } if duration == Duration::from_secs(1)));
        let reader = hound::WavReader::open(dir.path().join("d.wav")).unwrap();
        assert_eq!(reader.duration(), 8000);
    }

    #[test]
    fn max_silence_counts_trailing_silence_only() {
        let dir = ScratchDir::new("rec-silence");
        let options = RecordOptions { max_silence: Some(Duration::from_millis(500)), ..RecordOptions::new("s") };
        let mut recorder = recorder(&dir, &options);
        // Silence, then speech resets the count, then 25 silent frames (500 ms) end it.
        assert_eq!(run_until_end(&mut recorder, &QUIET, 20), (None, 20));
        assert_eq!(run_until_end(&mut recorder, &LOUD, 100), (None, 100));
        assert_eq!(run_until_end(&mut recorder, &QUIET, 1000), (Some(RecordingEnd::MaxSilence), 25));
        assert_eq!(recorder.duration(), Duration::from_millis(2900));
    }

    #[test]
    fn zero_limits_mean_none() {
        let dir = ScratchDir::new("rec-zero");
        let options = RecordOptions {
            max_duration: Some(Duration::ZERO),
            max_silence: Some(Duration::ZERO),
            ..RecordOptions::new("z")
        };
        let mut recorder = recorder(&dir, &options);
        assert_eq!(run_until_end(&mut recorder, &QUIET, 300), (None, 300));
    }

    #[test]
    fn terminating_digits() {
        let dir = ScratchDir::new("rec-dtmf");
        let digit = |c| Digit::from_char(c).unwrap();
        let options = RecordOptions { terminate_on: TerminateOn::Hash, ..RecordOptions::new("t") };
        let recorder = recorder(&dir, &options);
        assert_eq!(recorder.on_digit(digit('1')), None);
        assert_eq!(recorder.on_digit(digit('*')), None);
        assert_eq!(recorder.on_digit(digit('#')), Some(RecordingEnd::Dtmf('#')));
        assert!(TerminateOn::Any.matches(digit('5')));
        assert!(!TerminateOn::None.matches(digit('#')));
        assert!(TerminateOn::Star.matches(digit('*')));
        assert_eq!("*".parse(), Ok(TerminateOn::Star));
        assert_eq!("any".parse(), Ok(TerminateOn::Any));
        assert!("x".parse::<TerminateOn>().is_err());
    }

    #[test]
    fn the_beep_plays_first_and_digits_wait_for_it() {
        let dir = ScratchDir::new("rec-beep");
        let options = RecordOptions { beep: true, terminate_on: TerminateOn::Any, ..RecordOptions::new("b") };
        let mut recorder = recorder(&dir, &options);
        let mut beeped = 0;
        let mut frame = QUIET;
        assert_eq!(recorder.on_digit(Digit::from_char('1').unwrap()), None);
        assert!(matches!(recorder.write(&LOUD), RecordStep::Beeping));
        while recorder.beep(&mut frame) {
            beeped += 1;
            assert!(beeped < 100);
        }
        assert_eq!(beeped, 13, "250 ms rounds up to 13 frames");
        assert!(matches!(recorder.write(&LOUD), RecordStep::Written { first: true }));
        assert!(recorder.on_digit(Digit::from_char('1').unwrap()).is_some());
    }

    #[test]
    fn a_cancelled_recording_is_deleted() {
        let dir = ScratchDir::new("rec-cancel");
        let mut recorder = recorder(&dir, &RecordOptions::new("c"));
        recorder.write(&LOUD);
        let event = recorder.finish(ChannelId(3), RecordingEnd::Canceled).run();
        assert!(matches!(event, MediaEvent::RecordingFinished { cause: RecordingEnd::Canceled, .. }));
        assert!(!dir.path().join("c.wav").exists());
    }

    #[test]
    fn paused_time_is_left_out_and_muted_time_is_silence() {
        let dir = ScratchDir::new("rec-pause");
        let mut recorder = recorder(&dir, &RecordOptions::new("p"));
        let write = |recorder: &mut Recorder, frames: usize| {
            for _ in 0..frames {
                assert!(!matches!(recorder.write(&LOUD), RecordStep::Ended(_) | RecordStep::Failed(_)));
            }
        };
        write(&mut recorder, 5);
        recorder.control(RecordingControl::Pause);
        write(&mut recorder, 7);
        recorder.control(RecordingControl::Unpause);
        recorder.control(RecordingControl::Mute);
        write(&mut recorder, 5);
        recorder.control(RecordingControl::Unmute);
        write(&mut recorder, 1);
        assert_eq!(recorder.duration(), FRAME * 11, "the paused frames do not count");
        let event = recorder.finish(ChannelId(3), RecordingEnd::Stopped).run();
        assert!(matches!(event, MediaEvent::RecordingFinished { .. }), "{event:?}");
        let file = crate::sound::library::SoundFile {
            path: dir.path().join("p.wav"),
            format: crate::sound::library::SoundFormat::Wav,
        };
        let samples = file.read().expect("wav");
        assert_eq!(samples.len(), 11 * FRAME_SAMPLES);
        assert!(samples[..5 * FRAME_SAMPLES].iter().all(|s| *s == 3000), "loud first");
        assert!(samples[5 * FRAME_SAMPLES..10 * FRAME_SAMPLES].iter().all(|s| *s == 0), "silence while muted");
        assert!(samples[10 * FRAME_SAMPLES..].iter().all(|s| *s == 3000), "loud again");
    }
}
