//! Provisioned mode of Lambda's SQS event source mapping (`provisioned_pollers_min`,
//! `provisioned_pollers_max`): dedicated event pollers of 10 concurrent batches each, kept
//! between the minimum and the maximum.

mod common;

use common::{counter, inline, parse_inline, summary};

/// 20,000 messages in the first 10 s, drained by a function of 1 s per batch of 10.
fn backlog(mapping_extra: &str) -> String {
    format!(
        r#"
        [run]
        seed = 5
        horizon_s = 600
        sample_interval_s = 1
        [workload.burst]
        target = "sqs.q"
        arrival = "poisson"
        rate_per_s = 2000
        stop_s = 10
        [sqs.q]
        visibility_timeout_s = 60
        duplicate_rate = 0
        [lambda.f]
        source = "sqs.q"
        timeout_s = 10
        duration_s = 1
        {mapping_extra}
        "#
    )
}

/// The mapping's pollers (concurrent batches) at each sample, the summary, and when the
/// run drained.
fn pollers(text: &str) -> (Vec<f64>, serde_json::Value, f64) {
    let (result, s) = summary(&inline(text));
    assert_eq!(result.outcome.stop_reason.as_str(), "drained");
    let drained_s = result.outcome.end_time.as_micros() as f64 / 1e6;
    let series = &result.measurements.series;
    let column = series.columns.iter().position(|c| c == "lambda.f.pollers").expect("pollers column");
    (series.rows().map(|(_, row)| row[column]).collect(), s, drained_s)
}

#[test]
fn a_high_provisioned_minimum_drains_a_backlog_faster_than_on_demand_scaling() {
    let (on_demand, s_on_demand, on_demand_s) = pollers(&backlog(""));
    let (provisioned, s_provisioned, provisioned_s) = pollers(&backlog("provisioned_pollers_min = 20"));
    assert_eq!(on_demand[0], 5.0, "on demand starts with 5");
    assert_eq!(provisioned[0], 200.0, "20 event pollers of 10 concurrent batches");
    let sent = counter(&s_provisioned, "sqs.q.sent");
    assert_eq!(sent, counter(&s_on_demand, "sqs.q.sent"), "the same arrivals");
    assert_eq!(counter(&s_provisioned, "sqs.q.deleted"), sent);
    assert_eq!(counter(&s_on_demand, "sqs.q.deleted"), sent);
    assert!(provisioned_s + 10.0 < on_demand_s, "drained at {provisioned_s} s against {on_demand_s} s");
    let mean = |s: &serde_json::Value| common::gauge(s, "lambda.f.concurrency_mean");
    assert!(mean(&s_provisioned) > mean(&s_on_demand), "more batches run at once");
}

#[test]
fn provisioned_pollers_stay_between_the_minimum_and_the_maximum() {
    // A trickle after the burst leaves the pollers idle long enough to retire.
    let trickle = "[workload.trickle]\ntarget = \"sqs.q\"\narrival = \"poisson\"\nrate_per_s = 1\nstop_s = 300";
    let text = backlog("provisioned_pollers_min = 3\nprovisioned_pollers_max = 12") + trickle;
    let (samples, s, _) = pollers(&text);
    assert!(samples.iter().all(|&p| (30.0..=120.0).contains(&p)), "{samples:?}");
    assert!(samples.contains(&120.0), "the backlog scales the mapping to its maximum: {samples:?}");
    // Scale-up is 166 concurrent batches a tick at most (AWS: up to 1,000 a minute), here
    // capped by the maximum of 120.
    assert_eq!(samples[0], 30.0);
    // Idle after the backlog: back down to the minimum, not below.
    assert_eq!(*samples.last().unwrap(), 30.0, "{samples:?}");
    assert_eq!(counter(&s, "sqs.q.deleted"), counter(&s, "sqs.q.sent"));
}

#[test]
fn provisioned_mode_gives_the_same_run_for_the_same_seed() {
    let text = backlog("provisioned_pollers_min = 4\nprovisioned_pollers_max = 50");
    let (a, b) = (summary(&inline(&text)).1, summary(&inline(&text)).1);
    assert_eq!(a, b);
}

#[test]
fn a_mapping_table_takes_provisioned_mode_too() {
    let text = backlog("").replace(
        "source = \"sqs.q\"\n        timeout_s = 10\n        duration_s = 1",
        "timeout_s = 10\n        duration_s = 1\n        [lambda.f.mappings.m]\n        source = \"sqs.q\"\n        provisioned_pollers_min = 7",
    );
    let (result, _) = summary(&inline(&text));
    let series = &result.measurements.series;
    let column = series.columns.iter().position(|c| c == "lambda.f.mappings.m.pollers").expect("pollers column");
    assert_eq!(series.rows().next().unwrap().1[column], 70.0);
}

#[test]
fn provisioned_mode_is_refused_with_where_and_why() {
    for (extra, expected) in [
        ("provisioned_pollers_min = 1", "2 to 200"),
        ("provisioned_pollers_max = 2001", "2 to 2,000"),
        ("provisioned_pollers_min = 10\nprovisioned_pollers_max = 5", "below provisioned_pollers_min"),
        ("provisioned_pollers_min = 2\nmaximum_concurrency = 10", "mutually exclusive"),
    ] {
        let e = parse_inline(&backlog(extra), &[]).err().unwrap_or_else(|| panic!("{extra} is accepted")).to_string();
        assert!(e.contains(expected), "{extra}: {e}");
        assert!(e.contains("lambda.f"), "{extra}: {e}");
    }
}
