//! Authentication, throttling, read-only and tenant-scoped keys, the public API
//! description, and CORS, through the real binary.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};


/// Routes that must exist whatever the OpenAPI document says.
const KNOWN_ROUTES: &[(&str, &str)] = &[
    ("GET", "tenants"),
    ("POST", "tenants"),
    ("GET", "tenants/default"),
    ("PUT", "tenants/default"),
    ("DELETE", "tenants/default"),
    ("POST", "extensions/mailbox"),
    ("POST", "extensions/provisioned"),
    ("POST", "extensions/unprovisioned"),
    ("POST", "extensions/webrtc"),
    ("GET", "extensions/1001/runtime"),
    ("PUT", "extensions/1001/runtime"),
    ("GET", "sysglobals"),
    ("PUT", "sysglobals"),
    ("GET", "destinations"),
    ("GET", "auditlog"),
    ("GET", "greetings"),
    ("POST", "greetings"),
    ("GET", "greetings/usergreeting1234.wav"),
    ("DELETE", "greetings/usergreeting1234.wav"),
    ("GET", "cosopens"),
    ("POST", "coscloses"),
    ("DELETE", "cosopens/1001/r1"),
];

/// Every (method, path) of the API, from its OpenAPI description plus [`KNOWN_ROUTES`],
/// with path parameters filled in.
async fn all_routes(s: &Server) -> Vec<(Method, String)> {
    let doc = s.anonymous().get("openapi.json").await;
    doc.expect(200);
    let mut routes: Vec<(Method, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let concrete = path.replace("{key}", "1001").replace("{ext}", "1001").replace("{cos}", "r1").replace("{name}", "usergreeting1234.wav");
        for method in ["get", "post", "put", "delete"] {
            if item.get(method).is_some() {
                routes.push((method.to_uppercase().parse().expect("method"), concrete.trim_start_matches('/').to_owned()));
            }
        }
    }
    for (method, path) in KNOWN_ROUTES {
        let route = (method.parse::<Method>().expect("method"), (*path).to_owned());
        if !routes.contains(&route) {
            routes.push(route);
        }
    }
    assert!(routes.len() > 60, "suspiciously few routes: {routes:?}");
    routes
}

async fn call(api: &Api, method: &Method, path: &str) -> Resp {
    let builder = api.request(method.clone(), path);
    let builder = if matches!(*method, Method::POST | Method::PUT) { builder.json(&json!({})) } else { builder };
    api.send(builder).await
}

#[track_caller]
fn assert_unauthenticated(resp: &Resp) {
    assert_eq!(resp.status, 401, "{}: {}", resp.what, resp.text);
    assert_eq!(resp.json, json!({"message": "Unauthenticated."}), "{}", resp.what);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_needs_a_token() {
    for backend in backends() {
        let s = Server::start(backend).await;
        s.post_json("extensions/unprovisioned", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        let anonymous = s.anonymous();
        for (method, path) in all_routes(&s).await {
            assert_unauthenticated(&call(&anonymous, &method, &path).await);
        }
        // An empty bearer is no token either; none of this is throttled.
        let empty = anonymous.send(anonymous.request(Method::GET, "tenants").header("Authorization", "Bearer ")).await;
        assert_unauthenticated(&empty);
        // Nothing was changed by any of it.
        s.get("extensions/1001").await.expect(200);
        s.get("tenants/default").await.expect(200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_a_wrong_token() {
    for backend in backends() {
        let mut s = Server::start(backend).await;
        let routes = all_routes(&s).await;
        // Nine failures per server instance stay under the ban threshold.
        for (n, chunk) in routes.chunks(9).enumerate() {
            let wrong = s.as_key(&format!("sb_{}.{}", random_hex(6), random_hex(32)));
            for (method, path) in chunk {
                assert_unauthenticated(&call(&wrong, method, path).await);
            }
            s.get("tenants").await.expect(200);
            if (n + 1) * 9 < routes.len() {
                s.restart().await; // a fresh throttle for the next nine
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_wrong_tokens_ban_the_address() {
    for backend in backends() {
        let s = Server::start(backend).await;
        let wrong = s.as_key("not-the-token");
        for attempt in 1..=9 {
            let resp = wrong.get("tenants").await;
            assert_eq!(resp.status, 401, "attempt {attempt}: {}", resp.text);
        }
        let banned = wrong.get("extensions").await;
        assert_eq!(banned.status, 429, "the 10th wrong token: {}", banned.text);
        let retry_after = banned.header("retry-after").unwrap_or_else(|| panic!("429 without Retry-After: {:?}", banned.headers));
        assert!(retry_after.parse::<u64>().is_ok_and(|n| n > 0), "Retry-After {retry_after:?}");
        assert!(banned["message"].is_string(), "{}", banned.text);
        // The ban is per address: even the right token is refused now.
        let right = s.get("tenants").await;
        assert_eq!(right.status, 429, "the admin token after the ban: {}", right.text);
        assert!(right.header("retry-after").is_some());
        assert_eq!(s.anonymous().get("tenants").await.status, 429);
        // The public description and the health check are not behind the ban.
        s.anonymous().get("openapi.json").await.expect(200);
        s.anonymous().get("/healthz").await.expect(200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readonly_key_reads_but_cannot_write() {
    for backend in backends() {
        let s = Server::start(backend).await;
        s.post_json("extensions/unprovisioned", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        s.post_json("cosrules", &json!({"pkey": "r1", "dialplan": "_00X."})).await.expect(200);
        s.post_json("cosopens", &json!({"IPphone_pkey": "1001", "COS_pkey": "r1"})).await.expect(200);
        s.upload_greeting("usergreeting1234.wav", "audio/wav", wav_bytes()).await.expect(201);
        let token = s.create_key(&["--role", "readonly", "--label", "e2e reader"]).await;
        let ro = s.as_key(&token);

        for path in [
            "tenants",
            "tenants/default",
            "extensions",
            "extensions/1001",
            "extensions/1001/runtime",
            "cosrules/r1",
            "sysglobals",
            "destinations",
            "auditlog",
            "greetings",
            "greetings/usergreeting1234.wav",
            "cosopens",
            "cosopens/1001",
        ] {
            ro.get(path).await.expect(200);
        }
        for resource in RESOURCES {
            ro.get(resource).await.expect(200);
        }

        let audit_before = s.get("auditlog").await.expect(200).array().len();
        let writes: Vec<Resp> = vec![
            ro.post_json("tenants", &json!({"pkey": "acme", "description": "Acme"})).await,
            ro.post_json("extensions/mailbox", &json!({"pkey": "1002", "cluster": "default"})).await,
            ro.put_json("extensions/1001", &json!({"desc": "changed"})).await,
            ro.delete("extensions/1001").await,
            ro.post_json("cosrules", &json!({"pkey": "r2", "dialplan": "_X."})).await,
            ro.put_json("cosrules/r1", &json!({"active": "NO"})).await,
            ro.delete("cosrules/r1").await,
            ro.put_json("sysglobals", &json!({"LANGUAGE": "de"})).await,
            ro.put_json("extensions/1001/runtime", &json!({"cfim": "123"})).await,
            ro.post_json("coscloses", &json!({"IPphone_pkey": "1001", "COS_pkey": "r1"})).await,
            ro.put_json("cosopens/1001", &json!({"COS_pkey": []})).await,
            ro.delete("cosopens/1001").await,
            ro.delete("cosopens/1001/r1").await,
            ro.upload_greeting("usergreeting5555.wav", "audio/wav", wav_bytes()).await,
            ro.delete("greetings/usergreeting1234.wav").await,
            ro.post_json("daytimers", &json!({"cluster": "default"})).await,
        ];
        for resp in &writes {
            assert_eq!(resp.status, 403, "read-only key: {} answered {}: {}", resp.what, resp.status, resp.text);
            assert!(resp["message"].is_string(), "{}: {}", resp.what, resp.text);
        }
        // Nothing changed.
        assert_eq!(s.get("extensions/1001").await["desc"], Value::Null);
        s.get("extensions/1002").await.expect(404);
        s.get("tenants/acme").await.expect(404);
        assert_eq!(s.get("sysglobals").await["LANGUAGE"], "en");
        assert_eq!(s.get("cosopens/1001").await.array().len(), 1);
        s.get("greetings/usergreeting1234.wav").await.expect(200);
        s.get("greetings/usergreeting5555.wav").await.expect(404);
        assert_eq!(s.get("auditlog").await.array().len(), audit_before, "refused writes were audited as changes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_key_is_confined_to_its_tenant() {
    for backend in backends() {
        let s = Server::start(backend).await;
        create_acme(&s).await;
        s.post_json("extensions/unprovisioned", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        s.post_json("extensions/unprovisioned", &json!({"pkey": "1501", "cluster": "acme"})).await.expect(200);
        s.post_json("queues", &json!({"pkey": "q-default", "cluster": "default"})).await.expect(200);
        s.post_json("queues", &json!({"pkey": "q-acme", "cluster": "acme"})).await.expect(200);
        s.upload_greeting("usergreeting1234.wav", "audio/wav", wav_bytes()).await.expect(201);
        let token = s.create_key(&["--role", "admin", "--tenant", "acme"]).await;
        let acme = s.as_key(&token);

        // Lists show acme's items only.
        let keys = |resp: &Resp| -> Vec<Value> { resp.array().iter().map(|i| i["pkey"].clone()).collect() };
        assert_eq!(keys(acme.get("extensions").await.expect(200)), vec![json!("1501")]);
        assert_eq!(keys(acme.get("queues").await.expect(200)), vec![json!("q-acme")]);
        assert_eq!(keys(acme.get("tenants").await.expect(200)), vec![json!("acme")]);
        assert_eq!(keys(acme.get("extensions?cluster=acme").await.expect(200)), vec![json!("1501")]);
        acme.get("extensions?cluster=default").await.expect(403);
        let dest = acme.get("destinations").await;
        assert_eq!(dest.expect(200)["Extensions"], json!(["1501"]), "{}", dest.text);
        assert_eq!(dest["Queues"], json!(["q-acme"]), "{}", dest.text);
        let audit = acme.get("auditlog").await;
        assert!(audit.expect(200).array().iter().all(|e| e["cluster"] == "acme"), "audit log shows other tenants: {}", audit.text);
        assert!(acme.get("greetings").await.expect(200).array().is_empty(), "default's greeting is visible");
        acme.get("greetings/usergreeting1234.wav").await.expect(404);

        // Another tenant's items are forbidden.
        acme.get("extensions/1001").await.expect(403);
        acme.put_json("extensions/1001", &json!({"desc": "mine now"})).await.expect(403);
        acme.delete("extensions/1001").await.expect(403);
        acme.get("extensions/1001/runtime").await.expect(403);
        acme.put_json("extensions/1001/runtime", &json!({"cfim": "123"})).await.expect(403);
        acme.get("tenants/default").await.expect(403);
        acme.put_json("tenants/default", &json!({"description": "x"})).await.expect(403);
        acme.get("queues/q-default").await.expect(403);
        acme.delete("queues/q-default").await.expect(403);
        let forbidden = acme.post_json("extensions/mailbox", &json!({"pkey": "1002", "cluster": "default"})).await;
        forbidden.expect(403);
        assert!(forbidden["message"].is_string(), "{}", forbidden.text);
        acme.post_json("queues", &json!({"pkey": "q-sneaky", "cluster": "default"})).await.expect(403);
        // System-wide changes are forbidden too.
        acme.post_json("tenants", &json!({"pkey": "other", "description": "x"})).await.expect(403);
        acme.post_json("cosrules", &json!({"pkey": "r1", "dialplan": "_X."})).await.expect(403);
        acme.put_json("sysglobals", &json!({"LANGUAGE": "de"})).await.expect(403);
        acme.delete("tenants/acme").await.expect(403);
        // Its tenant's limits are the operator's to set.
        acme.get("tenants/acme").await.expect(200);
        acme.put_json("tenants/acme", &json!({"chanmax": 100000})).await.expect(403);
        assert_eq!(s.get("tenants/acme").await["chanmax"], json!(30));

        // Its own tenant works, but references stay inside it, and items cannot move out.
        acme.post_json("extensions/mailbox", &json!({"pkey": "1502", "cluster": "acme"})).await.expect(200);
        acme.put_json("extensions/1502", &json!({"desc": "Acme mailbox"})).await.expect(200);
        acme.put_json("extensions/1502", &json!({"cluster": "default"})).await.expect(403);
        assert_invalid(&acme.post_json("agents", &json!({"pkey": "1234", "cluster": "acme", "name": "eve", "queue1": "q-default"})).await, "queue1");
        acme.post_json("agents", &json!({"pkey": "1234", "cluster": "acme", "name": "eve", "queue1": "q-acme"})).await.expect(200);
        acme.delete("extensions/1502").await.expect(204);
        // Greetings it uploads are acme's; it cannot place one in default.
        let mine = acme.upload_greeting("usergreeting7777.wav", "audio/wav", wav_bytes()).await;
        assert_eq!(mine.expect(201)["cluster"], "acme", "{}", mine.text);
        let part = reqwest::multipart::Part::bytes(wav_bytes()).file_name("usergreeting8888.wav").mime_str("audio/wav").expect("mime");
        let form = reqwest::multipart::Form::new().text("cluster", "default").part("greeting", part);
        acme.send(acme.request(Method::POST, "greetings").multipart(form)).await.expect(403);
        // Nor overwrite default's greeting of the same name.
        acme.upload_greeting("usergreeting1234.wav", "audio/wav", wav_bytes()).await.expect(403);
        let refused = acme.delete("greetings/usergreeting1234.wav").await;
        assert!(refused.status == 403 || refused.status == 404, "acme deleting default's greeting: {} {}", refused.status, refused.text);
        s.get("greetings/usergreeting1234.wav").await.expect(200);
        s.get("greetings/usergreeting8888.wav").await.expect(404);

        // The default tenant's items are untouched.
        let ext = s.get("extensions/1001").await;
        assert_eq!(ext.expect(200)["desc"], Value::Null);
        assert_eq!(ext["cluster"], "default");
        s.get("queues/q-default").await.expect(200);
        s.get("extensions/1002").await.expect(404);
        s.get("queues/q-sneaky").await.expect(404);
        assert_eq!(s.get("sysglobals").await["LANGUAGE"], "en");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_for_a_missing_tenant_are_refused() {
    for backend in backends() {
        let s = Server::start(backend).await;
        let mut command = tokio::process::Command::new(BIN);
        command.args(["keys", "create", "--role", "admin", "--tenant", "nosuch", "--data"]).arg(s.data_dir());
        if let Some(url) = &s.database {
            command.args(["--database", url]);
        }
        let output = command.env("SWITCHBOARD_LOG", "warn").output().await.expect("run keys create");
        assert!(!output.status.success(), "a key for a missing tenant was made: {}", String::from_utf8_lossy(&output.stdout));
        assert!(!String::from_utf8_lossy(&output.stdout).contains("sb_"), "a token was printed anyway");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_and_docs_are_public() {
    for backend in backends() {
        let s = Server::start(backend).await;
        let anonymous = s.anonymous();
        let doc = anonymous.get("openapi.json").await;
        doc.expect(200);
        assert!(doc.header("content-type").is_some_and(|t| t.starts_with("application/json")), "{:?}", doc.headers);
        let parsed: Value = serde_json::from_str(&doc.text).expect("openapi.json is valid JSON");
        assert!(parsed["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "openapi version: {}", parsed["openapi"]);
        let paths = parsed["paths"].as_object().expect("paths object");
        let mut wanted: Vec<String> = Vec::new();
        for r in RESOURCES {
            wanted.push(format!("/{r}"));
            wanted.push(format!("/{r}/{{key}}"));
        }
        for creator in ["mailbox", "provisioned", "unprovisioned", "webrtc"] {
            wanted.push(format!("/extensions/{creator}"));
        }
        for special in ["/sysglobals", "/extensions/{key}/runtime", "/destinations", "/auditlog", "/cosopens", "/coscloses", "/greetings"] {
            wanted.push(special.to_owned());
        }
        for path in &wanted {
            assert!(paths.contains_key(path), "openapi.json has no path {path}");
        }
        for r in RESOURCES {
            let item = &paths[&format!("/{r}/{{key}}")];
            for method in ["get", "put", "delete"] {
                assert!(item.get(method).is_some(), "openapi.json lacks {method} /{r}/{{key}}");
            }
            assert!(paths[&format!("/{r}")].get("get").is_some(), "openapi.json lacks get /{r}");
        }
        // Write-only fields are marked so.
        let ext = &parsed["components"]["schemas"]["Extensions"]["properties"]["passwd"];
        assert_eq!(ext["writeOnly"], json!(true), "extensions.passwd: {ext}");

        let docs = anonymous.get("docs").await;
        docs.expect(200);
        assert!(docs.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{:?}", docs.headers);
        assert!(docs.text.to_ascii_lowercase().contains("<html"), "docs page is not HTML");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_off_by_default() {
    for backend in backends() {
        let s = Server::start(backend).await;
        let preflight = s
            .anonymous()
            .send(
                s.anonymous()
                    .request(Method::OPTIONS, "tenants")
                    .header("Origin", "http://evil.example")
                    .header("Access-Control-Request-Method", "POST")
                    .header("Access-Control-Request-Headers", "authorization, content-type"),
            )
            .await;
        assert!(preflight.header("access-control-allow-origin").is_none(), "preflight allowed: {:?}", preflight.headers);
        assert!(preflight.header("access-control-allow-credentials").is_none());
        let get = s.send(s.request(Method::GET, "tenants").header("Origin", "http://evil.example")).await;
        get.expect(200);
        assert!(get.header("access-control-allow-origin").is_none(), "GET allowed cross-origin: {:?}", get.headers);
        // Responses are not cacheable and not sniffable.
        assert_eq!(get.header("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(get.header("cache-control").as_deref(), Some("no-store"));
    }
}
