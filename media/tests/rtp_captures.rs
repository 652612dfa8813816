//! The RTP captures shipped with SIPp (`tests/data/rtp`, copied from `shared/conformance/rtp`):
//! A-law speech parsed and decoded, and each RFC 4733 DTMF capture's digit recovered.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use sambung_media::codec::{Codec, G711};
use sambung_media::dtmf::{EventReceiver, InbandDetector, TelephoneEvent, generate};
use sambung_media::rtp::{RtpPacket, SequenceExtender, seq_after};

/// UDP payloads of a classic pcap file with Ethernet or raw IPv4 frames.
fn udp_payloads(name: &str) -> Vec<Vec<u8>> {
    let data = std::fs::read(format!(
        "{}/tests/data/rtp/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let little = match data[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] => false,
        _ => panic!("{name}: not a pcap file"),
    };
    let u32_at = |at: usize| {
        let b = [data[at], data[at + 1], data[at + 2], data[at + 3]];
        if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let link = u32_at(20);
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= data.len() {
        let len = u32_at(at + 8) as usize;
        let frame = &data[at + 16..at + 16 + len];
        at += 16 + len;
        let ip = match link {
            1 => &frame[14..],   // Ethernet
            101 => frame,        // raw IP
            113 => &frame[16..], // Linux cooked
            other => panic!("link type {other}"),
        };
        if ip[0] >> 4 != 4 || ip[9] != 17 {
            continue;
        }
        let udp = &ip[usize::from(ip[0] & 0x0F) * 4..];
        let udp_len = usize::from(u16::from_be_bytes([udp[4], udp[5]]));
        out.push(udp[8..udp_len].to_vec());
    }
    out
}

#[test]
fn alaw_speech_parses_decodes_and_runs_in_order() {
    let payloads = udp_payloads("g711a.pcap");
    assert_eq!(payloads.len(), 236);
    let mut codec = G711::alaw();
    let mut pcm = Vec::new();
    let mut seq = SequenceExtender::new();
    let mut previous: Option<(u16, u32)> = None;
    for p in &payloads {
        let rtp = RtpPacket::parse(p).unwrap();
        assert_eq!(rtp.payload_type, 8);
        // 30 ms frames: 240 samples at 8 kHz, and the timestamp advances by as many.
        assert_eq!(rtp.payload.len(), 240);
        if let Some((s, ts)) = previous {
            assert!(seq_after(rtp.sequence, s));
            assert_eq!(rtp.timestamp.wrapping_sub(ts), 240);
        }
        previous = Some((rtp.sequence, rtp.timestamp));
        seq.extend(rtp.sequence);
        codec.decode(rtp.payload, &mut pcm).unwrap();
    }
    assert_eq!(pcm.len(), payloads.len() * 240);
    assert_eq!(
        seq.highest().unwrap() - (1 << 16) + 1
            - u64::from(RtpPacket::parse(&payloads[0]).unwrap().sequence),
        236
    );
    // Seven seconds of speech: clearly not silence.
    let energy = pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len() as f64;
    assert!(energy.sqrt() > 100.0, "RMS {}", energy.sqrt());
}

#[test]
fn each_dtmf_capture_yields_its_digit_once() {
    for (file, digit) in [
        ("0", '0'),
        ("1", '1'),
        ("2", '2'),
        ("3", '3'),
        ("4", '4'),
        ("5", '5'),
        ("6", '6'),
        ("7", '7'),
        ("8", '8'),
        ("9", '9'),
        ("star", '*'),
        ("pound", '#'),
    ] {
        let mut receiver = EventReceiver::new();
        let mut digits = Vec::new();
        for p in udp_payloads(&format!("dtmf_2833_{file}.pcap")) {
            let rtp = RtpPacket::parse(&p).unwrap();
            let event = TelephoneEvent::parse(rtp.payload).unwrap();
            digits.extend(receiver.push(rtp.timestamp, event));
        }
        digits.extend(receiver.finish());
        let keys: String = digits.iter().map(|d| d.digit).collect();
        assert_eq!(keys, digit.to_string(), "{file}");
        assert!(digits[0].duration > 0);
    }
}

/// The same captures in-band: each recovered event is played as its tone pair for its duration,
/// carried through A-law as a gateway would, decoded, and detected again.
#[test]
fn each_dtmf_capture_yields_its_digit_in_band_after_g711() {
    for (file, digit) in [
        ("0", '0'),
        ("1", '1'),
        ("2", '2'),
        ("3", '3'),
        ("4", '4'),
        ("5", '5'),
        ("6", '6'),
        ("7", '7'),
        ("8", '8'),
        ("9", '9'),
        ("star", '*'),
        ("pound", '#'),
    ] {
        let mut receiver = EventReceiver::new();
        let mut audio: Vec<i16> = vec![0; 400];
        for p in udp_payloads(&format!("dtmf_2833_{file}.pcap")) {
            let rtp = RtpPacket::parse(&p).unwrap();
            if let Some(d) =
                receiver.push(rtp.timestamp, TelephoneEvent::parse(rtp.payload).unwrap())
            {
                let ms = u32::from(d.duration) / 8; // 8 kHz timestamp units
                audio.extend(generate(d.digit, ms.max(60), 8000).unwrap());
                audio.extend(std::iter::repeat_n(0, 400));
            }
        }
        let mut codec = G711::alaw();
        let mut wire = Vec::new();
        codec.encode(&audio, &mut wire).unwrap();
        let mut decoded = Vec::new();
        codec.decode(&wire, &mut decoded).unwrap();
        let keys: String = InbandDetector::new()
            .push(&decoded)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, digit.to_string(), "{file}");
    }
}

/// Speech must not be taken for keys (talk-off).
#[test]
fn speech_is_not_taken_for_dtmf() {
    let mut codec = G711::alaw();
    let mut pcm = Vec::new();
    for p in udp_payloads("g711a.pcap") {
        codec
            .decode(RtpPacket::parse(&p).unwrap().payload, &mut pcm)
            .unwrap();
    }
    let found = InbandDetector::new().push(&pcm);
    assert!(found.is_empty(), "talk-off: {found:?}");
}
