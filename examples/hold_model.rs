//! The classic hold model on orchsim's engine: N pending events; each step pops the earliest
//! and schedules a new one at now + Exp(1 s). Prints events per second for the engine and,
//! for comparison, for a bare `std::collections::BinaryHeap` loop with the same ChaCha8
//! stream: the engine should cost nothing over it.
//!
//! cargo run --release --example hold_model -- --pending 1000 --events 50000000

use std::time::Instant;

use orchsim::engine::hold;

/// Events per second of one run (the few pending events set up first are negligible).
fn rate(run: fn(usize, u64) -> u64, pending: usize, events: u64) -> f64 {
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
    let e = rate(hold::on_engine, pending, events);
    let b = rate(hold::on_bare_heap, pending, events);
    println!("hold model, {pending} pending, {events} events");
    println!("orchsim engine      {:>8.2} M events/s", e / 1e6);
    println!("bare BinaryHeap     {:>8.2} M events/s", b / 1e6);
    println!("engine / bare       {:>8.2}", e / b);
}
