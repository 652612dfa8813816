//! MP3 copies of recordings, through LAME (the `mp3lame-encoder` crate, feature `mp3`).
//!
//! The WAV file is the durable master (see [`crate::wav_recorder`]); the MP3 is made from it
//! after the call, on whatever thread the application gives it, so a slow encoder never
//! delays a call's audio and a crash never leaves a half-written MP3 that looks finished (it
//! is written under a temporary name and renamed when complete).

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use mp3lame_encoder::{Bitrate, Builder, FlushNoGap, InterleavedPcm, MonoPcm, Quality};
use sambung_media::g711;
use sambung_media::wav::{WavEncoding, WavError};

use crate::wav_recorder::{HeaderError, read_header};

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

/// Sample frames read, decoded and encoded at a time: memory stays the same whatever the
/// length of the recording.
const CHUNK_FRAMES: usize = 8192;

/// Encodes the WAV file `input` (PCM or G.711, mono or stereo) to MP3 at `output` with a
/// constant `kbps` bitrate (32 suits 8 kHz stereo speech). The file is streamed a chunk at a
/// time; a data chunk cut short by a crash is encoded as far as it goes.
pub fn wav_to_mp3(input: &Path, output: &Path, kbps: u16) -> Result<Mp3Summary, Mp3Error> {
    let mut file = File::open(input)?;
    let header = read_header(&mut file).map_err(|e| match e {
        HeaderError::Io(e) => Mp3Error::Io(e),
        HeaderError::Wav(e) => Mp3Error::Wav(e),
    })?;
    let format = header.format;
    let on_disk = file.metadata()?.len().saturating_sub(header.data_offset());
    file.seek(SeekFrom::Start(header.data_offset()))?;
    let mut data = file.take(header.declared.min(on_disk));
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
    let bytes_per_sample = if format.encoding == WavEncoding::Pcm16 {
        2
    } else {
        1
    };
    let chunk_bytes = CHUNK_FRAMES * usize::from(channels) * bytes_per_sample;
    let mut raw = vec![0u8; chunk_bytes];
    let mut pcm: Vec<i16> = Vec::with_capacity(CHUNK_FRAMES * usize::from(channels));
    let mut mp3 =
        Vec::with_capacity(mp3lame_encoder::max_required_buffer_size(CHUNK_FRAMES) + 7200);
    let tmp = output.with_extension("mp3.partial");
    let mut out = BufWriter::new(File::create(&tmp)?);
    let (mut frames, mut written) = (0u64, 0u64);
    loop {
        let filled = read_full(&mut data, &mut raw)?;
        // Whole sample frames only: a partial one at a crash-cut end is dropped.
        let whole = filled / (usize::from(channels) * bytes_per_sample)
            * (usize::from(channels) * bytes_per_sample);
        let chunk = raw.get(..whole).unwrap_or_default();
        if chunk.is_empty() {
            break;
        }
        pcm.clear();
        match format.encoding {
            WavEncoding::Alaw => g711::alaw_decode_into(chunk, &mut pcm),
            WavEncoding::Ulaw => g711::ulaw_decode_into(chunk, &mut pcm),
            _ => pcm.extend(
                chunk
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]])),
            ),
        }
        mp3.clear();
        if channels == 2 {
            encoder
                .encode_to_vec(InterleavedPcm(&pcm), &mut mp3)
                .map_err(encode)?;
        } else {
            encoder
                .encode_to_vec(MonoPcm(&pcm), &mut mp3)
                .map_err(encode)?;
        }
        out.write_all(&mp3)?;
        written += mp3.len() as u64;
        frames += (pcm.len() / usize::from(channels)) as u64;
        if filled < raw.len() {
            break;
        }
    }
    mp3.clear();
    encoder
        .flush_to_vec::<FlushNoGap>(&mut mp3)
        .map_err(encode)?;
    out.write_all(&mp3)?;
    written += mp3.len() as u64;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&tmp, output)?;
    Ok(Mp3Summary {
        frames,
        bytes: written,
    })
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
        match input.read(rest)? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
