//! Any bytes as a prompt WAV file, resampled to 8 kHz: never panics, and never reads more than
//! the ten minutes a prompt may last.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(prompt) = sambung_media::prompt::Prompt::from_wav(data, 8000) {
        assert!(prompt.duration().as_secs() <= u64::from(sambung_media::prompt::MAX_SECONDS) + 1);
    }
});
