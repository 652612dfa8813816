//! Backups: an archive (tar) of recording files and a manifest of their SHA-256 sums, so that
//! [`verify`] can prove a backup complete and intact and [`restore`] can put it back.
//!
//! The archive and manifest are written under temporary names, synced, and renamed into place:
//! a backup interrupted by a crash leaves no file that looks finished.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{LocalStore, StoreError, sha256_file};

/// One file in a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The recording's key in the store.
    pub key: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// When it was made, as the caller wrote it (RFC 3339).
    pub created: String,
    /// The files, in archive order.
    pub files: Vec<ManifestEntry>,
    /// SHA-256 of the archive file.
    pub archive_sha256: String,
}

/// Why a backup, verification or restore failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// Reading or writing failed.
    #[error("backup: {0}")]
    Io(#[from] std::io::Error),
    /// The store refused a key or file.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The manifest is not one this module wrote.
    #[error("backup manifest {path} cannot be read: {source}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The archive does not match its manifest.
    #[error("backup does not match its manifest: {0}")]
    Mismatch(String),
}

/// The files of a finished backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFiles {
    /// The tar archive.
    pub archive: PathBuf,
    /// The JSON manifest beside it.
    pub manifest: PathBuf,
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn write_synced(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = path.with_extension("partial");
    let mut file = File::create(&tmp)?;
    write(&mut file)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Backs up `keys` from `store` into `dir/NAME.tar` and `dir/NAME.manifest.json`, calling
/// `progress(bytes done, bytes in all)` after each file.
pub fn backup(
    store: &LocalStore,
    keys: &[String],
    dir: &Path,
    name: &str,
    created: &str,
    mut progress: impl FnMut(u64, u64),
) -> Result<(Manifest, BackupFiles), BackupError> {
    std::fs::create_dir_all(dir)?;
    let mut total = 0u64;
    let mut sources = Vec::with_capacity(keys.len());
    for key in keys {
        let path = store.file_path(key)?;
        total += std::fs::metadata(&path)?.len();
        sources.push((key, path));
    }
    let archive = dir.join(format!("{name}.tar"));
    let mut files = Vec::with_capacity(keys.len());
    write_synced(&archive, |file| {
        let mut tar = tar::Builder::new(BufWriter::new(file));
        let mut done = 0u64;
        for (key, path) in &sources {
            let size = std::fs::metadata(path)?.len();
            let sha256 = sha256_file(path).map_err(|e| std::io::Error::other(e.to_string()))?;
            tar.append_path_with_name(path, key)?;
            files.push(ManifestEntry {
                key: (*key).clone(),
                size,
                sha256,
            });
            done += size;
            progress(done, total);
        }
        tar.into_inner()?.flush()
    })?;
    let manifest = Manifest {
        created: created.to_owned(),
        files,
        archive_sha256: sha256_file(&archive)?,
    };
    let manifest_path = dir.join(format!("{name}.manifest.json"));
    let text = serde_json::to_vec_pretty(&manifest).map_err(|source| BackupError::Manifest {
        path: manifest_path.clone(),
        source,
    })?;
    write_synced(&manifest_path, |f| f.write_all(&text))?;
    Ok((
        manifest,
        BackupFiles {
            archive,
            manifest: manifest_path,
        },
    ))
}

/// Reads a manifest.
pub fn read_manifest(path: &Path) -> Result<Manifest, BackupError> {
    let text = std::fs::read(path)?;
    serde_json::from_slice(&text).map_err(|source| BackupError::Manifest {
        path: path.to_owned(),
        source,
    })
}

/// Checks that the archive is the one the manifest describes and that every file in it has
/// the size and SHA-256 written there, none missing and none extra. Returns the bytes checked.
pub fn verify(files: &BackupFiles) -> Result<u64, BackupError> {
    let manifest = read_manifest(&files.manifest)?;
    if sha256_file(&files.archive)? != manifest.archive_sha256 {
        return Err(BackupError::Mismatch(
            "the archive's SHA-256 differs".to_owned(),
        ));
    }
    let mut expected = manifest.files.iter();
    let mut bytes = 0u64;
    let mut archive = tar::Archive::new(File::open(&files.archive)?);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let key = entry.path()?.to_string_lossy().into_owned();
        let Some(want) = expected.next() else {
            return Err(BackupError::Mismatch(format!(
                "{key} is not in the manifest"
            )));
        };
        if want.key != key {
            return Err(BackupError::Mismatch(format!(
                "expected {}, found {key}",
                want.key
            )));
        }
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = entry.read(&mut buf)?;
            if n == 0 {
                break;
            }
            size += n as u64;
            hasher.update(buf.get(..n).unwrap_or_default());
        }
        if size != want.size || hex(&hasher.finalize()) != want.sha256 {
            return Err(BackupError::Mismatch(format!(
                "{key} differs from the manifest"
            )));
        }
        bytes += size;
    }
    if let Some(missing) = expected.next() {
        return Err(BackupError::Mismatch(format!("{} is missing", missing.key)));
    }
    Ok(bytes)
}

/// Verifies the backup, then puts every file back into `store` (keys checked as in the store;
/// existing files are replaced). Returns the number of files restored.
pub fn restore(files: &BackupFiles, store: &LocalStore) -> Result<usize, BackupError> {
    verify(files)?;
    let mut archive = tar::Archive::new(File::open(&files.archive)?);
    let mut restored = 0;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let key = entry.path()?.to_string_lossy().into_owned();
        let to = store.file_path(&key)?;
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        write_synced(&to, |f| std::io::copy(&mut entry, f).map(|_| ()))?;
        restored += 1;
    }
    Ok(restored)
}
