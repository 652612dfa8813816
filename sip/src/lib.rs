//! # sambung-sip
//!
//! The SIP stack of Sambung. Today it holds the message layer:
//!
//! - [`Message::parse`]: a zero-copy parser of a complete SIP datagram (RFC 3261 §7, §18.3, the
//!   §25 grammar) that does the whole job in one pass — the start line, then each header line
//!   in order, the core headers validated and typed as they come — and borrows from its input;
//! - [`Uri`]: `sip:`, `sips:`, `tel:` and opaque absolute URIs, with RFC 5118 IPv6 references;
//! - [`ParseError`]: what was wrong, where, and the response a server should send.
//!
//! ```
//! use sambung_sip::{Message, Method};
//!
//! let bytes = b"OPTIONS sip:1500112@127.0.0.1 SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds\r\n\
//!     Max-Forwards: 70\r\n\
//!     To: <sip:1500112@127.0.0.1>\r\n\
//!     From: \"Ani\" <sip:0812@127.0.0.1>;tag=1928301774\r\n\
//!     Call-ID: a84b4c76e66710\r\n\
//!     CSeq: 63104 OPTIONS\r\n\
//!     Content-Length: 0\r\n\r\n";
//! let msg = Message::parse(bytes)?;
//! assert_eq!(msg.method(), Method::Options);
//! assert_eq!(msg.from().tag(), Some("1928301774"));
//! assert_eq!(msg.via().branch(), Some("z9hG4bK776asdhds"));
//!
//! let bad = Message::parse(b"OPTIONS sip:x SIP/7.0\r\n\r\n").unwrap_err();
//! assert_eq!(bad.response_code(), Some(505));
//! # Ok::<(), sambung_sip::ParseError>(())
//! ```
//!
//! Architecture invariant: the core of this crate performs no I/O and never reads a clock;
//! time comes in as `Instant` arguments (enforced by this crate's `clippy.toml`).
#![forbid(unsafe_code)]

pub mod auth;
pub mod b2bua;
pub mod dialog;
pub mod error;
pub mod framing;
pub mod header;
pub mod headers;
pub mod locate;
pub mod message;
pub mod owned;
pub mod registrar;
mod reoffer;
#[cfg(feature = "report")]
pub mod report;
mod scan;
pub mod sdp;
pub mod serialize;
pub mod session_timer;
pub mod transaction;
#[cfg(feature = "tokio")]
pub mod transport;
pub mod uac;
pub mod uas;
pub mod uas_checks;
pub mod uri;

pub use error::{ErrorKind, ParseError};
pub use header::{Header, HeaderName};
pub use message::{Message, Method, ParseOptions, StartLine};
pub use owned::OwnedMessage;
pub use serialize::{BuildError, MessageBuilder};
pub use uri::{Host, Params, Uri};

#[cfg(test)]
mod test_support {
    /// The settings of this crate's property tests: `cases` cases, and no regression files.
    pub(crate) fn proptest_config(cases: u32) -> proptest::prelude::ProptestConfig {
        proptest::prelude::ProptestConfig {
            failure_persistence: None,
            cases,
            ..proptest::prelude::ProptestConfig::default()
        }
    }
}
