//! # sambung-uniffi
//!
//! Sambung for Kotlin, Swift and Python through uniffi: a mechanical layer over
//! `sambung-bindings` with the same names as the Python and Node bindings, in each language's
//! case (`Message.parse(bytes).toJson()` in Kotlin). Results that Python and Node return as
//! dictionaries come back here as JSON text with the same fields (`toJson`, `queueStatsJson`…),
//! and errors as `SambungException.Parse` (`responseCode`, `offset`), `.InvalidArgument` and
//! `.Core`, each with the core's message in `detail`.
//!
//! Generate the bindings from the built library:
//! `cargo run -p sambung-uniffi --features bindgen --bin uniffi-bindgen -- generate --library
//! target/debug/libsambung_uniffi.so --language kotlin --out-dir out` (or `swift`, `python`).
// uniffi's macros expand to unsafe code; this crate writes none.
#![deny(unsafe_code)]

pub mod acd;
pub mod media;
pub mod recording;
pub mod sip;

uniffi::setup_scaffolding!("sambung");

use sambung_bindings::ErrorKind;

/// Every failure, with the core's message in `detail`.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SambungError {
    /// A SIP message did not parse.
    #[error("{detail}")]
    Parse {
        /// What was wrong and where.
        detail: String,
        /// The status a server should answer with; none for a bad response (dropped).
        response_code: Option<u16>,
        /// Byte offset of the fault.
        offset: u64,
    },
    /// An argument is out of range or names nothing known.
    #[error("{detail}")]
    InvalidArgument {
        /// What was wrong.
        detail: String,
    },
    /// The core refused the operation.
    #[error("{detail}")]
    Core {
        /// What was refused and why.
        detail: String,
    },
}

impl From<sambung_bindings::Error> for SambungError {
    fn from(e: sambung_bindings::Error) -> Self {
        let detail = e.message().to_owned();
        match e.kind() {
            ErrorKind::Parse {
                response_code,
                offset,
            } => Self::Parse {
                detail,
                response_code,
                offset: offset as u64,
            },
            ErrorKind::InvalidArgument => Self::InvalidArgument { detail },
            _ => Self::Core { detail },
        }
    }
}

/// Locks an object's state; a poisoned lock (a panic in an earlier call) is a core error.
fn lock<T>(m: &std::sync::Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>, SambungError> {
    m.lock().map_err(|_| SambungError::Core {
        detail: "an earlier call panicked; this object is unusable".to_owned(),
    })
}

/// JSON text of a value.
fn json(v: &serde_json::Value) -> String {
    v.to_string()
}
