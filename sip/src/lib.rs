//! # sambung-sip
//!
//! The SIP stack of Sambung. Nothing lives here yet; this crate will hold:
//!
//! - a zero-copy parser and serializer for SIP messages (RFC 3261 §7, §25), URIs (sip, sips,
//!   tel) and SDP, with stream framing for TCP, TLS and WebSocket;
//! - sans-IO transaction and dialog state machines (RFC 3261 §17, RFC 6026, RFC 4028,
//!   RFC 3515/3891), a registrar and location service, and digest authentication (RFC 8760);
//! - thin tokio drivers for UDP, TCP, TLS and WebSocket transports, and RFC 3263 server location.
//!
//! Architecture invariant: the core of this crate performs no I/O and never reads a clock;
//! time comes in as `Instant` arguments (enforced by this crate's `clippy.toml`).
#![forbid(unsafe_code)]
