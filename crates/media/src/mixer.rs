//! The core of a mixing bridge: every 20 ms each participant hands in a frame and gets back
//! the sum of everybody else's, so nobody hears themselves. Sans-IO and allocation-free per
//! tick: frames are fixed arrays reused from one tick to the next.

use thiserror::Error;

use crate::FRAME_SAMPLES;

/// One 20 ms frame of 8 kHz 16-bit mono audio.
pub type AudioFrame = [i16; FRAME_SAMPLES];

/// Why the mixer refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum MixerError {
    /// The participant is not in the mix.
    #[error("no such participant")]
    UnknownParticipant,
    /// The participant is already in the mix.
    #[error("participant already in the mix")]
    AlreadyJoined,
    /// A frame that is not exactly 20 ms at 8 kHz.
    #[error("a frame of {0} samples, expected 160")]
    FrameLength(usize),
}

/// One participant's side of the mix.
#[derive(Debug, Clone)]
struct Participant<Id> {
    id: Id,
    /// Their audio is not heard by the others.
    mute_in: bool,
    /// They hear nothing.
    mute_out: bool,
    /// What they said this tick, if anything.
    input: AudioFrame,
    has_input: bool,
    /// What they hear from the last mix.
    output: AudioFrame,
}

/// A mixing bridge over participants identified by `Id`.
#[derive(Debug, Clone)]
pub struct Mixer<Id> {
    participants: Vec<Participant<Id>>,
    /// The sum of every audible input, widened so it cannot overflow before saturation.
    total: [i32; FRAME_SAMPLES],
}

impl<Id> Default for Mixer<Id> {
    fn default() -> Self {
        Self { participants: Vec::new(), total: [0; FRAME_SAMPLES] }
    }
}

impl<Id: PartialEq> Mixer<Id> {
    /// An empty mix.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a participant, unmuted both ways.
    pub fn join(&mut self, id: Id) -> Result<(), MixerError> {
        if self.find(&id).is_some() {
            return Err(MixerError::AlreadyJoined);
        }
        self.participants.push(Participant {
            id,
            mute_in: false,
            mute_out: false,
            input: [0; FRAME_SAMPLES],
            has_input: false,
            output: [0; FRAME_SAMPLES],
        });
        Ok(())
    }

    /// Removes a participant; whether they were in the mix.
    pub fn leave(&mut self, id: &Id) -> bool {
        let Some(index) = self.find(id) else { return false };
        self.participants.swap_remove(index);
        true
    }

    /// Whether the others stop hearing `id`.
    pub fn set_mute_in(&mut self, id: &Id, muted: bool) -> Result<(), MixerError> {
        self.participant_mut(id)?.mute_in = muted;
        Ok(())
    }

    /// Whether `id` stops hearing the others.
    pub fn set_mute_out(&mut self, id: &Id, muted: bool) -> Result<(), MixerError> {
        self.participant_mut(id)?.mute_out = muted;
        Ok(())
    }

    /// Hands in what `id` said during this tick; a second frame replaces the first.
    pub fn put(&mut self, id: &Id, frame: &[i16]) -> Result<(), MixerError> {
        let frame: &AudioFrame = frame.try_into().map_err(|_| MixerError::FrameLength(frame.len()))?;
        let participant = self.participant_mut(id)?;
        participant.input = *frame;
        participant.has_input = true;
        Ok(())
    }

    /// Mixes this tick: everybody's output becomes the others' inputs summed, and inputs
    /// are cleared for the next tick (who sends nothing is silent).
    pub fn mix(&mut self) {
        self.mix_with(None);
    }

    /// Mixes this tick as [`Mixer::mix`] does, with `announcement` heard by every
    /// participant on top of the others (an announcer, music on hold); summed before the
    /// one clipping, so it is protected like the rest.
    pub fn mix_with(&mut self, announcement: Option<&AudioFrame>) {
        match announcement {
            Some(frame) => self.total.iter_mut().zip(frame).for_each(|(sum, &sample)| *sum = i32::from(sample)),
            None => self.total.fill(0),
        }
        for participant in self.participants.iter().filter(|p| p.has_input && !p.mute_in) {
            for (sum, &sample) in self.total.iter_mut().zip(&participant.input) {
                *sum += i32::from(sample);
            }
        }
        for participant in &mut self.participants {
            let own_share = participant.has_input && !participant.mute_in;
            if participant.mute_out {
                participant.output.fill(0);
            } else {
                for ((out, &sum), &own) in participant.output.iter_mut().zip(&self.total).zip(&participant.input) {
                    // Taking one's own voice back out of the total: nobody hears themselves.
                    let others = if own_share { sum - i32::from(own) } else { sum };
                    *out = saturate(others);
                }
            }
            participant.has_input = false;
        }
    }

    /// What `id` hears, as of the last [`Mixer::mix`].
    pub fn output(&self, id: &Id) -> Option<&AudioFrame> {
        self.find(id).map(|index| &self.participants[index].output)
    }

    /// Every participant with what they hear.
    pub fn outputs(&self) -> impl Iterator<Item = (&Id, &AudioFrame)> {
        self.participants.iter().map(|participant| (&participant.id, &participant.output))
    }

    /// How many are in the mix.
    pub fn len(&self) -> usize {
        self.participants.len()
    }

    /// Whether nobody is in the mix.
    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    fn find(&self, id: &Id) -> Option<usize> {
        self.participants.iter().position(|participant| participant.id == *id)
    }

    fn participant_mut(&mut self, id: &Id) -> Result<&mut Participant<Id>, MixerError> {
        let index = self.find(id).ok_or(MixerError::UnknownParticipant)?;
        Ok(&mut self.participants[index])
    }
}

/// Clips a sum to the 16-bit range rather than letting it wrap into a loud click.
fn saturate(sum: i32) -> i16 {
    // In range after the clamp.
    sum.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(value: i16) -> AudioFrame {
        [value; FRAME_SAMPLES]
    }

    fn heard(mixer: &Mixer<u32>, id: u32) -> i16 {
        let output = mixer.output(&id).unwrap();
        assert!(output.iter().all(|&sample| sample == output[0]), "a constant frame");
        output[0]
    }

    fn mixer_of(ids: &[u32]) -> Mixer<u32> {
        let mut mixer = Mixer::new();
        ids.iter().for_each(|&id| mixer.join(id).unwrap());
        mixer
    }

    #[test]
    fn everybody_hears_the_others_but_not_themselves() {
        let mut mixer = mixer_of(&[1, 2, 3]);
        mixer.put(&1, &frame(100)).unwrap();
        mixer.put(&2, &frame(20)).unwrap();
        mixer.put(&3, &frame(-3)).unwrap();
        mixer.mix();
        assert_eq!((heard(&mixer, 1), heard(&mixer, 2), heard(&mixer, 3)), (17, 97, 120));
    }

    #[test]
    fn an_announcement_is_heard_by_everybody_and_clipped_with_the_rest() {
        let mut mixer = mixer_of(&[1, 2, 3]);
        mixer.set_mute_out(&3, true).unwrap();
        mixer.put(&1, &frame(100)).unwrap();
        mixer.put(&2, &frame(30_000)).unwrap();
        mixer.mix_with(Some(&frame(5_000)));
        assert_eq!((heard(&mixer, 1), heard(&mixer, 2), heard(&mixer, 3)), (i16::MAX, 5_100, 0));
        mixer.mix_with(Some(&frame(-7)));
        assert_eq!((heard(&mixer, 1), heard(&mixer, 2)), (-7, -7), "inputs were cleared");
    }

    #[test]
    fn mixes_sample_by_sample() {
        let mut mixer = mixer_of(&[1, 2]);
        let ramp: Vec<i16> = (0..FRAME_SAMPLES as i16).collect();
        mixer.put(&1, &ramp).unwrap();
        mixer.mix();
        assert_eq!(&mixer.output(&2).unwrap()[..], &ramp[..]);
        assert_eq!(mixer.output(&1).unwrap(), &frame(0));
    }

    #[test]
    fn a_participant_alone_hears_silence() {
        let mut mixer = mixer_of(&[1]);
        mixer.put(&1, &frame(i16::MAX)).unwrap();
        mixer.mix();
        assert_eq!(heard(&mixer, 1), 0);
    }

    #[test]
    fn sums_saturate_instead_of_wrapping() {
        let mut mixer = mixer_of(&[1, 2, 3, 4]);
        mixer.put(&1, &frame(30_000)).unwrap();
        mixer.put(&2, &frame(30_000)).unwrap();
        mixer.put(&3, &frame(-30_000)).unwrap();
        mixer.put(&4, &frame(-30_000)).unwrap();
        mixer.mix();
        // 1 hears 30000 − 60000 = −30000; with 3 and 4 silent it would be 30000.
        assert_eq!(heard(&mixer, 1), -30_000);
        mixer.put(&1, &frame(30_000)).unwrap();
        mixer.put(&2, &frame(30_000)).unwrap();
        mixer.mix();
        assert_eq!((heard(&mixer, 3), heard(&mixer, 4)), (i16::MAX, i16::MAX));
        mixer.put(&3, &frame(i16::MIN)).unwrap();
        mixer.put(&4, &frame(i16::MIN)).unwrap();
        mixer.mix();
        assert_eq!((heard(&mixer, 1), heard(&mixer, 2)), (i16::MIN, i16::MIN));
    }

    #[test]
    fn who_sends_nothing_is_silent_and_inputs_last_one_tick() {
        let mut mixer = mixer_of(&[1, 2, 3]);
        mixer.put(&1, &frame(50)).unwrap();
        mixer.mix();
        assert_eq!((heard(&mixer, 1), heard(&mixer, 2), heard(&mixer, 3)), (0, 50, 50));
        mixer.mix();
        assert_eq!((heard(&mixer, 2), heard(&mixer, 3)), (0, 0));
    }

    #[test]
    fn mute_in_silences_a_voice_and_mute_out_deafens() {
        let mut mixer = mixer_of(&[1, 2, 3]);
        mixer.set_mute_in(&1, true).unwrap();
        mixer.set_mute_out(&2, true).unwrap();
        for _ in 0..2 {
            mixer.put(&1, &frame(100)).unwrap();
            mixer.put(&2, &frame(10)).unwrap();
            mixer.put(&3, &frame(1)).unwrap();
            mixer.mix();
        }
        // 1 still hears the others; 2 hears nothing; 3 hears only 2.
        assert_eq!((heard(&mixer, 1), heard(&mixer, 2), heard(&mixer, 3)), (11, 0, 10));
        mixer.set_mute_in(&1, false).unwrap();
        mixer.set_mute_out(&2, false).unwrap();
        mixer.put(&1, &frame(100)).unwrap();
        mixer.mix();
        assert_eq!(heard(&mixer, 2), 100);
    }

    #[test]
    fn join_and_leave() {
        let mut mixer = mixer_of(&[1, 2]);
        assert_eq!(mixer.join(1), Err(MixerError::AlreadyJoined));
        mixer.join(3).unwrap();
        assert_eq!(mixer.len(), 3);
        assert!(mixer.leave(&1));
        assert!(!mixer.leave(&1));
        assert_eq!(mixer.put(&1, &frame(1)), Err(MixerError::UnknownParticipant));
        assert_eq!(mixer.set_mute_in(&1, true), Err(MixerError::UnknownParticipant));
        assert_eq!(mixer.output(&1), None);
        mixer.put(&2, &frame(7)).unwrap();
        mixer.mix();
        let mut outputs: Vec<(u32, i16)> = mixer.outputs().map(|(&id, output)| (id, output[0])).collect();
        outputs.sort();
        assert_eq!(outputs, [(2, 0), (3, 7)]);
        assert!(mixer.leave(&2) && mixer.leave(&3) && mixer.is_empty());
    }

    #[test]
    fn frames_must_be_20_ms() {
        let mut mixer = mixer_of(&[1]);
        assert_eq!(mixer.put(&1, &[0; 159]), Err(MixerError::FrameLength(159)));
        assert_eq!(mixer.put(&1, &[0; 320]), Err(MixerError::FrameLength(320)));
    }
}
