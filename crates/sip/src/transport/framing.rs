//! Cutting a byte stream (TCP now, TLS later) into SIP messages, sans-IO.
//!
//! On a stream nothing marks where a message ends except its Content-Length, which RFC 3261
//! §18.3 therefore makes mandatory there. [`StreamFramer`] is fed the bytes as they arrive,
//! in chunks of any size, and hands back whole messages (headers plus exactly Content-Length
//! body bytes), still unparsed, and the RFC 5626 §3.5.1 keep-alive pings (CRLFCRLF between
//! messages), which the connection answers with a single CRLF. Other CRLFs before a start
//! line are skipped (RFC 3261 §7.5).
//!
//! A framing error leaves the stream out of step beyond repair: the framer refuses all
//! further input and the connection is to be closed.

use bytes::{Bytes, BytesMut};
use thiserror::Error;

/// The end of the header section (and of a keep-alive ping).
const BLANK_LINE: &[u8] = b"\r\n\r\n";

/// The longest Content-Length text quoted back in an error.
const QUOTED_MAX: usize = 32;

/// One unit cut from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A whole message: start line, headers, blank line and exactly Content-Length body bytes.
    Message(Bytes),
    /// A CRLFCRLF keep-alive ping between messages (RFC 5626 §3.5.1): answer with one CRLF.
    Ping,
}

/// Why a stream cannot be framed; the connection is then closed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FramingError {
    /// The header section did not end within the message size limit.
    #[error("no end of headers within {max} bytes")]
    HeadersTooLong {
        /// The message size limit.
        max: usize,
    },
    /// No Content-Length, which a stream cannot do without (RFC 3261 §18.3).
    #[error("Content-Length is missing (mandatory on stream transports)")]
    MissingContentLength,
    /// A Content-Length value that is not a non-negative decimal number.
    #[error("Content-Length {0:?} is not a number")]
    BadContentLength(String),
    /// Two Content-Length headers that disagree: which one frames the message is anyone's guess.
    #[error("Content-Length given twice, as {first} and {second}")]
    ConflictingContentLength {
        /// The first value.
        first: u64,
        /// The first value that differs from it.
        second: u64,
    },
    /// Headers and body together exceed the message size limit.
    #[error("message of {length} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Headers plus Content-Length (saturated at `u64::MAX`).
        length: u64,
        /// The message size limit.
        max: usize,
    },
}

/// Incremental framer for one stream; a plain struct, it does no IO.
///
/// Holds at most one incomplete message (bounded by the limit) plus the tail of the last
/// chunk, so a peer cannot make it buffer without bound.
#[derive(Debug)]
pub struct StreamFramer {
    max_message: usize,
    buf: BytesMut,
    /// How far the search for the blank line has looked, so that bytes arriving one at a
    /// time cost linear rather than quadratic time.
    scanned: usize,
    /// Once the headers of the message at the front are read: its total length.
    pending: Option<usize>,
    /// Set by the first error, after which the stream is out of step for good.
    failed: Option<FramingError>,
}

/// What the bytes at the front of the buffer are, between messages.
enum Lead {
    /// A CRLFCRLF ping.
    Ping,
    /// This many bytes of line breaks to skip.
    Skip(usize),
    /// Too few bytes to tell a ping from a stray CRLF.
    Wait,
    /// The start of a message.
    Message,
}

impl StreamFramer {
    /// A framer refusing messages (headers and body together) longer than `max_message` bytes.
    pub fn new(max_message: usize) -> Self {
        StreamFramer { max_message, buf: BytesMut::new(), scanned: 0, pending: None, failed: None }
    }

    /// Takes the next chunk of the stream and returns the frames it completes, in order.
    ///
    /// Once framing fails, the stream can no longer be trusted to be in step and every
    /// later call fails with the same error. When the failing chunk first completed some
    /// frames, those are returned (they were well framed) and the error waits in
    /// [`error`](Self::error), which the caller checks after handling them.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Frame>, FramingError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        self.buf.extend_from_slice(chunk);
        let mut frames = Vec::new();
        loop {
            match self.next_frame() {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => return Ok(frames),
                Err(err) => {
                    self.failed = Some(err.clone());
                    self.buf = BytesMut::new();
                    return if frames.is_empty() { Err(err) } else { Ok(frames) };
                }
            }
        }
    }

    /// The error that ended framing, if it has ended.
    pub fn error(&self) -> Option<&FramingError> {
        self.failed.as_ref()
    }

    /// Bytes held for a frame not yet complete.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, FramingError> {
        let total = match self.pending {
            Some(total) => total,
            None => {
                loop {
                    match lead(&self.buf) {
                        Lead::Ping => {
                            let _ = self.buf.split_to(BLANK_LINE.len());
                            return Ok(Some(Frame::Ping));
                        }
                        Lead::Skip(n) => {
                            let _ = self.buf.split_to(n);
                        }
                        Lead::Wait => return Ok(None),
                        Lead::Message => break,
                    }
                }
                let Some(head_len) = self.find_blank_line() else {
                    // Even one more byte would make the headers alone longer than the limit.
                    if self.buf.len() >= self.max_message {
                        return Err(FramingError::HeadersTooLong { max: self.max_message });
                    }
                    return Ok(None);
                };
                let body = content_length(&self.buf[..head_len])?;
                let length = u64::try_from(head_len).unwrap_or(u64::MAX).saturating_add(body);
                let total = match usize::try_from(length) {
                    Ok(total) if total <= self.max_message => total,
                    _ => return Err(FramingError::TooLarge { length, max: self.max_message }),
                };
                self.pending = Some(total);
                total
            }
        };
        if self.buf.len() < total {
            return Ok(None);
        }
        self.pending = None;
        self.scanned = 0;
        Ok(Some(Frame::Message(self.buf.split_to(total).freeze())))
    }

    /// The length of the header section including its blank line, once it is all here.
    fn find_blank_line(&mut self) -> Option<usize> {
        // The blank line may straddle what was scanned and what just arrived.
        let from = self.scanned.min(self.buf.len()).saturating_sub(BLANK_LINE.len() - 1);
        let found = self.buf[from..].windows(BLANK_LINE.len()).position(|w| w == BLANK_LINE);
        self.scanned = self.buf.len();
        found.map(|at| from + at + BLANK_LINE.len())
    }
}

fn lead(buf: &[u8]) -> Lead {
    match buf {
        [b'\r', b'\n', b'\r', b'\n', ..] => Lead::Ping,
        [] | [b'\r'] | [b'\r', b'\n'] | [b'\r', b'\n', b'\r'] => Lead::Wait,
        [b'\r', b'\n', ..] => Lead::Skip(2),
        // A bare LF is not a SIP line break, but skipping it costs nothing (RFC 3261 §7.5).
        [b'\n', ..] => Lead::Skip(1),
        _ => Lead::Message,
    }
}

/// The Content-Length of a header section (full or compact `l` name, any case, whitespace
/// around the colon); repeated headers must agree.
fn content_length(head: &[u8]) -> Result<u64, FramingError> {
    let mut found: Option<u64> = None;
    // The start line is skipped: a request URI contains colons of its own.
    for line in head.split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // A continuation of a folded header, never the start of a Content-Length.
        if line.first().is_some_and(|b| matches!(b, b' ' | b'\t')) {
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let name = line[..colon].trim_ascii();
        if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")) {
            continue;
        }
        let value = parse_length(line[colon + 1..].trim_ascii())?;
        match found {
            Some(first) if first != value => {
                return Err(FramingError::ConflictingContentLength { first, second: value });
            }
            _ => found = Some(value),
        }
    }
    found.ok_or(FramingError::MissingContentLength)
}

/// `1*DIGIT` (RFC 3261 §20.14): no sign, no spaces; too many digits saturate, to be
/// refused as too large rather than as unreadable.
fn parse_length(value: &[u8]) -> Result<u64, FramingError> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        let quoted = String::from_utf8_lossy(&value[..value.len().min(QUOTED_MAX)]).into_owned();
        return Err(FramingError::BadContentLength(quoted));
    }
    Ok(value.iter().fold(0u64, |n, &d| n.saturating_mul(10).saturating_add(u64::from(d - b'0'))))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] =
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n";
    const MESSAGE: &[u8] = b"MESSAGE sip:a@b SIP/2.0\r\nl : 5\r\nCall-ID: x\r\n\r\nhello";

    fn messages(frames: Vec<Frame>) -> Vec<Bytes> {
        frames
            .into_iter()
            .map(|f| match f {
                Frame::Message(m) => m,
                Frame::Ping => panic!("unexpected ping"),
            })
            .collect()
    }

    #[test]
    fn two_messages_in_one_chunk() {
        let mut framer = StreamFramer::new(65_535);
        let chunk = [OPTIONS, MESSAGE].concat();
        assert_eq!(messages(framer.push(&chunk).unwrap()), vec![Bytes::from(OPTIONS), Bytes::from(MESSAGE)]);
        assert_eq!(framer.buffered(), 0);
    }

    #[test]
    fn a_message_one_byte_at_a_time() {
        let mut framer = StreamFramer::new(65_535);
        let stream = [MESSAGE, OPTIONS].concat();
        let mut out = Vec::new();
        for byte in &stream {
            out.extend(messages(framer.push(std::slice::from_ref(byte)).unwrap()));
        }
        assert_eq!(out, vec![Bytes::from(MESSAGE), Bytes::from(OPTIONS)]);
    }

    #[test]
    fn body_bytes_are_counted_not_searched() {
        // The body contains a blank line and the start of another message.
        let msg = b"INFO sip:a SIP/2.0\r\nContent-Length: 8\r\n\r\n\r\n\r\nINFO";
        let mut framer = StreamFramer::new(1000);
        assert_eq!(messages(framer.push(msg).unwrap()), vec![Bytes::from_static(msg)]);
    }

    #[test]
    fn the_next_message_waits_for_its_body() {
        let mut framer = StreamFramer::new(1000);
        assert!(framer.push(&MESSAGE[..MESSAGE.len() - 1]).unwrap().is_empty());
        assert_eq!(messages(framer.push(b"o").unwrap()), vec![Bytes::from(MESSAGE)]);
    }

    #[test]
    fn pings_and_stray_line_breaks() {
        let mut framer = StreamFramer::new(1000);
        assert_eq!(framer.push(b"\r\n\r\n").unwrap(), vec![Frame::Ping]);
        // A ping split over chunks, then a stray CRLF before a message.
        assert!(framer.push(b"\r\n").unwrap().is_empty());
        assert_eq!(framer.push(b"\r\n\r\n").unwrap(), vec![Frame::Ping]);
        let mut frames = framer.push(&[OPTIONS, b"\r\n\r\n\r\n"].concat()).unwrap();
        frames.extend(framer.push(b"\r\n").unwrap());
        assert_eq!(frames, vec![Frame::Message(Bytes::from(OPTIONS)), Frame::Ping, Frame::Ping]);
        assert_eq!(messages(framer.push(&[b"\n\r\n", MESSAGE].concat()).unwrap()), vec![Bytes::from(MESSAGE)]);
    }

    #[test]
    fn compact_and_spaced_names_are_found() {
        for head in ["L:3", "content-length :\t3", "CONTENT-LENGTH:   3  ", "l  :  3"] {
            let msg = format!("BYE sip:a SIP/2.0\r\n{head}\r\n\r\nabc");
            let mut framer = StreamFramer::new(1000);
            assert_eq!(messages(framer.push(msg.as_bytes()).unwrap()), vec![Bytes::from(msg.clone())], "{head}");
        }
        // Names that only start alike are other headers.
        let mut framer = StreamFramer::new(1000);
        let err = framer.push(b"BYE sip:a SIP/2.0\r\nLength: 1\r\nX-Content-Length: 2\r\n\r\n").unwrap_err();
        assert_eq!(err, FramingError::MissingContentLength);
    }

    #[test]
    fn missing_content_length() {
        let mut framer = StreamFramer::new(1000);
        assert_eq!(framer.push(b"BYE sip:a SIP/2.0\r\nCall-ID: x\r\n\r\n"), Err(FramingError::MissingContentLength));
    }

    #[test]
    fn unparsable_and_negative_content_length() {
        for (value, quoted) in [("abc", "abc"), ("-1", "-1"), ("+1", "+1"), ("1 2", "1 2"), ("", ""), ("0x10", "0x10")]
        {
            let mut framer = StreamFramer::new(1000);
            let msg = format!("BYE sip:a SIP/2.0\r\nContent-Length: {value}\r\n\r\n");
            assert_eq!(framer.push(msg.as_bytes()), Err(FramingError::BadContentLength(quoted.into())), "{value}");
        }
    }

    #[test]
    fn duplicated_content_length() {
        let mut framer = StreamFramer::new(1000);
        let agreeing = b"BYE sip:a SIP/2.0\r\nContent-Length: 1\r\nl: 1\r\n\r\nx";
        assert_eq!(messages(framer.push(agreeing).unwrap()).len(), 1);
        let mut framer = StreamFramer::new(1000);
        let err = framer.push(b"BYE sip:a SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nxx").unwrap_err();
        assert_eq!(err, FramingError::ConflictingContentLength { first: 1, second: 2 });
    }

    #[test]
    fn frames_before_an_error_are_kept() {
        let mut framer = StreamFramer::new(1000);
        let chunk = [OPTIONS, b"\r\n\r\n", b"BYE sip:a SIP/2.0\r\nl: x\r\n\r\n"].concat();
        assert_eq!(framer.push(&chunk), Ok(vec![Frame::Message(Bytes::from(OPTIONS)), Frame::Ping]));
        let err = FramingError::BadContentLength("x".into());
        assert_eq!(framer.error(), Some(&err));
        assert_eq!(framer.push(OPTIONS), Err(err));
    }

    #[test]
    fn headers_without_end_are_bounded() {
        let mut framer = StreamFramer::new(64);
        assert!(framer.push(&[b'a'; 63]).unwrap().is_empty());
        assert_eq!(framer.error(), None);
        assert_eq!(framer.push(b"a"), Err(FramingError::HeadersTooLong { max: 64 }));
        // The stream stays refused, and nothing is kept.
        assert_eq!(framer.push(OPTIONS), Err(FramingError::HeadersTooLong { max: 64 }));
        assert_eq!(framer.buffered(), 0);
    }

    #[test]
    fn oversized_messages() {
        let mut framer = StreamFramer::new(OPTIONS.len());
        assert_eq!(messages(framer.push(OPTIONS).unwrap()).len(), 1, "exactly the limit is fine");
        let msg = b"BYE sip:a SIP/2.0\r\nContent-Length: 100\r\n\r\n";
        let mut framer = StreamFramer::new(100);
        assert_eq!(framer.push(msg), Err(FramingError::TooLarge { length: msg.len() as u64 + 100, max: 100 }));
        let mut framer = StreamFramer::new(100);
        let huge = b"BYE sip:a SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        assert_eq!(framer.push(huge), Err(FramingError::TooLarge { length: u64::MAX, max: 100 }));
    }

    #[test]
    fn garbage_does_not_panic() {
        let mut framer = StreamFramer::new(256);
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            let chunk: Vec<u8> = (0..len).map(|i| b"\r\n:l0 -aX"[((seed >> (i % 50)) % 9) as usize]).collect();
            if framer.push(&chunk).is_err() {
                framer = StreamFramer::new(256);
            }
            assert!(framer.buffered() <= 256 + 40);
        }
    }
}
