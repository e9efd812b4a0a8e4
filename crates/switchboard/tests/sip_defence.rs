//! The SIP side under bad input and attack: garbage, unknown and out-of-dialog methods,
//! unauthenticated requests, wrong passwords until the address is banned, and floods that
//! must not grow memory. Raw UDP on purpose: these are the messages no polite peer sends.

mod common;

use common::{Backend, Server};
use sb_sip::auth::digest::{self, Algorithm, QopInputs};
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::UdpSocket;

/// A bare UDP SIP client.
struct Raw {
    socket: UdpSocket,
    pbx: SocketAddr,
    seq: std::cell::Cell<u32>,
}

impl Raw {
    async fn new(pbx: SocketAddr) -> Raw {
        Raw { socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(), pbx, seq: std::cell::Cell::new(0) }
    }

    fn local(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    async fn send_bytes(&self, bytes: &[u8]) {
        self.socket.send_to(bytes, self.pbx).await.unwrap();
    }

    /// The next final response (provisional ones skipped), or `None` after `wait`.
    async fn final_response(&self, wait: Duration) -> Option<String> {
        let mut buf = vec![0u8; 65_536];
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let (n, _) = tokio::time::timeout_at(deadline, self.socket.recv_from(&mut buf)).await.ok()?.ok()?;
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if !text.starts_with("SIP/2.0 1") {
                return Some(text);
            }
        }
    }

    /// A request from `user` with the headers every request needs, plus `extra`.
    fn request(&self, method: &str, uri: &str, user: &str, to_tag: Option<&str>, extra: &str, body: &str) -> String {
        let seq = self.seq.get() + 1;
        self.seq.set(seq);
        let local = self.local();
        let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
        format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{:x}{};rport\r\nFrom: <sip:{user}@{pbx}>;tag=t{}\r\nTo: <sip:{user}@{pbx}>{to_tag}\r\nCall-ID: raw-{}-{}@test\r\nCSeq: {} {method}\r\nContact: <sip:{user}@{local}>\r\nMax-Forwards: 70\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            rand_u64(),
            seq,
            seq,
            local.port(),
            seq,
            seq,
            body.len(),
            pbx = self.pbx,
        )
    }

    async fn ask(&self, message: String) -> String {
        self.send_bytes(message.as_bytes()).await;
        self.final_response(Duration::from_secs(5)).await.unwrap_or_else(|| panic!("no answer to:\n{message}"))
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(42);
    h.finish()
}

fn status(response: &str) -> u16 {
    response.get(8..11).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn header<'a>(response: &'a str, name: &str) -> Vec<&'a str> {
    response
        .lines()
        .filter_map(|l| l.split_once(':').filter(|(n, _)| n.trim().eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
        .collect()
}

fn param<'a>(challenge: &'a str, name: &str) -> Option<&'a str> {
    challenge.split([',', ' ']).find_map(|p| p.trim().strip_prefix(&format!("{name}=")).map(|v| v.trim_matches('"')))
}

/// The Authorization value answering an MD5 `challenge` for `method` on `uri`.
fn credentials(challenge: &str, user: &str, password: &str, method: &str, uri: &str) -> String {
    let realm = param(challenge, "realm").unwrap();
    let nonce = param(challenge, "nonce").unwrap();
    let ha1 = digest::ha1(Algorithm::Md5, user, realm, password);
    let ha2 = digest::ha2(Algorithm::Md5, method, uri);
    let response = digest::request_digest(Algorithm::Md5, &ha1, nonce, Some(QopInputs { nc: "00000001", cnonce: "abcdef", qop: "auth" }), &ha2);
    format!("Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"abcdef\"")
}

async fn server_with_extension(args: &[&str]) -> (Server, SocketAddr) {
    let server = Server::start_with(Backend::Sqlite, args).await;
    let sip = server.sip_addr().await;
    for ext in ["1001", "1002"] {
        server
            .post_json("extensions/unprovisioned", &json!({"pkey": ext, "cluster": "default", "passwd": format!("secret-{ext}-secret")}))
            .await
            .expect(200);
    }
    (server, sip)
}

async fn metric(server: &Server, name: &str) -> f64 {
    let text = server.get("/metrics").await;
    let body = text.text.clone();
    body.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("metric {name} missing in:\n{body}"))
}

#[tokio::test]
async fn garbage_unknown_and_out_of_dialog_requests_get_the_right_answers() {
    let (server, sip) = server_with_extension(&[]).await;
    let raw = Raw::new(sip).await;
    let uri = format!("sip:1002@{sip}");

    // Noise is dropped; a request that cannot parse gets 400.
    raw.send_bytes(b"\x00\x01garbage\r\n\r\n").await;
    let local = raw.local();
    let malformed = format!("INVITE sip:1002@{sip} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKbad1\r\nFrom: <sip:1001@x>;tag=1\r\nTo: <sip:1002@x>\r\nCall-ID: bad@x\r\nCSeq: notanumber INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
    raw.send_bytes(malformed.as_bytes()).await;
    let bad = raw.final_response(Duration::from_secs(2)).await.expect("a 400 for the malformed INVITE");
    assert_eq!(status(&bad), 400, "{bad}");

    let options = raw.ask(raw.request("OPTIONS", &uri, "1001", None, "", "")).await;
    assert_eq!(status(&options), 200, "{options}");
    assert!(header(&options, "Allow").iter().any(|a| a.contains("INVITE") && a.contains("REGISTER")), "{options}");

    let unknown = raw.ask(raw.request("FROBNICATE", &uri, "1001", None, "", "")).await;
    assert_eq!(status(&unknown), 501, "{unknown}");
    let subscribe = raw.ask(raw.request("SUBSCRIBE", &uri, "1001", None, "Event: presence\r\n", "")).await;
    assert_eq!(status(&subscribe), 405, "{subscribe}");
    assert!(!header(&subscribe, "Allow").is_empty(), "{subscribe}");
    let bye = raw.ask(raw.request("BYE", &uri, "1001", Some("nosuchdialog"), "", "")).await;
    assert_eq!(status(&bye), 481, "{bye}");
    let unsupported = raw.ask(raw.request("OPTIONS", &uri, "1001", None, "Require: frobnication\r\n", "")).await;
    assert_eq!(status(&unsupported), 420, "{unsupported}");

    // No credentials: challenged, with MD5 only by default.
    let register = raw.ask(raw.request("REGISTER", &format!("sip:{sip}"), "1001", None, "", "")).await;
    assert_eq!(status(&register), 401, "{register}");
    let challenges = header(&register, "WWW-Authenticate");
    assert_eq!(challenges.len(), 1, "{register}");
    assert!(challenges[0].contains("algorithm=MD5"), "{register}");
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let invite = raw.request("INVITE", &uri, "1001", None, "Content-Type: application/sdp\r\n", sdp);
    let challenged = raw.ask(invite).await;
    assert_eq!(status(&challenged), 407, "{challenged}");
    assert!(!header(&challenged, "Proxy-Authenticate").is_empty(), "{challenged}");
    drop(server);
}

#[tokio::test]
async fn calls_to_unknown_and_unregistered_numbers_fail_cleanly_with_a_cdr() {
    let (server, sip) = server_with_extension(&[]).await;
    let raw = Raw::new(sip).await;
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    for (number, expected, disposition) in [("9999", 404, "FAILED"), ("1002", 480, "NO ANSWER")] {
        let uri = format!("sip:{number}@{sip}");
        let first = raw.ask(raw.request("INVITE", &uri, "1001", None, "Content-Type: application/sdp\r\n", sdp)).await;
        assert_eq!(status(&first), 407, "{first}");
        let challenge = header(&first, "Proxy-Authenticate").into_iter().find(|c| c.contains("MD5")).unwrap().to_owned();
        let auth = credentials(&challenge, "1001", "secret-1001-secret", "INVITE", &uri);
        let second = raw.ask(raw.request("INVITE", &uri, "1001", None, &format!("Proxy-Authorization: {auth}\r\nContent-Type: application/sdp\r\n"), sdp)).await;
        assert_eq!(status(&second), expected, "{second}");
        // The CDR is written as the call ends, just after the final response.
        let mut cdrs = Vec::new();
        for _ in 0..100 {
            cdrs = server.get("logs/cdrs/1").await.expect(200).array().clone();
            if cdrs.first().is_some_and(|c| c["dst"] == number) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(cdrs[0]["dst"], number);
        assert_eq!(cdrs[0]["src"], "1001");
        assert_eq!(cdrs[0]["disposition"], disposition);
        assert_eq!(cdrs[0]["billsec"], 0);
    }
    // An INVITE without SDP is refused plainly rather than half-handled.
    let uri = format!("sip:1002@{sip}");
    let first = raw.ask(raw.request("INVITE", &uri, "1001", None, "", "")).await;
    let challenge = header(&first, "Proxy-Authenticate").into_iter().find(|c| c.contains("MD5")).unwrap().to_owned();
    let auth = credentials(&challenge, "1001", "secret-1001-secret", "INVITE", &uri);
    let offerless = raw.ask(raw.request("INVITE", &uri, "1001", None, &format!("Proxy-Authorization: {auth}\r\n"), "")).await;
    assert_eq!(status(&offerless), 488, "{offerless}");
}

#[tokio::test]
async fn repeated_wrong_passwords_get_the_address_banned() {
    let root = common::TempDir::new("sip-ban");
    let config = root.path().join("switchboard.toml");
    std::fs::write(&config, "[sip_auth]\nalgorithms = [\"SHA-256\", \"MD5\"]\nmax_failures = 3\nwindow_secs = 60\nban_secs = 60\n").unwrap();
    let (server, sip) = server_with_extension(&["--config", config.to_str().unwrap()]).await;
    let raw = Raw::new(sip).await;
    let uri = format!("sip:{sip}");
    let attempt = |raw: &Raw, password: &'static str, challenge: Option<String>| {
        let extra = challenge.map(|c| format!("Authorization: {}\r\n", credentials(&c, "1001", password, "REGISTER", &uri))).unwrap_or_default();
        raw.request("REGISTER", &uri, "1001", None, &extra, "")
    };
    for _ in 0..3 {
        let challenged = raw.ask(attempt(&raw, "", None)).await;
        assert_eq!(status(&challenged), 401, "{challenged}");
        // Configured: SHA-256 first (RFC 8760), then MD5.
        let offered = header(&challenged, "WWW-Authenticate");
        assert!(offered.len() == 2 && offered[0].contains("algorithm=SHA-256") && offered[1].contains("algorithm=MD5"), "{challenged}");
        let challenge = header(&challenged, "WWW-Authenticate").into_iter().find(|c| c.contains("MD5")).unwrap().to_owned();
        let refused = raw.ask(attempt(&raw, "wrong-password-here", Some(challenge))).await;
        assert_eq!(status(&refused), 403, "{refused}");
    }
    // Banned now: even the right password is refused, and no challenge is offered.
    let challenged = raw.ask(attempt(&raw, "", None)).await;
    assert_eq!(status(&challenged), 403, "banned addresses get no challenge: {challenged}");
    assert_eq!(metric(&server, "switchboard_sip_auth_failures_total").await, 3.0);
    assert_eq!(metric(&server, "switchboard_sip_bans_total").await, 1.0);
    assert_eq!(metric(&server, "switchboard_sip_registrations").await, 0.0);
}

#[tokio::test]
async fn a_flood_of_garbage_and_requests_does_not_grow_memory() {
    let (server, sip) = server_with_extension(&[]).await;
    let raw = Raw::new(sip).await;
    let before = metric(&server, "process_resident_memory_bytes").await;
    // 20,000 datagrams of junk, then 5,000 requests with fresh branches (each a transaction
    // lingering for Timer J), sent as fast as the socket takes them.
    let mut junk = vec![0u8; 600];
    for i in 0..20_000u32 {
        junk[..4].copy_from_slice(&i.to_be_bytes());
        raw.send_bytes(&junk).await;
    }
    let uri = format!("sip:1002@{sip}");
    for _ in 0..5_000 {
        let options = raw.request("OPTIONS", &uri, "1001", None, "", "");
        raw.send_bytes(options.as_bytes()).await;
    }
    // The server still answers, and what it holds is bounded.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let probe = Raw::new(sip).await;
    let alive = probe.ask(probe.request("OPTIONS", &uri, "1001", None, "", "")).await;
    assert_eq!(status(&alive), 200);
    let transactions = metric(&server, "switchboard_sip_transactions").await;
    assert!(transactions <= 5_001.0, "transactions {transactions}");
    let after = metric(&server, "process_resident_memory_bytes").await;
    assert!(after - before < 64.0 * 1024.0 * 1024.0, "RSS grew from {before} to {after}");
}
