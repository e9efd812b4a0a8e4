//! Call detail records through the real binary: rows written to the server's store (as
//! the call engine writes them) come back from `GET /api/logs/cdrs/{limit?}` newest first,
//! with Asterisk's field names; bad limits are 422, no key is 401, a tenant-scoped key
//! sees its tenant's calls only, and `GET /api/logs` lists the view.

mod common;

use common::*;
use sb_store::{NewCdr, Store};
use serde_json::json;

/// A record of a call from 1001 to `dst` starting at `calldate` (which ends in `:00.000Z`).
fn cdr(uniqueid: &str, tenant: &str, calldate: &str, dst: &str, answered: bool) -> NewCdr {
    let at = |t: &str| calldate.replace(":00.000Z", t);
    NewCdr {
        uniqueid: uniqueid.into(),
        linkedid: format!("{uniqueid}-link"),
        cluster: tenant.into(),
        calldate: calldate.into(),
        answer: answered.then(|| at(":03.250Z")),
        end: at(":45.900Z"),
        clid: "\"Alice\" <1001>".into(),
        src: "1001".into(),
        dst: dst.into(),
        dcontext: "internal".into(),
        channel: "SIP/1001-00000001".into(),
        dstchannel: format!("SIP/{dst}-00000002"),
        lastapp: "Dial".into(),
        lastdata: format!("SIP/{dst},30"),
        duration: 45,
        billsec: if answered { 42 } else { 0 },
        disposition: if answered { "ANSWERED" } else { "BUSY" }.into(),
        hangupcause: if answered { 16 } else { 17 },
        hangupsource: "SIP/1001-00000001".into(),
        accountcode: "sales".into(),
        userfield: String::new(),
    }
}

/// Writes `cdrs` into the running server's store, one transaction each, as the call
/// engine does when calls end.
async fn insert(s: &Server, cdrs: &[NewCdr]) {
    let store = Store::open(&s.database_url()).await.expect("open the server's store");
    for c in cdrs {
        let mut tx = store.write().await.expect("write");
        tx.insert_cdr(c).await.unwrap_or_else(|e| panic!("insert {}: {e}", c.uniqueid));
        tx.commit().await.expect("commit");
    }
    store.close().await;
}

fn uniqueids(resp: &Resp) -> Vec<String> {
    resp.array()
        .iter()
        .map(|c| c["uniqueid"].as_str().unwrap_or_else(|| panic!("no uniqueid in {c}")).to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdrs_are_listed_newest_first() {
    for backend in backends() {
        let s = Server::start(backend).await;
        create_acme(&s).await;
        s.get("logs/cdrs").await.expect(200);
        assert!(s.get("logs/cdrs").await.array().is_empty(), "{backend:?}: no calls yet");
        assert_eq!(s.get("logs").await.expect(200).json, json!({"logs": ["cdrs"], "counts": {"cdrs": 0}}));

        // 52 older calls, then three recent ones stored out of call order.
        let mut rows: Vec<NewCdr> = (0..52)
            .map(|i| cdr(&format!("old-{i:02}"), "default", &format!("2026-11-22T09:{i:02}:00.000Z"), "1002", true))
            .collect();
        rows.push(cdr("c3", "default", "2026-11-23T12:00:00.000Z", "1003", false));
        rows.push(cdr("c1", "default", "2026-11-23T10:00:00.000Z", "1002", true));
        rows.push(cdr("c2", "acme", "2026-11-23T11:00:00.000Z", "2001", true));
        insert(&s, &rows).await;

        let two = s.get("logs/cdrs/2").await;
        two.expect(200);
        assert_eq!(uniqueids(&two), ["c3", "c2"], "{backend:?}: the two newest calls");
        let newest = &two.array()[0];
        let id = newest["id"].as_i64().unwrap_or_else(|| panic!("id is not an integer: {newest}"));
        assert_eq!(
            *newest,
            json!({
                "id": id, "uniqueid": "c3", "linkedid": "c3-link", "cluster": "default",
                "calldate": "2026-11-23T12:00:00.000Z", "answer": null, "end": "2026-11-23T12:00:45.900Z",
                "clid": "\"Alice\" <1001>", "src": "1001", "dst": "1003", "dcontext": "internal",
                "channel": "SIP/1001-00000001", "dstchannel": "SIP/1003-00000002", "lastapp": "Dial", "lastdata": "SIP/1003,30",
                "duration": 45, "billsec": 0, "disposition": "BUSY", "hangupcause": 17, "hangupsource": "SIP/1001-00000001",
                "accountcode": "sales", "userfield": "",
            }),
            "{backend:?}: every field, durations as integers"
        );
        let answered = &two.array()[1];
        assert_eq!(answered["answer"], json!("2026-11-23T11:00:03.250Z"));
        assert_eq!((&answered["billsec"], &answered["disposition"]), (&json!(42), &json!("ANSWERED")));

        let default = s.get("logs/cdrs").await;
        default.expect(200);
        let ids = uniqueids(&default);
        assert_eq!(ids.len(), 50, "{backend:?}: 50 by default");
        assert_eq!(ids[..4], ["c3", "c2", "c1", "old-51"]);
        assert_eq!(ids[49], "old-05", "{backend:?}: the oldest are left out");
        assert_eq!(uniqueids(s.get("logs/cdrs/1000").await.expect(200)).len(), 55);
        assert_eq!(uniqueids(s.get("logs/cdrs/1").await.expect(200)), ["c3"]);
        assert_eq!(s.get("logs").await.expect(200).json, json!({"logs": ["cdrs"], "counts": {"cdrs": 55}}));

        for bad in ["0", "abc", "-1", "1.5", "1001", "99999999999", "%20"] {
            assert_invalid(&s.get(&format!("logs/cdrs/{bad}")).await, "limit");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdrs_need_a_key_and_respect_its_tenant() {
    for backend in backends() {
        let s = Server::start(backend).await;
        create_acme(&s).await;
        insert(
            &s,
            &[
                cdr("d1", "default", "2026-11-23T10:00:00.000Z", "1002", true),
                cdr("a1", "acme", "2026-11-23T11:00:00.000Z", "2001", true),
                cdr("d2", "default", "2026-11-23T12:00:00.000Z", "1003", false),
                cdr("a2", "acme", "2026-11-23T13:00:00.000Z", "2002", false),
            ],
        )
        .await;

        let anonymous = s.anonymous();
        for path in ["logs", "logs/cdrs", "logs/cdrs/2", "logs/cdrs/abc"] {
            let resp = anonymous.get(path).await;
            resp.expect(401);
            assert_eq!(resp["message"], json!("Unauthenticated."), "{backend:?} {path}");
        }

        let acme = s.as_key(&s.create_key(&["--role", "readonly", "--tenant", "acme"]).await);
        assert_eq!(uniqueids(acme.get("logs/cdrs").await.expect(200)), ["a2", "a1"], "{backend:?}: acme's calls only");
        assert_eq!(uniqueids(acme.get("logs/cdrs/1").await.expect(200)), ["a2"]);
        assert_eq!(acme.get("logs").await.expect(200)["counts"], json!({"cdrs": 2}));
        assert_invalid(&acme.get("logs/cdrs/0").await, "limit");

        let default = s.as_key(&s.create_key(&["--role", "admin", "--tenant", "default"]).await);
        let seen = default.get("logs/cdrs/10").await;
        seen.expect(200);
        assert_eq!(uniqueids(&seen), ["d2", "d1"], "{backend:?}: default's calls only");
        assert!(seen.array().iter().all(|c| c["cluster"] == json!("default")), "{}", seen.text);

        let reader = s.as_key(&s.create_key(&["--role", "readonly"]).await);
        assert_eq!(
            uniqueids(reader.get("logs/cdrs").await.expect(200)),
            ["a2", "d2", "a1", "d1"],
            "{backend:?}: every tenant"
        );
        // The views are read-only.
        let posted = s.post_json("logs/cdrs", &json!({})).await;
        assert_eq!(posted.status, 405, "{}", posted.text);
    }
}
