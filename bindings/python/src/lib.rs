//! # sambung-python
//!
//! The native module `sambung._sambung` behind the `sambung` Python package (an abi3 wheel
//! built with maturin). A mechanical layer over `sambung-bindings`: Python types in, Python
//! types out, and [`sambung_bindings::Error`] raised as `ValueError`, `sambung.Error` or
//! `sambung.ParseError`. The package's `.py` files arrange it into `sambung.sip`,
//! `sambung.media`, `sambung.acd` and `sambung.recording`.
// pyo3's macros expand to unsafe code; this file writes none.
#![deny(unsafe_code)]

mod acd;
mod media;
mod recording;
mod sip;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use sambung_bindings::ErrorKind;

create_exception!(
    sambung,
    Error,
    PyException,
    "Something Sambung's core refused; the message says what and why."
);
create_exception!(
    sambung,
    ParseError,
    Error,
    "A SIP message that does not parse; `response_code` (or None for a bad response) and `offset`."
);

/// The Python exception for a core error.
fn raise(e: sambung_bindings::Error) -> PyErr {
    match e.kind() {
        ErrorKind::Parse {
            response_code,
            offset,
        } => Python::attach(|py| {
            let err = ParseError::new_err(e.message().to_owned());
            let value = err.value(py);
            if value.setattr("response_code", response_code).is_err()
                || value.setattr("offset", offset).is_err()
            {
                return Error::new_err(e.message().to_owned());
            }
            err
        }),
        ErrorKind::InvalidArgument => PyValueError::new_err(e.message().to_owned()),
        _ => Error::new_err(e.message().to_owned()),
    }
}

/// A JSON value as Python objects (dict, list, str, int, float, bool, None).
fn to_python<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?
        .call_method1("loads", (value.to_string(),))
}

#[pymodule]
fn _sambung(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    sip::register(m)?;
    media::register(m)?;
    acd::register(m)?;
    recording::register(m)?;
    Ok(())
}
