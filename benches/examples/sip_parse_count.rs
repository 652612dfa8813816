//! `sip_parse_count PARSER SAMPLE N`: runs one parser on one sample N times. Run it under
//! `valgrind --tool=callgrind` and divide the instruction count by N; subtract a run with
//! N = 0 to remove start-up. Instruction counts do not move with a busy neighbour.

use std::hint::black_box;
use std::process::ExitCode;

use sambung_benches::SIP_SAMPLES;
use sambung_benches::peers::PARSERS;

#[expect(clippy::print_stderr, reason = "usage errors for a command-line tool")]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [parser, sample, n] = args.as_slice() else {
        eprintln!(
            "usage: sip_parse_count sambung|rsipstack|rsip invite|ok200|register|wsinv|longreq N"
        );
        return ExitCode::from(2);
    };
    let Some((_, parse)) = PARSERS.iter().find(|(name, _)| name == parser) else {
        eprintln!("unknown parser {parser}");
        return ExitCode::from(2);
    };
    let Some(sample) = SIP_SAMPLES.iter().find(|s| s.name == sample) else {
        eprintln!("unknown sample {sample}");
        return ExitCode::from(2);
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("N must be a number");
        return ExitCode::from(2);
    };
    let mut acc = 0usize;
    for _ in 0..n {
        acc = acc.wrapping_add(parse(black_box(sample.bytes)).unwrap_or(0));
    }
    black_box(acc);
    ExitCode::SUCCESS
}
