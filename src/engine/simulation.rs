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
        self.queue.push(time, event);
    }

    /// Schedules `event` after `delay`.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.queue.push(self.now + delay, event);
    }

    /// Ends the run after the current event, with [`StopReason::Drained`]: the handler knows
    /// that nothing it still has scheduled can change the outcome (for example only idle
    /// pollers are left).
    pub fn declare_drained(&mut self) {
        self.is_drain_declared = true;
    }

    /// Number of pending events.
    pub fn pending(&self) -> usize {
        self.queue.len()
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
            let Some((time, event)) = s.queue.pop_through(limits.horizon) else {
                if s.queue.is_empty() {
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
