//! The classic hold model on orchsim's engine: N pending events; each step pops the earliest
//! and schedules a new one at now + Exp(1 s). Prints events per second for the engine on its
//! default event list (the radix heap), on each alternative it was measured against (the
//! calendar queue and the binary heap it replaced), and, for comparison, for a bare
//! `std::collections::BinaryHeap` loop with the same ChaCha8 stream.
//!
//! cargo run --release --example hold_model -- --pending 1000 --events 50000000

use std::time::Instant;

use orchsim::engine::{EventListKind, hold};

/// Events per second of one run (the few pending events set up first are negligible).
fn rate(run: impl Fn(usize, u64) -> u64, pending: usize, events: u64) -> f64 {
    let start = Instant::now();
    assert_eq!(run(pending, events), events);
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
    let engine: Vec<(EventListKind, f64)> = EventListKind::ALL
        .iter()
        .map(|&kind| (kind, rate(|p, e| hold::on_engine_with(kind, p, e), pending, events)))
        .collect();
    let bare = rate(hold::on_bare_heap, pending, events);
    println!("hold model, {pending} pending, {events} events");
    for &(kind, r) in &engine {
        let default = if kind == EventListKind::default() { " (default)" } else { "" };
        println!(
            "engine, {:<22} {:>8.2} M events/s, {:.2}x bare",
            format!("{}{default}", kind.as_str()),
            r / 1e6,
            r / bare
        );
    }
    println!("bare BinaryHeap                {:>8.2} M events/s", bare / 1e6);
}
