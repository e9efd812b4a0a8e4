//! Arbitrary bytes as a TCP stream, cut into chunks of arbitrary sizes, through
//! `StreamFramer::push`. It must never panic, never hold more than its limit, never hand
//! out a message over the limit, and frame the same stream the same way however it is
//! chunked (compared with pushing it whole). Each framed message then goes to the message
//! layer as a received message would.
//!
//! Input layout: byte 0 picks the message size limit (small ones reach the limit paths),
//! byte 1 seeds the chunk sizes, the rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sb_sip::message::{read_datagram, Limits};
use sb_sip::transport::framing::{Frame, StreamFramer};

fuzz_target!(|data: &[u8]| {
    let [size, seed, stream @ ..] = data else {
        return;
    };
    let max = 16 + usize::from(*size) * 32;

    // The whole stream in one push.
    let mut whole = StreamFramer::new(max);
    let (whole_frames, whole_failed) = match whole.push(stream) {
        Ok(frames) => (frames, whole.error().is_some()),
        Err(_) => (Vec::new(), true),
    };
    check(&whole, max, &whole_frames);

    // The same stream in chunks of 0 to 63 bytes (empty pushes included).
    let mut chunked = StreamFramer::new(max);
    let mut frames = Vec::new();
    let mut failed = false;
    let mut state = u32::from(*seed) | 0x100;
    let mut rest = stream;
    while !rest.is_empty() && !failed {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let (chunk, tail) = rest.split_at((state as usize % 64).min(rest.len()));
        rest = tail;
        match chunked.push(chunk) {
            Ok(new) => {
                check(&chunked, max, &new);
                frames.extend(new);
                failed = chunked.error().is_some();
            }
            Err(_) => {
                assert_eq!(chunked.buffered(), 0, "a failed framer keeps bytes");
                failed = true;
            }
        }
    }
    // Which error ends the stream may differ (headers too long while they still arrive,
    // against too large once they are whole); the frames before it and the fact may not.
    assert_eq!(
        frames, whole_frames,
        "framing depends on how the stream is chunked"
    );
    assert_eq!(
        failed, whole_failed,
        "a framing error depends on how the stream is chunked"
    );

    for frame in whole_frames {
        if let Frame::Message(message) = frame {
            std::hint::black_box(read_datagram(message, &Limits::stream()));
        }
    }
});

fn check(framer: &StreamFramer, max: usize, frames: &[Frame]) {
    assert!(
        framer.buffered() <= max,
        "holds {} bytes over a limit of {max}",
        framer.buffered()
    );
    for frame in frames {
        if let Frame::Message(message) = frame {
            assert!(
                message.len() <= max,
                "a message of {} bytes over a limit of {max}",
                message.len()
            );
            assert!(!message.is_empty());
        }
    }
}
