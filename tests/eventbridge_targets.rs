//! Rule targets beyond the plain ones: a FIFO queue with its message group
//! (`SqsParameters.MessageGroupId`), whose events are consumed one at a time.

mod common;

use common::{counter, exact, gauge, latency, parse_inline, summary};

/// 200 events at 2 a second, to a FIFO queue in one message group and to a standard queue,
/// each drained by 4 workers taking 1 s a message.
const FIFO_TARGET: &str = r#"
[run]
horizon_s = 1000

[workload.w]
target = "eventbridge.default"
arrival = "constant"
rate_per_s = 2
count_max = 200

[eventbridge.default]

[rule.orders]
bus = "eventbridge.default"
event_pattern = '{}'
targets = [{ target = "sqs.ordered", message_group_id = "orders" }, "sqs.plain"]

[sqs.ordered]
fifo = true
content_based_deduplication = true
[sqs.plain]

[workers.ordered]
source = "sqs.ordered"
count = 4
batch_size = 1
service_time_s = 1

[workers.plain]
source = "sqs.plain"
count = 4
batch_size = 1
service_time_s = 1
"#;

#[test]
fn a_fifo_queue_target_puts_every_event_in_its_group_so_they_are_consumed_one_at_a_time() {
    let (_, s) = summary(&exact(FIFO_TARGET));
    assert_eq!(counter(&s, "rule.orders.target.sqs.ordered.delivered"), 200);
    assert_eq!(counter(&s, "workers.ordered.processed"), 200);
    assert_eq!(counter(&s, "workers.plain.processed"), 200);
    // One group: never two messages in flight, so one worker at a time does all the work
    // (the run ends once both queues are drained, after about 200 s).
    let busy_fifo = gauge(&s, "workers.ordered.busy_mean");
    assert!(busy_fifo <= 1.0 && busy_fifo > 0.95, "{busy_fifo}");
    // Events arrive twice as fast as one worker takes them: the FIFO backlog grows to about
    // 100 messages and the last waits about 100 s; the standard queue's four workers keep up.
    let wait_fifo = latency(&s, "sqs.ordered.queue_wait", "max");
    let wait_plain = latency(&s, "sqs.plain.queue_wait", "max");
    assert!((95_000.0..=105_000.0).contains(&wait_fifo), "{wait_fifo}");
    assert!(wait_plain < 1.0, "{wait_plain}");
    assert_eq!(counter(&s, "sqs.ordered.fifo_order_violations"), 0);
}

#[test]
fn different_groups_in_one_queue_are_consumed_side_by_side_and_one_event_twice_is_deduplicated() {
    // A second stream of events, matched by a second rule into the same queue.
    let two_groups = FIFO_TARGET
        .replace("count_max = 200\n", "count_max = 200\nbody = { kind = { values = [\"order\"], weights = [1] } }\n")
        .replace("event_pattern = '{}'", "event_pattern = '{\"kind\": [\"order\"]}'")
        + r#"
[workload.v]
target = "eventbridge.default"
arrival = "constant"
rate_per_s = 2
count_max = 200
body = { kind = { values = ["audit"], weights = [1] } }

[rule.audit]
bus = "eventbridge.default"
event_pattern = '{"kind": ["audit"]}'
targets = [{ target = "sqs.ordered", message_group_id = "GROUP" }]
"#;
    let s = summary(&exact(&two_groups.replace("GROUP", "audit"))).1;
    assert_eq!(counter(&s, "sqs.ordered.sent"), 400);
    let wait = latency(&s, "sqs.ordered.queue_wait", "max");
    assert!((95_000.0..=105_000.0).contains(&wait), "each group alone is as slow as one: {wait}");
    let busy = gauge(&s, "workers.ordered.busy_mean");
    assert!(busy > 1.9 && busy <= 2.0, "two groups side by side, one worker each: {busy}");
    // Both rules naming one group share it: 400 messages one at a time.
    let shared = summary(&exact(&two_groups.replace("GROUP", "orders"))).1;
    let wait = latency(&shared, "sqs.ordered.queue_wait", "max");
    assert!(wait > 190_000.0, "one group for both streams: {wait}");
    // The same event delivered by two targets to one FIFO queue has the same body:
    // content-based deduplication (per queue, whatever the group) keeps the first.
    let twice = FIFO_TARGET.replace(
        r#""sqs.plain"]"#,
        r#""sqs.plain"]

[rule.copy]
bus = "eventbridge.default"
event_pattern = '{}'
targets = [{ target = "sqs.ordered", message_group_id = "copies" }]"#,
    );
    let s = summary(&exact(&twice)).1;
    assert_eq!((counter(&s, "sqs.ordered.sent"), counter(&s, "sqs.ordered.deduplicated")), (200, 200));
}

#[test]
fn fifo_targets_without_a_group_and_groups_where_aws_has_none_are_refused() {
    let refused = |from: &str, to: &str| {
        let text = FIFO_TARGET.replace(from, to);
        assert_ne!(text, FIFO_TARGET, "{from}");
        parse_inline(&text, &[]).unwrap_err().to_string()
    };
    let plain = refused(r#"{ target = "sqs.ordered", message_group_id = "orders" }"#, r#""sqs.ordered""#);
    assert!(plain.contains("rule.orders.targets") && plain.contains("SqsParameters.MessageGroupId"), "{plain}");
    let no_group = refused(r#", message_group_id = "orders" }"#, " }");
    assert!(no_group.contains("needs a message group"), "{no_group}");
    let standard = refused(r#""sqs.plain"]"#, r#"{ target = "sqs.plain", message_group_id = "x" }]"#);
    assert!(
        standard.contains("rule.orders.targets[1].message_group_id") && standard.contains("standard queue"),
        "{standard}"
    );
    let function = FIFO_TARGET.replace(r#""sqs.plain"]"#, r#"{ target = "lambda.f", message_group_id = "x" }]"#)
        + "[lambda.f]\nduration_s = 0.1\n";
    let function = parse_inline(&function, &[]).unwrap_err().to_string();
    assert!(function.contains("only a FIFO queue target has a message group"), "{function}");
    let no_dedup = refused("content_based_deduplication = true\n", "");
    assert!(no_dedup.contains("content_based_deduplication = true") && no_dedup.contains("EventBridge"), "{no_dedup}");
    let long = refused(r#"message_group_id = "orders""#, &format!("message_group_id = \"{}\"", "g".repeat(101)));
    assert!(long.contains("1 to 100 characters"), "{long}");
    let longest =
        FIFO_TARGET.replace(r#"message_group_id = "orders""#, &format!("message_group_id = \"{}\"", "g".repeat(100)));
    assert!(parse_inline(&longest, &[]).is_ok());
}

/// Events put on the default bus; a rule sends them to the `orders` bus and to a queue, and
/// the `orders` bus's rule sends them to its own queue.
const BUS_TARGET: &str = r#"
[run]
horizon_s = 600

[workload.w]
target = "eventbridge.default"
arrival = "constant"
rate_per_s = 10
count_max = 1000

[eventbridge.default]
[eventbridge.orders]

[rule.forward]
bus = "eventbridge.default"
event_pattern = '{}'
targets = ["eventbridge.orders", "sqs.audit"]

[rule.take]
bus = "eventbridge.orders"
event_pattern = '{}'
targets = ["sqs.orders"]

[sqs.audit]
[sqs.orders]

[workers.audit]
source = "sqs.audit"
count = 20
service_time_s = 0.001

[workers.orders]
source = "sqs.orders"
count = 20
service_time_s = 0.001
"#;

#[test]
fn a_bus_target_puts_the_event_on_that_bus_whose_rules_deliver_it_billed_as_a_custom_event() {
    let (_, s) = summary(&exact(BUS_TARGET));
    assert_eq!(counter(&s, "rule.forward.target.eventbridge.orders.delivered"), 1000);
    assert_eq!(counter(&s, "eventbridge.orders.from_buses"), 1000);
    assert_eq!(counter(&s, "eventbridge.orders.put_events"), 0, "no PutEvents call of the workload's");
    assert_eq!(counter(&s, "rule.take.delivered"), 1000);
    assert_eq!((counter(&s, "sqs.orders.sent"), counter(&s, "sqs.audit.sent")), (1000, 1000));
    // Each bus bills the event as a custom event [eb-bus-to-bus].
    assert_eq!(
        (counter(&s, "eventbridge.default.billed_events"), counter(&s, "eventbridge.orders.billed_events")),
        (1000, 1000)
    );
}

#[test]
fn the_extra_hop_takes_the_target_buses_own_delivery_latency() {
    let (_, s) = summary(&common::inline(BUS_TARGET));
    let one_hop = latency(&s, "sqs.audit.queue_wait", "p50");
    let two_hops = latency(&s, "sqs.orders.queue_wait", "p50");
    // The hop from ingestion to a target is lognormal with a median of 45 ms by default.
    let extra = two_hops - one_hop;
    assert!((30.0..=65.0).contains(&extra), "one hop {one_hop} ms, two {two_hops} ms");
}

#[test]
fn an_event_crosses_one_bus_to_bus_hop_at_most_so_loops_end_and_are_warned_of() {
    // The orders bus sends every event back to the default bus, and the default bus to
    // itself as well: warned of, and bounded.
    let looped = BUS_TARGET
        .replace(r#"targets = ["sqs.orders"]"#, r#"targets = ["sqs.orders", "eventbridge.default"]"#)
        .replace(
            r#"targets = ["eventbridge.orders", "sqs.audit"]"#,
            r#"targets = ["eventbridge.orders", "sqs.audit", "eventbridge.default"]"#,
        );
    let scenario = exact(&looped);
    let loops: Vec<&String> = scenario.warnings.iter().filter(|w| w.contains("loop of buses")).collect();
    assert_eq!(loops.len(), 2, "{:?}", scenario.warnings);
    assert!(loops.iter().any(|w| w.contains("eventbridge.default (rule.forward) → eventbridge.default")), "{loops:?}");
    assert!(
        loops
            .iter()
            .any(|w| w
                .contains("eventbridge.default (rule.forward) → eventbridge.orders (rule.take) → eventbridge.default")),
        "{loops:?}"
    );
    let (_, s) = summary(&scenario);
    assert_eq!(s["stop_reason"], "drained");
    // The default bus gets each event back once from itself: the queue gets it twice, and
    // neither bus sends on what came from a bus.
    assert_eq!(counter(&s, "eventbridge.default.from_buses"), 1000);
    assert_eq!(counter(&s, "sqs.audit.sent"), 2000);
    assert_eq!(
        counter(&s, "rule.forward.not_forwarded"),
        2000,
        "to orders and to itself, for the 1,000 that came back"
    );
    assert_eq!(counter(&s, "rule.take.not_forwarded"), 1000);
    assert_eq!(counter(&s, "sqs.orders.sent"), 1000);
}

#[test]
fn a_bus_target_must_be_a_bus_of_the_rules_region() {
    let text = BUS_TARGET.replace("[eventbridge.orders]\n", "[eventbridge.orders]\nregion = \"us-east-2\"\n");
    let e = parse_inline(&text, &[]).unwrap_err().to_string();
    assert!(e.contains("rule.forward.targets[0]") && e.contains("one account and Region"), "{e}");
    let text = BUS_TARGET.replace(r#"targets = ["eventbridge.orders""#, r#"targets = ["eventbridge.nope""#);
    let e = parse_inline(&text, &[]).unwrap_err().to_string();
    assert!(e.contains("eventbridge.nope"), "{e}");
}
