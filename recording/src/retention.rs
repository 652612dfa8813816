//! Retention: how long recordings are kept (by default a year for audio and three months for
//! video), with legal holds that keep a recording whatever its age. [`RetentionPolicy::due`]
//! decides; [`sweep`] deletes the file, then the index row, and writes each deletion to the
//! audit log.

use std::collections::BTreeSet;

use crate::audit::{AuditError, AuditLog};
use crate::index::{IndexError, RecordingIndex, RecordingRow};
use crate::store::{RecordingStore, StoreError};

const DAY_MS: i64 = 86_400_000;
/// Rows read from the index at a time.
const PAGE: u32 = 200;

/// How long recordings are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Days an audio recording is kept.
    pub audio_days: u32,
    /// Days a video recording is kept.
    pub video_days: u32,
    /// Recording ids under legal hold: never due.
    pub holds: BTreeSet<String>,
}

impl Default for RetentionPolicy {
    /// A year of audio, three months of video, no holds.
    fn default() -> Self {
        Self {
            audio_days: 365,
            video_days: 90,
            holds: BTreeSet::new(),
        }
    }
}

impl RetentionPolicy {
    /// Whether `r` is past its keeping time at `now_ms` and not held. Video is told by its
    /// codec (`video/…`, `mp4/…`, `webm/…`); everything else counts as audio.
    pub fn due(&self, r: &RecordingRow, now_ms: i64) -> bool {
        if self.holds.contains(&r.id) || !r.complete {
            return false;
        }
        let video = ["video/", "mp4/", "webm/"]
            .iter()
            .any(|p| r.codec.starts_with(p));
        let days = if video {
            self.video_days
        } else {
            self.audio_days
        };
        r.started_ms
            .saturating_add(i64::from(days).saturating_mul(DAY_MS))
            <= now_ms
    }
}

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The index refused.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The store refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The audit log refused: nothing more is deleted unaudited.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// One sweep's when, who and how much.
#[derive(Debug, Clone, Copy)]
pub struct SweepRun<'a> {
    /// Now, Unix milliseconds.
    pub now_ms: i64,
    /// Now as the audit log writes it (RFC 3339).
    pub at: &'a str,
    /// Who sweeps, for the audit log.
    pub actor: &'a str,
    /// Most recordings deleted in this sweep.
    pub batch: u32,
}

/// Deletes every recording due at `now_ms`, oldest first, at most `batch` of them: file,
/// then index row, then an audit entry by `actor`. Returns the ids deleted. A crash midway
/// leaves at worst an index row whose file is gone, which the next sweep deletes again.
pub async fn sweep(
    policy: &RetentionPolicy,
    index: &RecordingIndex,
    store: &impl RecordingStore,
    audit: &mut AuditLog,
    run: &SweepRun<'_>,
) -> Result<Vec<String>, SweepError> {
    let SweepRun {
        now_ms,
        at,
        actor,
        batch,
    } = *run;
    // Nothing younger than the shortest keeping time can be due.
    let cutoff = now_ms
        .saturating_sub(i64::from(policy.audio_days.min(policy.video_days)).saturating_mul(DAY_MS));
    let mut deleted = Vec::new();
    let mut after: Option<(i64, String)> = None;
    // Walk the old rows a page at a time: rows kept (younger audio, held ones) must not hide
    // the due ones behind them.
    while deleted.len() < batch as usize {
        let page = index
            .started_before(
                cutoff.saturating_add(1),
                after.as_ref().map(|(ms, id)| (*ms, id.as_str())),
                PAGE,
            )
            .await?;
        let Some(last) = page.last() else { break };
        after = Some((last.started_ms, last.id.clone()));
        let full = page.len() == PAGE as usize;
        for r in page {
            if deleted.len() >= batch as usize {
                break;
            }
            if !policy.due(&r, now_ms) {
                continue;
            }
            store.delete(&r.path)?;
            index.delete(&r.id).await?;
            audit.append(at, actor, "retention-delete", &r.id)?;
            deleted.push(r.id);
        }
        if !full {
            break;
        }
    }
    Ok(deleted)
}
