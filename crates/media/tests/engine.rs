//! The terminating media engine over real UDP sockets on 127.0.0.1: fake phones send and
//! receive PCMU RTP every 20 ms, and what they hear is decoded and measured.
//!
//! The helpers (phones, tones, measurements) are in `common`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use sb_media::engine::{MediaEvent, RecordOptions, RecordingEnd};
use sb_media::relay::MediaError;
use sb_media::sdp::SessionDescription;
use sb_media::sound::uri::MediaUri;
use tokio::sync::mpsc;
use tokio::time::sleep;

#[tokio::test]
async fn echo_sends_a_phone_its_own_tone_back() {
    let scratch = Scratch::new();
    let engine = engine(&scratch);
    let mut phone = Phone::new().await;
    let (events, _events) = mpsc::channel(16);
    let (channel, answer) = engine.channels().answer(&phone.offer("0 101"), LOCALHOST, events).await.unwrap();
    assert!(answer.contains(&format!("m=audio {} RTP/AVP 0 101\r\n", channel.local().port())), "{answer}");
    channel.set_echo(true);

    let frames = tone("440", 100);
    let listener = tokio::spawn(listen(Arc::clone(&phone.socket), Duration::from_millis(2500)));
    phone.talk(channel.local(), &frames).await;
    let heard = decode(&listener.await.unwrap());

    // The echo's middle second: a loud 440 Hz, and little else.
    let loud: Vec<i16> = heard.chunks(160).filter(|frame| rms(frame) > 1000.0).flatten().copied().collect();
    assert!(loud.len() >= 80 * 160, "{} loud samples of {}", loud.len(), heard.len());
    let middle = &loud[loud.len() / 2 - 4000..loud.len() / 2 + 4000];
    let amplitude = level(middle, 440);
    assert!(amplitude > 4000.0, "440 Hz at {amplitude}");
    // A sine of amplitude A has an RMS of A/√2: nearly all the energy is the tone.
    assert!(amplitude / std::f64::consts::SQRT_2 > 0.95 * rms(middle), "{amplitude} vs RMS {}", rms(middle));
    assert!(channel.stats().packets_received >= 90, "{:?}", channel.stats());
}

#[tokio::test]
async fn a_played_wav_arrives_in_order_and_intact() {
    let scratch = Scratch::new();
    // A one-second chirp from 300 Hz to 3 kHz: no two offsets look alike.
    let source = chirp(8000, 300.0, 3000.0, 8000.0);
    write_wav(&scratch.path().join("sounds/chirp.wav"), &source);

    let engine = engine(&scratch);
    let phone = Phone::new().await;
    let (events, mut events_rx) = mpsc::channel(16);
    let (channel, _) = engine.channels().answer(&phone.offer("0"), LOCALHOST, events).await.unwrap();
    let listener = tokio::spawn(listen(Arc::clone(&phone.socket), Duration::from_millis(1800)));
    channel.play("pb-1", &["sound:chirp".parse::<MediaUri>().unwrap()], Some("en")).await.unwrap();
    assert_eq!(
        next_event(&mut events_rx).await,
        MediaEvent::PlaybackStarted { channel: channel.id(), playback: "pb-1".into() }
    );
    assert_eq!(
        next_event(&mut events_rx).await,
        MediaEvent::PlaybackFinished { channel: channel.id(), playback: "pb-1".into() }
    );

    let packets = listener.await.unwrap();
    for pair in packets.windows(2) {
        assert_eq!(pair[1].0.timestamp, pair[0].0.timestamp.wrapping_add(160), "a steady 20 ms clock");
    }
    let heard = decode(&packets);
    let correlation = best_correlation(&heard, &source);
    assert!(correlation > 0.9, "correlation {correlation}");

    // A missing sound is an error, and plays nothing.
    let missing = channel.play("pb-2", &["sound:nope".parse().unwrap()], None).await;
    assert!(matches!(missing, Err(MediaError::Sound(_))), "{missing:?}");
}

#[tokio::test]
async fn rfc4733_digits_are_reported_once_each() {
    let scratch = Scratch::new();
    let engine = engine(&scratch);
    let mut phone = Phone::new().await;
    let (events, mut events_rx) = mpsc::channel(64);
    let (channel, _) = engine.channels().answer(&phone.offer("0 101"), LOCALHOST, events).await.unwrap();
    phone.press(channel.local(), "123").await;
    // Time for stragglers and duplicates to show up, were they reported.
    sleep(Duration::from_millis(300)).await;
    let mut seen = Vec::new();
    while let Ok(event) = events_rx.try_recv() {
        seen.push(match event {
            MediaEvent::DtmfBegin { digit, .. } => format!("+{digit}"),
            MediaEvent::DtmfEnd { digit, duration, .. } => {
                assert_eq!(duration, Duration::from_millis(100));
                format!("-{digit}")
            }
            other => panic!("{other:?}"),
        });
    }
    assert_eq!(seen, ["+1", "-1", "+2", "-2", "+3", "-3"]);
    drop(channel);
}

#[tokio::test]
async fn three_phones_in_a_bridge_hear_the_other_two() {
    let scratch = Scratch::new();
    let engine = engine(&scratch);
    let frequencies = [500, 900, 1400];
    let mut phones = Vec::new();
    let mut channels = Vec::new();
    let (events, _events) = mpsc::channel(16);
    for _ in frequencies {
        let phone = Phone::new().await;
        let (channel, _) = engine.channels().answer(&phone.offer("0"), LOCALHOST, events.clone()).await.unwrap();
        phones.push(phone);
        channels.push(channel);
    }
    let bridge = engine.channels().bridge();
    channels.iter().for_each(|channel| bridge.add(channel));
    stats_until(&engine, |stats| stats.active_bridges == 1 && stats.active_channels == 3).await;

    let mut talkers = Vec::new();
    for ((mut phone, channel), frequency) in phones.into_iter().zip(&channels).zip(frequencies) {
        let to = channel.local();
        talkers.push(tokio::spawn(async move {
            let listener = tokio::spawn(listen(Arc::clone(&phone.socket), Duration::from_millis(2500)));
            phone.talk(to, &tone(&frequency.to_string(), 100)).await;
            decode(&listener.await.unwrap())
        }));
    }
    for (talker, own) in talkers.into_iter().zip(frequencies) {
        let heard = talker.await.unwrap();
        let loud: Vec<i16> = heard.chunks(160).filter(|frame| rms(frame) > 1000.0).flatten().copied().collect();
        assert!(loud.len() >= 60 * 160, "{own} Hz phone: {} loud samples", loud.len());
        let middle = &loud[loud.len() / 2 - 4000..loud.len() / 2 + 4000];
        for frequency in frequencies {
            let amplitude = level(middle, frequency);
            if frequency == own {
                assert!(amplitude < 300.0, "{own} Hz phone hears itself at {amplitude}");
            } else {
                assert!(amplitude > 3000.0, "{own} Hz phone hears {frequency} Hz at {amplitude}");
            }
        }
    }
    drop(bridge);
    stats_until(&engine, |stats| stats.active_bridges == 0).await;
}

#[tokio::test]
async fn a_recording_stops_on_silence_and_keeps_its_length() {
    let scratch = Scratch::new();
    let engine = engine(&scratch);
    let mut phone = Phone::new().await;
    let (events, mut events_rx) = mpsc::channel(16);
    let (channel, _) = engine.channels().answer(&phone.offer("0"), LOCALHOST, events).await.unwrap();
    let options = RecordOptions { max_silence: Some(Duration::from_secs(1)), ..RecordOptions::new("msg/silence") };
    channel.record(options.clone()).await.unwrap();
    assert!(matches!(channel.record(options).await, Err(MediaError::AlreadyRecording(_))));

    // One second of tone, then silence until the recording gives up.
    let mut frames = tone("600", 50);
    frames.extend(std::iter::repeat_n([0; 160], 100));
    let talking = phone.talk(channel.local(), &frames);
    let finished = async {
        let started = next_event(&mut events_rx).await;
        assert!(matches!(&started, MediaEvent::RecordingStarted { name, .. } if name == "msg/silence"), "{started:?}");
        next_event(&mut events_rx).await
    };
    let ((), finished) = tokio::join!(talking, finished);
    let MediaEvent::RecordingFinished { name, duration, cause, .. } = finished else { panic!("{finished:?}") };
    assert_eq!((name.as_str(), cause), ("msg/silence", RecordingEnd::MaxSilence));
    assert!((Duration::from_millis(1900)..=Duration::from_millis(2500)).contains(&duration), "{duration:?}");
    let reader = hound::WavReader::open(scratch.path().join("recordings/msg/silence.wav")).unwrap();
    assert_eq!(u64::from(reader.duration()), duration.as_millis() as u64 * 8);
    let samples: Vec<i16> = reader.into_samples().map(Result::unwrap).collect();
    assert!(level(&samples[..8000], 600) > 3000.0, "the tone is in the recording");

    // The name is taken now: `fail` refuses, `overwrite` does not.
    let again = RecordOptions::new("msg/silence");
    assert!(matches!(channel.record(again.clone()).await, Err(MediaError::Recording(_))));
    let overwrite = RecordOptions { if_exists: "overwrite".parse().unwrap(), ..again };
    channel.record(overwrite).await.unwrap();
    assert!(matches!(
        channel.record(RecordOptions { format: "gsm".into(), ..RecordOptions::new("x") }).await,
        Err(MediaError::UnsupportedFormat(_))
    ));
    drop(channel);
    // Closing the channel ends the recording it had.
    loop {
        match next_event(&mut events_rx).await {
            MediaEvent::RecordingFinished { cause, .. } => break assert_eq!(cause, RecordingEnd::Hangup),
            MediaEvent::RecordingStarted { .. } => {}
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn dropping_a_channel_frees_its_ports() {
    let scratch = Scratch::new();
    let engine = engine(&scratch);
    let phone = Phone::new().await;
    let (events, _events) = mpsc::channel(16);
    let (channel, _) = engine.channels().answer(&phone.offer("0"), LOCALHOST, events.clone()).await.unwrap();
    let stats = stats_until(&engine, |stats| stats.active_channels == 1).await;
    assert_eq!(stats.ports_in_use, 2);
    drop(channel);
    let stats = stats_until(&engine, |stats| stats.active_channels == 0 && stats.ports_in_use == 0).await;
    assert_eq!(stats.active_relays, 0);

    // Nothing in common is refused before any port is taken: a SIP 488.
    let refused = engine.channels().answer(&phone.offer("18"), LOCALHOST, events).await;
    assert!(matches!(refused, Err(MediaError::NotAcceptable(_))), "{refused:?}");
    assert_eq!(engine.stats().ports_in_use, 0);
}

#[tokio::test]
async fn an_offer_and_its_answer_connect_two_channels() {
    let scratch = Scratch::new();
    let engine = engine(&scratch);
    let (caller_events, _caller_events) = mpsc::channel(16);
    let (callee_events, mut callee_rx) = mpsc::channel(16);
    let (caller, offer) = engine.channels().offer(LOCALHOST, caller_events).await.unwrap();
    let offer = SessionDescription::parse(&offer).unwrap();
    let (callee, answer) = engine.channels().answer(&offer, LOCALHOST, callee_events).await.unwrap();
    caller.apply_answer(&SessionDescription::parse(&answer).unwrap()).unwrap();
    caller.send_dtmf("4#", Duration::from_millis(60), Duration::from_millis(80)).unwrap();
    assert!(matches!(caller.send_dtmf("4x", Duration::ZERO, Duration::from_millis(80)), Err(MediaError::Dtmf(_))));
    let mut seen = Vec::new();
    while seen.len() < 4 {
        match next_event(&mut callee_rx).await {
            MediaEvent::DtmfBegin { digit, .. } => seen.push(format!("+{digit}")),
            MediaEvent::DtmfEnd { digit, .. } => seen.push(format!("-{digit}")),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seen, ["+4", "-4", "+#", "-#"]);
    drop((caller, callee));
    stats_until(&engine, |stats| stats.ports_in_use == 0).await;
}
