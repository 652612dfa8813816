//! A crash-safe WAV recorder for calls: the two legs in, a playable file out, even after
//! `kill -9`.
//!
//! Frames are buffered in memory and written, with the RIFF and data sizes in the header
//! brought up to date, every [`RecorderConfig::header_every`] of audio. A process killed at
//! any moment therefore leaves a file whose header describes all but the last interval, and
//! [`recover`] (run at start-up over unfinished recordings) extends the header to every whole
//! sample on disk. Nothing waits on the disk except those periodic writes.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sambung_media::g711;
use sambung_media::wav::{self, WavEncoding, WavError, WavFormat};

use crate::live::LiveTap;

/// How the two legs of a call are laid out in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Both legs mixed into one channel.
    Mono,
    /// Caller on the left channel, agent on the right.
    Stereo,
}

/// What a recorder writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecorderConfig {
    /// Sample encoding in the file.
    pub encoding: WavEncoding,
    /// Mono mix or one leg per channel.
    pub layout: Layout,
    /// Sample rate of the frames given to [`WavRecorder::write`].
    pub sample_rate: u32,
    /// How much audio is held in memory before it is written and the header updated: at most
    /// this much is missing from the header after a crash, and [`recover`] gets it back.
    pub header_every: Duration,
}

impl Default for RecorderConfig {
    /// Stereo 16-bit PCM at 8 kHz, header updated every second.
    fn default() -> Self {
        Self {
            encoding: WavEncoding::Pcm16,
            layout: Layout::Stereo,
            sample_rate: 8000,
            header_every: Duration::from_secs(1),
        }
    }
}

/// Why a recording could not be written or repaired.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The file system refused.
    #[error("recording file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a WAV file this crate can repair.
    #[error("recording file {path} is not a repairable WAV file: {source}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: WavError,
    },
    /// A WAV file holds at most 4 GiB; the recording must be split before that.
    #[error("recording file {path} would pass the 4 GiB WAV limit")]
    TooLong {
        /// The file.
        path: PathBuf,
    },
    /// Zero sample rate, or a rate that cannot be written.
    #[error("recorder sample rate {0} Hz is not usable")]
    BadRate(u32),
}

/// What a finished (or recovered) recording holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordingSummary {
    /// The file's format.
    pub format: WavFormat,
    /// Bytes of audio in the data chunk.
    pub data_bytes: u64,
    /// Audio length.
    pub duration: Duration,
    /// Audio the disk refused for longer than [`MAX_BACKLOG_SECONDS`], given up on so memory
    /// stays bounded (zero for a recording written whole).
    pub dropped: Duration,
}

/// Seconds of audio a recorder keeps in memory while the disk refuses writes (full, gone):
/// past that, the backlog is dropped and counted in [`RecordingSummary::dropped`].
pub const MAX_BACKLOG_SECONDS: usize = 30;

impl RecordingSummary {
    fn new(format: WavFormat, data_bytes: u64) -> Self {
        Self {
            format,
            data_bytes,
            duration: audio_duration(format, data_bytes),
            dropped: Duration::ZERO,
        }
    }
}

/// How long `bytes` of audio in `format` last.
fn audio_duration(format: WavFormat, bytes: u64) -> Duration {
    let per_second = bytes_per_second(format).max(1);
    let nanos = u128::from(bytes) * 1_000_000_000 / u128::from(per_second);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

fn block_align(format: WavFormat) -> u64 {
    let per_sample = match format.encoding {
        WavEncoding::Pcm16 => 2,
        _ => 1,
    };
    u64::from(format.channels) * per_sample
}

fn bytes_per_second(format: WavFormat) -> u64 {
    u64::from(format.sample_rate) * block_align(format)
}

/// Where the size fields of a header written by [`wav::write`] sit.
#[derive(Debug, Clone, Copy)]
struct SizeFields {
    /// Start of the audio; the data chunk's size is the four bytes before it.
    data_offset: u64,
    /// The `fact` chunk's sample count (non-PCM formats only).
    fact_offset: Option<u64>,
}

/// Writes the three size fields for `data_bytes` of audio.
fn write_sizes(
    file: &mut File,
    fields: SizeFields,
    format: WavFormat,
    data_bytes: u64,
) -> std::io::Result<()> {
    let data = u32::try_from(data_bytes).unwrap_or(u32::MAX);
    let riff =
        u32::try_from(fields.data_offset - 8 + data_bytes + (data_bytes & 1)).unwrap_or(u32::MAX);
    file.seek(SeekFrom::Start(4))?;
    file.write_all(&riff.to_le_bytes())?;
    if let Some(at) = fields.fact_offset {
        let frames = u32::try_from(data_bytes / block_align(format).max(1)).unwrap_or(u32::MAX);
        file.seek(SeekFrom::Start(at))?;
        file.write_all(&frames.to_le_bytes())?;
    }
    file.seek(SeekFrom::Start(fields.data_offset - 4))?;
    file.write_all(&data.to_le_bytes())?;
    Ok(())
}

/// Records one call into a WAV file.
#[derive(Debug)]
pub struct WavRecorder {
    path: PathBuf,
    file: File,
    format: WavFormat,
    layout: Layout,
    fields: SizeFields,
    /// Audio on disk.
    written: u64,
    /// Audio not yet on disk.
    pending: Vec<u8>,
    flush_at: usize,
    /// Most bytes kept in `pending` while writes fail.
    max_pending: usize,
    /// Audio given up on because the disk refused it.
    dropped: u64,
    paused: bool,
    tap: Option<LiveTap>,
}

impl WavRecorder {
    /// Creates `path` (failing if it exists) and writes the header.
    pub fn create(path: &Path, config: RecorderConfig) -> Result<Self, RecordError> {
        if config.sample_rate == 0 || config.sample_rate > 384_000 {
            return Err(RecordError::BadRate(config.sample_rate));
        }
        let io = |source| RecordError::Io {
            path: path.to_owned(),
            source,
        };
        let format = WavFormat {
            encoding: config.encoding,
            channels: match config.layout {
                Layout::Mono => 1,
                Layout::Stereo => 2,
            },
            sample_rate: config.sample_rate,
        };
        let mut header = Vec::with_capacity(64);
        wav::write(format, &[], &mut header);
        let data_offset = header.len() as u64;
        let fields = SizeFields {
            data_offset,
            fact_offset: (config.encoding != WavEncoding::Pcm16).then(|| data_offset - 12),
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(io)?;
        file.write_all(&header).map_err(io)?;
        let per_flush =
            u128::from(bytes_per_second(format)) * config.header_every.as_millis() / 1000;
        let flush_at = usize::try_from(per_flush).unwrap_or(usize::MAX).max(1);
        Ok(Self {
            path: path.to_owned(),
            file,
            format,
            layout: config.layout,
            fields,
            written: 0,
            pending: Vec::with_capacity(flush_at + 1024),
            flush_at,
            max_pending: usize::try_from(bytes_per_second(format))
                .unwrap_or(usize::MAX)
                .saturating_mul(MAX_BACKLOG_SECONDS)
                .max(flush_at),
            dropped: 0,
            paused: false,
            tap: None,
        })
    }

    /// The file's format.
    pub fn format(&self) -> WavFormat {
        self.format
    }

    /// Audio recorded so far, written or not.
    pub fn duration(&self) -> Duration {
        RecordingSummary::new(self.format, self.written + self.pending.len() as u64).duration
    }

    /// Stops storing audio: frames given while paused become silence, so the recording keeps
    /// the call's timeline but never holds what was said (a card number, say).
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// Stores audio again.
    pub fn resume(&mut self) {
        self.paused = false;
    }

    /// Whether audio is being replaced by silence.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Hands every frame recorded from now on to `tap`, for people listening live; they hear
    /// what the file holds (silence while paused).
    pub fn set_tap(&mut self, tap: LiveTap) {
        self.tap = Some(tap);
    }

    /// Adds one frame of each leg (16-bit linear samples at the configured rate). A shorter leg
    /// is padded with silence, so a leg that lost a packet does not shift the other.
    pub fn write(&mut self, caller: &[i16], agent: &[i16]) -> Result<(), RecordError> {
        let n = caller.len().max(agent.len());
        if self.paused {
            let silence = vec![0i16; n];
            self.encode(&silence, &silence);
            if let Some(tap) = &self.tap {
                tap.publish(&silence, &silence);
            }
        } else if caller.len() == agent.len() {
            self.encode(caller, agent);
            if let Some(tap) = &self.tap {
                tap.publish(caller, agent);
            }
        } else {
            let pad = |leg: &[i16]| {
                let mut v = leg.to_vec();
                v.resize(n, 0);
                v
            };
            let (caller, agent) = (pad(caller), pad(agent));
            self.encode(&caller, &agent);
            if let Some(tap) = &self.tap {
                tap.publish(&caller, &agent);
            }
        }
        if self.pending.len() >= self.flush_at
            && let Err(e) = self.flush()
        {
            // The disk refuses (full, unplugged): keep trying with the next frames, but never
            // hold more than MAX_BACKLOG_SECONDS of audio.
            if self.pending.len() > self.max_pending {
                self.dropped += self.pending.len() as u64;
                self.pending.clear();
            }
            return Err(e);
        }
        Ok(())
    }

    /// Appends two legs of equal length to the buffer in the file's layout and encoding.
    fn encode(&mut self, caller: &[i16], agent: &[i16]) {
        let out = &mut self.pending;
        let pairs = caller.iter().zip(agent);
        match (self.layout, self.format.encoding) {
            (Layout::Stereo, WavEncoding::Alaw) => out.extend(
                pairs.flat_map(|(&c, &a)| [g711::alaw_encode_fast(c), g711::alaw_encode_fast(a)]),
            ),
            (Layout::Stereo, WavEncoding::Ulaw) => out.extend(
                pairs.flat_map(|(&c, &a)| [g711::ulaw_encode_fast(c), g711::ulaw_encode_fast(a)]),
            ),
            (Layout::Stereo, _) => {
                out.reserve(caller.len() * 4);
                for (&c, &a) in pairs {
                    let [c0, c1] = c.to_le_bytes();
                    let [a0, a1] = a.to_le_bytes();
                    out.extend_from_slice(&[c0, c1, a0, a1]);
                }
            }
            (Layout::Mono, encoding) => {
                let mixed = pairs.map(|(&c, &a)| c.saturating_add(a));
                match encoding {
                    WavEncoding::Alaw => out.extend(mixed.map(g711::alaw_encode_fast)),
                    WavEncoding::Ulaw => out.extend(mixed.map(g711::ulaw_encode_fast)),
                    _ => out.extend(mixed.flat_map(i16::to_le_bytes)),
                }
            }
        }
    }

    /// Writes buffered audio and brings the header up to date.
    pub fn flush(&mut self) -> Result<(), RecordError> {
        let io = |source| RecordError::Io {
            path: self.path.clone(),
            source,
        };
        let total = self.written + self.pending.len() as u64;
        if self.fields.data_offset + total + 1 > u64::from(u32::MAX) {
            return Err(RecordError::TooLong {
                path: self.path.clone(),
            });
        }
        self.file
            .seek(SeekFrom::Start(self.fields.data_offset + self.written))
            .map_err(io)?;
        self.file.write_all(&self.pending).map_err(io)?;
        self.written = total;
        self.pending.clear();
        write_sizes(&mut self.file, self.fields, self.format, self.written).map_err(io)?;
        Ok(())
    }

    /// Writes what is left, pads the data chunk to an even length, syncs the file to disk, and
    /// says what it holds.
    pub fn finish(mut self) -> Result<RecordingSummary, RecordError> {
        self.flush()?;
        let io = |source| RecordError::Io {
            path: self.path.clone(),
            source,
        };
        if self.written % 2 == 1 {
            self.file
                .seek(SeekFrom::Start(self.fields.data_offset + self.written))
                .map_err(io)?;
            self.file.write_all(&[0]).map_err(io)?;
        }
        self.file.sync_all().map_err(io)?;
        let mut summary = RecordingSummary::new(self.format, self.written);
        summary.dropped = audio_duration(self.format, self.dropped);
        Ok(summary)
    }
}

/// Makes a recording left by a crash whole: the header's sizes are set to every complete
/// sample frame on disk and a partial frame at the end is cut. Returns what the file holds and
/// whether anything had to change. A file that is already consistent is left untouched.
pub fn recover(path: &Path) -> Result<(RecordingSummary, bool), RecordError> {
    let io = |source| RecordError::Io {
        path: path.to_owned(),
        source,
    };
    let bad = |source| RecordError::Wav {
        path: path.to_owned(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let Header {
        format,
        fields,
        declared,
    } = read_header(&mut file).map_err(|e| match e {
        HeaderError::Io(source) => io(source),
        HeaderError::Wav(source) => bad(source),
    })?;
    let align = block_align(format).max(1);
    let on_disk = len.saturating_sub(fields.data_offset);
    // A finished file may carry one pad byte after an odd-length data chunk.
    if declared == on_disk || (declared % 2 == 1 && declared + 1 == on_disk) {
        return Ok((RecordingSummary::new(format, declared), false));
    }
    let whole = on_disk / align * align;
    file.set_len(fields.data_offset + whole).map_err(io)?;
    write_sizes(&mut file, fields, format, whole).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok((RecordingSummary::new(format, whole), true))
}

/// What the start of a WAV file says.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    /// The format.
    pub(crate) format: WavFormat,
    fields: SizeFields,
    /// The data chunk's size as written in the header (stale after a crash).
    pub(crate) declared: u64,
}

impl Header {
    /// Where the audio starts.
    #[cfg(feature = "mp3")]
    pub(crate) fn data_offset(&self) -> u64 {
        self.fields.data_offset
    }
}

/// Why [`read_header`] failed.
#[derive(Debug)]
pub(crate) enum HeaderError {
    Io(std::io::Error),
    Wav(WavError),
}

/// Reads the header from the first 4 KiB of `file` (never more, whatever the file claims).
pub(crate) fn read_header(file: &mut File) -> Result<Header, HeaderError> {
    let mut head = Vec::with_capacity(4096);
    file.seek(SeekFrom::Start(0)).map_err(HeaderError::Io)?;
    file.take(4096)
        .read_to_end(&mut head)
        .map_err(HeaderError::Io)?;
    let (format, _) = wav::read(&head).map_err(HeaderError::Wav)?;
    let fields = locate(&head).ok_or(HeaderError::Wav(WavError::NoData))?;
    let declared = usize::try_from(fields.data_offset)
        .ok()
        .and_then(|end| head.get(end.checked_sub(4)?..end))
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or(HeaderError::Wav(WavError::NoData))?;
    Ok(Header {
        format,
        fields,
        declared: u64::from(declared),
    })
}

/// Finds the data chunk and, if present, the fact chunk's sample count in a header.
fn locate(head: &[u8]) -> Option<SizeFields> {
    let mut at = 12usize;
    let mut fact_offset = None;
    while let Some(chunk) = head.get(at..at + 8) {
        let len = usize::try_from(u32::from_le_bytes(chunk.get(4..8)?.try_into().ok()?)).ok()?;
        match chunk.get(..4)? {
            b"data" => {
                return Some(SizeFields {
                    data_offset: (at + 8) as u64,
                    fact_offset,
                });
            }
            b"fact" if len >= 4 => fact_offset = Some((at + 8) as u64),
            _ => {}
        }
        at = at.checked_add(8)?.checked_add(len)?.checked_add(len & 1)?;
    }
    None
}
