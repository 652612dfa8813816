//! # transcode
//!
//! `transcode IN OUT [--codec C] [--rate HZ]` converts between WAV (PCM 16-bit, or G.711
//! inside WAV), raw G.711 (`.pcmu`/`.ulaw`, `.pcma`/`.alaw`: one byte per sample, 8 kHz) and
//! Ogg Opus (`.opus`, RFC 7845, honouring pre-skip and output gain; decoded at 48 kHz unless
//! `--rate` says otherwise), choosing by file extension unless `--codec` says; a `.wav` output
//! is PCM 16-bit unless `--codec` asks for G.711 in WAV.
//!
//! Audio is mixed down to mono. There is no resampling yet: G.711 output needs 8 kHz input
//! (decode Opus with `--rate 8000`), and Opus output needs 8, 12, 16, 24 or 48 kHz.
#![forbid(unsafe_code)]

mod ogg_opus;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use sambung_media::codec::{Codec, G711};
use sambung_media::opus::Opus;
use sambung_media::wav::{self, WavEncoding, WavFormat};

/// Convert between WAV, raw G.711 and Ogg Opus.
#[derive(Debug, Parser)]
#[command(name = "transcode", version, about)]
struct Args {
    /// Input file: .wav, .pcmu/.ulaw, .pcma/.alaw or .opus.
    input: PathBuf,
    /// Output file: .wav, .pcmu/.ulaw, .pcma/.alaw or .opus.
    output: PathBuf,
    /// Output encoding, instead of the one the extension implies.
    #[arg(long, value_enum)]
    codec: Option<CodecArg>,
    /// Sample rate to decode Opus at (8000, 12000, 16000, 24000 or 48000).
    #[arg(long, default_value_t = 48_000)]
    rate: u32,
}

/// Output encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CodecArg {
    /// Linear PCM 16-bit.
    Pcm16,
    /// G.711 µ-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
    /// Opus.
    Opus,
}

/// Largest input read.
const MAX_INPUT: u64 = 1 << 30;

#[derive(Debug, thiserror::Error)]
enum TranscodeError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: larger than {MAX_INPUT} bytes")]
    TooLarge { path: String },
    #[error("{path}: unknown extension; use .wav, .pcmu, .ulaw, .pcma, .alaw or .opus")]
    UnknownExtension { path: String },
    #[error("{path}")]
    Wav {
        path: String,
        #[source]
        source: wav::WavError,
    },
    #[error("{path}")]
    Ogg {
        path: String,
        #[source]
        source: ogg_opus::OggOpusError,
    },
    #[error("{codec} needs {needed} Hz audio; the input is {rate} Hz (there is no resampling yet)")]
    RateMismatch {
        codec: &'static str,
        needed: &'static str,
        rate: u32,
    },
    #[error("codec")]
    Codec(#[from] sambung_media::codec::CodecError),
}

/// A container and encoding, from an extension or `--codec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Wav(WavEncoding),
    RawUlaw,
    RawAlaw,
    Opus,
}

fn kind_of(path: &Path) -> Result<Kind, TranscodeError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("wav") => Ok(Kind::Wav(WavEncoding::Pcm16)),
        Some("pcmu" | "ulaw") => Ok(Kind::RawUlaw),
        Some("pcma" | "alaw") => Ok(Kind::RawAlaw),
        Some("opus") => Ok(Kind::Opus),
        _ => Err(TranscodeError::UnknownExtension {
            path: path.display().to_string(),
        }),
    }
}

/// Mono PCM and its rate.
struct Audio {
    pcm: Vec<i16>,
    rate: u32,
}

fn read_input(path: &Path, rate: u32) -> Result<Audio, TranscodeError> {
    let name = path.display().to_string();
    let size = std::fs::metadata(path)
        .map_err(|source| TranscodeError::Read {
            path: name.clone(),
            source,
        })?
        .len();
    if size > MAX_INPUT {
        return Err(TranscodeError::TooLarge { path: name });
    }
    let bytes = std::fs::read(path).map_err(|source| TranscodeError::Read {
        path: name.clone(),
        source,
    })?;
    let mut pcm = Vec::new();
    match kind_of(path)? {
        Kind::RawUlaw => {
            G711::ulaw().decode(&bytes, &mut pcm)?;
            Ok(Audio { pcm, rate: 8000 })
        }
        Kind::RawAlaw => {
            G711::alaw().decode(&bytes, &mut pcm)?;
            Ok(Audio { pcm, rate: 8000 })
        }
        Kind::Wav(_) => {
            let (format, data) =
                wav::read(&bytes).map_err(|source| TranscodeError::Wav { path: name, source })?;
            let interleaved = match format.encoding {
                WavEncoding::Pcm16 => data
                    .chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]))
                    .collect(),
                WavEncoding::Alaw => {
                    let mut v = Vec::new();
                    G711::alaw().decode(data, &mut v)?;
                    v
                }
                WavEncoding::Ulaw => {
                    let mut v = Vec::new();
                    G711::ulaw().decode(data, &mut v)?;
                    v
                }
            };
            Ok(Audio {
                pcm: downmix(&interleaved, usize::from(format.channels)),
                rate: format.sample_rate,
            })
        }
        Kind::Opus => {
            let pcm = ogg_opus::decode(&bytes, rate)
                .map_err(|source| TranscodeError::Ogg { path: name, source })?;
            Ok(Audio { pcm, rate })
        }
    }
}

/// Averages interleaved channels into one.
fn downmix(interleaved: &[i16], channels: usize) -> Vec<i16> {
    if channels <= 1 {
        return interleaved.to_vec();
    }
    interleaved
        .chunks_exact(channels)
        .map(|frame| {
            let sum: i32 = frame.iter().map(|&s| i32::from(s)).sum();
            i16::try_from(sum / i32::try_from(channels).unwrap_or(1)).unwrap_or(0)
        })
        .collect()
}

fn encode_output(audio: &Audio, kind: Kind) -> Result<Vec<u8>, TranscodeError> {
    let g711_rate = |codec| {
        if audio.rate == 8000 {
            Ok(())
        } else {
            Err(TranscodeError::RateMismatch {
                codec,
                needed: "8000",
                rate: audio.rate,
            })
        }
    };
    let mut out = Vec::new();
    match kind {
        Kind::RawUlaw => {
            g711_rate("G.711")?;
            G711::ulaw().encode(&audio.pcm, &mut out)?;
        }
        Kind::RawAlaw => {
            g711_rate("G.711")?;
            G711::alaw().encode(&audio.pcm, &mut out)?;
        }
        Kind::Wav(encoding) => {
            let mut data = Vec::new();
            match encoding {
                WavEncoding::Pcm16 => data.extend(audio.pcm.iter().flat_map(|s| s.to_le_bytes())),
                WavEncoding::Alaw => {
                    g711_rate("G.711")?;
                    G711::alaw().encode(&audio.pcm, &mut data)?;
                }
                WavEncoding::Ulaw => {
                    g711_rate("G.711")?;
                    G711::ulaw().encode(&audio.pcm, &mut data)?;
                }
            }
            wav::write(
                WavFormat {
                    encoding,
                    channels: 1,
                    sample_rate: audio.rate,
                },
                &data,
                &mut out,
            );
        }
        Kind::Opus => {
            let mut codec = Opus::new(audio.rate).map_err(|_| TranscodeError::RateMismatch {
                codec: "Opus",
                needed: "8000, 12000, 16000, 24000 or 48000",
                rate: audio.rate,
            })?;
            out = ogg_opus::encode(&audio.pcm, audio.rate, &mut codec).map_err(|source| {
                TranscodeError::Ogg {
                    path: "output".to_owned(),
                    source,
                }
            })?;
        }
    }
    Ok(out)
}

fn run(args: &Args) -> Result<(), TranscodeError> {
    let mut kind = kind_of(&args.output)?;
    if let Some(codec) = args.codec {
        kind = match (kind, codec) {
            (Kind::Wav(_), CodecArg::Pcm16) => Kind::Wav(WavEncoding::Pcm16),
            (Kind::Wav(_), CodecArg::Pcmu) => Kind::Wav(WavEncoding::Ulaw),
            (Kind::Wav(_), CodecArg::Pcma) => Kind::Wav(WavEncoding::Alaw),
            (_, CodecArg::Pcmu) => Kind::RawUlaw,
            (_, CodecArg::Pcma) => Kind::RawAlaw,
            (_, CodecArg::Opus) => Kind::Opus,
            (_, CodecArg::Pcm16) => Kind::Wav(WavEncoding::Pcm16),
        };
    }
    let audio = read_input(&args.input, args.rate)?;
    let bytes = encode_output(&audio, kind)?;
    std::fs::write(&args.output, bytes).map_err(|source| TranscodeError::Write {
        path: args.output.display().to_string(),
        source,
    })
}

#[expect(
    clippy::print_stderr,
    reason = "a command-line tool reports errors on standard error"
)]
fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message.push_str(": ");
                message.push_str(&cause.to_string());
                source = cause.source();
            }
            eprintln!("transcode: {message}");
            ExitCode::from(2)
        }
    }
}
