//! # sambung-tests
//!
//! Cross-crate tests for Sambung, and what they share:
//!
//! - [`sim`]: a deterministic simulation harness (virtual clock, in-memory network with seeded
//!   loss, duplication, reordering and delay) that drives the sans-IO cores against each
//!   other; `tests/sip_simulation.rs` runs every SIP transaction type, a registration, whole
//!   calls, a cancelled call and a transfer through it.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sambung_tests::sim::{Conditions, Sim};
//! let start = Instant::now();
//! let mut sim = Sim::new(7, Conditions::hostile(), start);
//! sim.run_until(&mut [], start + Duration::from_secs(1));
//! assert_eq!(sim.now(), start + Duration::from_secs(1));
//! ```
#![forbid(unsafe_code)]

pub mod sim;
