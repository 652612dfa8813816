//! Any bytes as an RFC 4733 event, and as a SIP INFO dtmf-relay body: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sambung_media::dtmf::{TelephoneEvent, parse_dtmf_relay};

fuzz_target!(|data: &[u8]| {
    let _ = TelephoneEvent::parse(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_dtmf_relay(text);
    }
});
