//! The future-event list: a binary min-heap ordered by (time, insertion sequence).
//!
//! Ties at the same instant pop in the order they were scheduled, which makes every run
//! reproducible. Two details keep it as fast as a bare `BinaryHeap` loop:
//! - an entry is the time, a sequence number and the event itself, with no boxing; with a
//!   zero-sized or 8-byte event an entry is 16 or 24 bytes;
//! - `pop` leaves the popped entry in place until the next operation, so the common
//!   "handle one event, schedule one" step becomes one in-place replace of the top and one
//!   sift-down (`PeekMut`) instead of a pop and a push.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;

use super::time::SimTime;

/// A priority queue of events ordered by time, then by insertion order.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    /// True when the top of `heap` was already handed out by `pop` and is logically gone.
    top_is_stale: bool,
}

#[derive(Debug)]
struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(capacity), next_seq: 0, top_is_stale: false }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() - usize::from(self.top_is_stale)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds an event; among events at the same time it pops after all earlier-scheduled ones.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let entry = Entry { time, seq: self.next_seq, event };
        self.next_seq += 1;
        if self.top_is_stale {
            self.top_is_stale = false;
            // Overwriting the logically removed top and sifting down restores the heap
            // whatever the new entry's key is.
            let mut top = self.heap.peek_mut().expect("a stale top implies an entry");
            *top = entry;
        } else {
            self.heap.push(entry);
        }
    }

    /// The time of the earliest pending event.
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.discard_stale_top();
        self.heap.peek().map(|e| e.time)
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)>
    where
        E: Copy,
    {
        self.discard_stale_top();
        let top = self.heap.peek()?;
        self.top_is_stale = true;
        Some((top.time, top.event))
    }

    #[inline]
    fn discard_stale_top(&mut self) {
        if self.top_is_stale {
            self.top_is_stale = false;
            if let Some(top) = self.heap.peek_mut() {
                PeekMut::pop(top);
            }
        }
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed, because `BinaryHeap` is a max-heap and we want the earliest first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.time.cmp(&self.time).then_with(|| other.seq.cmp(&self.seq))
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
        let mut q = EventQueue::new();
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
    fn push_after_pop_reuses_the_top_and_keeps_order() {
        let mut q = EventQueue::new();
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
