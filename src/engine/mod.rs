//! The discrete-event engine: virtual time, the event queue, seeded random streams and the
//! run loop.
//!
//! It knows nothing about AWS. A model plugs in by implementing [`Handler`]; the engine pops
//! the earliest event, advances the clock and calls the handler, which may schedule more
//! events. Everything here is deterministic: integer time, ties broken by insertion order,
//! and random streams derived from the run seed by stable name.

mod binary_heap;
mod calendar;
mod deadlines;
mod event_list;
pub mod hold;
mod hybrid;
pub mod memory;
mod radix_heap;
mod rng;
mod short_list;
mod simulation;
mod time;

pub use deadlines::Deadlines;
pub use event_list::{EventList, EventListKind};
pub use rng::{RngFactory, SimRng};
pub use simulation::{Handler, RunLimits, RunOutcome, Scheduler, Simulation, StopReason};
pub use time::{SimDuration, SimTime};
