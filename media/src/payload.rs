//! Payload-type maps (RFC 3551 §6 static types, and the `a=rtpmap` lines of an SDP): which
//! encoding each RTP payload type number means on one call leg.
//!
//! ```
//! use sambung_media::payload::PayloadMap;
//! use sambung_media::relay::Encoding;
//! let mut map = PayloadMap::with_static();
//! map.insert_rtpmap("111 opus/48000/2")?;
//! map.insert_rtpmap("101 telephone-event/8000")?;
//! assert_eq!(map.encoding(0), Some(Encoding::Pcmu));
//! assert_eq!(map.encoding(111), Some(Encoding::Opus));
//! assert_eq!(map.telephone_event(8000), Some(101));
//! assert_eq!(map.get(111).map(|p| p.clock_rate), Some(48_000));
//! # Ok::<(), sambung_media::payload::PayloadError>(())
//! ```

use crate::relay::Encoding;

/// Why an `rtpmap` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not `<pt> <name>/<rate>[/<channels>]`.
    #[error("malformed rtpmap {0:?}")]
    Malformed(String),
    /// A payload type above 127.
    #[error("payload type {0} is not 0–127")]
    OutOfRange(u32),
}

/// One payload type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadType {
    /// Its number.
    pub number: u8,
    /// The encoding name as SDP writes it (`PCMU`, `opus`, `telephone-event`).
    pub name: String,
    /// The RTP clock rate.
    pub clock_rate: u32,
    /// Channels (1 unless the rtpmap says).
    pub channels: u8,
}

/// Payload types 0–127 for one leg.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayloadMap {
    entries: Vec<PayloadType>,
}

/// RFC 3551 Table 4's static audio types that a telephony leg may meet.
const STATIC: &[(u8, &str, u32)] = &[
    (0, "PCMU", 8000),
    (3, "GSM", 8000),
    (4, "G723", 8000),
    (8, "PCMA", 8000),
    (9, "G722", 8000),
    (13, "CN", 8000),
    (18, "G729", 8000),
];

/// Most entries one map holds: the dynamic range is 96–127, and a leg lists far fewer.
const MAX_ENTRIES: usize = 128;

impl PayloadMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The static types of RFC 3551.
    pub fn with_static() -> Self {
        let mut map = Self::new();
        for &(number, name, clock_rate) in STATIC {
            map.insert(PayloadType {
                number,
                name: name.to_owned(),
                clock_rate,
                channels: 1,
            });
        }
        map
    }

    /// Adds or replaces a payload type.
    pub fn insert(&mut self, payload: PayloadType) {
        if let Some(slot) = self.entries.iter_mut().find(|p| p.number == payload.number) {
            *slot = payload;
        } else if self.entries.len() < MAX_ENTRIES {
            self.entries.push(payload);
        }
    }

    /// Adds the payload type of an `a=rtpmap` value: `<pt> <name>/<rate>[/<channels>]`.
    pub fn insert_rtpmap(&mut self, value: &str) -> Result<(), PayloadError> {
        let malformed = || PayloadError::Malformed(value.chars().take(80).collect());
        let (number, rest) = value.trim().split_once(' ').ok_or_else(malformed)?;
        let number: u32 = number.parse().map_err(|_| malformed())?;
        let number = u8::try_from(number)
            .ok()
            .filter(|n| *n <= 127)
            .ok_or(PayloadError::OutOfRange(number))?;
        let mut parts = rest.trim().split('/');
        let name = parts
            .next()
            .filter(|n| !n.is_empty())
            .ok_or_else(malformed)?;
        let clock_rate = parts
            .next()
            .and_then(|r| r.parse::<u32>().ok())
            .filter(|r| *r > 0)
            .ok_or_else(malformed)?;
        let channels = match parts.next() {
            None => 1,
            Some(c) => c
                .parse::<u8>()
                .ok()
                .filter(|c| *c > 0)
                .ok_or_else(malformed)?,
        };
        if parts.next().is_some() {
            return Err(malformed());
        }
        self.insert(PayloadType {
            number,
            name: name.to_owned(),
            clock_rate,
            channels,
        });
        Ok(())
    }

    /// The payload type with this number.
    pub fn get(&self, number: u8) -> Option<&PayloadType> {
        self.entries.iter().find(|p| p.number == number)
    }

    /// The encoding a payload type carries, in the relay's terms (`None` when unknown, or
    /// for telephone-events and comfort noise, which are not audio encodings).
    pub fn encoding(&self, number: u8) -> Option<Encoding> {
        let p = self.get(number)?;
        let name = p.name.to_ascii_lowercase();
        match (name.as_str(), p.clock_rate) {
            ("pcmu", 8000) => Some(Encoding::Pcmu),
            ("pcma", 8000) => Some(Encoding::Pcma),
            ("opus", 48_000) => Some(Encoding::Opus),
            ("telephone-event" | "cn", _) => None,
            _ => Some(Encoding::Other(name.bytes().fold(p.clock_rate, |h, b| {
                h.wrapping_mul(31).wrapping_add(u32::from(b))
            }))),
        }
    }

    /// The telephone-event (RFC 4733) payload type at this clock rate, if any.
    pub fn telephone_event(&self, clock_rate: u32) -> Option<u8> {
        self.entries
            .iter()
            .find(|p| p.clock_rate == clock_rate && p.name.eq_ignore_ascii_case("telephone-event"))
            .map(|p| p.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtpmap_lines_parse_and_junk_is_refused() {
        let mut map = PayloadMap::new();
        map.insert_rtpmap("96 G722/8000").unwrap();
        map.insert_rtpmap("97 L16/16000/2").unwrap();
        assert_eq!(
            map.get(97).map(|p| (p.clock_rate, p.channels)),
            Some((16_000, 2))
        );
        for junk in [
            "",
            "x PCMU/8000",
            "200 PCMU/8000",
            "96",
            "96 /8000",
            "96 PCMU",
            "96 PCMU/0",
            "96 a/8000/2/9",
        ] {
            assert!(map.insert_rtpmap(junk).is_err(), "{junk:?}");
        }
        assert_eq!(
            map.insert_rtpmap("128 x/8000"),
            Err(PayloadError::OutOfRange(128))
        );
        // A later line replaces an earlier one for the same number.
        map.insert_rtpmap("96 PCMA/8000").unwrap();
        assert_eq!(map.encoding(96), Some(Encoding::Pcma));
    }

    #[test]
    fn encodings_follow_names_and_rates() {
        let mut map = PayloadMap::with_static();
        map.insert_rtpmap("101 telephone-event/8000").unwrap();
        map.insert_rtpmap("102 telephone-event/48000").unwrap();
        assert_eq!(map.encoding(8), Some(Encoding::Pcma));
        assert_eq!(map.encoding(101), None);
        assert_eq!(map.encoding(13), None);
        assert_eq!(map.telephone_event(48_000), Some(102));
        // The same other encoding on two legs compares equal, so it can pass through.
        let other = PayloadMap::with_static();
        assert_eq!(map.encoding(9), other.encoding(9));
        assert_ne!(map.encoding(9), map.encoding(18));
        assert_eq!(map.encoding(77), None);
    }

    #[test]
    fn a_map_never_grows_past_its_bound() {
        let mut map = PayloadMap::new();
        for i in 0..10_000u32 {
            let _ = map.insert_rtpmap(&format!("{} X{i}/8000", i % 128));
        }
        assert!(map.entries.len() <= MAX_ENTRIES);
    }
}
