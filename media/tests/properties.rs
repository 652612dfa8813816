//! Property tests: RTP and telephone-event parsing never panic and round-trip; G.711 keeps
//! every sample within its quantisation step; concealment stays bounded.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use proptest::prelude::*;
use sambung_media::codec::{Codec, G711};
use sambung_media::dtmf::TelephoneEvent;
use sambung_media::g711;
use sambung_media::rtp::{RtpHeader, RtpPacket};

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn rtp_parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(p) = RtpPacket::parse(&bytes) {
            prop_assert!(p.payload.len() <= bytes.len());
            prop_assert!(p.payload_type < 128);
        }
    }

    #[test]
    fn rtp_round_trip(marker in any::<bool>(), pt in 0u8..128, seq in any::<u16>(), ts in any::<u32>(), ssrc in any::<u32>(),
                      payload in prop::collection::vec(any::<u8>(), 0..300)) {
        let h = RtpHeader { marker, payload_type: pt, sequence: seq, timestamp: ts, ssrc };
        let mut out = Vec::new();
        h.write(&payload, &mut out);
        let p = RtpPacket::parse(&out).unwrap();
        prop_assert_eq!((p.marker, p.payload_type, p.sequence, p.timestamp, p.ssrc), (marker, pt, seq, ts, ssrc));
        prop_assert_eq!(p.payload, &payload[..]);
    }

    #[test]
    fn telephone_event_round_trip(event in any::<u8>(), end in any::<bool>(), volume in 0u8..64, duration in any::<u16>()) {
        let e = TelephoneEvent { event, end, volume, duration };
        prop_assert_eq!(TelephoneEvent::parse(&e.to_bytes()).unwrap(), e);
    }

    #[test]
    fn concealment_is_bounded_and_fades(frame in prop::collection::vec(any::<u8>(), 160), gap in 0usize..2000) {
        let mut codec = G711::alaw();
        let mut pcm = Vec::new();
        codec.decode(&frame, &mut pcm).unwrap();
        let peak = pcm.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        let mut filled = Vec::new();
        codec.conceal(gap, &mut filled);
        prop_assert_eq!(filled.len(), gap);
        prop_assert!(filled.iter().all(|s| s.unsigned_abs() <= peak));
        prop_assert!(filled.iter().skip(400).all(|&s| s == 0), "silent after 50 ms");
    }
}

/// Every 16-bit input, exhaustively: the error stays within half the largest quantisation step,
/// and a decoded value survives another pass unchanged (µ-law's two zero codes both decode to
/// 0, so values are compared, not codes).
#[test]
fn g711_error_stays_within_the_quantisation_step() {
    for x in i16::MIN..=i16::MAX {
        let a = g711::alaw_decode(g711::alaw_encode(x));
        let u = g711::ulaw_decode(g711::ulaw_encode(x));
        assert!((i32::from(a) - i32::from(x)).abs() <= 1024, "A {x} -> {a}");
        assert!(
            (i32::from(u) - i32::from(x)).abs() <= 1024 + 644,
            "µ {x} -> {u}"
        );
        assert_eq!(g711::ulaw_decode(g711::ulaw_encode(u)), u);
        assert_eq!(g711::alaw_decode(g711::alaw_encode(a)), a);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn rtcp_parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = sambung_media::rtcp::parse(&bytes);
    }

    #[test]
    fn wav_read_never_panics(mut bytes in prop::collection::vec(any::<u8>(), 0..200), riff in any::<bool>()) {
        if riff && bytes.len() >= 12 {
            bytes[..4].copy_from_slice(b"RIFF");
            bytes[8..12].copy_from_slice(b"WAVE");
        }
        let _ = sambung_media::wav::read(&bytes);
    }
}

proptest! {
    /// Any datagrams, from the leg's address or another, on either side of a transcoding
    /// bridge: never a panic, and every datagram is forwarded or counted as refused.
    #[test]
    fn relay_accounts_for_every_datagram(
        datagrams in prop::collection::vec(
            (any::<bool>(), any::<bool>(), prop::collection::vec(any::<u8>(), 0..300)),
            0..60,
        )
    ) {
        use sambung_media::relay::{Bridge, Encoding, LegMedia, Side};
        let a: std::net::SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let b: std::net::SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let other: std::net::SocketAddr = "10.0.0.3:6000".parse().unwrap();
        let mut bridge = Bridge::new(
            LegMedia::new(0, Encoding::Pcmu).remote(a).telephone_event(101),
            LegMedia::new(8, Encoding::Pcma).remote(b),
        )
        .unwrap();
        let mut out = Vec::new();
        for (on_b, foreign, mut bytes) in datagrams.iter().cloned() {
            // Half the time, shape it like RTP of a negotiated type so it gets further in.
            if bytes.len() >= 12 && bytes[0] & 1 == 0 {
                bytes[0] = 0x80;
                bytes[1] = if on_b { 8 } else { 0 };
            }
            let side = if on_b { Side::B } else { Side::A };
            let from = if foreign { other } else if on_b { b } else { a };
            let _ = bridge.on_datagram(side, from, &bytes, &mut out);
        }
        let s = bridge.stats();
        let refused = s.malformed + s.foreign + s.no_destination + s.codec_errors;
        prop_assert_eq!(s.forwarded[0] + s.forwarded[1] + refused, datagrams.len() as u64);
    }
}
