//! SRTP against libsrtp, the reference implementation (through the `pylibsrtp` wheel, which
//! carries its own libsrtp 2): what we protect, libsrtp unprotects to the same bytes, and the
//! other way round, for both suites, across a sequence-number wrap; libsrtp's packets with a
//! flipped bit are refused. Required in CI (scripts/test installs pylibsrtp), skipped
//! elsewhere when missing.
#![cfg(feature = "srtp")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "a test fails by panicking; sequence numbers wrap by design"
)]

use std::io::Write;
use std::process::{Command, Stdio};

use sambung_media::srtp::{SrtpError, SrtpKey, SrtpSession, SrtpSuite};

const LIBSRTP: &str = r#"
import json, sys
from pylibsrtp import Policy, Session
req = json.load(sys.stdin)
profile = {"80": Policy.SRTP_PROFILE_AES128_CM_SHA1_80, "32": Policy.SRTP_PROFILE_AES128_CM_SHA1_32}[req["profile"]]
def session(key, direction):
    return Session(policy=Policy(key=bytes.fromhex(key), ssrc_type=direction, srtp_profile=profile))
rx = session(req["their_key"], Policy.SSRC_ANY_INBOUND)
tx = session(req["own_key"], Policy.SSRC_ANY_OUTBOUND)
out = {
    "unprotected_rtp": [rx.unprotect(bytes.fromhex(p)).hex() for p in req["srtp"]],
    "unprotected_rtcp": [rx.unprotect_rtcp(bytes.fromhex(p)).hex() for p in req["srtcp"]],
    "protected_rtp": [tx.protect(bytes.fromhex(p)).hex() for p in req["rtp"]],
    "protected_rtcp": [tx.protect_rtcp(bytes.fromhex(p)).hex() for p in req["rtcp"]],
}
json.dump(out, sys.stdout)
"#;

fn have_pylibsrtp() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import pylibsrtp"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found || std::env::var_os("CI").is_none(),
        "pylibsrtp is required in CI (pip install pylibsrtp)"
    );
    found
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn rtp(seq: u16, ts: u32) -> Vec<u8> {
    let mut p = vec![0x80, 0];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&0x1122_3344u32.to_be_bytes());
    p.extend((0..160u32).map(|i| (i * 7 + u32::from(seq)) as u8));
    p
}

/// A sender report with one SDES chunk's worth of compound packet: SR only, enough here.
fn rtcp_sr(n: u32) -> Vec<u8> {
    let mut p = vec![0x80, 200, 0, 6];
    p.extend_from_slice(&0x1122_3344u32.to_be_bytes());
    for word in [0xE000_0000u32, n, n * 160, n, n * 172] {
        p.extend_from_slice(&word.to_be_bytes());
    }
    p
}

fn libsrtp(request: &serde_json::Value) -> serde_json::Value {
    let mut child = Command::new("python3")
        .args(["-c", LIBSRTP])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "libsrtp side failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn strings(v: &serde_json::Value) -> Vec<Vec<u8>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| unhex(s.as_str().unwrap()))
        .collect()
}

#[test]
fn both_suites_interoperate_with_libsrtp() {
    if !have_pylibsrtp() {
        return;
    }
    for (suite, profile) in [
        (SrtpSuite::AesCm128HmacSha1_80, "80"),
        (SrtpSuite::AesCm128HmacSha1_32, "32"),
    ] {
        let ours = SrtpKey::random(suite).unwrap();
        let theirs = SrtpKey::random(suite).unwrap();
        let mut session = SrtpSession::new(&ours, &theirs).unwrap();
        // Sequence numbers across the 16-bit wrap, so the rollover counter must agree.
        let plain: Vec<Vec<u8>> = (0..40u32)
            .map(|i| {
                rtp(
                    65_520u16.wrapping_add(i as u16),
                    4_000_000_000u32.wrapping_add(i * 160),
                )
            })
            .collect();
        let reports: Vec<Vec<u8>> = (1..4).map(rtcp_sr).collect();
        let srtp: Vec<String> = plain
            .iter()
            .map(|p| hex(&session.protect_rtp(p).unwrap()))
            .collect();
        let srtcp: Vec<String> = reports
            .iter()
            .map(|p| hex(&session.protect_rtcp(p).unwrap()))
            .collect();
        let key_hex = |k: &SrtpKey| {
            use base64::Engine as _;
            hex(&base64::engine::general_purpose::STANDARD
                .decode(k.to_inline())
                .unwrap())
        };
        let answer = libsrtp(&serde_json::json!({
            "profile": profile,
            // libsrtp receives with our key and sends with theirs.
            "their_key": key_hex(&ours),
            "own_key": key_hex(&theirs),
            "srtp": srtp,
            "srtcp": srtcp,
            "rtp": plain.iter().map(|p| hex(p)).collect::<Vec<_>>(),
            "rtcp": reports.iter().map(|p| hex(p)).collect::<Vec<_>>(),
        }));
        assert_eq!(
            strings(&answer["unprotected_rtp"]),
            plain,
            "{profile}: libsrtp read ours"
        );
        assert_eq!(strings(&answer["unprotected_rtcp"]), reports);
        let from_libsrtp = strings(&answer["protected_rtp"]);
        assert_eq!(from_libsrtp[0].len(), plain[0].len() + suite.rtp_tag_len());
        for (sealed, expected) in from_libsrtp.iter().zip(&plain) {
            let mut tampered = sealed.clone();
            tampered[20] ^= 0x10;
            assert_eq!(
                session.unprotect_rtp(&tampered),
                Err(SrtpError::Authentication)
            );
            assert_eq!(&session.unprotect_rtp(sealed).unwrap()[..], &expected[..]);
        }
        for (sealed, expected) in strings(&answer["protected_rtcp"]).iter().zip(&reports) {
            assert_eq!(&session.unprotect_rtcp(sealed).unwrap()[..], &expected[..]);
        }
        let stats = session.stats();
        assert_eq!(stats.unprotected, 43);
        assert_eq!(stats.auth_failures, 40);
    }
}
