//! A live recording's progress, for channels' recordings and bridges' alike: the media
//! engine's recording events as the recording's states and Stasis events, and the engine's
//! refusals as Stasis errors.

use super::event::EventKind;
use super::model::{RecordingSnapshot, RecordingState};
use super::StasisError;
use sb_media::engine::{MediaEvent, RecordingEnd};
use sb_media::relay::MediaError;

/// Applies `event` to `recording` when it is about it: the event to publish, and whether
/// the recording is over.
pub(super) fn progress(recording: &mut RecordingSnapshot, event: &MediaEvent) -> Option<(EventKind, bool)> {
    match event {
        MediaEvent::RecordingStarted { name, .. } if *name == recording.name => {
            recording.state = RecordingState::Recording;
            Some((EventKind::RecordingStarted { recording: recording.clone() }, false))
        }
        MediaEvent::RecordingFinished { name, duration, cause, .. } if *name == recording.name => {
            recording.state =
                if *cause == RecordingEnd::Canceled { RecordingState::Canceled } else { RecordingState::Done };
            recording.duration = Some(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX));
            Some((EventKind::RecordingFinished { recording: recording.clone() }, true))
        }
        MediaEvent::RecordingFailed { name, reason, .. } if *name == recording.name => {
            recording.state = RecordingState::Failed;
            recording.cause = Some(reason.clone());
            Some((EventKind::RecordingFailed { recording: recording.clone() }, true))
        }
        _ => None,
    }
}

/// Why the engine would not start a recording, as ARI's statuses read it.
pub(super) fn refusal(error: MediaError) -> StasisError {
    match error {
        MediaError::UnsupportedFormat(format) => {
            StasisError::Unprocessable(format!("Format {format} is not supported"))
        }
        MediaError::AlreadyRecording(_) => StasisError::Conflict("Channel is already recording".into()),
        MediaError::Recording(e) => StasisError::RecordingRefused(e.to_string()),
        e => StasisError::Failed(e.to_string()),
    }
}
