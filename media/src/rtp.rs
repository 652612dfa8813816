//! RTP packets (RFC 3550 §5.1): read without copying, written into a caller's buffer, with
//! wrap-aware sequence and timestamp arithmetic (RFC 3550 Appendix A.1).
//!
//! Written here rather than with `rtp-rs`: that crate is unmaintained since 2024, and the
//! header is twelve bytes whose every field we need checked and typed our way.

/// Why bytes are not an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    /// Shorter than the fixed header, the CSRC list or the extension it announces.
    #[error("RTP packet of {len} bytes is shorter than the {needed} its header announces")]
    Truncated {
        /// The packet's length.
        len: usize,
        /// The length its header needs.
        needed: usize,
    },
    /// The version field is not 2.
    #[error("RTP version {0}, expected 2")]
    BadVersion(u8),
    /// The padding count is zero or larger than the payload.
    #[error("RTP padding of {padding} bytes does not fit a {payload}-byte payload")]
    BadPadding {
        /// The padding count from the last byte.
        padding: u8,
        /// The payload length before padding was removed.
        payload: usize,
    },
}

/// An RTP packet borrowed from a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// Marker bit.
    pub marker: bool,
    /// Payload type, 0–127.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    csrcs: &'a [u8],
    extension: Option<(u16, &'a [u8])>,
    /// The payload, padding removed.
    pub payload: &'a [u8],
}

/// Size of the fixed header.
pub const HEADER_LEN: usize = 12;

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl<'a> RtpPacket<'a> {
    /// Parses a datagram.
    pub fn parse(data: &'a [u8]) -> Result<Self, RtpError> {
        let truncated = |needed| RtpError::Truncated {
            len: data.len(),
            needed,
        };
        if data.len() < HEADER_LEN {
            return Err(truncated(HEADER_LEN));
        }
        let version = data[0] >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion(version));
        }
        let has_padding = data[0] & 0x20 != 0;
        let has_extension = data[0] & 0x10 != 0;
        let csrc_count = usize::from(data[0] & 0x0F);
        let mut offset = HEADER_LEN + 4 * csrc_count;
        if data.len() < offset {
            return Err(truncated(offset));
        }
        let csrcs = &data[HEADER_LEN..offset];
        let extension = if has_extension {
            if data.len() < offset + 4 {
                return Err(truncated(offset + 4));
            }
            let profile = be16(data, offset);
            let words = usize::from(be16(data, offset + 2));
            let end = offset + 4 + 4 * words;
            if data.len() < end {
                return Err(truncated(end));
            }
            let ext = &data[offset + 4..end];
            offset = end;
            Some((profile, ext))
        } else {
            None
        };
        let mut payload = &data[offset..];
        if has_padding {
            let padding = payload.last().copied().unwrap_or(0);
            if padding == 0 || usize::from(padding) > payload.len() {
                return Err(RtpError::BadPadding {
                    padding,
                    payload: payload.len(),
                });
            }
            payload = &payload[..payload.len() - usize::from(padding)];
        }
        Ok(Self {
            marker: data[1] & 0x80 != 0,
            payload_type: data[1] & 0x7F,
            sequence: be16(data, 2),
            timestamp: be32(data, 4),
            ssrc: be32(data, 8),
            csrcs,
            extension,
            payload,
        })
    }

    /// The contributing sources.
    pub fn csrcs(&self) -> impl Iterator<Item = u32> + '_ {
        self.csrcs.chunks_exact(4).map(|c| be32(c, 0))
    }

    /// The header extension: profile and data.
    pub fn extension(&self) -> Option<(u16, &'a [u8])> {
        self.extension
    }
}

/// The fields written by [`RtpHeader::write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// Marker bit.
    pub marker: bool,
    /// Payload type, 0–127.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
}

impl RtpHeader {
    /// Appends the header and `payload` to `out` (no CSRCs, extension or padding).
    pub fn write(&self, payload: &[u8], out: &mut Vec<u8>) {
        out.reserve(HEADER_LEN + payload.len());
        out.push(0x80);
        out.push((u8::from(self.marker) << 7) | (self.payload_type & 0x7F));
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(payload);
    }
}

/// True when sequence number `a` comes after `b`, allowing for wrap-around (RFC 1982 serial
/// number arithmetic on 16 bits).
pub fn seq_after(a: u16, b: u16) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000
}

/// `a - b` for RTP timestamps, allowing for wrap-around.
pub fn timestamp_diff(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

/// Extends 16-bit sequence numbers to 64 bits across wrap-arounds (RFC 3550 A.1's cycles),
/// tolerating reordering of up to half the sequence space.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SequenceExtender {
    highest: Option<u64>,
}

impl SequenceExtender {
    /// A new extender; the first sequence number seen starts the count.
    pub fn new() -> Self {
        Self::default()
    }

    /// The extended form of `seq`.
    pub fn extend(&mut self, seq: u16) -> u64 {
        let Some(highest) = self.highest else {
            let first = u64::from(seq) + (1 << 16);
            self.highest = Some(first);
            return first;
        };
        let base = highest & !0xFFFF;
        let candidates = [base.wrapping_sub(1 << 16), base, base + (1 << 16)];
        let extended = candidates
            .iter()
            .map(|c| c + u64::from(seq))
            .min_by_key(|c| c.abs_diff(highest))
            .unwrap_or(base + u64::from(seq));
        if extended > highest {
            self.highest = Some(extended);
        }
        extended
    }

    /// The highest extended sequence number seen.
    pub fn highest(&self) -> Option<u64> {
        self.highest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_parse() {
        let header = RtpHeader {
            marker: true,
            payload_type: 8,
            sequence: 65535,
            timestamp: 0xFFFF_FF00,
            ssrc: 0xDEAD_BEEF,
        };
        let mut out = Vec::new();
        header.write(&[1, 2, 3], &mut out);
        let p = RtpPacket::parse(&out).unwrap();
        assert_eq!(
            (p.marker, p.payload_type, p.sequence, p.timestamp, p.ssrc),
            (true, 8, 65535, 0xFFFF_FF00, 0xDEAD_BEEF)
        );
        assert_eq!(p.payload, &[1, 2, 3]);
        assert_eq!(p.csrcs().count(), 0);
    }

    #[test]
    fn csrcs_extension_and_padding() {
        let mut data = vec![0xB1, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        data.extend_from_slice(&7u32.to_be_bytes()); // one CSRC
        data.extend_from_slice(&[0xBE, 0xDE, 0, 1, 9, 9, 9, 9]); // one-word extension
        data.extend_from_slice(&[5, 6, 0, 0, 3]); // payload 5 6, 3 bytes of padding
        let p = RtpPacket::parse(&data).unwrap();
        assert_eq!(p.csrcs().collect::<Vec<_>>(), [7]);
        assert_eq!(p.extension(), Some((0xBEDE, &[9u8, 9, 9, 9][..])));
        assert_eq!(p.payload, &[5, 6]);
    }

    #[test]
    fn malformed_packets_are_typed_errors() {
        assert_eq!(
            RtpPacket::parse(&[0x80; 5]),
            Err(RtpError::Truncated { len: 5, needed: 12 })
        );
        assert_eq!(RtpPacket::parse(&[0x40; 12]), Err(RtpError::BadVersion(1)));
        assert!(matches!(
            RtpPacket::parse(&[0x8F; 20]),
            Err(RtpError::Truncated { needed: 72, .. })
        ));
        let mut padded = vec![0xA0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 9];
        assert!(matches!(
            RtpPacket::parse(&padded),
            Err(RtpError::BadPadding { padding: 9, .. })
        ));
        padded.pop();
        padded.push(0);
        assert!(matches!(
            RtpPacket::parse(&padded),
            Err(RtpError::BadPadding { padding: 0, .. })
        ));
    }

    #[test]
    fn sequence_arithmetic_across_wrap() {
        assert!(seq_after(1, 65535));
        assert!(!seq_after(65535, 1));
        assert!(seq_after(100, 50));
        assert_eq!(timestamp_diff(10, u32::MAX - 9), 20);
        assert_eq!(timestamp_diff(u32::MAX - 9, 10), -20);
        let mut x = SequenceExtender::new();
        let a = x.extend(65534);
        assert_eq!(x.extend(65535), a + 1);
        assert_eq!(x.extend(0), a + 2);
        assert_eq!(x.extend(65535), a + 1, "a late packet from before the wrap");
        assert_eq!(x.extend(1), a + 3);
        assert_eq!(x.highest(), Some(a + 3));
    }
}
