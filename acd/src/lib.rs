//! # sambung-acd
//!
//! Automatic call distribution for Sambung. Nothing lives here yet; this crate will hold:
//!
//! - a sans-IO scheduler that takes events and instants and returns actions (offer a call to an
//!   agent, play a prompt, overflow) and its next deadline;
//! - agents with free seating and feature codes, queues with routing strategies, skills and
//!   caller priority, and call flows as versioned data;
//! - CMS metrics (real-time and 15-minute history) as projections of the
//!   `sambung_core::event` log.
//!
//! Architecture invariant: this crate performs no I/O and never reads a clock (enforced by this
//! crate's `clippy.toml`).
#![forbid(unsafe_code)]
