//! A short sorted list while few events are pending, the radix heap while many are: the
//! engine's default event list.
//!
//! With a dozen pending events (an M/M/c queue: an arrival and a completion per busy worker)
//! a radix heap spends its time moving buckets down: nearly every event goes into a bucket
//! and is moved at least once more before it is taken out. A small structure that orders
//! the few entries directly does better: first a binary heap (on the shipped M/M/c scenario
//! the binary heap alone was 12-14 % faster than the radix heap alone), now a sorted array
//! (`short_list.rs`), whose take is a `Vec::pop` and whose push moves the entries earlier
//! than the new one up a place, one unpredictable branch an event where the heap has two.
//! With 1,000 pending and more the radix heap is the faster, and its cost does not grow with
//! the pending count. So the entries live in the short list up to `SHORT_MAX`, move into the
//! radix heap past it, and move back below `SHORT_MIN`. The gap between the two is wide so
//! that a count that wanders around one threshold does not move the entries back and forth
//! on every event.
//!
//! The order contract is the radix heap's: by time, ties in push order. The short list keeps
//! ties in push order by placing a new entry after every entry at its time; a move either way
//! takes every entry out in order and pushes it into the other structure, which keeps the
//! order of what it is given.

use super::radix_heap::RadixHeap;
use super::short_list::ShortList;

/// Above this many pending events the short list moves into the radix heap. Chosen where the
/// binary heap the hybrid used before crossed the radix heap on the hold model
/// (`examples/hold_model.rs`, timed on a loaded machine: the binary heap ahead at 30 and 48
/// pending, the radix heap at 96 and above); the short list takes less CPU than that binary
/// heap at 12 pending and at 48 alike, so the threshold stays.
pub const SHORT_MAX: usize = 48;
/// Below this many pending events the radix heap moves back into the short list.
pub const SHORT_MIN: usize = 12;

/// A monotone priority queue of events by time, ties in push order.
#[derive(Debug)]
pub struct HybridList<E> {
    /// While `in_radix` is false, the pending entries.
    short: ShortList<E>,
    /// While `in_radix` is true, the pending entries.
    radix: RadixHeap<E>,
    in_radix: bool,
    /// The time of the latest entry taken out: a radix heap that takes the entries over
    /// starts there, as no entry may be pushed before it.
    last: u64,
}

impl<E> HybridList<E> {
    pub fn with_capacity(capacity: usize) -> Self {
        HybridList {
            short: ShortList::with_capacity(SHORT_MAX + 1),
            radix: RadixHeap::with_capacity(capacity),
            in_radix: false,
            last: 0,
        }
    }

    pub fn len(&self) -> usize {
        if self.in_radix { self.radix.len() } else { self.short.len() }
    }
}

impl<E: Copy> HybridList<E> {
    /// True while the radix heap holds the entries: the event list inlines that path into
    /// the run loop and the handlers, and calls the short list's push.
    #[inline(always)]
    pub fn is_radix(&self) -> bool {
        self.in_radix
    }

    /// [`HybridList::push`] while [`HybridList::is_radix`].
    #[inline(always)]
    pub fn push_radix(&mut self, time_us: u64, event: E) {
        debug_assert!(self.in_radix);
        self.radix.push(time_us, event);
    }

    /// [`HybridList::pop_through`] while [`HybridList::is_radix`].
    #[inline(always)]
    pub fn pop_through_radix(&mut self, limit_us: u64) -> Option<(u64, E)> {
        debug_assert!(self.in_radix);
        let popped = self.radix.pop_through(limit_us)?;
        self.last = popped.0;
        if self.radix.len() < SHORT_MIN {
            self.move_into_short();
        }
        Some(popped)
    }

    /// Adds an event at `time_us`, which must not be before the latest one taken out.
    #[inline]
    pub fn push(&mut self, time_us: u64, event: E) {
        if self.in_radix { self.push_radix(time_us, event) } else { self.push_short(time_us, event) }
    }

    /// [`HybridList::push`] while not [`HybridList::is_radix`]: the event list calls this
    /// after its own test, so the short list's path does not test again. Behind a call:
    /// inlined at every place a handler schedules, the handlers' code grows for no gain.
    #[inline(never)]
    pub fn push_short(&mut self, time_us: u64, event: E) {
        debug_assert!(!self.in_radix);
        assert!(time_us >= self.last, "a monotone queue takes no event before its last: {time_us} < {}", self.last);
        self.short.push(time_us, event);
        if self.short.len() > SHORT_MAX {
            self.move_into_radix();
        }
    }

    /// Removes and returns the earliest event if it is at or before `limit_us`; otherwise
    /// leaves the queue as it was.
    #[inline]
    pub fn pop_through(&mut self, limit_us: u64) -> Option<(u64, E)> {
        if self.in_radix { self.pop_through_radix(limit_us) } else { self.pop_through_short(limit_us) }
    }

    /// [`HybridList::pop_through`] while not [`HybridList::is_radix`].
    #[inline(always)]
    pub fn pop_through_short(&mut self, limit_us: u64) -> Option<(u64, E)> {
        debug_assert!(!self.in_radix);
        let (time_us, event) = self.short.pop_through(limit_us)?;
        self.last = time_us;
        Some((time_us, event))
    }

    /// Both moves carry the entries over in the order they are taken out, which is the
    /// order each structure keeps for ties.
    #[cold]
    #[inline(never)]
    fn move_into_radix(&mut self) {
        self.radix.restart_at(self.last);
        while let Some((time_us, event)) = self.short.pop() {
            self.radix.push(time_us, event);
        }
        self.in_radix = true;
    }

    #[cold]
    #[inline(never)]
    fn move_into_short(&mut self) {
        debug_assert!(self.short.is_empty());
        while let Some((time_us, event)) = self.radix.pop_through(u64::MAX) {
            self.short.push(time_us, event);
        }
        self.in_radix = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes `count` entries at times that repeat (ties), takes half out, pushes more, and
    /// takes the rest out: with `count` above `SHORT_MAX` the entries move into the radix
    /// heap and back.
    fn in_and_out(count: u64) -> Vec<(u64, u64)> {
        let mut q = HybridList::with_capacity(0);
        let mut out = Vec::new();
        for id in 0..count {
            q.push((id * 7) % 5, id);
        }
        for _ in 0..count / 2 {
            out.push(q.pop_through(u64::MAX).expect("pending"));
        }
        let now = out.last().map_or(0, |e| e.0);
        for id in count..2 * count {
            q.push(now + (id * 3) % 4, id);
        }
        while let Some(e) = q.pop_through(u64::MAX) {
            out.push(e);
        }
        assert_eq!(q.len(), 0);
        out
    }

    #[test]
    fn ties_come_out_in_push_order_in_the_short_list_and_across_moves() {
        for count in [3, SHORT_MAX as u64, 5 * SHORT_MAX as u64] {
            let out = in_and_out(count);
            assert_eq!(out.len() as u64, 2 * count);
            let mut sorted = out.clone();
            // A stable sort by time alone keeps the ids of ties in push order.
            sorted.sort_by_key(|e| e.0);
            assert_eq!(out, sorted, "{count} entries");
            for pair in out.windows(2) {
                assert!(pair[0].0 < pair[1].0 || pair[0].1 < pair[1].1, "{count} entries: {pair:?}");
            }
        }
    }

    #[test]
    fn an_entry_after_the_limit_stays_in_either_structure() {
        for count in [1, 2 * SHORT_MAX as u64] {
            let mut q = HybridList::with_capacity(0);
            for id in 0..count {
                q.push(100 + id, id);
            }
            assert_eq!(q.pop_through(50), None);
            assert_eq!(q.len() as u64, count);
            q.push(50, 99);
            assert_eq!(q.pop_through(50), Some((50, 99)));
            assert_eq!(q.pop_through(u64::MAX), Some((100, 0)));
        }
    }
}
