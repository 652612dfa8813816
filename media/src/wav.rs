//! WAV files: PCM 16-bit, and G.711 (A-law, format 6; µ-law, format 7) inside WAV.
//!
//! Written here rather than with `hound`: hound reads and writes PCM and float only, and call
//! recordings and prompts are often G.711 in WAV. The reader walks RIFF chunks and skips those
//! it does not know; every length is checked against the data, so a truncated or hostile file
//! gives a typed error.

/// The sample encoding inside a WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavEncoding {
    /// Linear PCM, 16-bit little-endian.
    Pcm16,
    /// G.711 A-law, 8-bit.
    Alaw,
    /// G.711 µ-law, 8-bit.
    Ulaw,
}

impl WavEncoding {
    fn format_tag(self) -> u16 {
        match self {
            Self::Pcm16 => 1,
            Self::Alaw => 6,
            Self::Ulaw => 7,
        }
    }

    fn bytes_per_sample(self) -> u16 {
        match self {
            Self::Pcm16 => 2,
            Self::Alaw | Self::Ulaw => 1,
        }
    }
}

/// A WAV file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavFormat {
    /// Encoding.
    pub encoding: WavEncoding,
    /// Channels.
    pub channels: u16,
    /// Sample rate in Hz.
    pub sample_rate: u32,
}

/// Why bytes are not a WAV file this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WavError {
    /// Not a RIFF/WAVE file.
    #[error("not a RIFF WAVE file")]
    NotWav,
    /// A chunk runs past the end of the file.
    #[error("chunk at byte {offset} runs past the end of the file")]
    Truncated {
        /// Where the chunk starts.
        offset: usize,
    },
    /// No `fmt ` chunk before the data.
    #[error("no fmt chunk before the data")]
    NoFormat,
    /// No `data` chunk.
    #[error("no data chunk")]
    NoData,
    /// An encoding this module does not handle.
    #[error("unsupported WAV format tag {tag} with {bits} bits per sample")]
    Unsupported {
        /// The format tag.
        tag: u16,
        /// Bits per sample.
        bits: u16,
    },
    /// Zero channels or a zero sample rate.
    #[error("WAV header declares {channels} channels at {sample_rate} Hz")]
    BadHeader {
        /// Channels.
        channels: u16,
        /// Sample rate.
        sample_rate: u32,
    },
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Reads a WAV file: its format and the bytes of its data chunk (a truncated data chunk, as
/// left by a crash, is read up to the end of the file).
pub fn read(bytes: &[u8]) -> Result<(WavFormat, &[u8]), WavError> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(WavError::NotWav);
    }
    let mut at = 12;
    let mut format = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = usize::try_from(le32(bytes, at + 4)).unwrap_or(usize::MAX);
        let body = at + 8;
        if id == b"data" {
            let format = format.ok_or(WavError::NoFormat)?;
            let end = body.saturating_add(len).min(bytes.len());
            return Ok((format, &bytes[body..end]));
        }
        let end = body
            .checked_add(len)
            .filter(|&e| e <= bytes.len())
            .ok_or(WavError::Truncated { offset: at })?;
        if id == b"fmt " {
            if len < 16 {
                return Err(WavError::Truncated { offset: at });
            }
            let mut tag = le16(bytes, body);
            let channels = le16(bytes, body + 2);
            let sample_rate = le32(bytes, body + 4);
            let bits = le16(bytes, body + 14);
            if tag == 0xFFFE && len >= 26 {
                // WAVE_FORMAT_EXTENSIBLE: the real tag is the sub-format GUID's first two bytes.
                tag = le16(bytes, body + 24);
            }
            let encoding = match (tag, bits) {
                (1, 16) => WavEncoding::Pcm16,
                (6, 8) => WavEncoding::Alaw,
                (7, 8) => WavEncoding::Ulaw,
                _ => return Err(WavError::Unsupported { tag, bits }),
            };
            if channels == 0 || sample_rate == 0 {
                return Err(WavError::BadHeader {
                    channels,
                    sample_rate,
                });
            }
            format = Some(WavFormat {
                encoding,
                channels,
                sample_rate,
            });
        }
        // Chunks are padded to an even length.
        at = end + (len & 1);
    }
    Err(WavError::NoData)
}

/// Writes a complete WAV file holding `data` (already in `format`'s encoding).
pub fn write(format: WavFormat, data: &[u8], out: &mut Vec<u8>) {
    let g711 = format.encoding != WavEncoding::Pcm16;
    // Non-PCM formats carry a cbSize field and a fact chunk (sample count).
    let fmt_len: u32 = if g711 { 18 } else { 16 };
    let fact_len: u32 = if g711 { 12 } else { 0 };
    let data_len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let riff_len = 4 + (8 + fmt_len) + fact_len + 8 + data_len;
    let block_align = format.channels * format.encoding.bytes_per_sample();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&riff_len.to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&fmt_len.to_le_bytes());
    out.extend_from_slice(&format.encoding.format_tag().to_le_bytes());
    out.extend_from_slice(&format.channels.to_le_bytes());
    out.extend_from_slice(&format.sample_rate.to_le_bytes());
    out.extend_from_slice(&(format.sample_rate * u32::from(block_align)).to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&(format.encoding.bytes_per_sample() * 8).to_le_bytes());
    if g711 {
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(b"fact");
        out.extend_from_slice(&4u32.to_le_bytes());
        let frames = data_len / u32::from(block_align.max(1));
        out.extend_from_slice(&frames.to_le_bytes());
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_round_trips() {
        for encoding in [WavEncoding::Pcm16, WavEncoding::Alaw, WavEncoding::Ulaw] {
            let format = WavFormat {
                encoding,
                channels: 1,
                sample_rate: 8000,
            };
            let data: Vec<u8> = (0..=255).collect();
            let mut file = Vec::new();
            write(format, &data, &mut file);
            assert_eq!(read(&file), Ok((format, &data[..])));
        }
    }

    #[test]
    fn bad_files_are_typed_errors() {
        assert_eq!(read(b"RIFX"), Err(WavError::NotWav));
        let mut file = Vec::new();
        write(
            WavFormat {
                encoding: WavEncoding::Pcm16,
                channels: 1,
                sample_rate: 8000,
            },
            &[1, 2, 3, 4],
            &mut file,
        );
        // A data chunk cut short (a crash mid-recording) reads what is there.
        assert_eq!(read(&file[..file.len() - 2]).map(|(_, d)| d.len()), Ok(2));
        // A fmt chunk claiming to be longer than the file.
        let mut bad = file.clone();
        bad[16] = 0xFF;
        assert!(matches!(read(&bad), Err(WavError::Truncated { .. })));
        let mut float = file.clone();
        float[20] = 3;
        assert_eq!(
            read(&float),
            Err(WavError::Unsupported { tag: 3, bits: 16 })
        );
    }
}
