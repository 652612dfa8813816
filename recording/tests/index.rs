//! The recordings index on SQLite: begin and complete, incomplete rows after a crash, and
//! search by each field with pagination.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use sambung_recording::index::{IndexError, NumberMatch, RecordingIndex, RecordingRow, Search};

const DAY_MS: i64 = 86_400_000;
/// 1 December 2026, 00:00 UTC.
const START_MS: i64 = 1_796_083_200_000;

fn recording(i: i64) -> RecordingRow {
    let agents = ["1001", "1002", "1003"];
    let services = ["pengaduan", "informasi"];
    RecordingRow {
        id: format!("rec-{i:04}"),
        call_id: i,
        // Half the callers are Jakarta fixed lines, half Telkomsel mobiles.
        caller: if i % 2 == 0 {
            format!("+62215550{i:03}")
        } else {
            format!("+62811000{i:03}")
        },
        called: "112".to_owned(),
        agent: Some(agents[usize::try_from(i % 3).unwrap()].to_owned()),
        queue: Some("pengaduan".to_owned()),
        service: Some(services[usize::try_from(i % 2).unwrap()].to_owned()),
        started_ms: START_MS + i * DAY_MS / 10,
        ended_ms: 0,
        duration_ms: 0,
        codec: "wav/alaw".to_owned(),
        size_bytes: 0,
        sha256: String::new(),
        path: format!("2026/12/rec-{i:04}.wav"),
        complete: false,
    }
}

async fn filled() -> (tempfile::TempDir, RecordingIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = RecordingIndex::open_sqlite(&dir.path().join("index.sqlite"))
        .await
        .unwrap();
    for i in 0..100 {
        let r = recording(i);
        index.begin(&r).await.unwrap();
        if i != 42 {
            let done = index
                .complete(
                    &r.id,
                    r.started_ms + 60_000,
                    60_000,
                    960_058,
                    &"ab".repeat(32),
                )
                .await
                .unwrap();
            assert!(done);
        }
    }
    (dir, index)
}

#[tokio::test]
async fn begun_rows_are_completed_and_a_crash_leaves_an_incomplete_one() {
    let (dir, index) = filled().await;
    assert!(
        dir.path().join("index.sqlite-wal").exists(),
        "SQLite runs in WAL mode"
    );
    let r = index.get("rec-0007").await.unwrap().unwrap();
    assert!(r.complete);
    assert_eq!((r.duration_ms, r.size_bytes), (60_000, 960_058));
    assert_eq!(r.agent.as_deref(), Some("1002"));
    let open = index.incomplete().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, "rec-0042");
    assert!(!index.complete("rec-9999", 0, 0, 0, "").await.unwrap());
    // The same id twice is refused, and the index survives being reopened.
    assert!(index.begin(&recording(1)).await.is_err());
    drop(index);
    let again = RecordingIndex::open_sqlite(&dir.path().join("index.sqlite"))
        .await
        .unwrap();
    assert_eq!(again.search(&Search::default()).await.unwrap().total, 100);
}

#[tokio::test]
async fn search_by_each_field_with_pages() {
    let (_dir, index) = filled().await;
    let all = index.search(&Search::default()).await.unwrap();
    assert_eq!((all.total, all.rows.len()), (100, 50));
    assert_eq!(all.rows[0].id, "rec-0099", "newest first");

    let exact = Search {
        number: Some(NumberMatch::Exact("+62811000007".to_owned())),
        ..Search::default()
    };
    let page = index.search(&exact).await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.rows[0].id, "rec-0007");

    let prefix = Search {
        number: Some(NumberMatch::Prefix("+6221".to_owned())),
        ..Search::default()
    };
    let page = index.search(&prefix).await.unwrap();
    assert_eq!(page.total, 50);
    assert!(page.rows.iter().all(|r| r.caller.starts_with("+6221")));
    // The called number matches too.
    let called = Search {
        number: Some(NumberMatch::Exact("112".to_owned())),
        ..Search::default()
    };
    assert_eq!(index.search(&called).await.unwrap().total, 100);

    // Day 2 (rows 10–19), agent 1001 (i % 3 == 0): 12, 15, 18.
    let narrow = Search {
        from_ms: Some(START_MS + DAY_MS),
        to_ms: Some(START_MS + 2 * DAY_MS),
        agent: Some("1001".to_owned()),
        ..Search::default()
    };
    let ids: Vec<String> = index
        .search(&narrow)
        .await
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["rec-0018", "rec-0015", "rec-0012"]);

    let service = Search {
        service: Some("informasi".to_owned()),
        number: Some(NumberMatch::Prefix("+62811".to_owned())),
        ..Search::default()
    };
    assert_eq!(index.search(&service).await.unwrap().total, 50);

    // Pages cover every row once.
    let mut seen = Vec::new();
    for page in 0..7 {
        let s = Search {
            limit: 15,
            offset: page * 15,
            ..Search::default()
        };
        seen.extend(
            index
                .search(&s)
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|r| r.id),
        );
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 100);
}

#[tokio::test]
async fn bad_searches_are_refused_and_wildcards_are_literal() {
    let (_dir, index) = filled().await;
    for limit in [0, 1001] {
        let s = Search {
            limit,
            ..Search::default()
        };
        assert!(matches!(
            index.search(&s).await,
            Err(IndexError::BadPage(_))
        ));
    }
    for bad in ["", "%", "+62'; DROP TABLE recordings; --", "_"] {
        let s = Search {
            number: Some(NumberMatch::Prefix(bad.to_owned())),
            ..Search::default()
        };
        assert!(
            matches!(index.search(&s).await, Err(IndexError::BadNumber(_))),
            "{bad:?}"
        );
    }
    // An agent name with SQL in it is just a value that matches nothing.
    let s = Search {
        agent: Some("1001' OR '1'='1".to_owned()),
        ..Search::default()
    };
    assert_eq!(index.search(&s).await.unwrap().total, 0);
}
