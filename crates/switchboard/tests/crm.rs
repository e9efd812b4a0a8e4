//! The CRM bridge (salara's JSON API on its own port) against the real binary, with SIPp
//! phones: credentials, the status queries as phones register, ring and hang up, text
//! messages reaching a phone, and the errors for what cannot be read.

mod common;

use common::sipp::{callee, caller, require_tool, SipPbx};
use common::{backends, create_acme};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// A client of the CRM bridge.
struct Crm {
    addr: SocketAddr,
    client: reqwest::Client,
}

impl Crm {
    async fn of(pbx: &SipPbx) -> Crm {
        let server = pbx.server.as_ref().expect("switchboard, not the anchor");
        Crm { addr: server.crm_addr().await, client: reqwest::Client::new() }
    }

    /// A PBX with `extensions` on `backend`, its CRM bridge, and the admin token.
    async fn start(backend: common::Backend, extensions: &[&str]) -> (SipPbx, Crm, String) {
        let pbx = SipPbx::start(backend, extensions).await;
        let crm = Crm::of(&pbx).await;
        let token = pbx.server.as_ref().map(|server| server.token.clone()).unwrap_or_default();
        (pbx, crm, token)
    }

    /// POSTs `body` as JSON with `token` (if any); answers the status and the JSON reply.
    async fn post(&self, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.client.post(format!("http://{}/", self.addr)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        reply(request.send().await.expect("CRM request")).await
    }

    /// Sends `request` (built on this bridge's base URL) with `token`.
    async fn send(
        &self,
        token: &str,
        build: impl FnOnce(&reqwest::Client, String) -> reqwest::RequestBuilder,
    ) -> (u16, Value) {
        let request = build(&self.client, format!("http://{}", self.addr)).bearer_auth(token);
        reply(request.send().await.expect("CRM request")).await
    }

    /// Asks for `query` until the reply's `text` is `text` (the state follows SIP a few
    /// milliseconds late), then answers the reply.
    async fn until_text(&self, token: &str, query: &Value, text: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let (_, body) = self.post(Some(token), query).await;
            if body["text"] == text || Instant::now() > deadline {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn reply(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text:?}")))
}

#[tokio::test]
async fn states_follow_registration_and_calls() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let (pbx, crm, token) = Crm::start(backend, &["1001", "1002"]).await;
        let token = token.as_str();

        assert_eq!(
            crm.post(Some(token), &json!({"exten": "1002"})).await,
            (200, json!({"result": 4, "text": "Unavailable"}))
        );
        assert_eq!(
            crm.post(Some(token), &json!({"peer": "1002"})).await,
            (200, json!({"result": 0, "text": "Unreachable"}))
        );
        assert_eq!(
            crm.post(Some(token), &json!({"exten": "1999"})).await,
            (404, json!({"result": -1, "text": "Unknown"}))
        );
        let (status, body) = crm.post(Some(token), &json!({"chan": "PJSIP/1002-00000000"})).await;
        assert_eq!((status, &body["text"]), (404, &json!("Channel not present")), "{body}");

        let (_, callee) = callee(&pbx, "1002", "crm-callee", "uas_ring_until_cancel.xml", &[]).await;
        assert_eq!(crm.post(Some(token), &json!({"exten": 1002})).await, (200, json!({"result": 0, "text": "Idle"})));
        assert_eq!(
            crm.post(Some(token), &json!({"peer": "1002"})).await,
            (200, json!({"result": 0, "text": "Reachable"}))
        );

        // The caller cancels one second after the 180: long enough to see both sides.
        let caller = caller(&pbx, "1001", "1002", "crm-caller", "uac_cancel.xml").spawn();
        let ringing = crm.until_text(token, &json!({"exten": "1002"}), "Ringing").await;
        assert_eq!(ringing, json!({"result": 8, "text": "Ringing"}));
        assert_eq!(crm.post(Some(token), &json!({"exten": "1001"})).await.1, json!({"result": 1, "text": "InUse"}));
        let caller = caller.finish().await;
        let callee = callee.finish().await;
        assert!(caller.status.success() && callee.status.success(), "{}\n{}", caller.report(), callee.report());
        let idle = crm.until_text(token, &json!({"exten": "1002"}), "Idle").await;
        assert_eq!(idle, json!({"result": 0, "text": "Idle"}));
        let (_, body) = crm.post(Some(token), &json!({"exten": "1001"})).await;
        assert_eq!(body["text"], "Unavailable", "the caller never registered: {body}");
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn hold_is_forwarded_and_shows_in_the_holders_state() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let (pbx, crm, token) = Crm::start(backend, &["1001", "1002"]).await;
        let token = token.as_str();
        let (_, callee) = callee(&pbx, "1002", "hold-callee", "uas_answer_hold.xml", &[]).await;
        let caller = caller(&pbx, "1001", "1002", "hold-caller", "uac_hold.xml").spawn();
        // The caller holds for 1.5 s: its phone is on hold, the callee's is still in a call.
        assert_eq!(
            crm.until_text(token, &json!({"exten": "1001"}), "Hold").await,
            json!({"result": 16, "text": "Hold"})
        );
        assert_eq!(crm.post(Some(token), &json!({"exten": "1002"})).await.1, json!({"result": 1, "text": "InUse"}));
        let back = crm.until_text(token, &json!({"exten": "1001"}), "InUse").await;
        assert_eq!(back, json!({"result": 1, "text": "InUse"}), "taken off hold");
        let (caller, callee) = (caller.finish().await, callee.finish().await);
        // Each side checked the direction it was offered or answered (sendonly/recvonly,
        // then sendrecv): both scenarios pass only if the re-INVITEs crossed intact.
        assert!(caller.status.success() && callee.status.success(), "{}\n{}", caller.report(), callee.report());
        assert_eq!(callee.received_requests(), ["INVITE", "ACK", "INVITE", "ACK", "INVITE", "ACK", "BYE"]);
        pbx.assert_one_cdr("1001", "1002", "ANSWERED").await;
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn a_text_message_reaches_the_operators_phone() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let (pbx, crm, token) = Crm::start(backend, &["1001", "1002"]).await;
        let server = pbx.server.as_ref().expect("switchboard");
        let token = token.as_str();

        // Nobody registered: the message cannot go anywhere, and the reply says so.
        let (status, body) = crm.post(Some(token), &json!({"operator": "1002", "phone": "1001", "msg": "hi"})).await;
        assert_eq!((status, &body["text"]), (409, &json!("Unavailable")), "{body}");

        let (_, operator) = callee(&pbx, "1002", "crm-message", "uas_message.xml", &[]).await;
        let (status, body) = crm
            .send(token, |client, base| {
                // salara's form, URL-encoded as a real client does.
                client.post(format!("{base}/")).body("operator=1002&phone=1001&msg=call%20me%20back")
            })
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, json!({"result": 0, "text": "Idle", "delivered": 1}));
        let run = operator.finish().await;
        assert!(run.status.success(), "{}", run.report());
        let message = run.request("MESSAGE");
        assert!(message.text.contains("call me back"), "{}", message.text);
        assert!(message.headers("From").iter().any(|from| from.contains("sip:1001@")), "{}", message.text);
        assert!(message.headers("Content-Type").iter().any(|ct| ct.starts_with("text/plain")), "{}", message.text);

        // A read-only key may ask, not act; a key of another tenant sees nothing.
        let reader = server.create_key(&["--role", "readonly", "--label", "crm reader"]).await;
        let (status, _) = crm.post(Some(&reader), &json!({"operator": "1002", "phone": "1001", "msg": "x"})).await;
        assert_eq!(status, 403);
        assert_eq!(crm.post(Some(&reader), &json!({"peer": "1002"})).await.0, 200);
        create_acme(&server.api).await;
        let acme = server.create_key(&["--role", "admin", "--tenant", "acme"]).await;
        assert_eq!(
            crm.post(Some(&acme), &json!({"exten": "1002"})).await,
            (404, json!({"result": -1, "text": "Unknown"}))
        );
    }
}

#[tokio::test]
async fn click_to_call_rings_the_operator_then_connects_the_number() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let (pbx, crm, token) = Crm::start(backend, &["1001", "1002"]).await;
        let token = token.as_str();
        // The operator answers, talks for a second and hangs up; the number answers and waits.
        let (_, operator) = callee(&pbx, "1001", "c2c-operator", "uas_answer_hangup.xml", &[]).await;
        let (_, phone) = callee(&pbx, "1002", "c2c-phone", "uas_answer.xml", &[]).await;

        let (status, body) = crm.post(Some(token), &json!({"operator": "1001", "phone": "1999"})).await;
        assert_eq!((status, &body["message"]), (404, &json!("no route to 1999; no call was placed")), "{body}");

        let (status, body) = crm.post(Some(token), &json!({"operator": "1001", "phone": "1002"})).await;
        assert_eq!((status, &body["result"], &body["text"]), (200, &json!(0), &json!("Idle")), "{body}");
        let call = body["call"].as_str().expect("a call id").to_owned();
        let channel = body["channel"].as_str().expect("the operator's channel").to_owned();
        assert!(channel.starts_with("PJSIP/1001-"), "{body}");
        // While both talk, the operator's channel is up and both phones are in use.
        let up = crm.until_text(token, &json!({"chan": channel}), "UP").await;
        assert_eq!(up, json!({"result": 6, "text": "UP"}));
        let busy = crm.until_text(token, &json!({"exten": "1002"}), "InUse").await;
        assert_eq!(busy, json!({"result": 1, "text": "InUse"}));
        // A second click-to-call to the same operator now gets the busy code.
        let (status, body) = crm.post(Some(token), &json!({"operator": "1001", "phone": "1002"})).await;
        assert_eq!((status, &body["result"], &body["text"]), (409, &json!(1), &json!("InUse")), "{body}");

        let (operator, phone) = (operator.finish().await, phone.finish().await);
        assert!(operator.status.success() && phone.status.success(), "{}\n{}", operator.report(), phone.report());
        // The operator's phone shows whom it is connected to; the number sees the operator,
        // and is offered what the operator's phone answered (PCMA alone), so media flows as is.
        let to_operator = operator.request("INVITE");
        assert!(to_operator.headers("From").iter().any(|from| from.contains("sip:1002@")), "{}", to_operator.text);
        let to_phone = phone.request("INVITE");
        assert!(to_phone.headers("From").iter().any(|from| from.contains("sip:1001@")), "{}", to_phone.text);
        assert!(to_phone.text.contains("RTP/AVP 8\r\n") || to_phone.text.contains("RTP/AVP 8\n"), "{}", to_phone.text);
        assert_eq!(phone.received_requests(), ["INVITE", "ACK", "BYE"], "the operator's hang-up reaches the number");

        if let Some(cdr) = pbx.assert_one_cdr("1001", "1002", "ANSWERED").await {
            assert_eq!(cdr["uniqueid"], json!(call), "{cdr}");
            assert_eq!(cdr["channel"], json!(channel), "{cdr}");
            assert!(cdr["dstchannel"].as_str().is_some_and(|c| c.starts_with("PJSIP/1002-")), "{cdr}");
        }
        let (status, _) = crm.post(Some(token), &json!({"chan": channel})).await;
        assert_eq!(status, 404, "the channel is gone once the call ended");
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn click_to_call_reports_an_operator_who_declines() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let (pbx, crm, token) = Crm::start(backend, &["1001", "1002"]).await;
        let token = token.as_str();
        let (_, operator) = callee(&pbx, "1001", "c2c-busy-operator", "uas_busy.xml", &[]).await;
        let (status, body) = crm.post(Some(token), &json!({"operator": "1001", "phone": "1002"})).await;
        assert_eq!(status, 200, "the operator was idle when asked: {body}");
        let run = operator.finish().await;
        assert!(run.status.success(), "{}", run.report());
        // The reply could not know; the CDR, found by the call id, says what happened.
        if let Some(cdr) = pbx.assert_one_cdr("1001", "1002", "BUSY").await {
            assert_eq!(cdr["uniqueid"], body["call"], "{cdr}");
            assert_eq!(cdr["dstchannel"], json!(""), "the number was never dialled: {cdr}");
        }
        pbx.assert_no_calls_left().await;
    }
}

/// Sends `bytes` on a fresh connection to `addr` and answers the status of the reply, or
/// `None` if the server closed the connection without one.
async fn raw_status(addr: SocketAddr, bytes: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("send");
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut reply))
        .await
        .expect("an answer or a close");
    let text = String::from_utf8_lossy(&reply);
    text.strip_prefix("HTTP/1.1 ").and_then(|rest| rest.get(..3)).and_then(|code| code.parse().ok())
}

#[tokio::test]
async fn slow_and_malformed_clients_do_not_disturb_a_call_in_progress() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let (pbx, crm, token) = Crm::start(backend, &["1001", "1002"]).await;
        let token = token.as_str();
        // A 2.5 s call with RTP from a capture.
        let (_, callee) = callee(&pbx, "1002", "storm-callee", "uas_answer.xml", &[]).await;
        let caller = caller(&pbx, "1001", "1002", "storm-caller", "uac_call.xml").spawn();
        assert_eq!(crm.until_text(token, &json!({"exten": "1002"}), "InUse").await["text"], "InUse");

        // 200 clients start a request and never finish it (slowloris)...
        let mut slow = Vec::new();
        for _ in 0..200 {
            let mut stream = TcpStream::connect(crm.addr).await.expect("connect");
            stream.write_all(b"POST / HTTP/1.1\r\nHost: crm\r\nX-Slow: ").await.expect("send");
            slow.push(stream);
        }
        // ...others send what is not HTTP, or lies about its body: each gets an error or a close.
        let malformed: [(&[u8], Option<u16>); 5] = [
            (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", Some(400)),
            (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n12345", Some(400)),
            (
                b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\nContent-Length: 99999999999\r\n\r\n",
                Some(401),
            ),
            (
                b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer TOKEN\r\nContent-Length: 99999999999\r\n\r\n",
                Some(413),
            ),
            (b"GET /exten=1002 HTTP/1.1\r\nHost: x\r\nX: \xff\xfe\r\nConnection: close\r\n\r\n", Some(401)),
        ];
        for (bytes, expected) in malformed {
            let bytes = String::from_utf8_lossy(bytes).replace("TOKEN", token).into_bytes();
            assert_eq!(raw_status(crm.addr, &bytes).await, expected, "{}", String::from_utf8_lossy(&bytes));
        }
        let huge = format!(r#"{{"exten":"{}"}}"#, "1".repeat(256 * 1024));
        assert_eq!(crm.send(token, |c, base| c.post(format!("{base}/")).body(huge)).await.0, 413);
        // Meanwhile an honest client is answered, and the call goes on to its end untouched.
        assert_eq!(crm.post(Some(token), &json!({"exten": "1001"})).await.1, json!({"result": 1, "text": "InUse"}));
        let (caller, callee) = (caller.finish().await, callee.finish().await);
        assert!(caller.status.success() && callee.status.success(), "{}\n{}", caller.report(), callee.report());
        pbx.assert_one_cdr("1001", "1002", "ANSWERED").await;

        // The slow clients are cut off at the request-head deadline (10 s), not kept forever.
        for mut stream in slow {
            let mut reply = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut reply)).await;
            assert!(read.is_ok(), "a slow client was still connected 15 s later");
        }
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn bad_requests_get_clear_errors() {
    for backend in backends() {
        let (pbx, crm, token) = Crm::start(backend, &["1001"]).await;
        let token = token.as_str();

        let (status, body) = crm.post(None, &json!({"exten": "1001"})).await;
        assert_eq!((status, &body["result"]), (401, &json!(-2)), "{body}");
        assert_eq!(crm.post(Some("sb_nope.nope"), &json!({"exten": "1001"})).await.0, 401);

        // salara's GET form, the fields in the path; and in a query string.
        assert_eq!(crm.send(token, |c, base| c.get(format!("{base}/exten=1001"))).await.1["text"], "Unavailable");
        assert_eq!(crm.send(token, |c, base| c.get(format!("{base}/status?peer=1001"))).await.1["text"], "Unreachable");

        let cases: [(&str, &str); 5] = [
            ("{", "the body is neither a JSON object nor form fields"),
            (r#"{"exten":["1001"]}"#, "exten must be a non-empty string or integer"),
            (r#"{"operator":"1001"}"#, "phone is required"),
            (r#"{"exten":"1001\r\nX: y"}"#, "exten holds characters not allowed there"),
            (r#"{"nothing":"here"}"#, "nothing to do: give operator (with phone), exten, peer or chan"),
        ];
        for (body, message) in cases {
            let (status, reply) = crm
                .send(token, |c, base| c.post(format!("{base}/")).header("content-type", "application/json").body(body))
                .await;
            assert_eq!((status, reply), (400, json!({"result": -2, "text": "Error", "message": message})), "{body}");
        }
        let huge = format!(r#"{{"operator":"1001","phone":"1","msg":"{}"}}"#, "x".repeat(64 * 1024));
        let (status, body) = crm.send(token, |c, base| c.post(format!("{base}/")).body(huge)).await;
        assert_eq!((status, &body["result"]), (413, &json!(-2)), "{body}");
        // An operator with no phone cannot be rung: its state, and nothing placed.
        let (status, body) = crm.post(Some(token), &json!({"operator": "1001", "phone": "1001"})).await;
        assert_eq!((status, &body["result"], &body["text"]), (409, &json!(4), &json!("Unavailable")), "{body}");
        pbx.assert_no_calls_left().await;
    }
}
