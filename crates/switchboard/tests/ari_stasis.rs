//! Stasis through the real binary, with SIPp phones: a call to a custom app whose program
//! is `Stasis(tour,first,second)` reaches the application over the events socket, which
//! answers it, plays a sound, records it, bridges it with a channel it originates to a
//! registered SIPp phone, then hangs both up; every step's events are checked, in order,
//! with Asterisk's shapes. Also: the errors of operations on missing or unfit objects.
//! (The same tour with the npm `ari-client` library is `ari_clients.rs`.)

mod common;

use common::baresip::{tone_report, write_tone};
use common::sipp::{callee, caller, require_tool, SipPbx};
use common::{Backend, TempDir};
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const CONFIG: &str = "[ari.users.app]\npassword = \"s3cret\"\n";

/// The PBX with ARI user `app`, extensions 1001 (caller) and 1002 (originate target), a
/// `beep` sound, and custom app 777 → `Stasis(tour,first,second)`.
async fn stasis_pbx(dir: &TempDir) -> SipPbx {
    let config = dir.path().join("switchboard.toml");
    std::fs::write(&config, CONFIG).expect("config");
    let sounds = dir.path().join("sounds");
    std::fs::create_dir_all(sounds.join("en")).expect("sounds dir");
    write_tone(&sounds.join("en").join("beep.wav"), 700.0, 1);
    let (config, sounds) = (config.to_str().expect("utf-8").to_owned(), sounds.to_str().expect("utf-8").to_owned());
    let pbx = SipPbx::start_with(Backend::Sqlite, &["1001", "1002"], &["--config", &config, "--sounds", &sounds]).await;
    let server = pbx.server.as_ref().expect("switchboard");
    let app = json!({"pkey": "777", "cluster": "default", "extcode": "Stasis(tour,first,second)", "span": "Internal"});
    server.post_json("customapps", &app).await.expect(200);
    pbx
}

/// An ARI request as user `app`.
async fn ari(pbx: &SipPbx, method: Method, path: &str) -> (u16, Value) {
    let server = pbx.server.as_ref().expect("switchboard");
    let response = server
        .client
        .request(method, server.url(&format!("/ari/{path}")))
        .basic_auth("app", Some("s3cret"))
        .send()
        .await
        .expect("ARI request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The WAV file of stored recording `name`, downloaded as user `app`.
async fn stored_wav(pbx: &SipPbx, name: &str) -> Vec<u8> {
    let server = pbx.server.as_ref().expect("switchboard");
    let response = server
        .client
        .get(server.url(&format!("/ari/recordings/stored/{name}/file")))
        .basic_auth("app", Some("s3cret"))
        .send()
        .await
        .expect("download");
    response.bytes().await.expect("bytes").to_vec()
}

/// The samples of a recording's WAV (8 kHz, 16-bit, after its 44-byte header).
fn wav_samples(wav: &[u8]) -> Vec<i16> {
    wav[44..].chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
}

/// A call from 1001 into the application (7 s of the caller's audio once answered, no
/// digit), answered by the test: its channel id and the caller's SIPp.
async fn answered_call(pbx: &SipPbx, events: &mut Events, label: &str) -> (String, common::sipp::SippProcess) {
    let caller_process =
        caller(pbx, "1001", "777", label, "uac_stasis_call.xml").arg("-set").arg("dtmf_after_ms").arg("0").spawn();
    let id = events.expect("StasisStart").await["channel"]["id"].as_str().expect("id").to_owned();
    assert_eq!(ari(pbx, Method::POST, &format!("channels/{id}/answer")).await.0, 204);
    events.expect("ChannelStateChange").await;
    (id, caller_process)
}

/// The events of one application, read in order.
struct Events {
    socket: Socket,
    seen: Vec<String>,
}

impl Events {
    async fn connect(pbx: &SipPbx, app: &str) -> Events {
        let server = pbx.server.as_ref().expect("switchboard");
        let url = format!("{}/ari/events?app={app}&api_key=app:s3cret", server.base.replace("http://", "ws://"));
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket");
        Events { socket, seen: Vec::new() }
    }

    /// The next event; fails after 10 s.
    async fn next(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no event within 10 s; events so far: {:?}", self.seen))
                .expect("socket open")
                .expect("frame");
            if let Message::Text(text) = frame {
                let event: Value = serde_json::from_str(&text).expect("json event");
                self.seen.push(event["type"].as_str().unwrap_or_default().to_owned());
                return event;
            }
        }
    }

    /// The next event, which must be of type `kind`.
    async fn expect(&mut self, kind: &str) -> Value {
        let event = self.next().await;
        assert_eq!(event["type"], kind, "expected {kind}, got {event}; events so far: {:?}", self.seen);
        assert_eq!(event["application"], "tour");
        event
    }
}

#[tokio::test]
async fn an_application_answers_plays_records_and_bridges_a_call_with_an_originated_channel() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("ari-stasis");
    let pbx = stasis_pbx(&dir).await;
    let mut events = Events::connect(&pbx, "tour").await;
    let (_uas, callee_process) = callee(&pbx, "1002", "callee", "uas_answer.xml", &[]).await;
    let caller_process = caller(&pbx, "1001", "777", "caller", "uac_call_callee_hangs_up.xml").spawn();

    // The call enters the application unanswered, with the program's arguments.
    let start = events.expect("StasisStart").await;
    assert_eq!(start["args"], json!(["first", "second"]));
    let channel = start["channel"].clone();
    let id = channel["id"].as_str().expect("channel id").to_owned();
    assert_eq!(channel["state"], "Ring");
    assert_eq!(channel["caller"]["number"], "1001");
    assert_eq!(channel["dialplan"]["app_name"], "Stasis");
    assert_eq!(channel["dialplan"]["app_data"], "tour,first,second");
    assert_eq!(channel["dialplan"]["exten"], "777");
    assert!(channel["name"].as_str().is_some_and(|n| n.starts_with("PJSIP/1001-")), "{channel}");
    let (status, listed) = ari(&pbx, Method::GET, "channels").await;
    assert_eq!((status, listed.as_array().map(Vec::len)), (200, Some(1)), "{listed}");
    let (status, endpoint) = ari(&pbx, Method::GET, "endpoints/PJSIP/1001").await;
    assert_eq!((status, &endpoint["channel_ids"]), (200, &json!([id])), "the caller's endpoint lists its channel");

    // Answer.
    assert_eq!(ari(&pbx, Method::POST, &format!("channels/{id}/answer")).await.0, 204);
    let up = events.expect("ChannelStateChange").await;
    assert_eq!(up["channel"]["state"], "Up");

    // Play, with an id the application chose.
    let (status, playback) =
        ari(&pbx, Method::POST, &format!("channels/{id}/play?media=sound:beep&playbackId=pb-1")).await;
    assert_eq!(status, 201, "{playback}");
    assert_eq!(playback["id"], "pb-1");
    assert_eq!(playback["target_uri"], format!("channel:{id}"));
    let (status, again) =
        ari(&pbx, Method::POST, &format!("channels/{id}/play?media=sound:beep&playbackId=pb-1")).await;
    assert_eq!(status, 409, "a playback id in use: {again}");
    assert_eq!(events.expect("PlaybackStarted").await["playback"]["state"], "playing");
    assert_eq!(events.expect("PlaybackFinished").await["playback"]["state"], "done");
    assert_eq!(ari(&pbx, Method::GET, "playbacks/pb-1").await.0, 404, "a finished playback is gone");

    // Record one second.
    let (status, recording) =
        ari(&pbx, Method::POST, &format!("channels/{id}/record?name=tour-1&format=wav&maxDurationSeconds=1")).await;
    assert_eq!(status, 201, "{recording}");
    assert_eq!(recording["target_uri"], format!("channel:{id}"));
    assert_eq!(events.expect("RecordingStarted").await["recording"]["name"], "tour-1");
    let started = std::time::Instant::now();
    // Paused for longer than the limit: the paused time does not count, so it runs on.
    assert_eq!(ari(&pbx, Method::POST, "recordings/live/tour-1/pause").await.0, 204);
    assert_eq!(ari(&pbx, Method::GET, "recordings/live/tour-1").await.1["state"], "paused");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(ari(&pbx, Method::DELETE, "recordings/live/tour-1/pause").await.0, 204);
    assert_eq!(ari(&pbx, Method::GET, "recordings/live/tour-1").await.1["state"], "recording");
    assert_eq!(ari(&pbx, Method::POST, "recordings/live/tour-1/mute").await.0, 204);
    assert_eq!(ari(&pbx, Method::DELETE, "recordings/live/tour-1/mute").await.0, 204);
    let finished = events.expect("RecordingFinished").await;
    assert_eq!(finished["recording"]["state"], "done");
    assert!(started.elapsed() >= Duration::from_millis(1900), "the paused time counted: {:?}", started.elapsed());
    assert_eq!(ari(&pbx, Method::POST, "recordings/live/tour-1/pause").await.0, 404, "it is over");

    // A mixing bridge with the call in it.
    let (status, bridge) = ari(&pbx, Method::POST, "bridges?type=mixing&name=tour").await;
    assert_eq!(status, 200, "{bridge}");
    let bridge_id = bridge["id"].as_str().expect("bridge id").to_owned();
    assert_eq!(bridge["bridge_type"], "mixing");
    assert_eq!(ari(&pbx, Method::POST, &format!("bridges/{bridge_id}/addChannel?channel={id}")).await.0, 204);
    let entered = events.expect("ChannelEnteredBridge").await;
    assert_eq!(entered["bridge"]["channels"], json!([id]));

    // Originate to 1002: it rings, answers, and enters the application.
    let (status, originated) = ari(&pbx, Method::POST, "channels?endpoint=PJSIP/1002&app=tour&appArgs=dialled").await;
    assert_eq!(status, 200, "{originated}");
    let other = originated["id"].as_str().expect("originated id").to_owned();
    assert_eq!(originated["state"], "Down");
    let mut kinds = Vec::new();
    let other_start = loop {
        let event = events.next().await;
        assert_eq!(event["channel"]["id"].as_str().or(event["peer"]["id"].as_str()), Some(other.as_str()), "{event}");
        kinds.push(event["type"].as_str().unwrap_or_default().to_owned());
        if event["type"] == "StasisStart" {
            break event;
        }
    };
    // As Asterisk 22: Dial "", the ringing, Dial RINGING, the answer, Dial ANSWER; no
    // ChannelCreated (the application follows the channel once it exists).
    let expected = ["Dial", "ChannelStateChange", "Dial", "ChannelStateChange", "Dial", "StasisStart"];
    assert_eq!(kinds, expected, "{kinds:?}");
    assert_eq!(other_start["args"], json!(["dialled"]));
    assert_eq!(other_start["channel"]["state"], "Up");
    assert_eq!(other_start["channel"]["caller"]["number"], "", "no caller id was given");

    // Bridge the two.
    assert_eq!(ari(&pbx, Method::POST, &format!("bridges/{bridge_id}/addChannel?channel={other}")).await.0, 204);
    let entered = events.expect("ChannelEnteredBridge").await;
    assert_eq!(entered["bridge"]["channels"], json!([id, other]));
    // As Asterisk: the originated channel is now connected to the caller (the caller's own
    // connected party stays as it was, the originated channel having no caller id).
    let connected = events.expect("ChannelConnectedLine").await;
    assert_eq!(connected["channel"]["id"], other.as_str());
    assert_eq!(connected["channel"]["connected"]["number"], "1001");

    // Record the bridge for two seconds while the beep plays to it: the mix of what its
    // members hear, kept as a stored recording.
    let path = format!("bridges/{bridge_id}/record?name=tour-mix&format=wav&maxDurationSeconds=2");
    let (status, recording) = ari(&pbx, Method::POST, &path).await;
    assert_eq!((status, recording["target_uri"].as_str()), (201, Some(format!("bridge:{bridge_id}").as_str())));
    assert_eq!(ari(&pbx, Method::POST, &format!("bridges/{bridge_id}/play?media=sound:beep")).await.0, 201);
    let (mut recording_events, mut playback_over) = (Vec::new(), false);
    while !(playback_over && recording_events.len() == 2) {
        let event = events.next().await;
        match event["type"].as_str() {
            Some("RecordingStarted" | "RecordingFinished") => {
                assert_eq!(event["recording"]["target_uri"], format!("bridge:{bridge_id}"));
                recording_events.push(event);
            }
            Some("PlaybackStarted") => {}
            Some("PlaybackFinished") => playback_over = true,
            _ => panic!("unexpected while recording the bridge: {event}"),
        }
    }
    assert_eq!(recording_events[0]["type"], "RecordingStarted");
    let finished = &recording_events[1];
    assert_eq!(finished["type"], "RecordingFinished");
    assert_eq!(
        (finished["recording"]["state"].as_str(), finished["recording"]["duration"].as_i64()),
        (Some("done"), Some(2))
    );
    let (status, stored) = ari(&pbx, Method::GET, "recordings/stored/tour-mix").await;
    assert_eq!(status, 200, "the bridge recording is stored: {stored}");
    let samples = wav_samples(&stored_wav(&pbx, "tour-mix").await);
    assert!(samples.len() >= 15_000, "about two seconds of 8 kHz audio: {} samples", samples.len());
    // The beep (a second of it) is in the mix.
    let loud = samples.iter().filter(|s| s.unsigned_abs() > 1000).count();
    assert!(loud >= 2000, "the beep is not in the bridge's recording: {loud} loud samples of {}", samples.len());

    let (_, listed) = ari(&pbx, Method::GET, "channels").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");

    // Hang both up: each leaves the bridge and the application; as with Asterisk, only the
    // channel the application placed is followed to its ChannelDestroyed, and a hang-up asked
    // over ARI is reported as Asterisk's soft hang-up (cause 32).
    for channel in [&id, &other] {
        assert_eq!(ari(&pbx, Method::DELETE, &format!("channels/{channel}")).await.0, 204);
        let request = events.expect("ChannelHangupRequest").await;
        assert_eq!(request["channel"]["id"], channel.as_str());
        assert_eq!((request["cause"].as_i64(), request["soft"].as_bool()), (Some(32), Some(true)));
        assert_eq!(events.expect("ChannelLeftBridge").await["channel"]["id"], channel.as_str());
        events.expect("StasisEnd").await;
    }
    let destroyed = events.expect("ChannelDestroyed").await;
    assert_eq!(destroyed["channel"]["id"], other.as_str());
    assert_eq!((destroyed["cause"].as_i64(), destroyed["cause_txt"].as_str()), (Some(16), Some("Normal Clearing")));
    assert_eq!(ari(&pbx, Method::DELETE, &format!("bridges/{bridge_id}")).await.0, 204);
    assert_eq!(events.expect("BridgeDestroyed").await["bridge"]["id"], bridge_id.as_str());
    assert_eq!(ari(&pbx, Method::GET, &format!("channels/{id}")).await.0, 404);

    // Both phones saw their calls end with a BYE from the PBX.
    caller_process.finish().await.assert_ok();
    callee_process.finish().await.assert_ok();
}

#[tokio::test]
async fn operations_on_missing_or_unfit_objects_answer_as_asterisk() {
    let dir = TempDir::new("ari-stasis-errors");
    let pbx = stasis_pbx(&dir).await;
    let _events = Events::connect(&pbx, "tour").await;
    let cases = [
        (Method::GET, "channels/nope", 404),
        (Method::POST, "channels/nope/answer", 404),
        (Method::DELETE, "channels/nope", 404),
        (Method::DELETE, "channels/nope?reason=busy&reason_code=17", 400),
        (Method::POST, "channels/nope/play?media=sound:beep", 404),
        (Method::POST, "channels?endpoint=PJSIP/9999&app=tour", 400),
        (Method::POST, "channels?endpoint=IAX2/1002&app=tour", 400),
        (Method::POST, "channels?endpoint=PJSIP/1002&app=nobody", 400),
        (Method::POST, "channels?endpoint=PJSIP/1002", 400),
        (Method::POST, "channels?endpoint=PJSIP/1002&app=tour", 400),
        (Method::GET, "bridges/nope", 404),
        (Method::DELETE, "bridges/nope", 404),
        (Method::GET, "playbacks/nope", 404),
        (Method::GET, "recordings/live/nope", 404),
        (Method::POST, "bridges?type=nonsense", 400),
    ];
    for (method, path, status) in cases {
        let (got, body) = ari(&pbx, method.clone(), path).await;
        assert_eq!(got, status, "{method} {path}: {body}");
        assert!(body["message"].is_string(), "{method} {path}: {body}");
    }
    let (status, bridge) = ari(&pbx, Method::POST, "bridges/b-1?type=holding").await;
    assert_eq!((status, bridge["bridge_type"].as_str()), (200, Some("holding")), "{bridge}");
    let (status, body) = ari(&pbx, Method::POST, "bridges/b-1/addChannel?channel=nope").await;
    assert_eq!(status, 400, "a missing channel is a bad parameter: {body}");
    let (status, body) = ari(&pbx, Method::POST, "bridges/b-1/record?name=x&format=mp3").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(ari(&pbx, Method::POST, "bridges/nope/record?name=x&format=wav").await.0, 404);
    let (status, listed) = ari(&pbx, Method::GET, "bridges").await;
    assert_eq!((status, listed.as_array().map(Vec::len)), (200, Some(1)));

    // Bridge variables, one and several, as channel variables.
    assert_eq!(ari(&pbx, Method::POST, "bridges/b-1/variable?variable=QUEUE&value=sales").await.0, 204);
    assert_eq!(ari(&pbx, Method::GET, "bridges/b-1/variable?variable=QUEUE").await, (200, json!({"value": "sales"})));
    let (status, body) = ari(&pbx, Method::GET, "bridges/b-1/variable?variable=NONE").await;
    assert_eq!((status, &body["message"]), (404, &json!("Provided variable was not found")));
    let server = pbx.server.as_ref().expect("switchboard");
    let set_several = server
        .client
        .post(server.url("/ari/bridges/b-1/variables"))
        .basic_auth("app", Some("s3cret"))
        .json(&json!({"variables": {"A": "1", "B": "two"}}))
        .send()
        .await
        .expect("setBridgeVars");
    assert_eq!(set_several.status().as_u16(), 204);
    let (status, several) = ari(&pbx, Method::GET, "bridges/b-1/variables?variables=A,B,QUEUE").await;
    assert_eq!((status, several), (200, json!({"variables": {"A": "1", "B": "two", "QUEUE": "sales"}})));
    assert_eq!(ari(&pbx, Method::GET, "bridges/nope/variable?variable=A").await.0, 404);
    assert_eq!(ari(&pbx, Method::POST, "bridges/nope/variable?variable=A&value=1").await.0, 404);
}

#[tokio::test]
async fn continue_hands_the_channel_back_to_the_custom_app_which_plays_and_hangs_up() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("ari-stasis-continue");
    let pbx = stasis_pbx(&dir).await;
    let server = pbx.server.as_ref().expect("switchboard");
    let program = "Answer()\nStasis(tour)\nPlayback(beep)\nHangup()";
    let app = json!({"pkey": "778", "cluster": "default", "extcode": program, "span": "Internal"});
    server.post_json("customapps", &app).await.expect(200);
    let mut events = Events::connect(&pbx, "tour").await;
    let caller_process = caller(&pbx, "1001", "778", "caller", "uac_call_callee_hangs_up.xml").spawn();

    // The program answered before handing the channel over.
    let start = events.expect("StasisStart").await;
    assert_eq!(start["args"], json!([]));
    assert_eq!(start["channel"]["state"], "Up");
    assert_eq!(start["channel"]["dialplan"]["priority"], 2);
    let id = start["channel"]["id"].as_str().expect("id").to_owned();
    let (status, value) = ari(&pbx, Method::GET, &format!("channels/{id}/variable?variable=CALLERID(num)")).await;
    assert_eq!((status, value["value"].as_str()), (200, Some("1001")));

    assert_eq!(ari(&pbx, Method::POST, &format!("channels/{id}/continue")).await.0, 204);
    events.expect("StasisEnd").await;
    // Out of the application: operations that need Stasis are refused, the rest of the
    // program plays the beep and hangs up, which the caller sees as the PBX's BYE.
    assert_eq!(ari(&pbx, Method::POST, &format!("channels/{id}/answer")).await.0, 409);
    caller_process.finish().await.assert_ok();
    let cdr = pbx.assert_one_cdr("1001", "778", "ANSWERED").await;
    if let Some(cdr) = cdr {
        assert_eq!(cdr["lastapp"], "Stasis", "{cdr}");
    }
}

/// An RTP header's payload type and the payload's length.
fn rtp_payload_type(packet: &[u8]) -> Option<(u8, usize)> {
    (packet.len() > 12 && packet[0] >> 6 == 2).then(|| (packet[1] & 0x7f, packet.len() - 12))
}

#[tokio::test]
async fn external_media_channels_send_rtp_to_the_host_the_application_names() {
    let dir = TempDir::new("ari-external-media");
    let pbx = stasis_pbx(&dir).await;
    let mut events = Events::connect(&pbx, "tour").await;
    let peer = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("udp");
    let host = peer.local_addr().expect("addr");

    // Asterisk's checks and messages first.
    for (query, status, message) in [
        ("app=tour&format=ulaw", 400, "external_host cannot be empty"),
        ("app=tour&format=ulaw&external_host=127.0.0.1", 400, "external_host must be <host>:<port>"),
        ("app=tour&external_host=127.0.0.1:4000&format=ulaw&transport=tcp", 501, ""),
        ("app=tour&external_host=127.0.0.1:4000&format=ulaw&encapsulation=audiosocket&transport=tcp", 501, ""),
        ("app=tour&external_host=127.0.0.1:4000&format=slin16", 400, ""),
        ("app=nobody&external_host=127.0.0.1:4000&format=ulaw", 400, ""),
    ] {
        let (got, body) = ari(&pbx, Method::POST, &format!("channels/externalMedia?{query}")).await;
        assert_eq!(got, status, "{query}: {body}");
        if !message.is_empty() {
            assert_eq!(body["message"], message, "{query}");
        }
    }

    let path = format!("channels/externalMedia?app=tour&external_host={host}&format=ulaw&channelId=em-1&data=stt");
    let (status, created) = ari(&pbx, Method::POST, &path).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!((created["id"].as_str(), created["state"].as_str()), (Some("em-1"), Some("Up")), "{created}");
    assert!(created["name"].as_str().is_some_and(|n| n.starts_with(&format!("UnicastRTP/{host}-"))), "{created}");
    let local_port: u16 = created["channelvars"]["UNICASTRTP_LOCAL_PORT"]
        .as_str()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no UNICASTRTP_LOCAL_PORT: {created}"));
    assert_eq!(created["channelvars"]["UNICASTRTP_LOCAL_ADDRESS"], "127.0.0.1");
    let start = events.expect("StasisStart").await;
    assert_eq!(start["channel"]["id"], "em-1");

    // What the channel plays arrives here as PCMU, from the port it announced.
    assert_eq!(ari(&pbx, Method::POST, "channels/em-1/play?media=sound:beep").await.0, 201);
    let mut buffer = [0u8; 2048];
    let mut packets = 0;
    while packets < 10 {
        let (len, from) = tokio::time::timeout(Duration::from_secs(5), peer.recv_from(&mut buffer))
            .await
            .unwrap_or_else(|_| panic!("only {packets} RTP packets reached the external host"))
            .expect("recv");
        assert_eq!(from.port(), local_port, "RTP from another port than announced");
        assert_eq!(rtp_payload_type(&buffer[..len]), Some((0, 160)), "not 20 ms of PCMU");
        packets += 1;
    }

    assert_eq!(ari(&pbx, Method::DELETE, "channels/em-1").await.0, 204);
    events.expect("PlaybackStarted").await;
    loop {
        let event = events.next().await;
        if event["type"] == "ChannelDestroyed" {
            assert_eq!(event["channel"]["id"], "em-1");
            break;
        }
    }
    let (_, listed) = ari(&pbx, Method::GET, "channels").await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn redirect_sends_an_unanswered_caller_elsewhere_with_a_302() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("ari-redirect");
    let pbx = stasis_pbx(&dir).await;
    let mut events = Events::connect(&pbx, "tour").await;
    let caller_process = caller(&pbx, "1001", "777", "caller-redirected", "uac_rejected.xml").spawn();
    let id = events.expect("StasisStart").await["channel"]["id"].as_str().expect("id").to_owned();

    // Asterisk's checks and messages, in its order.
    for (endpoint, status, message) in [
        ("", 400, "Required parameter 'endpoint' not provided."),
        ("1002", 422, "Endpoint parameter '1002' does not contain tech/resource"),
        ("PJSIP/", 422, "No resource provided in endpoint parameter 'PJSIP/'"),
        ("IAX2/1002", 422, "Endpoint technology 'IAX2' does not match channel technology 'PJSIP'"),
    ] {
        let (got, body) = ari(&pbx, Method::POST, &format!("channels/{id}/redirect?endpoint={endpoint}")).await;
        assert_eq!((got, body["message"].as_str()), (status, Some(message)), "endpoint {endpoint:?}");
    }
    assert_eq!(ari(&pbx, Method::POST, "channels/nope/redirect?endpoint=PJSIP/1002").await.0, 404);

    assert_eq!(ari(&pbx, Method::POST, &format!("channels/{id}/redirect?endpoint=PJSIP/1002")).await.0, 204);
    let run = caller_process.finish().await;
    assert!(run.status.success(), "the caller did not take the redirect:\n{}", run.trace);
    assert_eq!(run.invite_finals().last(), Some(&302), "{}", run.trace);
    let moved = run.received().find(|m| m.status() == Some(302)).expect("the 302");
    assert!(
        moved.text.lines().any(|l| l.starts_with("Contact:") && l.contains("<sip:1002@127.0.0.1:")),
        "the 302 names 1002 at the PBX: {}",
        moved.text
    );
    loop {
        let event = events.next().await;
        if event["type"] == "StasisEnd" {
            break;
        }
    }
}

#[tokio::test]
async fn a_snoop_channel_hears_the_caller_and_goes_when_the_caller_goes() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("ari-snoop");
    let pbx = stasis_pbx(&dir).await;
    let mut events = Events::connect(&pbx, "tour").await;
    let (id, caller_process) = answered_call(&pbx, &mut events, "caller-snooped").await;

    // Asterisk's checks and messages, in its order.
    for (query, status, message) in [
        ("app=tour", 400, "Direction must be specified for at least spy or whisper"),
        ("spy=in", 400, "Missing parameter app"),
    ] {
        let (got, body) = ari(&pbx, Method::POST, &format!("channels/{id}/snoop?{query}")).await;
        assert_eq!((got, body["message"].as_str()), (status, Some(message)), "{query}");
    }
    let (got, body) = ari(&pbx, Method::POST, "channels/nope/snoop?spy=in&app=tour").await;
    assert_eq!((got, body["message"].as_str()), (404, Some("Provided channel was not found")));

    let (status, snoop) =
        ari(&pbx, Method::POST, &format!("channels/{id}/snoop/spy-1?spy=in&app=tour&appArgs=snooping")).await;
    assert_eq!((status, snoop["id"].as_str(), snoop["state"].as_str()), (200, Some("spy-1"), Some("Up")), "{snoop}");
    assert!(snoop["name"].as_str().is_some_and(|n| n.starts_with(&format!("Snoop/{id}-"))), "{snoop}");
    let start = events.expect("StasisStart").await;
    assert_eq!((start["channel"]["id"].as_str(), &start["args"]), (Some("spy-1"), &json!(["snooping"])));

    // What the snoop channel hears is what the caller says: record a second of each at
    // once; the two recordings hold the same audio.
    for (channel, name) in [(id.as_str(), "heard"), ("spy-1", "spied")] {
        let path = format!("channels/{channel}/record?name={name}&format=wav&maxDurationSeconds=1");
        assert_eq!(ari(&pbx, Method::POST, &path).await.0, 201);
    }
    let mut finished = 0;
    while finished < 2 {
        let event = events.next().await;
        match event["type"].as_str() {
            Some("RecordingStarted") => {}
            Some("RecordingFinished") => finished += 1,
            _ => panic!("unexpected while recording: {event}"),
        }
    }
    let mut energies = Vec::new();
    for name in ["heard", "spied"] {
        let samples = wav_samples(&stored_wav(&pbx, name).await);
        let power: f64 = samples.iter().map(|s| f64::from(*s) * f64::from(*s)).sum();
        energies.push(power / samples.len().max(1) as f64);
    }
    eprintln!("mean power: caller {:.0}, snoop {:.0}", energies[0], energies[1]);
    assert!(energies[0] > 1000.0, "the caller sent silence (the test, not the PBX, is broken): {energies:?}");
    let ratio = energies[1] / energies[0];
    assert!((0.5..2.0).contains(&ratio), "the snoop did not hear what the caller said: {energies:?}");

    // The caller goes: its snoop goes with it.
    assert_eq!(ari(&pbx, Method::DELETE, &format!("channels/{id}")).await.0, 204);
    let mut ended = Vec::new();
    while ended.len() < 2 {
        let event = events.next().await;
        if event["type"] == "StasisEnd" {
            ended.push(event["channel"]["id"].as_str().unwrap_or_default().to_owned());
        }
    }
    ended.sort();
    let mut expected = vec![id.clone(), "spy-1".to_owned()];
    expected.sort();
    assert_eq!(ended, expected);
    let run = caller_process.finish().await;
    assert!(run.status.success(), "{}", run.trace);
}

#[tokio::test]
async fn a_snoop_channel_whispers_into_what_the_channels_bridge_hears() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("ari-whisper");
    let pbx = stasis_pbx(&dir).await;
    let mut events = Events::connect(&pbx, "tour").await;
    let (id, caller_process) = answered_call(&pbx, &mut events, "caller-whispered").await;
    assert_eq!(ari(&pbx, Method::POST, "bridges/whisper-bridge?type=mixing").await.0, 200);
    assert_eq!(ari(&pbx, Method::POST, &format!("bridges/whisper-bridge/addChannel?channel={id}")).await.0, 204);
    events.expect("ChannelEnteredBridge").await;

    // A snoop that only whispers `in`: what it plays joins what the caller says, so the
    // bridge (recorded here) hears it; the caller's own audio is quiet beside the beep.
    let (status, _) = ari(&pbx, Method::POST, &format!("channels/{id}/snoop/whisperer?whisper=in&app=tour")).await;
    assert_eq!(status, 200);
    events.expect("StasisStart").await;
    let path = "bridges/whisper-bridge/record?name=whispered&format=wav&maxDurationSeconds=2";
    assert_eq!(ari(&pbx, Method::POST, path).await.0, 201);
    assert_eq!(ari(&pbx, Method::POST, "channels/whisperer/play?media=sound:beep").await.0, 201);
    loop {
        let event = events.next().await;
        if event["type"] == "RecordingFinished" {
            break;
        }
    }
    let wav = stored_wav(&pbx, "whispered").await;
    // The beep is a 700 Hz tone of one second: 20 frames of 50 ms (none when the whisper
    // goes `out` instead, to the caller only).
    let path = dir.path().join("whispered.wav");
    std::fs::write(&path, &wav).expect("wav");
    let beep = tone_report(&path, 700.0, 1400.0);
    assert!(beep.wanted >= 15, "the whisper is not in what the bridge heard: {beep:?}");

    assert_eq!(ari(&pbx, Method::DELETE, &format!("channels/{id}")).await.0, 204);
    let run = caller_process.finish().await;
    assert!(run.status.success(), "{}", run.trace);
}
