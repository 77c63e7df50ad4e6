//! A radix heap: the engine's event list while many events are pending (in `hybrid.rs`).
//!
//! A simulation's clock never goes backwards, and no event is scheduled before the last one
//! handled: that is the case where a monotone priority queue beats a comparison heap. The
//! keys are integer microseconds. Bucket `b` (1 to 64) holds the entries whose time first
//! differs from `last`, the time of the latest entry taken out, at bit `b - 1`; bucket 0,
//! `at_last`, holds the entries at exactly `last`. Taking out the next entry is taking the
//! front of `at_last`; when that is empty, the lowest non-empty bucket holds the earliest
//! entries: its minimum becomes `last` and its entries move down to lower buckets. An entry
//! only ever moves down, at most 64 times, and in practice a handful (the few bits that
//! separate it from the clock); pushing is an append.
//!
//! Ties come out in the order they were pushed without storing a sequence number: entries
//! with the same time are always in the same bucket (the bucket is a function of the time
//! and `last`, and a move to a new `last` keeps entries of higher buckets where they are),
//! every bucket is in push order (a push appends; a move empties one bucket into lower
//! buckets that are all empty, keeping its order), and `at_last` is taken from its front.
//! So an entry is only the time and the event: 8 bytes smaller than the heap's.

use std::collections::VecDeque;

/// A monotone priority queue of events by time, ties in push order.
#[derive(Debug)]
pub struct RadixHeap<E> {
    /// The entries at exactly `last`, in push order.
    at_last: VecDeque<(u64, E)>,
    /// `buckets[b - 1]` is bucket `b`: times whose highest bit differing from `last` is `b - 1`.
    buckets: Vec<Vec<(u64, E)>>,
    /// Bit `b - 1` is set when bucket `b` holds entries, so the lowest one is one instruction.
    non_empty: u64,
    /// The time of the latest entry taken out; no entry may be pushed before it.
    last: u64,
    len: usize,
}

impl<E> RadixHeap<E> {
    pub fn with_capacity(capacity: usize) -> Self {
        RadixHeap {
            at_last: VecDeque::with_capacity(capacity.min(1024)),
            buckets: (0..64).map(|_| Vec::new()).collect(),
            non_empty: 0,
            last: 0,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Makes an empty queue take entries from `last_us` on: a queue emptied by taking its
    /// entries out ends at the latest of them, which may be after the clock of the list that
    /// refills it.
    pub fn restart_at(&mut self, last_us: u64) {
        assert_eq!(self.len, 0, "only an empty queue restarts");
        self.last = last_us;
    }

    /// The bucket of `time` relative to `last`: 0 when equal, else one more than the index of
    /// the highest differing bit.
    #[inline(always)]
    fn bucket_of(&self, time: u64) -> usize {
        (64 - (time ^ self.last).leading_zeros()) as usize
    }
}

impl<E: Copy> RadixHeap<E> {
    /// Adds an event at `time_us`, which must not be before the latest one taken out.
    #[inline]
    pub fn push(&mut self, time_us: u64, event: E) {
        assert!(time_us >= self.last, "a monotone queue takes no event before its last: {time_us} < {}", self.last);
        let b = self.bucket_of(time_us);
        self.len += 1;
        if b == 0 {
            self.at_last.push_back((time_us, event));
        } else {
            self.buckets[b - 1].push((time_us, event));
            self.non_empty |= 1 << (b - 1);
        }
    }

    /// Removes and returns the earliest event if it is at or before `limit_us`; otherwise
    /// leaves the queue as it was.
    #[inline]
    pub fn pop_through(&mut self, limit_us: u64) -> Option<(u64, E)> {
        if self.at_last.is_empty() && !self.refill(limit_us) {
            return None;
        }
        if self.last > limit_us {
            return None;
        }
        self.len -= 1;
        self.at_last.pop_front()
    }

    /// Moves the lowest non-empty bucket down so that `at_last` holds the earliest entries;
    /// false, with nothing changed, when the queue is empty or its earliest entry is after
    /// `limit_us` (so that a later push at the clock still finds `last` behind it).
    #[inline(never)]
    fn refill(&mut self, limit_us: u64) -> bool {
        if self.non_empty == 0 {
            return false;
        }
        let lowest = self.non_empty.trailing_zeros() as usize;
        let mut moving = std::mem::take(&mut self.buckets[lowest]);
        let earliest = moving.iter().map(|e| e.0).min().expect("a bucket marked non-empty has entries");
        if earliest > limit_us {
            self.buckets[lowest] = moving;
            return false;
        }
        self.last = earliest;
        self.non_empty &= !(1 << lowest);
        for &(time, event) in &moving {
            let b = self.bucket_of(time);
            if b == 0 {
                self.at_last.push_back((time, event));
            } else {
                self.buckets[b - 1].push((time, event));
                self.non_empty |= 1 << (b - 1);
            }
        }
        // The emptied bucket keeps its allocation for the entries that will fall into it.
        moving.clear();
        self.buckets[lowest] = moving;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_come_out_in_push_order_across_moves() {
        let mut q = RadixHeap::with_capacity(0);
        for (t, e) in [(9, 'a'), (4, 'b'), (9, 'c'), (4, 'd'), (7, 'e')] {
            q.push(t, e);
        }
        assert_eq!(q.pop_through(u64::MAX), Some((4, 'b')));
        q.push(9, 'f');
        q.push(4, 'g');
        let rest: Vec<char> = std::iter::from_fn(|| q.pop_through(u64::MAX).map(|(_, e)| e)).collect();
        assert_eq!(rest, vec!['d', 'g', 'e', 'a', 'c', 'f']);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn an_entry_after_the_limit_stays_and_the_clock_may_still_be_pushed() {
        let mut q = RadixHeap::with_capacity(0);
        q.push(100, 1);
        assert_eq!(q.pop_through(50), None);
        assert_eq!(q.len(), 1);
        q.push(50, 2);
        assert_eq!(q.pop_through(50), Some((50, 2)));
        assert_eq!(q.pop_through(u64::MAX), Some((100, 1)));
    }
}
