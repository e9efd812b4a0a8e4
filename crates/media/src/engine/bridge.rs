//! A bridge as the media clock keeps it: its members, and what each of them hears.
//!
//! A mixing bridge mixes (a [`Mixer`]): each member hears the sum of the others. A holding
//! bridge does not: its members hear only what the bridge plays. What the bridge plays,
//! its announcer's playbacks or else its music on hold, is made once per tick for every
//! member: over the mix in a mixing bridge, instead of it in a holding one.
//!
//! A mixing bridge of two channels may pass their packets through undecoded instead (see
//! `passthrough`): the clock decides when; the bridge keeps the pair and the packets each
//! member took in this tick, for the other.
//!
//! Membership is recorded on both sides (here, and on the channel) so either can be closed
//! first.

use tokio::sync::mpsc;

use super::clock::EngineCounters;
use super::moh::MohPlayer;
use super::passthrough::PassLane;
use super::playback::{Playback, PlaybackControl, PlaybackQueue, Player};
use super::{BridgeId, BridgeKind, ChannelId, MediaEvent};
use crate::mixer::{AudioFrame, Mixer};
use crate::FRAME_SAMPLES;

/// What a holding bridge's members hear when it plays nothing.
const SILENCE: AudioFrame = [0; FRAME_SAMPLES];

/// What the owner of a bridge can ask of it, applied by the clock at the start of a tick.
#[derive(Debug)]
pub(crate) enum BridgeCommand {
    /// Start an announcer playback, or queue it behind the current one.
    Play(Playback),
    /// Control the announcer playback with this id, if it is playing.
    ControlPlayback(String, PlaybackControl),
    /// Stop the announcer playback with this id, playing or queued.
    StopPlayback(String),
    /// Play music on hold to every member, replacing any.
    StartMoh(MohPlayer),
    /// Stop the music on hold.
    StopMoh,
}

/// One bridge; see the module documentation.
#[derive(Debug)]
pub(crate) struct Bridge {
    id: BridgeId,
    kind: BridgeKind,
    /// The members, and for a mixing bridge their mix.
    mixer: Mixer<ChannelId>,
    announcer: PlaybackQueue,
    moh: Option<MohPlayer>,
    /// What the bridge plays this tick, when `playing`.
    played: AudioFrame,
    playing: bool,
    /// The owner's event queue, if it gave one.
    owner: Option<mpsc::Sender<MediaEvent>>,
    /// Events of the step in progress, handed over after it; capacity kept.
    events: Vec<MediaEvent>,
    /// The two members passing packets to each other, while they do.
    passing: Option<[ChannelId; 2]>,
    /// What each of `passing` took in this tick, by its index there; kept between ticks.
    lanes: [PassLane; 2],
}

impl Bridge {
    /// An empty bridge of `kind`, telling `owner` about its playbacks.
    pub(crate) fn new(id: BridgeId, kind: BridgeKind, owner: Option<mpsc::Sender<MediaEvent>>) -> Bridge {
        Bridge {
            id,
            kind,
            mixer: Mixer::new(),
            announcer: PlaybackQueue::new(Player::Bridge(id)),
            moh: None,
            played: SILENCE,
            playing: false,
            owner,
            events: Vec::new(),
            passing: None,
            lanes: Default::default(),
        }
    }

    /// The bridge's id.
    pub(crate) fn id(&self) -> BridgeId {
        self.id
    }

    /// Adds a member; adding one twice changes nothing.
    pub(crate) fn join(&mut self, channel: ChannelId) {
        // AlreadyJoined is the only error: the member is there, as wanted.
        let _ = self.mixer.join(channel);
    }

    /// Removes a member, if it is one.
    pub(crate) fn leave(&mut self, channel: ChannelId) {
        self.mixer.leave(&channel);
    }

    /// The members.
    pub(crate) fn members(&self) -> impl Iterator<Item = ChannelId> + '_ {
        self.mixer.outputs().map(|(id, _)| *id)
    }

    /// The two members that may pass packets to each other, as far as the bridge is
    /// concerned: those of a mixing bridge of exactly two that plays nothing to them.
    pub(crate) fn pass_candidates(&self) -> Option<[ChannelId; 2]> {
        let playing = self.announcer.is_playing() || self.moh.is_some();
        if self.kind != BridgeKind::Mixing || playing || self.mixer.len() != 2 {
            return None;
        }
        let mut members = self.members();
        Some([members.next()?, members.next()?])
    }

    /// Records which pair passes packets through from now on (`None`: none); returns the
    /// pair that passed until now if it no longer does, so it can be told. Empties the
    /// lanes for the tick.
    pub(crate) fn set_passing(&mut self, pair: Option<[ChannelId; 2]>) -> Option<[ChannelId; 2]> {
        self.lanes.iter_mut().for_each(PassLane::clear);
        let previous = std::mem::replace(&mut self.passing, pair);
        previous.filter(|previous| Some(*previous) != pair)
    }

    /// Where to put what `channel` takes in this tick, if it passes packets through.
    pub(crate) fn lane_from(&mut self, channel: ChannelId) -> Option<&mut PassLane> {
        let index = self.passing?.iter().position(|&member| member == channel)?;
        Some(&mut self.lanes[index])
    }

    /// What `channel`'s partner took in this tick, for `channel` to send, if they pass
    /// packets through.
    pub(crate) fn lane_to(&self, channel: ChannelId) -> Option<&PassLane> {
        let index = self.passing?.iter().position(|&member| member == channel)?;
        Some(&self.lanes[1 - index])
    }

    /// Applies a command from the bridge's owner.
    pub(crate) fn apply(&mut self, command: BridgeCommand) {
        match command {
            BridgeCommand::Play(playback) => self.announcer.push(playback, &mut self.events),
            BridgeCommand::ControlPlayback(playback, control) => self.announcer.control(&playback, control),
            BridgeCommand::StopPlayback(playback) => self.announcer.stop(playback, &mut self.events),
            BridgeCommand::StartMoh(player) => self.moh = Some(player),
            BridgeCommand::StopMoh => self.moh = None,
        }
    }

    /// Hands in what `channel` said this tick; a holding bridge has no use for it.
    pub(crate) fn put(&mut self, channel: ChannelId, frame: &AudioFrame) {
        if self.kind == BridgeKind::Mixing && self.passing.is_none() {
            // Only members are asked to put, and frames are whole: neither error can happen.
            let _ = self.mixer.put(&channel, frame);
        }
    }

    /// Makes this tick's output: what the bridge plays, then the mix.
    pub(crate) fn mix(&mut self) {
        self.playing = self.announcer.next_frame(&mut self.played, &mut self.events);
        if !self.playing {
            if let Some(moh) = self.moh.as_mut() {
                moh.next_frame(&mut self.played);
                self.playing = true;
            }
        }
        // Members passing packets through make and hear no frames.
        if self.kind == BridgeKind::Mixing && self.passing.is_none() {
            self.mixer.mix_with(self.playing.then_some(&self.played));
        }
    }

    /// What `channel` hears, as of the last mix; `None` if it is not a member.
    pub(crate) fn output(&self, channel: ChannelId) -> Option<&AudioFrame> {
        let mixed = self.mixer.output(&channel)?;
        Some(match self.kind {
            BridgeKind::Mixing => mixed,
            BridgeKind::Holding if self.playing => &self.played,
            BridgeKind::Holding => &SILENCE,
        })
    }

    /// Ends the announcer's playbacks, as the bridge is destroyed.
    pub(crate) fn close(&mut self) {
        self.announcer.close(&mut self.events);
    }

    /// Hands the events of a step to the owner, if it gave a queue.
    pub(crate) fn flush(&mut self, counters: &EngineCounters) {
        match &self.owner {
            Some(owner) => counters.deliver(owner, &mut self.events),
            None => self.events.clear(),
        }
    }

    /// The events not handed over yet.
    #[cfg(test)]
    fn take_events(&mut self) -> Vec<MediaEvent> {
        std::mem::take(&mut self.events)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::playback::Source;

    const ID: BridgeId = BridgeId(9);

    fn announcement(id: &str, value: i16, frames: usize) -> Playback {
        Playback::new(id, vec![Source::Samples(Arc::from(vec![value; frames * FRAME_SAMPLES]))])
    }

    fn heard(bridge: &Bridge, channel: ChannelId) -> Option<i16> {
        bridge.output(channel).map(|frame| frame[0])
    }

    #[test]
    fn members_hear_each_other_and_leave() {
        let (a, b, c) = (ChannelId(1), ChannelId(2), ChannelId(3));
        let mut bridge = Bridge::new(ID, BridgeKind::Mixing, None);
        for member in [a, b, c, a] {
            bridge.join(member);
        }
        assert_eq!(bridge.members().count(), 3);
        bridge.put(a, &[10; FRAME_SAMPLES]);
        bridge.put(b, &[100; FRAME_SAMPLES]);
        bridge.put(c, &[1000; FRAME_SAMPLES]);
        bridge.mix();
        assert_eq!(heard(&bridge, a), Some(1100));
        assert_eq!(heard(&bridge, c), Some(110));
        bridge.leave(b);
        bridge.put(a, &[10; FRAME_SAMPLES]);
        bridge.mix();
        assert_eq!(heard(&bridge, c), Some(10));
        assert_eq!(heard(&bridge, b), None);
    }

    #[test]
    fn the_announcer_is_heard_over_the_mix_and_reports_to_the_owner() {
        let (a, b) = (ChannelId(1), ChannelId(2));
        let mut bridge = Bridge::new(ID, BridgeKind::Mixing, None);
        bridge.join(a);
        bridge.join(b);
        bridge.apply(BridgeCommand::Play(announcement("hello", 1000, 2)));
        bridge.apply(BridgeCommand::Play(announcement("again", -5, 1)));
        let mut outputs = Vec::new();
        for _ in 0..4 {
            bridge.put(a, &[10; FRAME_SAMPLES]);
            bridge.mix();
            outputs.push((heard(&bridge, a), heard(&bridge, b)));
        }
        let some = |a, b| (Some(a), Some(b));
        assert_eq!(outputs, [some(1000, 1010), some(1000, 1010), some(-5, 5), some(0, 10)]);
        let playback = |name: &str| name.to_owned();
        assert_eq!(
            bridge.take_events(),
            [
                MediaEvent::BridgePlaybackStarted { bridge: ID, playback: playback("hello") },
                MediaEvent::BridgePlaybackFinished { bridge: ID, playback: playback("hello") },
                MediaEvent::BridgePlaybackStarted { bridge: ID, playback: playback("again") },
                MediaEvent::BridgePlaybackFinished { bridge: ID, playback: playback("again") },
            ]
        );
    }

    #[test]
    fn a_holding_bridge_plays_music_or_announcements_and_never_mixes() {
        let (a, b) = (ChannelId(1), ChannelId(2));
        let mut bridge = Bridge::new(ID, BridgeKind::Holding, None);
        bridge.join(a);
        bridge.join(b);
        let talk = |bridge: &mut Bridge| {
            bridge.put(a, &[10; FRAME_SAMPLES]);
            bridge.put(b, &[20; FRAME_SAMPLES]);
            bridge.mix();
            (heard(bridge, a), heard(bridge, b))
        };
        assert_eq!(talk(&mut bridge), (Some(0), Some(0)), "silence, not each other");
        bridge.apply(BridgeCommand::StartMoh(MohPlayer::of_tracks(vec![vec![300; FRAME_SAMPLES]])));
        assert_eq!(talk(&mut bridge), (Some(300), Some(300)));
        bridge.apply(BridgeCommand::Play(announcement("news", 77, 1)));
        assert_eq!(talk(&mut bridge), (Some(77), Some(77)), "the announcer instead of the music");
        assert_eq!(talk(&mut bridge), (Some(300), Some(300)), "and the music again");
        bridge.apply(BridgeCommand::StopMoh);
        assert_eq!(talk(&mut bridge), (Some(0), Some(0)));
        assert_eq!(heard(&bridge, ChannelId(3)), None);
    }

    #[test]
    fn two_members_of_a_quiet_mixing_bridge_may_pass_through_and_swap_lanes() {
        let (a, b, c) = (ChannelId(1), ChannelId(2), ChannelId(3));
        let mut bridge = Bridge::new(ID, BridgeKind::Mixing, None);
        bridge.join(a);
        assert_eq!(bridge.pass_candidates(), None, "alone");
        bridge.join(b);
        let pair = bridge.pass_candidates().unwrap();
        assert!(pair.contains(&a) && pair.contains(&b));
        assert_eq!(bridge.set_passing(Some(pair)), None);
        let header = crate::rtp::RtpHeader { sequence: 42, ..Default::default() };
        bridge.lane_from(a).unwrap().push(header, &[1, 2]);
        assert_eq!(
            bridge.lane_to(b).unwrap().packets().map(|(h, p)| (h.sequence, p.to_vec())).next(),
            Some((42, vec![1, 2]))
        );
        assert_eq!(bridge.lane_to(a).unwrap().packets().count(), 0);
        assert!(bridge.lane_from(c).is_none());
        assert_eq!(bridge.set_passing(Some(pair)), None, "the same pair carries on");
        assert_eq!(bridge.lane_to(b).unwrap().packets().count(), 0, "lanes emptied each tick");

        bridge.apply(BridgeCommand::Play(announcement("hello", 1, 1)));
        assert_eq!(bridge.pass_candidates(), None, "the announcer needs the mix");
        bridge.mix();
        assert_eq!(bridge.pass_candidates().map(|_| ()), Some(()), "once it is over");
        bridge.join(c);
        assert_eq!(bridge.pass_candidates(), None, "three");
        assert_eq!(bridge.set_passing(None), Some(pair), "the pair to tell");
        let mut holding = Bridge::new(ID, BridgeKind::Holding, None);
        holding.join(a);
        holding.join(b);
        assert_eq!(holding.pass_candidates(), None, "a holding bridge never passes");
    }

    #[test]
    fn closing_finishes_the_announcement_and_events_reach_the_owner() {
        let (owner, mut events) = mpsc::channel(4);
        let mut bridge = Bridge::new(ID, BridgeKind::Holding, Some(owner));
        bridge.apply(BridgeCommand::Play(announcement("long", 1, 100)));
        bridge.apply(BridgeCommand::Play(announcement("queued", 1, 100)));
        bridge.close();
        let counters = EngineCounters::default();
        bridge.flush(&counters);
        let playback = |name: &str| name.to_owned();
        assert_eq!(events.try_recv(), Ok(MediaEvent::BridgePlaybackStarted { bridge: ID, playback: playback("long") }));
        assert_eq!(
            events.try_recv(),
            Ok(MediaEvent::BridgePlaybackFinished { bridge: ID, playback: playback("long") })
        );
        assert!(events.try_recv().is_err(), "the queued one never started");
    }
}
