//! A min-queue of deadlines that is cheap when deadlines arrive in order.
//!
//! Models keep many timers of one length: a queue's long polls all wait the same 20 s, a
//! queue's delay is one number. Such deadlines are created in time order, so a FIFO holds
//! them sorted for free; a binary heap would instead pay a logarithmic, cache-missing sift
//! on every push and pop, and with lazily cancelled timers (a long poll served early stays
//! listed until its deadline) the heap is as long as the timer, not as the live set. Here a
//! deadline at or after the last one listed goes to the FIFO; only one that comes earlier
//! (a shorter timer among longer ones) goes to a heap. The earliest of both fronts is the
//! minimum.
//!
//! Order is (time, item): among equal times the smaller item comes first, as in a heap of
//! pairs, provided items listed at one instant are pushed in increasing order (the FIFO keeps
//! insertion order among equal times). Callers that key items by a counter get this for free.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use super::SimTime;

/// Deadlines with an item each, popped earliest first.
#[derive(Debug, Clone)]
pub struct Deadlines<T> {
    in_order: VecDeque<(SimTime, T)>,
    out_of_order: BinaryHeap<Reverse<(SimTime, T)>>,
}

impl<T: Ord + Copy> Default for Deadlines<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Ord + Copy> Deadlines<T> {
    pub fn new() -> Self {
        Deadlines { in_order: VecDeque::new(), out_of_order: BinaryHeap::new() }
    }

    /// Number of listed deadlines.
    pub fn len(&self) -> usize {
        self.in_order.len() + self.out_of_order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lists `item` for `at`.
    #[inline]
    pub fn push(&mut self, at: SimTime, item: T) {
        match self.in_order.back() {
            Some(&last) if (at, item) < last => self.out_of_order.push(Reverse((at, item))),
            _ => self.in_order.push_back((at, item)),
        }
    }

    /// The earliest deadline and its item.
    #[inline]
    pub fn peek(&self) -> Option<(SimTime, T)> {
        match (self.in_order.front(), self.out_of_order.peek()) {
            (Some(&a), Some(&Reverse(b))) => Some(a.min(b)),
            (Some(&a), None) => Some(a),
            (None, Some(&Reverse(b))) => Some(b),
            (None, None) => None,
        }
    }

    /// Drops the oldest in-order entry if it is `item`'s: a timer cancelled early, when it
    /// is the oldest one running, leaves the list at once instead of at its deadline (the
    /// first long poll waiting is the first one served). Returns whether it did.
    #[inline]
    pub fn cancel_oldest(&mut self, item: T) -> bool {
        let is_oldest = self.in_order.front().is_some_and(|&(_, i)| i == item);
        if is_oldest {
            self.in_order.pop_front();
        }
        is_oldest
    }

    /// Removes and returns the earliest deadline and its item.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, T)> {
        let from_heap = match (self.in_order.front(), self.out_of_order.peek()) {
            (Some(&a), Some(&Reverse(b))) => b < a,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => return None,
        };
        if from_heap { self.out_of_order.pop().map(|Reverse(d)| d) } else { self.in_order.pop_front() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{RngFactory, SimDuration};

    fn t(us: u64) -> SimTime {
        SimTime::from_micros(us)
    }

    #[test]
    fn pops_in_time_then_item_order_whatever_the_push_order() {
        let mut d = Deadlines::new();
        for (at, item) in [(5, 1), (7, 2), (3, 3), (7, 4), (5, 5), (1, 6), (9, 7)] {
            d.push(t(at), item);
        }
        let order: Vec<_> = std::iter::from_fn(|| d.pop()).collect();
        assert_eq!(order, [(1, 6), (3, 3), (5, 1), (5, 5), (7, 2), (7, 4), (9, 7)].map(|(a, i)| (t(a), i)));
        assert!(d.is_empty());
    }

    #[test]
    fn cancelling_the_oldest_removes_only_it() {
        let mut d = Deadlines::new();
        d.push(t(10), 1);
        d.push(t(20), 2);
        assert!(!d.cancel_oldest(2), "not the oldest");
        assert!(d.cancel_oldest(1));
        assert_eq!(d.pop(), Some((t(20), 2)));
        assert!(!d.cancel_oldest(2));
    }

    #[test]
    fn agrees_with_a_heap_on_mixed_timer_lengths() {
        // Two timer lengths interleaved, as two groups of long polls with different waits.
        let mut rng = RngFactory::new(7).stream("deadlines");
        let mut d = Deadlines::new();
        let mut heap = BinaryHeap::new();
        let mut now = SimTime::ZERO;
        for item in 0u64..5_000 {
            now += SimDuration::from_micros(rng.index(1_000) as u64);
            let length = if rng.index(4) == 0 { 1_000_000 } else { 20_000_000 };
            let at = now + SimDuration::from_micros(length);
            d.push(at, item);
            heap.push(Reverse((at, item)));
            if rng.index(3) == 0 {
                assert_eq!(d.peek(), heap.peek().map(|r| r.0));
                assert_eq!(d.pop(), heap.pop().map(|r| r.0));
            }
            assert_eq!(d.len(), heap.len());
        }
        while let Some(Reverse(expected)) = heap.pop() {
            assert_eq!(d.pop(), Some(expected));
        }
        assert_eq!(d.pop(), None);
    }
}
