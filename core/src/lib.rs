//! # sambung-core
//!
//! The vocabulary every Sambung crate shares:
//!
//! - [`ids`]: typed identifiers for calls, legs, agents, queues, recordings and tickets;
//! - [`phone`]: phone numbers in any written form, normalised to E.164 or a short code and
//!   classified (mobile with operator, fixed line with area code, toll-free, premium, short code,
//!   international), with a masked `Display` for logs;
//! - [`clock`]: the [`Clock`](clock::Clock) trait with a real and a simulated clock;
//! - [`calendar`]: office hours — weekly opening hours, holidays and special days in a named
//!   time zone;
//! - [`event`]: the append-only log of call, leg, queue and agent events that metrics, CDRs
//!   and reports are projections of;
//! - [`error`]: the shared error conventions and the crate's top-level [`Error`].
//!
//! ```
//! use sambung_core::phone::{NumberClass, PhoneNumber};
//! use sambung_core::calendar::OfficeHours;
//!
//! let caller: PhoneNumber = "0812-3456-7890".parse()?;
//! assert_eq!(caller.e164().as_deref(), Some("+6281234567890"));
//! assert!(matches!(caller.class(), NumberClass::Mobile { .. }));
//! // Logs never see the whole number.
//! assert_eq!(caller.to_string(), "+62812******90");
//!
//! let hours = OfficeHours::weekdays("Asia/Jakarta", "08:00-17:00")?;
//! let monday_morning: jiff::Timestamp = "2026-11-30T01:00:00Z".parse()?; // 08:00 WIB
//! assert!(hours.is_open(monday_morning));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod calendar;
pub mod clock;
pub mod error;
pub mod event;
pub mod ids;
pub mod phone;

pub use error::Error;
