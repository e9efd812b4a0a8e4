//! Which addresses webhooks may be sent to (the SSRF guard). A CRM is on the internet or
//! on the operator's network; an API user must not be able to make the PBX call its own
//! loopback services, the cloud metadata address (169.254.169.254) or the LAN behind it.
//! So loopback, private, link-local, shared (CGNAT) and other non-global unicast ranges
//! are refused unless the configuration allows private targets; addresses that are never
//! a host (unspecified, multicast, broadcast) are refused always. IPv4 addresses inside
//! IPv6 ones (mapped, NAT64, 6to4) are judged as the IPv4 address they carry.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Where webhooks may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddressPolicy {
    /// Whether loopback and private ranges are allowed (`SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE`).
    pub allow_private: bool,
}

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// A private, loopback, link-local or otherwise non-public address.
    #[error(
        "{0} address, refused unless private webhook targets are allowed (SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE=true)"
    )]
    Private(&'static str),
    /// An address that is no host at all.
    #[error("{0} address, never a webhook target")]
    NoHost(&'static str),
}

/// What kind of address it is, for the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Public,
    Private(&'static str),
    NoHost(&'static str),
}

fn classify_v4(ip: Ipv4Addr) -> Class {
    let [a, b, c, _] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        return Class::NoHost("unspecified");
    }
    if ip.is_broadcast() {
        return Class::NoHost("broadcast");
    }
    if ip.is_multicast() {
        return Class::NoHost("multicast");
    }
    match (a, b, c) {
        (127, _, _) => Class::Private("loopback"),
        (10, _, _) | (192, 168, _) => Class::Private("private"),
        (172, 16..=31, _) => Class::Private("private"),
        (169, 254, _) => Class::Private("link-local"),
        (100, 64..=127, _) => Class::Private("shared (CGNAT)"),
        (192, 0, 0) => Class::Private("IETF protocol"),
        (198, 18..=19, _) => Class::Private("benchmarking"),
        (240..=255, _, _) => Class::Private("reserved"),
        _ => Class::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> Class {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they carry.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(Ipv4Addr::from(((segments[6] as u32) << 16) | segments[7] as u32));
    }
    if segments[0] == 0x2002 {
        return classify_v4(Ipv4Addr::from(((segments[1] as u32) << 16) | segments[2] as u32));
    }
    if ip.is_unspecified() {
        return Class::NoHost("unspecified");
    }
    if ip.is_multicast() {
        return Class::NoHost("multicast");
    }
    if ip.is_loopback() {
        return Class::Private("loopback");
    }
    match segments[0] {
        s if s & 0xfe00 == 0xfc00 => Class::Private("unique local"),
        s if s & 0xffc0 == 0xfe80 => Class::Private("link-local"),
        s if s & 0xffc0 == 0xfec0 => Class::Private("site-local"),
        // Anything outside 2000::/3 (global unicast) is reserved or special: IPv4-compatible,
        // discard-only, documentation ranges aside, none of it is a CRM on the internet.
        s if s & 0xe000 != 0x2000 => Class::Private("reserved"),
        _ => Class::Public,
    }
}

impl AddressPolicy {
    /// Whether a webhook may be sent to `ip`.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refused> {
        let class = match ip {
            IpAddr::V4(v4) => classify_v4(v4),
            IpAddr::V6(v6) => classify_v6(v6),
        };
        match class {
            Class::Public => Ok(()),
            Class::Private(_) if self.allow_private => Ok(()),
            Class::Private(what) => Err(Refused::Private(what)),
            Class::NoHost(what) => Err(Refused::NoHost(what)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(policy: AddressPolicy, ip: &str) -> Option<Refused> {
        policy.check(ip.parse().expect("an address")).err()
    }

    const STRICT: AddressPolicy = AddressPolicy { allow_private: false };
    const LAX: AddressPolicy = AddressPolicy { allow_private: true };

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert_eq!(refused(STRICT, ip), None, "{ip}");
        }
    }

    #[test]
    fn private_ranges_are_refused_unless_allowed() {
        let cases = [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("::1", "loopback"),
            ("fd00::1", "unique local"),
            ("fe80::1", "link-local"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local"),
            ("64:ff9b::a00:1", "private"),
            ("2002:c0a8:101::1", "private"),
            ("::127.0.0.1", "reserved"),
        ];
        for (ip, what) in cases {
            assert_eq!(refused(STRICT, ip), Some(Refused::Private(what)), "{ip}");
            assert_eq!(refused(LAX, ip), None, "{ip} with private targets allowed");
        }
    }

    #[test]
    fn non_hosts_are_refused_always() {
        for (ip, what) in [
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "unspecified"),
            ("255.255.255.255", "broadcast"),
            ("224.0.0.1", "multicast"),
            ("::", "unspecified"),
            ("ff02::1", "multicast"),
            ("::ffff:0.0.0.0", "unspecified"),
        ] {
            assert_eq!(refused(STRICT, ip), Some(Refused::NoHost(what)), "{ip}");
            assert_eq!(refused(LAX, ip), Some(Refused::NoHost(what)), "{ip}");
        }
    }

    #[test]
    fn refusals_say_how_to_allow_them() {
        let text = refused(STRICT, "127.0.0.1").expect("refused").to_string();
        assert!(text.contains("loopback") && text.contains("SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE=true"), "{text}");
    }
}
