//! The local store (ranged reads, hostile keys) and retention over a simulated year.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use sambung_recording::audit::{AuditLog, verify};
use sambung_recording::index::{RecordingIndex, RecordingRow, Search};
use sambung_recording::retention::{RetentionPolicy, SweepRun, sweep};
use sambung_recording::store::{LocalStore, MAX_RANGE, RecordingStore, StoreError, sha256_file};

const DAY_MS: i64 = 86_400_000;
/// 1 January 2026, 00:00 UTC.
const YEAR_START_MS: i64 = 1_767_225_600_000;

#[test]
fn ranged_reads_and_keys_that_cannot_escape() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(&dir.path().join("recordings")).unwrap();
    let src = dir.path().join("call.wav");
    let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&src, &bytes).unwrap();
    store.put("2026/12/rec-1.wav", &src).unwrap();
    assert!(!src.exists(), "moved, not copied");
    assert_eq!(store.len("2026/12/rec-1.wav").unwrap(), 10_000);
    assert_eq!(
        store.read_range("2026/12/rec-1.wav", 100..110).unwrap(),
        &bytes[100..110]
    );
    // Clamped at the end; an empty range at the end is fine; past the end is not.
    assert_eq!(
        store
            .read_range("2026/12/rec-1.wav", 9_990..20_000)
            .unwrap(),
        &bytes[9_990..]
    );
    assert!(
        store
            .read_range("2026/12/rec-1.wav", 10_000..10_000)
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.read_range("2026/12/rec-1.wav", 10_001..10_002),
        Err(StoreError::BadRange { .. })
    ));
    assert!(matches!(
        store.read_range("2026/12/rec-1.wav", std::ops::Range { start: 50, end: 10 }),
        Err(StoreError::BadRange { .. })
    ));
    const { assert!(MAX_RANGE > 10_000) };
    assert!(matches!(
        store.len("2026/12/none.wav"),
        Err(StoreError::NotFound(_))
    ));
    for bad in [
        "",
        "/etc/passwd",
        "../secrets.toml",
        "2026/../../x",
        "2026//x.wav",
        ".hidden",
        "2026/12/",
        "a\\b",
        "a\0b",
    ] {
        assert!(
            matches!(store.len(bad), Err(StoreError::BadKey(_))),
            "{bad:?}"
        );
        assert!(
            matches!(store.delete(bad), Err(StoreError::BadKey(_))),
            "{bad:?}"
        );
    }
    store.delete("2026/12/rec-1.wav").unwrap();
    store.delete("2026/12/rec-1.wav").unwrap();
    assert!(matches!(
        store.len("2026/12/rec-1.wav"),
        Err(StoreError::NotFound(_))
    ));
}

fn row(i: i64, started_ms: i64, video: bool) -> RecordingRow {
    RecordingRow {
        id: format!("rec-{i:04}"),
        call_id: i,
        caller: "+6281100000001".to_owned(),
        called: "112".to_owned(),
        agent: Some("1001".to_owned()),
        queue: None,
        service: None,
        started_ms,
        ended_ms: started_ms,
        duration_ms: 0,
        codec: if video {
            "video/vp8".to_owned()
        } else {
            "wav/alaw".to_owned()
        },
        size_bytes: 0,
        sha256: String::new(),
        path: format!("r/rec-{i:04}.wav"),
        complete: false,
    }
}

#[tokio::test]
async fn a_simulated_year_and_a_half_keeps_exactly_what_the_policy_says() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(&dir.path().join("recordings")).unwrap();
    let index = RecordingIndex::open_sqlite(&dir.path().join("index.sqlite"))
        .await
        .unwrap();
    let mut audit = AuditLog::open(&dir.path().join("audit.jsonl")).unwrap();
    let mut policy = RetentionPolicy::default();
    policy.holds.insert("rec-0003".to_owned());
    // One recording a day for 540 days; every tenth is video. Sweep once a day as it goes.
    let days = 540;
    let mut deleted = Vec::new();
    for day in 0..days {
        let now = YEAR_START_MS + day * DAY_MS;
        let r = row(day, now, day % 10 == 0);
        let src = dir.path().join("tmp.wav");
        std::fs::write(&src, b"RIFF").unwrap();
        store.put(&r.path, &src).unwrap();
        index.begin(&r).await.unwrap();
        index
            .complete(&r.id, now + 60_000, 60_000, 4, "")
            .await
            .unwrap();
        deleted.extend(
            sweep(
                &policy,
                &index,
                &store,
                &mut audit,
                &SweepRun {
                    now_ms: now,
                    at: "2026-01-01T00:00:00Z",
                    actor: "retention",
                    batch: 100,
                },
            )
            .await
            .unwrap(),
        );
    }
    let last = YEAR_START_MS + (days - 1) * DAY_MS;
    let left = index
        .search(&Search {
            limit: 1000,
            ..Search::default()
        })
        .await
        .unwrap();
    for r in &left.rows {
        let age_days = (last - r.started_ms) / DAY_MS;
        let video = r.codec.starts_with("video/");
        let kept = r.id == "rec-0003" || age_days < if video { 90 } else { 365 };
        assert!(kept, "{} ({age_days} days old) should be gone", r.id);
        assert_eq!(store.len(&r.path).unwrap(), 4, "its file is still there");
    }
    // Everything not kept was deleted, file and row, and audited once.
    let expected_deleted = (0..days)
        .filter(|&d| {
            let age = days - 1 - d;
            let video = d % 10 == 0;
            d != 3 && age >= if video { 90 } else { 365 }
        })
        .count();
    assert_eq!(deleted.len(), expected_deleted);
    assert_eq!(
        usize::try_from(left.total).unwrap() + expected_deleted,
        usize::try_from(days).unwrap()
    );
    for id in &deleted {
        assert!(index.get(id).await.unwrap().is_none());
        assert!(matches!(
            store.len(&format!("r/{id}.wav")),
            Err(StoreError::NotFound(_))
        ));
    }
    assert_eq!(
        verify(&dir.path().join("audit.jsonl")).unwrap().entries,
        expected_deleted as u64
    );
    assert!(
        index.get("rec-0003").await.unwrap().is_some(),
        "legal hold kept it"
    );
}

#[test]
fn file_digests_match_known_values() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(
        sha256_file(&empty).unwrap(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    // Larger than one read, so the pieces are joined right: 200,000 × "a".
    let big = dir.path().join("big");
    std::fs::write(&big, vec![b'a'; 200_000]).unwrap();
    let expected = std::process::Command::new("sha256sum")
        .arg(&big)
        .output()
        .unwrap();
    let expected = String::from_utf8_lossy(&expected.stdout);
    assert_eq!(
        sha256_file(&big).unwrap(),
        expected.split_whitespace().next().unwrap()
    );
}
