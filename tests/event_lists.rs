//! The event list changes the speed of a run, never its results: every shipped scenario
//! gives the same bytes, every file of its report, on the hybrid (the default: a binary heap
//! while few events are pending, a radix heap while many are), the radix heap alone, the
//! calendar queue and the binary heap the engine used before.
//!
//! Horizons over two hours are cut to two hours (warm-ups over a quarter of that to a
//! quarter) to keep the test short; the lists are compared event by event on random
//! schedules in the engine's own tests, and a full horizon changes only how long the same
//! code runs.

mod common;

use std::fs;

use common::{load, repo};
use orchsim::engine::EventListKind;
use orchsim::report;
use orchsim::run;

const HORIZON_S_MAX: f64 = 7_200.0;

/// The `[run]` value of `key` in a scenario's text, if it sets it.
fn seconds(text: &str, key: &str) -> Option<f64> {
    text.lines().find_map(|line| line.trim().strip_prefix(key)?.trim().strip_prefix('=')?.trim().parse().ok())
}

#[test]
fn every_shipped_scenario_gives_the_same_bytes_on_every_event_list() {
    let mut files: Vec<_> = fs::read_dir(repo().join("scenarios"))
        .expect("the scenarios folder")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 18, "the shipped scenarios: {files:?}");
    for path in files {
        let text = fs::read_to_string(&path).expect("a shipped scenario");
        let mut overrides = Vec::new();
        if seconds(&text, "horizon_s").is_some_and(|h| h > HORIZON_S_MAX) {
            overrides.push(format!("run.horizon_s={HORIZON_S_MAX}"));
            if seconds(&text, "warmup_s").is_some_and(|w| w > HORIZON_S_MAX / 4.0) {
                overrides.push(format!("run.warmup_s={}", HORIZON_S_MAX / 4.0));
            }
        }
        let overrides: Vec<&str> = overrides.iter().map(String::as_str).collect();
        let scenario = load(&path, &overrides);
        let render = |kind: EventListKind| {
            let result = run::run_on(kind, &scenario).expect("within the memory budget");
            let rendered = report::render(&scenario, &result, &[]);
            let mut files: Vec<(String, Vec<u8>)> =
                rendered.files.into_iter().map(|(name, text)| (name, text.into_bytes())).collect();
            files.extend(rendered.binary);
            (result.outcome.events, files)
        };
        let (events, reference) = render(EventListKind::BinaryHeap);
        assert!(events > 0, "{}: no event handled", path.display());
        for kind in [EventListKind::Hybrid, EventListKind::RadixHeap, EventListKind::Calendar] {
            let (other_events, files) = render(kind);
            assert_eq!(other_events, events, "{}: events on {}", path.display(), kind.as_str());
            assert_eq!(files.len(), reference.len(), "{}: files on {}", path.display(), kind.as_str());
            for ((name, a), (other_name, b)) in reference.iter().zip(&files) {
                assert_eq!(name, other_name);
                assert!(a == b, "{}: {name} differs on {}", path.display(), kind.as_str());
            }
        }
    }
}
