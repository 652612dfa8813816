//! Seeded packet traces for the jitter-buffer comparison, and a runner that plays one through
//! sambung-media's buffer and through speexdsp's on the same 20 ms clock, reporting what
//! `examples/jitter-sim` reports.

use std::time::{Duration, Instant};

use sambung_media::jitter::{JitterBuffer, JitterConfig, Popped};

use crate::cpeers::{SPEEX_MAX_PAYLOAD, SpeexGet, SpeexJitter};

/// One packet's arrival.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    /// Arrival time in ms from the start.
    pub at_ms: f64,
    /// RTP sequence number.
    pub seq: u16,
    /// RTP timestamp (8 kHz, 160 a packet).
    pub timestamp: u32,
}

/// A simulated network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Network {
    /// Short name for reports.
    pub name: &'static str,
    /// Delay varies uniformly over this many ms above a 40 ms base.
    pub jitter_ms: f64,
    /// Probability a packet is lost on its own.
    pub loss: f64,
    /// Probability a loss burst starts (each further packet lost with probability 0.7).
    pub burst: f64,
    /// Every 10 s, 1 s of packets delayed this many ms more.
    pub spike_ms: f64,
    /// Sender clock rate over the receiver's (1.005 = sender 0.5% fast).
    pub drift: f64,
}

/// The networks of the comparison.
pub const NETWORKS: &[Network] = &[
    Network {
        name: "clean",
        jitter_ms: 5.0,
        loss: 0.0,
        burst: 0.0,
        spike_ms: 0.0,
        drift: 1.0,
    },
    Network {
        name: "jitter60",
        jitter_ms: 60.0,
        loss: 0.0,
        burst: 0.0,
        spike_ms: 0.0,
        drift: 1.0,
    },
    Network {
        name: "loss5_jitter30",
        jitter_ms: 30.0,
        loss: 0.05,
        burst: 0.0,
        spike_ms: 0.0,
        drift: 1.0,
    },
    Network {
        name: "bursts_jitter20",
        jitter_ms: 20.0,
        loss: 0.0,
        burst: 0.01,
        spike_ms: 0.0,
        drift: 1.0,
    },
    Network {
        name: "spikes200",
        jitter_ms: 20.0,
        loss: 0.0,
        burst: 0.0,
        spike_ms: 200.0,
        drift: 1.0,
    },
    Network {
        name: "drift+0.5%",
        jitter_ms: 20.0,
        loss: 0.0,
        burst: 0.0,
        spike_ms: 0.0,
        drift: 1.005,
    },
    Network {
        name: "drift-0.5%",
        jitter_ms: 20.0,
        loss: 0.0,
        burst: 0.0,
        spike_ms: 0.0,
        drift: 0.995,
    },
];

/// splitmix64: small, seeded, the same everywhere.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        #[expect(clippy::cast_precision_loss, reason = "53 random bits to a unit float")]
        let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
        unit
    }
}

/// `packets` 20 ms packets sent through `net`, sorted by arrival.
pub fn trace(net: &Network, seed: u64, packets: u32) -> Vec<Arrival> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(packets as usize);
    let mut in_burst = false;
    for i in 0..packets {
        in_burst = if in_burst {
            rng.unit() < 0.7
        } else {
            rng.unit() < net.burst
        };
        let lost_alone = rng.unit() < net.loss;
        let jitter = rng.unit() * net.jitter_ms;
        if in_burst || lost_alone {
            continue;
        }
        let sent = f64::from(i) * 20.0 / net.drift;
        let spike = if i % 500 < 50 { net.spike_ms } else { 0.0 };
        #[expect(
            clippy::cast_possible_truncation,
            reason = "sequence numbers wrap by design"
        )]
        let seq = 1000u16.wrapping_add(i as u16);
        out.push(Arrival {
            at_ms: sent + 40.0 + jitter + spike,
            seq,
            timestamp: 4_000_000_000u32.wrapping_add(i.wrapping_mul(160)),
        });
    }
    out.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
    out
}

/// What one buffer did with one trace (the fields of `examples/jitter-sim`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Playout {
    /// Frames played from packets.
    pub frames_played: u64,
    /// Frames concealed between the first and the last played one.
    pub frames_concealed: u64,
    /// Mean buffering delay of the played frames, ms.
    pub mean_delay_ms: f64,
}

impl Playout {
    /// Concealed frames as a share of the frames between the first and last played ones.
    pub fn concealed_share(&self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
        let share = self.frames_concealed as f64
            / (self.frames_played + self.frames_concealed).max(1) as f64;
        share
    }
}

fn ms(d: f64) -> Duration {
    Duration::from_secs_f64(d.max(0.0) / 1000.0)
}

/// Concealments counted only between the first and last played frames.
#[derive(Debug, Default)]
struct Counter {
    played: u64,
    concealed_total: u64,
    concealed_at_last_play: u64,
    delay_sum_ms: f64,
}

impl Counter {
    fn play(&mut self, delay_ms: f64) {
        self.played += 1;
        self.delay_sum_ms += delay_ms;
        self.concealed_at_last_play = self.concealed_total;
    }
    fn conceal(&mut self) {
        if self.played > 0 {
            self.concealed_total += 1;
        }
    }
    fn finish(self) -> Playout {
        #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
        let mean = self.delay_sum_ms / self.played.max(1) as f64;
        Playout {
            frames_played: self.played,
            frames_concealed: self.concealed_at_last_play,
            mean_delay_ms: mean,
        }
    }
}

/// Plays `arrivals` through sambung-media's jitter buffer on a 20 ms clock.
pub fn run_sambung(arrivals: &[Arrival]) -> Playout {
    let t0 = base_instant();
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let mut counter = Counter::default();
    let payload = [0xD5u8; 160];
    let mut frame = Vec::new();
    let mut next = 0;
    let end = arrivals.last().map_or(0.0, |a| a.at_ms) + 1000.0;
    let mut tick = 0.0;
    while tick < end {
        while let Some(a) = arrivals.get(next) {
            if a.at_ms > tick {
                break;
            }
            jb.push(a.seq, a.timestamp, &payload, t0 + ms(a.at_ms));
            next += 1;
        }
        match jb.pop_into(t0 + ms(tick), &mut frame) {
            Popped::Frame { delay, .. } => counter.play(delay.as_secs_f64() * 1000.0),
            Popped::Conceal { .. } => counter.conceal(),
            Popped::Waiting => {}
        }
        tick += 20.0;
    }
    counter.finish()
}

/// Plays `arrivals` through speexdsp's jitter buffer on the same clock: packets that arrived
/// by a tick are put, then `get` and `tick`. The arrival time rides in `user_data` (µs).
pub fn run_speex(arrivals: &[Arrival]) -> Option<Playout> {
    let mut jb = SpeexJitter::new(160)?;
    let mut counter = Counter::default();
    let payload = [0xD5u8; 160];
    let mut out = [0u8; SPEEX_MAX_PAYLOAD];
    let mut next = 0;
    let end = arrivals.last().map_or(0.0, |a| a.at_ms) + 1000.0;
    let mut tick = 0.0;
    while tick < end {
        while let Some(a) = arrivals.get(next) {
            if a.at_ms > tick {
                break;
            }
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "arrival µs of a trace of minutes fits u32"
            )]
            let us = (a.at_ms * 1000.0) as u32;
            jb.put(a.seq, a.timestamp, &payload, us);
            next += 1;
        }
        match jb.get_and_tick(&mut out) {
            SpeexGet::Packet { user_data, .. } => {
                counter.play(tick - f64::from(user_data) / 1000.0);
            }
            SpeexGet::Missing => counter.conceal(),
        }
        tick += 20.0;
    }
    Some(counter.finish())
}

/// One real instant as the base of simulated time.
fn base_instant() -> Instant {
    Instant::now()
}
