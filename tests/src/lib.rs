//! # sambung-tests
//!
//! Cross-crate and real-peer tests (SIPp, baresip, linphone) for Sambung. Nothing lives here
//! yet beyond this crate; its `tests/` folder will drive the reference call center with real
//! SIP peers on loopback.
#![forbid(unsafe_code)]
