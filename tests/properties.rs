//! Property tests: whatever text a user writes, reading it never panics; random valid
//! scenarios (topologies of workloads, topics, queues, worker pools, Lambda functions and
//! small state machines, with random rates, timeouts, failure rates and fault windows) run
//! without panic, balance their books and give the same bytes twice.

mod common;

use orchsim::report;
use orchsim::scenario::Scenario;
use proptest::prelude::*;

fn read(text: &str) {
    // Ok or a clear error; never a panic.
    let _ = Scenario::from_text("fuzz.toml", text, &common::repo().join("scenarios"), &[]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn any_text_is_read_without_panic(text in "\\PC{0,400}") {
        read(&text);
    }

    #[test]
    fn shipped_scenarios_with_one_value_changed_are_read_without_panic(
        file in prop::sample::select(vec![
            "mmc_erlang_c.toml", "orders_dlq_poison.toml", "sns_order_fanout.toml",
            "step_functions_orders.toml", "mq_vs_sqs_orders.toml", "ses_order_confirmations.toml",
            "lambda_concurrency_sweep.toml", "eventbridge_order_routing.toml",
        ]),
        line in 0usize..80,
        value in prop::sample::select(vec![
            "-1", "0", "1e308", "nan", "\"x\"", "[]", "{}", "true", "99999999999999999999", "0.0000001",
            "{ dist = \"lognormal\", median = 0, p99 = 0 }", "\"sqs.nowhere\"",
        ]),
    ) {
        let text = std::fs::read_to_string(common::shipped(file)).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let n = lines.len();
        if let Some(l) = lines.get_mut(line % n)
            && let Some((key, _)) = l.split_once(" = ")
        {
            *l = format!("{key} = {value}");
        }
        read(&lines.join("\n"));
    }
}

/// A small random topology: a workload to an SQS queue (standard or FIFO) or to an SNS topic
/// fanning out to 1–3 queues, each drained by a worker pool or a Lambda function; faults (a
/// share of poison messages until the consumers' fix, an HTTPS subscriber with failures, an
/// outage window and a dead-letter queue); and a second workload starting executions of a
/// small state machine whose Lambda task fails at random and is retried.
#[derive(Debug, Clone)]
struct Topology {
    rate_per_s: f64,
    via_topic: bool,
    queues: Vec<(bool, u32, f64, f64, u32)>, // fifo, visibility_s, service_s, error_rate, consumers (0: Lambda)
    max_receives: Option<u32>,
    /// Share of poison messages, and when the consumers' fix is deployed (None: never).
    poison: Option<(f64, Option<u32>)>,
    /// With a topic: an HTTPS subscriber's failure rate and outage window [from, to).
    webhook: Option<(f64, u32, u32)>,
    /// A state machine: Express, executions per second, task error probability, retries.
    machine: Option<(bool, f64, f64, u32)>,
    seed: u64,
}

fn topology() -> impl Strategy<Value = Topology> {
    (
        (0.5f64..200.0, any::<bool>()),
        prop::collection::vec((any::<bool>(), 1u32..120, 0.001f64..2.0, 0.0f64..0.5, 0u32..8), 1..4),
        prop::option::of(1u32..5),
        prop::option::of((0.0f64..0.3, prop::option::of(0u32..120))),
        prop::option::of((0.0f64..0.5, 0u32..100, 1u32..60)),
        prop::option::of((any::<bool>(), 0.1f64..20.0, 0.0f64..0.6, 0u32..4)),
        any::<u64>(),
    )
        .prop_map(|((rate_per_s, via_topic), queues, max_receives, poison, webhook, machine, seed)| Topology {
            rate_per_s,
            via_topic,
            queues,
            max_receives,
            poison,
            webhook: webhook.map(|(rate, from, length)| (rate, from, from + length)),
            machine,
            seed: seed >> 1,
        })
}

/// The definition of the random state machine: a Lambda task retried on its error, caught
/// into a Fail state when the retries run out, then a short Wait.
fn machine_definition(retries: u32) -> String {
    format!(
        r#"{{"StartAt": "Work", "States": {{
            "Work": {{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                      "Parameters": {{"FunctionName": "worker"}},
                      "Retry": [{{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": {retries}}}],
                      "Catch": [{{"ErrorEquals": ["States.ALL"], "Next": "Gave up"}}],
                      "Next": "Pause"}},
            "Pause": {{"Type": "Wait", "Seconds": 1, "Next": "Done"}},
            "Done": {{"Type": "Succeed"}},
            "Gave up": {{"Type": "Fail", "Error": "GaveUp"}}
        }}}}"#
    )
}

fn scenario_text(t: &Topology) -> String {
    let mut s = format!("[run]\nseed = {}\nhorizon_s = 120\nwarmup_s = 10\n", t.seed);
    let target = if t.via_topic { "sns.events".to_string() } else { format!("sqs.{}", queue_name(0, &t.queues[0])) };
    s += &format!("[workload.w]\ntarget = \"{target}\"\narrival = \"poisson\"\nrate_per_s = {}\n", t.rate_per_s);
    if let Some((fraction, _)) = t.poison {
        s += &format!("poison_fraction = {fraction}\n");
    }
    let fix = t.poison.and_then(|(_, fix)| fix).map_or(String::new(), |at| format!("fix_deployed_at_s = {at}\n"));
    if t.via_topic {
        // A standard topic fans out to standard queues only.
        s += "[sns.events]\n";
        if let Some((failure_rate, from, to)) = t.webhook {
            s += &format!(
                "[endpoint.hook]\nprotocol = \"https\"\nresponse_time_s = 0.05\nfailure_rate = {failure_rate}\noutages = [[{from}, {to}]]\n\
                 [subscription.hook]\ntopic = \"sns.events\"\nendpoint = \"endpoint.hook\"\ndead_letter_queue = \"sqs.hook-dlq\"\n\
                 delivery_policy = '{{\"healthyRetryPolicy\": {{\"minDelayTarget\": 1, \"maxDelayTarget\": 8, \"numRetries\": 5, \"backoffFunction\": \"exponential\"}}}}'\n\
                 [sqs.hook-dlq]\n"
            );
        }
    }
    let queues: &[(bool, u32, f64, f64, u32)] = if t.via_topic { &t.queues } else { &t.queues[..1] };
    for (i, q) in queues.iter().enumerate() {
        let (fifo, visibility, service, error_rate, consumers) = *q;
        let fifo = fifo && !t.via_topic;
        let name = queue_name(i, &(fifo, visibility, service, error_rate, consumers));
        s += &format!("[sqs.{name}]\nvisibility_timeout_s = {visibility}\n{}", if fifo { "fifo = true\n" } else { "" });
        if let Some(n) = t.max_receives {
            s += &format!("dead_letter_queue = \"sqs.{name}-dlq\"\nreceive_count_max = {n}\n");
            s += &format!("[sqs.{name}-dlq]\n{}", if fifo { "fifo = true\n" } else { "" });
        }
        if t.via_topic {
            s += &format!("[subscription.s{i}]\ntopic = \"sns.events\"\nendpoint = \"sqs.{name}\"\n");
        }
        if consumers == 0 {
            s += &format!(
                "[lambda.f{i}]\nsource = \"sqs.{name}\"\nduration_s = {service}\nerror_rate = {error_rate}\ntimeout_s = {}\n{fix}",
                (visibility / 6).max(1)
            );
        } else {
            s += &format!(
                "[workers.p{i}]\nsource = \"sqs.{name}\"\ncount = {consumers}\nservice_time_s = {{ dist = \"exponential\", mean = {service} }}\nerror_rate = {error_rate}\n{fix}"
            );
        }
    }
    if let Some((express, rate, task_error, _)) = t.machine {
        s += &format!(
            "[workload.starts]\ntarget = \"step_functions.m\"\narrival = \"poisson\"\nrate_per_s = {rate}\n\
             [step_functions.m]\ndefinition = \"machine.asl.json\"\ntype = \"{}\"\n\
             [step_functions.m.states.Work]\nerrors = {{ Flaky = {task_error} }}\n\
             [lambda.worker]\nduration_s = {{ dist = \"exponential\", mean = 0.2 }}\n",
            if express { "express_async" } else { "standard" }
        );
    }
    s
}

fn queue_name(i: usize, _q: &(bool, u32, f64, f64, u32)) -> String {
    format!("q{i}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn random_topologies_run_balance_their_books_and_repeat_exactly(t in topology()) {
        let text = scenario_text(&t);
        // The state machine's definition lives next to the scenario, in a folder of its own
        // (test threads run at once).
        let dir = std::env::temp_dir().join(format!("orchsim-properties-{}-{}", std::process::id(), t.seed));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("machine.asl.json"), machine_definition(t.machine.map_or(0, |m| m.3))).unwrap();
        // Every generated setting is within the documented limits: the scenario must load.
        let scenario = Scenario::from_text("random.toml", &text, &dir, &[]);
        let _ = std::fs::remove_dir_all(&dir);
        let scenario = scenario.unwrap_or_else(|e| panic!("{text}\n{e}"));
        let a = orchsim::run::run(&scenario).expect("within the memory budget");
        let failures = report::audit_failures(&a);
        prop_assert!(failures.is_empty(), "{}\n{}", text, failures.join("\n"));
        // The optional parts are wired in, not just read.
        let metrics = report::flat_metrics(&scenario, &a);
        let metric = |name: &str| metrics.iter().find(|(n, _)| n == name).map(|m| m.1);
        if t.machine.is_some() {
            prop_assert!(metric("step_functions.m.started").is_some_and(|n| n > 0.0), "{}", text);
        }
        if t.via_topic && t.webhook.is_some() {
            prop_assert!(metric("subscription.hook.matched").is_some_and(|n| n > 0.0), "{}", text);
        }
        let b = orchsim::run::run(&scenario).expect("within the memory budget");
        prop_assert_eq!(report::summary_json(&scenario, &a), report::summary_json(&scenario, &b));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// The CI smoke of the fuzz targets: the definition, filter-policy, event-pattern and
    /// delivery-policy readers on arbitrary text, and on JSON-shaped text.
    #[test]
    fn definitions_policies_and_patterns_are_read_without_panic(
        text in prop_oneof!["\\PC{0,300}", "[\\[\\]{}\":,0-9a-zA-Z. \\-]{0,300}"],
    ) {
        let _ = orchsim::scenario::inputs::definition(&text);
        let _ = orchsim::scenario::inputs::filter_policy(&text, false);
        let _ = orchsim::scenario::inputs::filter_policy(&text, true);
        let _ = orchsim::scenario::inputs::event_pattern(&text);
        let _ = orchsim::scenario::inputs::delivery_policy(&text);
    }

    /// `orchsim match`'s readers on arbitrary text, and on text shaped like message
    /// attributes: an error or a value, never a panic, and an error's line and column lie in
    /// the text.
    #[test]
    fn match_documents_are_read_without_panic(
        text in prop_oneof![
            "\\PC{0,300}",
            "[\\[\\]{}\":,0-9a-zA-Z. \\-]{0,300}",
            "\\{\"a\": \\{\"DataType\": \"(String|Number|Binary|String\\.Array|Number\\.x|Other)\", \"(StringValue|BinaryValue|Type)\": \"[\\[\\]\\\\\"a-z0-9., ]{0,20}\"\\}\\}",
        ],
    ) {
        use orchsim::scenario::inputs;
        let lines = text.lines().count().max(1);
        for error in [
            inputs::json_document(&text).err(),
            inputs::event_document(&text).err(),
            inputs::message_attributes_document(&text).err(),
            inputs::filter_policy_document(&text, true).err(),
            inputs::event_pattern_document(&text).err(),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(error.line <= lines + 1, "{error} for {text:?}");
            prop_assert!(!error.reason.is_empty());
        }
    }

    /// Any delivery policy AWS would accept, with any numbers in its fields, gives its whole
    /// retry schedule: as many deliveries as it says, ending at its span, never shrinking.
    #[test]
    fn accepted_delivery_policies_give_their_whole_schedule(
        min_delay in 0u32..200,
        max_delay in 0u32..4_000,
        retries in 0u32..120,
        phases in (0u32..120, 0u32..120, 0u32..120),
        backoff in prop_oneof![Just("linear"), Just("arithmetic"), Just("geometric"), Just("exponential")],
        throttle in prop::option::of(1u32..2_000),
    ) {
        let throttle = throttle.map_or(String::new(), |n| format!(r#", "throttlePolicy": {{"maxReceivesPerSecond": {n}}}"#));
        let text = format!(
            r#"{{"healthyRetryPolicy": {{"minDelayTarget": {min_delay}, "maxDelayTarget": {max_delay}, "numRetries": {retries}, "numNoDelayRetries": {}, "numMinDelayRetries": {}, "numMaxDelayRetries": {}, "backoffFunction": "{backoff}"}}{throttle}}}"#,
            phases.0, phases.1, phases.2
        );
        if let Ok((retry, _)) = orchsim::scenario::inputs::delivery_policy(&text) {
            let schedule = retry.schedule();
            prop_assert_eq!(schedule.len() as u32, retry.deliveries());
            prop_assert_eq!(retry.deliveries(), retries + 1);
            prop_assert_eq!(schedule.last().map(|a| a.offset), Some(retry.span()));
            prop_assert!(schedule.windows(2).all(|w| w[1].offset >= w[0].offset));
        }
    }
}
