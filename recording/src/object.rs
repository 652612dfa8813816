//! Recordings in object storage — S3 and anything that speaks its API (`MinIO`, Ceph RGW,
//! Garage…) — through the `object_store` crate, behind the same [`RecordingStore`] trait as
//! the local folder. Feature `s3`.
//!
//! [`RecordingStore`] is synchronous (the recorder and the retention sweep call it from
//! blocking code); `object_store` is async. The store keeps a small runtime of its own and
//! waits on it; called from inside another tokio runtime it waits on a scoped thread instead,
//! so it never blocks that runtime's own driver. Drivers should still call it from
//! `spawn_blocking`, as they do for file I/O.
//!
//! A file of up to [`ObjectRecordingStore::part_size`] bytes is uploaded in one request; a
//! larger one in parts of that size (S3's multipart upload), never read whole into memory.
//! The local file is removed only after the upload completed.
//!
//! ```
//! use std::sync::Arc;
//! use sambung_recording::object::ObjectRecordingStore;
//! use sambung_recording::store::RecordingStore;
//!
//! let store = ObjectRecordingStore::new(Arc::new(object_store::memory::InMemory::new()), "")?;
//! let dir = tempfile::tempdir()?;
//! let file = dir.path().join("call.wav");
//! std::fs::write(&file, b"RIFF....WAVE")?;
//! store.put("2026/12/rec-1.wav", &file)?;
//! assert_eq!(store.read_range("2026/12/rec-1.wav", 0..4)?, b"RIFF");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs::File;
use std::future::Future;
use std::io::Read;
use std::ops::Range;
use std::path::Path as FsPath;
use std::sync::Arc;

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use crate::store::{RecordingStore, StoreError, clamp_range, safe_key};

/// Where an S3-compatible bucket is and how to sign in to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct S3Config {
    /// The bucket (it must exist).
    pub bucket: String,
    /// The region (`us-east-1` for most S3-compatible servers).
    pub region: String,
    /// The server, for S3-compatible storage (`http://127.0.0.1:9000`); `None` for AWS.
    pub endpoint: Option<String>,
    /// The access key ID.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// A folder inside the bucket for every key (`recordings`), or empty.
    #[serde(default)]
    pub prefix: String,
    /// Allow plain `http://` endpoints (a server on the same host or network).
    #[serde(default)]
    pub allow_http: bool,
}

/// Recordings in an `object_store` backend (S3, or in memory for tests).
#[derive(Debug)]
pub struct ObjectRecordingStore {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    part_size: usize,
    /// Always `Some` until dropped (taken out to shut it down without blocking).
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for ObjectRecordingStore {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which tokio forbids inside another runtime's tasks.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The default part size of uploads: 8 MiB (S3 wants at least 5 MiB for every part but the
/// last).
pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;

impl ObjectRecordingStore {
    /// A store over `store`, with every key under `prefix` (empty for none).
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Self {
            store,
            prefix: prefix.trim_matches('/').to_owned(),
            part_size: DEFAULT_PART_SIZE,
            runtime: Some(runtime),
        })
    }

    /// A store in an S3-compatible bucket. Paths are addressed path-style
    /// (`endpoint/bucket/key`), which every S3-compatible server accepts.
    pub fn s3(config: &S3Config) -> Result<Self, StoreError> {
        // reqwest's TLS is built without a crypto provider (see the workspace manifest): use
        // ring, as the rest of Sambung does. Installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_allow_http(config.allow_http)
            .with_virtual_hosted_style_request(false);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let store = builder.build().map_err(remote)?;
        Self::new(Arc::new(store), &config.prefix)
    }

    /// Uploads larger than this go in parts of this size.
    pub fn part_size(&self) -> usize {
        self.part_size
    }

    /// Sets the part size (at least 5 MiB for S3; smaller only for tests of other backends).
    #[must_use]
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes.max(1);
        self
    }

    fn location(&self, key: &str) -> Result<Path, StoreError> {
        let relative = safe_key(key)?;
        let relative = relative.to_string_lossy();
        let full = if self.prefix.is_empty() {
            relative.into_owned()
        } else {
            format!("{}/{relative}", self.prefix)
        };
        Path::parse(&full).map_err(|_| StoreError::BadKey(key.to_owned()))
    }

    /// Runs `work` to completion on the store's runtime.
    fn wait<T: Send>(&self, work: impl Future<Output = T> + Send) -> Result<T, StoreError> {
        let Some(runtime) = &self.runtime else {
            return Err(StoreError::Remote("the store is shutting down".to_owned()));
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return Ok(runtime.block_on(work));
        }
        // Inside someone else's runtime, whose thread must not start another one.
        std::thread::scope(
            |scope| match scope.spawn(|| runtime.block_on(work)).join() {
                Ok(value) => Ok(value),
                Err(panic) => std::panic::resume_unwind(panic),
            },
        )
    }

    async fn upload(&self, location: &Path, from: &FsPath) -> Result<(), StoreError> {
        let mut file = File::open(from)?;
        let len = file.metadata()?.len();
        let part = self.part_size;
        if len <= part as u64 {
            let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
            file.read_to_end(&mut bytes)?;
            self.store
                .put(location, PutPayload::from(bytes))
                .await
                .map_err(remote)?;
            return Ok(());
        }
        let upload = self.store.put_multipart(location).await.map_err(remote)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, part);
        let mut buf = vec![0u8; part];
        loop {
            // At most two parts in flight: memory stays at a few parts whatever the size.
            writer.wait_for_capacity(2).await.map_err(remote)?;
            let n = read_full(&mut file, &mut buf)?;
            if n == 0 {
                break;
            }
            writer.write(&buf[..n]);
        }
        writer.finish().await.map_err(remote)?;
        Ok(())
    }
}

/// Reads until `buf` is full or the file ends; the number of bytes read.
fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn remote(e: object_store::Error) -> StoreError {
    StoreError::Remote(e.to_string())
}

fn not_found_or_remote(key: &str) -> impl Fn(object_store::Error) -> StoreError + '_ {
    move |e| match e {
        object_store::Error::NotFound { .. } => StoreError::NotFound(key.to_owned()),
        other => remote(other),
    }
}

impl RecordingStore for ObjectRecordingStore {
    fn put(&self, key: &str, from: &FsPath) -> Result<(), StoreError> {
        let location = self.location(key)?;
        self.wait(self.upload(&location, from))??;
        std::fs::remove_file(from)?;
        Ok(())
    }

    fn len(&self, key: &str) -> Result<u64, StoreError> {
        let location = self.location(key)?;
        let meta = self
            .wait(self.store.head(&location))?
            .map_err(not_found_or_remote(key))?;
        Ok(meta.size)
    }

    fn read_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, StoreError> {
        let range = clamp_range(key, range, self.len(key)?)?;
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let location = self.location(key)?;
        let bytes = self
            .wait(self.store.get_range(&location, range))?
            .map_err(not_found_or_remote(key))?;
        Ok(bytes.to_vec())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        let location = self.location(key)?;
        match self.wait(self.store.delete(&location))? {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(remote(e)),
        }
    }
}
