//! Prompts: WAV files read with `hound` (PCM 8 to 32 bits or float, any number of channels,
//! mixed down to mono) and resampled with `rubato` to the rate of the call they play to, then
//! played out one frame at a time.
//!
//! ```
//! use sambung_media::prompt::{Prompt, PromptPlayer};
//! // One second of a 16 kHz prompt, for an 8 kHz G.711 call.
//! let tone: Vec<i16> = (0..16_000).map(|i| ((i as f32 * 0.39).sin() * 8000.0) as i16).collect();
//! let prompt = Prompt::from_pcm(&tone, 16_000, 8000)?;
//! assert!((prompt.samples().len() as i64 - 8000).abs() < 16);
//! let mut player = PromptPlayer::new(prompt);
//! let mut frame = Vec::new();
//! let mut frames = 0;
//! while player.next_frame(160, &mut frame) {
//!     assert_eq!(frame.len(), 160);
//!     frames += 1;
//! }
//! assert_eq!(frames, 50);
//! # Ok::<(), sambung_media::prompt::PromptError>(())
//! ```

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, FixedAsync, Resampler, SincInterpolationParameters, SincInterpolationType,
    WindowFunction,
};

/// The longest prompt accepted: ten minutes. A file claiming more is refused before its
/// samples are read.
pub const MAX_SECONDS: u32 = 600;

/// Why a prompt could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// Not a WAV file hound can read, or cut short.
    #[error("prompt is not a readable WAV file: {0}")]
    Wav(#[from] hound::Error),
    /// A rate of zero, or one above 384 kHz.
    #[error("unsupported sample rate {0} Hz")]
    BadRate(u32),
    /// Longer than [`MAX_SECONDS`].
    #[error("prompt of {seconds} s is longer than the {MAX_SECONDS} s allowed")]
    TooLong {
        /// Its length.
        seconds: u64,
    },
    /// The resampler refused.
    #[error("resampling failed: {0}")]
    Resample(String),
}

fn check_rate(rate: u32) -> Result<(), PromptError> {
    if rate == 0 || rate > 384_000 {
        Err(PromptError::BadRate(rate))
    } else {
        Ok(())
    }
}

/// Mono 16-bit audio at a call's rate, shared cheaply between the calls that play it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    rate: u32,
    samples: Arc<[i16]>,
}

impl Prompt {
    /// Reads a WAV file and resamples it to `rate`.
    pub fn from_wav_file(path: &Path, rate: u32) -> Result<Self, PromptError> {
        let reader = hound::WavReader::open(path)?;
        Self::from_hound(reader, rate)
    }

    /// Reads WAV bytes from `input` and resamples them to `rate`.
    pub fn from_wav<R: Read>(input: R, rate: u32) -> Result<Self, PromptError> {
        Self::from_hound(hound::WavReader::new(input)?, rate)
    }

    fn from_hound<R: Read>(
        mut reader: hound::WavReader<R>,
        rate: u32,
    ) -> Result<Self, PromptError> {
        check_rate(rate)?;
        let spec = reader.spec();
        check_rate(spec.sample_rate)?;
        let channels = usize::from(spec.channels.max(1));
        let frames = u64::from(reader.duration());
        let seconds = frames / u64::from(spec.sample_rate);
        if seconds > u64::from(MAX_SECONDS) {
            return Err(PromptError::TooLong { seconds });
        }
        // Samples as f64 in [-1, 1], mixed down to mono.
        // Reserve from the header's claim only up to a minute at 16 kHz: a short file that
        // claims more grows the buffer as its samples really arrive.
        let capacity = usize::try_from(frames.min(1 << 20)).unwrap_or(0);
        let mut mono = Vec::with_capacity(capacity);
        let mut frame_sum = 0.0;
        let mut in_frame = 0;
        let mut push = |v: f64, mono: &mut Vec<f64>| {
            frame_sum += v;
            in_frame += 1;
            if in_frame == channels {
                #[expect(clippy::cast_precision_loss, reason = "channel count")]
                mono.push(frame_sum / channels as f64);
                frame_sum = 0.0;
                in_frame = 0;
            }
        };
        match spec.sample_format {
            hound::SampleFormat::Float => {
                for s in reader.samples::<f32>() {
                    push(f64::from(s?).clamp(-1.0, 1.0), &mut mono);
                }
            }
            hound::SampleFormat::Int => {
                let scale = f64::from(1u32 << (spec.bits_per_sample.clamp(1, 32) - 1));
                for s in reader.samples::<i32>() {
                    push(f64::from(s?) / scale, &mut mono);
                }
            }
        }
        Self::resample(&mono, spec.sample_rate, rate)
    }

    /// Mono 16-bit PCM at `source_rate`, resampled to `rate`.
    pub fn from_pcm(pcm: &[i16], source_rate: u32, rate: u32) -> Result<Self, PromptError> {
        check_rate(source_rate)?;
        check_rate(rate)?;
        let seconds = pcm.len() as u64 / u64::from(source_rate);
        if seconds > u64::from(MAX_SECONDS) {
            return Err(PromptError::TooLong { seconds });
        }
        let mono: Vec<f64> = pcm.iter().map(|&s| f64::from(s) / 32768.0).collect();
        Self::resample(&mono, source_rate, rate)
    }

    fn resample(mono: &[f64], from: u32, to: u32) -> Result<Self, PromptError> {
        let samples: Vec<i16> = if from == to || mono.is_empty() {
            mono.iter().map(|&v| to_i16(v)).collect()
        } else {
            // rubato's recommended settings: cutoff chosen for the filter length.
            let params = SincInterpolationParameters::new(128, WindowFunction::BlackmanHarris2)
                .interpolation(SincInterpolationType::Cubic);
            let ratio = f64::from(to) / f64::from(from);
            let fail = |e: &dyn std::fmt::Display| PromptError::Resample(e.to_string());
            let mut resampler =
                Async::<f64>::new_sinc(ratio, 1.0, &params, 1024, 1, FixedAsync::Input)
                    .map_err(|e| fail(&e))?;
            let needed = resampler.process_all_needed_output_len(mono.len());
            let mut out = vec![0.0; needed];
            let input = InterleavedSlice::new(mono, 1, mono.len()).map_err(|e| fail(&e))?;
            let mut output =
                InterleavedSlice::new_mut(&mut out, 1, needed).map_err(|e| fail(&e))?;
            let (_, produced) = resampler
                .process_all_into_buffer(&input, &mut output, mono.len(), None)
                .map_err(|e| fail(&e))?;
            out[..produced.min(needed)]
                .iter()
                .map(|&v| to_i16(v))
                .collect()
        };
        Ok(Self {
            rate: to,
            samples: samples.into(),
        })
    }

    /// The rate of its samples, Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Its samples.
    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// How long it plays.
    pub fn duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.samples.len() as f64 / f64::from(self.rate.max(1)))
    }
}

fn to_i16(v: f64) -> i16 {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "clamped to the i16 range first"
    )]
    let s = (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
    s
}

/// Plays a [`Prompt`] one frame at a time, once or in a loop.
#[derive(Debug, Clone)]
pub struct PromptPlayer {
    prompt: Prompt,
    position: usize,
    looping: bool,
}

impl PromptPlayer {
    /// Plays `prompt` once.
    pub fn new(prompt: Prompt) -> Self {
        Self {
            prompt,
            position: 0,
            looping: false,
        }
    }

    /// Plays `prompt` over and over (music on hold).
    pub fn looping(prompt: Prompt) -> Self {
        Self {
            looping: true,
            ..Self::new(prompt)
        }
    }

    /// True once a non-looping prompt has played to its end.
    pub fn finished(&self) -> bool {
        !self.looping && self.position >= self.prompt.samples.len()
    }

    /// Fills `out` (cleared first) with the next `samples` samples, the last frame padded
    /// with silence; false, with `out` empty, when the prompt has finished.
    pub fn next_frame(&mut self, samples: usize, out: &mut Vec<i16>) -> bool {
        out.clear();
        let all = &self.prompt.samples;
        if all.is_empty() || self.finished() {
            return false;
        }
        while out.len() < samples {
            if self.position >= all.len() {
                if !self.looping {
                    out.resize(samples, 0);
                    break;
                }
                self.position = 0;
            }
            let take = (samples - out.len()).min(all.len() - self.position);
            out.extend_from_slice(&all[self.position..self.position + take]);
            self.position += take;
        }
        true
    }
}

#[cfg(test)]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    reason = "test signals"
)]
mod tests {
    use super::*;

    fn wav(rate: u32, channels: u16, bits: u16, float: bool, seconds: f64, hz: f64) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        };
        let mut bytes = std::io::Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut bytes, spec).unwrap();
        let n = (f64::from(rate) * seconds) as usize;
        for i in 0..n {
            let v = (i as f64 * 2.0 * std::f64::consts::PI * hz / f64::from(rate)).sin() * 0.5;
            for _ in 0..channels {
                if float {
                    w.write_sample(v as f32).unwrap();
                } else {
                    w.write_sample((v * f64::from(1u32 << (bits - 1))) as i32)
                        .unwrap();
                }
            }
        }
        w.finalize().unwrap();
        bytes.into_inner()
    }

    /// Power at `hz` by Goertzel, relative to the signal's total power.
    fn share_at(samples: &[i16], rate: u32, hz: f64) -> f64 {
        let w = 2.0 * std::f64::consts::PI * hz / f64::from(rate);
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        let mut total = 0.0;
        for &x in samples {
            let x = f64::from(x);
            total += x * x;
            let s = x + 2.0 * w.cos() * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
        2.0 * power / (samples.len() as f64 * total.max(1.0))
    }

    #[test]
    fn common_formats_resample_to_the_call_rate_and_keep_their_tone() {
        for (rate, channels, bits, float) in [
            (16_000, 1, 16, false),
            (44_100, 2, 16, false),
            (48_000, 1, 24, false),
            (22_050, 1, 8, false),
            (32_000, 2, 32, true),
            (8000, 1, 16, false),
        ] {
            let bytes = wav(rate, channels, bits, float, 1.0, 1000.0);
            let prompt = Prompt::from_wav(&bytes[..], 8000).unwrap();
            assert_eq!(prompt.rate(), 8000);
            let len = prompt.samples().len() as i64;
            assert!((len - 8000).abs() <= 16, "{rate} Hz: {len} samples");
            let mid = &prompt.samples()[1000..7000];
            assert!(
                share_at(mid, 8000, 1000.0) > 0.9,
                "{rate} Hz keeps its 1 kHz tone"
            );
            assert!(share_at(mid, 8000, 3000.0) < 0.01);
        }
        // Up to a wideband call too.
        let bytes = wav(8000, 1, 16, false, 0.5, 440.0);
        let prompt = Prompt::from_wav(&bytes[..], 16_000).unwrap();
        assert!((prompt.samples().len() as i64 - 8000).abs() <= 16);
    }

    #[test]
    fn a_tone_above_the_new_nyquist_is_filtered_out() {
        let bytes = wav(16_000, 1, 16, false, 1.0, 6000.0);
        let prompt = Prompt::from_wav(&bytes[..], 8000).unwrap();
        let peak = prompt.samples()[1000..7000]
            .iter()
            .map(|s| s.unsigned_abs())
            .max();
        assert!(
            peak.unwrap_or(0) < 500,
            "6 kHz must not alias into an 8 kHz call"
        );
    }

    #[test]
    fn bad_files_are_typed_errors() {
        assert!(matches!(
            Prompt::from_wav(&b"RIFF\0\0"[..], 8000),
            Err(PromptError::Wav(_))
        ));
        assert!(matches!(
            Prompt::from_wav(&b"not a wav at all"[..], 8000),
            Err(PromptError::Wav(_))
        ));
        let mut cut = wav(8000, 1, 16, false, 1.0, 440.0);
        cut.truncate(cut.len() / 2);
        assert!(matches!(
            Prompt::from_wav(&cut[..], 8000),
            Err(PromptError::Wav(_))
        ));
        // A header claiming hours of audio is refused before any is read.
        let mut long = wav(8000, 1, 16, false, 0.01, 440.0);
        let data = long.windows(4).position(|w| w == b"data").unwrap();
        long[data + 4..data + 8].copy_from_slice(&(u32::MAX - 1).to_le_bytes());
        let r = Prompt::from_wav(&long[..], 8000);
        assert!(matches!(r, Err(PromptError::TooLong { .. })), "{r:?}");
        assert!(matches!(
            Prompt::from_pcm(&[0; 10], 0, 8000),
            Err(PromptError::BadRate(0))
        ));
    }

    #[test]
    fn the_player_pads_the_last_frame_and_loops_on_request() {
        let prompt = Prompt::from_pcm(&[7; 250], 8000, 8000).unwrap();
        let mut once = PromptPlayer::new(prompt.clone());
        let mut frame = Vec::new();
        assert!(once.next_frame(160, &mut frame));
        assert!(once.next_frame(160, &mut frame));
        assert_eq!((frame[89], frame[90]), (7, 0));
        assert!(!once.next_frame(160, &mut frame) && frame.is_empty() && once.finished());
        let mut hold = PromptPlayer::looping(prompt);
        for _ in 0..10 {
            assert!(hold.next_frame(160, &mut frame));
            assert!(frame.iter().all(|&s| s == 7));
        }
    }
}
