//! `media`: `G711`, `Opus`, `JitterBuffer`.

use napi::Env;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use sambung_bindings::media as core;
use serde_json::Value;

use crate::raise;

/// G.711: `new G711("ulaw")` or `new G711("alaw")`, on 16-bit little-endian PCM at 8 kHz.
#[napi(namespace = "media")]
pub struct G711(core::G711);

#[napi(namespace = "media")]
impl G711 {
    /// `law`: `"ulaw"` or `"alaw"`.
    #[napi(constructor)]
    pub fn new(env: Env, law: String) -> napi::Result<Self> {
        core::G711::new(&law).map(Self).map_err(|e| raise(&env, &e))
    }

    /// `"PCMU"` or `"PCMA"`.
    #[napi(getter)]
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// PCM (16-bit little-endian) to G.711, one byte per sample.
    #[napi]
    pub fn encode(&mut self, env: Env, pcm16le: Buffer) -> napi::Result<Buffer> {
        self.0
            .encode(&pcm16le)
            .map(Buffer::from)
            .map_err(|e| raise(&env, &e))
    }

    /// G.711 to PCM (16-bit little-endian).
    #[napi]
    pub fn decode(&mut self, env: Env, payload: Buffer) -> napi::Result<Buffer> {
        self.0
            .decode(&payload)
            .map(Buffer::from)
            .map_err(|e| raise(&env, &e))
    }
}

/// Opus, mono, 20 ms frames, in-band FEC: `new Opus(48000)`.
#[napi(namespace = "media")]
pub struct Opus(core::Opus);

#[napi(namespace = "media")]
impl Opus {
    /// `sampleRate`: 8000, 12000, 16000, 24000 or 48000 (default).
    #[napi(constructor)]
    pub fn new(env: Env, sample_rate: Option<u32>) -> napi::Result<Self> {
        core::Opus::new(sample_rate.unwrap_or(48_000))
            .map(Self)
            .map_err(|e| raise(&env, &e))
    }

    /// Samples in one 20 ms frame.
    #[napi(getter)]
    pub fn frame_samples(&self) -> u32 {
        u32::try_from(self.0.frame_samples()).unwrap_or(u32::MAX)
    }

    /// Whole 20 ms frames of PCM to Opus (one frame in, one packet out).
    #[napi]
    pub fn encode(&mut self, env: Env, pcm16le: Buffer) -> napi::Result<Buffer> {
        self.0
            .encode(&pcm16le)
            .map(Buffer::from)
            .map_err(|e| raise(&env, &e))
    }

    /// One Opus packet to PCM.
    #[napi]
    pub fn decode(&mut self, env: Env, packet: Buffer) -> napi::Result<Buffer> {
        self.0
            .decode(&packet)
            .map(Buffer::from)
            .map_err(|e| raise(&env, &e))
    }

    /// One frame of loss concealment.
    #[napi]
    pub fn conceal(&mut self) -> Buffer {
        self.0.conceal().into()
    }
}

/// Jitter buffer settings; each has a default.
#[napi(object, namespace = "media")]
#[derive(Default)]
pub struct JitterOptions {
    /// RTP clock rate (8000).
    pub clock_rate: Option<u32>,
    /// Samples per frame (160).
    pub frame_samples: Option<u32>,
    /// Least delay in ms (20).
    pub min_delay_ms: Option<f64>,
    /// Most delay in ms (500).
    pub max_delay_ms: Option<f64>,
    /// Most packets held (256).
    pub max_packets: Option<u32>,
}

/// What `pop` gives for one period.
#[napi(object, namespace = "media")]
pub struct Popped {
    /// `"frame"` or `"conceal"`.
    pub kind: String,
    /// The frame's sequence number (frames only).
    pub sequence: Option<u32>,
    /// The RTP timestamp.
    pub timestamp: u32,
    /// The payload (frames only).
    pub payload: Option<Buffer>,
    /// How long it waited, ms (frames only).
    pub delay_ms: Option<f64>,
}

/// The adaptive jitter buffer; `now` is seconds since it was made.
#[napi(namespace = "media")]
pub struct JitterBuffer(core::JitterBuffer);

#[napi(namespace = "media")]
impl JitterBuffer {
    /// A buffer with the given settings.
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<JitterOptions>) -> napi::Result<Self> {
        let o = options.unwrap_or_default();
        core::JitterBuffer::new(
            o.clock_rate.unwrap_or(8000),
            o.frame_samples.unwrap_or(160),
            o.min_delay_ms.unwrap_or(20.0),
            o.max_delay_ms.unwrap_or(500.0),
            o.max_packets.unwrap_or(256) as usize,
        )
        .map(Self)
        .map_err(|e| raise(&env, &e))
    }

    /// Takes a packet that arrived at `now`: `"accepted"`, `"duplicate"` or `"late"`.
    #[napi]
    pub fn push(
        &mut self,
        env: Env,
        sequence: u16,
        timestamp: u32,
        payload: Buffer,
        now: f64,
    ) -> napi::Result<&'static str> {
        self.0
            .push(sequence, timestamp, &payload, now)
            .map_err(|e| raise(&env, &e))
    }

    /// The frame for the period at `now`, or null while waiting.
    #[napi]
    pub fn pop(&mut self, env: Env, now: f64) -> napi::Result<Option<Popped>> {
        Ok(match self.0.pop(now).map_err(|e| raise(&env, &e))? {
            None => None,
            Some(core::Popped::Frame {
                sequence,
                timestamp,
                payload,
                delay_ms,
            }) => Some(Popped {
                kind: "frame".to_owned(),
                sequence: Some(u32::from(sequence)),
                timestamp,
                payload: Some(payload.into()),
                delay_ms: Some(delay_ms),
            }),
            Some(core::Popped::Conceal { timestamp }) => Some(Popped {
                kind: "conceal".to_owned(),
                sequence: None,
                timestamp,
                payload: None,
                delay_ms: None,
            }),
        })
    }

    /// Statistics in NetEQ's terms, delays in ms.
    #[napi]
    pub fn stats(&self) -> Value {
        self.0.stats()
    }

    /// Packets held.
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }
}
