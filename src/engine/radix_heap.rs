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
//!
//! Beside the buckets, a run: entries pushed in time order, kept in a FIFO ring and never
//! moved. Many events are scheduled a fixed or similar delay after the clock (a handler's
//! run, a timeout), so their pushes come in time order, and in a radix heap each of them
//! would still move down a few buckets before it is taken. A push joins the run when it is
//! at or after the run's last entry and within [`RUN_GAP_US`] of it (or of `last`, for an
//! empty run): a far-off timer joining it would keep every nearer push out until it is
//! taken. Taking out compares the run's front with the buckets' least time.
//!
//! Ties between the run and the buckets still come out in push order, with no sequence
//! number: a push joins the run only while the bucket its time falls in is empty, so no
//! entry of the same time was pushed into the buckets before it; any later entry of that
//! time in the buckets was pushed after it, and the run goes first on a tie.

use std::collections::VecDeque;

/// Bucket 0 (entries at `last`) and buckets 1 to 64.
const BUCKETS: usize = 65;

/// How far after the run's last entry (or after `last`, for an empty run) a push may be and
/// still join the run: about a second, past a handler's usual run and a call's latency,
/// short of the periodic ticks and long timers that would hold the run's back far ahead.
pub const RUN_GAP_US: u64 = 1 << 20;

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
    /// The time of the latest entry taken out of the buckets; no entry may be pushed before
    /// it.
    last: u64,
    /// Entries pushed in time order, outside the buckets (see the module's docs).
    run: VecDeque<(u64, E)>,
    /// Entries in the buckets and the run.
    len: usize,
}

impl<E> RadixHeap<E> {
    pub fn with_capacity(capacity: usize) -> Self {
        let mut buckets: [Vec<(u64, E)>; BUCKETS] = std::array::from_fn(|_| Vec::new());
        buckets[0].reserve(capacity.min(1024));
        RadixHeap {
            buckets,
            mins: [u64::MAX; BUCKETS],
            non_empty: 0,
            head: 0,
            last: 0,
            run: VecDeque::with_capacity(capacity.min(1024)),
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

/// The bit of `non_empty` for bucket `b`: `b - 1`, none for bucket 0.
#[inline(always)]
fn bit_of(b: usize) -> u64 {
    if b == 64 { 1 << 63 } else { (1 << b) >> 1 }
}

impl<E: Copy> RadixHeap<E> {
    /// Adds an event at `time_us`, which must not be before the latest one taken out.
    #[inline(always)]
    pub fn push(&mut self, time_us: u64, event: E) {
        assert!(time_us >= self.last, "a monotone queue takes no event before its last: {time_us} < {}", self.last);
        let b = self.bucket_of(time_us);
        self.len += 1;
        if self.joins_run(time_us, b) {
            self.run.push_back((time_us, event));
            return;
        }
        self.buckets[b].push((time_us, event));
        self.mins[b] = self.mins[b].min(time_us);
        self.non_empty |= bit_of(b);
    }

    /// True if an entry at `time_us`, whose bucket is `b`, joins the run: at or after the
    /// run's back and near it, and with no entry of its time in the buckets.
    #[inline(always)]
    fn joins_run(&self, time_us: u64, b: usize) -> bool {
        let after = match self.run.back() {
            Some(&(back, _)) if time_us < back => return false,
            Some(&(back, _)) => back,
            None => self.last,
        };
        let is_bucket_empty = if b == 0 { self.head == self.buckets[0].len() } else { self.non_empty & bit_of(b) == 0 };
        is_bucket_empty && time_us - after <= RUN_GAP_US
    }

    /// Takes the run's front if it is at or before `limit_us`.
    #[inline(always)]
    fn pop_run(&mut self, limit_us: u64) -> Option<(u64, E)> {
        let &(time_us, _) = self.run.front()?;
        if time_us > limit_us {
            return None;
        }
        self.len -= 1;
        self.run.pop_front()
    }

    /// Removes and returns the earliest event if it is at or before `limit_us`; otherwise
    /// leaves the queue as it was.
    #[inline]
    pub fn pop_through(&mut self, limit_us: u64) -> Option<(u64, E)> {
        if let Some(&entry) = self.buckets[0].get(self.head) {
            if self.last > limit_us {
                return None;
            }
            // The run's front is never before `last`; at `last` it was pushed first.
            if self.run.front().is_some_and(|&(t, _)| t == self.last) {
                return self.pop_run(limit_us);
            }
            self.head += 1;
            self.len -= 1;
            return Some(entry);
        }
        // The run's front, when it is the earliest (first on a tie), needs no refill.
        if let Some(&(time_us, _)) = self.run.front() {
            let buckets_least =
                if self.non_empty == 0 { u64::MAX } else { self.mins[self.non_empty.trailing_zeros() as usize + 1] };
            if time_us <= buckets_least {
                return self.pop_run(limit_us);
            }
        }
        self.pop_refilling(limit_us)
    }

    /// [`RadixHeap::pop_through`] once bucket 0 is used up: takes the run's front if it is
    /// the earliest (first on a tie), else the lowest non-empty bucket's single entry, or
    /// moves that bucket down so that bucket 0 holds the earliest entries. Returns `None`,
    /// with nothing changed, when the queue is empty or its earliest entry is after
    /// `limit_us` (so that a later push at the clock still finds `last` behind it).
    #[inline(never)]
    fn pop_refilling(&mut self, limit_us: u64) -> Option<(u64, E)> {
        self.buckets[0].clear();
        self.head = 0;
        if self.non_empty == 0 {
            return self.pop_run(limit_us);
        }
        let lowest = self.non_empty.trailing_zeros() as usize + 1;
        let earliest = self.mins[lowest];
        if self.run.front().is_some_and(|&(t, _)| t <= earliest) {
            return self.pop_run(limit_us);
        }
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
    fn entries_in_time_order_join_the_run_and_ties_with_the_buckets_keep_push_order() {
        let mut q = RadixHeap::with_capacity(0);
        // 10 and 20 join the run; 5 is before its back, so it goes into a bucket.
        for (t, e) in [(10, 'a'), (20, 'b'), (5, 'c')] {
            q.push(t, e);
        }
        assert_eq!(q.run.len(), 2);
        // A tie with the run's back joins it; a tie with a bucket's entry stays out of it,
        // and so does a push far after the run's back.
        q.push(20, 'd');
        q.push(5, 'e');
        q.push(20 + RUN_GAP_US + 1, 'f');
        assert_eq!(q.run.len(), 3);
        assert_eq!(q.pop_through(u64::MAX), Some((5, 'c')));
        // At the clock with bucket 0 still holding 'e': the later push goes into bucket 0.
        q.push(5, 'g');
        let rest: Vec<(u64, char)> = std::iter::from_fn(|| q.pop_through(u64::MAX)).collect();
        assert_eq!(rest, vec![(5, 'e'), (5, 'g'), (10, 'a'), (20, 'b'), (20, 'd'), (20 + RUN_GAP_US + 1, 'f')]);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn a_run_entry_pushed_before_a_bucket_entry_of_its_time_comes_out_first() {
        let mut q = RadixHeap::with_capacity(0);
        q.push(100, 'a');
        q.push(300, 'b');
        // Before the run's back: into a bucket, at the run front's time.
        q.push(100, 'c');
        q.push(50, 'd');
        assert_eq!(q.pop_through(u64::MAX), Some((50, 'd')));
        assert_eq!(q.pop_through(99), None, "the limit holds for the run too");
        let rest: Vec<(u64, char)> = std::iter::from_fn(|| q.pop_through(u64::MAX)).collect();
        assert_eq!(rest, vec![(100, 'a'), (100, 'c'), (300, 'b')]);
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
