//! A program's `Dial()`: the channel running the program places an outgoing channel (its
//! own task, as an originated one) and the two are linked. The outgoing channel tells its
//! caller what happens ([`PeerNews`]); once it answers, both media channels share a private
//! mixing bridge, as Asterisk's Dial bridges the caller and the callee. When the callee ends,
//! the caller's program goes on with `DIALSTATUS` set; when the caller ends, the callee is
//! hung up.

use super::channel::{ChannelTask, Driver};
use super::command::HangupCause;
use super::originate::{place, OriginateTarget, Outgoing};
use sb_media::engine::{BridgeKind, MediaBridge};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a `Dial()` without a timeout rings (Asterisk rings forever; a PBX should not).
const DEFAULT_RING: Duration = Duration::from_secs(60);

/// What the dialled channel tells the channel that dialled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PeerNews {
    /// It rings.
    Ringing,
    /// It answered and is in the shared bridge.
    Answered,
    /// It is gone; `dialstatus` is Asterisk's `DIALSTATUS` for how the dial went.
    Ended { dialstatus: &'static str },
}

/// The dialled channel's side of the link (its driver).
pub(super) struct DialledBy {
    news: mpsc::Sender<PeerNews>,
    bridge: Arc<MediaBridge>,
    /// `DIALSTATUS` so far: how the last ringing report ended.
    pub dialstatus: &'static str,
}

impl DialledBy {
    /// Tells the caller; it may be gone already, which changes nothing here.
    pub fn tell(&self, news: PeerNews) {
        let _ = self.news.try_send(news);
    }

    /// The bridge both channels share once answered.
    pub fn bridge(&self) -> &MediaBridge {
        &self.bridge
    }
}

/// The dialling channel's side of the link.
pub(super) struct Callee {
    /// The dialled channel's id.
    pub id: String,
    news: mpsc::Receiver<PeerNews>,
    bridge: Arc<MediaBridge>,
    /// Whether the caller joined the bridge.
    pub bridged: bool,
}

impl Callee {
    /// The next news; pending forever once the callee's side is gone without a last word.
    pub async fn next(callee: &mut Option<Callee>) -> PeerNews {
        match callee {
            Some(callee) => match callee.news.recv().await {
                Some(news) => news,
                None => PeerNews::Ended { dialstatus: "CHANUNAVAIL" },
            },
            None => std::future::pending().await,
        }
    }
}

/// `DIALSTATUS` for a dial that failed with SIP `status` (Asterisk's mapping).
pub(super) fn dialstatus_of_failure(status: u16) -> &'static str {
    match status {
        486 | 600 | 603 => "BUSY",
        408 | 480 | 487 => "NOANSWER",
        503 => "CONGESTION",
        _ => "CHANUNAVAIL",
    }
}

impl ChannelTask {
    /// Runs a program's `Dial(endpoints,timeout)`: places the callee and links it. Answers
    /// whether ringing started (else `DIALSTATUS` says why not).
    pub(super) async fn dial_out(&mut self, endpoints: &[String], timeout: Option<Duration>) -> bool {
        let targets: Result<Vec<_>, _> = endpoints.iter().map(|e| OriginateTarget::parse(e)).collect();
        let targets = match targets {
            Ok(targets) if !targets.is_empty() => targets,
            _ => return self.dial_refused("CHANUNAVAIL", "no endpoint Dial can ring"),
        };
        let (events_tx, _) = mpsc::channel(1);
        let bridge = Arc::new(self.shared.media.channels().bridge_of(BridgeKind::Mixing, events_tx));
        let (news_tx, news) = mpsc::channel(8);
        let caller = self.snap().caller;
        let outgoing = Outgoing {
            targets,
            connected: caller.clone(),
            caller,
            channel_id: None,
            variables: Default::default(),
            ring: timeout.filter(|t| !t.is_zero()).unwrap_or(DEFAULT_RING),
        };
        let link = DialledBy { news: news_tx, bridge: Arc::clone(&bridge), dialstatus: "CHANUNAVAIL" };
        let (mut task, placement) = match place(&self.shared, outgoing, Driver::Dialled(link)).await {
            Ok(placed) => placed,
            Err(e) => return self.dial_refused("CHANUNAVAIL", &e.to_string()),
        };
        let created = task.snap();
        self.callee = Some(Callee { id: created.id.clone(), news, bridge, bridged: false });
        task.publish(super::event::EventKind::ChannelCreated { channel: created, app: None });
        task.dial(placement).await;
        tokio::spawn(task.run());
        true
    }

    fn dial_refused(&mut self, dialstatus: &str, why: &str) -> bool {
        tracing::info!(why, dialstatus, "Dial did not ring anyone");
        self.update(|s| {
            s.variables.insert("DIALSTATUS".into(), dialstatus.into());
        });
        false
    }

    /// What the callee tells: ringing goes back to an unanswered caller, an answer joins the
    /// caller to the bridge, the end lets the program go on.
    pub(super) async fn on_peer_news(&mut self, news: PeerNews) {
        match news {
            PeerNews::Ringing => self.provisional(180, "Ringing", false).await,
            PeerNews::Answered => {
                if self.answer().await.is_err() {
                    return self.hang_up(HangupCause::NORMAL, true).await;
                }
                if let Some(callee) = self.callee.as_mut() {
                    callee.bridge.add(&self.media);
                    callee.bridged = true;
                }
                self.update(|s| {
                    s.variables.insert("DIALSTATUS".into(), "ANSWER".into());
                });
            }
            PeerNews::Ended { dialstatus } => {
                if let Some(callee) = self.callee.take() {
                    if callee.bridged {
                        callee.bridge.remove(&self.media);
                    }
                }
                self.update(|s| {
                    s.variables.insert("DIALSTATUS".into(), dialstatus.into());
                });
                if let Driver::Program(program) = &mut self.driver {
                    program.callee_ended();
                }
            }
        }
    }

    /// The caller is ending: its callee goes too.
    pub(super) fn hang_up_callee(&mut self) {
        let Some(callee) = self.callee.take() else { return };
        if callee.bridged {
            callee.bridge.remove(&self.media);
        }
        self.hang_up_others(vec![callee.id]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_read_as_asterisks_dialstatus() {
        assert_eq!(dialstatus_of_failure(486), "BUSY");
        assert_eq!(dialstatus_of_failure(603), "BUSY");
        assert_eq!(dialstatus_of_failure(480), "NOANSWER");
        assert_eq!(dialstatus_of_failure(503), "CONGESTION");
        assert_eq!(dialstatus_of_failure(404), "CHANUNAVAIL");
    }
}
