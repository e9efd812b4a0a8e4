//! ARI end to end with the real client libraries against the real binary: the official npm
//! `ari-client` runs the Stasis tour (`tests/ari-clients/stasis-tour.js`: answer, play,
//! record, play the recording, mixing bridge, originate to a registered SIPp, bridge, hang up
//! both) and PyPI `aioari` runs answer / play / DTMF / hang up
//! (`tests/ari-clients/answer_play_dtmf.py`), each on a call from a SIPp caller that dials a
//! custom app whose extcode is `Stasis(APP,first,second)`.
//!
//! Each app checks every event it waits for and exits 0 only when its whole flow ran; this
//! test asserts that exit status, the SIPp sides, the app's normalised events file and that
//! ARI holds no channel or bridge afterwards. `scripts/ari-compare.sh` runs the same apps
//! against the anchor Asterisk and diffs the events files.
//!
//! Needs SIPp (`sip-tester`), `node` with `npm ci` done in `tests/ari-clients`, and the venv
//! `tests/ari-clients/.venv` with its `requirements.txt`; `scripts/test.sh` installs them.
//! Without them a test prints a skip line, unless `CI` is set, where it fails.
//!
//! Development aid, as for the other SIP tests: with `SWITCHBOARD_E2E_ANCHOR=127.0.0.1:15060`
//! and `SWITCHBOARD_E2E_ANCHOR_ARI=http://127.0.0.1:18088` the same tests run against the
//! anchor Asterisk (its 700 is `Stasis(test)`, without arguments; ARI user asterisk).

mod common;

use common::sipp::{caller, registered, require_installed, require_tool, SipPbx, Sipp, SippProcess, ANCHOR_ENV};
use common::{Api, Backend, Resp, TempDir};
use reqwest::Method;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

/// The client apps, their lockfiles and (once installed) `node_modules` and `.venv`.
const CLIENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ari-clients");

/// The ARI user the apps connect to Switchboard as (from the config file), and its password.
const ARI_USER: &str = "clients";
const ARI_PASSWORD: &str = "Cl1ents-pw";

/// The number the caller dials: the custom app's key.
const STASIS_NUMBER: &str = "700";

/// What the apps print once ARI lists their application.
const REGISTERED: &str = "registered, waiting for a call";

/// How long an app may run in all (its own timeout is below this).
const APP_LIMIT: Duration = Duration::from_secs(90);

/// The anchor's ARI (`http://127.0.0.1:PORT`) when the tests run against the anchor.
const ANCHOR_ARI_ENV: &str = "SWITCHBOARD_E2E_ANCHOR_ARI";

/// The Python of the venv `scripts/test.sh` makes.
fn venv_python() -> PathBuf {
    Path::new(CLIENTS).join(".venv/bin/python")
}

/// Where the apps connect and what the call brings them.
struct StasisTarget {
    pbx: SipPbx,
    /// ARI's HTTP side (no bearer token: see [`StasisTarget::ari`] for the credentials).
    http: Api,
    /// The ARI user the apps connect as, and its password.
    user: &'static str,
    password: &'static str,
    /// The application the call is handed to.
    app: String,
    /// The StasisStart arguments of the call.
    args: Vec<&'static str>,
}

impl StasisTarget {
    /// Switchboard with the ARI user, extensions `extensions` and the custom app
    /// `STASIS_NUMBER` → `Stasis(app,first,second)`; or the anchor (see the module doc),
    /// `None` with a note when its ARI address is not given.
    async fn start(dir: &TempDir, app: &str, extensions: &[&str]) -> Option<StasisTarget> {
        let config = dir.path().join("switchboard.toml");
        std::fs::write(&config, format!("[ari.users.{ARI_USER}]\npassword = \"{ARI_PASSWORD}\"\n")).expect("config");
        let config = config.to_str().expect("utf-8 path").to_owned();
        // The apps play sound:hello-world: a one-second tone stands in for Asterisk's prompt.
        let sounds = dir.path().join("sounds");
        std::fs::create_dir_all(sounds.join("en")).expect("sounds dir");
        common::baresip::write_tone(&sounds.join("en").join("hello-world.wav"), 500.0, 1);
        let sounds = sounds.to_str().expect("utf-8 path").to_owned();
        let args = ["--config", config.as_str(), "--sounds", sounds.as_str()];
        let pbx = SipPbx::start_with(Backend::Sqlite, extensions, &args).await;
        let Some(server) = &pbx.server else {
            let Some(base) = std::env::var(ANCHOR_ARI_ENV).ok().filter(|b| !b.is_empty()) else {
                eprintln!("NOTE: {ANCHOR_ENV} is set but {ANCHOR_ARI_ENV} is not: no ARI to test");
                return None;
            };
            let http = Api { client: reqwest::Client::new(), base, token: None };
            return Some(StasisTarget {
                pbx,
                http,
                user: "asterisk",
                password: "asterisk",
                app: "test".into(),
                args: vec![],
            });
        };
        let custom_app = json!({
            "pkey": STASIS_NUMBER,
            "cluster": "default",
            "desc": format!("ARI app {app}"),
            "extcode": format!("Stasis({app},first,second)"),
            "span": "Internal",
        });
        server.post_json("customapps", &custom_app).await.expect(200);
        let http = server.with_token(None);
        Some(StasisTarget {
            pbx,
            http,
            user: ARI_USER,
            password: ARI_PASSWORD,
            app: app.into(),
            args: vec!["first", "second"],
        })
    }

    /// An ARI request as the apps' user.
    fn ari(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .client
            .request(method, self.http.url(&format!("/ari/{path}")))
            .basic_auth(self.user, Some(self.password))
    }

    /// A SIPp answering one call and waiting for the BYE, and the dial string that reaches it:
    /// registered as `ext` on Switchboard; on the anchor, its address in the dial string.
    async fn callee(&self, ext: &str, label: &str) -> (String, SippProcess) {
        let pbx = &self.pbx;
        let uas = Sipp::new(label, "uas_answer.xml", pbx.sip, &pbx.ports).timeout(Duration::from_secs(70));
        if pbx.is_anchor() {
            let endpoint = format!("PJSIP/{ext}/sip:{ext}@127.0.0.1:{}", uas.sip_port());
            let mut process = uas.spawn();
            process.ready().await;
            return (endpoint, process);
        }
        let (_, process) = registered(pbx, ext, label, uas).await;
        (format!("PJSIP/{ext}"), process)
    }

    /// Asserts that ARI holds no channel and no bridge any more (the apps hung up and
    /// destroyed what they made), waiting up to 5 s for hangups to complete.
    async fn assert_nothing_left(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let channels = self.http.send(self.ari(Method::GET, "channels")).await;
            let bridges = self.http.send(self.ari(Method::GET, "bridges")).await;
            let empty = |r: &Resp| r.status == 200 && r.json.as_array().is_some_and(Vec::is_empty);
            if empty(&channels) && empty(&bridges) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "left in ARI after the app finished: channels {} {}, bridges {} {}",
                channels.status,
                channels.text,
                bridges.status,
                bridges.text
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A client app running as a child process, with its output kept for failure messages.
struct ClientApp {
    label: String,
    child: tokio::process::Child,
    stdout: Arc<Mutex<Vec<String>>>,
    dir: TempDir,
}

/// What a finished client app did.
struct ClientRun {
    label: String,
    /// The exit status, or why the app was killed.
    status: Result<ExitStatus, &'static str>,
    stdout: String,
    stderr: String,
    /// The normalised events (one JSON object a line of `--events`).
    events: Vec<Value>,
    events_text: String,
}

impl ClientApp {
    /// Starts `program args` in the clients' folder with `--url --user --password --app
    /// --expect-args --events` added (the events file in a temp dir).
    fn spawn(label: &str, target: &StasisTarget, program: &Path, args: &[&str]) -> ClientApp {
        let dir = TempDir::new(&format!("ari-client-{label}"));
        let stderr = std::fs::File::create(dir.path().join("stderr.log")).expect("stderr log");
        let events = dir.path().join("events.jsonl");
        let mut child = tokio::process::Command::new(program)
            .current_dir(CLIENTS)
            .args(args)
            .args(["--url", &target.http.base, "--user", target.user, "--password", target.password])
            .args(["--app", &target.app, "--expect-args", &target.args.join(",")])
            .arg("--events")
            .arg(&events)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {} ({label}): {e}", program.display()));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let sink = stdout.clone();
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().expect("stdout lock").push(line);
            }
        });
        ClientApp { label: label.to_owned(), child, stdout, dir }
    }

    /// Waits until the app says it is registered (each app says so once ARI lists its
    /// application, so the call can be placed right after).
    async fn registered(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.stdout.lock().expect("stdout lock").iter().any(|l| l.contains(REGISTERED)) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited before registering ({status}):\n{}", self.label, self.output());
            }
            assert!(Instant::now() < deadline, "{} did not register within 30 s:\n{}", self.label, self.output());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn stdout(&self) -> String {
        self.stdout.lock().expect("stdout lock").join("\n")
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    fn output(&self) -> String {
        format!("--- stdout:\n{}\n--- stderr:\n{}", self.stdout(), self.stderr())
    }

    /// Waits for the app to exit (killed after `APP_LIMIT`) and reads its events file.
    async fn finish(mut self) -> ClientRun {
        let status = match tokio::time::timeout(APP_LIMIT, self.child.wait()).await {
            Ok(status) => Ok(status.expect("wait for the client app")),
            Err(_) => {
                let _ = self.child.kill().await;
                Err("killed: no exit in time")
            }
        };
        self.collect(status).await
    }

    /// Kills the app now (its peer already failed) and collects what it did.
    async fn stop(mut self) -> ClientRun {
        let _ = self.child.kill().await;
        self.collect(Err("killed: its caller failed")).await
    }

    async fn collect(self, status: Result<ExitStatus, &'static str>) -> ClientRun {
        // The reader task may still be draining the last lines.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let events_text = std::fs::read_to_string(self.dir.path().join("events.jsonl")).unwrap_or_default();
        let events = events_text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: bad events line {l:?}: {e}", self.label)))
            .collect();
        ClientRun {
            label: self.label.clone(),
            status,
            stdout: self.stdout(),
            stderr: self.stderr(),
            events,
            events_text,
        }
    }
}

impl ClientRun {
    fn report(&self) -> String {
        let status = self.status.map_or_else(str::to_owned, |s| format!("exited with {s}"));
        format!(
            "=== {} {status}\n--- stdout:\n{}\n--- stderr:\n{}\n--- events:\n{}",
            self.label, self.stdout, self.stderr, self.events_text
        )
    }

    /// Asserts exit status 0 (the app ran its whole flow and saw every event it waited for).
    #[track_caller]
    fn assert_ok(&self, peers: &str) {
        assert!(self.status.is_ok_and(|s| s.success()), "{}\n{peers}", self.report());
    }

    /// How many events of `kind` the app received.
    fn count(&self, kind: &str) -> usize {
        self.events.iter().filter(|e| e["type"] == kind).count()
    }

    /// Asserts the counts of events by type (`(type, n)` pairs).
    #[track_caller]
    fn assert_counts(&self, counts: &[(&str, usize)]) {
        for (kind, n) in counts {
            assert_eq!(self.count(kind), *n, "{kind} events:\n{}", self.report());
        }
    }

    /// Asserts the first event: the call's StasisStart with `args`.
    #[track_caller]
    fn assert_started_with(&self, args: &[&str]) {
        let first = self.events.first().unwrap_or_else(|| panic!("no events:\n{}", self.report()));
        assert_eq!(
            (&first["type"], &first["channel"], &first["args"], &first["state"]),
            (&json!("StasisStart"), &json!("channel1"), &json!(args), &json!("Ring")),
            "{}",
            self.report()
        );
    }
}

/// Whether node and the npm packages are there (see [`require_installed`]).
fn require_node_client() -> bool {
    require_tool("node", "nodejs")
        && require_installed(
            "the npm ari-client",
            Path::new(CLIENTS).join("node_modules/ari-client").is_dir(),
            "npm ci in crates/switchboard/tests/ari-clients (scripts/test.sh does it)",
        )
}

#[tokio::test]
async fn node_ari_client_runs_the_stasis_tour() {
    if !require_tool("sipp", "sip-tester") || !require_node_client() {
        return;
    }
    let dir = TempDir::new("ari-tour");
    let Some(target) = StasisTarget::start(&dir, "tour", &["1001", "1003"]).await else { return };
    // The originate target: a SIPp as 1003 that answers one call and waits for the BYE.
    let (endpoint, callee) = target.callee("1003", "tour-callee").await;

    let tour = ["stasis-tour.js", "--endpoint", &endpoint, "--timeout-seconds", "60"];
    let mut app = ClientApp::spawn("stasis-tour.js", &target, Path::new("node"), &tour);
    app.registered().await;
    let call = caller(&target.pbx, "1001", STASIS_NUMBER, "tour-caller", "uac_stasis_call.xml")
        .timeout(Duration::from_secs(60))
        .run()
        .await;
    if !call.status.success() {
        let run = app.stop().await;
        panic!("the caller failed, so the tour could not run:\n{}\n{}", call.report(), run.report());
    }
    let run = app.finish().await;
    // A failed tour says which step failed; the callee (killed when dropped) may be waiting still.
    run.assert_ok(&call.report());
    callee.finish().await.assert_ok();

    run.assert_started_with(&target.args);
    run.assert_counts(&[
        ("StasisStart", 2),
        ("PlaybackStarted", 2),
        ("PlaybackFinished", 2),
        ("RecordingStarted", 1),
        ("RecordingFinished", 1),
        ("ChannelEnteredBridge", 2),
        ("ChannelLeftBridge", 2),
        ("ChannelHangupRequest", 2),
        ("StasisEnd", 2),
        ("BridgeDestroyed", 1),
    ]);
    assert_eq!(run.events.last().map(|e| &e["type"]), Some(&json!("BridgeDestroyed")), "{}", run.report());
    assert!(
        run.events.iter().all(|e| e.get("channel").is_none_or(|c| c == "channel1" || c == "channel2")),
        "events about a channel other than the call and the one the app dialled:\n{}",
        run.report()
    );
    target.assert_nothing_left().await;
    target.pbx.assert_no_calls_left().await;
}

#[tokio::test]
async fn python_aioari_answers_plays_reads_a_digit_and_hangs_up() {
    let python = venv_python();
    if !require_tool("sipp", "sip-tester")
        || !require_tool("node", "nodejs")
        || !require_installed(
            "the Python venv with aioari",
            python.is_file(),
            "python3 -m venv crates/switchboard/tests/ari-clients/.venv and pip install -r requirements.txt there \
             (scripts/test.sh does it)",
        )
    {
        return;
    }
    let dir = TempDir::new("ari-dtmf");
    let Some(target) = StasisTarget::start(&dir, "dtmf", &["1001"]).await else { return };

    let app_args = ["answer_play_dtmf.py", "--digit", "1", "--timeout-seconds", "40"];
    let mut app = ClientApp::spawn("answer_play_dtmf.py", &target, &python, &app_args);
    app.registered().await;
    // The digit goes 3 s after the answer: after hello-world (1.4 s) has finished playing.
    let call = caller(&target.pbx, "1001", STASIS_NUMBER, "dtmf-caller", "uac_stasis_call.xml")
        .arg("-set")
        .arg("dtmf_after_ms")
        .arg("3000")
        .timeout(Duration::from_secs(45))
        .run()
        .await;
    if !call.status.success() {
        let run = app.stop().await;
        panic!("the caller failed, so the app could not run:\n{}\n{}", call.report(), run.report());
    }
    let run = app.finish().await;
    run.assert_ok(&call.report());

    run.assert_started_with(&target.args);
    let types: Vec<&str> = run.events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        types,
        [
            "StasisStart",
            "ChannelStateChange",
            "PlaybackStarted",
            "PlaybackFinished",
            "ChannelDtmfReceived",
            "ChannelHangupRequest",
            "StasisEnd"
        ],
        "{}",
        run.report()
    );
    let digit = &run.events[4];
    assert_eq!((&digit["digit"], &digit["channel"]), (&json!("1"), &json!("channel1")), "{}", run.report());
    target.assert_nothing_left().await;
    target.pbx.assert_no_calls_left().await;
}
