//! A deterministic network for sans-IO cores, in the style of quinn's `Pair` and str0m's
//! `progress`: a virtual clock, and an in-memory network that loses, duplicates, delays and
//! reorders datagrams from a seeded generator. The same seed gives the same run, so a failure
//! found once is found again.
//!
//! Each endpoint implements [`Node`]; [`Sim::run_until`] moves time from event to event
//! (the next delivery or the next timer of any node), never sleeping. `SIM_TRACE=1` prints
//! every datagram sent, with its fate, to read a failing seed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What the network does to each datagram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conditions {
    /// Probability a datagram is lost.
    pub loss: f64,
    /// Probability a datagram is delivered twice.
    pub duplicate: f64,
    /// Delay every datagram has.
    pub delay: Duration,
    /// Extra delay, uniform from zero to this; datagrams sent closer together than this may
    /// arrive out of order.
    pub jitter: Duration,
}

impl Conditions {
    /// A perfect network: nothing lost, 10 ms each way.
    pub fn clean() -> Self {
        Self {
            loss: 0.0,
            duplicate: 0.0,
            delay: Duration::from_millis(10),
            jitter: Duration::ZERO,
        }
    }

    /// A bad one: 20% lost, 10% duplicated, 20–220 ms, reordered.
    pub fn hostile() -> Self {
        Self {
            loss: 0.2,
            duplicate: 0.1,
            delay: Duration::from_millis(20),
            jitter: Duration::from_millis(200),
        }
    }
}

/// An endpoint: a sans-IO core behind an address.
pub trait Node {
    /// Its address.
    fn addr(&self) -> SocketAddr;
    /// A datagram arrived.
    fn on_datagram(&mut self, from: SocketAddr, bytes: &[u8], now: Instant);
    /// The next datagram to send, and where.
    fn poll_transmit(&mut self, now: Instant) -> Option<(SocketAddr, Vec<u8>)>;
    /// When it next wants [`Node::on_timeout`].
    fn poll_timeout(&self) -> Option<Instant>;
    /// Its timer fired.
    fn on_timeout(&mut self, now: Instant);
}

/// A datagram in flight.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct InFlight {
    at: Instant,
    /// Send order, so equal arrival times stay deterministic.
    order: u64,
    from: SocketAddr,
    to: SocketAddr,
    bytes: Vec<u8>,
}

/// Counts of what the network did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Datagrams handed to the network.
    pub sent: u64,
    /// Lost.
    pub lost: u64,
    /// Delivered twice.
    pub duplicated: u64,
    /// Delivered.
    pub delivered: u64,
}

/// The virtual clock and the network.
#[derive(Debug)]
pub struct Sim {
    now: Instant,
    conditions: Conditions,
    rng: u64,
    queue: BinaryHeap<Reverse<InFlight>>,
    order: u64,
    stats: NetStats,
    start: Instant,
    /// Print every datagram sent (set `SIM_TRACE=1`).
    trace: bool,
}

/// Steps one run may take before it is taken for a livelock.
const MAX_STEPS: u64 = 10_000_000;

impl Sim {
    /// A simulation starting at `start`.
    pub fn new(seed: u64, conditions: Conditions, start: Instant) -> Self {
        Self {
            now: start,
            conditions,
            rng: seed ^ 0x5DEE_CE66_D1CE_4E5B,
            queue: BinaryHeap::new(),
            order: 0,
            stats: NetStats::default(),
            start,
            trace: std::env::var_os("SIM_TRACE").is_some(),
        }
    }

    /// Virtual time now.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// What the network has done.
    pub fn stats(&self) -> NetStats {
        self.stats
    }

    /// splitmix64 in [0, 1).
    fn unit(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        #[expect(clippy::cast_precision_loss, reason = "53 random bits to a unit float")]
        let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
        unit
    }

    fn send(&mut self, from: SocketAddr, to: SocketAddr, bytes: Vec<u8>) {
        self.stats.sent += 1;
        let lost = self.unit() < self.conditions.loss;
        if self.trace {
            let first = bytes.split(|&b| b == b'\r').next().unwrap_or_default();
            #[expect(
                clippy::print_stderr,
                reason = "SIM_TRACE=1 is for people reading a failure"
            )]
            {
                eprintln!(
                    "{:>9.3} {from} -> {to} {}{}",
                    self.now.duration_since(self.start).as_secs_f64(),
                    String::from_utf8_lossy(first),
                    if lost { "  (lost)" } else { "" }
                );
            }
        }
        if lost {
            self.stats.lost += 1;
            return;
        }
        let copies = if self.unit() < self.conditions.duplicate {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter = self.conditions.jitter.mul_f64(self.unit());
            self.order += 1;
            self.queue.push(Reverse(InFlight {
                at: self.now + self.conditions.delay + jitter,
                order: self.order,
                from,
                to,
                bytes: bytes.clone(),
            }));
        }
    }

    /// Runs every node until virtual time `until`: sends what they have, delivers datagrams
    /// as they arrive, fires timers when due. Nodes addressed by no one in `nodes` lose their
    /// datagrams.
    pub fn run_until(&mut self, nodes: &mut [&mut dyn Node], until: Instant) {
        for _ in 0..MAX_STEPS {
            for node in nodes.iter_mut() {
                while let Some((to, bytes)) = node.poll_transmit(self.now) {
                    let from = node.addr();
                    self.send(from, to, bytes);
                }
            }
            let next_delivery = self.queue.peek().map(|Reverse(p)| p.at);
            let next_timer = nodes.iter().filter_map(|n| n.poll_timeout()).min();
            let next = match (next_delivery, next_timer) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(t) => t,
                    None => break,
                },
            };
            if next > until {
                break;
            }
            self.now = self.now.max(next);
            while self.queue.peek().is_some_and(|Reverse(p)| p.at <= self.now) {
                let Some(Reverse(p)) = self.queue.pop() else {
                    break;
                };
                if let Some(node) = nodes.iter_mut().find(|n| n.addr() == p.to) {
                    self.stats.delivered += 1;
                    node.on_datagram(p.from, &p.bytes, self.now);
                }
            }
            for node in nodes.iter_mut() {
                if node.poll_timeout().is_some_and(|t| t <= self.now) {
                    node.on_timeout(self.now);
                }
            }
        }
        self.now = self.now.max(until);
    }
}
