//! sip-lint as a user runs it: JSON fields, the readable report, exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_sip-lint");

fn torture(path: &str) -> String {
    format!(
        "{}/../../sip/tests/torture/{path}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn json_fields_of_a_valid_request() {
    let out = Command::new(BIN)
        .args(["--json", &torture("rfc4475/valid/wsinv.dat")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["kind"], "request");
    assert_eq!(v["method"], "INVITE");
    assert_eq!(
        v["request_uri"],
        "sip:vivekg@chair-dnrc.example.com;unknownparam"
    );
    assert_eq!(v["call_id"], "wsinv.ndaksdj@192.0.2.1");
    assert_eq!(v["cseq"]["seq"], 9);
    assert_eq!(v["cseq"]["method"], "INVITE");
    assert_eq!(v["from"]["tag"], "98asjd8");
    assert_eq!(v["from"]["uri"], "sip:jdrosen@example.com");
    assert_eq!(v["to"]["tag"], "1918181833n");
    assert_eq!(v["via"].as_array().unwrap().len(), 3);
    assert_eq!(v["via"][1]["transport"], "TCP");
    assert_eq!(v["via"][1]["host"], "spindle.example.com");
    assert_eq!(v["via"][1]["branch"], "z9hG4bK9ikj8");
    assert_eq!(v["max_forwards"], 68);
    assert_eq!(v["contacts"][0]["q"], 0.33);
    assert_eq!(v["content_length"], 150);
    assert_eq!(v["body_len"], 150);
    assert!(
        v.get("status").is_none() && v.get("error").is_none(),
        "fields that do not apply are left out"
    );
}

#[test]
fn json_of_a_response_and_of_errors() {
    let out = Command::new(BIN)
        .args([
            "--json",
            &torture("rfc4475/valid/unreason.dat"),
            &torture("rfc4475/invalid/badvers.dat"),
            &torture("rfc4475/invalid/bigcode.dat"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a rejected file makes the exit status 1"
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["kind"], "response");
    assert_eq!(lines[0]["status"], 200);
    assert!(lines[0]["reason"].as_str().unwrap().contains("простое"));
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(lines[1]["error"]["response_code"], 505);
    assert!(lines[1]["error"]["offset"].as_u64().unwrap() > 0);
    assert!(lines[1]["file"].as_str().unwrap().ends_with("badvers.dat"));
    assert!(
        lines[2]["error"].get("response_code").is_none(),
        "a bad response is dropped"
    );
}

#[test]
fn readable_report_points_at_the_problem() {
    let out = Command::new(BIN)
        .arg(torture("rfc4475/invalid/badaspec.dat"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("rejected (answer 400)"), "{text}");
    assert!(text.contains("To:"), "{text}");
    assert!(text.contains('^'), "{text}");
}

#[test]
fn stdin_and_io_errors() {
    let mut child = Command::new(BIN)
        .args(["--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let msg = std::fs::read(torture("rfc4475/valid/noreason.dat")).unwrap();
    child.stdin.take().unwrap().write_all(&msg).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["file"], "-");
    assert_eq!(v["status"], 100);

    let missing = Command::new(BIN)
        .arg("/nonexistent/file.sip")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let usage = Command::new(BIN).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}
