//! `cms_ingest_count DECISIONS REPEAT`: folds the events of DECISIONS routing decisions (the
//! `acd` benchmark's `cms_ingest` load) into a fresh CMS, REPEAT times, for instruction counts.
//! Subtract a run with REPEAT = 0 (which only builds the events) and divide by the events
//! printed:
//!
//! ```text
//! valgrind --tool=callgrind target/release/examples/cms_ingest_count 100000 5
//! ```

use std::hint::black_box;
use std::process::ExitCode;

use sambung_acd::cms::{Cms, CmsConfig};
use sambung_benches::acd_load::routing_events;
use sambung_core::event::Projection;

#[expect(
    clippy::print_stderr,
    reason = "usage errors and the event count for a command-line tool"
)]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [decisions, repeat] = args.as_slice() else {
        eprintln!("usage: cms_ingest_count DECISIONS REPEAT");
        return ExitCode::from(2);
    };
    let (Ok(decisions), Ok(repeat)) = (decisions.parse::<usize>(), repeat.parse::<usize>()) else {
        eprintln!("DECISIONS and REPEAT must be numbers");
        return ExitCode::from(2);
    };
    let events = routing_events(decisions);
    eprintln!("{} events", events.len());
    for _ in 0..repeat {
        let mut cms = Cms::new(CmsConfig::default());
        for e in &events {
            cms.apply(black_box(e));
        }
        black_box(&cms);
    }
    ExitCode::SUCCESS
}
