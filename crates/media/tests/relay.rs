//! The relay over real UDP sockets on 127.0.0.1: two sockets play phone A and phone B.
//!
//! Each test gets its own engine and its own block of ports. Blocks follow each other from
//! a random base in 40000–49000, so the tests of one process never share a port and test
//! processes (nextest runs one per test) seldom do; the tests that expect exact ports
//! also check that theirs are free before they start.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use rand::Rng;
use sb_media::relay::{MediaConfig, MediaEngine, MediaError, MediaStats, PortRange, Relay, Side};
use tokio::net::UdpSocket;
use tokio::time::{sleep, timeout, Instant};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Long enough for a packet to cross loopback on a loaded machine.
const DELIVERY: Duration = Duration::from_millis(500);

/// How long a packet that should be dropped gets to show up anyway.
const SILENCE: Duration = Duration::from_millis(100);

/// Ports per test; a multiple of 4 so blocks start on even ports.
const BLOCK: u16 = 16;

/// A fresh block of `BLOCK` ports, never handed out before in this process.
fn block() -> PortRange {
    static BASE: OnceLock<u16> = OnceLock::new();
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = *BASE.get_or_init(|| 4 * rand::thread_rng().gen_range(0..2248));
    let start = 40000 + (base + BLOCK * NEXT.fetch_add(1, Ordering::Relaxed)) % 8992;
    PortRange { start, end: start + BLOCK - 1 }
}

/// The first `len` ports of a fresh block, checked to be free right now: for the tests
/// that expect exact ports, since another test process (or an ephemeral port the OS gave
/// a phone) may hold some of a block.
fn free_block(len: u16) -> PortRange {
    loop {
        let start = block().start;
        let probe: Result<Vec<_>, _> =
            (start..start + len).map(|port| std::net::UdpSocket::bind((LOCALHOST, port))).collect();
        if probe.is_ok() {
            return PortRange { start, end: start + len - 1 };
        }
    }
}

fn engine(ports: PortRange) -> MediaEngine {
    MediaEngine::new(MediaConfig { bind: LOCALHOST, ports })
}

/// An RTP packet: V=2, PT=0 (PCMU), the given sequence number, SSRC 0x11223344, 160
/// bytes of μ-law silence.
fn rtp(seq: u16) -> Vec<u8> {
    let mut packet = vec![0x80, 0x00];
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    packet.extend_from_slice(&0x1122_3344u32.to_be_bytes());
    packet.extend(std::iter::repeat_n(0xff, 160));
    packet
}

/// A phone: an RTP socket and, on the port above, an RTCP socket.
struct Phone {
    rtp: UdpSocket,
    rtcp: UdpSocket,
}

impl Phone {
    async fn new() -> Phone {
        loop {
            let rtp = UdpSocket::bind((LOCALHOST, 0)).await.unwrap();
            let port = rtp.local_addr().unwrap().port();
            if let Some(rtcp_port) = port.checked_add(1) {
                if let Ok(rtcp) = UdpSocket::bind((LOCALHOST, rtcp_port)).await {
                    return Phone { rtp, rtcp };
                }
            }
        }
    }

    fn addr(&self) -> SocketAddr {
        self.rtp.local_addr().unwrap()
    }
}

/// The next datagram on `socket` and where it came from; panics after [`DELIVERY`].
async fn receive(socket: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = vec![0; 4096];
    let (len, from) = timeout(DELIVERY, socket.recv_from(&mut buf)).await.expect("packet expected").unwrap();
    buf.truncate(len);
    (buf, from)
}

/// Asserts nothing arrives on `socket` for [`SILENCE`].
async fn nothing(socket: &UdpSocket) {
    let mut buf = vec![0; 4096];
    if let Ok(received) = timeout(SILENCE, socket.recv_from(&mut buf)).await {
        panic!("unexpected packet: {received:?}");
    }
}

/// Waits until `engine`'s stats satisfy `check`: they lag a dropped relay and a forwarded
/// packet by up to a relay clock tick.
async fn stats_until(engine: &MediaEngine, check: impl Fn(&MediaStats) -> bool) -> MediaStats {
    let deadline = Instant::now() + DELIVERY;
    loop {
        let stats = engine.stats();
        if check(&stats) || Instant::now() > deadline {
            return stats;
        }
        sleep(Duration::from_millis(2)).await;
    }
}

fn rtcp_addr(relay: &Relay, side: Side) -> SocketAddr {
    let rtp = relay.local(side);
    SocketAddr::new(rtp.ip(), rtp.port() + 1)
}

#[tokio::test]
async fn packets_cross_both_ways_unchanged() {
    let engine = engine(block());
    let relay = engine.relay().await.unwrap();
    let (a, b) = (Phone::new().await, Phone::new().await);
    relay.set_remote(Side::A, a.addr());
    relay.set_remote(Side::B, b.addr());
    assert_ne!(relay.local(Side::A), relay.local(Side::B));
    assert_eq!(relay.local(Side::A).port() % 2, 0);

    a.rtp.send_to(&rtp(1), relay.local(Side::A)).await.unwrap();
    // Symmetric: B hears A from the address B was told to send to.
    assert_eq!(receive(&b.rtp).await, (rtp(1), relay.local(Side::B)));
    b.rtp.send_to(&rtp(2), relay.local(Side::B)).await.unwrap();
    assert_eq!(receive(&a.rtp).await, (rtp(2), relay.local(Side::A)));
    // RFC 4733 telephone-event is just another payload type.
    let mut dtmf = vec![0x80, 0xe5, 0, 3, 0, 0, 1, 0xe0, 0x11, 0x22, 0x33, 0x44, 5, 0x0a, 0, 160];
    a.rtp.send_to(&dtmf, relay.local(Side::A)).await.unwrap();
    assert_eq!(receive(&b.rtp).await.0, dtmf);
    dtmf[1] = 0x65;
    b.rtp.send_to(&dtmf, relay.local(Side::B)).await.unwrap();
    assert_eq!(receive(&a.rtp).await.0, dtmf);

    let stats = stats_until(&engine, |s| s.packets_forwarded == 4).await;
    assert_eq!((stats.active_relays, stats.ports_in_use), (1, 4));
    assert_eq!((stats.packets_forwarded, stats.packets_dropped), (4, 0));
}

#[tokio::test]
async fn latching_follows_the_source_not_the_sdp() {
    let engine = engine(block());
    let relay = engine.relay().await.unwrap();
    let (a, b) = (Phone::new().await, Phone::new().await);
    let nat_blackhole = Phone::new().await;
    relay.set_remote(Side::A, a.addr());
    // B's SDP names its private address, which we cannot reach.
    relay.set_remote(Side::B, nat_blackhole.addr());

    b.rtp.send_to(&rtp(1), relay.local(Side::B)).await.unwrap();
    assert_eq!(receive(&a.rtp).await.0, rtp(1));
    a.rtp.send_to(&rtp(2), relay.local(Side::A)).await.unwrap();
    assert_eq!(receive(&b.rtp).await, (rtp(2), relay.local(Side::B)));
    nothing(&nat_blackhole.rtp).await;

    // Once latched, a stranger cannot take over B's stream...
    let stranger = Phone::new().await;
    stranger.rtp.send_to(&rtp(66), relay.local(Side::B)).await.unwrap();
    nothing(&a.rtp).await;
    // ...but the address of a new SDP (a re-INVITE) can, at once.
    let moved = Phone::new().await;
    relay.set_remote(Side::B, moved.addr());
    moved.rtp.send_to(&rtp(3), relay.local(Side::B)).await.unwrap();
    assert_eq!(receive(&a.rtp).await.0, rtp(3));
    a.rtp.send_to(&rtp(4), relay.local(Side::A)).await.unwrap();
    assert_eq!(receive(&moved.rtp).await.0, rtp(4));
    nothing(&b.rtp).await;
}

#[tokio::test]
async fn unknown_destination_drops_until_the_side_speaks() {
    let engine = engine(block());
    let relay = engine.relay().await.unwrap();
    let (a, b) = (Phone::new().await, Phone::new().await);

    a.rtp.send_to(&rtp(1), relay.local(Side::A)).await.unwrap();
    assert_eq!(stats_until(&engine, |s| s.packets_dropped == 1).await.packets_dropped, 1);
    // B never had an SDP address; its first packet latches it, A was latched above.
    b.rtp.send_to(&rtp(2), relay.local(Side::B)).await.unwrap();
    assert_eq!(receive(&a.rtp).await.0, rtp(2));
    a.rtp.send_to(&rtp(3), relay.local(Side::A)).await.unwrap();
    assert_eq!(receive(&b.rtp).await.0, rtp(3));
    nothing(&b.rtp).await;
}

#[tokio::test]
async fn rtcp_crosses_on_the_ports_above() {
    let engine = engine(block());
    let relay = engine.relay().await.unwrap();
    let (a, b) = (Phone::new().await, Phone::new().await);
    relay.set_remote(Side::A, a.addr());
    relay.set_remote(Side::B, b.addr());
    // A sender report header and a bare receiver report (RFC 3550 §6.4).
    let sr = [0x80, 200, 0, 6, 0x11, 0x22, 0x33, 0x44, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 160, 0, 0, 0, 1, 0, 0, 0, 160];
    let rr = [0x80, 201, 0, 1, 0x55, 0x66, 0x77, 0x88];

    a.rtcp.send_to(&sr, rtcp_addr(&relay, Side::A)).await.unwrap();
    assert_eq!(receive(&b.rtcp).await, (sr.to_vec(), rtcp_addr(&relay, Side::B)));
    b.rtcp.send_to(&rr, rtcp_addr(&relay, Side::B)).await.unwrap();
    assert_eq!(receive(&a.rtcp).await, (rr.to_vec(), rtcp_addr(&relay, Side::A)));
    nothing(&a.rtp).await;
    nothing(&b.rtp).await;

    // RTCP latches on its own: a phone whose RTCP comes from elsewhere still gets it.
    let elsewhere = Phone::new().await;
    let engine = self::engine(block());
    let relay = engine.relay().await.unwrap();
    relay.set_remote(Side::A, a.addr());
    elsewhere.rtcp.send_to(&rr, rtcp_addr(&relay, Side::B)).await.unwrap();
    assert_eq!(receive(&a.rtcp).await.0, rr);
    a.rtcp.send_to(&sr, rtcp_addr(&relay, Side::A)).await.unwrap();
    assert_eq!(receive(&elsewhere.rtcp).await.0, sr);
}

#[tokio::test]
async fn dropping_a_relay_frees_its_ports() {
    // Exactly two pairs: one relay takes them all, so the next must reuse them.
    let ports = free_block(4);
    let engine = engine(ports);
    let relay = engine.relay().await.unwrap();
    let (a, b) = (Phone::new().await, Phone::new().await);
    relay.set_remote(Side::A, a.addr());
    relay.set_remote(Side::B, b.addr());
    let mut taken = [relay.local(Side::A).port(), relay.local(Side::B).port()];
    taken.sort_unstable();
    assert_eq!(taken, [ports.start, ports.start + 2]);
    assert_eq!(engine.stats().ports_in_use, 4);

    drop(relay);
    let stats = stats_until(&engine, |s| s.active_relays == 0 && s.ports_in_use == 0).await;
    assert_eq!((stats.active_relays, stats.ports_in_use), (0, 0));
    // The sockets are closed, not just forgotten: nothing is forwarded any more.
    a.rtp.send_to(&rtp(1), SocketAddr::new(LOCALHOST, taken[0])).await.unwrap();
    nothing(&b.rtp).await;

    let again = engine.relay().await.unwrap();
    let mut retaken = [again.local(Side::A).port(), again.local(Side::B).port()];
    retaken.sort_unstable();
    assert_eq!(retaken, taken);
    assert_eq!(engine.stats().active_relays, 1);
}

#[tokio::test]
async fn an_exhausted_range_is_an_error() {
    let PortRange { start, end } = free_block(4);
    let engine = engine(PortRange { start, end });
    let first = engine.relay().await.unwrap();
    match engine.relay().await {
        Err(MediaError::PortsExhausted { start: s, end: e }) => assert_eq!((s, e), (start, end)),
        other => panic!("expected exhaustion, got {other:?}"),
    }
    // The failed attempt gave back the pair it had taken for side A.
    assert_eq!(engine.stats().ports_in_use, 4);
    drop(first);
    stats_until(&engine, |s| s.ports_in_use == 0).await;
    engine.relay().await.unwrap();

    let empty = self::engine(PortRange { start: 40001, end: 40001 });
    assert!(matches!(empty.relay().await, Err(MediaError::PortsExhausted { .. })));
}

#[tokio::test]
async fn ports_the_os_refuses_are_skipped() {
    let ports = free_block(6);
    let squatter = std::net::UdpSocket::bind((LOCALHOST, ports.start + 1)).unwrap();
    let engine = engine(PortRange { start: ports.start, end: ports.start + 5 });
    // Pair start/start+1 is half taken by someone else, leaving exactly two pairs.
    let relay = engine.relay().await.unwrap();
    let mut taken = [relay.local(Side::A).port(), relay.local(Side::B).port()];
    taken.sort_unstable();
    assert_eq!(taken, [ports.start + 2, ports.start + 4]);
    assert!(matches!(engine.relay().await, Err(MediaError::PortsExhausted { .. })));
    drop(squatter);
}

#[tokio::test]
async fn junk_is_dropped_and_counted() {
    let engine = engine(block());
    let relay = engine.relay().await.unwrap();
    let (a, b) = (Phone::new().await, Phone::new().await);
    relay.set_remote(Side::A, a.addr());
    relay.set_remote(Side::B, b.addr());

    let stranger = Phone::new().await;
    let mut version_0 = rtp(1);
    version_0[0] = 0x00;
    let mut version_3 = rtp(1);
    version_3[0] = 0xc0;
    let stun_binding_request = [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    // Junk from a stranger must not latch A either.
    for junk in [&[0x80, 0, 0][..], &rtp(1)[..11], &version_0, &version_3, &stun_binding_request] {
        stranger.rtp.send_to(junk, relay.local(Side::A)).await.unwrap();
    }
    stranger.rtcp.send_to(&[0x80, 201, 0], rtcp_addr(&relay, Side::A)).await.unwrap();
    stranger.rtcp.send_to(&[0x40, 201, 0, 1, 0, 0, 0, 1], rtcp_addr(&relay, Side::A)).await.unwrap();
    let stats = stats_until(&engine, |s| s.packets_dropped == 7).await;
    assert_eq!((stats.packets_dropped, stats.packets_forwarded), (7, 0));
    nothing(&b.rtp).await;

    // The relay still works, and A was not latched onto the stranger.
    a.rtp.send_to(&rtp(2), relay.local(Side::A)).await.unwrap();
    assert_eq!(receive(&b.rtp).await.0, rtp(2));
    b.rtp.send_to(&rtp(3), relay.local(Side::B)).await.unwrap();
    assert_eq!(receive(&a.rtp).await.0, rtp(3));
    nothing(&stranger.rtp).await;
    assert_eq!(stats_until(&engine, |s| s.packets_forwarded == 2).await.packets_forwarded, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_crosses_in_order() {
    let engine = engine(block());
    let relay = engine.relay().await.unwrap();
    let (a, b) = (Phone::new().await, Phone::new().await);
    relay.set_remote(Side::A, a.addr());
    relay.set_remote(Side::B, b.addr());
    // More than one batch, fewer than a socket buffer holds.
    for seq in 0..100 {
        a.rtp.send_to(&rtp(seq), relay.local(Side::A)).await.unwrap();
    }
    for seq in 0..100 {
        assert_eq!(receive(&b.rtp).await.0, rtp(seq));
    }
    assert_eq!(stats_until(&engine, |s| s.packets_forwarded == 100).await.packets_forwarded, 100);
}

#[tokio::test]
async fn relays_closed_and_opened_between_ticks_keep_their_own_streams() {
    // Enough relays for every shard to own several, and slots reused by new relays.
    let engine = engine(PortRange { start: block().start, end: 49999 });
    let mut relays = Vec::new();
    for _ in 0..24 {
        relays.push(engine.relay().await.unwrap());
    }
    let mut kept: Vec<Relay> =
        relays.into_iter().enumerate().filter_map(|(index, relay)| (index % 2 == 0).then_some(relay)).collect();
    for _ in 0..12 {
        kept.push(engine.relay().await.unwrap());
    }
    let mut phones = Vec::new();
    for relay in &kept {
        let (a, b) = (Phone::new().await, Phone::new().await);
        relay.set_remote(Side::A, a.addr());
        relay.set_remote(Side::B, b.addr());
        phones.push((a, b));
    }
    for (index, (relay, (a, _))) in kept.iter().zip(&phones).enumerate() {
        a.rtp.send_to(&rtp(index as u16), relay.local(Side::A)).await.unwrap();
    }
    for (index, (relay, (_, b))) in kept.iter().zip(&phones).enumerate() {
        assert_eq!(receive(&b.rtp).await, (rtp(index as u16), relay.local(Side::B)));
    }
    let stats = stats_until(&engine, |s| s.packets_forwarded == 24).await;
    assert_eq!((stats.active_relays, stats.packets_forwarded), (24, 24));
    drop(kept);
    let stats = stats_until(&engine, |s| s.active_relays == 0 && s.ports_in_use == 0).await;
    assert_eq!((stats.active_relays, stats.ports_in_use), (0, 0));
}

#[tokio::test]
async fn ipv6_relays_too() {
    let loopback6: IpAddr = "::1".parse().unwrap();
    if std::net::UdpSocket::bind((loopback6, 0)).is_err() {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    }
    let engine = MediaEngine::new(MediaConfig { bind: loopback6, ports: free_block(4) });
    let relay = engine.relay().await.unwrap();
    let a = UdpSocket::bind((loopback6, 0)).await.unwrap();
    let b = UdpSocket::bind((loopback6, 0)).await.unwrap();
    relay.set_remote(Side::A, a.local_addr().unwrap());
    relay.set_remote(Side::B, b.local_addr().unwrap());
    a.send_to(&rtp(1), relay.local(Side::A)).await.unwrap();
    assert_eq!(receive(&b).await, (rtp(1), relay.local(Side::B)));
    b.send_to(&rtp(2), relay.local(Side::B)).await.unwrap();
    assert_eq!(receive(&a).await, (rtp(2), relay.local(Side::A)));
}

#[tokio::test]
async fn a_dual_stack_relay_takes_ipv4_sdp_addresses() {
    let any6: IpAddr = "::".parse().unwrap();
    // Only where `[::]` sockets also receive IPv4 (net.ipv6.bindv6only = 0, the default).
    let probe = match std::net::UdpSocket::bind((any6, 0)) {
        Ok(probe) => probe,
        Err(_) => return eprintln!("no IPv6 here; skipped"),
    };
    probe.set_read_timeout(Some(SILENCE)).unwrap();
    let port = probe.local_addr().unwrap().port();
    std::net::UdpSocket::bind((LOCALHOST, 0)).unwrap().send_to(b"probe", (LOCALHOST, port)).unwrap();
    if probe.recv(&mut [0; 8]).is_err() {
        return eprintln!("IPv6 sockets are IPv6-only here; skipped");
    }

    let engine = MediaEngine::new(MediaConfig { bind: any6, ports: free_block(4) });
    let relay = engine.relay().await.unwrap();
    let (a, b) = (Phone::new().await, Phone::new().await);
    // The SDPs give IPv4 addresses; the sockets see v4-mapped ones.
    relay.set_remote(Side::A, a.addr());
    relay.set_remote(Side::B, b.addr());
    let towards = |side: Side| SocketAddr::new(LOCALHOST, relay.local(side).port());
    a.rtp.send_to(&rtp(1), towards(Side::A)).await.unwrap();
    assert_eq!(receive(&b.rtp).await, (rtp(1), towards(Side::B)));
    b.rtp.send_to(&rtp(2), towards(Side::B)).await.unwrap();
    assert_eq!(receive(&a.rtp).await, (rtp(2), towards(Side::A)));
    a.rtcp
        .send_to(&[0x80, 201, 0, 1, 1, 2, 3, 4], SocketAddr::new(LOCALHOST, towards(Side::A).port() + 1))
        .await
        .unwrap();
    assert_eq!(receive(&b.rtcp).await.0, [0x80, 201, 0, 1, 1, 2, 3, 4]);
}
