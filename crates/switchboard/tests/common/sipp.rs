//! SIP end-to-end harness, part 1: the PBX under test as a SIP peer ([`SipPbx`]), loopback
//! port blocks shared safely between parallel test processes ([`PortBlock`]), SIPp runs with
//! their message traces ([`Sipp`], [`SippRun`]) and an RTP receiver ([`RtpSink`]).
//!
//! The scenarios live in `tests/sipp/`; SIPp comes from the Debian package `sip-tester`.
//! Without it the tests print a skip line, unless `CI` is set, where they fail.
//!
//! Development aid only: `SWITCHBOARD_E2E_ANCHOR=127.0.0.1:15060` points the tests at the
//! anchor Asterisk (`shared/tools/anchor-asterisk`, users 1001/pass1001 and 1002/pass1002)
//! instead of starting Switchboard; steps that need Switchboard's API are skipped there.

use super::{random_hex, Backend, Server, TempDir};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// The scenario files.
pub const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sipp");

/// The RTP capture the Debian package ships: 236 PCMA packets, 30 ms each.
pub const G711A_PCAP: &str = "/usr/share/sip-tester/g711a.pcap";

/// The DTMF capture the Debian package ships: digit 1 as RFC 4733 events, payload type 101.
pub const DTMF_1_PCAP: &str = "/usr/share/sip-tester/dtmf_2833_1.pcap";

/// The environment variable that points the SIP tests at the anchor Asterisk (development only).
pub const ANCHOR_ENV: &str = "SWITCHBOARD_E2E_ANCHOR";

const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

// ---------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------

/// Whether an executable named `tool` is on `PATH`.
pub fn on_path(tool: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .any(|dir| dir.join(tool).metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// `true` when `tool` (from the Debian package `package`) is installed; otherwise see
/// [`require_installed`].
pub fn require_tool(tool: &str, package: &str) -> bool {
    require_installed(&format!("`{tool}`"), on_path(tool), &format!("apt-get install -y {package}"))
}

/// `true` when `what` is `installed`. Otherwise: under CI a panic (the test command installs
/// it, so its absence is a broken setup); elsewhere a skip line on stderr and `false`, and
/// the test returns. `install` says how to get it.
pub fn require_installed(what: &str, installed: bool, install: &str) -> bool {
    if installed {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("CI is set but {what} is not installed: the end-to-end tests need `{install}`");
    }
    eprintln!("SKIPPED: {what} is not installed ({install}); with CI set this is a failure");
    false
}

// ---------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------

/// First port of the first block: above Switchboard's default RTP range (10000-20000) and
/// below the anchor's test RTP range (30000-31000) and the kernel's ephemeral ports.
const BLOCKS_START: u16 = 20100;
const BLOCK_SIZE: u16 = 100;
const BLOCKS: u16 = 99;
/// Ports `base .. base+PEER_PORTS` are for the peers, the rest is the PBX's RTP range.
const PEER_PORTS: u16 = 60;

/// A block of 100 loopback ports owned by one test, across processes: a lock file per
/// block under the temp dir names the owning pid (stale locks of dead processes are taken
/// over). The first 60 ports go to the peers (SIPp, baresip, RTP sinks), the last 40 are
/// the PBX's `--rtp-ports` range. Every peer port handed out is also checked free.
pub struct PortBlock {
    base: u16,
    next: AtomicU16,
    lock: PathBuf,
}

fn pid_alive(pid: &str) -> bool {
    !pid.trim().is_empty() && Path::new("/proc").join(pid.trim()).exists()
}

impl PortBlock {
    pub fn take() -> PortBlock {
        let dir = std::env::temp_dir().join("switchboard-e2e-ports");
        std::fs::create_dir_all(&dir).expect("port lock dir");
        let start = u16::from_str_radix(&random_hex(2), 16).unwrap_or(0) % BLOCKS;
        for attempt in 0..BLOCKS * 2 {
            let index = (start + attempt) % BLOCKS;
            let base = BLOCKS_START + index * BLOCK_SIZE;
            let lock = dir.join(format!("block-{base}"));
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&lock) {
                Ok(mut file) => {
                    use std::io::Write;
                    let _ = write!(file, "{}", std::process::id());
                    return PortBlock { base, next: AtomicU16::new(base), lock };
                }
                Err(_) => {
                    let owner = std::fs::read_to_string(&lock).unwrap_or_default();
                    // An empty file may be a lock being written right now: leave it.
                    if !owner.is_empty() && !pid_alive(&owner) {
                        let _ = std::fs::remove_file(&lock);
                    }
                }
            }
        }
        panic!("no free port block of {BLOCK_SIZE} in {BLOCKS_START}..{}", BLOCKS_START + BLOCKS * BLOCK_SIZE);
    }

    /// The PBX's RTP range, as `--rtp-ports` takes it.
    pub fn rtp_range(&self) -> (u16, u16) {
        (self.base + PEER_PORTS, self.base + BLOCK_SIZE - 1)
    }

    /// `n` consecutive ports, each free for UDP and TCP on 127.0.0.1 right now.
    pub fn span(&self, n: u16) -> u16 {
        loop {
            let first = self.next.fetch_add(n, Ordering::SeqCst);
            assert!(first + n <= self.base + PEER_PORTS, "port block {} exhausted", self.base);
            if (first..first + n).all(port_free) {
                return first;
            }
        }
    }

    /// One port free for UDP and TCP.
    pub fn port(&self) -> u16 {
        self.span(1)
    }
}

impl Drop for PortBlock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.lock);
    }
}

fn port_free(port: u16) -> bool {
    UdpSocket::bind((LOOPBACK, port)).is_ok() && TcpListener::bind((LOOPBACK, port)).is_ok()
}

/// Whether some process has UDP `port` bound on 127.0.0.1 or 0.0.0.0 (from /proc/net/udp,
/// without touching the port).
pub fn udp_bound(port: u16) -> bool {
    udp_bound_on(LOOPBACK, port)
}

/// Whether some process has UDP `port` bound on `ip` or 0.0.0.0 (from /proc/net/udp).
pub fn udp_bound_on(ip: Ipv4Addr, port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
    // The kernel prints the address as a little-endian hex word.
    let hex = format!("{:08X}", u32::from_le_bytes(ip.octets()));
    let wanted = [format!("{hex}:{port:04X}"), format!("00000000:{port:04X}")];
    table
        .lines()
        .skip(1)
        .any(|line| line.split_whitespace().nth(1).is_some_and(|local| wanted.iter().any(|w| w == local)))
}

// ---------------------------------------------------------------------------------------
// The PBX
// ---------------------------------------------------------------------------------------

/// The PBX under test as the SIP peers see it: Switchboard started with its own RTP range
/// and extensions with known passwords (or, for development, the anchor Asterisk).
pub struct SipPbx {
    pub server: Option<Server>,
    /// Where SIP goes (UDP and TCP).
    pub sip: SocketAddr,
    /// The ports of this test.
    pub ports: PortBlock,
    /// The relay's RTP range.
    pub rtp: (u16, u16),
    passwords: HashMap<String, String>,
}

impl SipPbx {
    /// Starts Switchboard on `backend` with `--rtp-ports` from a fresh port block and
    /// creates the SIP extensions `extensions` in tenant `default`.
    pub async fn start(backend: Backend, extensions: &[&str]) -> SipPbx {
        SipPbx::start_with(backend, extensions, &[]).await
    }

    /// Like [`SipPbx::start`], with more `serve` arguments (e.g. `--demo`). An extension that
    /// already exists (`--demo` seeds 1001-1003 with random passwords) gets its password set
    /// with a PUT instead, so that [`SipPbx::password`] is right either way.
    pub async fn start_with(backend: Backend, extensions: &[&str], args: &[&str]) -> SipPbx {
        let ports = PortBlock::take();
        if let Some(anchor) = std::env::var(ANCHOR_ENV).ok().filter(|a| !a.is_empty()) {
            let sip = anchor.parse().unwrap_or_else(|e| panic!("{ANCHOR_ENV}={anchor}: {e}"));
            let passwords = extensions.iter().map(|e| ((*e).to_owned(), format!("pass{e}"))).collect();
            eprintln!("NOTE: {ANCHOR_ENV} is set: testing the anchor Asterisk at {sip}, not Switchboard");
            return SipPbx { server: None, sip, ports, rtp: (30000, 31000), passwords };
        }
        let rtp = ports.rtp_range();
        let range = format!("{}-{}", rtp.0, rtp.1);
        let serve_args: Vec<&str> = ["--rtp-ports", range.as_str()].into_iter().chain(args.iter().copied()).collect();
        let server = Server::start_with(backend, &serve_args).await;
        let sip = server.sip_addr().await;
        let mut passwords = HashMap::new();
        for ext in extensions {
            let passwd = format!("Sb{}", random_hex(10));
            let created = server
                .post_json(
                    "extensions/unprovisioned",
                    &json!({"pkey": ext, "cluster": "default", "desc": format!("e2e {ext}"), "passwd": passwd}),
                )
                .await;
            if created.status == 409 {
                server.put_json(&format!("extensions/{ext}"), &json!({"passwd": passwd})).await.expect(200);
            } else {
                created.expect(200);
            }
            passwords.insert((*ext).to_owned(), passwd);
        }
        SipPbx { server: Some(server), sip, ports, rtp, passwords }
    }

    /// Whether this is the anchor Asterisk (development aid) rather than Switchboard.
    pub fn is_anchor(&self) -> bool {
        self.server.is_none()
    }

    /// The SIP password of an extension made by [`SipPbx::start`].
    pub fn password(&self, ext: &str) -> &str {
        self.passwords.get(ext).unwrap_or_else(|| panic!("extension {ext} was not created by SipPbx::start"))
    }

    /// `sip:EXT@HOST:PORT`
    pub fn uri(&self, ext: &str) -> String {
        format!("sip:{ext}@{}", self.sip)
    }

    /// Sets an extension's ring timeout (seconds) through its runtime settings.
    pub async fn set_ring_delay(&self, ext: &str, seconds: u32) {
        if let Some(server) = &self.server {
            let put = server.put_json(&format!("extensions/{ext}/runtime"), &json!({"ringdelay": seconds})).await;
            assert!(matches!(put.status, 200 | 204), "PUT runtime answered {}: {}", put.status, put.text);
            let back = server.get(&format!("extensions/{ext}/runtime")).await;
            back.expect(200);
            assert_eq!(
                back["ringdelay"].to_string().trim_matches('"'),
                seconds.to_string(),
                "runtime ringdelay did not stick: {}",
                back.text
            );
        }
    }

    /// Whether `port` is in the relay's RTP range.
    pub fn is_relay_port(&self, port: u16) -> bool {
        (self.rtp.0..=self.rtp.1).contains(&port)
    }

    /// The CDRs (newest first), or `None` while `GET /api/logs/cdrs` answers 404 because the
    /// route is not built yet (a note is printed). Any other non-200 fails.
    pub async fn cdrs_unless_route_missing(&self) -> Option<Vec<Value>> {
        let server = self.server.as_ref()?;
        let resp = server.get("logs/cdrs/50").await;
        if resp.status == 404 {
            eprintln!(
                "NOTE: GET /api/logs/cdrs/50 answered 404 ({}): CDR checks skipped until the route exists",
                resp.text
            );
            return None;
        }
        Some(resp.expect(200).array().clone())
    }

    /// Asserts that exactly one CDR from `src` to `dst` exists, with `disposition`; waits up
    /// to 5 s for it to be written. Answers it (`None` when the CDR route is missing).
    pub async fn assert_one_cdr(&self, src: &str, dst: &str, disposition: &str) -> Option<Value> {
        self.assert_one_cdr_of(src, dst, &[disposition]).await
    }

    /// Like [`SipPbx::assert_one_cdr`], with any of `dispositions`.
    pub async fn assert_one_cdr_of(&self, src: &str, dst: &str, dispositions: &[&str]) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let all = self.cdrs_unless_route_missing().await?;
            let mine: Vec<&Value> = all.iter().filter(|c| c["src"] == json!(src) && c["dst"] == json!(dst)).collect();
            if mine.len() == 1 && dispositions.iter().any(|d| mine[0]["disposition"] == json!(d)) {
                let cdr = mine[0].clone();
                assert!(cdr["duration"].as_i64().is_some_and(|d| d >= 0), "CDR duration: {cdr}");
                assert!(
                    cdr["billsec"].as_i64().is_some_and(|b| b >= 0 && b <= cdr["duration"].as_i64().unwrap_or(0)),
                    "CDR billsec: {cdr}"
                );
                if mine[0]["disposition"] != json!("ANSWERED") {
                    assert_eq!(cdr["billsec"], json!(0), "an unanswered call bills nothing: {cdr}");
                    assert!(cdr["answer"].is_null(), "an unanswered call has no answer time: {cdr}");
                }
                return Some(cdr);
            }
            if Instant::now() > deadline {
                panic!(
                    "wanted exactly one CDR {src} -> {dst} with disposition {dispositions:?}, found {}: {}",
                    mine.len(),
                    serde_json::to_string_pretty(&mine).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the gauges `switchboard_sip_dialogs` and `switchboard_calls_active` are 0
    /// (every dialog and call of the test is gone). Skipped, with a note, while `/metrics`
    /// or the gauges do not exist.
    pub async fn assert_no_calls_left(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let Some(text) = self.metrics().await else { return };
            let gauge = |name: &str| metric_samples(&text, name).first().map(|(_, value)| *value);
            let (dialogs, calls) = (gauge("switchboard_sip_dialogs"), gauge("switchboard_calls_active"));
            if dialogs.is_none() && calls.is_none() {
                eprintln!(
                    "NOTE: /metrics has no switchboard_sip_dialogs or switchboard_calls_active yet: leak check skipped"
                );
                return;
            }
            if dialogs.unwrap_or(0.0) == 0.0 && calls.unwrap_or(0.0) == 0.0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "calls or dialogs left 5 s after the test's calls ended: dialogs {dialogs:?}, calls {calls:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The `/metrics` text, or `None` (with a note) on the anchor or while the route is
    /// missing (404).
    pub async fn metrics(&self) -> Option<String> {
        let server = self.server.as_ref()?;
        let resp = server.get("/metrics").await;
        if resp.status == 404 {
            eprintln!("NOTE: /metrics answered 404: metric checks skipped");
            return None;
        }
        Some(resp.expect(200).text.clone())
    }
}

/// Registers `ext` from a fresh port and starts the callee `scenario` on that same port, so
/// the PBX's INVITE for `ext` reaches it. `args`: more sipp arguments (e.g. `-rtp_echo`).
pub async fn callee(pbx: &SipPbx, ext: &str, label: &str, scenario: &str, args: &[&str]) -> (Sipp, SippProcess) {
    let mut uas = Sipp::new(label, scenario, pbx.sip, &pbx.ports).timeout(Duration::from_secs(20));
    for arg in args {
        uas = uas.arg(arg);
    }
    registered(pbx, ext, label, uas).await
}

/// Registers `ext` from the SIP port of `uas` and starts it there (a callee built by the
/// caller, e.g. one that takes several calls).
pub async fn registered(pbx: &SipPbx, ext: &str, label: &str, uas: Sipp) -> (Sipp, SippProcess) {
    let register = Sipp::new(&format!("{label}-register"), "register.xml", pbx.sip, &pbx.ports)
        .local_port(uas.sip_port())
        .service(ext)
        .auth(ext, pbx.password(ext))
        .timeout(Duration::from_secs(10))
        .run()
        .await;
    register.assert_ok();
    let mut process = uas.spawn();
    process.ready().await;
    (uas, process)
}

/// A caller `from` dialling `to` with `scenario`.
pub fn caller(pbx: &SipPbx, from: &str, to: &str, label: &str, scenario: &str) -> Sipp {
    Sipp::new(label, scenario, pbx.sip, &pbx.ports)
        .service(to)
        .key("caller", from)
        .auth(from, pbx.password(from))
        .timeout(Duration::from_secs(20))
}

/// The samples of metric `name` in a Prometheus text exposition, in order: each one's
/// labels (`digit="1"`, empty without labels) and value (an optional timestamp after it is
/// ignored; label values may hold spaces).
pub fn metric_samples(text: &str, name: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let rest = l.trim().strip_prefix(name)?;
            let (labels, rest) = match rest.strip_prefix('{') {
                Some(labelled) => labelled.split_once('}')?,
                None => ("", rest),
            };
            // `name_total` must not pass for `name`: the name ends at the labels or a space.
            if !rest.starts_with([' ', '\t']) {
                return None;
            }
            let value = rest.split_whitespace().next()?.parse::<f64>().ok()?;
            Some((labels.to_owned(), value))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// SIPp
// ---------------------------------------------------------------------------------------

/// One SIPp process to run: a scenario from `tests/sipp/` against `remote`, one call.
#[derive(Clone)]
pub struct Sipp {
    label: String,
    scenario: String,
    remote: SocketAddr,
    local_port: u16,
    control_port: u16,
    media_port: u16,
    transport: &'static str,
    args: Vec<String>,
    timeout: Duration,
    /// The address SIPp binds for SIP and media (`-i`, `-mi`).
    ip: Ipv4Addr,
    /// How many calls it makes or takes (`-m`).
    calls: u32,
}

impl Sipp {
    /// A run of `scenario` against `remote`, on fresh ports of `ports`: the SIP port, the
    /// control port, and media ports `m`, `m+2` (bound by SIPp) and `m+4` (free for the
    /// scenario's `[media_port+4]`, see `uac_call.xml`).
    pub fn new(label: &str, scenario: &str, remote: SocketAddr, ports: &PortBlock) -> Sipp {
        let media_port = ports.span(6);
        Sipp {
            label: label.to_owned(),
            scenario: scenario.to_owned(),
            remote,
            local_port: ports.port(),
            control_port: ports.port(),
            media_port,
            transport: "u1",
            args: Vec::new(),
            timeout: Duration::from_secs(15),
            ip: LOOPBACK,
            calls: 1,
        }
    }

    /// Binds `ip` instead of 127.0.0.1 (a carrier on another loopback address).
    pub fn ip(mut self, ip: Ipv4Addr) -> Sipp {
        self.ip = ip;
        self
    }

    /// Makes or takes `calls` calls instead of one.
    pub fn calls(mut self, calls: u32) -> Sipp {
        self.calls = calls;
        self
    }

    /// Uses this SIP port (e.g. the one a REGISTER put in the Contact).
    pub fn local_port(mut self, port: u16) -> Sipp {
        self.local_port = port;
        self
    }

    /// Over TCP (one connection) instead of UDP.
    pub fn tcp(mut self) -> Sipp {
        self.transport = "t1";
        self
    }

    /// `-s`: the request-URI user (the extension called, or registered).
    pub fn service(self, user: &str) -> Sipp {
        self.arg("-s").arg(user)
    }

    /// `-au`/`-ap`: digest credentials for `[authentication]`.
    pub fn auth(self, user: &str, password: &str) -> Sipp {
        self.arg("-au").arg(user).arg("-ap").arg(password)
    }

    /// `-key NAME VALUE`: a `[NAME]` keyword in the scenario.
    pub fn key(self, name: &str, value: &str) -> Sipp {
        self.arg("-key").arg(name).arg(value)
    }

    /// Any other sipp argument.
    pub fn arg(mut self, arg: &str) -> Sipp {
        self.args.push(arg.to_owned());
        self
    }

    /// Global bound on the run (sipp `-timeout`, a failure when reached).
    pub fn timeout(mut self, timeout: Duration) -> Sipp {
        self.timeout = timeout;
        self
    }

    pub fn sip_port(&self) -> u16 {
        self.local_port
    }

    /// The `-mp` port (SIPp binds it and `+2`; with `-rtp_echo` it echoes what arrives there).
    pub fn media_port(&self) -> u16 {
        self.media_port
    }

    /// Starts sipp in a temp dir holding a copy of the scenario and links to the pcaps
    /// (`g711a.pcap`, and `digit.pcap`: the digit 1).
    pub fn spawn(&self) -> SippProcess {
        let dir = TempDir::new(&format!("sipp-{}", self.label.replace(|c: char| !c.is_ascii_alphanumeric(), "-")));
        let scenario = dir.path().join(&self.scenario);
        std::fs::copy(Path::new(SCENARIOS).join(&self.scenario), &scenario)
            .unwrap_or_else(|e| panic!("copy scenario {}: {e}", self.scenario));
        // sipp looks for pcaps next to the scenario.
        let _ = std::os::unix::fs::symlink(G711A_PCAP, dir.path().join("g711a.pcap"));
        let _ = std::os::unix::fs::symlink(DTMF_1_PCAP, dir.path().join("digit.pcap"));
        let file = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        let stdout = std::fs::File::create(dir.path().join("stdout.log")).expect("sipp stdout log");
        let stderr = stdout.try_clone().expect("sipp stderr log");
        let mut command = tokio::process::Command::new("sipp");
        command
            .current_dir(dir.path())
            .arg(self.remote.to_string())
            .arg("-sf")
            .arg(&scenario)
            .args(["-t", self.transport, "-i", &self.ip.to_string(), "-mi", &self.ip.to_string()])
            .args([
                "-p",
                &self.local_port.to_string(),
                "-cp",
                &self.control_port.to_string(),
                "-mp",
                &self.media_port.to_string(),
            ])
            .args([
                "-m",
                &self.calls.to_string(),
                "-nostdin",
                "-timeout",
                &self.timeout.as_secs().max(1).to_string(),
                "-timeout_error",
            ])
            .args([
                "-trace_err",
                "-error_file",
                &file("errors.log"),
                "-trace_msg",
                "-message_file",
                &file("messages.log"),
            ])
            .args(["-trace_screen", "-screen_file", &file("screen.log")])
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr))
            .kill_on_drop(true);
        let child = command.spawn().unwrap_or_else(|e| panic!("spawn sipp ({}): {e}", self.label));
        SippProcess { sipp: self.clone(), child, dir, started: Instant::now() }
    }

    /// Runs to the end.
    pub async fn run(&self) -> SippRun {
        self.spawn().finish().await
    }
}

/// A running sipp (killed when dropped).
pub struct SippProcess {
    sipp: Sipp,
    child: tokio::process::Child,
    dir: TempDir,
    started: Instant,
}

impl SippProcess {
    /// Waits until sipp has bound its SIP port (a UAS must before the PBX sends to it).
    pub async fn ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !udp_bound_on(self.sipp.ip, self.sipp.local_port) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "sipp {} exited before binding port {} ({status}):\n{}",
                    self.sipp.label,
                    self.sipp.local_port,
                    self.logs()
                );
            }
            assert!(
                Instant::now() < deadline,
                "sipp {} did not bind port {} within 5 s:\n{}",
                self.sipp.label,
                self.sipp.local_port,
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn logs(&self) -> String {
        let read = |n: &str| std::fs::read_to_string(self.dir.path().join(n)).unwrap_or_default();
        format!(
            "--- stdout/stderr:\n{}\n--- errors:\n{}\n--- messages:\n{}",
            read("stdout.log"),
            read("errors.log"),
            read("messages.log")
        )
    }

    /// Waits for sipp to exit (its own `-timeout` plus 10 s at most) and collects its logs.
    pub async fn finish(mut self) -> SippRun {
        let limit = self.sipp.timeout + Duration::from_secs(10);
        let status = match tokio::time::timeout(limit.saturating_sub(self.started.elapsed()), self.child.wait()).await {
            Ok(status) => status.expect("wait for sipp"),
            Err(_) => {
                let _ = self.child.kill().await;
                panic!("sipp {} still running after {limit:?}; killed:\n{}", self.sipp.label, self.logs());
            }
        };
        let read = |n: &str| std::fs::read_to_string(self.dir.path().join(n)).unwrap_or_default();
        let trace = read("messages.log");
        SippRun {
            label: self.sipp.label.clone(),
            status,
            messages: parse_trace(&trace),
            trace,
            errors: read("errors.log"),
            screen: read("screen.log"),
            output: read("stdout.log"),
        }
    }
}

/// What a finished sipp did.
pub struct SippRun {
    pub label: String,
    pub status: ExitStatus,
    /// Every SIP message sent and received, in order (`-trace_msg`).
    pub messages: Vec<Traced>,
    pub trace: String,
    pub errors: String,
    pub screen: String,
    pub output: String,
}

impl SippRun {
    /// Everything, for failure messages.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "=== sipp {} exited with {}", self.label, self.status);
        let _ = writeln!(out, "--- flow: {}", self.flow());
        if !self.errors.trim().is_empty() {
            let _ = writeln!(out, "--- errors:\n{}", self.errors.trim_end());
        }
        if !self.screen.trim().is_empty() && !self.status.success() {
            let _ = writeln!(out, "--- screen:\n{}", self.screen.trim_end());
        }
        if !self.output.trim().is_empty() && !self.status.success() {
            let _ = writeln!(out, "--- output (tail):\n{}", tail(&self.output, 40));
        }
        let _ = writeln!(out, "--- messages:\n{}", self.trace.trim_end());
        out
    }

    /// The call flow in one line: `> INVITE, < 407, > ACK, ...`.
    pub fn flow(&self) -> String {
        self.messages
            .iter()
            .map(|m| format!("{} {}", if m.sent { ">" } else { "<" }, m.summary()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Asserts that sipp ran its scenario to the end (exit 0: one successful call).
    #[track_caller]
    pub fn assert_ok(&self) -> &SippRun {
        assert!(self.status.code() == Some(0), "sipp {} failed:\n{}", self.label, self.report());
        self
    }

    pub fn received(&self) -> impl Iterator<Item = &Traced> {
        self.messages.iter().filter(|m| !m.sent)
    }

    pub fn sent(&self) -> impl Iterator<Item = &Traced> {
        self.messages.iter().filter(|m| m.sent)
    }

    /// The status codes received, in order.
    pub fn received_statuses(&self) -> Vec<u16> {
        self.received().filter_map(Traced::status).collect()
    }

    /// The request methods received, in order.
    pub fn received_requests(&self) -> Vec<String> {
        self.received().filter_map(|m| m.method().map(str::to_owned)).collect()
    }

    /// The first response received with `status` to a request with `method`.
    #[track_caller]
    pub fn response(&self, status: u16, method: &str) -> &Traced {
        self.received()
            .find(|m| m.status() == Some(status) && m.cseq_method().as_deref() == Some(method))
            .unwrap_or_else(|| panic!("sipp {} received no {status} to {method}:\n{}", self.label, self.report()))
    }

    /// The first request received with `method`.
    #[track_caller]
    pub fn request(&self, method: &str) -> &Traced {
        self.received()
            .find(|m| m.method() == Some(method))
            .unwrap_or_else(|| panic!("sipp {} received no {method}:\n{}", self.label, self.report()))
    }

    /// The final (>= 200) responses received to INVITEs.
    pub fn invite_finals(&self) -> Vec<u16> {
        self.received()
            .filter(|m| m.cseq_method().as_deref() == Some("INVITE"))
            .filter_map(Traced::status)
            .filter(|s| *s >= 200)
            .collect()
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// One SIP message of a sipp `-trace_msg` log.
#[derive(Debug, Clone)]
pub struct Traced {
    pub sent: bool,
    /// When sipp sent or received it: seconds since the Unix epoch, local time (from the trace's time stamp).
    pub at: f64,
    pub text: String,
}

impl Traced {
    pub fn first_line(&self) -> &str {
        self.text.lines().next().unwrap_or_default().trim()
    }

    pub fn status(&self) -> Option<u16> {
        let line = self.first_line();
        line.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
    }

    pub fn method(&self) -> Option<&str> {
        let line = self.first_line();
        if line.starts_with("SIP/2.0") {
            return None;
        }
        line.split_whitespace().next()
    }

    /// Every value of a header (long or compact name, case-insensitive).
    pub fn headers(&self, name: &str) -> Vec<&str> {
        let compact = match name.to_ascii_lowercase().as_str() {
            "via" => Some("v"),
            "from" => Some("f"),
            "to" => Some("t"),
            "call-id" => Some("i"),
            "contact" => Some("m"),
            "content-type" => Some("c"),
            "content-length" => Some("l"),
            _ => None,
        };
        self.text
            .lines()
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .filter_map(|l| {
                let (n, v) = l.split_once(':')?;
                let n = n.trim();
                (n.eq_ignore_ascii_case(name) || compact.is_some_and(|c| n.eq_ignore_ascii_case(c))).then_some(v.trim())
            })
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers(name).into_iter().next()
    }

    /// The method of the CSeq header.
    pub fn cseq_method(&self) -> Option<String> {
        self.header("CSeq").and_then(|v| v.split_whitespace().nth(1)).map(str::to_owned)
    }

    /// The message body (after the first blank line).
    pub fn body(&self) -> &str {
        let text = self.text.as_str();
        text.find("\n\n")
            .or_else(|| text.find("\r\n\r\n"))
            .map(|i| text[i..].trim_start_matches(['\r', '\n']))
            .unwrap_or_default()
    }

    /// The SDP's audio address: the `c=` address (session or media level) and `m=audio` port.
    pub fn sdp_audio(&self) -> Option<SocketAddr> {
        let body = self.body();
        let port: u16 =
            body.lines().find_map(|l| l.trim().strip_prefix("m=audio "))?.split_whitespace().next()?.parse().ok()?;
        let ip = body
            .lines()
            .filter_map(|l| l.trim().strip_prefix("c=IN IP4 "))
            .next_back()?
            .split('/')
            .next()?
            .trim()
            .parse()
            .ok()?;
        Some(SocketAddr::new(ip, port))
    }

    /// `INVITE`, `407 INVITE`, ...
    pub fn summary(&self) -> String {
        match (self.status(), self.cseq_method()) {
            (Some(status), Some(method)) => format!("{status} {method}"),
            _ => self.method().unwrap_or("?").to_owned(),
        }
    }
}

/// Days from 1970-01-01 to `YYYY-MM-DD` (proleptic Gregorian), 0 when it does not parse.
fn days_since_epoch(date: &str) -> f64 {
    let mut parts = date.split('-').map(|p| p.parse::<i64>().unwrap_or(0));
    let (y, m, d) = (parts.next().unwrap_or(1970), parts.next().unwrap_or(1), parts.next().unwrap_or(1));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) as f64
}

/// Splits a `-trace_msg` log into its messages.
pub fn parse_trace(trace: &str) -> Vec<Traced> {
    let mut out = Vec::new();
    for chunk in trace.split("-----------------------------------------------").skip(1) {
        let mut lines = chunk.lines();
        // " 2026-11-23 23:34:33.728246"
        let mut stamp_words = lines.next().unwrap_or_default().split_whitespace();
        let (date, stamp) = (stamp_words.next().unwrap_or_default(), stamp_words.next().unwrap_or_default());
        // Days count too: a test may run across midnight.
        let at = days_since_epoch(date) * 86_400.0
            + stamp.split(':').map(|p| p.parse::<f64>().unwrap_or(0.0)).fold(0.0, |acc, p| acc * 60.0 + p);
        let Some(what) = lines.next() else { continue };
        let sent = what.contains("message sent");
        if !sent && !what.contains("message received") {
            continue;
        }
        let text: String =
            lines.skip_while(|l| l.trim().is_empty()).map(|l| format!("{}\n", l.trim_end_matches('\r'))).collect();
        if !text.trim().is_empty() {
            out.push(Traced { sent, at, text });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// RTP
// ---------------------------------------------------------------------------------------

/// An RTP packet as received.
#[derive(Debug, Clone)]
pub struct RtpPacket {
    pub from: SocketAddr,
    pub payload_type: u8,
    pub payload: Vec<u8>,
}

/// Parses an RTP packet (version 2), skipping CSRCs, the extension and padding.
pub fn parse_rtp(data: &[u8]) -> Option<(u8, &[u8])> {
    if data.len() < 12 || data[0] >> 6 != 2 {
        return None;
    }
    let csrc = usize::from(data[0] & 0x0f);
    let mut start = 12 + 4 * csrc;
    if data[0] & 0x10 != 0 {
        let ext = data.get(start + 2..start + 4)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([ext[0], ext[1]]));
    }
    let mut end = data.len();
    if data[0] & 0x20 != 0 {
        end = end.checked_sub(usize::from(*data.last()?))?;
    }
    (start <= end).then(|| (data[1] & 0x7f, &data[start..end]))
}

/// The RTP payloads of a pcap of Ethernet/IPv4/UDP/RTP packets.
pub fn pcap_rtp_payloads(path: &str) -> Vec<Vec<u8>> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    assert!(data.len() >= 24 && data[..4] == [0xd4, 0xc3, 0xb2, 0xa1], "{path}: not a little-endian pcap");
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= data.len() {
        let incl = u32::from_le_bytes([data[off + 8], data[off + 9], data[off + 10], data[off + 11]]) as usize;
        let frame = &data[off + 16..(off + 16 + incl).min(data.len())];
        off += 16 + incl;
        // Ethernet (14) + IPv4 (IHL) + UDP (8).
        if frame.len() < 14 + 20 + 8 || frame[12..14] != [0x08, 0x00] {
            continue;
        }
        let ihl = usize::from(frame[14] & 0x0f) * 4;
        if frame[14 + 9] != 17 {
            continue;
        }
        if let Some((_, payload)) = frame.get(14 + ihl + 8..).and_then(parse_rtp) {
            out.push(payload.to_vec());
        }
    }
    out
}

/// A UDP socket on 127.0.0.1 that keeps every packet it receives until finished.
pub struct RtpSink {
    pub port: u16,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Vec<RtpPacket>>,
}

impl RtpSink {
    pub async fn bind(port: u16) -> RtpSink {
        let socket = tokio::net::UdpSocket::bind(SocketAddrV4::new(LOOPBACK, port))
            .await
            .unwrap_or_else(|e| panic!("bind RTP sink 127.0.0.1:{port}: {e}"));
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut packets = Vec::new();
            let mut buf = vec![0u8; 2048];
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    got = socket.recv_from(&mut buf) => match got {
                        Ok((n, from)) => {
                            if let Some((payload_type, payload)) = parse_rtp(&buf[..n]) {
                                packets.push(RtpPacket { from, payload_type, payload: payload.to_vec() });
                            }
                        }
                        Err(_) => continue,
                    },
                }
            }
            packets
        });
        RtpSink { port, stop, task }
    }

    /// Stops listening and answers what arrived.
    pub async fn finish(self) -> Vec<RtpPacket> {
        let _ = self.stop.send(());
        self.task.await.expect("RTP sink task")
    }
}

/// How many of `packets` carry one of `payloads` byte for byte.
pub fn count_matching(packets: &[RtpPacket], payloads: &[Vec<u8>]) -> usize {
    let known: HashSet<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    packets.iter().filter(|p| known.contains(p.payload.as_slice())).count()
}
