//! The outbox's retention: settled deliveries (delivered or dead) are deleted once they are
//! older than the configured time, so the outbox does not grow with every call forever.
//! Pending deliveries are never pruned; the retry policy settles them.

use sb_store::Store;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::watch;

/// How often the outbox is pruned.
const EVERY: Duration = Duration::from_secs(3600);

/// Prunes at start and then every hour, until `stop` turns true.
pub(super) async fn run(store: Store, keep: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        prune(&store, keep).await;
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            _ = stop.wait_for(|stopping| *stopping) => return,
        }
    }
}

async fn prune(store: &Store, keep: Duration) {
    let before = sb_store::time_text(OffsetDateTime::now_utc() - keep);
    let pruned = async {
        let mut tx = store.write_records().await?;
        let pruned = tx.prune_deliveries(&before).await?;
        tx.commit().await?;
        Ok::<_, sb_store::Error>(pruned)
    };
    match pruned.await {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, %before, "pruned settled webhook deliveries"),
        Err(error) => tracing::warn!(%error, "could not prune the webhook outbox"),
    }
}
