//! SIP registration end to end: the real `switchboard` binary and SIPp (Debian
//! `sip-tester`) on loopback. Scenarios: `tests/sipp/register*.xml`.
//!
//! - REGISTER is challenged with 401 and a `WWW-Authenticate` digest challenge in realm
//!   `switchboard` offering MD5 (the default; SHA-256 is opt-in, tested in sip_defence);
//!   the same REGISTER with credentials gets 200
//!   listing the new binding; over UDP and over TCP.
//! - With a wrong password the second REGISTER is refused again (401 or 403), and no
//!   binding is made: a call to that extension then fails with 480 (not registered).

mod common;

use common::backends;
use common::sipp::{require_tool, SipPbx, Sipp};
use std::time::Duration;

/// The challenge headers of a 401/407 must be digest challenges in realm "switchboard"
/// offering MD5 only, the default (what SIPp answers; baresip 1.0 refuses a SHA-256 one).
#[track_caller]
fn assert_challenge(pbx: &SipPbx, headers: &[&str], what: &str) {
    assert!(!headers.is_empty(), "{what}: no challenge header");
    if pbx.is_anchor() {
        return;
    }
    for h in headers {
        assert!(h.starts_with("Digest "), "{what}: not a digest challenge: {h}");
        assert!(h.contains("realm=\"switchboard\""), "{what}: realm is not \"switchboard\": {h}");
        assert!(h.contains("nonce=\""), "{what}: no nonce: {h}");
    }
    let algorithms: Vec<String> = headers
        .iter()
        .map(|h| {
            h.split(',')
                .find_map(|p| p.trim().trim_start_matches("Digest ").strip_prefix("algorithm="))
                .unwrap_or("MD5")
                .trim_matches('"')
                .to_ascii_uppercase()
        })
        .collect();
    assert!(algorithms.iter().any(|a| a == "MD5"), "{what}: MD5 is not offered: {headers:?}");
    assert!(algorithms.iter().all(|a| a == "MD5"), "{what}: only MD5 is offered by default: {headers:?}");
}

#[tokio::test]
async fn register_is_challenged_then_accepted_over_udp_and_tcp() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let pbx = SipPbx::start(backend, &["1001"]).await;
        for tcp in [false, true] {
            let transport = if tcp { "TCP" } else { "UDP" };
            let mut sipp = Sipp::new(&format!("register-{transport}"), "register.xml", pbx.sip, &pbx.ports)
                .service("1001")
                .auth("1001", pbx.password("1001"))
                .timeout(Duration::from_secs(10));
            if tcp {
                sipp = sipp.tcp();
            }
            let run = sipp.run().await;
            run.assert_ok();
            let challenge = run.response(401, "REGISTER");
            assert_challenge(
                &pbx,
                &challenge.headers("WWW-Authenticate"),
                &format!("401 to REGISTER over {transport}"),
            );
            let ok = run.response(200, "REGISTER");
            // RFC 3261 10.3 step 8: the 200 lists the current bindings, ours among them.
            let contact = format!("127.0.0.1:{}", run_sip_port(&run));
            assert!(
                ok.headers("Contact").iter().any(|c| c.contains(&contact)),
                "{backend:?} {transport}: the 200 to REGISTER does not list the binding {contact}:\n{}",
                run.report()
            );
            if !pbx.is_anchor() {
                assert!(
                    ok.headers("Contact").iter().any(|c| c.contains("expires=")) || ok.header("Expires").is_some(),
                    "{backend:?} {transport}: the 200 to REGISTER says nothing of the expiry:\n{}",
                    run.report()
                );
            }
        }
    }
}

/// The SIP port sipp used, from the Via of its first request.
fn run_sip_port(run: &common::sipp::SippRun) -> u16 {
    run.sent()
        .next()
        .and_then(|m| m.header("Via"))
        .and_then(|via| via.split_whitespace().nth(1))
        .and_then(|hostport| hostport.split(';').next())
        .and_then(|hostport| hostport.rsplit(':').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no Via port in {}", run.report()))
}

#[tokio::test]
async fn register_with_a_wrong_password_is_refused_and_binds_nothing() {
    if !require_tool("sipp", "sip-tester") {
        return;
    }
    for backend in backends() {
        let pbx = SipPbx::start(backend, &["1001", "1002"]).await;
        let run = Sipp::new("register-wrong-password", "register_wrong_password.xml", pbx.sip, &pbx.ports)
            .service("1002")
            .auth("1002", "NotThePassword-1234")
            .timeout(Duration::from_secs(10))
            .run()
            .await;
        run.assert_ok();
        let statuses: Vec<u16> = run
            .received()
            .filter(|m| m.cseq_method().as_deref() == Some("REGISTER"))
            .filter_map(|m| m.status())
            .filter(|s| *s >= 200)
            .collect();
        assert_eq!(statuses.len(), 2, "{backend:?}: wanted two final responses to REGISTER:\n{}", run.report());
        assert!(
            matches!(statuses[1], 401 | 403),
            "{backend:?}: a wrong password got {} (wanted 401 or 403):\n{}",
            statuses[1],
            run.report()
        );
        if pbx.is_anchor() {
            continue;
        }
        // Nothing was bound: calling 1002 finds no contact.
        let call = Sipp::new("call-unbound", "uac_rejected.xml", pbx.sip, &pbx.ports)
            .service("1002")
            .key("caller", "1001")
            .auth("1001", pbx.password("1001"))
            .timeout(Duration::from_secs(10))
            .run()
            .await;
        call.assert_ok();
        assert_eq!(
            call.invite_finals().last(),
            Some(&480),
            "{backend:?}: a call to an extension with no binding must get 480:\n{}",
            call.report()
        );
        pbx.assert_one_cdr_of("1001", "1002", &["FAILED", "NO ANSWER"]).await;
    }
}
