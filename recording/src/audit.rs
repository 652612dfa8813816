//! An append-only audit log whose entries are hash-chained: each line holds the SHA-256 of
//! its own fields and of the line before, so a removed, reordered or altered entry breaks the
//! chain at that place and [`verify`] says where.
//!
//! One JSON object per line, written and synced before [`AuditLog::append`] returns, so an
//! entry that was acknowledged survives `kill -9` and power loss. The chain alone cannot show
//! that the *newest* entries were cut off; keep [`AuditLog::head`] somewhere else (the index
//! database, a backup manifest) and compare it with what [`verify`] returns.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Longest line an entry may take: an entry is refused beyond it, and a longer line in the
/// file breaks the chain rather than being read into memory whole.
pub const MAX_LINE: usize = 64 * 1024;

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audited access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When, as the application wrote it (RFC 3339 recommended).
    pub at: String,
    /// Who (a supervisor's login, say).
    pub actor: String,
    /// What they did: `search`, `play`, `download`, `delete`, ….
    pub action: String,
    /// What it was done to: a recording id, or the search terms.
    pub target: String,
    /// The previous entry's hash ([`GENESIS`] for the first).
    pub prev: String,
    /// SHA-256 over this entry's other fields.
    pub hash: String,
}

#[derive(Serialize)]
struct Hashed<'a> {
    seq: u64,
    at: &'a str,
    actor: &'a str,
    action: &'a str,
    target: &'a str,
    prev: &'a str,
}

fn hash_of(e: &Hashed<'_>) -> String {
    // Serialising a struct of plain strings and a number cannot fail.
    crate::digest::sha256_hex(&serde_json::to_vec(e).unwrap_or_default())
}

/// Why the audit log cannot be used or does not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The file system refused.
    #[error("audit log {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An entry longer than [`MAX_LINE`] (a search with pages of terms, say).
    #[error("audit entry of {bytes} bytes is longer than {MAX_LINE}")]
    EntryTooLong {
        /// Its length.
        bytes: usize,
    },
    /// The chain is broken at `line` (1-based).
    #[error("audit log {path} is broken at line {line}: {reason}")]
    Broken {
        /// The file.
        path: PathBuf,
        /// The first line that does not follow from the one before.
        line: u64,
        /// What is wrong there.
        reason: &'static str,
    },
}

/// What a verified log holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Entries.
    pub entries: u64,
    /// The newest entry's hash ([`GENESIS`] for an empty log).
    pub head: String,
}

/// Checks every line of the log at `path` (a missing file is an empty log).
pub fn verify(path: &Path) -> Result<Verified, AuditError> {
    let io = |source| AuditError::Io {
        path: path.to_owned(),
        source,
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Verified {
                entries: 0,
                head: GENESIS.to_owned(),
            });
        }
        Err(e) => return Err(io(e)),
    };
    let mut head = GENESIS.to_owned();
    let mut entries = 0u64;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let limit = u64::try_from(MAX_LINE).unwrap_or(u64::MAX) + 1;
        if (&mut reader)
            .take(limit)
            .read_until(b'\n', &mut line)
            .map_err(io)?
            == 0
        {
            break;
        }
        let broken = |reason| AuditError::Broken {
            path: path.to_owned(),
            line: entries + 1,
            reason,
        };
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if text.len() > MAX_LINE {
            return Err(broken("line longer than any entry can be"));
        }
        let e: AuditEntry =
            serde_json::from_slice(text).map_err(|_| broken("not an audit entry"))?;
        if e.seq != entries + 1 {
            return Err(broken(
                "sequence number out of order (an entry was removed or moved)",
            ));
        }
        if e.prev != head {
            return Err(broken(
                "does not follow the entry before (one was removed or altered)",
            ));
        }
        let expected = hash_of(&Hashed {
            seq: e.seq,
            at: &e.at,
            actor: &e.actor,
            action: &e.action,
            target: &e.target,
            prev: &e.prev,
        });
        if e.hash != expected {
            return Err(broken("hash does not match the entry (it was altered)"));
        }
        head = e.hash;
        entries += 1;
    }
    Ok(Verified { entries, head })
}

/// The log, open for appending.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: File,
    seq: u64,
    head: String,
}

impl AuditLog {
    /// Opens (or creates) the log at `path`, verifying the chain first: a broken log is
    /// refused rather than extended.
    pub fn open(path: &Path) -> Result<Self, AuditError> {
        let Verified { entries, head } = verify(path)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| AuditError::Io {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            path: path.to_owned(),
            file,
            seq: entries,
            head,
        })
    }

    /// The newest entry's hash.
    pub fn head(&self) -> &str {
        &self.head
    }

    /// Entries in the log.
    pub fn len(&self) -> u64 {
        self.seq
    }

    /// Whether the log has no entries.
    pub fn is_empty(&self) -> bool {
        self.seq == 0
    }

    /// Appends one entry and syncs it to disk before returning it.
    pub fn append(
        &mut self,
        at: &str,
        actor: &str,
        action: &str,
        target: &str,
    ) -> Result<AuditEntry, AuditError> {
        let seq = self.seq + 1;
        let hash = hash_of(&Hashed {
            seq,
            at,
            actor,
            action,
            target,
            prev: &self.head,
        });
        let entry = AuditEntry {
            seq,
            at: at.to_owned(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            prev: self.head.clone(),
            hash,
        };
        let mut line = serde_json::to_vec(&entry).unwrap_or_default();
        if line.len() > MAX_LINE {
            return Err(AuditError::EntryTooLong { bytes: line.len() });
        }
        line.push(b'\n');
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.write_all(&line).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.seq = seq;
        self.head.clone_from(&entry.hash);
        Ok(entry)
    }
}
