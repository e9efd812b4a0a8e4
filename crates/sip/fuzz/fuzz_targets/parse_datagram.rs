//! Arbitrary bytes as one received UDP datagram: `read_datagram` with the datagram limits,
//! then what the server does next with each outcome. None of it may panic.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sb_sip::message::{
    check_request, encode, read_datagram, response_to, Inbound, Limits, ServerPolicy,
};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::datagram();
    match read_datagram(Bytes::copy_from_slice(data), &limits) {
        Inbound::Request(request) => {
            if let Some(rejection) = check_request(&request, &ServerPolicy::default()) {
                touch(rejection.status, rejection.response.as_deref());
            }
            if let Some(response) = response_to(&request, 400, "x") {
                let wire = encode(&response);
                // What Switchboard encodes must read back as a response.
                if let Err(err) = sb_sip::message::parse(wire.clone(), &limits) {
                    panic!(
                        "encoded 400 does not parse: {err}\n{}",
                        String::from_utf8_lossy(&wire)
                    );
                }
            }
        }
        Inbound::Response(response) => {
            std::hint::black_box(&response);
        }
        Inbound::Reject(rejection) => touch(rejection.status, rejection.response.as_deref()),
        Inbound::Discard(reason) => {
            std::hint::black_box(reason);
        }
    }
});

/// Reads a stateless response the way sending it would.
fn touch(status: u16, response: Option<&[u8]>) {
    assert!(
        (100..=699).contains(&status),
        "status {status} out of range"
    );
    if let Some(bytes) = response {
        std::hint::black_box(bytes.iter().fold(0u8, |acc, b| acc ^ b));
    }
}
