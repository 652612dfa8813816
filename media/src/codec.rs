//! The `Codec` trait: one shape for every audio codec.

use crate::g711;

/// Why a codec could not encode or decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The codec does not run at this sample rate.
    #[error("{rate} Hz is not a sample rate this codec supports")]
    UnsupportedRate {
        /// The rate asked for.
        rate: u32,
    },
    /// libopus reported an error.
    #[cfg(feature = "opus")]
    #[error("opus")]
    Opus(#[from] audiopus::Error),
    /// The input is not a whole number of frames or samples for this codec.
    #[error("input of {len} bytes is not a whole number of {unit}-byte units")]
    BadLength {
        /// Input length.
        len: usize,
        /// Unit size.
        unit: usize,
    },
}

/// An audio codec: PCM 16-bit mono in, payload bytes out, and back.
pub trait Codec: Send {
    /// The encoding name as SDP writes it (`PCMU`, `PCMA`, `opus`).
    fn name(&self) -> &'static str;
    /// The sample rate of the PCM it takes and gives, in Hz.
    fn sample_rate(&self) -> u32;
    /// The RTP clock rate, in Hz.
    fn rtp_clock_rate(&self) -> u32 {
        self.sample_rate()
    }
    /// Encodes PCM samples, appending the payload to `out`; returns the bytes written.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<usize, CodecError>;
    /// Decodes a payload, appending PCM to `out`; returns the samples written.
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError>;
    /// Appends `samples` samples standing in for a lost frame (packet-loss concealment).
    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>);
}

/// Which G.711 law.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    /// µ-law (PCMU), North America and Japan.
    Mu,
    /// A-law (PCMA), Europe and Indonesia.
    A,
}

/// G.711 at 8 kHz, with concealment that repeats the last frame at falling level (the simple
/// scheme of ITU-T G.711 Appendix I's spirit: hold the pitch, fade over 50 ms).
#[derive(Debug, Clone)]
pub struct G711 {
    law: Law,
    /// The last decoded frame, for concealment.
    history: Vec<i16>,
    /// How many samples have been concealed in a row.
    concealed: usize,
}

/// Samples of history kept for concealment: one 20 ms frame.
const HISTORY: usize = 160;
/// Concealment fades to silence over this many samples (50 ms).
const FADE: usize = 400;
const FADE_I32: i32 = 400;

impl G711 {
    /// µ-law.
    pub fn ulaw() -> Self {
        Self::new(Law::Mu)
    }

    /// A-law.
    pub fn alaw() -> Self {
        Self::new(Law::A)
    }

    /// Either law.
    pub fn new(law: Law) -> Self {
        Self {
            law,
            history: Vec::with_capacity(HISTORY),
            concealed: 0,
        }
    }

    fn remember(&mut self, pcm: &[i16]) {
        let keep = pcm.len().min(HISTORY);
        let tail = &pcm[pcm.len() - keep..];
        if keep == HISTORY || self.history.len() + keep <= HISTORY {
            // The common case, a whole frame: replace (or append) without shifting.
            if keep == HISTORY {
                self.history.clear();
            }
            self.history.extend_from_slice(tail);
        } else {
            let drop = self.history.len() + keep - HISTORY;
            self.history.drain(..drop);
            self.history.extend_from_slice(tail);
        }
        self.concealed = 0;
    }
}

impl Codec for G711 {
    fn name(&self) -> &'static str {
        match self.law {
            Law::Mu => "PCMU",
            Law::A => "PCMA",
        }
    }

    fn sample_rate(&self) -> u32 {
        8000
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<usize, CodecError> {
        match self.law {
            Law::Mu => g711::ulaw_encode_into(pcm, out),
            Law::A => g711::alaw_encode_into(pcm, out),
        }
        Ok(pcm.len())
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        let start = out.len();
        match self.law {
            Law::Mu => g711::ulaw_decode_into(payload, out),
            Law::A => g711::alaw_decode_into(payload, out),
        }
        self.remember(out.get(start..).unwrap_or_default());
        Ok(payload.len())
    }

    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) {
        if self.history.is_empty() {
            out.extend(std::iter::repeat_n(0, samples));
            return;
        }
        let period = self.history.len();
        for _ in 0..samples {
            let source = self.history[self.concealed % period];
            let remaining = FADE.saturating_sub(self.concealed);
            // Linear fade: full level at the start of the gap, silence after FADE samples.
            let scaled = i32::from(source) * i32::try_from(remaining).unwrap_or(0) / FADE_I32;
            out.push(i16::try_from(scaled).unwrap_or(0));
            self.concealed += 1;
        }
    }
}
