//! SDP (RFC 8866, which obsoletes RFC 4566) as far as a B2BUA media relay needs it: find
//! the audio stream of an offer or answer (RFC 3264), and rewrite the body so that stream
//! flows through our relay instead of end to end.
//!
//! Sans-IO and deliberately shallow: the body is kept line by line, only the lines the
//! relay reads or changes (`v=`, `o=`, `s=`, `c=`, `m=` and a few attributes) are
//! interpreted, and every other line is re-emitted verbatim, so `a=fmtp`, `a=ptime`, `b=`
//! and extensions we have never heard of still reach the other side. Parsing never
//! panics and its cost is bounded by [`MAX_SDP_LEN`].

use std::fmt::{self, Write as _};
use std::net::{IpAddr, SocketAddr};

use thiserror::Error;

/// The largest body [`SessionDescription::parse`] accepts. Real bodies are a few hundred
/// bytes (a few kilobytes with ICE candidates); the limit bounds what a hostile peer can
/// make us allocate.
pub const MAX_SDP_LEN: usize = 64 * 1024;

/// ICE attributes (RFC 8839) are dropped by [`SessionDescription::rewrite`]: their
/// candidates are the endpoint's own addresses, and following them would bypass the
/// relay (whose forwarding drops STUN anyway), so without them both ends fall back to
/// `c=`/`m=`, which point at us.
const ICE_ATTRIBUTES: &[&str] = &[
    "candidate",
    "remote-candidates",
    "end-of-candidates",
    "ice-ufrag",
    "ice-pwd",
    "ice-options",
    "ice-lite",
    "ice-mismatch",
    "ice-pacing",
];

/// The static audio payload types of RFC 3551 (Table 4), known without an `a=rtpmap`.
const STATIC_AUDIO: &[(u8, &str, u32)] = &[
    (0, "PCMU", 8000),
    (3, "GSM", 8000),
    (4, "G723", 8000),
    (5, "DVI4", 8000),
    (6, "DVI4", 16000),
    (7, "LPC", 8000),
    (8, "PCMA", 8000),
    // RFC 3551 §4.5.2: G.722's RTP clock is 8000 although it samples at 16 kHz.
    (9, "G722", 8000),
    (10, "L16", 44100),
    (11, "L16", 44100),
    (12, "QCELP", 8000),
    (13, "CN", 8000),
    (14, "MPA", 90000),
    (15, "G728", 8000),
    (16, "DVI4", 11025),
    (17, "DVI4", 22050),
    (18, "G729", 8000),
];

/// Why a body is not an SDP we can work with. Line numbers count from 1.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SdpError {
    /// The body is longer than [`MAX_SDP_LEN`].
    #[error("SDP body is {len} bytes, more than the {max} allowed")]
    TooLarge {
        /// The body's length in bytes.
        len: usize,
        /// [`MAX_SDP_LEN`].
        max: usize,
    },
    /// The first line is not `v=0` (RFC 8866 §5.1), which includes an empty body.
    #[error("SDP does not start with `v=0`")]
    NoVersion,
    /// A line is not `<letter>=<value>`, or its value holds a stray CR or NUL (§5).
    #[error("SDP line {line} is not of the form `x=value`")]
    MalformedLine {
        /// Which line.
        line: usize,
    },
    /// An `o=`, `c=` or `m=` line lacks the fields the relay needs (§5.2, §5.7, §5.14).
    #[error("SDP line {line}: malformed `{kind}=` line")]
    Malformed {
        /// The line's type letter.
        kind: char,
        /// Which line.
        line: usize,
    },
    /// A `v=`, `o=` or `s=` line repeated, or one of them inside a media section.
    #[error("SDP line {line}: `{kind}=` is not allowed here")]
    Unexpected {
        /// The line's type letter.
        kind: char,
        /// Which line.
        line: usize,
    },
    /// There is no `o=` line (§5.2).
    #[error("SDP has no `o=` line")]
    NoOrigin,
    /// There is no `s=` line (§5.3).
    #[error("SDP has no `s=` line")]
    NoSessionName,
    /// There is no `m=` line, so nothing to relay.
    #[error("SDP has no `m=` line")]
    NoMedia,
}

/// Which way a stream flows, from the point of view of the SDP's author (RFC 3264 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `a=sendrecv`, also the default when no direction is given.
    SendRecv,
    /// `a=sendonly`: the author sends but will not receive, as when it puts the peer on hold.
    SendOnly,
    /// `a=recvonly`: the author receives but will not send.
    RecvOnly,
    /// `a=inactive`: no media either way.
    Inactive,
}

impl Direction {
    /// The direction a flag attribute's name stands for, if it is one.
    fn from_attribute(name: &str) -> Option<Direction> {
        match name {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }
}

/// One payload type offered on an `m=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// The RTP payload type (0–127).
    pub payload_type: u8,
    /// The encoding name as written (`PCMU`, `telephone-event`, …); empty if a dynamic
    /// payload type has no `a=rtpmap`.
    pub encoding: String,
    /// The RTP clock rate in Hz; 0 if unknown.
    pub clock_rate: u32,
}

/// A parsed SDP body: every line kept, plus what the relay needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// The session section, `v=` up to the first `m=`.
    session: Vec<Line>,
    /// The `o=` line's fields we keep when rewriting it.
    origin: Origin,
    /// The session-level `c=`, which applies to media sections without their own.
    session_connection: Option<Connection>,
    /// The session-level direction attribute, the default for media sections.
    session_direction: Option<Direction>,
    /// The media sections in order.
    media: Vec<Media>,
    /// Which of `media` is "the" audio stream: the first `m=audio` with a port, else the
    /// first `m=audio` at all.
    audio: Option<usize>,
}

/// One `<type>=<value>` line, without its line ending.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    /// The type letter.
    kind: u8,
    /// Everything after the `=`.
    value: String,
}

/// The parts of `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>`
/// that survive a rewrite (§5.2): username and session id identify the session, the rest
/// is ours to set.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    username: String,
    session_id: String,
}

/// What a `c=` line says, as far as we understand it (§5.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Connection {
    /// `IN IP4` or `IN IP6` with a literal address (TTL and count suffixes stripped).
    Ip(IpAddr),
    /// Well formed, but a host name or a network type other than `IN`.
    Other,
}

/// One media section: its `m=` line and the lines up to the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Media {
    /// The `m=` value as written, for verbatim re-emission.
    value: String,
    /// `audio`, `video`, …
    media_type: String,
    /// The transport port; 0 means the stream is disabled or rejected (RFC 3264 §5.1, §6).
    port: u16,
    /// `RTP/AVP`, `RTP/SAVP`, …
    proto: String,
    /// The format list, as written.
    formats: Vec<String>,
    /// The media-level `c=`, if any; the first one if several (layered multicast).
    connection: Option<Connection>,
    /// The media-level direction attribute, if any.
    direction: Option<Direction>,
    /// The lines after `m=`.
    lines: Vec<Line>,
}

impl SessionDescription {
    /// Parses `body`, with `\n` or `\r\n` line endings. It must hold `v=0`, `o=`, `s=` and
    /// at least one `m=`; any line that is not `<letter>=<value>` is an error.
    pub fn parse(body: &str) -> Result<SessionDescription, SdpError> {
        if body.len() > MAX_SDP_LEN {
            return Err(SdpError::TooLarge {
                len: body.len(),
                max: MAX_SDP_LEN,
            });
        }
        // A body ending in a blank line (CRLF CRLF) is common and harmless.
        let body = body.trim_end_matches(['\r', '\n']);
        let mut session = Vec::new();
        let mut origin = None;
        let mut has_name = false;
        let mut session_connection = None;
        let mut session_direction = None;
        let mut media: Vec<Media> = Vec::new();
        for (index, raw) in body.split('\n').enumerate() {
            let number = index + 1;
            let line = Line::parse(raw, number)?;
            if number == 1 {
                if line.kind != b'v' || line.value != "0" {
                    return Err(SdpError::NoVersion);
                }
                session.push(line);
                continue;
            }
            let unexpected = SdpError::Unexpected {
                kind: char::from(line.kind),
                line: number,
            };
            match (line.kind, media.last_mut()) {
                (b'm', _) => media.push(Media::parse(line.value, number)?),
                (b'v' | b'o' | b's', Some(_)) | (b'v', None) => return Err(unexpected),
                (b'o', None) => {
                    if origin.is_some() {
                        return Err(unexpected);
                    }
                    origin = Some(Origin::parse(&line.value, number)?);
                    session.push(line);
                }
                (b's', None) => {
                    if has_name {
                        return Err(unexpected);
                    }
                    has_name = true;
                    session.push(line);
                }
                (b'c', None) => {
                    if session_connection.is_some() {
                        return Err(unexpected);
                    }
                    session_connection = Some(Connection::parse(&line.value, number)?);
                    session.push(line);
                }
                (b'c', Some(section)) => {
                    let connection = Connection::parse(&line.value, number)?;
                    section.connection.get_or_insert(connection);
                    section.lines.push(line);
                }
                (b'a', None) => {
                    if session_direction.is_none() {
                        session_direction = Direction::from_attribute(&line.value);
                    }
                    session.push(line);
                }
                (b'a', Some(section)) => {
                    if section.direction.is_none() {
                        section.direction = Direction::from_attribute(&line.value);
                    }
                    section.lines.push(line);
                }
                (_, Some(section)) => section.lines.push(line),
                (_, None) => session.push(line),
            }
        }
        let origin = origin.ok_or(SdpError::NoOrigin)?;
        if !has_name {
            return Err(SdpError::NoSessionName);
        }
        if media.is_empty() {
            return Err(SdpError::NoMedia);
        }
        let audio = media
            .iter()
            .position(|m| m.is_audio() && m.port != 0)
            .or_else(|| media.iter().position(Media::is_audio));
        Ok(SessionDescription {
            session,
            origin,
            session_connection,
            session_direction,
            media,
            audio,
        })
    }

    /// The audio stream's RTP address: the media-level `c=`, else the session-level one,
    /// with the `m=audio` port. `None` if there is no `m=audio`, its port is 0, or its
    /// address is not a literal IP or is unspecified (`0.0.0.0`, a hold: nowhere to send).
    pub fn audio_target(&self) -> Option<SocketAddr> {
        let media = self.audio_media()?;
        if media.port == 0 {
            return None;
        }
        match self.audio_connection()? {
            Connection::Ip(ip) if !ip.is_unspecified() => Some(SocketAddr::new(ip, media.port)),
            _ => None,
        }
    }

    /// The audio `m=` line's port, if there is an audio stream; 0 means it is refused or
    /// disabled (RFC 3264 §5.1).
    pub fn audio_port(&self) -> Option<u16> {
        self.audio_media().map(|media| media.port)
    }

    /// The audio `m=` line's transport protocol (`RTP/AVP`, `RTP/SAVP`, …), if any.
    pub fn audio_proto(&self) -> Option<&str> {
        self.audio_media().map(|media| media.proto.as_str())
    }

    /// The audio stream's direction: its media-level attribute, else the session-level
    /// one, else [`Direction::SendRecv`] (RFC 3264 §5.1).
    pub fn audio_direction(&self) -> Direction {
        self.audio_media()
            .and_then(|media| media.direction)
            .or(self.session_direction)
            .unwrap_or(Direction::SendRecv)
    }

    /// Whether the audio stream is put on hold: `sendonly` or `inactive` (RFC 3264 §8.4),
    /// or the RFC 2543 style unspecified connection address (`c=IN IP4 0.0.0.0`; `::`
    /// counts too).
    pub fn is_hold(&self) -> bool {
        if self.audio_media().is_none() {
            return false;
        }
        let unspecified =
            matches!(self.audio_connection(), Some(Connection::Ip(ip)) if ip.is_unspecified());
        unspecified
            || matches!(
                self.audio_direction(),
                Direction::SendOnly | Direction::Inactive
            )
    }

    /// The packet time the author wants to receive on the audio stream, in milliseconds:
    /// the media-level `a=ptime`, else the session-level one (RFC 8866 §6.4); `None` if
    /// neither says (or says nonsense).
    pub fn audio_ptime(&self) -> Option<u32> {
        let ptime = |lines: &[Line]| {
            lines
                .iter()
                .filter(|line| line.kind == b'a')
                .find_map(|line| {
                    let value = line.value.strip_prefix("ptime:")?.trim();
                    value.parse::<u32>().ok().filter(|&ms| ms > 0)
                })
        };
        ptime(&self.audio_media()?.lines).or_else(|| ptime(&self.session))
    }

    /// The RTP payload types on the audio `m=` line, in offer order (preference order, RFC
    /// 3264 §5.1), named by their `a=rtpmap` or, for static types, by RFC 3551. Formats
    /// that are not payload type numbers (0–127) are skipped.
    pub fn audio_formats(&self) -> Vec<Format> {
        let Some(media) = self.audio_media() else {
            return Vec::new();
        };
        media
            .formats
            .iter()
            .filter_map(|format| format.parse::<u8>().ok().filter(|pt| *pt <= 127))
            .map(|payload_type| {
                let (encoding, clock_rate) = media
                    .rtpmap(payload_type)
                    .or_else(|| {
                        STATIC_AUDIO
                            .iter()
                            .find(|(pt, _, _)| *pt == payload_type)
                            .map(|(_, name, rate)| (name.to_string(), *rate))
                    })
                    .unwrap_or_default();
                Format {
                    payload_type,
                    encoding,
                    clock_rate,
                }
            })
            .collect()
    }

    /// Rewrites the body so its audio flows through us at `ip`:`port`, with CRLF endings:
    ///
    /// - `o=`: address → `ip`, session version → `origin_version`. The caller keeps one
    ///   counter per relay leg and increments it for every changed SDP it sends on that
    ///   leg (RFC 3264 §8), since the other side compares it with the last one it saw.
    /// - every `c=` → `IN IP4 ip` / `IN IP6 ip`, except an unspecified address, which is
    ///   a hold and stays as it is; an audio stream with no `c=` anywhere gets one.
    /// - the audio `m=` → `port` (unless it was 0: a rejected stream stays rejected);
    ///   every other `m=` → port 0, rejected (RFC 3264 §6), since we relay audio only.
    /// - `a=rtcp` → `port + 1` in the audio section, removed elsewhere.
    /// - ICE attributes (`a=candidate`, `a=ice-ufrag`, …, RFC 8839) removed: they carry
    ///   the endpoint's own addresses, which would bypass the relay.
    ///
    /// Everything else, direction attributes included, is kept verbatim, so holds stay
    /// holds.
    pub fn rewrite(&self, ip: IpAddr, port: u16, origin_version: u64) -> String {
        let addrtype = if ip.is_ipv4() { "IP4" } else { "IP6" };
        let mut out = String::with_capacity(self.len_hint() + 64);
        for line in &self.session {
            match line.kind {
                b'o' => {
                    let Origin {
                        username,
                        session_id,
                    } = &self.origin;
                    push_line(
                        &mut out,
                        b'o',
                        format_args!("{username} {session_id} {origin_version} IN {addrtype} {ip}"),
                    );
                }
                b'c' => push_connection(&mut out, line, addrtype, ip),
                b'a' if is_ice(&line.value) || attribute_name(&line.value) == "rtcp" => {}
                _ => push_line(&mut out, line.kind, format_args!("{}", line.value)),
            }
        }
        for (index, media) in self.media.iter().enumerate() {
            let active = self.audio == Some(index) && media.port != 0;
            let media_port = if active { port } else { 0 };
            out.push_str("m=");
            let _ = write!(out, "{} {media_port} {}", media.media_type, media.proto);
            for format in &media.formats {
                out.push(' ');
                out.push_str(format);
            }
            out.push_str("\r\n");
            // RFC 8866 requires a `c=` for every media section; add ours where the
            // original (wrongly) had none, or the peer would not know where to send.
            let mut missing_connection =
                active && self.session_connection.is_none() && media.connection.is_none();
            for line in &media.lines {
                // Media-level `c=` belongs after `i=` (§5).
                if missing_connection && line.kind != b'i' {
                    push_line(&mut out, b'c', format_args!("IN {addrtype} {ip}"));
                    missing_connection = false;
                }
                match line.kind {
                    b'c' => push_connection(&mut out, line, addrtype, ip),
                    b'a' if is_ice(&line.value) => {}
                    b'a' if attribute_name(&line.value) == "rtcp" => {
                        // RFC 3605: `a=rtcp:<port> [<nettype> <addrtype> <address>]`.
                        let rtcp_port = port.checked_add(1).filter(|_| active);
                        match rtcp_port {
                            Some(rtcp) if line.value.contains(' ') => push_line(
                                &mut out,
                                b'a',
                                format_args!("rtcp:{rtcp} IN {addrtype} {ip}"),
                            ),
                            Some(rtcp) => push_line(&mut out, b'a', format_args!("rtcp:{rtcp}")),
                            None => {}
                        }
                    }
                    _ => push_line(&mut out, line.kind, format_args!("{}", line.value)),
                }
            }
            if missing_connection {
                push_line(&mut out, b'c', format_args!("IN {addrtype} {ip}"));
            }
        }
        out
    }

    /// The audio media section, if any.
    fn audio_media(&self) -> Option<&Media> {
        self.audio.map(|index| &self.media[index])
    }

    /// The `c=` that applies to the audio stream.
    fn audio_connection(&self) -> Option<Connection> {
        self.audio_media()?.connection.or(self.session_connection)
    }

    /// Roughly the body's length, to size the rewritten body's buffer.
    fn len_hint(&self) -> usize {
        let lines = |lines: &[Line]| lines.iter().map(|l| l.value.len() + 4).sum::<usize>();
        lines(&self.session)
            + self
                .media
                .iter()
                .map(|m| m.value.len() + 4 + lines(&m.lines))
                .sum::<usize>()
    }
}

impl fmt::Display for SessionDescription {
    /// The body as parsed, unchanged but for CRLF line endings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |f: &mut fmt::Formatter<'_>, kind: u8, value: &str| {
            write!(f, "{}={value}\r\n", char::from(kind))
        };
        for l in &self.session {
            line(f, l.kind, &l.value)?;
        }
        for media in &self.media {
            line(f, b'm', &media.value)?;
            for l in &media.lines {
                line(f, l.kind, &l.value)?;
            }
        }
        Ok(())
    }
}

impl Line {
    /// One line of the body, `\r` already split off or not.
    fn parse(raw: &str, number: usize) -> Result<Line, SdpError> {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let bytes = raw.as_bytes();
        // A CR or NUL inside a value would survive into what we re-emit and could split
        // it into lines the other side reads differently (§5: neither is allowed).
        if bytes.len() < 2
            || !bytes[0].is_ascii_alphabetic()
            || bytes[1] != b'='
            || raw.contains(['\r', '\0'])
        {
            return Err(SdpError::MalformedLine { line: number });
        }
        Ok(Line {
            kind: bytes[0],
            value: raw[2..].to_owned(),
        })
    }
}

impl Origin {
    /// Parses an `o=` value: exactly six fields (§5.2).
    fn parse(value: &str, number: usize) -> Result<Origin, SdpError> {
        let fields: Vec<&str> = value.split_ascii_whitespace().collect();
        match fields.as_slice() {
            [username, session_id, _version, _nettype, _addrtype, _address] => Ok(Origin {
                username: username.to_string(),
                session_id: session_id.to_string(),
            }),
            _ => Err(SdpError::Malformed {
                kind: 'o',
                line: number,
            }),
        }
    }
}

impl Connection {
    /// Parses a `c=` value: `<nettype> <addrtype> <address>[/<ttl>][/<count>]` (§5.7).
    fn parse(value: &str, number: usize) -> Result<Connection, SdpError> {
        let fields: Vec<&str> = value.split_ascii_whitespace().collect();
        let [nettype, addrtype, address] = fields.as_slice() else {
            return Err(SdpError::Malformed {
                kind: 'c',
                line: number,
            });
        };
        let address = address.split('/').next().unwrap_or_default();
        let ip = match (*nettype, *addrtype) {
            ("IN", "IP4" | "IP6") => address.parse::<IpAddr>().ok(),
            _ => None,
        };
        Ok(ip.map_or(Connection::Other, Connection::Ip))
    }
}

impl Media {
    /// Parses an `m=` value: `<media> <port>[/<count>] <proto> <fmt> ...` (§5.14). The
    /// format list may be empty, which the grammar forbids but costs nothing to tolerate.
    fn parse(value: String, number: usize) -> Result<Media, SdpError> {
        let malformed = SdpError::Malformed {
            kind: 'm',
            line: number,
        };
        let mut fields = value.split_ascii_whitespace();
        let (Some(media_type), Some(port), Some(proto)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(malformed);
        };
        let port = port
            .split('/')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .ok_or(malformed)?;
        Ok(Media {
            media_type: media_type.to_owned(),
            port,
            proto: proto.to_owned(),
            formats: fields.map(str::to_owned).collect(),
            connection: None,
            direction: None,
            lines: Vec::new(),
            value,
        })
    }

    /// Whether this is an `m=audio` section (media types are case-insensitive, RFC 6838).
    fn is_audio(&self) -> bool {
        self.media_type.eq_ignore_ascii_case("audio")
    }

    /// The encoding name and clock rate `a=rtpmap:<pt> <name>/<rate>[/<channels>]` gives
    /// for `payload_type` (§6.6), if any.
    fn rtpmap(&self, payload_type: u8) -> Option<(String, u32)> {
        self.lines
            .iter()
            .filter(|line| line.kind == b'a')
            .find_map(|line| {
                let (pt, encoding) = line.value.strip_prefix("rtpmap:")?.split_once(' ')?;
                if pt.trim().parse::<u8>().ok()? != payload_type {
                    return None;
                }
                let mut parts = encoding.trim().split('/');
                let name = parts.next()?;
                let rate = parts.next()?.parse::<u32>().ok()?;
                Some((name.to_owned(), rate))
            })
    }
}

/// An attribute's name: the part of an `a=` value before any `:` (§5.13).
fn attribute_name(value: &str) -> &str {
    value.split_once(':').map_or(value, |(name, _)| name)
}

/// Whether an `a=` value is an ICE attribute (see [`ICE_ATTRIBUTES`]).
fn is_ice(value: &str) -> bool {
    ICE_ATTRIBUTES.contains(&attribute_name(value))
}

/// Appends `<kind>=<value>\r\n`.
fn push_line(out: &mut String, kind: u8, value: fmt::Arguments<'_>) {
    out.push(char::from(kind));
    out.push('=');
    // Formatting into a String cannot fail.
    let _ = out.write_fmt(value);
    out.push_str("\r\n");
}

/// Appends a `c=` line pointing at `ip`, or the original if it is a hold (unspecified).
fn push_connection(out: &mut String, line: &Line, addrtype: &str, ip: IpAddr) {
    match Connection::parse(&line.value, 0) {
        Ok(Connection::Ip(original)) if original.is_unspecified() => {
            push_line(out, b'c', format_args!("{}", line.value))
        }
        _ => push_line(out, b'c', format_args!("IN {addrtype} {ip}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What baresip 3.x sends for a plain audio call.
    const BARESIP: &str = "v=0\r\n\
        o=- 2890844526 3893529766 IN IP4 192.168.1.23\r\n\
        s=-\r\n\
        c=IN IP4 192.168.1.23\r\n\
        t=0 0\r\n\
        a=tool:baresip 3.10.1\r\n\
        m=audio 10774 RTP/AVP 0 8 101\r\n\
        b=AS:96\r\n\
        a=rtpmap:0 PCMU/8000\r\n\
        a=rtpmap:8 PCMA/8000\r\n\
        a=rtpmap:101 telephone-event/8000\r\n\
        a=fmtp:101 0-15\r\n\
        a=rtcp:10775\r\n\
        a=sendrecv\r\n\
        a=label:1\r\n\
        a=ssrc:910282155 cname:63b0a0a2-a3d6-4c11-8d2c-4dfd3d52c0d7\r\n\
        a=mid:1\r\n\
        a=rtcp-mux\r\n\
        a=ptime:20\r\n";

    /// SIPp's built-in `uac` scenario, with `\n` line ends as SIPp's XML yields them.
    const SIPP: &str = "v=0\n\
        o=user1 53655765 2353687637 IN IP4 127.0.0.1\n\
        s=-\n\
        c=IN IP4 127.0.0.1\n\
        t=0 0\n\
        m=audio 6000 RTP/AVP 0\n\
        a=rtpmap:0 PCMU/8000\n";

    /// A re-INVITE putting the call on hold (RFC 3264 §8.4).
    const HOLD: &str = "v=0\r\n\
        o=- 2890844526 3893529767 IN IP4 192.168.1.23\r\n\
        s=-\r\n\
        c=IN IP4 192.168.1.23\r\n\
        t=0 0\r\n\
        m=audio 10774 RTP/AVP 0 8 101\r\n\
        a=rtpmap:0 PCMU/8000\r\n\
        a=rtpmap:8 PCMA/8000\r\n\
        a=rtpmap:101 telephone-event/8000\r\n\
        a=sendonly\r\n";

    /// A Linphone-style IPv6 offer with Opus first, media-level `c=` only.
    const IPV6: &str = "v=0\r\n\
        o=alice 1916 2917 IN IP6 2001:db8::10\r\n\
        s=Talk\r\n\
        t=0 0\r\n\
        m=audio 7078 RTP/AVP 96 0 8 101\r\n\
        c=IN IP6 2001:db8::10\r\n\
        a=rtpmap:96 opus/48000/2\r\n\
        a=fmtp:96 useinbandfec=1\r\n\
        a=rtpmap:101 telephone-event/8000\r\n";

    fn parse(body: &str) -> SessionDescription {
        SessionDescription::parse(body).expect("valid SDP")
    }

    fn format(payload_type: u8, encoding: &str, clock_rate: u32) -> Format {
        Format {
            payload_type,
            encoding: encoding.to_owned(),
            clock_rate,
        }
    }

    fn ours() -> IpAddr {
        "203.0.113.5".parse().unwrap()
    }

    #[test]
    fn audio_port_and_proto_say_whether_the_stream_is_usable() {
        let offer = SessionDescription::parse(SIPP).unwrap();
        assert_eq!((offer.audio_port(), offer.audio_proto()), (Some(6000), Some("RTP/AVP")));
        let refused = SessionDescription::parse(&SIPP.replace("6000", "0")).unwrap();
        assert_eq!(refused.audio_port(), Some(0));
        let video = SessionDescription::parse(&SIPP.replace("m=audio", "m=video")).unwrap();
        assert_eq!((video.audio_port(), video.audio_proto()), (None, None));
    }

    #[test]
    fn baresip_offer() {
        let sdp = parse(BARESIP);
        assert_eq!(
            sdp.audio_target(),
            Some("192.168.1.23:10774".parse().unwrap())
        );
        assert_eq!(sdp.audio_direction(), Direction::SendRecv);
        assert!(!sdp.is_hold());
        assert_eq!(
            sdp.audio_formats(),
            vec![
                format(0, "PCMU", 8000),
                format(8, "PCMA", 8000),
                format(101, "telephone-event", 8000)
            ]
        );
    }

    #[test]
    fn baresip_offer_rewritten() {
        let rewritten = parse(BARESIP).rewrite(ours(), 40000, 7);
        assert!(rewritten.starts_with(
            "v=0\r\no=- 2890844526 7 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\n"
        ));
        assert!(rewritten.contains("\r\nm=audio 40000 RTP/AVP 0 8 101\r\n"));
        assert!(rewritten.contains("\r\na=rtcp:40001\r\n"));
        for kept in [
            "a=fmtp:101 0-15",
            "a=sendrecv",
            "a=ptime:20",
            "a=tool:baresip 3.10.1",
            "b=AS:96",
        ] {
            assert!(
                rewritten.contains(&format!("\r\n{kept}\r\n")),
                "{kept} kept"
            );
        }
        assert!(!rewritten.contains("192.168.1.23"));
        assert!(rewritten.ends_with("\r\n") && !rewritten.replace("\r\n", "").contains('\n'));

        // What we send must itself be an SDP we (and so the peer) can read back.
        let reparsed = parse(&rewritten);
        assert_eq!(
            reparsed.audio_target(),
            Some("203.0.113.5:40000".parse().unwrap())
        );
        assert_eq!(reparsed.audio_formats(), parse(BARESIP).audio_formats());
    }

    #[test]
    fn origin_version_is_the_callers() {
        let sdp = parse(BARESIP);
        assert!(sdp
            .rewrite(ours(), 40000, 1)
            .contains("o=- 2890844526 1 IN IP4"));
        assert!(sdp
            .rewrite(ours(), 40000, 2)
            .contains("o=- 2890844526 2 IN IP4"));
    }

    #[test]
    fn sipp_offer_with_lf_endings() {
        let sdp = parse(SIPP);
        assert_eq!(sdp.audio_target(), Some("127.0.0.1:6000".parse().unwrap()));
        assert_eq!(sdp.audio_formats(), vec![format(0, "PCMU", 8000)]);
        let rewritten = sdp.rewrite(ours(), 40002, 1);
        assert_eq!(
            rewritten,
            "v=0\r\no=user1 53655765 1 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n\
             m=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        );
    }

    #[test]
    fn static_payload_types_need_no_rtpmap() {
        let sdp = parse(
            &SIPP
                .replace("a=rtpmap:0 PCMU/8000\n", "")
                .replace("RTP/AVP 0", "RTP/AVP 8 0 18 99"),
        );
        assert_eq!(
            sdp.audio_formats(),
            vec![
                format(8, "PCMA", 8000),
                format(0, "PCMU", 8000),
                format(18, "G729", 8000),
                format(99, "", 0)
            ]
        );
    }

    #[test]
    fn sendonly_reinvite_is_a_hold_and_stays_one() {
        let sdp = parse(HOLD);
        assert_eq!(sdp.audio_direction(), Direction::SendOnly);
        assert!(sdp.is_hold());
        // The held party still needs to know where the music on hold comes from.
        assert_eq!(
            sdp.audio_target(),
            Some("192.168.1.23:10774".parse().unwrap())
        );
        let rewritten = parse(&sdp.rewrite(ours(), 40000, 2));
        assert_eq!(rewritten.audio_direction(), Direction::SendOnly);
        assert!(rewritten.is_hold());
    }

    #[test]
    fn inactive_and_recvonly() {
        let inactive = parse(&HOLD.replace("a=sendonly", "a=inactive"));
        assert_eq!(inactive.audio_direction(), Direction::Inactive);
        assert!(inactive.is_hold());
        let recvonly = parse(&HOLD.replace("a=sendonly", "a=recvonly"));
        assert_eq!(recvonly.audio_direction(), Direction::RecvOnly);
        assert!(!recvonly.is_hold());
    }

    #[test]
    fn rfc2543_hold_keeps_its_zero_address() {
        let sdp = parse(&SIPP.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0"));
        assert!(sdp.is_hold());
        assert_eq!(sdp.audio_direction(), Direction::SendRecv);
        assert_eq!(sdp.audio_target(), None);
        let rewritten = sdp.rewrite(ours(), 40000, 2);
        assert!(rewritten.contains("\r\nc=IN IP4 0.0.0.0\r\n"));
        assert!(rewritten.contains("o=user1 53655765 2 IN IP4 203.0.113.5"));
        assert!(parse(&rewritten).is_hold());
    }

    #[test]
    fn ipv6_offer() {
        let sdp = parse(IPV6);
        assert_eq!(
            sdp.audio_target(),
            Some("[2001:db8::10]:7078".parse().unwrap())
        );
        assert_eq!(sdp.audio_formats()[0], format(96, "opus", 48000));
        assert_eq!(sdp.audio_formats()[3], format(101, "telephone-event", 8000));

        let relay: IpAddr = "2001:db8::1".parse().unwrap();
        let rewritten = sdp.rewrite(relay, 40000, 3);
        assert!(rewritten.contains("o=alice 1916 3 IN IP6 2001:db8::1\r\n"));
        assert!(rewritten.contains("c=IN IP6 2001:db8::1\r\n"));
        // An IPv6 phone can be relayed to from an IPv4 relay address and vice versa.
        let v4 = parse(&sdp.rewrite(ours(), 40000, 3));
        assert_eq!(
            v4.audio_target(),
            Some("203.0.113.5:40000".parse().unwrap())
        );
    }

    #[test]
    fn media_level_connection_wins_over_session_level() {
        let body = SIPP.replace(
            "a=rtpmap:0 PCMU/8000\n",
            "c=IN IP4 10.0.0.9\na=rtpmap:0 PCMU/8000\n",
        );
        let sdp = parse(&body);
        assert_eq!(sdp.audio_target(), Some("10.0.0.9:6000".parse().unwrap()));
        let rewritten = sdp.rewrite(ours(), 40000, 1);
        assert_eq!(rewritten.matches("c=IN IP4 203.0.113.5\r\n").count(), 2);
    }

    #[test]
    fn media_level_hold_attribute_wins_over_session_level() {
        let body = SIPP
            .replace("t=0 0\n", "t=0 0\na=sendrecv\n")
            .replace("a=rtpmap", "a=inactive\na=rtpmap");
        assert_eq!(parse(&body).audio_direction(), Direction::Inactive);
        let session_only = SIPP.replace("t=0 0\n", "t=0 0\na=sendonly\n");
        assert_eq!(parse(&session_only).audio_direction(), Direction::SendOnly);
    }

    #[test]
    fn connection_is_added_when_the_offer_has_none() {
        let sdp = parse(&SIPP.replace("c=IN IP4 127.0.0.1\n", ""));
        assert_eq!(sdp.audio_target(), None);
        let rewritten = sdp.rewrite(ours(), 40000, 1);
        assert!(rewritten.contains("m=audio 40000 RTP/AVP 0\r\nc=IN IP4 203.0.113.5\r\na=rtpmap"));
    }

    #[test]
    fn other_streams_are_rejected_and_ice_dropped() {
        let body = format!(
            "{}a=ice-ufrag:F7gI\r\na=candidate:1 1 UDP 2130706431 192.168.1.23 10774 typ host\r\n\
             m=video 10776 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=rtcp:10777\r\n",
            BARESIP
        );
        let sdp = parse(&body);
        let rewritten = sdp.rewrite(ours(), 40000, 1);
        assert!(rewritten.contains("\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"));
        assert_eq!(rewritten.matches("a=rtcp:").count(), 1);
        assert!(!rewritten.contains("candidate") && !rewritten.contains("ice-ufrag"));
        assert!(!rewritten.contains("192.168.1.23"));
    }

    #[test]
    fn first_active_audio_stream_is_the_audio_stream() {
        let body = SIPP.replace("m=audio 6000", "m=audio 0 RTP/AVP 0\nm=audio 6000");
        let sdp = parse(&body);
        assert_eq!(sdp.audio_target(), Some("127.0.0.1:6000".parse().unwrap()));
        let rewritten = sdp.rewrite(ours(), 40000, 1);
        assert!(rewritten.contains("m=audio 0 RTP/AVP 0\r\nm=audio 40000 RTP/AVP 0\r\n"));
    }

    #[test]
    fn rejected_audio_stays_rejected() {
        let sdp = parse(&SIPP.replace("m=audio 6000", "m=audio 0"));
        assert_eq!(sdp.audio_target(), None);
        assert!(sdp
            .rewrite(ours(), 40000, 1)
            .contains("m=audio 0 RTP/AVP 0\r\n"));
    }

    #[test]
    fn no_audio_stream() {
        let sdp = parse(&SIPP.replace("m=audio 6000 RTP/AVP 0", "m=video 6000 RTP/AVP 96"));
        assert_eq!(sdp.audio_target(), None);
        assert!(sdp.audio_formats().is_empty());
        assert!(!sdp.is_hold());
        assert!(sdp
            .rewrite(ours(), 40000, 1)
            .contains("m=video 0 RTP/AVP 96\r\n"));
    }

    #[test]
    fn rtcp_with_address_is_rewritten_with_ours() {
        let body = BARESIP.replace("a=rtcp:10775", "a=rtcp:10775 IN IP4 192.168.1.23");
        let rewritten = parse(&body).rewrite(ours(), 40000, 1);
        assert!(rewritten.contains("\r\na=rtcp:40001 IN IP4 203.0.113.5\r\n"));
    }

    #[test]
    fn display_reemits_the_original() {
        assert_eq!(parse(BARESIP).to_string(), BARESIP);
        assert_eq!(parse(SIPP).to_string(), SIPP.replace('\n', "\r\n"));
    }

    #[test]
    fn trailing_blank_lines_are_tolerated() {
        assert!(SessionDescription::parse(&format!("{BARESIP}\r\n\r\n")).is_ok());
        assert!(SessionDescription::parse(SIPP.trim_end()).is_ok());
    }

    #[test]
    fn malformed_bodies_are_errors() {
        let cases: Vec<(String, SdpError)> = vec![
            (String::new(), SdpError::MalformedLine { line: 1 }),
            ("\r\n".into(), SdpError::MalformedLine { line: 1 }),
            ("v=1\r\n".into(), SdpError::NoVersion),
            (SIPP.replace("v=0\n", ""), SdpError::NoVersion),
            (
                SIPP.replace("m=audio 6000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n", ""),
                SdpError::NoMedia,
            ),
            (
                SIPP.replace("o=user1 53655765 2353687637 IN IP4 127.0.0.1\n", ""),
                SdpError::NoOrigin,
            ),
            (SIPP.replace("s=-\n", ""), SdpError::NoSessionName),
            (
                SIPP.replace("t=0 0", "t=0 0\nthis is not sdp"),
                SdpError::MalformedLine { line: 6 },
            ),
            (
                SIPP.replace("t=0 0", "t=0 0\n"),
                SdpError::MalformedLine { line: 6 },
            ),
            (
                SIPP.replace("t=0 0", "=0 0"),
                SdpError::MalformedLine { line: 5 },
            ),
            (
                SIPP.replace("t=0 0", "\u{e9}=0 0"),
                SdpError::MalformedLine { line: 5 },
            ),
            (
                SIPP.replace("t=0 0", "t=0\r0"),
                SdpError::MalformedLine { line: 5 },
            ),
            (
                SIPP.replace("t=0 0", "t=0\x000"),
                SdpError::MalformedLine { line: 5 },
            ),
            (
                SIPP.replace("IN IP4 127.0.0.1\ns", "IN\ns"),
                SdpError::Malformed { kind: 'o', line: 2 },
            ),
            (
                SIPP.replace("c=IN IP4 127.0.0.1", "c=IN IP4"),
                SdpError::Malformed { kind: 'c', line: 4 },
            ),
            (
                SIPP.replace("m=audio 6000 RTP/AVP 0", "m=audio"),
                SdpError::Malformed { kind: 'm', line: 6 },
            ),
            (
                SIPP.replace("6000", "70000"),
                SdpError::Malformed { kind: 'm', line: 6 },
            ),
            (
                SIPP.replace("6000", "-1"),
                SdpError::Malformed { kind: 'm', line: 6 },
            ),
            (
                SIPP.replace("s=-\n", "s=-\ns=again\n"),
                SdpError::Unexpected { kind: 's', line: 4 },
            ),
            (
                SIPP.replace("s=-\n", "s=-\nv=0\n"),
                SdpError::Unexpected { kind: 'v', line: 4 },
            ),
            (
                format!("{SIPP}o=- 1 1 IN IP4 1.2.3.4\n"),
                SdpError::Unexpected { kind: 'o', line: 8 },
            ),
        ];
        for (body, error) in cases {
            assert_eq!(SessionDescription::parse(&body), Err(error), "{body:?}");
        }
    }

    #[test]
    fn huge_bodies_are_refused_before_parsing() {
        let huge = format!("{BARESIP}{}", "a=x\r\n".repeat(MAX_SDP_LEN / 5));
        assert_eq!(
            SessionDescription::parse(&huge),
            Err(SdpError::TooLarge {
                len: huge.len(),
                max: MAX_SDP_LEN
            })
        );
        let big_but_fine = format!(
            "{BARESIP}{}",
            "a=x\r\n".repeat((MAX_SDP_LEN - BARESIP.len()) / 5)
        );
        assert!(SessionDescription::parse(&big_but_fine).is_ok());
    }

    #[test]
    fn odd_but_tolerated_lines_do_not_panic() {
        for body in [
            SIPP.replace("c=IN IP4 127.0.0.1", "c=IN IP4 media.example.com"),
            SIPP.replace("c=IN IP4 127.0.0.1", "c=ATM NSAP 47.0005"),
            SIPP.replace("c=IN IP4 127.0.0.1", "c=IN IP4 224.2.1.1/127/3"),
            SIPP.replace("m=audio 6000 RTP/AVP 0", "m=audio 6000/2 RTP/AVP 0"),
            SIPP.replace("m=audio 6000 RTP/AVP 0", "m=audio 6000 RTP/AVP"),
            SIPP.replace("m=audio 6000 RTP/AVP 0", "m=audio 6000 RTP/AVP 0 300 x"),
            SIPP.replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:0"),
            SIPP.replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:0 PCMU/fast"),
            SIPP.replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:"),
            SIPP.replace("a=rtpmap:0 PCMU/8000", "a=\na=:\na=rtcp"),
            SIPP.replace("s=-", "s=Gespr\u{e4}ch \u{1f4de}"),
        ] {
            let sdp = parse(&body);
            let _ = (
                sdp.audio_target(),
                sdp.audio_direction(),
                sdp.is_hold(),
                sdp.audio_formats(),
            );
            parse(&sdp.rewrite(ours(), 40000, u64::MAX));
        }
        let multicast = parse(&SIPP.replace("c=IN IP4 127.0.0.1", "c=IN IP4 224.2.1.1/127/3"));
        assert_eq!(
            multicast.audio_target(),
            Some("224.2.1.1:6000".parse().unwrap())
        );
        let fqdn = parse(&SIPP.replace("c=IN IP4 127.0.0.1", "c=IN IP4 media.example.com"));
        assert_eq!(fqdn.audio_target(), None);
        let pair = parse(&SIPP.replace("6000 RTP", "6000/2 RTP")).rewrite(ours(), 40000, 1);
        assert!(pair.contains("m=audio 40000 RTP/AVP 0\r\n"));
    }

    #[test]
    fn garbage_never_panics() {
        // A cheap deterministic fuzz: every prefix and every byte-flip of a real body.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for cut in 0..BARESIP.len() {
            if let Some(prefix) = BARESIP.get(..cut) {
                let _ = SessionDescription::parse(prefix).map(|sdp| sdp.rewrite(ours(), 40000, 1));
            }
        }
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut bytes = BARESIP.as_bytes().to_vec();
            let at = (seed % bytes.len() as u64) as usize;
            bytes[at] = b" \r\n=:/0amvcos\x00"[(seed >> 32) as usize % 14];
            if let Ok(body) = std::str::from_utf8(&bytes) {
                if let Ok(sdp) = SessionDescription::parse(body) {
                    let _ = (sdp.audio_target(), sdp.is_hold(), sdp.audio_formats());
                    let _ = sdp.rewrite(ours(), 40000, 1);
                }
            }
        }
    }

    #[test]
    fn packet_time_from_the_audio_section_else_the_session() {
        let ptime = |session: &str, media: &str| {
            let body = format!(
                "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
                 {session}m=audio 4000 RTP/AVP 0\r\n{media}"
            );
            SessionDescription::parse(&body).unwrap().audio_ptime()
        };
        assert_eq!(ptime("", ""), None);
        assert_eq!(ptime("", "a=ptime:30\r\n"), Some(30));
        assert_eq!(ptime("a=ptime:40\r\n", ""), Some(40));
        assert_eq!(ptime("a=ptime:40\r\n", "a=ptime:20\r\n"), Some(20));
        assert_eq!(ptime("", "a=ptime:soon\r\n"), None);
        assert_eq!(ptime("", "a=ptime:0\r\n"), None);
    }
}
