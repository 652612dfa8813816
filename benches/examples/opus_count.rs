//! `opus_count wrapper|direct RATE N`: N frames of 20 ms encoded and decoded through
//! sambung-media's `Opus` or through libopus called directly with the same settings, for
//! instruction counts, which a busy machine does not disturb as it does wall-clock times:
//!
//! ```text
//! valgrind --tool=callgrind target/release/examples/opus_count wrapper 16000 500
//! valgrind --tool=callgrind target/release/examples/opus_count direct 16000 500
//! ```

use std::hint::black_box;
use std::process::ExitCode;

use sambung_benches::cpeers::DirectOpus;
use sambung_media::codec::Codec;
use sambung_media::opus::Opus;

#[expect(clippy::print_stderr, reason = "usage errors for a command-line tool")]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [which, rate, n] = args.as_slice() else {
        eprintln!("usage: opus_count wrapper|direct RATE N");
        return ExitCode::from(2);
    };
    let (Ok(rate), Ok(n)) = (rate.parse::<u32>(), n.parse::<usize>()) else {
        eprintln!("RATE and N must be numbers");
        return ExitCode::from(2);
    };
    let samples = usize::try_from(rate / 50).unwrap_or(0);
    let pcm: Vec<i16> = (0..samples)
        .map(|i| i16::try_from((i * 37 % 2000) as i64 - 1000).unwrap_or(0))
        .collect();
    match which.as_str() {
        "wrapper" => {
            let Ok(mut opus) = Opus::new(rate) else {
                eprintln!("unsupported rate");
                return ExitCode::from(2);
            };
            let mut packet = Vec::with_capacity(1500);
            let mut out = Vec::with_capacity(samples);
            for _ in 0..n {
                packet.clear();
                out.clear();
                let _ = opus.encode(black_box(&pcm), &mut packet);
                let _ = opus.decode(&packet, &mut out);
                black_box(&out);
            }
        }
        "direct" => {
            let Some(mut opus) = DirectOpus::new(i32::try_from(rate).unwrap_or(0)) else {
                eprintln!("unsupported rate");
                return ExitCode::from(2);
            };
            let mut packet = [0u8; 1500];
            let mut out = vec![0i16; samples];
            for _ in 0..n {
                let len = opus.encode(black_box(&pcm), &mut packet);
                opus.decode(&packet[..len], &mut out);
                black_box(&out);
            }
        }
        _ => {
            eprintln!("usage: opus_count wrapper|direct RATE N");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
