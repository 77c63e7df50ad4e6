//! Several SQS event source mappings of one function (`[lambda.NAME.mappings.MAPPING]`):
//! each polls its queue with its own settings and reports its own metrics, and all share
//! the function's concurrency.

mod common;

use common::{counter, gauge, inline, orchsim, parse_inline, scratch_in, summary, text};

fn two_queues(function_extra: &str, mapping_b_extra: &str) -> String {
    format!(
        r#"
        [run]
        seed = 11
        horizon_s = 400
        [workload.a]
        target = "sqs.a"
        arrival = "poisson"
        rate_per_s = 40
        stop_s = 300
        [workload.b]
        target = "sqs.b"
        arrival = "poisson"
        rate_per_s = 10
        stop_s = 300
        [workload.b.body]
        kind = {{ values = ["order", "refund"], weights = [1, 1] }}
        # No at-least-once duplicates, so counts can be compared exactly.
        [sqs.a]
        visibility_timeout_s = 60
        duplicate_rate = 0
        [sqs.b]
        visibility_timeout_s = 60
        duplicate_rate = 0
        [lambda.f]
        timeout_s = 10
        duration_s = 0.2
        {function_extra}
        [lambda.f.mappings.big]
        source = "sqs.a"
        batch_size = 50
        batching_window_s = 1
        [lambda.f.mappings.small]
        source = "sqs.b"
        batch_size = 1
        {mapping_b_extra}
        "#
    )
}

#[test]
fn each_mapping_drains_its_own_queue_with_its_own_batches() {
    let (_, s) = summary(&inline(&two_queues("", "")));
    for (mapping, queue) in [("big", "a"), ("small", "b")] {
        let sent = counter(&s, &format!("sqs.{queue}.sent"));
        assert!(sent > 1_000, "{queue}: {sent}");
        assert_eq!(counter(&s, &format!("lambda.f.mappings.{mapping}.batch_messages")), sent, "{mapping}");
        assert_eq!(counter(&s, &format!("sqs.{queue}.deleted")), sent, "{queue}");
    }
    // Batches of up to 50 from one queue, of one from the other: one function runs them all.
    let (big, small) = (counter(&s, "lambda.f.mappings.big.batches"), counter(&s, "lambda.f.mappings.small.batches"));
    assert_eq!(small, counter(&s, "sqs.b.sent"));
    assert!(big * 10 < counter(&s, "sqs.a.sent"), "{big} batches");
    assert_eq!(counter(&s, "lambda.f.requests"), big + small);
    assert!(gauge(&s, "lambda.f.mappings.big.pollers_mean") >= 5.0);
    assert!(s["counters"].get("lambda.f.batches").is_none(), "metrics are per mapping");
}

#[test]
fn the_mappings_share_the_function_concurrency() {
    let (_, s) = summary(&inline(&two_queues("reserved_concurrency = 3", "")));
    // Ten pollers want to invoke a function that may run 3 at a time: the rest are throttled.
    assert!(counter(&s, "lambda.f.throttles") > 0);
    let throttled = counter(&s, "lambda.f.mappings.big.throttled_batches")
        + counter(&s, "lambda.f.mappings.small.throttled_batches");
    assert!(throttled > 0);
    assert!(gauge(&s, "lambda.f.concurrency_mean") <= 3.0);
}

#[test]
fn each_mapping_has_its_own_filters() {
    let (_, s) = summary(&inline(&two_queues("", r#"filter_patterns = ['{"body": {"kind": ["order"]}}']"#)));
    let sent = counter(&s, "sqs.b.sent");
    let reached = counter(&s, "lambda.f.mappings.small.batch_messages");
    assert_eq!(reached + counter(&s, "lambda.f.mappings.small.filtered_out"), sent);
    let sd = (sent as f64 * 0.25).sqrt();
    assert!((reached as f64 - sent as f64 * 0.5).abs() < 4.5 * sd, "{reached} of {sent}");
    assert!(s["counters"].get("lambda.f.mappings.big.filtered_out").is_none());
}

#[test]
fn the_same_seed_gives_the_same_run_with_several_mappings() {
    let scenario = inline(&two_queues("", ""));
    assert_eq!(summary(&scenario).1, summary(&scenario).1);
}

fn error_of(text: &str) -> String {
    let Err(e) = parse_inline(text, &[]) else { panic!("accepted:\n{text}") };
    e.to_string()
}

#[test]
fn mappings_are_refused_with_where_and_why() {
    let both = error_of(&two_queues("source = \"sqs.a\"", ""));
    assert!(both.contains("lambda.f.mappings") && both.contains("not both"), "{both}");
    let loose = error_of(&two_queues("batch_size = 5", ""));
    assert!(loose.contains("lambda.f.batch_size") && loose.contains("its own table"), "{loose}");
    let window = error_of(&two_queues("", "batching_window_s = 400"));
    assert!(window.contains("lambda.f.mappings.small.batching_window_s"), "{window}");
    let unknown = error_of(&two_queues("", "memory_mb = 512"));
    assert!(unknown.contains("lambda.f.mappings.small.memory_mb") && unknown.contains("unknown key"), "{unknown}");
    let no_source = two_queues("", "").replace("source = \"sqs.b\"", "");
    assert!(error_of(&no_source).contains("missing key `source`"), "{}", error_of(&no_source));
}

#[test]
fn orchsim_run_reports_each_mapping() {
    let dir = scratch_in("lambda_mappings", "run");
    std::fs::write(dir.join("two.toml"), two_queues("", "")).unwrap();
    let out = orchsim(&["run", "two.toml", "--out", "out"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/summary.json")).unwrap()).unwrap();
    assert!(counter(&summary, "lambda.f.mappings.small.batches") > 0);
    let series = std::fs::read_to_string(dir.join("out/timeseries.csv")).unwrap();
    let header = series.lines().next().unwrap();
    assert!(header.contains("lambda.f.mappings.big.pollers") && header.contains("lambda.f.mappings.small.pollers"));
}
