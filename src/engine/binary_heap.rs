//! A binary min-heap ordered by (time, insertion sequence): the engine's event list before
//! the radix heap, kept selectable so that benchmarks can compare the two.
//!
//! Ties at the same instant pop in the order they were scheduled, which makes every run
//! reproducible. Three details make it faster than a bare `BinaryHeap` loop:
//! - an entry is the time, a sequence number and the event itself, with no boxing; with a
//!   zero-sized or 8-byte event an entry is 16 or 24 bytes;
//! - `pop` leaves the popped entry in place until the next operation, so the common
//!   "handle one event, schedule one" step becomes one in-place replace of the top and one
//!   sift-down instead of a pop and a push;
//! - the comparisons are boolean arithmetic, and choosing the earlier child is an index
//!   plus a comparison's result, so sifting compiles to conditional moves: in a heap whose
//!   order is random, a branch per level would be mispredicted half the time.

use super::time::SimTime;

/// A priority queue of events ordered by time, then by insertion order.
#[derive(Debug)]
pub struct HeapQueue<E> {
    /// A binary min-heap on (time, seq): the children of `i` are `2i + 1` and `2i + 2`.
    heap: Vec<Entry<E>>,
    next_seq: u64,
    /// True when the top of `heap` was already handed out by `pop` and is logically gone.
    top_is_stale: bool,
}

#[derive(Debug, Clone, Copy)]
struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    /// (time, seq) order, as plain boolean arithmetic so that the sifts below compile to
    /// conditional moves rather than branches the CPU cannot predict.
    #[inline(always)]
    fn is_before(&self, other: &Self) -> bool {
        (self.time < other.time) | ((self.time == other.time) & (self.seq < other.seq))
    }
}

impl<E> Default for HeapQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> HeapQueue<E> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        HeapQueue { heap: Vec::with_capacity(capacity), next_seq: 0, top_is_stale: false }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() - usize::from(self.top_is_stale)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<E: Copy> HeapQueue<E> {
    /// Adds an event; among events at the same time it pops after all earlier-scheduled ones.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let entry = Entry { time, seq: self.next_seq, event };
        self.next_seq += 1;
        if self.top_is_stale {
            self.top_is_stale = false;
            // Overwriting the logically removed top and sifting down restores the heap
            // whatever the new entry's key is.
            self.sift_down(entry);
        } else {
            self.heap.push(entry);
            self.sift_up(self.heap.len() - 1, entry);
        }
    }

    /// The time of the earliest pending event.
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.discard_stale_top();
        self.heap.first().map(|e| e.time)
    }

    /// Removes and returns the earliest event if it is at or before `limit`.
    #[inline]
    pub fn pop_through(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        self.discard_stale_top();
        let top = self.heap.first()?;
        if top.time > limit {
            return None;
        }
        self.top_is_stale = true;
        Some((top.time, top.event))
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.discard_stale_top();
        let top = self.heap.first()?;
        self.top_is_stale = true;
        Some((top.time, top.event))
    }

    #[inline]
    fn discard_stale_top(&mut self) {
        if self.top_is_stale {
            self.top_is_stale = false;
            let last = self.heap.pop().expect("a stale top implies an entry");
            if !self.heap.is_empty() {
                self.sift_down_to_bottom(last);
            }
        }
    }

    /// Places `entry`, which is at `i`, where its parent is earlier.
    #[inline]
    fn sift_up(&mut self, mut i: usize, entry: Entry<E>) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if !entry.is_before(&self.heap[parent]) {
                break;
            }
            self.heap[i] = self.heap[parent];
            i = parent;
        }
        self.heap[i] = entry;
    }

    /// Puts `entry`, the heap's former last entry, in place of the top: the hole at the top
    /// goes down to a leaf along the earlier children (one comparison a level, not two, as
    /// the last entry nearly always belongs near the bottom), and `entry` rises from there.
    #[inline]
    fn sift_down_to_bottom(&mut self, entry: Entry<E>) {
        let heap = &mut self.heap[..];
        let len = heap.len();
        let mut i = 0;
        let mut left = 1;
        while left + 1 < len {
            let child = left + usize::from(heap[left + 1].is_before(&heap[left]));
            heap[i] = heap[child];
            i = child;
            left = 2 * i + 1;
        }
        if left < len {
            heap[i] = heap[left];
            i = left;
        }
        self.sift_up(i, entry);
    }

    /// Puts `entry` in place of the top and moves it down until no child is earlier.
    #[inline]
    fn sift_down(&mut self, entry: Entry<E>) {
        let heap = &mut self.heap[..];
        let len = heap.len();
        let mut i = 0;
        loop {
            let left = 2 * i + 1;
            if left + 1 < len {
                let child = left + usize::from(heap[left + 1].is_before(&heap[left]));
                if !heap[child].is_before(&entry) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            } else {
                if left < len && heap[left].is_before(&entry) {
                    heap[i] = heap[left];
                    i = left;
                }
                break;
            }
        }
        heap[i] = entry;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(us: u64) -> SimTime {
        SimTime::from_micros(us)
    }

    #[test]
    fn events_pop_in_time_order_and_ties_in_insertion_order() {
        let mut q = HeapQueue::new();
        q.push(t(5), 'a');
        q.push(t(1), 'b');
        q.push(t(5), 'c');
        q.push(t(1), 'd');
        q.push(t(3), 'e');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['b', 'd', 'e', 'a', 'c']);
        assert!(q.is_empty());
    }

    #[test]
    fn agrees_with_a_reference_heap_under_random_pushes_and_pops() {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut rng = crate::engine::RngFactory::new(3).stream("queue");
        let mut q = HeapQueue::new();
        let mut reference = BinaryHeap::new();
        let (mut now, mut seq) = (0u64, 0u64);
        for _ in 0..20_000 {
            // Bursts of pushes (many at the same instant) and runs of pops, so the heap
            // grows, shrinks and often holds ties.
            if rng.index(3) > 0 || reference.is_empty() {
                let at = now + [0, 0, 1, 5, 1_000][rng.index(5)] * rng.index(4) as u64;
                q.push(t(at), seq);
                reference.push(Reverse((at, seq)));
                seq += 1;
            } else {
                let Reverse((at, expected)) = reference.pop().unwrap();
                assert_eq!(q.pop(), Some((t(at), expected)));
                now = at;
            }
            assert_eq!(q.len(), reference.len());
        }
        while let Some(Reverse((at, expected))) = reference.pop() {
            assert_eq!(q.pop(), Some((t(at), expected)));
        }
        assert!(q.is_empty());
    }

    #[test]
    fn push_after_pop_reuses_the_top_and_keeps_order() {
        let mut q = HeapQueue::new();
        for i in 0..10 {
            q.push(t(i * 10), i);
        }
        assert_eq!(q.pop(), Some((t(0), 0)));
        assert_eq!(q.len(), 9);
        q.push(t(15), 100);
        assert_eq!(q.len(), 10);
        assert_eq!(q.pop(), Some((t(10), 1)));
        assert_eq!(q.pop(), Some((t(15), 100)));
        // A push earlier than everything still comes out first.
        q.push(t(16), 200);
        assert_eq!(q.pop(), Some((t(16), 200)));
        assert_eq!(q.peek_time(), Some(t(20)));
    }
}
