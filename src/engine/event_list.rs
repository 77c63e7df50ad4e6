//! The future-event list a simulation uses: the hybrid (a short sorted list while few events
//! are pending, a radix heap while many are), or, for benchmarks that compare them, the radix
//! heap alone, the calendar queue or the binary heap the engine used before.
//!
//! All four give events in (time, push order) exactly, so a run's results do not depend on
//! the choice; only its speed does. The choice is made once per simulation. The radix heap's
//! operations, alone or in the hybrid, are inlined into the run loop and the handlers; so is
//! the take of the hybrid's short list, a few instructions. Its push sits behind one direct
//! call, and the lists that are only measured behind a call and a dispatch on their kind:
//! measured on the M/M/c scenario, the binary heap the hybrid used before inlined at every
//! place a handler schedules made the run slower than the same heap behind a call (the
//! handlers' code grows, and the popped entry came back through memory in pieces).

use super::binary_heap::HeapQueue;
use super::calendar::CalendarQueue;
use super::hybrid::HybridList;
use super::radix_heap::RadixHeap;
use super::time::SimTime;

/// Which event list a [`super::Simulation`] keeps. Not a scenario setting: results are the
/// same with each; benchmarks and the equivalence tests pick one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EventListKind {
    /// A short sorted list while few events are pending, a radix heap while many are
    /// (`hybrid.rs`): the fastest measured, at a dozen pending events as at 100,000.
    #[default]
    Hybrid,
    /// A radix heap on integer microseconds alone (`radix_heap.rs`): the default before the
    /// hybrid, slower with few pending events.
    RadixHeap,
    /// A calendar queue with Brown's resizing (`calendar.rs`).
    Calendar,
    /// A binary heap on (time, sequence) (`binary_heap.rs`): the engine's list before.
    BinaryHeap,
}

impl EventListKind {
    pub const ALL: [EventListKind; 4] =
        [EventListKind::Hybrid, EventListKind::RadixHeap, EventListKind::Calendar, EventListKind::BinaryHeap];

    pub fn as_str(self) -> &'static str {
        match self {
            EventListKind::Hybrid => "hybrid",
            EventListKind::RadixHeap => "radix_heap",
            EventListKind::Calendar => "calendar",
            EventListKind::BinaryHeap => "binary_heap",
        }
    }
}

/// Pending events in (time, push order).
#[derive(Debug)]
pub enum EventList<E> {
    Hybrid(HybridList<E>),
    RadixHeap(RadixHeap<E>),
    Calendar(CalendarQueue<E>),
    BinaryHeap(HeapQueue<E>),
}

impl<E: Copy> EventList<E> {
    pub fn new(kind: EventListKind, capacity: usize) -> Self {
        match kind {
            EventListKind::Hybrid => EventList::Hybrid(HybridList::with_capacity(capacity)),
            EventListKind::RadixHeap => EventList::RadixHeap(RadixHeap::with_capacity(capacity)),
            EventListKind::Calendar => EventList::Calendar(CalendarQueue::with_capacity(capacity)),
            EventListKind::BinaryHeap => EventList::BinaryHeap(HeapQueue::with_capacity(capacity)),
        }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        match self {
            EventList::Hybrid(q) => q.len(),
            EventList::RadixHeap(q) => q.len(),
            EventList::Calendar(q) => q.len(),
            EventList::BinaryHeap(q) => q.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds an event; it must not be before the latest event taken out.
    #[inline(always)]
    pub fn push(&mut self, time: SimTime, event: E) {
        match self {
            EventList::Hybrid(q) if q.is_radix() => q.push_radix(time.as_micros(), event),
            // A direct call, not a second dispatch on the list's kind (a jump table).
            EventList::Hybrid(q) => q.push_short(time.as_micros(), event),
            EventList::RadixHeap(q) => q.push(time.as_micros(), event),
            _ => self.push_by_call(time, event),
        }
    }

    /// Removes and returns the earliest event if it is at or before `limit`; otherwise
    /// leaves the list as it was.
    #[inline(always)]
    pub fn pop_through(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        match self {
            EventList::Hybrid(q) if q.is_radix() => {
                q.pop_through_radix(limit.as_micros()).map(|(t, e)| (SimTime::from_micros(t), e))
            }
            // Taking the last entry of the short list is a few instructions: inlined.
            EventList::Hybrid(q) => q.pop_through_short(limit.as_micros()).map(|(t, e)| (SimTime::from_micros(t), e)),
            EventList::RadixHeap(q) => q.pop_through(limit.as_micros()).map(|(t, e)| (SimTime::from_micros(t), e)),
            _ => self.pop_through_by_call(limit),
        }
    }

    /// The lists that are only measured.
    #[inline(never)]
    fn push_by_call(&mut self, time: SimTime, event: E) {
        match self {
            EventList::Hybrid(q) => q.push(time.as_micros(), event),
            EventList::RadixHeap(q) => q.push(time.as_micros(), event),
            EventList::Calendar(q) => q.push(time.as_micros(), event),
            EventList::BinaryHeap(q) => q.push(time, event),
        }
    }

    #[inline(never)]
    fn pop_through_by_call(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        match self {
            EventList::Hybrid(q) => q.pop_through(limit.as_micros()).map(|(t, e)| (SimTime::from_micros(t), e)),
            EventList::RadixHeap(q) => q.pop_through(limit.as_micros()).map(|(t, e)| (SimTime::from_micros(t), e)),
            EventList::Calendar(q) => q.pop_through(limit.as_micros()).map(|(t, e)| (SimTime::from_micros(t), e)),
            EventList::BinaryHeap(q) => q.pop_through(limit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A random schedule: each step pushes a few events at the clock plus small delays
    /// (many ties, and delays of every scale from 0 to hours) or takes one out, sometimes
    /// with a limit before the next event.
    fn replay(kind: EventListKind, steps: &[(u8, u64, u8)]) -> Vec<(u64, u32)> {
        let mut list = EventList::new(kind, 0);
        let (mut now, mut id, mut out) = (0u64, 0u32, Vec::new());
        for &(op, delay, count) in steps {
            if op < 5 {
                for k in 0..u64::from(count % 5) {
                    let at = now + (delay >> (k * 13)) % [1, 3, 1_000, 1 << 40][usize::from(op % 4)];
                    list.push(SimTime::from_micros(at), id);
                    id += 1;
                }
            } else {
                let limit = if op == 9 { now + delay % 100 } else { u64::MAX };
                if let Some((t, e)) = list.pop_through(SimTime::from_micros(limit)) {
                    now = t.as_micros();
                    out.push((now, e));
                } else {
                    out.push((u64::MAX, list.len() as u32));
                }
            }
        }
        while let Some((t, e)) = list.pop_through(SimTime::MAX) {
            out.push((t.as_micros(), e));
        }
        assert!(list.is_empty());
        out
    }

    proptest! {
        #[test]
        fn every_list_pops_what_the_binary_heap_pops(
            steps in proptest::collection::vec((0u8..10, any::<u64>(), any::<u8>()), 0..3_000)
        ) {
            let reference = replay(EventListKind::BinaryHeap, &steps);
            prop_assert_eq!(&replay(EventListKind::Hybrid, &steps), &reference);
            prop_assert_eq!(&replay(EventListKind::RadixHeap, &steps), &reference);
            prop_assert_eq!(&replay(EventListKind::Calendar, &steps), &reference);
        }
    }

    #[test]
    fn a_large_hold_schedule_pops_the_same_from_every_list() {
        let mut rng = crate::engine::RngFactory::new(7).stream("event_list");
        let steps: Vec<(u8, u64, u8)> = (0..200_000)
            .map(|i| {
                if i < 50_000 {
                    (3, rng.index(1 << 30) as u64, 1)
                } else {
                    (if i % 2 == 0 { 3 } else { 7 }, rng.index(1 << 24) as u64, 1)
                }
            })
            .collect();
        let reference = replay(EventListKind::BinaryHeap, &steps);
        assert_eq!(replay(EventListKind::Hybrid, &steps), reference);
        assert_eq!(replay(EventListKind::RadixHeap, &steps), reference);
        assert_eq!(replay(EventListKind::Calendar, &steps), reference);
    }
}
