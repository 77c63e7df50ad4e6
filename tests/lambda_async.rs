//! Lambda's asynchronous invocation through tiny scenarios: the event queue, retries after
//! function errors and throttles, the event age limit, on-failure destinations and
//! dead-letter queues, and their balances.

mod common;

use common::{counter, exact, latency, parse_inline, summary};

/// One message published at 1 s to a topic whose subscription invokes `lambda.f`, which
/// runs 0.1 s after a 0.25 s INIT; `[sqs.failed]` and `[sqs.dlq]` can take dropped events.
fn published_once(function_extra: &str) -> (orchsim::run::RunResult, serde_json::Value) {
    let text = format!(
        r#"
        [run]
        horizon_s = 1000
        [workload.w]
        target = "sns.t"
        arrival = "constant"
        rate_per_s = 1
        stop_s = 1.5
        [sns.t]
        [subscription.s]
        topic = "sns.t"
        endpoint = "lambda.f"
        [sqs.failed]
        [sqs.dlq]
        [lambda.f]
        duration_s = 0.1
        init_duration_s = 0.25
        {function_extra}
        "#
    );
    summary(&exact(&text))
}

#[test]
fn a_processed_event_is_counted_with_no_age() {
    let (_, s) = published_once("");
    assert_eq!(counter(&s, "lambda.f.async_events_received"), 1);
    assert_eq!(counter(&s, "lambda.f.async_events_succeeded"), 1);
    assert_eq!(counter(&s, "lambda.f.async_events_dropped"), 0);
    assert_eq!(latency(&s, "lambda.f.async_event_age", "mean"), 0.0);
}

#[test]
fn a_failing_event_is_retried_twice_a_minute_then_two_minutes_later_then_sent_on_failure() {
    let (result, s) = published_once("error_rate = 1.0\non_failure = \"sqs.failed\"");
    assert_eq!(counter(&s, "lambda.f.requests"), 3);
    assert_eq!(counter(&s, "lambda.f.errors"), 3);
    assert_eq!(counter(&s, "lambda.f.async_retries"), 2);
    assert_eq!(counter(&s, "lambda.f.async_retries_exhausted"), 1);
    assert_eq!(counter(&s, "lambda.f.async_events_dropped"), 1);
    assert_eq!(counter(&s, "lambda.f.async_to_destination"), 1);
    assert_eq!(counter(&s, "sqs.failed.sent"), 1);
    assert_eq!(counter(&s, "sqs.dlq.sent"), 0);
    // Attempts at age 0 (cold, ends at 0.35 s), 60.35 s (warm, ends 0.1 s later) and
    // 60.45 + 120 = 180.45 s.
    let mean_ms = (0.0 + 60_350.0 + 180_450.0) / 3.0;
    assert!((latency(&s, "lambda.f.async_event_age", "mean") - mean_ms).abs() < 1e-6);
    assert!((latency(&s, "lambda.f.async_event_age", "max") - 180_450.0).abs() < 200.0);
    let balance = result.measurements.audit.iter().find(|b| b.entity == "lambda.f.async").expect("a balance");
    assert_eq!(balance.inflow, [("queued_at_start", 0), ("received", 1)]);
    assert_eq!(
        balance.outflow,
        [("succeeded", 0), ("retries_exhausted", 1), ("event_age_exceeded", 0), ("queued_at_end", 0)]
    );
}

#[test]
fn an_event_queued_when_the_warm_up_ends_is_balanced_from_the_queue() {
    // Received at 1 s and failed at 1.35 s; the warm-up ends at 30 s while it waits for
    // its retries at 60.35 s and 180.45 s.
    let text = r#"
        [run]
        horizon_s = 1000
        warmup_s = 30
        [workload.w]
        target = "sns.t"
        arrival = "constant"
        rate_per_s = 1
        stop_s = 1.5
        [sns.t]
        [subscription.s]
        topic = "sns.t"
        endpoint = "lambda.f"
        [lambda.f]
        duration_s = 0.1
        init_duration_s = 0.25
        error_rate = 1.0
    "#;
    let (result, s) = summary(&exact(text));
    let balance = result.measurements.audit.iter().find(|b| b.entity == "lambda.f.async").expect("a balance");
    assert_eq!(balance.inflow, [("queued_at_start", 1), ("received", 0)]);
    // A retry counts when the failed attempt before it ends: the first one before 30 s.
    assert_eq!(counter(&s, "lambda.f.async_retries"), 1);
    assert_eq!(counter(&s, "lambda.f.async_retries_exhausted"), 1);
    assert_eq!(latency(&s, "lambda.f.async_event_age", "count"), 2.0);
    assert_eq!(result.outcome.stop_reason.as_str(), "drained");
}

#[test]
fn the_retry_delays_can_be_set() {
    let (_, s) = published_once("error_rate = 1.0\nasync_retry_delays_s = [10, 20]");
    let mean_ms = (0.0 + 10_350.0 + 30_450.0) / 3.0;
    assert!((latency(&s, "lambda.f.async_event_age", "mean") - mean_ms).abs() < 1e-6);
}

#[test]
fn with_no_retries_a_failing_event_runs_once() {
    let (_, s) = published_once("error_rate = 1.0\nmaximum_retry_attempts = 0\ndead_letter = \"sqs.dlq\"");
    assert_eq!(counter(&s, "lambda.f.requests"), 1);
    assert_eq!(counter(&s, "lambda.f.async_retries"), 0);
    assert_eq!(counter(&s, "lambda.f.async_retries_exhausted"), 1);
    assert_eq!(counter(&s, "lambda.f.async_to_dead_letter"), 1);
    assert_eq!(counter(&s, "sqs.dlq.sent"), 1);
}

#[test]
fn an_event_throttled_until_its_age_runs_out_is_dropped_and_counted() {
    // Tried at ages 0, 1, 3, 7, 15 and 31 s (waits of 1, 2, 4, 8, 16 s); the next would
    // be at 63 s, past the 60 s age: dropped at 60 s.
    let (result, s) = published_once("reserved_concurrency = 0\nmaximum_event_age_s = 60\ndead_letter = \"sqs.dlq\"");
    assert_eq!(counter(&s, "subscription.s.delivered"), 1, "Lambda accepted the event");
    assert_eq!(counter(&s, "lambda.f.requests"), 0);
    assert_eq!(counter(&s, "lambda.f.async_throttles"), 6);
    assert_eq!(counter(&s, "lambda.f.throttles"), 6);
    assert_eq!(counter(&s, "lambda.f.async_event_age_exceeded"), 1);
    assert_eq!(counter(&s, "lambda.f.async_events_dropped"), 1);
    assert_eq!(counter(&s, "lambda.f.async_to_dead_letter"), 1);
    assert_eq!(counter(&s, "sqs.dlq.sent"), 1);
    assert!(result.measurements.audit.iter().any(|b| b.entity == "lambda.f.dead_letter"));
}

#[test]
fn both_the_destination_and_the_dead_letter_queue_get_a_dropped_event() {
    let (_, s) = published_once(
        "error_rate = 1.0\nmaximum_retry_attempts = 0\non_failure = \"sqs.failed\"\ndead_letter = \"sqs.dlq\"",
    );
    assert_eq!(counter(&s, "sqs.failed.sent"), 1);
    assert_eq!(counter(&s, "sqs.dlq.sent"), 1);
    assert_eq!(counter(&s, "lambda.f.async_events_dropped"), 1);
}

#[test]
fn a_function_destination_queues_the_event_for_that_function() {
    let text = r#"
        [run]
        horizon_s = 1000
        [workload.w]
        target = "sns.t"
        arrival = "constant"
        rate_per_s = 1
        stop_s = 1.5
        [sns.t]
        [subscription.s]
        topic = "sns.t"
        endpoint = "lambda.f"
        [lambda.f]
        duration_s = 0.1
        error_rate = 1.0
        maximum_retry_attempts = 0
        on_failure = "lambda.g"
        [lambda.g]
        duration_s = 0.1
    "#;
    let (result, s) = summary(&exact(text));
    assert_eq!(counter(&s, "lambda.g.async_events_received"), 1);
    assert_eq!(counter(&s, "lambda.g.async_events_succeeded"), 1);
    assert_eq!(result.outcome.stop_reason.as_str(), "drained");
}

#[test]
fn an_eventbridge_rule_hands_its_event_to_the_queue_even_when_the_function_is_throttled() {
    let text = r#"
        [run]
        horizon_s = 1000
        [workload.w]
        target = "eventbridge.b"
        arrival = "constant"
        rate_per_s = 1
        stop_s = 1.5
        [eventbridge.b]
        [rule.r]
        bus = "eventbridge.b"
        event_pattern = '{}'
        targets = ["lambda.f"]
        [lambda.f]
        duration_s = 0.1
        reserved_concurrency = 0
        maximum_event_age_s = 60
    "#;
    let (_, s) = summary(&exact(text));
    assert_eq!(counter(&s, "rule.r.delivered"), 1);
    assert_eq!(counter(&s, "lambda.f.async_event_age_exceeded"), 1);
    assert_eq!(counter(&s, "lambda.f.async_to_dead_letter"), 0);
}

#[test]
fn asynchronous_settings_outside_aws_limits_are_refused() {
    let base = r#"
        [run]
        horizon_s = 10
        [sqs.fifo]
        fifo = true
        [sns.t]
        [lambda.f]
        duration_s = 0.1
    "#;
    for (extra, expected) in [
        ("maximum_retry_attempts = 3", "AWS MaximumRetryAttempts: 0 to 2"),
        ("maximum_event_age_s = 59", "AWS MaximumEventAgeInSeconds: 60 to 21,600 s"),
        ("maximum_event_age_s = 21601", "AWS MaximumEventAgeInSeconds: 60 to 21,600 s"),
        ("dead_letter = \"lambda.f\"", "a function's dead-letter queue is an SQS queue or an SNS topic"),
        ("on_failure = \"sqs.fifo\"", "must be a standard queue or topic"),
        ("on_failure = \"sqs.nope\"", "no such queue"),
        ("async_retry_delays_s = [60]", "two waits in seconds"),
    ] {
        let text = format!("{base}{extra}\n");
        let error = parse_inline(&text, &[]).expect_err(extra).to_string();
        assert!(error.contains("lambda.f."), "{extra}: {error}");
        assert!(error.contains(expected), "{extra}: {error}");
    }
}

#[test]
fn an_sns_destination_gets_the_invocation_record_as_its_body() {
    // Three events, each dropped after one attempt; their records go to a topic whose
    // subscriptions read the record's condition.
    let text = r#"
        [run]
        horizon_s = 1000
        [workload.w]
        target = "sns.events"
        arrival = "constant"
        rate_per_s = 1
        stop_s = 3.5
        [sns.events]
        [subscription.to_function]
        topic = "sns.events"
        endpoint = "lambda.f"
        [lambda.f]
        duration_s = 0.1
        error_rate = 1.0
        maximum_retry_attempts = 0
        on_failure = "sns.failures"
        [sns.failures]
        [subscription.exhausted]
        topic = "sns.failures"
        endpoint = "sqs.records"
        filter_policy_scope = "MessageBody"
        filter_policy = '{"requestContext": {"condition": ["RetriesExhausted"], "approximateInvokeCount": [1]}}'
        [subscription.aged]
        topic = "sns.failures"
        endpoint = "sqs.aged"
        filter_policy_scope = "MessageBody"
        filter_policy = '{"requestContext": {"condition": ["EventAgeExceeded"]}}'
        [sqs.records]
        [sqs.aged]
    "#;
    let (_, s) = summary(&exact(text));
    assert_eq!(counter(&s, "lambda.f.async_to_destination"), 3);
    assert_eq!(counter(&s, "sns.failures.published"), 3);
    assert_eq!(counter(&s, "sqs.records.sent"), 3);
    assert_eq!(counter(&s, "sqs.aged.sent"), 0);
}

#[test]
fn an_eventbridge_destination_gets_a_lambda_failure_event() {
    let text = r#"
        [run]
        horizon_s = 1000
        [workload.w]
        target = "sns.events"
        arrival = "constant"
        rate_per_s = 1
        stop_s = 1.5
        [sns.events]
        [subscription.to_function]
        topic = "sns.events"
        endpoint = "lambda.f"
        [lambda.f]
        duration_s = 0.1
        error_rate = 1.0
        maximum_retry_attempts = 0
        on_failure = "eventbridge.failures"
        [eventbridge.failures]
        [rule.lambda_failures]
        bus = "eventbridge.failures"
        event_pattern = '{"source": ["lambda"], "detail-type": ["Lambda Function Invocation Result - Failure"], "detail": {"requestContext": {"condition": ["RetriesExhausted"]}}}'
        targets = ["sqs.records"]
        [sqs.records]
    "#;
    let (_, s) = summary(&exact(text));
    assert_eq!(counter(&s, "lambda.f.async_to_destination"), 1);
    assert_eq!(counter(&s, "rule.lambda_failures.matched"), 1);
    assert_eq!(counter(&s, "sqs.records.sent"), 1);
}

/// Ten events, about a third failing once and for all (no retries): the function sends
/// successes and failures to one bus, whose rules route each result by its `detail-type`.
const RESULTS_ON_A_BUS: &str = r#"
    [run]
    horizon_s = 1000
    [workload.w]
    target = "sns.events"
    arrival = "constant"
    rate_per_s = 1
    stop_s = 10.5
    [sns.events]
    [subscription.to_function]
    topic = "sns.events"
    endpoint = "lambda.f"
    [lambda.f]
    duration_s = 0.1
    error_rate = 0.3
    maximum_retry_attempts = 0
    on_failure = "eventbridge.results"
    on_success = "eventbridge.results"
    [eventbridge.results]
    [rule.succeeded]
    bus = "eventbridge.results"
    event_pattern = '{"source": ["lambda"], "detail-type": ["Lambda Function Invocation Result - Success"], "detail": {"requestContext": {"condition": ["Success"], "approximateInvokeCount": [1]}}}'
    targets = ["sqs.successes"]
    [rule.failed]
    bus = "eventbridge.results"
    event_pattern = '{"source": ["lambda"], "detail-type": ["Lambda Function Invocation Result - Failure"]}'
    targets = ["sqs.failures"]
    [sqs.successes]
    [sqs.failures]
"#;

#[test]
fn an_eventbridge_on_success_destination_gets_a_lambda_success_event_for_each_processed_event() {
    let (_, s) = summary(&exact(RESULTS_ON_A_BUS));
    let succeeded = counter(&s, "lambda.f.async_events_succeeded");
    let dropped = counter(&s, "lambda.f.async_events_dropped");
    assert_eq!(succeeded + dropped, 10);
    assert!(succeeded > 0 && dropped > 0, "{succeeded} succeeded, {dropped} dropped");
    assert_eq!(counter(&s, "lambda.f.async_to_success_destination"), succeeded);
    assert_eq!(counter(&s, "lambda.f.async_success_destination_failures"), 0);
    assert_eq!(counter(&s, "eventbridge.results.put_events"), 10);
    assert_eq!((counter(&s, "rule.succeeded.matched"), counter(&s, "sqs.successes.sent")), (succeeded, succeeded));
    assert_eq!((counter(&s, "rule.failed.matched"), counter(&s, "sqs.failures.sent")), (dropped, dropped));
    // The same run twice: the same bytes.
    assert_eq!(s, summary(&exact(RESULTS_ON_A_BUS)).1);
}

#[test]
fn an_on_success_destination_takes_the_types_aws_allows_but_not_the_function_itself() {
    let queue = RESULTS_ON_A_BUS.replace(r#"on_success = "eventbridge.results""#, r#"on_success = "sqs.successes""#);
    let (_, s) = summary(&exact(&queue));
    assert_eq!(counter(&s, "sqs.successes.sent"), counter(&s, "lambda.f.async_events_succeeded"));
    for (value, expected) in [
        ("lambda.f", "inline.toml:18:18: lambda.f.on_success = \"lambda.f\": the function itself"),
        ("sqs.nope", "no such queue"),
        ("step_functions.x", "an SQS queue, an SNS topic, an EventBridge bus or a Lambda function"),
    ] {
        let text =
            RESULTS_ON_A_BUS.replace(r#"on_success = "eventbridge.results""#, &format!("on_success = \"{value}\""));
        let error = parse_inline(&text, &[]).expect_err(value).to_string();
        assert!(error.contains(expected), "{value}: {error}");
    }
}
