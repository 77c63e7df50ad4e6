//! Step Functions executions, from either export:
//!
//! - `aws stepfunctions get-execution-history` (Standard workflows): `{"events": [{"timestamp",
//!   "type", "id", "previousEventId", "<type>EventDetails": {…}}, …]}`, one execution per
//!   document; several documents one after another in a file (as a shell loop appends them)
//!   are one execution each. `timestamp` is epoch seconds with a fraction in the API and an
//!   ISO 8601 text in some CLI output: both are read. Events are ascending unless
//!   `--reverse-order`: they are put in `id` order.
//! - Express execution log records (CloudWatch Logs, level `ALL`): one JSON object per line,
//!   `{"id": "5", "type": "TaskSucceeded", "details": {…}, "previous_event_id": "4",
//!   "event_timestamp": "1772445907598", "execution_arn": "…"}`, ids and booleans as strings
//!   and the time in epoch milliseconds; records are grouped by `execution_arn`.
//!
//! What is read: each execution's start and end (`ExecutionStarted` to
//! `ExecutionSucceeded/Failed/TimedOut/Aborted`), each state's time from `…StateEntered` to
//! `…StateExited`, and each task attempt from `TaskStarted` (or `LambdaFunctionStarted`) to
//! its `…Succeeded`, `…Failed` or `…TimedOut`. Parallel branches and Map iterations
//! interleave their events, so an event is tied to its state by following `previousEventId`
//! back to the nearest `…StateEntered`, not by its place in the list.

use std::collections::BTreeMap;

use serde_json::Value;

use super::ReadError;
use super::time::epoch_s;

/// How an execution ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutionEnd {
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

/// How a task attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptEnd {
    Succeeded,
    Failed,
    TimedOut,
}

/// One state's run, entered to exited.
#[derive(Clone, Debug, PartialEq)]
pub struct StateRun {
    pub name: String,
    /// `Task`, `Wait`, `Pass`, `Choice`, `Map`, `Parallel`, … from the event type.
    pub state_type: String,
    pub duration_s: f64,
}

/// One attempt of a Task state.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskAttempt {
    /// The state it belongs to.
    pub state: String,
    /// `lambda`, `sqs`, `states`, … (`resourceType`); `lambda` for `LambdaFunction…` events.
    pub resource_type: String,
    pub duration_s: f64,
    pub end: AttemptEnd,
}

/// One execution.
#[derive(Clone, Debug, PartialEq)]
pub struct Execution {
    /// The execution ARN when the export gives it, else where it is in the file.
    pub id: String,
    /// Start to end; None while it runs (no end event in the export).
    pub duration_s: Option<f64>,
    pub end: Option<ExecutionEnd>,
    pub states: Vec<StateRun>,
    pub attempts: Vec<TaskAttempt>,
}

/// The executions of a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Executions {
    /// The state machine, when an ARN in the export names it.
    pub machine: Option<String>,
    pub express: bool,
    pub executions: Vec<Execution>,
}

/// One event, in the terms both exports share.
struct Event {
    id: i64,
    previous: Option<i64>,
    kind: String,
    at_s: f64,
    details: Value,
}

/// Reads get-execution-history documents, one after another in `text`.
pub(super) fn read_history(text: &str) -> Result<Executions, ReadError> {
    let mut executions = Vec::new();
    let mut machine = None;
    let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    for (k, doc) in stream.enumerate() {
        let doc =
            doc.map_err(|e| ReadError::at(e.line(), format!("history {}: malformed or truncated JSON: {e}", k + 1)))?;
        let at = |what: String| ReadError::at(0, format!("history {}: {what}", k + 1));
        let events = doc["events"].as_array().ok_or_else(|| at("no events array".into()))?;
        let mut read = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            let at = |what: &str| at(format!("events[{i}]: {what}"));
            let kind = e["type"].as_str().ok_or_else(|| at("no type"))?.to_string();
            let id = e["id"].as_i64().ok_or_else(|| at("no id (a whole number)"))?;
            let at_s = match &e["timestamp"] {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => epoch_s(s),
                _ => None,
            }
            .ok_or_else(|| at("timestamp is neither epoch seconds nor an ISO 8601 timestamp"))?;
            let details = e
                .as_object()
                .and_then(|o| o.iter().find(|(key, _)| key.ends_with("EventDetails")).map(|(_, v)| v.clone()))
                .unwrap_or(Value::Null);
            read.push(Event { id, previous: e["previousEventId"].as_i64(), kind, at_s, details });
        }
        if machine.is_none() {
            machine = read.iter().find_map(|e| e.details["stateMachineArn"].as_str().and_then(machine_of));
        }
        let execution = execution(format!("history {}", k + 1), read).map_err(at)?;
        executions.push(execution);
    }
    if executions.is_empty() {
        return Err(ReadError::at(0, "no history: the file has no get-execution-history document"));
    }
    Ok(Executions { machine, express: false, executions })
}

/// Reads Express log records, one JSON object a line; other lines are skipped.
pub(super) fn read_express(text: &str) -> Result<Executions, ReadError> {
    let mut by_execution: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let Ok(Value::Object(record)) = serde_json::from_str::<Value>(line.trim()) else { continue };
        let Some(arn) = record.get("execution_arn").and_then(Value::as_str) else { continue };
        let at = |what: &str| ReadError::at(number, what.to_string());
        let whole = |key: &str| -> Option<i64> {
            match record.get(key)? {
                Value::String(s) => s.parse().ok(),
                Value::Number(n) => n.as_i64(),
                _ => None,
            }
        };
        let kind = record.get("type").and_then(Value::as_str).ok_or_else(|| at("no type"))?.to_string();
        let id = whole("id").ok_or_else(|| at("id is not a whole number (a string such as \"5\")"))?;
        let ms = whole("event_timestamp")
            .ok_or_else(|| at("event_timestamp is not epoch milliseconds (a string such as \"1772445907598\")"))?;
        let details = record.get("details").cloned().unwrap_or(Value::Null);
        let event = Event { id, previous: whole("previous_event_id"), kind, at_s: ms as f64 / 1000.0, details };
        by_execution.entry(arn.to_string()).or_default().push(event);
    }
    if by_execution.is_empty() {
        return Err(ReadError::at(0, "no Express execution log record (a JSON object with execution_arn) in the file"));
    }
    let machine = by_execution.keys().next().and_then(|arn| machine_of(arn));
    let mut executions = Vec::with_capacity(by_execution.len());
    for (arn, events) in by_execution {
        executions.push(execution(arn.clone(), events).map_err(|e| ReadError::at(0, format!("{arn}: {e}")))?);
    }
    Ok(Executions { machine, express: true, executions })
}

/// The state machine's name in an ARN: `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`,
/// `…:execution:NAME:ID` or `…:express:NAME:ID:…`.
fn machine_of(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.get(5) {
        Some(&("stateMachine" | "execution" | "express")) => parts.get(6).map(|s| s.to_string()),
        _ => None,
    }
}

fn execution(id: String, mut events: Vec<Event>) -> Result<Execution, String> {
    events.sort_by_key(|e| e.id);
    if let Some(w) = events.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(format!("two events with id {}", w[0].id));
    }
    let index: BTreeMap<i64, usize> = events.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
    // The nearest event before `from` (by previousEventId) that satisfies `wanted`.
    let back = |from: usize, wanted: &dyn Fn(&Event) -> bool| -> Option<usize> {
        let mut at = events[from].previous.and_then(|p| index.get(&p).copied());
        for _ in 0..events.len() {
            let i = at?;
            if wanted(&events[i]) {
                return Some(i);
            }
            at = events[i].previous.and_then(|p| index.get(&p).copied());
        }
        None
    };
    let started = events.iter().find(|e| e.kind == "ExecutionStarted").map(|e| e.at_s);
    let ended = events.iter().find_map(|e| {
        let end = match e.kind.as_str() {
            "ExecutionSucceeded" => ExecutionEnd::Succeeded,
            "ExecutionFailed" => ExecutionEnd::Failed,
            "ExecutionTimedOut" => ExecutionEnd::TimedOut,
            "ExecutionAborted" => ExecutionEnd::Aborted,
            _ => return None,
        };
        Some((end, e.at_s))
    });
    let mut states = Vec::new();
    let mut attempts = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if let Some(state_type) = e.kind.strip_suffix("StateExited") {
            let name =
                e.details["name"].as_str().ok_or_else(|| format!("event {}: {} without a name", e.id, e.kind))?;
            let entered = format!("{state_type}StateEntered");
            let from = back(i, &|o: &Event| o.kind == entered && o.details["name"] == name).ok_or_else(|| {
                format!("event {}: {name} exited but its previousEventId chain reaches no {entered}", e.id)
            })?;
            states.push(StateRun {
                name: name.to_string(),
                state_type: state_type.to_string(),
                duration_s: e.at_s - events[from].at_s,
            });
            continue;
        }
        let (prefix, end) = match attempt_end(&e.kind) {
            Some(x) => x,
            None => continue,
        };
        let (started, scheduled) = (format!("{prefix}Started"), format!("{prefix}Scheduled"));
        // An attempt that timed out before it started (its Scheduled comes first on the
        // way back), or whose start is not in the export, has no run time.
        let Some(from) = back(i, &|o: &Event| o.kind == started || o.kind == scheduled) else { continue };
        if events[from].kind == scheduled {
            continue;
        }
        let state = back(i, &|o: &Event| o.kind.ends_with("StateEntered"))
            .and_then(|s| events[s].details["name"].as_str())
            .unwrap_or("")
            .to_string();
        let resource_type = if prefix == "LambdaFunction" {
            "lambda".to_string()
        } else {
            e.details["resourceType"]
                .as_str()
                .or(events[from].details["resourceType"].as_str())
                .unwrap_or("")
                .to_string()
        };
        attempts.push(TaskAttempt { state, resource_type, duration_s: e.at_s - events[from].at_s, end });
    }
    let (end, duration_s) = match (started, ended) {
        (Some(s), Some((end, at))) => (Some(end), Some(at - s)),
        (_, Some((end, _))) => (Some(end), None),
        _ => (None, None),
    };
    Ok(Execution { id, duration_s, end, states, attempts })
}

fn attempt_end(kind: &str) -> Option<(&'static str, AttemptEnd)> {
    Some(match kind {
        "TaskSucceeded" => ("Task", AttemptEnd::Succeeded),
        "TaskFailed" => ("Task", AttemptEnd::Failed),
        "TaskTimedOut" => ("Task", AttemptEnd::TimedOut),
        "LambdaFunctionSucceeded" => ("LambdaFunction", AttemptEnd::Succeeded),
        "LambdaFunctionFailed" => ("LambdaFunction", AttemptEnd::Failed),
        "LambdaFunctionTimedOut" => ("LambdaFunction", AttemptEnd::TimedOut),
        "ActivitySucceeded" => ("Activity", AttemptEnd::Succeeded),
        "ActivityFailed" => ("Activity", AttemptEnd::Failed),
        "ActivityTimedOut" => ("Activity", AttemptEnd::TimedOut),
        _ => return None,
    })
}
