//! SDP offer/answer (RFC 3264) for a terminating channel, sans-IO: which codec and which
//! telephone-event payload type to use given the other side's SDP, and the SDP text we
//! send, as an answer to an offer or as an offer of our own.
//!
//! The same [`negotiate`] reads an offer we answer and an answer to our offer: in both,
//! the first audio format we implement wins (the offerer's order is its preference),
//! and its payload type numbers are kept, since they are the ones the peer sends.

use std::fmt::Write as _;
use std::net::SocketAddr;

use thiserror::Error;

use crate::codec::{self, Codec};
use crate::sdp::{Direction, SessionDescription};

/// The payload type we offer telephone-events on, as most phones do.
pub const TELEPHONE_EVENT_PT: u8 = 101;

/// The packet time assumed when the peer gives none: RFC 3551's default for G.711, and the
/// media clock's tick.
pub const DEFAULT_PTIME_MS: u32 = 20;

/// The encoding name of RFC 4733 events.
const TELEPHONE_EVENT: &str = "telephone-event";

/// The only transport we speak: plain RTP, no SRTP, no feedback profile.
const RTP_AVP: &str = "RTP/AVP";

/// The user and session name we put in `o=` and `s=`.
const SDP_NAME: &str = "switchboard";

/// Why an SDP gives us no audio stream to take; a SIP caller answers 488.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NegotiateError {
    /// There is no `m=audio` line.
    #[error("the SDP has no audio stream")]
    NoAudio,
    /// The audio stream's port is 0: refused or disabled.
    #[error("the audio stream is refused (port 0)")]
    AudioRefused,
    /// A transport other than plain RTP (SRTP, DTLS, …).
    #[error("audio transport {0:?} is not supported, only RTP/AVP")]
    UnsupportedTransport(String),
    /// None of the audio formats is a codec we implement.
    #[error("no offered audio codec is supported (PCMU and PCMA are)")]
    NoCommonCodec,
}

/// What both sides agreed on for a channel's audio.
#[derive(Debug, Clone, Copy)]
pub struct Negotiated {
    /// The audio codec.
    pub codec: &'static dyn Codec,
    /// Its payload type, as the peer numbered it.
    pub payload_type: u8,
    /// The telephone-event payload type, if the peer takes RFC 4733 events; without it
    /// DTMF is detected and sent in band.
    pub telephone_event: Option<u8>,
    /// Where the peer wants RTP, from `c=` and `m=`; `None` when it gives nowhere (a hold).
    pub remote: Option<SocketAddr>,
    /// The direction the peer's SDP gives, from its point of view.
    pub direction: Direction,
    /// The packet time the peer wants to receive, in milliseconds: its `a=ptime`, else
    /// [`DEFAULT_PTIME_MS`].
    pub ptime: u32,
}

impl Negotiated {
    /// Whether the peer wants to receive our audio.
    pub fn peer_receives(&self) -> bool {
        matches!(self.direction, Direction::SendRecv | Direction::RecvOnly)
    }
}

/// Reads the peer's offer or answer: the first audio format we implement, and
/// telephone-event at the same clock rate if it is there.
pub fn negotiate(sdp: &SessionDescription) -> Result<Negotiated, NegotiateError> {
    match sdp.audio_port() {
        None => return Err(NegotiateError::NoAudio),
        Some(0) => return Err(NegotiateError::AudioRefused),
        Some(_) => {}
    }
    let proto = sdp.audio_proto().unwrap_or_default();
    if !proto.eq_ignore_ascii_case(RTP_AVP) {
        return Err(NegotiateError::UnsupportedTransport(proto.to_owned()));
    }
    let formats = sdp.audio_formats();
    let (codec, payload_type) = formats
        .iter()
        .find_map(|format| {
            let codec = codec::codec_for(format.encoding.as_str())?;
            (codec.clock_rate() == format.clock_rate).then_some((codec, format.payload_type))
        })
        .ok_or(NegotiateError::NoCommonCodec)?;
    let telephone_event = formats
        .iter()
        .find(|format| format.encoding.eq_ignore_ascii_case(TELEPHONE_EVENT) && format.clock_rate == codec.clock_rate())
        .map(|format| format.payload_type);
    Ok(Negotiated {
        codec,
        payload_type,
        telephone_event,
        remote: sdp.audio_target(),
        direction: sdp.audio_direction(),
        ptime: sdp.audio_ptime().unwrap_or(DEFAULT_PTIME_MS),
    })
}

/// The SDP answer to an offer [`negotiate`] accepted, with our RTP at `local` (the
/// advertised address and the channel's port). Our direction mirrors the offer's
/// (RFC 3264 §6.1).
pub fn answer_sdp(negotiated: &Negotiated, local: SocketAddr, session_id: u64) -> String {
    let direction = match negotiated.direction {
        Direction::SendRecv => Direction::SendRecv,
        Direction::SendOnly => Direction::RecvOnly,
        Direction::RecvOnly => Direction::SendOnly,
        Direction::Inactive => Direction::Inactive,
    };
    let codec = negotiated.codec;
    let audio = [(negotiated.payload_type, codec.name(), codec.clock_rate())];
    write_sdp(local, session_id, &audio, negotiated.telephone_event, direction)
}

/// An SDP offer for an outgoing call: every codec we implement, in our order of
/// preference, and telephone-event on [`TELEPHONE_EVENT_PT`].
pub fn offer_sdp(local: SocketAddr, session_id: u64) -> String {
    // Codecs without a static payload type would take dynamic ones, below ours for events.
    let mut dynamic = 96..TELEPHONE_EVENT_PT;
    let audio: Vec<(u8, &str, u32)> = codec::codecs()
        .filter_map(|codec| {
            let payload_type = codec.payload_type().or_else(|| dynamic.next())?;
            Some((payload_type, codec.name(), codec.clock_rate()))
        })
        .collect();
    write_sdp(local, session_id, &audio, Some(TELEPHONE_EVENT_PT), Direction::SendRecv)
}

/// A one-stream SDP body with CRLF line endings.
fn write_sdp(
    local: SocketAddr,
    session_id: u64,
    audio: &[(u8, &str, u32)],
    telephone_event: Option<u8>,
    direction: Direction,
) -> String {
    let ip = local.ip();
    let addrtype = if ip.is_ipv4() { "IP4" } else { "IP6" };
    let mut out = String::with_capacity(320);
    // Writing to a String cannot fail.
    let _ = write!(out, "v=0\r\no={SDP_NAME} {session_id} 1 IN {addrtype} {ip}\r\ns={SDP_NAME}\r\n");
    let _ = write!(out, "c=IN {addrtype} {ip}\r\nt=0 0\r\nm=audio {} {RTP_AVP}", local.port());
    for payload_type in audio.iter().map(|(pt, _, _)| *pt).chain(telephone_event) {
        let _ = write!(out, " {payload_type}");
    }
    out.push_str("\r\n");
    for (payload_type, name, rate) in audio {
        let _ = write!(out, "a=rtpmap:{payload_type} {name}/{rate}\r\n");
    }
    if let Some(te) = telephone_event {
        let rate = audio.first().map_or(crate::SAMPLE_RATE, |(_, _, rate)| *rate);
        let _ = write!(out, "a=rtpmap:{te} {TELEPHONE_EVENT}/{rate}\r\na=fmtp:{te} 0-16\r\n");
    }
    let direction = match direction {
        Direction::SendRecv => "sendrecv",
        Direction::SendOnly => "sendonly",
        Direction::RecvOnly => "recvonly",
        Direction::Inactive => "inactive",
    };
    let _ = write!(out, "a=ptime:20\r\na={direction}\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdp(media: &str, extra: &str) -> SessionDescription {
        let body =
            format!("v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n{media}\r\n{extra}");
        SessionDescription::parse(&body).unwrap()
    }

    #[test]
    fn the_first_supported_codec_wins_in_offer_order() {
        let offer = sdp("m=audio 4000 RTP/AVP 18 8 0 101", "a=rtpmap:101 telephone-event/8000\r\n");
        let n = negotiate(&offer).unwrap();
        assert_eq!((n.codec.name(), n.payload_type), ("PCMA", 8));
        assert_eq!(n.telephone_event, Some(101));
        assert_eq!(n.remote, Some("192.0.2.7:4000".parse().unwrap()));
        assert!(n.peer_receives());

        let n = negotiate(&sdp("m=audio 4000 RTP/AVP 0 8", "")).unwrap();
        assert_eq!((n.codec.name(), n.payload_type, n.telephone_event), ("PCMU", 0, None));
    }

    #[test]
    fn dynamic_payload_types_are_kept_as_the_peer_numbered_them() {
        let offer = sdp(
            "m=audio 4000 RTP/AVP 97 96 100",
            "a=rtpmap:97 PCMU/8000\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:100 telephone-event/8000\r\n",
        );
        let n = negotiate(&offer).unwrap();
        assert_eq!((n.codec.name(), n.payload_type, n.telephone_event), ("PCMU", 97, Some(100)));
    }

    #[test]
    fn telephone_event_must_match_the_codec_clock() {
        let offer = sdp("m=audio 4000 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/48000\r\n");
        assert_eq!(negotiate(&offer).unwrap().telephone_event, None);
    }

    #[test]
    fn nothing_in_common_is_488() {
        let offer = sdp("m=audio 4000 RTP/AVP 18 96", "a=rtpmap:96 opus/48000/2\r\n");
        assert_eq!(negotiate(&offer).unwrap_err(), NegotiateError::NoCommonCodec);
        // A codec name we know at a clock rate we do not.
        let offer = sdp("m=audio 4000 RTP/AVP 96", "a=rtpmap:96 PCMU/16000\r\n");
        assert_eq!(negotiate(&offer).unwrap_err(), NegotiateError::NoCommonCodec);
        assert_eq!(negotiate(&sdp("m=video 4000 RTP/AVP 31", "")).unwrap_err(), NegotiateError::NoAudio);
        assert_eq!(negotiate(&sdp("m=audio 0 RTP/AVP 0", "")).unwrap_err(), NegotiateError::AudioRefused);
        assert_eq!(
            negotiate(&sdp("m=audio 4000 RTP/SAVP 0", "")).unwrap_err(),
            NegotiateError::UnsupportedTransport("RTP/SAVP".to_owned())
        );
    }

    #[test]
    fn a_hold_offer_gives_nowhere_to_send_and_a_mirrored_answer() {
        let offer = sdp("m=audio 4000 RTP/AVP 0", "a=sendonly\r\n");
        let n = negotiate(&offer).unwrap();
        assert!(!n.peer_receives());
        let answer = answer_sdp(&n, "198.51.100.1:10000".parse().unwrap(), 42);
        assert!(answer.contains("a=recvonly\r\n"), "{answer}");
    }

    #[test]
    fn the_answer_carries_one_codec_and_telephone_event() {
        let offer = sdp("m=audio 4000 RTP/AVP 8 0 101", "a=rtpmap:101 telephone-event/8000\r\n");
        let answer = answer_sdp(&negotiate(&offer).unwrap(), "198.51.100.1:10000".parse().unwrap(), 42);
        assert_eq!(
            answer,
            "v=0\r\no=switchboard 42 1 IN IP4 198.51.100.1\r\ns=switchboard\r\nc=IN IP4 198.51.100.1\r\n\
             t=0 0\r\nm=audio 10000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
             a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
        );
        let parsed = SessionDescription::parse(&answer).unwrap();
        assert_eq!(parsed.audio_target(), Some("198.51.100.1:10000".parse().unwrap()));
    }

    #[test]
    fn an_ipv6_answer_says_ip6() {
        let n = negotiate(&sdp("m=audio 4000 RTP/AVP 0", "")).unwrap();
        let answer = answer_sdp(&n, "[2001:db8::1]:10000".parse().unwrap(), 1);
        assert!(answer.contains("c=IN IP6 2001:db8::1\r\n"), "{answer}");
    }

    #[test]
    fn our_offer_negotiates_with_itself_and_its_answer() {
        let offer = offer_sdp("198.51.100.1:10002".parse().unwrap(), 7);
        assert!(offer.contains("m=audio 10002 RTP/AVP 0 8 101\r\n"), "{offer}");
        assert!(offer.contains("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"), "{offer}");
        let parsed = SessionDescription::parse(&offer).unwrap();
        let n = negotiate(&parsed).unwrap();
        assert_eq!((n.codec.name(), n.telephone_event), ("PCMU", Some(101)));
        // The far end answers with PCMA only.
        let answer = sdp("m=audio 5000 RTP/AVP 8", "");
        assert_eq!(negotiate(&answer).unwrap().codec.name(), "PCMA");
    }
}
