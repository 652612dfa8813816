//! Backups: made, verified, restored; a changed byte or a changed manifest is caught.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use sambung_recording::backup::{BackupError, backup, read_manifest, restore, verify};
use sambung_recording::store::{LocalStore, RecordingStore};

fn stored(dir: &std::path::Path) -> (LocalStore, Vec<String>) {
    let store = LocalStore::new(&dir.join("recordings")).unwrap();
    let mut keys = Vec::new();
    for i in 0..20u32 {
        let key = format!("2026/12/{:02}/rec-{i:04}.wav", i % 7 + 1);
        let src = dir.join("tmp");
        let body: Vec<u8> = (0..(1000 + i * 977))
            .map(|b| (b * 31 + i).to_le_bytes()[0])
            .collect();
        std::fs::write(&src, body).unwrap();
        store.put(&key, &src).unwrap();
        keys.push(key);
    }
    (store, keys)
}

#[test]
fn a_week_of_recordings_backs_up_verifies_and_restores() {
    let dir = tempfile::tempdir().unwrap();
    let (store, keys) = stored(dir.path());
    let mut last = (0, 0);
    let (manifest, files) = backup(
        &store,
        &keys,
        &dir.path().join("backups"),
        "week-49",
        "2026-12-06T17:00:00Z",
        |done, total| last = (done, total),
    )
    .unwrap();
    assert_eq!(manifest.files.len(), 20);
    assert_eq!(last.0, last.1, "progress reaches the total");
    assert_eq!(read_manifest(&files.manifest).unwrap(), manifest);
    let bytes = verify(&files).unwrap();
    assert_eq!(bytes, last.1);

    let elsewhere = LocalStore::new(&dir.path().join("restored")).unwrap();
    assert_eq!(restore(&files, &elsewhere).unwrap(), 20);
    for key in &keys {
        let len = store.len(key).unwrap();
        assert_eq!(
            elsewhere.read_range(key, 0..len).unwrap(),
            store.read_range(key, 0..len).unwrap()
        );
    }
}

#[test]
fn a_changed_archive_or_manifest_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (store, keys) = stored(dir.path());
    let (_, files) = backup(&store, &keys, &dir.path().join("b"), "w", "t", |_, _| {}).unwrap();
    let original = std::fs::read(&files.archive).unwrap();

    // One byte of one recording changed inside the archive.
    let mut changed = original.clone();
    changed[5000] ^= 0x01;
    std::fs::write(&files.archive, &changed).unwrap();
    assert!(matches!(verify(&files), Err(BackupError::Mismatch(_))));
    let elsewhere = LocalStore::new(&dir.path().join("r")).unwrap();
    assert!(
        restore(&files, &elsewhere).is_err(),
        "a bad backup is not restored"
    );

    // The manifest edited to match the changed archive's hash: the file's own sum still differs.
    let mut m = read_manifest(&files.manifest).unwrap();
    m.archive_sha256 = sambung_recording::store::sha256_file(&files.archive).unwrap();
    std::fs::write(&files.manifest, serde_json::to_vec(&m).unwrap()).unwrap();
    assert!(matches!(verify(&files), Err(BackupError::Mismatch(_))));

    // A file dropped from the manifest.
    std::fs::write(&files.archive, &original).unwrap();
    let mut m = read_manifest(&files.manifest).unwrap();
    m.archive_sha256 = sambung_recording::store::sha256_file(&files.archive).unwrap();
    m.files.pop();
    std::fs::write(&files.manifest, serde_json::to_vec(&m).unwrap()).unwrap();
    assert!(matches!(verify(&files), Err(BackupError::Mismatch(_))));

    // Not a manifest at all.
    std::fs::write(&files.manifest, b"{").unwrap();
    assert!(matches!(verify(&files), Err(BackupError::Manifest { .. })));
}
