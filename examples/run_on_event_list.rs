//! Runs one scenario on a chosen event list and prints its event count and a digest of its
//! summary, so that whole models can be timed on each list (the results are the same).
//!
//! cargo run --release --example run_on_event_list -- binary_heap scenarios/mmc_erlang_c.toml run.horizon_s=1200000

use orchsim::engine::EventListKind;
use orchsim::scenario::Scenario;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [kind, path, overrides @ ..] = args.as_slice() else {
        eprintln!("usage: run_on_event_list hybrid|radix_heap|calendar|binary_heap SCENARIO [KEY=VALUE ...]");
        std::process::exit(2);
    };
    let Some(kind) = EventListKind::ALL.into_iter().find(|k| k.as_str() == kind) else {
        eprintln!("unknown event list {kind}: hybrid, radix_heap, calendar or binary_heap");
        std::process::exit(2);
    };
    let scenario = Scenario::load(std::path::Path::new(path), overrides).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    let result = orchsim::run::run_on(kind, &scenario).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    let summary = orchsim::report::summary_json(&scenario, &result);
    println!("{} events on {}, summary.json of {} bytes", result.outcome.events, kind.as_str(), summary.len());
}
