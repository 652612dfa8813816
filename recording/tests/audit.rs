//! The audit chain: appends survive reopening, and a removed or altered entry is found.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use sambung_recording::audit::{AuditError, AuditLog, GENESIS, verify};

fn fill(path: &std::path::Path, n: u64) {
    let mut log = AuditLog::open(path).unwrap();
    for i in 0..n {
        log.append(
            "2026-11-30T02:00:00Z",
            "2001",
            "play",
            &format!("recording-{i}"),
        )
        .unwrap();
    }
}

#[test]
fn appends_chain_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    assert_eq!(verify(&path).unwrap().head, GENESIS);
    fill(&path, 3);
    let log = AuditLog::open(&path).unwrap();
    assert_eq!(log.len(), 3);
    let head = log.head().to_owned();
    drop(log);
    fill(&path, 2);
    let v = verify(&path).unwrap();
    assert_eq!(v.entries, 5);
    assert_ne!(v.head, head);
}

fn broken_line(path: &std::path::Path) -> u64 {
    match verify(path) {
        Err(AuditError::Broken { line, .. }) => line,
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

#[test]
fn a_removed_or_altered_entry_breaks_the_chain_where_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    fill(&path, 5);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();

    let removed: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    std::fs::write(&path, removed).unwrap();
    assert_eq!(broken_line(&path), 3);
    assert!(
        AuditLog::open(&path).is_err(),
        "a broken log is not extended"
    );

    let altered = text.replacen("recording-1", "recording-9", 1);
    std::fs::write(&path, altered).unwrap();
    assert_eq!(broken_line(&path), 2);

    std::fs::write(&path, format!("{text}not json\n")).unwrap();
    assert_eq!(broken_line(&path), 6);
}

#[test]
fn an_endless_line_breaks_the_chain_and_an_oversized_entry_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    fill(&path, 2);
    let mut text = std::fs::read(&path).unwrap();
    text.extend(std::iter::repeat_n(
        b'x',
        10 * sambung_recording::audit::MAX_LINE,
    ));
    std::fs::write(&path, &text).unwrap();
    assert_eq!(broken_line(&path), 3);

    let other = dir.path().join("other.jsonl");
    let mut log = AuditLog::open(&other).unwrap();
    let huge = "9".repeat(sambung_recording::audit::MAX_LINE);
    assert!(matches!(
        log.append("t", "2001", "search", &huge),
        Err(AuditError::EntryTooLong { .. })
    ));
    assert!(log.is_empty(), "nothing was written");
    assert_eq!(verify(&other).unwrap().entries, 0);
}
