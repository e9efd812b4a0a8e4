//! Music on hold, holding bridges, the announcer, two-party pass-through and transcoding,
//! over real UDP sockets on 127.0.0.1: fake phones send and receive RTP every 20 ms, and
//! what they hear is decoded and measured (helpers in `common`). Music-on-hold classes are
//! small WAV files generated into each test's scratch directory.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use sb_media::codec::codec_for;
use sb_media::engine::{BridgeKind, ChannelEngine, MediaChannel, MediaEvent};
use sb_media::relay::{MediaEngine, MediaError};
use sb_media::sound::moh::{MohError, MohScope};
use tokio::sync::mpsc;
use tokio::time::sleep;

/// The folder music-on-hold classes are written to, in `scratch`.
const MOH: &str = "moh";

/// The engine's terminating side, with its music-on-hold classes in `scratch`.
fn channels(engine: &MediaEngine, scratch: &Scratch) -> ChannelEngine {
    engine.channels().clone().with_moh_dir(scratch.path().join(MOH))
}

/// Writes `samples` as file `file` of class `class` (a path under the MOH root, such as
/// `default` or `tenants/acme/default`).
fn write_class_file(scratch: &Scratch, class: &str, file: &str, samples: &[i16]) {
    write_wav(&scratch.path().join(MOH).join(class).join(file), samples);
}

/// A phone and the channel answering it (PCMU and telephone-event unless `formats` says).
async fn answered(channels: &ChannelEngine, formats: &str) -> (Phone, MediaChannel) {
    let phone = Phone::new().await;
    let (events, _) = mpsc::channel(64);
    let (channel, _) = channels.answer(&phone.offer(formats), LOCALHOST, events).await.unwrap();
    (phone, channel)
}

/// What `phone` hears during `window`, decoded from PCMU.
async fn hear(phone: &Phone, window: Duration) -> Vec<i16> {
    decode(&listen(Arc::clone(&phone.socket), window).await)
}

#[tokio::test]
async fn music_on_hold_is_heard_on_a_channel_until_stopped() {
    let scratch = Scratch::new();
    let music = chirp(8000, 300.0, 3000.0, 8000.0);
    write_class_file(&scratch, "default", "01-chirp.wav", &music);
    let engine = engine(&scratch);
    let channels = channels(&engine, &scratch);
    let (phone, channel) = answered(&channels, "0 101").await;

    channel.start_moh(None, None).await.unwrap();
    // Over two seconds, at least one whole loop of the one-second music.
    let heard = hear(&phone, Duration::from_millis(2500)).await;
    let correlation = best_correlation(&heard, &music);
    assert!(correlation > 0.9, "correlation {correlation}");

    channel.stop_moh();
    sleep(Duration::from_millis(100)).await;
    let after = hear(&phone, Duration::from_millis(400)).await;
    // The clock runs on its own thread: a packet it sent just before the stop may still
    // wait in the socket, at the start of what is heard; the last 300 ms must be silent.
    let settled = &after[after.len().saturating_sub(15 * 160)..];
    assert!(settled.len() >= 10 * 160 && rms(settled) < 10.0, "silence once stopped: RMS {}", rms(settled));

    assert!(matches!(channel.start_moh(None, Some("jazz")).await, Err(MohError::NotFound { .. })));
    assert!(matches!(channel.start_moh(Some("../etc"), None).await, Err(MohError::BadName(_))));
}

#[tokio::test]
async fn a_tenant_hears_its_own_class_before_the_global_one() {
    let scratch = Scratch::new();
    write_class_file(&scratch, "default", "global.wav", &tone("500", 50).concat());
    write_class_file(&scratch, "tenants/acme/default", "acme.wav", &tone("1200", 50).concat());
    write_class_file(&scratch, "tenants/acme/jingles", "acme.wav", &tone("1200", 50).concat());
    let engine = engine(&scratch);
    let channels = channels(&engine, &scratch);

    for (tenant, expected, other) in [(Some("acme"), 1200, 500), (Some("globex"), 500, 1200), (None, 500, 1200)] {
        let (phone, channel) = answered(&channels, "0").await;
        channel.start_moh(tenant, None).await.unwrap();
        let heard = hear(&phone, Duration::from_millis(600)).await;
        let (wanted, unwanted) = (level(&heard[1600..], expected), level(&heard[1600..], other));
        assert!(wanted > 3000.0 && unwanted < 300.0, "{tenant:?}: {expected} Hz at {wanted}, {other} Hz at {unwanted}");
    }

    let listed = channels.moh_classes(Some("acme")).await.unwrap();
    let names: Vec<(&str, bool)> =
        listed.iter().map(|class| (class.name.as_str(), matches!(class.scope, MohScope::Tenant(_)))).collect();
    assert_eq!(names, [("default", true), ("jingles", true)]);
    let global = channels.moh_classes(None).await.unwrap();
    assert_eq!(global.iter().map(|class| class.name.as_str()).collect::<Vec<_>>(), ["default"]);
    assert!(matches!(channels.moh_classes(Some("a b")).await, Err(MohError::BadName(_))));
}

#[tokio::test]
async fn a_holding_bridge_plays_its_music_and_its_members_never_hear_each_other() {
    let scratch = Scratch::new();
    write_class_file(&scratch, "default", "music.wav", &tone("1500", 50).concat());
    let engine = engine(&scratch);
    let channels = channels(&engine, &scratch);
    let (events, _events) = mpsc::channel(16);
    let bridge = channels.bridge_of(BridgeKind::Holding, events);
    assert_eq!(bridge.kind(), BridgeKind::Holding);
    let mut members = Vec::new();
    for _ in 0..2 {
        let (phone, channel) = answered(&channels, "0 101").await;
        bridge.add(&channel);
        members.push((phone, channel));
    }
    bridge.start_moh(None, None).await.unwrap();
    stats_until(&engine, |stats| stats.active_bridges == 1 && stats.active_channels == 2).await;

    let mut talkers = Vec::new();
    for ((mut phone, channel), frequency) in members.into_iter().zip([500, 900]) {
        talkers.push(tokio::spawn(async move {
            let listener = tokio::spawn(listen(Arc::clone(&phone.socket), Duration::from_millis(2000)));
            phone.talk(channel.local(), &tone(&frequency.to_string(), 80)).await;
            let heard = decode(&listener.await.unwrap());
            (heard, channel)
        }));
    }
    for talker in talkers {
        let (heard, channel) = talker.await.unwrap();
        let middle = &heard[heard.len() / 2 - 4000..heard.len() / 2 + 4000];
        let (music, first, second) = (level(middle, 1500), level(middle, 500), level(middle, 900));
        assert!(music > 3000.0, "channel {} hears the music at {music}", channel.id());
        assert!(first < 300.0 && second < 300.0, "channel {} hears talk: {first}, {second}", channel.id());
    }
    assert!(matches!(bridge.start_moh(None, Some("nothing")).await, Err(MohError::NotFound { .. })));
}

#[tokio::test]
async fn every_member_of_a_mixing_bridge_hears_the_announcer_over_the_mix() {
    let scratch = Scratch::new();
    let announcement = chirp(8000, 300.0, 3000.0, 8000.0);
    write_wav(&scratch.path().join("sounds/news.wav"), &announcement);
    let engine = engine(&scratch);
    let channels = channels(&engine, &scratch);
    let (events, mut bridge_events) = mpsc::channel(16);
    let bridge = channels.bridge_of(BridgeKind::Mixing, events);
    let mut members = Vec::new();
    for _ in 0..3 {
        let (phone, channel) = answered(&channels, "0 101").await;
        bridge.add(&channel);
        members.push((phone, channel));
    }
    stats_until(&engine, |stats| stats.active_bridges == 1 && stats.active_channels == 3).await;

    // Two listen; the third talks a 500 Hz tone over the announcement.
    let mut listeners = Vec::new();
    for (phone, _) in &members {
        listeners.push(tokio::spawn(listen(Arc::clone(&phone.socket), Duration::from_millis(2200))));
    }
    bridge.play("news-1", &["sound:news".parse().unwrap()], None).await.unwrap();
    let (talker, talker_channel) = &mut members[2];
    talker.talk(talker_channel.local(), &tone("500", 100)).await;

    for (index, listener) in listeners.into_iter().enumerate() {
        let heard = decode(&listener.await.unwrap());
        let correlation = best_correlation(&heard, &announcement);
        let talk = level(&heard[heard.len() / 2..], 500);
        if index == 2 {
            assert!(correlation > 0.9, "the talker hears the announcement alone: {correlation}");
            assert!(talk < 300.0, "and not itself: {talk}");
        } else {
            assert!(correlation > 0.5, "member {index} hears the announcement: {correlation}");
            assert!(talk > 2000.0, "member {index} hears the talker under it: {talk}");
        }
    }
    let id = bridge.id();
    assert_eq!(
        next_event(&mut bridge_events).await,
        MediaEvent::BridgePlaybackStarted { bridge: id, playback: "news-1".into() }
    );
    assert_eq!(
        next_event(&mut bridge_events).await,
        MediaEvent::BridgePlaybackFinished { bridge: id, playback: "news-1".into() }
    );
    assert!(matches!(bridge.play("news-2", &["sound:nope".parse().unwrap()], None).await, Err(MediaError::Sound(_))));
}

/// A PCMU payload that is not silent and that no decode and encode gives back (µ-law 0x7f
/// is -0, which encodes as 0xff), different for each `n`.
fn unmixable_payload(n: usize) -> Vec<u8> {
    (0..160).map(|i| if i % 2 == 0 { 0x7f } else { 0x10 + ((n * 7 + i) % 0x60) as u8 }).collect()
}

/// Sends the payloads `unmixable_payload(n)` for `range`, as PCMU, one every 20 ms.
async fn send_raw(phone: &mut Phone, to: std::net::SocketAddr, range: std::ops::Range<usize>) {
    let mut pace = tokio::time::interval(Duration::from_millis(20));
    for n in range {
        pace.tick().await;
        let timestamp = phone.ts;
        phone.ts = phone.ts.wrapping_add(160);
        let packet = phone.packet(0, false, timestamp, &unmixable_payload(n));
        phone.socket.send_to(&packet, to).await.unwrap();
    }
}

#[tokio::test]
async fn two_same_codec_channels_pass_packets_undecoded_until_a_third_joins() {
    let scratch = Scratch::new();
    let engine = engine(&scratch);
    let channels = channels(&engine, &scratch);
    let phone_events = || mpsc::channel::<MediaEvent>(64);
    let (mut a, b) = (Phone::new().await, Phone::new().await);
    let ((a_events, mut a_rx), (b_events, _b_rx)) = (phone_events(), phone_events());
    let (channel_a, _) = channels.answer(&a.offer("0 101"), LOCALHOST, a_events).await.unwrap();
    let (channel_b, _) = channels.answer(&b.offer("0 101"), LOCALHOST, b_events).await.unwrap();
    let bridge = channels.bridge();
    bridge.add(&channel_a);
    bridge.add(&channel_b);
    stats_until(&engine, |stats| stats.active_bridges == 1 && stats.active_channels == 2).await;

    // Passing: A's packets reach B as they were sent, and so do its digits.
    let listener = tokio::spawn(listen(Arc::clone(&b.socket), Duration::from_millis(1800)));
    send_raw(&mut a, channel_a.local(), 0..50).await;
    a.press(channel_a.local(), "1").await;
    let passing = listener.await.unwrap();
    let sent: Vec<Vec<u8>> = (0..50).map(unmixable_payload).collect();
    let untouched = passing.iter().filter(|(_, payload)| sent.contains(payload)).count();
    assert!(untouched >= 45, "{untouched} of 50 packets passed untouched");
    assert!(passing.iter().filter(|(header, _)| header.payload_type == 101).count() >= 3, "digits passed");
    let mut digits = Vec::new();
    while let Ok(event) = a_rx.try_recv() {
        digits.push(event);
    }
    assert!(
        matches!(digits[..], [MediaEvent::DtmfBegin { digit: '1', .. }, MediaEvent::DtmfEnd { digit: '1', .. }]),
        "{digits:?}"
    );
    let (a_stats, b_stats) = (channel_a.stats(), channel_b.stats());
    assert_eq!(a_stats.frames_decoded, 0, "nothing of A's decoded: {a_stats:?}");
    assert!(b_stats.packets_passed >= 48, "{b_stats:?}");

    // A third member: back to decoding and mixing, in the same stream.
    let (_c, channel_c) = answered(&channels, "0 101").await;
    bridge.add(&channel_c);
    let listener = tokio::spawn(listen(Arc::clone(&b.socket), Duration::from_millis(1500)));
    sleep(Duration::from_millis(100)).await;
    send_raw(&mut a, channel_a.local(), 1000..1050).await;
    let mixing = listener.await.unwrap();
    let sent: Vec<Vec<u8>> = (1000..1050).map(unmixable_payload).collect();
    assert!(mixing.iter().all(|(_, payload)| !sent.contains(payload)), "decoded and encoded again");
    assert!(channel_a.stats().frames_decoded >= 45, "{:?}", channel_a.stats());
    let heard = decode(&mixing.iter().filter(|(header, _)| header.payload_type == 0).cloned().collect::<Vec<_>>());
    assert!(rms(&heard) > 1000.0, "B hears A through the mix: RMS {}", rms(&heard));

    let all: Vec<_> = passing.iter().chain(&mixing).map(|(header, _)| *header).collect();
    for pair in all.windows(2) {
        assert_eq!(pair[1].ssrc, pair[0].ssrc, "one stream");
        assert_eq!(pair[1].sequence, pair[0].sequence.wrapping_add(1), "sequence numbers carry on");
        assert!((pair[1].timestamp.wrapping_sub(pair[0].timestamp) as i32) >= 0, "timestamps never go back");
    }
    assert!(mixing[0].0.marker, "the first mixed packet starts a talkspurt");
    let passed_then = channel_b.stats().packets_passed;
    sleep(Duration::from_millis(100)).await;
    assert_eq!(channel_b.stats().packets_passed, passed_then, "no more passing with three");
}

#[tokio::test]
async fn a_pcmu_and_a_pcma_channel_hear_each_other_through_transcoding() {
    let scratch = Scratch::new();
    let engine = engine(&scratch);
    let channels = channels(&engine, &scratch);
    let (ulaw_phone, ulaw) = answered(&channels, "0 101").await;
    let (alaw_phone, alaw) = answered(&channels, "8 101").await;
    let bridge = channels.bridge();
    bridge.add(&ulaw);
    bridge.add(&alaw);
    stats_until(&engine, |stats| stats.active_bridges == 1 && stats.active_channels == 2).await;

    let pcma = codec_for("PCMA").unwrap();
    let mut talkers = Vec::new();
    for (mut phone, channel, codec, payload_type, frequency) in
        [(ulaw_phone, &ulaw, pcmu(), 0, 700), (alaw_phone, &alaw, pcma, 8, 1100)]
    {
        let to = channel.local();
        talkers.push(tokio::spawn(async move {
            let listener = tokio::spawn(listen(Arc::clone(&phone.socket), Duration::from_millis(2500)));
            phone.talk_in(codec, payload_type, to, &tone(&frequency.to_string(), 100)).await;
            decode_in(codec, payload_type, &listener.await.unwrap())
        }));
    }
    let heard: Vec<Vec<i16>> = joined(talkers).await;
    for (heard, own, other) in [(&heard[0], 700, 1100), (&heard[1], 1100, 700)] {
        let loud: Vec<i16> = heard.chunks(160).filter(|frame| rms(frame) > 1000.0).flatten().copied().collect();
        assert!(loud.len() >= 60 * 160, "{own} Hz phone: {} loud samples", loud.len());
        let middle = &loud[loud.len() / 2 - 4000..loud.len() / 2 + 4000];
        let (theirs, mine) = (level(middle, other), level(middle, own));
        assert!(theirs > 3000.0 && mine < 300.0, "{own} Hz phone hears {other} Hz at {theirs}, itself at {mine}");
    }
    assert_eq!((ulaw.stats().packets_passed, alaw.stats().packets_passed), (0, 0), "no pass-through across codecs");
    assert!(ulaw.stats().frames_decoded >= 90 && alaw.stats().frames_decoded >= 90);
}

/// The outputs of `tasks`, in order.
async fn joined<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await.unwrap());
    }
    outputs
}
