//! # sambung-recording
//!
//! Call recording for Sambung. Today: [`wav_recorder`], a crash-safe WAV writer for the two
//! legs of a call (mono mix or stereo, 16-bit PCM or G.711, pause and resume) with
//! [`wav_recorder::recover`] for files left by a crash; and [`audit`], a hash-chained
//! append-only log of who searched, played or downloaded what; and [`policy`], which calls are
//! recorded (all, none, sampled, scheduled, on demand; per agent, queue and default).
//!
//! [`index`] keeps one row per recording in SQLite (or PostgreSQL) and searches it; [`store`]
//! keeps the files behind the `RecordingStore` trait (a local folder, or with the feature `s3`
//! S3-compatible object storage through [`object_store`](https://docs.rs/object_store)) with
//! ranged reads;
//! [`retention`] deletes what is past its keeping time, except under legal hold.
//!
//! [`access`] puts searches, plays and downloads behind the application's authoriser and
//! writes each attempt to the audit log.
//!
//! [`live`] hands the frames being recorded to people listening to the call live.
//!
//! [`backup`] writes a tar archive with a SHA-256 manifest, verifies and restores it.
//!
//! With the default feature `mp3`, [`mp3`] makes MP3 copies through LAME after the call.
//!
//! ```
//! use sambung_recording::wav_recorder::{RecorderConfig, WavRecorder};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("call-1.wav");
//! let mut rec = WavRecorder::create(&path, RecorderConfig::default())?;
//! let caller = [1000i16; 160];
//! let agent = [-1000i16; 160];
//! for _ in 0..50 {
//!     rec.write(&caller, &agent)?; // 50 frames of 20 ms
//! }
//! let summary = rec.finish()?;
//! assert_eq!(summary.duration, std::time::Duration::from_secs(1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod access;
pub mod audit;
pub mod backup;
mod digest;
pub mod index;
pub mod live;
#[cfg(feature = "mp3")]
pub mod mp3;
#[cfg(feature = "s3")]
pub mod object;
pub mod policy;
pub mod retention;
pub mod store;
pub mod wav_recorder;
