//! Client transactions (RFC 3261 §17.1): the INVITE machine of §17.1.1 as corrected by
//! RFC 6026 §7.2 (2xx leads to Accepted, not Terminated) and the non-INVITE machine of
//! §17.1.2. A client transaction sends one request, retransmits it over unreliable
//! transports, passes responses to its TU, and for INVITE acknowledges non-2xx finals.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::timers::{backoff, ArmedTimers};
use super::{Kind, Output, Reliability, StatusClass, Timer, Timers, TuEvent};

/// The states of a client transaction (§17.1.1.2 Figure 5 as replaced by RFC 6026, §17.1.2.2 Figure 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientState {
    /// INVITE: sent, no response yet; retransmitting on Timer A, timing out on Timer B.
    Calling,
    /// Non-INVITE: sent, no response yet; retransmitting on Timer E, timing out on Timer F.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A final response arrived (for INVITE: a non-2xx one, which was ACKed); waiting out
    /// its retransmissions (Timer D for INVITE, K for non-INVITE).
    Completed,
    /// INVITE only (RFC 6026 §7.2): a 2xx arrived; further 2xx go to the TU until Timer M.
    Accepted,
    /// Done: nothing more will be sent, scheduled or delivered.
    Terminated,
}

/// One client transaction: INVITE or non-INVITE, over one transport, for one request.
#[derive(Debug, Clone)]
pub struct ClientTransaction {
    kind: Kind,
    state: ClientState,
    reliability: Reliability,
    timers: Timers,
    /// The request, as sent and retransmitted.
    request: Bytes,
    /// INVITE only: the ACK for the non-2xx final, resent for each of its retransmissions.
    ack: Option<Bytes>,
    /// The interval Timer A or E was last armed with (the next one doubles it).
    interval: Duration,
    armed: ArmedTimers,
}

impl ClientTransaction {
    /// Starts a transaction: sends `request` and arms the retransmission timer (A for
    /// INVITE, E otherwise; unreliable transports only) and the timeout timer (B or F).
    pub fn start(
        kind: Kind,
        request: Bytes,
        reliability: Reliability,
        timers: Timers,
        now: Instant,
    ) -> (ClientTransaction, Vec<Output>) {
        let (state, retransmit, timeout) = match kind {
            Kind::Invite => (ClientState::Calling, Timer::A, Timer::B),
            Kind::NonInvite => (ClientState::Trying, Timer::E, Timer::F),
        };
        let mut tx = ClientTransaction {
            kind,
            state,
            reliability,
            timers,
            request: request.clone(),
            ack: None,
            interval: timers.t1(),
            armed: ArmedTimers::default(),
        };
        let mut out = vec![Output::Send(request)];
        // §17.1.1.2 and §17.1.2.2: "If an unreliable transport is being used, the client
        // transaction MUST start timer A [E] with a value of T1"; a reliable one SHOULD NOT.
        if !reliability.is_reliable() {
            tx.armed.arm(retransmit, now, timers.t1(), &mut out);
        }
        // "For any transport, the client transaction MUST start timer B [F] with 64*T1."
        tx.armed.arm(timeout, now, timers.timeout(), &mut out);
        (tx, out)
    }

    /// INVITE or non-INVITE.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The current state.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// Whether the transaction has terminated (it then ignores every input).
    pub fn is_terminated(&self) -> bool {
        self.state == ClientState::Terminated
    }

    /// The transport reliability the transaction was started with.
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

    /// A response matched this transaction (§17.1.3).
    ///
    /// For an INVITE's non-2xx final response (300–699), `ack` is the ACK the message layer
    /// built for it (§17.1.1.3); the transaction sends it now and resends that same ACK for
    /// every retransmission of the final response. It is ignored otherwise, and on
    /// retransmissions once an ACK is stored. Status codes outside 100–699 are ignored.
    pub fn on_response(&mut self, status: u16, ack: Option<Bytes>, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        let Some(class) = StatusClass::of(status) else {
            return out;
        };
        match self.kind {
            Kind::Invite => self.invite_response(class, status, ack, now, &mut out),
            Kind::NonInvite => self.non_invite_response(class, status, now, &mut out),
        }
        if !matches!(self.state, ClientState::Calling | ClientState::Trying | ClientState::Proceeding) {
            // After a final response the request is never sent again; a finished transaction
            // lingers for up to 64*T1 (Timer M), so it should not hold the request's bytes.
            self.request = Bytes::new();
        }
        out
    }

    /// §17.1.1.2 with RFC 6026 §7.2 (Figure 5 as replaced by RFC 6026 §8.4).
    fn invite_response(
        &mut self,
        class: StatusClass,
        status: u16,
        ack: Option<Bytes>,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        use ClientState::{Accepted, Calling, Completed, Proceeding};
        match (self.state, class) {
            (Calling | Proceeding, StatusClass::Provisional) => {
                // "the client transaction SHOULD NOT retransmit the request any longer", and
                // Timer B only times out a transaction "still in the Calling state": once a
                // provisional came, how long to wait for the final is the TU's call (it
                // CANCELs; a proxy runs Timer C, §16.6 step 11).
                self.armed.disarm(Timer::A, out);
                self.armed.disarm(Timer::B, out);
                self.state = Proceeding;
                out.push(Output::Deliver(TuEvent::Provisional(status)));
            }
            (Calling | Proceeding, StatusClass::Success) => {
                // RFC 6026 §8.4: pass the 2xx up, move to Accepted, start Timer M (64*T1 on
                // any transport). The TU, not the transaction, ACKs a 2xx (§13.2.2.4).
                self.armed.disarm(Timer::A, out);
                self.armed.disarm(Timer::B, out);
                self.state = Accepted;
                out.push(Output::Deliver(TuEvent::Final(status)));
                self.armed.arm(Timer::M, now, self.timers.timeout(), out);
            }
            (Calling | Proceeding, StatusClass::Failure) => {
                // "the client transaction MUST transition to the Completed state, MUST pass
                // the received response up to the TU, and MUST generate an ACK request".
                self.armed.disarm(Timer::A, out);
                self.armed.disarm(Timer::B, out);
                self.state = Completed;
                self.ack = ack;
                if let Some(ack) = &self.ack {
                    out.push(Output::Send(ack.clone()));
                }
                out.push(Output::Deliver(TuEvent::Final(status)));
                let d = self.timers.d(self.reliability);
                self.wait_then_terminate(Timer::D, d, now, out);
            }
            (Accepted, StatusClass::Success) => {
                // RFC 6026 §7.2: "A 2xx response received while in the Accepted state MUST be
                // passed to the TU"; the transaction sends nothing.
                out.push(Output::Deliver(TuEvent::Final(status)));
            }
            (Completed, StatusClass::Failure) => {
                // "Any retransmissions of the final response that are received while in the
                // Completed state MUST cause the ACK to be re-passed to the transport layer
                // for retransmission, but the newly received response MUST NOT be passed up
                // to the TU." An ACK the caller failed to give the first time is taken now.
                if self.ack.is_none() {
                    self.ack = ack;
                }
                if let Some(ack) = &self.ack {
                    out.push(Output::Send(ack.clone()));
                }
            }
            // Anything else (a 1xx after the final, a non-2xx in Accepted, a 2xx in
            // Completed, any response after Terminated) matches no transition: absorbed.
            _ => {}
        }
    }

    /// §17.1.2.2 (Figure 6).
    fn non_invite_response(&mut self, class: StatusClass, status: u16, now: Instant, out: &mut Vec<Output>) {
        use ClientState::{Completed, Proceeding, Trying};
        match (self.state, class) {
            (Trying | Proceeding, StatusClass::Provisional) => {
                // Timer E keeps its deadline; when it next fires in Proceeding it is reset to T2.
                self.state = Proceeding;
                out.push(Output::Deliver(TuEvent::Provisional(status)));
            }
            (Trying | Proceeding, StatusClass::Success | StatusClass::Failure) => {
                self.armed.disarm(Timer::E, out);
                self.armed.disarm(Timer::F, out);
                self.state = Completed;
                out.push(Output::Deliver(TuEvent::Final(status)));
                // "The Completed state exists to buffer any additional response
                // retransmissions that may be received": Timer K, T4 or zero.
                let k = self.timers.k(self.reliability);
                self.wait_then_terminate(Timer::K, k, now, out);
            }
            // Completed absorbs retransmitted finals; Terminated ignores everything.
            _ => {}
        }
    }

    /// A timer this transaction scheduled has fired.
    ///
    /// Firings of timers that are not armed, or not yet due, are ignored: they are stale
    /// (the state moved on, or the timer was rescheduled) and harmless.
    pub fn on_timer(&mut self, timer: Timer, now: Instant) -> Vec<Output> {
        use ClientState::{Accepted, Calling, Completed, Proceeding, Trying};
        let mut out = Vec::new();
        if !self.armed.take_if_due(timer, now) {
            return out;
        }
        match (self.state, timer) {
            (Calling, Timer::A) => {
                // §17.1.1.2: retransmit, "reset the timer with a value of 2*T1" and so on:
                // intervals that double, with no T2 cap for INVITE (B ends them at 64*T1).
                self.interval = backoff(self.interval, None);
                out.push(Output::Send(self.request.clone()));
                self.armed.arm(Timer::A, now, self.interval, &mut out);
            }
            (Trying, Timer::E) => {
                // §17.1.2.2: reset to MIN(2*T1, T2), then MIN(4*T1, T2), ...
                self.interval = backoff(self.interval, Some(self.timers.t2()));
                out.push(Output::Send(self.request.clone()));
                self.armed.arm(Timer::E, now, self.interval, &mut out);
            }
            (Proceeding, Timer::E) => {
                // "If Timer E fires while in the Proceeding state, the request MUST be passed
                // to the transport layer for retransmission, and Timer E MUST be reset with a
                // value of T2 seconds."
                out.push(Output::Send(self.request.clone()));
                self.armed.arm(Timer::E, now, self.timers.t2(), &mut out);
            }
            (Calling, Timer::B) | (Trying | Proceeding, Timer::F) => {
                // No final response in time: "inform the TU that a timeout has occurred".
                out.push(Output::Deliver(TuEvent::Timeout));
                self.terminate(&mut out);
            }
            (Completed, Timer::D | Timer::K) | (Accepted, Timer::M) => self.terminate(&mut out),
            // Every transition disarms the timers of the state it leaves, so an armed timer
            // always belongs to the current state; nothing else can be due here.
            _ => {}
        }
        out
    }

    /// The transport failed to send this transaction's request or ACK (§17.1.4).
    ///
    /// Per Figures 5 (RFC 6026) and 6 this ends the transaction where it sends something:
    /// INVITE in Calling (the request) or Completed (the ACK); non-INVITE in Trying or
    /// Proceeding. An INVITE in Proceeding or Accepted sends nothing, so it is unaffected.
    pub fn on_transport_error(&mut self) -> Vec<Output> {
        use ClientState::{Calling, Completed, Proceeding, Trying};
        let mut out = Vec::new();
        match (self.kind, self.state) {
            (Kind::Invite, Calling | Completed) | (Kind::NonInvite, Trying | Proceeding) => {
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
        self.state = ClientState::Terminated;
        out.push(Output::Terminated);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transaction::testkit::{cancelled, delivered, ms, scheduled, sent, since, terminated, Xorshift};

    const INVITE: &[u8] = b"INVITE sip:bob@example.com SIP/2.0\r\n\r\n";
    const OPTIONS: &[u8] = b"OPTIONS sip:bob@example.com SIP/2.0\r\n\r\n";
    const ACK: &[u8] = b"ACK sip:bob@example.com SIP/2.0\r\n\r\n";

    fn invite(reliability: Reliability, t0: Instant) -> (ClientTransaction, Vec<Output>) {
        ClientTransaction::start(Kind::Invite, Bytes::from_static(INVITE), reliability, Timers::default(), t0)
    }

    fn options(reliability: Reliability, t0: Instant) -> (ClientTransaction, Vec<Output>) {
        ClientTransaction::start(Kind::NonInvite, Bytes::from_static(OPTIONS), reliability, Timers::default(), t0)
    }

    fn ack() -> Option<Bytes> {
        Some(Bytes::from_static(ACK))
    }

    /// Fires every timer at its deadline until `until`, answering (timer, ms since t0, outputs).
    fn run_timers(tx: &mut ClientTransaction, t0: Instant, until: Instant) -> Vec<(Timer, u64, Vec<Output>)> {
        let mut fired = Vec::new();
        while let Some(at) = tx.next_deadline().filter(|at| *at <= until) {
            let timer = tx.due_timer(at).unwrap();
            fired.push((timer, since(t0, at), tx.on_timer(timer, at)));
        }
        fired
    }

    #[test]
    fn invite_over_udp_retransmits_on_a_doubling_without_cap_until_b() {
        let t0 = Instant::now();
        let (mut tx, out) = invite(Reliability::Unreliable, t0);
        assert_eq!(sent(&out), vec![Bytes::from_static(INVITE)]);
        assert_eq!(scheduled(&out, Timer::A), Some(t0 + ms(500)));
        assert_eq!(scheduled(&out, Timer::B), Some(t0 + ms(32_000)));
        assert_eq!(tx.state(), ClientState::Calling);

        let fired = run_timers(&mut tx, t0, t0 + ms(60_000));
        let a: Vec<u64> = fired.iter().filter(|(t, _, _)| *t == Timer::A).map(|(_, at, _)| *at).collect();
        // T1, then 2*T1, 4*T1, ... past T2 = 4 s: 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s.
        assert_eq!(a, vec![500, 1_500, 3_500, 7_500, 15_500, 31_500]);
        assert!(fired
            .iter()
            .filter(|(t, _, _)| *t == Timer::A)
            .all(|(_, _, out)| sent(out) == vec![Bytes::from_static(INVITE)]));
        let (timer, at, out) = fired.last().unwrap();
        assert_eq!((*timer, *at), (Timer::B, 32_000));
        assert_eq!(delivered(out), vec![TuEvent::Timeout]);
        assert!(cancelled(out, Timer::A), "A was still armed for 63.5 s");
        assert!(terminated(out));
        assert!(sent(out).is_empty(), "Timer B sends nothing, certainly no ACK");
        assert_eq!(tx.state(), ClientState::Terminated);
        assert_eq!(tx.next_deadline(), None);
    }

    #[test]
    fn invite_provisional_stops_a_and_b() {
        let t0 = Instant::now();
        let (mut tx, _) = invite(Reliability::Unreliable, t0);
        assert_eq!(sent(&tx.on_timer(Timer::A, t0 + ms(500))).len(), 1);

        let out = tx.on_response(180, None, t0 + ms(700));
        assert_eq!(delivered(&out), vec![TuEvent::Provisional(180)]);
        assert!(cancelled(&out, Timer::A) && cancelled(&out, Timer::B));
        assert!(sent(&out).is_empty());
        assert_eq!(tx.state(), ClientState::Proceeding);
        assert_eq!(tx.next_deadline(), None, "Proceeding waits as long as the TU lets it");

        // The driver's old wake-ups are stale now.
        assert!(tx.on_timer(Timer::A, t0 + ms(1_500)).is_empty());
        assert!(tx.on_timer(Timer::B, t0 + ms(32_000)).is_empty());
        assert_eq!(tx.state(), ClientState::Proceeding);

        let out = tx.on_response(183, None, t0 + ms(40_000));
        assert_eq!(out, vec![Output::Deliver(TuEvent::Provisional(183))]);
    }

    #[test]
    fn invite_non_2xx_is_acked_and_the_same_ack_resent_for_each_retransmission() {
        let t0 = Instant::now();
        let (mut tx, _) = invite(Reliability::Unreliable, t0);
        tx.on_response(180, None, t0 + ms(100));

        let out = tx.on_response(486, ack(), t0 + ms(5_000));
        assert_eq!(sent(&out), vec![Bytes::from_static(ACK)]);
        assert_eq!(delivered(&out), vec![TuEvent::Final(486)]);
        assert_eq!(scheduled(&out, Timer::D), Some(t0 + ms(37_000)), "D = 32 s");
        assert_eq!(tx.state(), ClientState::Completed);

        // The server's Timer G retransmissions: ACK again, nothing to the TU. A differently
        // built ACK passed with a retransmission is not used: the stored one is.
        for at in [5_500, 6_500, 8_500] {
            let out = tx.on_response(486, Some(Bytes::from_static(b"other")), t0 + ms(at));
            assert_eq!(out, vec![Output::Send(Bytes::from_static(ACK))]);
        }
        assert!(tx.on_response(200, None, t0 + ms(9_000)).is_empty(), "a 2xx in Completed is absorbed");
        assert!(tx.on_response(180, None, t0 + ms(9_000)).is_empty());

        assert!(tx.on_timer(Timer::D, t0 + ms(36_999)).is_empty(), "not due yet");
        let out = tx.on_timer(Timer::D, t0 + ms(37_000));
        assert_eq!(out, vec![Output::Terminated]);
        assert!(tx.on_response(486, ack(), t0 + ms(38_000)).is_empty(), "no ACK after Terminated");
    }

    #[test]
    fn invite_final_in_calling_goes_straight_to_completed() {
        let t0 = Instant::now();
        let (mut tx, _) = invite(Reliability::Unreliable, t0);
        let out = tx.on_response(404, ack(), t0 + ms(200));
        assert!(cancelled(&out, Timer::A) && cancelled(&out, Timer::B));
        assert_eq!(sent(&out), vec![Bytes::from_static(ACK)]);
        assert_eq!(delivered(&out), vec![TuEvent::Final(404)]);
        assert_eq!(tx.state(), ClientState::Completed);
        assert!(tx.on_timer(Timer::A, t0 + ms(500)).is_empty(), "A no longer retransmits");
    }

    #[test]
    fn invite_non_2xx_without_ack_bytes_takes_them_from_a_retransmission() {
        let t0 = Instant::now();
        let (mut tx, _) = invite(Reliability::Unreliable, t0);
        let out = tx.on_response(503, None, t0 + ms(200));
        assert!(sent(&out).is_empty());
        assert_eq!(delivered(&out), vec![TuEvent::Final(503)]);
        let out = tx.on_response(503, ack(), t0 + ms(700));
        assert_eq!(out, vec![Output::Send(Bytes::from_static(ACK))]);
    }

    #[test]
    fn invite_2xx_moves_to_accepted_where_every_2xx_reaches_the_tu() {
        let t0 = Instant::now();
        let (mut tx, _) = invite(Reliability::Unreliable, t0);
        tx.on_response(180, None, t0 + ms(100));

        let out = tx.on_response(200, ack(), t0 + ms(3_000));
        assert_eq!(delivered(&out), vec![TuEvent::Final(200)]);
        assert!(sent(&out).is_empty(), "the TU ACKs a 2xx, not the transaction");
        assert_eq!(scheduled(&out, Timer::M), Some(t0 + ms(35_000)), "M = 64*T1");
        assert_eq!(tx.state(), ClientState::Accepted);

        // Retransmissions of the 2xx, and a 2xx from another fork: all delivered, nothing sent.
        for (at, status) in [(3_500, 200), (4_500, 200), (5_000, 202)] {
            assert_eq!(tx.on_response(status, None, t0 + ms(at)), vec![Output::Deliver(TuEvent::Final(status))]);
        }
        assert!(tx.on_response(486, ack(), t0 + ms(6_000)).is_empty(), "non-2xx in Accepted is absorbed");
        assert!(tx.on_response(180, None, t0 + ms(6_000)).is_empty());
        assert!(tx.on_transport_error().is_empty(), "Accepted sends nothing, so no transport error is ours");

        assert_eq!(tx.on_timer(Timer::M, t0 + ms(35_000)), vec![Output::Terminated]);
        assert!(tx.on_response(200, None, t0 + ms(35_001)).is_empty());
    }

    #[test]
    fn invite_over_tcp_has_no_timer_a_and_a_zero_timer_d() {
        let t0 = Instant::now();
        let (mut tx, out) = invite(Reliability::Reliable, t0);
        assert_eq!(scheduled(&out, Timer::A), None);
        assert_eq!(scheduled(&out, Timer::B), Some(t0 + ms(32_000)));
        assert!(tx.on_timer(Timer::A, t0 + ms(500)).is_empty());

        let out = tx.on_response(486, ack(), t0 + ms(1_000));
        assert_eq!(sent(&out), vec![Bytes::from_static(ACK)]);
        assert_eq!(delivered(&out), vec![TuEvent::Final(486)]);
        assert_eq!(scheduled(&out, Timer::D), None);
        assert!(terminated(&out), "D = 0 fires at once");
    }

    #[test]
    fn invite_over_tcp_times_out_on_b() {
        let t0 = Instant::now();
        let (mut tx, _) = invite(Reliability::Reliable, t0);
        let fired = run_timers(&mut tx, t0, t0 + ms(60_000));
        assert_eq!(fired.len(), 1);
        let (timer, at, out) = &fired[0];
        assert_eq!((*timer, *at), (Timer::B, 32_000));
        assert_eq!(out, &vec![Output::Deliver(TuEvent::Timeout), Output::Terminated]);
    }

    #[test]
    fn invite_transport_errors_end_calling_and_completed_only() {
        let t0 = Instant::now();
        let (mut tx, _) = invite(Reliability::Unreliable, t0);
        let out = tx.on_transport_error();
        assert_eq!(delivered(&out), vec![TuEvent::TransportError]);
        assert!(cancelled(&out, Timer::A) && cancelled(&out, Timer::B) && terminated(&out));

        let (mut tx, _) = invite(Reliability::Unreliable, t0);
        tx.on_response(100, None, t0 + ms(10));
        assert!(tx.on_transport_error().is_empty());
        tx.on_response(480, ack(), t0 + ms(20));
        let out = tx.on_transport_error();
        assert_eq!(delivered(&out), vec![TuEvent::TransportError]);
        assert!(cancelled(&out, Timer::D) && terminated(&out));
        assert!(tx.on_transport_error().is_empty(), "only once");
    }

    #[test]
    fn non_invite_over_udp_backs_e_off_to_t2_until_f() {
        let t0 = Instant::now();
        let (mut tx, out) = options(Reliability::Unreliable, t0);
        assert_eq!(sent(&out), vec![Bytes::from_static(OPTIONS)]);
        assert_eq!(scheduled(&out, Timer::E), Some(t0 + ms(500)));
        assert_eq!(scheduled(&out, Timer::F), Some(t0 + ms(32_000)));
        assert_eq!(tx.state(), ClientState::Trying);

        let fired = run_timers(&mut tx, t0, t0 + ms(60_000));
        let e: Vec<u64> = fired.iter().filter(|(t, _, _)| *t == Timer::E).map(|(_, at, _)| *at).collect();
        assert_eq!(e, vec![500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]);
        let intervals: Vec<u64> = std::iter::once(500).chain(e.windows(2).map(|w| w[1] - w[0])).collect();
        assert_eq!(intervals, vec![500, 1_000, 2_000, 4_000, 4_000, 4_000, 4_000, 4_000, 4_000, 4_000]);
        let (timer, at, out) = fired.last().unwrap();
        assert_eq!((*timer, *at), (Timer::F, 32_000));
        assert_eq!(delivered(out), vec![TuEvent::Timeout]);
        assert!(cancelled(out, Timer::E) && terminated(out));
    }

    #[test]
    fn non_invite_in_proceeding_retransmits_every_t2_and_still_times_out() {
        let t0 = Instant::now();
        let (mut tx, _) = options(Reliability::Unreliable, t0);
        tx.on_timer(Timer::E, t0 + ms(500)); // next E at 1.5 s
        let out = tx.on_response(100, None, t0 + ms(600));
        assert_eq!(out, vec![Output::Deliver(TuEvent::Provisional(100))]);
        assert_eq!(tx.state(), ClientState::Proceeding);

        let fired = run_timers(&mut tx, t0, t0 + ms(60_000));
        let e: Vec<u64> = fired.iter().filter(|(t, _, _)| *t == Timer::E).map(|(_, at, _)| *at).collect();
        // The E armed in Trying keeps its deadline; from then on, every T2.
        assert_eq!(e, vec![1_500, 5_500, 9_500, 13_500, 17_500, 21_500, 25_500, 29_500]);
        let (timer, at, out) = fired.last().unwrap();
        assert_eq!((*timer, *at), (Timer::F, 32_000), "F times out Proceeding too");
        assert_eq!(delivered(out), vec![TuEvent::Timeout]);
    }

    #[test]
    fn non_invite_final_waits_out_k_over_udp() {
        let t0 = Instant::now();
        let (mut tx, _) = options(Reliability::Unreliable, t0);
        tx.on_response(180, None, t0 + ms(200));
        let out = tx.on_response(200, ack(), t0 + ms(1_000));
        assert!(cancelled(&out, Timer::E) && cancelled(&out, Timer::F));
        assert_eq!(delivered(&out), vec![TuEvent::Final(200)]);
        assert!(sent(&out).is_empty(), "non-INVITE never ACKs");
        assert_eq!(scheduled(&out, Timer::K), Some(t0 + ms(6_000)), "K = T4");
        assert_eq!(tx.state(), ClientState::Completed);

        assert!(tx.on_response(200, None, t0 + ms(1_500)).is_empty(), "retransmission absorbed");
        assert!(tx.on_response(180, None, t0 + ms(1_500)).is_empty());
        assert!(tx.on_transport_error().is_empty());
        assert!(tx.on_timer(Timer::E, t0 + ms(1_500)).is_empty(), "stale E");
        assert!(tx.on_timer(Timer::F, t0 + ms(32_000)).is_empty(), "stale F");
        assert_eq!(tx.on_timer(Timer::K, t0 + ms(6_000)), vec![Output::Terminated]);
    }

    #[test]
    fn non_invite_over_tcp_has_no_e_and_a_zero_k() {
        let t0 = Instant::now();
        let (mut tx, out) = options(Reliability::Reliable, t0);
        assert_eq!(scheduled(&out, Timer::E), None);
        assert_eq!(scheduled(&out, Timer::F), Some(t0 + ms(32_000)));
        let out = tx.on_response(404, None, t0 + ms(50));
        assert_eq!(out, vec![Output::Cancel(Timer::F), Output::Deliver(TuEvent::Final(404)), Output::Terminated]);
    }

    #[test]
    fn non_invite_transport_error_ends_trying_and_proceeding() {
        let t0 = Instant::now();
        let (mut tx, _) = options(Reliability::Unreliable, t0);
        tx.on_response(100, None, t0);
        let out = tx.on_transport_error();
        assert_eq!(delivered(&out), vec![TuEvent::TransportError]);
        assert!(terminated(&out));
    }

    #[test]
    fn invalid_status_codes_are_ignored() {
        let t0 = Instant::now();
        for kind in [Kind::Invite, Kind::NonInvite] {
            let (mut tx, _) = ClientTransaction::start(
                kind,
                Bytes::from_static(INVITE),
                Reliability::Unreliable,
                Timers::default(),
                t0,
            );
            for status in [0, 1, 99, 700, 999, u16::MAX] {
                assert!(tx.on_response(status, ack(), t0).is_empty());
            }
            assert!(matches!(tx.state(), ClientState::Calling | ClientState::Trying));
        }
    }

    #[test]
    fn everything_after_terminated_is_ignored() {
        let t0 = Instant::now();
        let (mut tx, _) = invite(Reliability::Unreliable, t0);
        tx.on_timer(Timer::B, t0 + ms(32_000));
        assert!(tx.is_terminated());
        for timer in Timer::ALL {
            assert!(tx.on_timer(timer, t0 + ms(100_000)).is_empty());
        }
        for status in [100, 180, 200, 486] {
            assert!(tx.on_response(status, ack(), t0 + ms(100_000)).is_empty());
        }
        assert!(tx.on_transport_error().is_empty());
        assert_eq!(tx.next_deadline(), None);
    }

    /// What one random input does; which sends it may cause depends on the state before.
    #[derive(Debug, Clone, Copy)]
    enum Input {
        Response(u16, bool),
        DueTimer,
        RandomTimer,
        TransportError,
    }

    /// Feeds 10,000 seeded random inputs to each kind over each transport and checks that
    /// nothing panics and that bytes are only sent where the RFC sends them.
    #[test]
    fn random_input_sequences_never_panic_and_send_only_where_allowed() {
        for (seed, kind, reliability) in [
            (1, Kind::Invite, Reliability::Unreliable),
            (2, Kind::Invite, Reliability::Reliable),
            (3, Kind::NonInvite, Reliability::Unreliable),
            (4, Kind::NonInvite, Reliability::Reliable),
        ] {
            let mut rng = Xorshift::new(seed);
            let t0 = Instant::now();
            let mut now = t0;
            let request = Bytes::from_static(b"REQUEST");
            let start = |now| ClientTransaction::start(kind, request.clone(), reliability, Timers::default(), now).0;
            let mut tx = start(now);
            let mut transactions = 1;
            let mut visited = std::collections::HashSet::new();
            for _ in 0..10_000 {
                // Restart a few inputs after termination, so every state keeps being exercised
                // and a terminated transaction still sees inputs.
                if tx.is_terminated() && rng.below(4) == 0 {
                    tx = start(now);
                    transactions += 1;
                }
                now += ms(rng.below(3_000));
                let input = match rng.below(10) {
                    0..=3 => Input::Response(rng.status(), rng.below(2) == 0),
                    4..=6 => Input::DueTimer,
                    7 | 8 => Input::RandomTimer,
                    _ => Input::TransportError,
                };
                let before = tx.state();
                let out = match input {
                    Input::Response(status, with_ack) => {
                        tx.on_response(status, with_ack.then(|| Bytes::from_static(ACK)), now)
                    }
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
                    let allowed = if bytes == request {
                        // Retransmissions: A in Calling, E in Trying/Proceeding, UDP only.
                        // (A random timer may happen to be the one that is due.)
                        reliability == Reliability::Unreliable
                            && matches!(input, Input::DueTimer | Input::RandomTimer)
                            && matches!(
                                (kind, before),
                                (Kind::Invite, ClientState::Calling)
                                    | (Kind::NonInvite, ClientState::Trying | ClientState::Proceeding)
                            )
                    } else {
                        // The ACK: INVITE only, on a non-2xx final, in (or into) Completed,
                        // which a reliable transport leaves at once (D = 0).
                        bytes == ACK
                            && kind == Kind::Invite
                            && matches!(input, Input::Response(300..=699, _))
                            && (after == ClientState::Completed
                                || reliability == Reliability::Reliable && after == ClientState::Terminated)
                    };
                    assert!(
                        allowed,
                        "{kind:?}/{reliability:?}: sent {bytes:?} on {input:?} in {before:?} -> {after:?}"
                    );
                }
                if before == ClientState::Terminated {
                    assert!(out.is_empty(), "output after Terminated: {out:?}");
                }
                assert_eq!(terminated(&out), before != after && after == ClientState::Terminated);
                if after == ClientState::Terminated {
                    assert_eq!(tx.next_deadline(), None);
                }
            }
            assert!(transactions > 10, "the sequence went through many lifetimes ({transactions})");
            // Over TCP the wait states end as they begin (D = K = 0): never seen after an input.
            let waiting =
                |state: &&ClientState| reliability == Reliability::Unreliable || **state != ClientState::Completed;
            let every_state: &[ClientState] = match kind {
                Kind::Invite => &[
                    ClientState::Calling,
                    ClientState::Proceeding,
                    ClientState::Completed,
                    ClientState::Accepted,
                    ClientState::Terminated,
                ],
                Kind::NonInvite => {
                    &[ClientState::Trying, ClientState::Proceeding, ClientState::Completed, ClientState::Terminated]
                }
            };
            assert!(
                every_state.iter().filter(waiting).all(|state| visited.contains(state)),
                "{kind:?}/{reliability:?} visited {visited:?}"
            );
        }
    }
}
