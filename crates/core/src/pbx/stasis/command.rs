//! What an application can ask of a channel, and what the channel's task answers.

use super::StasisError;
use sb_media::engine::{ChannelStats, PlaybackControl, RecordOptions};
use sb_media::sound::uri::MediaUri;
use std::time::Duration;
use tokio::sync::oneshot;

/// A hang-up cause as ARI names it (`reason`) or numbers it (`reason_code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HangupCause(pub u16);

impl HangupCause {
    /// Normal clearing (16), ARI's default.
    pub const NORMAL: HangupCause = HangupCause(16);

    /// The cause of ARI's `reason` name, as `ast_str_to_cause`-based ARI maps them.
    pub fn from_reason(reason: &str) -> Option<HangupCause> {
        let code = match reason {
            "normal" => 16,
            "busy" => 17,
            "congestion" => 34,
            "no_answer" => 19,
            "timeout" => 18,
            "rejected" => 21,
            "unallocated" => 1,
            "normal_unspecified" => 31,
            "number_incomplete" => 28,
            "codec_mismatch" => 58,
            "interworking" => 127,
            "failure" => 38,
            "answered_elsewhere" => 26,
            _ => return None,
        };
        Some(HangupCause(code))
    }

    /// The final response an unanswered incoming call gets (chan_pjsip's
    /// `hangup_cause2sip`, 603 when it has none).
    pub fn sip_status(self) -> (u16, &'static str) {
        match self.0 {
            1..=3 => (404, "Not Found"),
            17 => (486, "Busy Here"),
            18 => (408, "Request Timeout"),
            19 | 20 | 31 => (480, "Temporarily Unavailable"),
            21 => (403, "Forbidden"),
            22 => (410, "Gone"),
            26 => (200, "OK"),
            27 => (502, "Bad Gateway"),
            28 => (484, "Address Incomplete"),
            29 => (501, "Not Implemented"),
            34 | 38 | 41 | 42 | 44 | 47 => (503, "Service Unavailable"),
            58 | 65 | 88 => (488, "Not Acceptable Here"),
            _ => (603, "Decline"),
        }
    }

    /// Asterisk's text for the cause (`cause_txt`).
    pub fn text(self) -> &'static str {
        match self.0 {
            1 => "Unallocated (unassigned) number",
            16 => "Normal Clearing",
            17 => "User busy",
            18 => "No user responding",
            19 => "User alerting, no answer",
            20 => "Subscriber absent",
            21 => "Call Rejected",
            26 => "Answered elsewhere",
            28 => "Invalid number format (incomplete number)",
            31 => "Normal, unspecified",
            34 => "Circuit/channel congestion",
            38 => "Network out of order",
            58 => "Bearer capability not available",
            127 => "Interworking, unspecified",
            _ => "Unknown",
        }
    }
}

/// Which way audio is muted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MuteDirection {
    /// What the peer says.
    In,
    /// What the peer hears.
    Out,
    /// Both.
    Both,
}

impl MuteDirection {
    /// ARI's `direction`.
    pub fn parse(text: &str) -> Option<MuteDirection> {
        match text {
            "in" => Some(MuteDirection::In),
            "out" => Some(MuteDirection::Out),
            "both" => Some(MuteDirection::Both),
            _ => None,
        }
    }

    /// (inbound, outbound).
    pub(super) fn sides(self) -> (bool, bool) {
        match self {
            MuteDirection::In => (true, false),
            MuteDirection::Out => (false, true),
            MuteDirection::Both => (true, true),
        }
    }
}

/// An operation on a channel.
#[derive(Debug)]
pub enum ChannelOp {
    /// Answer an incoming call.
    Answer,
    /// Tell the caller it rings (180), or stop.
    Ring(bool),
    /// Early media (183 with our SDP).
    Progress,
    /// Hang up.
    Hangup(HangupCause),
    /// Send digits.
    SendDtmf {
        /// The digits (`0-9*#A-D`, `,` for a pause).
        digits: String,
        /// Wait before the first.
        before: Duration,
        /// Between digits.
        between: Duration,
        /// Each digit's length.
        duration: Duration,
        /// Wait after the last.
        after: Duration,
    },
    /// Mute.
    Mute(MuteDirection),
    /// Unmute.
    Unmute(MuteDirection),
    /// Hold (music on hold to the peer, and a `ChannelHold`).
    Hold,
    /// Take off hold.
    Unhold,
    /// Music on hold of a class.
    StartMoh(Option<String>),
    /// Stop music on hold.
    StopMoh,
    /// Play silence instead of the bridge.
    StartSilence,
    /// Stop the silence.
    StopSilence,
    /// Play media.
    Play {
        /// The playback id.
        id: String,
        /// What to play.
        media: Vec<(String, MediaUri)>,
        /// The language.
        language: Option<String>,
    },
    /// Stop a playback.
    StopPlayback(String),
    /// Control a playback.
    ControlPlayback(String, PlaybackControl),
    /// Record.
    Record(RecordOptions),
    /// Stop the recording.
    StopRecording {
        /// Keep the file.
        keep: bool,
    },
    /// Pause, mute, or undo either, on the channel's recording.
    ControlRecording(sb_media::engine::RecordingControl),
    /// Leave the application and go on with the custom app's next step.
    Continue,
    /// Send the caller elsewhere: `302` with this target before the answer, an in-dialog
    /// `REFER` after it (as PJSIP's redirect). The endpoint as ARI gives it:
    /// `PJSIP/<number>` or `PJSIP/sip:…`, checked by the channel.
    Redirect(String),
    /// Leave the application for another.
    Move {
        /// The new application.
        app: String,
        /// Its arguments.
        args: Vec<String>,
    },
    /// Dial a created channel.
    Dial {
        /// How long to ring.
        timeout: Duration,
    },
    /// Join a bridge (taken out of any other).
    JoinBridge {
        /// The bridge's id.
        bridge: String,
        /// Its media.
        media: std::sync::Arc<sb_media::engine::MediaBridge>,
    },
    /// Leave the bridge.
    LeaveBridge {
        /// The bridge's id.
        bridge: String,
    },
    /// The RTP figures.
    RtpStatistics,
}

/// What a channel's task answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpReply {
    /// Done.
    Done,
    /// The RTP figures.
    Statistics(ChannelStats),
    /// The playback made.
    Playback(super::model::PlaybackSnapshot),
}

/// An operation and where to answer.
pub(super) struct Command {
    pub op: ChannelOp,
    pub reply: oneshot::Sender<Result<OpReply, StasisError>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_map_to_causes_and_unanswered_calls_get_pjsip_statuses() {
        assert_eq!(HangupCause::from_reason("normal"), Some(HangupCause(16)));
        assert_eq!(HangupCause::from_reason("busy"), Some(HangupCause(17)));
        assert_eq!(HangupCause::from_reason("congestion"), Some(HangupCause(34)));
        assert_eq!(HangupCause::from_reason("Busy"), None, "ARI's reasons are lower case");
        assert_eq!(HangupCause(16).sip_status().0, 603, "normal clearing declines, as PJSIP does");
        assert_eq!(HangupCause(17).sip_status().0, 486);
        assert_eq!(HangupCause(34).sip_status().0, 503);
        assert_eq!(HangupCause(1).sip_status().0, 404);
        assert_eq!(HangupCause(19).sip_status().0, 480);
        assert_eq!(HangupCause(16).text(), "Normal Clearing");
    }

    #[test]
    fn mute_directions_name_the_sides() {
        assert_eq!(MuteDirection::parse("in").map(MuteDirection::sides), Some((true, false)));
        assert_eq!(MuteDirection::parse("out").map(MuteDirection::sides), Some((false, true)));
        assert_eq!(MuteDirection::parse("both").map(MuteDirection::sides), Some((true, true)));
        assert_eq!(MuteDirection::parse("sideways"), None);
    }
}
