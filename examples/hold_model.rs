//! The classic hold model on orchsim's engine: N pending events; each step pops the earliest
//! and schedules a new one at now + Exp(1 s). Prints events per second for the engine on its
//! default event list (the hybrid of a binary heap and a radix heap), on each alternative it
//! was measured against (the radix heap alone, the calendar queue and the binary heap the
//! engine used before), and, for comparison, for a bare `std::collections::BinaryHeap` loop
//! with the same ChaCha8 stream. `--list NAME` runs only that list (and no bare loop), for
//! counting its instructions under callgrind or timing it as a whole process; `--list bare`
//! runs only the bare loop, the yardstick for such a timing.
//!
//! cargo run --release --example hold_model -- --pending 1000 --events 50000000
//! valgrind --tool=callgrind ./target/release/examples/hold_model --pending 12 --events 1000000 --list hybrid

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
    let only = args.iter().position(|a| a == "--list").and_then(|i| args.get(i + 1));
    if only.is_some_and(|name| name == "bare") {
        let r = rate(hold::on_bare_heap, pending, events);
        println!("hold model, {pending} pending, {events} events: bare BinaryHeap {:.2} M events/s", r / 1e6);
        return;
    }
    if let Some(name) = only {
        let Some(kind) = EventListKind::ALL.into_iter().find(|k| k.as_str() == name) else {
            eprintln!("unknown event list {name}: hybrid, radix_heap, calendar, binary_heap or bare");
            std::process::exit(2);
        };
        let r = rate(|p, e| hold::on_engine_with(kind, p, e), pending, events);
        println!("hold model, {pending} pending, {events} events: engine, {} {:.2} M events/s", kind.as_str(), r / 1e6);
        return;
    }
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
