//! Property tests: generated valid messages round-trip through the canonical serializer, and
//! arbitrary or mutated bytes never panic the parser nor make it allocate without bound.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::alloc::System;

use proptest::prelude::*;
use sambung_sip::framing::{Frame, Framer};
use sambung_sip::{Message, Uri};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9.!%*_+`'~-]{0,10}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9]{0,6}(\\.[a-z][a-z0-9]{0,6}){0,2}",
        (any::<[u8; 4]>()).prop_map(|o| format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3])),
        (any::<[u16; 8]>()).prop_map(|s| format!("[{}]", std::net::Ipv6Addr::from(s))),
    ]
}

fn port() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), (1u16..).prop_map(|p| format!(":{p}"))]
}

fn sip_uri() -> impl Strategy<Value = String> {
    (
        prop::option::of("[a-zA-Z0-9_.!~*'()&=+$,;?/-]{1,10}|%[0-9A-F]{2}[a-z]{0,4}"),
        host(),
        port(),
        prop::collection::vec(("[a-z]{1,6}", prop::option::of("[a-zA-Z0-9]{1,6}")), 0..3),
        any::<bool>(),
    )
        .prop_map(|(user, host, port, params, secure)| {
            let mut s = String::from(if secure { "sips:" } else { "sip:" });
            if let Some(u) = user {
                s.push_str(&u);
                s.push('@');
            }
            s.push_str(&host);
            s.push_str(&port);
            for (n, v) in params {
                s.push(';');
                s.push_str(&n);
                if let Some(v) = v {
                    s.push('=');
                    s.push_str(&v);
                }
            }
            s
        })
}

/// One of several spellings of a header name.
fn spelled(long: &'static str, compact: Option<&'static str>) -> impl Strategy<Value = String> {
    let mut forms = vec![
        long.to_owned(),
        long.to_ascii_uppercase(),
        long.to_ascii_lowercase(),
    ];
    if let Some(c) = compact {
        forms.push(c.to_owned());
        forms.push(c.to_ascii_uppercase());
    }
    prop::sample::select(forms)
}

/// Separator between a header's colon and value: nothing, spaces, or a line fold.
fn gap() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", " ", "  ", "\r\n ", " \r\n\t"])
}

fn name_addr() -> impl Strategy<Value = String> {
    (
        prop::option::of(prop_oneof!["\"[A-Za-z ,;<>]{0,12}\"", "[A-Za-z]{1,8}"]),
        sip_uri(),
    )
        .prop_map(|(display, uri)| match display {
            Some(d) => format!("{d} <{uri}>"),
            None => format!("<{uri}>"),
        })
}

#[derive(Debug, Clone)]
struct Generated {
    bytes: Vec<u8>,
}

fn message() -> impl Strategy<Value = Generated> {
    let method = prop_oneof![
        prop::sample::select(vec![
            "INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS", "INFO", "REFER"
        ])
        .prop_map(str::to_owned),
        "[A-Z]{1,10}",
    ];
    let headers = (
        (
            spelled("Via", Some("v")),
            gap(),
            prop::sample::select(vec!["UDP", "TCP", "TLS", "WS"]),
            host(),
            port(),
            token(),
        ),
        (spelled("From", Some("f")), gap(), name_addr(), token()),
        (
            spelled("To", Some("t")),
            gap(),
            name_addr(),
            prop::option::of(token()),
        ),
        (
            spelled("Call-ID", Some("i")),
            gap(),
            "[A-Za-z0-9.!%*_+`'~()<>:/?{}-]{1,20}(@[a-z0-9.]{1,10})?",
        ),
        (gap(), any::<u32>(), 0u8..=255),
        prop::collection::vec(("X-[A-Za-z]{1,8}", "[!-~]([ -~]{0,18}[!-~])?"), 0..4),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
    );
    (method, sip_uri(), any::<Option<u16>>(), headers).prop_map(
        |(method, ruri, status, (via, from, to, call_id, (cgap, cseq, mf), extra, body))| {
            let mut s = match status {
                Some(code) => format!("SIP/2.0 {} Reason Phrase\r\n", 100 + code % 600),
                None => format!("{method} {ruri} SIP/2.0\r\n"),
            };
            s += &format!(
                "{}:{}SIP/2.0/{} {}{};branch=z9hG4bK{}\r\n",
                via.0, via.1, via.2, via.3, via.4, via.5
            );
            s += &format!("{}:{}{};tag={}\r\n", from.0, from.1, from.2, from.3);
            match to.3 {
                Some(tag) => s += &format!("{}:{}{};tag={tag}\r\n", to.0, to.1, to.2),
                None => s += &format!("{}:{}{}\r\n", to.0, to.1, to.2),
            }
            s += &format!("{}:{}{}\r\n", call_id.0, call_id.1, call_id.2);
            s += &format!("CSeq:{cgap}{cseq} {method}\r\n");
            s += &format!("Max-Forwards: {mf}\r\n");
            for (name, value) in extra {
                s += &format!("{name}: {value}\r\n");
            }
            let mut bytes = s.into_bytes();
            match body {
                Some(body) => {
                    bytes.extend_from_slice(
                        format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes(),
                    );
                    bytes.extend_from_slice(&body);
                }
                None => bytes.extend_from_slice(b"\r\n"),
            }
            Generated { bytes }
        },
    )
}

fn torture_files() -> Vec<Vec<u8>> {
    let root = format!("{}/tests/torture", env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "rfc4475/valid",
        "rfc4475/invalid",
        "rfc4475/semantic",
        "rfc5118",
    ] {
        for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
            files.push(std::fs::read(entry.unwrap().path()).unwrap());
        }
    }
    files.sort();
    files
}

/// Parses and checks that the parser allocated at most a bounded amount for this input:
/// headers beyond the inline 32 move to the heap, at most one entry per 3 input bytes.
fn parse_bounded(bytes: &[u8]) -> Option<Vec<u8>> {
    let region = Region::new(GLOBAL);
    let parsed = Message::parse(bytes);
    let stats = region.change();
    assert!(
        stats.bytes_allocated <= 64 * bytes.len() + 4096,
        "{stats:?} for {} bytes",
        bytes.len()
    );
    parsed.ok().map(|m| m.to_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_messages_round_trip(g in message()) {
        let m = Message::parse(&g.bytes).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&g.bytes)));
        let canonical = m.to_bytes();
        let again = Message::parse(&canonical).unwrap();
        prop_assert_eq!(&again, &m);
        prop_assert_eq!(again.to_bytes(), canonical.clone());
        prop_assert_eq!(again.via(), m.via());
        prop_assert_eq!(again.from(), m.from());
        prop_assert_eq!(again.to(), m.to());
        prop_assert_eq!(again.cseq(), m.cseq());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_bounded(&bytes);
    }

    #[test]
    fn sip_looking_bytes_never_panic(text in "(INVITE|SIP/2.0|v:|To:|Via: SIP/2.0/UDP|;|,|<|>|\"|\r\n| |[a-z0-9@:.%\\[\\]=]{1,6}){0,60}") {
        let _ = parse_bounded(text.as_bytes());
    }

    #[test]
    fn mutated_torture_messages_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let files = torture_files();
        let mut bytes = files[pick.index(files.len())].clone();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len().max(1));
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i.min(bytes.len()), byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        if let Some(canonical) = parse_bounded(&bytes) {
            // Whatever parses round-trips.
            let m = Message::parse(&bytes).unwrap();
            prop_assert_eq!(&Message::parse(&canonical).unwrap(), &m);
        }
    }

    #[test]
    fn framer_finds_each_message_however_the_stream_is_cut(
        msgs in prop::collection::vec(message(), 1..4),
        cuts in prop::collection::vec(1usize..200, 1..50),
        pings in any::<bool>(),
    ) {
        let msgs: Vec<Vec<u8>> = msgs
            .into_iter()
            .map(|g| g.bytes)
            .filter(|b| b.windows(15).any(|w| w == b"Content-Length:"))
            .collect();
        let mut stream = Vec::new();
        for m in &msgs {
            if pings {
                stream.extend_from_slice(b"\r\n\r\n");
            }
            stream.extend_from_slice(m);
        }
        let mut framer = Framer::default();
        let mut found = Vec::new();
        let (mut start, mut end) = (0, 0);
        let mut cut = cuts.iter().cycle();
        while start < stream.len() {
            end = (end + cut.next().copied().unwrap_or(1)).min(stream.len()).max(start);
            loop {
                match framer.frame(&stream[start..end]).unwrap() {
                    Frame::Complete { len } => {
                        found.push(stream[start..start + len].to_vec());
                        start += len;
                    }
                    Frame::KeepAlive { len, .. } => start += len,
                    Frame::NeedMore => break,
                }
                if start == end {
                    break;
                }
            }
        }
        prop_assert_eq!(found, msgs);
    }

    #[test]
    fn framer_never_panics_nor_buffers_past_its_limit(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
        let mut framer = Framer::new(1024, 32);
        let mut start = 0;
        for end in (1..=bytes.len()).step_by(7).chain([bytes.len()]) {
            if end < start {
                continue;
            }
            match framer.frame(&bytes[start..end]) {
                Ok(Frame::Complete { len } | Frame::KeepAlive { len, .. }) => start += len,
                Ok(Frame::NeedMore) => prop_assert!(end - start < 1024 + 7),
                Err(_) => break,
            }
        }
    }

    #[test]
    fn uri_parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Uri::parse(&bytes);
    }
}

#[test]
fn every_accepted_torture_message_round_trips() {
    let mut accepted = 0;
    for bytes in torture_files() {
        if let Ok(m) = Message::parse(&bytes) {
            let canonical = m.to_bytes();
            let again = Message::parse(&canonical)
                .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&canonical)));
            assert_eq!(again, m);
            accepted += 1;
        }
    }
    assert!(accepted >= 30, "{accepted}");
}
