//! Parsing a 20-header INVITE makes no heap allocation: the parser borrows from its input and
//! keeps headers inline.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use std::alloc::System;

use sambung_sip::Message;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The allocator's counts are global: the tests take turns, so that one test's file reading
/// is not counted in the other's measured region when `cargo test` runs them on threads.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn message(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/messages/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn parsing_a_20_header_invite_allocates_nothing() {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let bytes = message("invite20.sip");
    // Warm up anything lazily initialised, outside the measured region.
    let warm = Message::parse(&bytes).unwrap();
    assert_eq!(warm.headers().len(), 20);
    drop(warm);

    let region = Region::new(GLOBAL);
    let msg = Message::parse(&bytes).unwrap();
    // Touch the typed fields so nothing is optimised away.
    let checks = (
        msg.via().branch().map(str::len),
        msg.from().tag().map(str::len),
        msg.cseq().seq(),
        msg.content_length(),
        msg.vias().count(),
        msg.routes().count(),
    );
    let stats = region.change();
    assert_eq!(checks.5, 1);
    assert_eq!(checks.4, 2);
    assert_eq!(stats.allocations, 0, "{stats:?}");
    assert_eq!(stats.reallocations, 0, "{stats:?}");
}

#[test]
fn the_other_benchmark_messages_allocate_nothing_either() {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for name in ["invite.sip", "ok200.sip", "register.sip"] {
        let bytes = message(name);
        let region = Region::new(GLOBAL);
        let msg = Message::parse(&bytes).unwrap();
        let auth = msg.authorization().count();
        let stats = region.change();
        assert!(auth <= 1);
        assert_eq!(stats.allocations, 0, "{name}: {stats:?}");
    }
}
