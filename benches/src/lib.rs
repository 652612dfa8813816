//! # sambung-benches
//!
//! Side-by-side benchmarks of Sambung against named peers. Nothing lives here yet; each
//! benchmark will run Sambung and a peer (other Rust SIP stacks, PJMEDIA, Asterisk tools) on the
//! same input in the same run and print the ratio.
#![forbid(unsafe_code)]
