//! The IVR's prompts: 8 kHz mono 16-bit WAV files in the data folder's `prompts/`. Recorded
//! prompts go there under the same names and are used as they are. A missing prompt is made at
//! start-up with the text-to-speech program `espeak-ng` (Bahasa Indonesia) and `sox` (to 8 kHz);
//! without them, a short 425 Hz tone stands in and a warning says so.

use std::path::{Path, PathBuf};
use std::process::Command;

use sambung_media::tones::{Oscillator, to_i16};
use sambung_media::wav::{self, WavEncoding, WavFormat};
use tracing::{info, warn};

/// A prompt the call center plays, with its default text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PromptSpec {
    /// File name in `prompts/`.
    pub(crate) file: &'static str,
    /// What it says.
    pub(crate) text: &'static str,
}

/// The greeting every caller hears first.
pub(crate) const WELCOME: PromptSpec = PromptSpec {
    file: "welcome.wav",
    text: "Selamat datang di layanan pengaduan Badan Nasional Penanggulangan Terorisme. \
           Panggilan Anda akan direkam untuk menjaga kualitas layanan.",
};

/// The self-service information menu after the greeting (IVR-2).
pub(crate) const MENU: PromptSpec = PromptSpec {
    file: "menu.wav",
    text: "Untuk informasi jam layanan, tekan satu. Untuk informasi cara melapor, tekan dua. \
           Untuk berbicara dengan petugas, tekan nol atau mohon tunggu.",
};

/// Menu 1: the service hours.
pub(crate) const INFO_HOURS: PromptSpec = PromptSpec {
    file: "info_hours.wav",
    text: "Layanan pengaduan Badan Nasional Penanggulangan Terorisme buka hari Senin sampai \
           Jumat, pukul delapan pagi sampai pukul lima sore Waktu Indonesia Barat. Di luar jam \
           layanan, Anda dapat meninggalkan pesan suara atau meminta kami menelepon kembali.",
};

/// Menu 2: how to report.
pub(crate) const INFO_REPORT: PromptSpec = PromptSpec {
    file: "info_report.wav",
    text: "Untuk melaporkan ancaman atau konten radikal, sampaikan kepada petugas kami kapan, \
           di mana, dan apa yang Anda lihat atau dengar. Identitas pelapor dijaga \
           kerahasiaannya. Dalam keadaan darurat, hubungi polisi di nomor satu satu dua.",
};

/// What callers hear outside office hours (or on a holiday), before the call ends.
pub(crate) const AFTER_HOURS: PromptSpec = PromptSpec {
    file: "after_hours.wav",
    text: "Terima kasih telah menghubungi Badan Nasional Penanggulangan Terorisme. \
           Saat ini di luar jam layanan. Layanan kami buka hari Senin sampai Jumat, \
           pukul delapan pagi sampai pukul lima sore Waktu Indonesia Barat. \
           Tekan satu untuk meninggalkan pesan suara setelah nada. \
           Tekan dua bila Anda ingin kami telepon kembali pada jam layanan.",
};

/// The confirmation of a callback request.
pub(crate) const CALLBACK: PromptSpec = PromptSpec {
    file: "callback.wav",
    text: "Permintaan Anda telah kami catat. Petugas kami akan menelepon Anda kembali \
           pada jam layanan. Terima kasih.",
};

/// The satisfaction survey after the agent hangs up.
pub(crate) const SURVEY: PromptSpec = PromptSpec {
    file: "survey.wav",
    text: "Terima kasih. Mohon nilai layanan kami dengan menekan angka satu sampai lima. \
           Satu berarti sangat tidak puas, lima berarti sangat puas.",
};

/// Every prompt made at start-up.
pub(crate) const ALL: [PromptSpec; 7] = [
    WELCOME,
    MENU,
    INFO_HOURS,
    INFO_REPORT,
    AFTER_HOURS,
    SURVEY,
    CALLBACK,
];

/// Largest prompt file read (a minute of 8 kHz audio is under 1 MiB).
const MAX_PROMPT_BYTES: u64 = 16 * 1024 * 1024;

/// Why a prompt could not be loaded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PromptError {
    #[error("prompt {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("prompt {path}: {source}")]
    Wav {
        path: PathBuf,
        #[source]
        source: wav::WavError,
    },
    #[error("prompt {path}: want 8000 Hz mono 16-bit PCM, found {found:?}")]
    Format { path: PathBuf, found: WavFormat },
    #[error("prompt {path} is larger than {MAX_PROMPT_BYTES} bytes")]
    TooLarge { path: PathBuf },
}

/// Makes each missing prompt in `folder`.
pub(crate) fn ensure(folder: &Path) {
    for spec in ALL {
        let path = folder.join(spec.file);
        if path.exists() {
            continue;
        }
        match synthesise(spec.text, &path) {
            Ok(()) => info!(prompt = %path.display(), "prompt made with espeak-ng"),
            Err(why) => {
                warn!(prompt = %path.display(), %why, "espeak-ng or sox unavailable: a tone stands in for the prompt");
                let mut osc = Oscillator::new(425.0, 8000, 8000.0);
                let pcm: Vec<u8> = (0..8000)
                    .flat_map(|_| to_i16(osc.next_sample()).to_le_bytes())
                    .collect();
                let mut out = Vec::new();
                wav::write(
                    WavFormat {
                        encoding: WavEncoding::Pcm16,
                        channels: 1,
                        sample_rate: 8000,
                    },
                    &pcm,
                    &mut out,
                );
                if let Err(e) = std::fs::write(&path, out) {
                    warn!(prompt = %path.display(), error = %e, "cannot write the stand-in prompt");
                }
            }
        }
    }
}

/// `espeak-ng` (Indonesian voice) to a temporary WAV, then `sox` to 8 kHz mono 16-bit.
fn synthesise(text: &str, path: &Path) -> Result<(), String> {
    let raw = path.with_extension("espeak.wav");
    let status = Command::new("espeak-ng")
        .args(["-v", "id", "-s", "150", "-w"])
        .arg(&raw)
        .arg(text)
        .status()
        .map_err(|e| format!("espeak-ng: {e}"))?;
    if !status.success() {
        return Err(format!("espeak-ng exited with {status}"));
    }
    let converted = Command::new("sox")
        .arg(&raw)
        .args(["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"])
        .arg(path)
        .status();
    let _ = std::fs::remove_file(&raw);
    match converted {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("sox exited with {s}")),
        Err(e) => Err(format!("sox: {e}")),
    }
}

/// The tone before a voice message: 400 ms of 1 kHz.
pub(crate) fn beep() -> Vec<i16> {
    let mut osc = Oscillator::new(1000.0, 8000, 8000.0);
    (0..3200).map(|_| to_i16(osc.next_sample())).collect()
}

/// What a caller on hold hears: `hold.wav` of the prompts folder if there is one (8 kHz mono
/// 16-bit, looped), else a quiet built-in tune — four notes, a pause, again.
pub(crate) fn hold_music(folder: &Path) -> Vec<i16> {
    match load_file(folder, "hold.wav") {
        Ok(pcm) if !pcm.is_empty() => return pcm,
        Ok(_) => {}
        Err(PromptError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => warn!(error = %e, "hold music unusable: the built-in tune plays instead"),
    }
    // C5, E5, G5, E5: 400 ms each with a soft attack and release, then 800 ms of quiet.
    let mut pcm = Vec::with_capacity(8000 * 24 / 10);
    for hz in [523.25, 659.25, 783.99, 659.25] {
        let mut osc = Oscillator::new(hz, 8000, 3000.0);
        for i in 0..3200u16 {
            let edge = f64::from(i.min(3200 - i)) / 400.0;
            pcm.push(to_i16(osc.next_sample() * edge.min(1.0)));
        }
    }
    pcm.resize(pcm.len() + 6400, 0);
    pcm
}

/// Loads a prompt as 8 kHz PCM samples.
pub(crate) fn load(folder: &Path, spec: PromptSpec) -> Result<Vec<i16>, PromptError> {
    load_file(folder, spec.file)
}

/// Loads the prompt file `file` of `folder` as 8 kHz PCM samples.
pub(crate) fn load_file(folder: &Path, file: &str) -> Result<Vec<i16>, PromptError> {
    let path = folder.join(file);
    let io = |source| PromptError::Io {
        path: path.clone(),
        source,
    };
    if std::fs::metadata(&path).map_err(io)?.len() > MAX_PROMPT_BYTES {
        return Err(PromptError::TooLarge { path });
    }
    let bytes = std::fs::read(&path).map_err(io)?;
    let (format, data) = wav::read(&bytes).map_err(|source| PromptError::Wav {
        path: path.clone(),
        source,
    })?;
    if format
        != (WavFormat {
            encoding: WavEncoding::Pcm16,
            channels: 1,
            sample_rate: 8000,
        })
    {
        return Err(PromptError::Format {
            path,
            found: format,
        });
    }
    Ok(data
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_beep_and_the_built_in_hold_music_are_audible() {
        let peak = |pcm: &[i16]| pcm.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        assert!(peak(&beep()) > 4000);
        let dir = tempfile::tempdir().unwrap();
        let music = hold_music(dir.path());
        assert_eq!(music.len(), 8000 * 24 / 10);
        assert!(peak(&music) > 2000 && peak(&music) < 4000);
    }

    #[test]
    fn a_missing_prompt_is_made_and_loads_as_8k_pcm() {
        let dir = tempfile::tempdir().unwrap();
        ensure(dir.path());
        let pcm = load(dir.path(), WELCOME).unwrap();
        assert!(pcm.len() >= 4000, "{} samples", pcm.len());
        std::fs::write(dir.path().join(WELCOME.file), b"not a wav").unwrap();
        assert!(matches!(
            load(dir.path(), WELCOME),
            Err(PromptError::Wav { .. })
        ));
    }
}
