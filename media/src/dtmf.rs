//! DTMF as RFC 4733 telephone-events: the payload read and written, and a receiver that turns
//! a stream of event packets (start, updates, three redundant ends) into digits once each.

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
