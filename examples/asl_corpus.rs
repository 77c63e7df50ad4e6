//! Checks orchsim's States Language reader and Step Functions runtime against a folder of
//! real definitions (CI runs it on a public collection of real definitions kept beside the
//! checkout; `cargo test` never reads that folder).
//!
//! For each `*.json` file of the folder, in name order, it does what a deployment does
//! before AWS reads the definition: it fills the `${...}` placeholders (SAM
//! `DefinitionSubstitutions`, CDK and Terraform put ARNs, URLs and names there), choosing
//! what each holds from the placeholder's name and the field it sits in. It then writes a
//! scenario that declares every function, queue, topic, state machine and activity the
//! definition's tasks name, with the per-state data the reader requires, validates it with
//! the same reader `orchsim validate` uses, and runs it for a short horizon as a Standard
//! machine and, when the definition allows it, as an Express one.
//!
//! It prints one line per file and the totals, and exits with 1 when a definition that is
//! not listed in [`EXPECTED_INVALID`] is refused, when a run panics or when a run does not
//! stop by itself before its event cap.
//!
//! cargo run --release --example asl_corpus -- FOLDER

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use orchsim::engine::StopReason;
use orchsim::models::step_functions::asl::{Definition, Pattern, Resource, StateKind, Target, Wait};
use orchsim::scenario::Scenario;

/// Files a correct reader refuses, with the reason.
const EXPECTED_INVALID: &[(&str, &str)] = &[
    // The collection's own notes list it as not JSON.
    ("sfn-iot-data-analytics-dataset__statemachine__statemachine.asl.json", "not JSON"),
    // `"QueryLanguage": "JSONata"` is written inside `States`, where every member is a
    // state (an object) [ASL]; the states then use JSONPath, which has no `Arguments` or
    // `Output` [AWS], so the definition is refused either way.
    (
        "shared-fallback-state-jsonata__statemachine__statemachine.asl.json",
        "a string among the states; JSONata fields in JSONPath states",
    ),
];

/// Virtual time each run covers, and the events it may take.
const HORIZON_S: u32 = 60;
const EVENTS_MAX: u64 = 2_000_000;
/// Executions each run starts, one a second.
const EXECUTIONS: u32 = 5;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

fn main() -> ExitCode {
    let Some(folder) = std::env::args().nth(1) else {
        eprintln!("usage: asl_corpus FOLDER");
        return ExitCode::from(2);
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&folder) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) => {
            eprintln!("error: cannot read {folder}: {e}");
            return ExitCode::from(2);
        }
    };
    files.sort();
    if files.is_empty() {
        eprintln!("error: {folder} holds no .json definition");
        return ExitCode::from(2);
    }
    let work = std::env::temp_dir().join(format!("orchsim-asl-corpus-{}", std::process::id()));
    let mut totals = Totals::default();
    for (i, file) in files.iter().enumerate() {
        let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let dir = work.join(format!("{i:04}"));
        let outcome =
            std::panic::catch_unwind(|| check(file, &dir)).unwrap_or_else(|_| Outcome::Failed("panicked".to_string()));
        let _ = std::fs::remove_dir_all(&dir);
        totals.record(&name, outcome);
    }
    let _ = std::fs::remove_dir_all(&work);
    println!(
        "{} files: {} accepted and ran, {} valid refused, {} invalid refused as expected, {} failed",
        files.len(),
        totals.ran,
        totals.refused_valid,
        totals.refused_invalid,
        totals.failed
    );
    if totals.refused_valid + totals.failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

#[derive(Default)]
struct Totals {
    ran: u32,
    refused_valid: u32,
    refused_invalid: u32,
    failed: u32,
}

impl Totals {
    fn record(&mut self, name: &str, outcome: Outcome) {
        let expected = EXPECTED_INVALID.iter().find(|(file, _)| *file == name).map(|(_, why)| *why);
        match (outcome, expected) {
            (Outcome::Ran(runs), None) => {
                self.ran += 1;
                println!("ran      {name}: {runs}");
            }
            (Outcome::Ran(_), Some(why)) => {
                self.failed += 1;
                println!("ACCEPTED {name}: listed as invalid ({why}) but accepted");
            }
            (Outcome::Refused(message), Some(_)) => {
                self.refused_invalid += 1;
                println!("refused  {name} (invalid, as expected): {message}");
            }
            (Outcome::Refused(message), None) => {
                self.refused_valid += 1;
                println!("REFUSED  {name}: {message}");
            }
            (Outcome::Failed(message), _) => {
                self.failed += 1;
                println!("FAILED   {name}: {message}");
            }
        }
    }
}

enum Outcome {
    /// Accepted; how each workflow type's run ended.
    Ran(String),
    /// Refused by the reader, with its message.
    Refused(String),
    /// A run panicked or did not stop by itself.
    Failed(String),
}

/// Substitutes, writes the scenario, validates and runs one definition.
fn check(file: &Path, dir: &Path) -> Outcome {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => substitute(&text),
        Err(e) => return Outcome::Refused(format!("cannot read: {e}")),
    };
    let definition = match orchsim::scenario::inputs::definition(&text) {
        Ok(d) => d,
        Err(message) => return Outcome::Refused(message),
    };
    if let Err(e) = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(dir.join("main.asl.json"), &text)) {
        return Outcome::Failed(format!("cannot write to {}: {e}", dir.display()));
    }
    let mut types = vec!["standard"];
    if definition.standard_only_feature().is_none() {
        types.push("express_async");
    }
    let mut runs = Vec::new();
    for workflow in types {
        let toml = scenario_text(&definition, workflow, dir);
        let scenario = match Scenario::from_text("corpus.toml", &toml, dir, &[]) {
            Ok(s) => s,
            // An Express type refused for a Standard-only feature inside a Distributed Map
            // is the reader's right; only a Standard refusal counts against the definition.
            Err(e) if workflow != "standard" && e.to_string().contains("runs only in Standard workflows") => continue,
            Err(e) => return Outcome::Refused(e.to_string()),
        };
        let result = match orchsim::run::run(&scenario) {
            Ok(r) => r,
            Err(over) => return Outcome::Failed(format!("{workflow}: over its memory budget: {over:?}")),
        };
        if result.outcome.stop_reason == StopReason::EventCap {
            return Outcome::Failed(format!("{workflow}: did not stop within {EVENTS_MAX} events"));
        }
        runs.push(format!(
            "{workflow} {} events, {}{}",
            result.outcome.events,
            result.outcome.stop_reason.as_str(),
            match scenario.warnings.len() {
                0 => String::new(),
                n => format!(", {n} warning(s): {}", scenario.warnings.join("; ")),
            }
        ));
    }
    Outcome::Ran(runs.join("; "))
}

/// Fills every `${NAME}` as a deployment would. A placeholder that is the whole string takes
/// a value of the kind its field and its name call for (a function ARN in `FunctionName`, a
/// queue URL in `QueueUrl`, …); one inside a longer string (`arn:${AWS::Partition}:states:…`)
/// takes the partition, Region or account it names, or else a plain name.
fn substitute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else { break };
        let name = &rest[start + 2..start + len];
        let before = &text[..text.len() - rest.len() + start];
        let after = &rest[start + len + 1..];
        let whole = before.ends_with('"') && after.starts_with('"');
        let key = if whole { key_before(&before[..before.len() - 1]) } else { "" };
        out.push_str(&rest[..start]);
        out.push_str(&value_for(name, key, whole));
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The object key before `before`, which ends where a value string opens
/// (`"FunctionName": ` gives `FunctionName`); empty in an array.
fn key_before(before: &str) -> &str {
    let Some(head) = before.trim_end().strip_suffix(':') else { return "" };
    let Some(head) = head.trim_end().strip_suffix('"') else { return "" };
    head.rfind('"').map_or("", |q| &head[q + 1..])
}

/// What a deployment puts in place of `${name}` found in field `key`.
fn value_for(name: &str, key: &str, whole: bool) -> String {
    let lower = name.to_ascii_lowercase();
    let id = element_name(name);
    if lower.ends_with("partition") {
        return "aws".into();
    }
    if lower.ends_with("region") {
        return REGION.into();
    }
    if lower.ends_with("accountid") || lower.ends_with("account") {
        return ACCOUNT.into();
    }
    if !whole {
        return id;
    }
    let key = key.trim_end_matches(".$");
    let function = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{id}");
    let queue = format!("https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{id}");
    let topic = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{id}");
    let machine = format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{id}");
    let activity = format!("arn:aws:states:{REGION}:{ACCOUNT}:activity:{id}");
    match key {
        "Resource" if lower.contains("activity") => activity,
        "Resource" | "FunctionName" => function,
        "QueueUrl" => queue,
        "TopicArn" | "TargetArn" => topic,
        "StateMachineArn" => machine,
        "N" => "1".into(),
        _ if lower.contains("statemachine") || lower.contains("workflow") => machine,
        _ if lower.contains("activity") => activity,
        _ if lower.contains("topic") || lower.contains("sns") => topic,
        _ if lower.contains("queue") && !lower.contains("job") => queue,
        _ if lower.contains("role") => format!("arn:aws:iam::{ACCOUNT}:role/{id}"),
        _ if lower.contains("function") || lower.contains("lambda") || lower.ends_with("fn") => function,
        _ if lower.ends_with("arn") => format!("arn:aws:service:{REGION}:{ACCOUNT}:resource/{id}"),
        _ => id,
    }
}

/// A placeholder's name as a resource name: letters, digits, `-` and `_`.
fn element_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '-' }).collect()
}

/// A scenario that starts a few executions of `main.asl.json` and declares what its tasks
/// call, with the data the reader asks for.
fn scenario_text(definition: &Definition, workflow: &str, dir: &Path) -> String {
    let mut toml = format!(
        "[run]\nhorizon_s = {HORIZON_S}\nevents_max = {EVENTS_MAX}\nstart_time = \"2026-01-01T00:00:00Z\"\n\n\
         [workload.starts]\ntarget = \"step_functions.main\"\narrival = \"constant\"\nrate_per_s = 1\n\
         count_max = {EXECUTIONS}\n\n[step_functions.main]\ndefinition = \"main.asl.json\"\ntype = \"{workflow}\"\n"
    );
    let mut elements = Elements::default();
    for state in &definition.states {
        let name = quoted(&state.name);
        let data = state_data(&state.kind, &mut elements);
        if !data.is_empty() {
            let _ = write!(toml, "\n[step_functions.main.states.{name}]\n{data}");
        }
        if let Some(kind) = target_from_data(&state.kind) {
            // One element of the task's kind, which every call then reaches.
            elements.add(kind, DATA_TARGET);
            let _ = write!(toml, "\n[step_functions.main.states.{name}.targets]\n\"{kind}.{DATA_TARGET}\" = 1\n");
        }
    }
    toml.push_str(&elements.toml(dir));
    toml
}

/// The scenario's components the definition names, by kind.
#[derive(Default)]
struct Elements {
    functions: BTreeSet<String>,
    queues: BTreeSet<String>,
    topics: BTreeSet<String>,
    machines: BTreeSet<String>,
    activities: BTreeSet<String>,
}

/// The element a task reaches when the data names it.
const DATA_TARGET: &str = "named-by-the-data";

/// The kind of element a task calls when its target comes from the data.
fn target_from_data(kind: &StateKind) -> Option<&'static str> {
    let StateKind::Task(task) = kind else { return None };
    match &task.resource {
        Resource::Lambda { function: Target::FromData } => Some("lambda"),
        Resource::SqsSend { queue: Target::FromData } => Some("sqs"),
        Resource::SnsPublish { topic: Target::FromData } => Some("sns"),
        Resource::StartExecution { state_machine: Target::FromData } => Some("step_functions"),
        _ => None,
    }
}

impl Elements {
    fn add(&mut self, kind: &str, name: &str) {
        let set = match kind {
            "lambda" => &mut self.functions,
            "sqs" => &mut self.queues,
            "sns" => &mut self.topics,
            "step_functions" => &mut self.machines,
            _ => &mut self.activities,
        };
        set.insert(name.to_string());
    }

    fn toml(&self, dir: &Path) -> String {
        let mut toml = String::new();
        for name in self.functions.iter() {
            let _ = write!(toml, "\n[lambda.{}]\nduration_s = 0.2\n", quoted(name));
        }
        for name in self.queues.iter() {
            let _ = write!(
                toml,
                "\n[sqs.{q}]\n\n[workers.{w}]\nsource = {s}\ncount = 2\nservice_time_s = 0.5\n",
                q = quoted(name),
                w = quoted(&format!("consumer-{name}")),
                s = quoted(&format!("sqs.{name}"))
            );
        }
        for name in self.topics.iter() {
            let _ = write!(toml, "\n[sns.{}]\n", quoted(name));
        }
        for name in self.activities.iter() {
            let _ = write!(toml, "\n[activity.{}]\nworkers = 2\n", quoted(name));
        }
        // Nested executions start a child of one Pass state.
        let child = r#"{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}"#;
        for name in self.machines.iter().filter(|n| *n != "main") {
            let file = format!("child-{}.asl.json", element_name(name));
            let _ = std::fs::write(dir.join(&file), child);
            let _ = write!(
                toml,
                "\n[step_functions.{}]\ndefinition = {}\ntype = \"standard\"\n",
                quoted(name),
                quoted(&file)
            );
        }
        toml
    }
}

/// The `[step_functions.main.states.STATE]` keys a state needs, noting what it calls.
fn state_data(kind: &StateKind, elements: &mut Elements) -> String {
    match kind {
        StateKind::Map(_) => "items = 3\n".into(),
        StateKind::Wait(Wait::SecondsPath | Wait::TimestampPath) => "wait_s = 1\n".into(),
        StateKind::Task(task) => {
            let mut data = String::new();
            match &task.resource {
                Resource::Lambda { function: Target::Named(f) } => elements.add("lambda", f),
                Resource::SqsSend { queue: Target::Named(q) } => elements.add("sqs", q),
                Resource::SnsPublish { topic: Target::Named(t) } => elements.add("sns", t),
                Resource::StartExecution { state_machine: Target::Named(m) } => elements.add("step_functions", m),
                Resource::Activity { name } => {
                    elements.add("activity", name);
                    data.push_str("duration_s = 1\n");
                }
                _ => {}
            }
            let job = matches!(task.pattern, Pattern::Sync | Pattern::SyncV2)
                && !matches!(task.resource, Resource::StartExecution { .. });
            if job {
                data.push_str("duration_s = 1\n");
            }
            if task.pattern == Pattern::WaitForTaskToken && !matches!(task.resource, Resource::SqsSend { .. }) {
                data.push_str("callback_s = 1\n");
            }
            data
        }
        _ => String::new(),
    }
}

/// `s` as a TOML basic string.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
