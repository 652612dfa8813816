//! G.711 against the ITU-T G.191 STL vectors: all 65,536 inputs, all 256 codes, and the
//! reference encodings of an 8 kHz speech file. (Files: `tests/data/g711`, copied byte for
//! byte from `shared/conformance/g711`; the STL sweep files are little-endian 16-bit words
//! with the code in the low byte.)

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use sambung_media::g711::{
    alaw_decode, alaw_encode, alaw_encode_fast, ulaw_decode, ulaw_encode, ulaw_encode_fast,
};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/g711/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn words(name: &str) -> Vec<i16> {
    data(name)
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

#[test]
fn every_input_encodes_like_the_stl() {
    let src = words("sweep.src");
    assert_eq!(src.len(), 65_536);
    for (law, name, encode) in [
        ("A", "sweep-r.a", alaw_encode as fn(i16) -> u8),
        ("µ", "sweep-r.u", ulaw_encode),
        ("A (table)", "sweep-r.a", alaw_encode_fast),
        ("µ (table)", "sweep-r.u", ulaw_encode_fast),
    ] {
        let reference = words(name);
        let mismatches: Vec<_> = src
            .iter()
            .zip(&reference)
            .filter(|&(&x, &code)| encode(x) != code.to_le_bytes()[0])
            .map(|(&x, &code)| (x, code & 0xFF, encode(x)))
            .take(5)
            .collect();
        assert!(
            mismatches.is_empty(),
            "{law}-law: (input, STL, ours) {mismatches:?}"
        );
    }
}

#[test]
fn every_code_decodes_like_the_stl() {
    for (name, encoded, decoded, decode) in [
        (
            "A",
            "sweep-r.a",
            "sweep-r.a-a",
            alaw_decode as fn(u8) -> i16,
        ),
        ("µ", "sweep-r.u", "sweep-r.u-u", ulaw_decode),
    ] {
        let codes = words(encoded);
        let reference = words(decoded);
        for (&code, &want) in codes.iter().zip(&reference) {
            let code = code.to_le_bytes()[0];
            assert_eq!(decode(code), want, "{name}-law code {code:#04x}");
        }
    }
}

#[test]
fn all_256_codes_match_the_decode_tables() {
    for (file, decode) in [
        ("g711_alaw_decode_table.csv", alaw_decode as fn(u8) -> i16),
        ("g711_ulaw_decode_table.csv", ulaw_decode),
    ] {
        let text = String::from_utf8(data(file)).unwrap();
        let rows: Vec<_> = text.lines().skip(1).collect();
        assert_eq!(rows.len(), 256, "{file}");
        for row in rows {
            let cols: Vec<&str> = row.split(',').collect();
            let code: u8 = cols[0].parse().unwrap();
            let want: i16 = cols[2].parse().unwrap();
            assert_eq!(decode(code), want, "{file} code {code}");
        }
    }
}

#[test]
fn speech_encodes_like_the_reference() {
    let wav = data("speech_8k_s16.wav");
    // A canonical 44-byte header; find the data chunk to be safe.
    let at = wav.windows(4).position(|w| w == b"data").unwrap();
    let len = u32::from_le_bytes([wav[at + 4], wav[at + 5], wav[at + 6], wav[at + 7]]) as usize;
    let pcm: Vec<i16> = wav[at + 8..at + 8 + len]
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    let pcma = data("speech_8k.stl.pcma");
    let pcmu = data("speech_8k.stl.pcmu");
    assert_eq!(pcm.len(), pcma.len());
    let ours_a: Vec<u8> = pcm.iter().map(|&s| alaw_encode(s)).collect();
    let ours_u: Vec<u8> = pcm.iter().map(|&s| ulaw_encode(s)).collect();
    assert!(ours_a == pcma, "A-law speech differs from the reference");
    assert!(ours_u == pcmu, "µ-law speech differs from the reference");
}
