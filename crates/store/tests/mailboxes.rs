//! Mailboxes survive in the store: created by a first put, changed by the next, read one
//! or all, deleted once, and still there after the store is reopened, on SQLite and (when
//! `SWITCHBOARD_TEST_POSTGRES` names a server) PostgreSQL.

mod common;

use sb_store::{Mailbox, Store};

fn mailbox(name: &str, old_messages: i64, new_messages: i64) -> Mailbox {
    Mailbox { name: name.into(), old_messages, new_messages }
}

async fn put(store: &Store, mailbox: &Mailbox) {
    let mut tx = store.write_records().await.unwrap();
    tx.put_mailbox(mailbox).await.unwrap();
    tx.commit().await.unwrap();
}

async fn round_trip(url: &str) {
    let store = Store::open(url).await.expect("open store");
    assert_eq!(store.read().await.unwrap().mailboxes().await.unwrap(), []);
    put(&store, &mailbox("1002@default", 0, 1)).await;
    put(&store, &mailbox("1001", 3, 2)).await;
    put(&store, &mailbox("1002@default", 4, 0)).await;
    let mut read = store.read().await.unwrap();
    assert_eq!(read.mailboxes().await.unwrap(), [mailbox("1001", 3, 2), mailbox("1002@default", 4, 0)]);
    assert_eq!(read.mailbox("1001").await.unwrap(), Some(mailbox("1001", 3, 2)));
    assert_eq!(read.mailbox("1003").await.unwrap(), None);
    assert_eq!(read.mailbox("a\0b").await.unwrap(), None, "a name with NUL matches nothing");
    drop(read);

    let mut tx = store.write_records().await.unwrap();
    assert!(tx.put_mailbox(&mailbox("a\0b", 1, 1)).await.is_err(), "NUL is refused, not stored");
    drop(tx);
    let mut tx = store.write_records().await.unwrap();
    assert!(tx.delete_mailbox("1001").await.unwrap());
    assert!(!tx.delete_mailbox("1001").await.unwrap(), "deleted once");
    drop(tx); // rolled back: 1001 is still there
    assert_eq!(store.read().await.unwrap().mailboxes().await.unwrap().len(), 2);
    let mut tx = store.write_records().await.unwrap();
    assert!(tx.delete_mailbox("1001").await.unwrap());
    tx.commit().await.unwrap();
    store.close().await;

    let reopened = Store::open(url).await.expect("reopen store");
    assert_eq!(reopened.read().await.unwrap().mailboxes().await.unwrap(), [mailbox("1002@default", 4, 0)]);
    reopened.close().await;
}

#[tokio::test]
async fn mailboxes_round_trip_on_sqlite() {
    common::on_sqlite("mailboxes", |url| async move { round_trip(&url).await }).await;
}

#[tokio::test]
async fn mailboxes_round_trip_on_postgres() {
    common::on_postgres("mailboxes", |url| async move { round_trip(&url).await }).await;
}
