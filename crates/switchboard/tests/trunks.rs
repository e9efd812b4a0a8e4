//! Trunks, inbound and outbound routes against the real binary, with SIPp as the carrier on
//! 127.0.0.2 (so the PBX tells it from the phones on 127.0.0.1): calls from the trunk by
//! DDI to an extension and through the CRM routing lookup (GET and POST, with its
//! fallbacks), calls out through a route whose carrier challenges with digest,
//! click-to-call to an external number, and an ARI originate to `PJSIP/<number>@<trunk>`. Everything is configured through the provisioning
//! API, the CRM lookup through the config file.

mod common;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, Uri};
use axum::response::IntoResponse;
use common::sipp::{caller, registered, require_tool, SipPbx, Sipp};
use common::{backends, create_acme, Backend, TempDir};
use serde_json::{json, Value};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where the carrier is.
const CARRIER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
/// The trunk's login at the carrier.
const TRUNK_USER: &str = "sbtrunk";
const TRUNK_PASSWORD: &str = "Carrier5ecret";
/// The DDI the carrier delivers.
const DDI: &str = "442071230000";

/// The switchboard of a test.
fn server(pbx: &SipPbx) -> &common::Server {
    pbx.server.as_ref().expect("switchboard, not the anchor")
}

/// Creates trunk `carrier1` at `host` in tenant `default`.
async fn add_trunk(pbx: &SipPbx, host: &str) {
    let body = json!({
        "pkey": "carrier1", "cluster": "default", "carrier": "GeneralSIP", "username": TRUNK_USER,
        "password": TRUNK_PASSWORD, "host": host, "callerid": "442071239999",
    });
    server(pbx).post_json("trunks", &body).await.expect(200);
}

/// Creates the DDI route `ddi` of tenant `default` to `destination`.
async fn add_ddi(pbx: &SipPbx, ddi: &str, destination: &str) {
    let body =
        json!({"pkey": ddi, "carrier": "DiD", "cluster": "default", "trunkname": "carrier1", "openroute": destination});
    server(pbx).post_json("inboundroutes", &body).await.expect(200);
}

/// The carrier calling `ddi` over the trunk; each call's caller id is added with
/// [`Sipp::key`] to a clone, so that the calls of a test share the carrier's ports.
fn carrier(pbx: &SipPbx, ddi: &str, label: &str) -> Sipp {
    Sipp::new(label, "trunk_uac_call.xml", pbx.sip, &pbx.ports)
        .ip(CARRIER)
        .service(ddi)
        .timeout(Duration::from_secs(20))
}

/// One call of `carrier` from `caller_id`, run to its end.
async fn carrier_call(carrier: &Sipp, caller_id: &str) -> common::sipp::SippRun {
    carrier.clone().key("caller", caller_id).run().await
}

/// A callee for `ext` that answers `calls` calls.
async fn answering(pbx: &SipPbx, ext: &str, label: &str, calls: u32) -> common::sipp::SippProcess {
    let uas = Sipp::new(label, "uas_answer.xml", pbx.sip, &pbx.ports).calls(calls).timeout(Duration::from_secs(60));
    registered(pbx, ext, label, uas).await.1
}

#[tokio::test]
async fn a_call_from_the_trunk_to_a_ddi_rings_the_extension() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let pbx = SipPbx::start(backend, &["1002"]).await;
        add_trunk(&pbx, &CARRIER.to_string()).await;
        add_ddi(&pbx, DDI, "1002").await;
        let callee = answering(&pbx, "1002", "ddi-callee", 1).await;
        // The DDI arrives with a leading plus: the route is found without it.
        let carrier = carrier_call(&carrier(&pbx, &format!("+{DDI}"), "ddi-carrier"), "07700900001").await;
        let callee = callee.finish().await;
        carrier.assert_ok();
        callee.assert_ok();
        assert!(!carrier.received_statuses().contains(&401), "a trunk is not challenged: {}", carrier.flow());
        let invite = callee.request("INVITE");
        let from = invite.header("From").unwrap_or_default();
        assert!(from.contains("sip:07700900001@"), "the callee sees the caller id: {from}");
        if let Some(cdr) = pbx.assert_one_cdr("07700900001", &format!("+{DDI}"), "ANSWERED").await {
            assert!(cdr["channel"].as_str().is_some_and(|c| c.starts_with("PJSIP/carrier1-")), "{cdr}");
            assert!(cdr["dstchannel"].as_str().is_some_and(|c| c.starts_with("PJSIP/1002-")), "{cdr}");
            assert_eq!(cdr["lastapp"], json!("Dial"), "{cdr}");
        }
        pbx.assert_no_calls_left().await;
    }
}

/// What the test CRM answers.
#[derive(Clone)]
enum CrmAnswer {
    /// This JSON after this delay.
    Json(Value, Duration),
    /// This body, which is not JSON.
    Garbage,
}

/// A CRM: answers as told, and keeps what it was asked (method, phone).
#[derive(Clone)]
struct TestCrm {
    answer: Arc<Mutex<CrmAnswer>>,
    asked: Arc<Mutex<Vec<(String, String)>>>,
}

impl TestCrm {
    fn answer(&self, answer: CrmAnswer) {
        *self.answer.lock().expect("lock") = answer;
    }

    fn asked(&self) -> Vec<(String, String)> {
        self.asked.lock().expect("lock").clone()
    }
}

async fn crm_handler(State(crm): State<TestCrm>, method: Method, uri: Uri, body: Bytes) -> axum::response::Response {
    let phone = match method {
        Method::GET => uri.query().and_then(|q| q.strip_prefix("phone=")).map(|p| p.replace("%2B", "+")),
        _ => serde_json::from_slice::<Value>(&body).ok().and_then(|b| b["phone"].as_str().map(str::to_owned)),
    };
    crm.asked.lock().expect("lock").push((method.to_string(), phone.unwrap_or_default()));
    let answer = crm.answer.lock().expect("lock").clone();
    match answer {
        CrmAnswer::Json(value, delay) => {
            tokio::time::sleep(delay).await;
            axum::Json(value).into_response()
        }
        CrmAnswer::Garbage => "<html>Service temporarily unavailable</html>".into_response(),
    }
}

/// Starts a CRM on a free loopback port; the handle stops it (the CRM is then down).
async fn start_crm() -> (SocketAddr, TestCrm, tokio::task::JoinHandle<()>) {
    let crm = TestCrm { answer: Arc::new(Mutex::new(CrmAnswer::Garbage)), asked: Arc::new(Mutex::new(Vec::new())) };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the CRM");
    let addr = listener.local_addr().expect("CRM address");
    let app = axum::Router::new().fallback(crm_handler).with_state(crm.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, crm, task)
}

/// A PBX with 1002 and 1003 whose `[crm]` lookup asks `url` (fallback 1003, 700 ms), the
/// trunk, and the DDI routed to CRM.
async fn crm_pbx(backend: Backend, url: &str, dir: &TempDir) -> SipPbx {
    let config = dir.path().join("switchboard.toml");
    let text = format!("[crm]\nlookup_url = \"{url}\"\nlookup_timeout_ms = 700\nlookup_fallback = \"1003\"\n");
    std::fs::write(&config, text).expect("write the config");
    let config = config.to_string_lossy().into_owned();
    let pbx = SipPbx::start_with(backend, &["1002", "1003"], &["--config", &config]).await;
    add_trunk(&pbx, &CARRIER.to_string()).await;
    add_ddi(&pbx, DDI, "CRM").await;
    pbx
}

/// Asserts the call from `caller_id` was answered by `extension`.
async fn answered_by(pbx: &SipPbx, caller_id: &str, extension: &str) {
    if let Some(cdr) = pbx.assert_one_cdr(caller_id, DDI, "ANSWERED").await {
        let prefix = format!("PJSIP/{extension}-");
        assert!(cdr["dstchannel"].as_str().is_some_and(|c| c.starts_with(&prefix)), "wanted {extension}: {cdr}");
    }
}

#[tokio::test]
async fn the_crm_lookup_routes_by_caller_id_and_falls_back_when_it_cannot() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let dir = TempDir::new("sb-crm-lookup");
        let (addr, crm, crm_task) = start_crm().await;
        let pbx = crm_pbx(backend, &format!("http://{addr}/route?phone="), &dir).await;
        create_acme(&server(&pbx).api).await;
        let other = json!({"pkey": "2001", "cluster": "acme", "passwd": "Acme2001secret"});
        server(&pbx).post_json("extensions/unprovisioned", &other).await.expect(200);
        let manager = answering(&pbx, "1002", "crm-manager", 1).await;
        let fallback = answering(&pbx, "1003", "crm-fallback", 4).await;
        let calls = carrier(&pbx, DDI, "crm-carrier");

        // The CRM names 1002 for this caller: 1002 takes the call.
        crm.answer(CrmAnswer::Json(json!({"personal_manager_internal_phone": "1002"}), Duration::ZERO));
        carrier_call(&calls, "+447700900002").await.assert_ok();
        assert_eq!(crm.asked(), vec![("GET".to_owned(), "+447700900002".to_owned())], "GET ?phone=<caller id>");
        answered_by(&pbx, "+447700900002", "1002").await;

        // An extension of another tenant, a body that is not JSON, an answer too late, and a
        // CRM that is down: each time the fallback takes the call.
        crm.answer(CrmAnswer::Json(json!({"personal_manager_internal_phone": 2001}), Duration::ZERO));
        carrier_call(&calls, "07700900003").await.assert_ok();
        answered_by(&pbx, "07700900003", "1003").await;
        crm.answer(CrmAnswer::Garbage);
        carrier_call(&calls, "07700900004").await.assert_ok();
        answered_by(&pbx, "07700900004", "1003").await;
        crm.answer(CrmAnswer::Json(json!({"personal_manager_internal_phone": "1002"}), Duration::from_millis(1500)));
        let started = std::time::Instant::now();
        carrier_call(&calls, "07700900005").await.assert_ok();
        answered_by(&pbx, "07700900005", "1003").await;
        assert!(started.elapsed() >= Duration::from_millis(700), "the lookup was waited for");
        crm_task.abort();
        let _ = crm_task.await;
        carrier_call(&calls, "07700900006").await.assert_ok();
        answered_by(&pbx, "07700900006", "1003").await;

        manager.finish().await.assert_ok();
        fallback.finish().await.assert_ok();
        let log = server(&pbx).stderr();
        assert!(!log.contains("panicked"), "{log}");
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn the_crm_lookup_posts_the_caller_id_when_the_url_has_no_phone_query() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let dir = TempDir::new("sb-crm-lookup-post");
        let (addr, crm, _crm_task) = start_crm().await;
        let pbx = crm_pbx(backend, &format!("http://{addr}/route"), &dir).await;
        let manager = answering(&pbx, "1002", "crm-post-manager", 1).await;
        let calls = carrier(&pbx, DDI, "crm-post-carrier");
        // salara's integer form of the answer.
        crm.answer(CrmAnswer::Json(json!({"personal_manager_internal_phone": 1002, "name": "x"}), Duration::ZERO));
        carrier_call(&calls, "07700900007").await.assert_ok();
        manager.finish().await.assert_ok();
        assert_eq!(crm.asked(), vec![("POST".to_owned(), "07700900007".to_owned())], "POST {{\"phone\": ...}}");
        answered_by(&pbx, "07700900007", "1002").await;
    }
}

/// A carrier on 127.0.0.2 that challenges once, then answers; and the route `_0X.` to it.
async fn carrier_with_route(pbx: &SipPbx, label: &str) -> (Sipp, common::sipp::SippProcess) {
    let carrier = Sipp::new(label, "carrier_uas_auth.xml", pbx.sip, &pbx.ports)
        .ip(CARRIER)
        .key("trunkuser", TRUNK_USER)
        .key("trunkpass", TRUNK_PASSWORD)
        .timeout(Duration::from_secs(20));
    add_trunk(pbx, &format!("{CARRIER}:{}", carrier.sip_port())).await;
    let route = json!({"pkey": "national", "cluster": "default", "dialplan": "999 _0X.", "path1": "carrier1"});
    server(pbx).post_json("routes", &route).await.expect(200);
    let mut process = carrier.spawn();
    process.ready().await;
    (carrier, process)
}

/// Asserts the carrier was challenged once, then got an INVITE for `number` with credentials.
fn assert_authorised_invite(carrier: &common::sipp::SippRun, number: &str, port: u16) {
    carrier.assert_ok();
    let invites: Vec<_> = carrier.received().filter(|m| m.method() == Some("INVITE")).collect();
    assert_eq!(invites.len(), 2, "{}", carrier.flow());
    assert!(invites[0].header("Authorization").is_none(), "{}", invites[0].text);
    let authorization = invites[1].header("Authorization").unwrap_or_default();
    assert!(authorization.contains(&format!("username=\"{TRUNK_USER}\"")), "{authorization}");
    assert!(authorization.contains("qop=auth"), "{authorization}");
    assert_eq!(invites[1].first_line(), format!("INVITE sip:{number}@{CARRIER}:{port} SIP/2.0"));
    assert_eq!(invites[0].header("Call-ID"), invites[1].header("Call-ID"), "the same call, sent again");
    assert!(invites[1].header("CSeq").is_some_and(|c| c.starts_with("2 ")), "{}", invites[1].text);
    let from = invites[1].header("From").unwrap_or_default();
    assert!(from.contains("sip:442071239999@"), "the trunk's caller id is presented: {from}");
}

#[tokio::test]
async fn an_extension_calls_out_through_the_route_and_answers_the_carriers_challenge() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let pbx = SipPbx::start(backend, &["1001"]).await;
        let (sipp, carrier) = carrier_with_route(&pbx, "out-carrier").await;
        let phone = caller(&pbx, "1001", "02079460000", "out-phone", "uac_call.xml").run().await;
        let carrier = carrier.finish().await;
        phone.assert_ok();
        assert_authorised_invite(&carrier, "02079460000", sipp.sip_port());
        if let Some(cdr) = pbx.assert_one_cdr("1001", "02079460000", "ANSWERED").await {
            assert_eq!(cdr["lastdata"], json!("PJSIP/02079460000@carrier1"), "{cdr}");
            assert!(cdr["dstchannel"].as_str().is_some_and(|c| c.starts_with("PJSIP/carrier1-")), "{cdr}");
        }
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn click_to_call_reaches_an_external_number_through_the_route() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let pbx = SipPbx::start(backend, &["1001"]).await;
        let (sipp, carrier) = carrier_with_route(&pbx, "c2c-carrier").await;
        let operator =
            Sipp::new("c2c-operator", "uas_answer_hangup.xml", pbx.sip, &pbx.ports).timeout(Duration::from_secs(20));
        let (_, operator) = registered(&pbx, "1001", "c2c-operator", operator).await;
        let server = server(&pbx);
        let crm = server.crm_addr().await;
        let response = reqwest::Client::new()
            .post(format!("http://{crm}/"))
            .bearer_auth(&server.token)
            .json(&json!({"operator": "1001", "phone": "02079460001"}))
            .send()
            .await
            .expect("click-to-call");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!((status, &body["result"]), (200, &json!(0)), "{body}");
        let (operator, carrier) = (operator.finish().await, carrier.finish().await);
        operator.assert_ok();
        assert_authorised_invite(&carrier, "02079460001", sipp.sip_port());
        if let Some(cdr) = pbx.assert_one_cdr("1001", "02079460001", "ANSWERED").await {
            assert_eq!(cdr["lastdata"], json!("PJSIP/02079460001@carrier1"), "{cdr}");
        }
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn an_ari_application_originates_through_a_trunk_and_answers_its_challenge() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("trunk-ari");
    let config = common::ari::ari_config(&dir);
    let pbx = SipPbx::start_with(Backend::Sqlite, &["1001"], &["--config", &config]).await;
    let carrier = Sipp::new("ari-carrier", "carrier_uas_auth.xml", pbx.sip, &pbx.ports)
        .ip(CARRIER)
        .key("trunkuser", TRUNK_USER)
        .key("trunkpass", TRUNK_PASSWORD)
        .timeout(Duration::from_secs(20));
    add_trunk(&pbx, &format!("{CARRIER}:{}", carrier.sip_port())).await;
    let mut process = carrier.spawn();
    process.ready().await;
    let server = server(&pbx);
    let url = format!("{}/ari/events?app=out&api_key=app:s3cret", server.base.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("events socket");

    // As Asterisk's PJSIP/<number>@<endpoint>: the carrier challenges, the PBX answers with
    // the trunk's login, the carrier answers the call, which enters the application.
    let created = server
        .send(common::ari::ari(server, Method::POST, "channels?endpoint=PJSIP/02079460000@carrier1&app=out"))
        .await;
    created.expect(200);
    let id = created.json["id"].as_str().expect("channel id").to_owned();
    assert_eq!(created.json["caller"]["number"], "442071239999", "the trunk's caller id: {}", created.text);
    let start = loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("StasisStart within 10 s")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(text) = frame {
            let event: Value = serde_json::from_str(&text).expect("json");
            if event["type"] == "StasisStart" {
                break event;
            }
        }
    };
    assert_eq!((start["channel"]["id"].as_str(), start["channel"]["state"].as_str()), (Some(id.as_str()), Some("Up")));
    assert!(start["channel"]["name"].as_str().is_some_and(|n| n.starts_with("PJSIP/carrier1-")), "{start}");
    server.send(common::ari::ari(server, Method::DELETE, &format!("channels/{id}"))).await.expect(204);
    let carrier_run = process.finish().await;
    assert_authorised_invite(&carrier_run, "02079460000", carrier.sip_port());
    let unknown =
        server.send(common::ari::ari(server, Method::POST, "channels?endpoint=PJSIP/0207@nowhere&app=out")).await;
    unknown.expect(400);
}
