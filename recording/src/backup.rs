//! Backups: an archive (tar) of recording files and a manifest of their SHA-256 sums, so that
//! [`verify`] can prove a backup complete and intact and [`restore`] can put it back.
//!
//! The archive and manifest are written under temporary names, synced, and renamed into place:
//! a backup interrupted by a crash leaves no file that looks finished.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::digest::{Hashing, sha256_reader};
use crate::store::{LocalStore, StoreError};

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

/// Writes `path` under a temporary name, syncs it and renames it into place.
fn write_synced<T>(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let tmp = path.with_extension("partial");
    let mut file = File::create(&tmp)?;
    let out = write(&mut file)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(out)
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
    // One pass: each recording is hashed as it is copied in, and the archive as it is written.
    let archive_sha256 = write_synced(&archive, |file| {
        let mut tar = tar::Builder::new(BufWriter::new(Hashing::new(file)));
        let mut done = 0u64;
        for (key, path) in &sources {
            let source = File::open(path)?;
            let mut header = tar::Header::new_gnu();
            header.set_metadata(&source.metadata()?);
            let size = header.size()?;
            let mut reading = Hashing::new(source);
            tar.append_data(&mut header, key, &mut reading)?;
            let (sha256, read, _) = reading.finish();
            if read != size {
                return Err(std::io::Error::other(format!(
                    "{key} changed size while it was backed up"
                )));
            }
            files.push(ManifestEntry {
                key: (*key).clone(),
                size,
                sha256,
            });
            done += size;
            progress(done, total);
        }
        let mut buffered = tar.into_inner()?;
        buffered.flush()?;
        let hashing = buffered.into_inner().map_err(|e| e.into_error())?;
        Ok(hashing.finish().0)
    })?;
    let manifest = Manifest {
        created: created.to_owned(),
        files,
        archive_sha256,
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
    // One pass over the archive: its own hash accumulates while its entries are checked.
    let mut archive = tar::Archive::new(Hashing::new(File::open(&files.archive)?));
    let checked = check_entries(&mut archive, &manifest);
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink())?;
    if rest.finish().0 != manifest.archive_sha256 {
        // Whatever else went wrong, the archive is not the one the manifest describes.
        return Err(BackupError::Mismatch(
            "the archive's SHA-256 differs".to_owned(),
        ));
    }
    checked
}

/// Checks every entry against the manifest, in order; returns the bytes checked.
fn check_entries(
    archive: &mut tar::Archive<impl std::io::Read>,
    manifest: &Manifest,
) -> Result<u64, BackupError> {
    let mut expected = manifest.files.iter();
    let mut bytes = 0u64;
    for entry in archive.entries()? {
        let entry = entry?;
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
        let (sha256, size) = sha256_reader(entry)?;
        if size != want.size || sha256 != want.sha256 {
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
