//! # sambung-bindings
//!
//! The one surface that the Python, Node and uniffi bindings wrap, so that each of them is a
//! mechanical layer of its language's types and nothing else. Here, and only here, the core
//! crates' types meet the shapes every language has:
//!
//! - bytes in and out as `&[u8]` / `Vec<u8>`, PCM as 16-bit little-endian bytes;
//! - time as seconds (`f64`) since the object was made — the sans-IO cores take `Instant`s;
//! - enums as their lower-case names (`"ulaw"`, `"longest_idle"`, `"available"`);
//! - structured results as JSON values with the same field names everywhere (a message's
//!   fields are those of `sip-lint --json`);
//! - every failure as one [`Error`], whose kind tells the binding which exception to raise.
//!
//! ```
//! use sambung_bindings::sip::Message;
//!
//! let m = Message::parse(b"OPTIONS sip:1500112@127.0.0.1 SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n\
//!     To: <sip:1500112@127.0.0.1>\r\nCall-ID: abc\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\
//!     Content-Length: 0\r\n\r\n")?;
//! assert_eq!(m.method().as_deref(), Some("OPTIONS"));
//! assert_eq!(m.to_json()["cseq"]["seq"], 1);
//! let err = Message::parse(b"INVITE sip:x SIP/2.0\r\n\r\n").unwrap_err();
//! assert_eq!(err.response_code(), Some(400));
//! # Ok::<(), sambung_bindings::Error>(())
//! ```
#![forbid(unsafe_code)]

pub mod acd;
mod error;
pub mod media;
pub mod recording;
pub mod sip;
mod time;

pub use error::{Error, ErrorKind};
