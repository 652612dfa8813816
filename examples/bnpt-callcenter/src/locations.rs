//! Registrations that outlive a restart (PBX-8): the registrar's bindings live in memory, and
//! every change of an address-of-record is also written to the `registrations` table, so the
//! next start knows where the phones are before they register again (a phone re-registers
//! only when its binding nears expiry, often an hour later). The writes go through a bounded
//! queue to one task; the SIP side never waits for the disk.

use sambung_sip::registrar::{Binding, LocationStore, MemoryLocationStore};
use tokio::sync::mpsc;
use tracing::warn;

use crate::store::Store;

/// Changes waiting to be written, at most.
const QUEUE: usize = 1024;

/// The registrar's store: memory, with each change queued for SQLite.
#[derive(Debug)]
pub(crate) struct SavedLocations {
    memory: MemoryLocationStore,
    changes: Option<mpsc::Sender<(String, Vec<Binding>)>>,
}

impl SavedLocations {
    /// Memory only (unit tests).
    #[cfg(test)]
    pub(crate) fn in_memory() -> Self {
        Self {
            memory: MemoryLocationStore::default(),
            changes: None,
        }
    }

    /// The bindings stored by earlier runs that have not expired at `now` (Unix seconds),
    /// with a task that keeps the table up to date from now on.
    pub(crate) async fn open(store: &Store, now: u64) -> Self {
        let mut memory = MemoryLocationStore::default();
        match store.registrations(now).await {
            Ok(rows) => {
                let mut by_aor: std::collections::BTreeMap<String, Vec<Binding>> =
                    std::collections::BTreeMap::new();
                for (aor, binding) in rows {
                    by_aor.entry(aor).or_default().push(binding);
                }
                for (aor, bindings) in by_aor {
                    memory.set(&aor, bindings);
                }
            }
            Err(e) => {
                let why = e.to_string();
                warn!(error = %why, "stored registrations not read: phones must register again");
            }
        }
        let (tx, mut rx) = mpsc::channel::<(String, Vec<Binding>)>(QUEUE);
        let store = store.clone();
        tokio::spawn(async move {
            while let Some((aor, bindings)) = rx.recv().await {
                if let Err(e) = store.save_registrations(&aor, &bindings).await {
                    warn!(%aor, error = %e, "registration not stored");
                }
            }
        });
        Self {
            memory,
            changes: Some(tx),
        }
    }
}

impl LocationStore for SavedLocations {
    fn bindings(&self, aor: &str) -> Vec<Binding> {
        self.memory.bindings(aor)
    }

    fn set(&mut self, aor: &str, bindings: Vec<Binding>) {
        if let Some(tx) = &self.changes
            && tx.try_send((aor.to_owned(), bindings.clone())).is_err()
        {
            warn!(%aor, "registration writes are behind: this change is kept in memory only");
        }
        self.memory.set(aor, bindings);
    }
}
