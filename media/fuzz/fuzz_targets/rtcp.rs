//! Any bytes as a compound RTCP packet: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sambung_media::rtcp::parse(data);
});
