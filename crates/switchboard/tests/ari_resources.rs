//! ARI's resources beyond calls, through the real binary, answering as Asterisk 22 does:
//! endpoints (extensions online while a SIPp phone is registered, text messages and
//! out-of-dialog REFERs reaching it with the request's variables as headers), sounds from
//! `--sounds`, the stored
//! recordings in the data directory (list, details, download, copy, delete, and names that
//! try to leave the directory), and mailboxes that survive a restart.

mod common;

use common::ari::*;
use common::sipp::*;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::path::Path;

/// A PBX with extensions 1001 and 1002 and the ARI users, plus `args`.
async fn ari_pbx(backend: Backend, dir: &TempDir, args: &[&str]) -> SipPbx {
    let config = ari_config(dir);
    let args: Vec<&str> = ["--config", config.as_str()].into_iter().chain(args.iter().copied()).collect();
    SipPbx::start_with(backend, &["1001", "1002"], &args).await
}

fn endpoint(resource: &str, state: &str) -> Value {
    json!({"technology": "PJSIP", "resource": resource, "state": state, "channel_ids": []})
}

#[tokio::test]
async fn endpoints_show_registration_and_messages_reach_the_phone() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("ari-endpoints");
    let pbx = ari_pbx(Backend::Sqlite, &dir, &[]).await;
    let server = pbx.server.as_ref().expect("switchboard");
    let get = |path: &str| server.send(ari(server, Method::GET, path));

    let offline = json!([endpoint("1001", "offline"), endpoint("1002", "offline")]);
    assert_eq!(get("endpoints").await.expect(200).json, offline);
    assert_eq!(get("endpoints/PJSIP").await.expect(200).json, offline);
    // As Asterisk: the technology is looked up as spelled when listing, in any case for one.
    assert_error(&get("endpoints/pjsip").await, 404, "No Endpoints found - invalid tech pjsip");
    assert_error(&get("endpoints/SIP").await, 404, "No Endpoints found - invalid tech SIP");
    assert_eq!(get("endpoints/pjsip/1001").await.expect(200).json, endpoint("1001", "offline"));
    assert_error(&get("endpoints/PJSIP/1003").await, 404, "Endpoint not found");
    assert_error(&get("endpoints/IAX2/1001").await, 404, "Endpoint not found");

    let send = |path: &str| ari(server, Method::PUT, &format!("endpoints/{path}"));
    // No phone registered: nowhere to deliver.
    assert_error(&server.send(send("sendMessage?to=pjsip:1002&from=ari&body=x")).await, 404, "Endpoint not found");
    assert_error(&server.send(send("sendMessage?from=ari")).await, 400, "To must be specified");
    assert_error(&server.send(send("sendMessage?to=&from=ari")).await, 400, "To must be specified");
    assert_error(&server.send(send("sendMessage?to=xmpp:bob@example.com&from=ari")).await, 404, "Endpoint not found");

    let (_, phone) = callee(&pbx, "1002", "ari-message", "uas_message.xml", &[]).await;
    assert_eq!(get("endpoints/PJSIP/1002").await.expect(200).json, endpoint("1002", "online"));
    assert_eq!(get("endpoints").await.json, json!([endpoint("1001", "offline"), endpoint("1002", "online")]));

    let bad_variables = json!({"variables": {"X-Count": 3}});
    let refused = server.send(send("sendMessage?to=pjsip:1002&from=ari&body=x").json(&bad_variables)).await;
    assert_error(&refused, 400, "Only string values in the 'variables' object allowed");
    let variables = json!({"variables": {"X-Ticket": "T-42", "To": "<sip:evil@example.com>"}});
    let sent =
        server.send(send("sendMessage?to=pjsip:1002&from=sip:ari@example.com&body=hello%20phone").json(&variables));
    let sent = sent.await;
    sent.expect(202);
    assert!(sent.bytes.is_empty(), "202 Accepted has no body: {}", sent.text);
    let run = phone.finish().await;
    assert!(run.status.success(), "{}", run.report());
    let message = run.request("MESSAGE");
    assert!(message.body().contains("hello phone"), "{}", message.text);
    assert_eq!(message.headers("X-Ticket"), ["T-42"], "variables become headers: {}", message.text);
    assert!(message.headers("From").iter().all(|from| from.contains("sip:ari@")), "{}", message.text);
    assert!(message.headers("To").iter().all(|to| !to.contains("evil")), "To is not replaced: {}", message.text);

    // To one endpoint by path; an unknown one is refused before anything else.
    let (_, phone) = callee(&pbx, "1002", "ari-message-2", "uas_message.xml", &[]).await;
    let sent = server.send(send("PJSIP/1002/sendMessage?from=%22Desk%22%20%3Csip%3A1001%40pbx%3E&body=again")).await;
    sent.expect(202);
    let run = phone.finish().await;
    assert!(run.status.success(), "{}", run.report());
    let message = run.request("MESSAGE");
    assert!(message.body().contains("again"), "{}", message.text);
    assert!(message.headers("From").iter().all(|from| from.contains("sip:1001@")), "{}", message.text);
    assert_error(&server.send(send("PJSIP/1003/sendMessage?from=ari&body=x")).await, 404, "Endpoint not found");
}

#[tokio::test]
async fn refers_ask_a_registered_phone_to_call_out_of_dialog() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("ari-refer");
    let pbx = ari_pbx(Backend::Sqlite, &dir, &[]).await;
    let server = pbx.server.as_ref().expect("switchboard");
    let refer = |path: &str| ari(server, Method::POST, &format!("endpoints/{path}"));
    // Nobody registered: there is no phone to ask.
    let unreachable = server.send(refer("refer?to=pjsip:1001&from=ari&refer_to=pjsip:1002&to_self=true")).await;
    assert_error(&unreachable, 404, "Endpoint not found");

    // An out-of-dialog REFER asks 1001's phone to call 1002 through the PBX.
    let (_, phone) = callee(&pbx, "1001", "ari-refer", "uas_refer.xml", &[]).await;
    let variables = json!({"variables": {"display_name": "Sales \"desk\"", "X-Why": "callback"}});
    let referred = server.send(refer("refer?to=pjsip:1001&from=ari&refer_to=pjsip:1002&to_self=true").json(&variables));
    referred.await.expect(202);
    let run = phone.finish().await;
    assert!(run.status.success(), "{}", run.report());
    let request = run.request("REFER");
    let via_pbx = format!("\"Sales \\\"desk\\\"\" <sip:1002@{}>", pbx.sip);
    assert_eq!(request.headers("Refer-To"), [via_pbx.as_str()], "{}", request.text);
    assert!(request.headers("Referred-By").iter().all(|by| by.contains("sip:ari@")), "{}", request.text);
    assert_eq!(request.headers("Refer-Sub"), ["false"], "{}", request.text);
    assert_eq!(request.headers("X-Why"), ["callback"], "{}", request.text);

    // By path, to a SIP URI as given.
    let (_, phone) = callee(&pbx, "1001", "ari-refer-2", "uas_refer.xml", &[]).await;
    server.send(refer("PJSIP/1001/refer?from=ari&refer_to=sip:200@example.com")).await.expect(202);
    let run = phone.finish().await;
    assert!(run.status.success(), "{}", run.report());
    assert_eq!(run.request("REFER").headers("Refer-To"), ["<sip:200@example.com>"]);

    // Straight to 1002's phone it would be, but 1002 has none registered.
    let no_phone = server.send(refer("refer?to=pjsip:1001&from=ari&refer_to=pjsip:1002")).await;
    assert_error(&no_phone, 404, "Endpoint not found");
    let invalid = "Invalid parameters for referring.";
    assert_error(&server.send(refer("refer?to=pjsip:1001&from=ari&refer_to=somewhere")).await, 400, invalid);
    assert_error(
        &server.send(refer("refer?to=pjsip:1001&from=ari&refer_to=pjsip:1003")).await,
        404,
        "Endpoint not found",
    );
    assert_error(
        &server.send(refer("refer?to=pjsip:1003&from=ari&refer_to=pjsip:1002")).await,
        404,
        "Endpoint not found",
    );
    assert_error(&server.send(refer("refer?to=&from=ari&refer_to=pjsip:1002")).await, 400, "To must be specified");
    assert_error(&server.send(refer("PJSIP/1003/refer?from=ari&refer_to=pjsip:1001")).await, 404, "Endpoint not found");
    let bad_variables = json!({"variables": {"display_name": 7}});
    let refused = server.send(refer("refer?to=pjsip:1001&from=ari&refer_to=pjsip:1002").json(&bad_variables)).await;
    assert_error(&refused, 400, "Only string values in the 'variables' object allowed");
}

/// Writes a short 8 kHz WAV file at `path` (creating its folder); answers its bytes.
fn put_wav(path: &Path, samples: usize) -> Vec<u8> {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
    let bytes = wav_samples(samples);
    std::fs::write(path, &bytes).expect("write wav");
    bytes
}

fn sound(id: &str, formats: &[(&str, &str)]) -> Value {
    let formats: Vec<Value> =
        formats.iter().map(|(language, format)| json!({"language": language, "format": format})).collect();
    json!({"id": id, "formats": formats})
}

#[tokio::test]
async fn sounds_are_listed_from_the_sounds_directory() {
    let dir = TempDir::new("ari-sounds");
    let sounds = dir.path().join("sounds");
    put_wav(&sounds.join("en/hello-world.wav"), 80);
    put_wav(&sounds.join("fr/hello-world.wav"), 80);
    std::fs::create_dir_all(sounds.join("en/digits")).expect("folder");
    std::fs::write(sounds.join("en/digits/1.ulaw"), [0xffu8; 80]).expect("ulaw");
    std::fs::write(sounds.join("en/readme.txt"), "not a sound").expect("text");
    let config = ari_config(&dir);
    let sounds_arg = sounds.to_str().expect("utf-8");
    let server = Server::start_with(Backend::Sqlite, &["--config", &config, "--sounds", sounds_arg]).await;
    let get = |path: &str| server.send(ari(&server, Method::GET, path));

    let hello = sound("hello-world", &[("en", "slin"), ("fr", "slin")]);
    let all = get("sounds").await;
    assert_eq!(all.expect(200).json, json!([sound("digits/1", &[("en", "ulaw")]), hello.clone()]));
    assert_eq!(get("sounds?lang=fr").await.expect(200).json, json!([sound("hello-world", &[("fr", "slin")])]));
    assert_eq!(get("sounds?format=ulaw&lang=en").await.expect(200).json, json!([sound("digits/1", &[("en", "ulaw")])]));
    assert_error(&get("sounds?lang=de").await, 404, "No sounds found that matched the query");
    assert_error(&get("sounds?format=gsm").await, 404, "No sounds found that matched the query");

    assert_eq!(get("sounds/hello-world").await.expect(200).json, hello);
    assert_eq!(get("sounds/digits%2F1").await.expect(200).json, sound("digits/1", &[("en", "ulaw")]));
    assert_error(&get("sounds/goodbye").await, 404, "Sound not found");
    assert_error(&get("sounds/readme").await, 404, "Sound not found");
    assert_error(&get("sounds/..%2F..%2Fetc%2Fpasswd").await, 404, "Sound not found");
}

fn stored(name: &str) -> Value {
    json!({"name": name, "format": "wav"})
}

#[tokio::test]
async fn stored_recordings_are_listed_downloaded_copied_and_deleted() {
    let dir = TempDir::new("ari-recordings");
    let config = ari_config(&dir);
    let server = Server::start_with(Backend::Sqlite, &["--config", &config]).await;
    let get = |path: &str| server.send(ari(&server, Method::GET, &format!("recordings/stored{path}")));
    let copy = |path: &str| server.send(ari(&server, Method::POST, &format!("recordings/stored/{path}")));
    let delete = |path: &str| server.send(ari(&server, Method::DELETE, &format!("recordings/stored/{path}")));

    assert_eq!(get("").await.expect(200).json, json!([]), "nothing recorded yet");
    let recordings = server.data_dir().join("recordings");
    let greeting = put_wav(&recordings.join("greeting.wav"), 800);
    put_wav(&recordings.join("calls/2026/one.wav"), 160);
    std::fs::write(recordings.join("notes.txt"), "not a recording").expect("text");
    let outside = dir.path().join("outside");
    put_wav(&outside.join("secret.wav"), 8);
    std::os::unix::fs::symlink(outside.join("secret.wav"), recordings.join("linked.wav")).expect("symlink");

    assert_eq!(get("").await.expect(200).json, json!([stored("calls/2026/one"), stored("greeting")]));
    assert_eq!(get("/greeting").await.expect(200).json, stored("greeting"));
    assert_eq!(get("/calls%2F2026%2Fone").await.expect(200).json, stored("calls/2026/one"));
    for missing in ["/nothing", "/notes", "/linked", "/..%2Foutside%2Fsecret", "/..%2F..%2Foutside%2Fsecret"] {
        assert_error(&get(missing).await, 404, "Recording not found");
    }

    let file = get("/greeting/file").await;
    file.expect(200);
    assert_eq!(file.header("content-type").as_deref(), Some("audio/wav"));
    assert_eq!(file.bytes, greeting, "the file's bytes, unchanged");
    assert_error(&get("/nothing/file").await, 404, "Recording not found");
    assert_error(&get("/linked/file").await, 404, "Recording not found");

    let copied = copy("greeting/copy?destinationRecordingName=copies%2Fgreeting-2").await;
    assert_eq!(copied.expect(200).json, stored("copies/greeting-2"));
    assert_eq!(std::fs::read(recordings.join("copies/greeting-2.wav")).expect("copy on disk"), greeting);
    let exists = "A recording with the same name already exists on the system";
    assert_error(&copy("greeting/copy?destinationRecordingName=copies%2Fgreeting-2").await, 409, exists);
    assert_error(&copy("greeting/copy?destinationRecordingName=calls%2F2026%2Fone").await, 409, exists);
    assert_error(&copy("nothing/copy?destinationRecordingName=x").await, 404, "Recording not found");
    assert_error(&copy("..%2Fgreeting/copy?destinationRecordingName=x").await, 404, "Recording not found");
    let forbidden = "Destination file path is forbidden";
    assert_error(&copy("greeting/copy?destinationRecordingName=..%2Fescaped").await, 403, forbidden);
    assert_error(&copy("greeting/copy?destinationRecordingName=a%2F..%2F..%2Fescaped").await, 403, forbidden);
    let invalid = "Invalid destination recording name";
    assert_error(&copy("greeting/copy?destinationRecordingName=%2Ftmp%2Fabsolute").await, 400, invalid);
    assert_error(&copy("greeting/copy?destinationRecordingName=").await, 400, invalid);
    assert_error(&copy("greeting/copy").await, 400, invalid);
    assert!(!dir.path().join("data/escaped.wav").exists() && !dir.path().join("escaped.wav").exists());

    delete("copies%2Fgreeting-2").await.expect(204);
    assert_error(&delete("copies%2Fgreeting-2").await, 404, "Recording not found");
    assert_error(&get("/copies%2Fgreeting-2/file").await, 404, "Recording not found");
    assert_error(&delete("linked").await, 404, "Recording not found");
    assert_error(&delete("..%2F..%2Foutside%2Fsecret").await, 404, "Recording not found");
    assert!(outside.join("secret.wav").is_file(), "nothing outside the directory was touched");
    assert_eq!(get("").await.json, json!([stored("calls/2026/one"), stored("greeting")]));
}

#[tokio::test]
async fn mailboxes_are_updated_read_deleted_and_kept_across_a_restart() {
    for backend in backends() {
        let dir = TempDir::new("ari-mailboxes");
        let config = ari_config(&dir);
        let mut server = Server::start_with(backend, &["--config", &config]).await;
        let call = |method: Method, path: &str| ari(&server, method, &format!("mailboxes{path}"));

        assert_eq!(server.send(call(Method::GET, "")).await.expect(200).json, json!([]));
        assert_error(&server.send(call(Method::GET, "/1001")).await, 404, "Mailbox is does not exist");
        assert_error(&server.send(call(Method::DELETE, "/1001")).await, 404, "Mailbox does not exist");

        let put = |path: &str| call(Method::PUT, path);
        let created = server.send(put("/1001?oldMessages=2&newMessages=1")).await;
        created.expect(204);
        assert!(created.bytes.is_empty());
        server.send(put("/1002%40sales").json(&json!({"oldMessages": 0, "newMessages": 5}))).await.expect(204);
        server.send(put("/1001?oldMessages=3&newMessages=0")).await.expect(204);
        let missing = server.send(put("/1001?oldMessages=3")).await;
        assert_error(&missing, 400, "Missing parameter newMessages");
        let negative = server.send(put("/1001?oldMessages=-1&newMessages=0")).await;
        assert_error(&negative, 400, "Invalid value for oldMessages: must be at least 0");
        let words = server.send(put("/1001?oldMessages=many&newMessages=0")).await;
        assert_error(&words, 400, "Invalid value for oldMessages: expected an integer");

        let one = json!({"name": "1001", "old_messages": 3, "new_messages": 0});
        let sales = json!({"name": "1002@sales", "old_messages": 0, "new_messages": 5});
        assert_eq!(server.send(call(Method::GET, "/1001")).await.expect(200).json, one);
        assert_eq!(server.send(call(Method::GET, "")).await.json, json!([one, sales]));

        server.restart().await;
        let call = |method: Method, path: &str| ari(&server, method, &format!("mailboxes{path}"));
        assert_eq!(server.send(call(Method::GET, "")).await.expect(200).json, json!([one, sales]), "{backend:?}");
        server.send(call(Method::DELETE, "/1001")).await.expect(204);
        assert_error(&server.send(call(Method::GET, "/1001")).await, 404, "Mailbox is does not exist");
        assert_eq!(server.send(call(Method::GET, "")).await.json, json!([sales]));
    }
}

#[tokio::test]
async fn a_mailbox_named_after_an_extension_lights_its_phones_lamp() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    let dir = TempDir::new("ari-mwi");
    let pbx = ari_pbx(Backend::Sqlite, &dir, &[]).await;
    let server = pbx.server.as_ref().expect("switchboard");
    for (mailbox, new, old, waiting) in [("1002", 2, 5, "yes"), ("1002@default", 0, 7, "no")] {
        let (_, phone) = callee(&pbx, "1002", "ari-mwi", "uas_notify.xml", &[]).await;
        let path = format!("mailboxes/{}?oldMessages={old}&newMessages={new}", mailbox.replace('@', "%40"));
        server.send(ari(server, Method::PUT, &path)).await.expect(204);
        let run = phone.finish().await;
        assert!(run.status.success(), "{}", run.report());
        let notify = run.request("NOTIFY");
        assert_eq!(notify.headers("Event"), ["message-summary"], "{}", notify.text);
        assert_eq!(notify.headers("Content-Type"), ["application/simple-message-summary"], "{}", notify.text);
        let body = notify.body();
        assert!(body.contains(&format!("Messages-Waiting: {waiting}")), "{}", notify.text);
        assert!(body.contains(&format!("Voice-Message: {new}/{old} (0/0)")), "{}", notify.text);
    }
}
