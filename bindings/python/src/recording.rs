//! `sambung.recording`: `Index` and `search` over a data folder's recordings index.

use pyo3::prelude::*;
use sambung_bindings::recording as core;

use crate::{raise, to_python};

/// The recordings index of a data folder.
#[pyclass(module = "sambung.recording", name = "Index")]
struct Index(core::Index);

#[pymethods]
impl Index {
    #[new]
    fn new(data_folder: &str) -> PyResult<Self> {
        core::Index::open(data_folder).map(Self).map_err(raise)
    }

    /// Records that a recording started.
    #[pyo3(signature = (id, call_id, caller, called, started_ms, codec, path, agent=None, queue=None, service=None))]
    #[expect(
        clippy::too_many_arguments,
        reason = "one keyword argument per column, as Python callers expect"
    )]
    fn begin(
        &self,
        id: String,
        call_id: i64,
        caller: String,
        called: String,
        started_ms: i64,
        codec: String,
        path: String,
        agent: Option<String>,
        queue: Option<String>,
        service: Option<String>,
    ) -> PyResult<()> {
        let row = core::NewRecording {
            id,
            call_id,
            caller,
            called,
            agent,
            queue,
            service,
            started_ms,
            codec,
            path,
        };
        self.0.begin(&row).map_err(raise)
    }

    /// Records that a recording finished; False if there is no such recording.
    fn complete(
        &self,
        id: &str,
        ended_ms: i64,
        duration_ms: i64,
        size_bytes: i64,
        sha256: &str,
    ) -> PyResult<bool> {
        self.0
            .complete(id, ended_ms, duration_ms, size_bytes, sha256)
            .map_err(raise)
    }

    /// One page of matching recordings, newest first: {"total": int, "rows": [dict, ...]}.
    #[pyo3(signature = (*, number=None, number_prefix=None, agent=None, service=None, from_ms=None, to_ms=None, limit=None, offset=None))]
    #[expect(clippy::too_many_arguments, reason = "one keyword argument per filter")]
    fn search<'py>(
        &self,
        py: Python<'py>,
        number: Option<String>,
        number_prefix: Option<String>,
        agent: Option<String>,
        service: Option<String>,
        from_ms: Option<i64>,
        to_ms: Option<i64>,
        limit: Option<u32>,
        offset: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let q = core::Query {
            number,
            number_prefix,
            agent,
            service,
            from_ms,
            to_ms,
            limit,
            offset,
        };
        let page = self.0.search(&q).map_err(raise)?;
        to_python(py, &page)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Index>()?;
    Ok(())
}
