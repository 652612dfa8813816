//! Call-progress tones with Indonesian cadences, and sine synthesis shared with DTMF.
//!
//! Indonesia uses 425 Hz for its call-progress tones (ITU-T E.180 Supplement 2): dial tone
//! continuous; ringback 1 s on, 4 s off; busy 0.5 s on, 0.5 s off; congestion 0.25 s on,
//! 0.25 s off; call waiting 0.15 s on, 10 s off.

use std::f64::consts::TAU;

/// A tone and its cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ToneKind {
    /// Continuous 425 Hz.
    Dial,
    /// 425 Hz, 1 s on, 4 s off.
    Ringback,
    /// 425 Hz, 0.5 s on, 0.5 s off.
    Busy,
    /// 425 Hz, 0.25 s on, 0.25 s off.
    Congestion,
    /// 425 Hz, 0.15 s on, 10 s off.
    CallWaiting,
}

impl ToneKind {
    /// (on, off) in milliseconds; off = 0 for a continuous tone.
    pub fn cadence_ms(self) -> (u32, u32) {
        match self {
            Self::Dial => (1000, 0),
            Self::Ringback => (1000, 4000),
            Self::Busy => (500, 500),
            Self::Congestion => (250, 250),
            Self::CallWaiting => (150, 10_000),
        }
    }

    /// The frequency in Hz.
    pub fn frequency(self) -> f64 {
        425.0
    }
}

/// Peak of a sine at `dbm0` on the 16-bit scale, where G.711's largest value (±32,124) is a
/// +3.17 dBm0 sine (ITU-T G.711).
pub fn dbm0_peak(dbm0: f64) -> f64 {
    32_124.0 * 10f64.powf((dbm0 - 3.17) / 20.0)
}

/// Call-progress tones are sent at −13 dBm0.
pub const TONE_DBM0: f64 = -13.0;

/// A phase-continuous sine oscillator.
#[derive(Debug, Clone, Copy)]
pub struct Oscillator {
    phase: f64,
    step: f64,
    amplitude: f64,
}

impl Oscillator {
    /// A sine at `frequency` Hz for `sample_rate`, with peak `amplitude`.
    pub fn new(frequency: f64, sample_rate: u32, amplitude: f64) -> Self {
        Self {
            phase: 0.0,
            step: TAU * frequency / f64::from(sample_rate.max(1)),
            amplitude,
        }
    }

    /// The next sample.
    pub fn next_sample(&mut self) -> f64 {
        let v = self.phase.sin() * self.amplitude;
        self.phase = (self.phase + self.step) % TAU;
        v
    }
}

/// Saturates a sample to 16 bits.
pub fn to_i16(v: f64) -> i16 {
    // Clamped first, so the cast cannot overflow.
    #[expect(clippy::cast_possible_truncation, reason = "clamped to the i16 range")]
    let s = v.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16;
    s
}

/// Generates a call-progress tone, sample by sample, with its cadence.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    kind: ToneKind,
    osc: Oscillator,
    on: u64,
    period: u64,
    position: u64,
}

impl ToneGenerator {
    /// A generator for `kind` at `sample_rate`.
    pub fn new(kind: ToneKind, sample_rate: u32) -> Self {
        let (on_ms, off_ms) = kind.cadence_ms();
        let per_ms = u64::from(sample_rate) / 1000;
        Self {
            kind,
            osc: Oscillator::new(kind.frequency(), sample_rate, dbm0_peak(TONE_DBM0)),
            on: u64::from(on_ms) * per_ms,
            period: u64::from(on_ms + off_ms) * per_ms,
            position: 0,
        }
    }

    /// Which tone.
    pub fn kind(&self) -> ToneKind {
        self.kind
    }

    /// Fills `out` with the next samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        for s in out {
            let sounding = self.period == self.on || self.position % self.period.max(1) < self.on;
            let v = self.osc.next_sample();
            *s = if sounding { to_i16(v) } else { 0 };
            self.position += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_off(kind: ToneKind, seconds: u32) -> Vec<bool> {
        let mut g = ToneGenerator::new(kind, 8000);
        let mut buf = vec![0i16; 8000 * seconds as usize];
        g.fill(&mut buf);
        // One flag per 10 ms: any energy in it.
        buf.chunks(80).map(|c| c.iter().any(|&s| s != 0)).collect()
    }

    #[test]
    fn indonesian_cadences() {
        let busy = on_off(ToneKind::Busy, 2);
        assert!(
            busy[..50].iter().all(|&b| b)
                && busy[50..100].iter().all(|&b| !b)
                && busy[100..150].iter().all(|&b| b)
        );
        let ring = on_off(ToneKind::Ringback, 6);
        assert!(
            ring[..100].iter().all(|&b| b)
                && ring[100..500].iter().all(|&b| !b)
                && ring[500..600].iter().all(|&b| b)
        );
        assert!(on_off(ToneKind::Dial, 3).iter().all(|&b| b));
        let cong = on_off(ToneKind::Congestion, 1);
        assert!(cong[..25].iter().all(|&b| b) && cong[25..50].iter().all(|&b| !b));
    }

    #[test]
    fn the_tone_is_425_hz() {
        let mut g = ToneGenerator::new(ToneKind::Dial, 8000);
        let mut buf = vec![0i16; 8000];
        g.fill(&mut buf);
        let crossings = buf.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
        assert!(
            (848..=852).contains(&crossings),
            "{crossings} zero crossings in 1 s"
        );
    }
}
