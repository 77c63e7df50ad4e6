//! The key table is the one source of what a scenario may hold: these tests keep the book's
//! reference pages and the shipped JSON Schema equal to what it generates, every shipped
//! scenario valid against that schema (with its `#:schema` first line), broken ones refused,
//! the table and the reader's keys in step, and every range and choice the reader enforces
//! the table's own: each ranged key and each choice is set just outside and at its bounds.
//!
//! After changing the table, `ORCHSIM_UPDATE_DOCS=1 cargo test --test keys` rewrites the
//! pages and the schema; commit them with the change.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use orchsim::scenario::keys::{self, KEYS, Kind};
use serde_json::Value;

fn updating() -> bool {
    std::env::var_os("ORCHSIM_UPDATE_DOCS").is_some()
}

/// Compares `path` with `expected`, or writes it when updating.
fn check_generated(path: &Path, expected: &str) {
    if updating() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, expected).unwrap();
        return;
    }
    let found = fs::read_to_string(path).unwrap_or_default();
    assert!(
        found == expected,
        "{} differs from what the key table generates; run ORCHSIM_UPDATE_DOCS=1 cargo test --test keys",
        path.display()
    );
}

#[test]
fn the_books_key_pages_are_what_the_table_generates() {
    let dir = common::repo().join("docs/src/reference/keys");
    let pages = orchsim::scenario::reference_pages();
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for (name, text) in &pages {
        check_generated(&dir.join(name), text);
        expected.insert(name.clone());
    }
    check_generated(&dir.join("README.md"), &orchsim::scenario::reference_index());
    expected.insert("README.md".into());
    let found: BTreeSet<String> =
        fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(found, expected, "pages in {} that the table does not generate", dir.display());
}

#[test]
fn the_shipped_schema_is_what_the_table_generates() {
    check_generated(&common::repo().join("docs/scenario.schema.json"), &orchsim::scenario::json_schema());
}

fn shipped_scenarios() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["scenarios", "benches"] {
        for entry in fs::read_dir(common::repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() > 10, "shipped scenarios not found");
    files
}

fn schema() -> Value {
    serde_json::from_str(&orchsim::scenario::json_schema()).expect("the schema is JSON")
}

#[test]
fn every_shipped_scenario_names_the_schema_on_its_first_line() {
    for path in shipped_scenarios() {
        let text = fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap_or("");
        assert_eq!(first, "#:schema ../docs/scenario.schema.json", "{}", path.display());
    }
}

#[test]
fn every_shipped_scenario_is_valid_against_the_schema() {
    let schema = schema();
    for path in shipped_scenarios() {
        let doc = toml_to_json(&fs::read_to_string(&path).unwrap());
        let errors = validate(&schema, &schema, &doc, "");
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
}

#[test]
fn broken_scenarios_fail_the_schema() {
    let schema = schema();
    let base =
        "[run]\nhorizon_s = 60\n[workload.w]\ntarget = \"sqs.q\"\narrival = \"poisson\"\nrate_per_s = 1\n[sqs.q]\n";
    assert!(validate(&schema, &schema, &toml_to_json(base), "").is_empty(), "the base scenario is valid");
    let broken = [
        ("visibility_timeout_s = 43201", "/sqs/q/visibility_timeout_s"),
        ("visiblity_timeout_s = 30", "/sqs/q/visiblity_timeout_s"),
        ("fifo = \"yes\"", "/sqs/q/fifo"),
        ("delay_s = -1", "/sqs/q/delay_s"),
    ];
    for (line, at) in broken {
        let errors = validate(&schema, &schema, &toml_to_json(&format!("{base}{line}\n")), "");
        assert!(errors.iter().any(|e| e.starts_with(at)), "{line}: {errors:?}");
    }
    let wrong_enum = base.replace("\"poisson\"", "\"poison\"");
    let errors = validate(&schema, &schema, &toml_to_json(&wrong_enum), "");
    assert!(errors.iter().any(|e| e.starts_with("/workload/w/arrival")), "{errors:?}");
    let bad_distribution =
        format!("{base}[workers.p]\nsource = \"sqs.q\"\ncount = 1\nservice_time_s = {{ dist = \"normal\" }}\n");
    let errors = validate(&schema, &schema, &toml_to_json(&bad_distribution), "");
    assert!(errors.iter().any(|e| e.starts_with("/workers/p/service_time_s")), "{errors:?}");
    let no_run = base.replace("[run]\nhorizon_s = 60\n", "");
    assert!(!validate(&schema, &schema, &toml_to_json(&no_run), "").is_empty());
}

#[test]
fn the_table_finds_the_paths_the_reader_spells() {
    for path in [
        "sqs.jobs.visibility_timeout_s",
        "sweep.axis[3].values",
        "workers.pool.service_time_s.median",
        "step_functions.orders.states.Order valid?.weights",
        "step_functions.orders.states.a.b.duration_s.dist",
        "workload.w.body.detail.amount.values",
        "latency.sqs.jobs.sqs_send_s",
        "thresholds.sqs.jobs.end_to_end.p99_ms",
        "lambda.f.async_retry_delays_s[1]",
        "workload.w.steps[2].rate_per_s",
        "step_functions.m.states.Call.errors.Lambda.ServiceException",
        "step_functions.m.states.Call.targets.\"lambda.Resize\"",
    ] {
        assert!(keys::find(path).is_some(), "{path}");
    }
    for path in ["sqs.jobs.visibility_timeout", "run.horizon_s.median", "workers.pool.count.dist", "sweep.axis[x].key"]
    {
        assert!(keys::find(path).is_none(), "{path}");
    }
}

/// Every key name the reader asks for by a literal appears in the table, and every key the
/// table lists is a name the reader asks for (or a latency hop, which the reader takes from
/// the models' hop list).
#[test]
fn the_table_and_the_readers_keys_are_the_same() {
    let src = common::repo().join("src");
    let mut literals = BTreeSet::new();
    for entry in fs::read_dir(src.join("scenario")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir()
            || path.file_name().is_some_and(|n| {
                // Not scenario keys: the key table's own code, AWS offer files' reader, and
                // the tree's parse of a --set value as `v = VALUE`.
                ["keys.rs", "reference.rs", "offer_files.rs", "tree.rs"].iter().any(|f| n == *f)
            })
        {
            continue;
        }
        let mut code = fs::read_to_string(&path).unwrap();
        if path.ends_with("price_books.rs") {
            // The shipped price book's reader comes first; `[pricing]`'s from here on.
            let at = code.find("fn read_pricing").expect("the [pricing] reader");
            code = code[at..].to_string();
        }
        for call in ["get(\"", "require(\"", "t, \"", "lower_all(&mut top, \""] {
            for (i, _) in code.match_indices(call) {
                let rest = &code[i + call.len()..];
                let name: String = rest.chars().take_while(|c| *c != '"').collect();
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    literals.insert(name);
                }
            }
        }
    }
    let hops = fs::read_to_string(src.join("models/latency.rs")).unwrap();
    let leaves: BTreeSet<String> = KEYS
        .iter()
        .filter(|k| !["NAME", "STATE", "FIELD", "ERROR", "TARGET"].iter().any(|name| k.path.ends_with(name)))
        // A pair's places are positions in an array, not keys the reader asks for by name.
        .filter(|k| !keys::PAIRS.iter().any(|pair| k.path.starts_with(&format!("{pair}[]."))))
        .map(|k| k.path.rsplit('.').next().unwrap().trim_end_matches("[]").to_string())
        .collect();
    let unlisted: Vec<&String> = literals.iter().filter(|l| !leaves.contains(*l)).collect();
    assert!(unlisted.is_empty(), "keys the reader takes that the table does not list: {unlisted:?}");
    let unread: Vec<&String> = leaves
        .iter()
        .filter(|l| !literals.contains(*l) && !hops.contains(&format!("\"{l}\"")) && l.as_str() != "METRIC")
        .collect();
    assert!(unread.is_empty(), "keys the table lists that the reader never takes: {unread:?}");
}

#[test]
fn ranged_keys_say_their_limit_and_kind() {
    for key in KEYS {
        assert!(!key.description.is_empty(), "{} has no description", key.path);
        if let Kind::Enum(values) = key.kind {
            assert!(!values.is_empty(), "{}", key.path);
        }
    }
    let visibility = keys::entry("sqs.NAME.visibility_timeout_s");
    assert!(visibility.why().contains("VisibilityTimeout") && !visibility.why().contains('['), "{}", visibility.why());
    assert!(visibility.sources.contains(&"bc-sqs"));
    // A latency's limit grades the evidence for its default; its range is the model's bound.
    assert_eq!(keys::entry("latency.sqs_send_s").why(), "model bound");
    assert_eq!(keys::entry("workload.NAME.arrival").why(), "");
}

fn toml_to_json(text: &str) -> Value {
    fn convert(v: toml::Value) -> Value {
        match v {
            toml::Value::String(s) => Value::String(s),
            toml::Value::Integer(i) => Value::from(i),
            toml::Value::Float(f) => Value::from(f),
            toml::Value::Boolean(b) => Value::Bool(b),
            toml::Value::Datetime(d) => Value::String(d.to_string()),
            toml::Value::Array(a) => Value::Array(a.into_iter().map(convert).collect()),
            toml::Value::Table(t) => Value::Object(t.into_iter().map(|(k, v)| (k, convert(v))).collect()),
        }
    }
    convert(toml::Value::Table(text.parse::<toml::Table>().expect("valid TOML")))
}

/// A validator for the part of JSON Schema (draft-07) the generated schema uses: type, enum,
/// minimum, maximum, exclusiveMinimum, required, properties, additionalProperties, items,
/// anyOf and local `$ref`s. Returns errors as "JSON pointer: what".
fn validate(root: &Value, schema: &Value, doc: &Value, at: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(s) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errors.push(format!("{at}: not allowed here"));
        }
        return errors;
    };
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/definitions/").expect("a local reference");
        return validate(root, &root["definitions"][name], doc, at);
    }
    if let Some(types) = s.get("type").and_then(Value::as_str) {
        let ok = match types {
            "object" => doc.is_object(),
            "array" => doc.is_array(),
            "string" => doc.is_string(),
            "boolean" => doc.is_boolean(),
            "number" => doc.is_number(),
            "integer" => doc.as_f64().is_some_and(|f| f.fract() == 0.0),
            other => panic!("type {other}"),
        };
        if !ok {
            errors.push(format!("{at}: not of type {types}"));
            return errors;
        }
    }
    if let Some(values) = s.get("enum").and_then(Value::as_array)
        && !values.contains(doc)
    {
        errors.push(format!("{at}: not one of {values:?}"));
    }
    if let Some(x) = doc.as_f64() {
        if s.get("minimum").and_then(Value::as_f64).is_some_and(|m| x < m) {
            errors.push(format!("{at}: below the minimum"));
        }
        if s.get("exclusiveMinimum").and_then(Value::as_f64).is_some_and(|m| x <= m) {
            errors.push(format!("{at}: not above the minimum"));
        }
        if s.get("maximum").and_then(Value::as_f64).is_some_and(|m| x > m) {
            errors.push(format!("{at}: above the maximum"));
        }
    }
    if let Some(options) = s.get("anyOf").and_then(Value::as_array)
        && options.iter().all(|o| !validate(root, o, doc, at).is_empty())
    {
        errors.push(format!("{at}: matches none of its forms"));
    }
    if let Some(obj) = doc.as_object() {
        for name in s.get("required").and_then(Value::as_array).into_iter().flatten() {
            if !obj.contains_key(name.as_str().unwrap()) {
                errors.push(format!("{at}/{}: required", name.as_str().unwrap()));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, v) in obj {
            let here = format!("{at}/{k}");
            match props.and_then(|p| p.get(k)) {
                Some(sub) => errors.extend(validate(root, sub, v, &here)),
                None => {
                    if let Some(extra) = s.get("additionalProperties") {
                        errors.extend(validate(root, extra, v, &here));
                    }
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (s.get("items"), doc.as_array()) {
        for (i, v) in array.iter().enumerate() {
            // A tuple (a pair's places) has a schema per place.
            let item = match items.as_array() {
                Some(places) => &places[i.min(places.len() - 1)],
                None => items,
            };
            errors.extend(validate(root, item, v, &format!("{at}/{i}")));
        }
        let count = |k: &str| s.get(k).and_then(Value::as_u64).map(|n| n as usize);
        if count("minItems").is_some_and(|n| array.len() < n) || count("maxItems").is_some_and(|n| array.len() > n) {
            errors.push(format!("{at}: wrong number of items"));
        }
    }
    errors
}

/// The reader's checks of the keys it reads through the table say the table's range or
/// choices and the limit behind them.
#[test]
fn the_readers_errors_quote_the_tables_limits() {
    let base = "[run]\nhorizon_s = 60\n[workload.w]\ntarget = \"sqs.q\"\narrival = \"poisson\"\nrate_per_s = 1\n";
    let cases = [
        ("[sqs.q]\ndelay_s = 901\n", "sqs.NAME.delay_s", "must be a whole number from 0 to 900"),
        (
            "[sqs.q]\n[workers.p]\nsource = \"sqs.q\"\ncount = 1\nservice_time_s = 1\nbatch_size = 11\n",
            "workers.NAME.batch_size",
            "from 1 to 10",
        ),
        ("[sqs.q]\n[lambda.f]\nduration_s = 1\nmemory_mb = 64\n", "lambda.NAME.memory_mb", "from 128 to 10240"),
        (
            "[sqs.q]\n[lambda.f]\nduration_s = 1\narchitecture = \"sparc\"\n",
            "lambda.NAME.architecture",
            "allowed: \"x86_64\", \"arm64\"",
        ),
        ("retry_mode = \"legacy\"\n[sqs.q]\n", "workload.NAME.retry_mode", "allowed: \"standard\", \"adaptive\""),
    ];
    for (tail, pattern, says) in cases {
        let e = common::parse_inline(&format!("{base}{tail}"), &[]).expect_err(tail).to_string();
        let why = keys::entry(pattern).why();
        assert!(e.contains(says) && e.contains(&why), "{pattern}: {e}\n(the table says: {why})");
    }
}

/// A scenario with one element of each kind, valid as it is: the ranges and choices test sets
/// one key at a time in it (or in the few tables a key's context adds).
const BASE: &str = r#"[run]
horizon_s = 60
[sqs.q]
[sqs.f]
fifo = true
content_based_deduplication = true
[workload.w]
target = "sqs.q"
arrival = "poisson"
rate_per_s = 1
[workers.p]
source = "sqs.q"
count = 1
service_time_s = 0.1
empty_receive_backoff_s = 1
[lambda.g]
duration_s = 0.1
[sns.t]
[endpoint.h]
protocol = "https"
[subscription.s]
topic = "sns.t"
endpoint = "endpoint.h"
[subscription.sq]
topic = "sns.t"
endpoint = "sqs.q"
[eventbridge.b]
[rule.r]
bus = "eventbridge.b"
event_pattern = '{"source": ["x"]}'
targets = ["sqs.q"]
[eventbridge.sb]
kind = "subscribers"
[subscriber.x]
bus = "eventbridge.sb"
target = "sqs.q"
[activity.a]
workers = 1
[ses]
account = "production"
max_send_rate_per_s = 1
daily_quota = 100
[mq.mb]
engine = "activemq"
instance_type = "mq.m5.large"
producers = 1
consumers = 1
service_time_s = 0.01
"#;

/// A state machine with one state of each kind the per-state keys apply to.
const MACHINE: &str = r#"{"StartAt": "W", "States": {
    "W": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Call"},
    "Call": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
        "Parameters": {"TableName": "t", "Item": {}}, "Next": "Ask"},
    "Ask": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.waitForTaskToken",
        "Parameters": {"Cluster": "c", "TaskDefinition": "t"}, "Next": "Each"},
    "Each": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "I", "States": {
        "I": {"Type": "Pass", "End": true}}}}}}"#;

/// Where one key is set: `BASE` plus `extra` tables, the `sets` overrides, then the key's
/// own override `path=VALUE` — or, for a key `--set` cannot reach (an item of an array of
/// tables), `extra` with `{V}` replaced by the value. `shown` is the path errors name.
struct Place {
    path: String,
    extra: String,
    sets: Vec<String>,
    shown: String,
}

/// Where the test sets `pattern`, or why it cannot.
fn place(pattern: &str, machine: &Path) -> Result<Place, &'static str> {
    let (table, rest) = pattern.split_once('.').unwrap_or((pattern, ""));
    let leaf = pattern.rsplit('.').next().unwrap();
    let mut extra = String::new();
    let mut sets: Vec<String> = Vec::new();
    let name = match table {
        "run" => {
            match leaf {
                // Few enough sample rows over any horizon.
                "horizon_s" => sets.push("run.sample_interval_s=1000000".into()),
                "warmup_s" => sets.extend(["run.horizon_s=10000000000".into(), "run.sample_interval_s=1000000".into()]),
                "sample_interval_s" => sets.push("run.horizon_s=1".into()),
                _ => {}
            }
            ""
        }
        "pricing" if keys::PAIRS.iter().any(|pair| pattern.starts_with(&format!("{pair}[]."))) => {
            // The second of two tiers, the first from 0 as every first tier must be; Express
            // prices take both keys.
            let (key, _) = rest.split_once("[].").unwrap();
            let tier = if leaf == "from_per_month" { "{V}, 1" } else { "1, {V}" };
            let mut extra = format!("[pricing]\n{key} = [[0, 1], [{tier}]]\n");
            if key == "express_gb_hour_tiers" {
                extra.push_str("express_usd_per_million_requests = 1\n");
            }
            return Ok(Place { path: String::new(), extra, sets, shown: format!("pricing.{key}[1].{leaf}") });
        }
        "pricing" if leaf == "express_usd_per_million_requests" => {
            sets.push("pricing.express_gb_hour_tiers=[[0, 0.06]]".into());
            ""
        }
        "latency" if rest.starts_with("sqs.NAME") => "q",
        "latency" if rest.starts_with("subscription.NAME") => "sq",
        "account" | "ses" | "pricing" | "latency" => "",
        "sqs" => {
            extra.push_str("[sqs.k]\n");
            match leaf {
                "receive_count_max" => extra.push_str("dead_letter_queue = \"sqs.d\"\n[sqs.d]\n"),
                "redrive_at_s" => extra.push_str("[sqs.j]\ndead_letter_queue = \"sqs.k\"\n"),
                "redrive_rate_per_s" => extra.push_str("redrive_at_s = 10\n[sqs.j]\ndead_letter_queue = \"sqs.k\"\n"),
                _ => {}
            }
            "k"
        }
        "workers" if leaf.starts_with("heartbeat_") => {
            extra.push_str(
                "[sqs.hq]\nvisibility_timeout_s = 43200\n[workers.hb]\nsource = \"sqs.hq\"\ncount = 1\n\
                 service_time_s = 0.1\nheartbeat_interval_s = 0.5\nheartbeat_visibility_timeout_s = 43200\n",
            );
            "hb"
        }
        "workers" => "p",
        "workload" if pattern.starts_with("workload.NAME.steps[].") => {
            // The second of two steps, the first at 0 as every first step must be.
            let step = if leaf == "at_s" { "{V}, 1" } else { "1, {V}" };
            let extra = format!("[workload.v]\ntarget = \"sqs.q\"\narrival = \"steps\"\nsteps = [[0, 1], [{step}]]\n");
            return Ok(Place { path: String::new(), extra, sets, shown: format!("workload.v.steps[1].{leaf}") });
        }
        "workload" if pattern.ends_with(".FIELD.weights[]") => {
            // The first of two values' weights; the second keeps the sum above 0.
            let fields = if pattern.contains(".attributes.") { "attributes" } else { "body" };
            let extra = format!(
                "[workload.v]\ntarget = \"sns.t\"\narrival = \"poisson\"\nrate_per_s = 1\n\
                 [workload.v.{fields}]\nn = {{ values = [\"a\", \"b\"], weights = [{{V}}, 1] }}\n"
            );
            return Ok(Place { path: String::new(), extra, sets, shown: format!("workload.v.{fields}.n.weights[0]") });
        }
        "workload" => {
            let arrival = match leaf {
                "from_per_s" | "to_per_s" | "duration_s" => {
                    "arrival = \"ramp\"\nfrom_per_s = 1\nto_per_s = 1\nduration_s = 10\n"
                }
                "on_rate_per_s" | "off_rate_per_s" | "on_s" | "off_s" => {
                    "arrival = \"bursts\"\non_rate_per_s = 1\non_s = 1\noff_s = 1\n"
                }
                "mean_rate_per_s" | "amplitude" | "period_s" | "peak_at_s" => {
                    "arrival = \"diurnal\"\nmean_rate_per_s = 1\n"
                }
                _ => "arrival = \"poisson\"\nrate_per_s = 1\n",
            };
            let target = match leaf {
                "group_count" | "group_skew" => "sqs.f",
                "message_size_bytes" => "mq.mb",
                "ses_interface" => "ses",
                "FIELD" => "sns.t",
                _ => "sqs.q",
            };
            extra.push_str(&format!("[workload.v]\ntarget = \"{target}\"\n{arrival}"));
            if leaf == "send_batch_linger_s" {
                extra.push_str("send_batch_max = 2\n");
            }
            "v"
        }
        "lambda" if pattern == "lambda.NAME.async_retry_delays_s[]" => {
            let extra = "[lambda.ad]\nduration_s = 0.1\nasync_retry_delays_s = [{V}, 1]\n".to_string();
            return Ok(Place { path: String::new(), extra, sets, shown: "lambda.ad.async_retry_delays_s[0]".into() });
        }
        "lambda" if leaf == "environments_max" => {
            // An Amazon MQ mapping's: the function consumes a broker of its own.
            let broker = "[mq.lq]\nengine = \"activemq\"\ninstance_type = \"mq.m5.large\"\nproducers = 1\n";
            let path = if pattern.contains(".mappings.") {
                extra.push_str("[lambda.mq]\nduration_s = 0.1\n[lambda.mq.mappings.a]\nsource = \"mq.lq\"\n");
                "lambda.mq.mappings.a.environments_max"
            } else {
                extra.push_str("[lambda.mq]\nduration_s = 0.1\nsource = \"mq.lq\"\n");
                "lambda.mq.environments_max"
            };
            extra.push_str(broker);
            return Ok(Place { shown: path.into(), path: path.into(), extra, sets });
        }
        "lambda" if pattern.starts_with("lambda.NAME.mappings.NAME.") => {
            // One of several mappings: its keys live in a table of its own under `mappings`.
            extra.push_str(
                "[lambda.mm]\nduration_s = 0.1\n[lambda.mm.mappings.a]\nsource = \"sqs.lm\"\nbatching_window_s = 1\n[sqs.lm]\n",
            );
            let path = pattern.replacen("NAME", "mm", 1).replacen("NAME", "a", 1);
            return Ok(Place { shown: path.clone(), path, extra, sets });
        }
        "lambda" if pattern.starts_with("lambda.NAME.managed_instances.") => {
            // A function big enough for every memory-to-vCPU ratio: 8 GB makes environments
            // of 4 vCPUs down to 1, on instances of 4.
            extra.push_str(if leaf == "memory_gib_per_vcpu" {
                "[lambda.mi]\nduration_s = 0.1\nmemory_mb = 8192\n[lambda.mi.managed_instances]\nvcpus_per_instance = 4\n"
            } else {
                "[lambda.mi]\nduration_s = 0.1\nmemory_mb = 2048\n[lambda.mi.managed_instances]\n"
            });
            let path = pattern.replacen("NAME", "mi", 1);
            return Ok(Place { shown: path.clone(), path, extra, sets });
        }
        "lambda" => match leaf {
            "batch_size"
            | "batching_window_s"
            | "scaling_max"
            | "maximum_concurrency"
            | "record_overhead_bytes"
            | "provisioned_pollers_min"
            | "provisioned_pollers_max" => {
                extra.push_str("[lambda.m]\nduration_s = 0.1\nsource = \"sqs.lm\"\nbatching_window_s = 1\n[sqs.lm]\n");
                "m"
            }
            "restore_duration_s" | "restore_billed_fraction" => {
                extra.push_str("[lambda.snap]\nduration_s = 0.1\nsnap_start = true\n");
                "snap"
            }
            _ => "g",
        },
        "sns" => {
            extra.push_str("[sns.ft]\nfifo = true\n");
            "ft"
        }
        "subscription" => "s",
        "endpoint" if pattern.starts_with("endpoint.NAME.outages[].") => {
            // An outage from 0 for `to_s`, to the longest time for `from_s`.
            let outage = if leaf == "from_s" { "{V}, 10000000000" } else { "0, {V}" };
            let extra = format!("[endpoint.o]\nprotocol = \"https\"\noutages = [[{outage}]]\n");
            return Ok(Place { path: String::new(), extra, sets, shown: format!("endpoint.o.outages[0].{leaf}") });
        }
        "endpoint" => "h",
        "eventbridge" => "b",
        "rule" if pattern.starts_with("rule.NAME.targets[].") => {
            // A target's own policy: an item of the rule's `targets` written as a table.
            let extra = format!(
                "[rule.rt]\nbus = \"eventbridge.b\"\nevent_pattern = '{{\"source\": [\"x\"]}}'\n\
                 [[rule.rt.targets]]\ntarget = \"sqs.q\"\n{leaf} = {{V}}\n"
            );
            return Ok(Place { path: String::new(), extra, sets, shown: format!("rule.rt.targets[0].{leaf}") });
        }
        "rule" => "r",
        "subscriber" => "x",
        "activity" => "a",
        "mq" => "mb",
        "step_functions" if pattern == "step_functions.NAME.states.STATE.weights[]" => {
            // A Choice state's weights: its one rule's, then its default's, which keeps the
            // sum above 0.
            let extra = format!(
                "[step_functions.c]\ndefinition = {:?}\ntype = \"standard\"\n\
                 [step_functions.c.states.Pick]\nweights = [{{V}}, 1]\n",
                machine.with_file_name("choice.asl.json").display().to_string()
            );
            return Ok(Place {
                path: String::new(),
                extra,
                sets,
                shown: "step_functions.c.states.Pick.weights[0]".into(),
            });
        }
        "step_functions" if leaf == "TARGET" => {
            // A Lambda task whose function comes from the data, with one target.
            let extra = format!(
                "[step_functions.d]\ndefinition = {:?}\ntype = \"standard\"\n\
                 [step_functions.d.states.Call.targets]\n\"lambda.g\" = {{V}}\n",
                machine.with_file_name("from-data.asl.json").display().to_string()
            );
            return Ok(Place {
                path: String::new(),
                extra,
                sets,
                shown: "step_functions.d.states.Call.targets.\"lambda.g\"".into(),
            });
        }
        "step_functions" => {
            if leaf == "restart_rate" {
                // Only asynchronous Express executions restart, and they take no callbacks.
                extra.push_str(&format!(
                    "[step_functions.m]\ndefinition = {:?}\ntype = \"express_async\"\n\
                     [step_functions.m.states.Call]\nduration_s = 1\n",
                    machine.with_file_name("express.asl.json").display().to_string()
                ));
            } else {
                extra.push_str(&format!(
                    "[step_functions.m]\ndefinition = {:?}\ntype = \"standard\"\n\
                     [step_functions.m.states.W]\nwait_s = 1\n[step_functions.m.states.Call]\nduration_s = 1\n\
                     [step_functions.m.states.Ask]\ncallback_s = 1\n[step_functions.m.states.Each]\nitems = 1\n",
                    machine.display().to_string()
                ));
            }
            "m"
        }
        "sweep" if pattern == "sweep.axis[].step" => {
            let extra = "[[sweep.axis]]\nkey = \"workers.p.count\"\nfrom = 1\nto = 1\nstep = {V}\n".to_string();
            return Ok(Place { path: String::new(), extra, sets, shown: "sweep.axis[0].step".into() });
        }
        "sweep" => {
            extra.push_str("[[sweep.axis]]\nkey = \"workers.p.count\"\nvalues = [1]\n");
            ""
        }
        "DISTRIBUTION" if leaf == "dist" => {
            let extra = "[workers.dq]\nsource = \"sqs.q\"\ncount = 1\nservice_time_s = { dist = {V} }\n".to_string();
            return Ok(Place { path: String::new(), extra, sets, shown: "workers.dq.service_time_s.dist".into() });
        }
        "DISTRIBUTION" if pattern == "DISTRIBUTION.quantiles[].probability" => {
            // The second of two points, the first at probability 0 as it must be.
            let extra = "[workers.dq]\nsource = \"sqs.q\"\ncount = 1\n\
                         service_time_s = { dist = \"empirical\", quantiles = [[0, 0.1], [{V}, 0.2]] }\n"
                .to_string();
            let shown = "workers.dq.service_time_s.quantiles[1].probability".into();
            return Ok(Place { path: String::new(), extra, sets, shown });
        }
        "DISTRIBUTION" => return Err("a distribution's parameters take the range of the key they are under"),
        _ => return Err("no place for it"),
    };
    let state = match leaf {
        "duration_s" | "ERROR" => "Call",
        "callback_s" => "Ask",
        "wait_s" => "W",
        _ => "Each",
    };
    let path = pattern.replacen("NAME", name, 1).replace("STATE", state).replace("FIELD", "n").replace("ERROR", "Boom");
    Ok(Place { shown: path.clone(), path, extra, sets })
}

/// Reads `BASE` with `value` at `place`.
fn read_with(place: &Place, value: &str) -> Result<(), String> {
    let (extra, own) = if place.path.is_empty() {
        (place.extra.replace("{V}", value), None)
    } else {
        (place.extra.clone(), Some(format!("{}={value}", place.path)))
    };
    let mut sets: Vec<&str> = place.sets.iter().map(String::as_str).collect();
    sets.extend(own.as_deref());
    common::parse_inline(&format!("{BASE}{extra}"), &sets).map(|_| ()).map_err(|e| e.to_string())
}

/// A number as TOML writes it, and as the reader's messages do.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

fn toml_float(v: f64) -> String {
    format!("{v:?}")
}

/// Boundary values the reader refuses for a reason of its own, which the table states in its
/// `allowed` words: (key, value, why the refusal is right).
const REFUSED_AT_THE_BOUNDARY: &[(&str, &str, &str)] = &[
    ("DISTRIBUTION.quantiles[].probability", "0.0", "the first point is at 0, and probabilities increase"),
    ("pricing.sqs_standard_tiers[].from_per_month", "0.0", "the first tier starts at 0, and a later tier above it"),
    ("pricing.sqs_fifo_tiers[].from_per_month", "0.0", "as sqs_standard_tiers"),
    ("pricing.express_gb_hour_tiers[].from_per_month", "0.0", "as sqs_standard_tiers"),
    ("workload.NAME.steps[].at_s", "0.0", "the first step is at 0, and a later step must come after it"),
    ("endpoint.NAME.outages[].from_s", "10000000000.0", "an outage must end after it starts, at most at 10^10 s"),
    ("endpoint.NAME.outages[].to_s", "0.0", "an outage must end after it starts, at 0 s at the earliest"),
    ("run.warmup_s", "10000000000.0", "the warm-up must be shorter than the horizon, itself at most 10^10 s"),
    (
        "workers.NAME.heartbeat_interval_s",
        "43200.0",
        "the interval must be shorter than the queue's visibility timeout, itself at most 43,200 s",
    ),
    (
        "lambda.NAME.reserved_concurrency",
        "1000000",
        "reservations must leave 100 of the account's concurrency unreserved, itself at most 1,000,000",
    ),
    (
        "subscription.NAME.delivery_policy.minDelayTarget",
        "3600",
        "minDelayTarget is at most maxDelayTarget (20 by default), and the delays add up to at most 3,600 s",
    ),
    (
        "subscription.NAME.delivery_policy.maxDelayTarget",
        "1",
        "maxDelayTarget is at least minDelayTarget (20 by default)",
    ),
    (
        "subscription.NAME.delivery_policy.maxDelayTarget",
        "3600",
        "with the default phases the delays would add up to more than AWS's 3,600 s of retries",
    ),
    (
        "subscription.NAME.delivery_policy.numNoDelayRetries",
        "100000",
        "the phases count at most numRetries (at most 100)",
    ),
    ("subscription.NAME.delivery_policy.numMinDelayRetries", "100000", "as numNoDelayRetries"),
    ("subscription.NAME.delivery_policy.numMaxDelayRetries", "100000", "as numNoDelayRetries"),
];

/// Keys whose limit depends on another key, so the reader's message names the limit that
/// applies (the table's `allowed` lists them all) rather than the table's first clause.
const LIMIT_BY_CONTEXT: &[(&str, &str)] =
    &[("workload.NAME.message_size_bytes", "the largest message depends on the target's service")];

/// For every key the table gives a range, the reader refuses a value just outside it with an
/// error that names the key and quotes the table's bounds and limit, and takes the bounds
/// themselves; a range in the table that the reader does not enforce, or a bound the reader
/// hard-codes differently, fails here. Every key with a `Whole` or `Number` range is set
/// (`place` panics for one it has no place for); what cannot be tried:
/// - above a maximum of `u64::MAX` (`run.seed`, `run.events_max`, `workload.NAME.count_max`)
///   or of infinity (`sweep.axis[].step`): no such value can be written;
/// - the boundaries in `REFUSED_AT_THE_BOUNDARY`, which a rule tying the key to another
///   refuses (tried, and expected refused);
/// - the limit named for `LIMIT_BY_CONTEXT` keys, which depends on another key.
///
/// Keys with no range of their own are not tried: `DISTRIBUTION.*` parameters take the range
/// of the key they are under (tried through that key's constant form), and the items of
/// arrays that have no range of their own are checked in the reader against bounds its
/// `allowed` words state: a list's `items` (`FIELD.items`), whose largest count is the number
/// of values with a weight above 0, and the values of a distribution's `quantiles`, which
/// take the range of the key the distribution is under. An item with an entry
/// (`async_retry_delays_s[]`, `weights[]`, a pair's places `steps[].at_s`, `outages[].to_s`,
/// `sqs_standard_tiers[].from_per_month`) is tried in an array written out in full, and a
/// named entry (`errors.ERROR`, `targets.TARGET`) in its table.
#[test]
fn the_table_drives_every_range_check() {
    let dir = common::scratch_in("keys", "ranges");
    let machine = dir.join("machine.asl.json");
    fs::write(&machine, MACHINE).unwrap();
    fs::write(
        dir.join("express.asl.json"),
        r#"{"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": "t", "Item": {}}, "End": true}}}"#,
    )
    .unwrap();
    fs::write(
        dir.join("from-data.asl.json"),
        r#"{"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName.$": "$.fn", "Payload.$": "$"}, "End": true}}}"#,
    )
    .unwrap();
    fs::write(
        dir.join("choice.asl.json"),
        r#"{"StartAt": "Pick", "States": {
            "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "Done"}],
                "Default": "Done"},
            "Done": {"Type": "Succeed"}}}"#,
    )
    .unwrap();
    common::parse_inline(BASE, &[]).unwrap_or_else(|e| panic!("the base scenario: {e}"));
    let mut failures = Vec::new();
    let mut checked = 0;
    for key in KEYS {
        let (outside, inside, says): (Vec<String>, Vec<String>, String) = match key.range {
            keys::Range::Any => continue,
            keys::Range::Whole { min, max } => {
                // Below 0 is a negative number, refused with the same range.
                let mut outside = vec![(i128::from(min) - 1).to_string()];
                // TOML integers stop at i64::MAX: a maximum of u64::MAX cannot be exceeded or written.
                let writable = |v: u64| i64::try_from(v).is_ok();
                if writable(max) {
                    outside.push((max + 1).to_string());
                }
                let inside = [min, max].into_iter().filter(|v| writable(*v)).map(|v| v.to_string()).collect();
                let says = if max == u64::MAX { format!("{min} or more") } else { format!("from {min} to {max}") };
                (outside, inside, format!("must be a whole number {says}"))
            }
            keys::Range::Number { min, max, above_min } => {
                let step = |b: f64| (b.abs() * 1e-6).max(1e-6);
                let mut outside = vec![toml_float(if above_min { min } else { min - step(min) })];
                let mut inside = vec![toml_float(if above_min { min + step(min) } else { min })];
                if max.is_finite() {
                    outside.push(toml_float(max + step(max)));
                    inside.push(toml_float(max));
                }
                let says = match (above_min, max.is_finite()) {
                    (false, true) => format!("must be from {} to {}", number(min), number(max)),
                    (false, false) => format!("must be {} or more", number(min)),
                    (true, true) => format!("must be above {} and at most {}", number(min), number(max)),
                    (true, false) => format!("must be above {}", number(min)),
                };
                (outside, inside, says)
            }
        };
        let place = match place(key.path, &machine) {
            Ok(place) => place,
            Err(why) => panic!("{} has a range the test cannot set: {why}", key.path),
        };
        let why = if LIMIT_BY_CONTEXT.iter().any(|(k, _)| *k == key.path) { String::new() } else { key.why() };
        for value in &outside {
            match read_with(&place, value) {
                Ok(()) => failures.push(format!("{} = {value} is outside the table's range but accepted", place.shown)),
                Err(e) => {
                    let names = e.contains(&format!("{} = ", place.shown));
                    if !names || !e.contains(&says) || !e.contains(&why) {
                        failures.push(format!(
                            "{} = {value}: the error should name the key and say `{says}` ({why}):\n  {e}",
                            place.shown
                        ));
                    }
                }
            }
        }
        if let Some(field) = key.path.strip_prefix("subscription.NAME.delivery_policy.") {
            // AWS's JSON form of the same policy is held to the same ranges.
            let policy = if field == "maxReceivesPerSecond" { "throttlePolicy" } else { "healthyRetryPolicy" };
            for value in &outside {
                let json = format!("subscription.s.delivery_policy='{{\"{policy}\": {{\"{field}\": {value}}}}}'");
                let e = common::parse_inline(BASE, &[&json]).map(|_| ()).expect_err(&json).to_string();
                let says = says.replace("must be", &format!("{policy}.{field} must be"));
                if !e.contains(&says) || !e.contains(&why) {
                    failures.push(format!("{json}: the error should say `{says}` ({why}):\n  {e}"));
                }
            }
        }
        for value in &inside {
            let known = REFUSED_AT_THE_BOUNDARY.iter().any(|(k, v, _)| *k == key.path && v == value);
            match (read_with(&place, value), known) {
                (Ok(()), true) => failures.push(format!("{} = {value} is listed as refused but accepted", key.path)),
                (Err(e), false) => failures.push(format!("{} = {value} is within the table's range: {e}", place.shown)),
                _ => {}
            }
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 100, "{checked} ranged keys");
}

/// For every choice in the table, the reader refuses a value it does not list with an error
/// that names the key and lists the table's choices with the limit behind them, and never
/// calls a listed choice unknown (a choice may still be refused by a rule that ties it to
/// other keys, e.g. an ActiveMQ-only deployment on a RabbitMQ broker).
#[test]
fn the_table_drives_every_choice_check() {
    let dir = common::scratch_in("keys", "choices");
    let machine = dir.join("machine.asl.json");
    fs::write(&machine, MACHINE).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for key in KEYS {
        let Kind::Enum(values) = key.kind else { continue };
        let place = place(key.path, &machine).unwrap_or_else(|why| panic!("{}: {why}", key.path));
        let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
        let says = format!("allowed: {}", quoted.join(", "));
        let why = key.why();
        match read_with(&place, "\"not-a-choice\"") {
            Ok(()) => failures.push(format!("{} = \"not-a-choice\" is accepted", place.shown)),
            Err(e) => {
                if !e.contains(&format!("{} = \"not-a-choice\": unknown value", place.shown))
                    || !e.contains(&says)
                    || !e.contains(&why)
                {
                    failures.push(format!("{}: the error should say `{says}` ({why}):\n  {e}", place.shown));
                }
            }
        }
        for value in &quoted {
            if let Err(e) = read_with(&place, value)
                && e.contains("unknown value")
            {
                failures.push(format!("{} = {value} is a choice of the table: {e}", place.shown));
            }
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 20, "{checked} choices");
}

/// The bounds the models keep as constants (for the default of a policy, a clamp of what a
/// distribution draws) are the key table's, so the reader and the models cannot disagree.
#[test]
fn the_models_bounds_are_the_tables() {
    use orchsim::models::lambda::asynchronous as lambda_async;
    use orchsim::models::{ses, sns};
    let whole = |pattern: &str| match keys::entry(pattern).range {
        keys::Range::Whole { min, max } => (min, max),
        other => panic!("{pattern}: {other:?}"),
    };
    let number = |pattern: &str| match keys::entry(pattern).range {
        keys::Range::Number { min, max, .. } => (min, max),
        other => panic!("{pattern}: {other:?}"),
    };
    let policy = "subscription.NAME.delivery_policy";
    assert_eq!(whole(&format!("{policy}.numRetries")).1, u64::from(sns::retry::NUM_RETRIES_MAX));
    assert_eq!(whole(&format!("{policy}.minDelayTarget")).0, u64::from(sns::retry::MIN_DELAY_TARGET_S_MIN));
    assert_eq!(whole(&format!("{policy}.maxDelayTarget")).1, u64::from(sns::retry::MAX_DELAY_TARGET_S_MAX));
    assert_eq!(whole("lambda.NAME.maximum_retry_attempts").1, u64::from(lambda_async::MAXIMUM_RETRY_ATTEMPTS_MAX));
    let age = whole("lambda.NAME.maximum_event_age_s");
    assert_eq!(age.0 as f64, lambda_async::MAXIMUM_EVENT_AGE_MIN.as_secs_f64());
    assert_eq!(age.1 as f64, lambda_async::MAXIMUM_EVENT_AGE_MAX.as_secs_f64());
    assert_eq!(number("ses.recipients_per_email").1, f64::from(ses::RECIPIENTS_MAX));
}
