//! RTCP (RFC 3550 §6): compound packets read and written — sender and receiver reports, SDES,
//! BYE, APP — and the receiver statistics of Appendix A.3 (loss fraction, cumulative loss,
//! extended highest sequence, interarrival jitter) with round-trip time from LSR/DLSR.

use std::time::{Duration, Instant};

use crate::rtp::SequenceExtender;

/// Why bytes are not a valid RTCP compound packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtcpError {
    /// A packet's header or its stated length runs past the data.
    #[error("RTCP packet at byte {offset} is truncated")]
    Truncated {
        /// Where the packet starts.
        offset: usize,
    },
    /// Version is not 2.
    #[error("RTCP version {version} at byte {offset}")]
    BadVersion {
        /// The version found.
        version: u8,
        /// Where the packet starts.
        offset: usize,
    },
    /// The packet's count does not fit its length.
    #[error("RTCP packet at byte {offset}: its count does not fit its length")]
    BadCount {
        /// Where the packet starts.
        offset: usize,
    },
    /// An empty compound packet.
    #[error("empty RTCP packet")]
    Empty,
}

/// One report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source reported on.
    pub ssrc: u32,
    /// Fraction lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Packets lost since the start (24-bit signed).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_seq: u32,
    /// Interarrival jitter, in RTP timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP time of the last SR received (0 if none).
    pub last_sr: u32,
    /// Delay since that SR, in 1/65536 s.
    pub delay_since_last_sr: u32,
}

/// One RTCP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket<'a> {
    /// Sender report.
    SenderReport {
        /// Sender.
        ssrc: u32,
        /// NTP timestamp (64-bit fixed point).
        ntp: u64,
        /// RTP timestamp matching `ntp`.
        rtp_timestamp: u32,
        /// Packets sent.
        packets: u32,
        /// Payload octets sent.
        octets: u32,
        /// Reports on the sources it receives.
        reports: Vec<ReportBlock>,
    },
    /// Receiver report.
    ReceiverReport {
        /// Reporter.
        ssrc: u32,
        /// Reports.
        reports: Vec<ReportBlock>,
    },
    /// Source description: per source, its items.
    SourceDescription(Vec<SdesChunk<'a>>),
    /// Goodbye.
    Bye {
        /// Sources leaving.
        sources: Vec<u32>,
        /// Why, if said.
        reason: Option<&'a [u8]>,
    },
    /// Application-defined.
    App {
        /// Subtype.
        subtype: u8,
        /// Source.
        ssrc: u32,
        /// Four-character name.
        name: [u8; 4],
        /// Data.
        data: &'a [u8],
    },
    /// A packet type this module does not interpret (RTPFB, PSFB, XR…), kept whole.
    Other {
        /// Packet type.
        packet_type: u8,
        /// The whole packet.
        raw: &'a [u8],
    },
}

/// One SDES chunk: a source and its items as (type, text).
pub type SdesChunk<'a> = (u32, Vec<(u8, &'a [u8])>);

/// SDES item type of CNAME.
pub const SDES_CNAME: u8 = 1;

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn report_blocks(b: &[u8], count: usize) -> Vec<ReportBlock> {
    b.chunks_exact(24)
        .take(count)
        .map(|r| {
            // 24-bit two's complement, sign-extended.
            let lost = (i32::from_be_bytes([r[5], r[6], r[7], 0])) >> 8;
            ReportBlock {
                ssrc: be32(r, 0),
                fraction_lost: r[4],
                cumulative_lost: lost,
                highest_seq: be32(r, 8),
                jitter: be32(r, 12),
                last_sr: be32(r, 16),
                delay_since_last_sr: be32(r, 20),
            }
        })
        .collect()
}

/// Parses a compound RTCP packet.
pub fn parse(data: &[u8]) -> Result<Vec<RtcpPacket<'_>>, RtcpError> {
    if data.is_empty() {
        return Err(RtcpError::Empty);
    }
    let mut packets = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let truncated = RtcpError::Truncated { offset: at };
        let header = data.get(at..at + 4).ok_or(truncated)?;
        let version = header[0] >> 6;
        if version != 2 {
            return Err(RtcpError::BadVersion {
                version,
                offset: at,
            });
        }
        let padding = header[0] & 0x20 != 0;
        let count = usize::from(header[0] & 0x1F);
        let packet_type = header[1];
        let len = (usize::from(u16::from_be_bytes([header[2], header[3]])) + 1) * 4;
        let whole = data.get(at..at + len).ok_or(truncated)?;
        let mut body = &whole[4..];
        if padding {
            let pad = usize::from(*body.last().ok_or(truncated)?);
            if pad == 0 || pad > body.len() {
                return Err(RtcpError::BadCount { offset: at });
            }
            body = &body[..body.len() - pad];
        }
        let bad_count = RtcpError::BadCount { offset: at };
        let packet = match packet_type {
            200 => {
                if body.len() < 24 + 24 * count {
                    return Err(bad_count);
                }
                RtcpPacket::SenderReport {
                    ssrc: be32(body, 0),
                    ntp: (u64::from(be32(body, 4)) << 32) | u64::from(be32(body, 8)),
                    rtp_timestamp: be32(body, 12),
                    packets: be32(body, 16),
                    octets: be32(body, 20),
                    reports: report_blocks(&body[24..], count),
                }
            }
            201 => {
                if body.len() < 4 + 24 * count {
                    return Err(bad_count);
                }
                RtcpPacket::ReceiverReport {
                    ssrc: be32(body, 0),
                    reports: report_blocks(&body[4..], count),
                }
            }
            202 => {
                let mut chunks = Vec::with_capacity(count);
                let mut p = 0;
                for _ in 0..count {
                    let ssrc_bytes = body.get(p..p + 4).ok_or(bad_count)?;
                    let ssrc = be32(ssrc_bytes, 0);
                    p += 4;
                    let mut items = Vec::new();
                    loop {
                        let kind = *body.get(p).ok_or(bad_count)?;
                        if kind == 0 {
                            // End of the item list; the chunk is padded to 32 bits.
                            p = (p + 4) & !3;
                            break;
                        }
                        let n = usize::from(*body.get(p + 1).ok_or(bad_count)?);
                        let text = body.get(p + 2..p + 2 + n).ok_or(bad_count)?;
                        items.push((kind, text));
                        p += 2 + n;
                    }
                    chunks.push((ssrc, items));
                }
                RtcpPacket::SourceDescription(chunks)
            }
            203 => {
                let sources_len = 4 * count;
                let sources_bytes = body.get(..sources_len).ok_or(bad_count)?;
                let sources = sources_bytes.chunks_exact(4).map(|c| be32(c, 0)).collect();
                let reason = match body.get(sources_len) {
                    Some(&n) => Some(
                        body.get(sources_len + 1..sources_len + 1 + usize::from(n))
                            .ok_or(bad_count)?,
                    ),
                    None => None,
                };
                RtcpPacket::Bye { sources, reason }
            }
            204 => {
                let head = body.get(..8).ok_or(bad_count)?;
                RtcpPacket::App {
                    subtype: u8::try_from(count).unwrap_or(0),
                    ssrc: be32(head, 0),
                    name: [head[4], head[5], head[6], head[7]],
                    data: &body[8..],
                }
            }
            _ => RtcpPacket::Other {
                packet_type,
                raw: whole,
            },
        };
        packets.push(packet);
        at += len;
    }
    Ok(packets)
}

fn push_header(out: &mut Vec<u8>, count: usize, packet_type: u8, body_words: usize) {
    out.push(0x80 | (u8::try_from(count).unwrap_or(0) & 0x1F));
    out.push(packet_type);
    out.extend_from_slice(&u16::try_from(body_words).unwrap_or(u16::MAX).to_be_bytes());
}

fn push_block(out: &mut Vec<u8>, r: &ReportBlock) {
    out.extend_from_slice(&r.ssrc.to_be_bytes());
    out.push(r.fraction_lost);
    let lost = r.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF).to_be_bytes();
    out.extend_from_slice(&lost[1..]);
    for v in [r.highest_seq, r.jitter, r.last_sr, r.delay_since_last_sr] {
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// Appends a receiver report (at most 31 blocks are written).
pub fn write_receiver_report(ssrc: u32, reports: &[ReportBlock], out: &mut Vec<u8>) {
    let reports = &reports[..reports.len().min(31)];
    push_header(out, reports.len(), 201, 1 + 6 * reports.len());
    out.extend_from_slice(&ssrc.to_be_bytes());
    for r in reports {
        push_block(out, r);
    }
}

/// Appends a sender report (at most 31 blocks are written).
pub fn write_sender_report(
    ssrc: u32,
    ntp: u64,
    rtp_timestamp: u32,
    packets: u32,
    octets: u32,
    reports: &[ReportBlock],
    out: &mut Vec<u8>,
) {
    let reports = &reports[..reports.len().min(31)];
    push_header(out, reports.len(), 200, 6 + 6 * reports.len());
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(&ntp.to_be_bytes());
    for v in [rtp_timestamp, packets, octets] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    for r in reports {
        push_block(out, r);
    }
}

/// Appends an SDES packet with one CNAME (at most 255 bytes of it).
pub fn write_sdes_cname(ssrc: u32, cname: &[u8], out: &mut Vec<u8>) {
    let cname = &cname[..cname.len().min(255)];
    let chunk_len = (4 + 2 + cname.len() + 1).div_ceil(4) * 4;
    push_header(out, 1, 202, chunk_len / 4);
    let start = out.len();
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.push(SDES_CNAME);
    out.push(u8::try_from(cname.len()).unwrap_or(0));
    out.extend_from_slice(cname);
    out.resize(start + chunk_len, 0);
}

/// Appends a BYE for one source.
pub fn write_bye(ssrc: u32, out: &mut Vec<u8>) {
    push_header(out, 1, 203, 1);
    out.extend_from_slice(&ssrc.to_be_bytes());
}

/// The middle 32 bits of a 64-bit NTP timestamp (LSR, RFC 3550 §6.4.1).
pub fn ntp_middle(ntp: u64) -> u32 {
    u32::try_from((ntp >> 16) & 0xFFFF_FFFF).unwrap_or(0)
}

/// Round-trip time from a report block, given the middle 32 bits of the NTP time it arrived.
pub fn round_trip(block: &ReportBlock, arrival_ntp_middle: u32) -> Option<Duration> {
    if block.last_sr == 0 {
        return None;
    }
    let rtt = arrival_ntp_middle
        .wrapping_sub(block.last_sr)
        .wrapping_sub(block.delay_since_last_sr);
    (rtt < 0x8000_0000).then(|| Duration::from_micros(u64::from(rtt) * 1_000_000 / 65_536))
}

/// Reception statistics for one source (RFC 3550 Appendix A.3 and A.8).
#[derive(Debug, Clone)]
pub struct ReceptionStats {
    ssrc: u32,
    clock_rate: u32,
    seq: SequenceExtender,
    base: Option<u64>,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    jitter: f64,
    last_transit: Option<i64>,
    epoch: Option<Instant>,
    last_sr: Option<(u32, Instant)>,
}

impl ReceptionStats {
    /// Statistics for `ssrc`, whose RTP clock runs at `clock_rate`.
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate: clock_rate.max(1),
            seq: SequenceExtender::new(),
            base: None,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            jitter: 0.0,
            last_transit: None,
            epoch: None,
            last_sr: None,
        }
    }

    /// Counts a packet received at `now`.
    pub fn on_packet(&mut self, sequence: u16, rtp_timestamp: u32, now: Instant) {
        let extended = self.seq.extend(sequence);
        self.base = Some(self.base.map_or(extended, |b| b.min(extended)));
        self.received += 1;
        let epoch = *self.epoch.get_or_insert(now);
        let arrival = i64::try_from(
            now.saturating_duration_since(epoch).as_micros() * u128::from(self.clock_rate)
                / 1_000_000,
        )
        .unwrap_or(i64::MAX);
        let transit = arrival - i64::from(rtp_timestamp);
        if let Some(last) = self.last_transit {
            // Transit difference modulo 2^32 (timestamps wrap).
            // Differences are taken modulo 2^32, as the timestamps wrap.
            let raw = transit - last;
            let d = ((raw + (1 << 31)).rem_euclid(1 << 32) - (1 << 31)).abs() as f64;
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit);
    }

    /// Notes a sender report from this source (for LSR/DLSR).
    pub fn on_sender_report(&mut self, ntp: u64, now: Instant) {
        self.last_sr = Some((ntp_middle(ntp), now));
    }

    /// The report block for this source, as of `now`; resets the interval counters.
    pub fn report(&mut self, now: Instant) -> ReportBlock {
        let highest = self.seq.highest().unwrap_or(0);
        let base = self.base.unwrap_or(highest);
        let expected = highest.saturating_sub(base) + u64::from(self.received > 0);
        let lost = i64::try_from(expected).unwrap_or(i64::MAX)
            - i64::try_from(self.received).unwrap_or(i64::MAX);
        let expected_interval = expected.saturating_sub(self.expected_prior);
        let received_interval = self.received.saturating_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = expected_interval.saturating_sub(received_interval);
        let fraction = (lost_interval << 8)
            .checked_div(expected_interval)
            .unwrap_or(0);
        let (last_sr, delay) = match self.last_sr {
            Some((lsr, at)) => {
                let d = now.saturating_duration_since(at).as_micros() * 65_536 / 1_000_000;
                (lsr, u32::try_from(d).unwrap_or(u32::MAX))
            }
            None => (0, 0),
        };
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "jitter is small and non-negative"
        )]
        let jitter = self.jitter as u32;
        ReportBlock {
            ssrc: self.ssrc,
            fraction_lost: u8::try_from(fraction.min(255)).unwrap_or(255),
            cumulative_lost: i32::try_from(lost.clamp(-0x80_0000, 0x7F_FFFF)).unwrap_or(0),
            highest_seq: u32::try_from(highest & 0xFFFF_FFFF).unwrap_or(0),
            jitter,
            last_sr,
            delay_since_last_sr: delay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compound_round_trip() {
        let block = ReportBlock {
            ssrc: 7,
            fraction_lost: 25,
            cumulative_lost: -3,
            highest_seq: 70_000,
            jitter: 12,
            last_sr: 99,
            delay_since_last_sr: 655,
        };
        let mut out = Vec::new();
        write_sender_report(1, 0x0102_0304_0506_0708, 160, 10, 1600, &[block], &mut out);
        write_sdes_cname(1, b"agent1001@bnpt", &mut out);
        write_receiver_report(1, &[block, block], &mut out);
        write_bye(1, &mut out);
        let packets = parse(&out).unwrap();
        assert_eq!(packets.len(), 4);
        assert_eq!(
            packets[0],
            RtcpPacket::SenderReport {
                ssrc: 1,
                ntp: 0x0102_0304_0506_0708,
                rtp_timestamp: 160,
                packets: 10,
                octets: 1600,
                reports: vec![block]
            }
        );
        assert_eq!(
            packets[1],
            RtcpPacket::SourceDescription(vec![(1, vec![(SDES_CNAME, &b"agent1001@bnpt"[..])])])
        );
        assert_eq!(
            packets[2],
            RtcpPacket::ReceiverReport {
                ssrc: 1,
                reports: vec![block, block]
            }
        );
        assert_eq!(
            packets[3],
            RtcpPacket::Bye {
                sources: vec![1],
                reason: None
            }
        );
    }

    #[test]
    fn malformed_input_is_a_typed_error() {
        assert_eq!(parse(&[]), Err(RtcpError::Empty));
        assert_eq!(
            parse(&[0x80, 201, 0]),
            Err(RtcpError::Truncated { offset: 0 })
        );
        assert_eq!(
            parse(&[0x40, 201, 0, 0]),
            Err(RtcpError::BadVersion {
                version: 1,
                offset: 0
            })
        );
        // An RR claiming two blocks in one word.
        assert_eq!(
            parse(&[0x82, 201, 0, 1, 0, 0, 0, 1]),
            Err(RtcpError::BadCount { offset: 0 })
        );
        // An SDES chunk whose item runs off the end.
        assert_eq!(
            parse(&[0x81, 202, 0, 2, 0, 0, 0, 1, 1, 200, 0, 0]),
            Err(RtcpError::BadCount { offset: 0 })
        );
    }

    #[test]
    fn reception_statistics_count_loss_and_jitter() {
        let t0 = crate::tests_support::base();
        let mut stats = ReceptionStats::new(42, 8000);
        // 100 packets, every tenth lost, the rest on time.
        for i in 0..100u16 {
            if i % 10 == 9 {
                continue;
            }
            stats.on_packet(
                65_500u16.wrapping_add(i),
                u32::from(i) * 160,
                t0 + Duration::from_millis(20 * u64::from(i)),
            );
        }
        let r = stats.report(t0 + Duration::from_secs(2));
        assert_eq!(
            r.cumulative_lost, 9,
            "the last packet (i = 99) is lost too, but not yet expected"
        );
        assert_eq!(r.fraction_lost, 23, "9 of 99 is 23/256");
        assert_eq!(
            r.highest_seq & 0xFFFF,
            u32::from(65_500u16.wrapping_add(98))
        );
        assert!(r.highest_seq > 0xFFFF, "cycles counted across the wrap");
        assert_eq!(r.jitter, 0, "perfect timing");
        // The next interval holds the lost packet 99 and ten received: 1 of 11 lost.
        let send = |stats: &mut ReceptionStats, range: std::ops::Range<u16>| {
            for i in range {
                let at = t0 + Duration::from_millis(20 * u64::from(i));
                stats.on_packet(65_500u16.wrapping_add(i), u32::from(i) * 160, at);
            }
        };
        send(&mut stats, 100..110);
        let r = stats.report(t0 + Duration::from_secs(3));
        assert_eq!((r.fraction_lost, r.cumulative_lost), (23, 10));
        // An interval without loss reports none.
        send(&mut stats, 110..120);
        assert_eq!(stats.report(t0 + Duration::from_secs(4)).fraction_lost, 0);
    }

    #[test]
    fn round_trip_from_lsr_and_dlsr() {
        let block = ReportBlock {
            last_sr: 0x0001_0000,
            delay_since_last_sr: 0x0000_8000,
            ..ReportBlock::default()
        };
        // Arrived 1.75 s after the SR was sent; the peer held it 0.5 s: 1.25 s round trip.
        assert_eq!(
            round_trip(&block, 0x0001_0000 + 0x0001_C000),
            Some(Duration::from_micros(1_250_000))
        );
        assert_eq!(round_trip(&ReportBlock::default(), 5), None);
    }
}
