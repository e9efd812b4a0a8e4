//! Hostile and odd requests, restarts, a crash in the middle of writes, and demo seeding,
//! through the real binary.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[track_caller]
fn assert_message(resp: &Resp, status: u16) {
    assert_eq!(resp.status, status, "{}: {}", resp.what, resp.text);
    assert!(resp["message"].as_str().is_some_and(|m| !m.is_empty()), "{}: no JSON message: {}", resp.what, resp.text);
}

async fn assert_healthy(s: &Server) {
    let health = s.anonymous().get("/healthz").await;
    assert_eq!(health.expect(200)["status"], "ok", "{}", health.text);
    s.get("tenants/default").await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_are_refused_cleanly() {
    for backend in backends() {
        let s = Server::start(backend).await;
        let json_type = Some("application/json");

        assert_message(&s.raw(Method::POST, "tenants", json_type, r#"{"pkey": "acme", "description": "#).await, 400);
        assert_message(&s.raw(Method::POST, "tenants", json_type, "{pkey: acme}").await, 400);
        assert_message(&s.raw(Method::PUT, "tenants/default", json_type, r#"{"description": "x",}"#).await, 400);
        assert_message(&s.raw(Method::POST, "tenants", json_type, r#"[{"pkey": "acme", "description": "x"}]"#).await, 400);
        assert_message(&s.raw(Method::POST, "tenants", json_type, r#""acme""#).await, 400);
        assert_message(&s.raw(Method::POST, "tenants", json_type, "42").await, 400);
        assert_message(&s.raw(Method::POST, "tenants", json_type, vec![0xff, 0xfe, b'{', b'}']).await, 400);
        assert_message(&s.raw(Method::POST, "tenants", Some("text/plain"), "pkey=acme").await, 415);
        assert_message(&s.raw(Method::POST, "tenants", Some("application/xml"), "<tenant/>").await, 415);
        assert_message(&s.raw(Method::POST, "tenants", None, r#"{"pkey": "acme", "description": "x"}"#).await, 415);
        assert_message(&s.raw(Method::POST, "greetings", json_type, "{}").await, 415);
        assert_message(&s.raw(Method::POST, "greetings", Some("multipart/form-data; boundary=xyz"), "garbage").await, 400);

        // Deeply nested JSON cannot exhaust the stack.
        let nested = "[".repeat(100_000);
        assert_message(&s.raw(Method::POST, "tenants", json_type, nested).await, 400);
        let nested_object = format!("{}{}", r#"{"a":"#.repeat(50_000), "}".repeat(50_000));
        assert_message(&s.raw(Method::POST, "tenants", json_type, nested_object).await, 400);

        // Too big: refused before it is parsed. (On a connection of its own: the server
        // closes it afterwards, see `oversized_body_answer_says_the_connection_closes`.)
        let once = s.api.with_client(one_shot_client());
        let resp = once.try_send(once.request(Method::POST, "tenants").header("Content-Type", "application/json").body(big_body())).await;
        match resp {
            Ok(resp) => assert_message(&resp, 413),
            Err(e) => panic!("a 2 MiB body was not answered 413 but cut off: {e}"),
        }
        s.get("tenants/big").await.expect(404);

        // An empty JSON body is an empty object, and `[]` is accepted as one (ARI clients).
        assert_invalid(&s.raw(Method::POST, "tenants", json_type, "").await, "pkey");
        assert_invalid(&s.raw(Method::POST, "tenants", json_type, "[]").await, "pkey");

        // SARK clients send forms.
        let form = s.post_form("tenants", &[("pkey", "acme"), ("description", "Acme Ltd"), ("chanmax", "12")]).await;
        form.expect(200);
        assert_eq!((&form["pkey"], &form["chanmax"]), (&json!("acme"), &json!(12)), "{}", form.text);
        let form = s.send(s.request(Method::PUT, "tenants/acme").form(&[("description", "Acme Limited")])).await;
        assert_eq!(form.expect(200)["description"], "Acme Limited");
        assert_invalid(&s.post_form("tenants", &[("pkey", "bad key!"), ("description", "x")]).await, "pkey");

        assert_healthy(&s).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_odd_paths() {
    for backend in backends() {
        let s = Server::start(backend).await;
        for path in ["nosuch", "nosuch/deeper", "tenants/default/nosuch", "extensions/1001/runtime/x", "astamis/Reload"] {
            let resp = s.get(path).await;
            assert_eq!(resp.status, 404, "{path}: {}", resp.text);
            assert_eq!(resp.json, json!({"message": "Page Not Found. Check your URI for correctness"}), "{path}");
        }
        // Unknown routes say the same to everybody.
        let anonymous = s.anonymous().get("nosuch").await;
        assert_eq!(anonymous.status, 404, "{}", anonymous.text);
        assert_eq!(anonymous.json, json!({"message": "Page Not Found. Check your URI for correctness"}));

        let long = "9".repeat(10 * 1024);
        for resource in ["extensions", "tenants", "daytimers", "greetings"] {
            let resp = s.get(&format!("{resource}/{long}")).await;
            assert_eq!(resp.status, 404, "{resource} with a 10 KB key: {}", resp.text);
            assert!(resp["message"].is_string(), "{}", resp.text);
        }
        s.put_json(&format!("extensions/{long}"), &json!({"desc": "x"})).await.expect(404);
        s.delete(&format!("extensions/{long}")).await.expect(404);
        // Keys that are not keys.
        s.get("daytimers/abc").await.expect(404);
        s.get("daytimers/-1").await.expect(404);
        s.get("extensions/1001%27%20OR%20%271%27=%271").await.expect(404);
        s.get("greetings/..%2F..%2Fetc%2Fpasswd").await.expect(404);
        // Bad paging is refused, not ignored.
        assert_invalid(&s.get("tenants?limit=0").await, "limit");
        assert_invalid(&s.get("tenants?limit=abc").await, "limit");
        assert_invalid(&s.get("tenants?offset=-1").await, "offset");
        // A known route with the wrong method.
        let patch = s.send(s.request(Method::PATCH, "tenants/default").json(&json!({}))).await;
        assert_eq!(patch.status, 405, "{}", patch.text);

        assert_healthy(&s).await;
    }
}

fn big_body() -> String {
    format!(r#"{{"pkey": "big", "description": "{}"}}"#, "a".repeat(2 * 1024 * 1024))
}

/// A client that never reuses a connection.
fn one_shot_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build().expect("client")
}

/// After refusing a body it did not read, the server closes the connection; it must say
/// so (`Connection: close`), or a keep-alive client sends its next request into a closed
/// socket and fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_answer_says_the_connection_closes() {
    for backend in backends() {
        let s = Server::start(backend).await;
        let once = s.api.with_client(one_shot_client());
        let resp = once.send(once.request(Method::POST, "tenants").header("Content-Type", "application/json").body(big_body())).await;
        assert_message(&resp, 413);
        let connection = resp.header("connection").unwrap_or_default().to_ascii_lowercase();
        assert!(
            connection.contains("close"),
            "413 for an unread 2 MiB body has no `Connection: close` (headers {:?}), yet the server closes the connection",
            resp.headers
        );
        assert_healthy(&s).await;
    }
}

/// A NUL byte in a path key or query filter is just a key that does not exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_bytes_in_paths_and_queries_are_not_server_errors() {
    for backend in backends() {
        let s = Server::start(backend).await;
        s.post_json("extensions/mailbox", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        let mut failures = Vec::new();
        let keyed = [
            (Method::GET, "extensions/%00"),
            (Method::GET, "extensions/10%0001"),
            (Method::GET, "tenants/default%00"),
            (Method::GET, "extensions/%00/runtime"),
            (Method::GET, "cosopens/%00"),
            (Method::GET, "greetings/%00"),
            (Method::GET, "greetings/usergreeting%0000.wav"),
            (Method::PUT, "extensions/%00"),
            (Method::DELETE, "extensions/%00"),
            (Method::DELETE, "greetings/%00"),
        ];
        for (method, path) in keyed {
            let builder = s.request(method.clone(), path);
            let builder = if method == Method::PUT { builder.json(&json!({"desc": "x"})) } else { builder };
            let resp = s.send(builder).await;
            if resp.status != 404 {
                failures.push(format!("{method} /api/{path} -> {} {}", resp.status, resp.text));
            }
        }
        for path in ["extensions?cluster=%00", "auditlog?resource=%00", "auditlog?cluster=%00"] {
            let resp = s.get(path).await;
            let fine = resp.status == 422 || (resp.status == 200 && resp.json.as_array().is_some_and(Vec::is_empty));
            if !fine {
                failures.push(format!("GET /api/{path} -> {} {}", resp.status, resp.text));
            }
        }
        assert!(failures.is_empty(), "{backend:?}: NUL bytes in keys are server errors:\n{}", failures.join("\n"));
        assert_healthy(&s).await;
    }
}

/// Creates one item of every kind (and every special), answering the paths to compare.
async fn populate(s: &Server) -> Vec<String> {
    create_acme(s).await;
    let posts = [
        ("extensions/mailbox", json!({"pkey": "1001", "cluster": "default", "desc": "Mailbox"})),
        ("extensions/provisioned", json!({"pkey": "1002", "cluster": "default", "macaddr": "000413AABBCC"})),
        ("extensions/unprovisioned", json!({"pkey": "1003", "cluster": "acme"})),
        ("extensions/webrtc", json!({"pkey": "1004", "cluster": "default"})),
        (
            "trunks",
            json!({"pkey": "carrier", "cluster": "default", "carrier": "GeneralSIP", "username": "acct", "host": "192.0.2.1", "password": "TrunkPass123"}),
        ),
        ("queues", json!({"pkey": "sales", "cluster": "default"})),
        ("queues", json!({"pkey": "support", "cluster": "default"})),
        ("agents", json!({"pkey": "1100", "cluster": "default", "name": "alice", "queue1": "sales", "queue2": "support"})),
        ("ringgroups", json!({"pkey": "rg", "cluster": "default", "outcome": "1001", "out": "1001 1004"})),
        ("customapps", json!({"pkey": "hello", "cluster": "default", "extcode": "Answer()\nPlayback(hello)"})),
        ("ivrs", json!({"pkey": "menu", "cluster": "default", "option1": "1004", "option2": "sales", "option3": "hello"})),
        (
            "inboundroutes",
            json!({"pkey": "441632960000", "cluster": "default", "carrier": "DiD", "trunkname": "carrier", "openroute": "menu", "closeroute": "rg"}),
        ),
        ("routes", json!({"pkey": "out", "cluster": "default", "dialplan": "_0X.", "path1": "carrier"})),
        ("daytimers", json!({"cluster": "default", "dayofweek": "tue", "timespan": "08:30-18:00"})),
        ("holidaytimers", json!({"cluster": "default", "route": "Hangup", "stime": 1767225600, "etime": 1767312000})),
        ("cosrules", json!({"pkey": "no-intl", "dialplan": "_00X."})),
        ("templates", json!({"pkey": "snom", "technology": "SIP", "provision": "a=1\nb=2"})),
        ("cosopens", json!({"IPphone_pkey": "1004", "COS_pkey": "no-intl"})),
        ("coscloses", json!({"IPphone_pkey": "1001", "COS_pkey": "no-intl"})),
    ];
    for (path, body) in posts {
        let resp = s.post_json(path, &body).await;
        assert!(resp.status == 200 || resp.status == 201, "POST {path}: {} {}", resp.status, resp.text);
    }
    s.put_json("extensions/1004/runtime", &json!({"cfim": "07700900000", "ringdelay": 25})).await.expect(204);
    s.put_json("sysglobals", &json!({"LANGUAGE": "de", "SYSPASS": "SysPass99887766"})).await.expect(200);
    s.upload_greeting("usergreeting0001.wav", "audio/wav", wav_bytes()).await.expect(201);

    let mut paths: Vec<String> = RESOURCES
        .iter()
    .map(|r| (*r).to_owned())
    .collect();
    for item in [
        "tenants/acme",
        "extensions/1001",
        "extensions/1002",
        "extensions/1003",
        "extensions/1004",
        "trunks/carrier",
        "queues/sales",
        "agents/1100",
        "ringgroups/rg",
        "customapps/hello",
        "ivrs/menu",
        "inboundroutes/441632960000",
        "routes/out",
        "daytimers/1",
        "holidaytimers/1",
        "cosrules/no-intl",
        "templates/snom",
        "extensions/1004/runtime",
        "sysglobals",
        "destinations",
        "cosopens",
        "coscloses",
        "cosopens/1004",
        "greetings",
        "auditlog",
    ] {
        paths.push(item.to_owned());
    }
    paths
}

async fn snapshot(api: &Api, paths: &[String]) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for path in paths {
        let resp = api.get(path).await;
        resp.expect(200);
        out.insert(path.clone(), resp.json.clone());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_everything() {
    for backend in backends() {
        let mut s = Server::start(backend).await;
        let paths = populate(&s).await;
        let reader = s.create_key(&["--role", "readonly"]).await;
        let before = snapshot(&s, &paths).await;
        let greeting = s.get("greetings/usergreeting0001.wav").await.expect(200).bytes.clone();
        assert_eq!(before["extensions"].as_array().map(Vec::len), Some(4));
        s.as_key(&reader).get("tenants").await.expect(200);

        s.stop().await;
        s.restart().await;

        let after = snapshot(&s, &paths).await;
        for path in &paths {
            assert_eq!(after[path], before[path], "{path} changed across a restart on {backend:?}");
        }
        assert_eq!(s.get("greetings/usergreeting0001.wav").await.expect(200).bytes, greeting, "greeting bytes changed");
        let reads = s.as_key(&reader).get("extensions").await;
        assert_eq!(reads.expect(200).json, before["extensions"], "the API key made before the restart");
        s.as_key(&reader).delete("extensions/1001").await.expect(403);
        // Secrets set before the restart are still not shown after it.
        for path in ["sysglobals", "trunks/carrier", "auditlog"] {
            let resp = s.get(path).await;
            assert!(!resp.text.contains("SysPass99887766") && !resp.text.contains("TrunkPass123"), "{path}: {}", resp.text);
        }
        // And the server still writes.
        s.post_json("extensions/mailbox", &json!({"pkey": "1005", "cluster": "default"})).await.expect(200);
        s.delete("extensions/1005").await.expect(204);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_write_leaves_no_partial_rows() {
    const AGENTS: usize = 60;
    let queues: Vec<String> = (1..=6).map(|n| format!("q{n}")).collect();
    for backend in backends() {
        let mut s = Server::start(backend).await;
        for q in &queues {
            s.post_json("queues", &json!({"pkey": q, "cluster": "default"})).await.expect(200);
        }
        let answered = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for n in 0..AGENTS {
            let api = s.api.clone();
            let answered = answered.clone();
            let pkey = format!("{}", 2000 + n);
            let mut body = json!({"pkey": pkey, "cluster": "default", "name": format!("agent{n}")});
            for (i, q) in queues.iter().enumerate() {
                body[format!("queue{}", i + 1)] = json!(q);
            }
            tasks.push(tokio::spawn(async move {
                let result = api.try_send(api.request(Method::POST, "agents").json(&body)).await;
                answered.fetch_add(1, Ordering::SeqCst);
                (pkey, result.map(|r| r.status))
            }));
        }
        // Kill the server while most creates are still in flight.
        let deadline = Instant::now() + Duration::from_secs(30);
        while answered.load(Ordering::SeqCst) < 3 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        s.kill().await;
        let mut acknowledged = HashSet::new();
        let mut refused = Vec::new();
        for task in tasks {
            let (pkey, result) = task.await.expect("task");
            match result {
                Ok(200) => {
                    acknowledged.insert(pkey);
                }
                Ok(status) => refused.push((pkey, status)),
                Err(_) => {} // cut off by the kill
            }
        }
        assert!(refused.is_empty(), "creates answered with errors before the kill: {refused:?}");

        s.restart().await;
        let agents = s.get("agents").await;
        let agents = agents.expect(200).array().clone();
        let existing: HashSet<String> = agents.iter().map(|a| a["pkey"].as_str().unwrap_or_default().to_owned()).collect();
        eprintln!(
            "{backend:?}: {} of {AGENTS} agent creates acknowledged before SIGKILL, {} exist after restart",
            acknowledged.len(),
            existing.len()
        );
        for pkey in &acknowledged {
            assert!(existing.contains(pkey), "agent {pkey} was acknowledged (200) but is gone after the crash");
        }
        for agent in &agents {
            for (i, q) in queues.iter().enumerate() {
                let slot = format!("queue{}", i + 1);
                assert_eq!(agent[&slot], json!(q), "agent {} lost {slot} in the crash: {agent}", agent["pkey"]);
            }
        }
        let audit = s.get(&format!("auditlog?resource=agents&limit={}", 10 * AGENTS)).await;
        let mut creates: BTreeMap<String, usize> = BTreeMap::new();
        for entry in audit.expect(200).array() {
            if entry["action"] == "create" {
                *creates.entry(entry["key"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
            }
        }
        for n in 0..AGENTS {
            let pkey = format!("{}", 2000 + n);
            let wanted = usize::from(existing.contains(&pkey));
            assert_eq!(creates.get(&pkey).copied().unwrap_or(0), wanted, "audit create entries for agent {pkey} (exists: {})", wanted == 1);
        }
        // The queues are intact and the server works.
        for q in &queues {
            s.get(&format!("queues/{q}")).await.expect(200);
        }
        s.post_json("agents", &json!({"pkey": "2999", "cluster": "default", "name": "after", "queue1": "q1"})).await.expect(200);
    }
}

fn demo_passwords(lines: &[String]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in lines {
        if let Some(rest) = line.strip_prefix("switchboard: demo extension ") {
            if let Some((number, password)) = rest.split_once(" SIP password: ") {
                out.insert(number.trim().to_owned(), password.trim().to_owned());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_seeds_extensions_once() {
    for backend in backends() {
        let mut s = Server::start_with(backend, &["--demo"]).await;
        let passwords = demo_passwords(&s.output());
        let numbers: Vec<&str> = passwords.keys().map(String::as_str).collect();
        assert_eq!(numbers, ["1001", "1002", "1003"], "demo output: {:?}", s.output());
        for password in passwords.values() {
            assert!(password.len() >= 12 && password.chars().all(|c| c.is_ascii_graphic()), "weak demo password {password:?}");
        }
        let distinct: HashSet<&String> = passwords.values().collect();
        assert_eq!(distinct.len(), 3, "demo passwords repeat");
        let mut before = BTreeMap::new();
        for number in ["1001", "1002", "1003"] {
            let ext = s.get(&format!("extensions/{number}")).await;
            ext.expect(200);
            assert_eq!(ext["cluster"], "default");
            assert!(ext.json.get("passwd").is_none());
            before.insert(number, ext.json.clone());
        }
        let audit_before = s.get("auditlog?resource=extensions").await.expect(200).json.clone();
        for password in passwords.values() {
            let audit = s.get("auditlog").await;
            assert!(!audit.text.contains(password.as_str()), "demo password in the audit log");
            assert!(!s.get("extensions").await.text.contains(password.as_str()), "demo password in the list");
        }

        s.restart_with(&["--demo"]).await;
        assert!(demo_passwords(&s.output()).is_empty(), "second --demo start printed new passwords: {:?}", s.output());
        for number in ["1001", "1002", "1003"] {
            let ext = s.get(&format!("extensions/{number}")).await;
            assert_eq!(ext.expect(200).json, before[number], "--demo changed extension {number} on the second start");
        }
        assert_eq!(s.get("auditlog?resource=extensions").await.json, audit_before, "the second --demo start wrote changes");
        // Without --demo nothing is seeded or removed either.
        s.restart_with(&[]).await;
        assert!(demo_passwords(&s.output()).is_empty());
        assert_eq!(s.get("extensions").await.expect(200).array().len(), 3);
    }
}
