//! Helpers shared by the integration tests: run a scenario (a shipped file or an inline
//! text) and read its summary the way users do, from `summary.json`.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use orchsim::report;
use orchsim::run::{self, RunResult};
use orchsim::scenario::{Scenario, ScenarioError};
use serde_json::Value;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn shipped(name: &str) -> PathBuf {
    repo().join("scenarios").join(name)
}

pub fn load(path: &Path, overrides: &[&str]) -> Scenario {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    Scenario::load(path, &overrides).unwrap_or_else(|e| panic!("{e}"))
}

pub fn parse_inline(text: &str, overrides: &[&str]) -> Result<Scenario, ScenarioError> {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    Scenario::from_text("inline.toml", text, &repo().join("scenarios"), &overrides)
}

pub fn inline(text: &str) -> Scenario {
    parse_inline(text, &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// The override that turns AWS's own call and hop latencies off, for tests of a model's
/// rules by exact times and counts (the latencies have tests of their own).
pub const NO_HOPS: &str = "latency.aws_calls=none";

/// As [`inline`], with AWS's own call and hop latencies off.
pub fn exact(text: &str) -> Scenario {
    parse_inline(text, &[NO_HOPS]).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs and returns the parsed `summary.json`; every run in the tests must pass the
/// conservation audit.
pub fn summary(scenario: &Scenario) -> (RunResult, Value) {
    let result = run::run(scenario).expect("within the memory budget");
    let failures = report::audit_failures(&result);
    assert!(failures.is_empty(), "conservation audit failed:\n{}", failures.join("\n"));
    let json = report::summary_json(scenario, &result);
    (result, serde_json::from_str(&json).expect("summary.json is JSON"))
}

pub fn counter(summary: &Value, name: &str) -> u64 {
    summary["counters"][name].as_u64().unwrap_or_else(|| panic!("no counter {name}"))
}

pub fn gauge(summary: &Value, name: &str) -> f64 {
    summary["gauges"][name].as_f64().unwrap_or_else(|| panic!("no gauge {name}"))
}

pub fn latency(summary: &Value, name: &str, stat: &str) -> f64 {
    summary["latency_ms"][name][stat].as_f64().unwrap_or_else(|| panic!("no latency {name}.{stat}"))
}

/// Runs the `orchsim` binary with `args` in `cwd`.
pub fn orchsim(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orchsim")).args(args).current_dir(cwd).output().expect("the binary runs")
}

/// A fresh, empty folder for one test of `suite`.
pub fn scratch_in(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orchsim-{suite}-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A command's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `orchsim fit --json ARGS…` run in `dir`, which must succeed, as JSON.
pub fn fit_json(args: &[&str], dir: &Path) -> serde_json::Value {
    let mut all = vec!["fit", "--json"];
    all.extend(args);
    let out = orchsim(&all, dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("--json prints JSON")
}

/// The figure of a `fit --json` result whose key is `key`.
pub fn figure<'a>(result: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    result["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap_or_else(|| panic!("no figure {key} in {result:#}"))
}

/// The line of a scenario's TOML text that sets `key` in table `table`.
pub fn line<'t>(toml: &'t str, table: &str, key: &str) -> &'t str {
    let start = toml.find(&format!("\n[{table}]")).unwrap_or_else(|| panic!("no [{table}] in\n{toml}"));
    let body = &toml[start + 1..];
    let end = body[1..].find("\n[").map_or(body.len(), |i| i + 1);
    body[..end]
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no {key} in [{table}] of\n{toml}"))
}
