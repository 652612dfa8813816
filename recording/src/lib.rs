//! # sambung-recording
//!
//! Call recording for Sambung. Nothing lives here yet; this crate will hold:
//!
//! - crash-safe WAV and MP3 writers fed from the media relay taps;
//! - recording policies (all, sampled, scheduled, on demand) with pause and resume;
//! - an SQL index with search by number, date, agent and service type, files behind a
//!   `RecordingStore` trait (local folder, S3-compatible storage);
//! - an authoriser and hash-chained audit log, retention and weekly backup.
#![forbid(unsafe_code)]
