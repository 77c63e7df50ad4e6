//! A short sorted array of events: the hybrid's list while few events are pending.
//!
//! The entries are kept sorted latest first, so the earliest is the last one and taking it
//! out is a `Vec::pop`: no sift, no branch that depends on the keys. A push walks from the
//! earliest entry towards the latest, moving each earlier entry one place up, until it finds
//! its place: the work is the number of pending events earlier than the new one, and the one
//! branch the CPU cannot predict is the walk's end. A binary heap of the same dozen entries
//! pays a data-dependent branch on both sides, the push's sift and the pop's. With few
//! pending events (an M/M/c queue: an arrival and a completion per busy worker, most new
//! events landing among the next few) the walk is short; it grows with the pending count,
//! which is why the hybrid hands the entries to its radix heap past a few dozen.
//!
//! The order is (time, push order), and an entry needs no sequence number for it: a new
//! entry is the latest pushed, so it goes before every entry at its time or earlier, and the
//! walk compares times alone. An entry is the time and the event: 24 bytes with a 16-byte
//! event.

/// Pending events sorted by (time, push order), latest first.
#[derive(Debug)]
pub struct ShortList<E> {
    entries: Vec<Entry<E>>,
}

#[derive(Debug, Clone, Copy)]
struct Entry<E> {
    time_us: u64,
    event: E,
}

impl<E> ShortList<E> {
    pub fn with_capacity(capacity: usize) -> Self {
        ShortList { entries: Vec::with_capacity(capacity) }
    }

    /// Number of pending events.
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<E: Copy> ShortList<E> {
    /// Adds an event; among events at the same time it comes out after the earlier-pushed.
    #[inline]
    pub fn push(&mut self, time_us: u64, event: E) {
        let entry = Entry { time_us, event };
        // The slot for the walk's first move; its value is overwritten below.
        self.entries.push(entry);
        let entries = &mut self.entries[..];
        let mut i = entries.len() - 1;
        while i > 0 && entries[i - 1].time_us <= time_us {
            entries[i] = entries[i - 1];
            i -= 1;
        }
        entries[i] = entry;
    }

    /// Removes and returns the earliest event if it is at or before `limit_us`.
    #[inline]
    pub fn pop_through(&mut self, limit_us: u64) -> Option<(u64, E)> {
        let time_us = self.entries.last()?.time_us;
        if time_us > limit_us {
            return None;
        }
        let entry = self.entries.pop()?;
        Some((time_us, entry.event))
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, E)> {
        self.pop_through(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_pop_in_time_order_and_ties_in_push_order() {
        let mut q = ShortList::with_capacity(0);
        for (t, e) in [(5, 'a'), (1, 'b'), (5, 'c'), (1, 'd'), (3, 'e')] {
            q.push(t, e);
        }
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['b', 'd', 'e', 'a', 'c']);
        assert!(q.is_empty());
    }

    #[test]
    fn an_entry_after_the_limit_stays() {
        let mut q = ShortList::with_capacity(0);
        q.push(100, 1);
        assert_eq!(q.pop_through(99), None);
        assert_eq!(q.len(), 1);
        assert_eq!(q.pop_through(100), Some((100, 1)));
        assert_eq!(q.pop_through(u64::MAX), None);
    }

    #[test]
    fn agrees_with_a_reference_heap_under_random_pushes_and_pops() {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut rng = crate::engine::RngFactory::new(5).stream("short_list");
        let mut q = ShortList::with_capacity(0);
        let mut reference = BinaryHeap::new();
        let (mut now, mut seq) = (0u64, 0u64);
        for _ in 0..20_000 {
            // Bursts of pushes (many at one instant) and runs of pops, so the list grows,
            // shrinks and often holds ties.
            if (rng.index(3) > 0 && reference.len() < 60) || reference.is_empty() {
                let at = now + [0, 0, 1, 5, 1_000][rng.index(5)] * rng.index(4) as u64;
                q.push(at, seq);
                reference.push(Reverse((at, seq)));
                seq += 1;
            } else {
                let Reverse((at, expected)) = reference.pop().unwrap();
                assert_eq!(q.pop(), Some((at, expected)));
                now = at;
            }
            assert_eq!(q.len(), reference.len());
        }
        while let Some(Reverse((at, expected))) = reference.pop() {
            assert_eq!(q.pop(), Some((at, expected)));
        }
        assert!(q.is_empty());
    }
}
