//! # sambung-benches
//!
//! Side-by-side benchmarks of Sambung against named peers: each runs Sambung and the peers on
//! the same input in the same run and prints the ratios.
//!
//! | benchmark | what | peers |
//! |---|---|---|
//! | `sip_parse` | parsing SIP messages with the core headers typed | rsipstack 0.7.14, rsip 0.4.0 |
//! | `wav_record` | recording a call-minute to WAV; MP3 against the `lame` command | hound 3.5.1, lame |
//! | `sip_transactions` | non-INVITE server transactions created, matched and completed | PJSIP's published figure (340,000/s here) |
//! | `media` | G.711, jitter buffer (timing, and concealment on seeded networks), Opus wrapper overhead, the whole RTP → RTP path | spandsp 0.0.6, speexdsp 1.2.1, libopus 1.3.1 called directly |
//! | `acd` | ACD routing (1,000 agents, 100 queues, skills), CMS ingest, `acd-sim` throughput | none in-process: figures against issue 6's goals |
//!
//! ```text
//! cargo bench -p sambung-benches --features peers --bench sip_parse
//! ```
//!
//! This library holds what the benchmarks share: the messages they run on.
#![deny(unsafe_code)]

#[cfg(feature = "peers")]
pub mod cpeers;
#[cfg(feature = "peers")]
pub mod jitter_traces;

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

/// The parsers compared, each doing comparable work: the message split and its core headers
/// (Via, From, To, Call-ID, CSeq, Max-Forwards, Contact, Content-Length) typed.
#[cfg(feature = "peers")]
pub mod peers {
    /// sambung-sip: parsing validates and types the core headers in the same pass (every Via,
    /// Contact, Route… is validated); the same fields as the peers' are then read back: the top
    /// Via, From, To, Call-ID, CSeq, every Contact, Max-Forwards, Content-Length.
    pub fn sambung(bytes: &[u8]) -> Option<usize> {
        let parsed = sambung_sip::Message::parse(bytes);
        // Read in place: the message is large (its headers are inline) and need not move.
        let m = parsed.as_ref().ok()?;
        let n = m.via().params().as_str().len() + m.contact_addrs().count();
        Some(
            n + m.via().branch().map_or(0, str::len)
                + m.from().tag().map_or(0, str::len)
                + m.to().uri().as_str().len()
                + m.call_id().len()
                + m.cseq().seq() as usize
                + usize::from(m.max_forwards().unwrap_or(0))
                + m.content_length().unwrap_or(0) as usize,
        )
    }

    /// rsipstack: its parser, then the core headers typed.
    pub fn rsipstack(bytes: &[u8]) -> Option<usize> {
        use rsipstack::sip::prelude::*;
        let m = rsipstack::sip::parser::parse_message(bytes).ok()?;
        let via = m.via_header().ok()?.typed().ok()?;
        let from = m.from_header().ok()?.typed().ok()?;
        let to = m.to_header().ok()?.typed().ok()?;
        let cseq = m.cseq_header().ok()?.typed().ok()?;
        let call_id = m.call_id_header().ok()?.value().len();
        let contacts = m.typed_contact_headers().map_or(0, |c| c.len());
        let mf = m.max_forwards_header().map_or(0, |h| h.value().len());
        let cl = match &m {
            rsipstack::sip::SipMessage::Request(r) => r.body().len(),
            rsipstack::sip::SipMessage::Response(r) => r.body().len(),
        };
        Some(
            via.params.len()
                + from.params.len()
                + to.params.len()
                + cseq.seq as usize
                + call_id
                + contacts
                + mf
                + cl,
        )
    }

    /// rsip: its parser, then the core headers typed.
    pub fn rsip(bytes: &[u8]) -> Option<usize> {
        use rsip::prelude::*;
        let m = rsip::SipMessage::try_from(bytes).ok()?;
        let via = m.via_header().ok()?.typed().ok()?;
        let from = m.from_header().ok()?.typed().ok()?;
        let to = m.to_header().ok()?.typed().ok()?;
        let cseq = m.cseq_header().ok()?.typed().ok()?;
        let call_id = m.call_id_header().ok()?.value().len();
        let contacts = m
            .contact_headers()
            .iter()
            .filter_map(|c| c.typed().ok())
            .count();
        let mf = m.max_forwards_header().map_or(0, |h| h.value().len());
        let cl = m.body().len();
        Some(
            via.params.len()
                + from.params.len()
                + to.params.len()
                + cseq.seq as usize
                + call_id
                + contacts
                + mf
                + cl,
        )
    }

    /// A parser under test: returns a value derived from the typed fields, or `None` if it
    /// rejects the message.
    pub type Parser = fn(&[u8]) -> Option<usize>;

    /// The parsers by name.
    pub const PARSERS: &[(&str, Parser)] = &[
        ("sambung", sambung),
        ("rsipstack", rsipstack),
        ("rsip", rsip),
    ];
}

#[cfg(feature = "peers")]
pub mod acd_load;
pub mod sip_tx;

/// The mean of a finished criterion benchmark in ns, read from the `estimates.json` criterion
/// wrote under `dir` (the benchmark's output directory) for `group`/`name`; `None` when it
/// has not run.
#[cfg(feature = "peers")]
pub fn estimate_ns(dir: &std::path::Path, group: &str, name: &str) -> Option<f64> {
    let path = dir.join(group).join(name).join("new/estimates.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

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
