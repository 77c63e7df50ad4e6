//! Hostile but valid inputs: a clear error that names the limit, or a run bounded by the
//! event cap; never a crash.

mod common;

use common::{counter, parse_inline, summary};

const QUEUE: &str = r#"
    [sqs.q]
    [workers.p]
    source = "sqs.q"
    count = 4
    service_time_s = 0.01
"#;

#[test]
fn a_trillion_messages_a_second_is_refused_naming_the_bound() {
    let text = format!(
        "[run]\nhorizon_s = 10\n[workload.w]\ntarget = \"sqs.q\"\narrival = \"poisson\"\nrate_per_s = 1e12\n{QUEUE}"
    );
    let e = parse_inline(&text, &[]).map(|_| ()).unwrap_err().to_string();
    assert!(
        e.contains("rate_per_s")
            && e.contains("at most 1000000000")
            && e.contains("model bound: at a billion messages a second"),
        "{e}"
    );
}

#[test]
fn a_hundred_years_stops_at_the_event_cap() {
    let text = format!(
        "[run]\nhorizon_s = 3155760000\nevents_max = 200000\n[workload.w]\ntarget = \"sqs.q\"\narrival = \"poisson\"\nrate_per_s = 100\n{QUEUE}"
    );
    let scenario = parse_inline(&text, &[]).unwrap();
    // The reader warns before the run that it is long, and what bounds it.
    assert!(
        scenario
            .warnings
            .iter()
            .any(|w| w.contains("may send about 3.2e11 messages") && w.contains("run.events_max (200000)")),
        "{:?}",
        scenario.warnings
    );
    let (result, s) = summary(&scenario);
    assert_eq!(result.outcome.stop_reason.as_str(), "event_cap");
    assert_eq!(result.outcome.events, 200_000);
    assert!(counter(&s, "workload.w.sent") > 10_000);
}

#[test]
fn deeply_nested_parallel_states_are_an_error_not_a_crash() {
    // Each level a Parallel whose one branch holds the next: deeper than the JSON reader goes.
    let mut state = r#"{"Type": "Pass", "End": true}"#.to_string();
    for depth in 0..80 {
        state = format!(
            r#"{{"Type": "Parallel", "End": true, "Branches": [{{"StartAt": "L{depth}", "States": {{"L{depth}": {state}}}}}]}}"#
        );
    }
    let definition = format!(r#"{{"StartAt": "Top", "States": {{"Top": {state}}}}}"#);
    let e = orchsim::scenario::inputs::definition(&definition).map(|_| ()).unwrap_err();
    assert!(e.contains("recursion limit"), "{e}");
    // Twenty levels are read and run.
    let mut state = r#"{"Type": "Pass", "End": true}"#.to_string();
    for depth in 0..20 {
        state = format!(
            r#"{{"Type": "Parallel", "End": true, "Branches": [{{"StartAt": "L{depth}", "States": {{"L{depth}": {state}}}}}]}}"#
        );
    }
    let definition = format!(r#"{{"StartAt": "Top", "States": {{"Top": {state}}}}}"#);
    assert!(orchsim::scenario::inputs::definition(&definition).is_ok());
}

/// A topic with `n` HTTPS subscriptions, published to 5 times a second for 2 s; `run_keys`
/// go into `[run]`.
fn topic_with_subscriptions(n: usize, run_keys: &str) -> String {
    let mut text = format!(
        "[run]\nhorizon_s = 2\n{run_keys}[workload.w]\ntarget = \"sns.t\"\narrival = \"constant\"\nrate_per_s = 5\n[sns.t]\n[endpoint.e]\nprotocol = \"https\"\nresponse_time_s = 0.01\n"
    );
    for i in 0..n {
        text += &format!("[subscription.s{i}]\ntopic = \"sns.t\"\nendpoint = \"endpoint.e\"\n");
    }
    text
}

#[test]
fn a_thousand_subscriptions_on_one_topic_run() {
    let text = topic_with_subscriptions(1_000, "");
    let scenario = parse_inline(&text, &[]).unwrap_or_else(|e| panic!("{e}"));
    let (_, s) = summary(&scenario);
    assert!(counter(&s, "sns.t.published") >= 5);
}

#[test]
fn more_subscriptions_than_the_memory_budget_holds_are_refused_before_the_run() {
    // AWS allows 12.5 million subscriptions per topic; each one here keeps its own latency
    // histogram, so the reader refuses a topology whose floor is above the budget. A million
    // at the default 8 GiB is refused the same way; 20,000 at 256 MiB shows it quickly.
    let text = topic_with_subscriptions(20_000, "memory_max_mb = 256\n");
    let e = parse_inline(&text, &[]).map(|_| ()).unwrap_err().to_string();
    assert!(
        e.contains("run.memory_max_mb")
            && e.contains("needs at least 313 MiB")
            && e.contains("20000 latency histograms")
            && e.contains("= 256"),
        "{e}"
    );
}

#[test]
fn a_backlog_that_outgrows_the_memory_budget_stops_with_an_error_and_writes_nothing() {
    // Twenty thousand messages a second into a queue nobody reads: memory grows with the
    // backlog until the guard stops the run.
    let dir = std::env::temp_dir().join(format!("orchsim-hostile-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("backlog.toml");
    std::fs::write(
        &scenario,
        "[run]\nhorizon_s = 100000\nmemory_max_mb = 96\n[workload.w]\ntarget = \"sqs.q\"\narrival = \"constant\"\nrate_per_s = 20000\n[sqs.q]\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_orchsim"))
        .args(["run", scenario.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()])
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("above run.memory_max_mb = 96") && stderr.contains("nothing was written"), "{stderr}");
    assert!(!out.exists(), "no results folder after a stopped run");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_scenario_file_too_large_to_read_safely_is_refused_before_it_is_read() {
    let path = std::env::temp_dir().join(format!("orchsim-hostile-huge-{}.toml", std::process::id()));
    // Sparse: the length is what counts, not the bytes on disk.
    std::fs::File::create(&path).unwrap().set_len(129 << 20).unwrap();
    let e = orchsim::scenario::Scenario::load(&path, &[]).map(|_| ()).unwrap_err().to_string();
    std::fs::remove_file(&path).unwrap();
    assert!(e.contains("the scenario is 129 MiB; files above 128 MiB are refused"), "{e}");
}

#[test]
fn the_memory_stop_counts_the_runs_own_bytes_whatever_else_the_process_holds() {
    let text = "[run]\nhorizon_s = 100000\nmemory_max_mb = 64\n[workload.w]\ntarget = \"sqs.q\"\narrival = \"constant\"\nrate_per_s = 20000\n[sqs.q]\n";
    let scenario = parse_inline(text, &[]).unwrap();
    let alone = orchsim::run::run(&scenario).map(|_| ()).unwrap_err();
    // The same run on another thread while this one holds 256 MiB stops at the same event.
    let ballast = vec![1u8; 256 << 20];
    let beside =
        std::thread::scope(|s| s.spawn(|| orchsim::run::run(&scenario).map(|_| ()).unwrap_err()).join()).unwrap();
    assert_eq!(ballast.len(), 256 << 20);
    assert_eq!(alone, beside);
    assert!(alone.held_mib > 64 && alone.events.is_multiple_of(1_000_000), "{alone}");
}
