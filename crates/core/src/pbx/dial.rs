//! Dialling one callee: an INVITE to each of its registered contacts in parallel (forks),
//! until the first 2xx wins or every fork fails. This file owns the forks' bookkeeping and
//! what each response means for the call; the call's task owns the loop that feeds it.
//!
//! A dial to a carrier carries the trunk's login: a 401/407 to a fork is answered once, with
//! the INVITE sent again (same Call-ID and tags, next CSeq) carrying digest credentials.
//!
//! After ringing, forks still report: a lost ACK brings the winner's 2xx again (it is ACKed
//! again, §13.2.2.4), and a fork that answered in the race is ACKed and hung up.

use super::b2bua::Parties;
use super::Shared;
use crate::cdr::Disposition;
use sb_media::sdp::SessionDescription;
use sb_sip::auth::{authorization, ClientCredentials, Requested, ServerChallenge};
use sb_sip::dialog::Dialog;
use sb_sip::endpoint::ClientEvent;
use sb_sip::message::{self, HeaderName, Method, Request, RequestBuilder, Response};
use sb_sip::transaction::TransactionKey;
use sb_sip::transport::Peer;

/// One INVITE of the dial, to one contact.
pub(super) struct Fork {
    key: TransactionKey,
    /// The INVITE as sent (a 2xx forms the dialog from it).
    pub request: Request,
    /// Where it went.
    pub peer: Peer,
    /// Whether a final response (or a timeout) ended it.
    done: bool,
    status: u16,
    /// Whether it was sent again with credentials already (a second challenge ends it).
    challenged: bool,
}

/// The user name and password a dial answers digest challenges with (a trunk's).
#[derive(Clone)]
pub(super) struct Login {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login").field("username", &self.username).finish_non_exhaustive()
    }
}

/// What a fork's report means for the call while the callee rings.
pub(super) enum Progress {
    /// Nothing the call must act on.
    Nothing,
    /// The callee is alerting (its first 180).
    Ringing,
    /// The callee sent early media with this SDP (183 with a body).
    EarlyMedia(SessionDescription),
    /// Fork `n` answered with this 2xx.
    Answered(usize, Box<Response>),
    /// Every fork failed; the status the caller should hear.
    Failed(u16),
}

/// Forwards a client transaction's reports to `sink`, each tagged with `slot`, until
/// either side closes: one queue for all of a call's transactions.
pub(super) fn forward_reports<S: Copy + Send + 'static>(
    slot: S,
    mut events: tokio::sync::mpsc::Receiver<ClientEvent>,
    sink: tokio::sync::mpsc::Sender<(S, ClientEvent)>,
) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if sink.send((slot, event)).await.is_err() {
                return;
            }
        }
    });
}

/// A dial's answer, taken.
pub(super) struct Answered {
    /// Our dialog with the callee.
    pub dialog: Dialog,
    /// Where the callee answered from.
    pub peer: Peer,
    /// The callee's SDP answer, if it sent a readable one.
    pub sdp: Option<SessionDescription>,
}

/// The forks of one dial and how they stand.
pub(super) struct Dial {
    forks: Vec<Fork>,
    told_ringing: bool,
    /// The fork that answered, and the ACK sent for its 2xx.
    winner: Option<(usize, Option<Request>)>,
    /// The Call-ID of every fork's INVITE (one dialog, forked).
    pub call_id: String,
    /// Our From tag in every fork.
    pub from_tag: String,
    /// The user we present in our Contact to this callee.
    pub our_user: String,
    /// What challenges to the forks are answered with, if anything.
    login: Option<Login>,
}

impl Dial {
    /// A dial that has sent nothing yet.
    pub(super) fn new(call_id: String, our_user: &str) -> Dial {
        Dial {
            forks: Vec::new(),
            told_ringing: false,
            winner: None,
            call_id,
            from_tag: super::call::new_tag(),
            our_user: our_user.to_owned(),
            login: None,
        }
    }

    /// The same dial, answering digest challenges with `login`.
    pub(super) fn with_login(mut self, login: Option<Login>) -> Dial {
        self.login = login;
        self
    }

    /// Adds a fork that was sent; answers its index.
    pub(super) fn add(&mut self, key: TransactionKey, request: Request, peer: Peer) -> usize {
        self.forks.push(Fork { key, request, peer, done: false, status: 0, challenged: false });
        self.forks.len() - 1
    }

    /// A fork's INVITE to `uri` at `peer`, from and to `parties`, carrying the SDP `body`.
    pub(super) fn invite(
        &self,
        shared: &Shared,
        uri: &str,
        peer: &Peer,
        parties: &Parties<'_>,
        body: String,
    ) -> Option<Request> {
        let uri = message::parse_uri(uri)?;
        let local = shared.endpoint.local_for(peer)?.to_string();
        let (display, user) = parties.from;
        let display = display.replace(['"', '\\'], "");
        let builder = RequestBuilder::new(Method::Invite, uri)
            .max_forwards(70)
            .header(HeaderName::From, format!("\"{display}\" <sip:{user}@{local}>;tag={}", self.from_tag))
            .and_then(|b| {
                b.header(HeaderName::To, format!("<sip:{}@{}>", parties.to, parties.to_host.unwrap_or(&local)))
            })
            .and_then(|b| b.header(HeaderName::CallId, self.call_id.clone()))
            .and_then(|b| b.cseq(1, &Method::Invite))
            .and_then(|b| b.header(HeaderName::Contact, super::call::contact(shared, peer, user)))
            .and_then(|b| b.header(HeaderName::Allow, super::dispatch::ALLOW))
            .and_then(|b| b.header(HeaderName::UserAgent, shared.endpoint.product().to_owned()))
            .and_then(|b| b.header(HeaderName::ContentType, "application/sdp"))
            .ok()?;
        Some(builder.body(body).build())
    }

    /// The INVITE of fork `index` again, answering the challenge of `response` (a 401 or
    /// 407) with the dial's login: `None` when there is no login, the fork was challenged
    /// already, or no challenge in the response can be answered.
    pub(super) fn authorized_retry(&mut self, index: usize, response: &Response, cnonce: &str) -> Option<Request> {
        let login = self.login.as_ref()?;
        let fork = self.forks.get_mut(index)?;
        let (challenge_header, credentials_header) = match response.status.code() {
            401 => (HeaderName::WwwAuthenticate, HeaderName::Authorization),
            407 => (HeaderName::ProxyAuthenticate, HeaderName::ProxyAuthorization),
            _ => return None,
        };
        if fork.challenged {
            return None;
        }
        let values = message::header_all(&response.headers, &challenge_header);
        let challenge = ServerChallenge::pick(values.iter().map(String::as_str))?;
        let (cseq, _) = message::cseq(&fork.request.headers)?;
        let mut request = fork.request.clone();
        // The endpoint puts a new Via (a new transaction) on what it sends.
        request.headers.remove_first(&HeaderName::Via);
        request.headers.remove_all(&HeaderName::CSeq);
        request.headers.push(message::build_header(HeaderName::CSeq, format!("{} INVITE", cseq + 1))?);
        let credentials = ClientCredentials { username: &login.username, password: &login.password };
        let uri = request.uri.to_string();
        let value = authorization(&challenge, credentials, Requested { method: "INVITE", uri: &uri }, cnonce, 1);
        request.headers.push(message::build_header(credentials_header, value)?);
        fork.challenged = true;
        Some(request)
    }

    /// Answers a 401/407 to fork `index` once, when the dial has a login: sends the INVITE
    /// again with credentials and answers the new transaction's reports, which the caller
    /// follows as the fork's. `None` when nothing was sent: the response is then the fork's
    /// failure as usual.
    pub(super) async fn reauthorize(
        &mut self,
        shared: &Shared,
        index: usize,
        event: &ClientEvent,
    ) -> Option<tokio::sync::mpsc::Receiver<ClientEvent>> {
        let ClientEvent::Response(response) = event else { return None };
        let cnonce = format!("{:016x}", rand::random::<u64>());
        let request = self.authorized_retry(index, response, &cnonce)?;
        let peer = self.forks.get(index)?.peer;
        match shared.endpoint.request(request, peer).await {
            Ok(tx) => {
                self.resent(index, tx.key, tx.request);
                Some(tx.events)
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not send the INVITE again with credentials");
                None
            }
        }
    }

    /// Fork `index` was sent again as transaction `key` with `request`.
    pub(super) fn resent(&mut self, index: usize, key: TransactionKey, request: Request) {
        if let Some(fork) = self.forks.get_mut(index) {
            (fork.key, fork.request, fork.done) = (key, request, false);
        }
    }

    /// Whether no fork could be sent.
    pub(super) fn is_empty(&self) -> bool {
        self.forks.is_empty()
    }

    /// Fork `index`.
    pub(super) fn fork(&self, index: usize) -> &Fork {
        &self.forks[index]
    }

    /// A report about fork `index` while ringing.
    pub(super) fn on_ringing_report(&mut self, index: usize, event: ClientEvent) -> Progress {
        let Some(fork) = self.forks.get_mut(index) else { return Progress::Nothing };
        let progress = match event {
            ClientEvent::Response(response) => {
                let status = response.status.code();
                if (200..300).contains(&status) {
                    fork.done = true;
                    fork.status = status;
                    return Progress::Answered(index, response);
                }
                if status >= 300 {
                    fork.done = true;
                    fork.status = status;
                    Progress::Nothing
                } else if status == 183 && !response.body().is_empty() {
                    match SessionDescription::parse(&String::from_utf8_lossy(response.body())) {
                        Ok(early) => Progress::EarlyMedia(early),
                        Err(_) => Progress::Nothing,
                    }
                } else if status == 180 && !self.told_ringing {
                    self.told_ringing = true;
                    Progress::Ringing
                } else {
                    Progress::Nothing
                }
            }
            ClientEvent::Timeout | ClientEvent::TransportError => {
                fork.done = true;
                fork.status = 408;
                Progress::Nothing
            }
        };
        if self.forks.iter().all(|f| f.done) {
            let statuses: Vec<u16> = self.forks.iter().map(|f| f.status).collect();
            return Progress::Failed(best_failure(&statuses));
        }
        progress
    }

    /// Takes fork `winner`'s 2xx: forms the dialog, ACKs it and cancels the other forks. On
    /// a 2xx that cannot form a dialog every fork is hung up or cancelled and `None` is
    /// answered.
    pub(super) async fn accept(&mut self, shared: &Shared, winner: usize, response: &Response) -> Option<Answered> {
        let fork = self.fork(winner);
        let peer = fork.peer;
        let contact = super::call::contact(shared, &peer, &self.our_user);
        let dialog = match Dialog::as_uac(&fork.request, response, &contact) {
            Ok(dialog) => dialog,
            Err(e) => {
                tracing::warn!(error = %e, "a 2xx that cannot form a dialog");
                self.refuse_late_answer(shared, winner, response).await;
                self.cancel(shared, Some(winner)).await;
                return None;
            }
        };
        let ack = dialog.ack(1).ok();
        if let Some(ack) = ack.clone() {
            let _ = shared.endpoint.send_ack(ack, peer).await;
        }
        self.won(winner, ack);
        self.cancel(shared, Some(winner)).await;
        let sdp = SessionDescription::parse(&String::from_utf8_lossy(response.body())).ok();
        Some(Answered { dialog, peer, sdp })
    }

    /// Records that fork `index` won and the ACK its 2xx got.
    pub(super) fn won(&mut self, index: usize, ack: Option<Request>) {
        self.winner = Some((index, ack));
    }

    /// Whether every fork has ended.
    pub(super) fn settled(&self) -> bool {
        self.forks.iter().all(|f| f.done)
    }

    /// CANCELs every fork still ringing but `except`.
    pub(super) async fn cancel(&self, shared: &Shared, except: Option<usize>) {
        for (index, fork) in self.forks.iter().enumerate() {
            if Some(index) != except && !fork.done {
                shared.endpoint.cancel(&fork.key).await;
            }
        }
    }

    /// A report about fork `index` after ringing ended: the winner's 2xx again is ACKed
    /// again; another fork's 2xx is ACKed and hung up; a failure ends the fork.
    pub(super) async fn settle(&mut self, shared: &Shared, index: usize, event: ClientEvent) {
        let Some(fork) = self.forks.get_mut(index) else { return };
        match event {
            ClientEvent::Response(response) if (200..300).contains(&response.status.code()) => match &self.winner {
                Some((winner, Some(ack))) if *winner == index => {
                    let _ = shared.endpoint.send_ack(ack.clone(), fork.peer).await;
                }
                _ => {
                    fork.done = true;
                    self.refuse_late_answer(shared, index, &response).await;
                }
            },
            ClientEvent::Response(response) if response.status.code() >= 300 => fork.done = true,
            ClientEvent::Response(_) => {}
            ClientEvent::Timeout | ClientEvent::TransportError => fork.done = true,
        }
    }

    /// ACKs a 2xx from fork `index`, then hangs it up (§13.2.2.4): a fork that lost the race,
    /// or a winner whose call cannot go on.
    pub(super) async fn refuse_late_answer(&self, shared: &Shared, index: usize, response: &Response) {
        let fork = &self.forks[index];
        let contact = super::call::contact(shared, &fork.peer, &self.our_user);
        let Ok(mut dialog) = Dialog::as_uac(&fork.request, response, &contact) else { return };
        if let Ok(ack) = dialog.ack(1) {
            let _ = shared.endpoint.send_ack(ack, fork.peer).await;
        }
        if let Ok(bye) = dialog.request(Method::Bye, None) {
            let _ = shared.endpoint.request(bye, fork.peer).await;
        }
    }
}

/// Q.850 cause and CDR disposition of a failure status from the callee (RFC 3398 §8.2.6.1).
pub(super) fn failure_of(status: u16) -> (u16, Disposition) {
    match status {
        486 | 600 => (17, Disposition::Busy),
        603 => (21, Disposition::Busy),
        404 | 604 => (1, Disposition::Failed),
        408 => (18, Disposition::NoAnswer),
        480 => (18, Disposition::NoAnswer),
        487 => (16, Disposition::NoAnswer),
        503 => (34, Disposition::Congestion),
        _ => (31, Disposition::Failed),
    }
}

/// Whether a call out may try the route's next trunk after `status`: not when the callee
/// was busy or declined (another carrier reaches the same busy phone), as Asterisk's routes
/// go on only after CHANUNAVAIL or CONGESTION.
pub(super) fn hunts_on(status: u16) -> bool {
    !matches!(status, 486 | 600 | 603)
}

/// Which failure the caller hears when every fork failed (§16.7 step 6, simplified):
/// busy beats decline beats the rest, which become 480.
fn best_failure(statuses: &[u16]) -> u16 {
    for preferred in [486, 600, 603, 404] {
        if statuses.contains(&preferred) {
            return preferred;
        }
    }
    480
}

/// The reason phrase we send with a failure `status`.
pub(super) fn reason_of(status: u16) -> &'static str {
    match status {
        404 => "Not Found",
        480 => "Temporarily Unavailable",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => "Call Failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sb_sip::auth::{response_matches, Credentials, Secret};
    use sb_sip::message::{Reply, RequestBuilder};
    use sb_sip::transaction::TransactionKey;
    use sb_sip::transport::Protocol;

    fn invite() -> Request {
        let uri = message::parse_uri("sip:0201234567@127.0.0.2:5080").expect("uri");
        RequestBuilder::new(Method::Invite, uri)
            .header(HeaderName::Via, "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1;rport")
            .and_then(|b| b.header(HeaderName::From, "<sip:1001@127.0.0.1>;tag=a"))
            .and_then(|b| b.header(HeaderName::To, "<sip:0201234567@127.0.0.2>"))
            .and_then(|b| b.header(HeaderName::CallId, "call-1"))
            .and_then(|b| b.cseq(1, &Method::Invite))
            .expect("headers")
            .build()
    }

    fn challenge(request: &Request, status: u16, header: HeaderName) -> Response {
        let reason = if status == 401 { "Unauthorized" } else { "Proxy Authentication Required" };
        Reply::to(request, status, reason)
            .expect("reply")
            .header(header, "Digest realm=\"carrier\", nonce=\"n1\", qop=\"auth\"")
            .build()
            .expect("response")
    }

    fn dial_with_login() -> Dial {
        let login = Login { username: "sbtrunk".into(), password: "s3cret".into() };
        let mut dial = Dial::new("call-1".into(), "1001").with_login(Some(login));
        let peer = Peer { protocol: Protocol::Udp, addr: "127.0.0.2:5080".parse().expect("addr") };
        let key = TransactionKey::client("z9hG4bK-1", "INVITE").expect("key");
        dial.add(key, invite(), peer);
        dial
    }

    #[test]
    fn a_challenge_is_answered_once_with_the_next_cseq_and_valid_credentials() {
        for (status, challenge_header, credentials_header) in [
            (401, HeaderName::WwwAuthenticate, HeaderName::Authorization),
            (407, HeaderName::ProxyAuthenticate, HeaderName::ProxyAuthorization),
        ] {
            let mut dial = dial_with_login();
            let response = challenge(&invite(), status, challenge_header);
            let retry = dial.authorized_retry(0, &response, "c0ffee").expect("answered");
            assert_eq!(message::cseq(&retry.headers).map(|(n, _)| n), Some(2));
            assert_eq!(message::call_id(&retry.headers).as_deref(), Some("call-1"));
            assert!(message::header(&retry.headers, &HeaderName::Via).is_none(), "the endpoint adds a new Via");
            let value = message::header(&retry.headers, &credentials_header).expect("credentials");
            let credentials = Credentials::parse(&value).expect("parses");
            assert_eq!(credentials.uri, "sip:0201234567@127.0.0.2:5080");
            assert_eq!(response_matches(&credentials, "INVITE", Secret::Password("s3cret")), Ok(true));
            assert!(dial.authorized_retry(0, &response, "c0ffee").is_none(), "a second challenge ends the fork");
        }
    }

    #[test]
    fn without_a_login_or_a_challenge_nothing_is_sent_again() {
        let mut bare = Dial::new("call-1".into(), "1001");
        let peer = Peer { protocol: Protocol::Udp, addr: "127.0.0.2:5080".parse().expect("addr") };
        bare.add(TransactionKey::client("z9hG4bK-1", "INVITE").expect("key"), invite(), peer);
        assert!(bare.authorized_retry(0, &challenge(&invite(), 401, HeaderName::WwwAuthenticate), "c").is_none());
        let busy = Reply::to(&invite(), 486, "Busy Here").and_then(Reply::build).expect("response");
        assert!(dial_with_login().authorized_retry(0, &busy, "c").is_none());
        assert!(dial_with_login().authorized_retry(5, &busy, "c").is_none(), "no such fork");
    }

    #[test]
    fn busy_and_declined_end_the_hunt_other_failures_go_on() {
        for status in [486, 600, 603] {
            assert!(!hunts_on(status), "{status}");
        }
        for status in [404, 408, 480, 500, 503] {
            assert!(hunts_on(status), "{status}");
        }
    }

    #[test]
    fn the_caller_hears_busy_before_decline_before_unavailable() {
        assert_eq!(best_failure(&[480, 486, 603]), 486);
        assert_eq!(best_failure(&[408, 603]), 603);
        assert_eq!(best_failure(&[408, 500, 487]), 480);
        assert_eq!(best_failure(&[404]), 404);
    }

    #[test]
    fn failures_map_to_asterisk_dispositions_and_q850_causes() {
        assert_eq!(failure_of(486), (17, Disposition::Busy));
        assert_eq!(failure_of(480), (18, Disposition::NoAnswer));
        assert_eq!(failure_of(404), (1, Disposition::Failed));
        assert_eq!(failure_of(503), (34, Disposition::Congestion));
    }
}
