//! # sambung-python
//!
//! The Python binding of Sambung. Nothing lives here yet; this crate will become the pyo3
//! extension module behind the `sambung` Python package (an abi3 wheel built with maturin),
//! a thin layer over `sambung-sip`, `sambung-media` and `sambung-acd`.
#![forbid(unsafe_code)]
