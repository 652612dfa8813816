//! Recordings: `Index` over a data folder's recordings index.

use std::sync::Arc;

use sambung_bindings::recording as core;

use crate::{SambungError, json};

/// A recording that started.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewRecording {
    /// Its id.
    pub id: String,
    /// The call.
    pub call_id: i64,
    /// Caller, E.164.
    pub caller: String,
    /// Called number.
    pub called: String,
    /// Start, Unix ms.
    pub started_ms: i64,
    /// Codec and container.
    pub codec: String,
    /// Path relative to the recordings folder.
    pub path: String,
    /// Agent.
    #[uniffi(default = None)]
    pub agent: Option<String>,
    /// Queue.
    #[uniffi(default = None)]
    pub queue: Option<String>,
    /// Service type.
    #[uniffi(default = None)]
    pub service: Option<String>,
}

/// A search; every field set narrows it.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct Query {
    /// Number, exactly.
    #[uniffi(default = None)]
    pub number: Option<String>,
    /// Number prefix.
    #[uniffi(default = None)]
    pub number_prefix: Option<String>,
    /// Agent.
    #[uniffi(default = None)]
    pub agent: Option<String>,
    /// Service type.
    #[uniffi(default = None)]
    pub service: Option<String>,
    /// From, Unix ms.
    #[uniffi(default = None)]
    pub from_ms: Option<i64>,
    /// To, Unix ms.
    #[uniffi(default = None)]
    pub to_ms: Option<i64>,
    /// Rows per page.
    #[uniffi(default = None)]
    pub limit: Option<u32>,
    /// Rows to skip.
    #[uniffi(default = None)]
    pub offset: Option<u64>,
}

/// The recordings index of a data folder.
#[derive(Debug, uniffi::Object)]
pub struct Index(core::Index);

#[uniffi::export]
impl Index {
    /// Opens the index of `data_folder`, creating it if needed.
    #[uniffi::constructor]
    pub fn new(data_folder: String) -> Result<Arc<Self>, SambungError> {
        Ok(Arc::new(Self(core::Index::open(&data_folder)?)))
    }

    /// Records that a recording started.
    pub fn begin(&self, recording: NewRecording) -> Result<(), SambungError> {
        let r = core::NewRecording {
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
        Ok(self.0.begin(&r)?)
    }

    /// Records that a recording finished; false if there is no such recording.
    pub fn complete(
        &self,
        id: String,
        ended_ms: i64,
        duration_ms: i64,
        size_bytes: i64,
        sha256: String,
    ) -> Result<bool, SambungError> {
        Ok(self
            .0
            .complete(&id, ended_ms, duration_ms, size_bytes, &sha256)?)
    }

    /// One page of matching recordings as JSON text `{total, rows}`.
    pub fn search_json(&self, query: Query) -> Result<String, SambungError> {
        let q = core::Query {
            number: query.number,
            number_prefix: query.number_prefix,
            agent: query.agent,
            service: query.service,
            from_ms: query.from_ms,
            to_ms: query.to_ms,
            limit: query.limit,
            offset: query.offset,
        };
        Ok(json(&self.0.search(&q)?))
    }
}
