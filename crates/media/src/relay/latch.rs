//! Symmetric latching (RFC 4961), sans-IO: for one socket, which sources to accept and
//! where to send what goes back out of it. Fed source addresses and instants; no sockets.
//!
//! The first packet latches its source. After that, another source takes over only if
//! it is the address the SDP gave (a re-INVITE moved the phone, or it stopped sending
//! through a NAT binding), or if the latched source has been silent for
//! [`RELATCH_AFTER`] (the NAT binding changed, the phone restarted its stream). Anything
//! else is dropped, so a stray or spoofed source cannot hijack an established stream.

use std::net::{SocketAddr, SocketAddrV6};
use std::time::{Duration, Instant};

/// How long the latched source must have been silent before another source may take over.
/// Short enough that a re-INVITE or a NAT rebinding costs at most this much audio, long
/// enough that a second stream interleaving with a live one is not followed.
pub(crate) const RELATCH_AFTER: Duration = Duration::from_secs(2);

/// The latching state of one socket.
#[derive(Debug, Clone, Default)]
pub(crate) struct Latch {
    /// The address from the SDP, if usable.
    hint: Option<SocketAddr>,
    /// The source we latched onto, and when we last heard from it.
    latched: Option<(SocketAddr, Instant)>,
}

impl Latch {
    /// Sets the address from the SDP; `None` when it has none (a hold).
    pub(crate) fn set_hint(&mut self, hint: Option<SocketAddr>) {
        self.hint = hint;
    }

    /// Whether to accept a packet from `source` at `now`, latching onto it if it may take
    /// over.
    pub(crate) fn accept(&mut self, source: SocketAddr, now: Instant) -> bool {
        if let Some((latched, heard)) = self.latched {
            let silent = now.saturating_duration_since(heard) >= RELATCH_AFTER;
            if source != latched && Some(source) != self.hint && !silent {
                return false;
            }
        }
        self.latched = Some((source, now));
        true
    }

    /// Where to send towards this socket's party: the latched source, else the SDP's.
    pub(crate) fn destination(&self) -> Option<SocketAddr> {
        self.latched.map(|(addr, _)| addr).or(self.hint)
    }
}

/// The address an SDP gives for RTP, if media can be sent there: an unspecified address
/// or port 0 (a hold, a rejected stream) means nowhere.
pub(crate) fn usable_remote(rtp: SocketAddr) -> Option<SocketAddr> {
    (!rtp.ip().is_unspecified() && rtp.port() != 0).then_some(rtp)
}

/// The RTP and RTCP hints for a socket pair bound at `local` whose party's SDP gives
/// `rtp`; RTCP is assumed on the port above (RFC 3605's default).
pub(crate) fn sdp_hints(local: SocketAddr, rtp: Option<SocketAddr>) -> (Option<SocketAddr>, Option<SocketAddr>) {
    // An IPv6 socket sees IPv4 peers as v4-mapped addresses; the hint must compare
    // equal to what it receives, and be something it can send to.
    let rtp = rtp.map(|addr| match addr {
        SocketAddr::V4(v4) if local.is_ipv6() => {
            SocketAddr::V6(SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0))
        }
        _ => addr,
    });
    let rtcp = rtp.and_then(|addr| Some(SocketAddr::new(addr.ip(), addr.port().checked_add(1)?)));
    (rtp, rtcp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn sdp_hints_map_ipv4_for_ipv6_sockets_and_put_rtcp_above() {
        let (rtp, rtcp) = sdp_hints(addr("0.0.0.0:4000"), Some(addr("192.0.2.1:5004")));
        assert_eq!((rtp, rtcp), (Some(addr("192.0.2.1:5004")), Some(addr("192.0.2.1:5005"))));
        let (rtp, rtcp) = sdp_hints(addr("[::]:4000"), Some(addr("192.0.2.1:5004")));
        assert_eq!((rtp, rtcp), (Some(addr("[::ffff:192.0.2.1]:5004")), Some(addr("[::ffff:192.0.2.1]:5005"))));
        assert_eq!(sdp_hints(addr("0.0.0.0:4000"), Some(addr("192.0.2.1:65535"))).1, None);
        assert_eq!(usable_remote(addr("0.0.0.0:5004")), None);
        assert_eq!(usable_remote(addr("192.0.2.1:0")), None);
    }

    #[test]
    fn nothing_known_means_nowhere_to_send() {
        assert_eq!(Latch::default().destination(), None);
    }

    #[test]
    fn hint_until_the_first_packet_then_its_source() {
        let now = Instant::now();
        let mut latch = Latch::default();
        latch.set_hint(Some(addr("192.168.1.23:10774")));
        assert_eq!(latch.destination(), Some(addr("192.168.1.23:10774")));
        assert!(latch.accept(addr("198.51.100.7:61000"), now));
        assert_eq!(latch.destination(), Some(addr("198.51.100.7:61000")));
        // A later SDP with the same private address does not undo the latch.
        latch.set_hint(Some(addr("192.168.1.23:10774")));
        assert_eq!(latch.destination(), Some(addr("198.51.100.7:61000")));
        latch.set_hint(None);
        assert_eq!(latch.destination(), Some(addr("198.51.100.7:61000")));
    }

    #[test]
    fn a_stranger_is_refused_while_the_latched_source_talks() {
        let start = Instant::now();
        let mut latch = Latch::default();
        assert!(latch.accept(addr("198.51.100.7:61000"), start));
        assert!(!latch.accept(addr("203.0.113.66:5004"), start + Duration::from_millis(20)));
        assert!(latch.accept(addr("198.51.100.7:61000"), start + Duration::from_millis(1900)));
        // Silence is counted from the last accepted packet, not from the latch.
        assert!(!latch.accept(addr("203.0.113.66:5004"), start + Duration::from_millis(3000)));
        assert_eq!(latch.destination(), Some(addr("198.51.100.7:61000")));
    }

    #[test]
    fn relatch_after_silence() {
        let start = Instant::now();
        let mut latch = Latch::default();
        assert!(latch.accept(addr("198.51.100.7:61000"), start));
        assert!(latch.accept(addr("198.51.100.7:61002"), start + RELATCH_AFTER));
        assert_eq!(latch.destination(), Some(addr("198.51.100.7:61002")));
        assert!(!latch.accept(addr("198.51.100.7:61000"), start + RELATCH_AFTER));
    }

    #[test]
    fn relatch_to_the_sdp_address_at_once() {
        let start = Instant::now();
        let mut latch = Latch::default();
        assert!(latch.accept(addr("198.51.100.7:61000"), start));
        latch.set_hint(Some(addr("198.51.100.9:4000")));
        assert!(latch.accept(addr("198.51.100.9:4000"), start + Duration::from_millis(20)));
        assert_eq!(latch.destination(), Some(addr("198.51.100.9:4000")));
        assert!(!latch.accept(addr("198.51.100.7:61000"), start + Duration::from_millis(40)));
    }
}
