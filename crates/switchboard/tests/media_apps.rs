//! The PBX's own media applications end to end: the real `switchboard` binary started with
//! `serve --demo --sounds DIR` answers the demo numbers itself, and real baresip phones
//! (Debian `baresip-core`) registered to it call them. Each phone plays a WAV made here
//! and records what it decodes from the network; the test judges that recording.
//!
//! - 600, echo: the caller's own 440 Hz tone comes back (not silence, not something else).
//! - 601, playback: the `hello-world` sound this test installs (three tones) is heard, its
//!   waveform matching the file (normalised cross-correlation over the lag, after G.711)
//!   and complete, and then the PBX hangs up by itself.
//! - DTMF: digits 1, 2, 3 keyed at 600 as RFC 4733 events (baresip's `sndcode`) are
//!   counted exactly once each in `/metrics`, and no other digit is.
//! - 602, conference: three callers with three tones each hear the other two and not
//!   themselves (Goertzel power per 50 ms frame).
//!
//! Every call must leave one ANSWERED CDR naming its application (`Echo`, `Playback`,
//! `ConfBridge`). The audio helpers (WAV writing, Goertzel frames, cross-correlation, in
//! `common::baresip`) and the metrics parser are unit-tested at the end of this file, with
//! the project's G.711 standing in for the codec's loss, so a failure of the PBX tests is
//! not a broken yardstick.

mod common;

use common::baresip::{
    best_correlation, read_wav, sine, tone_frames, tone_report, tone_sequence, write_tone, write_wav, Baresip, Frame,
    Phone, RATE,
};
use common::sipp::{metric_samples, require_tool, SipPbx};
use common::{backends, Backend, TempDir};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// The demo numbers, as `[demo_numbers]` defaults them.
const ECHO: &str = "600";
const PLAYBACK: &str = "601";
const CONFERENCE: &str = "602";

/// The tones of the installed `hello-world` sound, in order.
const HELLO_TONES: [f64; 3] = [500.0, 900.0, 1300.0];
/// Each of [`HELLO_TONES`] lasts 0.45 s and is followed by 50 ms of silence: 1.5 s in all,
/// and the gaps make the one alignment that matches sharp.
const HELLO_TONE_LEN: usize = 3600;
const HELLO_GAP_LEN: usize = 400;

/// A caller's tone (echo, playback and DTMF tests).
const CALLER_TONE: f64 = 440.0;
/// A frequency nobody sends: what `tone_report` measures as "unwanted" in the echo test.
const ABSENT_TONE: f64 = 1000.0;

/// The conference's callers and their tones (50 ms frames hold whole periods of each).
const CONFEREES: [(&str, f64); 3] = [("1001", 440.0), ("1002", 1000.0), ("1003", 1700.0)];

/// The DTMF counter and every digit it has a line for.
const DTMF_METRIC: &str = "switchboard_dtmf_digits_received_total";
const ALL_DIGITS: &str = "0123456789*#ABCD";

/// How long a phone stays in the echo test and in the conference once everyone is in.
const STAY: Duration = Duration::from_secs(3);

/// The `hello-world` sound the playback test installs and expects to hear.
fn hello_world() -> Vec<i16> {
    tone_sequence(&HELLO_TONES, HELLO_TONE_LEN, HELLO_GAP_LEN)
}

/// Starts the PBX with the demo numbers and a sounds directory holding our
/// `en/hello-world.wav` (the first place the PBX looks), and `extensions` with known
/// passwords (`--demo` seeds 1001-1003 with random ones; `SipPbx` sets ours). Answers the
/// directory too, which must outlive the PBX.
async fn start_demo(backend: Backend, extensions: &[&str]) -> (SipPbx, TempDir) {
    let sounds = TempDir::new("switchboard-sounds");
    let en = sounds.path().join("en");
    std::fs::create_dir_all(&en).expect("sounds/en");
    write_wav(&en.join("hello-world.wav"), &hello_world());
    let dir = sounds.path().to_string_lossy().into_owned();
    let pbx = SipPbx::start_with(backend, extensions, &["--demo", "--sounds", &dir]).await;
    (pbx, sounds)
}

/// A phone for `user` sending `source`, registered.
async fn registered_phone(pbx: &SipPbx, name: &str, user: &str, source: &Path) -> Baresip {
    let phone = Phone { name, user, password: pbx.password(user), pbx: pbx.sip, source, auto_answer: false };
    let mut phone = Baresip::start(&phone, &pbx.ports).await;
    phone.wait_registered(Duration::from_secs(10)).await;
    phone
}

/// Dials `number` and waits until the PBX answered.
async fn call(pbx: &SipPbx, phone: &mut Baresip, number: &str) {
    phone.dial(&pbx.uri(number)).await;
    phone.wait_event("CALL_ESTABLISHED", Duration::from_secs(10)).await;
}

/// Hangs up and waits until the call is gone.
async fn hang_up(phone: &mut Baresip) {
    phone.hangup().await;
    phone.wait_event("CALL_CLOSED", Duration::from_secs(5)).await;
}

/// Exactly one ANSWERED CDR from `src` to `number`, whose `lastapp` is `app`.
async fn assert_app_cdr(pbx: &SipPbx, src: &str, number: &str, app: &str) {
    if let Some(cdr) = pbx.assert_one_cdr(src, number, "ANSWERED").await {
        assert_eq!(cdr["lastapp"], json!(app), "the CDR of {src} -> {number} names another application: {cdr}");
    }
}

/// The DTMF counter by digit (a digit without a line counts 0), or `None` without `/metrics`.
async fn dtmf_counts(pbx: &SipPbx) -> Option<BTreeMap<char, f64>> {
    let text = pbx.metrics().await?;
    Some(dtmf_counts_in(&text))
}

/// [`dtmf_counts`] of a `/metrics` text. A line whose digit label is not one character is
/// kept under '?', so that it shows in the failure message rather than vanishing.
fn dtmf_counts_in(text: &str) -> BTreeMap<char, f64> {
    let mut counts: BTreeMap<char, f64> = ALL_DIGITS.chars().map(|d| (d, 0.0)).collect();
    for (labels, value) in metric_samples(text, DTMF_METRIC) {
        let digit =
            labels.split(',').find_map(|l| l.trim().strip_prefix("digit=\"")?.strip_suffix('"').map(str::to_owned));
        let key = match digit.as_deref().map(|d| (d.chars().next(), d.chars().count())) {
            Some((Some(c), 1)) => c,
            _ => '?',
        };
        *counts.entry(key).or_default() += value;
    }
    counts
}

/// Whether a DTMF line for `digit` is in a `/metrics` text at all.
fn has_dtmf_line(text: &str, digit: char) -> bool {
    metric_samples(text, DTMF_METRIC).iter().any(|(labels, _)| labels.contains(&format!("digit=\"{digit}\"")))
}

/// A WAV of `hz` long enough for any call here (`aufile` stops at the end of its file).
fn caller_tone(dir: &TempDir, hz: f64) -> std::path::PathBuf {
    let path = dir.path().join(format!("tone-{hz}.wav"));
    write_tone(&path, hz, 30);
    path
}

#[tokio::test]
async fn echo_test_600_sends_the_callers_own_audio_back() {
    if !require_tool("baresip", "baresip-core") {
        return;
    }
    let wavs = TempDir::new("media-echo");
    let tone = caller_tone(&wavs, CALLER_TONE);
    for backend in backends() {
        let (pbx, _sounds) = start_demo(backend, &["1001"]).await;
        let mut phone = registered_phone(&pbx, "echo-1001", "1001", &tone).await;
        call(&pbx, &mut phone, ECHO).await;
        tokio::time::sleep(STAY).await;
        hang_up(&mut phone).await;
        phone.quit().await;

        let sent = tone_report(&phone.sent_audio(), CALLER_TONE, ABSENT_TONE);
        let heard = tone_report(&phone.received_audio(), CALLER_TONE, ABSENT_TONE);
        eprintln!("{backend:?} echo: sent {sent:?}; received {heard:?}");
        // Its tone went out (else the setup, not the PBX, is broken).
        assert!(sent.wanted >= 40, "{backend:?}: the caller's tone was not sent: {sent:?}\n{}", phone.log());
        assert!(
            heard.loud >= 40,
            "{backend:?}: the echo test sent back silence: {heard:?} (wanted over 2 s of the caller's {CALLER_TONE} Hz)\n{}",
            phone.log()
        );
        assert!(
            heard.wanted >= 40 && heard.wanted * 10 >= heard.loud * 8,
            "{backend:?}: what came back is not the caller's {CALLER_TONE} Hz tone: {heard:?}\n{}",
            phone.log()
        );
        assert_app_cdr(&pbx, "1001", ECHO, "Echo").await;
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn playback_601_plays_hello_world_then_the_pbx_hangs_up() {
    if !require_tool("baresip", "baresip-core") {
        return;
    }
    let wavs = TempDir::new("media-playback");
    // The caller sends a tone the sound does not hold: an echo instead of the playback fails.
    let tone = caller_tone(&wavs, CALLER_TONE);
    let hello = hello_world();
    for backend in backends() {
        let (pbx, _sounds) = start_demo(backend, &["1001"]).await;
        let mut phone = registered_phone(&pbx, "playback-1001", "1001", &tone).await;
        call(&pbx, &mut phone, PLAYBACK).await;
        let answered = Instant::now();
        // The phone never hangs up: the call must end with the PBX's BYE after the 1.5 s sound.
        let closed = phone.wait_event("CALL_CLOSED", Duration::from_secs(15)).await;
        eprintln!("{backend:?} playback: closed by the PBX after {:?}: {}", answered.elapsed(), closed["param"]);
        phone.quit().await;

        let (rate, heard) = read_wav(&phone.received_audio());
        assert_eq!(rate, RATE, "{backend:?}: the recording is not {RATE} Hz");
        // Complete: every tone of the sound arrived (a playback cut short, even one padded with
        // silence up to the BYE, lacks the last).
        let frames = tone_frames(&heard, rate, &HELLO_TONES);
        for (i, hz) in HELLO_TONES.iter().enumerate() {
            let found = frames.iter().filter(|f| f.loud() && f.shares[i] > 0.5).count();
            assert!(
                found >= 6,
                "{backend:?}: {hz} Hz (part {} of hello-world) was heard in {found} 50 ms frames, wanted >= 6 of 9 \
                 ({} s recorded)\n{}",
                i + 1,
                heard.len() as f64 / f64::from(rate),
                phone.log()
            );
        }
        // The very waveform of the file, in order and at the right speed, wherever it starts.
        let found = best_correlation(&hello, &heard, 0.9);
        eprintln!("{backend:?} playback: {found:?} over {} samples recorded", heard.len());
        assert!(
            found.score > 0.8,
            "{backend:?}: what was heard does not match hello-world.wav: best correlation {found:?} (wanted > 0.8) \
             over {} s recorded\n{}",
            heard.len() as f64 / f64::from(rate),
            phone.log()
        );
        assert_app_cdr(&pbx, "1001", PLAYBACK, "Playback").await;
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn rfc4733_digits_keyed_at_600_are_counted_once_each() {
    if !require_tool("baresip", "baresip-core") {
        return;
    }
    let wavs = TempDir::new("media-dtmf");
    let tone = caller_tone(&wavs, CALLER_TONE);
    let keyed = "123";
    for backend in backends() {
        let (pbx, _sounds) = start_demo(backend, &["1001"]).await;
        let Some(before) = dtmf_counts(&pbx).await else { continue };
        let mut phone = registered_phone(&pbx, "dtmf-1001", "1001", &tone).await;
        call(&pbx, &mut phone, ECHO).await;
        // Let the media flow first: digits must not depend on racing the first RTP packet.
        tokio::time::sleep(Duration::from_millis(500)).await;
        phone.send_dtmf(keyed).await;
        hang_up(&mut phone).await;
        phone.quit().await;

        let wanted: BTreeMap<char, f64> =
            before.iter().map(|(d, n)| (*d, n + if keyed.contains(*d) { 1.0 } else { 0.0 })).collect();
        // The counters may lag the call a little; wait until the keyed digits show.
        let deadline = Instant::now() + Duration::from_secs(5);
        let text = loop {
            let text = pbx.metrics().await.expect("/metrics answered before");
            let counts = dtmf_counts_in(&text);
            if keyed.chars().all(|d| counts[&d] >= wanted[&d]) || Instant::now() > deadline {
                break text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        // A little longer, so that a late double count (e.g. of each end packet) shows too.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let text = pbx.metrics().await.unwrap_or(text);
        let after = dtmf_counts_in(&text);
        let dtmf_lines: Vec<&str> = text.lines().filter(|l| l.contains(DTMF_METRIC)).collect();
        for digit in keyed.chars() {
            assert!(
                has_dtmf_line(&text, digit),
                "{backend:?}: /metrics has no {DTMF_METRIC} line for digit {digit}: {dtmf_lines:#?}\n{}",
                phone.log()
            );
        }
        assert_eq!(
            after,
            wanted,
            "{backend:?}: keyed {keyed} once each as RFC 4733 events; counts before {before:?}; lines now \
             {dtmf_lines:#?}\n{}",
            phone.log()
        );
        assert_app_cdr(&pbx, "1001", ECHO, "Echo").await;
        pbx.assert_no_calls_left().await;
    }
}

/// How one conferee's recording splits between its own tone and the others'.
#[derive(Debug)]
struct Mix {
    /// Loud 50 ms frames in which both other tones are clear (share over 0.25 each) and
    /// its own is not (under 0.05).
    both_others: usize,
    loud: usize,
    /// Goertzel power over the whole recording: its own tone, then the two others.
    own: f64,
    others: [f64; 2],
}

/// `frames` measured at [own, other, other].
fn mix_of(frames: &[Frame]) -> Mix {
    let loud: Vec<&Frame> = frames.iter().filter(|f| f.loud()).collect();
    let total = |i: usize| loud.iter().map(|f| f.power(i)).sum::<f64>();
    Mix {
        both_others: loud.iter().filter(|f| f.shares[1] > 0.25 && f.shares[2] > 0.25 && f.shares[0] < 0.05).count(),
        loud: loud.len(),
        own: total(0),
        others: [total(1), total(2)],
    }
}

#[tokio::test]
async fn conference_602_lets_each_caller_hear_the_others_but_not_itself() {
    if !require_tool("baresip", "baresip-core") {
        return;
    }
    let wavs = TempDir::new("media-conference");
    let tones: Vec<_> = CONFEREES.iter().map(|(_, hz)| caller_tone(&wavs, *hz)).collect();
    for backend in backends() {
        let users: Vec<&str> = CONFEREES.iter().map(|(user, _)| *user).collect();
        let (pbx, _sounds) = start_demo(backend, &users).await;
        let mut phones = Vec::new();
        for ((user, _), tone) in CONFEREES.iter().zip(&tones) {
            phones.push(registered_phone(&pbx, &format!("conf-{user}"), user, tone).await);
        }
        for phone in &mut phones {
            call(&pbx, phone, CONFERENCE).await;
        }
        tokio::time::sleep(STAY).await;
        for phone in &mut phones {
            hang_up(phone).await;
        }
        for phone in &mut phones {
            phone.quit().await;
        }

        for (i, phone) in phones.iter().enumerate() {
            let (user, own_hz) = CONFEREES[i];
            let others: Vec<(&str, f64)> = CONFEREES.iter().copied().filter(|(u, _)| *u != user).collect();
            let (rate, heard) = read_wav(&phone.received_audio());
            let mix = mix_of(&tone_frames(&heard, rate, &[own_hz, others[0].1, others[1].1]));
            eprintln!("{backend:?} conference {user} ({own_hz} Hz) hears {others:?}: {mix:?}");
            assert!(mix.loud >= 40, "{backend:?}: {user} heard silence in the conference: {mix:?}\n{}", phone.log());
            // Two of the three seconds with everyone in carry both other callers at once.
            assert!(
                mix.both_others >= 40,
                "{backend:?}: {user} did not hear {others:?} together (without itself) for 2 s: {mix:?}\n{}",
                phone.log()
            );
            // Its own tone, if there at all, is at least 10 dB under each of the others.
            assert!(
                mix.own * 10.0 < mix.others[0].min(mix.others[1]),
                "{backend:?}: {user} hears its own {own_hz} Hz tone: {mix:?}\n{}",
                phone.log()
            );
        }
        for user in &users {
            assert_app_cdr(&pbx, user, CONFERENCE, "ConfBridge").await;
        }
        pbx.assert_no_calls_left().await;
    }
}

// ---------------------------------------------------------------------------------------
// The yardsticks, without a PBX
// ---------------------------------------------------------------------------------------

/// `pcm` through a G.711 encoder and decoder of the project (`PCMU` or `PCMA`): the loss a
/// phone's recording has.
fn through_g711(codec: &str, pcm: &[i16]) -> Vec<i16> {
    let codec = sb_media::codec::codec_for(codec).expect("G.711 codec");
    let (mut payload, mut out) = (Vec::new(), Vec::new());
    codec.encoder().encode(pcm, &mut payload);
    codec.decoder().decode(&payload, &mut out);
    assert_eq!(out.len(), pcm.len());
    out
}

fn silence(len: usize) -> Vec<i16> {
    vec![0; len]
}

#[test]
fn hello_world_is_three_tones_in_one_and_a_half_seconds() {
    let hello = hello_world();
    assert_eq!(hello.len(), RATE as usize * 3 / 2);
    let frames = tone_frames(&hello, RATE, &HELLO_TONES);
    // 0.5 s a part: 10 frames of 50 ms, of which the first 9 are the tone (the tenth is the gap).
    for (i, part) in frames.chunks(10).enumerate() {
        let clear = part.iter().filter(|f| f.loud() && f.shares[i] > 0.9).count();
        assert!(clear >= 8, "part {i} ({} Hz) is clear in only {clear} frames: {part:?}", HELLO_TONES[i]);
        assert!(!part[9].loud(), "part {i} does not end in silence: {:?}", part[9]);
    }
    assert!(hello.iter().all(|s| s.unsigned_abs() <= 8000), "louder than its amplitude");
    // Written and read back as the PBX will read it.
    let dir = TempDir::new("media-unit-wav");
    let path = dir.path().join("hello-world.wav");
    write_wav(&path, &hello);
    assert_eq!(read_wav(&path), (RATE, hello));
}

#[test]
fn correlation_finds_the_sound_through_g711_wherever_it_starts() {
    let hello = hello_world();
    for codec in ["PCMU", "PCMA"] {
        // Silence, then the sound with its first 300 samples (37 ms) lost, then silence.
        let mut recording = silence(1234);
        recording.extend(through_g711(codec, &hello[300..]));
        recording.extend(silence(2000));
        let found = best_correlation(&hello, &recording, 0.9);
        assert!(found.score > 0.95, "{codec}: {found:?}");
        assert_eq!(found.lag, 1234 - 300, "{codec}: {found:?}");
        // The lost head falls on the silence before: the whole reference overlaps.
        assert_eq!(found.overlap, hello.len(), "{codec}: {found:?}");
        // The recording starting in the middle of the sound (the phone's first packets lost).
        let late = through_g711(codec, &hello[300..]);
        let found = best_correlation(&hello, &late, 0.9);
        assert!(found.score > 0.95, "{codec} late: {found:?}");
        assert_eq!((found.lag, found.overlap), (-300, hello.len() - 300), "{codec} late: {found:?}");
        // Quieter (a PBX may scale a sound) is the same waveform.
        let quiet: Vec<i16> = recording.iter().map(|s| s / 4).collect();
        assert!(best_correlation(&hello, &quiet, 0.9).score > 0.95, "{codec}: quieter");
    }
}

#[test]
fn correlation_rejects_what_is_not_the_sound() {
    let hello = hello_world();
    let pcmu = |pcm: &[i16]| through_g711("PCMU", pcm);
    // The caller's own tone (an echo instead of the playback).
    let echo = pcmu(&sine(CALLER_TONE, 3 * RATE as usize));
    // The sound at twice the speed (a wrong sample rate), padded to its length.
    let mut fast: Vec<i16> = hello.iter().step_by(2).copied().collect();
    fast.extend(silence(hello.len()));
    // The tones in another order.
    let reordered = pcmu(&tone_sequence(&[1300.0, 500.0, 900.0], HELLO_TONE_LEN, HELLO_GAP_LEN));
    // Cut short by the BYE: the first two tones only.
    let truncated = pcmu(&hello[..hello.len() * 2 / 3]);
    for (what, recording) in [
        ("echo", echo),
        ("fast", pcmu(&fast)),
        ("reordered", reordered),
        ("truncated", truncated),
        ("silence", silence(3 * RATE as usize)),
    ] {
        let found = best_correlation(&hello, &recording, 0.9);
        assert!(found.score < 0.8, "{what} passes for hello-world: {found:?}");
    }
}

#[test]
fn tone_frames_tell_a_conference_mix_from_one_with_the_listener_in_it() {
    let len = 2 * RATE as usize;
    let [own, a, b] = [CONFEREES[0].1, CONFEREES[1].1, CONFEREES[2].1];
    let mix = |tones: &[f64]| {
        let waves: Vec<Vec<i16>> = tones.iter().map(|hz| sine(*hz, len)).collect();
        let sum: Vec<i16> = (0..len).map(|i| waves.iter().map(|w| w[i]).sum()).collect();
        through_g711("PCMU", &sum)
    };
    let others_only = mix_of(&tone_frames(&mix(&[a, b]), RATE, &[own, a, b]));
    assert_eq!(others_only.both_others, 40, "{others_only:?}");
    assert!(others_only.own * 10.0 < others_only.others[0].min(others_only.others[1]), "{others_only:?}");
    let with_self = mix_of(&tone_frames(&mix(&[own, a, b]), RATE, &[own, a, b]));
    assert_eq!(with_self.both_others, 0, "{with_self:?}");
    assert!(with_self.own * 10.0 > with_self.others[0].min(with_self.others[1]), "{with_self:?}");
}

#[test]
fn dtmf_counts_read_the_labelled_counter() {
    let text = "# HELP switchboard_dtmf_digits_received_total DTMF digits received.\n\
                # TYPE switchboard_dtmf_digits_received_total counter\n\
                switchboard_dtmf_digits_received_total{digit=\"1\"} 2\n\
                switchboard_dtmf_digits_received_total{digit=\"#\"} 1\n\
                switchboard_dtmf_digits_received_total{digit=\"*\"} 0\n\
                switchboard_dtmf_digits_received_total_other{digit=\"2\"} 9\n\
                switchboard_calls_active 3 1700000000000\n\
                switchboard_sip_dialogs{transport=\"udp\", note=\"a b\"} 4\n";
    let counts = dtmf_counts_in(text);
    assert_eq!(counts.len(), 16, "{counts:?}");
    assert_eq!((counts[&'1'], counts[&'#'], counts[&'*'], counts[&'2']), (2.0, 1.0, 0.0, 0.0), "{counts:?}");
    assert!(has_dtmf_line(text, '*') && !has_dtmf_line(text, '2'));
    assert_eq!(metric_samples(text, "switchboard_calls_active"), [(String::new(), 3.0)]);
    assert_eq!(metric_samples(text, "switchboard_sip_dialogs"), [("transport=\"udp\", note=\"a b\"".to_owned(), 4.0)]);
}

#[test]
fn correlation_agrees_with_the_direct_sum() {
    // Short signals, so that the sum over every lag is cheap: a part of the sound against a
    // G.711 copy of a longer stretch, and against one shorter than the part.
    let hello = hello_world();
    let reference = &hello[3000..3800];
    for (recording, min_overlap) in
        [(through_g711("PCMA", &hello[2500..4500]), 0.5), (through_g711("PCMU", &hello[3300..3900]), 0.5)]
    {
        let (n, m) = (reference.len() as isize, recording.len() as isize);
        let need = (n + 1) / 2;
        let mut direct = (0isize, 0.0f64);
        for lag in (need - n)..=(m - need) {
            let pairs: Vec<(f64, f64)> = (0..n)
                .filter(|i| (0..m).contains(&(i + lag)))
                .map(|i| (f64::from(reference[i as usize]), f64::from(recording[(i + lag) as usize])))
                .collect();
            let dot: f64 = pairs.iter().map(|(a, b)| a * b).sum();
            let energy = pairs.iter().map(|(a, _)| a * a).sum::<f64>() * pairs.iter().map(|(_, b)| b * b).sum::<f64>();
            if pairs.len() as isize >= need && energy > 0.0 && dot / energy.sqrt() > direct.1 {
                direct = (lag, dot / energy.sqrt());
            }
        }
        let found = best_correlation(reference, &recording, min_overlap);
        assert_eq!(found.lag, direct.0, "{found:?} vs direct {direct:?}");
        assert!((found.score - direct.1).abs() < 1e-9, "{found:?} vs direct {direct:?}");
    }
}
