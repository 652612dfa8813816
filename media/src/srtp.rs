//! SRTP and SRTCP (RFC 3711) with keys exchanged by SDES (RFC 4568 `a=crypto` lines), through
//! `webrtc-srtp`: the suites `AES_CM_128_HMAC_SHA1_80` and `AES_CM_128_HMAC_SHA1_32`.
//!
//! An [`SrtpSession`] holds one call leg's two directions: packets we send are protected with
//! our key, packets we receive are checked and decrypted with the peer's. Packets that fail
//! (bad authentication tag, replayed, too short, from one SSRC too many) are typed errors and
//! counted in [`SrtpStats`]; none of them stops the stream.
//!
//! ```
//! use sambung_media::srtp::{SrtpKey, SrtpSession, SrtpSuite};
//! let ours = SrtpKey::random(SrtpSuite::AesCm128HmacSha1_80)?;
//! let theirs = SrtpKey::from_inline("AES_CM_128_HMAC_SHA1_80", &ours.to_inline())?;
//! let mut alice = SrtpSession::new(&ours, &theirs)?;
//! let mut bob = SrtpSession::new(&theirs, &ours)?;
//! let rtp = [0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7, 0xD5, 0xD5];
//! let protected = alice.protect_rtp(&rtp)?;
//! assert_eq!(protected.len(), rtp.len() + 10);
//! assert_eq!(&bob.unprotect_rtp(&protected)?[..], &rtp[..]);
//! # Ok::<(), sambung_media::srtp::SrtpError>(())
//! ```

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use webrtc_srtp::context::Context;
use webrtc_srtp::protection_profile::ProtectionProfile;

/// Distinct SSRCs one session accepts from the network. The library keeps state per SSRC
/// before it checks the tag, so without a bound forged packets would grow memory.
pub const MAX_INBOUND_SSRCS: usize = 16;

/// Master key plus master salt of the AES-CM suites: 16 + 14 bytes.
const KEY_AND_SALT: usize = 30;
const KEY_LEN: usize = 16;
/// Packets in the replay window.
const REPLAY_WINDOW: usize = 128;

/// Why a packet or key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrtpError {
    /// The crypto suite is not one we support.
    #[error("unsupported SRTP crypto suite {0:?}")]
    UnsupportedSuite(String),
    /// The inline key is not base64 of 30 bytes.
    #[error("SDES inline key must be base64 of {KEY_AND_SALT} bytes (key and salt)")]
    BadKey,
    /// The system could not give random bytes for a new key.
    #[error("no randomness for a new SRTP key")]
    NoRandomness,
    /// The packet is too short or not RTP/RTCP.
    #[error("malformed SRTP/SRTCP packet: {0}")]
    Malformed(String),
    /// The authentication tag did not verify.
    #[error("SRTP/SRTCP authentication tag did not verify")]
    Authentication,
    /// The packet was seen before (or is older than the replay window).
    #[error("replayed SRTP/SRTCP packet")]
    Replay,
    /// A new SSRC beyond [`MAX_INBOUND_SSRCS`].
    #[error("SRTP packet from one SSRC too many ({0:#010x})")]
    TooManySources(u32),
    /// The key has protected as many packets as RFC 3711 §9.2 allows.
    #[error("SRTP key exhausted: rekey")]
    KeyExhausted,
}

impl From<webrtc_srtp::Error> for SrtpError {
    fn from(e: webrtc_srtp::Error) -> Self {
        use webrtc_srtp::Error as E;
        match e {
            E::RtpFailedToVerifyAuthTag
            | E::RtcpFailedToVerifyAuthTag
            | E::ErrFailedToVerifyAuthTag => Self::Authentication,
            E::SrtpSsrcDuplicated(..) | E::SrtcpSsrcDuplicated(..) | E::ErrDuplicated => {
                Self::Replay
            }
            E::ErrExceededMaxPackets => Self::KeyExhausted,
            other => Self::Malformed(other.to_string()),
        }
    }
}

/// The SDES crypto suites supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SrtpSuite {
    /// `AES_CM_128_HMAC_SHA1_80`: 80-bit tags (the one every SDES peer offers).
    AesCm128HmacSha1_80,
    /// `AES_CM_128_HMAC_SHA1_32`: 32-bit RTP tags (RTCP keeps 80).
    AesCm128HmacSha1_32,
}

impl SrtpSuite {
    /// The suite an `a=crypto` line names, if supported.
    pub fn from_sdp(name: &str) -> Option<Self> {
        match name {
            "AES_CM_128_HMAC_SHA1_80" => Some(Self::AesCm128HmacSha1_80),
            "AES_CM_128_HMAC_SHA1_32" => Some(Self::AesCm128HmacSha1_32),
            _ => None,
        }
    }

    /// The name SDP writes.
    pub fn sdp_name(self) -> &'static str {
        match self {
            Self::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    /// Bytes of authentication tag added to each RTP packet.
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Self::AesCm128HmacSha1_80 => 10,
            Self::AesCm128HmacSha1_32 => 4,
        }
    }

    fn profile(self) -> ProtectionProfile {
        match self {
            Self::AesCm128HmacSha1_80 => ProtectionProfile::Aes128CmHmacSha1_80,
            Self::AesCm128HmacSha1_32 => ProtectionProfile::Aes128CmHmacSha1_32,
        }
    }
}

/// A master key and salt for one direction, with its suite.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKey {
    suite: SrtpSuite,
    material: [u8; KEY_AND_SALT],
}

impl std::fmt::Debug for SrtpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys never reach logs.
        f.debug_struct("SrtpKey")
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

impl SrtpKey {
    /// The key of an `a=crypto` line: its suite name and the base64 of its `inline:` key
    /// parameter (lifetime and MKI already cut off, as `sambung_sip`'s `Crypto::inline_key`
    /// gives it).
    pub fn from_inline(suite: &str, inline: &str) -> Result<Self, SrtpError> {
        let suite =
            SrtpSuite::from_sdp(suite).ok_or_else(|| SrtpError::UnsupportedSuite(suite.into()))?;
        let inline = inline.split('|').next().unwrap_or_default();
        if inline.len() > 64 {
            return Err(SrtpError::BadKey);
        }
        let bytes = STANDARD
            .decode(inline)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(inline))
            .map_err(|_| SrtpError::BadKey)?;
        let material =
            <[u8; KEY_AND_SALT]>::try_from(bytes.as_slice()).map_err(|_| SrtpError::BadKey)?;
        Ok(Self { suite, material })
    }

    /// A fresh random key for our side of a call.
    pub fn random(suite: SrtpSuite) -> Result<Self, SrtpError> {
        let mut material = [0u8; KEY_AND_SALT];
        getrandom::fill(&mut material).map_err(|_| SrtpError::NoRandomness)?;
        Ok(Self { suite, material })
    }

    /// The suite.
    pub fn suite(&self) -> SrtpSuite {
        self.suite
    }

    /// The base64 for an `inline:` key parameter.
    pub fn to_inline(&self) -> String {
        STANDARD.encode(self.material)
    }

    /// A whole `a=crypto` attribute value with this tag: `1 AES_CM_128_HMAC_SHA1_80 inline:…`.
    pub fn to_sdp_attribute(&self, tag: u32) -> String {
        format!(
            "{tag} {} inline:{}",
            self.suite.sdp_name(),
            self.to_inline()
        )
    }

    fn context(&self) -> Result<Context, SrtpError> {
        let (key, salt) = self.material.split_at(KEY_LEN);
        // Replay windows of 128 packets, libsrtp's default (RFC 3711 §3.3.2 asks for 64+).
        Context::new(
            key,
            salt,
            self.suite.profile(),
            Some(webrtc_srtp::option::srtp_replay_protection(REPLAY_WINDOW)),
            Some(webrtc_srtp::option::srtcp_replay_protection(REPLAY_WINDOW)),
        )
        .map_err(SrtpError::from)
    }
}

/// Counts of what an [`SrtpSession`] refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SrtpStats {
    /// Packets protected.
    pub protected: u64,
    /// Packets that verified and decrypted.
    pub unprotected: u64,
    /// Packets whose tag did not verify.
    pub auth_failures: u64,
    /// Replayed packets.
    pub replays: u64,
    /// Malformed packets, and packets from one SSRC too many.
    pub malformed: u64,
}

/// One call leg's SRTP: our key protects what we send, the peer's checks what we receive.
pub struct SrtpSession {
    outbound: Context,
    inbound: Context,
    inbound_suite: SrtpSuite,
    inbound_ssrcs: HashSet<u32>,
    stats: SrtpStats,
}

impl std::fmt::Debug for SrtpSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrtpSession")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl SrtpSession {
    /// A session sending with `local` and receiving with `remote`.
    pub fn new(local: &SrtpKey, remote: &SrtpKey) -> Result<Self, SrtpError> {
        Ok(Self {
            outbound: local.context()?,
            inbound: remote.context()?,
            inbound_suite: remote.suite,
            inbound_ssrcs: HashSet::new(),
            stats: SrtpStats::default(),
        })
    }

    /// What was protected, accepted and refused so far.
    pub fn stats(&self) -> SrtpStats {
        self.stats
    }

    /// Encrypts and authenticates an RTP packet.
    pub fn protect_rtp(&mut self, rtp: &[u8]) -> Result<Bytes, SrtpError> {
        check_rtp_header(rtp)?;
        let out = self.outbound.encrypt_rtp(rtp).map_err(SrtpError::from)?;
        self.stats.protected += 1;
        Ok(out)
    }

    /// Encrypts and authenticates an RTCP compound packet.
    pub fn protect_rtcp(&mut self, rtcp: &[u8]) -> Result<Bytes, SrtpError> {
        let out = self.outbound.encrypt_rtcp(rtcp).map_err(SrtpError::from)?;
        self.stats.protected += 1;
        Ok(out)
    }

    /// Verifies and decrypts an SRTP packet.
    pub fn unprotect_rtp(&mut self, srtp: &[u8]) -> Result<Bytes, SrtpError> {
        let min = 12 + self.inbound_suite.rtp_tag_len();
        let result = check_rtp_header(srtp)
            .and_then(|()| self.admit(srtp, 8, min))
            .and_then(|()| self.inbound.decrypt_rtp(srtp).map_err(SrtpError::from));
        self.count(result)
    }

    /// Verifies and decrypts an SRTCP packet.
    pub fn unprotect_rtcp(&mut self, srtcp: &[u8]) -> Result<Bytes, SrtpError> {
        // webrtc-srtp 0.17 reads the SRTCP index before it checks the length, and panics on
        // packets shorter than index + tag: refused here first (header, index, 80-bit tag).
        let result = self
            .admit(srtcp, 4, 8 + 4 + 10)
            .and_then(|()| self.inbound.decrypt_rtcp(srtcp).map_err(SrtpError::from));
        self.count(result)
    }

    /// Checks the length and version, and bounds the SSRCs before the library keeps state for
    /// one.
    fn admit(&mut self, packet: &[u8], ssrc_at: usize, min_len: usize) -> Result<(), SrtpError> {
        let Some(ssrc) = packet
            .get(ssrc_at..ssrc_at + 4)
            .filter(|_| packet.len() >= min_len)
        else {
            return Err(SrtpError::Malformed(format!("{} bytes", packet.len())));
        };
        if packet[0] >> 6 != 2 {
            return Err(SrtpError::Malformed("not RTP version 2".into()));
        }
        let ssrc = u32::from_be_bytes([ssrc[0], ssrc[1], ssrc[2], ssrc[3]]);
        if self.inbound_ssrcs.contains(&ssrc) {
            return Ok(());
        }
        if self.inbound_ssrcs.len() >= MAX_INBOUND_SSRCS {
            return Err(SrtpError::TooManySources(ssrc));
        }
        self.inbound_ssrcs.insert(ssrc);
        Ok(())
    }

    fn count(&mut self, result: Result<Bytes, SrtpError>) -> Result<Bytes, SrtpError> {
        match &result {
            Ok(_) => self.stats.unprotected += 1,
            Err(SrtpError::Authentication) => self.stats.auth_failures += 1,
            Err(SrtpError::Replay) => self.stats.replays += 1,
            Err(_) => self.stats.malformed += 1,
        }
        result
    }
}

/// Checks what the `rtp` crate under webrtc-srtp reads of an RTP header: the CSRC list, and
/// the header extension with each RFC 8285 element inside it. That parser trusts element
/// lengths and panics on one that runs past the packet (found by the `srtp` fuzz target), so
/// nothing reaches it unchecked.
fn check_rtp_header(p: &[u8]) -> Result<(), SrtpError> {
    let malformed = |what: &str| Err(SrtpError::Malformed(what.to_owned()));
    if p.len() < 12 {
        return malformed("shorter than an RTP header");
    }
    if p[0] >> 6 != 2 {
        return malformed("not RTP version 2");
    }
    let at = 12 + 4 * usize::from(p[0] & 0x0F);
    if p[0] & 0x10 == 0 {
        return if p.len() < at {
            malformed("CSRC list past the end")
        } else {
            Ok(())
        };
    }
    let Some(head) = p.get(at..at + 4) else {
        return malformed("extension header past the end");
    };
    let profile = u16::from_be_bytes([head[0], head[1]]);
    let start = at + 4;
    let end = start + 4 * usize::from(u16::from_be_bytes([head[2], head[3]]));
    if p.len() < end {
        return malformed("header extension past the end");
    }
    let mut i = start;
    if profile == 0xBEDE {
        // RFC 8285 one-byte elements: ID (4 bits), length − 1 (4 bits); ID 15 ends the list.
        while i < end {
            let b = p[i];
            i += 1;
            if b == 0 {
                continue;
            }
            if b >> 4 == 15 {
                break;
            }
            i += usize::from(b & 0x0F) + 1;
            if i > end {
                return malformed("one-byte extension element past the block");
            }
        }
    } else if profile & 0xFFF0 == 0x1000 {
        // RFC 8285 two-byte elements: ID, length.
        while i < end {
            if p[i] == 0 {
                i += 1;
                continue;
            }
            let Some(&len) = p.get(i + 1).filter(|_| i + 2 <= end) else {
                return malformed("two-byte extension element past the block");
            };
            i += 2 + usize::from(len);
            if i > end {
                return malformed("two-byte extension element past the block");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(suite: SrtpSuite) -> (SrtpSession, SrtpSession) {
        let a = SrtpKey::random(suite).unwrap();
        let b = SrtpKey::random(suite).unwrap();
        (
            SrtpSession::new(&a, &b).unwrap(),
            SrtpSession::new(&b, &a).unwrap(),
        )
    }

    fn rtp(seq: u16, ssrc: u32) -> Vec<u8> {
        let mut p = vec![0x80, 0];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(&[0xD5; 160]);
        p
    }

    #[test]
    fn both_suites_round_trip_rtp_and_rtcp() {
        for suite in [
            SrtpSuite::AesCm128HmacSha1_80,
            SrtpSuite::AesCm128HmacSha1_32,
        ] {
            let (mut alice, mut bob) = pair(suite);
            for seq in [65530u16, 65535, 0, 1, 2] {
                let plain = rtp(seq, 7);
                let sealed = alice.protect_rtp(&plain).unwrap();
                assert_eq!(sealed.len(), plain.len() + suite.rtp_tag_len());
                assert_ne!(&sealed[12..172], &plain[12..]);
                assert_eq!(&bob.unprotect_rtp(&sealed).unwrap()[..], &plain[..]);
            }
            // An RTCP receiver report with no blocks.
            let rr = [0x80, 201, 0, 1, 0, 0, 0, 7];
            let sealed = bob.protect_rtcp(&rr).unwrap();
            assert_eq!(&alice.unprotect_rtcp(&sealed).unwrap()[..], &rr[..]);
        }
    }

    #[test]
    fn tampering_replay_and_junk_are_typed_and_counted() {
        let (mut alice, mut bob) = pair(SrtpSuite::AesCm128HmacSha1_80);
        let sealed = alice.protect_rtp(&rtp(10, 7)).unwrap();
        let mut bad = sealed.to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(bob.unprotect_rtp(&bad), Err(SrtpError::Authentication));
        assert!(
            bob.unprotect_rtp(&sealed).is_ok(),
            "one bad packet never stops a stream"
        );
        assert_eq!(bob.unprotect_rtp(&sealed), Err(SrtpError::Replay));
        assert!(matches!(
            bob.unprotect_rtp(&[0x80, 0]),
            Err(SrtpError::Malformed(_))
        ));
        assert!(matches!(
            bob.unprotect_rtp(&[0u8; 40]),
            Err(SrtpError::Malformed(_))
        ));
        let next = alice.protect_rtp(&rtp(11, 7)).unwrap();
        assert!(bob.unprotect_rtp(&next).is_ok());
        let s = bob.stats();
        assert_eq!(
            (s.unprotected, s.auth_failures, s.replays, s.malformed),
            (2, 1, 1, 2)
        );
    }

    #[test]
    fn short_srtcp_that_panicked_webrtc_srtp_is_refused() {
        // Found by the `srtp` fuzz target: shorter than index + tag.
        let (_, mut bob) = pair(SrtpSuite::AesCm128HmacSha1_80);
        for packet in [
            &[0xa8, 0xff, 0xff, 0xff, 0x34, 0x12, 0x00, 0x0a][..],
            &[0xb4, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0x00, 0x0a],
            &[0x80, 200, 0, 1, 0, 0, 0, 1, 0x80, 0, 0, 1, 0, 0],
        ] {
            assert!(matches!(
                bob.unprotect_rtcp(packet),
                Err(SrtpError::Malformed(_))
            ));
            assert!(matches!(
                bob.unprotect_rtp(packet),
                Err(SrtpError::Malformed(_))
            ));
        }
    }

    #[test]
    fn extension_elements_past_their_block_are_refused() {
        let (mut alice, mut bob) = pair(SrtpSuite::AesCm128HmacSha1_80);
        // Found by the fuzz target: a two-byte element (profile 0x1000) longer than its block.
        let crash: &[u8] = &[
            0x32, 0x34, 0x00, 0xcb, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8b, 0x0a, 0xeb,
            0x24, 0x37, 0x2c, 0x00, 0x00, 0x01, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xcb,
            0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8b,
        ];
        assert!(matches!(
            alice.protect_rtp(crash),
            Err(SrtpError::Malformed(_))
        ));
        assert!(matches!(
            bob.unprotect_rtp(crash),
            Err(SrtpError::Malformed(_))
        ));
        // A one-byte element (0xBEDE) claiming 16 bytes in a one-word block.
        let mut one = rtp(1, 9);
        one[0] |= 0x10;
        one.splice(12..12, [0xBE, 0xDE, 0, 1, 0x1F, 0, 0, 0]);
        assert!(matches!(
            alice.protect_rtp(&one),
            Err(SrtpError::Malformed(_))
        ));
        // Well-formed elements pass and round-trip.
        one[16] = 0x12;
        let sealed = alice.protect_rtp(&one).unwrap();
        assert_eq!(&bob.unprotect_rtp(&sealed).unwrap()[..], &one[..]);
    }

    #[test]
    fn forged_packets_from_many_ssrcs_are_bounded() {
        let (mut alice, mut bob) = pair(SrtpSuite::AesCm128HmacSha1_80);
        // The real source speaks first.
        let first = alice.protect_rtp(&rtp(1, 0xDEAD_BEEF)).unwrap();
        assert!(bob.unprotect_rtp(&first).is_ok());
        let mut forged = rtp(1, 0);
        forged.extend_from_slice(&[0; 10]);
        for ssrc in 0..10_000u32 {
            forged[8..12].copy_from_slice(&ssrc.to_be_bytes());
            assert!(bob.unprotect_rtp(&forged).is_err());
        }
        assert_eq!(bob.inbound_ssrcs.len(), MAX_INBOUND_SSRCS);
        // After the flood, the source that came first still gets through.
        let later = alice.protect_rtp(&rtp(2, 0xDEAD_BEEF)).unwrap();
        assert!(bob.unprotect_rtp(&later).is_ok());
    }

    #[test]
    fn keys_parse_from_sdes_and_refuse_junk() {
        let key = SrtpKey::random(SrtpSuite::AesCm128HmacSha1_32).unwrap();
        let line = key.to_sdp_attribute(1);
        assert!(line.starts_with("1 AES_CM_128_HMAC_SHA1_32 inline:"));
        let parsed = SrtpKey::from_inline(
            "AES_CM_128_HMAC_SHA1_32",
            &format!("{}|2^20|1:4", key.to_inline()),
        )
        .unwrap();
        assert_eq!(parsed, key);
        assert!(!format!("{key:?}").contains(&key.to_inline()));
        assert_eq!(
            SrtpKey::from_inline("F8_128_HMAC_SHA1_80", &key.to_inline()),
            Err(SrtpError::UnsupportedSuite("F8_128_HMAC_SHA1_80".into()))
        );
        for junk in ["", "****", "QUJD", &"A".repeat(500)] {
            assert_eq!(
                SrtpKey::from_inline("AES_CM_128_HMAC_SHA1_80", junk),
                Err(SrtpError::BadKey)
            );
        }
    }
}
