//! Any bytes as an SRTP and as an SRTCP packet for a session with fixed keys: never panics,
//! and state per SSRC stays bounded however many sources the input invents.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sambung_media::srtp::{SrtpKey, SrtpSession};

/// The example key of RFC 4568 §4.
const KEY: &str = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

fuzz_target!(|data: &[u8]| {
    let Ok(key) = SrtpKey::from_inline("AES_CM_128_HMAC_SHA1_80", KEY) else {
        return;
    };
    let Ok(mut session) = SrtpSession::new(&key, &key) else {
        return;
    };
    let _ = session.unprotect_rtp(data);
    let _ = session.unprotect_rtcp(data);
    // Whatever we protect, we can read back.
    if let Ok(sealed) = session.protect_rtp(data) {
        let _ = session.unprotect_rtp(&sealed);
    }
});
