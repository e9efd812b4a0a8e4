//! Call-event webhooks end to end, through the real `switchboard` binary.
//!
//! - The API: `/api/webhooks` validates (URL scheme and credentials, event names, tenant,
//!   unknown fields, short secrets, malformed bodies and queries), never shows a secret
//!   after the create that generated it, and keeps tenants apart; `/webhooks/deliveries`
//!   is scoped the same way.
//! - Reliability: a receiver in this test refuses connections for the first 30 s while
//!   SIPp makes calls (extension to extension, to the echo test 600, to an unknown number),
//!   and Switchboard is stopped with SIGTERM and later killed with SIGKILL in between.
//!   Every event of every call must still arrive: each id at least once (duplicates are
//!   allowed, counted and reported), each call's events in order and complete (salara's
//!   names, states and apps), every signature valid, and a filtered webhook gets only what
//!   it asked for.
//! - The SSRF guard: without `--webhooks-allow-private`, a webhook to loopback (by address
//!   or by name) is never sent, and its delivery says why.

mod common;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use common::sipp::{callee, caller, metric_samples, require_tool, PortBlock, SipPbx};
use common::{assert_invalid, backends, create_acme, Backend, Server, TempDir};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Hit {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{} sent a body that is not JSON ({e}): {:?}", self.path, self.body))
    }
}

/// A webhook receiver on 127.0.0.1:`port` that starts listening only at `up_at` (until then
/// connections are refused) and answers 200 to everything, keeping every request.
struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    fn start(port: u16, up_at: Instant) -> Receiver {
        let hits = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::clone(&hits);
        let task = tokio::spawn(async move {
            tokio::time::sleep_until(up_at.into()).await;
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind the receiver");
            let app = axum::Router::new().fallback(record).with_state(state);
            axum::serve(listener, app).await.expect("receiver");
        });
        Receiver { hits, task }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("hits").clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(State(hits): State<Arc<Mutex<Vec<Hit>>>>, uri: Uri, headers: HeaderMap, body: Bytes) -> StatusCode {
    hits.lock().expect("hits").push(Hit { path: uri.path().to_owned(), headers, body });
    StatusCode::OK
}

/// Checks `X-Switchboard-Signature` independently of Switchboard's code: HMAC-SHA256 of
/// `"<X-Switchboard-Timestamp>.<body>"` with `secret`, as lowercase hex after `sha256=`.
fn signature_ok(hit: &Hit, secret: &str) -> bool {
    let (Some(timestamp), Some(signature)) =
        (hit.header("x-switchboard-timestamp"), hit.header("x-switchboard-signature"))
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&hit.body);
    signature == format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

// ---------------------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_validated_scoped_and_keep_their_secrets() {
    for backend in backends() {
        let s = Server::start(backend).await;
        create_acme(&s).await;

        // A generated secret is shown once, by the create; a given one never.
        let created = s.post_json("webhooks", &json!({"cluster": "default", "url": "https://crm.example.com/hook", "events": ["Newchannel", "Hangup"]})).await;
        created.expect(200);
        let id = created["id"].as_i64().expect("a numeric id");
        let secret = created["secret"].as_str().expect("the generated secret, once").to_owned();
        assert!(secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit()), "a 32-byte hex key: {secret}");
        assert_eq!(
            (created["events"].as_str(), created["active"].as_str()),
            (Some("Newchannel Hangup"), Some("YES")),
            "{}",
            created.text
        );
        let given = "given-secret-0123456789";
        let acme = s.post_json("webhooks", &json!({"cluster": "acme", "url": "http://10.1.2.3:8080/in?x=1", "secret": given, "events": "Newexten"})).await;
        acme.expect(200);
        assert!(acme.json.get("secret").is_none(), "a given secret is not echoed: {}", acme.text);
        let acme_id = acme["id"].as_i64().expect("id");
        let one = s.get(&format!("webhooks/{id}")).await;
        one.expect(200);
        assert!(one.json.get("secret").is_none(), "{}", one.text);
        s.put_json(&format!("webhooks/{id}"), &json!({"active": "NO", "events": []})).await.expect(200);
        for path in [
            "webhooks".to_owned(),
            format!("webhooks/{id}"),
            format!("webhooks/{acme_id}"),
            "auditlog".to_owned(),
            "auditlog?resource=webhooks".to_owned(),
        ] {
            let body = s.get(&path).await;
            body.expect(200);
            assert!(
                !body.text.contains(&secret) && !body.text.contains(given),
                "GET {path} shows a secret: {}",
                body.text
            );
        }
        let changed = s.get(&format!("webhooks/{id}")).await;
        assert_eq!((changed["active"].as_str(), &changed["events"]), (Some("NO"), &Value::Null), "{}", changed.text);

        // Validation: every bad field named, Laravel style.
        let good = json!({"cluster": "default", "url": "https://crm.example.com/hook"});
        for (body, field) in [
            (json!({"cluster": "default", "url": "ftp://crm.example.com/"}), "url"),
            (json!({"cluster": "default", "url": "https://user:pass@crm.example.com/"}), "url"),
            (json!({"cluster": "default", "url": "crm.example.com/hook"}), "url"),
            (json!({"cluster": "default"}), "url"),
            (common::with(&good, json!({"events": ["Newchannel", "Ringing"]})), "events"),
            (common::with(&good, json!({"events": "newchannel"})), "events"),
            (common::with(&good, json!({"events": [{"name": "Hangup"}]})), "events"),
            (common::with(&good, json!({"colour": "red"})), "colour"),
            (common::with(&good, json!({"secret": "short"})), "secret"),
            (common::with(&good, json!({"active": true})), "active"),
            (common::with(&good, json!({"cluster": "nowhere"})), "cluster"),
            (json!({"url": "https://crm.example.com/hook"}), "cluster"),
        ] {
            assert_invalid(&s.post_json("webhooks", &body).await, field);
        }
        assert_invalid(&s.put_json(&format!("webhooks/{id}"), &json!({"url": "gopher://x"})).await, "url");
        let malformed = s.raw(reqwest::Method::POST, "webhooks", Some("application/json"), "{\"url\": ").await;
        assert_eq!(malformed.status, 400, "{}", malformed.text);
        assert!(malformed["message"].as_str().is_some_and(|m| m.starts_with("Malformed JSON")), "{}", malformed.text);
        for query in ["state=lost", "limit=0", "limit=1001", "webhook=x", "sort=id"] {
            let field = query.split('=').next().unwrap_or_default();
            assert_invalid(&s.get(&format!("webhooks/deliveries?{query}")).await, field);
        }
        assert_eq!(s.get("webhooks/deliveries?state=pending&limit=5").await.expect(200).array().len(), 0);
        assert_eq!(s.get("webhooks/999999").await.status, 404);

        // A tenant's key sees and changes its tenant's webhooks only.
        let acme_key = s.create_key(&["--role", "admin", "--tenant", "acme"]).await;
        let acme_api = s.as_key(&acme_key);
        let listed = acme_api.get("webhooks").await;
        assert_eq!(
            listed.expect(200).array().iter().map(|w| w["id"].as_i64()).collect::<Vec<_>>(),
            [Some(acme_id)],
            "{}",
            listed.text
        );
        assert_eq!(acme_api.get(&format!("webhooks/{id}")).await.status, 403);
        assert_eq!(acme_api.put_json(&format!("webhooks/{id}"), &json!({"active": "YES"})).await.status, 403);
        assert_eq!(acme_api.delete(&format!("webhooks/{id}")).await.status, 403);
        assert_eq!(acme_api.post_json("webhooks", &good).await.status, 403);
        assert_eq!(acme_api.get("webhooks/deliveries?cluster=default").await.status, 403);
        acme_api.get("webhooks/deliveries").await.expect(200);

        // The OpenAPI document describes both, the secret as write-only.
        let doc = s.anonymous().get("openapi.json").await;
        let paths = doc["paths"].as_object().expect("paths");
        for path in ["/webhooks", "/webhooks/{key}", "/webhooks/deliveries"] {
            assert!(paths.contains_key(path), "openapi.json has no {path}");
        }
        assert_eq!(doc["components"]["schemas"]["Webhooks"]["properties"]["secret"]["writeOnly"], json!(true));

        s.delete(&format!("webhooks/{id}")).await.expect(204);
        assert_eq!(s.get(&format!("webhooks/{id}")).await.status, 404);
    }
}

// ---------------------------------------------------------------------------------------
// Reliability
// ---------------------------------------------------------------------------------------

/// The webhook config the reliability test runs with: short timeouts and retries, so the
/// test does not wait for the default schedule (1 s doubling to 60 s).
const FAST_RETRIES: &str =
    "[webhooks]\nretry_first_ms = 500\nretry_max_secs = 2\nconnect_timeout_secs = 1\ntimeout_secs = 3\n";

/// How long the receiver refuses connections.
const DOWN_FOR: Duration = Duration::from_secs(30);

/// What one call must report, in order: (event, state, app) per event, and which
/// channel each is about (0 the caller's, 1 the callee's).
struct Expected {
    dialled: &'static str,
    events: &'static [(&'static str, &'static str, Option<&'static str>, usize)],
}

/// A call between two phones, the caller hanging up: as Asterisk announces it.
const BRIDGED_EVENTS: &[(&str, &str, Option<&str>, usize)] = &[
    ("Newchannel", "RING", None, 0),
    ("Newexten", "RING", Some("Dial"), 0),
    ("Newchannel", "DOWN", None, 1),
    ("Hangup", "UP", None, 0),
    ("Hangup", "UP", None, 1),
];

/// A call to 1002, and one to 1003. After a restart the callee is a new SIPp on a new
/// port: a call to the same extension would also ring the old, silent binding, and the
/// PBX then waits out that fork's INVITE transaction (32 s) before the call ends.
const BRIDGED: Expected = Expected { dialled: "1002", events: BRIDGED_EVENTS };
const BRIDGED_AGAIN: Expected = Expected { dialled: "1003", events: BRIDGED_EVENTS };

/// The echo test: answered by the PBX, then the application.
const ECHO: Expected = Expected {
    dialled: "600",
    events: &[("Newchannel", "RING", None, 0), ("Newexten", "UP", Some("Echo"), 0), ("Hangup", "UP", None, 0)],
};

/// An unknown number: the caller's channel, refused.
const UNKNOWN: Expected =
    Expected { dialled: "1999", events: &[("Newchannel", "RING", None, 0), ("Hangup", "RING", None, 0)] };

/// Makes the call `expected` describes, from 1001.
async fn call(pbx: &SipPbx, expected: &Expected, label: &str) {
    match expected.dialled {
        "1002" | "1003" => {
            let callee_ext = expected.dialled;
            let (_, callee_process) = callee(pbx, callee_ext, &format!("{label}-callee"), "uas_answer.xml", &[]).await;
            let run = caller(pbx, "1001", callee_ext, label, "uac_call.xml").run().await;
            let callee_run = callee_process.finish().await;
            assert!(run.status.success() && callee_run.status.success(), "{}\n{}", run.report(), callee_run.report());
        }
        "600" => {
            caller(pbx, "1001", "600", label, "uac_call.xml").run().await.assert_ok();
        }
        _ => {
            let run = caller(pbx, "1001", expected.dialled, label, "uac_rejected.xml").run().await;
            assert_eq!(run.invite_finals().last(), Some(&404), "{}", run.report());
        }
    }
}

/// Restarts the PBX (SIGTERM, or SIGKILL when `kill`) once the `calls` made so far have
/// their CDRs (a call still writing its CDR when the process stops loses it), and follows
/// the new SIP address.
async fn restart(pbx: &mut SipPbx, kill: bool, calls: usize) {
    let server = pbx.server.as_mut().expect("Switchboard, not the anchor");
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.get("logs/cdrs/50").await.expect(200).array().len() < calls {
        assert!(Instant::now() < deadline, "{calls} calls made, fewer CDRs after 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if kill {
        server.kill().await;
    }
    server.restart().await;
    pbx.sip = server.sip_addr().await;
}

/// The outbox rows of every call so far, once each call's events are all there.
async fn wait_for_outbox(server: &Server, rows: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let all = server.get("webhooks/deliveries?limit=1000").await.expect(200).array().clone();
        if all.len() >= rows {
            return all;
        }
        assert!(Instant::now() < deadline, "only {} of {rows} deliveries reached the outbox: {all:?}", all.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_arrives_in_order_through_a_down_receiver_and_restarts() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        reliability(backend).await;
    }
}

async fn reliability(backend: Backend) {
    let config_dir = TempDir::new("switchboard-webhooks-config");
    let config = config_dir.path().join("switchboard.toml");
    std::fs::write(&config, FAST_RETRIES).expect("config file");
    let config_arg = config.to_string_lossy().into_owned();
    let args = ["--demo", "--webhooks-allow-private", "--config", config_arg.as_str()];
    let mut pbx = SipPbx::start_with(backend, &["1001", "1002", "1003"], &args).await;
    let port = pbx.ports.port();
    let server = pbx.server.as_ref().expect("Switchboard");
    let secret = "receiver-secret-0123456789";
    let url = |path: &str| format!("http://127.0.0.1:{port}/{path}");
    server.post_json("webhooks", &json!({"cluster": "default", "url": url("all"), "secret": secret})).await.expect(200);
    server
        .post_json(
            "webhooks",
            &json!({"cluster": "default", "url": url("hangups"), "secret": secret, "events": ["Hangup"]}),
        )
        .await
        .expect(200);
    let receiver = Receiver::start(port, Instant::now() + DOWN_FOR);
    let started = Instant::now();

    // Before a graceful restart, then before a crash: calls while the receiver is down.
    let before_stop = [&BRIDGED, &ECHO, &UNKNOWN];
    for (n, expected) in before_stop.iter().enumerate() {
        call(&pbx, expected, &format!("before-stop-{n}")).await;
    }
    restart(&mut pbx, false, before_stop.len()).await;
    // The first block's ports stay ours (the PBX's RTP range is in it); calls go on in a new one.
    let _first_block = std::mem::replace(&mut pbx.ports, PortBlock::take());
    let before_kill = [&BRIDGED_AGAIN, &ECHO];
    for (n, expected) in before_kill.iter().enumerate() {
        call(&pbx, expected, &format!("before-kill-{n}")).await;
    }
    let calls: Vec<&Expected> = before_stop.iter().chain(before_kill.iter()).copied().collect();
    let events: usize = calls.iter().map(|c| c.events.len()).sum();
    let hangups: usize = calls.iter().map(|c| c.events.iter().filter(|e| e.0 == "Hangup").count()).sum();
    let server = pbx.server.as_ref().expect("Switchboard");
    // Everything is in the outbox, and nothing could be delivered yet: then a crash.
    let rows = wait_for_outbox(server, events + hangups).await;
    let down = started.elapsed() < DOWN_FOR;
    if down {
        assert!(rows.iter().all(|r| r["state"] == "pending"), "delivered while the receiver was down? {rows:?}");
        assert!(receiver.hits().is_empty());
    } else {
        eprintln!("NOTE: the calls took longer than {DOWN_FOR:?}: the receiver came up before the crash");
    }
    restart(&mut pbx, true, calls.len()).await;
    let server = pbx.server.as_ref().expect("Switchboard");

    // Everything arrives once the receiver is up.
    let deadline = started + DOWN_FOR + Duration::from_secs(60);
    loop {
        let pending = server.get("webhooks/deliveries?state=pending").await.expect(200).array().len();
        let ids: HashSet<String> =
            receiver.hits().iter().filter_map(|h| h.header("x-switchboard-event-id").map(str::to_owned)).collect();
        if pending == 0 && ids.len() >= events {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after {:?}: {pending} deliveries pending, {} event ids received",
            started.elapsed(),
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let hits = receiver.hits();
    let all: Vec<&Hit> = hits.iter().filter(|h| h.path == "/all").collect();
    let filtered: Vec<&Hit> = hits.iter().filter(|h| h.path == "/hangups").collect();
    assert_eq!(all.len() + filtered.len(), hits.len(), "requests to other paths: {hits:?}");

    // Every request is signed, dated and names its event, as its body does.
    for hit in &hits {
        assert!(signature_ok(hit, secret), "bad signature on {}: {:?}", hit.path, hit.headers);
        let body = hit.json();
        assert_eq!(hit.header("x-switchboard-event-id"), body["id"].as_str(), "header and body ids differ");
        assert_eq!(hit.header("content-type"), Some("application/json"));
        let timestamp: i64 = hit.header("x-switchboard-timestamp").and_then(|t| t.parse().ok()).expect("a Unix time");
        let now = time_now();
        assert!((now - 300..=now + 5).contains(&timestamp), "timestamp {timestamp} is not now ({now})");
    }

    // Each id once (duplicates are allowed by at-least-once delivery: counted, not failed).
    let first_arrivals = |hits: &[&Hit]| -> (Vec<Value>, usize) {
        let mut seen = HashSet::new();
        let mut firsts = Vec::new();
        for hit in hits {
            let body = hit.json();
            if seen.insert(body["id"].as_str().expect("an id").to_owned()) {
                firsts.push(body);
            }
        }
        let duplicates = hits.len() - firsts.len();
        (firsts, duplicates)
    };
    let (events_all, duplicates) = first_arrivals(&all);
    let (events_hangups, duplicates_hangups) = first_arrivals(&filtered);
    eprintln!("{backend:?}: {} requests, {} duplicates detected by id", hits.len(), duplicates + duplicates_hangups);
    assert_eq!(events_all.len(), events, "every event once by id: {events_all:#?}");
    assert_eq!(events_hangups.len(), hangups, "every hang-up to the filtered webhook");
    assert!(events_hangups.iter().all(|e| e["event"] == "Hangup"), "the filter let through: {events_hangups:?}");

    // Per call, by its linkedid: complete and in order, as salara names things.
    let mut by_call: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for event in &events_all {
        by_call.entry(event["linkedid"].as_str().expect("a linkedid").to_owned()).or_default().push(event);
    }
    let cdrs = server.get("logs/cdrs/50").await.expect(200).array().clone();
    let cdr_ids: HashSet<&str> = cdrs.iter().filter_map(|c| c["uniqueid"].as_str()).collect();
    assert_eq!(
        by_call.keys().map(String::as_str).collect::<HashSet<_>>(),
        cdr_ids,
        "one event stream per recorded call"
    );
    let mut unmatched: Vec<&Expected> = calls.clone();
    for (linkedid, stream) in &by_call {
        let cdr = cdrs.iter().find(|c| c["uniqueid"] == linkedid.as_str()).expect("its CDR");
        let position = unmatched
            .iter()
            .position(|e| cdr["dst"] == e.dialled)
            .unwrap_or_else(|| panic!("an unexpected call {cdr}"));
        let expected = unmatched.remove(position);
        let seqs: Vec<i64> = stream.iter().map(|e| e["seq"].as_i64().expect("seq")).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "call {linkedid} arrived out of order: {seqs:?}");
        let channels = [cdr["channel"].as_str().expect("channel"), cdr["dstchannel"].as_str().unwrap_or_default()];
        let got: Vec<(&str, &str, Option<&str>, &str)> = stream
            .iter()
            .map(|e| {
                (
                    e["event"].as_str().unwrap_or(""),
                    e["state"].as_str().unwrap_or(""),
                    e["app"].as_str(),
                    e["chan"].as_str().unwrap_or(""),
                )
            })
            .collect();
        let mut want: Vec<(&str, &str, Option<&str>, &str)> = expected
            .events
            .iter()
            .map(|(event, state, app, channel)| (*event, *state, *app, channels[*channel]))
            .collect();
        // The two hang-ups of a bridged call may come in either order.
        if got.len() == want.len() && got.len() == 5 && got[3].3 == want[4].3 {
            want.swap(3, 4);
        }
        assert_eq!(got, want, "call {linkedid} to {}", expected.dialled);
        for event in stream {
            assert_eq!(
                (event["caller"].as_str(), event["exten"].as_str()),
                (Some("1001"), Some(expected.dialled)),
                "{event}"
            );
        }
    }

    // The outbox says the same: all delivered, the first ones after failed attempts.
    let rows = server.get("webhooks/deliveries?limit=1000").await.expect(200).array().clone();
    assert_eq!(rows.len(), events + hangups);
    assert!(rows.iter().all(|r| r["state"] == "delivered" && !r["delivered_at"].is_null()), "{rows:#?}");
    if down {
        // Each call's first event per webhook was tried while the receiver was down; the
        // rest waited behind it, unsent, so they went out first time.
        let mut firsts: HashMap<(i64, &str), &Value> = HashMap::new();
        for row in &rows {
            let lane = (row["webhook"].as_i64().unwrap_or(0), row["linkedid"].as_str().unwrap_or(""));
            let first = firsts.entry(lane).or_insert(row);
            if row["seq"].as_i64() < first["seq"].as_i64() {
                *first = row;
            }
        }
        for row in firsts.values() {
            assert!(row["attempts"].as_i64() > Some(1), "not retried: {row}");
        }
        for row in rows.iter().filter(|r| !firsts.values().any(|f| f["id"] == r["id"])) {
            assert_eq!(row["attempts"], 1, "sent before the event ahead of it was delivered? {row}");
        }
    }
    let metrics = server.get("/metrics").await.expect(200).text.clone();
    let gauge = metric_samples(&metrics, "switchboard_webhook_deliveries_pending");
    assert_eq!(gauge.first().map(|(_, v)| *v), Some(0.0), "{metrics}");
    let delivered = metric_samples(&metrics, "switchboard_webhook_deliveries_delivered_total");
    assert!(delivered.first().is_some_and(|(_, v)| *v >= 1.0), "delivered since the last start: {delivered:?}");
    let per_call: HashMap<&str, usize> = by_call.iter().map(|(id, s)| (id.as_str(), s.len())).collect();
    eprintln!("{backend:?}: events per call {per_call:?}, all delivered after {:?}", started.elapsed());
}

fn time_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

// ---------------------------------------------------------------------------------------
// The SSRF guard
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_targets_are_refused_unless_allowed() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    let backend = backends()[0];
    let pbx = SipPbx::start(backend, &["1001"]).await;
    let port = pbx.ports.port();
    let receiver = Receiver::start(port, Instant::now());
    let server = pbx.server.as_ref().expect("Switchboard");
    for host in ["127.0.0.1", "localhost"] {
        let body = json!({"cluster": "default", "url": format!("http://{host}:{port}/hook"), "events": ["Newchannel"]});
        server.post_json("webhooks", &body).await.expect(200);
    }
    call(&pbx, &UNKNOWN, "ssrf").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let rows = loop {
        let rows = server.get("webhooks/deliveries").await.expect(200).array().clone();
        if rows.len() == 2 && rows.iter().all(|r| r["attempts"].as_i64() >= Some(1)) {
            break rows;
        }
        assert!(Instant::now() < deadline, "no attempts recorded: {rows:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for row in &rows {
        let error = row["last_error"].as_str().unwrap_or_default();
        assert!(error.contains("loopback") && error.contains("SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE"), "{row}");
        assert_eq!(row["state"], "pending", "refused, and retried later in case the configuration changes: {row}");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(receiver.hits().is_empty(), "a refused target was reached: {:?}", receiver.hits());
}
