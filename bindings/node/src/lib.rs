//! # sambung-node
//!
//! The Node.js binding of Sambung. Nothing lives here yet; this crate will become the napi-rs
//! addon behind the `sambung` npm package, a thin layer over the Sambung crates.
#![forbid(unsafe_code)]
