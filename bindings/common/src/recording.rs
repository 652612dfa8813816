//! Recordings: the index of a data folder, searched by number, date, agent and service type.

use std::path::Path;

use sambung_recording::index::{NumberMatch, RecordingIndex, RecordingRow, Search};
use serde_json::{Value, json};

use crate::Error;

/// The recordings index of a data folder (`recordings.sqlite` in it), with the small runtime
/// its database driver needs; calls block until done.
#[derive(Debug)]
pub struct Index {
    runtime: tokio::runtime::Runtime,
    index: RecordingIndex,
}

/// A search; every field set narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Caller or called number, exactly.
    pub number: Option<String>,
    /// Caller or called number starting with this.
    pub number_prefix: Option<String>,
    /// Agent.
    pub agent: Option<String>,
    /// Service type.
    pub service: Option<String>,
    /// Started at or after (Unix milliseconds).
    pub from_ms: Option<i64>,
    /// Started before (Unix milliseconds).
    pub to_ms: Option<i64>,
    /// Rows per page (default 50, at most 1000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

/// A recording to add to the index (started, not yet complete).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRecording {
    /// Its id (the file name's stem).
    pub id: String,
    /// The call.
    pub call_id: i64,
    /// Caller, E.164.
    pub caller: String,
    /// Called number.
    pub called: String,
    /// Agent.
    pub agent: Option<String>,
    /// Queue.
    pub queue: Option<String>,
    /// Service type.
    pub service: Option<String>,
    /// Start, Unix milliseconds.
    pub started_ms: i64,
    /// Codec and container (`wav/pcm16`, `wav/alaw`).
    pub codec: String,
    /// Path relative to the recordings folder.
    pub path: String,
}

fn row_json(r: &RecordingRow) -> Value {
    json!({
        "id": r.id,
        "call_id": r.call_id,
        "caller": r.caller,
        "called": r.called,
        "agent": r.agent,
        "queue": r.queue,
        "service": r.service,
        "started_ms": r.started_ms,
        "ended_ms": r.ended_ms,
        "duration_ms": r.duration_ms,
        "codec": r.codec,
        "size_bytes": r.size_bytes,
        "sha256": r.sha256,
        "path": r.path,
        "complete": r.complete,
    })
}

impl Index {
    /// Opens the index of `data_folder`, creating it if needed.
    pub fn open(data_folder: &str) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::core(&e))?;
        let folder = Path::new(data_folder);
        if !folder.is_dir() {
            return Err(Error::invalid(format!("{data_folder:?} is not a folder")));
        }
        let index = runtime
            .block_on(RecordingIndex::open_data_folder(folder))
            .map_err(|e| Error::core(&e))?;
        Ok(Self { runtime, index })
    }

    /// Records that a recording started.
    pub fn begin(&self, r: &NewRecording) -> Result<(), Error> {
        let row = RecordingRow {
            id: r.id.clone(),
            call_id: r.call_id,
            caller: r.caller.clone(),
            called: r.called.clone(),
            agent: r.agent.clone(),
            queue: r.queue.clone(),
            service: r.service.clone(),
            started_ms: r.started_ms,
            ended_ms: r.started_ms,
            duration_ms: 0,
            codec: r.codec.clone(),
            size_bytes: 0,
            sha256: String::new(),
            path: r.path.clone(),
            complete: false,
        };
        self.runtime
            .block_on(self.index.begin(&row))
            .map_err(|e| Error::core(&e))
    }

    /// Records that a recording finished; false if no such recording.
    pub fn complete(
        &self,
        id: &str,
        ended_ms: i64,
        duration_ms: i64,
        size_bytes: i64,
        sha256: &str,
    ) -> Result<bool, Error> {
        self.runtime
            .block_on(
                self.index
                    .complete(id, ended_ms, duration_ms, size_bytes, sha256),
            )
            .map_err(|e| Error::core(&e))
    }

    /// One page of matching recordings, newest first: `{"total": n, "rows": [{id, call_id,
    /// caller, called, agent, queue, service, started_ms, ended_ms, duration_ms, codec,
    /// size_bytes, sha256, path, complete}, …]}`.
    pub fn search(&self, q: &Query) -> Result<Value, Error> {
        let number = match (&q.number, &q.number_prefix) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid("give number or number_prefix, not both"));
            }
            (Some(n), None) => Some(NumberMatch::Exact(n.clone())),
            (None, Some(p)) => Some(NumberMatch::Prefix(p.clone())),
            (None, None) => None,
        };
        let search = Search {
            number,
            from_ms: q.from_ms,
            to_ms: q.to_ms,
            agent: q.agent.clone(),
            service: q.service.clone(),
            limit: q.limit.unwrap_or(Search::default().limit),
            offset: q.offset.unwrap_or(0),
        };
        let page = self
            .runtime
            .block_on(self.index.search(&search))
            .map_err(|e| Error::invalid(Error::core(&e).message()))?;
        Ok(json!({
            "total": page.total,
            "rows": page.rows.iter().map(row_json).collect::<Vec<_>>(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_added_are_found_by_number_prefix_and_agent() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(dir.path().to_str().unwrap()).unwrap();
        for (i, caller) in ["+62215550001", "+62315550002"].iter().enumerate() {
            index
                .begin(&NewRecording {
                    id: format!("r{i}"),
                    call_id: i as i64,
                    caller: (*caller).to_owned(),
                    called: "110".to_owned(),
                    agent: Some(format!("100{i}")),
                    started_ms: 1_795_000_000_000 + i as i64,
                    codec: "wav/alaw".to_owned(),
                    path: format!("r{i}.wav"),
                    ..NewRecording::default()
                })
                .unwrap();
        }
        assert!(
            index
                .complete("r0", 1_795_000_060_000, 60_000, 480_044, "ab")
                .unwrap()
        );
        let found = index
            .search(&Query {
                number_prefix: Some("+6221".into()),
                ..Query::default()
            })
            .unwrap();
        assert_eq!(found["total"], 1);
        assert_eq!(found["rows"][0]["complete"], true);
        let by_agent = index
            .search(&Query {
                agent: Some("1001".into()),
                ..Query::default()
            })
            .unwrap();
        assert_eq!(by_agent["rows"][0]["id"], "r1");
        assert!(
            index
                .search(&Query {
                    limit: Some(0),
                    ..Query::default()
                })
                .is_err()
        );
        assert!(Index::open("/nonexistent/folder").is_err());
    }
}
