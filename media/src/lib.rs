//! # sambung-media
//!
//! The media plane of Sambung. Nothing lives here yet; this crate will hold:
//!
//! - RTP and RTCP sessions (RFC 3550, RFC 3551), SRTP, and a sans-IO adaptive jitter buffer;
//! - codecs behind one `Codec` trait: G.711 µ-law and A-law, Opus, L16;
//! - DTMF (RFC 4733 telephone-events, in-band detection and generation, SIP INFO bodies);
//! - call-progress tones with Indonesian cadences, WAV prompt playback, and an N-party mixer
//!   with the supervisor modes listen, whisper and barge.
//!
//! Architecture invariant: the core of this crate performs no I/O and never reads a clock
//! (enforced by this crate's `clippy.toml`).
#![forbid(unsafe_code)]
