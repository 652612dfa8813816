//! Any bytes as a WAV file: never panics, and the data returned lies within the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((_, audio)) = sambung_media::wav::read(data) {
        assert!(audio.len() <= data.len());
    }
});
