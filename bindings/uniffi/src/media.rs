//! Media: `G711`, `Opus`, `JitterBuffer`.

use std::sync::{Arc, Mutex};

use sambung_bindings::media as core;

use crate::{SambungError, json, lock};

/// G.711 (`ulaw` or `alaw`) on 16-bit little-endian PCM at 8 kHz.
#[derive(Debug, uniffi::Object)]
pub struct G711(Mutex<core::G711>);

#[uniffi::export]
impl G711 {
    /// `law`: `ulaw` or `alaw`.
    #[uniffi::constructor]
    pub fn new(law: String) -> Result<Arc<Self>, SambungError> {
        Ok(Arc::new(Self(Mutex::new(core::G711::new(&law)?))))
    }

    /// `PCMU` or `PCMA`.
    pub fn name(&self) -> Result<String, SambungError> {
        Ok(lock(&self.0)?.name().to_owned())
    }

    /// PCM to G.711.
    pub fn encode(&self, pcm16le: Vec<u8>) -> Result<Vec<u8>, SambungError> {
        Ok(lock(&self.0)?.encode(&pcm16le)?)
    }

    /// G.711 to PCM.
    pub fn decode(&self, payload: Vec<u8>) -> Result<Vec<u8>, SambungError> {
        Ok(lock(&self.0)?.decode(&payload)?)
    }
}

/// Opus, mono, 20 ms frames, in-band FEC.
#[derive(Debug, uniffi::Object)]
pub struct Opus(Mutex<core::Opus>);

#[uniffi::export]
impl Opus {
    /// At 8000, 12000, 16000, 24000 or 48000 Hz.
    #[uniffi::constructor]
    pub fn new(sample_rate: u32) -> Result<Arc<Self>, SambungError> {
        Ok(Arc::new(Self(Mutex::new(core::Opus::new(sample_rate)?))))
    }

    /// Samples in one 20 ms frame.
    pub fn frame_samples(&self) -> Result<u32, SambungError> {
        Ok(u32::try_from(lock(&self.0)?.frame_samples()).unwrap_or(u32::MAX))
    }

    /// Whole 20 ms frames of PCM to Opus.
    pub fn encode(&self, pcm16le: Vec<u8>) -> Result<Vec<u8>, SambungError> {
        Ok(lock(&self.0)?.encode(&pcm16le)?)
    }

    /// One Opus packet to PCM.
    pub fn decode(&self, packet: Vec<u8>) -> Result<Vec<u8>, SambungError> {
        Ok(lock(&self.0)?.decode(&packet)?)
    }

    /// One frame of loss concealment.
    pub fn conceal(&self) -> Result<Vec<u8>, SambungError> {
        Ok(lock(&self.0)?.conceal())
    }
}

/// What `pop` gives for one period.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum Popped {
    /// A frame to decode.
    Frame {
        /// Sequence number.
        sequence: u16,
        /// RTP timestamp.
        timestamp: u32,
        /// Payload.
        payload: Vec<u8>,
        /// How long it waited, ms.
        delay_ms: f64,
    },
    /// No frame: conceal one.
    Conceal {
        /// The missing frame's timestamp.
        timestamp: u32,
    },
}

/// The adaptive jitter buffer; `now` is seconds since it was made.
#[derive(Debug, uniffi::Object)]
pub struct JitterBuffer(Mutex<core::JitterBuffer>);

#[uniffi::export]
impl JitterBuffer {
    /// A buffer with these settings (the other bindings' defaults: 8000, 160, 20, 500, 256).
    #[uniffi::constructor]
    pub fn new(
        clock_rate: u32,
        frame_samples: u32,
        min_delay_ms: f64,
        max_delay_ms: f64,
        max_packets: u32,
    ) -> Result<Arc<Self>, SambungError> {
        Ok(Arc::new(Self(Mutex::new(core::JitterBuffer::new(
            clock_rate,
            frame_samples,
            min_delay_ms,
            max_delay_ms,
            max_packets as usize,
        )?))))
    }

    /// Takes a packet that arrived at `now`: `accepted`, `duplicate` or `late`.
    pub fn push(
        &self,
        sequence: u16,
        timestamp: u32,
        payload: Vec<u8>,
        now: f64,
    ) -> Result<String, SambungError> {
        Ok(lock(&self.0)?
            .push(sequence, timestamp, &payload, now)?
            .to_owned())
    }

    /// The frame for the period at `now`; none while waiting.
    pub fn pop(&self, now: f64) -> Result<Option<Popped>, SambungError> {
        Ok(lock(&self.0)?.pop(now)?.map(|p| match p {
            core::Popped::Frame {
                sequence,
                timestamp,
                payload,
                delay_ms,
            } => Popped::Frame {
                sequence,
                timestamp,
                payload,
                delay_ms,
            },
            core::Popped::Conceal { timestamp } => Popped::Conceal { timestamp },
        }))
    }

    /// Statistics as JSON text, in NetEQ's terms.
    pub fn stats_json(&self) -> Result<String, SambungError> {
        Ok(json(&lock(&self.0)?.stats()))
    }
}
