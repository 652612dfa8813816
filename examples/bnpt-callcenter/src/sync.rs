//! The one way the call center takes a lock.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `m`. Every guarded value stays consistent between statements, so a lock poisoned by a
/// panicking task is still usable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
