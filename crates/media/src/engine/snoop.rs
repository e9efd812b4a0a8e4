//! Snooping (ARI's snoop channels): a channel with no peer of its own taps another. What
//! it hears is what it spies on: what the tapped channel's peer says (`in`), what the
//! tapped channel sends its peer (`out`), or both. What it is sent (a supervisor in its
//! bridge, a playback) is whispered: into what the tapped channel hears from its peer
//! (`in`, so its bridge hears it), into what it sends its peer (`out`), or both. The clock
//! applies every tap once a tick, between making the inputs and mixing the bridges; what
//! a channel sent is from the tick before, 20 ms late.

use std::collections::HashMap;

use super::channel::{Channel, Effects};
use super::ChannelId;
use crate::mixer::AudioFrame;
use crate::FRAME_SAMPLES;

/// Which of a channel's two directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TapDirection {
    /// Neither.
    #[default]
    None,
    /// What the channel's peer says to it.
    In,
    /// What the channel sends its peer.
    Out,
    /// Both.
    Both,
}

impl TapDirection {
    /// ARI's names: `none`, `in`, `out`, `both`.
    pub fn parse(text: &str) -> Option<TapDirection> {
        match text {
            "none" => Some(TapDirection::None),
            "in" => Some(TapDirection::In),
            "out" => Some(TapDirection::Out),
            "both" => Some(TapDirection::Both),
            _ => None,
        }
    }

    fn takes_in(self) -> bool {
        matches!(self, TapDirection::In | TapDirection::Both)
    }

    fn takes_out(self) -> bool {
        matches!(self, TapDirection::Out | TapDirection::Both)
    }
}

/// One snoop channel's tap on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tap {
    /// The channel tapped.
    pub(crate) target: ChannelId,
    /// What the snoop channel hears of it.
    pub(crate) spy: TapDirection,
    /// Where what the snoop channel is sent goes.
    pub(crate) whisper: TapDirection,
}

/// Adds `extra` into `frame`, saturating.
pub(crate) fn add_into(frame: &mut AudioFrame, extra: &AudioFrame) {
    for (sample, more) in frame.iter_mut().zip(extra) {
        *sample = sample.saturating_add(*more);
    }
}

/// What the snoop channel hears of `heard` (the target's input) and `sent` (its output).
fn spied(spy: TapDirection, heard: &AudioFrame, sent: &AudioFrame) -> AudioFrame {
    let mut frame = [0; FRAME_SAMPLES];
    if spy.takes_in() {
        add_into(&mut frame, heard);
    }
    if spy.takes_out() {
        add_into(&mut frame, sent);
    }
    frame
}

/// Applies every tap of `taps` (by snoop channel) for this tick.
pub(crate) fn apply_taps(channels: &mut HashMap<ChannelId, Channel>, taps: &HashMap<ChannelId, Tap>, fx: &mut Effects) {
    for (snoop_id, tap) in taps {
        let Some(target) = channels.get(&tap.target) else { continue };
        let (heard, sent) = (*target.core().input(), *target.core().sent());
        let Some(snoop) = channels.get_mut(snoop_id) else { continue };
        let whispered = *snoop.core().sent();
        snoop.core_mut().hear_tap(spied(tap.spy, &heard, &sent), fx);
        snoop.flush(fx);
        if let Some(target) = channels.get_mut(&tap.target) {
            if tap.whisper.takes_in() {
                target.core_mut().add_to_input(&whispered);
            }
            if tap.whisper.takes_out() {
                target.core_mut().whisper(whispered);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_pick_what_is_heard() {
        let heard = [100; FRAME_SAMPLES];
        let sent = [20; FRAME_SAMPLES];
        assert_eq!(spied(TapDirection::None, &heard, &sent), [0; FRAME_SAMPLES]);
        assert_eq!(spied(TapDirection::In, &heard, &sent), heard);
        assert_eq!(spied(TapDirection::Out, &heard, &sent), sent);
        assert_eq!(spied(TapDirection::Both, &heard, &sent), [120; FRAME_SAMPLES]);
        let loud = [i16::MAX; FRAME_SAMPLES];
        assert_eq!(spied(TapDirection::Both, &loud, &loud), loud, "saturates");
        assert_eq!(TapDirection::parse("both"), Some(TapDirection::Both));
        assert_eq!(TapDirection::parse("sideways"), None);
    }
}
