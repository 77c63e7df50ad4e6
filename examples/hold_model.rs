//! The classic hold model on orchsim's engine: N pending events; each step pops the earliest
//! and schedules a new one at now + Exp(1 s). Prints events per second for the engine and,
//! for comparison, for a bare `std::collections::BinaryHeap` loop with the same ChaCha8
//! stream: the engine should cost nothing over it.
//!
//! cargo run --release --example hold_model -- --pending 1000 --events 50000000

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use orchsim::engine::{Handler, RngFactory, RunLimits, Scheduler, SimDuration, SimRng, SimTime, Simulation};

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

fn engine(pending: usize, events: u64) -> f64 {
    let mut rng = RngFactory::new(1).stream("hold");
    let mut sim = Simulation::with_capacity(pending);
    for _ in 0..pending {
        sim.scheduler().schedule_at(SimTime::ZERO + SimDuration::from_secs_f64(rng.exp1()), ());
    }
    let mut model = Hold { rng };
    let start = Instant::now();
    let out = sim.run(&mut model, RunLimits { horizon: SimTime::MAX, max_events: events });
    assert_eq!(out.events, events);
    events as f64 / start.elapsed().as_secs_f64()
}

fn bare_heap(pending: usize, events: u64) -> f64 {
    let mut rng = RngFactory::new(1).stream("hold");
    let mut heap = BinaryHeap::with_capacity(pending);
    let mut seq = 0u64;
    for _ in 0..pending {
        heap.push(Reverse((SimDuration::from_secs_f64(rng.exp1()).as_micros(), seq)));
        seq += 1;
    }
    let start = Instant::now();
    for _ in 0..events {
        let Reverse((now, _)) = heap.pop().expect("the hold model never empties");
        heap.push(Reverse((now + SimDuration::from_secs_f64(rng.exp1()).as_micros(), seq)));
        seq += 1;
    }
    std::hint::black_box(&heap);
    events as f64 / start.elapsed().as_secs_f64()
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.replace('_', "").parse().unwrap_or_else(|_| panic!("{name} takes a whole number")))
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pending = arg(&args, "--pending", 1_000) as usize;
    let events = arg(&args, "--events", 20_000_000);
    let e = engine(pending, events);
    let b = bare_heap(pending, events);
    println!("hold model, {pending} pending, {events} events");
    println!("orchsim engine      {:>8.2} M events/s", e / 1e6);
    println!("bare BinaryHeap     {:>8.2} M events/s", b / 1e6);
    println!("engine / bare       {:>8.2}", e / b);
}
