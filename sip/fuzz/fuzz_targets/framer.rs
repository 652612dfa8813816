//! Any byte stream cut anywhere: the framer never panics, never asks for more than its limit,
//! and finds the same message ends whether bytes arrive at once or in pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sambung_sip::framing::{Frame, Framer};

const MAX: usize = 4096;

fn frames(data: &[u8], step: usize) -> Vec<Result<usize, ()>> {
    let mut framer = Framer::new(MAX, 64);
    let mut out = Vec::new();
    let mut start = 0;
    let mut end = 0;
    while start < data.len() {
        end = (end + step).min(data.len()).max(start);
        match framer.frame(&data[start..end]) {
            Ok(Frame::Complete { len }) => {
                assert!(len > 0 && len <= end - start);
                out.push(Ok(start + len));
                start += len;
            }
            // Keep-alives may be reported in different pieces; only their end matters.
            Ok(Frame::KeepAlive { len, .. }) => {
                assert!(len > 0 && len <= end - start);
                start += len;
            }
            Ok(Frame::NeedMore) => {
                assert!(end - start <= MAX);
                if end == data.len() {
                    break;
                }
            }
            Err(_) => {
                out.push(Err(()));
                break;
            }
        }
    }
    out
}

fuzz_target!(|input: (u8, &[u8])| {
    let (step, data) = input;
    let whole = frames(data, data.len().max(1));
    let pieces = frames(data, usize::from(step).max(1));
    assert_eq!(whole, pieces);
});
