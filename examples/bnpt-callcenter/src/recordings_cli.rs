//! `bnpt-callcenter recordings backup|verify|restore`: the weekly backup of the recordings
//! folder, with a progress bar on a terminal and `--json` for scripts; `recordings audit`
//! verifies the access log's hash chain.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use sambung_recording::backup::{self, BackupError, BackupFiles};
use sambung_recording::store::{LocalStore, StoreError};
use serde_json::json;

use crate::cli::{BackupArgs, ManifestArgs, RecordingsAction};

/// Why a recordings command failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RecordingsError {
    #[error(transparent)]
    Backup(#[from] BackupError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot list recordings in {}", path.display())]
    List {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("manifest file name {} does not end in .manifest.json", .0.display())]
    ManifestName(PathBuf),
    #[error(transparent)]
    Search(#[from] crate::recordings_search::SearchError),
    #[error(transparent)]
    Audit(#[from] sambung_recording::audit::AuditError),
}

/// Every file under `root`, as store keys (`/`-separated, sorted), skipping hidden files and
/// the temporary files of unfinished writes.
fn list_keys(root: &Path) -> Result<Vec<String>, RecordingsError> {
    let mut keys = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        let err = |source| RecordingsError::List {
            path: folder.clone(),
            source,
        };
        for entry in std::fs::read_dir(&folder).map_err(err)? {
            let entry = entry.map_err(err)?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.ends_with(".partial") {
                continue;
            }
            let kind = entry.file_type().map_err(err)?;
            if kind.is_dir() {
                folders.push(path);
            } else if kind.is_file()
                && let Ok(rel) = path.strip_prefix(root)
            {
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                keys.push(parts.join("/"));
            }
        }
    }
    keys.sort();
    Ok(keys)
}

/// The archive beside a manifest.
fn files_of(manifest: &Path) -> Result<BackupFiles, RecordingsError> {
    let name = manifest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".manifest.json")
        .ok_or_else(|| RecordingsError::ManifestName(manifest.to_owned()))?;
    Ok(BackupFiles {
        archive: manifest.with_file_name(format!("{stem}.tar")),
        manifest: manifest.to_owned(),
    })
}

fn bar(total: u64, json: bool) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    // indicatif draws only when standard error is a terminal.
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// Runs one recordings command on the recordings folder of `data_dir`; returns what to print.
pub(crate) fn run(data_dir: &Path, action: &RecordingsAction) -> Result<String, RecordingsError> {
    match action {
        RecordingsAction::Search { filter, json } => {
            return Ok(crate::recordings_search::search(data_dir, filter, *json)?);
        }
        RecordingsAction::Export {
            filter,
            out,
            mp3,
            json,
        } => {
            return Ok(crate::recordings_search::export(
                data_dir, filter, out, *mp3, *json,
            )?);
        }
        _ => {}
    }
    let root = data_dir.join("recordings");
    let store = LocalStore::new(&root)?;
    match action {
        RecordingsAction::Search { .. } | RecordingsAction::Export { .. } => Ok(String::new()),
        RecordingsAction::Audit { json } => {
            let path = data_dir.join(crate::app::RECORDINGS_AUDIT_FILE);
            let verified = sambung_recording::audit::verify(&path)?;
            Ok(if *json {
                json!({
                    "ok": true,
                    "file": path.display().to_string(),
                    "entries": verified.entries,
                    "head": verified.head,
                })
                .to_string()
            } else {
                format!(
                    "{}: {} entries, intact (head {})",
                    path.display(),
                    verified.entries,
                    verified.head
                )
            })
        }
        RecordingsAction::Backup(BackupArgs { out, name, json }) => {
            let now = jiff::Timestamp::now();
            let name = name
                .clone()
                .unwrap_or_else(|| format!("backup-{}", now.strftime("%Y-%m-%d")));
            let keys = list_keys(&root)?;
            let progress = bar(0, *json);
            let (manifest, files) = backup::backup(
                &store,
                &keys,
                out,
                &name,
                &now.to_string(),
                |done, total| {
                    progress.set_length(total);
                    progress.set_position(done);
                },
            )?;
            progress.finish_and_clear();
            let bytes: u64 = manifest.files.iter().map(|f| f.size).sum();
            Ok(if *json {
                json!({
                    "archive": files.archive,
                    "manifest": files.manifest,
                    "files": manifest.files.len(),
                    "bytes": bytes,
                    "archive_sha256": manifest.archive_sha256,
                })
                .to_string()
                    + "\n"
            } else {
                format!(
                    "backed up {} recordings ({bytes} bytes) to {}\n",
                    manifest.files.len(),
                    files.archive.display()
                )
            })
        }
        RecordingsAction::Verify(ManifestArgs { manifest, json }) => {
            let files = files_of(manifest)?;
            let count = backup::read_manifest(manifest)?.files.len();
            let bytes = backup::verify(&files)?;
            Ok(if *json {
                json!({ "ok": true, "files": count, "bytes": bytes }).to_string() + "\n"
            } else {
                format!("backup is complete and intact: {count} recordings, {bytes} bytes\n")
            })
        }
        RecordingsAction::Restore(ManifestArgs { manifest, json }) => {
            let files = files_of(manifest)?;
            let restored = backup::restore(&files, &store)?;
            Ok(if *json {
                json!({ "restored": restored, "into": root }).to_string() + "\n"
            } else {
                format!("restored {restored} recordings into {}\n", root.display())
            })
        }
    }
}
