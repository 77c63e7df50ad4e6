//! A radix heap: the engine's event list while many events are pending (in `hybrid.rs`).
//!
//! A simulation's clock never goes backwards, and no event is scheduled before the last one
//! handled: that is the case where a monotone priority queue beats a comparison heap. The
//! keys are integer microseconds. Bucket `b` (1 to 64) holds the entries whose time first
//! differs from `last`, the time of the latest entry taken out, at bit `b - 1`; bucket 0
//! holds the entries at exactly `last`. Taking out the next entry is taking the front of
//! bucket 0; when that is used up, the lowest non-empty bucket holds the earliest entries:
//! its minimum becomes `last` and its entries move down to lower buckets. An entry only ever
//! moves down, at most 64 times, and in practice a handful (the few bits that separate it
//! from the clock); pushing is an append.
//!
//! Three details keep the refill, where the time goes with many pending events, short:
//! - each bucket's minimum is kept as entries arrive (one compare and store on a push), so
//!   the refill knows the new `last` without reading the bucket first;
//! - a bucket of one entry is taken out directly, without a move: with exponential gaps at
//!   microsecond resolution most refills find the lowest bucket holding a single entry;
//! - bucket 0 is one of the buckets (a push or a move puts an entry into bucket `b`
//!   whatever `b` is, with no branch on it), taken from the front by a cursor and emptied
//!   only when used up.
//!
//! Ties come out in the order they were pushed without storing a sequence number: entries
//! with the same time are always in the same bucket (the bucket is a function of the time
//! and `last`, and a move to a new `last` keeps entries of higher buckets where they are),
//! every bucket is in push order (a push appends; a move empties one bucket into lower
//! buckets that are all empty, keeping its order), and bucket 0 is taken from its front.
//! So an entry is only the time and the event: 8 bytes smaller than the heap's.

/// Bucket 0 (entries at `last`) and buckets 1 to 64.
const BUCKETS: usize = 65;

/// A monotone priority queue of events by time, ties in push order.
#[derive(Debug)]
pub struct RadixHeap<E> {
    /// `buckets[b]`: times whose highest bit differing from `last` is `b - 1`; `buckets[0]`
    /// holds times equal to `last`, in push order, the first `head` of them already taken.
    buckets: [Vec<(u64, E)>; BUCKETS],
    /// The least time in each bucket, `u64::MAX` for an empty one (bucket 0's is unused).
    mins: [u64; BUCKETS],
    /// Bit `b - 1` is set when bucket `b` (1 to 64) holds entries, so the lowest one is one
    /// instruction.
    non_empty: u64,
    /// How many entries of `buckets[0]` were taken out.
    head: usize,
    /// The time of the latest entry taken out; no entry may be pushed before it.
    last: u64,
    len: usize,
}

impl<E> RadixHeap<E> {
    pub fn with_capacity(capacity: usize) -> Self {
        let mut buckets: [Vec<(u64, E)>; BUCKETS] = std::array::from_fn(|_| Vec::new());
        buckets[0].reserve(capacity.min(1024));
        RadixHeap { buckets, mins: [u64::MAX; BUCKETS], non_empty: 0, head: 0, last: 0, len: 0 }
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

/// The bit of `non_empty` for bucket `b`: `b - 1`, none for bucket 0.
#[inline(always)]
fn bit_of(b: usize) -> u64 {
    if b == 64 { 1 << 63 } else { (1 << b) >> 1 }
}

impl<E: Copy> RadixHeap<E> {
    /// Adds an event at `time_us`, which must not be before the latest one taken out.
    #[inline]
    pub fn push(&mut self, time_us: u64, event: E) {
        assert!(time_us >= self.last, "a monotone queue takes no event before its last: {time_us} < {}", self.last);
        let b = self.bucket_of(time_us);
        self.len += 1;
        self.buckets[b].push((time_us, event));
        self.mins[b] = self.mins[b].min(time_us);
        self.non_empty |= bit_of(b);
    }

    /// Removes and returns the earliest event if it is at or before `limit_us`; otherwise
    /// leaves the queue as it was.
    #[inline]
    pub fn pop_through(&mut self, limit_us: u64) -> Option<(u64, E)> {
        if let Some(&entry) = self.buckets[0].get(self.head) {
            if self.last > limit_us {
                return None;
            }
            self.head += 1;
            self.len -= 1;
            return Some(entry);
        }
        self.pop_refilling(limit_us)
    }

    /// [`RadixHeap::pop_through`] once bucket 0 is used up: takes the lowest non-empty
    /// bucket's single entry, or moves that bucket down so that bucket 0 holds the earliest
    /// entries. Returns `None`, with nothing changed, when the queue is empty or its earliest
    /// entry is after `limit_us` (so that a later push at the clock still finds `last`
    /// behind it).
    #[inline(never)]
    fn pop_refilling(&mut self, limit_us: u64) -> Option<(u64, E)> {
        self.buckets[0].clear();
        self.head = 0;
        if self.non_empty == 0 {
            return None;
        }
        let lowest = self.non_empty.trailing_zeros() as usize + 1;
        let earliest = self.mins[lowest];
        if earliest > limit_us {
            return None;
        }
        self.last = earliest;
        self.len -= 1;
        self.non_empty &= !bit_of(lowest);
        self.mins[lowest] = u64::MAX;
        let (lower, from) = self.buckets.split_at_mut(lowest);
        let moving = &mut from[0];
        if moving.len() == 1 {
            return moving.pop();
        }
        // Every entry moves below `lowest`, so its bit is a plain shift, gathered in a
        // register rather than stored once per entry.
        let mut filled = 0u64;
        for &(time, event) in moving.iter() {
            let b = (64 - (time ^ earliest).leading_zeros()) as usize;
            lower[b].push((time, event));
            self.mins[b] = self.mins[b].min(time);
            filled |= (1 << b) >> 1;
        }
        self.non_empty |= filled;
        // The emptied bucket keeps its allocation for the entries that will fall into it.
        moving.clear();
        self.head = 1;
        Some(self.buckets[0][0])
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

    #[test]
    fn a_single_entry_bucket_is_taken_directly_and_later_ties_follow_it() {
        let mut q = RadixHeap::with_capacity(0);
        for (t, e) in [(1_000, 'a'), (3, 'b'), (2_000, 'c')] {
            q.push(t, e);
        }
        assert_eq!(q.pop_through(u64::MAX), Some((3, 'b')));
        assert_eq!(q.pop_through(u64::MAX), Some((1_000, 'a')));
        q.push(1_000, 'd');
        q.push(1_001, 'e');
        q.push(1_000, 'f');
        let rest: Vec<(u64, char)> = std::iter::from_fn(|| q.pop_through(u64::MAX)).collect();
        assert_eq!(rest, vec![(1_000, 'd'), (1_000, 'f'), (1_001, 'e'), (2_000, 'c')]);
        assert_eq!(q.len(), 0);
    }
}
