//! End-to-end harness: runs the real `switchboard` binary on a loopback port with its own
//! data directory (and, for PostgreSQL, its own database), and talks HTTP to it.
//!
//! Every behavioural test loops over [`backends()`], so the same suite runs on SQLite and,
//! when `SWITCHBOARD_TEST_POSTGRES` names a superuser URL, on PostgreSQL.

// Each test binary uses a different part of the harness.
#![allow(dead_code)]

pub mod ari;
pub mod baresip;
pub mod sipp;

use reqwest::header::HeaderMap;
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Map, Value};
use sqlx::Connection;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

/// How long a server may take to print its listening line, and to answer `/healthz`.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The line the binary prints once its HTTP listener is bound.
const LISTENING: &str = "switchboard: http listening on ";

/// The line the binary prints once its SIP transports are bound (UDP and TCP, one port).
const SIP_LISTENING: &str = "switchboard: sip listening on ";

/// What the binary prints once the CRM bridge is bound.
const CRM_LISTENING: &str = "switchboard: crm listening on ";

/// Every catalogue resource, as the API names it.
pub const RESOURCES: &[&str] = &[
    "tenants",
    "extensions",
    "trunks",
    "inboundroutes",
    "routes",
    "ringgroups",
    "queues",
    "agents",
    "ivrs",
    "daytimers",
    "holidaytimers",
    "cosrules",
    "customapps",
    "templates",
    "webhooks",
];

/// The environment variable naming the PostgreSQL superuser URL.
pub const POSTGRES_ENV: &str = "SWITCHBOARD_TEST_POSTGRES";

// ---------------------------------------------------------------------------------------
// Randomness and temporary directories (std only)
// ---------------------------------------------------------------------------------------

/// `bytes` random bytes as lowercase hex. `RandomState` is seeded from the OS per thread;
/// the clock and a counter are mixed in so that names never repeat within a run.
pub fn random_hex(bytes: usize) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::with_capacity(bytes * 2 + 16);
    while out.len() < bytes * 2 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default());
        hasher.write_u32(std::process::id());
        out.push_str(&format!("{:016x}", hasher.finish()));
    }
    out.truncate(bytes * 2);
    out
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", random_hex(8)));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------

/// Where a server keeps its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file in the data directory (the default).
    Sqlite,
    /// A fresh database on the PostgreSQL server named by `SWITCHBOARD_TEST_POSTGRES`.
    Postgres,
}

/// The backends to run every behavioural test on. CI must never silently skip PostgreSQL.
pub fn backends() -> Vec<Backend> {
    let postgres = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.trim().is_empty());
    if postgres.is_none() && std::env::var_os("CI").is_some() {
        panic!("CI is set but {POSTGRES_ENV} is not: the PostgreSQL backend must be tested in CI");
    }
    let mut all = vec![Backend::Sqlite];
    if postgres.is_some() {
        all.push(Backend::Postgres);
    }
    all
}

/// A database created for one server, dropped with it.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

/// `postgres://user@host:port/db?x` with the database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = main.find("://").map_or(0, |i| i + 3);
    let base = match main[scheme_end..].find('/') {
        Some(i) => &main[..scheme_end + i],
        None => main,
    };
    format!("{base}/{name}{query}")
}

impl PgDatabase {
    async fn create() -> PgDatabase {
        let admin_url =
            std::env::var(POSTGRES_ENV).expect("SWITCHBOARD_TEST_POSTGRES is set for the PostgreSQL backend");
        let name = format!("sb_test_{}", random_hex(8));
        let mut conn =
            sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| panic!("connecting to {admin_url}: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("CREATE DATABASE");
        let _ = conn.close().await;
        let url = with_database(&admin_url, &name);
        PgDatabase { admin_url, name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin_url.clone();
        let name = self.name.clone();
        // Drop may run inside a runtime; use a thread with its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

// ---------------------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------------------

/// A response, with its body kept as bytes, text and (when it parses) JSON.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
    pub text: String,
    /// The parsed body, or `Value::Null` when it is not JSON.
    pub json: Value,
    /// What was asked, for messages.
    pub what: String,
}

impl std::ops::Index<&str> for Resp {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        &self.json[key]
    }
}

impl Resp {
    /// Asserts the status, printing the request and body otherwise.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Resp {
        assert_eq!(self.status, status, "{} answered {} (wanted {status}): {}", self.what, self.status, self.text);
        self
    }

    /// The body as an array (asserting it is one).
    #[track_caller]
    pub fn array(&self) -> &Vec<Value> {
        self.json.as_array().unwrap_or_else(|| panic!("{}: body is not an array: {}", self.what, self.text))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
}

/// Talks to one server with one credential.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The bearer token sent, if any.
    pub token: Option<String>,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().expect("reqwest client")
}

impl Api {
    /// The same server with another credential (`None`: no Authorization header).
    pub fn with_token(&self, token: Option<&str>) -> Api {
        Api { client: self.client.clone(), base: self.base.clone(), token: token.map(str::to_owned) }
    }

    /// The same server and credential through another HTTP client.
    pub fn with_client(&self, client: reqwest::Client) -> Api {
        Api { client, base: self.base.clone(), token: self.token.clone() }
    }

    /// `tenants` → `/api/tenants`; a path starting with `/` is taken as is.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{path}", self.base)
        } else {
            format!("{}/api/{path}", self.base)
        }
    }

    /// A request with the bearer token set.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Sends a request, reading the whole answer.
    pub async fn send(&self, builder: reqwest::RequestBuilder) -> Resp {
        let request = builder.build().expect("valid request");
        let what = format!("{} {}", request.method(), request.url().path());
        let response = self.client.execute(request).await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap_or_else(|e| panic!("{what}: reading body: {e}")).to_vec();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, headers, bytes, text, json, what }
    }

    /// Sends a request and answers the transport error instead of panicking.
    pub async fn try_send(&self, builder: reqwest::RequestBuilder) -> Result<Resp, reqwest::Error> {
        let request = builder.build()?;
        let what = format!("{} {}", request.method(), request.url().path());
        let response = self.client.execute(request).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?.to_vec();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Resp { status, headers, bytes, text, json, what })
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Resp {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Resp {
        self.send(self.request(Method::PUT, path).json(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// An HTML-form POST, as SARK's clients send.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        self.send(self.request(Method::POST, path).form(fields)).await
    }

    /// Any method and body, with an optional Content-Type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Resp {
        let mut builder = self.request(method, path).body(body);
        if let Some(ct) = content_type {
            builder = builder.header(reqwest::header::CONTENT_TYPE, ct);
        }
        self.send(builder).await
    }

    /// Uploads a greeting as multipart field `greeting`.
    pub async fn upload_greeting(&self, filename: &str, mime: &str, bytes: Vec<u8>) -> Resp {
        let part = Part::bytes(bytes).file_name(filename.to_owned()).mime_str(mime).expect("mime");
        self.send(self.request(Method::POST, "greetings").multipart(Form::new().part("greeting", part))).await
    }
}

// ---------------------------------------------------------------------------------------
// Assertions and JSON helpers
// ---------------------------------------------------------------------------------------

/// A 422 in Laravel's shape naming `field`.
#[track_caller]
pub fn assert_invalid(resp: &Resp, field: &str) {
    assert_eq!(resp.status, 422, "{}: wanted 422 naming {field}, got {}: {}", resp.what, resp.status, resp.text);
    assert_eq!(resp["message"], json!("The given data was invalid."), "{}: {}", resp.what, resp.text);
    let messages = resp["errors"][field]
        .as_array()
        .unwrap_or_else(|| panic!("{}: errors has no {field}: {}", resp.what, resp.text));
    assert!(!messages.is_empty(), "{}: errors.{field} is empty: {}", resp.what, resp.text);
    assert!(
        messages.iter().all(|m| m.as_str().is_some_and(|s| !s.is_empty())),
        "{}: errors.{field} must be strings: {}",
        resp.what,
        resp.text
    );
}

/// `base` with the keys of `changes` set (a `null` in `changes` sets null).
pub fn with(base: &Value, changes: Value) -> Value {
    let mut out = base.as_object().cloned().unwrap_or_default();
    if let Value::Object(changes) = changes {
        for (k, v) in changes {
            out.insert(k, v);
        }
    }
    Value::Object(out)
}

/// `base` without `keys`.
pub fn without(base: &Value, keys: &[&str]) -> Value {
    let mut out: Map<String, Value> = base.as_object().cloned().unwrap_or_default();
    for k in keys {
        out.remove(*k);
    }
    Value::Object(out)
}

/// Finds the item whose `key_field` is `key` in a list.
pub fn find<'a>(items: &'a [Value], key_field: &str, key: &Value) -> Option<&'a Value> {
    items.iter().find(|item| &item[key_field] == key)
}

/// How many times `needle` occurs in `haystack`.
pub fn occurrences(haystack: &str, needle: &str) -> usize {
    if needle.is_empty() {
        return 0;
    }
    haystack.matches(needle).count()
}

/// A real WAV: 8 kHz mono 16-bit, 0.1 s of tone.
pub fn wav_bytes() -> Vec<u8> {
    wav_samples(800)
}

/// A real WAV of `samples` samples (8 kHz mono 16-bit).
pub fn wav_samples(samples: usize) -> Vec<u8> {
    let mut cursor = std::io::Cursor::new(Vec::new());
    let spec =
        hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::new(&mut cursor, spec).expect("wav writer");
    for i in 0..samples {
        let sample = ((i as f32) * 2.0 * std::f32::consts::PI * 440.0 / 8000.0).sin() * 8000.0;
        writer.write_sample(sample as i16).expect("sample");
    }
    writer.finalize().expect("finalize wav");
    cursor.into_inner()
}

// ---------------------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------------------

/// A running `switchboard serve`, with its data directory and database.
pub struct Server {
    pub backend: Backend,
    /// Client with the admin token.
    pub api: Api,
    /// The admin token (`SWITCHBOARD_ADMIN_TOKEN`).
    pub token: String,
    /// The `--database` URL passed, if any (PostgreSQL).
    pub database: Option<String>,
    /// Extra `serve` arguments (e.g. `--demo`).
    pub args: Vec<String>,
    /// Extra environment variables of `serve`.
    pub envs: Vec<(String, String)>,
    child: Option<Child>,
    output: Arc<Mutex<Vec<String>>>,
    /// The stdout lines of earlier processes on this data, oldest first.
    pub past_output: Vec<Vec<String>>,
    runs: usize,
    data: PathBuf,
    root: TempDir,
    // Declared last: dropped after the process is gone.
    pg: Option<PgDatabase>,
}

impl std::ops::Deref for Server {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Server {
    /// Starts a server on a fresh store.
    pub async fn start(backend: Backend) -> Server {
        Server::start_with(backend, &[]).await
    }

    /// Starts a server on a fresh store with extra `serve` arguments.
    pub async fn start_with(backend: Backend, args: &[&str]) -> Server {
        Server::start_with_env(backend, args, &[]).await
    }

    /// Starts a server on a fresh store with extra `serve` arguments and environment.
    pub async fn start_with_env(backend: Backend, args: &[&str], envs: &[(&str, &str)]) -> Server {
        let root = TempDir::new("switchboard-e2e");
        let data = root.path().join("data");
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgDatabase::create().await),
        };
        let database = pg.as_ref().map(|db| db.url.clone());
        let token = format!("e2e-admin-{}", random_hex(24));
        let mut server = Server {
            backend,
            api: Api { client: client(), base: String::new(), token: Some(token.clone()) },
            token,
            database,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            envs: envs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            child: None,
            output: Arc::new(Mutex::new(Vec::new())),
            past_output: Vec::new(),
            runs: 0,
            data,
            root,
            pg,
        };
        server.spawn().await;
        server
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// The URL of this server's store (what `--database` names, or the default SQLite
    /// file in the data directory), for tests that write rows the API only reads.
    pub fn database_url(&self) -> String {
        match &self.database {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data.join("switchboard.db").display()),
        }
    }

    /// `--database URL` when one is used.
    fn store_args(&self) -> Vec<String> {
        match &self.database {
            Some(url) => vec!["--database".into(), url.clone()],
            None => Vec::new(),
        }
    }

    fn stderr_path(&self, run: usize) -> PathBuf {
        self.root.path().join(format!("stderr-{run}.log"))
    }

    /// The current process's stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr_path(self.runs)).unwrap_or_default()
    }

    /// Every process's stderr so far.
    pub fn all_stderr(&self) -> String {
        (1..=self.runs)
            .map(|run| std::fs::read_to_string(self.stderr_path(run)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The current process's stdout lines so far.
    pub fn output(&self) -> Vec<String> {
        self.output.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The SIP address of the running server, from its `sip listening` line (waited for).
    pub async fn sip_addr(&self) -> std::net::SocketAddr {
        self.listening_addr(SIP_LISTENING).await
    }

    /// The CRM bridge's address, from its `crm listening` line (waited for).
    pub async fn crm_addr(&self) -> std::net::SocketAddr {
        self.listening_addr(CRM_LISTENING).await
    }

    /// The loopback address after `prefix` on a stdout line (waited for).
    async fn listening_addr(&self, prefix: &str) -> std::net::SocketAddr {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(addr) = self.output().iter().find_map(|l| l.strip_prefix(prefix).map(|a| a.trim().to_owned())) {
                let addr: std::net::SocketAddr = addr.parse().unwrap_or_else(|e| panic!("bad address {addr:?}: {e}"));
                assert!(addr.ip().is_loopback(), "{prefix}a non-loopback address: {addr}");
                return addr;
            }
            assert!(
                Instant::now() < deadline,
                "switchboard did not print {prefix:?} within {START_TIMEOUT:?}; stdout: {:?}\nstderr: {}",
                self.output(),
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The process id of the running server.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    async fn spawn(&mut self) {
        assert!(self.child.is_none(), "a server is already running");
        self.runs += 1;
        let stderr = std::fs::File::create(self.stderr_path(self.runs)).expect("stderr log");
        let mut command = std::process::Command::new(BIN);
        command
            .arg("serve")
            .arg("--data")
            .arg(&self.data)
            .args(["--http", "127.0.0.1:0", "--sip", "127.0.0.1:0", "--crm", "127.0.0.1:0"])
            .args(self.store_args())
            .args(&self.args)
            .env("SWITCHBOARD_ADMIN_TOKEN", &self.token)
            .env("SWITCHBOARD_LOG", "warn")
            .env_remove("SWITCHBOARD_CONFIG")
            .env_remove("SWITCHBOARD_DEMO")
            .env_remove("SWITCHBOARD_DATA")
            .env_remove("SWITCHBOARD_DATABASE")
            .env_remove("SWITCHBOARD_HTTP")
            .env_remove("SWITCHBOARD_SIP")
            .env_remove("SWITCHBOARD_CRM")
            .env_remove("SWITCHBOARD_CRM_SECRET")
            .env_remove("SWITCHBOARD_ARI_USERS")
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr));
        let mut child = command.spawn().expect("spawn switchboard");
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        // Keep draining stdout so the pipe never blocks the server.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(line) => sink.lock().expect("output lock").push(line),
                    Err(_) => break,
                }
            }
        });
        self.output = lines;
        self.child = Some(child);

        let deadline = Instant::now() + START_TIMEOUT;
        let addr = loop {
            let found = self.output().iter().find_map(|l| l.strip_prefix(LISTENING).map(|a| a.trim().to_owned()));
            if let Some(addr) = found {
                break addr;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!(
                    "switchboard exited before listening ({status}); stdout: {:?}\nstderr: {}",
                    self.output(),
                    self.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "switchboard did not print its listening line within {START_TIMEOUT:?}; stderr: {}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert!(addr.starts_with("127.0.0.1:"), "listening on a non-loopback address: {addr}");
        self.api.base = format!("http://{addr}");
        loop {
            let healthy =
                self.client.get(self.url("/healthz")).send().await.map(|r| r.status().as_u16() == 200).unwrap_or(false);
            if healthy {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "switchboard /healthz did not answer 200 within {START_TIMEOUT:?}; stderr: {}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn signal(&self, signal: &str) {
        if let Some(pid) = self.pid() {
            let status =
                std::process::Command::new("kill").args([signal, &pid.to_string()]).status().expect("run kill");
            assert!(status.success(), "kill {signal} {pid} failed");
        }
    }

    async fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let child = self.child.as_mut().expect("a running server");
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                let lines = self.output();
                self.past_output.push(lines);
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("switchboard did not exit within 30 s; stderr: {}", self.stderr());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// SIGTERM, then waits; a clean shutdown exits 0.
    pub async fn stop(&mut self) -> ExitStatus {
        self.signal("-TERM");
        let status = self.wait_exit().await;
        assert!(status.success(), "switchboard did not exit cleanly on SIGTERM ({status}); stderr: {}", self.stderr());
        status
    }

    /// SIGKILL, then waits.
    pub async fn kill(&mut self) -> ExitStatus {
        self.signal("-KILL");
        self.wait_exit().await
    }

    /// Starts a new process on the same data and database (stopping the old one first).
    pub async fn restart(&mut self) {
        if self.child.is_some() {
            self.stop().await;
        }
        self.spawn().await;
    }

    /// Like [`Server::restart`], with other extra `serve` arguments.
    pub async fn restart_with(&mut self, args: &[&str]) {
        self.args = args.iter().map(|a| (*a).to_owned()).collect();
        self.restart().await;
    }

    /// Runs `switchboard keys create` against this server's store; answers the token.
    pub async fn create_key(&self, args: &[&str]) -> String {
        let output = tokio::process::Command::new(BIN)
            .args(["keys", "create", "--data"])
            .arg(&self.data)
            .args(self.store_args())
            .args(args)
            .env("SWITCHBOARD_LOG", "warn")
            .env_remove("SWITCHBOARD_CONFIG")
            .env_remove("SWITCHBOARD_DATA")
            .env_remove("SWITCHBOARD_DATABASE")
            .stdin(Stdio::null())
            .output()
            .await
            .expect("run switchboard keys create");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "keys create {args:?} failed ({}): {stdout} {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let token = stdout.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or_default().to_owned();
        assert!(token.len() >= 32, "keys create printed no token: {stdout:?}");
        token
    }

    /// A client with another token.
    pub fn as_key(&self, token: &str) -> Api {
        self.api.with_token(Some(token))
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Api {
        self.api.with_token(None)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Creates the tenant `acme` most tests use as "another tenant".
pub async fn create_acme(api: &Api) {
    api.post_json("tenants", &json!({"pkey": "acme", "description": "Acme Ltd"})).await.expect(200);
}
