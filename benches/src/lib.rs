//! # sambung-benches
//!
//! Side-by-side benchmarks of Sambung against named peers: each runs Sambung and the peers on
//! the same input in the same run and prints the ratios.
//!
//! | benchmark | what | peers |
//! |---|---|---|
//! | `sip_parse` | parsing SIP messages with the core headers typed | rsipstack 0.7.14, rsip 0.4.0 |
//!
//! ```text
//! cargo bench -p sambung-benches --features peers --bench sip_parse
//! ```
//!
//! This library holds what the benchmarks share: the messages they run on.
#![forbid(unsafe_code)]

/// A message the benchmarks parse: a name and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Short name used in reports.
    pub name: &'static str,
    /// The datagram.
    pub bytes: &'static [u8],
}

/// The SIP messages of the parsing benchmark: a typical 787-byte INVITE with SDP, its 200 OK,
/// a REGISTER with Authorization, and RFC 4475's wsinv and longreq.
pub const SIP_SAMPLES: &[Sample] = &[
    Sample {
        name: "invite",
        bytes: include_bytes!("../../sip/tests/messages/invite.sip"),
    },
    Sample {
        name: "ok200",
        bytes: include_bytes!("../../sip/tests/messages/ok200.sip"),
    },
    Sample {
        name: "register",
        bytes: include_bytes!("../../sip/tests/messages/register.sip"),
    },
    Sample {
        name: "wsinv",
        bytes: include_bytes!("../../sip/tests/torture/rfc4475/valid/wsinv.dat"),
    },
    Sample {
        name: "longreq",
        bytes: include_bytes!("../../sip/tests/torture/rfc4475/valid/longreq.dat"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_parses_with_sambung() {
        for s in SIP_SAMPLES {
            let m = sambung_sip::Message::parse(s.bytes);
            assert!(m.is_ok(), "{}: {:?}", s.name, m.err());
        }
        assert_eq!(SIP_SAMPLES[0].bytes.len(), 787);
    }
}
