//! EventBridge through tiny scenarios: rules with event patterns route custom events to
//! SQS, Lambda and SNS targets; failed deliveries retry by the rule's policy and end in
//! its dead-letter queue; custom events are billed.

mod common;

use common::{counter, exact, inline, summary};

const ROUTING: &str = r#"
[run]
horizon_s = 3600

[workload.shop]
target = "eventbridge.default"
arrival = "poisson"
rate_per_s = 20

[workload.shop.body]
source = { values = ["com.shop", "com.warehouse"], weights = [3, 1] }
detail-type = { values = ["OrderPlaced", "OrderShipped"], weights = [1, 1] }
"detail.amount" = { dist = "uniform", low = 0, high = 1000 }

[eventbridge.default]

[rule.orders_placed]
bus = "eventbridge.default"
event_pattern = '{"source": ["com.shop"], "detail-type": ["OrderPlaced"]}'
targets = ["sqs.orders"]

[rule.big_orders]
bus = "eventbridge.default"
event_pattern = '{"detail": {"amount": [{"numeric": [">=", 900]}]}}'
targets = ["lambda.review", "sns.alerts"]

[sqs.orders]
[sqs.alerts_inbox]

[lambda.review]
duration_s = 0.2

[sns.alerts]

[subscription.inbox]
topic = "sns.alerts"
endpoint = "sqs.alerts_inbox"
filter_policy_scope = "MessageBody"
filter_policy = '{"source": ["com.warehouse"]}'
"#;

#[test]
fn rules_route_matching_events_to_their_targets() {
    let (_, s) = summary(&inline(ROUTING));
    let put = counter(&s, "eventbridge.default.put_events") as f64;
    assert!((put - 72_000.0).abs() < 1_200.0, "{put}");
    let share = |rule: &str| counter(&s, &format!("rule.{rule}.matched")) as f64 / put;
    assert!((share("orders_placed") - 0.375).abs() < 0.01, "{}", share("orders_placed"));
    assert!((share("big_orders") - 0.1).abs() < 0.01, "{}", share("big_orders"));
    // Every matched event reaches every target of its rule.
    assert_eq!(counter(&s, "rule.orders_placed.delivered"), counter(&s, "sqs.orders.sent"));
    assert_eq!(counter(&s, "rule.big_orders.delivered"), 2 * counter(&s, "rule.big_orders.matched"));
    assert_eq!(counter(&s, "lambda.review.requests"), counter(&s, "rule.big_orders.matched"));
    // The SNS target gets the event as its body, so a MessageBody filter sees `source`.
    let inbox = counter(&s, "subscription.inbox.matched") as f64 / counter(&s, "sns.alerts.published") as f64;
    assert!((inbox - 0.25).abs() < 0.05, "{inbox}");
    // Custom events cost $1.00 per million.
    let cost = s["cost_usd"]["eventbridge"].as_f64().unwrap();
    assert!((cost - put / 1e6).abs() < 1e-9, "{cost}");
}

fn throttled(extra: &str) -> serde_json::Value {
    let text = format!(
        r#"
        [run]
        horizon_s = 200000
        [workload.w]
        target = "eventbridge.bus"
        arrival = "constant"
        rate_per_s = 1
        count_max = 1
        [eventbridge.bus]
        [rule.r]
        bus = "eventbridge.bus"
        event_pattern = '{{}}'
        targets = ["lambda.blocked"]
        dead_letter_queue = "sqs.dlq"
        {extra}
        [lambda.blocked]
        duration_s = 0.1
        reserved_concurrency = 0
        [sqs.dlq]
        [workers.dlq]
        source = "sqs.dlq"
        count = 1
        service_time_s = 0
        "#
    );
    summary(&inline(&text)).1
}

#[test]
fn a_function_target_takes_the_event_into_its_queue_so_the_rule_never_retries() {
    // Lambda's asynchronous Invoke accepts the event whatever the function's concurrency:
    // the function's own queue retries it (for 6 h by default) and drops it, not the rule.
    let s = throttled("");
    assert_eq!(counter(&s, "rule.r.delivered"), 1);
    assert_eq!((counter(&s, "rule.r.retries"), counter(&s, "rule.r.dead_lettered")), (0, 0));
    assert_eq!(counter(&s, "lambda.blocked.async_event_age_exceeded"), 1);
    let s = throttled("maximum_retry_attempts = 0");
    assert_eq!((counter(&s, "rule.r.retries"), counter(&s, "rule.r.dead_lettered")), (0, 0));
}

/// A body list of two different values: every event holds both, in some order.
#[test]
fn generated_body_lists_are_matched_element_by_element() {
    let text = r#"
        [run]
        horizon_s = 100
        [workload.w]
        target = "eventbridge.default"
        arrival = "constant"
        rate_per_s = 10
        count_max = 300
        [workload.w.body]
        source = { values = ["com.shop"] }
        "detail.state" = { values = ["initializing", "running"], items = 2 }
        [eventbridge.default]
        [rule.running]
        bus = "eventbridge.default"
        event_pattern = '{"detail": {"state": ["running"]}}'
        targets = ["sqs.q"]
        [rule.other_states]
        bus = "eventbridge.default"
        event_pattern = '{"detail": {"state": [{"anything-but": {"equals-ignore-case": ["INITIALIZING", "Running"]}}]}}'
        targets = ["sqs.q"]
        [rule.init_prefix]
        bus = "eventbridge.default"
        event_pattern = '{"detail": {"state": [{"prefix": {"equals-ignore-case": "INIT"}}]}}'
        targets = ["sqs.q"]
        [sqs.q]
    "#;
    let (_, s) = summary(&inline(text));
    assert_eq!(counter(&s, "rule.running.matched"), 300);
    assert_eq!(counter(&s, "rule.other_states.matched"), 0);
    assert_eq!(counter(&s, "rule.init_prefix.matched"), 300);
}

/// Two workloads putting 8,000 events a second each on two buses for 10 s, no retries.
fn two_buses(second_bus: &str) -> serde_json::Value {
    let text = format!(
        r#"
        [run]
        horizon_s = 10
        [workload.a]
        target = "eventbridge.a"
        arrival = "constant"
        rate_per_s = 8000
        retry_max_attempts = 1
        [workload.b]
        target = "eventbridge.b"
        arrival = "constant"
        rate_per_s = 8000
        retry_max_attempts = 1
        [eventbridge.a]
        [eventbridge.b]
        {second_bus}
        [pricing]
        price_list = ["../tests/data/prices/AWSEvents-us-west-1.json"]
        "#
    );
    summary(&exact(&text)).1
}

#[test]
fn buses_in_one_region_share_the_accounts_put_events_quota() {
    // us-east-1 allows the account 10,000 events a second, whichever bus they go to: the
    // full bucket plus 10 s of refill accept about 110,000 of the 160,000.
    let s = two_buses("");
    let put = counter(&s, "eventbridge.a.put_events") + counter(&s, "eventbridge.b.put_events");
    let throttled = counter(&s, "eventbridge.a.throttled") + counter(&s, "eventbridge.b.throttled");
    assert_eq!(put + throttled, 160_000);
    assert!((109_995..=110_005).contains(&put), "{put}");
}

#[test]
fn a_bus_in_another_region_draws_on_that_regions_quota() {
    let s = two_buses("region = \"us-west-1\"\nput_events_per_s = 1500");
    assert_eq!(counter(&s, "eventbridge.a.throttled"), 0);
    let put = counter(&s, "eventbridge.b.put_events");
    assert!((16_495..=16_505).contains(&put), "1,500 a second in us-west-1: {put}");
    // Its events are priced by us-west-1's book ($1.00 per million there too).
    let cost = s["cost_usd"]["eventbridge"].as_f64().unwrap();
    let all = (counter(&s, "eventbridge.a.billed_events") + counter(&s, "eventbridge.b.billed_events")) as f64;
    assert!((cost - all / 1e6).abs() < 1e-9, "{cost}");
}

#[test]
fn a_subscriber_hands_a_function_its_event_at_once_and_lambda_queues_it() {
    // A function with no concurrency: Lambda's asynchronous queue takes the event, so the
    // subscriber never retries (its retry schedule is tested in the model).
    let text = r#"
        [run]
        horizon_s = 1000
        [workload.w]
        target = "eventbridge.orders"
        arrival = "constant"
        rate_per_s = 1
        count_max = 1
        [eventbridge.orders]
        kind = "subscribers"
        [subscriber.s]
        bus = "eventbridge.orders"
        target = "lambda.blocked"
        [lambda.blocked]
        duration_s = 0.1
        reserved_concurrency = 0
        maximum_event_age_s = 60
    "#;
    let s = summary(&inline(text)).1;
    assert_eq!((counter(&s, "subscriber.s.delivered"), counter(&s, "subscriber.s.retries")), (1, 0));
    assert_eq!(counter(&s, "lambda.blocked.async_events_received"), 1);
    assert_eq!(counter(&s, "lambda.blocked.async_events_dropped"), 1, "its age ran out in Lambda's queue");
}

#[test]
fn subscribers_filter_events_and_deliver_each_match_to_their_one_target() {
    let text = r#"
        [run]
        horizon_s = 100
        [workload.shop]
        target = "eventbridge.orders"
        arrival = "constant"
        rate_per_s = 10
        [workload.shop.body]
        source = { values = ["com.shop", "com.warehouse"], weights = [1, 1] }
        [eventbridge.orders]
        kind = "subscribers"
        [subscriber.shop_only]
        bus = "eventbridge.orders"
        event_pattern = '{"source": ["com.shop"]}'
        target = "sqs.shop"
        [subscriber.everything]
        bus = "eventbridge.orders"
        target = "sqs.all"
        [sqs.shop]
        [sqs.all]
    "#;
    let (_, s) = summary(&inline(text));
    let put = counter(&s, "eventbridge.orders.put_events");
    assert_eq!(counter(&s, "subscriber.everything.delivered"), put);
    assert_eq!(counter(&s, "sqs.all.sent"), put);
    let shop = counter(&s, "subscriber.shop_only.delivered");
    assert_eq!(counter(&s, "sqs.shop.sent"), shop);
    assert!(shop > put / 3 && shop < 2 * put / 3, "{shop} of {put}");
}

#[test]
fn a_rule_starts_a_state_machine_for_each_matching_event() {
    let dir = std::env::temp_dir().join(format!("orchsim-eventbridge-sfn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("m.asl.json"),
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}}"#,
    )
    .unwrap();
    let text = |workflow: &str, target: &str| {
        format!(
            "[run]\nhorizon_s = 600\n[workload.shop]\ntarget = \"eventbridge.default\"\narrival = \"poisson\"\n\
             rate_per_s = 5\n[workload.shop.body]\nsource = {{ values = [\"com.shop\", \"com.other\"], weights = [1, 1] }}\n\
             [eventbridge.default]\n[rule.start]\nbus = \"eventbridge.default\"\n\
             event_pattern = '{{\"source\": [\"com.shop\"]}}'\ntargets = [\"{target}\"]\n\
             [step_functions.m]\ndefinition = \"m.asl.json\"\ntype = \"{workflow}\"\n"
        )
    };
    for workflow in ["standard", "express_async", "express_sync"] {
        let scenario =
            orchsim::scenario::Scenario::from_text("inline.toml", &text(workflow, "step_functions.m"), &dir, &[])
                .unwrap();
        let s = summary(&scenario).1;
        let matched = counter(&s, "rule.start.matched");
        assert!(matched > 1_000, "{workflow}: {matched}");
        // Every matching event, and only those, starts one execution, which succeeds.
        assert_eq!(counter(&s, "rule.start.delivered"), matched, "{workflow}");
        assert_eq!(counter(&s, "step_functions.m.started"), matched, "{workflow}");
        let ended = counter(&s, "step_functions.m.succeeded") + counter(&s, "step_functions.m.running_at_end");
        assert_eq!(ended, matched, "{workflow}");
    }
    // A rule naming a machine that does not exist is refused, with those that do.
    let error = orchsim::scenario::Scenario::from_text("inline.toml", &text("standard", "step_functions.n"), &dir, &[])
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("no such state machine") && error.contains("step_functions.m"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A rule whose three targets retry by their own policies: two FIFO queues that take 300
/// sends a second (so a burst throttles), one with no retries and its own dead-letter
/// queue, one with the rule's policy; and a standard queue.
const PER_TARGET: &str = r#"
[run]
horizon_s = 600
[workload.w]
target = "eventbridge.default"
arrival = "constant"
rate_per_s = 1000
count_max = 2000
[eventbridge.default]
[rule.r]
bus = "eventbridge.default"
event_pattern = '{}'
maximum_retry_attempts = 20
targets = [
    { target = "sqs.hasty", maximum_retry_attempts = 0, dead_letter_queue = "sqs.hasty_dlq", message_group_id = "g" },
    { target = "sqs.patient", maximum_event_age_s = 3600, message_group_id = "g" },
    "sqs.plain",
]
[sqs.hasty]
fifo = true
content_based_deduplication = true
[sqs.patient]
fifo = true
content_based_deduplication = true
[sqs.hasty_dlq]
[sqs.plain]
"#;

#[test]
fn each_target_of_a_rule_retries_and_dead_letters_by_its_own_policy() {
    let s = summary(&inline(PER_TARGET)).1;
    let target = |t: &str, key: &str| counter(&s, &format!("rule.r.target.sqs.{t}.{key}"));
    for t in ["hasty", "patient", "plain"] {
        assert_eq!(target(t, "deliveries"), 2000, "{t}");
    }
    // No retries: each throttled send goes to the target's own dead-letter queue at once.
    let hasty_lost = target("hasty", "dead_lettered");
    assert!(hasty_lost > 500, "{hasty_lost}");
    assert_eq!((target("hasty", "retries"), target("hasty", "dropped")), (0, 0));
    assert_eq!(target("hasty", "delivered") + hasty_lost, 2000);
    assert_eq!(counter(&s, "sqs.hasty_dlq.sent"), hasty_lost);
    // The rule's 20 retries within the target's hour: every event gets through in time.
    assert!(target("patient", "retries") > 500);
    assert_eq!(target("patient", "delivered"), 2000);
    assert_eq!(target("plain", "delivered"), 2000);
    assert_eq!(target("plain", "failed_attempts"), 0);
    // The rule's counters are the sums of its targets'.
    assert_eq!(counter(&s, "rule.r.dead_lettered"), hasty_lost);
    assert_eq!(counter(&s, "rule.r.delivered"), 6000 - hasty_lost);
    assert_eq!(counter(&s, "rule.r.retries"), target("patient", "retries"));
}

#[test]
fn a_targets_own_retry_policy_is_checked_against_the_aws_range_where_it_stands() {
    let text = PER_TARGET.replace("maximum_event_age_s = 3600", "maximum_event_age_s = 30");
    let e = common::parse_inline(&text, &[]).unwrap_err().to_string();
    assert!(e.starts_with("inline.toml:16:53: rule.r.targets[1].maximum_event_age_s = 30"), "{e}");
    assert!(e.contains("rule.r.targets[1].maximum_event_age_s"), "{e}");
    assert!(e.contains("60 to 86,400"), "{e}");
    let text = PER_TARGET.replace(r#""sqs.plain","#, r#""sqs.plain", "sqs.plain","#);
    let e = common::parse_inline(&text, &[]).unwrap_err().to_string();
    assert!(e.contains("rule.r.targets[3]") && e.contains("already a target of the rule"), "{e}");
    let text = PER_TARGET.replace(r#"dead_letter_queue = "sqs.hasty_dlq""#, r#"dead_letter_queue = "sqs.patient""#);
    let e = common::parse_inline(&text, &[]).unwrap_err().to_string();
    assert!(e.contains("rule.r.targets[0].dead_letter_queue") && e.contains("standard queue"), "{e}");
}

#[test]
fn targets_as_an_array_of_tables_read_as_inline_tables() {
    let start = PER_TARGET.find("targets = [").unwrap();
    let end = start + PER_TARGET[start..].find("]\n").unwrap() + 2;
    let tables = r#"[[rule.r.targets]]
target = "sqs.hasty"
maximum_retry_attempts = 0
dead_letter_queue = "sqs.hasty_dlq"
message_group_id = "g"
[[rule.r.targets]]
target = "sqs.patient"
maximum_event_age_s = 3600
message_group_id = "g"
[[rule.r.targets]]
target = "sqs.plain"
"#;
    let text = format!("{}{tables}{}", &PER_TARGET[..start], &PER_TARGET[end..]);
    assert_eq!(summary(&inline(&text)).1, summary(&inline(PER_TARGET)).1);
}
