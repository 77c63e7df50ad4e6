//! Bad input gets a clear error: file, line:column, key path, the bad value, what is
//! allowed and why. Never a panic.

mod common;

use common::parse_inline;
use orchsim::scenario::Location;

const GOOD: &str = r#"[run]
horizon_s = 100

[workload.w]
target = "sqs.q"
arrival = "poisson"
rate_per_s = 5.0

[sqs.q]
visibility_timeout_s = 30

[workers.p]
source = "sqs.q"
count = 2
service_time_s = { dist = "exponential", mean = 0.1 }
"#;

/// The error for `GOOD` with `from` replaced by `to`.
fn error_for(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "test bug: {from:?} not in the scenario");
    let text = GOOD.replacen(from, to, 1);
    match parse_inline(&text, &[]) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn error_for_override(set: &str) -> String {
    match parse_inline(GOOD, &[set]) {
        Ok(_) => panic!("accepted --set {set}"),
        Err(e) => e.to_string(),
    }
}

fn assert_mentions(error: &str, parts: &[&str]) {
    for part in parts {
        assert!(error.contains(part), "error does not mention {part:?}:\n{error}");
    }
}

#[test]
fn the_reference_scenario_is_valid() {
    parse_inline(GOOD, &[]).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn an_unknown_traffic_kind_names_the_two_allowed() {
    let e = error_for("horizon_s = 100\n", "horizon_s = 100\ntraffic = \"sometimes\"\n");
    assert_mentions(&e, &["inline.toml:3:11", "run.traffic = \"sometimes\"", "allowed: \"steady\", \"one-off\""]);
}

#[test]
fn visibility_timeout_above_12_hours_names_the_limit() {
    let e = error_for("visibility_timeout_s = 30", "visibility_timeout_s = 43201");
    assert_mentions(
        &e,
        &["inline.toml:10:24", "sqs.q.visibility_timeout_s = 43201", "0 to 43200", "12 hours", "VisibilityTimeout"],
    );
    assert!(e.contains("^^^^^"), "with a caret under the value:\n{e}");
}

#[test]
fn unknown_keys_list_the_allowed_keys_and_suggest_the_closest() {
    let e = error_for("visibility_timeout_s = 30", "visibilty_timeout_s = 30");
    assert_mentions(
        &e,
        &[
            "inline.toml:10:1",
            "unknown key `visibilty_timeout_s`",
            "did you mean `visibility_timeout_s`",
            "message_retention_s",
        ],
    );
    let e = error_for("[workers.p]", "[wrokers.p]");
    assert_mentions(&e, &["unknown key `wrokers`", "did you mean `workers`"]);
}

#[test]
fn wrong_types_say_what_was_expected() {
    let e = error_for("count = 2", "count = \"two\"");
    assert_mentions(&e, &["inline.toml:14:9", "workers.p.count = \"two\"", "expected a whole number, found a string"]);
    let e = error_for("count = 2", "count = 2.5");
    assert_mentions(&e, &["workers.p.count = 2.5", "whole number"]);
}

#[test]
fn unknown_references_list_the_defined_names() {
    let e = error_for("target = \"sqs.q\"", "target = \"sqs.nope\"");
    assert_mentions(&e, &["inline.toml:5:10", "workload.w.target = \"sqs.nope\"", "no such queue", "defined: sqs.q"]);
    let e = error_for("source = \"sqs.q\"", "source = \"sns.q\"");
    assert_mentions(&e, &["must name an SQS queue as \"sqs.NAME\""]);
}

#[test]
fn aws_limits_are_enforced_with_their_source() {
    for (from, to, parts) in [
        ("[sqs.q]", "[sqs.q]\nmessage_retention_s = 30", &["60 s to 1,209,600 s", "MessageRetentionPeriod"][..]),
        ("count = 2", "count = 2\nbatch_size = 11", &["MaxNumberOfMessages: 1 to 10"][..]),
        ("count = 2", "count = 2\nwait_time_s = 21", &["WaitTimeSeconds"][..]),
        (
            "[sqs.q]",
            "[sqs.d]\n[sqs.q]\ndead_letter_queue = \"sqs.d\"\nreceive_count_max = 1001",
            &["maxReceiveCount: 1 to 1,000"][..],
        ),
        ("rate_per_s = 5.0", "rate_per_s = 5.0\nmessage_size_bytes = 2000000", &["1 MiB (1,048,576 bytes)"][..]),
        ("[sqs.q]", "[sqs.q]\nreceive_count_max = 5", &["needs dead_letter_queue"][..]),
        ("[sqs.q]", "[sqs.q]\ndead_letter_queue = \"sqs.q\"", &["its own dead-letter queue"][..]),
    ] {
        assert_mentions(&error_for(from, to), parts);
    }
}

#[test]
fn values_that_cannot_work_are_explained() {
    for (from, to, parts) in [
        ("horizon_s = 100", "horizon_s = 100\nwarmup_s = 100", &["shorter than horizon_s"][..]),
        ("horizon_s = 100", "seed = 1", &["missing key `horizon_s`"][..]),
        ("count = 2", "count = 2\nwait_time_s = 0", &["short polling", "empty_receive_backoff_s"][..]),
        (
            "arrival = \"poisson\"",
            "arrival = \"poison\"",
            &[
                "workload.w.arrival = \"poison\": unknown value (did you mean \"poisson\"?)",
                "allowed: \"constant\", \"poisson\"",
            ][..],
        ),
        ("mean = 0.1", "mean = 0", &["must be above 0"][..]),
        (
            "{ dist = \"exponential\", mean = 0.1 }",
            "{ dist = \"lognormal\", median = 2, p99 = 1 }",
            &["must be above the median"][..],
        ),
        (
            "{ dist = \"exponential\", mean = 0.1 }",
            "{ dist = \"empirical\", quantiles = [[0.5, 1.0], [1.0, 2.0]] }",
            &["from probability 0"][..],
        ),
        (
            "arrival = \"poisson\"\nrate_per_s = 5.0",
            "arrival = \"steps\"\nsteps = [[10, 1.0]]",
            &["first step must be at 0 s"][..],
        ),
        (
            "arrival = \"poisson\"\nrate_per_s = 5.0",
            "arrival = \"replay\"\nfile = \"traces/missing.csv\"",
            &["cannot read", "missing.csv"][..],
        ),
        ("rate_per_s = 5.0", "rate_per_s = 5.0\non_s = 3", &["unknown key `on_s`", "allowed here"][..]),
        ("visibility_timeout_s = 30", "visibility_timeout_s = ", &["inline.toml:10:"][..]),
    ] {
        assert_mentions(&error_for(from, to), parts);
    }
}

#[test]
fn override_errors_name_the_set_argument() {
    let e = error_for_override("sqs.q.visibility_timeout_s=50000");
    assert_mentions(
        &e,
        &["in --set sqs.q.visibility_timeout_s=50000", "sqs.q.visibility_timeout_s = 50000", "12 hours"],
    );
    let e = error_for_override("workers.p.count");
    assert_mentions(&e, &["expected PATH=VALUE"]);
    let e = error_for_override("workers.p.count.x=1");
    assert_mentions(&e, &["cannot set a key inside an integer"]);
    let e = error_for_override("sqs.q.nonsense=1");
    assert_mentions(&e, &["in --set sqs.q.nonsense=1", "unknown key `nonsense`"]);
}

#[test]
fn overrides_change_values_and_can_add_keys() {
    let s = parse_inline(GOOD, &["workers.p.count=7", "sqs.q.message_retention_s=600", "workload.w.arrival=constant"])
        .unwrap();
    assert_eq!(s.pools[0].pool.count, 7);
    assert_eq!(s.queues[0].retention.as_micros(), 600_000_000);
    let s = parse_inline(GOOD, &["workers.p.service_time_s={ dist = \"constant\", value = 0.5 }"]).unwrap();
    assert_eq!(s.pools[0].pool.service_time_s.as_constant(), Some(0.5));
}

#[test]
fn errors_carry_a_structured_location() {
    let text = GOOD.replacen("count = 2", "count = 0", 1);
    let e = parse_inline(&text, &[]).unwrap_err();
    assert_eq!(e.key_path, "workers.p.count");
    assert_eq!(e.value.as_deref(), Some("0"));
    assert!(matches!(e.location, Location::Span { line: 14, column: 9, .. }));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap stand-in for fuzzing in CI: every prefix and single-byte corruption of a
    // valid scenario is either accepted or rejected with an error, never a panic.
    let bytes = GOOD.as_bytes();
    for cut in 0..bytes.len() {
        let _ = parse_inline(&String::from_utf8_lossy(&bytes[..cut]), &[]);
    }
    for i in 0..bytes.len() {
        for b in [b'"', b'[', b'=', b'0', b'\n', b'{', b'.'] {
            let mut v = bytes.to_vec();
            v[i] = b;
            let _ = parse_inline(&String::from_utf8_lossy(&v), &[]);
        }
    }
}

const WITH_FIFO_AND_LAMBDA: &str = r#"[run]
horizon_s = 100

[workload.w]
target = "sqs.f"
arrival = "poisson"
rate_per_s = 5.0

[sqs.f]
fifo = true
visibility_timeout_s = 60

[sqs.s]
visibility_timeout_s = 60

[lambda.fn]
source = "sqs.s"
timeout_s = 10
duration_s = 0.1
"#;

fn error_in(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "test bug: {from:?} not in the scenario");
    match parse_inline(&text.replacen(from, to, 1), &[]) {
        Ok(_) => panic!("accepted {to:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn fifo_standard_and_lambda_rules_are_enforced_with_their_aws_source() {
    let base = WITH_FIFO_AND_LAMBDA;
    parse_inline(base, &[]).unwrap_or_else(|e| panic!("{e}"));
    for (from, to, parts) in [
        ("rate_per_s = 5.0", "rate_per_s = 5.0\nmessage_timer_s = 10", &["FIFO queues take no per-message timer"][..]),
        ("target = \"sqs.f\"", "target = \"sqs.s\"\ngroup_count = 4", &["FIFO queues and topics only"][..]),
        ("[sqs.s]", "[sqs.s]\nhigh_throughput = true", &["unknown key `high_throughput`"][..]),
        ("fifo = true", "fifo = true\nduplicate_rate = 0.1", &["unknown key `duplicate_rate`"][..]),
        ("[sqs.s]", "[sqs.s]\ndelay_s = 901", &["DelaySeconds: 0 to 900 s"][..]),
        ("[sqs.s]", "[sqs.s]\ndead_letter_queue = \"sqs.f\"", &["FIFO to FIFO, standard to standard"][..]),
        ("[sqs.s]", "[sqs.s]\nredrive_at_s = 10", &["no queue names this one as its dead_letter_queue"][..]),
        ("[sqs.s]", "[sqs.s]\nin_flight_max = 200000", &["120,000"][..]),
        ("fifo = true", "fifo = true\ncontent_based_deduplication = false", &[][..]),
        (
            "source = \"sqs.s\"",
            "source = \"sqs.f\"\nbatching_window_s = 5",
            &["FIFO queues take no batching window"][..],
        ),
        ("source = \"sqs.s\"", "source = \"sqs.f\"\nbatch_size = 11", &["BatchSize for FIFO queues: 1 to 10"][..]),
        ("source = \"sqs.s\"", "source = \"sqs.s\"\nbatch_size = 100", &["requires a batching window"][..]),
        ("source = \"sqs.s\"", "source = \"sqs.s\"\nmaximum_concurrency = 1", &["MaximumConcurrency: 2 to 1,000"][..]),
        ("timeout_s = 10", "timeout_s = 61", &["exceeds the visibility timeout of sqs.s", "AWS rejects"][..]),
        ("timeout_s = 10", "timeout_s = 901", &["1 to 900 s"][..]),
        ("duration_s = 0.1", "duration_s = 0.1\nmemory_mb = 64", &["128 to 10,240 MB"][..]),
        ("duration_s = 0.1", "duration_s = 0.1\nreserved_concurrency = 950", &["at least 100 unreserved"][..]),
        ("duration_s = 0.1", "duration_s = 0.1\narchitecture = \"arm\"", &["\"x86_64\", \"arm64\""][..]),
    ] {
        if parts.is_empty() {
            parse_inline(&base.replacen(from, to, 1), &[]).unwrap_or_else(|e| panic!("{to}: {e}"));
            continue;
        }
        assert_mentions(&error_in(base, from, to), parts);
    }
    // Without ids from the producer, a FIFO queue needs content-based deduplication.
    let e = error_in(base, "rate_per_s = 5.0", "rate_per_s = 5.0\ndeduplication_ids = false");
    assert_mentions(&e, &["content_based_deduplication = true"]);
    let ok = base.replacen("rate_per_s = 5.0", "rate_per_s = 5.0\ndeduplication_ids = false", 1).replacen(
        "fifo = true",
        "fifo = true\ncontent_based_deduplication = true",
        1,
    );
    parse_inline(&ok, &[]).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_short_visibility_timeout_for_a_lambda_source_is_a_warning_not_an_error() {
    use orchsim::report::warnings::{WarningKind, set_up};
    let short = |s: &orchsim::scenario::Scenario| {
        set_up(s).into_iter().filter(|w| w.kind == WarningKind::VisibilityTimeoutShort).collect::<Vec<_>>()
    };
    // 60 s is exactly 6 × the 10 s function timeout: as advised.
    let s = parse_inline(WITH_FIFO_AND_LAMBDA, &[]).unwrap();
    assert!(short(&s).is_empty(), "{:?}", short(&s));
    let s = parse_inline(WITH_FIFO_AND_LAMBDA, &["sqs.s.visibility_timeout_s=30"]).unwrap();
    let warnings = short(&s);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].message.contains("under six times lambda."), "{}", warnings[0].message);
}

const WITH_SNS: &str = r#"[run]
horizon_s = 100

[workload.w]
target = "sns.t"
arrival = "poisson"
rate_per_s = 5.0

[sns.t]

[sns.ft]
fifo = true

[sqs.s]
[sqs.f]
fifo = true

[subscription.a]
topic = "sns.t"
endpoint = "sqs.s"

[endpoint.hook]
protocol = "https"

[eventbridge.bus]

[rule.r]
bus = "eventbridge.bus"
event_pattern = '{"source": ["x"]}'
targets = ["sqs.s"]
"#;

#[test]
fn a_delivery_policy_reads_the_same_as_aws_json_or_as_a_table() {
    let json = r#"'{"healthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 120, "numRetries": 12, "numNoDelayRetries": 1, "numMinDelayRetries": 2, "numMaxDelayRetries": 2, "backoffFunction": "exponential"}, "throttlePolicy": {"maxReceivesPerSecond": 7}, "requestPolicy": {"headerContentType": "application/json"}}'"#;
    let table = r#"{ minDelayTarget = 5, maxDelayTarget = 120, numRetries = 12, numNoDelayRetries = 1, numMinDelayRetries = 2, numMaxDelayRetries = 2, backoffFunction = "exponential", maxReceivesPerSecond = 7 }"#;
    let read = |policy: &str| {
        let text = WITH_SNS
            .replace("endpoint = \"sqs.s\"", &format!("endpoint = \"endpoint.hook\"\ndelivery_policy = {policy}"));
        let scenario = parse_inline(&text, &[]).unwrap_or_else(|e| panic!("{e}"));
        let sub = &scenario.subscriptions[0].subscription;
        (sub.retry.schedule(), sub.max_receives_per_second)
    };
    let (from_json, from_table) = (read(json), read(table));
    assert_eq!(from_json, from_table);
    assert_eq!(from_json.0.len(), 13);
    assert_eq!(from_json.1, Some(7));
}

#[test]
fn sns_and_eventbridge_rules_are_enforced_with_their_aws_source() {
    parse_inline(WITH_SNS, &[]).unwrap_or_else(|e| panic!("{e}"));
    for (from, to, parts) in [
        ("endpoint = \"sqs.s\"", "endpoint = \"sqs.f\"", &["a standard topic cannot deliver to a FIFO queue"][..]),
        (
            "topic = \"sns.t\"\nendpoint = \"sqs.s\"",
            "topic = \"sns.ft\"\nendpoint = \"endpoint.hook\"",
            &["FIFO topics deliver to SQS queues only"][..],
        ),
        (
            "endpoint = \"sqs.s\"",
            "endpoint = \"endpoint.hook\"\ndelivery_policy = { numRetries = 101 }",
            &["numRetries"][..],
        ),
        (
            "endpoint = \"sqs.s\"",
            "endpoint = \"endpoint.hook\"\ndelivery_policy = '{\"healthyRetryPolicy\": {\"numRetries\": 3, \"numRetry\": 1}}'",
            &["healthyRetryPolicy.numRetry is not a field of AWS's healthyRetryPolicy"][..],
        ),
        (
            "endpoint = \"sqs.s\"",
            "endpoint = \"endpoint.hook\"\ndelivery_policy = '{\"throttlePolicy\": {\"maxReceivesPerSecond\": 0}}'",
            &["throttlePolicy.maxReceivesPerSecond must be a whole number from 1 to 1000000, found 0"][..],
        ),
        (
            "endpoint = \"sqs.s\"",
            "endpoint = \"sqs.s\"\ndelivery_policy = { numRetries = 3 }",
            &["only HTTP/S subscriptions take a delivery policy"][..],
        ),
        ("endpoint = \"sqs.s\"", "endpoint = \"sqs.s\"\nfilter_policy = '{\"a\": [1'", &["not valid JSON"][..]),
        (
            "endpoint = \"sqs.s\"",
            "endpoint = \"sqs.s\"\nfilter_policy = '{\"a\":[1],\"b\":[1],\"c\":[1],\"d\":[1],\"e\":[1],\"f\":[1]}'",
            &["6 keys exceed 5"][..],
        ),
        (
            "endpoint = \"sqs.s\"",
            "endpoint = \"sqs.s\"\ndead_letter_queue = \"sqs.f\"",
            &["FIFO dead-letter queue"][..],
        ),
        (
            "[endpoint.hook]\nprotocol = \"https\"",
            "[endpoint.hook]\nprotocol = \"ftp\"",
            &["allowed: \"http\", \"https\"", "(AWS subscription protocols other than SQS and Lambda"][..],
        ),
        ("targets = [\"sqs.s\"]", "targets = [\"sqs.s\"]\ndead_letter_queue = \"sqs.f\"", &["SQS standard queue"][..]),
        (
            "targets = [\"sqs.s\"]",
            "targets = [\"sqs.s\", \"sqs.s\", \"sqs.s\", \"sqs.s\", \"sqs.s\", \"sqs.s\"]",
            &["1 to 5 targets"][..],
        ),
        (
            "targets = [\"sqs.s\"]",
            "targets = [\"sqs.s\"]\nmaximum_retry_attempts = 186",
            &["MaximumRetryAttempts: 0 to 185"][..],
        ),
        ("target = \"sns.t\"", "target = \"sns.nope\"", &["no such topic", "defined: sns.ft, sns.t"][..]),
    ] {
        assert_mentions(&error_in(WITH_SNS, from, to), parts);
    }
}

#[test]
fn a_generated_list_cannot_hold_more_different_values_than_it_has() {
    let text = r#"[run]
horizon_s = 100

[workload.w]
target = "sns.t"
arrival = "poisson"
rate_per_s = 5.0

[workload.w.attributes]
interests = { values = ["rugby", "tennis", "golf"], weights = [1, 1, 0], items = [1, 3] }

[sns.t]
"#;
    let e = parse_inline(text, &[]).map(|_| ()).unwrap_err().to_string();
    assert_mentions(&e, &["inline.toml:10:86", "workload.w.attributes.interests.items = 3", "0 to 2", "at most once"]);
    let e = parse_inline(&text.replace("items = [1, 3]", "items = [2, 1]"), &[]).map(|_| ()).unwrap_err().to_string();
    assert_mentions(&e, &["min 2 is above max 1"]);
}

/// Two buses in eu-west-3, for which orchsim knows no PutEvents default.
const BUSES: &str = r#"
[run]
horizon_s = 10
[workload.w]
target = "eventbridge.a"
arrival = "constant"
rate_per_s = 1
[eventbridge.a]
region = "eu-west-3"
put_events_per_s = 500
[eventbridge.b]
region = "eu-west-3"
put_events_per_s = 500
"#;

#[test]
fn a_bus_in_a_region_without_a_known_put_events_quota_must_give_it() {
    let e = error_in(BUSES, "put_events_per_s = 500\n[eventbridge.b]", "[eventbridge.b]");
    assert_mentions(&e, &["eventbridge.a", "missing key `put_events_per_s`", "eu-west-3", "us-east-1, 10,000"]);
}

#[test]
fn buses_in_one_region_must_agree_on_the_accounts_put_events_quota() {
    let b = "[eventbridge.b]\nregion = \"eu-west-3\"\nput_events_per_s = ";
    let e = error_in(BUSES, &format!("{b}500"), &format!("{b}800"));
    assert_mentions(
        &e,
        &["eventbridge.b.put_events_per_s", "800", "eventbridge.a in eu-west-3", "per account per Region"],
    );
}

#[test]
fn a_bus_in_cape_town_or_milan_takes_at_most_100_rules() {
    let mut text = String::from(
        "[run]\nhorizon_s = 10\n[sqs.q]\n[eventbridge.a]\nregion = \"af-south-1\"\nput_events_per_s = 500\n",
    );
    for i in 0..101 {
        text.push_str(&format!(
            "[rule.r{i}]\nbus = \"eventbridge.a\"\nevent_pattern = '{{\"source\": [\"s{i}\"]}}'\ntargets = [\"sqs.q\"]\n"
        ));
    }
    let e = error_in(&text, "[sqs.q]", "[sqs.q]");
    assert_mentions(&e, &["eventbridge.a", "101 rules", "100 per bus in af-south-1"]);
}

#[test]
fn publish_batches_go_to_topics_and_queues_only_with_at_most_10_entries() {
    let w = "target = \"sns.t\"\narrival = \"poisson\"\nrate_per_s = 5.0\n";
    let e = error_in(WITH_SNS, w, &format!("{w}send_batch_max = 11\n"));
    assert_mentions(&e, &["workload.w.send_batch_max", "11", "PublishBatch: up to 10 entries"]);
    let to_bus = "target = \"eventbridge.bus\"\narrival = \"poisson\"\nrate_per_s = 5.0\nsend_batch_max = 2\n";
    let e = error_in(WITH_SNS, w, to_bus);
    assert_mentions(&e, &["workload.w.send_batch_max", "SendMessageBatch and SNS PublishBatch only"]);
    let push = "[endpoint.phone]\nprotocol = \"application\"\n";
    let to_phone = "target = \"endpoint.phone\"\narrival = \"poisson\"\nrate_per_s = 5.0\nsend_batch_max = 2\n";
    let e = error_in(&WITH_SNS.replacen(w, to_phone, 1), "[sns.t]\n", &format!("[sns.t]\n{push}"));
    assert_mentions(&e, &["workload.w.send_batch_max", "PublishBatch takes a topic only"]);
}

/// A Custom Event Bus with one subscriber, and a classic bus.
const SUBSCRIBERS: &str = r#"
[run]
horizon_s = 10
[workload.w]
target = "eventbridge.orders"
arrival = "constant"
rate_per_s = 1
[eventbridge.orders]
kind = "subscribers"
[eventbridge.classic]
[subscriber.s]
bus = "eventbridge.orders"
target = "sqs.q"
[sqs.q]
[sqs.f]
fifo = true
"#;

#[test]
fn subscriber_retry_policies_are_held_to_aws_ranges() {
    let t = "target = \"sqs.q\"\n[sqs.q]";
    let with = |extra: &str| error_in(SUBSCRIBERS, t, &format!("target = \"sqs.q\"\n{extra}\n[sqs.q]"));
    let e = with("maximum_retry_attempts = 186");
    assert_mentions(&e, &["subscriber.s.maximum_retry_attempts", "186", "0 to 185"]);
    let e = with("maximum_event_age_s = 59");
    assert_mentions(&e, &["subscriber.s.maximum_event_age_s", "59", "60 to 86,400"]);
    let e = with("maximum_event_age_s = 86401");
    assert_mentions(&e, &["subscriber.s.maximum_event_age_s", "86401", "60 to 86,400"]);
    let e = with("dead_letter_queue = \"sqs.f\"");
    assert_mentions(&e, &["subscriber.s.dead_letter_queue", "SQS standard queue"]);
    let e = error_in(SUBSCRIBERS, "target = \"sqs.q\"\n[sqs.q]", "[sqs.q]");
    assert_mentions(&e, &["subscriber.s", "missing key `target`"]);
}

#[test]
fn rules_belong_on_classic_buses_and_subscribers_on_custom_event_buses() {
    let e = error_in(SUBSCRIBERS, "bus = \"eventbridge.orders\"", "bus = \"eventbridge.classic\"");
    assert_mentions(&e, &["subscriber.s.bus", "kind = \"subscribers\""]);
    let rule = "[rule.r]\nbus = \"eventbridge.orders\"\nevent_pattern = '{}'\ntargets = [\"sqs.q\"]\n[sqs.q]";
    let e = error_in(SUBSCRIBERS, "[sqs.q]", rule);
    assert_mentions(&e, &["rule.r.bus", "by subscribers", "not rules"]);
    let e = error_in(SUBSCRIBERS, "kind = \"subscribers\"", "kind = \"v2\"");
    assert_mentions(&e, &["eventbridge.orders.kind", "\"v2\"", "classic", "subscribers"]);
    let e = error_in(SUBSCRIBERS, "[eventbridge.classic]", "[eventbridge.default]\nkind = \"subscribers\"");
    assert_mentions(&e, &["eventbridge.default.kind", "the default bus is a classic bus"]);
}
