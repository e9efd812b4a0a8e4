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

/// Between two digits of [`Baresip::send_dtmf`]: longer than one event (180 ms and 3 end
/// packets), so that the next starts after the last one ended.
pub const DTMF_GAP: Duration = Duration::from_millis(400);

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

    /// Keys `digits` (0-9, *, #, A-D) in the current call as RFC 4733 telephone-events, the
    /// way the `menu` module sends a digit typed in a call: `sndcode D` presses and releases
    /// the key, and libre's telev then sends the event for at least 9 packets (180 ms at 20 ms
    /// ptime) followed by 3 end packets, on the payload type the answer gave telephone-event.
    /// baresip never sends in-band tones, so the far end sees nothing without that answer.
    /// One command per digit, [`DTMF_GAP`] apart, so that each is a separate event (as a person
    /// keys them) rather than a queue that relies on libre's back-to-back handling.
    pub async fn send_dtmf(&mut self, digits: &str) {
        for digit in digits.chars() {
            self.command("sndcode", &digit.to_string()).await;
            tokio::time::sleep(DTMF_GAP).await;
        }
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

/// The sample rate of every WAV written here and recorded by the phones (`ausrc_srate`,
/// `auplay_srate`), and of the PBX's sounds.
pub const RATE: u32 = 8000;

/// The amplitude of the test signals: loud, yet three of them summed by a conference stay
/// far from clipping (and within G.711's range).
pub const AMPLITUDE: f64 = 8000.0;

/// Frames whose RMS is under this are silence (G.711 idle noise is far below it).
pub const SILENCE_RMS: f64 = 300.0;

/// Asserts that two phones in one call each heard the other's tone and never their own:
/// `(phone, the tone it sends, its number)` for each side. `label` prefixes the messages.
pub fn assert_each_hears_the_other(label: &str, a: (&Baresip, f64, &str), b: (&Baresip, f64, &str)) {
    for ((phone, own, _), (_, wanted, from)) in [(a, b), (b, a)] {
        let sent = tone_report(&phone.sent_audio(), own, wanted);
        let heard = tone_report(&phone.received_audio(), wanted, own);
        eprintln!("{label} {}: sent {sent:?}; received {heard:?}", phone.name);
        // Its own tone went out (else the test setup, not the PBX, is broken).
        assert!(sent.wanted >= 40, "{label} {}: its own tone was not sent: {sent:?}\n{}", phone.name, phone.log());
        assert!(
            heard.loud >= 40,
            "{label} {}: what arrived is silence: {heard:?} (wanted over 2 s of {wanted} Hz from {from})\n{}",
            phone.name,
            phone.log()
        );
        assert!(
            heard.wanted >= 40 && heard.wanted * 10 >= heard.loud * 8,
            "{label} {}: what arrived is not {from}'s {wanted} Hz tone: {heard:?}\n{}",
            phone.name,
            phone.log()
        );
        assert_eq!(
            heard.unwanted, 0,
            "{label} {}: its own {own} Hz tone came back (echo or loop in the PBX): {heard:?}",
            phone.name
        );
    }
}

/// Writes `samples` as a WAV of [`RATE`], mono 16-bit: what `aufile` plays and what the
/// PBX's sounds are.
pub fn write_wav(path: &Path, samples: &[i16]) {
    let spec =
        hound::WavSpec { channels: 1, sample_rate: RATE, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::create(path, spec).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    for sample in samples {
        writer.write_sample(*sample).expect("wav sample");
    }
    writer.finalize().expect("finalize wav");
}

/// `len` samples of a sine at `hz` ([`RATE`], [`AMPLITUDE`]).
pub fn sine(hz: f64, len: usize) -> Vec<i16> {
    (0..len)
        .map(|i| ((i as f64) * 2.0 * std::f64::consts::PI * hz / f64::from(RATE)).sin() * AMPLITUDE)
        .map(|s| s as i16)
        .collect()
}

/// Writes `seconds` of a sine tone at `hz` (8 kHz mono 16-bit, amplitude 8000).
pub fn write_tone(path: &Path, hz: f64, seconds: u32) {
    write_wav(path, &sine(hz, (RATE * seconds) as usize));
}

/// A signal that can only be matched in one place: each of `tones` for `tone_len` samples,
/// then `gap_len` samples of silence, in order. Each tone fades in and out over 5 ms, so
/// that the edges do not splatter into other frequencies.
pub fn tone_sequence(tones: &[f64], tone_len: usize, gap_len: usize) -> Vec<i16> {
    let fade = (RATE / 200) as usize;
    let mut out = Vec::with_capacity(tones.len() * (tone_len + gap_len));
    for hz in tones {
        let tone = sine(*hz, tone_len);
        out.extend(tone.iter().enumerate().map(|(i, s)| {
            let edge = i.min(tone_len - 1 - i);
            let gain =
                if edge < fade { 0.5 - 0.5 * (std::f64::consts::PI * edge as f64 / fade as f64).cos() } else { 1.0 };
            (f64::from(*s) * gain) as i16
        }));
        out.resize(out.len() + gap_len, 0);
    }
    out
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

/// One 50 ms frame of a recording, measured at some frequencies.
#[derive(Debug, Clone)]
pub struct Frame {
    pub rms: f64,
    /// The [`tone_share`] of each frequency asked for, in the order asked.
    pub shares: Vec<f64>,
}

impl Frame {
    /// Not silence.
    pub fn loud(&self) -> bool {
        self.rms >= SILENCE_RMS
    }

    /// The power of the `i`-th frequency asked for (its share of the mean square).
    pub fn power(&self, i: usize) -> f64 {
        self.shares[i] * self.rms * self.rms
    }
}

/// Cuts `samples` into 50 ms frames and measures each of `tones` in each. 50 ms holds a
/// whole number of periods of any multiple of 20 Hz, which every test tone is.
pub fn tone_frames(samples: &[i16], rate: u32, tones: &[f64]) -> Vec<Frame> {
    samples
        .chunks_exact((rate / 20) as usize)
        .map(|chunk| {
            let x: Vec<f64> = chunk.iter().map(|s| f64::from(*s)).collect();
            let rms = (x.iter().map(|s| s * s).sum::<f64>() / x.len() as f64).sqrt();
            Frame { rms, shares: tones.iter().map(|hz| tone_share(&x, rate, *hz)).collect() }
        })
        .collect()
}

/// What a recording holds, in 50 ms frames.
#[derive(Debug)]
pub struct ToneReport {
    pub seconds: f64,
    pub frames: usize,
    /// Frames that are not silence (RMS over [`SILENCE_RMS`]).
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
    let frames = tone_frames(&samples, rate, &[wanted_hz, unwanted_hz]);
    let total: f64 = samples.iter().map(|s| f64::from(*s) * f64::from(*s)).sum();
    let loud: Vec<&Frame> = frames.iter().filter(|f| f.loud()).collect();
    ToneReport {
        seconds: samples.len() as f64 / f64::from(rate),
        frames: frames.len(),
        loud: loud.len(),
        wanted: loud.iter().filter(|f| f.shares[0] > 0.5 && f.shares[1] < 0.1).count(),
        unwanted: loud.iter().filter(|f| f.shares[1] > 0.5).count(),
        rms: (total / samples.len().max(1) as f64).sqrt(),
    }
}

/// Where a reference signal best matches inside a recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correlation {
    /// Where the reference's first sample falls in the recording (negative: before its start).
    pub lag: isize,
    /// The normalised cross-correlation there: 1 for an exact copy at any gain, about 0 for
    /// unrelated audio, 0 when no lag overlaps enough.
    pub score: f64,
    /// How many samples of the reference overlap the recording at that lag.
    pub overlap: usize,
}

/// The best normalised cross-correlation of `reference` against `recording` over every lag
/// at which at least `min_overlap` (a fraction) of the reference lies inside the recording,
/// so that a copy whose first milliseconds were lost still matches while a truncated one
/// (the end missing) does not. Each lag's score is computed over the overlap only. The dot
/// products of all lags come from one FFT cross-correlation (a direct sum over every lag
/// takes tens of seconds in a debug build), the energies from running sums.
pub fn best_correlation(reference: &[i16], recording: &[i16], min_overlap: f64) -> Correlation {
    let running_squares = |x: &[i16]| {
        let mut sums = Vec::with_capacity(x.len() + 1);
        let mut sum = 0.0;
        sums.push(0.0);
        for s in x {
            sum += f64::from(*s) * f64::from(*s);
            sums.push(sum);
        }
        sums
    };
    let (n, m) = (reference.len() as isize, recording.len() as isize);
    let need = ((min_overlap.clamp(0.0, 1.0) * n as f64).ceil() as isize).max(1);
    let mut best = Correlation { lag: 0, score: 0.0, overlap: 0 };
    if n == 0 || m < need {
        return best;
    }
    let dots = cross_correlation(reference, recording);
    let size = dots.len() as isize;
    let (ref_sq, rec_sq) = (running_squares(reference), running_squares(recording));
    for lag in (need - n)..=(m - need) {
        let (lo, hi) = ((-lag).max(0), n.min(m - lag));
        if hi - lo < need {
            continue;
        }
        let dot = dots[lag.rem_euclid(size) as usize];
        let (lo, hi, at) = (lo as usize, hi as usize, (lo + lag) as usize);
        let energy = (ref_sq[hi] - ref_sq[lo]) * (rec_sq[at + hi - lo] - rec_sq[at]);
        // Under one sample's worth of energy is silence (and rounding of the running sums).
        if energy > 1.0 {
            let score = dot / energy.sqrt();
            if score > best.score {
                best = Correlation { lag, score, overlap: hi - lo };
            }
        }
    }
    best
}

/// `Σ a[i]·b[i + lag]` for every lag, at index `lag` for `lag >= 0` and `len + lag` for
/// negative ones (the answer's length is a power of two of at least `a.len() + b.len()`, so
/// the two never meet).
fn cross_correlation(a: &[i16], b: &[i16]) -> Vec<f64> {
    let size = (a.len() + b.len()).next_power_of_two();
    let spectrum = |x: &[i16]| {
        let mut re: Vec<f64> = x.iter().map(|s| f64::from(*s)).collect();
        re.resize(size, 0.0);
        let mut im = vec![0.0; size];
        fft(&mut re, &mut im, false);
        (re, im)
    };
    let ((are, aim), (bre, bim)) = (spectrum(a), spectrum(b));
    // B · conj(A): the correlation with `a` as the reference sliding along `b`.
    let (mut re, mut im): (Vec<f64>, Vec<f64>) =
        (0..size).map(|k| (bre[k] * are[k] + bim[k] * aim[k], bim[k] * are[k] - bre[k] * aim[k])).unzip();
    fft(&mut re, &mut im, true);
    re.iter().map(|v| v / size as f64).collect()
}

/// In-place iterative radix-2 FFT of `re` + i·`im` (length a power of two); `inverse`
/// turns the rotation around and, as usual, leaves the 1/n to the caller.
fn fft(re: &mut [f64], im: &mut [f64], inverse: bool) {
    let n = re.len();
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let angle = 2.0 * std::f64::consts::PI / len as f64 * if inverse { 1.0 } else { -1.0 };
        let half = len / 2;
        for start in (0..n).step_by(len) {
            for k in 0..half {
                // Each twiddle computed afresh: a running product drifts over 2^17 points.
                let (wi, wr) = (angle * k as f64).sin_cos();
                let (a, b) = (start + k, start + k + half);
                let (tr, ti) = (re[b] * wr - im[b] * wi, re[b] * wi + im[b] * wr);
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
            }
        }
        len <<= 1;
    }
}
