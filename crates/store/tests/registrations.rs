//! Registrar bindings survive in the store: replace, read back, replace again, on SQLite
//! and (when `SWITCHBOARD_TEST_POSTGRES` names a server) on PostgreSQL.

use sb_store::{Store, StoredBinding};
use sqlx::Connection;

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
    let dir = std::env::temp_dir().join(format!("sb-store-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    round_trip(&format!("sqlite://{}/t.db?mode=rwc", dir.display())).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn bindings_round_trip_on_postgres() {
    let Ok(admin) = std::env::var("SWITCHBOARD_TEST_POSTGRES") else {
        assert!(std::env::var_os("CI").is_none(), "CI must test PostgreSQL");
        return;
    };
    let name = format!("sb_store_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut conn).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    round_trip(&format!("{base}/{name}")).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
}
