//! Reading a relay socket with one `recvmmsg(2)`: every datagram queued on it in a single
//! system call, into buffers a shard keeps for its whole life.
//!
//! The relay clock's poller is edge-triggered, so a socket must be read until it is empty.
//! With `recvfrom` that costs a second, failing call per ready socket (`EAGAIN`); a batch
//! read that comes back with fewer datagrams than it had room for has emptied the queue,
//! so one call does it.

use std::cell::RefCell;
use std::io::{self, IoSliceMut};
use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::RawFd;

use nix::sys::socket::{recvmmsg, MsgFlags, MultiHeaders, SockaddrStorage};

/// Larger than any RTP packet on an Ethernet path (MTU 1500).
const BUF_LEN: usize = 2048;

/// Datagrams taken from one socket per read, so a flood on one socket cannot starve the
/// rest. At one read per clock tick this is 6,400 packets a second per socket, 64 times
/// what a voice stream sends.
pub(super) const BATCH: usize = 64;

thread_local! {
    /// The message headers `recvmmsg` fills in. `nix` keeps raw pointers in them, so they
    /// cannot move between threads with a shard's task; each runtime thread has its own.
    static HEADERS: RefCell<MultiHeaders<SockaddrStorage>> = RefCell::new(MultiHeaders::preallocate(BATCH, None));
}

/// One batch of datagrams and where each came from.
#[derive(Debug)]
pub(super) struct Inbox {
    buffers: Box<[[u8; BUF_LEN]; BATCH]>,
    /// Each datagram's length and source; no source for one that was truncated (it
    /// filled its buffer) or came from outside IP.
    received: [(usize, Option<SocketAddr>); BATCH],
    /// How many of `received` the last read filled.
    count: usize,
}

impl Inbox {
    /// Empty buffers for [`BATCH`] datagrams.
    pub(super) fn new() -> Inbox {
        Inbox { buffers: Box::new([[0; BUF_LEN]; BATCH]), received: [(0, None); BATCH], count: 0 }
    }

    /// Reads what is queued on the non-blocking socket `fd`, up to [`BATCH`] datagrams;
    /// returns whether that emptied the queue. `WouldBlock` when nothing was queued; other
    /// errors are those `recvfrom` would give (an ICMP error reported for an earlier send).
    pub(super) fn read(&mut self, fd: RawFd) -> io::Result<bool> {
        let Inbox { buffers, received, count } = self;
        *count = 0;
        HEADERS.with_borrow_mut(|headers| {
            let mut slices = buffers.each_mut().map(|buffer| [IoSliceMut::new(buffer)]);
            let results = recvmmsg(fd, headers, slices.iter_mut(), MsgFlags::MSG_DONTWAIT, None)?;
            for message in results {
                let truncated = message.flags.contains(MsgFlags::MSG_TRUNC) || message.bytes >= BUF_LEN;
                let source = message.address.as_ref().and_then(socket_addr).filter(|_| !truncated);
                received[*count] = (message.bytes, source);
                *count += 1;
            }
            Ok(*count < BATCH)
        })
    }

    /// The datagrams of the last read, in order, with their sources; `None` for one that
    /// must be dropped unseen.
    pub(super) fn datagrams(&self) -> impl Iterator<Item = Option<(&[u8], SocketAddr)>> {
        self.received[..self.count]
            .iter()
            .zip(self.buffers.iter())
            .map(|(&(len, source), buffer)| source.map(|source| (&buffer[..len], source)))
    }
}

/// The IP address in `storage`, if it holds one.
fn socket_addr(storage: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = storage.as_sockaddr_in() {
        return Some(SocketAddr::V4(SocketAddrV4::from(*v4)));
    }
    storage.as_sockaddr_in6().map(|v6| SocketAddr::V6(SocketAddrV6::from(*v6)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::os::fd::AsRawFd;

    #[test]
    fn one_read_takes_the_queue_in_order_and_says_it_is_empty() {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut inbox = Inbox::new();
        assert_eq!(inbox.read(socket.as_raw_fd()).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        for byte in 0..3u8 {
            peer.send_to(&[byte; 20], socket.local_addr().unwrap()).unwrap();
        }
        peer.send_to(&[9; BUF_LEN + 10], socket.local_addr().unwrap()).unwrap();
        assert!(inbox.read(socket.as_raw_fd()).unwrap(), "fewer than a batch: the queue is empty");
        let got: Vec<_> = inbox.datagrams().collect();
        assert_eq!(got.len(), 4);
        for (byte, datagram) in got.iter().take(3).enumerate() {
            let (payload, source) = datagram.unwrap();
            assert_eq!((payload, source), (&[byte as u8; 20][..], peer.local_addr().unwrap()));
        }
        assert_eq!(got[3], None, "a truncated datagram is not handed on");
    }

    #[test]
    fn a_full_batch_leaves_the_rest_for_the_next_read() {
        let socket = UdpSocket::bind("[::1]:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let peer = UdpSocket::bind("[::1]:0").unwrap();
        for index in 0..BATCH + 1 {
            peer.send_to(&(index as u32).to_be_bytes(), socket.local_addr().unwrap()).unwrap();
        }
        let mut inbox = Inbox::new();
        assert!(!inbox.read(socket.as_raw_fd()).unwrap(), "a full batch may have left datagrams");
        assert_eq!(inbox.datagrams().count(), BATCH);
        assert!(inbox.read(socket.as_raw_fd()).unwrap());
        let last: Vec<_> = inbox.datagrams().map(|datagram| datagram.unwrap().0.to_vec()).collect();
        assert_eq!(last, vec![(BATCH as u32).to_be_bytes().to_vec()]);
    }
}
