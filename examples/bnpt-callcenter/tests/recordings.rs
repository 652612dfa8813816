//! `bnpt-callcenter recordings backup|verify|restore`, and the same as `backup run|verify|restore`,
//! as an operator runs them.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_bnpt-callcenter");

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn backup_verify_and_restore_the_recordings_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bnpt-data");
    let recordings = data.join("recordings");
    for (i, key) in [
        "2026/12/01/rec-1.wav",
        "2026/12/01/rec-2.wav",
        "2026/12/02/rec-3.wav",
    ]
    .iter()
    .enumerate()
    {
        let path = recordings.join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, vec![b'0' + u8::try_from(i).unwrap(); 5000 * (i + 1)]).unwrap();
    }
    // A file left half-written by a crash is not backed up.
    std::fs::write(recordings.join("2026/12/02/rec-4.partial"), b"x").unwrap();

    let out = dir.path().join("backups");
    let made = json(&run(
        &data,
        &[
            "recordings",
            "backup",
            "--out",
            out.to_str().unwrap(),
            "--name",
            "week-49",
            "--json",
        ],
    ));
    assert_eq!(made["files"], 3);
    assert_eq!(made["bytes"], 30_000);
    let manifest = out.join("week-49.manifest.json");
    assert!(out.join("week-49.tar").is_file());

    let checked = json(&run(
        &data,
        &["recordings", "verify", manifest.to_str().unwrap(), "--json"],
    ));
    assert_eq!(checked["ok"], true);
    assert_eq!(checked["files"], 3);

    // Into a fresh data folder: the same files come back.
    let fresh = dir.path().join("fresh");
    let restored = json(&run(
        &fresh,
        &[
            "recordings",
            "restore",
            manifest.to_str().unwrap(),
            "--json",
        ],
    ));
    assert_eq!(restored["restored"], 3);
    assert_eq!(
        std::fs::read(fresh.join("recordings/2026/12/02/rec-3.wav")).unwrap(),
        std::fs::read(recordings.join("2026/12/02/rec-3.wav")).unwrap()
    );

    // A damaged archive fails verification with a message and a non-zero exit.
    let archive = out.join("week-49.tar");
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes[700] ^= 0xff;
    std::fs::write(&archive, bytes).unwrap();
    let bad = run(&data, &["recordings", "verify", manifest.to_str().unwrap()]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("does not match its manifest"), "{stderr}");
    // A file that is not a manifest is named.
    let wrong = run(&data, &["recordings", "verify", archive.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&wrong.stderr).contains(".manifest.json"));
}

#[test]
fn backup_run_verify_and_restore_at_the_top_level() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bnpt-data");
    let path = data.join("recordings/2026/12/01/rec-1.wav");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, vec![7u8; 4000]).unwrap();
    let out = dir.path().join("backups");
    let made = json(&run(
        &data,
        &[
            "backup",
            "run",
            "--out",
            out.to_str().unwrap(),
            "--name",
            "w1",
            "--json",
        ],
    ));
    assert_eq!(made["files"], 1);
    let manifest = out.join("w1.manifest.json");
    let checked = json(&run(
        &data,
        &["backup", "verify", manifest.to_str().unwrap(), "--json"],
    ));
    assert_eq!(checked["ok"], true);
    let fresh = dir.path().join("fresh");
    let restored = json(&run(
        &fresh,
        &["backup", "restore", manifest.to_str().unwrap(), "--json"],
    ));
    assert_eq!(restored["restored"], 1);
    assert_eq!(
        std::fs::read(fresh.join("recordings/2026/12/01/rec-1.wav")).unwrap(),
        vec![7u8; 4000]
    );
}
