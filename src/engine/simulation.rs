//! The run loop: pop the earliest event, advance the clock, call the handler.
//!
//! Handlers are plain synchronous functions on one thread, called directly: no executor, no
//! boxed closures per event. Parallelism belongs to sweeps (one run per task), never inside
//! a run. Every run is bounded by a horizon and an event cap and says why it stopped.

use super::event_list::{EventList, EventListKind};
use super::time::{SimDuration, SimTime};

/// A model (or a world of models) driven by the engine.
pub trait Handler {
    /// The event type; small and `Copy`, carrying ids rather than data.
    type Event: Copy;

    /// Reacts to one event at `scheduler.now()`, scheduling any follow-up events.
    fn handle(&mut self, event: Self::Event, scheduler: &mut Scheduler<Self::Event>);
}

/// What a handler may do to the future: read the clock, schedule events, declare that no
/// work is left.
#[derive(Debug)]
pub struct Scheduler<E> {
    now: SimTime,
    queue: EventList<E>,
    /// The time of the event held beside the list ([`Scheduler::schedule_next_at`]), or
    /// `u64::MAX` when the slot is free.
    slot_us: u64,
    /// The event held beside the list; read only while `slot_us` is not `u64::MAX`.
    slot_event: Option<E>,
    is_drain_declared: bool,
}

impl<E: Copy> Scheduler<E> {
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `time`, which must not be in the past (that would be a bug).
    #[inline]
    pub fn schedule_at(&mut self, time: SimTime, event: E) {
        assert!(time >= self.now, "event scheduled in the past: {time} < {}", self.now);
        self.push(time, event);
    }

    /// Schedules `event` after `delay`.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.push(self.now + delay, event);
    }

    /// Schedules `event` at `time` like [`Scheduler::schedule_at`], in the same order, for a
    /// source whose events come one at a time, each scheduling the next (a workload's next
    /// send): while the slot beside the event list is free, the event waits there and never
    /// goes through the list's push and pop, which is half of all pushes and pops on a
    /// queue fed by one workload. With the slot taken (several such sources), it goes into
    /// the list.
    #[inline(always)]
    pub fn schedule_next_at(&mut self, time: SimTime, event: E) {
        assert!(time >= self.now, "event scheduled in the past: {time} < {}", self.now);
        if self.slot_us == u64::MAX && time != SimTime::MAX {
            self.slot_us = time.as_micros();
            self.slot_event = Some(event);
        } else {
            self.push(time, event);
        }
    }

    /// Into the list, in (time, push order) with the slot's event: an event pushed at the
    /// slot's time comes after it, so the slot's event goes into the list first. Any entry
    /// of the list at the slot's time is therefore older than the slot's event, which is
    /// the rule [`Scheduler::pop_through`] takes them out by.
    #[inline(always)]
    fn push(&mut self, time: SimTime, event: E) {
        if time.as_micros() == self.slot_us {
            self.move_slot_into_list();
        }
        self.queue.push(time, event);
    }

    #[cold]
    #[inline(never)]
    fn move_slot_into_list(&mut self) {
        let event = self.slot_event.take().expect("a slot with a time holds an event");
        self.queue.push(SimTime::from_micros(self.slot_us), event);
        self.slot_us = u64::MAX;
    }

    /// Removes and returns the earliest event, of the list or the slot, if it is at or
    /// before `limit`; otherwise leaves both as they were. On a tie the list's entry comes
    /// first: it was pushed before the slot's event (see [`Scheduler::push`]).
    #[inline(always)]
    fn pop_through(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        let slot_us = self.slot_us;
        if let Some(popped) = self.queue.pop_through(SimTime::from_micros(limit.as_micros().min(slot_us))) {
            return Some(popped);
        }
        // A free slot's `u64::MAX` passes a limit of `SimTime::MAX`: its event tells.
        if slot_us <= limit.as_micros()
            && let Some(event) = self.slot_event.take()
        {
            self.slot_us = u64::MAX;
            return Some((SimTime::from_micros(slot_us), event));
        }
        None
    }

    /// Ends the run after the current event, with [`StopReason::Drained`]: the handler knows
    /// that nothing it still has scheduled can change the outcome (for example only idle
    /// pollers are left).
    pub fn declare_drained(&mut self) {
        self.is_drain_declared = true;
    }

    /// Number of pending events.
    pub fn pending(&self) -> usize {
        self.queue.len() + usize::from(self.slot_us != u64::MAX)
    }
}

/// Bounds on one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunLimits {
    /// No event later than this is handled; a run that reaches it ends with its clock here.
    pub horizon: SimTime,
    /// At most this many events are handled.
    pub max_events: u64,
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// No events were left, or the handler declared that no work was left.
    Drained,
    /// The next event lay beyond the horizon.
    Horizon,
    /// The event cap was reached.
    EventCap,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Drained => "drained",
            StopReason::Horizon => "horizon",
            StopReason::EventCap => "event_cap",
        }
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    pub stop_reason: StopReason,
    /// The clock at the end: the last event's time, or the horizon if it was reached.
    pub end_time: SimTime,
    /// Events handled.
    pub events: u64,
}

/// An event queue plus the clock; drives one [`Handler`].
#[derive(Debug)]
pub struct Simulation<E> {
    scheduler: Scheduler<E>,
}

impl<E: Copy> Default for Simulation<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> Simulation<E> {
    pub fn new() -> Self {
        Self::with_capacity(1024)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_event_list(EventListKind::default(), capacity)
    }

    /// A simulation on a chosen event list; results are the same with each (benchmarks and
    /// the equivalence tests compare them).
    pub fn with_event_list(kind: EventListKind, capacity: usize) -> Self {
        Simulation {
            scheduler: Scheduler {
                now: SimTime::ZERO,
                queue: EventList::new(kind, capacity),
                slot_us: u64::MAX,
                slot_event: None,
                is_drain_declared: false,
            },
        }
    }

    /// Access for seeding the initial events before [`Simulation::run`].
    pub fn scheduler(&mut self) -> &mut Scheduler<E> {
        &mut self.scheduler
    }

    pub fn now(&self) -> SimTime {
        self.scheduler.now
    }

    /// Runs until the queue drains, the handler declares it drained, the horizon or the
    /// event cap.
    pub fn run<H: Handler<Event = E>>(&mut self, handler: &mut H, limits: RunLimits) -> RunOutcome {
        let s = &mut self.scheduler;
        let mut events: u64 = 0;
        let stop_reason = loop {
            if s.is_drain_declared {
                break StopReason::Drained;
            }
            if events >= limits.max_events {
                break StopReason::EventCap;
            }
            // An event past the horizon stays queued, untouched: the list's clock stays
            // behind the horizon, where anything still scheduled after the run may land.
            let Some((time, event)) = s.pop_through(limits.horizon) else {
                if s.pending() == 0 {
                    break StopReason::Drained;
                }
                s.now = limits.horizon;
                break StopReason::Horizon;
            };
            s.now = time;
            events += 1;
            handler.handle(event, s);
        };
        RunOutcome { stop_reason, end_time: s.now, events }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy model that proves the engine needs no AWS: two players pass a ball back and
    /// forth, each holding it for a fixed time, and record who had it when.
    struct PingPong {
        hold: [SimDuration; 2],
        log: Vec<(u64, u8)>,
        rallies_left: u32,
    }

    impl Handler for PingPong {
        type Event = u8;
        fn handle(&mut self, player: u8, s: &mut Scheduler<u8>) {
            self.log.push((s.now().as_micros(), player));
            if self.rallies_left == 0 {
                return;
            }
            self.rallies_left -= 1;
            s.schedule_in(self.hold[usize::from(player)], 1 - player);
        }
    }

    fn ping_pong(rallies: u32) -> PingPong {
        PingPong {
            hold: [SimDuration::from_micros(3), SimDuration::from_micros(5)],
            log: Vec::new(),
            rallies_left: rallies,
        }
    }

    fn unbounded() -> RunLimits {
        RunLimits { horizon: SimTime::MAX, max_events: u64::MAX }
    }

    #[test]
    fn ping_pong_alternates_and_drains() {
        let mut sim = Simulation::new();
        sim.scheduler().schedule_at(SimTime::ZERO, 0u8);
        let mut model = ping_pong(4);
        let out = sim.run(&mut model, unbounded());
        assert_eq!(model.log, vec![(0, 0), (3, 1), (8, 0), (11, 1), (16, 0)]);
        assert_eq!(out.stop_reason, StopReason::Drained);
        assert_eq!(out.events, 5);
        assert_eq!(out.end_time, SimTime::from_micros(16));
    }

    #[test]
    fn horizon_stops_the_run_with_the_clock_at_the_horizon() {
        let mut sim = Simulation::new();
        sim.scheduler().schedule_at(SimTime::ZERO, 0u8);
        let mut model = ping_pong(1000);
        let horizon = SimTime::from_micros(10);
        let out = sim.run(&mut model, RunLimits { horizon, ..unbounded() });
        assert_eq!(out.stop_reason, StopReason::Horizon);
        assert_eq!(out.end_time, horizon);
        assert_eq!(model.log.len(), 3);
        assert_eq!(sim.scheduler().pending(), 1, "the event past the horizon stays queued");
    }

    #[test]
    fn event_cap_stops_the_run() {
        let mut sim = Simulation::new();
        sim.scheduler().schedule_at(SimTime::ZERO, 0u8);
        let mut model = ping_pong(1000);
        let out = sim.run(&mut model, RunLimits { max_events: 7, ..unbounded() });
        assert_eq!(out.stop_reason, StopReason::EventCap);
        assert_eq!(out.events, 7);
    }

    fn scheduler(kind: EventListKind) -> Scheduler<u32> {
        Simulation::with_event_list(kind, 0).scheduler
    }

    fn pop_all(s: &mut Scheduler<u32>) -> Vec<(u64, u32)> {
        std::iter::from_fn(|| s.pop_through(SimTime::MAX).map(|(t, e)| (t.as_micros(), e))).collect()
    }

    #[test]
    fn an_event_pushed_at_the_slots_time_comes_after_it_and_one_pushed_before_comes_first() {
        for kind in EventListKind::ALL {
            let mut s = scheduler(kind);
            s.schedule_at(SimTime::from_micros(10), 1);
            s.schedule_next_at(SimTime::from_micros(10), 2);
            assert_eq!(s.queue.len(), 1, "the slot holds the event");
            s.schedule_at(SimTime::from_micros(10), 3);
            s.schedule_at(SimTime::from_micros(5), 4);
            assert_eq!(pop_all(&mut s), vec![(5, 4), (10, 1), (10, 2), (10, 3)], "{kind:?}");
            assert_eq!(s.pending(), 0);
        }
    }

    #[test]
    fn the_slots_event_waits_behind_a_limit_and_a_second_one_goes_into_the_list() {
        let mut s = scheduler(EventListKind::default());
        s.schedule_next_at(SimTime::from_micros(20), 1);
        s.schedule_next_at(SimTime::from_micros(20), 2);
        s.schedule_next_at(SimTime::from_micros(15), 3);
        assert_eq!(s.pending(), 3);
        assert_eq!(s.pop_through(SimTime::from_micros(14)), None);
        assert_eq!(s.pending(), 3);
        assert_eq!(pop_all(&mut s), vec![(15, 3), (20, 1), (20, 2)]);
    }

    proptest::proptest! {
        /// Pushes through the list and the slot at the clock plus small delays (many ties),
        /// and pops, sometimes with a limit before the next event: every list with the slot
        /// gives what a binary heap on (time, push order) gives.
        #[test]
        fn the_slot_keeps_time_and_push_order_with_every_list(
            steps in proptest::collection::vec((0u8..10, 0u64..4), 0..2_000)
        ) {
            for kind in EventListKind::ALL {
                let mut s = scheduler(kind);
                let mut reference = std::collections::BinaryHeap::new();
                let mut id = 0u32;
                for &(op, delay) in &steps {
                    let at = SimTime::from_micros(s.now.as_micros() + delay);
                    if op < 6 {
                        if op < 3 { s.schedule_next_at(at, id) } else { s.schedule_at(at, id) }
                        reference.push(std::cmp::Reverse((at.as_micros(), id)));
                        id += 1;
                        continue;
                    }
                    let limit = if op == 9 { s.now.as_micros() + delay } else { u64::MAX };
                    let expected = match reference.peek() {
                        Some(&std::cmp::Reverse((t, e))) if t <= limit => {
                            reference.pop();
                            Some((t, e))
                        }
                        _ => None,
                    };
                    let popped = s.pop_through(SimTime::from_micros(limit)).map(|(t, e)| (t.as_micros(), e));
                    proptest::prop_assert_eq!(popped, expected, "{:?}", kind);
                    if let Some((t, _)) = popped {
                        s.now = SimTime::from_micros(t);
                    }
                    proptest::prop_assert_eq!(s.pending(), reference.len());
                }
                let rest: Vec<(u64, u32)> =
                    std::iter::from_fn(|| reference.pop().map(|std::cmp::Reverse(x)| x)).collect();
                proptest::prop_assert_eq!(pop_all(&mut s), rest);
            }
        }
    }

    #[test]
    fn a_handler_can_declare_the_run_drained() {
        struct Quitter;
        impl Handler for Quitter {
            type Event = ();
            fn handle(&mut self, _: (), s: &mut Scheduler<()>) {
                s.schedule_in(SimDuration::from_micros(1), ());
                if s.now() == SimTime::from_micros(3) {
                    s.declare_drained();
                }
            }
        }
        let mut sim = Simulation::new();
        sim.scheduler().schedule_at(SimTime::ZERO, ());
        let out = sim.run(&mut Quitter, unbounded());
        assert_eq!(out.stop_reason, StopReason::Drained);
        assert_eq!(out.events, 4);
        assert_eq!(out.end_time, SimTime::from_micros(3));
    }
}
