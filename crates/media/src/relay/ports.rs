//! The pool of RTP/RTCP port pairs an engine hands out, and the binding of a pair's two
//! sockets. A pair is leased while its sockets live and returns to the pool when the
//! lease is dropped, which the relay clock (or the media clock, for a terminating
//! channel) does right after closing the sockets.

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rand::Rng;

use super::{MediaError, PortRange};

/// Which even ports of a [`PortRange`] are taken, as a bitmap of pairs.
#[derive(Debug)]
pub(crate) struct PortPool {
    /// The range as configured, for error messages.
    range: PortRange,
    /// The RTP port of pair 0; pair `i` is `first + 2i` and `first + 2i + 1`.
    first: u32,
    /// How many pairs the range holds.
    pairs: usize,
    /// One bit per pair, set while the pair is leased or being tried. A std mutex: it is
    /// held for a bitmap scan at call setup, never across an await, never per packet.
    used: Mutex<Vec<u64>>,
    /// Pairs leased, for the stats.
    leased: AtomicUsize,
}

/// A pair of ports taken from a [`PortPool`] until dropped.
#[derive(Debug)]
pub(crate) struct PortLease {
    pool: Arc<PortPool>,
    pair: usize,
}

/// The two sockets of a freshly bound pair, with the lease that keeps their ports ours.
#[derive(Debug)]
pub(crate) struct BoundPair {
    /// The even port.
    pub(crate) rtp: UdpSocket,
    /// The odd port above it.
    pub(crate) rtcp: UdpSocket,
    /// Declared last so that, wherever these fields end up, the sockets can be closed
    /// before the ports are handed out again.
    pub(crate) lease: PortLease,
}

impl PortPool {
    /// A pool with every pair of `range` free.
    pub(crate) fn new(range: PortRange) -> PortPool {
        // Port 0 asks the OS for "any port", so the first usable pair is 2/3.
        let first = u32::from(range.start.max(2)).next_multiple_of(2);
        let end = u32::from(range.end);
        // The even ports `first..end`: each needs its odd neighbour, at most `end`.
        let pairs = end.saturating_sub(first).div_ceil(2) as usize;
        PortPool { range, first, pairs, used: Mutex::new(vec![0; pairs.div_ceil(64)]), leased: AtomicUsize::new(0) }
    }

    /// UDP ports held by leases.
    pub(crate) fn ports_in_use(&self) -> usize {
        self.leased.load(Ordering::Relaxed) * 2
    }

    /// The RTP port of `pair`.
    fn port(&self, pair: usize) -> u16 {
        // `pairs` was computed so that every pair's odd port is at most `range.end`.
        u16::try_from(self.first + 2 * pair as u32).unwrap_or(u16::MAX)
    }

    /// Marks the first free pair at or after `from` (wrapping around) as taken. A linear
    /// scan: at most 32768 bits, once per relay side at call setup.
    fn take(&self, from: usize) -> Option<usize> {
        let mut used = self.lock();
        (0..self.pairs).map(|offset| (from + offset) % self.pairs).find(|&pair| {
            let (word, bit) = (pair / 64, 1u64 << (pair % 64));
            let free = used[word] & bit == 0;
            if free {
                used[word] |= bit;
            }
            free
        })
    }

    /// Marks `pair` free again.
    fn put_back(&self, pair: usize) {
        self.lock()[pair / 64] &= !(1u64 << (pair % 64));
    }

    /// The bitmap; a panic while it was held cannot have left it half-updated, since every
    /// update is a single bit operation.
    fn lock(&self) -> MutexGuard<'_, Vec<u64>> {
        self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for PortLease {
    fn drop(&mut self) {
        self.pool.leased.fetch_sub(1, Ordering::Relaxed);
        self.pool.put_back(self.pair);
    }
}

/// Takes a free pair from `pool` and binds its two sockets on `ip`, non-blocking. The
/// search starts at a random pair, so the ports of a call are hard to guess, and skips
/// pairs the OS refuses (taken by another program, or reserved).
pub(crate) fn bind_pair(pool: &Arc<PortPool>, ip: IpAddr) -> Result<BoundPair, MediaError> {
    if pool.pairs == 0 {
        return Err(exhausted(pool));
    }
    let mut next = rand::thread_rng().gen_range(0..pool.pairs);
    // Refused pairs stay marked until the search ends, so it does not try them twice.
    let mut refused = Vec::new();
    let result = loop {
        let Some(pair) = pool.take(next) else {
            break Err(exhausted(pool));
        };
        next = pair + 1;
        match bind_both(ip, pool.port(pair)) {
            Ok((rtp, rtcp)) => {
                pool.leased.fetch_add(1, Ordering::Relaxed);
                break Ok(BoundPair { rtp, rtcp, lease: PortLease { pool: Arc::clone(pool), pair } });
            }
            Err(BindError::Refused) => refused.push(pair),
            Err(BindError::Failed(error)) => {
                refused.push(pair);
                break Err(error);
            }
        }
    };
    for pair in refused {
        pool.put_back(pair);
    }
    result
}

/// Why a pair could not be bound.
enum BindError {
    /// The OS refused this port; another one may do.
    Refused,
    /// Something no other port would fix.
    Failed(MediaError),
}

/// Binds `port` for RTP and `port + 1` for RTCP.
fn bind_both(ip: IpAddr, port: u16) -> Result<(UdpSocket, UdpSocket), BindError> {
    let rtp = bind_one(SocketAddr::new(ip, port))?;
    let rtcp = bind_one(SocketAddr::new(ip, port + 1))?;
    Ok((rtp, rtcp))
}

/// Binds one non-blocking UDP socket, ready for tokio or for draining by the media clock.
fn bind_one(addr: SocketAddr) -> Result<UdpSocket, BindError> {
    let socket = UdpSocket::bind(addr).map_err(|source| match source.kind() {
        io::ErrorKind::AddrInUse | io::ErrorKind::PermissionDenied => BindError::Refused,
        _ => BindError::Failed(MediaError::Socket { addr, source }),
    })?;
    socket.set_nonblocking(true).map_err(|source| BindError::Failed(MediaError::Socket { addr, source }))?;
    Ok(socket)
}

/// The error for a range with no pair left.
fn exhausted(pool: &PortPool) -> MediaError {
    MediaError::PortsExhausted { start: pool.range.start, end: pool.range.end }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(start: u16, end: u16) -> PortPool {
        PortPool::new(PortRange { start, end })
    }

    #[test]
    fn pairs_are_even_odd_and_inside_the_range() {
        let p = pool(40001, 40006);
        assert_eq!((p.pairs, p.port(0), p.port(1)), (2, 40002, 40004));
        assert_eq!(pool(40000, 40003).pairs, 2);
        assert_eq!(pool(40000, 40002).pairs, 1);
        assert_eq!(pool(40000, 40000).pairs, 0);
        assert_eq!(pool(40010, 40000).pairs, 0);
        assert_eq!(pool(0, 3).port(0), 2);
        let top = pool(65530, 65535);
        assert_eq!((top.pairs, top.port(2)), (3, 65534));
        assert_eq!(pool(65535, 65535).pairs, 0);
        assert_eq!(pool(0, 65535).pairs, 32767);
    }

    #[test]
    fn take_wraps_and_put_back_frees() {
        let p = pool(40000, 40005);
        assert_eq!(p.take(2), Some(2));
        assert_eq!(p.take(2), Some(0));
        assert_eq!(p.take(2), Some(1));
        assert_eq!(p.take(0), None);
        p.put_back(1);
        assert_eq!(p.take(0), Some(1));
    }

    #[test]
    fn bitmap_spans_words() {
        let p = pool(40000, 40000 + 2 * 130 - 1);
        assert_eq!(p.pairs, 130);
        for expected in 0..130 {
            assert_eq!(p.take(0), Some(expected));
        }
        assert_eq!(p.take(77), None);
        p.put_back(129);
        assert_eq!(p.take(5), Some(129));
    }
}
