//! The endpoint on a real loopback UDP socket, under overload: when its transaction table
//! fills, requests that would start a dialog get 503 with Retry-After while requests within
//! a dialog still reach the TU, so that calls under way can always hang up.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use sb_sip::endpoint::{Endpoint, EndpointConfig, Incoming};
use sb_sip::transport::{TransportConfig, Transports};
use tokio::net::UdpSocket;
use tokio::sync::mpsc::Receiver;
use tokio::time::timeout;

/// How long anything expected may take to happen.
const WAIT: Duration = Duration::from_secs(2);

/// A request from `phone` to the endpoint; `to_tag` makes it a request within a dialog.
fn request(method: &str, n: u32, phone: SocketAddr, to_tag: Option<&str>) -> String {
    let to_tag = to_tag.map(|tag| format!(";tag={tag}")).unwrap_or_default();
    format!(
        "{method} sip:1001@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {phone};branch=z9hG4bK-overload-{n}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:1002@127.0.0.1>;tag=caller{n}\r\n\
         To: <sip:1001@127.0.0.1>{to_tag}\r\n\
         Call-ID: overload-{n}@test\r\n\
         CSeq: 1 {method}\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

async fn start(capacity: usize) -> (Endpoint, Receiver<Incoming>, SocketAddr) {
    let config =
        TransportConfig { listen: vec![SocketAddr::from((Ipv4Addr::LOCALHOST, 0))], ..TransportConfig::default() };
    let (transports, received) = Transports::bind(config).await.expect("bind loopback");
    let addr = transports.local_addrs()[0];
    let (endpoint, incoming) =
        Endpoint::start(transports, received, EndpointConfig { capacity, ..EndpointConfig::default() });
    (endpoint, incoming, addr)
}

async fn status_line(phone: &UdpSocket) -> String {
    let mut buf = vec![0u8; 4096];
    let len = timeout(WAIT, phone.recv(&mut buf)).await.expect("no response came").expect("recv");
    String::from_utf8_lossy(&buf[..len]).into_owned()
}

/// Answers each request the TU gets 200, as a TU would, and says which method it was.
async fn answer_next(endpoint: &Endpoint, incoming: &mut Receiver<Incoming>) -> String {
    let Some(Incoming::Request(server)) = timeout(WAIT, incoming.recv()).await.expect("nothing reached the TU") else {
        panic!("expected a request for the TU");
    };
    let ok = sb_sip::message::response_to(&server.request, 200, "OK").expect("a 200 can be built");
    endpoint.respond(&server.key, ok).await.expect("respond");
    server.request.method.to_string()
}

#[tokio::test]
async fn a_full_table_refuses_new_dialogs_but_keeps_room_for_hanging_up() {
    // Capacity 8: new dialogs may use 6 entries, requests within dialogs all 8.
    let (endpoint, mut incoming, pbx) = start(8).await;
    let phone = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    phone.connect(pbx).await.unwrap();
    let me = phone.local_addr().unwrap();

    // Finished non-INVITE server transactions linger for Timer J (32 s over UDP).
    for n in 0..6 {
        phone.send(request("OPTIONS", n, me, None).as_bytes()).await.unwrap();
        assert_eq!(answer_next(&endpoint, &mut incoming).await, "OPTIONS");
        assert!(status_line(&phone).await.starts_with("SIP/2.0 200"));
    }
    assert_eq!(endpoint.stats().transactions, 6);

    phone.send(request("OPTIONS", 6, me, None).as_bytes()).await.unwrap();
    let refused = status_line(&phone).await;
    assert!(refused.starts_with("SIP/2.0 503"), "{refused}");
    assert!(refused.to_ascii_lowercase().contains("retry-after: 5"), "{refused}");
    assert_eq!(endpoint.stats().transactions, 6, "the refusal is stateless");

    // A BYE within a dialog still gets through, twice, up to the hard capacity.
    for n in 7..9 {
        phone.send(request("BYE", n, me, Some("callee")).as_bytes()).await.unwrap();
        assert_eq!(answer_next(&endpoint, &mut incoming).await, "BYE");
        assert!(status_line(&phone).await.starts_with("SIP/2.0 200"));
    }
    phone.send(request("BYE", 9, me, Some("callee")).as_bytes()).await.unwrap();
    assert!(status_line(&phone).await.starts_with("SIP/2.0 503"));

    // A retransmission of a request the table holds is still absorbed, not refused.
    phone.send(request("OPTIONS", 0, me, None).as_bytes()).await.unwrap();
    assert!(status_line(&phone).await.starts_with("SIP/2.0 200"));
}
