//! Access through the application's authoriser: every attempt, allowed or refused, is in the
//! hash-chained log before anything is returned.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use sambung_recording::access::{Access, AccessError, Authoriser, GuardedRecordings};
use sambung_recording::audit::{AuditLog, verify};
use sambung_recording::index::{NumberMatch, RecordingIndex, RecordingRow, Search};

/// Supervisors may do anything; agents may play only their own calls, never download.
struct Rules;

impl Authoriser for Rules {
    type Principal = (&'static str, &'static str); // (login, role)

    fn actor(&self, who: &Self::Principal) -> String {
        who.0.to_owned()
    }

    fn allows(&self, who: &Self::Principal, access: &Access<'_>) -> bool {
        match (who.1, access) {
            ("supervisor", _) => true,
            ("agent", Access::Play(row)) => row.agent.as_deref() == Some(who.0),
            _ => false,
        }
    }
}

fn row(id: &str, agent: &str) -> RecordingRow {
    RecordingRow {
        id: id.to_owned(),
        call_id: 1,
        caller: "+6281100000001".to_owned(),
        called: "112".to_owned(),
        agent: Some(agent.to_owned()),
        queue: None,
        service: Some("pengaduan".to_owned()),
        started_ms: 1_767_225_600_000,
        ended_ms: 1_767_225_660_000,
        duration_ms: 60_000,
        codec: "wav/pcm16-stereo".to_owned(),
        size_bytes: 4,
        sha256: String::new(),
        path: format!("{id}.wav"),
        complete: true,
    }
}

const AT: &str = "2026-11-29T08:00:00+07:00";

#[tokio::test]
async fn each_attempt_is_decided_by_the_application_and_audited_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let index = RecordingIndex::open_sqlite(&dir.path().join("index.sqlite"))
        .await
        .unwrap();
    index.begin(&row("rec-1", "1001")).await.unwrap();
    index.begin(&row("rec-2", "1002")).await.unwrap();
    let log = dir.path().join("audit.jsonl");
    let guarded = GuardedRecordings::new(index, Rules, AuditLog::open(&log).unwrap());
    let sari = ("sari", "supervisor");
    let budi = ("1001", "agent");

    let search = Search {
        number: Some(NumberMatch::Prefix("+62811".to_owned())),
        agent: Some("1001".to_owned()),
        limit: 10,
        ..Search::default()
    };
    let page = guarded.search(&sari, AT, &search).await.unwrap();
    assert_eq!(page.total, 1);
    assert!(matches!(
        guarded.search(&budi, AT, &search).await,
        Err(AccessError::Denied {
            action: "recording.search",
            ..
        })
    ));
    assert_eq!(
        guarded.open(&budi, AT, "rec-1", false).await.unwrap().id,
        "rec-1"
    );
    assert!(matches!(
        guarded.open(&budi, AT, "rec-2", false).await,
        Err(AccessError::Denied { .. })
    ));
    assert!(matches!(
        guarded.open(&budi, AT, "rec-1", true).await,
        Err(AccessError::Denied {
            action: "recording.download",
            ..
        })
    ));
    assert!(guarded.open(&sari, AT, "rec-2", true).await.is_ok());
    assert!(matches!(
        guarded.open(&sari, AT, "rec-9", false).await,
        Err(AccessError::NotFound(_))
    ));
    assert_eq!(guarded.audited(), 6, "a missing recording is not an access");

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["target"].as_str().unwrap(),
            )
        })
        .collect();
    let terms = "number=+62811*;agent=1001;limit=10;offset=0";
    assert_eq!(
        got,
        [
            ("sari", "recording.search", terms),
            ("1001", "recording.search.denied", terms),
            ("1001", "recording.play", "rec-1"),
            ("1001", "recording.play.denied", "rec-2"),
            ("1001", "recording.download.denied", "rec-1"),
            ("sari", "recording.download", "rec-2"),
        ]
    );
    assert_eq!(verify(&log).unwrap().entries, 6);
}

#[tokio::test]
async fn nothing_is_returned_when_the_audit_log_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let index = RecordingIndex::open_sqlite(&dir.path().join("index.sqlite"))
        .await
        .unwrap();
    index.begin(&row("rec-1", "1001")).await.unwrap();
    let log = dir.path().join("audit.jsonl");
    let audit = AuditLog::open(&log).unwrap();
    let guarded = GuardedRecordings::new(index, Rules, audit);
    // An entry too long to write (a search with a huge agent term) fails the whole request.
    let search = Search {
        agent: Some("9".repeat(1 << 20)),
        ..Search::default()
    };
    assert!(matches!(
        guarded.search(&("sari", "supervisor"), AT, &search).await,
        Err(AccessError::Audit(_))
    ));
    assert_eq!(guarded.audited(), 0);
}
