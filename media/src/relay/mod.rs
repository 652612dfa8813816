//! The media relay of a B2BUA: a [`Bridge`] moves RTP between two call legs, sans-IO. It
//! checks every packet, learns where each leg's media really comes from (symmetric RTP, for
//! callers behind NAT), rewrites payload types, transcodes when the legs negotiated different
//! codecs (G.711 µ-law, A-law, Opus), passes RFC 4733 telephone-events and multiplexed RTCP
//! through, and copies what it forwards to a tap (the recorder, a supervisor's live listen)
//! through a bounded queue that never makes the relay wait.
//!
//! The tokio driver is `relay::udp` (feature `relay`): a socket per leg, a task per bridge.
//!
//! ```
//! use std::net::SocketAddr;
//! use sambung_media::relay::{Bridge, Encoding, LegMedia, Side};
//! let caller: SocketAddr = "192.0.2.10:4000".parse().unwrap();
//! let agent: SocketAddr = "192.0.2.20:5000".parse().unwrap();
//! // The caller speaks µ-law, the agent's phone A-law.
//! let mut bridge = Bridge::new(
//!     LegMedia::new(0, Encoding::Pcmu).remote(caller),
//!     LegMedia::new(8, Encoding::Pcma).remote(agent),
//! )?;
//! let mut packet = vec![0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 9];
//! packet.extend([0xFF; 160]); // µ-law silence
//! let mut out = Vec::new();
//! let to = bridge.on_datagram(Side::A, caller, &packet, &mut out);
//! assert_eq!(to, Some(agent));
//! assert_eq!(out[1] & 0x7F, 8); // now PCMA
//! assert_eq!(out[12], 0xD5); // A-law silence
//! # Ok::<(), sambung_media::relay::RelayError>(())
//! ```

#[cfg(feature = "relay")]
pub mod udp;

use std::net::SocketAddr;
use std::sync::mpsc::{SyncSender, TrySendError};

use crate::codec::{Codec, G711};
use crate::rtp::RtpPacket;

/// One side of a bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The first leg (by convention the caller).
    A,
    /// The second leg (the agent, or the far end).
    B,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Self {
        match self {
            Self::A => Self::B,
            Self::B => Self::A,
        }
    }

    fn index(self) -> usize {
        match self {
            Self::A => 0,
            Self::B => 1,
        }
    }
}

/// The audio encoding a leg negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// G.711 µ-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
    /// Opus (48 kHz RTP clock; transcoded through 8 kHz PCM to meet G.711).
    Opus,
    /// Any other encoding, by a number the application gives it (for example its position
    /// in the application's codec list): relayed only to a leg with the same encoding.
    Other(u32),
}

impl Encoding {
    fn rtp_clock_rate(self) -> u32 {
        match self {
            Self::Opus => 48_000,
            _ => 8000,
        }
    }

    fn codec(self) -> Result<Box<dyn Codec>, RelayError> {
        match self {
            Self::Pcmu => Ok(Box::new(G711::ulaw())),
            Self::Pcma => Ok(Box::new(G711::alaw())),
            #[cfg(feature = "opus")]
            Self::Opus => crate::opus::Opus::new(8000)
                .map(|o| Box::new(o) as Box<dyn Codec>)
                .map_err(|_| RelayError::CannotTranscode(self)),
            _ => Err(RelayError::CannotTranscode(self)),
        }
    }
}

/// What one leg carries, from its SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegMedia {
    /// The audio payload type this leg uses.
    pub payload_type: u8,
    /// Its encoding.
    pub encoding: Encoding,
    /// Its RFC 4733 telephone-event payload type, if negotiated.
    pub telephone_event: Option<u8>,
    /// Where to send its media (the SDP's connection address and port), until a packet from
    /// the leg shows where it really is.
    pub remote: Option<SocketAddr>,
}

impl LegMedia {
    /// A leg with this payload type and encoding, no telephone-events, remote not yet known.
    pub fn new(payload_type: u8, encoding: Encoding) -> Self {
        Self {
            payload_type,
            encoding,
            telephone_event: None,
            remote: None,
        }
    }

    /// With the remote address from SDP.
    #[must_use]
    pub fn remote(mut self, remote: SocketAddr) -> Self {
        self.remote = Some(remote);
        self
    }

    /// With an RFC 4733 telephone-event payload type.
    #[must_use]
    pub fn telephone_event(mut self, payload_type: u8) -> Self {
        self.telephone_event = Some(payload_type);
        self
    }
}

/// Why a bridge cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RelayError {
    /// The legs' encodings differ and one of them cannot be transcoded.
    #[error("cannot transcode {0:?}")]
    CannotTranscode(Encoding),
    /// A payload type above 127.
    #[error("payload type {0} is not 0–127")]
    BadPayloadType(u8),
}

/// A copy of a packet the bridge forwarded, for a recorder or a live listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapFrame {
    /// The side it came from.
    pub side: Side,
    /// Its payload type (as it arrived).
    pub payload_type: u8,
    /// Its sequence number.
    pub sequence: u16,
    /// Its RTP timestamp.
    pub timestamp: u32,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// Counts for one bridge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BridgeStats {
    /// Packets forwarded from A to B and from B to A.
    pub forwarded: [u64; 2],
    /// Of those, packets transcoded.
    pub transcoded: u64,
    /// Datagrams that were not RTP or RTCP, or whose payload type the leg did not negotiate.
    pub malformed: u64,
    /// Packets from an address other than the leg's learned one (refused: no hijacking).
    pub foreign: u64,
    /// Packets dropped because the other leg's address is not known yet.
    pub no_destination: u64,
    /// Packets a codec refused to decode or encode.
    pub codec_errors: u64,
    /// Tap frames dropped because the tap's queue was full.
    pub tap_dropped: u64,
}

#[derive(Debug, Clone, Copy)]
struct LegState {
    media: LegMedia,
    /// Set once a packet has come from the leg: later packets must come from there.
    latched: bool,
}

/// Transcoding state for one direction.
struct Transcoder {
    decoder: Box<dyn Codec>,
    encoder: Box<dyn Codec>,
    pcm: Vec<i16>,
    payload: Vec<u8>,
}

/// Two call legs joined.
pub struct Bridge {
    legs: [LegState; 2],
    /// Index by the side packets come from.
    transcoders: Option<[Transcoder; 2]>,
    tap: Option<SyncSender<TapFrame>>,
    stats: BridgeStats,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("legs", &self.legs)
            .field("transcoding", &self.transcoders.is_some())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// RTCP packet types 192–223 in the second byte (RFC 5761 §4): not RTP payload types.
fn is_rtcp(second_byte: u8) -> bool {
    (192..=223).contains(&second_byte)
}

impl Bridge {
    /// Joins two legs; transcodes between them when their encodings differ.
    pub fn new(a: LegMedia, b: LegMedia) -> Result<Self, RelayError> {
        for leg in [a, b] {
            for pt in [Some(leg.payload_type), leg.telephone_event]
                .into_iter()
                .flatten()
            {
                if pt > 127 {
                    return Err(RelayError::BadPayloadType(pt));
                }
            }
        }
        let transcoders = if a.encoding == b.encoding {
            None
        } else {
            let one = |from: Encoding, to: Encoding| -> Result<Transcoder, RelayError> {
                Ok(Transcoder {
                    decoder: from.codec()?,
                    encoder: to.codec()?,
                    pcm: Vec::with_capacity(960),
                    payload: Vec::with_capacity(1500),
                })
            };
            Some([one(a.encoding, b.encoding)?, one(b.encoding, a.encoding)?])
        };
        Ok(Self {
            legs: [
                LegState {
                    media: a,
                    latched: false,
                },
                LegState {
                    media: b,
                    latched: false,
                },
            ],
            transcoders,
            tap: None,
            stats: BridgeStats::default(),
        })
    }

    /// Copies every forwarded RTP packet into `tap`; when its queue is full the copy is
    /// dropped and counted, and forwarding goes on.
    pub fn set_tap(&mut self, tap: SyncSender<TapFrame>) {
        self.tap = Some(tap);
    }

    /// The counts so far.
    pub fn stats(&self) -> BridgeStats {
        self.stats
    }

    /// Where a side's media goes now.
    pub fn remote(&self, side: Side) -> Option<SocketAddr> {
        self.legs[side.index()].media.remote
    }

    /// Sets where a side's media goes (from a new SDP: an answer, a re-INVITE); the next
    /// packet from that side is learned again.
    pub fn set_remote(&mut self, side: Side, remote: SocketAddr) {
        let leg = &mut self.legs[side.index()];
        leg.media.remote = Some(remote);
        leg.latched = false;
    }

    /// Handles a datagram that arrived on `side`'s socket from `from`. When it is to be
    /// forwarded, writes the packet to send into `out` (cleared first) and returns where to
    /// send it, the other side's address; otherwise returns `None` and counts why.
    pub fn on_datagram(
        &mut self,
        side: Side,
        from: SocketAddr,
        datagram: &[u8],
        out: &mut Vec<u8>,
    ) -> Option<SocketAddr> {
        out.clear();
        let leg = &mut self.legs[side.index()];
        if leg.latched && leg.media.remote != Some(from) {
            self.stats.foreign += 1;
            return None;
        }
        if datagram.len() >= 2 && datagram[0] >> 6 == 2 && is_rtcp(datagram[1]) {
            // Multiplexed RTCP: relayed as it is.
            if datagram.len() < 8 {
                self.stats.malformed += 1;
                return None;
            }
            leg.latched = true;
            leg.media.remote = Some(from);
            return self.forward_raw(side, datagram, out);
        }
        let Ok(packet) = RtpPacket::parse(datagram) else {
            self.stats.malformed += 1;
            return None;
        };
        let media = leg.media;
        let is_event = media.telephone_event == Some(packet.payload_type);
        if packet.payload_type != media.payload_type && !is_event {
            self.stats.malformed += 1;
            return None;
        }
        leg.latched = true;
        leg.media.remote = Some(from);
        let to_media = self.legs[side.other().index()].media;
        let Some(to) = to_media.remote else {
            self.stats.no_destination += 1;
            return None;
        };
        if let Some(tap) = &self.tap {
            let frame = TapFrame {
                side,
                payload_type: packet.payload_type,
                sequence: packet.sequence,
                timestamp: packet.timestamp,
                payload: packet.payload.to_vec(),
            };
            if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = tap.try_send(frame)
            {
                self.stats.tap_dropped += 1;
            }
        }
        let timestamp = scale_timestamp(
            packet.timestamp,
            media.encoding.rtp_clock_rate(),
            to_media.encoding.rtp_clock_rate(),
        );
        let header = |payload_type: u8| crate::rtp::RtpHeader {
            marker: packet.marker,
            payload_type,
            sequence: packet.sequence,
            timestamp,
            ssrc: packet.ssrc,
        };
        if is_event {
            let Some(pt) = to_media.telephone_event else {
                // The other leg did not negotiate events: nothing to send them as.
                self.stats.malformed += 1;
                return None;
            };
            header(pt).write(packet.payload, out);
        } else if let Some(transcoders) = &mut self.transcoders {
            let t = &mut transcoders[side.index()];
            t.pcm.clear();
            t.payload.clear();
            if t.decoder.decode(packet.payload, &mut t.pcm).is_err()
                || t.encoder.encode(&t.pcm, &mut t.payload).is_err()
            {
                self.stats.codec_errors += 1;
                return None;
            }
            header(to_media.payload_type).write(&t.payload, out);
            self.stats.transcoded += 1;
        } else if packet.payload_type == to_media.payload_type {
            out.extend_from_slice(datagram);
        } else {
            header(to_media.payload_type).write(packet.payload, out);
        }
        self.stats.forwarded[side.index()] += 1;
        Some(to)
    }

    fn forward_raw(
        &mut self,
        side: Side,
        datagram: &[u8],
        out: &mut Vec<u8>,
    ) -> Option<SocketAddr> {
        let Some(to) = self.legs[side.other().index()].media.remote else {
            self.stats.no_destination += 1;
            return None;
        };
        out.extend_from_slice(datagram);
        self.stats.forwarded[side.index()] += 1;
        Some(to)
    }
}

/// An RTP timestamp moved from one clock rate to another (Opus's 48 kHz and G.711's 8 kHz).
fn scale_timestamp(ts: u32, from: u32, to: u32) -> u32 {
    if from == to || from == 0 {
        return ts;
    }
    let scaled = u64::from(ts) * u64::from(to) / u64::from(from);
    u32::try_from(scaled & 0xFFFF_FFFF).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn rtp(pt: u8, seq: u16, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        crate::rtp::RtpHeader {
            marker: false,
            payload_type: pt,
            sequence: seq,
            timestamp: u32::from(seq) * 160,
            ssrc: 42,
        }
        .write(payload, &mut out);
        out
    }

    #[test]
    fn same_codec_is_relayed_byte_for_byte_both_ways() {
        let (a, b) = (addr("10.0.0.1:4000"), addr("10.0.0.2:5000"));
        let mut bridge = Bridge::new(
            LegMedia::new(0, Encoding::Pcmu).remote(a),
            LegMedia::new(0, Encoding::Pcmu).remote(b),
        )
        .unwrap();
        let mut out = Vec::new();
        let p = rtp(0, 1, &[1, 2, 3]);
        assert_eq!(bridge.on_datagram(Side::A, a, &p, &mut out), Some(b));
        assert_eq!(out, p);
        assert_eq!(bridge.on_datagram(Side::B, b, &p, &mut out), Some(a));
        assert_eq!(bridge.stats().forwarded, [1, 1]);
    }

    #[test]
    fn symmetric_rtp_learns_the_real_address_then_refuses_others() {
        let sdp = addr("10.0.0.1:4000");
        let natted = addr("203.0.113.7:61000");
        let b = addr("10.0.0.2:5000");
        let mut bridge = Bridge::new(
            LegMedia::new(0, Encoding::Pcmu).remote(sdp),
            LegMedia::new(0, Encoding::Pcmu),
        )
        .unwrap();
        let mut out = Vec::new();
        // B's address is not known yet: dropped and counted.
        assert_eq!(
            bridge.on_datagram(Side::A, natted, &rtp(0, 1, &[0]), &mut out),
            None
        );
        assert_eq!(bridge.stats().no_destination, 1);
        assert_eq!(bridge.remote(Side::A), Some(natted));
        // B speaks: learned, and A's media now goes to the NAT's address.
        assert_eq!(
            bridge.on_datagram(Side::B, b, &rtp(0, 1, &[0]), &mut out),
            Some(natted)
        );
        // Someone else sending on A's port is refused.
        let intruder = addr("198.51.100.1:9999");
        assert_eq!(
            bridge.on_datagram(Side::A, intruder, &rtp(0, 2, &[0]), &mut out),
            None
        );
        assert_eq!(bridge.stats().foreign, 1);
        assert_eq!(bridge.remote(Side::A), Some(natted));
    }

    #[test]
    fn transcodes_ulaw_to_alaw_and_rewrites_events() {
        let (a, b) = (addr("10.0.0.1:4000"), addr("10.0.0.2:5000"));
        let mut bridge = Bridge::new(
            LegMedia::new(0, Encoding::Pcmu)
                .remote(a)
                .telephone_event(101),
            LegMedia::new(8, Encoding::Pcma)
                .remote(b)
                .telephone_event(96),
        )
        .unwrap();
        let pcm: Vec<i16> = (0..160i16).map(|i| i * 150 - 12000).collect();
        let mut ulaw = Vec::new();
        crate::g711::ulaw_encode_into(&pcm, &mut ulaw);
        let mut out = Vec::new();
        assert_eq!(
            bridge.on_datagram(Side::A, a, &rtp(0, 7, &ulaw), &mut out),
            Some(b)
        );
        let relayed = RtpPacket::parse(&out).unwrap();
        assert_eq!(
            (relayed.payload_type, relayed.sequence, relayed.ssrc),
            (8, 7, 42)
        );
        let mut back = Vec::new();
        crate::g711::alaw_decode_into(relayed.payload, &mut back);
        for (x, y) in pcm.iter().zip(&back) {
            assert!((i32::from(*x) - i32::from(*y)).abs() <= 600, "{x} vs {y}");
        }
        // A telephone-event keeps its payload and takes the other leg's event type.
        let event = [5, 0x8A, 0x03, 0x20];
        assert_eq!(
            bridge.on_datagram(Side::A, a, &rtp(101, 8, &event), &mut out),
            Some(b)
        );
        let relayed = RtpPacket::parse(&out).unwrap();
        assert_eq!((relayed.payload_type, relayed.payload), (96, &event[..]));
        assert_eq!(bridge.stats().transcoded, 1);
    }

    #[test]
    fn junk_and_unnegotiated_types_are_counted_not_forwarded() {
        let (a, b) = (addr("10.0.0.1:4000"), addr("10.0.0.2:5000"));
        let mut bridge = Bridge::new(
            LegMedia::new(0, Encoding::Pcmu).remote(a),
            LegMedia::new(0, Encoding::Pcmu).remote(b),
        )
        .unwrap();
        let mut out = Vec::new();
        for junk in [&b""[..], b"\x00", &[0x40; 20], &rtp(18, 1, &[0])] {
            assert_eq!(bridge.on_datagram(Side::A, a, junk, &mut out), None);
        }
        assert_eq!(bridge.stats().malformed, 4);
        // RTCP on the same port is relayed as it is.
        let rr = [0x80, 201, 0, 1, 0, 0, 0, 42];
        assert_eq!(bridge.on_datagram(Side::A, a, &rr, &mut out), Some(b));
        assert_eq!(out, rr);
        assert!(matches!(
            Bridge::new(
                LegMedia::new(0, Encoding::Other(1)),
                LegMedia::new(0, Encoding::Pcmu)
            ),
            Err(RelayError::CannotTranscode(Encoding::Other(1)))
        ));
    }

    #[test]
    fn a_full_tap_drops_copies_not_packets() {
        let (a, b) = (addr("10.0.0.1:4000"), addr("10.0.0.2:5000"));
        let mut bridge = Bridge::new(
            LegMedia::new(0, Encoding::Pcmu).remote(a),
            LegMedia::new(0, Encoding::Pcmu).remote(b),
        )
        .unwrap();
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        bridge.set_tap(tx);
        let mut out = Vec::new();
        for seq in 0..5 {
            assert!(
                bridge
                    .on_datagram(Side::A, a, &rtp(0, seq, &[1]), &mut out)
                    .is_some()
            );
        }
        assert_eq!(bridge.stats().tap_dropped, 3);
        assert_eq!(
            rx.try_iter().map(|f| f.sequence).collect::<Vec<_>>(),
            [0, 1]
        );
    }

    #[test]
    fn timestamps_scale_between_clock_rates() {
        assert_eq!(scale_timestamp(960, 48_000, 8000), 160);
        assert_eq!(scale_timestamp(160, 8000, 48_000), 960);
        assert_eq!(scale_timestamp(u32::MAX, 8000, 8000), u32::MAX);
    }
}
