//! An adaptive jitter buffer, sans-IO: [`JitterBuffer::push`] packets as they arrive and
//! [`JitterBuffer::pop`] one frame per frame period; both take the current `Instant`.
//!
//! It reorders, drops duplicates and packets too late to play, and moves its delay between a
//! floor and a ceiling from the jitter it measures: when more audio is buffered than the target
//! it drops a frame (*accelerate*); when less, it plays a concealment frame before the next one
//! (*pre-emptive expand*). A frame missing while nothing newer has arrived is treated as late,
//! not lost: the period is concealed and the playout point held (*expand*); a frame missing
//! with newer frames waiting is lost, and playout moves past it. Clock drift between sender and receiver shows up as a slowly rising or
//! falling buffer level and is absorbed the same way. Statistics use NetEQ's terms.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sambung_media::jitter::{JitterBuffer, JitterConfig, Pop};
//!
//! let t0 = Instant::now();
//! let ms = |n: u64| t0 + Duration::from_millis(n);
//! let mut jb = JitterBuffer::new(JitterConfig::default());
//! let mut played = 0;
//! // A packet every 20 ms; the playout clock ticks every 20 ms too.
//! for i in 0..8u16 {
//!     if i < 5 {
//!         jb.push(i, u32::from(i) * 160, &[0xD5; 160], ms(20 * u64::from(i)));
//!     }
//!     if let Pop::Frame { .. } = jb.pop(ms(20 * u64::from(i) + 20)) {
//!         played += 1;
//!     }
//! }
//! assert_eq!(played, 5);
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Samples in one frame (160 for 20 ms at 8 kHz).
    pub frame_samples: u32,
    /// The least buffering delay.
    pub min_delay: Duration,
    /// The most buffering delay the buffer aims for, however bad the jitter.
    pub max_delay: Duration,
    /// Most packets held; beyond it the oldest is dropped.
    pub max_packets: usize,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            clock_rate: 8000,
            frame_samples: 160,
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(500),
            max_packets: 256,
        }
    }
}

/// What [`JitterBuffer::push`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Buffered for playout.
    Accepted,
    /// Already buffered or played.
    Duplicate,
    /// Its playout time has passed.
    Late,
}

/// What [`JitterBuffer::pop`] gives for one frame period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop {
    /// Nothing to play yet (before the first packet, or while filling to the target delay).
    Waiting,
    /// A frame to decode.
    Frame {
        /// Its sequence number.
        sequence: u16,
        /// Its RTP timestamp.
        timestamp: u32,
        /// Its payload.
        payload: Vec<u8>,
        /// How long it waited in the buffer.
        delay: Duration,
    },
    /// No frame for this period: the decoder should conceal.
    Conceal {
        /// The RTP timestamp the missing frame would have had.
        timestamp: u32,
    },
}

/// Statistics, in NetEQ's terms.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct JitterStats {
    /// Packets pushed.
    pub packets_received: u64,
    /// Frames played from packets.
    pub frames_played: u64,
    /// Concealment frames given out (losses and expansions).
    pub frames_concealed: u64,
    /// Packets that arrived after their playout time, or were dropped for the delay ceiling.
    pub late_losses: u64,
    /// Duplicate packets.
    pub duplicates: u64,
    /// Packets dropped because the buffer was full.
    pub overflow_drops: u64,
    /// Frames dropped to shrink the delay.
    pub accelerated: u64,
    /// Concealment frames inserted to grow the delay.
    pub preemptive_expanded: u64,
    /// The current target delay.
    pub target_delay: Duration,
    /// The delay of the last frame played.
    pub current_delay: Duration,
    /// Mean delay of the frames played.
    pub mean_delay: Duration,
}

impl JitterStats {
    /// Accelerated frames per frame played.
    pub fn accelerate_rate(&self) -> f64 {
        ratio(self.accelerated, self.frames_played)
    }
    /// Pre-emptively expanded frames per frame played.
    pub fn preemptive_expand_rate(&self) -> f64 {
        ratio(self.preemptive_expanded, self.frames_played)
    }
}

/// The low 32 bits of an unwrapped timestamp: the RTP timestamp on the wire.
fn wire(ts: i64) -> u32 {
    u32::try_from(ts.rem_euclid(1 << 32)).unwrap_or(0)
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Delay histogram buckets of 10 ms: 0 to 1 s.
const BUCKETS: usize = 100;
/// Packets over which the minimum transit is taken (about 4 s of 20 ms packets).
const WINDOW: usize = 200;
/// Histogram forgetting factor per packet (NetEQ uses about 0.983).
const FORGET: f64 = 0.983;
/// The target covers this share of recent delays.
const COVER: f64 = 0.95;
/// Accelerate at most once per this many frames.
const ACCELERATE_SPACING: u32 = 10;

/// How many played timestamps are remembered for duplicate detection.
const RECENT: usize = 64;

#[derive(Debug, Clone)]
struct Slot {
    sequence: u16,
    arrival: Instant,
    payload: Vec<u8>,
}

/// Unwraps 32-bit RTP timestamps into a monotonic 64-bit space.
#[derive(Debug, Clone, Copy, Default)]
struct Unwrapper {
    last: Option<i64>,
}

impl Unwrapper {
    fn unwrap(&mut self, ts: u32) -> i64 {
        let value = match self.last {
            None => i64::from(ts) + (1 << 32),
            Some(last) => {
                // Offset from the last value seen, in (−2^31, 2^31].
                let delta = i64::from(ts.wrapping_sub(wire(last)).cast_signed());
                last + delta
            }
        };
        if self.last.is_none_or(|l| value > l) {
            self.last = Some(value);
        }
        value
    }
}

/// The jitter buffer.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    config: JitterConfig,
    /// Buffered frames by unwrapped timestamp.
    slots: BTreeMap<i64, Slot>,
    unwrap: Unwrapper,
    /// The unwrapped timestamp the next pop plays; `None` until playout starts.
    playout: Option<i64>,
    /// First arrival, to start playout once the target delay has passed.
    first_arrival: Option<Instant>,
    /// Relative transit of the last packet (arrival in clock units minus timestamp), for jitter.
    last_transit: Option<i64>,
    /// RFC 3550 interarrival jitter, in clock units ×16 (reported; not used for the target).
    jitter16: i64,
    /// Recent relative transits (ring buffer), for the running minimum.
    transits: std::collections::VecDeque<i64>,
    /// Histogram of delay above the recent minimum transit, in 10 ms buckets, with forgetting.
    histogram: [f64; BUCKETS],
    /// Pops since the last accelerate.
    since_accelerate: u32,
    base: Option<Instant>,
    /// Timestamps played recently, to tell a duplicate of a played packet from a late one.
    recent: std::collections::VecDeque<i64>,
    delay_sum: Duration,
    stats: JitterStats,
}

impl JitterBuffer {
    /// An empty buffer.
    pub fn new(config: JitterConfig) -> Self {
        let stats = JitterStats {
            target_delay: config.min_delay,
            ..JitterStats::default()
        };
        Self {
            config,
            slots: BTreeMap::new(),
            unwrap: Unwrapper::default(),
            playout: None,
            first_arrival: None,
            last_transit: None,
            jitter16: 0,
            transits: std::collections::VecDeque::with_capacity(WINDOW),
            histogram: [0.0; BUCKETS],
            since_accelerate: 0,
            base: None,
            recent: std::collections::VecDeque::with_capacity(RECENT),
            delay_sum: Duration::ZERO,
            stats,
        }
    }

    /// The statistics so far.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Packets held.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    fn clock_units(&self, d: Duration) -> i64 {
        i64::try_from(d.as_micros() * u128::from(self.config.clock_rate) / 1_000_000)
            .unwrap_or(i64::MAX)
    }

    fn frame(&self) -> i64 {
        i64::from(self.config.frame_samples.max(1))
    }

    /// Takes a packet that arrived at `now`.
    pub fn push(
        &mut self,
        sequence: u16,
        timestamp: u32,
        payload: &[u8],
        now: Instant,
    ) -> PushOutcome {
        self.stats.packets_received += 1;
        let ts = self.unwrap.unwrap(timestamp);
        // A copy of a packet held or just played says nothing about the network's delay.
        if self.slots.contains_key(&ts) || self.recent.contains(&ts) {
            self.stats.duplicates += 1;
            return PushOutcome::Duplicate;
        }
        // Late packets do: they are what the target delay should have covered.
        self.update_jitter(ts, now);
        if let Some(playout) = self.playout
            && ts < playout
        {
            self.stats.late_losses += 1;
            return PushOutcome::Late;
        }
        self.first_arrival.get_or_insert(now);
        self.slots.insert(
            ts,
            Slot {
                sequence,
                arrival: now,
                payload: payload.to_vec(),
            },
        );
        while self.slots.len() > self.config.max_packets {
            self.slots.pop_first();
            self.stats.overflow_drops += 1;
        }
        PushOutcome::Accepted
    }

    fn update_jitter(&mut self, ts: i64, now: Instant) {
        let base = *self.base.get_or_insert(now);
        let arrival = self.clock_units(now.saturating_duration_since(base));
        let transit = arrival - ts;
        if let Some(last) = self.last_transit {
            let d = (transit - last).abs();
            // RFC 3550 §6.4.1: J += (|D| - J) / 16, kept scaled by 16.
            self.jitter16 += d - (self.jitter16 + 8) / 16;
        }
        self.last_transit = Some(transit);
        // Delay of this packet above the fastest recent one: what buffering must absorb.
        if self.transits.len() == WINDOW {
            self.transits.pop_front();
        }
        self.transits.push_back(transit);
        let fastest = self.transits.iter().copied().min().unwrap_or(transit);
        let extra_ms = (transit - fastest) * 1000 / i64::from(self.config.clock_rate.max(1));
        let bucket = usize::try_from(extra_ms / 10).unwrap_or(0).min(BUCKETS - 1);
        for p in &mut self.histogram {
            *p *= FORGET;
        }
        self.histogram[bucket] += 1.0 - FORGET;
        // The target: the delay that covers COVER of recent packets, plus one frame.
        let total: f64 = self.histogram.iter().sum();
        let mut acc = 0.0;
        let mut cover_bucket = BUCKETS - 1;
        for (i, p) in self.histogram.iter().enumerate() {
            acc += p;
            if acc >= COVER * total {
                cover_bucket = i;
                break;
            }
        }
        let cover_ms = u64::try_from(cover_bucket + 1).unwrap_or(100) * 10;
        let frame_ms =
            u64::from(self.config.frame_samples) * 1000 / u64::from(self.config.clock_rate.max(1));
        let target = Duration::from_millis(cover_ms + frame_ms);
        self.stats.target_delay = target.clamp(self.config.min_delay, self.config.max_delay);
    }

    /// Buffered audio from the playout point to the newest frame, in clock units.
    fn buffered(&self) -> i64 {
        match (self.playout, self.slots.last_key_value()) {
            (Some(p), Some((&last, _))) => last + self.frame() - p,
            (None, Some((&last, _))) => {
                let first = self.slots.first_key_value().map_or(last, |(&f, _)| f);
                last + self.frame() - first
            }
            _ => 0,
        }
    }

    /// Gives the frame for the period starting at `now`.
    pub fn pop(&mut self, now: Instant) -> Pop {
        let frame = self.frame();
        let target_units = self.clock_units(self.stats.target_delay);
        let Some(playout) = self.playout else {
            // Start once the first packet has waited the target delay.
            let Some(first) = self.first_arrival else {
                return Pop::Waiting;
            };
            if now.saturating_duration_since(first) < self.stats.target_delay {
                return Pop::Waiting;
            }
            let Some((&start, _)) = self.slots.first_key_value() else {
                return Pop::Waiting;
            };
            self.playout = Some(start);
            return self.play(start, now);
        };
        // Drop packets whose time has passed (they arrived, but after their slot was concealed).
        while let Some((&ts, _)) = self.slots.first_key_value() {
            if ts >= playout {
                break;
            }
            self.slots.pop_first();
            self.stats.late_losses += 1;
        }
        let buffered = self.buffered();
        self.since_accelerate = self.since_accelerate.saturating_add(1);
        if buffered > target_units + 2 * frame
            && self.since_accelerate >= ACCELERATE_SPACING
            && self.slots.contains_key(&playout)
            && self.slots.len() > 1
        {
            self.since_accelerate = 0;
            // Too much audio waiting: accelerate by dropping this frame.
            self.slots.remove(&playout);
            self.stats.accelerated += 1;
            self.playout = Some(playout + frame);
            return self.play(playout + frame, now);
        }
        if !self.slots.contains_key(&playout) && self.slots.range(playout..).next().is_none() {
            // Nothing newer has arrived: the frame is late, not (yet) lost. Conceal without
            // moving the playout point, so it still plays if it comes (expansion).
            self.stats.frames_concealed += 1;
            return Pop::Conceal {
                timestamp: wire(playout),
            };
        }
        if buffered + frame < target_units && self.slots.contains_key(&playout) {
            // Too little: stretch by concealing before this frame.
            self.stats.preemptive_expanded += 1;
            self.stats.frames_concealed += 1;
            return Pop::Conceal {
                timestamp: wire(playout),
            };
        }
        self.play(playout, now)
    }

    fn play(&mut self, ts: i64, now: Instant) -> Pop {
        self.playout = Some(ts + self.frame());
        match self.slots.remove(&ts) {
            Some(slot) => {
                if self.recent.len() == RECENT {
                    self.recent.pop_front();
                }
                self.recent.push_back(ts);
                let delay = now.saturating_duration_since(slot.arrival);
                self.stats.frames_played += 1;
                self.delay_sum += delay;
                self.stats.current_delay = delay;
                let played = u32::try_from(self.stats.frames_played)
                    .unwrap_or(u32::MAX)
                    .max(1);
                self.stats.mean_delay = self.delay_sum / played;
                Pop::Frame {
                    sequence: slot.sequence,
                    timestamp: wire(ts),
                    payload: slot.payload,
                    delay,
                }
            }
            None => {
                self.stats.frames_concealed += 1;
                Pop::Conceal {
                    timestamp: wire(ts),
                }
            }
        }
    }
}
