//! Any bytes as an RTP packet: never panics; CSRCs and the extension read within bounds, and
//! the header written back with the payload parses to the same values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sambung_media::rtp::{RtpHeader, RtpPacket};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = RtpPacket::parse(data) {
        let _ = p.csrcs().count();
        let _ = p.extension();
        let header = RtpHeader {
            marker: p.marker,
            payload_type: p.payload_type,
            sequence: p.sequence,
            timestamp: p.timestamp,
            ssrc: p.ssrc,
        };
        let mut out = Vec::new();
        header.write(p.payload, &mut out);
        let again = RtpPacket::parse(&out).expect("a written packet parses");
        assert_eq!(
            (
                again.sequence,
                again.timestamp,
                again.ssrc,
                again.payload_type,
                again.marker,
                again.payload
            ),
            (
                p.sequence,
                p.timestamp,
                p.ssrc,
                p.payload_type,
                p.marker,
                p.payload
            )
        );
    }
});
