//! `[step_functions.NAME]` state machines: the definition file (Amazon States Language
//! JSON), the workflow type, and per state what the data would decide
//! (`[step_functions.NAME.states.STATE]`), checked against the definition.

use std::collections::BTreeMap;
use std::path::Path;

use super::lower::{component_ref, distribution_per_table, opt};
use super::topics::from_serde;
use super::tree::{Node, Result, Source, TableReader};
use crate::distributions::Distribution;
use crate::engine::{SimDuration, SimTime};
use crate::models::step_functions::asl::{self, Pattern, Resource, StateKind, Target};
use crate::models::step_functions::billing;
use crate::models::step_functions::runtime::{ActivityConfig, MachineConfig, StateBehaviour, UnitPrices, WorkflowType};

/// Standard state transitions per second (bucket and refill) by Region [DOC-cur].
fn transitions_per_s(region: &str) -> f64 {
    if is_big_region(region) { 5_000.0 } else { 800.0 }
}

/// Standard StartExecution (bucket, refill per second) by Region [DOC-cur].
fn standard_starts(region: &str) -> (f64, f64) {
    if is_big_region(region) { (1_300.0, 300.0) } else { (800.0, 150.0) }
}

/// GetActivityTask and SendTask* calls (bucket, refill per second) by Region [DOC-cur].
fn activity_api_calls(region: &str) -> (f64, f64) {
    if is_big_region(region) { (3_000.0, 500.0) } else { (1_500.0, 300.0) }
}

/// The three Regions with the larger Step Functions quotas.
fn is_big_region(region: &str) -> bool {
    matches!(region, "us-east-1" | "us-west-2" | "eu-west-1")
}

/// Names a definition's tasks may refer to, mapped to scenario components by name.
pub(super) struct Components<'a> {
    pub functions: &'a BTreeMap<String, u32>,
    pub queues: &'a super::queues::Queues,
    pub topics: &'a BTreeMap<String, crate::models::sns::TopicId>,
    pub topic_is_fifo: &'a [bool],
    /// The scenario's state machines, for nested executions.
    pub machines: &'a std::collections::BTreeSet<String>,
    pub activities: &'a BTreeMap<String, u32>,
    /// `run.start_time`, for literal Timestamp waits.
    pub start_epoch_s: Option<i64>,
    /// The scenario has an `[ses]` table: SES send tasks go through it.
    pub has_ses: bool,
    /// By function index: its handler sends email.
    pub function_sends_email: &'a [bool],
}

/// `ses:sendEmail`, `sesv2:sendEmail`, `ses:sendRawEmail`, `ses:sendTemplatedEmail`, …: an
/// AWS SDK integration that sends email.
fn is_ses_send(resource: &Resource) -> bool {
    matches!(resource, Resource::Other { service, action } if (service == "ses" || service == "sesv2") && action.starts_with("send"))
}

/// `[activity.NAME]`: the workers that poll an activity.
pub(super) fn lower_activity(src: &Source<'_>, name: &str, node: &Node) -> Result<ActivityConfig> {
    let path = format!("activity.{name}");
    let mut t = TableReader::new(src, path, node)?;
    let (f, p) = t.require("workers", "how many workers poll the activity with GetActivityTask")?;
    let workers = f.whole_per_table(&p, "activity.NAME.workers")? as u32;
    let heartbeat_interval = opt(&mut t, "heartbeat_s", |f, p| {
        f.number_per_table(p, "activity.NAME.heartbeat_s").map(SimDuration::from_secs_f64)
    })?;
    let region = opt(&mut t, "region", |f, p| super::queues::check_region(f, p).map(str::to_string))?
        .unwrap_or_else(|| "us-east-1".into());
    t.finish()?;
    Ok(ActivityConfig {
        name: name.to_string(),
        workers,
        heartbeat_interval,
        api_calls: activity_api_calls(&region),
        region,
    })
}

/// AWS's largest state machine definition: 1 MB.
const DEFINITION_BYTES_MAX: u64 = 1_048_576;

pub(super) fn lower_machine(
    src: &Source<'_>,
    name: &str,
    node: &Node,
    base_dir: &Path,
    components: &Components<'_>,
    warnings: &mut Vec<String>,
) -> Result<MachineConfig> {
    let path = format!("step_functions.{name}");
    let mut t = TableReader::new(src, path.clone(), node)?;
    let (f, p) = t.require("definition", "the Amazon States Language file, e.g. \"definitions/orders.asl.json\"")?;
    let file = f.str(&p)?;
    let full = super::resolve(base_dir, file);
    // AWS refuses a definition over 1 MB; checked before reading, so no file is read whole
    // that could not be a definition.
    if let Ok(meta) = std::fs::metadata(&full)
        && meta.len() > DEFINITION_BYTES_MAX
    {
        return Err(f.error(
            &p,
            format!(
                "{file} is {} bytes; AWS allows at most 1 MB ({DEFINITION_BYTES_MAX} bytes) per state machine definition",
                meta.len()
            ),
        ));
    }
    let text =
        std::fs::read_to_string(&full).map_err(|e| f.error(&p, format!("cannot read {}: {e}", full.display())))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| f.error(&p, format!("{file}:{}:{}: not valid JSON: {e}", e.line(), e.column())))?;
    let definition = asl::parse(&from_serde(&json)).map_err(|e| f.error(&p, format!("{file}: {e}")))?;
    let (tf, tp) = t.require("type", "standard, express_async or express_sync")?;
    let workflow = match tf.one_of_per_table(&tp)? {
        "express_async" => WorkflowType::ExpressAsync,
        "express_sync" => WorkflowType::ExpressSync,
        _ => WorkflowType::Standard,
    };
    let restart_rate = opt(&mut t, "restart_rate", |f, p| {
        let rate = f.number_per_table(p, "step_functions.NAME.restart_rate")?;
        if workflow != WorkflowType::ExpressAsync && rate > 0.0 {
            return Err(f.error(p, "only asynchronous Express executions run again (at-least-once); 0 elsewhere"));
        }
        Ok(rate)
    })?
    .unwrap_or(0.0);
    let payload_bytes = opt(&mut t, "payload_bytes", |f, p| f.whole_per_table(p, "step_functions.NAME.payload_bytes"))?
        .unwrap_or(1_024);
    let region = opt(&mut t, "region", |f, p| super::queues::check_region(f, p).map(str::to_string))?
        .unwrap_or_else(|| "us-east-1".into());
    check_supported(&definition, workflow, file).map_err(|message| f.error(&p, message))?;
    let behaviour = behaviours(&mut t, &path, &definition, base_dir, components, warnings)?;
    t.finish()?;
    let parallel_or_map =
        definition.states.iter().filter(|s| matches!(s.kind, StateKind::Parallel(_) | StateKind::Map(_))).count()
            as u32;
    let memory_mb = billing::express_memory_estimate_mb(text.len() as u64, payload_bytes, parallel_or_map);
    Ok(MachineConfig {
        name: name.to_string(),
        definition,
        workflow,
        behaviour,
        billed_memory_mb: billing::express_billed_mb(memory_mb),
        restart_rate,
        transitions_per_s: transitions_per_s(&region),
        standard_starts: standard_starts(&region),
        // Set from the scenario's price book once it is read.
        unit_prices: UnitPrices::default(),
        region,
    })
}

/// What the interpreter does not run yet, and what AWS allows only in Standard workflows.
fn check_supported(
    definition: &asl::Definition,
    workflow: WorkflowType,
    file: &str,
) -> std::result::Result<(), String> {
    if workflow.is_express()
        && let Some((id, feature)) = definition.standard_only_feature()
    {
        let name = &definition.states[id.0 as usize].name;
        return Err(format!("{file}: state \"{name}\": {feature} runs only in Standard workflows (AWS)"));
    }
    for state in &definition.states {
        let name = &state.name;
        // An Express Map Run's children are Express executions: the same rules hold inside.
        if let StateKind::Map(asl::Map {
            mode: asl::MapMode::Distributed { execution_type: asl::ExecutionType::Express },
            processor,
            ..
        }) = &state.kind
            && let Some((inner, feature)) = definition
                .states
                .iter()
                .filter(|s| is_within(definition, s, *processor))
                .find_map(|s| Some((s, s.standard_only_feature()?)))
        {
            return Err(format!(
                "{file}: state \"{}\" inside the Express Distributed Map \"{name}\": {feature} runs only in Standard workflows (AWS)",
                inner.name
            ));
        }
    }
    Ok(())
}

/// Whether `state` runs inside `scope`, directly or in a scope nested in it.
fn is_within(definition: &asl::Definition, state: &asl::State, scope: asl::ScopeId) -> bool {
    let mut current = state.scope;
    loop {
        if current == scope {
            return true;
        }
        match definition.scopes[current.index()].owner {
            Some(owner) => current = definition.states[owner.0 as usize].scope,
            None => return false,
        }
    }
}

/// Reads `[step_functions.NAME.states.STATE]` tables and checks that every state that needs
/// data has it.
fn behaviours(
    t: &mut TableReader<'_>,
    path: &str,
    definition: &asl::Definition,
    base_dir: &Path,
    components: &Components<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<StateBehaviour>> {
    let mut out = vec![StateBehaviour::default(); definition.states.len()];
    let by_name: BTreeMap<&str, usize> =
        definition.states.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();
    if let Some((f, p)) = t.get("states") {
        let table = TableReader::new(f.src, p.clone(), f.node)?;
        for (state_name, key_origin, node) in table.named_entries() {
            let Some(&i) = by_name.get(state_name.as_str()) else {
                let names: Vec<&str> = by_name.keys().copied().collect();
                return Err(f.src.error(
                    key_origin,
                    &format!("{p}.{state_name}"),
                    format!("no such state in the definition; states: {}", names.join(", ")),
                ));
            };
            out[i] = behaviour(f.src, &format!("{p}.{state_name}"), node, &definition.states[i], base_dir)?;
        }
    }
    for (i, state) in definition.states.iter().enumerate() {
        let needs = |what: &str| format!("{path}.states.\"{}\" needs {what}", state.name);
        match &state.kind {
            StateKind::Map(_) if out[i].items.is_none() => {
                return Err(t.src.error(t.origin, path, needs("items, a distribution of how many items the Map gets")));
            }
            StateKind::Wait(asl::Wait::SecondsPath | asl::Wait::TimestampPath) if out[i].wait_s.is_none() => {
                return Err(t.src.error(t.origin, path, needs("wait_s, how long the path-driven wait lasts")));
            }
            StateKind::Wait(asl::Wait::Timestamp(timestamp)) => {
                let Some(start_s) = components.start_epoch_s else {
                    return Err(t.src.error(
                        t.origin,
                        path,
                        format!(
                            "state \"{}\" waits until {timestamp}, which needs run.start_time, the wall-clock time at which the run begins",
                            state.name
                        ),
                    ));
                };
                let at_s = asl::timestamp_epoch_s(timestamp).expect("checked by the reader");
                // A time already past ends the wait at once, as in AWS.
                out[i].wait_until = Some(SimTime::from_micros((at_s - start_s).max(0) as u64 * 1_000_000));
            }
            StateKind::Choice(choice) if out[i].branch_weights.is_empty() => {
                // No weights: every rule and the default are equally likely.
                out[i].branch_weights = vec![1.0; choice.choices.len() + usize::from(choice.default.is_some())];
            }
            StateKind::Task(task) => {
                check_task_target(t, path, &state.name, task, &out[i].targets, components)?;
                warn_of_malformed_target(path, &state.name, &task.resource, warnings);
                let callback = task.pattern == Pattern::WaitForTaskToken;
                if callback && out[i].callback_s.is_none() && !matches!(task.resource, Resource::SqsSend { .. }) {
                    // Only a message on a simulated queue has a simulated consumer to answer.
                    return Err(t.src.error(
                        t.origin,
                        path,
                        needs("callback_s, how long after the call its task token comes back"),
                    ));
                }
                let job = matches!(task.pattern, Pattern::Sync | Pattern::SyncV2)
                    && !matches!(task.resource, Resource::StartExecution { .. });
                if job && out[i].duration_s.is_none() {
                    // A .sync task lasts as long as its job (an ECS task, a Batch job, a Glue
                    // run…), which only the scenario knows; AWS publishes no typical figure.
                    return Err(t.src.error(
                        t.origin,
                        path,
                        needs("duration_s, how long its .sync job runs until Step Functions sees it end"),
                    ));
                }
                if components.has_ses && task.pattern == Pattern::RequestResponse && is_ses_send(&task.resource) {
                    // The call goes through the scenario's SES quotas and lasts its latency.
                    if out[i].duration_s.is_some() {
                        return Err(t.src.error(
                            t.origin,
                            path,
                            format!(
                                "{path}.states.\"{}\".duration_s does not apply: the SES send lasts [ses] api_latency_s",
                                state.name
                            ),
                        ));
                    }
                    out[i].sends_email = true;
                    continue;
                }
                if matches!(task.resource, Resource::Activity { .. }) && out[i].duration_s.is_none() {
                    // Only the scenario knows how long its workers take.
                    return Err(t.src.error(t.origin, path, needs("duration_s, how long a worker takes per task")));
                }
                if out[i].duration_s.is_none() && !matches!(task.resource, Resource::Lambda { .. }) {
                    // A request-response API call: 50 ms unless the scenario says otherwise.
                    out[i].duration_s = Some(Distribution::constant(0.05));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The kind of component a task calls, the argument that names it, and its target.
fn called(resource: &Resource) -> Option<(&'static str, &'static str, &Target)> {
    match resource {
        Resource::Lambda { function } => Some(("lambda", "FunctionName", function)),
        Resource::SqsSend { queue } => Some(("sqs", "QueueUrl", queue)),
        Resource::SnsPublish { topic } => Some(("sns", "TopicArn", topic)),
        Resource::StartExecution { state_machine } => Some(("step_functions", "StateMachineArn", state_machine)),
        _ => None,
    }
}

/// Checks that what a task calls exists: the component its definition names, or each of
/// the `targets` its state declares when the data names it.
fn check_task_target(
    t: &TableReader<'_>,
    path: &str,
    state: &str,
    task: &asl::Task,
    targets: &[String],
    components: &Components<'_>,
) -> Result<()> {
    if let Resource::Activity { name } = &task.resource
        && !components.activities.contains_key(name)
    {
        return Err(missing(t, path, state, "activity", name, components.activities.keys().collect()));
    }
    let Some((kind, argument, target)) = called(&task.resource) else { return Ok(()) };
    match target {
        Target::Named(name) => check_component(t, path, state, kind, name, components),
        Target::FromData if targets.is_empty() => Err(t.src.error(
            t.origin,
            path,
            format!(
                "state \"{state}\" takes its {argument} from the data, so the scenario says what it may call: declare each {kind} element with its weight (the chance, in proportion, that a call goes there) in [{path}.states.\"{state}\".targets], e.g. \"{kind}.NAME\" = 1"
            ),
        )),
        Target::FromData => {
            targets.iter().try_for_each(|name| check_component(t, path, state, kind, name, components))
        }
        Target::Malformed { .. } | Target::Endpoint => Ok(()),
    }
}

/// A `QueueUrl` or `TopicArn` that is no URL or ARN: AWS accepts the definition, and every
/// call fails.
fn warn_of_malformed_target(path: &str, state: &str, resource: &Resource, warnings: &mut Vec<String>) {
    let (argument, form) = match resource {
        Resource::SqsSend { .. } => ("QueueUrl", "a queue URL, https://sqs.REGION.amazonaws.com/ACCOUNT/NAME"),
        _ => ("TopicArn", "a topic ARN, arn:aws:sns:REGION:ACCOUNT:NAME"),
    };
    if let Some((_, _, Target::Malformed { value, error })) = called(resource) {
        warnings.push(format!(
            "{path}: state \"{state}\" has {argument} \"{value}\", which is not {form}; AWS accepts the definition, and each call fails with {error}"
        ));
    }
}

/// The error for a component the scenario does not define.
fn missing(
    t: &TableReader<'_>,
    path: &str,
    state: &str,
    kind: &str,
    name: &str,
    defined: Vec<&String>,
) -> super::ScenarioError {
    let list: Vec<String> = defined.iter().map(|n| format!("{kind}.{n}")).collect();
    t.src.error(
        t.origin,
        path,
        format!(
            "state \"{state}\" calls {kind} `{name}`, which the scenario does not define (defined: {})",
            list.join(", ")
        ),
    )
}

/// Checks that the `kind` component `name`, which a task calls, exists and can be called
/// from a state machine.
fn check_component(
    t: &TableReader<'_>,
    path: &str,
    state: &str,
    kind: &str,
    name: &str,
    components: &Components<'_>,
) -> Result<()> {
    let fifo_refused = |what: &str| {
        t.src.error(
            t.origin,
            path,
            format!(
                "state \"{state}\" sends to the FIFO {what} {kind}.{name}; messages from state machines to FIFO {what}s are not modelled (their group and deduplication ids come from the execution's data)"
            ),
        )
    };
    match kind {
        "lambda" => {
            let Some(&f) = components.functions.get(name) else {
                return Err(missing(t, path, state, kind, name, components.functions.keys().collect()));
            };
            if components.function_sends_email[f as usize] {
                return Err(t.src.error(
                    t.origin,
                    path,
                    format!(
                        "state \"{state}\" invokes lambda.{name}, whose handler sends email (sends_email); a function invoked by a state machine is not modelled sending email: send it with the SES integration (arn:aws:states:::aws-sdk:sesv2:sendEmail) in a state of its own"
                    ),
                ));
            }
        }
        "sqs" => {
            let Some(&q) = components.queues.names.get(name) else {
                return Err(missing(t, path, state, kind, name, components.queues.names.keys().collect()));
            };
            // A task's message would need a MessageGroupId and deduplication id from the data.
            if components.queues.is_fifo(q) {
                return Err(fifo_refused("queue"));
            }
        }
        "sns" => {
            let Some(topic) = components.topics.get(name) else {
                return Err(missing(t, path, state, kind, name, components.topics.keys().collect()));
            };
            if components.topic_is_fifo[topic.0 as usize] {
                return Err(fifo_refused("topic"));
            }
        }
        _ => {
            if !components.machines.contains(name) {
                return Err(missing(t, path, state, kind, name, components.machines.iter().collect()));
            }
        }
    }
    Ok(())
}

fn behaviour(src: &Source<'_>, path: &str, node: &Node, state: &asl::State, base_dir: &Path) -> Result<StateBehaviour> {
    let mut t = TableReader::new(src, path.to_string(), node)?;
    let mut b = StateBehaviour::default();
    let kind_error = |what: &str| format!("applies to {what} states only");
    b.duration_s = opt(&mut t, "duration_s", |f, p| {
        let StateKind::Task(task) = &state.kind else { return Err(f.error(p, kind_error("Task"))) };
        if let Resource::Lambda { function } = &task.resource {
            let function = function.name().unwrap_or("NAME");
            return Err(
                f.error(p, format!("does not apply: the function's own [lambda.{function}] duration_s decides"))
            );
        }
        if matches!(task.pattern, Pattern::Sync | Pattern::SyncV2)
            && let Resource::StartExecution { state_machine } = &task.resource
        {
            let machine = state_machine.name().unwrap_or("NAME");
            return Err(f.error(p, format!("does not apply: the child execution of step_functions.{machine} decides")));
        }
        if task.pattern == Pattern::WaitForTaskToken && matches!(task.resource, Resource::SqsSend { .. }) {
            return Err(
                f.error(p, "does not apply: the queue's consumer answers this task when it has processed the message")
            );
        }
        distribution_per_table(*f, p, base_dir, "step_functions.NAME.states.STATE.duration_s")
    })?;
    if let Some((f, p)) = t.get("errors") {
        if !matches!(state.kind, StateKind::Task(_)) {
            return Err(f.error(&p, kind_error("Task")));
        }
        let table = TableReader::new(f.src, p.clone(), f.node)?;
        let mut total = 0.0;
        for (error, _, node) in table.named_entries() {
            let field = super::tree::Field { src: f.src, node };
            let key = super::keys::entry("step_functions.NAME.states.STATE.errors.ERROR");
            let probability = field.number_of_key(&format!("{p}.{error}"), key)?;
            total += probability;
            b.errors.push((error.clone(), probability));
        }
        if total > 1.0 {
            return Err(f.error(&p, format!("the probabilities add up to {total}, more than 1")));
        }
    }
    b.branch_weights = match t.get("weights") {
        Some((f, p)) => {
            let StateKind::Choice(choice) = &state.kind else { return Err(f.error(&p, kind_error("Choice"))) };
            let expected = choice.choices.len() + usize::from(choice.default.is_some());
            let weights = f
                .array(&p)?
                .iter()
                .enumerate()
                .map(|(i, w)| w.number_in_table(&format!("{p}[{i}]")))
                .collect::<Result<Vec<_>>>()?;
            if weights.len() != expected || weights.iter().sum::<f64>() <= 0.0 {
                return Err(f.error(
                    &p,
                    format!("needs {expected} weights (one per rule, then the default) with a positive sum"),
                ));
            }
            weights
        }
        None => Vec::new(),
    };
    b.items = opt(&mut t, "items", |f, p| {
        if !matches!(state.kind, StateKind::Map(_)) {
            return Err(f.error(p, kind_error("Map")));
        }
        distribution_per_table(*f, p, base_dir, "step_functions.NAME.states.STATE.items")
    })?;
    b.wait_s = opt(&mut t, "wait_s", |f, p| match &state.kind {
        StateKind::Wait(asl::Wait::SecondsPath | asl::Wait::TimestampPath) => {
            distribution_per_table(*f, p, base_dir, "step_functions.NAME.states.STATE.wait_s")
        }
        StateKind::Wait(_) => {
            Err(f.error(p, "does not apply: the Wait's literal Seconds or Timestamp is used as written"))
        }
        _ => Err(f.error(p, kind_error("Wait"))),
    })?;
    b.callback_s = opt(&mut t, "callback_s", |f, p| {
        let StateKind::Task(task) = &state.kind else { return Err(f.error(p, kind_error("Task"))) };
        match (task.pattern, &task.resource) {
            (Pattern::WaitForTaskToken, Resource::SqsSend { .. }) => Err(
                f.error(p, "does not apply: the queue's consumer answers this task when it has processed the message")
            ),
            (Pattern::WaitForTaskToken, _) => {
                distribution_per_table(*f, p, base_dir, "step_functions.NAME.states.STATE.callback_s")
            }
            _ => Err(f.error(p, "applies to .waitForTaskToken tasks only")),
        }
    })?;
    (b.targets, b.target_weights) = targets(&mut t, state)?;
    t.finish()?;
    let _ = component_ref::<u32>;
    Ok(b)
}

/// `targets`: for a task whose function, queue, topic or state machine comes from the data,
/// the components of its kind it may call (`"lambda.NAME" = weight`), in the table's order.
fn targets(t: &mut TableReader<'_>, state: &asl::State) -> Result<(Vec<String>, Vec<f64>)> {
    let Some((f, p)) = t.get("targets") else { return Ok((Vec::new(), Vec::new())) };
    let StateKind::Task(task) = &state.kind else { return Err(f.error(&p, "applies to Task states only")) };
    let Some((kind, argument, target)) = called(&task.resource) else {
        return Err(f.error(&p, "applies to Lambda invokes, SQS sends, SNS publishes and StartExecution tasks only"));
    };
    match target {
        Target::FromData => {}
        Target::Named(name) => {
            return Err(f.error(&p, format!("does not apply: the definition names its {kind} ({kind}.{name})")));
        }
        Target::Malformed { value, .. } => {
            return Err(f.error(&p, format!("does not apply: the definition writes its {argument} (\"{value}\")")));
        }
        Target::Endpoint => {
            return Err(f.error(&p, "does not apply: the publish goes to a TargetArn or PhoneNumber, not to a topic"));
        }
    }
    let table = TableReader::new(f.src, p.clone(), f.node)?;
    let (mut names, mut weights) = (Vec::new(), Vec::new());
    for (key, origin, node) in table.named_entries() {
        let Some(name) = key.strip_prefix(kind).and_then(|k| k.strip_prefix('.')).filter(|n| !n.is_empty()) else {
            return Err(f.src.error(
                origin,
                &format!("{p}.{key}"),
                format!("the task calls a {kind} element, so its targets are named \"{kind}.NAME\", quoted (unquoted, {kind}.NAME is a table)"),
            ));
        };
        let field = super::tree::Field { src: f.src, node };
        let entry = super::keys::entry("step_functions.NAME.states.STATE.targets.TARGET");
        weights.push(field.number_of_key(&format!("{p}.\"{key}\""), entry)?);
        names.push(name.to_string());
    }
    if names.is_empty() {
        return Err(f.error(&p, format!("needs at least one element, e.g. \"{kind}.NAME\" = 1")));
    }
    Ok((names, weights))
}
