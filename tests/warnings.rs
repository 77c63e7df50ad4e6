//! What a run tells you: each warning fires on a tiny scenario with the risk and stays
//! silent on a clean one; `summary.json` carries them, an empty metric is null rather than
//! 0 ms, and a one-off run shows its own cost with no monthly projection.

mod common;

use common::{inline, parse_inline, summary};
use orchsim::report;
use orchsim::scenario::Traffic;
use serde_json::Value;

/// A queue drained well by a pool: nothing to warn of.
const CLEAN: &str = r#"[run]
horizon_s = 600
sample_interval_s = 10

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

/// A queue drained by a Lambda mapping with the advised settings.
const LAMBDA: &str = r#"[run]
horizon_s = 300

[workload.w]
target = "sqs.q"
arrival = "poisson"
rate_per_s = 5.0

[sqs.q]
visibility_timeout_s = 60

[lambda.f]
source = "sqs.q"
batch_size = 10
maximum_concurrency = 5
reserved_concurrency = 5
timeout_s = 10
duration_s = { dist = "constant", value = 0.2 }
"#;

/// The warnings of `text` as (kind, element) pairs, read from `summary.json`.
fn warnings_of(text: &str, overrides: &[&str]) -> Vec<(String, String)> {
    let scenario = parse_inline(text, overrides).unwrap_or_else(|e| panic!("{e}"));
    let (_, json) = summary(&scenario);
    let list = json["warnings"].as_array().expect("summary.json has a warnings array");
    list.iter()
        .map(|w| {
            assert!(w["message"].as_str().is_some_and(|m| !m.is_empty()), "a message for people: {w}");
            (w["kind"].as_str().unwrap().to_string(), w["element"].as_str().unwrap().to_string())
        })
        .collect()
}

fn pair(kind: &str, element: &str) -> (String, String) {
    (kind.to_string(), element.to_string())
}

#[test]
fn a_clean_set_up_has_no_warnings_and_says_so_with_an_empty_list() {
    assert_eq!(warnings_of(CLEAN, &[]), []);
    assert_eq!(warnings_of(LAMBDA, &[]), []);
}

#[test]
fn a_queue_with_no_consumer_is_warned_of() {
    let text = format!(
        "{CLEAN}\n[sqs.orphan]\n\n[workload.lost]\ntarget = \"sqs.orphan\"\narrival = \"poisson\"\nrate_per_s = 1.0\n"
    );
    assert_eq!(warnings_of(&text, &[]), [pair("queue_without_consumer", "sqs.orphan")]);
}

#[test]
fn a_backlog_still_growing_at_the_end_is_warned_of() {
    // 2 workers at 10 messages a second each take at most 20 a second; 30 arrive.
    assert_eq!(warnings_of(CLEAN, &["workload.w.rate_per_s=30"]), [pair("backlog_growing", "sqs.q")]);
}

#[test]
fn throttles_above_five_per_cent_of_calls_are_warned_of() {
    let text = r#"[run]
horizon_s = 120

[workload.w]
target = "lambda.f"
arrival = "poisson"
rate_per_s = 20.0

[lambda.f]
reserved_concurrency = 2
timeout_s = 10
duration_s = { dist = "constant", value = 0.5 }
"#;
    // 20 a second for 0.5 s wants 10 environments; 2 are reserved.
    assert!(warnings_of(text, &[]).contains(&pair("throttled", "lambda.f")));
    // 10 reserved: a few throttles at most, well under 5 %.
    assert_eq!(warnings_of(text, &["lambda.f.reserved_concurrency=30"]), []);
}

#[test]
fn reserved_concurrency_below_the_mappings_pollers_is_warned_of() {
    // Without maximum_concurrency the mapping scales to its ceiling, far above 5.
    let text = LAMBDA.replace("maximum_concurrency = 5\n", "");
    assert_eq!(warnings_of(&text, &[]), [pair("reserved_concurrency_below_pollers", "lambda.f")]);
    assert_eq!(
        warnings_of(LAMBDA, &["lambda.f.maximum_concurrency=10"]),
        [pair("reserved_concurrency_below_pollers", "lambda.f")]
    );
}

#[test]
fn reserved_concurrency_below_several_mappings_pollers_names_each_queue() {
    // Two mappings capped at 3 each stay within 10 alone, but not with a third at 5: the
    // pollers of all of them share the function's reserved concurrency.
    let text = r#"
        [run]
        horizon_s = 60
        [workload.a]
        target = "sqs.a"
        arrival = "poisson"
        rate_per_s = 5
        [workload.b]
        target = "sqs.b"
        arrival = "poisson"
        rate_per_s = 5
        [sqs.a]
        visibility_timeout_s = 60
        [sqs.b]
        visibility_timeout_s = 60
        [lambda.f]
        duration_s = 0.1
        reserved_concurrency = 10
        [lambda.f.mappings.x]
        source = "sqs.a"
        maximum_concurrency = 3
        [lambda.f.mappings.y]
        source = "sqs.b"
        maximum_concurrency = 3
    "#;
    assert_eq!(warnings_of(text, &[]), []);
    let over = ["lambda.f.mappings.y.maximum_concurrency=8"];
    assert_eq!(warnings_of(text, &over), [pair("reserved_concurrency_below_pollers", "lambda.f")]);
    let scenario = parse_inline(text, &over).unwrap_or_else(|e| panic!("{e}"));
    let (_, json) = summary(&scenario);
    let message = json["warnings"][0]["message"].as_str().expect("a message");
    assert!(
        message.contains("below the 11 concurrent invocations its event source mappings on sqs.a, sqs.b scale to"),
        "{message}"
    );
    assert!(message.contains("at most 10 together"), "{message}");
}

#[test]
fn a_visibility_timeout_under_six_function_timeouts_is_warned_of() {
    // 6 × 10 s = 60 s is AWS's advice; 30 s is allowed (above the 10 s timeout) but short.
    assert_eq!(warnings_of(LAMBDA, &["sqs.q.visibility_timeout_s=30"]), [pair("visibility_timeout_short", "sqs.q")]);
}

#[test]
fn a_dead_letter_queue_receiving_messages_is_warned_of() {
    let text = CLEAN.replace(
        "[sqs.q]\nvisibility_timeout_s = 30\n",
        "[sqs.q]\nvisibility_timeout_s = 1\ndead_letter_queue = \"sqs.dlq\"\nreceive_count_max = 2\n\n[sqs.dlq]\n",
    );
    // No failures: the dead-letter queue gets nothing, and waits for none.
    assert_eq!(warnings_of(&text, &[]), []);
    assert_eq!(warnings_of(&text, &["workers.p.error_rate=0.5"]), [pair("dead_letter_queue_receiving", "sqs.dlq")]);
}

#[test]
fn an_empty_metric_is_null_in_json_and_a_dash_on_the_console() {
    let text = format!(
        "{CLEAN}\n[sqs.orphan]\n\n[workload.lost]\ntarget = \"sqs.orphan\"\narrival = \"poisson\"\nrate_per_s = 1.0\n"
    );
    let scenario = inline(&text);
    let (result, json) = summary(&scenario);
    let wait = &json["latency_ms"]["sqs.orphan.queue_wait"];
    assert_eq!(wait["count"], 0);
    for stat in ["mean", "p50", "p90", "p99", "p999", "max"] {
        assert_eq!(wait[stat], Value::Null, "{stat}");
    }
    assert!(json["latency_ms"]["sqs.q.queue_wait"]["p99"].is_f64(), "a metric with data keeps its figures");
    let table = report::summary_table(&scenario, &result);
    let row = table.lines().find(|l| l.starts_with("sqs.orphan.queue_wait")).unwrap();
    assert_eq!(row.split_whitespace().skip(1).collect::<Vec<_>>(), ["0", "–", "–", "–", "–", "–", "–"]);
    assert!(table.contains("sqs.orphan [queue_without_consumer]"), "the console lists the warnings:\n{table}");
}

#[test]
fn a_one_off_run_shows_its_own_cost_and_no_monthly_projection() {
    // A backlog of 2,000 messages sent at once, then nothing: one-off by default.
    let scenario = inline(&CLEAN.replace("rate_per_s = 5.0\n", "rate_per_s = 1000.0\ncount_max = 2000\n"));
    assert_eq!(scenario.run.traffic.traffic, Traffic::OneOff);
    let (result, json) = summary(&scenario);
    let costs = json["cost_usd"].as_object().unwrap();
    assert!(costs["total"].as_f64().unwrap() > 0.0, "the run's own cost");
    assert!(costs.keys().all(|k| !k.ends_with("_per_month")), "no projection: {costs:?}");
    assert_eq!(json["cost_basis"]["traffic"], "one-off");
    assert_eq!(json["cost_basis"]["monthly_projection"], Value::Null);
    assert!(json["cost_basis"]["reason"].as_str().unwrap().contains("count_max"));
    let table = report::summary_table(&scenario, &result);
    assert!(!table.contains("per month"), "{table}");
    assert!(table.contains("no monthly projection: a one-off run"), "{table}");
    let files = report::render(&scenario, &result, &[]);
    for name in ["report.html", "charts/cost-by-service.svg"] {
        let text = &files.files.iter().find(|(n, _)| n == name).unwrap().1;
        assert!(!text.contains("/month") && !text.contains("per month"), "{name} projects a month");
    }
    let cost_csv = &files.files.iter().find(|(n, _)| n == "cost.csv").unwrap().1;
    assert!(cost_csv.lines().skip(1).all(|l| l.ends_with(',')), "no per-month figure in cost.csv:\n{cost_csv}");
}

#[test]
fn a_steady_run_projects_a_month_and_says_on_what_basis() {
    let scenario = inline(CLEAN);
    let (result, json) = summary(&scenario);
    assert_eq!(json["cost_basis"]["traffic"], "steady");
    assert_eq!(json["cost_basis"]["declared"], false);
    assert!(json["cost_basis"]["monthly_projection"].as_str().unwrap().contains("if this traffic ran all month"));
    assert!(json["cost_usd"]["total_per_month"].as_f64().is_some());
    let table = report::summary_table(&scenario, &result);
    assert!(table.contains("* per month: if this traffic ran all month (730 hours)"), "{table}");
    let declared = parse_inline(CLEAN, &["run.traffic=\"one-off\""]).unwrap();
    assert_eq!(declared.run.traffic.traffic, Traffic::OneOff);
    assert!(declared.run.traffic.declared);
}

#[test]
fn traffic_defaults_to_steady_only_for_stationary_arrivals() {
    let traffic = |from: &str, to: &str| inline(&CLEAN.replace(from, to)).run.traffic.traffic;
    assert_eq!(traffic("", ""), Traffic::Steady);
    let bursts = "arrival = \"bursts\"\non_rate_per_s = 10\noff_rate_per_s = 1\non_s = 60\noff_s = 60\n";
    assert_eq!(traffic("arrival = \"poisson\"\nrate_per_s = 5.0\n", bursts), Traffic::OneOff);
    assert_eq!(traffic("rate_per_s = 5.0\n", "rate_per_s = 5.0\nstart_s = 100\n"), Traffic::OneOff);
    assert_eq!(traffic("rate_per_s = 5.0\n", "rate_per_s = 5.0\nstop_s = 300\n"), Traffic::OneOff);
    // A count_max the rate does not reach before the horizon stops nothing.
    assert_eq!(traffic("rate_per_s = 5.0\n", "rate_per_s = 5.0\ncount_max = 10000\n"), Traffic::Steady);
    // Declared steady, bursts are projected.
    let declared = inline(
        &CLEAN
            .replace("arrival = \"poisson\"\nrate_per_s = 5.0\n", bursts)
            .replace("horizon_s = 600\n", "horizon_s = 600\ntraffic = \"steady\"\n"),
    );
    assert_eq!(declared.run.traffic.traffic, Traffic::Steady);
    assert!(declared.run.traffic.declared);
}

#[test]
fn the_report_page_has_the_warnings_the_costs_by_resource_and_overrides_only_when_given() {
    let text = format!(
        "{CLEAN}\n[sqs.orphan]\n\n[workload.lost]\ntarget = \"sqs.orphan\"\narrival = \"poisson\"\nrate_per_s = 1.0\n"
    );
    let page = |overrides: &[&str]| {
        let scenario = parse_inline(&text, overrides).unwrap();
        let (result, _) = summary(&scenario);
        let files = report::render(&scenario, &result, &[]);
        files.files.iter().find(|(n, _)| n == "report.html").unwrap().1.clone()
    };
    let html = page(&[]);
    for part in
        ["<h2>Warnings</h2>", "queue_without_consumer", "<h3>By resource</h3>", "sqs.orphan requests", "per month"]
    {
        assert!(html.contains(part), "{part}");
    }
    assert!(!html.contains("<h2>Overrides</h2>"), "no overrides, no section");
    let html = page(&["workers.p.count=3"]);
    assert!(html.contains("<h2>Overrides</h2>") && html.contains("workers.p.count=3"));
}

#[test]
fn the_cost_per_execution_table_is_on_the_report_page() {
    let scenario = common::load(&common::shipped("step_functions_orders.toml"), &["run.horizon_s=400"]);
    let (result, _) = summary(&scenario);
    let files = report::render(&scenario, &result, &[]);
    let html = &files.files.iter().find(|(n, _)| n == "report.html").unwrap().1;
    assert!(html.contains("<h2>Cost per execution (USD)</h2>"));
}
