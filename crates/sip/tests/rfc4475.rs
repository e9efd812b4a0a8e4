//! RFC 4475 torture messages (`../shared/sip-torture/rfc4475/`, beside the repository):
//! every valid message is accepted, every invalid one is refused with the status RFC 4475
//! asks for, and every refusal that can be answered carries a response that parses.

use bytes::Bytes;
use sb_sip::message::{check_request, parse, read_datagram, Inbound, Limits, Message, ServerPolicy};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Parsed and acceptable (requests pass the UAS checks).
    Accept,
    /// Answered with this status.
    Reject(u16),
    /// Dropped without an answer (malformed responses).
    Discard,
}

use Want::{Accept, Discard, Reject};

/// RFC 4475 §3 dispositions (see the corpus README).
const EXPECTED: &[(&str, Want)] = &[
    ("wsinv", Accept),
    ("intmeth", Accept),
    ("esc01", Accept),
    ("escnull", Accept),
    ("esc02", Accept),
    ("lwsdisp", Accept),
    ("longreq", Accept),
    ("dblreq", Accept),
    ("semiuri", Accept),
    ("transports", Accept),
    ("mpart01", Accept),
    ("unreason", Accept),
    ("noreason", Accept),
    ("badinv01", Reject(400)),
    ("clerr", Reject(400)),
    ("ncl", Reject(400)),
    ("scalar02", Reject(400)),
    ("scalarlg", Discard),
    ("quotbal", Reject(400)),
    ("ltgtruri", Reject(400)),
    ("lwsruri", Reject(400)),
    ("lwsstart", Reject(400)),
    ("trws", Reject(400)),
    ("escruri", Reject(400)),
    // An invalid Date is ignored: nothing in Switchboard reads Date.
    ("baddate", Accept),
    ("regbadct", Reject(400)),
    ("badaspec", Reject(400)),
    ("baddn", Reject(400)),
    ("badvers", Reject(505)),
    ("mismatch01", Reject(400)),
    ("mismatch02", Reject(400)),
    ("bigcode", Discard),
    ("badbranch", Reject(400)),
    ("insuf", Reject(400)),
    ("unkscm", Reject(416)),
    ("novelsc", Reject(416)),
    ("unksm2", Accept),
    ("bext01", Reject(420)),
    ("invut", Reject(415)),
    // Well-formed; the registrar answers the unknown scheme with a Digest challenge.
    ("regaut01", Accept),
    ("multi01", Reject(400)),
    ("mcl01", Reject(400)),
    ("bcast", Discard),
    // A UAS may process an OPTIONS with Max-Forwards 0 (RFC 4475 §3.3.11).
    ("zeromf", Accept),
    ("cparam01", Accept),
    ("cparam02", Accept),
    ("regescrt", Accept),
    ("sdp01", Reject(406)),
    // RFC 2543 syntax: well-formed, so the message layer accepts it. (Transaction
    // matching without a branch cookie is not supported yet.)
    ("inv2543", Accept),
];

fn corpus() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sip-torture/rfc4475");
    assert!(dir.is_dir(), "the RFC 4475 corpus must be beside the repository at {}", dir.display());
    dir
}

/// What Switchboard does with the message, and the answer it sends, if any.
fn disposition(bytes: Bytes) -> (Want, Option<Bytes>, String) {
    match read_datagram(bytes, &Limits::datagram()) {
        Inbound::Request(request) => match check_request(&request, &ServerPolicy::default()) {
            None => (Accept, None, String::new()),
            Some(rejection) => (Reject(rejection.status), rejection.response, rejection.reason),
        },
        Inbound::Response(_) => (Accept, None, String::new()),
        Inbound::Reject(rejection) => (Reject(rejection.status), rejection.response, rejection.reason),
        Inbound::Discard(why) => (Discard, None, why),
    }
}

#[test]
fn every_torture_message_gets_its_rfc_4475_disposition() {
    let dir = corpus();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("read corpus")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".dat").map(str::to_owned))
        .collect();
    files.sort();
    assert_eq!(files.len(), 49, "RFC 4475 has 49 messages");
    let mut wrong = Vec::new();
    for name in &files {
        let want = EXPECTED.iter().find(|(n, _)| n == name).map(|(_, w)| *w);
        let Some(want) = want else {
            wrong.push(format!("{name}: no expectation recorded"));
            continue;
        };
        let bytes = Bytes::from(std::fs::read(dir.join(format!("{name}.dat"))).expect("read message"));
        let (got, response, why) = disposition(bytes);
        if got != want {
            wrong.push(format!("{name}: wanted {want:?}, got {got:?} {why}"));
            continue;
        }
        if let (Reject(status), Some(response)) = (got, &response) {
            // The answer must frame and parse as a response with that status. It copies the
            // request's Via, From, To, Call-ID and CSeq verbatim (RFC 3261 §8.2.6.2), so a
            // malformed To comes back as it was sent: semantic checks are not asked of it.
            match parse(response.clone(), &Limits::datagram()) {
                Ok(Message::Response(r)) if r.status.code() == status => {}
                other => wrong.push(format!("{name}: its {status} answer does not parse back: {other:?}")),
            }
        }
        if matches!(got, Reject(_)) && response.is_none() && name != "insuf" {
            wrong.push(format!("{name}: refused without an answer ({why})"));
        }
    }
    assert!(wrong.is_empty(), "RFC 4475 dispositions:\n{}", wrong.join("\n"));
}

#[test]
fn truncating_any_message_never_panics() {
    // Every prefix of every message: the parser must answer, not crash.
    let dir = corpus();
    for entry in std::fs::read_dir(&dir).expect("read corpus").flatten() {
        let bytes = std::fs::read(entry.path()).expect("read message");
        for end in 0..bytes.len() {
            let _ = disposition(Bytes::copy_from_slice(&bytes[..end]));
        }
    }
}
