//! DTMF three ways. RFC 4733 telephone-events: the payload read and written, and a receiver
//! that turns a stream of event packets (start, updates, three redundant ends) into digits once
//! each. In-band: [`generate`] synthesises the tone pairs, and [`InbandDetector`] finds them in
//! decoded audio with the Goertzel algorithm and ITU-T Q.24's level and twist limits. SIP INFO
//! bodies (`application/dtmf-relay`): [`parse_dtmf_relay`].

use crate::tones::{Oscillator, dbm0_peak, to_i16};

/// Why a payload is not a telephone-event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// Fewer than four bytes.
    #[error("telephone-event payload of {0} bytes; at least 4 needed")]
    Truncated(usize),
}

/// One telephone-event (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code: 0–9 digits, 10 `*`, 11 `#`, 12–15 A–D, 16 flash.
    pub event: u8,
    /// The end bit.
    pub end: bool,
    /// Volume in −dBm0 (0–63).
    pub volume: u8,
    /// Duration so far, in RTP timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Reads the first event block of a payload.
    pub fn parse(payload: &[u8]) -> Result<Self, EventError> {
        let [event, flags, d0, d1, ..] = *payload else {
            return Err(EventError::Truncated(payload.len()));
        };
        Ok(Self {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    /// The four payload bytes.
    pub fn to_bytes(&self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }

    /// The key the event stands for, if it is a DTMF key.
    pub fn digit(&self) -> Option<char> {
        event_digit(self.event)
    }
}

/// The key for an event code.
pub fn event_digit(event: u8) -> Option<char> {
    match event {
        0..=9 => Some(char::from(b'0' + event)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + event - 12)),
        _ => None,
    }
}

/// The event code for a key (`0`–`9`, `*`, `#`, `A`–`D`).
pub fn digit_event(digit: char) -> Option<u8> {
    match digit {
        '0'..='9' => Some(digit as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(digit as u8 - b'A' + 12),
        'a'..='d' => Some(digit as u8 - b'a' + 12),
        _ => None,
    }
}

/// A key press recovered from telephone-events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digit {
    /// The key.
    pub digit: char,
    /// RTP timestamp of the event's start.
    pub timestamp: u32,
    /// Duration in RTP timestamp units (from the end packet, or the last update seen).
    pub duration: u16,
}

/// Turns telephone-event packets into digits, each once: an event is identified by its RTP
/// timestamp, so updates and the redundant end packets of one press yield one digit.
#[derive(Debug, Clone, Default)]
pub struct EventReceiver {
    current: Option<(u32, TelephoneEvent)>,
    last_reported: Option<u32>,
}

impl EventReceiver {
    /// A receiver with nothing seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one event packet's RTP timestamp and payload; returns a digit when a press is
    /// complete (its end seen, or a new press started before its end arrived).
    pub fn push(&mut self, timestamp: u32, event: TelephoneEvent) -> Option<Digit> {
        if self.last_reported == Some(timestamp) {
            return None; // A redundant end packet of a press already reported.
        }
        let mut finished = None;
        if let Some((ts, previous)) = self.current
            && ts != timestamp
        {
            // A new press began while the previous one's end packets were lost.
            finished = self.report(ts, previous);
        }
        if event.end {
            self.current = None;
            return self.report(timestamp, event).or(finished);
        }
        self.current = Some((timestamp, event));
        finished
    }

    /// Reports a press still open (its end packets lost), at the end of a stream.
    pub fn finish(&mut self) -> Option<Digit> {
        let (ts, event) = self.current.take()?;
        self.report(ts, event)
    }

    fn report(&mut self, timestamp: u32, event: TelephoneEvent) -> Option<Digit> {
        self.last_reported = Some(timestamp);
        Some(Digit {
            digit: event.digit()?,
            timestamp,
            duration: event.duration,
        })
    }
}

/// Low-group (row) frequencies in Hz.
pub const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
/// High-group (column) frequencies in Hz.
pub const COLUMNS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// The keypad, row by row.
const KEYPAD: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// The (row, column) frequencies of a key.
pub fn key_frequencies(digit: char) -> Option<(f64, f64)> {
    let digit = digit.to_ascii_uppercase();
    KEYPAD.iter().enumerate().find_map(|(r, row)| {
        row.iter()
            .position(|&k| k == digit)
            .map(|c| (ROWS[r], COLUMNS[c]))
    })
}

/// Synthesises `duration_ms` of a key's tone pair at `sample_rate` (low group at −10 dBm0,
/// high group at −8 dBm0, a 2 dB forward twist as telephones send); `None` for a non-key.
pub fn generate(digit: char, duration_ms: u32, sample_rate: u32) -> Option<Vec<i16>> {
    let (low, high) = key_frequencies(digit)?;
    let mut a = Oscillator::new(low, sample_rate, dbm0_peak(-10.0));
    let mut b = Oscillator::new(high, sample_rate, dbm0_peak(-8.0));
    let n = u64::from(duration_ms) * u64::from(sample_rate) / 1000;
    Some(
        (0..n)
            .map(|_| to_i16(a.next_sample() + b.next_sample()))
            .collect(),
    )
}

/// Goertzel block length at 8 kHz: 205 samples (25.6 ms), the classic choice that puts every
/// DTMF frequency near a bin centre.
pub const BLOCK: usize = 205;

/// Weakest tone accepted, per frequency, in dBm0 (Q.24 requires operation down to about
/// −25 dBm0 per frequency; below −30 is treated as silence).
const MIN_LEVEL_DBM0: f64 = -30.0;
/// Q.24 twist limits: the high group may be up to 8 dB above the low (forward twist), the low
/// up to 4 dB above the high (reverse twist).
const MAX_FORWARD_TWIST_DB: f64 = 8.0;
const MAX_REVERSE_TWIST_DB: f64 = 4.0;
/// The winning frequency in each group must beat the others in its group by this much.
const GROUP_MARGIN_DB: f64 = 6.0;
/// The two tones must carry this share of the block's energy (rejects speech and noise).
const MIN_TONE_SHARE: f64 = 0.6;

/// Finds DTMF keys in 8 kHz audio: feed it samples in any chunks; each key is reported once,
/// when it has been present for two blocks (51 ms, above Q.24's 40 ms minimum) and not before
/// a gap of at least one block.
#[derive(Debug, Clone)]
pub struct InbandDetector {
    block: Vec<f64>,
    coefficients: [f64; 8],
    previous: Option<char>,
    reported: Option<char>,
    samples_seen: u64,
}

impl Default for InbandDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl InbandDetector {
    /// A detector for 8 kHz audio.
    pub fn new() -> Self {
        let mut coefficients = [0.0; 8];
        for (i, f) in ROWS.iter().chain(COLUMNS.iter()).enumerate() {
            #[expect(clippy::cast_precision_loss, reason = "BLOCK is 205")]
            let k = (BLOCK as f64 * f / 8000.0).round();
            #[expect(clippy::cast_precision_loss, reason = "BLOCK is 205")]
            let w = std::f64::consts::TAU * k / BLOCK as f64;
            coefficients[i] = 2.0 * w.cos();
        }
        Self {
            block: Vec::with_capacity(BLOCK),
            coefficients,
            previous: None,
            reported: None,
            samples_seen: 0,
        }
    }

    /// Takes samples; returns the keys that became certain, with the sample index at which
    /// each was confirmed.
    pub fn push(&mut self, samples: &[i16]) -> Vec<(char, u64)> {
        let mut found = Vec::new();
        for &s in samples {
            self.block.push(f64::from(s));
            self.samples_seen += 1;
            if self.block.len() == BLOCK {
                let key = self.classify();
                self.block.clear();
                match key {
                    Some(k) if self.previous == Some(k) && self.reported != Some(k) => {
                        self.reported = Some(k);
                        found.push((k, self.samples_seen));
                    }
                    None => self.reported = None,
                    _ => {}
                }
                self.previous = key;
            }
        }
        found
    }

    /// The key in the current block, if one is there.
    fn classify(&self) -> Option<char> {
        let mut power = [0.0f64; 8];
        for (p, &coefficient) in power.iter_mut().zip(&self.coefficients) {
            let (mut s1, mut s2) = (0.0, 0.0);
            for &x in &self.block {
                let s0 = x + coefficient * s1 - s2;
                s2 = s1;
                s1 = s0;
            }
            *p = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
        }
        let total: f64 = self.block.iter().map(|x| x * x).sum();
        let (rows, columns) = power.split_at(4);
        let best = |group: &[f64]| {
            let (i, &p) = group.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
            let runner_up = group
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, &q)| q)
                .fold(0.0, f64::max);
            Some((i, p, runner_up))
        };
        let (r, row_power, row_next) = best(rows)?;
        let (c, column_power, column_next) = best(columns)?;
        // Goertzel power of a sine of peak A over N samples is (A·N/2)²; convert to a peak.
        #[expect(clippy::cast_precision_loss, reason = "BLOCK is 205")]
        let n = BLOCK as f64;
        let peak = |p: f64| 2.0 * p.sqrt() / n;
        let min_peak = dbm0_peak(MIN_LEVEL_DBM0);
        if peak(row_power) < min_peak || peak(column_power) < min_peak {
            return None;
        }
        let db = |a: f64, b: f64| 10.0 * (a / b.max(f64::MIN_POSITIVE)).log10();
        let twist = db(column_power, row_power);
        if twist > MAX_FORWARD_TWIST_DB || -twist > MAX_REVERSE_TWIST_DB {
            return None;
        }
        if db(row_power, row_next) < GROUP_MARGIN_DB
            || db(column_power, column_next) < GROUP_MARGIN_DB
        {
            return None;
        }
        // Each tone's energy over the block is (A²/2)·N; compare with the block's energy.
        let tone_energy = (peak(row_power).powi(2) + peak(column_power).powi(2)) / 2.0 * n;
        if tone_energy < MIN_TONE_SHARE * total {
            return None;
        }
        Some(KEYPAD[r][c])
    }
}

/// Parses a SIP INFO `application/dtmf-relay` body (`Signal=5\r\nDuration=160`): the key and
/// the duration in milliseconds, if given.
pub fn parse_dtmf_relay(body: &str) -> Option<(char, Option<u32>)> {
    let mut signal = None;
    let mut duration = None;
    for line in body.lines() {
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "signal" => {
                let mut chars = value.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    // Some phones send the event number ("Signal=11" for '#').
                    signal = value.parse::<u8>().ok().and_then(event_digit);
                } else {
                    signal = digit_event(c).and_then(event_digit);
                }
            }
            "duration" => duration = value.parse().ok(),
            _ => {}
        }
    }
    signal.map(|s| (s, duration))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: u8, end: bool, duration: u16) -> TelephoneEvent {
        TelephoneEvent {
            event,
            end,
            volume: 10,
            duration,
        }
    }

    #[test]
    fn payload_round_trip() {
        let e = ev(11, true, 800);
        assert_eq!(TelephoneEvent::parse(&e.to_bytes()), Ok(e));
        assert_eq!(
            TelephoneEvent::parse(&[1, 2]),
            Err(EventError::Truncated(2))
        );
        assert_eq!(e.digit(), Some('#'));
        for d in "0123456789*#ABCD".chars() {
            assert_eq!(digit_event(d).and_then(event_digit), Some(d));
        }
        assert_eq!(event_digit(16), None);
    }

    #[test]
    fn inband_keys_are_detected_once() {
        for key in "0123456789*#ABCD".chars() {
            let mut audio = generate(key, 100, 8000).unwrap();
            audio.extend(std::iter::repeat_n(0, 800));
            audio.extend(generate(key, 100, 8000).unwrap());
            let mut d = InbandDetector::new();
            let found: String = d.push(&audio).into_iter().map(|(k, _)| k).collect();
            assert_eq!(found, format!("{key}{key}"), "{key}");
        }
    }

    #[test]
    fn too_short_too_weak_or_too_twisted_is_not_a_key() {
        let mut d = InbandDetector::new();
        assert!(
            d.push(&generate('5', 30, 8000).unwrap()).is_empty(),
            "30 ms is too short"
        );
        let quiet: Vec<i16> = generate('5', 200, 8000)
            .unwrap()
            .iter()
            .map(|s| s / 100)
            .collect();
        assert!(
            InbandDetector::new().push(&quiet).is_empty(),
            "−50 dBm0 is too quiet"
        );
        // One tone alone is not a key.
        let mut osc = Oscillator::new(770.0, 8000, 8000.0);
        let single: Vec<i16> = (0..1600).map(|_| to_i16(osc.next_sample())).collect();
        assert!(InbandDetector::new().push(&single).is_empty());
    }

    #[test]
    fn sip_info_bodies() {
        assert_eq!(
            parse_dtmf_relay("Signal=5\r\nDuration=160\r\n"),
            Some(('5', Some(160)))
        );
        assert_eq!(
            parse_dtmf_relay("Signal= #\nDuration= 250"),
            Some(('#', Some(250)))
        );
        assert_eq!(parse_dtmf_relay("Signal=11\r\n"), Some(('#', None)));
        assert_eq!(parse_dtmf_relay("Signal=x"), None);
        assert_eq!(parse_dtmf_relay(""), None);
    }

    #[test]
    fn one_digit_per_press_despite_redundant_ends() {
        let mut r = EventReceiver::new();
        assert_eq!(r.push(1000, ev(5, false, 160)), None);
        assert_eq!(r.push(1000, ev(5, false, 320)), None);
        let d = r.push(1000, ev(5, true, 480)).unwrap();
        assert_eq!((d.digit, d.duration), ('5', 480));
        assert_eq!(r.push(1000, ev(5, true, 480)), None);
        assert_eq!(r.push(1000, ev(5, true, 480)), None);
        // Ends lost: the next press reports the previous one.
        assert_eq!(r.push(2000, ev(1, false, 160)), None);
        assert_eq!(r.push(3000, ev(2, false, 160)).map(|d| d.digit), Some('1'));
        assert_eq!(r.finish().map(|d| d.digit), Some('2'));
        assert_eq!(r.finish(), None);
    }
}
