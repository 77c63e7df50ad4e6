//! The classic hold model, the standard workload for measuring an event queue: `pending`
//! events wait; each step pops the earliest and schedules a new one at now + Exp(1 s). Run
//! on the engine and, for comparison, on a bare `std::collections::BinaryHeap` loop with the
//! same ChaCha8 stream, so the engine's cost over the heap shows. Used by the criterion
//! benchmark and `examples/hold_model.rs`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{EventListKind, Handler, RngFactory, RunLimits, Scheduler, SimDuration, SimRng, SimTime, Simulation};

struct Hold {
    rng: SimRng,
}

impl Handler for Hold {
    type Event = ();
    #[inline]
    fn handle(&mut self, _: (), s: &mut Scheduler<()>) {
        s.schedule_in(SimDuration::from_secs_f64(self.rng.exp1()), ());
    }
}

/// Runs `events` steps of the hold model on the engine; returns the events handled.
pub fn on_engine(pending: usize, events: u64) -> u64 {
    on_engine_with(EventListKind::default(), pending, events)
}

/// [`on_engine`] on a chosen event list.
pub fn on_engine_with(kind: EventListKind, pending: usize, events: u64) -> u64 {
    let mut rng = RngFactory::new(1).stream("hold");
    let mut sim = Simulation::with_event_list(kind, pending);
    for _ in 0..pending {
        sim.scheduler().schedule_at(SimTime::ZERO + SimDuration::from_secs_f64(rng.exp1()), ());
    }
    sim.run(&mut Hold { rng }, RunLimits { horizon: SimTime::MAX, max_events: events }).events
}

/// Runs `events` steps of the hold model on a bare binary heap of (time, sequence); returns
/// the events handled.
pub fn on_bare_heap(pending: usize, events: u64) -> u64 {
    let mut rng = RngFactory::new(1).stream("hold");
    let mut heap = BinaryHeap::with_capacity(pending);
    let mut seq = 0u64;
    for _ in 0..pending {
        heap.push(Reverse((SimDuration::from_secs_f64(rng.exp1()).as_micros(), seq)));
        seq += 1;
    }
    for _ in 0..events {
        let Reverse((now, _)) = heap.pop().expect("the hold model never empties");
        heap.push(Reverse((now + SimDuration::from_secs_f64(rng.exp1()).as_micros(), seq)));
        seq += 1;
    }
    std::hint::black_box(&heap);
    events
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_loop_handles_every_step() {
        for kind in super::EventListKind::ALL {
            assert_eq!(super::on_engine_with(kind, 100, 10_000), 10_000);
        }
        assert_eq!(super::on_bare_heap(100, 10_000), 10_000);
    }
}
