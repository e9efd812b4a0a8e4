//! Audio really crosses the PBX, both ways, between two real softphones: baresip (Debian
//! `baresip-core`) as 1001 and 1002, registered to the real `switchboard` binary.
//!
//! 1001 sends a 440 Hz tone, 1002 a 1000 Hz tone (WAVs made here, played by `aufile`);
//! each phone records what it decodes from the network (`sndfile`). 1001 calls 1002, which
//! answers by itself; after ~3 s 1001 hangs up and 1002 must see the call close (the BYE
//! was relayed). Then each recording must not be silence and must be the OTHER side's tone
//! (Goertzel per 50 ms frame), never its own.

mod common;

use common::backends;
use common::baresip::{assert_each_hears_the_other, write_tone, Baresip, Phone};
use common::sipp::{require_tool, SipPbx};
use common::TempDir;
use std::time::Duration;

const TONE_1001: f64 = 440.0;
const TONE_1002: f64 = 1000.0;

#[tokio::test]
async fn audio_crosses_the_pbx_both_ways_between_baresip_phones() {
    if !require_tool("baresip", "baresip-core") {
        return;
    }
    let wavs = TempDir::new("baresip-tones");
    let tone_a = wavs.path().join("tone-440.wav");
    let tone_b = wavs.path().join("tone-1000.wav");
    // Longer than the call: aufile stops at the end of its file.
    write_tone(&tone_a, TONE_1001, 20);
    write_tone(&tone_b, TONE_1002, 20);

    for backend in backends() {
        let pbx = SipPbx::start(backend, &["1001", "1002"]).await;
        let phone = |name, user, source, auto_answer| Phone {
            name,
            user,
            password: pbx.password(user),
            pbx: pbx.sip,
            source,
            auto_answer,
        };
        let mut a = Baresip::start(&phone("a-1001", "1001", tone_a.as_path(), false), &pbx.ports).await;
        let mut b = Baresip::start(&phone("b-1002", "1002", tone_b.as_path(), true), &pbx.ports).await;
        a.wait_registered(Duration::from_secs(10)).await;
        b.wait_registered(Duration::from_secs(10)).await;

        a.dial(&pbx.uri("1002")).await;
        a.wait_event("CALL_ESTABLISHED", Duration::from_secs(10)).await;
        b.wait_event("CALL_ESTABLISHED", Duration::from_secs(5)).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        a.hangup().await;
        a.wait_event("CALL_CLOSED", Duration::from_secs(5)).await;
        // The BYE reached the callee through the PBX.
        b.wait_event("CALL_CLOSED", Duration::from_secs(5)).await;
        a.quit().await;
        b.quit().await;

        let label = format!("{backend:?}");
        assert_each_hears_the_other(&label, (&a, TONE_1001, "1001"), (&b, TONE_1002, "1002"));
        pbx.assert_one_cdr("1001", "1002", "ANSWERED").await;
        pbx.assert_no_calls_left().await;
    }
}
