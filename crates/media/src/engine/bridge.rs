//! A mixing bridge as the media clock keeps it: the [`Mixer`] of its member channels.
//! Each tick every member hands in what its peer said and gets back the sum of the other
//! members; membership itself is recorded on both sides (here, and on the channel) so
//! either can be closed first.

use super::ChannelId;
use crate::mixer::{AudioFrame, Mixer};

/// One bridge's mix.
#[derive(Debug, Default)]
pub(crate) struct Bridge {
    mixer: Mixer<ChannelId>,
}

impl Bridge {
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

    /// Hands in what `channel` said this tick.
    pub(crate) fn put(&mut self, channel: ChannelId, frame: &AudioFrame) {
        // Only members are asked to put, and frames are whole: neither error can happen.
        let _ = self.mixer.put(&channel, frame);
    }

    /// Mixes this tick.
    pub(crate) fn mix(&mut self) {
        self.mixer.mix();
    }

    /// What `channel` hears, as of the last mix.
    pub(crate) fn output(&self, channel: ChannelId) -> Option<&AudioFrame> {
        self.mixer.output(&channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FRAME_SAMPLES;

    #[test]
    fn members_hear_each_other_and_leave() {
        let (a, b, c) = (ChannelId(1), ChannelId(2), ChannelId(3));
        let mut bridge = Bridge::default();
        for member in [a, b, c, a] {
            bridge.join(member);
        }
        assert_eq!(bridge.members().count(), 3);
        bridge.put(a, &[10; FRAME_SAMPLES]);
        bridge.put(b, &[100; FRAME_SAMPLES]);
        bridge.put(c, &[1000; FRAME_SAMPLES]);
        bridge.mix();
        assert_eq!(bridge.output(a).map(|frame| frame[0]), Some(1100));
        assert_eq!(bridge.output(c).map(|frame| frame[0]), Some(110));
        bridge.leave(b);
        bridge.put(a, &[10; FRAME_SAMPLES]);
        bridge.mix();
        assert_eq!(bridge.output(c).map(|frame| frame[0]), Some(10));
        assert_eq!(bridge.output(b), None);
    }
}
