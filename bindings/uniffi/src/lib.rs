//! # sambung-uniffi
//!
//! The uniffi binding of Sambung. Nothing lives here yet; this crate will export the Sambung
//! API to Kotlin, Swift and Python through uniffi, with a test per foreign language.
#![forbid(unsafe_code)]
