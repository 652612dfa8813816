//! MP3 copies of recordings, through LAME (the `mp3lame-encoder` crate, feature `mp3`).
//!
//! The WAV file is the durable master (see [`crate::wav_recorder`]); the MP3 is made from it
//! after the call, on whatever thread the application gives it, so a slow encoder never
//! delays a call's audio and a crash never leaves a half-written MP3 that looks finished (it
//! is written under a temporary name and renamed when complete).

use std::io::Write;
use std::path::Path;

use mp3lame_encoder::{Bitrate, Builder, FlushNoGap, InterleavedPcm, MonoPcm, Quality};
use sambung_media::g711;
use sambung_media::wav::{self, WavEncoding, WavError};

/// Why an MP3 could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Mp3Error {
    /// Reading the WAV or writing the MP3 failed.
    #[error("mp3: {0}")]
    Io(#[from] std::io::Error),
    /// The input is not a WAV file this crate reads.
    #[error("mp3: input is not a usable WAV file: {0}")]
    Wav(#[from] WavError),
    /// LAME refused the settings (channels, sample rate, bitrate).
    #[error("mp3: LAME refused the settings: {0}")]
    Settings(String),
    /// LAME failed while encoding.
    #[error("mp3: LAME failed: {0}")]
    Encode(String),
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mp3Summary {
    /// Sample frames encoded.
    pub frames: u64,
    /// Bytes of MP3 written.
    pub bytes: u64,
}

/// Encodes the WAV file `input` (PCM or G.711, mono or stereo) to MP3 at `output` with a
/// constant `kbps` bitrate (32 suits 8 kHz stereo speech).
pub fn wav_to_mp3(input: &Path, output: &Path, kbps: u16) -> Result<Mp3Summary, Mp3Error> {
    let bytes = std::fs::read(input)?;
    let (format, data) = wav::read(&bytes)?;
    let mut pcm: Vec<i16> = Vec::with_capacity(data.len());
    match format.encoding {
        WavEncoding::Alaw => g711::alaw_decode_into(data, &mut pcm),
        WavEncoding::Ulaw => g711::ulaw_decode_into(data, &mut pcm),
        _ => pcm.extend(
            data.chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]])),
        ),
    }
    let settings = |e: mp3lame_encoder::BuildError| Mp3Error::Settings(e.to_string());
    let bitrate = match kbps {
        ..=16 => Bitrate::Kbps16,
        17..=24 => Bitrate::Kbps24,
        25..=32 => Bitrate::Kbps32,
        33..=48 => Bitrate::Kbps48,
        49..=64 => Bitrate::Kbps64,
        65..=96 => Bitrate::Kbps96,
        _ => Bitrate::Kbps128,
    };
    let channels = u8::try_from(format.channels)
        .ok()
        .filter(|c| (1..=2).contains(c))
        .ok_or_else(|| Mp3Error::Settings(format!("{} channels", format.channels)))?;
    let mut encoder = Builder::new()
        .ok_or_else(|| Mp3Error::Settings("LAME could not start".to_owned()))?
        .with_num_channels(channels)
        .map_err(settings)?
        .with_sample_rate(format.sample_rate)
        .map_err(settings)?
        .with_brate(bitrate)
        .map_err(settings)?
        .with_quality(Quality::Good)
        .map_err(settings)?
        .build()
        .map_err(settings)?;
    let encode = |e: mp3lame_encoder::EncodeError| Mp3Error::Encode(e.to_string());
    let frames = pcm.len() / usize::from(channels);
    let mut out = Vec::with_capacity(mp3lame_encoder::max_required_buffer_size(frames));
    // A chunk at a time keeps LAME's working buffer small.
    for chunk in pcm.chunks(8192 * usize::from(channels)) {
        out.reserve(mp3lame_encoder::max_required_buffer_size(chunk.len()));
        if channels == 2 {
            encoder
                .encode_to_vec(InterleavedPcm(chunk), &mut out)
                .map_err(encode)?;
        } else {
            encoder
                .encode_to_vec(MonoPcm(chunk), &mut out)
                .map_err(encode)?;
        }
    }
    out.reserve(7200);
    encoder
        .flush_to_vec::<FlushNoGap>(&mut out)
        .map_err(encode)?;

    let tmp = output.with_extension("mp3.partial");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(&out)?;
    file.sync_all()?;
    std::fs::rename(&tmp, output)?;
    Ok(Mp3Summary {
        frames: frames as u64,
        bytes: out.len() as u64,
    })
}
