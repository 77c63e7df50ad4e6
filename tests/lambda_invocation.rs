//! Lambda as its callers see it: a workload's synchronous Invoke and its response time, and
//! the function's execution environments over time.

mod common;

use common::{counter, exact, gauge, latency, summary};

/// One call at 1 s and one at 2 s to a function that runs `duration_s` after a 0.25 s INIT.
fn two_calls(duration_s: f64, function_extra: &str, workload_extra: &str) -> serde_json::Value {
    let text = format!(
        r#"
        [run]
        horizon_s = 60
        [workload.w]
        target = "lambda.f"
        arrival = "constant"
        rate_per_s = 1
        stop_s = 2.5
        {workload_extra}
        [lambda.f]
        duration_s = {duration_s}
        init_duration_s = 0.25
        {function_extra}
        "#
    );
    summary(&exact(&text)).1
}

#[test]
fn a_synchronous_caller_waits_for_the_cold_start() {
    let s = two_calls(0.5, "", "");
    // The first call: INIT then the handler; the second finds the environment warm.
    // 750 ms and 500 ms.
    assert_eq!(latency(&s, "workload.w.response", "mean"), 625.0);
    assert!((latency(&s, "workload.w.response", "max") - 750.0).abs() < 1.0);
    assert_eq!(latency(&s, "workload.w.response", "count"), 2.0);
}

#[test]
fn a_throttled_call_waits_through_its_retries_for_the_environment() {
    // One environment, busy from 1 s to 4 s: the call made at 2 s is throttled and its
    // client retries until the environment is free, so it answers no sooner than 7 s.
    let s = two_calls(2.75, "reserved_concurrency = 1", "retry_max_attempts = 20");
    // 3,000 ms for the first call, at least 5,000 ms for the second.
    assert!(latency(&s, "workload.w.response", "mean") >= 4_000.0);
    assert!(latency(&s, "workload.w.response", "max") >= 5_000.0);
    assert_eq!(latency(&s, "workload.w.response", "count"), 2.0);
    assert!(counter(&s, "workload.w.throttled_calls") >= 1);
    assert_eq!(counter(&s, "lambda.f.cold_starts"), 1);
}

#[test]
fn a_call_the_client_gives_up_on_is_counted_not_timed() {
    let s = two_calls(2.75, "reserved_concurrency = 1", "retry_max_attempts = 1");
    assert_eq!(latency(&s, "workload.w.response", "count"), 1.0);
    assert_eq!(latency(&s, "workload.w.response", "mean"), 3_000.0);
    assert_eq!(counter(&s, "workload.w.send_gave_up"), 1);
}

#[test]
fn environment_gauges_follow_busy_idle_and_expired_environments() {
    // Busy 1.0-1.75 s (cold), idle until its 0.1 s keep-alive runs out at 1.85 s, gone;
    // the call at 2 s starts cold again and ends at 2.75 s, when the run drains.
    let s = two_calls(0.5, "keep_alive_s = 0.1", "");
    let close = |name: &str, expected: f64| {
        let value = gauge(&s, name);
        assert!((value - expected).abs() < 1e-9, "{name}: {value}, expected {expected}");
    };
    close("lambda.f.environments_busy_mean", 1.5 / 2.75);
    close("lambda.f.environments_idle_mean", 0.1 / 2.75);
    close("lambda.f.environments_mean", 1.6 / 2.75);
    close("lambda.f.cold_start_share", 1.0);
}

#[test]
fn a_warm_environment_counts_as_idle_between_calls() {
    let s = two_calls(0.5, "", "");
    close_to(gauge(&s, "lambda.f.environments_idle_mean"), 0.25 / 2.5);
    close_to(gauge(&s, "lambda.f.environments_mean"), 1.5 / 2.5);
    close_to(gauge(&s, "lambda.f.cold_start_share"), 0.5);
}

fn close_to(value: f64, expected: f64) {
    assert!((value - expected).abs() < 1e-9, "{value}, expected {expected}");
}
