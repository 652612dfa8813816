//! Any bytes as a datagram: never panics; what parses round-trips through the canonical form
//! and reports without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sambung_sip::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Message::parse(data) else { return };
    let canonical = m.to_bytes();
    let again = Message::parse(&canonical).expect("the canonical form parses");
    assert!(again == m, "the canonical form parses to the same message");
    let _ = sambung_sip::report::Report::of_message(&m);
    let _ = m.vias().count() + m.contacts().count() + m.routes().count();
    let _ = m.authorization().count() + m.require().count();
});
