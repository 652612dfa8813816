//! A queue's callers in waiting order, kept in a sorted double-ended list.
//!
//! Callers join at the back (the same priority, a later arrival) and leave from the front (the
//! head is answered), so both are O(1) in the common case; a caller with a higher priority, or
//! one who gives up from the middle, costs a binary search and a shift. A `BTreeMap` did the
//! same job at several hundred instructions for each join and leave, on every call.

use std::collections::VecDeque;

use sambung_core::ids::CallId;

/// Where a caller stands: sorted ascending, so the head comes first.
pub(crate) type WaitKey = (std::cmp::Reverse<i32>, u64);

/// The list. Keys are unique (the second half is a unique arrival number).
#[derive(Debug, Clone, Default)]
pub(crate) struct WaitList {
    entries: VecDeque<(WaitKey, CallId)>,
}

impl WaitList {
    /// Callers in it.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nobody waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where `key` is, or would go.
    fn search(&self, key: &WaitKey) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.cmp(key))
    }

    /// Adds `call` at `key` (replacing a caller already there).
    pub(crate) fn insert(&mut self, key: WaitKey, call: CallId) {
        if self.entries.back().is_none_or(|(last, _)| *last < key) {
            self.entries.push_back((key, call));
            return;
        }
        match self.search(&key) {
            Ok(i) => {
                if let Some(entry) = self.entries.get_mut(i) {
                    entry.1 = call;
                }
            }
            Err(i) => self.entries.insert(i, (key, call)),
        }
    }

    /// Removes the caller at `key`.
    pub(crate) fn remove(&mut self, key: &WaitKey) -> Option<CallId> {
        if let Some((first, call)) = self.entries.front()
            && first == key
        {
            let call = *call;
            self.entries.pop_front();
            return Some(call);
        }
        let i = self.search(key).ok()?;
        self.entries.remove(i).map(|(_, call)| call)
    }

    /// The caller at `key`.
    pub(crate) fn get(&self, key: &WaitKey) -> Option<&CallId> {
        let i = self.search(key).ok()?;
        self.entries.get(i).map(|(_, call)| call)
    }

    /// How many callers stand at `key` or before it.
    pub(crate) fn count_through(&self, key: &WaitKey) -> usize {
        self.entries.partition_point(|(k, _)| k <= key)
    }

    /// The callers, head first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&WaitKey, &CallId)> {
        self.entries.iter().map(|(k, c)| (k, c))
    }

    /// The callers' ids, head first.
    pub(crate) fn values(&self) -> impl Iterator<Item = &CallId> {
        self.entries.iter().map(|(_, c)| c)
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use sambung_core::ids::CallId;

    use super::{WaitKey, WaitList};

    #[derive(Debug, Clone)]
    enum Op {
        Insert(i32, u64),
        Remove(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (-2i32..3, 0u64..40).prop_map(|(p, o)| Op::Insert(p, o)),
            (0usize..50).prop_map(Op::Remove),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// It behaves as the ordered map it replaced, whatever the order of joins and leaves.
        #[test]
        fn behaves_as_an_ordered_map(ops in prop::collection::vec(op(), 0..200)) {
            let mut list = WaitList::default();
            let mut map: BTreeMap<WaitKey, CallId> = BTreeMap::new();
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Insert(p, o) => {
                        let call = CallId::new(n as u64);
                        list.insert((Reverse(p), o), call);
                        map.insert((Reverse(p), o), call);
                    }
                    Op::Remove(i) => {
                        let key = map.keys().nth(i % map.len().max(1)).copied()
                            .unwrap_or((Reverse(0), 999));
                        prop_assert_eq!(list.remove(&key), map.remove(&key));
                    }
                }
                prop_assert_eq!(list.len(), map.len());
                prop_assert_eq!(list.is_empty(), map.is_empty());
                prop_assert!(list.iter().map(|(k, c)| (*k, *c)).eq(map.iter().map(|(k, c)| (*k, *c))));
                for key in map.keys() {
                    prop_assert_eq!(list.get(key), map.get(key));
                    prop_assert_eq!(list.count_through(key), map.range(..=*key).count());
                }
            }
        }
    }
}
