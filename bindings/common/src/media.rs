//! Media: G.711 and Opus on 16-bit little-endian PCM bytes, and the jitter buffer in seconds.

use std::time::Duration;

use sambung_media::codec::{Codec, G711 as CoreG711, Law};
use sambung_media::jitter::{JitterBuffer as CoreJitter, JitterConfig, Pop, PushOutcome};
use sambung_media::opus::Opus as CoreOpus;
use serde_json::{Value, json};

use crate::Error;
use crate::time::{Origin, duration};

fn samples(pcm16le: &[u8]) -> Result<Vec<i16>, Error> {
    if !pcm16le.len().is_multiple_of(2) {
        return Err(Error::invalid(format!(
            "PCM of {} bytes is not a whole number of 16-bit samples",
            pcm16le.len()
        )));
    }
    Ok(pcm16le
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect())
}

fn pcm_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// A G.711 codec: `"ulaw"` (PCMU) or `"alaw"` (PCMA).
#[derive(Debug, Clone)]
pub struct G711(CoreG711);

impl G711 {
    /// The codec for `law`: `ulaw`/`pcmu` or `alaw`/`pcma`, any case.
    pub fn new(law: &str) -> Result<Self, Error> {
        let law = match law.to_ascii_lowercase().as_str() {
            "ulaw" | "mulaw" | "pcmu" => Law::Mu,
            "alaw" | "pcma" => Law::A,
            _ => {
                return Err(Error::invalid(format!(
                    "unknown G.711 law {law:?} (expected \"ulaw\" or \"alaw\")"
                )));
            }
        };
        Ok(Self(CoreG711::new(law)))
    }

    /// `PCMU` or `PCMA`.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Encodes 16-bit little-endian PCM at 8 kHz: one byte per sample.
    pub fn encode(&mut self, pcm16le: &[u8]) -> Result<Vec<u8>, Error> {
        let pcm = samples(pcm16le)?;
        let mut out = Vec::with_capacity(pcm.len());
        self.0.encode(&pcm, &mut out).map_err(|e| Error::core(&e))?;
        Ok(out)
    }

    /// Decodes to 16-bit little-endian PCM.
    pub fn decode(&mut self, payload: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(payload.len());
        self.0
            .decode(payload, &mut out)
            .map_err(|e| Error::core(&e))?;
        Ok(pcm_bytes(&out))
    }
}

/// An Opus encoder and decoder for one mono stream, 20 ms frames, in-band FEC on.
#[derive(Debug)]
pub struct Opus(CoreOpus);

impl Opus {
    /// At `sample_rate` Hz: 8000, 12000, 16000, 24000 or 48000.
    pub fn new(sample_rate: u32) -> Result<Self, Error> {
        CoreOpus::new(sample_rate)
            .map(Self)
            .map_err(|e| Error::invalid(e.to_string()))
    }

    /// Samples in one 20 ms frame.
    pub fn frame_samples(&self) -> usize {
        self.0.frame_samples()
    }

    /// Encodes whole 20 ms frames of 16-bit little-endian PCM, one packet per frame,
    /// concatenated (one frame in, one packet out is the usual call).
    pub fn encode(&mut self, pcm16le: &[u8]) -> Result<Vec<u8>, Error> {
        let pcm = samples(pcm16le)?;
        let mut out = Vec::new();
        self.0.encode(&pcm, &mut out).map_err(|e| Error::core(&e))?;
        Ok(out)
    }

    /// Decodes one packet to 16-bit little-endian PCM.
    pub fn decode(&mut self, packet: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.0
            .decode(packet, &mut out)
            .map_err(|e| Error::core(&e))?;
        Ok(pcm_bytes(&out))
    }

    /// One frame of loss concealment.
    pub fn conceal(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let frame = self.0.frame_samples();
        self.0.conceal(frame, &mut out);
        pcm_bytes(&out)
    }
}

/// The adaptive jitter buffer; times are seconds since it was made.
#[derive(Debug)]
pub struct JitterBuffer {
    core: CoreJitter,
    origin: Origin,
}

impl JitterBuffer {
    /// A buffer for `clock_rate` Hz with `frame_samples` per frame, aiming between
    /// `min_delay_ms` and `max_delay_ms`, holding at most `max_packets`.
    pub fn new(
        clock_rate: u32,
        frame_samples: u32,
        min_delay_ms: f64,
        max_delay_ms: f64,
        max_packets: usize,
    ) -> Result<Self, Error> {
        let min_delay = duration(min_delay_ms / 1000.0, "min_delay")?;
        let max_delay = duration(max_delay_ms / 1000.0, "max_delay")?;
        if clock_rate == 0 || frame_samples == 0 || max_packets == 0 || min_delay > max_delay {
            return Err(Error::invalid(
                "clock_rate, frame_samples and max_packets must be positive, min_delay <= max_delay",
            ));
        }
        Ok(Self {
            core: CoreJitter::new(JitterConfig {
                clock_rate,
                frame_samples,
                min_delay,
                max_delay,
                max_packets,
            }),
            origin: Origin::now(),
        })
    }

    /// Takes a packet that arrived at `now`: `accepted`, `duplicate` or `late`.
    pub fn push(
        &mut self,
        sequence: u16,
        timestamp: u32,
        payload: &[u8],
        now: f64,
    ) -> Result<&'static str, Error> {
        let at = self.origin.at(now)?;
        Ok(match self.core.push(sequence, timestamp, payload, at) {
            PushOutcome::Accepted => "accepted",
            PushOutcome::Duplicate => "duplicate",
            PushOutcome::Late => "late",
        })
    }

    /// The frame for the period at `now`: `None` while waiting for packets, else a frame to
    /// decode or a period to conceal.
    pub fn pop(&mut self, now: f64) -> Result<Option<Popped>, Error> {
        let at = self.origin.at(now)?;
        Ok(match self.core.pop(at) {
            Pop::Waiting => None,
            Pop::Frame {
                sequence,
                timestamp,
                payload,
                delay,
            } => Some(Popped::Frame {
                sequence,
                timestamp,
                payload,
                delay_ms: ms(delay),
            }),
            Pop::Conceal { timestamp } => Some(Popped::Conceal { timestamp }),
        })
    }

    /// Packets held.
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether no packet is held.
    pub fn is_empty(&self) -> bool {
        self.core.is_empty()
    }

    /// Statistics in NetEQ's terms, delays in milliseconds.
    pub fn stats(&self) -> Value {
        let s = self.core.stats();
        json!({
            "packets_received": s.packets_received,
            "frames_played": s.frames_played,
            "frames_concealed": s.frames_concealed,
            "late_losses": s.late_losses,
            "duplicates": s.duplicates,
            "overflow_drops": s.overflow_drops,
            "accelerated": s.accelerated,
            "preemptive_expanded": s.preemptive_expanded,
            "target_delay_ms": ms(s.target_delay),
            "current_delay_ms": ms(s.current_delay),
            "mean_delay_ms": ms(s.mean_delay),
        })
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What [`JitterBuffer::pop`] gives for one period.
#[derive(Debug, Clone, PartialEq)]
pub enum Popped {
    /// A frame to decode.
    Frame {
        /// Its sequence number.
        sequence: u16,
        /// Its RTP timestamp.
        timestamp: u32,
        /// Its payload.
        payload: Vec<u8>,
        /// How long it waited, in milliseconds.
        delay_ms: f64,
    },
    /// No frame: conceal one.
    Conceal {
        /// The timestamp the missing frame would have had.
        timestamp: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_round_trips_and_refuses_odd_pcm() {
        let mut a = G711::new("alaw").unwrap();
        let pcm: Vec<u8> = [0i16, 1000, -1000, 32767]
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect();
        let coded = a.encode(&pcm).unwrap();
        assert_eq!(coded.len(), 4);
        assert_eq!(a.decode(&coded).unwrap().len(), 8);
        assert!(a.encode(&[1, 2, 3]).is_err());
        assert!(G711::new("gsm").is_err());
    }

    #[test]
    fn jitter_buffer_plays_in_order_and_refuses_negative_time() {
        let mut jb = JitterBuffer::new(8000, 160, 20.0, 500.0, 64).unwrap();
        let mut played = Vec::new();
        for i in 0..8u16 {
            let t = 0.02 * f64::from(i);
            if i < 5 {
                assert_eq!(
                    jb.push(i, u32::from(i) * 160, &[0xD5; 160], t).unwrap(),
                    "accepted"
                );
            }
            if let Some(Popped::Frame { sequence, .. }) = jb.pop(t + 0.02).unwrap() {
                played.push(sequence);
            }
        }
        assert_eq!(played, [0, 1, 2, 3, 4]);
        assert_eq!(jb.push(1, 160, b"a", 0.2).unwrap(), "duplicate");
        assert!(jb.push(3, 480, b"c", -1.0).is_err());
        assert!(jb.pop(f64::NAN).is_err());
    }
}
