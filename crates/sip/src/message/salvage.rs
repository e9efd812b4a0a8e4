//! Answering requests the parser refused: RFC 3261 §8.2 wants a 400 for a malformed
//! request, and a response needs Via, From, To, Call-ID and CSeq copied from it. They are
//! taken here from the raw header lines, verbatim, without trusting anything else.

use bytes::Bytes;

/// The headers a response copies from its request, by full and compact name.
const COPIED: &[(&str, Option<&str>)] =
    &[("via", Some("v")), ("from", Some("f")), ("to", Some("t")), ("call-id", Some("i")), ("cseq", None)];

/// Whether the first line looks like a request line (`METHOD uri SIP/2.0`), as opposed
/// to a status line or noise, which are never answered.
pub fn looks_like_request(bytes: &[u8]) -> bool {
    let line = first_line(bytes);
    let Some((method, _)) = line.split_once(' ') else { return false };
    !method.is_empty()
        && method.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
        && line.trim_end().ends_with("SIP/2.0")
}

/// Whether the first line is a status line.
pub fn looks_like_response(bytes: &[u8]) -> bool {
    bytes.starts_with(b"SIP/")
}

fn first_line(bytes: &[u8]) -> &str {
    let end = bytes.iter().position(|&b| b == b'\r' || b == b'\n').unwrap_or(bytes.len()).min(1024);
    std::str::from_utf8(&bytes[..end]).unwrap_or_default()
}

/// A response with `status` and `reason` to the raw request, when the five headers a
/// response must copy can be found; `None` otherwise (the request is then dropped).
pub fn response(raw: &[u8], status: u16, reason: &str) -> Option<Bytes> {
    let head_end = find(raw, b"\r\n\r\n").or_else(|| find(raw, b"\n\n")).unwrap_or(raw.len());
    let head = std::str::from_utf8(&raw[..head_end]).ok()?;
    let mut lines: Vec<String> = Vec::new();
    for line in head.split('\n').skip(1).map(|l| l.trim_end_matches('\r')) {
        match (line.starts_with([' ', '\t']), lines.last_mut()) {
            (true, Some(last)) => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => lines.push(line.to_owned()),
        }
    }
    let mut copied: Vec<Vec<&str>> = vec![Vec::new(); COPIED.len()];
    for line in &lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let name = name.trim().to_ascii_lowercase();
        if let Some(i) = COPIED.iter().position(|(full, compact)| name == *full || Some(name.as_str()) == *compact) {
            copied[i].push(value.trim());
        }
    }
    if copied.iter().any(Vec::is_empty) || copied.iter().flatten().any(|v| v.chars().any(char::is_control)) {
        return None;
    }
    let reason: String = reason.chars().filter(|c| !c.is_control()).take(120).collect();
    let mut out = format!("SIP/2.0 {status} {reason}\r\n");
    for ((full, _), values) in COPIED.iter().zip(&copied) {
        let name = match *full {
            "via" => "Via",
            "from" => "From",
            "to" => "To",
            "call-id" => "Call-ID",
            _ => "CSeq",
        };
        for value in values {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    Some(Bytes::from(out))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_the_five_headers_verbatim_and_unfolds() {
        let raw = b"INVITE sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKx\r\nf: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1\r\n  INVITE\r\nBad Header\r\n\r\n";
        let out = response(raw, 400, "Bad\r\nInjected: 1").unwrap();
        let text = std::str::from_utf8(&out).unwrap();
        assert!(text.starts_with("SIP/2.0 400 BadInjected: 1\r\n"), "{text}");
        assert!(text.contains("Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"));
        assert!(text.contains("CSeq: 1 INVITE\r\n"));
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
    }

    #[test]
    fn without_the_headers_there_is_nothing_to_answer() {
        assert!(response(b"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n\r\n", 400, "x").is_none());
        assert!(looks_like_request(b"INVITE sip:a@b SIP/2.0\r\n"));
        assert!(!looks_like_request(b"SIP/2.0 200 OK\r\n"));
        assert!(!looks_like_request(b"\x00\x01garbage"));
    }
}
