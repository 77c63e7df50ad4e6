//! A queue's `max_message_size_bytes` (SQS `MaximumMessageSize`): larger sends, batch
//! entries, SNS deliveries and rule deliveries are refused with a client error, counted in
//! `sqs.NAME.rejected_oversize`, and never retried.

mod common;

use common::{counter, exact, parse_inline, summary};

/// 1,000 messages of 1 to 4,000 bytes (uniform) into a queue that takes at most 3,000.
fn sizes(batch: u32) -> String {
    format!(
        r#"
[run]
horizon_s = 200

[workload.w]
target = "sqs.q"
arrival = "constant"
rate_per_s = 10
count_max = 1000
message_size_bytes = {{ dist = "uniform", low = 1, high = 4000 }}
send_batch_max = {batch}

[sqs.q]
max_message_size_bytes = 3000

[workers.p]
source = "sqs.q"
count = 2
service_time_s = 0.01
"#
    )
}

#[test]
fn sends_larger_than_the_queues_maximum_are_refused_and_not_retried() {
    for batch in [1, 10] {
        let (_, s) = summary(&exact(&sizes(batch)));
        let refused = counter(&s, "sqs.q.rejected_oversize");
        // A quarter of U(1, 4000) lies above 3,000: binomial, sd about 14.
        assert!((refused as f64 - 250.0).abs() < 70.0, "batch {batch}: {refused}");
        assert_eq!(counter(&s, "workload.w.send_rejected"), refused, "batch {batch}");
        assert_eq!(counter(&s, "sqs.q.sent") + refused, 1000, "batch {batch}");
        assert_eq!(counter(&s, "workload.w.send_retries"), 0, "batch {batch}: a client error is not retried");
        assert_eq!(counter(&s, "workers.p.processed"), counter(&s, "sqs.q.sent"), "batch {batch}");
    }
}

#[test]
fn the_default_maximum_is_one_mebibyte_and_refuses_nothing() {
    let text = sizes(1).replace("max_message_size_bytes = 3000\n", "");
    let (_, s) = summary(&exact(&text));
    assert_eq!(counter(&s, "sqs.q.rejected_oversize"), 0);
    assert_eq!(counter(&s, "sqs.q.sent"), 1000);
}

const FAN_OUT: &str = r#"
[run]
horizon_s = 100

[workload.w]
target = "sns.t"
arrival = "constant"
rate_per_s = 10
count_max = 100
message_size_bytes = 1500

[sns.t]

[subscription.enveloped]
topic = "sns.t"
endpoint = "sqs.small"
dead_letter_queue = "sqs.dlq"

[subscription.raw]
topic = "sns.t"
endpoint = "sqs.small_raw"
raw_message_delivery = true

[subscription.unguarded]
topic = "sns.t"
endpoint = "sqs.small_too"

[sqs.small]
max_message_size_bytes = 2048
[sqs.small_raw]
max_message_size_bytes = 2048
[sqs.small_too]
max_message_size_bytes = 2048
[sqs.dlq]
"#;

#[test]
fn an_sns_delivery_above_the_maximum_is_a_client_error_sent_to_the_dead_letter_queue() {
    let (_, s) = summary(&exact(FAN_OUT));
    // 1,500 bytes plus SNS's JSON envelope is above 2,048; raw, it fits.
    assert_eq!(counter(&s, "sqs.small.rejected_oversize"), 100);
    assert_eq!(counter(&s, "subscription.enveloped.retries"), 0, "client errors are not retried");
    assert_eq!(counter(&s, "subscription.enveloped.dead_lettered"), 100);
    assert_eq!(counter(&s, "sqs.dlq.sent"), 100);
    assert_eq!((counter(&s, "subscription.raw.delivered"), counter(&s, "sqs.small_raw.rejected_oversize")), (100, 0));
    assert_eq!(counter(&s, "subscription.unguarded.dropped"), 100, "no dead-letter queue: the message is lost");
}

const RULE: &str = r#"
[run]
horizon_s = 100

[workload.w]
target = "eventbridge.b"
arrival = "constant"
rate_per_s = 10
count_max = 100
message_size_bytes = 5000

[eventbridge.b]

[rule.r]
bus = "eventbridge.b"
event_pattern = '{"source": [{"exists": false}]}'
targets = [{ target = "sqs.small", dead_letter_queue = "sqs.dlq" }, "sqs.big"]

[sqs.small]
max_message_size_bytes = 4096
[sqs.big]
[sqs.dlq]
"#;

#[test]
fn a_rule_delivery_above_the_maximum_fails_at_once_to_the_targets_dead_letter_queue() {
    let (_, s) = summary(&exact(RULE));
    assert_eq!(counter(&s, "sqs.small.rejected_oversize"), 100);
    assert_eq!(counter(&s, "rule.r.target.sqs.small.retries"), 0, "a client error is not retried");
    assert_eq!(counter(&s, "rule.r.target.sqs.small.dead_lettered"), 100);
    assert_eq!(counter(&s, "sqs.dlq.sent"), 100);
    assert_eq!(counter(&s, "rule.r.target.sqs.big.delivered"), 100);
}

#[test]
fn the_maximum_is_bounded_by_aws_and_a_workload_every_message_of_which_is_too_large_is_warned_of() {
    let low = parse_inline(&sizes(1), &["sqs.q.max_message_size_bytes=1023"]).unwrap_err().to_string();
    assert!(low.contains("sqs.q.max_message_size_bytes") && low.contains("1,024"), "{low}");
    assert!(low.contains("MaximumMessageSize"), "{low}");
    let high = parse_inline(&sizes(1), &["sqs.q.max_message_size_bytes=1048577"]).unwrap_err().to_string();
    assert!(high.contains("1,048,576"), "{high}");
    let all_too_large = parse_inline(&sizes(1), &["workload.w.message_size_bytes=3001"]).unwrap();
    let warning = all_too_large.warnings.iter().find(|w| w.contains("max_message_size_bytes"));
    assert!(warning.is_some_and(|w| w.contains("workload.w") && w.contains("sqs.q")), "{:?}", all_too_large.warnings);
    let fits = parse_inline(&sizes(1), &["workload.w.message_size_bytes=3000"]).unwrap();
    assert!(!fits.warnings.iter().any(|w| w.contains("max_message_size_bytes")), "{:?}", fits.warnings);
    let (_, s) = summary(&all_too_large);
    assert_eq!((counter(&s, "sqs.q.rejected_oversize"), counter(&s, "sqs.q.sent")), (1000, 0));
}
