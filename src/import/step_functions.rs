//! State machines in a template: `AWS::StepFunctions::StateMachine` and SAM's
//! `AWS::Serverless::StateMachine`, each a `[step_functions.ID]` whose definition is written
//! as an Amazon States Language file beside the scenario (the scenario format reads
//! definitions from files).
//!
//! The definition comes from `Definition` (an object, with intrinsics), `DefinitionString`
//! (JSON text, often built with `Fn::Sub` or `Fn::Join`) or SAM's `DefinitionUri` (a JSON or
//! YAML file, looked up in the definitions folder, by default the template's; a path whose
//! letter case differs is used with a warning). `DefinitionSubstitutions` replace their
//! `${key}` placeholders. `DefinitionS3Location`, or a `DefinitionUri` in S3, cannot be read
//! from the template: the machine is skipped with that reason.
//!
//! ASL names functions, queues, topics and machines by their AWS names; the scenario names
//! them by logical id. So each reference to a resource of the template (a `Ref`, a
//! `Fn::GetAtt`, the same inside `Fn::Sub`, or a substitution's value) is written as the
//! address of the element it became: a function ARN, a queue URL, a topic or state machine
//! ARN, in the import's Region and the placeholder account 123456789012. A task calling a
//! function, queue or topic the template does not define gets a placeholder element of that
//! name, marked TODO; one whose name only a deployment knows makes the machine skipped.
//!
//! The definition is then read with the model's own ASL reader: one AWS would refuse is
//! skipped with the reader's reason. What the definition leaves to the data gets a
//! placeholder, marked TODO: the items of each Map, the wait of a path-driven Wait, the run
//! time of a `.sync` job or an activity task, the answer time of a callback task, and the
//! elements a call whose target comes from the data may reach.

use std::path::{Path, PathBuf};

use super::eventbridge::field;
use super::intrinsics::{Piece, ResolveError, Val, flat_text};
use super::resources::{
    DURATION_PLACEHOLDER, Element, FUNCTIONS, Importer, Props, QUEUE, Setting, TOPIC, placeholder_workload,
};
use super::template;
use super::write::{json, toml_string};
use crate::models::filter_policy::Json;
use crate::models::step_functions::asl::{self, Pattern, Resource, StateKind, Target, Wait};

/// The account id written into the addresses of definitions: a placeholder, as a
/// deployment's account is not in the template.
pub const ACCOUNT_PLACEHOLDER: &str = "123456789012";
pub(super) const ACTIVITY: &str = "AWS::StepFunctions::Activity";
/// A placeholder Map's items per run.
const ITEMS_PLACEHOLDER: u32 = 10;

/// A definition file the scenario refers to: its name beside the scenario, and its text.
#[derive(Debug, Clone)]
pub struct DefinitionFile {
    pub file: String,
    pub text: String,
}

/// A state machine, gathered while reading the template and mapped once every other
/// element is known.
pub(super) struct MachineSpec<'a> {
    pub(super) id: String,
    pub(super) kind: String,
    pub(super) props: Props<'a>,
}

/// The file of `relative` in `dir`, matching letter case if it must: (path, exact).
pub fn find_file(dir: &Path, relative: &str) -> Option<(PathBuf, bool)> {
    let exact = dir.join(relative);
    if exact.is_file() {
        return Some((exact, true));
    }
    let mut current = dir.to_path_buf();
    for part in relative.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".") {
        if part == ".." {
            current.push("..");
            continue;
        }
        let entries = std::fs::read_dir(&current).ok()?;
        let mut names: Vec<String> =
            entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        let found = names.into_iter().find(|n| n.eq_ignore_ascii_case(part))?;
        current.push(found);
    }
    current.is_file().then_some((current, false))
}

fn to_json(v: &Val) -> Json {
    match v {
        Val::Null | Val::NoValue => Json::Null,
        Val::Bool(b) => Json::Bool(*b),
        Val::Int(i) => Json::Number(*i as f64),
        Val::Float(x) => Json::Number(*x),
        Val::Str(_) | Val::Text(_) => Json::String(flat_text(v)),
        Val::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Val::Map(entries) => Json::Object(entries.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}

/// The resources whose policies may allow a call of StartSyncExecution.
const IAM: [&str; 3] = ["AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"];

/// Whether a policy statement in `v` allows `states:StartSyncExecution` on the machine `id`
/// (by reference, or by `address`, its ARN).
fn allows_sync(v: &Val, id: &str, address: &str) -> bool {
    let is_action = |a: &Val| flat_text(a).eq_ignore_ascii_case("states:StartSyncExecution");
    let allows = match entry(v, "Action") {
        Some(Val::List(actions)) => actions.iter().any(is_action),
        Some(action) => is_action(action),
        None => false,
    };
    let is_denied = entry(v, "Effect").is_some_and(|e| flat_text(e) == "Deny");
    if allows && !is_denied && entry(v, "Resource").is_some_and(|r| mentions(r, id) || names(r, address)) {
        return true;
    }
    match v {
        Val::List(items) => items.iter().any(|x| allows_sync(x, id, address)),
        Val::Map(entries) => entries.iter().any(|(_, x)| allows_sync(x, id, address)),
        _ => false,
    }
}

/// Who starts an Express machine synchronously.
struct SyncCaller {
    /// For the type's comment.
    about: String,
    /// The API resource whose requests start it, which gets a placeholder workload.
    api: Option<String>,
}

/// A map's entry.
fn entry<'v>(v: &'v Val, key: &str) -> Option<&'v Val> {
    match v {
        Val::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// Whether a value refers to the resource `id` (a `Ref` or `Fn::GetAtt`, also inside
/// `Fn::Sub`).
fn mentions(v: &Val, id: &str) -> bool {
    match v {
        Val::Text(pieces) => pieces.iter().any(|p| matches!(p, Piece::Ref { id: r, .. } if r == id)),
        Val::List(items) => items.iter().any(|x| mentions(x, id)),
        Val::Map(entries) => entries.iter().any(|(_, x)| mentions(x, id)),
        _ => false,
    }
}

/// Whether a definition has a task starting the machine `id` with startSyncExecution: one
/// naming it by reference or by `address`, its ARN as the definition's text writes it.
fn sync_task(definition: &Val, id: &str, address: &str) -> bool {
    let is_sync = entry(definition, "Resource")
        .is_some_and(|r| flat_text(r).to_ascii_lowercase().ends_with(":sfn:startsyncexecution"));
    if is_sync && (mentions(definition, id) || names(definition, address)) {
        return true;
    }
    match definition {
        Val::List(items) => items.iter().any(|x| sync_task(x, id, address)),
        Val::Map(entries) => entries.iter().any(|(_, x)| sync_task(x, id, address)),
        _ => false,
    }
}

/// Whether some text in a value is `address`.
fn names(v: &Val, address: &str) -> bool {
    match v {
        Val::Str(_) | Val::Text(_) => flat_text(v) == address,
        Val::List(items) => items.iter().any(|x| names(x, address)),
        Val::Map(entries) => entries.iter().any(|(_, x)| names(x, address)),
        _ => false,
    }
}

/// A bare TOML key (letters, digits, `_`, `-`): a name the scenario can be given.
fn is_bare(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl<'a> Importer<'a, '_> {
    /// The address of a resource of the template as a definition writes it.
    fn address(&self, id: &str, attribute: Option<&str>) -> Option<String> {
        let r = self.resources.iter().find(|r| r.id == id)?;
        let region = &self.region;
        let a = ACCOUNT_PLACEHOLDER;
        let kind = r.kind.as_str();
        Some(match (kind, attribute) {
            (k, None) if FUNCTIONS.contains(&k) => id.to_string(),
            (k, _) if FUNCTIONS.contains(&k) => format!("arn:aws:lambda:{region}:{a}:function:{id}"),
            (QUEUE, None | Some("QueueUrl")) => format!("https://sqs.{region}.amazonaws.com/{a}/{id}"),
            (QUEUE, Some("QueueName")) => id.to_string(),
            (QUEUE, _) => format!("arn:aws:sqs:{region}:{a}:{id}"),
            (TOPIC, Some("TopicName")) => id.to_string(),
            (TOPIC, _) => format!("arn:aws:sns:{region}:{a}:{id}"),
            (k, Some("Name")) if super::eventbridge::MACHINES.contains(&k) || k == ACTIVITY => id.to_string(),
            (k, _) if super::eventbridge::MACHINES.contains(&k) => {
                format!("arn:aws:states:{region}:{a}:stateMachine:{id}")
            }
            (ACTIVITY, _) => format!("arn:aws:states:{region}:{a}:activity:{id}"),
            _ => return None,
        })
    }

    /// A value as definition text: references as addresses, pseudo parameters as the
    /// import's Region and the placeholder account.
    fn render(&self, v: &Val) -> String {
        let Val::Text(pieces) = v else { return flat_text(v) };
        let mut out = String::new();
        for p in pieces {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Ref { id, attribute } => match self.address(id, attribute.as_deref()) {
                    Some(a) => out.push_str(&a),
                    None => out.push_str(&flat_text(&Val::Text(vec![p.clone()]))),
                },
                Piece::Symbol(s) => {
                    let generated = s.strip_prefix("SAM resource ").and_then(|g| {
                        let mut ids: Vec<&str> = self
                            .resources
                            .iter()
                            .filter(|r| FUNCTIONS.contains(&r.kind.as_str()))
                            .map(|r| r.id.as_str())
                            .collect();
                        ids.sort_by_key(|i| std::cmp::Reverse(i.len()));
                        ids.into_iter().find(|i| g.starts_with(i)).map(str::to_string)
                    });
                    match (s.as_str(), generated) {
                        (_, Some(f)) => out.push_str(&f),
                        ("AWS::Region", _) => out.push_str(&self.region),
                        ("AWS::AccountId", _) => out.push_str(ACCOUNT_PLACEHOLDER),
                        ("AWS::Partition", _) => out.push_str("aws"),
                        ("AWS::URLSuffix", _) => out.push_str("amazonaws.com"),
                        _ => out.push_str(&format!("${{{s}}}")),
                    }
                }
            }
        }
        out
    }

    /// `text` with each `${key}` of the substitutions replaced.
    fn substitute(&self, text: &str, subs: &[(String, Val)]) -> String {
        if !text.contains("${") {
            return text.to_string();
        }
        let mut out = text.to_string();
        for (k, v) in subs {
            let token = format!("${{{k}}}");
            if out.contains(&token) {
                out = out.replace(&token, &self.render(v));
            }
        }
        out
    }

    /// An ARN or URL (or the bare value of a task's `FunctionName`, `QueueUrl`, `TopicArn`
    /// or `StateMachineArn`, `key`) that names a function, queue, topic or state machine of
    /// the template by its physical name (`FunctionName`, `QueueName`, …), with that name
    /// replaced by the logical id the scenario's element has. The service in the ARN or URL,
    /// or the argument, says which kind of resource it names.
    fn by_physical_name(&self, text: &str, key: Option<&str>) -> String {
        let kinds: &[&str] = if text.starts_with("arn:aws:lambda:") || key == Some("FunctionName") {
            &FUNCTIONS
        } else if text.starts_with("https://sqs.") || text.starts_with("arn:aws:sqs:") || key == Some("QueueUrl") {
            &[QUEUE]
        } else if text.starts_with("arn:aws:sns:") || key == Some("TopicArn") {
            &[TOPIC]
        } else if text.starts_with("arn:aws:states:") && text.contains(":activity:") {
            &[ACTIVITY]
        } else if text.starts_with("arn:aws:states:") || key == Some("StateMachineArn") {
            &super::eventbridge::MACHINES
        } else {
            return text.to_string();
        };
        for r in self.resources.iter().filter(|r| kinds.contains(&r.kind.as_str())) {
            let Some(name) = r.name.as_deref().filter(|n| !n.is_empty() && *n != r.id) else { continue };
            if text == name {
                return r.id.clone();
            }
            if super::resources::segments(text).iter().any(|seg| seg == name) {
                // Replace the segment where it stands: after the last `:` or `/` before it.
                for sep in [':', '/'] {
                    let needle = format!("{sep}{name}");
                    if let Some(at) = text.rfind(&needle) {
                        let end = at + needle.len();
                        if end == text.len() || text[end..].starts_with(':') {
                            return format!("{}{sep}{}{}", &text[..at], r.id, &text[end..]);
                        }
                    }
                }
            }
        }
        text.to_string()
    }

    /// The definition with every string concrete.
    fn concrete(&self, v: &Val, subs: &[(String, Val)]) -> Val {
        self.concrete_at(v, subs, None)
    }

    /// [`Importer::concrete`] of the value of `key`.
    fn concrete_at(&self, v: &Val, subs: &[(String, Val)], key: Option<&str>) -> Val {
        match v {
            Val::Str(s) => Val::Str(self.by_physical_name(&self.substitute(s, subs), key)),
            Val::Text(_) => Val::Str(self.by_physical_name(&self.substitute(&self.render(v), subs), key)),
            Val::List(items) => Val::List(items.iter().map(|i| self.concrete_at(i, subs, None)).collect()),
            Val::Map(entries) => {
                Val::Map(entries.iter().map(|(k, v)| (k.clone(), self.concrete_at(v, subs, Some(k)))).collect())
            }
            other => other.clone(),
        }
    }

    /// Parses definition text (JSON, or YAML from a file) into a value.
    fn parse_definition(&self, text: &str, props: &Props, key: &str, what: &str) -> Result<Val, ResolveError> {
        let node = props.node.and_then(|n| n.get(key));
        let (line, column) = node.map_or((0, 0), |n| (n.line, n.column));
        let path = format!("{}.{key}", props.path);
        let parsed = template::read(text).map_err(|e| ResolveError {
            path: path.clone(),
            line,
            column,
            message: format!("{what} is not valid JSON or YAML (at {}:{} of it: {})", e.line, e.column, e.message),
        })?;
        self.ctx.resolve(&parsed.root, &path)
    }

    /// The definition of a machine, concrete, or why it cannot be read (pushed as skipped).
    fn definition(&mut self, spec: &MachineSpec) -> Result<Option<Val>, ResolveError> {
        let (id, props) = (&spec.id, &spec.props);
        let subs = match self.get(props, "DefinitionSubstitutions")? {
            Some((Val::Map(m), _)) => m,
            _ => Vec::new(),
        };
        if let Some((v, _)) = self.get(props, "Definition")? {
            return Ok(Some(self.concrete(&v, &subs)));
        }
        if let Some((v, _)) = self.get(props, "DefinitionString")? {
            let text = self.substitute(&self.render(&v), &subs);
            let parsed = self.parse_definition(&text, props, "DefinitionString", "DefinitionString")?;
            return Ok(Some(self.concrete(&parsed, &[])));
        }
        if let Some((v, _)) = self.get(props, "DefinitionUri")? {
            let Val::Str(relative) = &v else {
                self.model.skipped.push(format!(
                    "{id} ({}): DefinitionUri {} is in S3, which an import cannot read",
                    spec.kind,
                    flat_text(&v)
                ));
                return Ok(None);
            };
            let Some((path, exact)) = find_file(&self.definitions_dir, relative) else {
                let node = props.node.and_then(|n| n.get("DefinitionUri"));
                return Err(ResolveError {
                    path: format!("{}.DefinitionUri", props.path),
                    line: node.map_or(0, |n| n.line),
                    column: node.map_or(0, |n| n.column),
                    message: format!(
                        "no file {relative} in {} (the template's folder, or --definitions-dir)",
                        self.definitions_dir.display()
                    ),
                });
            };
            if !exact {
                self.model.warnings.push(format!(
                    "{}.DefinitionUri: {relative} found as {} (its letter case differs)",
                    props.path,
                    path.display()
                ));
            }
            let text = std::fs::read_to_string(&path).map_err(|e| ResolveError {
                path: format!("{}.DefinitionUri", props.path),
                line: 0,
                column: 0,
                message: format!("cannot read {}: {e}", path.display()),
            })?;
            let parsed = self.parse_definition(&text, props, "DefinitionUri", &path.display().to_string())?;
            let concrete = self.concrete(&parsed, &subs);
            self.model.file_definitions.push((id.clone(), parsed));
            return Ok(Some(concrete));
        }
        let why = if self.get(props, "DefinitionS3Location")?.is_some() {
            "DefinitionS3Location is in S3, which an import cannot read"
        } else {
            "no Definition, DefinitionString or DefinitionUri"
        };
        self.model.skipped.push(format!("{id} ({}): {why}", spec.kind));
        Ok(None)
    }

    /// Maps every gathered state machine: machines first, so that nested executions and
    /// rules find each other.
    pub(super) fn machines(&mut self) -> Result<(), ResolveError> {
        let specs = std::mem::take(&mut self.machine_specs);
        let names: Vec<String> = specs.iter().map(|s| s.id.clone()).collect();
        let mut definitions = Vec::new();
        for spec in &specs {
            if let Some(d) = self.definition(spec)? {
                definitions.push((spec, d));
            }
        }
        let readable: Vec<String> = definitions.iter().map(|(s, _)| s.id.clone()).collect();
        let read: Vec<(String, Val)> = definitions.iter().map(|(s, d)| (s.id.clone(), d.clone())).collect();
        for (spec, definition) in definitions {
            self.machine(spec, definition, &readable, &read)?;
        }
        let _ = names;
        Ok(())
    }

    /// One machine; `read` are the definitions of all machines, by id.
    fn machine(
        &mut self,
        spec: &MachineSpec<'a>,
        definition: Val,
        machines: &[String],
        read: &[(String, Val)],
    ) -> Result<(), ResolveError> {
        let (id, props) = (&spec.id, &spec.props);
        let parsed = match asl::parse(&to_json(&definition)) {
            Ok(d) => d,
            Err(e) => {
                self.model.skipped.push(format!("{id} ({}): AWS would refuse its definition: {e}", spec.kind));
                return Ok(());
            }
        };
        let type_key = if spec.kind == "AWS::Serverless::StateMachine" { "Type" } else { "StateMachineType" };
        let (workflow, origin) = match self.get(props, type_key)? {
            Some((v, origin)) => (flat_text(&v).to_ascii_uppercase(), format!("{origin} ({type_key})")),
            None => ("STANDARD".to_string(), "AWS default".to_string()),
        };
        let sync_caller = if workflow == "EXPRESS" { self.sync_caller(id, read)? } else { None };
        let (type_value, origin) = match (&sync_caller, workflow.as_str()) {
            (Some(caller), _) => ("express_sync", format!("{origin}; {}", caller.about)),
            (None, "EXPRESS") => ("express_async", origin),
            (None, _) => ("standard", origin),
        };
        let mut extra: Vec<Element> = Vec::new();
        let mut states: Vec<Element> = Vec::new();
        for state in &parsed.states {
            let mut s: Vec<Setting> = Vec::new();
            let label = format!("step_functions.{id}.states.{}", toml_string(&state.name));
            let todo = |s: &mut Vec<Setting>, key: &str, value: String, why: &str| {
                s.push(Setting { key: key.into(), value, origin: format!("placeholder: {why}"), todo: true })
            };
            match &state.kind {
                StateKind::Map(_) => {
                    todo(&mut s, "items", ITEMS_PLACEHOLDER.to_string(), "how many items the Map gets")
                }
                StateKind::Wait(Wait::SecondsPath | Wait::TimestampPath) => {
                    todo(&mut s, "wait_s", "10".into(), "the wait the data decides")
                }
                StateKind::Wait(Wait::Timestamp(t)) => self.start_time(t, id, &state.name),
                StateKind::Task(task) => {
                    let call = match &task.resource {
                        Resource::Lambda { function } => Some(("lambda", function)),
                        Resource::SqsSend { queue } => Some(("sqs", queue)),
                        Resource::SnsPublish { topic } => Some(("sns", topic)),
                        Resource::StartExecution { state_machine } => Some(("step_functions", state_machine)),
                        _ => None,
                    };
                    if let Some((kind, target)) = call {
                        match target {
                            Target::Named(name) => {
                                if let Err(why) = self.callee(kind, name, machines, &state.name, id, &mut extra) {
                                    self.model
                                        .skipped
                                        .push(format!("{id} ({}): state \"{}\" {why}", spec.kind, state.name));
                                    return Ok(());
                                }
                            }
                            Target::FromData => match self.data_targets(kind, machines, id) {
                                Some(t) => todo(
                                    &mut s,
                                    "targets",
                                    t,
                                    "the elements a call whose target comes from the data may reach, equally likely",
                                ),
                                None => {
                                    self.model.skipped.push(format!(
                                        "{id} ({}): state \"{}\" takes its {kind} target from the data, and the template has none to offer",
                                        spec.kind, state.name
                                    ));
                                    return Ok(());
                                }
                            },
                            _ => {}
                        }
                    }
                    let is_sync_job = matches!(task.pattern, Pattern::Sync | Pattern::SyncV2)
                        && !matches!(task.resource, Resource::StartExecution { .. });
                    if let Resource::Activity { name } = &task.resource {
                        if !is_bare(name) {
                            self.model.skipped.push(format!(
                                "{id} ({}): state \"{}\" uses the activity {name}, whose name only a deployment knows",
                                spec.kind, state.name
                            ));
                            return Ok(());
                        }
                        self.activity_element(name);
                        todo(&mut s, "duration_s", DURATION_PLACEHOLDER.into(), "how long a worker works on the task");
                    } else if is_sync_job {
                        todo(&mut s, "duration_s", DURATION_PLACEHOLDER.into(), "how long the job runs");
                    }
                    if task.pattern == Pattern::WaitForTaskToken && !matches!(task.resource, Resource::SqsSend { .. }) {
                        todo(
                            &mut s,
                            "callback_s",
                            "{ dist = \"lognormal\", median = 60, p99 = 600 }".into(),
                            "when the task token comes back",
                        );
                    }
                }
                _ => {}
            }
            if !s.is_empty() {
                for x in s.iter().filter(|x| x.todo) {
                    self.model.placeholders.push(format!(
                        "{label}.{}: {}",
                        x.key,
                        x.origin.trim_start_matches("placeholder: ")
                    ));
                }
                states.push(Element {
                    kind: "step_functions",
                    name: format!("{id}.states.{}", toml_string(&state.name)),
                    about: format!("state \"{}\"", state.name),
                    settings: s,
                    notes: Vec::new(),
                });
            }
        }
        let file = format!("{}{id}.asl.json", self.definition_prefix);
        self.model
            .definitions
            .push(super::step_functions::DefinitionFile { file: file.clone(), text: json(&definition) + "\n" });
        let mut notes = Vec::new();
        if type_value == "express_async" {
            notes.push(
                "EXPRESS started by StartExecution: nothing in the template calls StartSyncExecution on it; set express_sync if its callers wait"
                    .to_string(),
            );
        }
        if let Some(SyncCaller { api: Some(api), .. }) = &sync_caller {
            self.written.push(id.clone());
            let workload = format!("{id}{api}Traffic");
            self.model.placeholders.push(format!(
                "workload.{workload}: Poisson requests at {} a second through {api}, each a StartSyncExecution of step_functions.{id}; the template cannot know the traffic",
                super::resources::RATE_PLACEHOLDER_PER_S
            ));
            self.rule_workloads.push(placeholder_workload(
                workload,
                format!("requests through {api}, each waiting for an execution (StartSyncExecution)"),
                &format!("step_functions.{id}"),
                format!("template ({api})"),
            ));
        }
        self.model.elements.extend(extra);
        self.model.elements.push(Element {
            kind: "step_functions",
            name: id.clone(),
            about: format!("{} {id}", spec.kind),
            settings: vec![
                Setting {
                    key: "definition".into(),
                    value: toml_string(&file),
                    origin: "template (the definition, written beside the scenario)".into(),
                    todo: false,
                },
                Setting { key: "type".into(), value: toml_string(type_value), origin, todo: false },
            ],
            notes,
        });
        self.model.elements.extend(states);
        if spec.kind == "AWS::Serverless::StateMachine" {
            self.machine_events(id, props)?;
        }
        Ok(())
    }

    /// What in the template starts the Express machine `id` with StartSyncExecution, whose
    /// caller waits for the result: an API Gateway REST method (integration URI
    /// `…:states:action/StartSyncExecution`), an HTTP API integration (subtype
    /// `StepFunctions-StartSyncExecution`) or WebSocket API integration (that URI), another
    /// machine's task (`arn:aws:states:::aws-sdk:sfn:startSyncExecution`), or, failing
    /// those, an IAM policy allowing `states:StartSyncExecution` on it (the caller, e.g. an
    /// API defined in an included OpenAPI file, is not in the template, but its permission
    /// is). SAM's `Api` and `HttpApi` events on a state machine integrate with StartExecution,
    /// which does not wait.
    fn sync_caller(&self, id: &str, read: &[(String, Val)]) -> Result<Option<SyncCaller>, ResolveError> {
        for r in &self.resources {
            let props =
                Props { node: r.node.get("Properties"), globals: None, path: format!("Resources.{}.Properties", r.id) };
            let is_sync = match r.kind.as_str() {
                "AWS::ApiGateway::Method" => self.get(&props, "Integration")?.is_some_and(|(v, _)| {
                    entry(&v, "Uri").is_some_and(|u| flat_text(u).ends_with("states:action/StartSyncExecution"))
                        && mentions(&v, id)
                }),
                "AWS::ApiGatewayV2::Integration" => {
                    // An HTTP API names the action by subtype, a WebSocket API by URI.
                    let subtype = self.get(&props, "IntegrationSubtype")?.map(|(v, _)| flat_text(&v));
                    let uri = self.get(&props, "IntegrationUri")?.map(|(v, _)| flat_text(&v)).unwrap_or_default();
                    let is_sync = subtype.as_deref() == Some("StepFunctions-StartSyncExecution")
                        || uri.ends_with("states:action/StartSyncExecution");
                    let names_it = ["RequestParameters", "RequestTemplates"]
                        .into_iter()
                        .map(|key| self.get(&props, key))
                        .collect::<Result<Vec<_>, _>>()?
                        .into_iter()
                        .flatten()
                        .any(|(v, _)| mentions(&v, id));
                    is_sync && names_it
                }
                _ => false,
            };
            if is_sync {
                return Ok(Some(SyncCaller {
                    about: format!("express_sync: {} ({}) starts it with StartSyncExecution", r.id, r.kind),
                    api: Some(r.id.clone()),
                }));
            }
        }
        let address = self.address(id, None).unwrap_or_default();
        for (machine, definition) in read.iter().filter(|(m, _)| m != id) {
            if sync_task(definition, id, &address) {
                return Ok(Some(SyncCaller {
                    about: format!(
                        "express_sync: a task of step_functions.{machine} starts it with startSyncExecution"
                    ),
                    api: None,
                }));
            }
        }
        // A permission to call StartSyncExecution on it: something in the stack waits.
        for r in self.resources.iter().filter(|r| IAM.contains(&r.kind.as_str())) {
            let path = format!("Resources.{}.Properties", r.id);
            let Some(Ok(properties)) = r.node.get("Properties").map(|n| self.ctx.resolve(n, &path)) else { continue };
            if allows_sync(&properties, id, &address) {
                return Ok(Some(SyncCaller {
                    about: format!(
                        "express_sync: {} ({}) allows states:StartSyncExecution on it, so its callers wait",
                        r.id, r.kind
                    ),
                    api: None,
                }));
            }
        }
        Ok(None)
    }

    /// `[run] start_time` for a Wait with a literal `Timestamp`, which waits until a
    /// wall-clock time the template cannot place in a run: a placeholder at the earliest such
    /// timestamp, so that wait ends as soon as it is reached and later ones wait only their
    /// distance from it.
    fn start_time(&mut self, timestamp: &str, machine: &str, state: &str) {
        let epoch_s = |text: &str| asl::timestamp_epoch_s(text.trim_matches('"'));
        let at_s = epoch_s(timestamp).expect("the ASL reader checked the timestamp");
        let earlier = self.model.run.iter().any(|s| s.key == "start_time" && epoch_s(&s.value) <= Some(at_s));
        if earlier {
            return;
        }
        self.model.run.retain(|s| s.key != "start_time");
        self.model.placeholders.retain(|p| !p.starts_with("run.start_time:"));
        self.model.placeholders.push(format!(
            "run.start_time: {timestamp}, when the run begins on the wall clock; the Wait state \"{state}\" of step_functions.{machine} waits until then, which the template cannot place in a run"
        ));
        self.model.run.push(Setting {
            key: "start_time".into(),
            value: toml_string(timestamp),
            origin: format!(
                "placeholder: the wall-clock time at virtual time 0; set to the Timestamp state \"{state}\" of step_functions.{machine} waits until, so that wait ends at once: set when the run begins"
            ),
            todo: true,
        });
    }

    /// The element a task names, or a placeholder for one outside the template.
    fn callee(
        &mut self,
        kind: &str,
        name: &str,
        machines: &[String],
        state: &str,
        machine: &str,
        extra: &mut Vec<Element>,
    ) -> Result<(), String> {
        let exists = |e: &Element| e.kind == kind && e.name == name;
        if self.model.elements.iter().any(exists) || extra.iter().any(exists) {
            if (kind == "sqs" && self.is_fifo_queue(name)) || (kind == "sns" && self.is_fifo_topic(name)) {
                return Err(format!(
                    "sends to the FIFO {kind} {name}: messages from state machines to FIFO queues and topics are not modelled (their group ids come from the data)"
                ));
            }
            self.written.push(name.to_string());
            return Ok(());
        }
        if kind == "step_functions" {
            self.written.push(name.to_string());
            return if machines.iter().any(|m| m == name) {
                Ok(())
            } else {
                Err(format!("starts the state machine {name}, which is not a readable machine of this template"))
            };
        }
        if !is_bare(name) {
            return Err(format!("calls {kind} {name}, whose name only a deployment knows"));
        }
        let why = format!("called by state \"{state}\" of step_functions.{machine}, but not defined in this template");
        let settings = match kind {
            "lambda" => {
                self.model
                    .placeholders
                    .push(format!("lambda.{name}: a function outside the template; its duration_s is a placeholder"));
                vec![Setting {
                    key: "duration_s".into(),
                    value: DURATION_PLACEHOLDER.into(),
                    origin: "placeholder: the handler's run time".into(),
                    todo: true,
                }]
            }
            _ => {
                self.model.placeholders.push(format!(
                    "{kind}.{name}: a {} outside the template, with AWS's defaults",
                    if kind == "sqs" { "queue" } else { "topic" }
                ));
                self.written.push(name.to_string());
                Vec::new()
            }
        };
        extra.push(Element {
            kind: match kind {
                "lambda" => "lambda",
                "sqs" => "sqs",
                _ => "sns",
            },
            name: name.into(),
            about: why,
            settings,
            notes: Vec::new(),
        });
        Ok(())
    }

    /// `targets` for a call the data directs: every element of its kind, equally likely.
    fn data_targets(&self, kind: &str, machines: &[String], machine: &str) -> Option<String> {
        let names: Vec<String> = match kind {
            "step_functions" => machines.iter().filter(|m| *m != machine).cloned().collect(),
            _ => self
                .model
                .elements
                .iter()
                .filter(|e| e.kind == kind && !e.name.contains('.'))
                .filter(|e| {
                    !(kind == "sqs" && self.is_fifo_queue(&e.name) || kind == "sns" && self.is_fifo_topic(&e.name))
                })
                .map(|e| e.name.clone())
                .collect(),
        };
        if names.is_empty() {
            return None;
        }
        let entries: Vec<String> =
            names.iter().map(|n| format!("{} = 1", toml_string(&format!("{kind}.{n}")))).collect();
        Some(format!("{{ {} }}", entries.join(", ")))
    }

    /// `[activity.NAME]` with placeholder workers.
    pub(super) fn activity_element(&mut self, name: &str) {
        if self.model.elements.iter().any(|e| e.kind == "activity" && e.name == name) {
            return;
        }
        self.model
            .placeholders
            .push(format!("activity.{name}.workers: 1 worker; the template cannot know how many poll the activity"));
        self.model.elements.push(Element {
            kind: "activity",
            name: name.into(),
            about: "an activity a state machine of the template uses".into(),
            settings: vec![Setting {
                key: "workers".into(),
                value: "1".into(),
                origin: "placeholder: the workers that poll the activity".into(),
                todo: true,
            }],
            notes: Vec::new(),
        });
    }

    /// A SAM state machine's `Events`.
    fn machine_events(&mut self, id: &str, props: &Props<'a>) -> Result<(), ResolveError> {
        let Some(events) = props.node.and_then(|n| n.get("Events")) else { return Ok(()) };
        for (name, event) in events.entries() {
            let path = format!("{}.Events.{name}", props.path);
            let kind = event
                .get("Type")
                .map(|t| self.ctx.resolve(t, &format!("{path}.Type")))
                .transpose()?
                .map(|t| flat_text(&t))
                .unwrap_or_default();
            let event_props =
                Props { node: event.get("Properties"), globals: None, path: format!("{path}.Properties") };
            match kind.as_str() {
                "EventBridgeRule" | "CloudWatchEvent" | "Schedule" | "ScheduleV2" => {
                    self.sam_rule_event(id, name, &kind, &event_props, "AWS::Serverless::StateMachine")?
                }
                "Api" | "HttpApi" => {
                    self.written.push(id.to_string());
                    let workload = format!("{id}{name}Traffic");
                    self.model.placeholders.push(format!(
                        "workload.{workload}: Poisson requests at {} a second through {kind} event {name}, each starting an execution of step_functions.{id}; the template cannot know the traffic",
                        super::resources::RATE_PLACEHOLDER_PER_S
                    ));
                    self.rule_workloads.push(placeholder_workload(
                        workload,
                        format!("requests through {kind} event {name}, each starting an execution"),
                        &format!("step_functions.{id}"),
                        format!("template (Events.{name})"),
                    ));
                }
                other => {
                    self.model.skipped.push(format!("{id}.Events.{name} ({other}): not an event source orchsim models"))
                }
            }
        }
        let _ = field;
        Ok(())
    }
}
