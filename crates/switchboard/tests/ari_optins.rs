//! ARI's opt-ins beyond Asterisk through the real binary: users confined to applications
//! (`[ari.users.NAME] applications`), the provisioning API's keys on ARI (`[ari]
//! api_keys`), and event sequence numbers with replay on reconnection (`[ari]
//! event_replay_seconds`). The calls are SIPp phones dialling the demo's 700 →
//! `Stasis(demo)` (`--demo`).

mod common;

use common::ari::assert_error;
use common::sipp::{caller, require_tool, SipPbx};
use common::{Backend, Resp, Server, TempDir};
use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::{self, Message};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Users `app` (every application), `demo` (only `demo`) and `sales` (only `sales`); API
/// keys accepted; 30 s of event replay.
const CONFIG: &str = "[ari]\napi_keys = true\nevent_replay_seconds = 30\n\
    [ari.users.app]\npassword = \"s3cret\"\n\
    [ari.users.demo]\npassword = \"d-pass\"\napplications = [\"demo\"]\n\
    [ari.users.sales]\npassword = \"s-pass\"\napplications = [\"sales\"]\n";

/// The number `--demo` hands to application `demo`.
const DEMO_STASIS: &str = "700";

/// Who an ARI request comes from.
#[derive(Clone, Copy)]
enum Who<'a> {
    /// An ARI user and password, as HTTP Basic.
    User(&'a str, &'a str),
    /// A provisioning API key, as a bearer token.
    Key(&'a str),
}

impl Who<'_> {
    /// The credential as `?api_key=` carries it (`user:password` or the key).
    fn api_key(self) -> String {
        match self {
            Who::User(user, password) => format!("{user}:{password}"),
            Who::Key(token) => token.to_owned(),
        }
    }
}

fn write_config(dir: &TempDir, text: &str) -> String {
    let path = dir.path().join("switchboard.toml");
    std::fs::write(&path, text).expect("config");
    path.to_str().expect("utf-8 path").to_owned()
}

/// An ARI request as `who`.
async fn ari(server: &Server, who: Who<'_>, method: Method, path: &str) -> Resp {
    let builder = server.client.request(method, server.url(&format!("/ari/{path}")));
    let builder = match who {
        Who::User(user, password) => builder.basic_auth(user, Some(password)),
        Who::Key(token) => builder.bearer_auth(token),
    };
    server.send(builder).await
}

/// One `/events` socket.
struct Events {
    socket: Socket,
    seen: Vec<Value>,
}

impl Events {
    /// Opens `/ari/events?QUERY`; the refusal's HTTP status when the handshake is refused.
    async fn open(server: &Server, query: &str) -> Result<Events, u16> {
        let url = format!("{}/ari/events?{query}", server.base.replace("http://", "ws://"));
        match tokio_tungstenite::connect_async(url).await {
            Ok((socket, _)) => Ok(Events { socket, seen: Vec::new() }),
            Err(tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
            Err(other) => panic!("events socket: {other}"),
        }
    }

    /// Opens a socket for `app` as `who` that must be accepted (`extra`: more query), and
    /// waits until ARI lists `app`.
    async fn connect(server: &Server, who: Who<'_>, app: &str, extra: &str) -> Events {
        let events = Events::open(server, &format!("app={app}&api_key={}{extra}", who.api_key()))
            .await
            .unwrap_or_else(|status| panic!("events socket for {app} refused with {status}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let listed = ari(server, who, Method::GET, &format!("applications/{app}")).await;
            if listed.status == 200 {
                return events;
            }
            assert!(Instant::now() < deadline, "application {app} never registered: {}", listed.text);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The next event; fails after 10 s.
    async fn next(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no event within 10 s; events so far: {:?}", self.types()))
                .expect("socket open")
                .expect("frame");
            if let Message::Text(text) = frame {
                let event: Value = serde_json::from_str(&text).expect("json event");
                self.seen.push(event.clone());
                return event;
            }
        }
    }

    /// The next event, which must be of type `kind`.
    async fn expect(&mut self, kind: &str) -> Value {
        let event = self.next().await;
        assert_eq!(event["type"], kind, "expected {kind}, got {event}; events so far: {:?}", self.types());
        event
    }

    fn types(&self) -> Vec<String> {
        self.seen.iter().map(|e| e["type"].as_str().unwrap_or_default().to_owned()).collect()
    }

    /// Closes the socket and waits until ARI no longer lists `app`.
    async fn close(mut self, server: &Server, app: &str) {
        self.socket.send(Message::Close(None)).await.expect("close frame");
        drop(self.socket);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let listed = ari(server, Who::User("app", "s3cret"), Method::GET, &format!("applications/{app}")).await;
            if listed.status == 404 {
                return;
            }
            assert!(Instant::now() < deadline, "application {app} still registered after its socket closed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Waits until ARI (seen by the unconfined user) holds no channel.
async fn no_channels_left(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listed = ari(server, Who::User("app", "s3cret"), Method::GET, "channels").await;
        if listed.expect(200).array().is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "channels left: {}", listed.text);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A call from 1001 into the demo's Stasis application, which the test answers and hangs up
/// (no digit sent).
fn stasis_call(pbx: &SipPbx, label: &str) -> common::sipp::SippProcess {
    caller(pbx, "1001", DEMO_STASIS, label, "uac_stasis_call.xml").arg("-set").arg("dtmf_after_ms").arg("0").spawn()
}

/// Waits until answered channel `id` receives the caller's audio: SIPp is then past its
/// answer steps and waiting for the BYE (one sent sooner would surprise it).
async fn caller_is_sending(server: &Server, who: Who<'_>, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stats = ari(server, who, Method::GET, &format!("channels/{id}/rtp_statistics")).await;
        if stats.expect(200)["rxcount"].as_i64().is_some_and(|n| n > 0) {
            return;
        }
        assert!(Instant::now() < deadline, "no audio from the caller: {}", stats.text);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The PBX with [`CONFIG`], the demo numbers and caller 1001 with a known password.
async fn pbx(dir: &TempDir) -> SipPbx {
    let config = write_config(dir, CONFIG);
    SipPbx::start_with(Backend::Sqlite, &["1001"], &["--demo", "--config", &config]).await
}

#[tokio::test]
async fn a_confined_user_sees_and_controls_only_its_applications_channels() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("ari-optins-scope");
    let pbx = pbx(&dir).await;
    let server = pbx.server.as_ref().expect("switchboard");
    let (demo, sales, admin) = (Who::User("demo", "d-pass"), Who::User("sales", "s-pass"), Who::User("app", "s3cret"));

    // Sockets: each for its own application only, and never for everything.
    assert_eq!(Events::open(server, "app=demo&api_key=sales:s-pass").await.err(), Some(403));
    assert_eq!(Events::open(server, "app=sales,demo&api_key=sales:s-pass").await.err(), Some(403));
    assert_eq!(Events::open(server, "app=sales&subscribeAll=true&api_key=sales:s-pass").await.err(), Some(403));
    let mut events = Events::connect(server, demo, "demo", "").await;
    let _sales_events = Events::connect(server, sales, "sales", "").await;

    let call = stasis_call(&pbx, "optins-caller");
    let start = events.expect("StasisStart").await;
    let id = start["channel"]["id"].as_str().expect("channel id").to_owned();

    // The channel: demo's and the unconfined user's to see, not sales'.
    assert_eq!(ari(server, demo, Method::GET, "channels").await.expect(200).array().len(), 1);
    assert_eq!(ari(server, admin, Method::GET, "channels").await.expect(200).array().len(), 1);
    assert!(ari(server, sales, Method::GET, "channels").await.expect(200).array().is_empty());
    for (method, path) in [
        (Method::GET, format!("channels/{id}")),
        (Method::POST, format!("channels/{id}/answer")),
        (Method::POST, format!("channels/{id}/play?media=sound:beep")),
        (Method::GET, format!("channels/{id}/variable?variable=CALLERID(num)")),
        (Method::DELETE, format!("channels/{id}")),
    ] {
        assert_error(&ari(server, sales, method.clone(), &path).await, 404, "Channel not found");
    }
    let sales_channel = "channels?endpoint=PJSIP/1001&app=demo";
    let refused = ari(server, sales, Method::POST, sales_channel).await;
    assert_error(&refused, 403, "Not allowed to use application demo");
    let dialplan = ari(server, sales, Method::POST, "channels?endpoint=PJSIP/1001&extension=1001").await;
    assert_eq!(dialplan.status, 403, "originating into the dialplan: {}", dialplan.text);
    let moved = ari(server, demo, Method::POST, &format!("channels/{id}/move?app=sales")).await;
    assert_error(&moved, 403, "Not allowed to use application sales");

    // Applications: only its own.
    let listed = ari(server, sales, Method::GET, "applications").await;
    assert_eq!(listed.expect(200).array().iter().map(|a| a["name"].clone()).collect::<Vec<_>>(), vec![json!("sales")]);
    assert_eq!(ari(server, admin, Method::GET, "applications").await.expect(200).array().len(), 2);
    let other_app = ari(server, sales, Method::GET, "applications/demo").await;
    assert_error(&other_app, 403, "Not allowed to use application demo");
    let subscribed = ari(server, sales, Method::POST, "applications/demo/subscription?eventSource=deviceState:x").await;
    assert_eq!(subscribed.status, 403, "{}", subscribed.text);
    let user_event = ari(server, sales, Method::POST, "events/user/ping?application=demo").await;
    assert_error(&user_event, 403, "Not allowed to use application demo");
    assert_eq!(ari(server, sales, Method::POST, "events/user/ping?application=sales").await.status, 204);

    // The node: readable, not changeable.
    assert_eq!(ari(server, sales, Method::GET, "asterisk/info").await.status, 200);
    assert_eq!(ari(server, sales, Method::POST, "asterisk/variable?variable=X&value=1").await.status, 403);
    assert_eq!(ari(server, admin, Method::POST, "asterisk/variable?variable=X&value=1").await.status, 204);

    // Bridges: one's own and those holding one's channels.
    let sales_bridge = ari(server, sales, Method::POST, "bridges/sales-bridge?type=mixing").await;
    assert_eq!(sales_bridge.expect(200)["id"], "sales-bridge");
    let demo_bridge = ari(server, demo, Method::POST, "bridges/demo-bridge?type=mixing").await;
    demo_bridge.expect(200);
    assert_eq!(
        ari(server, demo, Method::POST, &format!("bridges/demo-bridge/addChannel?channel={id}")).await.status,
        204
    );
    events.expect("ChannelEnteredBridge").await;
    let names = |resp: Resp| resp.expect(200).array().iter().map(|b| b["id"].clone()).collect::<Vec<_>>();
    assert_eq!(names(ari(server, sales, Method::GET, "bridges").await), vec![json!("sales-bridge")]);
    assert_eq!(names(ari(server, demo, Method::GET, "bridges").await), vec![json!("demo-bridge")]);
    assert_eq!(names(ari(server, admin, Method::GET, "bridges").await).len(), 2);
    assert_error(&ari(server, sales, Method::GET, "bridges/demo-bridge").await, 404, "Bridge not found");
    assert_error(&ari(server, demo, Method::DELETE, "bridges/sales-bridge").await, 404, "Bridge not found");
    let taken = ari(server, sales, Method::POST, &format!("bridges/sales-bridge/addChannel?channel={id}")).await;
    assert_error(&taken, 400, "Channel not found");
    assert_eq!(ari(server, sales, Method::DELETE, "bridges/sales-bridge").await.status, 204);

    // Demo's user runs its call: answers, hangs up.
    assert_eq!(ari(server, demo, Method::POST, &format!("channels/{id}/answer")).await.status, 204);
    assert_eq!(events.expect("ChannelStateChange").await["channel"]["state"], "Up");
    caller_is_sending(server, demo, &id).await;
    assert_eq!(ari(server, demo, Method::DELETE, &format!("channels/{id}")).await.status, 204);
    events.expect("ChannelHangupRequest").await;
    call.finish().await.assert_ok();
    assert_eq!(ari(server, demo, Method::DELETE, "bridges/demo-bridge").await.status, 204);
    no_channels_left(server).await;
}

#[tokio::test]
async fn provisioning_api_keys_work_on_ari_by_role_when_switched_on() {
    let dir = TempDir::new("ari-optins-keys");
    let config = write_config(&dir, CONFIG);
    let server = Server::start_with(Backend::Sqlite, &["--config", &config]).await;
    let admin = server.create_key(&["--role", "admin", "--label", "ari admin"]).await;
    let reader = server.create_key(&["--role", "readonly", "--label", "ari reader"]).await;
    let tenant = server.create_key(&["--role", "admin", "--tenant", "default"]).await;
    // They are the provisioning API's keys.
    server.as_key(&admin).get("tenants").await.expect(200);
    server.as_key(&reader).get("tenants").await.expect(200);

    assert_eq!(ari(&server, Who::Key(&admin), Method::GET, "asterisk/info").await.status, 200);
    assert_eq!(ari(&server, Who::Key(&admin), Method::POST, "asterisk/variable?variable=K&value=1").await.status, 204);
    assert_eq!(
        ari(&server, Who::Key(&reader), Method::GET, "asterisk/variable?variable=K").await.expect(200)["value"],
        "1"
    );
    let write = ari(&server, Who::Key(&reader), Method::POST, "asterisk/variable?variable=K&value=2").await;
    assert_error(&write, 403, "Write access denied");
    let confined = ari(&server, Who::Key(&tenant), Method::GET, "asterisk/info").await;
    assert_error(&confined, 403, "API key is confined to a tenant; ARI is node-wide");
    let (id, _) = admin.split_once('.').expect("sb_id.secret");
    let forged = format!("{id}.{}", "0".repeat(64));
    let refused = ari(&server, Who::Key(&forged), Method::GET, "asterisk/info").await;
    assert_error(&refused, 401, "Authentication required");
    // In the query, as a browser's WebSocket must send it.
    let reads = server.client.get(server.url(&format!("/ari/asterisk/ping?api_key={reader}"))).send().await;
    assert_eq!(reads.expect("ping").status().as_u16(), 200);
    let mut events = Events::connect(&server, Who::Key(&admin), "keyed", "").await;
    assert_eq!(ari(&server, Who::Key(&admin), Method::POST, "events/user/hello?application=keyed").await.status, 204);
    assert_eq!(events.expect("ChannelUserevent").await["eventname"], "hello");

    // Off by default: the same key is no ARI credential.
    let plain_dir = TempDir::new("ari-optins-keys-off");
    let plain_config = write_config(&plain_dir, "[ari.users.app]\npassword = \"s3cret\"\n");
    let plain = Server::start_with(Backend::Sqlite, &["--config", &plain_config]).await;
    let key = plain.create_key(&["--role", "admin"]).await;
    assert_eq!(ari(&plain, Who::Key(&key), Method::GET, "asterisk/info").await.status, 401);
}

#[tokio::test]
async fn a_socket_that_reconnects_with_replay_since_gets_exactly_the_events_it_missed() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("ari-optins-replay");
    let pbx = pbx(&dir).await;
    let server = pbx.server.as_ref().expect("switchboard");
    let app = Who::User("app", "s3cret");
    let mut events = Events::connect(server, app, "demo", "").await;

    let call = stasis_call(&pbx, "replay-caller");
    let start = events.expect("StasisStart").await;
    assert_eq!(start["sequence"], 1, "{start}");
    let id = start["channel"]["id"].as_str().expect("channel id").to_owned();
    assert_eq!(ari(server, app, Method::POST, &format!("channels/{id}/answer")).await.status, 204);
    let up = events.expect("ChannelStateChange").await;
    assert_eq!(up["sequence"], 2, "{up}");
    caller_is_sending(server, app, &id).await;
    events.close(server, "demo").await;

    // While the socket is away the call is hung up and ends.
    assert_eq!(ari(server, app, Method::DELETE, &format!("channels/{id}")).await.status, 204);
    call.finish().await.assert_ok();
    no_channels_left(server).await;

    let mut back = Events::connect(server, app, "demo", "&replay_since=2").await;
    assert_eq!(ari(server, app, Method::POST, "events/user/marker?application=demo").await.status, 204);
    let mut replayed = Vec::new();
    loop {
        let event = back.next().await;
        if event["type"] == "ChannelUserevent" {
            // The first live frame follows the replayed ones with the next number.
            assert_eq!(event["sequence"], json!(replayed.len() + 3), "{event}");
            break;
        }
        replayed.push(event);
    }
    let kinds: Vec<_> = replayed.iter().map(|e| e["type"].as_str().unwrap_or_default()).collect();
    assert_eq!(kinds, ["ChannelHangupRequest", "StasisEnd"], "{replayed:?}");
    for (n, event) in replayed.iter().enumerate() {
        assert_eq!(event["sequence"], json!(n + 3), "numbers go on from the last seen: {event}");
        assert_eq!(event["application"], "demo");
        assert_eq!(event["channel"]["id"], id.as_str());
    }

    // A socket that asks for nothing replayed gets only live frames, still numbered.
    back.close(server, "demo").await;
    let mut fresh = Events::connect(server, app, "demo", "").await;
    assert_eq!(ari(server, app, Method::POST, "events/user/again?application=demo").await.status, 204);
    let again = fresh.expect("ChannelUserevent").await;
    assert_eq!((again["eventname"].as_str(), again["sequence"].as_u64()), (Some("again"), Some(6)));
}
