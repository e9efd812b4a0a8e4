//! The webhook outbox keeps a call's events in order and never hands one row to two
//! senders, on SQLite and (when `SWITCHBOARD_TEST_POSTGRES` names a server) PostgreSQL:
//! only the oldest pending event of a call is due per webhook, a failed one holds back
//! the rest of its call until it is delivered or dead, other calls and webhooks go on
//! meanwhile, a lease is taken once, settled rows are pruned after their retention, and
//! deleting a webhook takes its deliveries along.

mod common;

use sb_store::rows::{self, Column, Value};
use sb_store::webhooks::{active_webhooks, count_deliveries, due_deliveries};
use sb_store::{
    AttemptOutcome, AttemptRecord, DeliveryQuery, DeliveryState, Error, NewDelivery, Page, Store, WebhookTarget,
};

const T0: &str = "2026-11-23T10:00:00.000Z";
const T1: &str = "2026-11-23T10:00:01.000Z";
const T5: &str = "2026-11-23T10:00:05.000Z";
const T9: &str = "2026-11-23T10:00:09.000Z";

async fn webhook(store: &Store, id_pkey: &str, cluster: &str, active: &str, events: &[&str]) -> i64 {
    let mut tx = store.write().await.unwrap();
    let values = [
        (Column::text("pkey"), Value::from(id_pkey)),
        (Column::text("cluster"), Value::from(cluster)),
        (Column::text("url"), Value::from(format!("https://crm.example.com/{id_pkey}"))),
        (Column::text("secret"), Value::from("0123456789abcdef0123")),
        (Column::text("active"), Value::from(active)),
    ];
    let id = rows::insert(&mut tx, "webhooks", &values, Some("id")).await.unwrap().unwrap();
    for (position, event) in events.iter().enumerate() {
        let row = [
            (Column::text("parent"), Value::from(id.to_string())),
            (Column::int("position"), Value::Int(position as i64)),
            (Column::text("event"), Value::from(*event)),
        ];
        rows::insert(&mut tx, "webhook_events", &row, None).await.unwrap();
    }
    tx.commit().await.unwrap();
    id
}

fn delivery(webhook_id: i64, call: &str, seq: i64) -> NewDelivery {
    NewDelivery {
        event_id: format!("{call}-{seq}"),
        webhook_id,
        cluster: "default".into(),
        event: "Newchannel".into(),
        call_id: call.into(),
        call_seq: seq,
        payload: format!(r#"{{"seq":{seq}}}"#),
        created_at: T0.into(),
    }
}

/// The (webhook, call, seq) of what is due at `now`, sorted.
async fn due(store: &Store, now: &str) -> Vec<(i64, String, i64)> {
    let mut conn = store.read().await.unwrap();
    let rows = due_deliveries(&mut conn, now, 100).await.unwrap();
    let mut due: Vec<_> = rows.into_iter().map(|d| (d.webhook_id, d.call_id, d.call_seq)).collect();
    due.sort();
    due
}

async fn attempt(store: &Store, webhook_id: i64, call: &str, seq: i64, outcome: AttemptOutcome) {
    let mut conn = store.read().await.unwrap();
    let row = due_deliveries(&mut conn, T9, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.webhook_id == webhook_id && d.call_id == call && d.call_seq == seq)
        .unwrap_or_else(|| panic!("{call}/{seq} of webhook {webhook_id} is not due"));
    drop(conn);
    let status = matches!(outcome, AttemptOutcome::Delivered).then_some(200);
    let mut tx = store.write_records().await.unwrap();
    tx.record_attempt(row.id, &AttemptRecord { at: T1.into(), status, error: "HTTP 503".into(), outcome })
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn outbox(url: &str) {
    let store = Store::open(url).await.expect("open store");
    let mut tx = store.write().await.unwrap();
    for tenant in ["default", "acme"] {
        let values = [(Column::text("pkey"), Value::from(tenant)), (Column::text("description"), Value::from(tenant))];
        rows::insert(&mut tx, "tenants", &values, None).await.unwrap();
    }
    tx.commit().await.unwrap();
    let all = webhook(&store, "w1", "default", "YES", &[]).await;
    let hangups = webhook(&store, "w2", "default", "YES", &["Hangup", "Newexten"]).await;
    let off = webhook(&store, "w3", "acme", "NO", &[]).await;

    // Only active webhooks are targets, with their filters in order.
    let mut conn = store.read().await.unwrap();
    let targets = active_webhooks(&mut conn).await.unwrap();
    drop(conn);
    assert_eq!(
        targets,
        [
            WebhookTarget { id: all, cluster: "default".into(), events: vec![] },
            WebhookTarget { id: hangups, cluster: "default".into(), events: vec!["Hangup".into(), "Newexten".into()] },
        ]
    );

    let mut tx = store.write_records().await.unwrap();
    for seq in 1..=3 {
        tx.enqueue_delivery(&delivery(all, "A", seq)).await.unwrap();
    }
    tx.enqueue_delivery(&delivery(all, "B", 1)).await.unwrap();
    tx.enqueue_delivery(&delivery(hangups, "A", 3)).await.unwrap();
    tx.enqueue_delivery(&delivery(off, "C", 1)).await.unwrap();
    tx.commit().await.unwrap();

    // The same event for the same webhook is stored once; the failed batch leaves nothing.
    let mut tx = store.write_records().await.unwrap();
    tx.enqueue_delivery(&delivery(all, "Z", 1)).await.unwrap();
    let err = tx.enqueue_delivery(&delivery(all, "A", 2)).await.unwrap_err();
    assert!(matches!(err, Error::Duplicate(_)), "{err:?}");
    drop(tx);

    // Nothing is due before its time; then each lane's oldest, an inactive webhook's never.
    assert!(due(&store, "2026-11-23T09:59:59.999Z").await.is_empty());
    let a = || "A".to_owned();
    let b = || "B".to_owned();
    assert_eq!(due(&store, T1).await, [(all, a(), 1), (all, b(), 1), (hangups, a(), 3)]);

    // A lease is taken once, and a leased row is not due until the lease ends.
    let mut conn = store.read().await.unwrap();
    let first = due_deliveries(&mut conn, T1, 1).await.unwrap().remove(0);
    drop(conn);
    assert_eq!((first.webhook_id, first.call_seq, first.url.as_str()), (all, 1, "https://crm.example.com/w1"));
    assert_eq!(first.secret, "0123456789abcdef0123");
    let mut tx = store.write_records().await.unwrap();
    assert!(tx.lease_delivery(first.id, &first.next_attempt_at, T5).await.unwrap());
    assert!(!tx.lease_delivery(first.id, &first.next_attempt_at, T5).await.unwrap(), "taken already");
    tx.commit().await.unwrap();
    assert_eq!(due(&store, T1).await, [(all, b(), 1), (hangups, a(), 3)], "A/1 is leased; A/2 waits behind it");

    // A failure holds the rest of the call back, not other calls or webhooks.
    attempt(&store, all, "A", 1, AttemptOutcome::RetryAt(T5.into())).await;
    assert_eq!(due(&store, T1).await, [(all, b(), 1), (hangups, a(), 3)]);
    assert_eq!(due(&store, T5).await, [(all, a(), 1), (all, b(), 1), (hangups, a(), 3)]);
    // Delivered: the next of the call is due at once.
    attempt(&store, all, "A", 1, AttemptOutcome::Delivered).await;
    assert_eq!(due(&store, T5).await, [(all, a(), 2), (all, b(), 1), (hangups, a(), 3)]);
    // Dead also lets the call go on.
    attempt(&store, all, "A", 2, AttemptOutcome::Dead).await;
    assert_eq!(due(&store, T5).await, [(all, a(), 3), (all, b(), 1), (hangups, a(), 3)]);

    // The log: newest first, filtered, attempts and outcomes recorded.
    let mut conn = store.read().await.unwrap();
    let page = Page { limit: Some(10), offset: 0 };
    let mine = conn.deliveries(&DeliveryQuery { webhook_id: Some(all), page, ..Default::default() }).await.unwrap();
    assert_eq!(
        mine.iter().map(|d| (d.call_id.as_str(), d.call_seq)).collect::<Vec<_>>(),
        [("B", 1), ("A", 3), ("A", 2), ("A", 1)]
    );
    let a1 = &mine[3];
    assert_eq!((a1.state.as_str(), a1.attempts, a1.last_status), ("delivered", 2, Some(200)));
    assert_eq!(a1.delivered_at.as_deref(), Some(T1));
    let a2 = &mine[2];
    assert_eq!((a2.state.as_str(), a2.attempts, a2.last_error.as_deref()), ("dead", 1, Some("HTTP 503")));
    let dead =
        conn.deliveries(&DeliveryQuery { state: Some(DeliveryState::Dead), page, ..Default::default() }).await.unwrap();
    assert_eq!(dead.len(), 1);
    let acme =
        conn.deliveries(&DeliveryQuery { tenant: Some("acme".into()), page, ..Default::default() }).await.unwrap();
    assert!(acme.is_empty(), "the delivery to acme's webhook was stored under default: {acme:?}");
    assert_eq!(count_deliveries(&mut conn, DeliveryState::Pending).await.unwrap(), 4);
    drop(conn);

    // Retention: settled rows older than the cut-off go, pending ones stay whatever their age.
    let mut tx = store.write_records().await.unwrap();
    assert_eq!(tx.prune_deliveries(T0).await.unwrap(), 0, "nothing was created before T0");
    assert_eq!(tx.prune_deliveries(T1).await.unwrap(), 2, "A/1 delivered and A/2 dead");
    tx.commit().await.unwrap();
    let mut conn = store.read().await.unwrap();
    assert_eq!(count_deliveries(&mut conn, DeliveryState::Pending).await.unwrap(), 4);
    assert_eq!(count_deliveries(&mut conn, DeliveryState::Delivered).await.unwrap(), 0);
    assert_eq!(count_deliveries(&mut conn, DeliveryState::Dead).await.unwrap(), 0);
    drop(conn);

    // Deleting a webhook deletes its deliveries.
    let mut tx = store.write().await.unwrap();
    rows::delete(&mut tx, "webhooks", &[("id", Value::Int(all))]).await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = store.read().await.unwrap();
    assert_eq!(count_deliveries(&mut conn, DeliveryState::Pending).await.unwrap(), 2);
    assert_eq!(count_deliveries(&mut conn, DeliveryState::Delivered).await.unwrap(), 0);
    drop(conn);
    store.close().await;
}

#[tokio::test]
async fn the_outbox_keeps_call_order_on_sqlite() {
    common::on_sqlite("webhooks", |url| async move { outbox(&url).await }).await;
}

#[tokio::test]
async fn the_outbox_keeps_call_order_on_postgres() {
    common::on_postgres("webhooks", |url| async move { outbox(&url).await }).await;
}
