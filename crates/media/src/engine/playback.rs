//! One `play` request as the media clock plays it, sans-IO: a playlist of sources already
//! in memory (decoded prompts and recordings, tone generators), turned into 20 ms frames,
//! and steered by the ARI controls: pause, unpause, restart, reverse and forward; and the
//! queue of them a channel or a bridge (the announcer) plays one after the other.
//!
//! Nothing here reads a file: URIs are resolved beforehand, off the clock (see
//! `prompts`), so producing a frame is a copy or a tone computation, never a wait.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use super::{BridgeId, ChannelId, MediaEvent};
use crate::mixer::AudioFrame;
use crate::tones::ToneGenerator;
use crate::{FRAME_SAMPLES, SAMPLE_RATE};

/// How far [`PlaybackControl::Reverse`] and [`PlaybackControl::Forward`] skip: ARI's
/// default `skipms`.
pub const SKIP: Duration = Duration::from_secs(3);

/// [`SKIP`] in samples.
const SKIP_SAMPLES: usize = SAMPLE_RATE as usize * 3;

/// How many playbacks may wait behind the current one.
const MAX_QUEUED_PLAYBACKS: usize = 64;

/// The controls of a playing playback (ARI `POST /playbacks/{id}/control`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlaybackControl {
    /// Hold the playback where it is; the channel hears silence meanwhile.
    Pause,
    /// Carry on from where it was paused.
    Unpause,
    /// Go back to the start of the current media.
    Restart,
    /// Go back [`SKIP`], not before the start of the current media.
    Reverse,
    /// Go forward [`SKIP`], on to the next media if the current one ends within it.
    Forward,
}

/// Why an operation name was not understood.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("playback operation must be pause, unpause, restart, reverse or forward, not {0:?}")]
pub struct BadPlaybackControl(pub String);

impl FromStr for PlaybackControl {
    type Err = BadPlaybackControl;

    fn from_str(operation: &str) -> Result<Self, BadPlaybackControl> {
        match operation {
            "pause" => Ok(Self::Pause),
            "unpause" => Ok(Self::Unpause),
            "restart" => Ok(Self::Restart),
            "reverse" => Ok(Self::Reverse),
            "forward" => Ok(Self::Forward),
            other => Err(BadPlaybackControl(other.to_owned())),
        }
    }
}

/// One media of a playlist, ready to play.
#[derive(Clone)]
pub(crate) enum Source {
    /// 8 kHz samples: a prompt, a spoken number, a recording. Shared with the prompt cache.
    Samples(Arc<[i16]>),
    /// A tone, which may play for ever.
    Tone(ToneGenerator),
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Samples(samples) => write!(f, "Samples({} samples)", samples.len()),
            Self::Tone(_) => f.write_str("Tone"),
        }
    }
}

/// A playlist being played, by its ARI playback id.
#[derive(Debug)]
pub(crate) struct Playback {
    /// The id events carry.
    id: String,
    /// The media, in order.
    sources: Vec<Source>,
    /// The media playing; `sources.len()` once finished.
    index: usize,
    /// Samples of the current media played (for [`Source::Samples`]).
    position: usize,
    /// Held by [`PlaybackControl::Pause`].
    paused: bool,
}

impl Playback {
    /// A playback of `sources`, from the start.
    pub(crate) fn new(id: impl Into<String>, sources: Vec<Source>) -> Playback {
        let mut playback = Playback { id: id.into(), sources, index: 0, position: 0, paused: false };
        playback.enter();
        playback
    }

    /// Whether every media has played to its end.
    pub(crate) fn is_finished(&self) -> bool {
        self.index >= self.sources.len()
    }

    /// Whether it is paused.
    #[cfg(test)]
    pub(crate) fn is_paused(&self) -> bool {
        self.paused
    }

    /// Applies a control; a finished playback ignores them.
    pub(crate) fn control(&mut self, control: PlaybackControl) {
        match control {
            PlaybackControl::Pause => self.paused = true,
            PlaybackControl::Unpause => self.paused = false,
            PlaybackControl::Restart => self.enter(),
            PlaybackControl::Reverse => self.position = self.position.saturating_sub(SKIP_SAMPLES),
            PlaybackControl::Forward => {
                // Tones have no timeline to skip along.
                if let Some(Source::Samples(samples)) = self.sources.get(self.index) {
                    self.position += SKIP_SAMPLES;
                    if self.position >= samples.len() {
                        self.next_source();
                    }
                }
            }
        }
    }

    /// Fills `frame` with the next 20 ms: silence while paused or once finished. Media
    /// follow each other within a frame, without a gap.
    pub(crate) fn next_frame(&mut self, frame: &mut AudioFrame) {
        if self.paused {
            frame.fill(0);
            return;
        }
        let mut filled = 0;
        while filled < FRAME_SAMPLES {
            match self.sources.get_mut(self.index) {
                None => {
                    frame[filled..].fill(0);
                    return;
                }
                Some(Source::Samples(samples)) => {
                    let available = &samples[self.position.min(samples.len())..];
                    let count = available.len().min(FRAME_SAMPLES - filled);
                    frame[filled..filled + count].copy_from_slice(&available[..count]);
                    filled += count;
                    self.position += count;
                    if self.position >= samples.len() {
                        self.next_source();
                    }
                }
                Some(Source::Tone(generator)) => {
                    generator.fill(&mut frame[filled..]);
                    filled = FRAME_SAMPLES;
                    if generator.is_finished() {
                        self.next_source();
                    }
                }
            }
        }
    }

    /// Moves on to the next media.
    fn next_source(&mut self) {
        self.index += 1;
        self.enter();
    }

    /// Starts the current media from its beginning.
    fn enter(&mut self) {
        self.position = 0;
        if let Some(Source::Tone(generator)) = self.sources.get_mut(self.index) {
            generator.restart();
        }
    }
}

/// Who plays a queue, as its events name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Player {
    /// A channel, to its peer.
    Channel(ChannelId),
    /// A bridge's announcer, to every member.
    Bridge(BridgeId),
}

impl Player {
    /// The event for `playback` starting.
    fn started(self, playback: String) -> MediaEvent {
        match self {
            Player::Channel(channel) => MediaEvent::PlaybackStarted { channel, playback },
            Player::Bridge(bridge) => MediaEvent::BridgePlaybackStarted { bridge, playback },
        }
    }

    /// The event for `playback` finishing.
    fn finished(self, playback: String) -> MediaEvent {
        match self {
            Player::Channel(channel) => MediaEvent::PlaybackFinished { channel, playback },
            Player::Bridge(bridge) => MediaEvent::BridgePlaybackFinished { bridge, playback },
        }
    }
}

/// The playback playing and those waiting behind it, for one player. Events for the
/// player's owner are appended to the `events` each call is given.
#[derive(Debug)]
pub(crate) struct PlaybackQueue {
    player: Player,
    playing: Option<Playback>,
    queued: VecDeque<Playback>,
}

impl PlaybackQueue {
    /// Nothing playing, for `player`.
    pub(crate) fn new(player: Player) -> PlaybackQueue {
        PlaybackQueue { player, playing: None, queued: VecDeque::new() }
    }

    /// Whether a playback is playing (perhaps paused).
    pub(crate) fn is_playing(&self) -> bool {
        self.playing.is_some()
    }

    /// Starts `playback`, or queues it behind the current one; a full queue refuses it,
    /// which its owner hears as a playback finished without starting.
    pub(crate) fn push(&mut self, playback: Playback, events: &mut Vec<MediaEvent>) {
        if self.playing.is_none() {
            events.push(self.player.started(playback.id.clone()));
            self.playing = Some(playback);
        } else if self.queued.len() < MAX_QUEUED_PLAYBACKS {
            self.queued.push_back(playback);
        } else {
            events.push(self.player.finished(playback.id));
        }
    }

    /// Controls playback `id`, if it is the one playing.
    pub(crate) fn control(&mut self, id: &str, control: PlaybackControl) {
        if let Some(playing) = self.playing.as_mut().filter(|playing| playing.id == id) {
            playing.control(control);
        }
    }

    /// Stops playback `id`, playing or queued.
    pub(crate) fn stop(&mut self, id: String, events: &mut Vec<MediaEvent>) {
        if self.playing.as_ref().is_some_and(|playing| playing.id == id) {
            self.finish(events);
        } else if let Some(index) = self.queued.iter().position(|queued| queued.id == id) {
            self.queued.remove(index);
            events.push(self.player.finished(id));
        }
    }

    /// Fills `frame` with the playing playback's next 20 ms, moving on to the next one
    /// when it ends; whether anything was playing (else `frame` is untouched).
    pub(crate) fn next_frame(&mut self, frame: &mut AudioFrame, events: &mut Vec<MediaEvent>) -> bool {
        let Some(playing) = self.playing.as_mut() else { return false };
        playing.next_frame(frame);
        if playing.is_finished() {
            self.finish(events);
        }
        true
    }

    /// Ends the playing playback and forgets the queued ones, as the player goes away.
    pub(crate) fn close(&mut self, events: &mut Vec<MediaEvent>) {
        if let Some(playing) = self.playing.take() {
            events.push(self.player.finished(playing.id));
        }
        self.queued.clear();
    }

    /// Reports the playing playback finished and starts the next queued one.
    fn finish(&mut self, events: &mut Vec<MediaEvent>) {
        if let Some(playing) = self.playing.take() {
            events.push(self.player.finished(playing.id));
        }
        if let Some(next) = self.queued.pop_front() {
            events.push(self.player.started(next.id.clone()));
            self.playing = Some(next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tones::ToneSpec;

    /// A sample source counting up from `start`, so positions can be read back from frames.
    fn ramp(start: i16, len: usize) -> Source {
        Source::Samples((0..len).map(|i| start.wrapping_add(i as i16)).collect())
    }

    fn frames(playback: &mut Playback, count: usize) -> Vec<AudioFrame> {
        (0..count)
            .map(|_| {
                let mut frame = [1; FRAME_SAMPLES];
                playback.next_frame(&mut frame);
                frame
            })
            .collect()
    }

    /// Frames until finished, at most `limit`.
    fn frames_until_finished(playback: &mut Playback, limit: usize) -> usize {
        let mut count = 0;
        while !playback.is_finished() && count < limit {
            playback.next_frame(&mut [0; FRAME_SAMPLES]);
            count += 1;
        }
        count
    }

    #[test]
    fn one_second_is_fifty_frames_and_then_finished() {
        let mut playback = Playback::new("p", vec![ramp(0, 8000)]);
        assert_eq!(frames_until_finished(&mut playback, 1000), 50);
        assert_eq!(frames(&mut playback, 1)[0], [0; FRAME_SAMPLES]);
    }

    #[test]
    fn media_follow_each_other_without_a_gap() {
        let mut playback = Playback::new("p", vec![ramp(0, 100), ramp(100, 100)]);
        let frame = frames(&mut playback, 1)[0];
        assert_eq!(
            frame[..FRAME_SAMPLES].iter().map(|&s| i32::from(s)).collect::<Vec<_>>(),
            (0..160).collect::<Vec<_>>()
        );
        let tail = frames(&mut playback, 1)[0];
        assert_eq!(&tail[..40], &(160..200).collect::<Vec<i16>>()[..]);
        assert_eq!(&tail[40..], &[0; 120][..]);
        assert!(playback.is_finished());
    }

    #[test]
    fn an_empty_playlist_is_finished_at_once() {
        assert!(Playback::new("p", Vec::new()).is_finished());
        let mut playback = Playback::new("p", vec![Source::Samples(Arc::from(Vec::new()))]);
        playback.next_frame(&mut [0; FRAME_SAMPLES]);
        assert!(playback.is_finished());
    }

    #[test]
    fn pause_holds_the_position_and_plays_silence() {
        let mut playback = Playback::new("p", vec![ramp(0, 8000)]);
        frames(&mut playback, 10);
        playback.control(PlaybackControl::Pause);
        assert!(playback.is_paused());
        assert!(frames(&mut playback, 100).iter().all(|frame| frame == &[0; FRAME_SAMPLES]));
        assert!(!playback.is_finished());
        playback.control(PlaybackControl::Unpause);
        assert_eq!(frames(&mut playback, 1)[0][0], 1600);
        assert_eq!(frames_until_finished(&mut playback, 1000), 39);
    }

    #[test]
    fn reverse_and_forward_skip_three_seconds_within_the_media() {
        let mut playback = Playback::new("p", vec![ramp(0, 8000 * 10), ramp(-1, 8000)]);
        frames(&mut playback, 200); // 4 s in.
        playback.control(PlaybackControl::Reverse);
        assert_eq!(frames(&mut playback, 1)[0][0], 8000i32 as i16);
        playback.control(PlaybackControl::Reverse);
        assert_eq!(frames(&mut playback, 1)[0][0], 0, "not before the start");
        playback.control(PlaybackControl::Forward);
        playback.control(PlaybackControl::Forward);
        assert_eq!(frames(&mut playback, 1)[0][0], (48_160i32) as i16);
        // 6.04 s + 3 s + 3 s is past the end: on to the next media.
        playback.control(PlaybackControl::Forward);
        playback.control(PlaybackControl::Forward);
        assert_eq!(frames(&mut playback, 1)[0][0], -1);
        assert_eq!(frames_until_finished(&mut playback, 1000), 49);
    }

    #[test]
    fn restart_goes_back_to_the_start_of_the_current_media() {
        let mut playback = Playback::new("p", vec![ramp(0, 800), ramp(1000, 8000)]);
        frames(&mut playback, 10);
        playback.control(PlaybackControl::Restart);
        assert_eq!(frames(&mut playback, 1)[0][0], 1000);
        assert_eq!(frames_until_finished(&mut playback, 1000), 49);
        playback.control(PlaybackControl::Restart);
        assert!(playback.is_finished(), "a finished playback stays finished");
    }

    #[test]
    fn tones_play_until_they_end_and_restart() {
        let beep = ToneGenerator::new(ToneSpec::parse("!1000/100").unwrap());
        let mut playback = Playback::new("p", vec![Source::Tone(beep), ramp(7, 160)]);
        let first = frames(&mut playback, 1)[0];
        assert!(first.iter().any(|&s| s != 0));
        playback.control(PlaybackControl::Forward); // no timeline: ignored
        assert_eq!(frames_until_finished(&mut playback, 100), 5);

        let ring = ToneGenerator::new(ToneSpec::parse("440/100,0/100").unwrap());
        let mut playback = Playback::new("p", vec![Source::Tone(ring)]);
        let ring_first = frames(&mut playback, 1)[0];
        assert_eq!(frames_until_finished(&mut playback, 500), 500, "a cadence plays for ever");
        playback.control(PlaybackControl::Restart);
        assert_eq!(frames(&mut playback, 1)[0], ring_first, "from the start, phase included");
    }

    #[test]
    fn controls_parse_from_ari_names() {
        assert_eq!("forward".parse(), Ok(PlaybackControl::Forward));
        assert_eq!("pause".parse(), Ok(PlaybackControl::Pause));
        assert!("stop".parse::<PlaybackControl>().is_err());
    }
}
