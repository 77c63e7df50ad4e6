//! The key table is the one source of what a scenario may hold: these tests keep the book's
//! reference pages and the shipped JSON Schema equal to what it generates, every shipped
//! scenario valid against that schema (with its `#:schema` first line), broken ones refused,
//! and the table and the reader's keys in step.
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
        .filter(|k| !k.path.ends_with("NAME") && !k.path.ends_with("STATE") && !k.path.ends_with("FIELD"))
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
            errors.extend(validate(root, items, v, &format!("{at}/{i}")));
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
