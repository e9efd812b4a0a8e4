//! Call detail records survive in the store: insert, read back newest first, per tenant,
//! counted, duplicates refused, on SQLite and (when `SWITCHBOARD_TEST_POSTGRES` names a
//! server) on PostgreSQL.

mod common;

use sb_store::{Error, NewCdr, Store};

fn cdr(uniqueid: &str, tenant: &str, calldate: &str, answered: bool) -> NewCdr {
    NewCdr {
        uniqueid: uniqueid.into(),
        linkedid: uniqueid.into(),
        cluster: tenant.into(),
        calldate: calldate.into(),
        answer: answered.then(|| calldate.replace(":00.000Z", ":02.500Z")),
        end: calldate.replace(":00.000Z", ":30.000Z"),
        clid: "\"Alice\" <1001>".into(),
        src: "1001".into(),
        dst: "1002".into(),
        dcontext: "internal".into(),
        channel: "PJSIP/1001-00000001".into(),
        dstchannel: "PJSIP/1002-00000002".into(),
        lastapp: "Dial".into(),
        lastdata: "PJSIP/1002,30".into(),
        duration: 30,
        billsec: if answered { 27 } else { 0 },
        disposition: if answered { "ANSWERED" } else { "NO ANSWER" }.into(),
        hangupcause: if answered { 16 } else { 19 },
        hangupsource: "PJSIP/1001-00000001".into(),
        accountcode: String::new(),
        userfield: "note: it's \"quoted\"".into(),
    }
}

async fn round_trip(url: &str) {
    let store = Store::open(url).await.expect("open store");
    assert!(store.read().await.unwrap().recent_cdrs(10, None).await.unwrap().is_empty());

    let first = cdr("u1", "default", "2026-11-23T10:00:00.000Z", true);
    let second = cdr("u2", "acme", "2026-11-23T11:00:00.000Z", false);
    let third = cdr("u3", "default", "2026-11-23T12:00:00.000Z", true);
    // Stored out of call order: a long call that started first may end last.
    let mut tx = store.write().await.unwrap();
    let id_third = tx.insert_cdr(&third).await.unwrap();
    let id_first = tx.insert_cdr(&first).await.unwrap();
    tx.insert_cdr(&second).await.unwrap();
    tx.commit().await.unwrap();
    assert!(id_first > id_third, "ids are assigned in insertion order");

    let mut conn = store.read().await.unwrap();
    let all = conn.recent_cdrs(10, None).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.cdr.uniqueid.as_str()).collect::<Vec<_>>(),
        ["u3", "u2", "u1"],
        "newest call first"
    );
    assert_eq!(all[0].cdr, third, "every field round-trips");
    assert_eq!(all[0].id, id_third);
    assert_eq!(all[1].cdr, second, "an unanswered call keeps answer NULL");
    assert_eq!(all[1].cdr.answer, None);

    let two = conn.recent_cdrs(2, None).await.unwrap();
    assert_eq!(two.iter().map(|r| r.cdr.uniqueid.as_str()).collect::<Vec<_>>(), ["u3", "u2"]);
    assert!(conn.recent_cdrs(0, None).await.unwrap().is_empty());

    let mine = conn.recent_cdrs(10, Some("default")).await.unwrap();
    assert_eq!(mine.iter().map(|r| r.cdr.uniqueid.as_str()).collect::<Vec<_>>(), ["u3", "u1"]);
    assert!(conn.recent_cdrs(10, Some("nobody")).await.unwrap().is_empty());
    assert_eq!(conn.count_cdrs(None).await.unwrap(), 3);
    assert_eq!(conn.count_cdrs(Some("acme")).await.unwrap(), 1);
    assert_eq!(conn.count_cdrs(Some("nobody")).await.unwrap(), 0);
    drop(conn);

    // Same start time: the one stored later counts as newer.
    let mut tx = store.write().await.unwrap();
    tx.insert_cdr(&cdr("u4", "default", "2026-11-23T12:00:00.000Z", false)).await.unwrap();
    tx.commit().await.unwrap();
    let latest = store.read().await.unwrap().recent_cdrs(2, None).await.unwrap();
    assert_eq!(latest.iter().map(|r| r.cdr.uniqueid.as_str()).collect::<Vec<_>>(), ["u4", "u3"]);

    // A uniqueid is recorded once; the failed write leaves nothing behind.
    let mut tx = store.write().await.unwrap();
    let err = tx.insert_cdr(&cdr("u1", "default", "2026-11-24T10:00:00.000Z", true)).await.unwrap_err();
    assert!(matches!(err, Error::Duplicate(_)), "duplicate uniqueid: {err:?}");
    drop(tx);
    assert_eq!(store.read().await.unwrap().count_cdrs(None).await.unwrap(), 4);
    store.close().await;
}

#[tokio::test]
async fn cdrs_round_trip_on_sqlite() {
    common::on_sqlite("cdrs", |url| async move { round_trip(&url).await }).await;
}

#[tokio::test]
async fn cdrs_round_trip_on_postgres() {
    common::on_postgres("cdrs", |url| async move { round_trip(&url).await }).await;
}
