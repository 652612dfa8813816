//! `recording`: `Index` over a data folder's recordings index.

use napi::Env;
use napi_derive::napi;
use sambung_bindings::recording as core;
use serde_json::Value;

use crate::raise;

/// A recording that started.
#[napi(object, namespace = "recording")]
pub struct NewRecording {
    /// Its id (the file name's stem).
    pub id: String,
    /// The call.
    pub call_id: i64,
    /// Caller, E.164.
    pub caller: String,
    /// Called number.
    pub called: String,
    /// Start, Unix milliseconds.
    pub started_ms: i64,
    /// Codec and container (`wav/alaw`).
    pub codec: String,
    /// Path relative to the recordings folder.
    pub path: String,
    /// Agent.
    pub agent: Option<String>,
    /// Queue.
    pub queue: Option<String>,
    /// Service type.
    pub service: Option<String>,
}

/// A search; every field set narrows it.
#[napi(object, namespace = "recording")]
pub struct Query {
    /// Caller or called number, exactly.
    pub number: Option<String>,
    /// Caller or called number starting with this.
    pub number_prefix: Option<String>,
    /// Agent.
    pub agent: Option<String>,
    /// Service type.
    pub service: Option<String>,
    /// Started at or after, Unix ms.
    pub from_ms: Option<i64>,
    /// Started before, Unix ms.
    pub to_ms: Option<i64>,
    /// Rows per page (50).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

/// The recordings index of a data folder.
#[napi(namespace = "recording")]
pub struct Index(core::Index);

#[napi(namespace = "recording")]
impl Index {
    /// Opens the index of `dataFolder`, creating it if needed.
    #[napi(constructor)]
    pub fn new(env: Env, data_folder: String) -> napi::Result<Self> {
        core::Index::open(&data_folder)
            .map(Self)
            .map_err(|e| raise(&env, &e))
    }

    /// Records that a recording started.
    #[napi]
    pub fn begin(&self, env: Env, recording: NewRecording) -> napi::Result<()> {
        let row = core::NewRecording {
            id: recording.id,
            call_id: recording.call_id,
            caller: recording.caller,
            called: recording.called,
            agent: recording.agent,
            queue: recording.queue,
            service: recording.service,
            started_ms: recording.started_ms,
            codec: recording.codec,
            path: recording.path,
        };
        self.0.begin(&row).map_err(|e| raise(&env, &e))
    }

    /// Records that a recording finished; false if there is no such recording.
    #[napi]
    pub fn complete(
        &self,
        env: Env,
        id: String,
        ended_ms: i64,
        duration_ms: i64,
        size_bytes: i64,
        sha256: String,
    ) -> napi::Result<bool> {
        self.0
            .complete(&id, ended_ms, duration_ms, size_bytes, &sha256)
            .map_err(|e| raise(&env, &e))
    }

    /// One page of matching recordings, newest first: `{total, rows}`.
    #[napi]
    pub fn search(&self, env: Env, query: Option<Query>) -> napi::Result<Value> {
        let q = query.map_or_else(core::Query::default, |q| core::Query {
            number: q.number,
            number_prefix: q.number_prefix,
            agent: q.agent,
            service: q.service,
            from_ms: q.from_ms,
            to_ms: q.to_ms,
            limit: q.limit,
            offset: q.offset.and_then(|o| u64::try_from(o).ok()),
        });
        self.0.search(&q).map_err(|e| raise(&env, &e))
    }
}
