//! SIP end-to-end harness, part 2: baresip softphones (Debian package `baresip-core`)
//! driven headless over their `ctrl_tcp` interface, and the audio checks of what they
//! recorded.
//!
//! Each phone gets a config dir of its own: SIP on a free loopback port, PCMU/PCMA only,
//! no STUN/ICE/SRTP, its audio source an `aufile` WAV, and the `sndfile` filter dumping what
//! it sends (`dump-*-enc.wav`) and what it decodes from the network (`dump-*-dec.wav`) into
//! `snd/`. (baresip 1.0.0 of Debian 12 has no `aufile` player; `sndfile` records the decoded
//! far-end audio instead, and `aubridge` is a player that needs no sound card.)

use super::sipp::PortBlock;
use super::TempDir;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

/// Where Debian puts the modules.
pub const MODULE_PATH: &str = "/usr/lib/baresip/modules";

/// One baresip phone.
pub struct Baresip {
    pub name: String,
    pub sip_port: u16,
    dir: TempDir,
    child: tokio::process::Child,
    ctrl: OwnedWriteHalf,
    events: mpsc::UnboundedReceiver<Value>,
    /// Events received while waiting for something else.
    seen: Vec<Value>,
    token: u64,
}

/// What a phone is.
pub struct Phone<'a> {
    /// A short name for logs and file names.
    pub name: &'a str,
    pub user: &'a str,
    pub password: &'a str,
    /// The registrar and proxy.
    pub pbx: SocketAddr,
    /// The WAV to send (8 kHz mono 16-bit).
    pub source: &'a Path,
    /// Answer incoming calls at once.
    pub auto_answer: bool,
}

impl Baresip {
    /// Writes the config and starts the phone; answers once its control port is connected.
    pub async fn start(phone: &Phone<'_>, ports: &PortBlock) -> Baresip {
        let dir = TempDir::new(&format!("baresip-{}", phone.name));
        // SIP on p (UDP and TCP) and p+1 (TLS); RTP from the next 10.
        let sip_port = ports.span(2);
        let ctrl_port = ports.port();
        let rtp = ports.span(10);
        let snd = dir.path().join("snd");
        std::fs::create_dir_all(&snd).expect("snd dir");
        let config = format!(
            "poll_method epoll\n\
             sip_listen 127.0.0.1:{sip_port}\n\
             net_interface 127.0.0.1\n\
             call_local_timeout 60\n\
             call_max_calls 2\n\
             audio_source aufile,{source}\n\
             audio_player aubridge,{name}\n\
             audio_alert aubridge,{name}-alert\n\
             ausrc_srate 8000\n\
             auplay_srate 8000\n\
             ausrc_channels 1\n\
             auplay_channels 1\n\
             audio_level no\n\
             rtp_ports {rtp_lo}-{rtp_hi}\n\
             rtcp_mux no\n\
             jitter_buffer_delay 1-10\n\
             module_path {MODULE_PATH}\n\
             module g711.so\n\
             module aufile.so\n\
             module aubridge.so\n\
             module sndfile.so\n\
             snd_path {snd}\n\
             module_tmp account.so\n\
             module_app menu.so\n\
             module_app ctrl_tcp.so\n\
             ctrl_tcp_listen 127.0.0.1:{ctrl_port}\n",
            source = phone.source.display(),
            name = phone.name,
            rtp_lo = rtp,
            rtp_hi = rtp + 9,
            snd = snd.display(),
        );
        std::fs::write(dir.path().join("config"), config).expect("write baresip config");
        let answermode = if phone.auto_answer { "auto" } else { "manual" };
        let account = format!(
            "<sip:{user}@{pbx}>;auth_user={user};auth_pass={pass};regint=600;answermode={answermode};audio_codecs=PCMU,PCMA;medianat=;mediaenc=\n",
            user = phone.user,
            pbx = phone.pbx,
            pass = phone.password,
        );
        std::fs::write(dir.path().join("accounts"), account).expect("write baresip accounts");
        std::fs::write(dir.path().join("contacts"), "").expect("write baresip contacts");

        let log = std::fs::File::create(dir.path().join("baresip.log")).expect("baresip log");
        let child = tokio::process::Command::new("baresip")
            .current_dir(dir.path())
            .arg("-f")
            .arg(dir.path())
            // -s: SIP trace in the log; -t: quit after 60 s whatever happens (the test takes ~5 s).
            .args(["-s", "-t", "60"])
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("spawn baresip");
        let mut phone_proc = BaresipStarting { child, dir };
        let stream = phone_proc.connect(ctrl_port).await;
        let (mut read, ctrl) = stream.into_split();
        let (tx, events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                while let Some((message, used)) = netstring(&buf) {
                    if let Ok(value) = serde_json::from_slice::<Value>(message) {
                        let _ = tx.send(value);
                    }
                    buf.drain(..used);
                }
                match read.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
        });
        let BaresipStarting { child, dir } = phone_proc;
        Baresip { name: phone.name.to_owned(), sip_port, dir, child, ctrl, events, seen: Vec::new(), token: 0 }
    }

    /// baresip's own log (stdout and stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("baresip.log")).unwrap_or_default()
    }

    /// Sends a command; answers its response's `data`, asserting `ok`.
    pub async fn command(&mut self, command: &str, params: &str) -> String {
        self.token += 1;
        let token = format!("t{}", self.token);
        let body = json!({"command": command, "params": params, "token": token}).to_string();
        let frame = format!("{}:{body},", body.len());
        self.ctrl.write_all(frame.as_bytes()).await.unwrap_or_else(|e| panic!("{}: send {command}: {e}", self.name));
        let response = self
            .next_matching(Duration::from_secs(5), |v| v["response"] == json!(true) && v["token"] == json!(token))
            .await;
        let response = response
            .unwrap_or_else(|| panic!("{}: no response to {command} within 5 s; log:\n{}", self.name, self.log()));
        assert_eq!(
            response["ok"],
            json!(true),
            "{}: {command} {params} failed: {response}; log:\n{}",
            self.name,
            self.log()
        );
        response["data"].as_str().unwrap_or_default().to_owned()
    }

    async fn next_matching(&mut self, timeout: Duration, wanted: impl Fn(&Value) -> bool) -> Option<Value> {
        if let Some(i) = self.seen.iter().position(&wanted) {
            return Some(self.seen.remove(i));
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(value)) if wanted(&value) => return Some(value),
                Ok(Some(value)) => self.seen.push(value),
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// Waits for an event of `kind` (`CALL_ESTABLISHED`, `CALL_CLOSED` ...).
    pub async fn wait_event(&mut self, kind: &str, timeout: Duration) -> Value {
        let found = self.next_matching(timeout, |v| v["event"] == json!(true) && v["type"] == json!(kind)).await;
        found.unwrap_or_else(|| {
            let seen: Vec<String> = self.seen.iter().map(|v| v["type"].to_string()).collect();
            panic!("{}: no {kind} event within {timeout:?} (events so far: {seen:?}); log:\n{}", self.name, self.log())
        })
    }

    /// Whether an event of `kind` came (without waiting).
    pub fn saw_event(&self, kind: &str) -> bool {
        self.seen.iter().any(|v| v["event"] == json!(true) && v["type"] == json!(kind))
    }

    /// Waits until the account is registered (`reginfo` shows OK; the REGISTER_OK event may
    /// have come before the control connection).
    pub async fn wait_registered(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let info = self.command("reginfo", "").await;
            if info.contains("\u{1b}[32mOK") || info.lines().any(|l| l.contains(" OK ")) {
                return;
            }
            // Refused (or the client gave up): no point waiting, the log says why.
            assert!(
                !info.contains("ERR"),
                "{}: registration failed: {info:?}; log (with SIP trace):\n{}",
                self.name,
                self.log()
            );
            assert!(
                Instant::now() < deadline,
                "{}: not registered within {timeout:?}: {info:?}; log:\n{}",
                self.name,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn dial(&mut self, uri: &str) {
        self.command("dial", uri).await;
    }

    pub async fn hangup(&mut self) {
        self.command("hangup", "").await;
    }

    /// Quits (so that the recordings are closed) and waits for the process.
    pub async fn quit(&mut self) {
        let body = json!({"command": "quit", "params": "", "token": "quit"}).to_string();
        let _ = self.ctrl.write_all(format!("{}:{body},", body.len()).as_bytes()).await;
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
            panic!("{}: baresip did not quit within 5 s; log:\n{}", self.name, self.log());
        }
    }

    /// The recording of what arrived from the network and was decoded (`dump-*-dec.wav`).
    #[track_caller]
    pub fn received_audio(&self) -> PathBuf {
        self.recording("-dec.wav")
    }

    /// The recording of what was sent (`dump-*-enc.wav`).
    #[track_caller]
    pub fn sent_audio(&self) -> PathBuf {
        self.recording("-enc.wav")
    }

    #[track_caller]
    fn recording(&self, suffix: &str) -> PathBuf {
        let snd = self.dir.path().join("snd");
        let mut found: Vec<PathBuf> = std::fs::read_dir(&snd)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.to_string_lossy().ends_with(suffix)).collect()
            })
            .unwrap_or_default();
        found.sort();
        assert_eq!(
            found.len(),
            1,
            "{}: wanted one *{suffix} in {}, found {found:?}; log:\n{}",
            self.name,
            snd.display(),
            self.log()
        );
        found.remove(0)
    }
}

/// A phone whose control port is not connected yet.
struct BaresipStarting {
    child: tokio::process::Child,
    dir: TempDir,
}

impl BaresipStarting {
    async fn connect(&mut self, port: u16) -> tokio::net::TcpStream {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                return stream;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.dir.path().join("baresip.log")).unwrap_or_default();
                panic!("baresip exited at start ({status}); log:\n{log}");
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.path().join("baresip.log")).unwrap_or_default();
                panic!("baresip's ctrl_tcp 127.0.0.1:{port} did not accept within 10 s; log:\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// One netstring (`LEN:DATA,`) from the start of `buf`: its data and the bytes used.
fn netstring(buf: &[u8]) -> Option<(&[u8], usize)> {
    let colon = buf.iter().position(|b| *b == b':')?;
    let len: usize = std::str::from_utf8(&buf[..colon]).ok()?.trim().parse().ok()?;
    let end = colon + 1 + len;
    (buf.len() > end).then(|| (&buf[colon + 1..end], end + 1))
}

// ---------------------------------------------------------------------------------------
// Audio
// ---------------------------------------------------------------------------------------

/// Writes `seconds` of a sine tone at `hz` (8 kHz mono 16-bit, amplitude 8000).
pub fn write_tone(path: &Path, hz: f64, seconds: u32) {
    let spec =
        hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::create(path, spec).expect("tone wav");
    for i in 0..8000 * seconds {
        let sample = (f64::from(i) * 2.0 * std::f64::consts::PI * hz / 8000.0).sin() * 8000.0;
        writer.write_sample(sample as i16).expect("tone sample");
    }
    writer.finalize().expect("finalize tone wav");
}

/// Reads a mono 16-bit WAV: its sample rate and samples.
pub fn read_wav(path: &Path) -> (u32, Vec<i16>) {
    let mut reader = hound::WavReader::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.bits_per_sample), (1, 16), "{}: not mono 16-bit: {spec:?}", path.display());
    let samples = reader
        .samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    (spec.sample_rate, samples)
}

/// The power of `hz` in `samples` (Goertzel), as a fraction of the frame's total power:
/// ~1 for a pure tone at `hz`, ~0 for silence or another tone (the frame should hold a
/// whole number of periods).
pub fn tone_share(samples: &[f64], rate: u32, hz: f64) -> f64 {
    let n = samples.len() as f64;
    let mean_square = samples.iter().map(|s| s * s).sum::<f64>() / n;
    if mean_square == 0.0 {
        return 0.0;
    }
    let coeff = 2.0 * (2.0 * std::f64::consts::PI * hz / f64::from(rate)).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for s in samples {
        let s0 = s + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (n * n);
    // A sine of amplitude A: power A²/4, mean square A²/2.
    2.0 * power / mean_square
}

/// What a recording holds, in 50 ms frames.
#[derive(Debug)]
pub struct ToneReport {
    pub seconds: f64,
    pub frames: usize,
    /// Frames that are not silence (RMS over 300).
    pub loud: usize,
    /// Loud frames that are the `wanted` tone (share over 0.5) and not the `unwanted` one (under 0.1).
    pub wanted: usize,
    /// Loud frames where the `unwanted` tone dominates (share over 0.5).
    pub unwanted: usize,
    pub rms: f64,
}

/// Splits a recording into 50 ms frames and classifies them by tone.
pub fn tone_report(path: &Path, wanted_hz: f64, unwanted_hz: f64) -> ToneReport {
    let (rate, samples) = read_wav(path);
    let frame = (rate / 20) as usize;
    let mut report = ToneReport {
        seconds: samples.len() as f64 / f64::from(rate),
        frames: 0,
        loud: 0,
        wanted: 0,
        unwanted: 0,
        rms: 0.0,
    };
    let total: f64 = samples.iter().map(|s| f64::from(*s) * f64::from(*s)).sum();
    report.rms = (total / samples.len().max(1) as f64).sqrt();
    for chunk in samples.chunks_exact(frame) {
        report.frames += 1;
        let x: Vec<f64> = chunk.iter().map(|s| f64::from(*s)).collect();
        let rms = (x.iter().map(|s| s * s).sum::<f64>() / x.len() as f64).sqrt();
        if rms < 300.0 {
            continue;
        }
        report.loud += 1;
        let (w, u) = (tone_share(&x, rate, wanted_hz), tone_share(&x, rate, unwanted_hz));
        if w > 0.5 && u < 0.1 {
            report.wanted += 1;
        }
        if u > 0.5 {
            report.unwanted += 1;
        }
    }
    report
}
