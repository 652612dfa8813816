//! Where recording files live: behind [`RecordingStore`], so a site can move from the local
//! folder (the default, [`LocalStore`]) to S3-compatible object storage (feature `s3`:
//! `object::ObjectRecordingStore`) without touching the code that records, plays or deletes.
//!
//! Keys are relative paths such as `2026/12/rec-0042.wav`. A key comes from the index, which a
//! person with database access could edit, so every key is checked: no absolute paths, no
//! `..`, no empty or hidden segments — a key can never reach outside the store.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The key is not a safe relative path.
    #[error("recording key {0:?} is not a safe relative path")]
    BadKey(String),
    /// No file under that key.
    #[error("no recording stored under {0:?}")]
    NotFound(String),
    /// A range that ends before it starts, or starts past the end of the file.
    #[error("range {start}..{end} is outside recording {key:?} of {len} bytes")]
    BadRange {
        /// The key.
        key: String,
        /// Requested start.
        start: u64,
        /// Requested end.
        end: u64,
        /// The file's length.
        len: u64,
    },
    /// The file system refused.
    #[error("recording store: {0}")]
    Io(#[from] std::io::Error),
    /// The object storage server refused or could not be reached.
    #[error("object storage: {0}")]
    Remote(String),
}

/// Largest range one read returns; players ask again for the rest.
pub const MAX_RANGE: u64 = 8 * 1024 * 1024;

/// A place that keeps recording files.
pub trait RecordingStore {
    /// Moves a finished file from `from` (on the local disk) into the store under `key`.
    fn put(&self, key: &str, from: &Path) -> Result<(), StoreError>;
    /// The file's length in bytes.
    fn len(&self, key: &str) -> Result<u64, StoreError>;
    /// Bytes `range` of the file (clamped to its end and to [`MAX_RANGE`]), for ranged
    /// playback: many listeners can each read their own part at once.
    fn read_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, StoreError>;
    /// Removes the file; removing what is not there is not an error.
    fn delete(&self, key: &str) -> Result<(), StoreError>;
}

/// What a read of `range` from a `len`-byte file returns: clamped to the file's end and to
/// [`MAX_RANGE`]; an error when it ends before it starts or starts past the end.
pub(crate) fn clamp_range(
    key: &str,
    range: Range<u64>,
    len: u64,
) -> Result<Range<u64>, StoreError> {
    if range.end < range.start || range.start > len {
        return Err(StoreError::BadRange {
            key: key.to_owned(),
            start: range.start,
            end: range.end,
            len,
        });
    }
    let end = range
        .end
        .min(len)
        .min(range.start.saturating_add(MAX_RANGE));
    Ok(range.start..end)
}

/// Checks a key and turns it into a relative path.
pub(crate) fn safe_key(key: &str) -> Result<PathBuf, StoreError> {
    let bad = || StoreError::BadKey(key.to_owned());
    if key.is_empty() || key.len() > 512 || key.contains('\\') || key.contains('\0') {
        return Err(bad());
    }
    let path = Path::new(key);
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(p) if !p.to_string_lossy().starts_with('.') => out.push(p),
            _ => return Err(bad()),
        }
    }
    if out.as_os_str().is_empty() || key.ends_with('/') || key.contains("//") {
        return Err(bad());
    }
    Ok(out)
}

/// Recordings in a folder on the local disk.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root` (created if missing).
    pub fn new(root: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(root)?;
        Ok(Self {
            root: root.to_owned(),
        })
    }

    /// Where `key` is on disk (after the key is checked).
    pub fn file_path(&self, key: &str) -> Result<PathBuf, StoreError> {
        self.path(key)
    }

    fn path(&self, key: &str) -> Result<PathBuf, StoreError> {
        Ok(self.root.join(safe_key(key)?))
    }

    fn open(&self, key: &str) -> Result<File, StoreError> {
        File::open(self.path(key)?).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound(key.to_owned()),
            _ => StoreError::Io(e),
        })
    }
}

impl RecordingStore for LocalStore {
    fn put(&self, key: &str, from: &Path) -> Result<(), StoreError> {
        let to = self.path(key)?;
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // A rename within one file system is atomic; across file systems, copy then remove.
        if std::fs::rename(from, &to).is_err() {
            std::fs::copy(from, &to)?;
            File::open(&to)?.sync_all()?;
            std::fs::remove_file(from)?;
        }
        Ok(())
    }

    fn len(&self, key: &str) -> Result<u64, StoreError> {
        Ok(self.open(key)?.metadata()?.len())
    }

    fn read_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, StoreError> {
        let mut file = self.open(key)?;
        let range = clamp_range(key, range, file.metadata()?.len())?;
        file.seek(SeekFrom::Start(range.start))?;
        let mut out = Vec::with_capacity(usize::try_from(range.end - range.start).unwrap_or(0));
        file.take(range.end - range.start).read_to_end(&mut out)?;
        Ok(out)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        match std::fs::remove_file(self.path(key)?) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The SHA-256 of a file, lower-case hex (for the index's `sha256` column and backup
/// manifests).
pub fn sha256_file(path: &Path) -> Result<String, StoreError> {
    Ok(crate::digest::sha256_reader(File::open(path)?)?.0)
}
