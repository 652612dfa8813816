//! Any bytes as an SDP body: never panics; what parses round-trips and can be answered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sambung_sip::sdp::Sdp;
use sambung_sip::sdp::negotiate::{Codec, LocalMedia, answer};

fuzz_target!(|data: &[u8]| {
    let Ok(sdp) = Sdp::parse(data) else { return };
    let text = sdp.to_string();
    let again = Sdp::parse(text.as_bytes()).expect("the canonical form parses");
    assert!(again == sdp);
    let local = LocalMedia::audio(
        "127.0.0.1".parse().expect("address"),
        4000,
        vec![Codec::pcmu(), Codec::opus(), Codec::telephone_event()],
    );
    if let Ok(a) = answer(&sdp, &local) {
        Sdp::parse(a.sdp.as_bytes()).expect("our answer parses");
    }
});
