//! Calls end to end between SIPp instances through the real `switchboard` binary: answered
//! with RTP through the relay, hung up by the callee, cancelled while ringing, busy,
//! unanswered (ring timeout), forked to two contacts, and to unknown or unregistered numbers. Scenarios in
//! `tests/sipp/`; SIPp from Debian `sip-tester`, its `g711a.pcap` as the audio.
//!
//! Each callee is a SIPp that first REGISTERs (digest auth) from the port it then answers
//! on; each caller authenticates its INVITE (407, or 401) and calls the extension number.
//! Every test asserts SIPp's exit status (the scenario ran to its end: any unexpected
//! message fails it), the status codes and requests each side saw, and one CDR per call.

mod common;

use common::backends;
use common::sipp::{
    callee, caller, count_matching, pcap_rtp_payloads, require_tool, RtpSink, SipPbx, SippRun, G711A_PCAP,
};
use std::time::Duration;

/// The caller's first INVITE must be challenged with 407 and a digest `Proxy-Authenticate`
/// in realm "switchboard" (the anchor Asterisk answers 401: not checked there).
#[track_caller]
fn assert_invite_challenged(pbx: &SipPbx, run: &SippRun) {
    if pbx.is_anchor() {
        return;
    }
    let challenge = run.response(407, "INVITE");
    let headers = challenge.headers("Proxy-Authenticate");
    assert!(!headers.is_empty(), "407 without Proxy-Authenticate:\n{}", run.report());
    assert!(
        headers.iter().all(|h| h.starts_with("Digest ") && h.contains("realm=\"switchboard\"")),
        "bad Proxy-Authenticate {headers:?}:\n{}",
        run.report()
    );
}

/// Both reports, for a failure message about two sides of one call.
fn both(a: &SippRun, b: &SippRun) -> String {
    format!("{}\n{}", a.report(), b.report())
}

#[tokio::test]
async fn answered_call_carries_rtp_through_the_relay() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    let pcap = pcap_rtp_payloads(G711A_PCAP);
    assert!(pcap.len() > 200, "{G711A_PCAP}: only {} RTP packets", pcap.len());
    for backend in backends() {
        let pbx = SipPbx::start(backend, &["1001", "1002", "1003", "1004"]).await;
        // How this proves that RTP crossed the PBX both ways:
        // - The caller (SIPp A) advertises [media_port+4] in its SDP and plays g711a.pcap from
        //   that port (sipp's pcap player sends from the port of the SDP's m=audio line through
        //   a raw socket and does not bind it); the test binds that port to see what the PBX
        //   sends back to A.
        // - The callee (SIPp B) runs with -rtp_echo: whatever reaches its media port is sent
        //   back to where it came from (the PBX's relay port for B).
        // - So a packet at A's port carrying a pcap payload byte for byte went
        //   A -> PBX -> B -> PBX -> A. A second call at the same time (1003 -> 1004) whose callee
        //   does NOT echo is the control: nothing of its caller's pcap may come back to it,
        //   which rules out a PBX that loops a leg's audio back to itself.
        // - Both SDPs seen by the peers must point at the PBX's relay range, never at the other
        //   peer, and A's packets must come from the relay port the PBX gave A.
        let (b, b_proc) = callee(&pbx, "1002", "callee-echo", "uas_answer.xml", &["-rtp_echo"]).await;
        let a = caller(&pbx, "1001", "1002", "caller", "uac_call.xml");
        let a_sink = RtpSink::bind(a.media_port() + 4).await;
        let control = if pbx.is_anchor() {
            None
        } else {
            let (d, d_proc) = callee(&pbx, "1004", "callee-silent", "uas_answer.xml", &[]).await;
            let c = caller(&pbx, "1003", "1004", "caller-control", "uac_call.xml");
            let c_sink = RtpSink::bind(c.media_port() + 4).await;
            Some((c, c_sink, d, d_proc))
        };

        let a_run = match &control {
            Some((c, ..)) => {
                let (a_run, c_run) = tokio::join!(a.run(), c.run());
                c_run.assert_ok();
                a_run
            }
            None => a.run().await,
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let got = a_sink.finish().await;
        let b_run = b_proc.finish().await;
        assert!(
            a_run.status.success() && b_run.status.success(),
            "{backend:?}: the call failed:\n{}",
            both(&a_run, &b_run)
        );

        // Signalling.
        assert_invite_challenged(&pbx, &a_run);
        assert!(
            a_run.received_statuses().contains(&180),
            "{backend:?}: the callee's 180 was not relayed:\n{}",
            both(&a_run, &b_run)
        );
        assert_eq!(
            b_run.received_requests(),
            ["INVITE", "ACK", "BYE"],
            "{backend:?}: the callee's view:\n{}",
            both(&a_run, &b_run)
        );

        // The SDPs point at the relay.
        let a_sees = a_run
            .response(200, "INVITE")
            .sdp_audio()
            .unwrap_or_else(|| panic!("no SDP in the 200:\n{}", a_run.report()));
        let b_sees =
            b_run.request("INVITE").sdp_audio().unwrap_or_else(|| panic!("no SDP in the INVITE:\n{}", b_run.report()));
        for (who, seen, other_peer) in [("caller", a_sees, b.media_port()), ("callee", b_sees, a.media_port() + 4)] {
            assert!(seen.ip().is_loopback(), "{backend:?}: the {who}'s SDP points at {seen}");
            assert!(
                pbx.is_relay_port(seen.port()),
                "{backend:?}: the {who}'s SDP port {} is not in the relay range {:?} (SDP not rewritten?)",
                seen.port(),
                pbx.rtp
            );
            assert_ne!(
                seen.port(),
                other_peer,
                "{backend:?}: the {who} was given the other peer's media port: media bypasses the PBX"
            );
        }

        // The audio came back through the relay.
        let matching = count_matching(&got, &pcap);
        assert!(
            matching >= 40,
            "{backend:?}: only {matching} of {} packets at the caller's port carry the pcap's audio (about 80 were played); sources: {:?}\n{}",
            got.len(),
            got.iter().map(|p| p.from).collect::<std::collections::BTreeSet<_>>(),
            both(&a_run, &b_run)
        );
        assert!(
            got.iter().all(|p| p.payload_type == 8),
            "{backend:?}: PCMA came back with other payload types: {:?}",
            got.iter().map(|p| p.payload_type).collect::<std::collections::BTreeSet<_>>()
        );
        assert!(
            got.iter().all(|p| p.from == a_sees),
            "{backend:?}: RTP to the caller must come from the relay address its SDP named ({a_sees}), came from {:?}",
            got.iter().map(|p| p.from).collect::<std::collections::BTreeSet<_>>()
        );

        if let Some((_, c_sink, _, d_proc)) = control {
            let back = c_sink.finish().await;
            let d_run = d_proc.finish().await;
            d_run.assert_ok();
            assert_eq!(count_matching(&back, &pcap), 0, "{backend:?}: the control caller got its own audio back although its callee does not echo: the PBX loops audio");
            pbx.assert_one_cdr("1003", "1004", "ANSWERED").await;
        }
        if let Some(cdr) = pbx.assert_one_cdr("1001", "1002", "ANSWERED").await {
            assert!(
                cdr["billsec"].as_i64().is_some_and(|s| (1..=6).contains(&s)),
                "{backend:?}: the call lasted ~2.5 s: {cdr}"
            );
            assert!(!cdr["answer"].is_null(), "{backend:?}: an answered call has an answer time: {cdr}");
        }
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn callee_hangs_up_and_the_bye_reaches_the_caller() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let pbx = SipPbx::start(backend, &["1001", "1002"]).await;
        let (_, b_proc) = callee(&pbx, "1002", "callee-hangs-up", "uas_answer_hangup.xml", &[]).await;
        let a_run = caller(&pbx, "1001", "1002", "caller-hung-up-on", "uac_call_callee_hangs_up.xml").run().await;
        let b_run = b_proc.finish().await;
        assert!(
            a_run.status.success() && b_run.status.success(),
            "{backend:?}: the call the callee hangs up failed:\n{}",
            both(&a_run, &b_run)
        );
        assert_eq!(a_run.received_requests(), ["BYE"], "{backend:?}: the caller's view:\n{}", both(&a_run, &b_run));
        b_run.response(200, "BYE");
        pbx.assert_one_cdr("1001", "1002", "ANSWERED").await;
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn caller_cancels_while_ringing() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let pbx = SipPbx::start(backend, &["1001", "1002"]).await;
        let (_, b_proc) = callee(&pbx, "1002", "callee-ringing", "uas_ring_until_cancel.xml", &[]).await;
        let a_run = caller(&pbx, "1001", "1002", "caller-cancel", "uac_cancel.xml").run().await;
        let b_run = b_proc.finish().await;
        assert!(
            a_run.status.success() && b_run.status.success(),
            "{backend:?}: the cancelled call failed:\n{}",
            both(&a_run, &b_run)
        );
        assert_invite_challenged(&pbx, &a_run);
        a_run.response(200, "CANCEL");
        assert_eq!(a_run.invite_finals().last(), Some(&487), "{backend:?}:\n{}", a_run.report());
        assert_eq!(
            b_run.received_requests(),
            ["INVITE", "CANCEL", "ACK"],
            "{backend:?}: the callee's view:\n{}",
            both(&a_run, &b_run)
        );
        pbx.assert_one_cdr("1001", "1002", "NO ANSWER").await;
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn busy_callee_is_relayed_as_486() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let pbx = SipPbx::start(backend, &["1001", "1002"]).await;
        let (_, b_proc) = callee(&pbx, "1002", "callee-busy", "uas_busy.xml", &[]).await;
        let a_run = caller(&pbx, "1001", "1002", "caller-busy", "uac_rejected.xml").run().await;
        let b_run = b_proc.finish().await;
        assert!(
            a_run.status.success() && b_run.status.success(),
            "{backend:?}: the busy call failed:\n{}",
            both(&a_run, &b_run)
        );
        assert_invite_challenged(&pbx, &a_run);
        assert_eq!(
            a_run.invite_finals().last(),
            Some(&486),
            "{backend:?}: the caller must get the callee's 486:\n{}",
            both(&a_run, &b_run)
        );
        // The PBX acknowledged the callee's 486 (uas_busy.xml waits for the ACK).
        assert_eq!(
            b_run.received_requests(),
            ["INVITE", "ACK"],
            "{backend:?}: the callee's view:\n{}",
            both(&a_run, &b_run)
        );
        pbx.assert_one_cdr("1001", "1002", "BUSY").await;
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn unanswered_call_gives_up_after_the_ring_timeout() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let pbx = SipPbx::start(backend, &["1001", "1002"]).await;
        pbx.set_ring_delay("1002", 2).await;
        let (_, b_proc) = callee(&pbx, "1002", "callee-no-answer", "uas_ring_until_cancel.xml", &[]).await;
        let a_run = caller(&pbx, "1001", "1002", "caller-no-answer", "uac_rejected.xml").run().await;
        let b_run = b_proc.finish().await;
        assert!(
            a_run.status.success() && b_run.status.success(),
            "{backend:?}: the unanswered call failed:\n{}",
            both(&a_run, &b_run)
        );
        let last = a_run.invite_finals().last().copied();
        assert!(
            matches!(last, Some(480 | 408)),
            "{backend:?}: wanted 480 or 408 after the ring timeout, got {last:?}:\n{}",
            both(&a_run, &b_run)
        );
        // The callee was cancelled by the PBX, about 2 s after its INVITE.
        assert_eq!(
            b_run.received_requests(),
            ["INVITE", "CANCEL", "ACK"],
            "{backend:?}: the callee's view:\n{}",
            both(&a_run, &b_run)
        );
        let rang = b_run.request("INVITE").at;
        let cancelled = b_run.request("CANCEL").at;
        let waited = cancelled - rang;
        assert!(
            (1.5..6.0).contains(&waited),
            "{backend:?}: the PBX cancelled after {waited:.2} s; the ring timeout is 2 s:\n{}",
            b_run.report()
        );
        pbx.assert_one_cdr("1001", "1002", "NO ANSWER").await;
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn call_forks_to_every_contact_and_cancels_the_others() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let pbx = SipPbx::start(backend, &["1001", "1002"]).await;
        if pbx.is_anchor() {
            eprintln!("NOTE: the anchor keeps one contact per AoR: fork test skipped");
            return;
        }
        // Two phones of 1002: one answers, the other rings until the PBX cancels it.
        let (_, answers) = callee(&pbx, "1002", "fork-answers", "uas_answer.xml", &[]).await;
        let (_, rings) = callee(&pbx, "1002", "fork-rings", "uas_ring_until_cancel.xml", &[]).await;
        let a_run = caller(&pbx, "1001", "1002", "caller-fork", "uac_call.xml").run().await;
        let answered = answers.finish().await;
        let cancelled = rings.finish().await;
        let all = format!("{}\n{}\n{}", a_run.report(), answered.report(), cancelled.report());
        assert!(a_run.status.success(), "{backend:?}: the forked call failed:\n{all}");
        assert!(answered.status.success(), "{backend:?}: the answering contact:\n{all}");
        assert!(cancelled.status.success(), "{backend:?}: the other contact was not rung then cancelled:\n{all}");
        assert_eq!(answered.received_requests(), ["INVITE", "ACK", "BYE"], "{backend:?}:\n{all}");
        assert_eq!(cancelled.received_requests(), ["INVITE", "CANCEL", "ACK"], "{backend:?}:\n{all}");
        // RFC 3326: the CANCEL of the losing branch says the call was answered elsewhere.
        let reason = cancelled.request("CANCEL").header("Reason").map(str::to_owned);
        if let Some(reason) = reason {
            assert!(
                reason.contains("cause=200") || reason.contains("cause=26"),
                "{backend:?}: Reason of the fork's CANCEL: {reason}"
            );
        }
        pbx.assert_one_cdr("1001", "1002", "ANSWERED").await;
        pbx.assert_no_calls_left().await;
    }
}

#[tokio::test]
async fn unknown_and_unregistered_numbers_are_refused() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let pbx = SipPbx::start(backend, &["1001", "1002"]).await;
        if pbx.is_anchor() {
            eprintln!("NOTE: the anchor's dialplan differs: unknown/unregistered test skipped");
            return;
        }
        let unknown = caller(&pbx, "1001", "1999", "caller-unknown", "uac_rejected.xml").run().await;
        unknown.assert_ok();
        assert_invite_challenged(&pbx, &unknown);
        assert_eq!(
            unknown.invite_finals().last(),
            Some(&404),
            "{backend:?}: an unknown number must get 404:\n{}",
            unknown.report()
        );
        let unregistered = caller(&pbx, "1001", "1002", "caller-unregistered", "uac_rejected.xml").run().await;
        unregistered.assert_ok();
        assert_eq!(
            unregistered.invite_finals().last(),
            Some(&480),
            "{backend:?}: an extension with no contact must get 480:\n{}",
            unregistered.report()
        );
        pbx.assert_no_calls_left().await;
    }
}
