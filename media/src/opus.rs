//! Opus through `audiopus` (libopus from Debian's `libopus-dev`), behind the [`Codec`] trait:
//! mono at 8, 12, 16, 24 or 48 kHz, 20 ms frames, in-band FEC, and libopus's loss concealment.

use audiopus::coder::{Decoder, Encoder};
use audiopus::packet::Packet;
use audiopus::{Application, Channels, MutSignals, SampleRate};

use crate::codec::{Codec, CodecError};

/// Largest Opus frame: 120 ms at 48 kHz.
const MAX_FRAME: usize = 5760;
/// Largest Opus packet we produce.
const MAX_PACKET: usize = 1500;

/// An Opus encoder and decoder pair for one mono stream.
pub struct Opus {
    encoder: Encoder,
    decoder: Decoder,
    rate: u32,
    frame: usize,
    scratch: Vec<i16>,
}

impl std::fmt::Debug for Opus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opus")
            .field("rate", &self.rate)
            .field("frame", &self.frame)
            .finish_non_exhaustive()
    }
}

impl Opus {
    /// A VoIP-tuned codec at `sample_rate` (8000, 12000, 16000, 24000 or 48000) with 20 ms
    /// frames and in-band FEC on.
    pub fn new(sample_rate: u32) -> Result<Self, CodecError> {
        let rate = SampleRate::try_from(i32::try_from(sample_rate).unwrap_or(0))
            .map_err(|_| CodecError::UnsupportedRate { rate: sample_rate })?;
        let mut encoder =
            Encoder::new(rate, Channels::Mono, Application::Voip).map_err(CodecError::from)?;
        encoder.set_inband_fec(true).map_err(CodecError::from)?;
        encoder.set_packet_loss_perc(10).map_err(CodecError::from)?;
        let decoder = Decoder::new(rate, Channels::Mono).map_err(CodecError::from)?;
        let frame = usize::try_from(sample_rate / 50).unwrap_or(960);
        Ok(Self {
            encoder,
            decoder,
            rate: sample_rate,
            frame,
            scratch: vec![0; MAX_FRAME],
        })
    }

    /// Samples in one 20 ms frame.
    pub fn frame_samples(&self) -> usize {
        self.frame
    }

    /// The encoder's look-ahead in samples at 48 kHz (the Ogg Opus pre-skip).
    pub fn lookahead_48k(&self) -> u32 {
        let ahead = self.encoder.lookahead().unwrap_or(0);
        ahead * (48_000 / self.rate.max(1))
    }

    /// Recovers a lost frame from the in-band FEC data of the packet after it.
    pub fn decode_fec(
        &mut self,
        next_payload: &[u8],
        out: &mut Vec<i16>,
    ) -> Result<usize, CodecError> {
        let packet = Packet::try_from(next_payload).map_err(CodecError::from)?;
        let frame = self.frame;
        let signals = MutSignals::try_from(&mut self.scratch[..frame]).map_err(CodecError::from)?;
        let n = self
            .decoder
            .decode(Some(packet), signals, true)
            .map_err(CodecError::from)?;
        out.extend_from_slice(&self.scratch[..n.min(frame)]);
        Ok(n)
    }
}

impl Codec for Opus {
    fn name(&self) -> &'static str {
        "opus"
    }

    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn rtp_clock_rate(&self) -> u32 {
        48_000
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<usize, CodecError> {
        if !pcm.len().is_multiple_of(self.frame) {
            return Err(CodecError::BadLength {
                len: pcm.len(),
                unit: self.frame,
            });
        }
        let mut written = 0;
        let mut packet = [0u8; MAX_PACKET];
        for frame in pcm.chunks_exact(self.frame) {
            let n = self
                .encoder
                .encode(frame, &mut packet)
                .map_err(CodecError::from)?;
            out.extend_from_slice(&packet[..n]);
            written += n;
        }
        Ok(written)
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        let packet = Packet::try_from(payload).map_err(CodecError::from)?;
        let signals = MutSignals::try_from(&mut self.scratch[..]).map_err(CodecError::from)?;
        let n = self
            .decoder
            .decode(Some(packet), signals, false)
            .map_err(CodecError::from)?;
        out.extend_from_slice(&self.scratch[..n.min(MAX_FRAME)]);
        Ok(n)
    }

    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) {
        let mut remaining = samples;
        while remaining > 0 {
            let frame = self.frame.min(remaining);
            let produced = MutSignals::try_from(&mut self.scratch[..self.frame])
                .ok()
                .and_then(|s| self.decoder.decode(None, s, false).ok())
                .unwrap_or(0);
            let take = produced.min(frame);
            out.extend_from_slice(&self.scratch[..take]);
            out.extend(std::iter::repeat_n(0, frame - take));
            remaining -= frame;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tones::Oscillator;

    fn snr_db(reference: &[i16], decoded: &[i16]) -> f64 {
        // Opus delays its output; find the lag that best aligns the two.
        (0..400)
            .map(|lag| {
                let pairs = reference.iter().zip(decoded.iter().skip(lag));
                let (sig, err) = pairs.fold((0.0, 0.0), |(s, e), (&r, &d)| {
                    let (r, d) = (f64::from(r), f64::from(d));
                    (s + r * r, e + (r - d) * (r - d))
                });
                10.0 * (sig / err.max(1.0)).log10()
            })
            .fold(f64::MIN, f64::max)
    }

    #[test]
    fn round_trip_keeps_a_tone() {
        for rate in [8000, 16_000, 48_000] {
            let mut codec = Opus::new(rate).unwrap();
            let mut osc = Oscillator::new(440.0, rate, 8000.0);
            let pcm: Vec<i16> = (0..rate)
                .map(|_| crate::tones::to_i16(osc.next_sample()))
                .collect();
            let frame = codec.frame_samples();
            let mut decoded = Vec::new();
            for chunk in pcm.chunks_exact(frame) {
                let mut packet = Vec::new();
                codec.encode(chunk, &mut packet).unwrap();
                assert!(packet.len() < 400);
                codec.decode(&packet, &mut decoded).unwrap();
            }
            let snr = snr_db(&pcm[frame * 5..], &decoded[frame * 5..]);
            assert!(snr > 10.0, "{rate} Hz: SNR {snr:.1} dB");
        }
    }

    #[test]
    fn loss_is_concealed_and_fec_recovers() {
        let mut codec = Opus::new(8000).unwrap();
        let mut osc = Oscillator::new(300.0, 8000, 8000.0);
        let frames: Vec<Vec<u8>> = (0..10)
            .map(|_| {
                let pcm: Vec<i16> = (0..160)
                    .map(|_| crate::tones::to_i16(osc.next_sample()))
                    .collect();
                let mut p = Vec::new();
                codec.encode(&pcm, &mut p).unwrap();
                p
            })
            .collect();
        let mut out = Vec::new();
        codec.decode(&frames[0], &mut out).unwrap();
        codec.conceal(160, &mut out);
        assert_eq!(out.len(), 320);
        codec.decode_fec(&frames[2], &mut out).unwrap();
        assert_eq!(out.len(), 480);
        assert!(
            codec.decode(&[], &mut out).is_err(),
            "an empty packet is an error, not a panic"
        );
        assert!(matches!(
            codec.encode(&[0; 100], &mut Vec::new()),
            Err(CodecError::BadLength { .. })
        ));
        assert!(matches!(
            Opus::new(44_100),
            Err(CodecError::UnsupportedRate { rate: 44_100 })
        ));
    }
}
