//! Custom apps and IVRs that ring phones, end to end with real baresip phones registered to
//! the real `switchboard` binary (each sends its own tone and records what it decodes).
//!
//! - `Dial()`: 1001 calls custom app 800 (`Dial(PJSIP/1002,20)`); 1002 answers by itself;
//!   each must hear the other's tone and not its own, and when the callee hangs up the
//!   program ends and the caller's call closes too.
//! - IVR: 1001 dials IVR `mainmenu` by its key; its greeting (an uploaded 1700 Hz WAV) plays
//!   until 1001 keys `1` (RFC 4733), which leads to custom app 800, so 1002 rings and
//!   answers. 1001 must have heard the greeting, and then only 1002 (the greeting stopped);
//!   1002 only 1001.

mod common;

use common::baresip::{assert_each_hears_the_other, tone_report, write_tone, Baresip, Phone};
use common::sipp::{require_tool, SipPbx};
use common::{Backend, TempDir};
use serde_json::json;
use std::path::Path;
use std::time::Duration;

const TONE_1001: f64 = 440.0;
const TONE_1002: f64 = 1000.0;
const TONE_GREETING: f64 = 1700.0;

/// Two registered phones: 1001 dials by hand, 1002 answers by itself.
async fn phones(pbx: &SipPbx, tones: &TempDir) -> (Baresip, Baresip) {
    let tone = |hz: f64| {
        let path = tones.path().join(format!("tone-{hz}.wav"));
        // Longer than any call here: aufile stops at the end of its file.
        write_tone(&path, hz, 20);
        path
    };
    let (tone_a, tone_b) = (tone(TONE_1001), tone(TONE_1002));
    let mut a = Baresip::start(&phone(pbx, "a-1001", "1001", &tone_a, false), &pbx.ports).await;
    let mut b = Baresip::start(&phone(pbx, "b-1002", "1002", &tone_b, true), &pbx.ports).await;
    a.wait_registered(Duration::from_secs(10)).await;
    b.wait_registered(Duration::from_secs(10)).await;
    (a, b)
}

fn phone<'a>(pbx: &'a SipPbx, name: &'a str, user: &'a str, source: &'a Path, auto_answer: bool) -> Phone<'a> {
    Phone { name, user, password: pbx.password(user), pbx: pbx.sip, source, auto_answer }
}

#[tokio::test]
async fn dial_in_a_custom_app_bridges_the_caller_to_the_phone_it_rings() {
    if !require_tool("baresip", "baresip-core") {
        return;
    }
    let tones = TempDir::new("custom-app-dial");
    let pbx = SipPbx::start(Backend::Sqlite, &["1001", "1002"]).await;
    let server = pbx.server.as_ref().expect("switchboard");
    let app = json!({"pkey": "800", "cluster": "default", "extcode": "Dial(PJSIP/1002,20)", "span": "Internal"});
    server.post_json("customapps", &app).await.expect(200);
    let (mut a, mut b) = phones(&pbx, &tones).await;

    a.dial(&pbx.uri("800")).await;
    a.wait_event("CALL_ESTABLISHED", Duration::from_secs(10)).await;
    b.wait_event("CALL_ESTABLISHED", Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The callee hangs up: Dial returns, the program ends, the PBX hangs the caller up.
    b.hangup().await;
    b.wait_event("CALL_CLOSED", Duration::from_secs(5)).await;
    a.wait_event("CALL_CLOSED", Duration::from_secs(5)).await;
    a.quit().await;
    b.quit().await;

    assert_each_hears_the_other("Dial", (&a, TONE_1001, "1001"), (&b, TONE_1002, "1002"));
    pbx.assert_no_calls_left().await;
}

#[tokio::test]
async fn an_ivr_key_leads_to_a_custom_app_that_rings_a_phone() {
    if !require_tool("baresip", "baresip-core") {
        return;
    }
    let tones = TempDir::new("custom-app-ivr");
    let pbx = SipPbx::start(Backend::Sqlite, &["1001", "1002"]).await;
    let server = pbx.server.as_ref().expect("switchboard");
    let greeting = tones.path().join("greeting.wav");
    write_tone(&greeting, TONE_GREETING, 10);
    let bytes = std::fs::read(&greeting).expect("greeting");
    server.upload_greeting("usergreeting0001.wav", "audio/wav", bytes).await.expect(201);
    let app = json!({"pkey": "800", "cluster": "default", "extcode": "Dial(PJSIP/1002,20)", "span": "Neither"});
    server.post_json("customapps", &app).await.expect(200);
    let menu = json!({"pkey": "mainmenu", "cluster": "default", "greetnum": 1, "option1": "800", "option2": "Hangup"});
    server.post_json("ivrs", &menu).await.expect(200);
    let (mut a, mut b) = phones(&pbx, &tones).await;

    a.dial(&pbx.uri("mainmenu")).await;
    a.wait_event("CALL_ESTABLISHED", Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    a.send_dtmf("1").await;
    b.wait_event("CALL_ESTABLISHED", Duration::from_secs(10)).await;
    // Long enough that the greeting heard first stays under a fifth of what 1001 received.
    tokio::time::sleep(Duration::from_secs(5)).await;
    a.hangup().await;
    a.wait_event("CALL_CLOSED", Duration::from_secs(5)).await;
    // The caller's end reached the phone the app dialled.
    b.wait_event("CALL_CLOSED", Duration::from_secs(5)).await;
    a.quit().await;
    b.quit().await;

    let greeted = tone_report(&a.received_audio(), TONE_GREETING, TONE_1001);
    eprintln!("IVR a-1001 greeting: {greeted:?}");
    assert!(greeted.wanted >= 5, "1001 did not hear the IVR greeting: {greeted:?}\n{}", a.log());
    assert!(greeted.wanted <= 40, "the greeting went on after the key: {greeted:?}");
    assert_each_hears_the_other("IVR", (&a, TONE_1001, "1001"), (&b, TONE_1002, "1002"));
    pbx.assert_no_calls_left().await;
}
