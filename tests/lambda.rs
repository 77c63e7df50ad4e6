//! Lambda behind an SQS event source mapping, through tiny scenarios: the scaling ramp,
//! cold starts, partial batch failures, throttles and the bill.

mod common;

use common::{counter, exact, gauge, inline, load, shipped, summary};
use orchsim::report;

#[test]
fn pollers_scale_from_five_by_300_a_minute_while_a_backlog_lasts() {
    let scenario = load(&shipped("lambda_backlog_drain.toml"), &[]);
    let (result, s) = summary(&scenario);
    let series = &result.measurements.series;
    let column = series.columns.iter().position(|c| c == "lambda.drain.pollers").expect("pollers column");
    let pollers_at = |t_s: u64| {
        let (_, row) = series.rows().find(|(t, _)| t.as_micros() == t_s * 1_000_000).expect("a sample");
        row[column]
    };
    // 5 at the start, then 50 more every 10 s: 300 a minute.
    for (t, expected) in [(0, 5.0), (10, 55.0), (20, 105.0), (30, 155.0), (60, 305.0), (120, 605.0)] {
        assert_eq!(pollers_at(t), expected, "pollers at {t} s");
    }
    assert_eq!(result.outcome.stop_reason.as_str(), "drained");
    assert_eq!(counter(&s, "sqs.backlog.sent"), 1_000_000);
    assert!(counter(&s, "sqs.backlog.deleted") >= 1_000_000);
}

#[test]
fn on_a_fifo_queue_pollers_follow_the_message_groups() {
    // Four groups with a backlog in each: every group has a batch in flight, so what stays
    // visible cannot be received; AWS scales to the active message groups, not beyond.
    let text = r#"
        [run]
        horizon_s = 600
        [workload.w]
        target = "sqs.q"
        arrival = "poisson"
        rate_per_s = 30
        group_count = 4
        [sqs.q]
        fifo = true
        visibility_timeout_s = 60
        [lambda.f]
        source = "sqs.q"
        duration_s = 2
        "#;
    let s = summary(&exact(text)).1;
    let (pollers, concurrency) = (gauge(&s, "lambda.f.pollers_mean"), gauge(&s, "lambda.f.concurrency_mean"));
    assert!(concurrency > 3.5 && concurrency <= 4.0, "one batch per group at a time: {concurrency}");
    // 4 groups × 10 messages per 2 s is 20 a second against 30 sent: a backlog builds.
    assert!(counter(&s, "sqs.q.sent") > counter(&s, "sqs.q.deleted") + 3_000, "a backlog builds");
    // The five pollers a mapping starts with, and no scale-up past them: before, pollers
    // grew by 50 every 10 s while the locked groups' messages stayed visible.
    assert!(pollers <= 5.0 + 1e-9, "pollers {pollers} against 4 groups");
}

fn steady(horizon_s: u32, warmup_s: u32) -> serde_json::Value {
    let text = format!(
        r#"
        [run]
        horizon_s = {horizon_s}
        warmup_s = {warmup_s}
        [workload.w]
        target = "sqs.q"
        arrival = "poisson"
        rate_per_s = 50
        [sqs.q]
        visibility_timeout_s = 60
        [lambda.f]
        source = "sqs.q"
        batch_size = 10
        timeout_s = 10
        duration_s = {{ dist = "lognormal", median = 0.2, p99 = 0.8 }}
        init_duration_s = 0.5
        "#
    );
    summary(&exact(&text)).1
}

#[test]
fn cold_starts_fall_as_the_load_becomes_steady() {
    let first_minute = steady(60, 0);
    let later = steady(3_600, 1_800);
    let share =
        |s: &serde_json::Value| counter(s, "lambda.f.cold_starts") as f64 / counter(s, "lambda.f.requests") as f64;
    assert!(share(&first_minute) > 0.01, "environments start cold: {}", share(&first_minute));
    assert!(share(&later) < 0.001, "then stay warm: {}", share(&later));
    assert!(counter(&later, "lambda.f.requests") > 10_000);
}

#[test]
fn partial_batch_failures_return_only_the_failed_messages() {
    let text = |report: bool| {
        format!(
            r#"
            [run]
            horizon_s = 600
            [workload.w]
            target = "sqs.q"
            arrival = "constant"
            rate_per_s = 20
            stop_s = 300
            [sqs.q]
            visibility_timeout_s = 70
            duplicate_rate = 0
            [lambda.f]
            source = "sqs.q"
            batch_size = 10
            batching_window_s = 1
            timeout_s = 10
            duration_s = 0.1
            error_rate = 0.05
            report_batch_item_failures = {report}
            "#
        )
    };
    let (_, whole) = summary(&inline(&text(false)));
    let (_, partial) = summary(&inline(&text(true)));
    // Whole-batch retry: a batch with any failed message returns entirely.
    assert!(counter(&whole, "lambda.f.failed_batches") > 0);
    assert_eq!(counter(&whole, "lambda.f.failed_items"), 0);
    // Partial: only the failed messages come back, so far fewer receives are repeated.
    assert_eq!(counter(&partial, "lambda.f.failed_batches"), 0);
    assert!(counter(&partial, "lambda.f.failed_items") > 0);
    let repeats = |s: &serde_json::Value| counter(s, "sqs.q.received") - counter(s, "sqs.q.sent");
    assert!(repeats(&partial) * 3 < repeats(&whole), "{} vs {}", repeats(&partial), repeats(&whole));
}

#[test]
fn reserved_concurrency_throttles_and_the_batches_come_back() {
    let text = r#"
        [run]
        horizon_s = 3600
        [workload.w]
        target = "sqs.q"
        arrival = "constant"
        rate_per_s = 200
        stop_s = 120
        [sqs.q]
        visibility_timeout_s = 30
        [lambda.f]
        source = "sqs.q"
        batch_size = 10
        timeout_s = 5
        duration_s = 1.0
        reserved_concurrency = 10
    "#;
    let (result, s) = summary(&inline(text));
    assert!(counter(&s, "lambda.f.throttles") > 0);
    assert_eq!(counter(&s, "lambda.f.throttles"), counter(&s, "lambda.f.throttled_batches"));
    assert!(gauge(&s, "lambda.f.concurrency_mean") <= 10.0);
    assert_eq!(result.outcome.stop_reason.as_str(), "drained", "throttled batches return and are processed");
}

#[test]
fn the_bill_equals_the_hand_calculation_from_the_price_book() {
    // One month (730 h) at 1 message/s, so the window is the month: no proration.
    let text = r#"
        [run]
        horizon_s = 2628000
        [workload.w]
        target = "sqs.q"
        arrival = "constant"
        rate_per_s = 1
        [sqs.q]
        visibility_timeout_s = 60
        duplicate_rate = 0
        [lambda.f]
        source = "sqs.q"
        batch_size = 1
        memory_mb = 4096
        timeout_s = 5
        duration_s = 0.1
        init_duration_s = 0.5
    "#;
    let scenario = exact(text);
    let (result, s) = summary(&scenario);
    let requests = counter(&s, "lambda.f.requests") as f64;
    let cold = counter(&s, "lambda.f.cold_starts") as f64;
    assert_eq!(requests, 2_628_000.0, "one invocation per message");
    // Billed: 100 ms a run plus 500 ms per cold start, at 4 GB.
    let gb_seconds = (requests * 100.0 + cold * 500.0) / 1_000.0 * 4.0;
    let lambda_usd = (requests - 1_000_000.0) * 0.20 / 1e6 + (gb_seconds - 400_000.0) * 0.000_016_666_7;
    // SQS standard: the first million free, then $0.40 per million.
    let sqs_usd = (counter(&s, "sqs.q.billed_requests") as f64 - 1_000_000.0) * 0.40 / 1e6;
    let cost = &s["cost_usd"];
    assert!((cost["lambda"].as_f64().unwrap() - lambda_usd).abs() < 1e-9, "{} vs {lambda_usd}", cost["lambda"]);
    assert!((cost["sqs"].as_f64().unwrap() - sqs_usd).abs() < 1e-9, "{} vs {sqs_usd}", cost["sqs"]);
    assert!((cost["total"].as_f64().unwrap() - lambda_usd - sqs_usd).abs() < 1e-9);
    let csv = report::render(&scenario, &result, &[]).files.into_iter().find(|(n, _)| n == "cost.csv").unwrap().1;
    assert!(csv.contains("lambda,lambda.f,gb_seconds,"), "{csv}");
}

#[test]
fn a_workloads_synchronous_invokes_are_retried_by_its_sdk_client_when_throttled() {
    let text = r#"
        [run]
        horizon_s = 600
        [workload.api]
        target = "lambda.Checkout"
        arrival = "poisson"
        rate_per_s = 50
        count_max = 5000
        [lambda.Checkout]
        duration_s = 0.5
        reserved_concurrency = 20
    "#;
    let s = summary(&inline(text)).1;
    // 50 a second of 0.5 s need 25 environments; 20 are reserved: some invokes get a 429.
    let throttles = counter(&s, "lambda.Checkout.throttles");
    assert!(throttles > 0);
    assert_eq!(counter(&s, "workload.api.throttled_calls"), throttles);
    // The client retries them; what it gives up on is counted, and the rest ran.
    let gave_up = counter(&s, "workload.api.send_gave_up");
    assert!(counter(&s, "workload.api.send_retries") > 0);
    assert_eq!(counter(&s, "lambda.Checkout.requests") + gave_up, 5_000);
}

#[test]
fn the_day_benchmark_delivers_every_publish_to_three_functions_one_message_a_batch() {
    // Five minutes of benches/sns_lambda_day.toml: the speed figure is only worth as much
    // as the work it measures.
    let scenario = common::load(&common::repo().join("benches/sns_lambda_day.toml"), &["run.horizon_s=300"]);
    let (_, s) = common::summary(&scenario);
    let published = common::counter(&s, "sns.events.published");
    assert!((290_000..310_000).contains(&published), "{published} publishes at 1,000/s");
    for f in ["a", "b", "c"] {
        assert_eq!(common::counter(&s, &format!("sqs.{f}.sent")), published);
        let (batches, messages) = (
            common::counter(&s, &format!("lambda.f{f}.batches")),
            common::counter(&s, &format!("lambda.f{f}.batch_messages")),
        );
        assert!(
            messages + 1_000 >= published && batches * 10 >= messages * 9,
            "{batches} batches of {messages} messages"
        );
    }
}

/// 100 messages of 200 KB in a queue, drained by one poller whose batch could take all of
/// them: the invocations of the run, and their mean payload in MB.
fn large_messages(overhead_bytes: u32) -> (u64, u64) {
    let text = format!(
        r#"
        [run]
        horizon_s = 600
        [workload.w]
        target = "sqs.q"
        arrival = "constant"
        rate_per_s = 1000
        count_max = 100
        message_size_bytes = 200000
        [sqs.q]
        visibility_timeout_s = 600
        duplicate_rate = 0
        [lambda.f]
        source = "sqs.q"
        batch_size = 1000
        batching_window_s = 5
        maximum_concurrency = 2
        scaling_max = 5
        timeout_s = 60
        duration_s = 0.1
        record_overhead_bytes = {overhead_bytes}
        "#
    );
    let s = summary(&inline(&text)).1;
    assert_eq!(counter(&s, "sqs.q.deleted"), 100, "every message is processed once");
    (counter(&s, "lambda.f.requests"), counter(&s, "sqs.q.sent"))
}

#[test]
fn an_invocation_never_carries_more_than_6_mb_of_records_and_their_metadata() {
    // 100 messages of 200,000 bytes, each record with 1,024 bytes of metadata: 6,291,456
    // bytes hold at most 31 records, so at least 4 invocations (there were 3, of about
    // 6.7 MB each, when the limit was checked after each receive of 10).
    let (requests, sent) = large_messages(1_024);
    assert_eq!(sent, 100);
    assert!(requests >= 4 && 100 * 201_024 / requests <= 6_291_456, "{requests}");
    // The metadata counts: at 60,000 bytes a record, 24 fit, so at least 5.
    let (requests, _) = large_messages(60_000);
    assert!(requests >= 5, "{requests}");
}
