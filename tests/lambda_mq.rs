//! Lambda's Amazon MQ event source through scenarios: the mapping's fixed pollers and their
//! throughput against Little's law, the batching window, whole-batch redelivery and
//! dead-lettering after a function error, throttled batches handed back, event filtering on
//! the record's `data`, determinism, and the reader's refusals.

mod common;

use common::{counter, gauge, inline, parse_inline, summary};

/// A broker fed at `rate_per_s`, consumed by `lambda.f` with `mapping` keys, AWS's call
/// latencies off and no INIT, so that a batch's cycle is exactly the handler's duration.
fn consumed(engine: &str, rate_per_s: f64, horizon_s: u32, function: &str, mapping: &str) -> String {
    let capacity = if engine == "rabbitmq" { "capacity_msgs_per_s = 5000" } else { "" };
    format!(
        r#"
        [run]
        horizon_s = {horizon_s}
        [latency]
        aws_calls = "none"
        [workload.w]
        target = "mq.b"
        arrival = "poisson"
        rate_per_s = {rate_per_s}
        [mq.b]
        engine = "{engine}"
        instance_type = "mq.m5.large"
        producers = 50
        storage = "ebs"
        {capacity}
        [lambda.f]
        source = "mq.b"
        init_duration_s = 0
        {function}
        {mapping}
        "#
    )
}

#[test]
fn a_backlog_drains_at_pollers_times_batch_over_duration() {
    // ActiveMQ: 5 pollers by default; full batches of 10 every 0.5 s each = 100 messages a
    // second (Little's law with 5 batches always in service), whatever the 300 sent.
    let text = consumed("activemq", 300.0, 120, "duration_s = 0.5", "batch_size = 10");
    let (result, s) = summary(&inline(&text));
    assert_eq!(gauge(&s, "lambda.f.pollers_mean"), 5.0);
    let throughput = counter(&s, "mq.b.acknowledged") as f64 / result.measured_s;
    assert!((throughput - 100.0).abs() < 1.0, "{throughput}");
    assert_eq!(counter(&s, "lambda.f.batch_messages"), 10 * counter(&s, "lambda.f.batches"));
    assert!(gauge(&s, "lambda.f.concurrency_mean") > 4.95);
    // RabbitMQ: one poller, so a fifth of it.
    let text = consumed("rabbitmq", 300.0, 120, "duration_s = 0.5", "batch_size = 10");
    let (result, s) = summary(&inline(&text));
    assert_eq!(gauge(&s, "lambda.f.pollers_mean"), 1.0);
    let throughput = counter(&s, "mq.b.acknowledged") as f64 / result.measured_s;
    assert!((throughput - 20.0).abs() < 0.5, "{throughput}");
    // A raised concurrency (AWS Support, per mapping) scales it: 20 pollers, 400 a second,
    // more than the 300 sent, so the broker keeps up.
    let text = consumed("activemq", 300.0, 120, "duration_s = 0.5", "batch_size = 10\nenvironments_max = 20");
    let (result, s) = summary(&inline(&text));
    let throughput = counter(&s, "mq.b.acknowledged") as f64 / result.measured_s;
    assert!((throughput - 300.0).abs() < 10.0, "{throughput}");
}

#[test]
fn at_low_traffic_a_batch_gathers_for_its_window() {
    // 2 messages a second, batch size 100, the default window of 500 ms: a batch is its
    // first message and the Poisson arrivals of the next 0.5 s, 1 + 2 × 0.5 = 2 on average.
    let text = consumed("activemq", 2.0, 3_600, "duration_s = 0.05", "");
    let s = summary(&inline(&text)).1;
    let mean = counter(&s, "lambda.f.batch_messages") as f64 / counter(&s, "lambda.f.batches") as f64;
    assert!((mean - 2.0).abs() < 0.08, "{mean}");
    // Without a window each message goes at once, alone.
    let text = consumed("activemq", 2.0, 3_600, "duration_s = 0.05", "batching_window_s = 0");
    let s = summary(&inline(&text)).1;
    assert_eq!(counter(&s, "lambda.f.batches"), counter(&s, "lambda.f.batch_messages"));
}

#[test]
fn a_failed_batch_is_redelivered_whole_then_dead_lettered_after_six() {
    // Every invocation fails: each message is delivered once and redelivered 6 times
    // (Lambda's fixed policy on ActiveMQ), then dead-lettered; none is acknowledged.
    let text = consumed("activemq", 10.0, 600, "duration_s = 0.05\nerror_rate = 1.0", "batch_size = 10");
    let s = summary(&inline(&text)).1;
    let dead = counter(&s, "mq.b.dead_lettered");
    // (Those sent in the last 7 s or so are still being redelivered at the horizon.)
    assert!(dead > 5_800, "{dead}");
    // Each redelivery waits 1 s (ActiveMQ's default initialRedeliveryDelay, which Lambda
    // takes), so by Little's law the broker holds at least 10 a second × 6 s of waits.
    let stored = gauge(&s, "mq.b.stored_mean");
    assert!(stored > 60.0 && stored < 100.0, "{stored}");
    assert_eq!(counter(&s, "mq.b.acknowledged"), 0);
    let redelivered = counter(&s, "mq.b.redelivered");
    assert!(redelivered >= 6 * dead && redelivered <= 6 * (dead + 100), "{redelivered} for {dead}");
    // (Batches still running at the horizon are counted as started, not yet as failed.)
    let batches = counter(&s, "lambda.f.batches");
    assert!((batches - 5..=batches).contains(&counter(&s, "lambda.f.failed_batches")));
    assert_eq!(counter(&s, "lambda.f.errors"), counter(&s, "lambda.f.failed_batches"));
    // With 1 % of messages failing, a batch of 10 fails with probability 1 − 0.99^10, and
    // each message of it comes back.
    let text = consumed("activemq", 100.0, 3_600, "duration_s = 0.05\nerror_rate = 0.01", "batch_size = 10");
    let s = summary(&inline(&text)).1;
    let (failed, batches) = (counter(&s, "lambda.f.failed_batches") as f64, counter(&s, "lambda.f.batches") as f64);
    let p = 1.0 - 0.99f64.powi(10);
    let sd = (p * (1.0 - p) / batches).sqrt();
    assert!((failed / batches - p).abs() < 4.5 * sd, "{} against {p}", failed / batches);
    let returned = counter(&s, "mq.b.redelivered") + counter(&s, "mq.b.dead_lettered");
    assert!(returned as f64 >= 0.99 * failed * 10.0 && returned as f64 <= failed * 10.0, "{returned} for {failed}");
}

#[test]
fn a_throttled_batch_goes_back_to_the_broker_and_is_not_lost() {
    // Reserved concurrency 2 under 5 pollers: batches beyond 2 are throttled, handed back
    // unprocessed (no redelivery counted), and every message is still acknowledged.
    let text = consumed("activemq", 50.0, 300, "duration_s = 0.5\nreserved_concurrency = 2", "batch_size = 10");
    // Sends stop at 200 s, so that the backlog drains before the horizon.
    let text = text.replace(
        "arrival = \"poisson\"\n        rate_per_s = 50",
        "arrival = \"steps\"\n        steps = [[0, 50], [200, 0]]",
    );
    let s = summary(&inline(&text)).1;
    assert!(counter(&s, "lambda.f.throttled_batches") > 0);
    assert_eq!(counter(&s, "mq.b.redelivered"), 0);
    assert_eq!(counter(&s, "mq.b.acknowledged"), counter(&s, "mq.b.sent"));
    assert!(gauge(&s, "lambda.f.concurrency_mean") <= 2.0);
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let text = consumed(
        "activemq",
        80.0,
        300,
        "duration_s = { dist = \"exponential\", mean = 0.3 }\nerror_rate = 0.02",
        "batch_size = 20\nbatching_window_s = 1",
    );
    let a = serde_json::to_string(&summary(&inline(&text)).1).unwrap();
    let b = serde_json::to_string(&summary(&inline(&text)).1).unwrap();
    assert_eq!(a, b);
    let other = serde_json::to_string(&summary(&inline(&text.replace("[run]\n", "[run]\nseed = 2\n"))).1).unwrap();
    assert_ne!(a, other, "another seed draws other arrivals");
}

#[test]
fn the_reader_refuses_what_an_amazon_mq_mapping_cannot_take() {
    let refused = |text: &str| parse_inline(text, &[]).expect_err("refused").to_string();
    let base = consumed("activemq", 1.0, 60, "duration_s = 0.1", "");
    // The broker's own consumers beside Lambda's pollers.
    let e = refused(&base.replace("producers = 50", "producers = 50\nconsumers = 4"));
    assert!(e.contains("mq.b.consumers") && e.contains("lambda.f consumes this broker"), "{e}");
    // A custom redelivery policy on ActiveMQ.
    let e = refused(&base.replace("producers = 50", "producers = 50\nmax_redeliveries = 3"));
    assert!(e.contains("mq.b.max_redeliveries") && e.contains("maximumRedeliveries 6"), "{e}");
    // RabbitMQ's is the model's choice, so it is taken.
    let rabbit = consumed("rabbitmq", 1.0, 60, "duration_s = 0.1", "");
    parse_inline(&rabbit.replace("producers = 50", "producers = 50\nmax_redeliveries = 3"), &[]).expect("taken");
    // SQS-only mapping keys.
    let e = refused(&consumed("activemq", 1.0, 60, "duration_s = 0.1", "maximum_concurrency = 10"));
    assert!(e.contains("lambda.f.maximum_concurrency") && e.contains("environments_max"), "{e}");
    let e = refused(&consumed("activemq", 1.0, 60, "duration_s = 0.1", "report_batch_item_failures = true"));
    assert!(e.contains("does not apply to an Amazon MQ source"), "{e}");
    // AWS's limits through the key table.
    let e = refused(&consumed("activemq", 1.0, 60, "duration_s = 0.1", "batch_size = 10001"));
    assert!(e.contains("lambda.f.batch_size") && e.contains("10,000"), "{e}");
    let e = refused(&consumed("activemq", 1.0, 60, "duration_s = 0.1", "batching_window_s = 301"));
    assert!(e.contains("lambda.f.batching_window_s"), "{e}");
    // A broker nobody consumes, and an SQS mapping with the Amazon MQ key.
    let e = refused(&base.replace("source = \"mq.b\"", ""));
    assert!(e.contains("consumers"), "{e}");
    let sqs = "[run]\nhorizon_s = 60\n[workload.w]\ntarget = \"sqs.q\"\narrival = \"poisson\"\nrate_per_s = 1\n\
               [sqs.q]\n[lambda.f]\nsource = \"sqs.q\"\nduration_s = 0.1\nenvironments_max = 3\n";
    let e = refused(sqs);
    assert!(e.contains("lambda.f.environments_max") && e.contains("Amazon MQ source"), "{e}");
}

#[test]
fn several_mappings_may_mix_a_queue_and_a_broker() {
    let text = r#"
        [run]
        horizon_s = 120
        [latency]
        aws_calls = "none"
        [workload.toq]
        target = "sqs.q"
        arrival = "constant"
        rate_per_s = 10
        [workload.tob]
        target = "mq.b"
        arrival = "constant"
        rate_per_s = 10
        [sqs.q]
        [mq.b]
        engine = "activemq"
        instance_type = "mq.m5.large"
        producers = 5
        [lambda.f]
        duration_s = 0.05
        [lambda.f.mappings.orders]
        source = "sqs.q"
        [lambda.f.mappings.legacy]
        source = "mq.b"
        environments_max = 2
    "#;
    let s = summary(&inline(text)).1;
    assert_eq!(gauge(&s, "lambda.f.mappings.legacy.pollers_mean"), 2.0);
    let legacy = counter(&s, "lambda.f.mappings.legacy.batch_messages");
    let orders = counter(&s, "lambda.f.mappings.orders.batch_messages");
    assert!(legacy > 1_150 && orders > 1_150, "{legacy} {orders}");
    assert_eq!(counter(&s, "mq.b.acknowledged"), legacy);
}

#[test]
fn the_shipped_scenario_is_held_back_by_five_environments_until_they_are_raised() {
    // The figures of the book's shipped-scenarios page.
    let (result, s) = summary(&common::load(&common::shipped("lambda_mq.toml"), &[]));
    assert_eq!(result.measured_s, 3_300.0);
    assert_eq!(counter(&s, "workload.orders.sent"), 824_182);
    assert_eq!(counter(&s, "mq.orders.acknowledged"), 635_420);
    assert_eq!(gauge(&s, "lambda.fulfil.concurrency_mean"), 5.0);
    assert!((common::latency(&s, "mq.orders.end_to_end", "p50") / 1_000.0 - 438.3).abs() < 0.5);
    let raised = summary(&common::load(&common::shipped("lambda_mq.toml"), &["lambda.fulfil.environments_max=10"])).1;
    assert_eq!(counter(&raised, "mq.orders.acknowledged"), 824_140);
    assert!((common::latency(&raised, "mq.orders.end_to_end", "p99") - 2_043.9).abs() < 1.0);
}

/// A broker fed 100 messages a second for 300 s, each with a body whose `kind` is "order"
/// with probability `order_weight`, consumed by a function with `filters` on `data`.
fn filtered(order_weight: f64, filters: &str) -> String {
    format!(
        r#"
        [run]
        seed = 11
        horizon_s = 400
        [latency]
        aws_calls = "none"
        [workload.w]
        target = "mq.b"
        arrival = "poisson"
        rate_per_s = 100
        stop_s = 300
        [workload.w.body]
        kind = {{ values = ["order", "refund"], weights = [{order_weight}, {refund}] }}
        [mq.b]
        engine = "activemq"
        instance_type = "mq.m5.large"
        producers = 50
        storage = "ebs"
        [lambda.f]
        source = "mq.b"
        init_duration_s = 0
        duration_s = 0.05
        filter_patterns = {filters}
        "#,
        refund = 1.0 - order_weight,
    )
}

#[test]
fn about_30_percent_of_a_brokers_messages_reach_the_function_when_30_percent_are_orders() {
    let (_, s) = summary(&inline(&filtered(0.3, r#"['{"data": {"kind": ["order"]}}']"#)));
    let sent = counter(&s, "mq.b.sent");
    let reached = counter(&s, "lambda.f.batch_messages");
    let filtered_out = counter(&s, "lambda.f.filtered_out");
    assert!(sent > 25_000, "{sent}");
    // Every message is either handled or filtered out, and acknowledged either way.
    assert_eq!(reached + filtered_out, sent);
    assert_eq!(counter(&s, "mq.b.acknowledged"), sent);
    // Binomial: within 4.5 standard deviations of 30 %.
    let (n, p) = (sent as f64, 0.3);
    let sd = (n * p * (1.0 - p)).sqrt();
    assert!((reached as f64 - n * p).abs() < 4.5 * sd, "{reached} of {sent}");
    // A filter on a kind no message has lets none through and invokes nothing.
    let (_, s) = summary(&inline(&filtered(0.3, r#"['{"data": {"kind": ["rush"]}}']"#)));
    assert_eq!(counter(&s, "lambda.f.batch_messages"), 0);
    assert_eq!(counter(&s, "lambda.f.filtered_out"), counter(&s, "mq.b.sent"));
    assert_eq!(counter(&s, "lambda.f.requests"), 0);
    assert_eq!(counter(&s, "mq.b.acknowledged"), counter(&s, "mq.b.sent"));
}

#[test]
fn a_brokers_filters_are_ored_and_a_message_without_a_body_matches_none() {
    let two = r#"['{"data": {"kind": ["order"]}}', { data = { kind = ["refund"] } }]"#;
    let (_, s) = summary(&inline(&filtered(0.3, two)));
    assert_eq!(counter(&s, "lambda.f.filtered_out"), 0);
    assert_eq!(counter(&s, "lambda.f.batch_messages"), counter(&s, "mq.b.sent"));
    let text = filtered(0.3, r#"['{"data": {"kind": ["order"]}}']"#)
        .replace("[workload.w.body]\n        kind = { values = [\"order\", \"refund\"], weights = [0.3, 0.7] }", "");
    assert!(!text.contains("workload.w.body"), "{text}");
    let (_, s) = summary(&inline(&text));
    assert_eq!(counter(&s, "lambda.f.batch_messages"), 0);
    assert_eq!(counter(&s, "lambda.f.filtered_out"), counter(&s, "mq.b.sent"));
}

#[test]
fn the_same_seed_gives_the_same_filtered_broker_run() {
    let scenario = inline(&filtered(0.3, r#"['{"data": {"kind": ["order"]}}']"#));
    let (_, a) = summary(&scenario);
    let (_, b) = summary(&scenario);
    assert_eq!(a, b);
    assert!(counter(&a, "lambda.f.filtered_out") > 0);
}

#[test]
fn a_brokers_filters_test_data_only_and_count_toward_the_filtered_mappings_cap() {
    let error_of = |text: &str| match parse_inline(text, &[]) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted:\n{text}"),
    };
    let on_body = error_of(&filtered(0.3, r#"['{"body": {"kind": ["order"]}}']"#));
    assert!(on_body.contains("lambda.f.filter_patterns[0]"), "{on_body}");
    assert!(on_body.contains("Amazon MQ records on the \"data\" key only"), "{on_body}");
    // 16 filtered SQS mappings and one filtered broker mapping: one too many.
    let mut text = filtered(0.3, r#"['{"data": {"kind": ["order"]}}']"#);
    for i in 0..16 {
        text.push_str(&format!(
            "[sqs.q{i}]\n[lambda.g{i}]\nduration_s = 0.05\nsource = \"sqs.q{i}\"\nfilter_patterns = ['{{\"body\": {{\"kind\": [\"order\"]}}}}']\n"
        ));
    }
    let cap = error_of(&text);
    assert!(cap.contains("at most 16 event source mappings with filter_patterns"), "{cap}");
}

#[test]
fn orchsim_run_reports_a_brokers_filtered_messages() {
    let dir = common::scratch_in("lambda_mq", "filtered");
    std::fs::write(dir.join("filtered.toml"), filtered(0.3, r#"['{"data": {"kind": ["order"]}}']"#)).unwrap();
    let out = common::orchsim(&["run", "filtered.toml", "--out", "out"], &dir);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    assert!(common::text(&out.stdout).contains("lambda.f.filtered_out"), "{}", common::text(&out.stdout));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/summary.json")).unwrap()).unwrap();
    let (reached, filtered_out) =
        (counter(&summary, "lambda.f.batch_messages"), counter(&summary, "lambda.f.filtered_out"));
    assert!(reached > 0 && filtered_out > reached, "{reached} {filtered_out}");
    assert_eq!(reached + filtered_out, counter(&summary, "mq.b.sent"));
}
