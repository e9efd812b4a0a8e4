//! 2xx retransmission for INVITE over unreliable transports (RFC 3261 §13.3.1.4, RFC 6026
//! §8.1): the UAS core resends its 2xx at T1, 2·T1, ... capped at T2, until the ACK comes or
//! 64·T1 passes. One small task per answered call, stopped by the ACK.

use super::Endpoint;
use crate::transport::Peer;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// The 2xx responses waiting for their ACK, by Call-ID and CSeq number.
#[derive(Default)]
pub(super) struct PendingAcks {
    waiting: Mutex<HashMap<(String, u32), oneshot::Sender<()>>>,
}

impl PendingAcks {
    pub(super) fn len(&self) -> usize {
        self.waiting.lock().map(|w| w.len()).unwrap_or(0)
    }

    /// Starts resending `response` to `peer` until [`acknowledged`](Self::acknowledged).
    pub(super) fn start(&self, endpoint: Endpoint, call_id: String, cseq: u32, peer: Peer, response: Bytes) {
        let (stop, stopped) = oneshot::channel();
        let Ok(mut waiting) = self.waiting.lock() else { return };
        // A second 2xx for the same INVITE (a retransmission the TU asked for) replaces the first.
        waiting.insert((call_id.clone(), cseq), stop);
        drop(waiting);
        tokio::spawn(async move {
            let timers = endpoint.inner.config.timers;
            let mut interval = timers.t1();
            let give_up = tokio::time::Instant::now() + timers.t1() * 64;
            tokio::pin!(stopped);
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(interval) => {}
                }
                if tokio::time::Instant::now() >= give_up {
                    tracing::debug!(%call_id, "no ACK for 2xx after 64*T1");
                    break;
                }
                endpoint.send_raw(peer, response.clone()).await;
                interval = (interval * 2).min(timers.t2());
            }
            if let Ok(mut waiting) = endpoint.inner.acks.waiting.lock() {
                waiting.remove(&(call_id, cseq));
            }
        });
    }

    /// The ACK for this Call-ID and CSeq arrived: stop resending.
    pub(super) fn acknowledged(&self, call_id: &str, cseq: u32) {
        if let Ok(mut waiting) = self.waiting.lock() {
            if let Some(stop) = waiting.remove(&(call_id.to_owned(), cseq)) {
                let _ = stop.send(());
            }
        }
    }
}
