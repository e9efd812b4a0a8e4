//! What the loopback tests of the terminating engine share: fake phones that send and
//! receive RTP every 20 ms on 127.0.0.1, tones and chirps to send and play, and the
//! measurements (levels, correlation) of what a phone heard.
//!
//! Each test gets its own engine, its own block of ports (from a random base in
//! 50000–59000, away from the relay tests' range) and its own scratch directory.

// Each test binary uses its own share of these.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rand::Rng;
use sb_media::codec::{codec_for, Codec};
use sb_media::dtmf::goertzel::Goertzel;
use sb_media::dtmf::rfc4733::{DtmfSender, DtmfSenderConfig};
use sb_media::engine::MediaEvent;
use sb_media::relay::{MediaConfig, MediaEngine, MediaStats, PortRange};
use sb_media::rtp::{RtpHeader, RtpPacket};
use sb_media::sdp::SessionDescription;
use sb_media::tones::{ToneGenerator, ToneSpec};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{interval, sleep, timeout, Instant, MissedTickBehavior};

pub const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// One 20 ms frame of 8 kHz audio.
pub type Frame = [i16; 160];

/// Ports per test; a multiple of 4 so blocks start on even ports.
pub const BLOCK: u16 = 16;

/// How long an event may take to come, on a loaded machine.
pub const EVENT_WAIT: Duration = Duration::from_secs(5);

/// A fresh block of ports, never handed out before in this process.
pub fn block() -> PortRange {
    static BASE: OnceLock<u16> = OnceLock::new();
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = *BASE.get_or_init(|| 4 * rand::thread_rng().gen_range(0..2250));
    let start = 50000 + (base + BLOCK * NEXT.fetch_add(1, Ordering::Relaxed)) % 9000;
    PortRange { start, end: start + BLOCK - 1 }
}

/// A directory of its own under the system temporary directory, removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new() -> Scratch {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!("sb-media-engine-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(path.join("sounds")).unwrap();
        Scratch(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An engine on loopback with sounds and recordings in `scratch`.
pub fn engine(scratch: &Scratch) -> MediaEngine {
    MediaEngine::new(MediaConfig { bind: LOCALHOST, ports: block() })
        .with_media_dirs(scratch.path().join("sounds"), scratch.path().join("recordings"))
}

pub fn pcmu() -> &'static dyn Codec {
    codec_for("PCMU").unwrap()
}

/// `count` frames of `spec` (a tone string: `440`, `!440/1000,0`, …).
pub fn tone(spec: &str, count: usize) -> Vec<Frame> {
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
pub fn level(samples: &[i16], frequency: u32) -> f64 {
    let mut filter = Goertzel::new(f64::from(frequency), 8000);
    filter.feed(samples);
    filter.amplitude()
}

/// The RMS of `samples`.
pub fn rms(samples: &[i16]) -> f64 {
    (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len().max(1) as f64).sqrt()
}

/// A fake phone: one RTP socket, its own SSRC, sequence numbers and timestamps.
pub struct Phone {
    pub socket: Arc<UdpSocket>,
    pub ssrc: u32,
    pub seq: u16,
    pub ts: u32,
}

impl Phone {
    pub async fn new() -> Phone {
        let socket = UdpSocket::bind((LOCALHOST, 0)).await.unwrap();
        // Near the wrap, so every test crosses it.
        Phone { socket: Arc::new(socket), ssrc: rand::random(), seq: 65530, ts: rand::random() }
    }

    pub fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    /// An SDP offer from this phone with the given payload types on its `m=` line.
    pub fn offer(&self, formats: &str) -> SessionDescription {
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
    pub fn packet(&mut self, payload_type: u8, marker: bool, timestamp: u32, payload: &[u8]) -> Vec<u8> {
        let header = RtpHeader { marker, payload_type, sequence: self.seq, timestamp, ssrc: self.ssrc };
        self.seq = self.seq.wrapping_add(1);
        let mut packet = Vec::new();
        header.write_to_vec(&[], payload, &mut packet).unwrap();
        packet
    }

    /// Sends `frames` as PCMU to `to`, one every 20 ms.
    pub async fn talk(&mut self, to: SocketAddr, frames: &[Frame]) {
        self.talk_in(pcmu(), 0, to, frames).await;
    }

    /// Sends `frames` encoded with `codec` as `payload_type` to `to`, one every 20 ms.
    pub async fn talk_in(&mut self, codec: &dyn Codec, payload_type: u8, to: SocketAddr, frames: &[Frame]) {
        let mut encoder = codec.encoder();
        let mut pace = interval(Duration::from_millis(20));
        pace.set_missed_tick_behavior(MissedTickBehavior::Burst);
        for (index, frame) in frames.iter().enumerate() {
            pace.tick().await;
            let mut payload = Vec::new();
            encoder.encode(frame, &mut payload);
            let timestamp = self.ts;
            self.ts = self.ts.wrapping_add(160);
            let packet = self.packet(payload_type, index == 0, timestamp, &payload);
            self.socket.send_to(&packet, to).await.unwrap();
        }
    }

    /// Presses `digits` as RFC 4733 events (payload type 101), 100 ms each, 100 ms apart.
    pub async fn press(&mut self, to: SocketAddr, digits: &str) {
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
pub async fn listen(socket: Arc<UdpSocket>, window: Duration) -> Vec<(RtpHeader, Vec<u8>)> {
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
pub fn decode(packets: &[(RtpHeader, Vec<u8>)]) -> Vec<i16> {
    decode_in(pcmu(), 0, packets)
}

/// The audio of `packets`, all of `payload_type` in `codec` and in sequence order
/// (checked), decoded.
pub fn decode_in(codec: &dyn Codec, payload_type: u8, packets: &[(RtpHeader, Vec<u8>)]) -> Vec<i16> {
    for pair in packets.windows(2) {
        assert_eq!(pair[1].0.sequence, pair[0].0.sequence.wrapping_add(1), "in order, none missing");
        assert_eq!(pair[1].0.ssrc, pair[0].0.ssrc);
    }
    let mut decoder = codec.decoder();
    let mut pcm = Vec::new();
    for (header, payload) in packets {
        assert_eq!(header.payload_type, payload_type);
        decoder.decode(payload, &mut pcm);
    }
    pcm
}

/// The next event, or a panic after [`EVENT_WAIT`].
pub async fn next_event(events: &mut mpsc::Receiver<MediaEvent>) -> MediaEvent {
    timeout(EVENT_WAIT, events.recv()).await.expect("an event in time").expect("the channel is open")
}

/// Polls the engine's figures until `check` holds, or panics.
pub async fn stats_until(engine: &MediaEngine, check: impl Fn(&MediaStats) -> bool) -> MediaStats {
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
pub fn best_correlation(signal: &[i16], reference: &[i16]) -> f64 {
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

/// `count` samples of a chirp from `from` to `to` Hz at `amplitude`: no two frame-aligned
/// offsets look alike, so correlation finds where it starts.
pub fn chirp(count: usize, from: f64, to: f64, amplitude: f64) -> Vec<i16> {
    let seconds = count as f64 / 8000.0;
    (0..count)
        .map(|n| {
            let t = n as f64 / 8000.0;
            let phase = 2.0 * std::f64::consts::PI * (from * t + (to - from) / (2.0 * seconds) * t * t);
            (amplitude * phase.sin()) as i16
        })
        .collect()
}

/// Writes `samples` as an 8 kHz mono 16-bit WAV file, creating its folder.
pub fn write_wav(path: &Path, samples: &[i16]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec =
        hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    samples.iter().for_each(|&s| writer.write_sample(s).unwrap());
    writer.finalize().unwrap();
}
