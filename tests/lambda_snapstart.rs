//! SnapStart (`snap_start`, `restore_duration_s`, `restore_billed_fraction`): a cold start
//! restores a snapshot instead of running INIT, and bills the restore's billed share.

mod common;

use common::{NO_HOPS, counter, latency, parse_inline, summary};

/// Ten concurrent invocations a second for 20 s of a function of 0.1 s: some cold starts.
fn function(extra: &str) -> String {
    format!(
        r#"
        [run]
        seed = 3
        horizon_s = 30
        [workload.w]
        target = "lambda.f"
        arrival = "poisson"
        rate_per_s = 100
        stop_s = 20
        [lambda.f]
        duration_s = 0.1
        init_duration_s = 2
        {extra}
        "#
    )
}

fn run(extra: &str) -> serde_json::Value {
    summary(&parse_inline(&function(extra), &[NO_HOPS]).unwrap_or_else(|e| panic!("{e}"))).1
}

#[test]
fn a_cold_start_restores_the_snapshot_instead_of_running_init() {
    let plain = run("");
    let snap = run("snap_start = true\nrestore_duration_s = 0.3");
    // The histograms keep 3 significant digits.
    let init_ms = latency(&plain, "lambda.f.init", "p50");
    assert!((init_ms - 2_000.0).abs() < 2.0, "{init_ms}");
    let restore_ms = latency(&snap, "lambda.f.init", "p50");
    assert!((restore_ms - 300.0).abs() < 1.0, "{restore_ms}");
    assert!(counter(&snap, "lambda.f.cold_starts") > 0);
    // A shorter cold start frees environments sooner: no more cold starts than without.
    assert!(counter(&snap, "lambda.f.cold_starts") <= counter(&plain, "lambda.f.cold_starts"));
}

#[test]
fn the_restore_is_billed_by_its_billed_fraction() {
    let billed = |fraction: &str| {
        let s = run(&format!("snap_start = true\nrestore_duration_s = 0.4\nrestore_billed_fraction = {fraction}"));
        (counter(&s, "lambda.f.billed_ms"), counter(&s, "lambda.f.requests"), counter(&s, "lambda.f.cold_starts"))
    };
    let (all, requests, cold) = billed("1");
    assert_eq!(all, requests * 100 + cold * 400);
    let (half, requests, cold) = billed("0.25");
    assert_eq!(half, requests * 100 + cold * 100);
    // The default bills the whole restore.
    let s = run("snap_start = true\nrestore_duration_s = 0.4");
    assert_eq!(counter(&s, "lambda.f.billed_ms"), all);
}

#[test]
fn snap_start_gives_the_same_run_for_the_same_seed() {
    assert_eq!(run("snap_start = true"), run("snap_start = true"));
}

#[test]
fn restore_keys_without_snap_start_are_refused_with_where_and_why() {
    for (extra, expected) in [
        ("restore_duration_s = 0.3", "set snap_start = true too"),
        ("restore_billed_fraction = 0.5", "set snap_start = true too"),
        ("snap_start = true\nrestore_billed_fraction = 1.5", "lambda.f.restore_billed_fraction"),
    ] {
        let e = parse_inline(&function(extra), &[]).err().unwrap_or_else(|| panic!("{extra} is accepted")).to_string();
        assert!(e.contains(expected) && e.contains("lambda.f"), "{extra}: {e}");
    }
}
