//! # sambung-media
//!
//! The media plane of Sambung. Today it holds:
//!
//! - [`g711`]: G.711 µ-law and A-law, bit-exact with the ITU-T G.191 STL reference;
//! - [`codec`]: the [`Codec`](codec::Codec) trait that every codec sits behind;
//! - [`rtp`]: RTP packets (RFC 3550) read without copying and written, with wrap-aware
//!   sequence and timestamp arithmetic;
//! - [`payload`]: payload-type maps from RFC 3551 and SDP `rtpmap` lines;
//! - [`dtmf`]: RFC 4733 telephone-events and a receiver that yields each press once; in-band
//!   DTMF generation and Goertzel detection with ITU-T Q.24 limits; SIP INFO `dtmf-relay`;
//! - [`jitter`]: an adaptive, sans-IO jitter buffer with NetEQ-style statistics;
//! - [`mixer`]: N-party mixing with the supervisor modes listen, whisper and barge;
//! - [`tones`]: call-progress tones with Indonesian cadences;
//! - [`wav`]: WAV files in PCM 16-bit and G.711;
//! - `opus` (feature `opus`, on by default): Opus through libopus.
//!
//! - [`rtcp`]: RTCP compound packets and RFC 3550 reception statistics;
//! - `srtp` (feature `srtp`): SRTP and SRTCP with SDES keys, through webrtc-srtp;
//! - [`relay`]: the B2BUA's media relay, sans-IO, with its tokio UDP driver under the feature
//!   `relay`;
//! - `prompt` (feature `prompts`, on by default): WAV prompts resampled to the call's rate and
//!   played frame by frame.
//!
//! ```
//! use sambung_media::codec::{Codec, G711};
//! let mut codec = G711::ulaw();
//! let mut payload = Vec::new();
//! codec.encode(&[0, 1000, -1000], &mut payload)?;
//! let mut pcm = Vec::new();
//! codec.decode(&payload, &mut pcm)?;
//! assert_eq!(pcm.len(), 3);
//! assert!((pcm[1] - 1000).abs() < 40);
//! # Ok::<(), sambung_media::codec::CodecError>(())
//! ```
//!
//! Architecture invariant: the core of this crate performs no I/O and never reads a clock
//! (enforced by this crate's `clippy.toml`).
#![forbid(unsafe_code)]

pub mod codec;
pub mod dtmf;
pub mod g711;
pub mod jitter;
pub mod mixer;
#[cfg(feature = "opus")]
pub mod opus;
pub mod payload;
#[cfg(feature = "prompts")]
pub mod prompt;
pub mod relay;
pub mod rtcp;
pub mod rtp;
#[cfg(feature = "srtp")]
pub mod srtp;
pub mod tones;
pub mod wav;

/// Test helpers shared by the unit tests.
#[cfg(test)]
mod tests_support {
    /// A base instant for simulated time in tests.
    pub(crate) fn base() -> std::time::Instant {
        #[expect(
            clippy::disallowed_methods,
            reason = "one real instant as the base of simulated time"
        )]
        std::time::Instant::now()
    }
}
