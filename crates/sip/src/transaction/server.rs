//! Server transactions (RFC 3261 §17.2): the INVITE machine of §17.2.1 as corrected by
//! RFC 6026 §7.1 (2xx leads to Accepted, which absorbs retransmitted INVITEs) and the
//! non-INVITE machine of §17.2.2. A server transaction sends the TU's responses, resends the
//! latest one when the request is retransmitted, and for INVITE retransmits a non-2xx final
//! until it is ACKed.

use std::time::{Duration, Instant};

use bytes::Bytes;
use thiserror::Error;

use super::timers::{backoff, ArmedTimers};
use super::{Kind, Output, Reliability, StatusClass, Timer, Timers, TuEvent};

/// The states of a server transaction (§17.2.1 Figure 7 as replaced by RFC 6026, §17.2.2 Figure 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerState {
    /// Non-INVITE: the request arrived, the TU has not responded yet.
    Trying,
    /// INVITE: the request arrived (the initial state). Non-INVITE: a provisional was sent.
    Proceeding,
    /// A final response was sent (for INVITE: a non-2xx one, awaiting its ACK).
    Completed,
    /// INVITE only: the ACK for the non-2xx final arrived; absorbing its retransmissions.
    Confirmed,
    /// INVITE only (RFC 6026 §7.1): a 2xx was sent; absorbing retransmitted INVITEs and
    /// passing the TU's 2xx retransmissions through until Timer L.
    Accepted,
    /// Done: nothing more will be sent, scheduled or delivered.
    Terminated,
}

/// A response the TU gave that the transaction refuses (and does not send).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RespondError {
    /// Not a SIP status code (§7.2: 100–699).
    #[error("{0} is not a SIP response status code (100-699)")]
    InvalidStatus(u16),
    /// The state admits no such response: e.g. anything after a non-2xx final, a second
    /// final of another class, or anything after Terminated (§17.2.1, §17.2.2).
    #[error("a {status} response cannot be sent by a server transaction in the {state:?} state")]
    WrongState {
        /// The refused status code.
        status: u16,
        /// The state the transaction is in (and stays in).
        state: ServerState,
    },
}

/// One server transaction: INVITE or non-INVITE, over one transport, for one request.
#[derive(Debug, Clone)]
pub struct ServerTransaction {
    kind: Kind,
    state: ServerState,
    reliability: Reliability,
    timers: Timers,
    /// The response resent on request retransmissions (and on Timer G): the latest
    /// provisional in Proceeding, the final in Completed.
    last_response: Option<Bytes>,
    /// The interval Timer G was last armed with (the next one doubles it, up to T2).
    interval: Duration,
    armed: ArmedTimers,
}

impl ServerTransaction {
    /// A transaction for a request that has just arrived and matched no transaction; the
    /// request itself is the TU's to handle.
    ///
    /// The transaction cannot build messages, so the 100 (Trying) that §17.2.1 asks of an
    /// INVITE server transaction "unless it knows that the TU will generate a provisional or
    /// final response within 200 ms" is the TU's: it must [`respond`](Self::respond) promptly.
    pub fn new(kind: Kind, reliability: Reliability, timers: Timers) -> ServerTransaction {
        let state = match kind {
            Kind::Invite => ServerState::Proceeding,
            Kind::NonInvite => ServerState::Trying,
        };
        ServerTransaction {
            kind,
            state,
            reliability,
            timers,
            last_response: None,
            interval: timers.t1(),
            armed: ArmedTimers::default(),
        }
    }

    /// INVITE or non-INVITE.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The current state.
    pub fn state(&self) -> ServerState {
        self.state
    }

    /// Whether the transaction has terminated (it then ignores every input).
    pub fn is_terminated(&self) -> bool {
        self.state == ServerState::Terminated
    }

    /// The transport reliability the request arrived over.
    pub fn reliability(&self) -> Reliability {
        self.reliability
    }

    /// The earliest armed timer deadline, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.armed.next_deadline()
    }

    /// When `timer` is armed for, if it is.
    pub fn deadline(&self, timer: Timer) -> Option<Instant> {
        self.armed.deadline(timer)
    }

    /// The armed timer with the earliest deadline at or before `now`, if any.
    pub fn due_timer(&self, now: Instant) -> Option<Timer> {
        self.armed.due(now)
    }

    /// The TU responds with `response`, whose status code is `status`.
    ///
    /// A response the current state does not admit is refused with [`RespondError`], and
    /// nothing changes: §17.2.2 says such responses "MUST be discarded", and for INVITE the
    /// only response admitted after the first final is a 2xx retransmission in Accepted.
    pub fn respond(&mut self, status: u16, response: Bytes, now: Instant) -> Result<Vec<Output>, RespondError> {
        let class = StatusClass::of(status).ok_or(RespondError::InvalidStatus(status))?;
        let mut out = Vec::new();
        let admitted = match self.kind {
            Kind::Invite => self.invite_respond(class, response, now, &mut out),
            Kind::NonInvite => self.non_invite_respond(class, response, now, &mut out),
        };
        if !admitted {
            return Err(RespondError::WrongState { status, state: self.state });
        }
        Ok(out)
    }

    /// §17.2.1 with RFC 6026 §7.1 (Figure 7 as replaced by RFC 6026 §8.6). Answers whether
    /// the state admits the response; if not, nothing was done.
    fn invite_respond(&mut self, class: StatusClass, response: Bytes, now: Instant, out: &mut Vec<Output>) -> bool {
        use ServerState::{Accepted, Completed, Proceeding};
        match (self.state, class) {
            (Proceeding, StatusClass::Provisional) => {
                out.push(Output::Send(response.clone()));
                self.last_response = Some(response);
            }
            (Proceeding, StatusClass::Success) => {
                // RFC 6026 §8.5: send it, do not retransmit it (the TU does, §13.3.1.4), and
                // move to Accepted with Timer L = 64*T1 on any transport (§8.7).
                out.push(Output::Send(response));
                self.last_response = None;
                self.state = Accepted;
                self.armed.arm(Timer::L, now, self.timers.timeout(), out);
            }
            (Proceeding, StatusClass::Failure) => {
                // §17.2.1: Completed; Timer G (T1, unreliable only) retransmits, Timer H
                // (64*T1, any transport) gives up waiting for the ACK.
                out.push(Output::Send(response.clone()));
                self.last_response = Some(response);
                self.state = Completed;
                if !self.reliability.is_reliable() {
                    self.interval = self.timers.t1();
                    self.armed.arm(Timer::G, now, self.interval, out);
                }
                self.armed.arm(Timer::H, now, self.timers.timeout(), out);
            }
            (Accepted, StatusClass::Success) => {
                // RFC 6026 §8.7: "While in the Accepted state, if the TU passes a 2xx
                // response, the server transaction MUST pass the response to the transport
                // layer for transmission." These are the TU's own 2xx retransmissions.
                out.push(Output::Send(response));
            }
            _ => return false,
        }
        true
    }

    /// §17.2.2 (Figure 8). Answers whether the state admits the response; if not, nothing
    /// was done.
    fn non_invite_respond(&mut self, class: StatusClass, response: Bytes, now: Instant, out: &mut Vec<Output>) -> bool {
        use ServerState::{Completed, Proceeding, Trying};
        match (self.state, class) {
            (Trying | Proceeding, StatusClass::Provisional) => {
                out.push(Output::Send(response.clone()));
                self.last_response = Some(response);
                self.state = Proceeding;
            }
            (Trying | Proceeding, StatusClass::Success | StatusClass::Failure) => {
                out.push(Output::Send(response.clone()));
                self.last_response = Some(response);
                self.state = Completed;
                // Timer J: absorb request retransmissions for 64*T1 (unreliable) or not at all.
                let j = self.timers.j(self.reliability);
                self.wait_then_terminate(Timer::J, j, now, out);
            }
            // "Any other final responses passed by the TU to the server transaction MUST be
            // discarded while in the Completed state."
            _ => return false,
        }
        true
    }

    /// The request that created the transaction arrived again (§17.2.3 matched it).
    ///
    /// In Proceeding and Completed the latest response is sent again (§17.2.1, §17.2.2). A
    /// non-INVITE in Trying has nothing to resend ("discarded"); Confirmed and Accepted
    /// absorb it (RFC 6026 §7.1: not passed to the TU either).
    pub fn on_retransmission(&mut self) -> Vec<Output> {
        match (self.state, &self.last_response) {
            (ServerState::Proceeding | ServerState::Completed, Some(response)) => vec![Output::Send(response.clone())],
            _ => Vec::new(),
        }
    }

    /// An ACK matched this transaction (§17.2.3: its key is the INVITE's).
    ///
    /// In Completed it confirms the non-2xx final: retransmissions stop, and Timer I absorbs
    /// further ACKs. In Accepted it goes to the TU ([`TuEvent::Ack`], RFC 6026 §7.1).
    /// Elsewhere, and for non-INVITE transactions, it is ignored.
    pub fn on_ack(&mut self, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        if self.kind != Kind::Invite {
            return out;
        }
        match self.state {
            ServerState::Completed => {
                // "the server transaction MUST transition to the Confirmed state. As Timer G
                // is ignored in this state, any retransmissions of the response will cease";
                // Timer H no longer matters either.
                self.armed.disarm(Timer::G, &mut out);
                self.armed.disarm(Timer::H, &mut out);
                self.state = ServerState::Confirmed;
                let i = self.timers.i(self.reliability);
                self.wait_then_terminate(Timer::I, i, now, &mut out);
            }
            ServerState::Accepted => out.push(Output::Deliver(TuEvent::Ack)),
            // Confirmed absorbs ACK retransmissions; an ACK before any final matches nothing.
            _ => {}
        }
        out
    }

    /// A timer this transaction scheduled has fired.
    ///
    /// Firings of timers that are not armed, or not yet due, are ignored: they are stale
    /// (the state moved on, or the timer was rescheduled) and harmless.
    pub fn on_timer(&mut self, timer: Timer, now: Instant) -> Vec<Output> {
        use ServerState::{Accepted, Completed, Confirmed};
        let mut out = Vec::new();
        if !self.armed.take_if_due(timer, now) {
            return out;
        }
        match (self.state, timer) {
            (Completed, Timer::G) => {
                // §17.2.1: resend, then MIN(2*T1, T2), doubling "unless that value exceeds T2".
                if let Some(response) = &self.last_response {
                    out.push(Output::Send(response.clone()));
                }
                self.interval = backoff(self.interval, Some(self.timers.t2()));
                self.armed.arm(Timer::G, now, self.interval, &mut out);
            }
            (Completed, Timer::H) => {
                // "it implies that the ACK was never received ... MUST indicate to the TU that
                // a transaction failure has occurred."
                out.push(Output::Deliver(TuEvent::Timeout));
                self.terminate(&mut out);
            }
            (Completed, Timer::J) | (Confirmed, Timer::I) | (Accepted, Timer::L) => self.terminate(&mut out),
            // Every transition disarms the timers of the state it leaves, so an armed timer
            // always belongs to the current state; nothing else can be due here.
            _ => {}
        }
        out
    }

    /// The transport failed to send one of this transaction's responses (§17.2.4).
    ///
    /// INVITE (Figure 7 as replaced by RFC 6026 §8.6): the TU is informed and the state is
    /// kept, in Proceeding, Completed and Accepted alike, so retransmitted INVITEs are still
    /// absorbed; Timers H and L end the transaction. Non-INVITE (Figure 8): the TU is
    /// informed and the transaction terminates, from Proceeding or Completed. Where nothing
    /// has been sent (Trying, Confirmed) the error is not this transaction's: ignored.
    pub fn on_transport_error(&mut self) -> Vec<Output> {
        use ServerState::{Accepted, Completed, Proceeding};
        let mut out = Vec::new();
        match (self.kind, self.state) {
            (Kind::Invite, Proceeding | Completed | Accepted) => out.push(Output::Deliver(TuEvent::TransportError)),
            (Kind::NonInvite, Proceeding | Completed) => {
                out.push(Output::Deliver(TuEvent::TransportError));
                self.terminate(&mut out);
            }
            _ => {}
        }
        out
    }

    /// Arms the wait timer of Completed/Confirmed; a zero wait (reliable transports) fires
    /// at once, so the transaction terminates without a round trip through the driver.
    fn wait_then_terminate(&mut self, timer: Timer, wait: Duration, now: Instant, out: &mut Vec<Output>) {
        if wait.is_zero() {
            self.terminate(out);
        } else {
            self.armed.arm(timer, now, wait, out);
        }
    }

    fn terminate(&mut self, out: &mut Vec<Output>) {
        self.armed.disarm_all(out);
        self.state = ServerState::Terminated;
        self.last_response = None;
        out.push(Output::Terminated);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transaction::testkit::{cancelled, delivered, ms, scheduled, sent, since, terminated, Xorshift};

    fn response(status: u16) -> Bytes {
        Bytes::from(format!("SIP/2.0 {status} Reason\r\n\r\n"))
    }

    /// The status code back from [`response`] bytes.
    fn status_of(bytes: &Bytes) -> u16 {
        std::str::from_utf8(bytes).unwrap()[8..11].parse().unwrap()
    }

    fn invite(reliability: Reliability) -> ServerTransaction {
        ServerTransaction::new(Kind::Invite, reliability, Timers::default())
    }

    fn register(reliability: Reliability) -> ServerTransaction {
        ServerTransaction::new(Kind::NonInvite, reliability, Timers::default())
    }

    /// Fires every timer at its deadline until `until`, answering (timer, ms since t0, outputs).
    fn run_timers(tx: &mut ServerTransaction, t0: Instant, until: Instant) -> Vec<(Timer, u64, Vec<Output>)> {
        let mut fired = Vec::new();
        while let Some(at) = tx.next_deadline().filter(|at| *at <= until) {
            let timer = tx.due_timer(at).unwrap();
            fired.push((timer, since(t0, at), tx.on_timer(timer, at)));
        }
        fired
    }

    #[test]
    fn invite_retransmission_resends_the_latest_provisional() {
        let t0 = Instant::now();
        let mut tx = invite(Reliability::Unreliable);
        assert_eq!(tx.state(), ServerState::Proceeding);
        assert!(tx.on_retransmission().is_empty(), "nothing sent yet, nothing to resend");

        assert_eq!(tx.respond(100, response(100), t0).unwrap(), vec![Output::Send(response(100))]);
        assert_eq!(tx.on_retransmission(), vec![Output::Send(response(100))]);
        assert_eq!(tx.respond(180, response(180), t0 + ms(1_000)).unwrap(), vec![Output::Send(response(180))]);
        assert_eq!(tx.on_retransmission(), vec![Output::Send(response(180))]);
        assert_eq!(tx.on_retransmission(), vec![Output::Send(response(180))]);
        assert_eq!(tx.state(), ServerState::Proceeding);
        assert_eq!(tx.next_deadline(), None, "Proceeding has no timer: the TU decides");
    }

    #[test]
    fn invite_non_2xx_is_retransmitted_on_g_capped_at_t2_until_the_ack() {
        let t0 = Instant::now();
        let mut tx = invite(Reliability::Unreliable);
        tx.respond(180, response(180), t0).unwrap();
        let out = tx.respond(486, response(486), t0 + ms(1_000)).unwrap();
        assert_eq!(sent(&out), vec![response(486)]);
        assert_eq!(scheduled(&out, Timer::G), Some(t0 + ms(1_500)), "G = T1");
        assert_eq!(scheduled(&out, Timer::H), Some(t0 + ms(33_000)), "H = 64*T1");
        assert_eq!(tx.state(), ServerState::Completed);

        let fired = run_timers(&mut tx, t0, t0 + ms(13_000));
        let g: Vec<u64> = fired.iter().map(|(timer, at, _)| (*timer == Timer::G).then_some(*at).unwrap()).collect();
        assert_eq!(g, vec![1_500, 2_500, 4_500, 8_500, 12_500], "intervals 0.5, 1, 2, 4, 4 s");
        assert!(fired.iter().all(|(_, _, out)| sent(out) == vec![response(486)]));

        // A retransmitted INVITE gets the final again; the TU may not respond any more.
        assert_eq!(tx.on_retransmission(), vec![Output::Send(response(486))]);
        assert_eq!(
            tx.respond(200, response(200), t0 + ms(13_000)),
            Err(RespondError::WrongState { status: 200, state: ServerState::Completed })
        );

        let out = tx.on_ack(t0 + ms(13_000));
        assert!(cancelled(&out, Timer::G) && cancelled(&out, Timer::H));
        assert_eq!(scheduled(&out, Timer::I), Some(t0 + ms(18_000)), "I = T4");
        assert!(sent(&out).is_empty() && delivered(&out).is_empty(), "the ACK of a non-2xx stays in the transaction");
        assert_eq!(tx.state(), ServerState::Confirmed);

        assert!(tx.on_retransmission().is_empty(), "Confirmed absorbs");
        assert!(tx.on_ack(t0 + ms(14_000)).is_empty(), "ACK retransmissions absorbed");
        assert!(tx.on_timer(Timer::G, t0 + ms(16_500)).is_empty(), "stale G");
        assert!(tx.on_timer(Timer::H, t0 + ms(33_000)).is_empty(), "stale H");
        assert_eq!(tx.on_timer(Timer::I, t0 + ms(18_000)), vec![Output::Terminated]);
    }

    #[test]
    fn invite_non_2xx_never_acked_times_out_on_h() {
        let t0 = Instant::now();
        let mut tx = invite(Reliability::Unreliable);
        tx.respond(603, response(603), t0).unwrap();
        let fired = run_timers(&mut tx, t0, t0 + ms(60_000));
        let g: Vec<u64> = fired.iter().filter(|(t, _, _)| *t == Timer::G).map(|(_, at, _)| *at).collect();
        assert_eq!(g, vec![500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]);
        let (timer, at, out) = fired.last().unwrap();
        assert_eq!((*timer, *at), (Timer::H, 32_000));
        assert_eq!(delivered(out), vec![TuEvent::Timeout]);
        assert!(cancelled(out, Timer::G) && terminated(out));
        assert!(tx.on_ack(t0 + ms(32_001)).is_empty(), "too late");
    }

    #[test]
    fn invite_2xx_moves_to_accepted_which_absorbs_invites_until_l() {
        let t0 = Instant::now();
        let mut tx = invite(Reliability::Unreliable);
        tx.respond(180, response(180), t0).unwrap();
        let out = tx.respond(200, response(200), t0 + ms(2_000)).unwrap();
        assert_eq!(sent(&out), vec![response(200)]);
        assert_eq!(scheduled(&out, Timer::L), Some(t0 + ms(34_000)), "L = 64*T1");
        assert_eq!(scheduled(&out, Timer::G), None, "the transaction never retransmits a 2xx");
        assert_eq!(tx.state(), ServerState::Accepted);

        assert!(tx.on_retransmission().is_empty(), "absorbed, not resent, not given to the TU");
        // The TU's own 2xx retransmissions (§13.3.1.4) go out through the transaction.
        assert_eq!(tx.respond(200, response(200), t0 + ms(2_500)).unwrap(), vec![Output::Send(response(200))]);
        for status in [180, 486] {
            assert_eq!(
                tx.respond(status, response(status), t0 + ms(3_000)),
                Err(RespondError::WrongState { status, state: ServerState::Accepted })
            );
        }
        assert_eq!(tx.on_ack(t0 + ms(3_000)), vec![Output::Deliver(TuEvent::Ack)], "RFC 6026 §7.1");
        assert_eq!(tx.state(), ServerState::Accepted);
        assert_eq!(tx.on_timer(Timer::L, t0 + ms(34_000)), vec![Output::Terminated]);
        assert!(tx.on_retransmission().is_empty());
    }

    #[test]
    fn invite_over_tcp_has_no_g_and_a_zero_i() {
        let t0 = Instant::now();
        let mut tx = invite(Reliability::Reliable);
        let out = tx.respond(486, response(486), t0).unwrap();
        assert_eq!(scheduled(&out, Timer::G), None);
        assert_eq!(scheduled(&out, Timer::H), Some(t0 + ms(32_000)), "H runs on every transport");
        assert!(tx.on_timer(Timer::G, t0 + ms(500)).is_empty());
        assert_eq!(tx.on_ack(t0 + ms(600)), vec![Output::Cancel(Timer::H), Output::Terminated], "I = 0");
    }

    #[test]
    fn invite_over_tcp_accepted_still_runs_l() {
        let t0 = Instant::now();
        let mut tx = invite(Reliability::Reliable);
        let out = tx.respond(200, response(200), t0).unwrap();
        assert_eq!(scheduled(&out, Timer::L), Some(t0 + ms(32_000)));
    }

    #[test]
    fn invite_transport_error_informs_the_tu_and_keeps_the_state() {
        let t0 = Instant::now();
        let mut tx = invite(Reliability::Unreliable);
        tx.respond(180, response(180), t0).unwrap();
        assert_eq!(tx.on_transport_error(), vec![Output::Deliver(TuEvent::TransportError)]);
        assert_eq!(tx.state(), ServerState::Proceeding);
        tx.respond(500, response(500), t0).unwrap();
        assert_eq!(tx.on_transport_error(), vec![Output::Deliver(TuEvent::TransportError)]);
        assert_eq!(tx.state(), ServerState::Completed);
        assert_eq!(tx.on_retransmission(), vec![Output::Send(response(500))]);
        tx.on_ack(t0);
        assert!(tx.on_transport_error().is_empty(), "Confirmed sends nothing");
    }

    #[test]
    fn non_invite_retransmissions_by_state() {
        let t0 = Instant::now();
        let mut tx = register(Reliability::Unreliable);
        assert_eq!(tx.state(), ServerState::Trying);
        assert!(tx.on_retransmission().is_empty(), "Trying discards retransmissions");

        assert_eq!(tx.respond(100, response(100), t0).unwrap(), vec![Output::Send(response(100))]);
        assert_eq!(tx.state(), ServerState::Proceeding);
        assert_eq!(tx.on_retransmission(), vec![Output::Send(response(100))]);

        let out = tx.respond(200, response(200), t0 + ms(700)).unwrap();
        assert_eq!(sent(&out), vec![response(200)]);
        assert_eq!(scheduled(&out, Timer::J), Some(t0 + ms(32_700)), "J = 64*T1 over UDP");
        assert_eq!(tx.state(), ServerState::Completed);
        assert_eq!(tx.on_retransmission(), vec![Output::Send(response(200))]);
        assert_eq!(tx.on_retransmission(), vec![Output::Send(response(200))]);
        assert_eq!(
            tx.respond(500, response(500), t0 + ms(800)),
            Err(RespondError::WrongState { status: 500, state: ServerState::Completed })
        );
        assert!(tx.on_ack(t0 + ms(800)).is_empty(), "ACK never matches a non-INVITE");

        assert!(tx.on_timer(Timer::J, t0 + ms(32_699)).is_empty());
        assert_eq!(tx.on_timer(Timer::J, t0 + ms(32_700)), vec![Output::Terminated]);
        assert!(tx.on_retransmission().is_empty());
    }

    #[test]
    fn non_invite_final_straight_from_trying_and_zero_j_over_tcp() {
        let t0 = Instant::now();
        let mut tx = register(Reliability::Reliable);
        assert_eq!(tx.respond(401, response(401), t0).unwrap(), vec![Output::Send(response(401)), Output::Terminated]);
        assert!(tx.is_terminated());
        assert_eq!(
            tx.respond(200, response(200), t0),
            Err(RespondError::WrongState { status: 200, state: ServerState::Terminated })
        );
    }

    #[test]
    fn non_invite_transport_error_terminates_once_something_was_sent() {
        let t0 = Instant::now();
        let mut tx = register(Reliability::Unreliable);
        assert!(tx.on_transport_error().is_empty(), "nothing sent in Trying");
        tx.respond(200, response(200), t0).unwrap();
        let out = tx.on_transport_error();
        assert_eq!(out, vec![Output::Deliver(TuEvent::TransportError), Output::Cancel(Timer::J), Output::Terminated]);
    }

    #[test]
    fn invalid_status_codes_are_refused() {
        let t0 = Instant::now();
        for mut tx in [invite(Reliability::Unreliable), register(Reliability::Unreliable)] {
            for status in [0, 99, 700, u16::MAX] {
                assert_eq!(tx.respond(status, response(200), t0), Err(RespondError::InvalidStatus(status)));
            }
            assert!(matches!(tx.state(), ServerState::Proceeding | ServerState::Trying));
        }
    }

    #[derive(Debug, Clone, Copy)]
    enum Input {
        Retransmission,
        Ack,
        Respond(u16),
        DueTimer,
        RandomTimer,
        TransportError,
    }

    /// Feeds 10,000 seeded random inputs to each kind over each transport and checks that
    /// nothing panics and that bytes are only sent where the RFC sends them.
    #[test]
    fn random_input_sequences_never_panic_and_send_only_where_allowed() {
        for (seed, kind, reliability) in [
            (11, Kind::Invite, Reliability::Unreliable),
            (12, Kind::Invite, Reliability::Reliable),
            (13, Kind::NonInvite, Reliability::Unreliable),
            (14, Kind::NonInvite, Reliability::Reliable),
        ] {
            let mut rng = Xorshift::new(seed);
            let mut now = Instant::now();
            let mut tx = ServerTransaction::new(kind, reliability, Timers::default());
            let mut transactions = 1;
            let mut visited = std::collections::HashSet::new();
            for _ in 0..10_000 {
                if tx.is_terminated() && rng.below(4) == 0 {
                    tx = ServerTransaction::new(kind, reliability, Timers::default());
                    transactions += 1;
                }
                now += ms(rng.below(3_000));
                let input = match rng.below(12) {
                    0 | 1 => Input::Retransmission,
                    2 => Input::Ack,
                    3..=5 => Input::Respond(rng.status()),
                    6..=8 => Input::DueTimer,
                    9 | 10 => Input::RandomTimer,
                    _ => Input::TransportError,
                };
                let before = tx.state();
                let out = match input {
                    Input::Retransmission => tx.on_retransmission(),
                    Input::Ack => tx.on_ack(now),
                    Input::Respond(status) => match tx.respond(status, response(status), now) {
                        Ok(out) => {
                            assert_eq!(sent(&out), vec![response(status)], "a response goes out once, as given");
                            out
                        }
                        Err(_) => {
                            assert_eq!(tx.state(), before, "a refused response changes nothing");
                            Vec::new()
                        }
                    },
                    Input::DueTimer => match tx.next_deadline() {
                        Some(at) => {
                            now = now.max(at);
                            let timer = tx.due_timer(now).unwrap();
                            tx.on_timer(timer, now)
                        }
                        None => Vec::new(),
                    },
                    Input::RandomTimer => tx.on_timer(rng.timer(), now),
                    Input::TransportError => tx.on_transport_error(),
                };
                let after = tx.state();
                visited.insert(after);
                for bytes in sent(&out) {
                    let status = status_of(&bytes);
                    let allowed = match input {
                        Input::Respond(_) => true, // checked above
                        // A retransmitted request gets the latest response again.
                        Input::Retransmission => match before {
                            ServerState::Proceeding => (100..200).contains(&status),
                            ServerState::Completed => status >= if kind == Kind::Invite { 300 } else { 200 },
                            _ => false,
                        },
                        // Timer G: INVITE non-2xx finals, UDP only.
                        Input::DueTimer | Input::RandomTimer => {
                            kind == Kind::Invite
                                && reliability == Reliability::Unreliable
                                && before == ServerState::Completed
                                && status >= 300
                        }
                        Input::Ack | Input::TransportError => false,
                    };
                    assert!(allowed, "{kind:?}/{reliability:?}: sent {status} on {input:?} in {before:?} -> {after:?}");
                }
                if before == ServerState::Terminated {
                    assert!(out.is_empty(), "output after Terminated: {out:?}");
                }
                if matches!(input, Input::Ack) && kind == Kind::Invite && before == ServerState::Completed {
                    assert!(matches!(after, ServerState::Confirmed | ServerState::Terminated));
                }
                assert_eq!(terminated(&out), before != after && after == ServerState::Terminated);
                if after == ServerState::Terminated {
                    assert_eq!(tx.next_deadline(), None);
                }
            }
            assert!(transactions > 10, "the sequence went through many lifetimes ({transactions})");
            // Over TCP the wait states end as they begin (I = J = 0): never seen after an input.
            let waiting = |state: &&ServerState| {
                reliability == Reliability::Unreliable
                    || !matches!(
                        (kind, **state),
                        (Kind::Invite, ServerState::Confirmed) | (Kind::NonInvite, ServerState::Completed)
                    )
            };
            let every_state: &[ServerState] = match kind {
                Kind::Invite => &[
                    ServerState::Proceeding,
                    ServerState::Completed,
                    ServerState::Confirmed,
                    ServerState::Accepted,
                    ServerState::Terminated,
                ],
                Kind::NonInvite => {
                    &[ServerState::Trying, ServerState::Proceeding, ServerState::Completed, ServerState::Terminated]
                }
            };
            assert!(
                every_state.iter().filter(waiting).all(|state| visited.contains(state)),
                "{kind:?}/{reliability:?} visited {visited:?}"
            );
        }
    }
}
