//! A set of small indices as a bit vector: the free members of a queue, by their place.
//! Insert and remove are a few instructions; walking it visits places in increasing order,
//! which the member-order strategies (linear, round robin) rely on.

/// The set. The first 128 places are held inline, so a queue of up to 128 members keeps its
/// free set in the queue's own first cache line (routing touches it for every change of an
/// agent's state, in each of the agent's queues).
#[derive(Debug, Clone, Default)]
pub(crate) struct Bits {
    head: [u64; HEAD_WORDS],
    tail: Vec<u64>,
}

const HEAD_WORDS: usize = 2;

impl Bits {
    fn word_mut(&mut self, w: usize) -> Option<&mut u64> {
        match w.checked_sub(HEAD_WORDS) {
            None => self.head.get_mut(w),
            Some(t) => self.tail.get_mut(t),
        }
    }

    /// Adds `i`.
    pub(crate) fn insert(&mut self, i: usize) {
        let (w, b) = (i / 64, i % 64);
        if let Some(t) = w.checked_sub(HEAD_WORDS)
            && t >= self.tail.len()
        {
            self.tail.resize(t + 1, 0);
        }
        if let Some(word) = self.word_mut(w) {
            *word |= 1 << b;
        }
    }

    /// Removes `i`.
    pub(crate) fn remove(&mut self, i: usize) {
        if let Some(word) = self.word_mut(i / 64) {
            *word &= !(1 << (i % 64));
        }
    }

    /// Empties it.
    pub(crate) fn clear(&mut self) {
        self.head = [0; HEAD_WORDS];
        self.tail.iter_mut().for_each(|w| *w = 0);
    }

    /// How many indices it holds.
    #[cfg_attr(not(test), expect(dead_code, reason = "for tests and debugging"))]
    pub(crate) fn len(&self) -> usize {
        self.head
            .iter()
            .chain(&self.tail)
            .map(|w| w.count_ones() as usize)
            .sum()
    }

    /// The indices, in increasing order.
    #[inline]
    pub(crate) fn iter(&self) -> Iter<'_> {
        Iter {
            bits: self,
            word: 0,
            base: 0,
            next_word: 0,
        }
    }
}

/// The indices of a [`Bits`], in increasing order. Written out rather than composed from
/// `flat_map` and `from_fn`: routing walks a queue's free set for every offer, and the
/// composed iterator cost about ten times as many instructions per index.
pub(crate) struct Iter<'a> {
    bits: &'a Bits,
    /// What is left of the word being walked.
    word: u64,
    /// The index of that word's bit 0.
    base: usize,
    /// The word to load next.
    next_word: usize,
}

impl Iterator for Iter<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.word == 0 {
            let w = self.next_word;
            let word = match w.checked_sub(HEAD_WORDS) {
                None => self.bits.head.get(w),
                Some(t) => self.bits.tail.get(t),
            };
            self.word = *word?;
            self.base = w * 64;
            self.next_word = w + 1;
        }
        let b = self.word.trailing_zeros() as usize;
        self.word &= self.word - 1;
        Some(self.base + b)
    }
}

#[cfg(test)]
mod tests {
    use super::Bits;

    #[test]
    fn holds_what_was_put_in_order() {
        let mut bits = Bits::default();
        for i in [130, 3, 64, 3, 0, 63] {
            bits.insert(i);
        }
        assert_eq!(bits.len(), 5);
        assert_eq!(bits.iter().collect::<Vec<_>>(), [0, 3, 63, 64, 130]);
        bits.remove(64);
        bits.remove(64);
        bits.remove(1000);
        assert_eq!(bits.iter().collect::<Vec<_>>(), [0, 3, 63, 130]);
        assert_eq!(bits.len(), 4);
        bits.clear();
        assert_eq!(bits.iter().count(), 0);
        assert_eq!(bits.len(), 0);
    }
}
