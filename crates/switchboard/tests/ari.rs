//! ARI through the real binary: Basic and `api_key` authentication (401 with Asterisk's
//! challenge, 403 for read-only writes), the api-docs with `basePath` from the Host header,
//! parameters from the query, forms and JSON bodies, `asterisk/info`, `ping` and global
//! variables, and the events WebSocket receiving a user event posted over REST, a device
//! state change and `ApplicationReplaced` when a second socket takes the application over.

mod common;

use common::ari::*;
use common::*;
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// A server with ARI users `app` (read-write) and `viewer` (read-only) from the config file,
/// and `script` from `SWITCHBOARD_ARI_USERS`.
async fn ari_server(dir: &TempDir) -> Server {
    let config = ari_config(dir);
    Server::start_with_env(Backend::Sqlite, &["--config", &config], &[("SWITCHBOARD_ARI_USERS", "script:pw")]).await
}

#[track_caller]
fn assert_timestamp(text: &str) {
    let bytes = text.as_bytes();
    let shape = text.len() == 28
        && bytes[10] == b'T'
        && bytes[19] == b'.'
        && text.ends_with("+0000")
        && text.chars().filter(char::is_ascii_digit).count() == 21;
    assert!(shape, "not Asterisk's timestamp format: {text}");
}

#[tokio::test]
async fn basic_and_api_key_authenticate_and_read_only_users_only_read() {
    let dir = TempDir::new("ari-auth");
    let server = ari_server(&dir).await;
    let ping = server.url("/ari/asterisk/ping");

    let anonymous = server.send(server.client.get(&ping)).await;
    assert_error(&anonymous, 401, "Authentication required");
    assert_eq!(anonymous.header("www-authenticate").as_deref(), Some("Basic realm=\"Asterisk REST Interface\""));
    assert_error(
        &server.send(server.client.get(&ping).basic_auth("app", Some("wrong"))).await,
        401,
        "Authentication required",
    );
    // The provisioning API's bearer token is not an ARI credential.
    assert_error(
        &server.send(server.client.get(&ping).bearer_auth(&server.token)).await,
        401,
        "Authentication required",
    );

    server.send(server.client.get(&ping).basic_auth("app", Some("s3cret"))).await.expect(200);
    server.send(server.client.get(format!("{ping}?api_key=app:s3cret"))).await.expect(200);
    server.send(server.client.get(format!("{ping}?api_key=script:pw"))).await.expect(200);

    server.send(server.client.get(format!("{ping}?api_key=viewer:look"))).await.expect(200);
    let write = server.client.post(server.url("/ari/asterisk/variable?variable=x&value=1&api_key=viewer:look"));
    assert_error(&server.send(write).await, 403, "Write access denied");
}

#[tokio::test]
async fn api_docs_are_served_with_the_callers_host_as_base_path() {
    let dir = TempDir::new("ari-docs");
    let server = ari_server(&dir).await;
    let docs =
        |path: &str| server.client.get(server.url(&format!("/ari/api-docs/{path}"))).basic_auth("app", Some("s3cret"));
    let listing = server.send(docs("resources.json").header("host", "example.test:9999")).await;
    listing.expect(200);
    assert_eq!(listing["basePath"], "http://example.test:9999/ari");
    assert_eq!((listing["swaggerVersion"].as_str(), listing["apiVersion"].as_str()), (Some("1.1"), Some("10.0.0")));
    assert_eq!(listing["apis"].as_array().map(Vec::len), Some(11));

    let channels = server.send(docs("channels.json")).await;
    channels.expect(200);
    let host = server.base.trim_start_matches("http://");
    assert_eq!(channels["basePath"], format!("http://{host}/ari"));
    assert_eq!(channels["resourcePath"], "/api-docs/channels.{format}");
    assert!(channels["models"]["Channel"]["properties"]["state"]["allowableValues"].is_object());
    let events = server.send(docs("events.json")).await;
    assert_eq!(events["models"]["Event"]["subTypes"].as_array().map(Vec::len), Some(45));

    assert_error(&server.send(docs("nothing.json")).await, 404, "Resource not found");
}

#[tokio::test]
async fn parameters_come_from_the_query_a_form_or_a_json_body() {
    let dir = TempDir::new("ari-params");
    let server = ari_server(&dir).await;
    let get_var = |name: &str| ari(&server, Method::GET, &format!("asterisk/variable?variable={name}"));

    let set = server.send(ari(&server, Method::POST, "asterisk/variable?variable=by_query&value=1")).await;
    set.expect(204);
    assert!(set.bytes.is_empty(), "void operations answer 204 with no body");
    server
        .send(ari(&server, Method::POST, "asterisk/variable").form(&[("variable", "by_form"), ("value", "2")]))
        .await
        .expect(204);
    let json_body = json!({"variable": "by_json", "value": "3"});
    server.send(ari(&server, Method::POST, "asterisk/variable").json(&json_body)).await.expect(204);
    assert_eq!(server.send(get_var("by_query")).await["value"], "1");
    assert_eq!(server.send(get_var("by_form")).await["value"], "2");
    assert_eq!(server.send(get_var("by_json")).await["value"], "3");
    // A GET reads a JSON body too; an unset variable reads as empty.
    let read = server.send(ari(&server, Method::GET, "asterisk/variable").json(&json!({"variable": "by_json"}))).await;
    assert_eq!(read.json, json!({"value": "3"}));
    assert_eq!(server.send(get_var("never_set")).await.json, json!({"value": ""}));

    assert_error(&server.send(ari(&server, Method::GET, "asterisk/variable")).await, 400, "Variable name is required");
    let bad_json = ari(&server, Method::POST, "asterisk/variable").header("content-type", "application/json").body("{");
    assert_error(&server.send(bad_json).await, 400, "Error parsing request body");
    let bad_value = server.send(ari(&server, Method::PUT, "deviceStates/Custom:lamp?deviceState=GLOWING")).await;
    bad_value.expect(400);
    assert!(bad_value["message"].as_str().is_some_and(|m| m.contains("deviceState")), "{}", bad_value.text);

    // A literal `[]` body and a bodiless JSON DELETE reach the handler, which finds no channel.
    let empty_array =
        ari(&server, Method::POST, "channels/nope/answer").header("content-type", "application/json").body("[]");
    assert_error(&server.send(empty_array).await, 404, "Channel not found");
    let delete = ari(&server, Method::DELETE, "channels/nope").header("content-type", "application/json");
    assert_error(&server.send(delete).await, 404, "Channel not found");

    assert_error(
        &server.send(ari(&server, Method::GET, "channels/")).await,
        404,
        "ARI URLs do not end with a slash. Try /ari/channels",
    );
    assert_error(&server.send(ari(&server, Method::GET, "nowhere")).await, 404, "Resource not found");
    let wrong_method = server.send(ari(&server, Method::PATCH, "asterisk/variable")).await;
    assert_error(&wrong_method, 405, "Invalid method");
    assert_eq!(wrong_method.header("allow").as_deref(), Some("GET,POST"));
    assert_error(&server.send(ari(&server, Method::POST, "channels")).await, 400, "Missing parameter endpoint");
}

#[tokio::test]
async fn asterisk_info_and_ping_describe_the_node() {
    let dir = TempDir::new("ari-info");
    let server = ari_server(&dir).await;
    let ping = server.send(ari(&server, Method::GET, "asterisk/ping")).await;
    ping.expect(200);
    assert_eq!(ping["ping"], "pong");
    assert_timestamp(ping["timestamp"].as_str().expect("timestamp"));
    let info = server.send(ari(&server, Method::GET, "asterisk/info")).await;
    info.expect(200);
    assert_eq!(info["system"]["entity_id"], ping["asterisk_id"]);
    assert_eq!(info["system"]["version"], env!("CARGO_PKG_VERSION"));
    assert_timestamp(info["status"]["startup_time"].as_str().expect("startup"));
    let only = server.send(ari(&server, Method::GET, "asterisk/info?only=system,status")).await;
    let keys: Vec<&String> = only.json.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["system", "status"], "only the sections asked for, no nulls");
    let modules = server.send(ari(&server, Method::GET, "asterisk/modules")).await;
    assert!(modules.array().iter().any(|m| m["name"] == "sb-ari"));
    assert_error(
        &server.send(ari(&server, Method::POST, "asterisk/modules/sb-ari")).await,
        409,
        "Module could not be loaded.",
    );
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(server: &Server, apps: &str) -> Socket {
    let url = format!("{}/ari/events?app={apps}&api_key=app:s3cret", server.base.replace("http://", "ws://"));
    let (socket, response) = tokio_tungstenite::connect_async(url).await.expect("websocket");
    assert!(response.headers().get("sec-websocket-protocol").is_none(), "no subprotocol unless asked for");
    socket
}

/// The next event on `socket` (a JSON text frame).
async fn next_event(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("an event in time");
        match frame.expect("socket open").expect("frame") {
            Message::Text(text) => return serde_json::from_str(&text).expect("JSON event"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_events_socket_carries_user_events_device_states_and_application_replaced() {
    let dir = TempDir::new("ari-events");
    let server = ari_server(&dir).await;
    let mut first = connect(&server, "alpha,beta").await;
    // Registration is done once the application is listed.
    let mut listed = false;
    for _ in 0..50 {
        let apps = server.send(ari(&server, Method::GET, "applications")).await;
        if apps.array().iter().filter(|a| a["name"] == "alpha" || a["name"] == "beta").count() == 2 {
            listed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(listed, "the socket's applications were registered");

    let body = json!({"variables": {"customer": "42"}});
    let posted = server.send(ari(&server, Method::POST, "events/user/Greeting?application=alpha").json(&body)).await;
    posted.expect(204);
    let event = next_event(&mut first).await;
    assert_eq!(event["type"], "ChannelUserevent");
    assert_eq!(event["eventname"], "Greeting");
    assert_eq!(event["userevent"], json!({"customer": "42"}));
    assert_eq!(event["application"], "alpha");
    assert!(event.get("channel").is_none(), "absent optional fields are left out, not null");
    assert_timestamp(event["timestamp"].as_str().expect("timestamp"));
    let ping = server.send(ari(&server, Method::GET, "asterisk/ping")).await;
    assert_eq!(event["asterisk_id"], ping["asterisk_id"]);
    let unknown = server.send(ari(&server, Method::POST, "events/user/Greeting?application=nobody")).await;
    assert_error(&unknown, 404, "Application does not exist.");

    server
        .send(ari(&server, Method::POST, "applications/beta/subscription?eventSource=deviceState:Custom:lamp"))
        .await
        .expect(200);
    server.send(ari(&server, Method::PUT, "deviceStates/Custom:lamp?deviceState=INUSE")).await.expect(204);
    let changed = next_event(&mut first).await;
    assert_eq!((changed["type"].as_str(), changed["application"].as_str()), (Some("DeviceStateChanged"), Some("beta")));
    assert_eq!(changed["device_state"], json!({"name": "Custom:lamp", "state": "INUSE"}));
    let state = server.send(ari(&server, Method::GET, "deviceStates/Custom%3Alamp")).await;
    assert_eq!(state.json, json!({"name": "Custom:lamp", "state": "INUSE"}));
    assert_error(
        &server.send(ari(&server, Method::PUT, "deviceStates/PJSIP%2F1001?deviceState=BUSY")).await,
        409,
        "Uncontrolled device specified",
    );

    // A second socket takes alpha over; the first is told and keeps beta.
    let mut second = connect(&server, "alpha").await;
    let replaced = next_event(&mut first).await;
    assert_eq!(
        (replaced["type"].as_str(), replaced["application"].as_str()),
        (Some("ApplicationReplaced"), Some("alpha"))
    );
    server.send(ari(&server, Method::POST, "events/user/Again?application=alpha")).await.expect(204);
    assert_eq!(next_event(&mut second).await["eventname"], "Again");

    first.close(None).await.expect("close");
    second.close(None).await.expect("close");
    let mut gone = false;
    for _ in 0..50 {
        if server.send(ari(&server, Method::GET, "applications")).await.array().is_empty() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone, "closed sockets unregister their applications");
}
