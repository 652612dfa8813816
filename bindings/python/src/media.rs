//! `sambung.media`: `G711`, `Opus`, `JitterBuffer`.

use std::sync::{Mutex, MutexGuard};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use sambung_bindings::media as core;

use crate::{raise, to_python};

/// G.711: `G711("ulaw")` or `G711("alaw")`, on 16-bit little-endian PCM bytes at 8 kHz.
#[pyclass(module = "sambung.media", name = "G711")]
struct G711(core::G711);

#[pymethods]
impl G711 {
    #[new]
    fn new(law: &str) -> PyResult<Self> {
        core::G711::new(law).map(Self).map_err(raise)
    }

    /// `"PCMU"` or `"PCMA"`.
    #[getter]
    fn name(&self) -> &'static str {
        self.0.name()
    }

    /// PCM (16-bit little-endian) to G.711, one byte per sample.
    fn encode<'py>(&mut self, py: Python<'py>, pcm16le: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.0.encode(pcm16le).map_err(raise)?;
        Ok(PyBytes::new(py, &out))
    }

    /// G.711 to PCM (16-bit little-endian).
    fn decode<'py>(&mut self, py: Python<'py>, payload: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.0.decode(payload).map_err(raise)?;
        Ok(PyBytes::new(py, &out))
    }
}

/// Opus, mono, 20 ms frames, in-band FEC: `Opus(48000)`.
// libopus's state is not `Sync`; the mutex makes the class shareable between Python threads.
#[pyclass(module = "sambung.media", name = "Opus")]
struct Opus(Mutex<core::Opus>);

impl Opus {
    fn codec(&self) -> PyResult<MutexGuard<'_, core::Opus>> {
        self.0
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the Opus codec panicked earlier and is unusable"))
    }
}

#[pymethods]
impl Opus {
    #[new]
    #[pyo3(signature = (sample_rate=48000))]
    fn new(sample_rate: u32) -> PyResult<Self> {
        core::Opus::new(sample_rate)
            .map(|o| Self(Mutex::new(o)))
            .map_err(raise)
    }

    /// Samples in one 20 ms frame.
    #[getter]
    fn frame_samples(&self) -> PyResult<usize> {
        Ok(self.codec()?.frame_samples())
    }

    /// Whole 20 ms frames of PCM to Opus (one frame in, one packet out).
    fn encode<'py>(&self, py: Python<'py>, pcm16le: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.codec()?.encode(pcm16le).map_err(raise)?;
        Ok(PyBytes::new(py, &out))
    }

    /// One Opus packet to PCM.
    fn decode<'py>(&self, py: Python<'py>, packet: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let out = self.codec()?.decode(packet).map_err(raise)?;
        Ok(PyBytes::new(py, &out))
    }

    /// One frame of loss concealment.
    fn conceal<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.codec()?.conceal()))
    }
}

/// The adaptive jitter buffer; `now` is seconds since it was made.
#[pyclass(module = "sambung.media", name = "JitterBuffer")]
struct JitterBuffer(core::JitterBuffer);

#[pymethods]
impl JitterBuffer {
    #[new]
    #[pyo3(signature = (clock_rate=8000, frame_samples=160, min_delay_ms=20.0, max_delay_ms=500.0, max_packets=256))]
    fn new(
        clock_rate: u32,
        frame_samples: u32,
        min_delay_ms: f64,
        max_delay_ms: f64,
        max_packets: usize,
    ) -> PyResult<Self> {
        core::JitterBuffer::new(
            clock_rate,
            frame_samples,
            min_delay_ms,
            max_delay_ms,
            max_packets,
        )
        .map(Self)
        .map_err(raise)
    }

    /// Takes a packet that arrived at `now`: `"accepted"`, `"duplicate"` or `"late"`.
    fn push(
        &mut self,
        sequence: u16,
        timestamp: u32,
        payload: &[u8],
        now: f64,
    ) -> PyResult<&'static str> {
        self.0
            .push(sequence, timestamp, payload, now)
            .map_err(raise)
    }

    /// The frame for the period at `now`: None while waiting, else
    /// {"kind": "frame", "sequence", "timestamp", "payload", "delay_ms"} or
    /// {"kind": "conceal", "timestamp"}.
    fn pop<'py>(&mut self, py: Python<'py>, now: f64) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(popped) = self.0.pop(now).map_err(raise)? else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        match popped {
            core::Popped::Frame {
                sequence,
                timestamp,
                payload,
                delay_ms,
            } => {
                d.set_item("kind", "frame")?;
                d.set_item("sequence", sequence)?;
                d.set_item("timestamp", timestamp)?;
                d.set_item("payload", PyBytes::new(py, &payload))?;
                d.set_item("delay_ms", delay_ms)?;
            }
            core::Popped::Conceal { timestamp } => {
                d.set_item("kind", "conceal")?;
                d.set_item("timestamp", timestamp)?;
            }
        }
        Ok(Some(d))
    }

    /// Statistics in NetEQ's terms, delays in milliseconds.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.0.stats())
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<G711>()?;
    m.add_class::<Opus>()?;
    m.add_class::<JitterBuffer>()?;
    Ok(())
}
