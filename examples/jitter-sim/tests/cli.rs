//! jitter-sim as a user runs it.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_jitter-sim");

#[test]
fn prints_one_json_object_with_the_named_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.csv");
    let mut text = String::from("arrival_ms,seq,timestamp,payload_bytes\n");
    // Sequence and timestamp wrap inside the trace; every 7th packet is 35 ms late.
    for i in 0..200u32 {
        let seq = 65_500u32.wrapping_add(i) % 65_536;
        let ts = (u32::MAX - 8000).wrapping_add(i * 160);
        let arrival = f64::from(i) * 20.0 + if i % 7 == 0 { 35.0 } else { 0.0 };
        text.push_str(&format!("{arrival},{seq},{ts},160\n"));
    }
    // The rows must be in arrival order.
    let mut rows: Vec<&str> = text.lines().skip(1).collect();
    rows.sort_by(|a, b| {
        let key = |r: &str| r.split(',').next().unwrap().parse::<f64>().unwrap();
        key(a).total_cmp(&key(b))
    });
    let sorted = format!(
        "arrival_ms,seq,timestamp,payload_bytes\n{}\n",
        rows.join("\n")
    );
    std::fs::write(&path, sorted).unwrap();
    let out = Command::new(BIN).arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "frames_played",
        "frames_concealed",
        "late_lost",
        "duplicates",
        "mean_delay_ms",
        "p95_delay_ms",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    let played = v["frames_played"].as_u64().unwrap();
    let late = v["late_lost"].as_u64().unwrap();
    assert_eq!(played + late, 200, "{v}");
    assert!(played >= 190, "{v}");
    assert!(v["p95_delay_ms"].as_f64().unwrap() >= v["mean_delay_ms"].as_f64().unwrap());
}

#[test]
fn a_bad_trace_exits_2_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "arrival_ms,seq,timestamp,payload_bytes\n0,1,2\n").unwrap();
    let out = Command::new(BIN).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"));
}
