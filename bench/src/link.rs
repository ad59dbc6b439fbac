//! The shaped link of the WAN workloads: a TCP relay on loopback that gives each direction a bandwidth and a
//! one-way delay, like a bottleneck router, and counts the bytes that crossed it.
//!
//! Each direction is one link shared by every connection through the relay (as a real access link is): a chunk
//! leaves when the link has finished sending the chunks before it (`len * 8 / rate` each) and arrives `delay`
//! later. Between reading and delivering, chunks wait in a bounded queue (the router's buffer), so a fast sender
//! is held back by TCP flow control instead of filling memory. No tc/netem: those need privileges and network
//! namespaces that neither developers nor CI have.
//!
//! The client's TCP handshake is with the relay on loopback, so the relay charges it: a new connection carries no
//! bytes for one round trip (its first bytes wait in the socket until then), as a real client cannot send before
//! the SYN-ACK is back. Shaping can be switched off ([`Link::set_shaped`]) for unmeasured warmups: bytes then pass
//! at loopback speed, still counted.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::BenchError;

/// A link profile: bandwidth and one-way delay, the same in each direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Profile {
    /// Name in the report (`wan`, `poor`).
    pub(crate) name: &'static str,
    /// Bits per second, each direction.
    pub(crate) bits_per_s: f64,
    /// One-way delay, each direction.
    pub(crate) delay: Duration,
}

impl Profile {
    /// 20 Mbit/s, 40 ms each way (a national data centre over congested fibre).
    pub(crate) const WAN: Profile = Profile {
        name: "wan",
        bits_per_s: 20e6,
        delay: Duration::from_millis(40),
    };
    /// 2 Mbit/s, 150 ms each way (3G or VSAT).
    pub(crate) const POOR: Profile = Profile {
        name: "poor",
        bits_per_s: 2e6,
        delay: Duration::from_millis(150),
    };

    /// Round-trip time.
    pub(crate) fn rtt(&self) -> Duration {
        self.delay * 2
    }

    /// Time to put `bytes` on the link.
    pub(crate) fn serialize(&self, bytes: u64) -> Duration {
        Duration::from_secs_f64(bytes as f64 * 8.0 / self.bits_per_s)
    }
}

/// The bytes that crossed the relay, per direction.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Client to server.
    pub(crate) up: AtomicU64,
    /// Server to client.
    pub(crate) down: AtomicU64,
    /// Connections opened through the relay.
    pub(crate) connections: AtomicU64,
}

impl Counters {
    /// (up, down, connections) so far.
    pub(crate) fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.up.load(Ordering::Relaxed),
            self.down.load(Ordering::Relaxed),
            self.connections.load(Ordering::Relaxed),
        )
    }
}

/// One direction of the link: when it is next free to send.
struct Direction {
    profile: Profile,
    next_free: Mutex<Instant>,
    shaped: Arc<AtomicBool>,
}

impl Direction {
    fn new(profile: Profile, shaped: Arc<AtomicBool>) -> Self {
        Direction {
            profile,
            next_free: Mutex::new(Instant::now()),
            shaped,
        }
    }

    /// When a chunk of `len` bytes read now arrives at the far end.
    fn schedule(&self, len: usize) -> Instant {
        let now = Instant::now();
        if !self.shaped.load(Ordering::Relaxed) {
            return now;
        }
        let mut next = self.next_free.lock().unwrap_or_else(|p| p.into_inner());
        let start = (*next).max(now);
        *next = start + self.profile.serialize(len as u64);
        *next + self.profile.delay
    }
}

/// A running relay; dropping it stops accepting (open connections end with their peers).
pub(crate) struct Link {
    /// Where clients connect.
    pub(crate) addr: SocketAddr,
    /// Bytes that crossed it.
    pub(crate) counters: Arc<Counters>,
    shaped: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Largest chunk read at once: at 20 Mbit/s, 6.5 ms on the link (well above the timer's 1 ms resolution).
const CHUNK: usize = 16 * 1024;
/// Chunks a direction buffers per connection (1 MiB: several bandwidth-delay products of either profile).
const QUEUE: usize = 64;

impl Link {
    /// Starts a relay on 127.0.0.1 to `upstream`, shaped by `profile`, on the current runtime.
    pub(crate) async fn start(upstream: SocketAddr, profile: Profile) -> Result<Link, BenchError> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let shaped = Arc::new(AtomicBool::new(true));
        let up = Arc::new(Direction::new(profile, shaped.clone()));
        let down = Arc::new(Direction::new(profile, shaped.clone()));
        let c = counters.clone();
        let handshake = shaped.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let (c, up, down) = (c.clone(), up.clone(), down.clone());
                let shaped_now = handshake.load(Ordering::Relaxed);
                tokio::spawn(async move {
                    // The TCP handshake's round trip (see the module docs).
                    if shaped_now {
                        tokio::time::sleep(profile.rtt()).await;
                    }
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    c.connections.fetch_add(1, Ordering::Relaxed);
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let c2 = c.clone();
                    tokio::join!(
                        pump(cr, sw, up, move |n| {
                            c.up.fetch_add(n, Ordering::Relaxed);
                        }),
                        pump(sr, cw, down, move |n| {
                            c2.down.fetch_add(n, Ordering::Relaxed);
                        }),
                    );
                });
            }
        });
        Ok(Link {
            addr,
            counters,
            shaped,
            task,
        })
    }

    /// Shapes (the default) or lets bytes pass at loopback speed, for connections old and new.
    pub(crate) fn set_shaped(&self, on: bool) {
        self.shaped.store(on, Ordering::Relaxed);
    }
}

/// Moves bytes from `from` to `to` through `dir`: a reader that schedules each chunk, and a writer that
/// delivers it on time. An end of stream is delivered after the data before it.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    dir: Arc<Direction>,
    count: impl Fn(u64) + Send,
) {
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(QUEUE);
    let reader = async move {
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            count(n as u64);
            let at = dir.schedule(n);
            if tx.send((at, buf[..n].to_vec())).await.is_err() {
                return;
            }
        }
    };
    let writer = async move {
        while let Some((at, chunk)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_match_the_issue() {
        assert_eq!(Profile::WAN.rtt(), Duration::from_millis(80));
        assert_eq!(Profile::POOR.rtt(), Duration::from_millis(300));
        // 2.5 MB at 20 Mbit/s is one second on the wire.
        assert_eq!(Profile::WAN.serialize(2_500_000), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn chunks_queue_behind_each_other_and_arrive_a_delay_later() {
        let shaped = Arc::new(AtomicBool::new(true));
        let dir = Direction::new(Profile::WAN, shaped.clone());
        let t0 = Instant::now();
        // 25 kB take 10 ms on the wire; the second chunk waits for the first.
        let first = dir.schedule(25_000);
        let second = dir.schedule(25_000);
        assert_eq!(first - t0, Duration::from_millis(50));
        assert_eq!(second - t0, Duration::from_millis(60));
        // Unshaped, a chunk is due at once.
        shaped.store(false, Ordering::Relaxed);
        assert_eq!(dir.schedule(25_000), t0);
    }

    #[tokio::test]
    async fn relays_both_ways_and_counts_bytes() {
        let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let up_addr = upstream.local_addr().unwrap();
        let echo = tokio::spawn(async move {
            let (mut s, _) = upstream.accept().await.unwrap();
            let mut buf = vec![0u8; 5];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(b"world!").await.unwrap();
            s.shutdown().await.unwrap();
        });
        let fast = Profile {
            name: "test",
            bits_per_s: 1e9,
            delay: Duration::from_millis(1),
        };
        let link = Link::start(up_addr, fast).await.unwrap();
        let mut c = TcpStream::connect(link.addr).await.unwrap();
        c.write_all(b"hello").await.unwrap();
        let mut got = Vec::new();
        c.read_to_end(&mut got).await.unwrap();
        echo.await.unwrap();
        assert_eq!(got, b"world!");
        let (up, down, conns) = link.counters.snapshot();
        assert_eq!((up, down, conns), (5, 6, 1));
    }
}
