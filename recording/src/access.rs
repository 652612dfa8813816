//! Who may search, play and download recordings: every attempt goes through an
//! [`Authoriser`] the application supplies, and is written — allowed or refused — to the
//! hash-chained [`AuditLog`] before anything is returned, so a deleted or altered entry shows
//! ([`audit::verify`](crate::audit::verify)).
//!
//! ```
//! # tokio_test();
//! # fn tokio_test() { tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use sambung_recording::access::{Access, Authoriser, GuardedRecordings};
//! use sambung_recording::audit::{AuditLog, verify};
//! use sambung_recording::index::{RecordingIndex, Search};
//!
//! /// Supervisors only.
//! struct Supervisors;
//! impl Authoriser for Supervisors {
//!     type Principal = (String, &'static str); // (login, role)
//!     fn actor(&self, who: &Self::Principal) -> String { who.0.clone() }
//!     fn allows(&self, who: &Self::Principal, _: &Access<'_>) -> bool { who.1 == "supervisor" }
//! }
//!
//! let dir = tempfile::tempdir().unwrap();
//! let index = RecordingIndex::open_sqlite(&dir.path().join("index.sqlite")).await.unwrap();
//! let audit = AuditLog::open(&dir.path().join("audit.jsonl")).unwrap();
//! let recordings = GuardedRecordings::new(index, Supervisors, audit);
//! let search = Search { limit: 10, ..Search::default() };
//! let at = "2026-11-29T08:00:00+07:00";
//! assert!(recordings.search(&("sari".into(), "supervisor"), at, &search).await.is_ok());
//! assert!(recordings.search(&("budi".into(), "agent"), at, &search).await.is_err());
//! assert_eq!(verify(&dir.path().join("audit.jsonl")).unwrap().entries, 2);
//! # }) }
//! ```

use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};

use crate::audit::{AuditError, AuditLog};
use crate::index::{IndexError, NumberMatch, Page, RecordingIndex, RecordingRow, Search};

/// What someone asks to do.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Access<'a> {
    /// Search the index.
    Search(&'a Search),
    /// Listen to a recording in the browser or on the phone.
    Play(&'a RecordingRow),
    /// Take a copy of a recording's file.
    Download(&'a RecordingRow),
}

impl Access<'_> {
    /// The audit log's action for it.
    pub fn action(&self) -> &'static str {
        match self {
            Access::Search(_) => "recording.search",
            Access::Play(_) => "recording.play",
            Access::Download(_) => "recording.download",
        }
    }

    /// What it is about, for the audit log: the recording's id, or the search's terms.
    pub fn target(&self) -> String {
        match self {
            Access::Play(row) | Access::Download(row) => row.id.clone(),
            Access::Search(s) => describe(s),
        }
    }
}

/// A search's terms as `number=+62811*;from_ms=…;agent=1001;limit=50;offset=0`.
fn describe(s: &Search) -> String {
    let mut out = String::new();
    match &s.number {
        Some(NumberMatch::Exact(n)) => {
            let _ = write!(out, "number={n};");
        }
        Some(NumberMatch::Prefix(p)) => {
            let _ = write!(out, "number={p}*;");
        }
        None => {}
    }
    if let Some(v) = s.from_ms {
        let _ = write!(out, "from_ms={v};");
    }
    if let Some(v) = s.to_ms {
        let _ = write!(out, "to_ms={v};");
    }
    if let Some(v) = &s.agent {
        let _ = write!(out, "agent={v};");
    }
    if let Some(v) = &s.service {
        let _ = write!(out, "service={v};");
    }
    let _ = write!(out, "limit={};offset={}", s.limit, s.offset);
    out
}

/// The application's rule of who may do what (the reference call center: supervisors and
/// managers only).
pub trait Authoriser: Send + Sync {
    /// Whoever asks: a signed-in user, an API token, a phone.
    type Principal: ?Sized;

    /// The name the audit log records for `who`.
    fn actor(&self, who: &Self::Principal) -> String;

    /// Whether `who` may do `access`.
    fn allows(&self, who: &Self::Principal, access: &Access<'_>) -> bool;
}

/// Why access was not given.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// The authoriser said no (the refusal is in the audit log).
    #[error("{actor} may not {action}")]
    Denied {
        /// Who asked.
        actor: String,
        /// What they asked (`recording.play`, …).
        action: &'static str,
    },
    /// No recording with that id.
    #[error("no recording {0:?}")]
    NotFound(String),
    /// The index failed or the search was malformed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The audit log could not be written: nothing is returned unaudited.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// The index behind the authoriser and the audit log. Playback and downloads are granted
/// per recording: [`open`](Self::open) returns the row (its file's key), and the ranged reads
/// that follow — a player seeking — are not audited again.
#[derive(Debug)]
pub struct GuardedRecordings<A> {
    index: RecordingIndex,
    authoriser: A,
    audit: Mutex<AuditLog>,
}

/// A refused attempt's action in the audit log: the action with `.denied` after it.
fn denied(action: &'static str) -> &'static str {
    match action {
        "recording.search" => "recording.search.denied",
        "recording.play" => "recording.play.denied",
        _ => "recording.download.denied",
    }
}

impl<A: Authoriser> GuardedRecordings<A> {
    /// Guards `index` with `authoriser`, auditing into `audit`.
    pub fn new(index: RecordingIndex, authoriser: A, audit: AuditLog) -> Self {
        Self {
            index,
            authoriser,
            audit: Mutex::new(audit),
        }
    }

    /// The index, for the recorder's own bookkeeping (begin, complete): not a way around the
    /// guard for people.
    pub fn index(&self) -> &RecordingIndex {
        &self.index
    }

    /// Asks the authoriser and writes the answer to the audit log at `at` (RFC 3339).
    fn check(&self, who: &A::Principal, at: &str, access: &Access<'_>) -> Result<(), AccessError> {
        let actor = self.authoriser.actor(who);
        let allowed = self.authoriser.allows(who, access);
        let action = if allowed {
            access.action()
        } else {
            denied(access.action())
        };
        self.audit
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .append(at, &actor, action, &access.target())?;
        if allowed {
            Ok(())
        } else {
            Err(AccessError::Denied {
                actor,
                action: access.action(),
            })
        }
    }

    /// Searches the index for `who`.
    pub async fn search(
        &self,
        who: &A::Principal,
        at: &str,
        search: &Search,
    ) -> Result<Page, AccessError> {
        self.check(who, at, &Access::Search(search))?;
        Ok(self.index.search(search).await?)
    }

    /// Opens recording `id` for `who` to play (`download` false) or download; returns its row.
    pub async fn open(
        &self,
        who: &A::Principal,
        at: &str,
        id: &str,
        download: bool,
    ) -> Result<RecordingRow, AccessError> {
        let row = self
            .index
            .get(id)
            .await?
            .ok_or_else(|| AccessError::NotFound(id.to_owned()))?;
        let access = if download {
            Access::Download(&row)
        } else {
            Access::Play(&row)
        };
        self.check(who, at, &access)?;
        Ok(row)
    }

    /// Entries in the audit log so far.
    pub fn audited(&self) -> u64 {
        self.audit
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}
