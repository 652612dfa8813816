//! An adaptive jitter buffer, sans-IO: [`JitterBuffer::push`] packets as they arrive and
//! [`JitterBuffer::pop`] (or [`JitterBuffer::pop_into`], which reuses the caller's buffer) one
//! frame per frame period; both take the current `Instant`.
//!
//! It reorders, drops duplicates and packets too late to play, and sets its delay from the
//! jitter it measures: a histogram, with forgetting, of each packet's delay above the fastest
//! recent one gives the target, the delay that covers 95% of packets. At each period the
//! buffer compares the frame's *budget* (how much later than the fastest packet it could have
//! arrived and still play now) with the target: over it by a frame, it drops a frame
//! (*accelerate*); under it, it plays a concealment frame first (*pre-emptive expand*). A frame
//! missing while nothing newer has arrived is treated as late, not lost: the period is
//! concealed and the playout point held (*expand*); if newer frames then arrive without it,
//! the periods already concealed stand in for the missing frames (*merge*). Clock drift
//! between sender and receiver shows up as a slowly moving budget and is absorbed the same
//! way. Delay peaks that recur (Wi-Fi scans, handovers) are remembered: once two have come,
//! the target holds their height until they stop coming. Statistics use NetEQ's terms.
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

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Samples in one frame (160 for 20 ms at 8 kHz).
    pub frame_samples: u32,
    /// The least target delay: how much later than the fastest recent packet a packet may
    /// arrive and still play. Zero lets a steady network play each packet at the first
    /// frame period after it arrives.
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
            min_delay: Duration::ZERO,
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

/// Delay histogram buckets of 5 ms: 0 to 1 s.
const BUCKETS: usize = 200;
/// Width of one histogram bucket, ms.
const BUCKET_MS: i64 = 5;
/// Packets over which the minimum transit is taken (about 4 s of 20 ms packets).
const WINDOW: u64 = 200;
/// Histogram forgetting factor per packet: a memory of about 200 packets (4 s).
const FORGET: f64 = 0.995;
/// The target covers this share of recent delays.
const COVER: f64 = 0.95;
/// Accelerate at most once per this many frames.
const ACCELERATE_SPACING: u32 = 10;
/// Histogram weights are brought back to 1 when the increment passes this.
const RESCALE_AT: f64 = 1e100;

/// How many played timestamps are remembered for duplicate detection.
const RECENT: usize = 64;

#[derive(Debug, Clone)]
struct Slot {
    /// Unwrapped timestamp.
    ts: i64,
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

/// What [`JitterBuffer::pop_into`] gives for one frame period; the payload goes into the
/// caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Popped {
    /// Nothing to play yet.
    Waiting,
    /// A frame, its payload now in the caller's buffer.
    Frame {
        /// Its sequence number.
        sequence: u16,
        /// Its RTP timestamp.
        timestamp: u32,
        /// How long it waited in the buffer.
        delay: Duration,
    },
    /// No frame for this period: the decoder should conceal.
    Conceal {
        /// The RTP timestamp the missing frame would have had.
        timestamp: u32,
    },
}

/// The running minimum of the last [`WINDOW`] transits (a monotonic queue: amortised O(1)).
#[derive(Debug, Clone, Default)]
struct WindowMin {
    /// (packet number, transit), transits strictly increasing from front to back.
    queue: VecDeque<(u64, i64)>,
    count: u64,
}

impl WindowMin {
    fn push(&mut self, transit: i64) -> i64 {
        while self.queue.back().is_some_and(|&(_, t)| t >= transit) {
            self.queue.pop_back();
        }
        self.queue.push_back((self.count, transit));
        self.count += 1;
        while self
            .queue
            .front()
            .is_some_and(|&(n, _)| n + WINDOW < self.count)
        {
            self.queue.pop_front();
        }
        self.queue.front().map_or(transit, |&(_, t)| t)
    }
}

/// A histogram with exponential forgetting. Instead of scaling every bucket down per sample,
/// each new sample weighs 1/FORGET more than the one before, which gives the same shares.
#[derive(Debug, Clone)]
struct ForgettingHistogram {
    buckets: [f64; BUCKETS],
    total: f64,
    increment: f64,
}

impl ForgettingHistogram {
    fn new() -> Self {
        Self {
            buckets: [0.0; BUCKETS],
            total: 0.0,
            increment: 1.0,
        }
    }

    fn add(&mut self, bucket: usize) {
        self.increment *= 1.0 / FORGET;
        self.buckets[bucket.min(BUCKETS - 1)] += self.increment;
        self.total += self.increment;
        if self.increment > RESCALE_AT {
            let scale = 1.0 / self.increment;
            for b in &mut self.buckets {
                *b *= scale;
            }
            self.total *= scale;
            self.increment = 1.0;
        }
    }

    /// The value in ms below which `share` of the weight lies, interpolated within its bucket.
    fn quantile_ms(&self, share: f64) -> f64 {
        let goal = share * self.total;
        let mut acc = 0.0;
        for (i, p) in self.buckets.iter().enumerate() {
            if acc + p >= goal && *p > 0.0 {
                #[expect(clippy::cast_precision_loss, reason = "bucket index below 200")]
                let start = (i as i64 * BUCKET_MS) as f64;
                #[expect(clippy::cast_precision_loss, reason = "5")]
                let width = BUCKET_MS as f64;
                return start + width * ((goal - acc) / p).clamp(0.0, 1.0);
            }
            acc += p;
        }
        #[expect(clippy::cast_precision_loss, reason = "1000")]
        let top = (BUCKETS as i64 * BUCKET_MS) as f64;
        top
    }
}

/// A delay peak stands this far above the cover before it counts.
const PEAK_MARGIN_MS: f64 = 40.0;
/// Peaks remembered.
const MAX_PEAKS: usize = 8;
/// Peaks older than this are forgotten.
const PEAK_MEMORY: Duration = Duration::from_secs(60);

/// Recurring delay peaks (as NetEQ's delay peak detector): on networks whose delay jumps now
/// and then (Wi-Fi scans, mobile handovers) the histogram forgets a peak before the next one
/// comes. Once peaks recur, the target holds their height until they stop.
#[derive(Debug, Clone, Default)]
struct PeakDetector {
    /// Recent peaks: when each began, and its height in ms above the fastest packet.
    peaks: VecDeque<(Instant, f64)>,
    /// The excursion in progress.
    current: Option<(Instant, f64)>,
}

impl PeakDetector {
    fn update(&mut self, now: Instant, extra_ms: f64, cover_ms: f64) {
        if extra_ms > cover_ms + PEAK_MARGIN_MS {
            match &mut self.current {
                Some((_, height)) => *height = height.max(extra_ms),
                None => self.current = Some((now, extra_ms)),
            }
        } else if extra_ms <= cover_ms
            && let Some(peak) = self.current.take()
        {
            if self.peaks.len() == MAX_PEAKS {
                self.peaks.pop_front();
            }
            self.peaks.push_back(peak);
        }
        while self
            .peaks
            .front()
            .is_some_and(|&(at, _)| now.saturating_duration_since(at) > PEAK_MEMORY)
        {
            self.peaks.pop_front();
        }
    }

    /// The height to hold while peaks recur: two or more remembered, and the last no longer
    /// ago than twice the longest gap between them.
    fn hold_ms(&self, now: Instant) -> Option<f64> {
        if self.peaks.len() < 2 {
            return None;
        }
        let mut longest = Duration::ZERO;
        for (a, b) in self.peaks.iter().zip(self.peaks.iter().skip(1)) {
            longest = longest.max(b.0.saturating_duration_since(a.0));
        }
        let last = self
            .current
            .map_or_else(|| self.peaks.back().map(|p| p.0), |c| Some(c.0))?;
        if now.saturating_duration_since(last) > longest * 2 {
            return None;
        }
        self.peaks.iter().map(|p| p.1).reduce(f64::max)
    }
}

/// The jitter buffer.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    config: JitterConfig,
    /// Buffered frames in timestamp order (packets mostly arrive in order: pushed at the back).
    slots: VecDeque<Slot>,
    /// Payload buffers of played frames, reused for the next packets.
    pool: Vec<Vec<u8>>,
    unwrap: Unwrapper,
    /// The unwrapped timestamp the next pop plays; `None` until playout starts.
    playout: Option<i64>,
    /// Periods concealed at the current playout point while nothing newer had arrived.
    held: i64,
    /// First arrival, to start playout once the target delay has passed.
    first_arrival: Option<Instant>,
    /// Relative transit of the last packet (arrival in clock units minus timestamp), for jitter.
    last_transit: Option<i64>,
    /// RFC 3550 interarrival jitter, in clock units ×16 (reported; not used for the target).
    jitter16: i64,
    /// The fastest recent transits.
    fastest: WindowMin,
    /// The fastest transit in the window, in clock units.
    fastest_transit: i64,
    /// The target delay in clock units.
    target_units: i64,
    /// Delay above the fastest recent transit, in 5 ms buckets, with forgetting.
    histogram: ForgettingHistogram,
    /// Recurring delay peaks.
    peaks: PeakDetector,
    /// Pops since the last accelerate.
    since_accelerate: u32,
    base: Option<Instant>,
    /// Timestamps played recently, to tell a duplicate of a played packet from a late one.
    recent: VecDeque<i64>,
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
        let mut buffer = Self {
            config,
            slots: VecDeque::with_capacity(config.max_packets.min(1024) + 1),
            pool: Vec::new(),
            unwrap: Unwrapper::default(),
            playout: None,
            held: 0,
            first_arrival: None,
            last_transit: None,
            jitter16: 0,
            fastest: WindowMin::default(),
            fastest_transit: 0,
            target_units: 0,
            histogram: ForgettingHistogram::new(),
            peaks: PeakDetector::default(),
            since_accelerate: 0,
            base: None,
            recent: VecDeque::with_capacity(RECENT),
            delay_sum: Duration::ZERO,
            stats,
        };
        buffer.target_units = buffer.clock_units(config.min_delay);
        buffer
    }

    /// The statistics so far.
    pub fn stats(&self) -> JitterStats {
        let played = u32::try_from(self.stats.frames_played)
            .unwrap_or(u32::MAX)
            .max(1);
        JitterStats {
            mean_delay: self.delay_sum / played,
            ..self.stats
        }
    }

    /// Packets held.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// RFC 3550 interarrival jitter of the packets pushed so far.
    pub fn interarrival_jitter(&self) -> Duration {
        let units = u64::try_from(self.jitter16 / 16).unwrap_or(0);
        Duration::from_micros(units * 1_000_000 / u64::from(self.config.clock_rate.max(1)))
    }

    /// A duration in clock units, in 64-bit arithmetic (this runs twice a frame).
    fn clock_units(&self, d: Duration) -> i64 {
        let rate = u64::from(self.config.clock_rate);
        let units = d
            .as_secs()
            .saturating_mul(rate)
            .saturating_add(u64::from(d.subsec_nanos()) * rate / 1_000_000_000);
        i64::try_from(units).unwrap_or(i64::MAX)
    }

    fn frame(&self) -> i64 {
        i64::from(self.config.frame_samples.max(1))
    }

    /// Where `ts` is, or would go, in the slots.
    fn find(&self, ts: i64) -> Result<usize, usize> {
        match self.slots.back() {
            None => Err(0),
            Some(last) if last.ts < ts => Err(self.slots.len()),
            Some(_) => self.slots.binary_search_by_key(&ts, |s| s.ts),
        }
    }

    fn recycle(&mut self, payload: Vec<u8>) {
        if self.pool.len() < self.config.max_packets.min(1024) {
            self.pool.push(payload);
        }
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
        let Err(at) = self.find(ts) else {
            // A copy of a packet held says nothing about the network's delay.
            self.stats.duplicates += 1;
            return PushOutcome::Duplicate;
        };
        if let Some(playout) = self.playout
            && ts < playout
        {
            if self.recent.contains(&ts) {
                self.stats.duplicates += 1;
                return PushOutcome::Duplicate;
            }
            // Late packets do tell: they are what the target delay should have covered.
            self.update_jitter(ts, now);
            self.stats.late_losses += 1;
            return PushOutcome::Late;
        }
        self.update_jitter(ts, now);
        self.first_arrival.get_or_insert(now);
        let mut buffer = self.pool.pop().unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(payload);
        self.slots.insert(
            at,
            Slot {
                ts,
                sequence,
                arrival: now,
                payload: buffer,
            },
        );
        while self.slots.len() > self.config.max_packets.max(1) {
            if let Some(old) = self.slots.pop_front() {
                self.recycle(old.payload);
            }
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
        let fastest = self.fastest.push(transit);
        self.fastest_transit = fastest;
        let extra_ms = (transit - fastest) * 1000 / i64::from(self.config.clock_rate.max(1));
        self.histogram
            .add(usize::try_from(extra_ms / BUCKET_MS).unwrap_or(0));
        // The target: the delay above the fastest packet that covers COVER of recent ones, or
        // the height of recurring peaks while they recur.
        let cover_ms = self.histogram.quantile_ms(COVER).max(0.0);
        #[expect(clippy::cast_precision_loss, reason = "ms of delay, far below 2^52")]
        self.peaks.update(now, extra_ms as f64, cover_ms);
        let target_ms = self
            .peaks
            .hold_ms(now)
            .map_or(cover_ms, |h| h.max(cover_ms));
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "at most 1 s in µs"
        )]
        let cover_us = (target_ms.min(1000.0) * 1000.0) as u64;
        let target =
            Duration::from_micros(cover_us).clamp(self.config.min_delay, self.config.max_delay);
        self.stats.target_delay = target;
        self.target_units = self.clock_units(target);
    }

    /// How much later than the fastest recent packet the frame at `playout` may have arrived
    /// and still be played at `now`, in clock units.
    fn budget(&self, playout: i64, now: Instant) -> i64 {
        let Some(base) = self.base else { return 0 };
        let now_units = self.clock_units(now.saturating_duration_since(base));
        now_units - playout - self.fastest_transit
    }

    /// Gives the frame for the period starting at `now`. Each frame's payload is a new
    /// `Vec`; [`JitterBuffer::pop_into`] reuses the caller's buffer instead.
    pub fn pop(&mut self, now: Instant) -> Pop {
        let mut payload = Vec::new();
        match self.pop_into(now, &mut payload) {
            Popped::Waiting => Pop::Waiting,
            Popped::Conceal { timestamp } => Pop::Conceal { timestamp },
            Popped::Frame {
                sequence,
                timestamp,
                delay,
            } => Pop::Frame {
                sequence,
                timestamp,
                payload,
                delay,
            },
        }
    }

    /// Gives the frame for the period starting at `now`, its payload swapped into `payload`
    /// (whose old buffer the jitter buffer keeps for a later packet: no allocation once warm).
    pub fn pop_into(&mut self, now: Instant, payload: &mut Vec<u8>) -> Popped {
        let frame = self.frame();
        let target_units = self.target_units;
        let Some(mut playout) = self.playout else {
            // Start once the first packet has waited the target delay.
            let Some(first) = self.first_arrival else {
                return Popped::Waiting;
            };
            if now.saturating_duration_since(first) < self.stats.target_delay {
                return Popped::Waiting;
            }
            let Some(start) = self.slots.front().map(|s| s.ts) else {
                return Popped::Waiting;
            };
            return self.play(start, now, payload);
        };
        // Drop packets whose time has passed (they arrived, but after their slot was concealed).
        while self.slots.front().is_some_and(|s| s.ts < playout) {
            if let Some(old) = self.slots.pop_front() {
                self.recycle(old.payload);
            }
            self.stats.late_losses += 1;
        }
        let Some(next) = self.slots.front().map(|s| s.ts) else {
            // Nothing newer has arrived: the frame is late, not (yet) lost. Conceal without
            // moving the playout point, so it still plays if it comes (expansion).
            self.held += 1;
            self.stats.frames_concealed += 1;
            return Popped::Conceal {
                timestamp: wire(playout),
            };
        };
        if next > playout && self.held > 0 {
            // Newer frames came but not this one: the periods already concealed stood in for
            // the missing frames, so playout moves past as many of them (a merge, not a
            // second round of concealment).
            let skip = ((next - playout) / frame).min(self.held);
            playout += skip * frame;
            self.playout = Some(playout);
        }
        self.held = 0;
        let present = next == playout;
        // How late a packet may be, above the fastest recent one, and still play now: the
        // control variable. It moves a frame at a time (one period concealed or dropped).
        let budget = self.budget(playout, now);
        self.since_accelerate = self.since_accelerate.saturating_add(1);
        if present
            && budget - frame >= target_units
            && self.since_accelerate >= ACCELERATE_SPACING
            && self.slots.len() > 1
        {
            self.since_accelerate = 0;
            // More waiting than the jitter needs: accelerate by dropping this frame.
            if let Some(old) = self.slots.pop_front() {
                self.recycle(old.payload);
            }
            self.stats.accelerated += 1;
            return self.play(playout + frame, now, payload);
        }
        if present && budget < target_units {
            // Too little: stretch by concealing before this frame.
            self.stats.preemptive_expanded += 1;
            self.stats.frames_concealed += 1;
            return Popped::Conceal {
                timestamp: wire(playout),
            };
        }
        self.play(playout, now, payload)
    }

    fn play(&mut self, ts: i64, now: Instant, payload: &mut Vec<u8>) -> Popped {
        self.playout = Some(ts + self.frame());
        if self.slots.front().is_none_or(|s| s.ts != ts) {
            self.stats.frames_concealed += 1;
            return Popped::Conceal {
                timestamp: wire(ts),
            };
        }
        let Some(mut slot) = self.slots.pop_front() else {
            return Popped::Waiting;
        };
        std::mem::swap(payload, &mut slot.payload);
        self.recycle(slot.payload);
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(ts);
        let delay = now.saturating_duration_since(slot.arrival);
        self.stats.frames_played += 1;
        self.delay_sum += delay;
        self.stats.current_delay = delay;
        Popped::Frame {
            sequence: slot.sequence,
            timestamp: wire(ts),
            delay,
        }
    }
}
