//! Any bytes as a URI: never panics; unescaping never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sambung_sip::Uri;

fuzz_target!(|data: &[u8]| {
    if let Ok(uri) = Uri::parse(data) {
        if let Some(sip) = uri.as_sip() {
            let _ = sip.user().map(sambung_sip::uri::unescape);
            let _ = sip.params().iter().count();
        }
    }
});
