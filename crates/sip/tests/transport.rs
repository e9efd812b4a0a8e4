//! The transports on real loopback sockets, IPv4 and IPv6 (IPv6 tests pass with a note
//! when the host has no `::1`): what arrives, what is dropped, what is closed, and that
//! TCP connections are reused both ways.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use sb_sip::transport::{Peer, Protocol, Received, TransportConfig, TransportError, Transports};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc::Receiver;
use tokio::time::timeout;

/// How long anything expected may take to happen.
const WAIT: Duration = Duration::from_secs(1);
/// How long to watch for something that must not happen.
const QUIET: Duration = Duration::from_millis(150);

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

fn message(method: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} sip:alice@example.com SIP/2.0\r\nVia: SIP/2.0/TCP client.example.com;branch=z9hG4bK{method}\r\n\
         Call-ID: {method}@client\r\nCSeq: 1 {method}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Transports listening on port 0 of `ip`; `None` (with a note) when `ip` is IPv6 and the
/// host has none.
async fn start(ip: IpAddr, tweak: impl FnOnce(&mut TransportConfig)) -> Option<(Transports, Receiver<Received>)> {
    let mut config = TransportConfig { listen: vec![SocketAddr::new(ip, 0)], ..TransportConfig::default() };
    tweak(&mut config);
    match Transports::bind(config).await {
        Ok(bound) => Some(bound),
        Err(err) if ip.is_ipv6() => {
            println!("skipped: no IPv6 loopback here ({err})");
            None
        }
        Err(err) => panic!("bind {ip}: {err}"),
    }
}

fn listen_addr(transports: &Transports) -> SocketAddr {
    let addrs = transports.local_addrs();
    assert_eq!(addrs.len(), 1);
    assert_ne!(addrs[0].port(), 0);
    addrs[0]
}

async fn recv(rx: &mut Receiver<Received>) -> Received {
    timeout(WAIT, rx.recv()).await.expect("timed out waiting for a message").expect("the channel closed")
}

/// Reads until `len` bytes have come.
async fn read_exactly(stream: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut buf = vec![0; len];
    timeout(WAIT, stream.read_exact(&mut buf)).await.expect("timed out reading").expect("read failed");
    buf
}

/// Whether the far end closed the stream (end of stream or reset) within [`WAIT`].
async fn closed_by_far_end(stream: &mut TcpStream) -> bool {
    let mut buf = [0; 64];
    matches!(timeout(WAIT, stream.read(&mut buf)).await, Ok(Ok(0) | Err(_)))
}

/// Waits for a condition the transports' tasks make true shortly.
async fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    condition()
}

async fn both_families<F: Future<Output = ()>>(test: impl Fn(IpAddr) -> F) {
    test(V4).await;
    test(V6).await;
}

#[tokio::test]
async fn udp_round_trip() {
    both_families(|ip| async move {
        let Some((transports, mut rx)) = start(ip, |_| {}).await else { return };
        let server = listen_addr(&transports);
        let client = UdpSocket::bind(SocketAddr::new(ip, 0)).await.unwrap();
        let request = message("OPTIONS", "");
        client.send_to(&request, server).await.unwrap();

        let got = recv(&mut rx).await;
        assert_eq!(got.peer, Peer { protocol: Protocol::Udp, addr: client.local_addr().unwrap() });
        assert_eq!(got.local, server);
        assert_eq!(got.bytes, Bytes::from(request));
        assert_eq!(transports.local_for(&got.peer), Some(server));

        transports.send(&got.peer, Bytes::from_static(b"SIP/2.0 200 OK\r\n\r\n")).await.unwrap();
        let mut buf = [0; 100];
        let (len, from) = timeout(WAIT, client.recv_from(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf[..len], b"SIP/2.0 200 OK\r\n\r\n");
        assert_eq!(from, server, "sent from the listening socket");
    })
    .await;
}

#[tokio::test]
async fn udp_drops_oversize_and_keepalive_datagrams() {
    let Some((transports, mut rx)) = start(V4, |c| c.max_message = 200).await else { return };
    let server = listen_addr(&transports);
    let client = UdpSocket::bind((V4, 0)).await.unwrap();
    client.send_to(&[b'x'; 201], server).await.unwrap();
    client.send_to(b"\r\n\r\n", server).await.unwrap();
    client.send_to(b"", server).await.unwrap();
    // The transport does not parse: any 200 bytes that are not all whitespace will do.
    let mut fits = b"MESSAGE sip:alice@example.com SIP/2.0\r\n".to_vec();
    fits.resize(200, b'y');
    client.send_to(&fits, server).await.unwrap();

    assert_eq!(recv(&mut rx).await.bytes, Bytes::from(fits), "only the datagram within the limit arrives");
    assert!(timeout(QUIET, rx.recv()).await.is_err());
    assert_eq!(transports.stats().udp_dropped, 1, "keep-alives are not counted as drops");
    let too_big = Bytes::from(vec![b'z'; 201]);
    let peer = Peer { protocol: Protocol::Udp, addr: client.local_addr().unwrap() };
    assert!(matches!(transports.send(&peer, too_big).await, Err(TransportError::TooLarge(201))));
}

#[tokio::test]
async fn udp_drops_when_the_channel_is_full() {
    let Some((transports, mut rx)) = start(V4, |c| c.queue = 2).await else { return };
    let server = listen_addr(&transports);
    let client = UdpSocket::bind((V4, 0)).await.unwrap();
    for _ in 0..5 {
        client.send_to(&message("OPTIONS", ""), server).await.unwrap();
    }
    assert!(eventually(|| transports.stats().udp_dropped == 3).await, "{:?}", transports.stats());
    recv(&mut rx).await;
    recv(&mut rx).await;
    assert!(timeout(QUIET, rx.recv()).await.is_err());
}

#[tokio::test]
async fn tcp_pipelined_messages_and_reuse_of_the_inbound_connection() {
    both_families(|ip| async move {
        let Some((transports, mut rx)) = start(ip, |_| {}).await else { return };
        let server = listen_addr(&transports);
        let mut client = TcpStream::connect(server).await.unwrap();
        client.set_nodelay(true).unwrap();
        let first = message("OPTIONS", "");
        let second = message("MESSAGE", "hello\r\n\r\nworld");
        let stream = [b"\r\n".as_slice(), &first, &second].concat();
        let mut rest = stream.as_slice();
        for size in [1, 2, 3, 5, 7, 11, 13, 17, 19, 23].iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at((*size).min(rest.len()));
            client.write_all(chunk).await.unwrap();
            tokio::task::yield_now().await;
            rest = tail;
        }

        let peer = Peer { protocol: Protocol::Tcp, addr: client.local_addr().unwrap() };
        let got = recv(&mut rx).await;
        assert_eq!((got.peer, got.local, got.bytes), (peer, server, Bytes::from(first)));
        let got = recv(&mut rx).await;
        assert_eq!((got.peer, got.bytes), (peer, Bytes::from(second)));
        assert_eq!(transports.stats().tcp_connections, 1);

        // The response goes back over the client's own connection.
        let response = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
        transports.send(&peer, Bytes::from_static(response)).await.unwrap();
        assert_eq!(read_exactly(&mut client, response.len()).await, response);
        assert_eq!(transports.stats().tcp_connections, 1, "no new connection");

        // A CRLFCRLF ping is answered with one CRLF (RFC 5626 §3.5.1).
        client.write_all(b"\r\n\r\n").await.unwrap();
        assert_eq!(read_exactly(&mut client, 2).await, b"\r\n");
    })
    .await;
}

#[tokio::test]
async fn tcp_send_connects_and_reuses_the_outbound_connection() {
    both_families(|ip| async move {
        let Some((transports, mut rx)) = start(ip, |_| {}).await else { return };
        let server = listen_addr(&transports);
        let far = TcpListener::bind((ip, 0)).await.unwrap();
        let peer = Peer { protocol: Protocol::Tcp, addr: far.local_addr().unwrap() };

        let request = message("INVITE", "v=0\r\n");
        transports.send(&peer, Bytes::from(request.clone())).await.unwrap();
        let (mut conn, from) = timeout(WAIT, far.accept()).await.unwrap().unwrap();
        assert_eq!(from.ip(), server.ip(), "connects from the listening IP");
        assert_eq!(read_exactly(&mut conn, request.len()).await, request);

        // The response on that connection is read like any other message.
        let response = b"SIP/2.0 180 Ringing\r\nContent-Length: 0\r\n\r\n";
        conn.write_all(response).await.unwrap();
        let got = recv(&mut rx).await;
        assert_eq!((got.peer, got.local, got.bytes), (peer, from, Bytes::from_static(response)));

        // The next message to the peer reuses the connection.
        let bye = message("BYE", "");
        transports.send(&peer, Bytes::from(bye.clone())).await.unwrap();
        assert_eq!(read_exactly(&mut conn, bye.len()).await, bye);
        assert!(timeout(QUIET, far.accept()).await.is_err(), "no second connection");
        assert_eq!(transports.stats().tcp_connections, 1);

        // Once the far end closes it, a send connects anew.
        drop(conn);
        assert!(eventually(|| transports.stats().tcp_connections == 0).await);
        transports.send(&peer, Bytes::from(bye.clone())).await.unwrap();
        let (mut conn, _) = timeout(WAIT, far.accept()).await.unwrap().unwrap();
        assert_eq!(read_exactly(&mut conn, bye.len()).await, bye);
    })
    .await;
}

#[tokio::test]
async fn tcp_connection_limit() {
    let Some((transports, mut rx)) = start(V4, |c| c.max_connections = 2).await else { return };
    let server = listen_addr(&transports);
    let mut first = TcpStream::connect(server).await.unwrap();
    let _second = TcpStream::connect(server).await.unwrap();
    assert!(eventually(|| transports.stats().tcp_connections == 2).await);

    let mut third = TcpStream::connect(server).await.unwrap();
    assert!(closed_by_far_end(&mut third).await, "the connection over the limit is closed");
    assert_eq!(transports.stats().tcp_refused, 1);
    assert_eq!(transports.stats().tcp_connections, 2);

    // Outbound connects count against the same limit.
    let far = TcpListener::bind((V4, 0)).await.unwrap();
    let peer = Peer { protocol: Protocol::Tcp, addr: far.local_addr().unwrap() };
    let refused = transports.send(&peer, Bytes::from(message("OPTIONS", ""))).await;
    assert!(matches!(refused, Err(TransportError::TooManyConnections)), "{refused:?}");

    // The connections within the limit still work.
    first.write_all(&message("OPTIONS", "")).await.unwrap();
    assert_eq!(recv(&mut rx).await.peer.addr, first.local_addr().unwrap());
}

#[tokio::test]
async fn tcp_bad_content_length_closes_the_connection() {
    both_families(|ip| async move {
        let Some((transports, mut rx)) = start(ip, |_| {}).await else { return };
        let server = listen_addr(&transports);
        let bad_messages = [
            b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: abc\r\n\r\n".as_slice(),
            b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n",
            b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: no-length\r\n\r\n",
        ];
        for (i, bad) in bad_messages.into_iter().enumerate() {
            let mut client = TcpStream::connect(server).await.unwrap();
            client.write_all(&[message("OPTIONS", "").as_slice(), bad].concat()).await.unwrap();
            assert_eq!(recv(&mut rx).await.bytes, Bytes::from(message("OPTIONS", "")), "the good message before");
            assert!(closed_by_far_end(&mut client).await);
            assert!(eventually(|| transports.stats().frames_rejected == i as u64 + 1).await);
        }
        assert!(eventually(|| transports.stats().tcp_connections == 0).await);
    })
    .await;
}

#[tokio::test]
async fn tcp_oversize_frame_closes_the_connection() {
    let Some((transports, _rx)) = start(V4, |c| c.max_message = 100).await else { return };
    let mut client = TcpStream::connect(listen_addr(&transports)).await.unwrap();
    client.write_all(&[b'a'; 150]).await.unwrap();
    assert!(closed_by_far_end(&mut client).await);
    assert!(eventually(|| transports.stats().frames_rejected == 1).await);
}

#[tokio::test]
async fn tcp_idle_connections_are_closed() {
    let Some((transports, _rx)) = start(V4, |c| c.idle_timeout = Duration::from_millis(100)).await else { return };
    let mut client = TcpStream::connect(listen_addr(&transports)).await.unwrap();
    assert!(closed_by_far_end(&mut client).await);
    assert!(eventually(|| transports.stats().tcp_connections == 0).await);
}

#[tokio::test]
async fn no_route_to_a_family_without_a_listener() {
    let Some((transports, _rx)) = start(V4, |_| {}).await else { return };
    let v6 = SocketAddr::new(V6, 5060);
    for protocol in [Protocol::Udp, Protocol::Tcp] {
        let peer = Peer { protocol, addr: v6 };
        assert_eq!(transports.local_for(&peer), None);
        let sent = transports.send(&peer, Bytes::from(message("OPTIONS", ""))).await;
        assert!(matches!(sent, Err(TransportError::NoRoute(p)) if p == peer), "{sent:?}");
    }
}

#[tokio::test]
async fn shutdown_stops_everything() {
    let Some((transports, mut rx)) = start(V4, |_| {}).await else { return };
    let server = listen_addr(&transports);
    let mut client = TcpStream::connect(server).await.unwrap();
    assert!(eventually(|| transports.stats().tcp_connections == 1).await);

    transports.shutdown();
    assert!(closed_by_far_end(&mut client).await, "connections are closed");
    assert!(timeout(WAIT, rx.recv()).await.unwrap().is_none(), "the channel ends");
    for protocol in [Protocol::Udp, Protocol::Tcp] {
        let peer = Peer { protocol, addr: server };
        assert!(matches!(transports.send(&peer, Bytes::from_static(b"x")).await, Err(TransportError::Shutdown)));
    }
    // The ports are free again, once the listener's task has seen the shutdown too.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let config = TransportConfig { listen: vec![server], ..TransportConfig::default() };
        match Transports::bind(config).await {
            Ok(_) => break,
            Err(err) if tokio::time::Instant::now() > deadline => panic!("the port stays taken: {err}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

#[tokio::test]
async fn dropping_the_last_handle_shuts_down() {
    let Some((transports, mut rx)) = start(V4, |_| {}).await else { return };
    let clone = transports.clone();
    drop(transports);
    assert!(timeout(QUIET, rx.recv()).await.is_err(), "a clone keeps it running");
    drop(clone);
    assert!(timeout(WAIT, rx.recv()).await.unwrap().is_none());
}
