//! Event filtering on Lambda's SQS event source mappings (`filter_patterns`), through tiny
//! scenarios: the share of messages that reach the function, the body as SNS and EventBridge
//! deliver it, what filtered messages cost, and the reader's errors.

mod common;

use common::{counter, inline, orchsim, parse_inline, scratch_in, summary, text};

/// A queue fed `rate_per_s` messages a second for `stop_s`, each with a body whose `kind`
/// is "order" with probability `order_weight`, drained by a function with `filters`.
fn orders(order_weight: f64, filters: &str) -> String {
    format!(
        r#"
        [run]
        seed = 7
        horizon_s = 400
        [workload.w]
        target = "sqs.q"
        arrival = "poisson"
        rate_per_s = 100
        stop_s = 300
        [workload.w.body]
        kind = {{ values = ["order", "refund"], weights = [{order_weight}, {refund}] }}
        # No at-least-once duplicates, so counts can be compared exactly.
        [sqs.q]
        visibility_timeout_s = 60
        duplicate_rate = 0
        [lambda.f]
        source = "sqs.q"
        timeout_s = 10
        duration_s = 0.05
        filter_patterns = {filters}
        "#,
        refund = 1.0 - order_weight,
    )
}

#[test]
fn about_30_percent_reach_the_function_when_30_percent_are_orders() {
    let (_, s) = summary(&inline(&orders(0.3, r#"['{"body": {"kind": ["order"]}}']"#)));
    let sent = counter(&s, "sqs.q.sent");
    let reached = counter(&s, "lambda.f.batch_messages");
    let filtered = counter(&s, "lambda.f.filtered_out");
    assert!(sent > 25_000, "{sent}");
    // Every message is either handled or filtered out, and deleted either way.
    assert_eq!(reached + filtered, sent);
    assert_eq!(counter(&s, "sqs.q.deleted"), sent);
    // Binomial: within 4.5 standard deviations of 30 %.
    let (n, p) = (sent as f64, 0.3);
    let sd = (n * p * (1.0 - p)).sqrt();
    assert!((reached as f64 - n * p).abs() < 4.5 * sd, "{reached} of {sent}");
}

#[test]
fn filters_are_ored_and_a_mapping_without_them_sees_everything() {
    let two = r#"['{"body": {"kind": ["order"]}}', { body = { kind = ["refund"] } }]"#;
    let (_, s) = summary(&inline(&orders(0.3, two)));
    assert_eq!(counter(&s, "lambda.f.filtered_out"), 0);
    assert_eq!(counter(&s, "lambda.f.batch_messages"), counter(&s, "sqs.q.sent"));
    let none = orders(0.3, "[]").replace("filter_patterns = []", "");
    let (_, s) = summary(&inline(&none));
    assert!(s["counters"].get("lambda.f.filtered_out").is_none(), "no filters, no counter");
}

#[test]
fn filtered_messages_cost_sqs_requests_but_no_invocations() {
    let (_, all) = summary(&inline(&orders(0.3, r#"['{"body": {"kind": [{"exists": true}]}}']"#)));
    let (_, some) = summary(&inline(&orders(0.3, r#"['{"body": {"kind": ["order"]}}']"#)));
    // The same arrivals (common random numbers): the filter only decides who is invoked.
    assert_eq!(counter(&all, "sqs.q.sent"), counter(&some, "sqs.q.sent"));
    assert_eq!(counter(&all, "lambda.f.filtered_out"), 0);
    let invocations = |s: &serde_json::Value| counter(s, "lambda.f.requests");
    assert!(invocations(&some) * 2 < invocations(&all), "{} vs {}", invocations(&some), invocations(&all));
    let cost = |s: &serde_json::Value, service: &str| s["cost_usd"][service].as_f64().unwrap();
    assert!(cost(&some, "lambda") < cost(&all, "lambda"));
    // Filtered messages are still received and deleted: SQS bills those requests.
    assert!(counter(&some, "sqs.q.billed_requests") > counter(&some, "sqs.q.sent"));
    assert!(cost(&some, "sqs") > 0.0);
}

#[test]
fn the_sns_envelope_hides_the_published_fields_unless_delivery_is_raw() {
    let text = r#"
        [run]
        seed = 3
        horizon_s = 200
        [workload.w]
        target = "sns.t"
        arrival = "constant"
        rate_per_s = 20
        stop_s = 100
        [workload.w.body]
        kind = { values = ["order", "refund"], weights = [1, 1] }
        [workload.w.attributes]
        tier = { values = ["gold"] }
        [sns.t]
        [subscription.raw]
        topic = "sns.t"
        endpoint = "sqs.raw"
        raw_message_delivery = true
        [subscription.wrapped]
        topic = "sns.t"
        endpoint = "sqs.wrapped"
        [subscription.notices]
        topic = "sns.t"
        endpoint = "sqs.notices"
        [sqs.raw]
        [sqs.wrapped]
        [sqs.notices]
        [lambda.raw]
        source = "sqs.raw"
        duration_s = 0.05
        filter_patterns = ['{"body": {"kind": ["order"]}}']
        [lambda.wrapped]
        source = "sqs.wrapped"
        duration_s = 0.05
        filter_patterns = ['{"body": {"kind": ["order"]}}']
        [lambda.notices]
        source = "sqs.notices"
        duration_s = 0.05
        filter_patterns = ['{"body": {"Type": ["Notification"], "Message": [{"prefix": "{\"kind\":\"order\""}], "MessageAttributes": {"tier": {"Value": ["gold"]}}}}']
    "#;
    let (_, s) = summary(&inline(text));
    let published = counter(&s, "sqs.raw.sent");
    assert_eq!(published, 2_000);
    // Raw: the published body, about half orders.
    let raw = counter(&s, "lambda.raw.batch_messages");
    assert!((850..1_150).contains(&raw), "{raw}");
    // Enveloped: the body is the envelope, with no `kind` at its top.
    assert_eq!(counter(&s, "lambda.wrapped.batch_messages"), 0);
    assert_eq!(counter(&s, "lambda.wrapped.filtered_out"), published);
    // The envelope's `Message` is the body as a string: the orders begin with their kind.
    let notices = counter(&s, "lambda.notices.batch_messages");
    assert_eq!(notices + counter(&s, "lambda.notices.filtered_out"), published);
    assert!((850..1_150).contains(&notices), "{notices}");
}

#[test]
fn an_eventbridge_rule_delivers_the_event_as_the_body() {
    let text = r#"
        [run]
        seed = 5
        horizon_s = 200
        [workload.shop]
        target = "eventbridge.default"
        arrival = "constant"
        rate_per_s = 20
        stop_s = 100
        [workload.shop.body]
        source = { values = ["com.shop"] }
        "detail.amount" = { dist = "exponential", mean = 100 }
        [eventbridge.default]
        [rule.all]
        bus = "eventbridge.default"
        event_pattern = '{"source": ["com.shop"]}'
        targets = ["sqs.orders"]
        [sqs.orders]
        [lambda.large]
        source = "sqs.orders"
        duration_s = 0.05
        filter_patterns = ['{"body": {"detail": {"amount": [{"numeric": [">=", 200]}]}}}']
    "#;
    let (_, s) = summary(&inline(text));
    let sent = counter(&s, "sqs.orders.sent");
    assert_eq!(sent, 2_000);
    let large = counter(&s, "lambda.large.batch_messages");
    assert_eq!(large + counter(&s, "lambda.large.filtered_out"), sent);
    // P(amount >= 200) = e^-2 for an exponential of mean 100: about 13.5 %.
    let (n, p) = (sent as f64, (-2.0f64).exp());
    let sd = (n * p * (1.0 - p)).sqrt();
    assert!((large as f64 - n * p).abs() < 4.5 * sd, "{large} of {sent}");
}

#[test]
fn a_message_without_a_body_matches_no_filter() {
    let text = orders(0.3, r#"['{"body": {"kind": ["order"]}}']"#)
        .replace("[workload.w.body]\n        kind = { values = [\"order\", \"refund\"], weights = [0.3, 0.7] }", "");
    assert!(!text.contains("workload.w.body"), "{text}");
    let (_, s) = summary(&inline(&text));
    assert_eq!(counter(&s, "lambda.f.batch_messages"), 0);
    assert_eq!(counter(&s, "lambda.f.filtered_out"), counter(&s, "sqs.q.sent"));
    assert_eq!(counter(&s, "lambda.f.requests"), 0);
}

#[test]
fn the_same_seed_gives_the_same_filtered_run() {
    let scenario = inline(&orders(0.3, r#"['{"body": {"kind": ["order"]}}']"#));
    let (_, a) = summary(&scenario);
    let (_, b) = summary(&scenario);
    assert_eq!(a, b);
}

fn error_of(text: &str) -> String {
    let Err(e) = parse_inline(text, &[]) else { panic!("accepted:\n{text}") };
    e.to_string()
}

#[test]
fn bad_patterns_are_refused_with_where_and_why() {
    let bad_json = error_of(&orders(0.3, r#"['{"body": {"kind": ["order"]}']"#));
    assert!(bad_json.contains("inline.toml:") && bad_json.contains("lambda.f.filter_patterns[0]"), "{bad_json}");
    assert!(bad_json.contains("not valid JSON"), "{bad_json}");
    let not_body = error_of(&orders(0.3, r#"['{"attributes": {"SenderId": ["x"]}}']"#));
    assert!(not_body.contains("\"body\" key only"), "{not_body}");
    let bad_pattern = error_of(&orders(0.3, r#"['{"body": {"kind": "order"}}']"#));
    assert!(bad_pattern.contains("lambda.f.filter_patterns[0]"), "{bad_pattern}");
    let eleven = format!("[{}]", [r#"'{"body": {"kind": ["order"]}}'"#; 11].join(", "));
    let too_many = error_of(&orders(0.3, &eleven));
    assert!(too_many.contains("11 patterns") && too_many.contains("at most 10"), "{too_many}");
    let long = format!(r#"['{{"body": {{"kind": ["{}"]}}}}']"#, "x".repeat(4_100));
    assert!(error_of(&orders(0.3, &long)).contains("at most 4096"), "{}", error_of(&orders(0.3, &long)));
}

#[test]
fn filters_need_a_source_and_sqs_workloads_generate_no_attributes() {
    let no_source = orders(0.3, r#"['{"body": {"kind": ["order"]}}']"#).replace("source = \"sqs.q\"\n", "");
    assert!(error_of(&no_source).contains("set source = \"sqs.NAME\" or \"mq.NAME\" too"), "{}", error_of(&no_source));
    let attributes =
        orders(0.3, "[]").replace("[sqs.q]", "[workload.w.attributes]\n tier = { values = [\"a\"] }\n[sqs.q]");
    assert!(error_of(&attributes).contains("workload.w.attributes"), "{}", error_of(&attributes));
}

#[test]
fn orchsim_run_reports_the_filtered_messages() {
    let dir = scratch_in("lambda_filters", "run");
    std::fs::write(dir.join("filtered.toml"), orders(0.3, r#"['{"body": {"kind": ["order"]}}']"#)).unwrap();
    let out = orchsim(&["run", "filtered.toml", "--out", "out"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("lambda.f.filtered_out"), "{}", text(&out.stdout));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/summary.json")).unwrap()).unwrap();
    assert!(counter(&summary, "lambda.f.filtered_out") > 0);
}
