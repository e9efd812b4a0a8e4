//! The few checks a packet passes before it is forwarded (RFC 3550 §5.1, §6.4): enough to
//! keep junk from latching a side or reaching a phone, without parsing more than a byte.

/// Which of a side's two sockets a packet came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// The even port.
    Rtp,
    /// The odd port.
    Rtcp,
}

/// The fixed RTP header: flags, payload type, sequence number, timestamp, SSRC (§5.1).
const RTP_HEADER_LEN: usize = 12;

/// The smallest RTCP packet: a header and a sender SSRC, i.e. a receiver report without
/// report blocks (§6.4.2), which reduced-size RTCP (RFC 5506) may send on its own.
const RTCP_MIN_LEN: usize = 8;

/// The version both headers carry in their top two bits.
const VERSION: u8 = 2;

/// Whether `packet` may be RTP (or RTCP, per `kind`) at all: long enough, and version 2.
pub(super) fn is_plausible(kind: Kind, packet: &[u8]) -> bool {
    let min = match kind {
        Kind::Rtp => RTP_HEADER_LEN,
        Kind::Rtcp => RTCP_MIN_LEN,
    };
    packet.len() >= min && packet[0] >> 6 == VERSION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_needs_a_full_header_and_version_2() {
        let mut packet = [0u8; 12];
        packet[0] = 0x80;
        assert!(is_plausible(Kind::Rtp, &packet));
        assert!(!is_plausible(Kind::Rtp, &packet[..11]));
        assert!(!is_plausible(Kind::Rtp, &[]));
        for first in [0x00, 0x40, 0xc0] {
            packet[0] = first;
            assert!(!is_plausible(Kind::Rtp, &packet), "{first:#x}");
        }
    }

    #[test]
    fn rtcp_may_be_a_bare_receiver_report() {
        // V=2, RC=0, PT=201 (RR), length 1, SSRC.
        let rr = [0x80, 201, 0, 1, 1, 2, 3, 4];
        assert!(is_plausible(Kind::Rtcp, &rr));
        assert!(!is_plausible(Kind::Rtcp, &rr[..7]));
        assert!(!is_plausible(Kind::Rtcp, &[0x00, 201, 0, 1, 1, 2, 3, 4]));
        // STUN (first byte 0 or 1) and DTLS (20–63) are not forwarded either.
        assert!(!is_plausible(Kind::Rtp, &[0x16; 40]));
    }
}
