//! SNS through tiny scenarios: fan-out with filter policies, the retry policies simulated
//! end to end, dead-letter queues, FIFO topics, publish quotas, conservation and the bill.

mod common;

use common::{counter, exact, latency, load, shipped, summary};

/// One message published to a topic whose only subscription always fails, with a
/// dead-letter queue drained at once; the DLQ's end-to-end latency is the retry span.
fn failing(endpoint: &str, extra: &str) -> serde_json::Value {
    let text = format!(
        r#"
        [run]
        horizon_s = 3000000
        [workload.w]
        target = "sns.t"
        arrival = "constant"
        rate_per_s = 1
        count_max = 1
        [sns.t]
        [subscription.s]
        topic = "sns.t"
        endpoint = "{endpoint}"
        dead_letter_queue = "sqs.dlq"
        {extra}
        [sqs.dlq]
        message_retention_s = 1209600
        [workers.dlq]
        source = "sqs.dlq"
        count = 1
        service_time_s = 0
        [endpoint.down]
        protocol = "https"
        failure_rate = 1.0
        [endpoint.mailbox]
        protocol = "email"
        failure_rate = 1.0
        [lambda.blocked]
        duration_s = 0.1
        reserved_concurrency = 0
        "#
    );
    summary(&exact(&text)).1
}

fn span_s(s: &serde_json::Value) -> f64 {
    latency(s, "sqs.dlq.end_to_end", "max") / 1_000.0
}

#[test]
fn a_lambda_subscription_is_delivered_once_lambda_queues_the_event() {
    // Lambda's asynchronous Invoke accepts the event even when the function can never run:
    // the function's own queue retries it and drops it after 6 h, so SNS delivered it at
    // once and never retries (the AWS-managed schedule is the SNS model's own test).
    let s = failing("lambda.blocked", "");
    assert_eq!(counter(&s, "subscription.s.delivered"), 1);
    assert_eq!((counter(&s, "subscription.s.retries"), counter(&s, "subscription.s.dead_lettered")), (0, 0));
    assert_eq!(counter(&s, "lambda.blocked.async_event_age_exceeded"), 1);
}

#[test]
fn customer_managed_retries_run_50_times_over_more_than_6_hours() {
    let s = failing("endpoint.mailbox", "");
    assert_eq!(counter(&s, "subscription.s.retries"), 50);
    let hours = span_s(&s) / 3_600.0;
    assert!((6.3..8.0).contains(&hours), "{hours} h");
}

#[test]
fn http_defaults_retry_3_times_20_seconds_apart() {
    let s = failing("endpoint.down", "");
    assert_eq!(counter(&s, "subscription.s.retries"), 3);
    // 3 × 20 s, each within ±10 % jitter, plus the attempts' 0.1 s responses.
    let span = span_s(&s);
    assert!((54.0..66.5).contains(&span), "{span} s");
}

#[test]
fn permanent_client_errors_go_straight_to_the_dead_letter_queue() {
    let text = r#"
        [run]
        horizon_s = 600
        [workload.w]
        target = "sns.t"
        arrival = "constant"
        rate_per_s = 1
        count_max = 20
        [sns.t]
        [subscription.s]
        topic = "sns.t"
        endpoint = "endpoint.gone"
        dead_letter_queue = "sqs.dlq"
        [sqs.dlq]
        [endpoint.gone]
        protocol = "https"
        failure_rate = 1.0
        failure = "4xx"
    "#;
    let (_, s) = summary(&exact(text));
    assert_eq!(counter(&s, "subscription.s.retries"), 0);
    assert_eq!(counter(&s, "subscription.s.dead_lettered"), 20);
    assert_eq!(counter(&s, "sqs.dlq.visible_at_end"), 20);
}

#[test]
fn fan_out_conserves_every_message_and_filters_select_their_share() {
    let (_, s) = summary(&load(&shipped("sns_order_fanout.toml"), &[]));
    let published = counter(&s, "sns.order_events.published");
    for sub in ["billing", "shipping", "fraud_review", "partner_webhook"] {
        let name = |k: &str| format!("subscription.{sub}.{k}");
        let matched = counter(&s, &name("matched"));
        assert_eq!(
            matched + counter(&s, &name("filtered_out")),
            published,
            "{sub}: every publish is matched or filtered"
        );
        let settled =
            counter(&s, &name("delivered")) + counter(&s, &name("dead_lettered")) + counter(&s, &name("dropped"));
        assert!(matched >= settled && matched - settled <= counter(&s, &name("in_flight_at_end")), "{sub}");
        assert_eq!(
            matched - settled,
            counter(&s, &name("in_flight_at_end")),
            "{sub}: published × matches = delivered + DLQ + dropped + in flight"
        );
    }
    let share = |sub: &str| counter(&s, &format!("subscription.{sub}.matched")) as f64 / published as f64;
    // event_type placed or cancelled: 0.8; placed and not from the partner: 0.7 × 0.9.
    assert!((share("billing") - 0.8).abs() < 0.01, "{}", share("billing"));
    assert!((share("shipping") - 0.63).abs() < 0.01, "{}", share("shipping"));
    assert!((share("partner_webhook") - 0.1).abs() < 0.01);
    // The webhook's outage: retries, and some deliveries in its dead-letter queue.
    assert!(counter(&s, "subscription.partner_webhook.retries") > 1_000);
    assert!(counter(&s, "subscription.partner_webhook.dead_lettered") > 0);
    assert_eq!(counter(&s, "subscription.partner_webhook.dead_lettered"), counter(&s, "sqs.partner-dlq.sent"));
}

#[test]
fn a_delivery_made_within_the_publish_counts_as_one_attempted_after_a_zero_hop() {
    // With no hop, the SQS subscriptions' deliveries are made within the publish and not
    // kept. A hop of 0.1 µs is a hop (only a constant 0 is none), so each delivery is kept
    // and attempted as any other, after a draw that rounds to 0 µs. Same results.
    let fan_out = shipped("sns_order_fanout.toml");
    let short = "run.horizon_s=1800";
    let (_, at_once) = summary(&load(&fan_out, &[short, common::NO_HOPS]));
    let zero_hops = [
        "latency.subscription.billing.sns_to_sqs_s=0.0000001",
        "latency.subscription.shipping.sns_to_sqs_s=0.0000001",
        "latency.subscription.fraud_review.sns_to_sqs_s=0.0000001",
    ];
    let (_, kept) = summary(&load(&fan_out, &[&[short, common::NO_HOPS][..], &zero_hops[..]].concat()));
    assert!(counter(&at_once, "subscription.billing.delivered") > 1_000);
    assert!(counter(&at_once, "subscription.partner_webhook.retries") > 0, "kept deliveries beside them");
    assert_eq!(at_once, kept);
}

#[test]
fn a_fifo_topic_keeps_group_order_and_drops_duplicates_end_to_end() {
    let text = r#"
        [run]
        horizon_s = 1200
        [workload.w]
        target = "sns.t"
        arrival = "poisson"
        rate_per_s = 20
        group_count = 5
        duplicate_send_fraction = 0.1
        duplicate_send_delay_s = 5
        [sns.t]
        fifo = true
        [subscription.q]
        topic = "sns.t"
        endpoint = "sqs.q"
        [sqs.q]
        fifo = true
        visibility_timeout_s = 5
        [workers.p]
        source = "sqs.q"
        count = 6
        batch_size = 10
        error_rate = 0.1
        service_time_s = { dist = "exponential", mean = 0.2 }
    "#;
    let (_, s) = summary(&exact(text));
    assert!(counter(&s, "sns.t.deduplicated") > 1_000);
    assert_eq!(counter(&s, "sns.t.published"), counter(&s, "subscription.q.delivered"));
    assert_eq!(counter(&s, "sqs.q.fifo_order_violations"), 0);
    assert_eq!(counter(&s, "sqs.q.deduplicated"), 0, "duplicates never reach the queue");
}

#[test]
fn a_fifo_topic_serves_3000_messages_a_second() {
    let text = r#"
        [run]
        horizon_s = 10
        [workload.w]
        target = "sns.t"
        arrival = "constant"
        rate_per_s = 4000
        group_count = 100
        retry_max_attempts = 1
        [sns.t]
        fifo = true
        [subscription.q]
        topic = "sns.t"
        endpoint = "sqs.q"
        [sqs.q]
        fifo = true
        high_throughput = true
    "#;
    let (_, s) = summary(&exact(text));
    let published = counter(&s, "sns.t.published");
    assert!((32_990..=33_000).contains(&published), "{published}");
    assert_eq!(counter(&s, "sns.t.throttled"), 40_000 - published);
}

#[test]
fn standard_topics_share_the_accounts_publish_quota_in_their_region() {
    // Two topics at 20,000 publishes a second each: the account's 30,000 a second in
    // us-east-1 is shared, so about 10,000 a second are throttled (the bucket starts full).
    let text = |second_region: &str| {
        format!(
            r#"
            [run]
            horizon_s = 10
            [workload.a]
            target = "sns.a"
            arrival = "constant"
            rate_per_s = 20000
            retry_max_attempts = 1
            [workload.b]
            target = "sns.b"
            arrival = "constant"
            rate_per_s = 20000
            retry_max_attempts = 1
            [sns.a]
            [sns.b]
            region = "{second_region}"
            [pricing]
            price_list = ["../tests/data/prices/AmazonSNS-us-west-1.json"]
            "#
        )
    };
    let (_, s) = summary(&exact(&text("us-east-1")));
    let throttled = counter(&s, "sns.a.throttled") + counter(&s, "sns.b.throttled");
    let published = counter(&s, "sns.a.published") + counter(&s, "sns.b.published");
    assert_eq!(published + throttled, 400_000);
    // 30,000 in the full bucket plus 30,000 a second for 10 s, give or take the edges.
    assert!((329_995..=330_005).contains(&published), "{published}");
    assert!((69_995..=70_005).contains(&throttled), "{throttled}");
    // A topic in another Region draws on that Region's quota, not this one's.
    let (_, s) = summary(&exact(&text("us-west-1")));
    assert_eq!(counter(&s, "sns.a.throttled"), 0);
    let published = counter(&s, "sns.b.published");
    assert!((16_495..=16_505).contains(&published), "us-west-1 allows 1,500 a second: {published}");
}

#[test]
fn a_high_throughput_fifo_topic_is_limited_by_its_region_and_groups_not_by_3000_a_second() {
    let text = |scope: &str| {
        format!(
            r#"
            [run]
            horizon_s = 10
            [workload.w]
            target = "sns.t"
            arrival = "constant"
            rate_per_s = 6000
            group_count = 100
            retry_max_attempts = 1
            [sns.t]
            fifo = true
            fifo_throughput_scope = "{scope}"
            [subscription.q]
            topic = "sns.t"
            endpoint = "sqs.q"
            [sqs.q]
            fifo = true
            high_throughput = true
            "#
        )
    };
    let (_, s) = summary(&exact(&text("topic")));
    assert!(counter(&s, "sns.t.throttled") > 20_000, "3,000 a second per topic");
    let (_, s) = summary(&exact(&text("message_group")));
    assert_eq!(counter(&s, "sns.t.throttled"), 0, "60 a second per group, 6,000 in all: within us-east-1's 30,000");
    let e = common::parse_inline(
        &text("message_group").replace("fifo = true\n            fifo_throughput", "fifo_throughput"),
        &[],
    )
    .unwrap_err();
    assert!(e.to_string().contains("applies to FIFO topics only"), "{e}");
}

#[test]
fn a_workload_can_publish_directly_to_a_mobile_endpoint() {
    let text = r#"
        [run]
        horizon_s = 3600
        [workload.pushes]
        target = "endpoint.app"
        arrival = "constant"
        rate_per_s = 2
        [endpoint.app]
        protocol = "application"
        failure_rate = 0.01
    "#;
    let (_, s) = summary(&exact(text));
    let published = counter(&s, "sns.direct.app.published");
    assert_eq!(published, 7_200);
    let settled =
        counter(&s, "subscription.direct.app.delivered") + counter(&s, "subscription.direct.app.in_flight_at_end");
    assert_eq!(settled, published, "failed pushes retry by the customer-managed policy");
    assert!(counter(&s, "subscription.direct.app.retries") > 0);
    assert!(s["cost_usd"]["sns"].as_f64().unwrap() >= 0.0);
    let e = common::parse_inline(&text.replace("protocol = \"application\"", "protocol = \"https\""), &[]).unwrap_err();
    assert!(e.to_string().contains("mobile-push endpoint"), "{e}");
}

/// A topic with one workload of 500 messages and, per `(name, policy)`, a subscription to
/// one queue; the summary.
fn filtered(attributes: &str, policies: &[(&str, &str)]) -> serde_json::Value {
    let subscriptions: String = policies
        .iter()
        .map(|(name, policy)| {
            format!("[subscription.{name}]\ntopic = \"sns.t\"\nendpoint = \"sqs.q\"\nfilter_policy = '{policy}'\n")
        })
        .collect();
    let text = format!(
        "[run]\nhorizon_s = 100\n[workload.w]\ntarget = \"sns.t\"\narrival = \"constant\"\nrate_per_s = 10\n\
         count_max = 500\n[workload.w.attributes]\n{attributes}\n[sns.t]\n{subscriptions}[sqs.q]\n"
    );
    summary(&exact(&text)).1
}

/// AWS's string-matching page: each element of a `String.Array` is tested on its own, and
/// its example `["rugby", "baseball"]` matches `{"anything-but": ["rugby", "tennis"]}`.
#[test]
fn generated_string_array_attributes_reproduce_aws_examples() {
    let s = filtered(
        r#"customer_interests = { values = ["rugby", "baseball"], items = 2 }"#,
        &[
            ("exact", r#"{"customer_interests": ["rugby", "tennis"]}"#),
            ("anything_but", r#"{"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}"#),
            ("tennis", r#"{"customer_interests": ["tennis"]}"#),
            ("prefix", r#"{"customer_interests": [{"prefix": "base"}]}"#),
        ],
    );
    assert_eq!(counter(&s, "sns.t.published"), 500);
    assert_eq!(counter(&s, "subscription.exact.matched"), 500);
    assert_eq!(counter(&s, "subscription.anything_but.matched"), 500);
    assert_eq!(counter(&s, "subscription.tennis.matched"), 0);
    assert_eq!(counter(&s, "subscription.prefix.matched"), 500);
}

/// A list of 0 to 2 interests: an empty `String.Array` holds no value, so `exists` sees the
/// attribute as absent (the message still has attributes: `store` is always there).
#[test]
fn an_empty_generated_string_array_is_absent_to_exists() {
    let s = filtered(
        "customer_interests = { values = [\"rugby\", \"baseball\"], items = [0, 2] }\nstore = { values = [\"example_corp\"] }",
        &[
            ("some", r#"{"customer_interests": [{"exists": true}]}"#),
            ("none", r#"{"customer_interests": [{"exists": false}]}"#),
            (
                "both",
                r#"{"customer_interests": ["rugby"], "$or": [{"customer_interests": ["baseball"]}, {"store": ["x"]}]}"#,
            ),
        ],
    );
    let (some, none) = (counter(&s, "subscription.some.matched"), counter(&s, "subscription.none.matched"));
    assert_eq!(some + none, 500);
    // Counts 0, 1 and 2 are equally likely.
    assert!((120..215).contains(&none), "{none} empty lists of 500");
    // Both values only in a list of two, which is one message in three.
    let both = counter(&s, "subscription.both.matched");
    assert!((120..215).contains(&both), "{both}");
}

/// AWS's key-matching page: `"exists": false` does not match a message without attributes.
#[test]
fn exists_false_filters_out_messages_without_attributes() {
    let text = r#"
        [run]
        horizon_s = 100
        [workload.w]
        target = "sns.t"
        arrival = "constant"
        rate_per_s = 10
        count_max = 50
        [sns.t]
        [subscription.no_store]
        topic = "sns.t"
        endpoint = "sqs.q"
        filter_policy = '{"store": [{"exists": false}]}'
        [sqs.q]
    "#;
    let (_, s) = summary(&exact(text));
    assert_eq!(counter(&s, "subscription.no_store.matched"), 0);
    assert_eq!(counter(&s, "subscription.no_store.filtered_out"), 50);
}

#[test]
fn a_publish_batch_counts_its_messages_against_the_publish_quota_and_is_throttled_whole() {
    // 2,000 messages a second in PublishBatch calls of 10 (200 calls a second) to a topic in
    // us-west-1, whose account quota is 1,500 messages a second: the quota counts messages,
    // so about 16,500 of the 20,000 get through in 10 s, in whole calls.
    let text = r#"
        [run]
        horizon_s = 10
        [workload.w]
        target = "sns.t"
        arrival = "constant"
        rate_per_s = 2000
        send_batch_max = 10
        send_batch_linger_s = 1
        retry_max_attempts = 1
        [sns.t]
        region = "us-west-1"
        [pricing]
        price_list = ["../tests/data/prices/AmazonSNS-us-west-1.json"]
    "#;
    let (_, s) = summary(&exact(text));
    let published = counter(&s, "sns.t.published");
    assert_eq!(published + counter(&s, "sns.t.throttled"), 20_000);
    assert!((16_490..=16_510).contains(&published), "{published}");
    assert_eq!(published % 10, 0, "a call is accepted or throttled whole");
    // Ten small messages make one 64 KiB chunk: one billed request a call, not ten.
    assert_eq!(counter(&s, "sns.t.billed_requests"), published / 10);
    assert_eq!(counter(&s, "workload.w.send_gave_up"), 20_000 - published);
    assert_eq!(counter(&s, "workload.w.throttled_calls") * 10, 20_000 - published);
}

#[test]
fn a_publish_batch_is_cut_at_256_kib_and_billed_by_the_chunks_of_its_whole_payload() {
    // Three messages of 90,000 bytes, a second apart: two fit in 256 KiB, so the third
    // sends them at once and waits 10 s on its own. A call is billed by 64 KiB chunks of
    // its whole payload: 3 for the pair (180,000 bytes) and 2 for the third, where billing
    // each message on its own would give 2 + 2 + 2.
    let text = r#"
        [run]
        horizon_s = 100
        [workload.w]
        target = "sns.t"
        arrival = "constant"
        rate_per_s = 1
        count_max = 3
        message_size_bytes = 90000
        send_batch_max = 10
        send_batch_linger_s = 10
        [sns.t]
        [subscription.s]
        topic = "sns.t"
        endpoint = "sqs.q"
        [sqs.q]
        [workers.p]
        source = "sqs.q"
        count = 1
        service_time_s = 0
    "#;
    let (_, s) = summary(&exact(text));
    assert_eq!(counter(&s, "sns.t.published"), 3);
    assert_eq!(counter(&s, "sns.t.billed_requests"), 5);
    // Waits of 2 s, 1 s and 10 s.
    let mean_ms = latency(&s, "sqs.q.end_to_end", "mean");
    assert!((mean_ms - 13_000.0 / 3.0).abs() < 50.0, "{mean_ms}");
}

#[test]
fn a_publish_batch_to_a_fifo_topic_is_held_to_300_messages_a_second_per_group() {
    // One message group at 400 messages a second, in calls of 10: the group's 300 a second
    // (and the full bucket at the start) let about 3,300 of the 4,000 through, whole calls.
    let text = r#"
        [run]
        horizon_s = 10
        [workload.w]
        target = "sns.t"
        arrival = "constant"
        rate_per_s = 400
        send_batch_max = 10
        send_batch_linger_s = 1
        retry_max_attempts = 1
        [sns.t]
        fifo = true
    "#;
    let (_, s) = summary(&exact(text));
    let published = counter(&s, "sns.t.published");
    assert_eq!(published + counter(&s, "sns.t.throttled"), 4_000);
    assert!((3_290..=3_310).contains(&published), "{published}");
    assert_eq!(published % 10, 0);
}
