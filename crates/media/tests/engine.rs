//! The terminating media engine over real UDP sockets on 127.0.0.1: fake phones send and
//! receive PCMU RTP every 20 ms, and what they hear is decoded and measured.
//!
//! Each test gets its own engine, its own block of ports (from a random base in
//! 50000–59000, away from the relay tests' range) and its own scratch directory.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rand::Rng;
use sb_media::codec::{codec_for, Codec};
use sb_media::dtmf::goertzel::Goertzel;
use sb_media::dtmf::rfc4733::{DtmfSender, DtmfSenderConfig};
use sb_media::engine::{MediaEvent, RecordOptions, RecordingEnd};
use sb_media::relay::{MediaConfig, MediaEngine, MediaError, MediaStats, PortRange};
use sb_media::rtp::{RtpHeader, RtpPacket};
use sb_media::sdp::SessionDescription;
use sb_media::sound::uri::MediaUri;
use sb_media::tones::{ToneGenerator, ToneSpec};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{interval, sleep, timeout, Instant, MissedTickBehavior};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// One 20 ms frame of 8 kHz audio.
type Frame = [i16; 160];

/// Ports per test; a multiple of 4 so blocks start on even ports.
const BLOCK: u16 = 16;

/// How long an event may take to come, on a loaded machine.
const EVENT_WAIT: Duration = Duration::from_secs(5);

/// A fresh block of ports, never handed out before in this process.
fn block() -> PortRange {
    static BASE: OnceLock<u16> = OnceLock::new();
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = *BASE.get_or_init(|| 4 * rand::thread_rng().gen_range(0..2250));
    let start = 50000 + (base + BLOCK * NEXT.fetch_add(1, Ordering::Relaxed)) % 9000;
    PortRange { start, end: start + BLOCK - 1 }
}

/// A directory of its own under the system temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!("sb-media-engine-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(path.join("sounds")).unwrap();
        Scratch(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An engine on loopback with sounds and recordings in `scratch`.
fn engine(scratch: &Scratch) -> MediaEngine {
    MediaEngine::new(MediaConfig { bind: LOCALHOST, ports: block() })
        .with_media_dirs(scratch.path().join("sounds"), scratch.path().join("recordings"))
}

fn pcmu() -> &'static dyn Codec {
    codec_for("PCMU").unwrap()
}

/// `count` frames of `spec` (a tone string: `440`, `!440/1000,0`, …).
fn tone(spec: &str, count: usize) -> Vec<Frame> {
    let mut generator = ToneGenerator::new(ToneSpec::parse(spec).unwrap());
    (0..count)
        .map(|_| {
            let mut frame = [0; 160];
            generator.fill(&mut frame);
            frame
        })
        .collect()
}

/// The amplitude of `frequency` in `samples`.
fn level(samples: &[i16], frequency: u32) -> f64 {
    let mut filter = Goertzel::new(f64::from(frequency), 8000);
    filter.feed(samples);
    filter.amplitude()
}

/// The RMS of `samples`.
fn rms(samples: &[i16]) -> f64 {
    (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len().max(1) as f64).sqrt()
}

/// A fake phone: one RTP socket, its own SSRC, sequence numbers and timestamps.
struct Phone {
    socket: Arc<UdpSocket>,
    ssrc: u32,
    seq: u16,
    ts: u32,
}

impl Phone {
    async fn new() -> Phone {
        let socket = UdpSocket::bind((LOCALHOST, 0)).await.unwrap();
        // Near the wrap, so every test crosses it.
        Phone { socket: Arc::new(socket), ssrc: rand::random(), seq: 65530, ts: rand::random() }
    }

    fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    /// An SDP offer from this phone with the given payload types on its `m=` line.
    fn offer(&self, formats: &str) -> SessionDescription {
        let addr = self.addr();
        let body = format!(
            "v=0\r\no=phone 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP {formats}\r\n\
             a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n",
            ip = addr.ip(),
            port = addr.port()
        );
        SessionDescription::parse(&body).unwrap()
    }

    /// The phone's next packet.
    fn packet(&mut self, payload_type: u8, marker: bool, timestamp: u32, payload: &[u8]) -> Vec<u8> {
        let header = RtpHeader { marker, payload_type, sequence: self.seq, timestamp, ssrc: self.ssrc };
        self.seq = self.seq.wrapping_add(1);
        let mut packet = Vec::new();
        header.write_to_vec(&[], payload, &mut packet).unwrap();
        packet
    }

    /// Sends `frames` as PCMU to `to`, one every 20 ms.
    async fn talk(&mut self, to: SocketAddr, frames: &[Frame]) {
        let mut encoder = pcmu().encoder();
        let mut pace = interval(Duration::from_millis(20));
        pace.set_missed_tick_behavior(MissedTickBehavior::Burst);
        for (index, frame) in frames.iter().enumerate() {
            pace.tick().await;
            let mut payload = Vec::new();
            encoder.encode(frame, &mut payload);
            let timestamp = self.ts;
            self.ts = self.ts.wrapping_add(160);
            let packet = self.packet(0, index == 0, timestamp, &payload);
            self.socket.send_to(&packet, to).await.unwrap();
        }
    }

    /// Presses `digits` as RFC 4733 events (payload type 101), 100 ms each, 100 ms apart.
    async fn press(&mut self, to: SocketAddr, digits: &str) {
        let mut sender = DtmfSender::new(DtmfSenderConfig::default()).unwrap();
        sender.send_digits(digits).unwrap();
        let mut pace = interval(Duration::from_millis(20));
        while !sender.is_idle() {
            pace.tick().await;
            let timestamp = self.ts;
            self.ts = self.ts.wrapping_add(160);
            if let Some(event) = sender.tick(timestamp) {
                let packet = self.packet(101, event.marker, event.timestamp, &event.event.to_bytes());
                self.socket.send_to(&packet, to).await.unwrap();
            }
        }
    }
}

/// What arrives on `socket` during `window`, as (header, payload) pairs in arrival order.
async fn listen(socket: Arc<UdpSocket>, window: Duration) -> Vec<(RtpHeader, Vec<u8>)> {
    let mut packets = Vec::new();
    let mut buf = [0u8; 2048];
    let end = Instant::now() + window;
    while let Ok(Ok((len, _))) =
        timeout(end.saturating_duration_since(Instant::now()), socket.recv_from(&mut buf)).await
    {
        let packet = RtpPacket::parse(&buf[..len]).unwrap();
        packets.push((packet.header(), packet.payload().to_vec()));
    }
    packets
}

/// The PCMU audio of `packets`, in sequence order (they arrive in order on loopback;
/// checked), decoded.
fn decode(packets: &[(RtpHeader, Vec<u8>)]) -> Vec<i16> {
    for pair in packets.windows(2) {
        assert_eq!(pair[1].0.sequence, pair[0].0.sequence.wrapping_add(1), "in order, none missing");
        assert_eq!(pair[1].0.ssrc, pair[0].0.ssrc);
    }
    let mut decoder = pcmu().decoder();
    let mut pcm = Vec::new();
    for (header, payload) in packets {
        assert_eq!(header.payload_type, 0);
        decoder.decode(payload, &mut pcm);
    }
    pcm
}

/// The next event, or a panic after [`EVENT_WAIT`].
async fn next_event(events: &mut mpsc::Receiver<MediaEvent>) -> MediaEvent {
    timeout(EVENT_WAIT, events.recv()).await.expect("an event in time").expect("the channel is open")
}

/// Polls the engine's figures until `check` holds, or panics.
async fn stats_until(engine: &MediaEngine, check: impl Fn(&MediaStats) -> bool) -> MediaStats {
    let deadline = Instant::now() + EVENT_WAIT;
    loop {
        let stats = engine.stats();
        if check(&stats) {
            return stats;
        }
        assert!(Instant::now() < deadline, "stats never matched: {stats:?}");
        sleep(Duration::from_millis(10)).await;
    }
}

/// The best normalised cross-correlation of `reference` against `signal`, at offsets
/// that are whole frames (playback starts on a tick).
fn best_correlation(signal: &[i16], reference: &[i16]) -> f64 {
    let energy = |samples: &[i16]| samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>();
    let reference_energy = energy(reference);
    (0..=signal.len().saturating_sub(reference.len()))
        .step_by(160)
        .map(|offset| {
            let window = &signal[offset..offset + reference.len()];
            let dot: f64 = window.iter().zip(reference).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum();
            dot / (energy(window) * reference_energy).sqrt().max(1.0)
        })
        .fold(0.0, f64::max)
}

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
    let source: Vec<i16> = (0..8000)
        .map(|n| {
            let t = f64::from(n) / 8000.0;
            let phase = 2.0 * std::f64::consts::PI * (300.0 * t + 1350.0 * t * t);
            (8000.0 * phase.sin()) as i16
        })
        .collect();
    let spec =
        hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::create(scratch.path().join("sounds/chirp.wav"), spec).unwrap();
    source.iter().for_each(|&s| writer.write_sample(s).unwrap());
    writer.finalize().unwrap();

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
