//! Registrar bindings survive in the store: replace, read back, replace again, on SQLite
//! and (when `SWITCHBOARD_TEST_POSTGRES` names a server) on PostgreSQL.

mod common;

use sb_store::{Store, StoredBinding};

fn binding(aor: &str, contact: &str, expires_at: i64) -> StoredBinding {
    StoredBinding {
        aor: aor.into(),
        contact: contact.into(),
        expires_at,
        call_id: "c1".into(),
        cseq: 7,
        source: "192.0.2.10:5062".into(),
        transport: "udp".into(),
        user_agent: Some("baresip".into()),
    }
}

async fn round_trip(url: &str) {
    let store = Store::open(url).await.expect("open store");
    let mut tx = store.write().await.unwrap();
    tx.replace_bindings("1001", &[binding("1001", "sip:1001@a", 100), binding("1001", "sip:1001@b", 200)]).await.unwrap();
    tx.replace_bindings("1002", &[binding("1002", "sip:1002@c", 300)]).await.unwrap();
    tx.commit().await.unwrap();
    let all = store.read().await.unwrap().bindings().await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0], binding("1001", "sip:1001@a", 100));

    let mut tx = store.write().await.unwrap();
    tx.replace_bindings("1001", &[]).await.unwrap();
    drop(tx); // rolled back: nothing changes
    assert_eq!(store.read().await.unwrap().bindings().await.unwrap().len(), 3);

    let mut tx = store.write().await.unwrap();
    tx.replace_bindings("1001", &[binding("1001", "sip:1001@b", 400)]).await.unwrap();
    tx.commit().await.unwrap();
    let all = store.read().await.unwrap().bindings().await.unwrap();
    assert_eq!(all.iter().map(|b| (b.contact.as_str(), b.expires_at)).collect::<Vec<_>>(), [("sip:1001@b", 400), ("sip:1002@c", 300)]);
    store.close().await;
}

#[tokio::test]
async fn bindings_round_trip_on_sqlite() {
    common::on_sqlite("bindings", |url| async move { round_trip(&url).await }).await;
}

#[tokio::test]
async fn bindings_round_trip_on_postgres() {
    common::on_postgres("bindings", |url| async move { round_trip(&url).await }).await;
}
