//! Recordings in object storage (feature `s3`): the same behaviour as the local folder, in
//! memory and against a real S3 API — moto's server, which we did not write (required in CI,
//! skipped elsewhere when `moto_server` is missing).

#![cfg(feature = "s3")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]
#![allow(
    clippy::cast_possible_truncation,
    reason = "test data of a few MiB on a 64-bit machine"
)]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sambung_recording::audit::AuditLog;
use sambung_recording::index::{RecordingIndex, RecordingRow, Search};
use sambung_recording::object::{ObjectRecordingStore, S3Config};
use sambung_recording::retention::{RetentionPolicy, SweepRun, sweep};
use sambung_recording::store::{MAX_RANGE, RecordingStore, StoreError};

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// Puts, reads, measures and deletes through `store`, as the local store's tests do; `big`
/// is larger than the part size, so it goes up in parts.
fn round_trip(store: &ObjectRecordingStore, big: usize) {
    let dir = tempfile::tempdir().unwrap();
    let small = pattern(10_000);
    let src = dir.path().join("call.wav");
    std::fs::write(&src, &small).unwrap();
    store.put("2026/12/rec-1.wav", &src).unwrap();
    assert!(!src.exists(), "the local file goes once uploaded");
    assert_eq!(store.len("2026/12/rec-1.wav").unwrap(), 10_000);
    assert_eq!(
        store.read_range("2026/12/rec-1.wav", 100..110).unwrap(),
        &small[100..110]
    );
    // Clamped at the end; an empty range at the end is fine; past the end is not.
    assert_eq!(
        store
            .read_range("2026/12/rec-1.wav", 9_990..20_000)
            .unwrap(),
        &small[9_990..]
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
    // A multipart upload reads back whole, across its part boundaries.
    let large = pattern(big);
    let src = dir.path().join("long.wav");
    std::fs::write(&src, &large).unwrap();
    store.put("2026/12/rec-2.wav", &src).unwrap();
    assert_eq!(store.len("2026/12/rec-2.wav").unwrap(), big as u64);
    let part = store.part_size() as u64;
    let across = part - 5..part + 5;
    assert_eq!(
        store
            .read_range("2026/12/rec-2.wav", across.clone())
            .unwrap(),
        &large[across.start as usize..across.end as usize]
    );
    let all = store.read_range("2026/12/rec-2.wav", 0..u64::MAX).unwrap();
    assert_eq!(all.len() as u64, (big as u64).min(MAX_RANGE));
    assert_eq!(all, &large[..all.len()]);
    // Missing files, hostile keys, deleting twice.
    assert!(matches!(
        store.len("2026/12/none.wav"),
        Err(StoreError::NotFound(_))
    ));
    for key in ["../etc/passwd", "/abs.wav", "a//b.wav", ".hidden/x.wav", ""] {
        assert!(
            matches!(store.len(key), Err(StoreError::BadKey(_))),
            "{key:?}"
        );
    }
    store.delete("2026/12/rec-1.wav").unwrap();
    store.delete("2026/12/rec-1.wav").unwrap();
    assert!(matches!(
        store.len("2026/12/rec-1.wav"),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn in_memory_object_store_behaves_like_the_local_folder() {
    let store = ObjectRecordingStore::new(
        Arc::new(object_store::memory::InMemory::new()),
        "recordings",
    )
    .unwrap()
    .with_part_size(64 * 1024);
    round_trip(&store, 200_000);
}

#[tokio::test]
async fn retention_sweeps_object_storage_from_inside_a_runtime() {
    // The sweep is async and calls the synchronous store from inside tokio: the store must
    // not try to start its runtime on this thread.
    let dir = tempfile::tempdir().unwrap();
    let store =
        ObjectRecordingStore::new(Arc::new(object_store::memory::InMemory::new()), "").unwrap();
    let index = RecordingIndex::open_sqlite(&dir.path().join("index.sqlite"))
        .await
        .unwrap();
    let day = 86_400_000i64;
    let start = 1_767_225_600_000i64;
    for (i, age_days) in [(1i64, 400i64), (2, 10)] {
        let started_ms = start - age_days * day;
        let row = RecordingRow {
            id: format!("rec-{i}"),
            call_id: i,
            caller: "+6281100000001".to_owned(),
            called: "112".to_owned(),
            agent: Some("1001".to_owned()),
            queue: None,
            service: None,
            started_ms,
            ended_ms: started_ms,
            duration_ms: 0,
            codec: "wav/alaw".to_owned(),
            size_bytes: 0,
            sha256: String::new(),
            path: format!("2026/rec-{i}.wav"),
            complete: false,
        };
        let src = dir.path().join(format!("rec-{i}.wav"));
        std::fs::write(&src, pattern(1000)).unwrap();
        store.put(&row.path, &src).unwrap();
        index.begin(&row).await.unwrap();
        index
            .complete(&row.id, started_ms + 60_000, 60_000, 1000, "")
            .await
            .unwrap();
    }
    let mut audit = AuditLog::open(&dir.path().join("audit.jsonl")).unwrap();
    let deleted = sweep(
        &RetentionPolicy::default(),
        &index,
        &store,
        &mut audit,
        &SweepRun {
            now_ms: start,
            at: "2026-01-01T00:00:00Z",
            actor: "retention",
            batch: 100,
        },
    )
    .await
    .unwrap();
    assert_eq!(deleted, ["rec-1"]);
    assert!(matches!(
        store.len("2026/rec-1.wav"),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.len("2026/rec-2.wav").unwrap(), 1000);
    let left = index
        .search(&Search {
            limit: 10,
            ..Search::default()
        })
        .await
        .unwrap();
    assert_eq!(left.rows.len(), 1);
}

/// moto's S3 server on a free loopback port, stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto() -> Option<Moto> {
    if !common::judge_answers("moto_server", "--help") {
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let moto = Moto { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(moto)
}

/// Creates a bucket with a bare S3 `PUT /bucket` (moto accepts it unsigned).
fn create_bucket(port: u16, bucket: &str) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn s3_api_of_moto_server_stores_plays_and_deletes() {
    let Some(moto) = moto() else { return };
    create_bucket(moto.port, "rekaman");
    let config = S3Config {
        bucket: "rekaman".into(),
        region: "us-east-1".into(),
        endpoint: Some(format!("http://127.0.0.1:{}", moto.port)),
        access_key_id: "sambung".into(),
        secret_access_key: "sambung-secret".into(),
        prefix: "bnpt/recordings".into(),
        allow_http: true,
    };
    // S3's smallest part is 5 MiB: 11 MiB goes up in three parts.
    let store = ObjectRecordingStore::s3(&config)
        .unwrap()
        .with_part_size(5 * 1024 * 1024);
    round_trip(&store, 11 * 1024 * 1024);
    // A bucket that is not there is a clear error, not a panic.
    let missing = ObjectRecordingStore::s3(&S3Config {
        bucket: "tidak-ada".into(),
        ..config
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("x.wav");
    std::fs::write(&src, b"RIFF").unwrap();
    assert!(matches!(
        missing.put("x.wav", &src),
        Err(StoreError::Remote(_))
    ));
    assert!(src.exists(), "a failed upload keeps the local file");
}
