//! The Amazon States Language reader: a state machine definition, already turned from JSON
//! text into a [`Json`] tree by the caller, is checked as AWS would check it and lowered into
//! a flat, typed [`Definition`] that an interpreter walks by index.
//!
//! Follows `reference/aws-stepfunctions-lambda.md` §4 [ASL] [DOC-cur state-task.html]
//! [DOC-cur state-map-inline.html] [DOC-cur state-map-distributed.html] [SCHEMA]:
//! - top level: `StartAt` and `States` (required), `Comment`, `Version` ("1.0"),
//!   `TimeoutSeconds`, `QueryLanguage` (`JSONPath`, the default, or `JSONata`);
//! - the eight state types and the fields that steer control flow. Every scope (the top
//!   level, each Parallel branch, each Map item processor) is flattened into one vector of
//!   states, indexed by [`StateId`]; [`Scope`] lists the states of each. `Next`, `Default`
//!   and a catcher's `Next` resolve to states of their own scope only [ASL];
//! - `Retry` (§4.1: defaults 1 s, 3 attempts, backoff 2.0; limits) and `Catch`, only on Task,
//!   Parallel and Map; `States.ALL` alone and in the last retrier or catcher;
//! - Task resources (§4.3): the service integration `arn:aws:states:::SERVICE:ACTION`, its
//!   pattern suffix (`.sync`, `.sync:2`, `.waitForTaskToken`) and the support matrix, AWS SDK
//!   integrations, activities and Lambda function ARNs, classified into [`Resource`];
//! - which error names a retrier or catcher matches (§4.2): [`error_matches`].
//!
//! Deliberately absent:
//! - data processing. `InputPath`, `Parameters`, `ResultSelector`, `ResultPath`, `OutputPath`,
//!   `Arguments`, `Output`, `Assign`, `Items`, `ItemSelector`, `ItemReader`, `ItemBatcher`,
//!   `ResultWriter`, `Credentials` and the like are accepted where ASL allows them and never
//!   evaluated: a `"Key.$"` JSONPath or a `{% %}` JSONata string is just text here;
//! - Choice conditions are checked for shape only (operators, operand types, `And`/`Or`/`Not`
//!   nesting, JSONata `Condition`), never evaluated: [`Choice`] keeps only where each rule
//!   leads. Choosing a branch is the interpreter's business;
//! - whether the machine runs as Standard or Express: the definition does not say. What needs
//!   a Standard workflow (§2) is reported by [`Definition::standard_only_feature`];
//! - the 1 MB definition limit (the scenario reader checks the file's size), the 60 s limit of HTTP tasks, and
//!   limits on the characters of names and labels.
//!
//! How this module reads the reference where it leaves room (each a choice):
//! - **Task timeout**: the spec's default `TimeoutSeconds` is 60 s; AWS's is 99,999,999 s
//!   (§1 item 6). This module follows AWS: [`TASK_TIMEOUT_DEFAULT_S`]. An absent
//!   `HeartbeatSeconds` is `None` (AWS's default of 99,999,999 s means no heartbeat).
//! - **Values from the data**: a `...Path` field (JSONPath) or a `{% %}` expression
//!   (JSONata) in place of a number leaves the number unknown until run time; the `_path`
//!   flags say so. A function, queue, topic or state machine named by `"FunctionName.$"` or
//!   an expression is [`Target::FromData`]; an expression that is only a string literal
//!   (`{% 'Foo' %}`, `{% "Foo" %}`) evaluates to that string and names its target like the
//!   literal would.
//! - **Addresses checked at run time**: AWS does not check a `QueueUrl` or `TopicArn` when
//!   it accepts a definition; a literal that is no queue URL or topic ARN (a bare name, a
//!   deployment's token left in place) is [`Target::Malformed`], with the error the call
//!   then fails with ([`SQS_INVALID_ADDRESS`], [`SNS_INVALID_PARAMETER`] and their AWS SDK
//!   forms). Function names and state machine ARNs are checked here, as before.
//! - **Lambda function ARNs without Region and account** (`arn:aws:lambda:::function:NAME`)
//!   as a `Resource` name the function NAME: AWS's pattern for resource ARNs admits both
//!   empty, and deployed definitions use the form.
//! - **Regional AWS SDK resources**: `arn:aws:states:REGION:ACCOUNT:aws-sdk:SERVICE:ACTION`,
//!   which deployed definitions use, is read as the `:::` form; optimized integrations keep
//!   the `:::` form only.
//! - **Integers**: `IntervalSeconds` and `MaxDelaySeconds` are integers (§4.1), so
//!   [`Retrier`] holds them as integers; only the backoff makes delays fractional.
//! - **Support matrix** (§4.3): `.sync:2` is accepted wherever `.sync` is. Services the
//!   matrix does not list accept every pattern. The optimized Lambda, SQS, SNS and Step
//!   Functions integrations have one action each (`invoke`, `sendMessage`, `publish`,
//!   `startExecution`); another action is an error that points to the AWS SDK integration.
//!   An AWS SDK call of one of those four APIs is classified like the optimized one.
//! - **Required arguments**: `lambda:invoke` needs `FunctionName`, `sqs:sendMessage`
//!   `QueueUrl`, `sns:publish` `TopicArn` (or `TargetArn` or `PhoneNumber`, a publish to no
//!   topic: [`Target::Endpoint`]) and `states:startExecution` `StateMachineArn`, since the APIs require them and
//!   the simulator must know where the call goes.
//! - **Error matching** (§4.2): `States.DataLimitExceeded` and `States.Runtime` are matched
//!   only when named, by neither `States.ALL` nor `States.TaskFailed`. A missed heartbeat is
//!   raised as `States.HeartbeatTimeout` (the spec's name) and matched by `States.Timeout`
//!   too, since AWS's state-task page says heartbeat expiry fails the task with
//!   `States.Timeout` and AWS's sample workflows catch it so: whichever name AWS raises, a
//!   definition's retriers and catchers see it as AWS would (§10 item 2; the model's
//!   choice). `States.TaskFailed` matches every other name except the timeouts (AWS says
//!   "any known error name except States.Timeout"), heartbeat expiry included.
//!   `States.Runtime` is never retried even when named: [`is_retriable`].
//! - **Names**: state names are unique across the whole machine, branches and iterations
//!   included (AWS rejects a definition with `DUPLICATE_STATE_NAME`).
//! - **Reachability**: every state must be reachable from its scope's `StartAt` along
//!   `Next`, Choice rules, `Default` and catchers (AWS rejects others with
//!   `MISSING_TRANSITION_TARGET: State "X" is not reachable`).
//! - **Fields per state type** follow the spec's table; any other field is an error naming
//!   the state and the field, so typos are caught. JSONPath-only fields (the five data paths,
//!   `Result`, `ItemsPath` and every `...Path`) are errors in a JSONata state, and
//!   `Arguments`, `Output`, `Items` and `Condition` in a JSONPath one. A JSONata machine
//!   cannot hold JSONPath states [DOC-cur statemachine-structure.html]. States inside a
//!   branch or iteration take the machine's language, not their enclosing state's.
//! - **Map**: `ItemReader`, `ItemBatcher`, `ResultWriter`, `Label` and the tolerated-failure
//!   fields belong to Distributed Maps and are errors on an Inline one; `ExecutionType` is
//!   required with `Mode: DISTRIBUTED` and refused with `INLINE`. `MaxConcurrency` is kept as
//!   written; [`Map::concurrency_limit`] applies AWS's caps (40 inline, 10,000 distributed).
//! - `Version`, when given, must be "1.0"; `End`, when given, must be `true`.
//!
//! States are numbered scope by scope in document order: the top level's states first (in
//! the order the [`Json`] object lists them), then each nested scope as its state is met,
//! so the states of one scope have consecutive ids. `scopes[0]` is the top level.

use std::collections::BTreeMap;
use std::fmt;

use crate::models::filter_policy::Json;

/// State names have at most this many characters [ASL].
pub const STATE_NAME_CHARS_MAX: usize = 80;
/// The largest `TimeoutSeconds`, `HeartbeatSeconds`, Wait `Seconds`, `IntervalSeconds` and
/// `MaxAttempts` [DOC-cur state-task.html, concepts-error-handling.html].
pub const SECONDS_MAX: u64 = 99_999_999;
/// AWS's Task timeout when `TimeoutSeconds` is absent (the spec says
/// [`SPEC_TASK_TIMEOUT_DEFAULT_S`]; §1 item 6).
pub const TASK_TIMEOUT_DEFAULT_S: u64 = 99_999_999;
/// The spec's default Task timeout, which AWS does not use; kept to document the difference.
pub const SPEC_TASK_TIMEOUT_DEFAULT_S: u64 = 60;
/// What SQS answers a `QueueUrl` that is not a queue URL (`InvalidAddress`, "the specified
/// ID is invalid" [SQS API SendMessage, Errors]), as Step Functions names it: the optimized
/// integration prefixes the exception's name with `SQS.`, an AWS SDK integration with the
/// service's name in PascalCase [DOC-cur connect-to-resource.html, supported-services-awssdk.html].
pub const SQS_INVALID_ADDRESS: &str = "SQS.InvalidAddressException";
pub const SQS_SDK_INVALID_ADDRESS: &str = "Sqs.InvalidAddressException";
/// What SNS answers a `TopicArn` that is not a topic ARN (`InvalidParameter`, "Invalid
/// parameter: TopicArn" [SNS API Publish, Errors]), named the same way.
pub const SNS_INVALID_PARAMETER: &str = "SNS.InvalidParameterException";
pub const SNS_SDK_INVALID_PARAMETER: &str = "Sns.InvalidParameterException";
/// A retrier's defaults [ASL].
pub const RETRY_INTERVAL_DEFAULT_S: u32 = 1;
pub const RETRY_MAX_ATTEMPTS_DEFAULT: u32 = 3;
pub const RETRY_BACKOFF_RATE_DEFAULT: f64 = 2.0;
/// The largest `MaxDelaySeconds` [SCHEMA].
pub const MAX_DELAY_SECONDS_MAX: u32 = 31_622_400;
/// AWS runs at most this many iterations of an Inline Map at once [DOC-cur].
pub const INLINE_MAP_CONCURRENCY_MAX: u32 = 40;
/// A Distributed Map runs at most this many child executions at once; also its default.
pub const DISTRIBUTED_MAP_CONCURRENCY_MAX: u32 = 10_000;
/// A Distributed Map's `Label` has at most this many characters [DOC-cur].
pub const MAP_LABEL_CHARS_MAX: usize = 40;

/// A state's index in [`Definition::states`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StateId(pub u32);

/// A scope's index in [`Definition::scopes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScopeId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryLanguage {
    JsonPath,
    Jsonata,
}

/// A checked state machine definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    /// The top level's `StartAt` (also `scopes[0].start_at`).
    pub start_at: StateId,
    /// Every state of every scope.
    pub states: Vec<State>,
    /// The whole execution's timeout (`States.Timeout`); None: only the workflow type's
    /// maximum duration applies.
    pub timeout_seconds: Option<u64>,
    pub query_language: QueryLanguage,
    /// `scopes[0]` is the top level.
    pub scopes: Vec<Scope>,
}

/// The states that run together: the top level, one Parallel branch or a Map's item processor.
#[derive(Clone, Debug, PartialEq)]
pub struct Scope {
    pub start_at: StateId,
    /// In document order.
    pub states: Vec<StateId>,
    pub kind: ScopeKind,
    /// The Parallel or Map state the scope belongs to; None for the top level.
    pub owner: Option<StateId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Top,
    Branch,
    MapIteration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub name: String,
    pub scope: ScopeId,
    pub kind: StateKind,
    /// None: the state ends its scope (`End`), or it is a Choice, Succeed or Fail state.
    pub next: Option<StateId>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StateKind {
    Task(Task),
    Pass,
    Choice(Choice),
    Wait(Wait),
    Succeed,
    /// `error` and `cause` are None when absent or taken from the data.
    Fail {
        error: Option<String>,
        cause: Option<String>,
    },
    Parallel(Parallel),
    Map(Map),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    pub resource: Resource,
    pub pattern: Pattern,
    /// [`TASK_TIMEOUT_DEFAULT_S`] when absent, and as a placeholder when the timeout comes
    /// from the data (`timeout_seconds_path`).
    pub timeout_seconds: u64,
    /// The timeout comes from the data (`TimeoutSecondsPath` or a JSONata expression).
    pub timeout_seconds_path: bool,
    /// None when absent or taken from the data; when known, less than `timeout_seconds`.
    pub heartbeat_seconds: Option<u64>,
    pub heartbeat_seconds_path: bool,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

/// What a Task calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resource {
    /// `lambda:invoke` (the function name without ARN, alias or version), or a Lambda
    /// function ARN as the resource itself.
    Lambda { function: Target },
    /// `sqs:sendMessage`: the last path segment of `QueueUrl`.
    SqsSend { queue: Target },
    /// `sns:publish`: the last `:` segment of `TopicArn`.
    SnsPublish { topic: Target },
    /// `states:startExecution`: the state machine's name from `StateMachineArn`.
    StartExecution { state_machine: Target },
    /// `arn:aws:states:REGION:ACCOUNT:activity:NAME`.
    Activity { name: String },
    /// Any other integration, optimized or AWS SDK (`service` is then the SDK's name, e.g.
    /// `dynamodb`, `s3`).
    Other { service: String, action: String },
}

/// Where a Lambda invoke, SQS send, SNS publish or StartExecution goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The name the definition writes (in a function, queue, topic or state machine ARN or
    /// URL), or a JSONata expression that is a string constant.
    Named(String),
    /// The data decides: a `"FunctionName.$"` path, a JSONata expression, or `Arguments`
    /// that are one expression.
    FromData,
    /// A `QueueUrl` or `TopicArn` written as something that is not a queue URL or a topic
    /// ARN (a bare name, a deployment's token left in place). AWS accepts the definition and
    /// the call fails when it runs, with `error`, the service's answer as Step Functions
    /// names it.
    Malformed { value: String, error: &'static str },
    /// An SNS publish to a `TargetArn` (a mobile endpoint) or a `PhoneNumber` (SMS): it
    /// goes to no topic.
    Endpoint,
}

impl Target {
    /// The name, when the definition gives one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Target::Named(name) => Some(name),
            _ => None,
        }
    }
}

/// How a Task waits (§4.3). A Lambda function ARN or an activity resource is
/// `RequestResponse`: it has no suffix (an activity still waits for its worker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// Ends with the API's response.
    RequestResponse,
    /// `.sync`: ends when the job ends.
    Sync,
    /// `.sync:2`: `.sync` with JSON output.
    SyncV2,
    /// `.waitForTaskToken`: ends when someone returns the task token.
    WaitForTaskToken,
}

/// Exactly one of the four fields of a Wait state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wait {
    Seconds(u64),
    /// RFC 3339, as written.
    Timestamp(String),
    /// `SecondsPath`, or `Seconds` as a JSONata expression.
    SecondsPath,
    /// `TimestampPath`, or `Timestamp` as a JSONata expression.
    TimestampPath,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// Each rule's `Next`, in rule order: the first matching rule wins.
    pub choices: Vec<StateId>,
    /// Where to go when no rule matches; None: `States.NoChoiceMatched`.
    pub default: Option<StateId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Parallel {
    /// One scope per branch, in order (the output array's order).
    pub branches: Vec<ScopeId>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Map {
    /// The item processor, run once per item.
    pub processor: ScopeId,
    pub mode: MapMode,
    /// As written: 0 means no limit of the definition's own. See [`Map::concurrency_limit`].
    pub max_concurrency: u32,
    /// The limit comes from the data (`MaxConcurrencyPath` or a JSONata expression).
    pub max_concurrency_path: bool,
    /// Distributed only: 0 to 100.
    pub tolerated_failure_percentage: Option<f64>,
    pub tolerated_failure_percentage_path: bool,
    /// Distributed only.
    pub tolerated_failure_count: Option<u64>,
    pub tolerated_failure_count_path: bool,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapMode {
    Inline,
    /// Each iteration is a child execution of this type (Standard parents only).
    Distributed {
        execution_type: ExecutionType,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutionType {
    Standard,
    Express,
}

/// One entry of `Retry`. The delays it gives are computed elsewhere, from these fields
/// (§4.1: interval, backoff, cap, then jitter).
#[derive(Clone, Debug, PartialEq)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: u32,
    /// Retries, not attempts: 0 never retries.
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u32>,
    pub jitter: Jitter,
}

/// `JitterStrategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    None,
    /// Each delay is drawn uniformly from 0 to the computed delay.
    Full,
}

/// One entry of `Catch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: StateId,
}

/// A definition AWS would refuse: the state (None for the top level), the field's path
/// within it (`Retry[0].BackoffRate`) and what is wrong, ending with its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AslError {
    pub state: Option<String>,
    pub field: String,
    pub message: String,
}

/// Reads a definition. Errors name the state and the field.
pub fn parse(definition: &Json) -> Result<Definition, AslError> {
    let Json::Object(fields) = definition else {
        return Err(error(None, "", "a state machine definition is a JSON object (ASL)"));
    };
    check_keys(fields, TOP_FIELDS, None, "")?;
    let query_language = match field(fields, "QueryLanguage") {
        None => QueryLanguage::JsonPath,
        Some(value) => query_language(value).ok_or_else(|| error(None, "QueryLanguage", LANGUAGES))?,
    };
    if field(fields, "Version").is_some_and(|v| *v != Json::String("1.0".into())) {
        return Err(error(None, "Version", "must be \"1.0\" (ASL)"));
    }
    let timeout_seconds =
        match field(fields, "TimeoutSeconds") {
            None => None,
            Some(value) => Some(whole(value, 1, SECONDS_MAX).ok_or_else(|| {
                error(None, "TimeoutSeconds", "must be a positive integer of at most 99,999,999 (AWS)")
            })?),
        };
    let mut builder =
        Builder { language: query_language, raws: Vec::new(), scopes: Vec::new(), names: BTreeMap::new() };
    builder.scope(field(fields, "StartAt"), field(fields, "States"), ScopeKind::Top, None, "")?;
    builder.finish(timeout_seconds)
}

/// True if an error named `error` matches a retrier's or catcher's `ErrorEquals` (§4.2).
/// Names match exactly (case-sensitively), and three names match more:
/// - `States.ALL` matches every error but `States.DataLimitExceeded` and `States.Runtime`,
///   which match only their own names;
/// - `States.Timeout` matches `States.HeartbeatTimeout` too: AWS fails a task that missed
///   its heartbeat with `States.Timeout`, the spec names it `States.HeartbeatTimeout`, and
///   the model raises the latter so that both names catch it;
/// - `States.TaskFailed` matches what `States.ALL` does except those two timeouts.
pub fn error_matches(error_equals: &[String], error: &str) -> bool {
    const ONLY_BY_NAME: [&str; 2] = ["States.DataLimitExceeded", "States.Runtime"];
    const TIMEOUTS: [&str; 2] = ["States.Timeout", "States.HeartbeatTimeout"];
    error_equals.iter().any(|name| {
        name == error
            || match name.as_str() {
                "States.ALL" => !ONLY_BY_NAME.contains(&error),
                "States.Timeout" => error == "States.HeartbeatTimeout",
                "States.TaskFailed" => !TIMEOUTS.contains(&error) && !ONLY_BY_NAME.contains(&error),
                _ => false,
            }
    })
}

/// False for `States.Runtime`, which is never retried, even by a retrier that names it; a
/// catcher that names it still catches it (§4.2).
pub fn is_retriable(error: &str) -> bool {
    error != "States.Runtime"
}

impl StateId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl ScopeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl Definition {
    pub fn state(&self, id: StateId) -> &State {
        &self.states[id.index()]
    }

    pub fn scope(&self, id: ScopeId) -> &Scope {
        &self.scopes[id.index()]
    }

    /// The state with this name (names are unique across the whole machine).
    pub fn find(&self, name: &str) -> Option<StateId> {
        self.states.iter().position(|s| s.name == name).map(|i| StateId(i as u32))
    }

    /// The first state that only a Standard workflow can run (§2: Express workflows have
    /// Request-Response integrations only, no activities and no Distributed Map), and why.
    pub fn standard_only_feature(&self) -> Option<(StateId, &'static str)> {
        self.states.iter().enumerate().find_map(|(i, state)| Some((StateId(i as u32), state.standard_only_feature()?)))
    }
}

impl State {
    /// What in this state only a Standard workflow can run, if anything.
    pub fn standard_only_feature(&self) -> Option<&'static str> {
        match &self.kind {
            StateKind::Task(Task { resource: Resource::Activity { .. }, .. }) => Some("an activity"),
            StateKind::Task(task) => match task.pattern {
                Pattern::Sync | Pattern::SyncV2 => Some("the .sync integration pattern"),
                Pattern::WaitForTaskToken => Some("the .waitForTaskToken integration pattern"),
                Pattern::RequestResponse => None,
            },
            StateKind::Map(Map { mode: MapMode::Distributed { .. }, .. }) => Some("a Distributed Map"),
            _ => None,
        }
    }
}

impl Map {
    /// How many iterations may run at once: `MaxConcurrency` (0: no limit of its own) within
    /// AWS's cap of [`INLINE_MAP_CONCURRENCY_MAX`] inline or [`DISTRIBUTED_MAP_CONCURRENCY_MAX`]
    /// distributed. None when the limit comes from the data.
    pub fn concurrency_limit(&self) -> Option<u32> {
        if self.max_concurrency_path {
            return None;
        }
        let cap = match self.mode {
            MapMode::Inline => INLINE_MAP_CONCURRENCY_MAX,
            MapMode::Distributed { .. } => DISTRIBUTED_MAP_CONCURRENCY_MAX,
        };
        Some(if self.max_concurrency == 0 { cap } else { self.max_concurrency.min(cap) })
    }
}

impl fmt::Display for AslError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(state) = &self.state {
            write!(f, "state \"{state}\": ")?;
        }
        if !self.field.is_empty() {
            write!(f, "field \"{}\": ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for AslError {}

// Field tables, after the spec's table of fields by state type and AWS's JSONata pages.

const TOP_FIELDS: &[&str] = &["StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"];
const STATE_TYPES: [&str; 8] = ["Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"];
const LANGUAGES: &str = "must be \"JSONPath\" or \"JSONata\" (ASL)";
const COMMON_FIELDS: [&str; 3] = ["Type", "Comment", "QueryLanguage"];
const TASK_FIELDS: &[&str] = &[
    "Resource",
    "Parameters",
    "Arguments",
    "Credentials",
    "TimeoutSeconds",
    "TimeoutSecondsPath",
    "HeartbeatSeconds",
    "HeartbeatSecondsPath",
    "InputPath",
    "OutputPath",
    "ResultSelector",
    "ResultPath",
    "Output",
    "Assign",
    "Retry",
    "Catch",
    "Next",
    "End",
];
const PASS_FIELDS: &[&str] =
    &["Result", "Parameters", "InputPath", "OutputPath", "ResultPath", "Output", "Assign", "Next", "End"];
const CHOICE_FIELDS: &[&str] = &["Choices", "Default", "InputPath", "OutputPath", "Output", "Assign"];
const WAIT_FIELDS: &[&str] = &[
    "Seconds",
    "SecondsPath",
    "Timestamp",
    "TimestampPath",
    "InputPath",
    "OutputPath",
    "Output",
    "Assign",
    "Next",
    "End",
];
const SUCCEED_FIELDS: &[&str] = &["InputPath", "OutputPath", "Output"];
const FAIL_FIELDS: &[&str] = &["Error", "ErrorPath", "Cause", "CausePath"];
const PARALLEL_FIELDS: &[&str] = &[
    "Branches",
    "Parameters",
    "Arguments",
    "InputPath",
    "OutputPath",
    "ResultSelector",
    "ResultPath",
    "Output",
    "Assign",
    "Retry",
    "Catch",
    "Next",
    "End",
];
const MAP_FIELDS: &[&str] = &[
    "ItemProcessor",
    "Iterator",
    "ItemsPath",
    "Items",
    "ItemSelector",
    "Parameters",
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "Label",
    "MaxConcurrency",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "InputPath",
    "OutputPath",
    "ResultSelector",
    "ResultPath",
    "Output",
    "Assign",
    "Retry",
    "Catch",
    "Next",
    "End",
];
/// Map fields of Distributed mode only.
const DISTRIBUTED_MAP_FIELDS: [&str; 8] = [
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "Label",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
];
/// One retrier or catcher object, at `path` (e.g. `Retry[2]`).
struct HandlerEntry<'a> {
    path: String,
    fields: &'a [(String, Json)],
    last: bool,
}

const RETRIER_FIELDS: &[&str] =
    &["ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"];
const CATCHER_FIELDS: &[&str] = &["ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment"];
const JSONPATH_ONLY: [&str; 17] = [
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Result",
    "ItemsPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
    "Variable",
];
const JSONATA_ONLY: [&str; 4] = ["Arguments", "Output", "Items", "Condition"];

fn fields_of(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "Task" => TASK_FIELDS,
        "Pass" => PASS_FIELDS,
        "Choice" => CHOICE_FIELDS,
        "Wait" => WAIT_FIELDS,
        "Succeed" => SUCCEED_FIELDS,
        "Fail" => FAIL_FIELDS,
        "Parallel" => PARALLEL_FIELDS,
        _ => MAP_FIELDS,
    }
}

// Pass 1 (`Builder`) walks the scopes, numbers every state and checks the structure. Pass 2
// (`Reader`) reads each state's fields, resolving names with the complete name table, which
// is what lets a `Next` naming a state of a branch met later be told apart from a typo.

struct Builder<'a> {
    language: QueryLanguage,
    raws: Vec<Raw<'a>>,
    scopes: Vec<ScopeDraft<'a>>,
    names: BTreeMap<&'a str, StateId>,
}

/// A state numbered but not yet read.
struct Raw<'a> {
    name: &'a str,
    scope: ScopeId,
    fields: &'a [(String, Json)],
    type_name: &'a str,
    language: QueryLanguage,
    /// Parallel: its branches; Map: its item processor.
    nested: Vec<ScopeId>,
    /// Map: `ItemProcessor.ProcessorConfig`.
    processor_config: Option<&'a Json>,
}

struct ScopeDraft<'a> {
    kind: ScopeKind,
    owner: Option<StateId>,
    states: Vec<StateId>,
    start_at: &'a Json,
    start_field: String,
}

impl<'a> Builder<'a> {
    /// Numbers the states of one scope, then walks the scopes nested in them. `prefix` is the
    /// path of the scope's fields within its owner (`Branches[0].`).
    fn scope(
        &mut self,
        start_at: Option<&'a Json>,
        states: Option<&'a Json>,
        kind: ScopeKind,
        owner: Option<StateId>,
        prefix: &str,
    ) -> Result<ScopeId, AslError> {
        let owner_name = owner.map(|o| self.raws[o.index()].name);
        let start_at = start_at.ok_or_else(|| error(owner_name, format!("{prefix}StartAt"), "is required (ASL)"))?;
        let entries = match states {
            Some(Json::Object(entries)) if !entries.is_empty() => entries,
            Some(_) => {
                let message = "must be an object holding at least one state (ASL)";
                return Err(error(owner_name, format!("{prefix}States"), message));
            }
            None => return Err(error(owner_name, format!("{prefix}States"), "is required (ASL)")),
        };
        let id = ScopeId(self.scopes.len() as u32);
        let start_field = format!("{prefix}StartAt");
        self.scopes.push(ScopeDraft { kind, owner, states: Vec::with_capacity(entries.len()), start_at, start_field });
        let first = self.raws.len();
        for (name, body) in entries {
            let state = self.register(name, body, id)?;
            self.scopes[id.index()].states.push(state);
        }
        for index in first..first + entries.len() {
            self.nest(StateId(index as u32))?;
        }
        Ok(id)
    }

    fn register(&mut self, name: &'a str, body: &'a Json, scope: ScopeId) -> Result<StateId, AslError> {
        let id = StateId(self.raws.len() as u32);
        let chars = name.chars().count();
        if chars > STATE_NAME_CHARS_MAX {
            let message = format!("the name has {chars} characters; at most {STATE_NAME_CHARS_MAX} are allowed (ASL)");
            return Err(error(Some(name), "", message));
        }
        if self.names.insert(name, id).is_some() {
            let message = "another state has this name; names are unique across the whole state machine, \
                           branches and iterations included (AWS: DUPLICATE_STATE_NAME)";
            return Err(error(Some(name), "", message));
        }
        let Json::Object(fields) = body else {
            return Err(error(Some(name), "", "a state is a JSON object (ASL)"));
        };
        let type_name = match field(fields, "Type") {
            Some(Json::String(t)) if STATE_TYPES.contains(&t.as_str()) => t.as_str(),
            Some(_) => {
                let message = format!("must be one of {} (ASL)", STATE_TYPES.join(", "));
                return Err(error(Some(name), "Type", message));
            }
            None => return Err(error(Some(name), "Type", "is required (ASL)")),
        };
        let language = match field(fields, "QueryLanguage") {
            None => self.language,
            Some(value) => match query_language(value) {
                None => return Err(error(Some(name), "QueryLanguage", LANGUAGES)),
                Some(QueryLanguage::JsonPath) if self.language == QueryLanguage::Jsonata => {
                    let message = "a JSONata state machine cannot hold JSONPath states (AWS)";
                    return Err(error(Some(name), "QueryLanguage", message));
                }
                Some(language) => language,
            },
        };
        let raw = Raw { name, scope, fields, type_name, language, nested: Vec::new(), processor_config: None };
        self.raws.push(raw);
        Ok(id)
    }

    /// Walks the branches of a Parallel state or the item processor of a Map state.
    fn nest(&mut self, id: StateId) -> Result<(), AslError> {
        let (name, fields, type_name) = {
            let raw = &self.raws[id.index()];
            (raw.name, raw.fields, raw.type_name)
        };
        if type_name == "Parallel" {
            let branches = match field(fields, "Branches") {
                Some(Json::Array(branches)) if !branches.is_empty() => branches,
                _ => return Err(error(Some(name), "Branches", "must be a non-empty array of branches (ASL)")),
            };
            for (i, branch) in branches.iter().enumerate() {
                let path = format!("Branches[{i}]");
                let Json::Object(branch) = branch else {
                    return Err(error(Some(name), path, "a branch is an object with StartAt and States (ASL)"));
                };
                check_keys(branch, &["StartAt", "States", "Comment"], Some(name), &path)?;
                let (start_at, states) = (field(branch, "StartAt"), field(branch, "States"));
                let scope = self.scope(start_at, states, ScopeKind::Branch, Some(id), &format!("{path}."))?;
                self.raws[id.index()].nested.push(scope);
            }
        } else if type_name == "Map" {
            let (key, processor) = match (field(fields, "ItemProcessor"), field(fields, "Iterator")) {
                (Some(processor), None) => ("ItemProcessor", processor),
                (None, Some(processor)) => ("Iterator", processor),
                (Some(_), Some(_)) => {
                    let message = "give ItemProcessor or the deprecated Iterator, not both (ASL)";
                    return Err(error(Some(name), "Iterator", message));
                }
                (None, None) => {
                    let message = "a Map state needs ItemProcessor (or the deprecated Iterator) (ASL)";
                    return Err(error(Some(name), "ItemProcessor", message));
                }
            };
            let Json::Object(processor) = processor else {
                return Err(error(Some(name), key, "must be an object with StartAt and States (ASL)"));
            };
            let allowed: &[&str] = match key {
                "ItemProcessor" => &["ProcessorConfig", "StartAt", "States", "Comment"],
                _ => &["StartAt", "States", "Comment"],
            };
            check_keys(processor, allowed, Some(name), key)?;
            let (start_at, states) = (field(processor, "StartAt"), field(processor, "States"));
            let scope = self.scope(start_at, states, ScopeKind::MapIteration, Some(id), &format!("{key}."))?;
            let raw = &mut self.raws[id.index()];
            raw.nested.push(scope);
            raw.processor_config = field(processor, "ProcessorConfig");
        }
        Ok(())
    }

    /// The state that `target` names, which must be in `scope`.
    fn resolve(&self, scope: ScopeId, target: &Json, state: Option<&str>, at: &str) -> Result<StateId, AslError> {
        let Json::String(name) = target else {
            return Err(error(state, at, "must be the name of a state (ASL)"));
        };
        match self.names.get(name.as_str()) {
            None => Err(error(state, at, format!("no state is named \"{name}\" (ASL)"))),
            Some(&id) if self.raws[id.index()].scope != scope => {
                let message = format!(
                    "\"{name}\" is in another scope: Next, Default and Catch lead only to states of the same \
                     level, Parallel branch or Map iteration (ASL)"
                );
                Err(error(state, at, message))
            }
            Some(&id) => Ok(id),
        }
    }

    fn finish(self, timeout_seconds: Option<u64>) -> Result<Definition, AslError> {
        let mut scopes = Vec::with_capacity(self.scopes.len());
        for (i, draft) in self.scopes.iter().enumerate() {
            let owner_name = draft.owner.map(|o| self.raws[o.index()].name);
            let start_at = self.resolve(ScopeId(i as u32), draft.start_at, owner_name, &draft.start_field)?;
            scopes.push(Scope { start_at, states: draft.states.clone(), kind: draft.kind, owner: draft.owner });
        }
        let mut states = Vec::with_capacity(self.raws.len());
        for raw in &self.raws {
            states.push(Reader { builder: &self, raw }.state()?);
        }
        check_reachable(&states, &scopes)?;
        Ok(Definition { start_at: scopes[0].start_at, states, timeout_seconds, query_language: self.language, scopes })
    }
}

/// Every state must be reachable from its scope's StartAt.
fn check_reachable(states: &[State], scopes: &[Scope]) -> Result<(), AslError> {
    let mut reached = vec![false; states.len()];
    for scope in scopes {
        let mut stack = vec![scope.start_at];
        while let Some(id) = stack.pop() {
            if !reached[id.index()] {
                reached[id.index()] = true;
                stack.extend(transitions(&states[id.index()]));
            }
        }
    }
    match reached.iter().position(|r| !r) {
        None => Ok(()),
        Some(i) => {
            let state = &states[i];
            let start = &states[scopes[state.scope.index()].start_at.index()].name;
            let message = format!(
                "is not reachable from \"{start}\", the StartAt of its scope: no Next, Choice rule, Default or \
                 Catch leads to it (AWS: MISSING_TRANSITION_TARGET)"
            );
            Err(error(Some(&state.name), "", message))
        }
    }
}

/// Where a state can go next within its scope.
fn transitions(state: &State) -> Vec<StateId> {
    let mut out: Vec<StateId> = state.next.into_iter().collect();
    let catch = match &state.kind {
        StateKind::Choice(choice) => {
            out.extend(choice.choices.iter().copied().chain(choice.default));
            &[][..]
        }
        StateKind::Task(task) => &task.catch[..],
        StateKind::Parallel(parallel) => &parallel.catch[..],
        StateKind::Map(map) => &map.catch[..],
        _ => &[][..],
    };
    out.extend(catch.iter().map(|c| c.next));
    out
}

/// Reads one state's fields (pass 2).
struct Reader<'b, 'a> {
    builder: &'b Builder<'a>,
    raw: &'b Raw<'a>,
}

/// A number given in the definition or taken from the data at run time.
enum Dynamic<T> {
    Value(T),
    FromData,
}

/// A Task argument: a literal string (a JSONata string constant included), something only
/// known at run time, or nothing.
enum Argument<'a> {
    Literal(&'a str),
    FromData,
    Missing,
}

impl<'a> Reader<'_, 'a> {
    fn state(&self) -> Result<State, AslError> {
        self.check_fields()?;
        let kind = match self.raw.type_name {
            "Task" => StateKind::Task(self.task()?),
            "Pass" => StateKind::Pass,
            "Choice" => StateKind::Choice(self.choice()?),
            "Wait" => StateKind::Wait(self.wait()?),
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail { error: self.fail_text("Error")?, cause: self.fail_text("Cause")? },
            "Parallel" => StateKind::Parallel(Parallel {
                branches: self.raw.nested.clone(),
                retry: self.retriers()?,
                catch: self.catchers()?,
            }),
            _ => StateKind::Map(self.map()?),
        };
        let next = match self.raw.type_name {
            "Choice" | "Succeed" | "Fail" => None,
            _ => self.transition()?,
        };
        Ok(State { name: self.raw.name.to_string(), scope: self.raw.scope, kind, next })
    }

    fn error(&self, field: impl Into<String>, message: impl Into<String>) -> AslError {
        error(Some(self.raw.name), field, message)
    }

    fn get(&self, name: &str) -> Option<&'a Json> {
        field(self.raw.fields, name)
    }

    fn jsonata(&self) -> bool {
        self.raw.language == QueryLanguage::Jsonata
    }

    /// The state that `value` (at field path `at`) names, within this state's scope.
    fn target(&self, at: &str, value: &Json) -> Result<StateId, AslError> {
        self.builder.resolve(self.raw.scope, value, Some(self.raw.name), at)
    }

    fn check_fields(&self) -> Result<(), AslError> {
        let type_name = self.raw.type_name;
        let allowed = fields_of(type_name);
        for (i, (key, _)) in self.raw.fields.iter().enumerate() {
            if self.raw.fields[..i].iter().any(|(earlier, _)| earlier == key) {
                return Err(self.error(key, "appears twice (ASL)"));
            }
            if !COMMON_FIELDS.contains(&key.as_str()) && !allowed.contains(&key.as_str()) {
                return Err(self.error(key, not_allowed(type_name, key, allowed)));
            }
            self.check_language(key, key)?;
        }
        Ok(())
    }

    /// Fields of the other query language are errors; `at` is the field's path.
    fn check_language(&self, key: &str, at: &str) -> Result<(), AslError> {
        if self.jsonata() && JSONPATH_ONLY.contains(&key) {
            let message = "is a JSONPath field and this state uses JSONata, which has Arguments, Output and \
                           {% %} expressions instead (AWS)";
            return Err(self.error(at, message));
        }
        if !self.jsonata() && JSONATA_ONLY.contains(&key) {
            let message =
                "is a JSONata field and this state uses JSONPath (set QueryLanguage to JSONata to use it) (AWS)";
            return Err(self.error(at, message));
        }
        Ok(())
    }

    /// `Next` or `End` (exactly one) of a state that is neither Choice, Succeed nor Fail.
    fn transition(&self) -> Result<Option<StateId>, AslError> {
        match (self.get("Next"), self.get("End")) {
            (Some(next), None) => Ok(Some(self.target("Next", next)?)),
            (None, Some(Json::Bool(true))) => Ok(None),
            (Some(_), Some(_)) => Err(self.error("End", "a state has Next or End, not both (ASL)")),
            (None, Some(_)) => Err(self.error("End", "must be true; to go on, give Next instead (ASL)")),
            (None, None) => Err(self.error("Next", "the state needs Next or End (ASL)")),
        }
    }

    /// `name` as a literal (or, in a JSONata state, a `{% %}` expression), or `namePath`.
    fn dynamic<T>(
        &self,
        name: &str,
        literal: impl Fn(&Json) -> Option<T>,
        rule: &str,
    ) -> Result<Option<Dynamic<T>>, AslError> {
        let path_name = format!("{name}Path");
        match (self.get(name), self.get(&path_name)) {
            (None, None) => Ok(None),
            (Some(_), Some(_)) => Err(self.error(&path_name, format!("give {name} or {path_name}, not both (ASL)"))),
            (None, Some(Json::String(_))) => Ok(Some(Dynamic::FromData)),
            (None, Some(_)) => Err(self.error(&path_name, "must be a path, a string (ASL)")),
            (Some(Json::String(s)), None) if self.jsonata() && is_jsonata(s) => Ok(Some(Dynamic::FromData)),
            (Some(value), None) => {
                literal(value).map(|v| Some(Dynamic::Value(v))).ok_or_else(|| self.error(name, rule))
            }
        }
    }

    fn task(&self) -> Result<Task, AslError> {
        let Some(Json::String(arn)) = self.get("Resource") else {
            return Err(self.error("Resource", "a Task state needs Resource, an ARN string (ASL)"));
        };
        let (resource, pattern) = self.resource(arn)?;
        let seconds = |v: &Json| whole(v, 1, SECONDS_MAX);
        let rule = "must be a positive integer of at most 99,999,999 (AWS)";
        let (timeout_seconds, timeout_seconds_path) = match self.dynamic("TimeoutSeconds", seconds, rule)? {
            None => (TASK_TIMEOUT_DEFAULT_S, false),
            Some(Dynamic::Value(s)) => (s, false),
            Some(Dynamic::FromData) => (TASK_TIMEOUT_DEFAULT_S, true),
        };
        let (heartbeat_seconds, heartbeat_seconds_path) = match self.dynamic("HeartbeatSeconds", seconds, rule)? {
            None => (None, false),
            Some(Dynamic::Value(s)) => (Some(s), false),
            Some(Dynamic::FromData) => (None, true),
        };
        if let Some(heartbeat) = heartbeat_seconds
            && !timeout_seconds_path
            && heartbeat >= timeout_seconds
        {
            let message = format!("must be less than TimeoutSeconds, which is {timeout_seconds} (AWS)");
            return Err(self.error("HeartbeatSeconds", message));
        }
        Ok(Task {
            resource,
            pattern,
            timeout_seconds,
            timeout_seconds_path,
            heartbeat_seconds,
            heartbeat_seconds_path,
            retry: self.retriers()?,
            catch: self.catchers()?,
        })
    }

    /// Classifies a Task's `Resource` (§4.3).
    fn resource(&self, arn: &str) -> Result<(Resource, Pattern), AslError> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let unknown = || {
            let message = format!(
                "\"{arn}\" is not a service integration (arn:aws:states:::SERVICE:ACTION), an activity ARN or a \
                 Lambda function ARN (ASL)"
            );
            self.error("Resource", message)
        };
        let ["arn", _partition, service, region, account, rest] = parts.as_slice() else {
            return Err(unknown());
        };
        let regional = !region.is_empty() && !account.is_empty();
        match *service {
            "states" if region.is_empty() && account.is_empty() => self.integration(rest, arn),
            "states" if regional => match rest.strip_prefix("activity:") {
                Some(name) if !name.is_empty() && !name.contains(':') => {
                    Ok((Resource::Activity { name: name.to_string() }, Pattern::RequestResponse))
                }
                // Deployed definitions also name AWS SDK integrations with a Region and an
                // account (`arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject`);
                // AWS accepts them and runs them as the `:::` form.
                None if rest.starts_with("aws-sdk:") && is_account_id(account) => self.integration(rest, arn),
                _ => Err(unknown()),
            },
            // Without Region and account, the function is the machine's own Region's and
            // account's: AWS's pattern for resource ARNs admits both empty, and deployed
            // definitions use that form.
            "lambda" if regional || (region.is_empty() && account.is_empty()) => {
                match rest.strip_prefix("function:").and_then(|f| f.split(':').next()) {
                    Some(name) if !name.is_empty() => {
                        Ok((Resource::Lambda { function: Target::Named(name.to_string()) }, Pattern::RequestResponse))
                    }
                    _ => Err(unknown()),
                }
            }
            _ => Err(unknown()),
        }
    }

    /// `SERVICE:ACTION[.suffix]` or `aws-sdk:SERVICE:ACTION[.suffix]`.
    fn integration(&self, rest: &str, arn: &str) -> Result<(Resource, Pattern), AslError> {
        let (sdk, rest) = match rest.strip_prefix("aws-sdk:") {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let (service, call) = rest.split_once(':').unwrap_or((rest, ""));
        let (action, pattern) = match call.split_once('.') {
            None => (call, Pattern::RequestResponse),
            Some((action, "sync")) => (action, Pattern::Sync),
            Some((action, "sync:2")) => (action, Pattern::SyncV2),
            Some((action, "waitForTaskToken")) => (action, Pattern::WaitForTaskToken),
            Some((_, other)) => {
                let message =
                    format!("unknown integration pattern \".{other}\": use .sync, .sync:2 or .waitForTaskToken (ASL)");
                return Err(self.error("Resource", message));
            }
        };
        if service.is_empty() || action.is_empty() || action.contains(':') {
            let message = format!("\"{arn}\" is not of the form arn:aws:states:::SERVICE:ACTION (ASL)");
            return Err(self.error("Resource", message));
        }
        self.check_support(sdk, service, pattern)?;
        let resource = match (sdk, service, action) {
            (_, "lambda", "invoke") => Resource::Lambda { function: self.named("FunctionName", function_name, None)? },
            (_, "sqs", "sendMessage") => {
                let error = if sdk { SQS_SDK_INVALID_ADDRESS } else { SQS_INVALID_ADDRESS };
                Resource::SqsSend { queue: self.named("QueueUrl", queue_name, Some(error))? }
            }
            (_, "sns", "publish") => Resource::SnsPublish { topic: self.topic(sdk)? },
            (false, "states", "startExecution") | (true, "sfn", "startExecution") => {
                Resource::StartExecution { state_machine: self.named("StateMachineArn", state_machine_name, None)? }
            }
            (false, "lambda" | "sqs" | "sns" | "states", _) => {
                let message = format!(
                    "the optimized {service} integration has no action \"{action}\"; call other actions through \
                     arn:aws:states:::aws-sdk:{service}:{action} (AWS)"
                );
                return Err(self.error("Resource", message));
            }
            _ => Resource::Other { service: service.to_string(), action: action.to_string() },
        };
        Ok((resource, pattern))
    }

    /// The support matrix of §4.3.
    fn check_support(&self, sdk: bool, service: &str, pattern: Pattern) -> Result<(), AslError> {
        // (.sync, .waitForTaskToken); Request-Response is always supported.
        let (sync, callback) = match service {
            _ if sdk => (false, true),
            "sqs" | "sns" | "lambda" | "events" | "apigateway" => (false, true),
            "dynamodb" => (false, false),
            "batch" | "athena" | "glue" | "elasticmapreduce" | "codebuild" | "sagemaker" => (true, false),
            // ecs, eks, bedrock, states, and services the reference's matrix does not list.
            _ => (true, true),
        };
        let (supported, suffix) = match pattern {
            Pattern::RequestResponse => (true, ""),
            Pattern::Sync => (sync, ".sync"),
            Pattern::SyncV2 => (sync, ".sync:2"),
            Pattern::WaitForTaskToken => (callback, ".waitForTaskToken"),
        };
        if supported {
            return Ok(());
        }
        let what = if sdk { "AWS SDK integrations".to_string() } else { format!("the {service} integration") };
        let offers = match (sync, callback) {
            (false, true) => "Request-Response and .waitForTaskToken",
            (true, false) => "Request-Response and .sync",
            _ => "Request-Response only",
        };
        let message = format!("{what} cannot use {suffix}; it offers {offers} (AWS)");
        Err(self.error("Resource", message))
    }

    /// Where the Task's arguments are, for error paths.
    fn arguments_field(&self) -> &'static str {
        if self.jsonata() { "Arguments" } else { "Parameters" }
    }

    /// The Task argument `key` of `Parameters` (`key` or `key.$`) or `Arguments`.
    fn argument(&self, key: &str) -> Result<Argument<'a>, AslError> {
        let at = format!("{}.{key}", self.arguments_field());
        let fields = match self.get("Parameters").or_else(|| self.get("Arguments")) {
            None => return Ok(Argument::Missing),
            Some(Json::String(s)) if self.jsonata() && is_jsonata(s) => return Ok(Argument::FromData),
            Some(Json::Object(fields)) => fields,
            Some(_) => return Err(self.error(self.arguments_field(), "must be an object (ASL)")),
        };
        match field(fields, key) {
            Some(Json::String(s)) if self.jsonata() && is_jsonata(s) => {
                Ok(jsonata_constant(s).map_or(Argument::FromData, Argument::Literal))
            }
            Some(Json::String(s)) => Ok(Argument::Literal(s)),
            Some(_) => Err(self.error(at, "must be a string (AWS)")),
            None if field(fields, &format!("{key}.$")).is_some() => Ok(Argument::FromData),
            None => Ok(Argument::Missing),
        }
    }

    /// A required argument turned into a name by `name_of`. `malformed` is the error a call
    /// fails with when the literal names nothing of its kind and AWS still accepts the
    /// definition (it checks `QueueUrl` and `TopicArn` only when the call runs); without it,
    /// such a literal is refused.
    fn named(
        &self,
        key: &str,
        name_of: fn(&str) -> Option<&str>,
        malformed: Option<&'static str>,
    ) -> Result<Target, AslError> {
        let at = format!("{}.{key}", self.arguments_field());
        match self.argument(key)? {
            Argument::Literal(value) => match (name_of(value), malformed) {
                (Some(name), _) => Ok(Target::Named(name.to_string())),
                (None, Some(error)) => Ok(Target::Malformed { value: value.to_string(), error }),
                (None, None) => Err(self.error(at, format!("\"{value}\" does not name a {} (AWS)", noun(key)))),
            },
            Argument::FromData => Ok(Target::FromData),
            Argument::Missing => Err(self.error(at, format!("the call needs {key} (AWS)"))),
        }
    }

    /// `sns:publish` goes to `TopicArn`, or to a `TargetArn` or `PhoneNumber` (no topic).
    fn topic(&self, sdk: bool) -> Result<Target, AslError> {
        if !matches!(self.argument("TopicArn")?, Argument::Missing) {
            let error = if sdk { SNS_SDK_INVALID_PARAMETER } else { SNS_INVALID_PARAMETER };
            return self.named("TopicArn", topic_name, Some(error));
        }
        for key in ["TargetArn", "PhoneNumber"] {
            if !matches!(self.argument(key)?, Argument::Missing) {
                return Ok(Target::Endpoint);
            }
        }
        let at = format!("{}.TopicArn", self.arguments_field());
        Err(self.error(at, "the call needs TopicArn, TargetArn or PhoneNumber (AWS)"))
    }

    fn wait(&self) -> Result<Wait, AslError> {
        let given: Vec<&str> = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
            .into_iter()
            .filter(|f| self.get(f).is_some())
            .collect();
        if given.len() != 1 {
            let message = "a Wait state takes exactly one of Seconds, Timestamp, SecondsPath and TimestampPath (ASL)";
            return Err(self.error(*given.get(1).unwrap_or(&"Seconds"), message));
        }
        let rule = "must be an integer from 0 to 99,999,999 (AWS)";
        match self.dynamic("Seconds", |v| whole(v, 0, SECONDS_MAX), rule)? {
            Some(Dynamic::Value(seconds)) => return Ok(Wait::Seconds(seconds)),
            Some(Dynamic::FromData) => return Ok(Wait::SecondsPath),
            None => {}
        }
        let literal = |v: &Json| match v {
            Json::String(s) if is_timestamp(s) => Some(s.clone()),
            _ => None,
        };
        let rule = "must be an RFC 3339 timestamp such as \"2016-03-14T01:59:00Z\", with an uppercase T and Z (ASL)";
        match self.dynamic("Timestamp", literal, rule)? {
            Some(Dynamic::Value(timestamp)) => Ok(Wait::Timestamp(timestamp)),
            _ => Ok(Wait::TimestampPath),
        }
    }

    /// A Fail state's `Error` or `Cause`: None when absent or taken from the data.
    fn fail_text(&self, name: &str) -> Result<Option<String>, AslError> {
        let literal = |v: &Json| match v {
            Json::String(s) => Some(s.clone()),
            _ => None,
        };
        match self.dynamic(name, literal, "must be a string (ASL)")? {
            Some(Dynamic::Value(text)) => Ok(Some(text)),
            _ => Ok(None),
        }
    }

    fn choice(&self) -> Result<Choice, AslError> {
        let rules = match self.get("Choices") {
            Some(Json::Array(rules)) if !rules.is_empty() => rules,
            _ => return Err(self.error("Choices", "a Choice state needs a non-empty array of rules (ASL)")),
        };
        let mut choices = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            let path = format!("Choices[{i}]");
            let Json::Object(fields) = rule else {
                return Err(self.error(path, "a Choice rule is an object (ASL)"));
            };
            self.rule(fields, &path, true)?;
            let at = format!("{path}.Next");
            let next =
                field(fields, "Next").ok_or_else(|| self.error(&at, "a top-level Choice rule needs Next (ASL)"))?;
            choices.push(self.target(&at, next)?);
        }
        let default = self.get("Default").map(|d| self.target("Default", d)).transpose()?;
        Ok(Choice { choices, default })
    }

    /// Checks the shape of one Choice rule: a comparison of `Variable`, `And`, `Or` or `Not`
    /// (JSONPath), or a `Condition` (JSONata). Only top-level rules have `Next`.
    fn rule(&self, fields: &[(String, Json)], path: &str, top: bool) -> Result<(), AslError> {
        let mut test: Option<&str> = None;
        for (i, (key, value)) in fields.iter().enumerate() {
            let at = format!("{path}.{key}");
            if fields[..i].iter().any(|(earlier, _)| earlier == key) {
                return Err(self.error(at, "appears twice (ASL)"));
            }
            self.check_language(key, &at)?;
            match key.as_str() {
                "Comment" | "Variable" => self.string_operand(value, &at)?,
                "Next" | "Assign" | "Output" if top => {}
                "Next" | "Assign" | "Output" => {
                    return Err(self.error(at, format!("only a top-level Choice rule has {key} (ASL)")));
                }
                "And" | "Or" => match value {
                    Json::Array(rules) if !rules.is_empty() => {
                        for (j, rule) in rules.iter().enumerate() {
                            self.nested_rule(rule, &format!("{at}[{j}]"))?;
                        }
                    }
                    _ => return Err(self.error(at, "must be a non-empty array of rules (ASL)")),
                },
                "Not" => self.nested_rule(value, &at)?,
                "Condition" if matches!(value, Json::Bool(_)) => {}
                "Condition" => self.string_operand(value, &at)?,
                operator => match operand(operator) {
                    Some(kind) => self.check_operand(kind, value, &at)?,
                    None => {
                        let message = "not a comparison operator nor a field of a Choice rule (ASL)";
                        return Err(self.error(at, message));
                    }
                },
            }
            if !matches!(key.as_str(), "Comment" | "Variable" | "Next" | "Assign" | "Output") {
                if let Some(earlier) = test {
                    let message = format!("a rule holds one test, and this one already has {earlier} (ASL)");
                    return Err(self.error(at, message));
                }
                test = Some(key);
            }
        }
        self.check_rule_test(fields, path, test)
    }

    fn nested_rule(&self, rule: &Json, at: &str) -> Result<(), AslError> {
        match rule {
            Json::Object(fields) => self.rule(fields, at, false),
            _ => Err(self.error(at, "a Choice rule is an object (ASL)")),
        }
    }

    /// A rule has exactly one test, and `Variable` exactly when that test is a comparison.
    fn check_rule_test(&self, fields: &[(String, Json)], path: &str, test: Option<&str>) -> Result<(), AslError> {
        let has_variable = field(fields, "Variable").is_some();
        match test {
            None if self.jsonata() => Err(self.error(path, "a JSONata Choice rule needs Condition (ASL)")),
            Some(test) if self.jsonata() && test != "Condition" => {
                let message = "JSONata Choice rules test a Condition; comparison operators, And, Or and Not are \
                               JSONPath (AWS)";
                Err(self.error(format!("{path}.{test}"), message))
            }
            None => Err(self.error(path, "a Choice rule needs a comparison, And, Or or Not (ASL)")),
            Some("And" | "Or" | "Not") if has_variable => {
                Err(self.error(format!("{path}.Variable"), "And, Or and Not take no Variable (ASL)"))
            }
            Some(operator) if operand(operator).is_some() && !has_variable => {
                Err(self
                    .error(format!("{path}.Variable"), format!("{operator} compares Variable, which is missing (ASL)")))
            }
            Some(_) => Ok(()),
        }
    }

    fn string_operand(&self, value: &Json, at: &str) -> Result<(), AslError> {
        match value {
            Json::String(_) => Ok(()),
            _ => Err(self.error(at, "must be a string (ASL)")),
        }
    }

    fn check_operand(&self, kind: Operand, value: &Json, at: &str) -> Result<(), AslError> {
        let ok = match (kind, value) {
            (Operand::String, Json::String(_)) | (Operand::Number, Json::Number(_)) => true,
            (Operand::Boolean, Json::Bool(_)) => true,
            (Operand::Timestamp, Json::String(s)) => is_timestamp(s),
            (Operand::Path, Json::String(s)) => s.starts_with('$'),
            _ => false,
        };
        if ok {
            return Ok(());
        }
        let expected = match kind {
            Operand::String => "a string",
            Operand::Number => "a number",
            Operand::Boolean => "true or false",
            Operand::Timestamp => "an RFC 3339 timestamp string",
            Operand::Path => "a path string starting with $",
        };
        Err(self.error(at, format!("must be {expected} (ASL)")))
    }

    /// The entries of a `Retry` or `Catch` array: each one's path, fields and whether it is the
    /// last, after checking that the array holds objects with only the allowed fields.
    fn handler_entries(
        &self,
        key: &str,
        allowed: &[&str],
        (entry, required): (&str, &str),
    ) -> Result<Vec<HandlerEntry<'a>>, AslError> {
        let items = match self.get(key) {
            None => return Ok(Vec::new()),
            Some(Json::Array(items)) => items,
            Some(_) => return Err(self.error(key, format!("must be an array of {entry}s (ASL)"))),
        };
        let mut entries = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            let Json::Object(fields) = item else {
                return Err(self.error(path, format!("a {entry} is an object with {required} (ASL)")));
            };
            check_keys(fields, allowed, Some(self.raw.name), &path)?;
            entries.push(HandlerEntry { path, fields, last: i + 1 == items.len() });
        }
        Ok(entries)
    }

    fn retriers(&self) -> Result<Vec<Retrier>, AslError> {
        let entries = self.handler_entries("Retry", RETRIER_FIELDS, ("retrier", "ErrorEquals"))?;
        entries.into_iter().map(|e| self.retrier(e.fields, &e.path, e.last)).collect()
    }

    fn retrier(&self, fields: &[(String, Json)], path: &str, last: bool) -> Result<Retrier, AslError> {
        let error_equals = self.error_equals(fields, path, last, "retrier")?;
        let integer = |name: &str, min: u64, max: u64, default: u32, rule: &str| match field(fields, name) {
            None => Ok(default),
            Some(value) => {
                whole(value, min, max).map(|v| v as u32).ok_or_else(|| self.error(format!("{path}.{name}"), rule))
            }
        };
        let rule = "must be a positive integer of at most 99,999,999 (ASL)";
        let interval_seconds = integer("IntervalSeconds", 1, SECONDS_MAX, RETRY_INTERVAL_DEFAULT_S, rule)?;
        let rule = "must be an integer from 0 to 99,999,999 (ASL)";
        let max_attempts = integer("MaxAttempts", 0, SECONDS_MAX, RETRY_MAX_ATTEMPTS_DEFAULT, rule)?;
        let backoff_rate = match field(fields, "BackoffRate") {
            None => RETRY_BACKOFF_RATE_DEFAULT,
            Some(Json::Number(rate)) if *rate >= 1.0 && rate.is_finite() => *rate,
            Some(Json::Number(_)) => {
                return Err(self.error(format!("{path}.BackoffRate"), "must be at least 1.0 (ASL)"));
            }
            Some(_) => return Err(self.error(format!("{path}.BackoffRate"), "must be a number (ASL)")),
        };
        let max_delay_seconds = match field(fields, "MaxDelaySeconds") {
            None => None,
            Some(value) => {
                Some(whole(value, 1, u64::from(MAX_DELAY_SECONDS_MAX)).map(|v| v as u32).ok_or_else(|| {
                    self.error(format!("{path}.MaxDelaySeconds"), "must be an integer from 1 to 31,622,400 (ASL)")
                })?)
            }
        };
        let jitter = match field(fields, "JitterStrategy") {
            None => Jitter::None,
            Some(Json::String(s)) if s == "NONE" => Jitter::None,
            Some(Json::String(s)) if s == "FULL" => Jitter::Full,
            Some(_) => return Err(self.error(format!("{path}.JitterStrategy"), "must be \"FULL\" or \"NONE\" (AWS)")),
        };
        Ok(Retrier { error_equals, interval_seconds, max_attempts, backoff_rate, max_delay_seconds, jitter })
    }

    fn catchers(&self) -> Result<Vec<Catcher>, AslError> {
        let mut catchers = Vec::new();
        for HandlerEntry { path, fields, last } in
            self.handler_entries("Catch", CATCHER_FIELDS, ("catcher", "ErrorEquals and Next"))?
        {
            for (key, _) in fields.iter() {
                self.check_language(key, &format!("{path}.{key}"))?;
            }
            let error_equals = self.error_equals(fields, &path, last, "catcher")?;
            let at = format!("{path}.Next");
            let next = field(fields, "Next").ok_or_else(|| self.error(&at, "a catcher needs Next (ASL)"))?;
            catchers.push(Catcher { error_equals, next: self.target(&at, next)? });
        }
        Ok(catchers)
    }

    /// A non-empty list of names, where `States.ALL` stands alone in the last entry.
    fn error_equals(
        &self,
        fields: &[(String, Json)],
        path: &str,
        last: bool,
        entry: &str,
    ) -> Result<Vec<String>, AslError> {
        let at = format!("{path}.ErrorEquals");
        let names: Option<Vec<String>> = match field(fields, "ErrorEquals") {
            Some(Json::Array(names)) if !names.is_empty() => names
                .iter()
                .map(|name| match name {
                    Json::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        let names = names.ok_or_else(|| self.error(&at, "must be a non-empty array of error names (ASL)"))?;
        if names.iter().any(|n| n == "States.ALL") {
            if names.len() > 1 {
                return Err(self.error(at, "States.ALL must appear alone (ASL)"));
            }
            if !last {
                return Err(self.error(at, format!("States.ALL may appear only in the last {entry} (ASL)")));
            }
        }
        Ok(names)
    }

    fn map(&self) -> Result<Map, AslError> {
        let mode = self.map_mode()?;
        if mode == MapMode::Inline
            && let Some(name) = DISTRIBUTED_MAP_FIELDS.into_iter().find(|f| self.get(f).is_some())
        {
            return Err(self.error(name, "belongs to Distributed Maps; this Map is Inline (AWS)"));
        }
        if self.get("Parameters").is_some() && self.get("ItemSelector").is_some() {
            return Err(self.error("Parameters", "give ItemSelector or the deprecated Parameters, not both (ASL)"));
        }
        if let Some(label) = self.get("Label")
            && !matches!(label, Json::String(s) if s.chars().count() <= MAP_LABEL_CHARS_MAX)
        {
            return Err(self.error("Label", "must be a string of at most 40 characters (AWS)"));
        }
        let count = |v: &Json| whole(v, 0, u64::from(u32::MAX));
        let rule = "must be a non-negative integer (ASL)";
        let (max_concurrency, max_concurrency_path) = match self.dynamic("MaxConcurrency", count, rule)? {
            None => (0, false),
            Some(Dynamic::Value(n)) => (n as u32, false),
            Some(Dynamic::FromData) => (0, true),
        };
        let percentage = |v: &Json| match v {
            Json::Number(p) if (0.0..=100.0).contains(p) => Some(*p),
            _ => None,
        };
        let rule = "must be a number from 0 to 100 (AWS)";
        let (tolerated_failure_percentage, tolerated_failure_percentage_path) =
            split(self.dynamic("ToleratedFailurePercentage", percentage, rule)?);
        let rule = "must be a non-negative integer (AWS)";
        let (tolerated_failure_count, tolerated_failure_count_path) =
            split(self.dynamic("ToleratedFailureCount", count, rule)?);
        Ok(Map {
            processor: self.raw.nested[0],
            mode,
            max_concurrency,
            max_concurrency_path,
            tolerated_failure_percentage,
            tolerated_failure_percentage_path,
            tolerated_failure_count,
            tolerated_failure_count_path,
            retry: self.retriers()?,
            catch: self.catchers()?,
        })
    }

    /// `ItemProcessor.ProcessorConfig`: `Mode` (INLINE by default) and, for DISTRIBUTED only,
    /// `ExecutionType`.
    fn map_mode(&self) -> Result<MapMode, AslError> {
        const AT: &str = "ItemProcessor.ProcessorConfig";
        let fields = match self.raw.processor_config {
            None => return Ok(MapMode::Inline),
            Some(Json::Object(fields)) => fields,
            Some(_) => return Err(self.error(AT, "must be an object with Mode and ExecutionType (ASL)")),
        };
        check_keys(fields, &["Mode", "ExecutionType"], Some(self.raw.name), AT)?;
        let text = |name: &str| match field(fields, name) {
            Some(Json::String(s)) => Some(s.as_str()),
            _ => None,
        };
        let distributed = match (field(fields, "Mode"), text("Mode")) {
            (None, _) | (_, Some("INLINE")) => false,
            (_, Some("DISTRIBUTED")) => true,
            _ => return Err(self.error(format!("{AT}.Mode"), "must be \"INLINE\" or \"DISTRIBUTED\" (ASL)")),
        };
        let at = format!("{AT}.ExecutionType");
        match (distributed, field(fields, "ExecutionType"), text("ExecutionType")) {
            (false, None, _) => Ok(MapMode::Inline),
            (false, Some(_), _) => Err(self.error(at, "only a DISTRIBUTED Map has ExecutionType (ASL)")),
            (true, _, Some("STANDARD")) => Ok(MapMode::Distributed { execution_type: ExecutionType::Standard }),
            (true, _, Some("EXPRESS")) => Ok(MapMode::Distributed { execution_type: ExecutionType::Express }),
            (true, None, _) => Err(self.error(at, "a DISTRIBUTED Map needs ExecutionType, STANDARD or EXPRESS (ASL)")),
            (true, Some(_), _) => Err(self.error(at, "must be \"STANDARD\" or \"EXPRESS\" (ASL)")),
        }
    }
}

/// What a comparison operator compares Variable with.
#[derive(Clone, Copy)]
enum Operand {
    String,
    Number,
    Boolean,
    Timestamp,
    /// A `...Path` operator: another path into the data.
    Path,
}

/// The operand of a JSONPath comparison operator (§4), or None if `operator` is none.
fn operand(operator: &str) -> Option<Operand> {
    const COMPARISONS: [&str; 5] = ["Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"];
    const TYPE_TESTS: [&str; 6] = ["IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"];
    if operator == "StringMatches" {
        return Some(Operand::String);
    }
    if TYPE_TESTS.contains(&operator) {
        return Some(Operand::Boolean);
    }
    let (base, is_path) = match operator.strip_suffix("Path") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    let kind = if base == "BooleanEquals" {
        Operand::Boolean
    } else {
        [("String", Operand::String), ("Numeric", Operand::Number), ("Timestamp", Operand::Timestamp)]
            .into_iter()
            .find(|(prefix, _)| base.strip_prefix(prefix).is_some_and(|rest| COMPARISONS.contains(&rest)))?
            .1
    };
    Some(if is_path { Operand::Path } else { kind })
}

fn not_allowed(type_name: &str, key: &str, allowed: &[&str]) -> String {
    match (type_name, key) {
        (_, "Retry" | "Catch") => format!("only Task, Parallel and Map states have {key} (ASL)"),
        ("Choice", "End") => "a Choice state cannot be End (ASL)".to_string(),
        ("Choice", "Next") => "a Choice state has no Next: its rules and Default name where to go (ASL)".to_string(),
        ("Succeed" | "Fail", "Next" | "End") => format!("a {type_name} state is terminal: no Next, no End (ASL)"),
        _ => {
            let fields: Vec<&str> = COMMON_FIELDS.iter().chain(allowed).copied().collect();
            format!("not a field of a {type_name} state, which takes {} (ASL)", fields.join(", "))
        }
    }
}

/// Unknown and repeated keys of a nested object (a branch, a retrier, ...) at `path`.
fn check_keys(fields: &[(String, Json)], allowed: &[&str], state: Option<&str>, path: &str) -> Result<(), AslError> {
    for (i, (key, _)) in fields.iter().enumerate() {
        let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        if fields[..i].iter().any(|(earlier, _)| earlier == key) {
            return Err(error(state, at, "appears twice (ASL)"));
        }
        if !allowed.contains(&key.as_str()) {
            return Err(error(state, at, format!("not a field here; allowed: {} (ASL)", allowed.join(", "))));
        }
    }
    Ok(())
}

fn error(state: Option<&str>, field: impl Into<String>, message: impl Into<String>) -> AslError {
    AslError { state: state.map(str::to_string), field: field.into(), message: message.into() }
}

fn field<'j>(fields: &'j [(String, Json)], name: &str) -> Option<&'j Json> {
    fields.iter().find(|(key, _)| key == name).map(|(_, value)| value)
}

fn query_language(value: &Json) -> Option<QueryLanguage> {
    match value {
        Json::String(s) if s == "JSONPath" => Some(QueryLanguage::JsonPath),
        Json::String(s) if s == "JSONata" => Some(QueryLanguage::Jsonata),
        _ => None,
    }
}

/// A whole number from `min` to `max`.
fn whole(value: &Json, min: u64, max: u64) -> Option<u64> {
    match value {
        Json::Number(x) if x.fract() == 0.0 && *x >= min as f64 && *x <= max as f64 => Some(*x as u64),
        _ => None,
    }
}

fn split<T>(value: Option<Dynamic<T>>) -> (Option<T>, bool) {
    match value {
        None => (None, false),
        Some(Dynamic::Value(v)) => (Some(v), false),
        Some(Dynamic::FromData) => (None, true),
    }
}

/// A JSONata expression: `{% ... %}`.
fn is_jsonata(s: &str) -> bool {
    s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}")
}

/// The string a JSONata expression evaluates to when it is nothing but a string literal:
/// `{% 'Foo' %}` or `{% "Foo" %}`, with any whitespace around it. None for anything else,
/// escapes included (the data, or more than a constant, decides).
fn jsonata_constant(s: &str) -> Option<&str> {
    let body = s.strip_prefix("{%")?.strip_suffix("%}")?.trim();
    let quote = body.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = body.strip_prefix(quote)?.strip_suffix(quote)?;
    (!inner.contains(quote) && !inner.contains('\\')).then_some(inner)
}

/// RFC 3339 as ASL restricts it: `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or
/// `±HH:MM`, with an uppercase `T` and `Z`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| b.get(from..from + n).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let two = |at: usize| u32::from(b[at] - b'0') * 10 + u32::from(b[at + 1] - b'0');
    let shape = [(0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2)].iter().all(|&(at, n)| digits(at, n))
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':';
    // A leap second (60) is allowed, as RFC 3339 allows it.
    if !shape
        || !(1..=12).contains(&two(5))
        || !(1..=31).contains(&two(8))
        || two(11) > 23
        || two(14) > 59
        || two(17) > 60
    {
        return false;
    }
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        let end = at + 1 + b[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if end == at + 1 {
            return false;
        }
        at = end;
    }
    match b.get(at) {
        Some(b'Z') => at + 1 == b.len(),
        Some(b'+' | b'-') => {
            at + 6 == b.len() && digits(at + 1, 2) && b[at + 3] == b':' && digits(at + 4, 2) && two(at + 1) <= 23
        }
        _ => false,
    }
}

/// Seconds since 1970-01-01T00:00:00Z of an RFC 3339 timestamp as a Wait state takes it;
/// fractions of a second are dropped, as Step Functions truncates them (§4).
pub fn timestamp_epoch_s(s: &str) -> Option<i64> {
    if !is_timestamp(s) {
        return None;
    }
    let b = s.as_bytes();
    let num = |from: usize, n: usize| s[from..from + n].parse::<i64>().ok();
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let zone = 19 + b[19..].iter().take_while(|c| !matches!(c, b'Z' | b'+' | b'-')).count();
    let offset_s = match b[zone] {
        b'Z' => 0,
        sign => {
            let minutes = num(zone + 1, 2)? * 60 + num(zone + 4, 2)?;
            if sign == b'-' { -minutes * 60 } else { minutes * 60 }
        }
    };
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second - offset_s)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// What a Task argument names, for error messages.
fn noun(key: &str) -> &'static str {
    match key {
        "FunctionName" => "Lambda function",
        "QueueUrl" => "queue (expected a queue URL)",
        "TopicArn" => "topic (expected a topic ARN)",
        _ => "state machine (expected a state machine ARN)",
    }
}

/// `my-function`, `my-function:alias`, `123456789012:function:my-function` or a full
/// function ARN with or without a version or alias: the function's name.
fn function_name(value: &str) -> Option<&str> {
    let name = match value.split_once(":function:") {
        Some((_, rest)) => rest,
        None if value.starts_with("arn:") => return None,
        None => value,
    };
    name.split(':').next().filter(|n| !n.is_empty())
}

/// `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` (any host, `http` too): the last path
/// segment. Anything else is not a queue URL.
fn queue_name(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    let (_, name) = path.trim_end_matches('/').rsplit_once('/')?;
    (!host.is_empty() && !name.is_empty()).then_some(name)
}

/// An AWS account ID: 12 digits.
fn is_account_id(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

/// `arn:PARTITION:sns:REGION:ACCOUNT:NAME`: the name. Anything else is not a topic ARN.
fn topic_name(arn: &str) -> Option<&str> {
    match arn.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", partition, "sns", region, account, name]
            if !partition.is_empty() && !region.is_empty() && !account.is_empty() && !name.is_empty() =>
        {
            Some(name)
        }
        _ => None,
    }
}

/// `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME[:version or alias]`: the name.
fn state_machine_name(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":stateMachine:")?;
    rest.split(':').next().filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::json_text::json;

    fn read(text: &str) -> Result<Definition, AslError> {
        parse(&json(text))
    }

    fn definition(text: &str) -> Definition {
        read(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn rejection(text: &str) -> String {
        read(text).expect_err("the definition should be rejected").to_string()
    }

    fn shipped(file: &str) -> Definition {
        let path = format!("{}/scenarios/definitions/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        definition(&text)
    }

    /// A machine whose only state, "S", is `body`.
    fn single(body: &str) -> String {
        format!(r#"{{"StartAt": "S", "States": {{"S": {body}}}}}"#)
    }

    fn state<'d>(d: &'d Definition, name: &str) -> &'d State {
        d.state(d.find(name).unwrap_or_else(|| panic!("no state named {name}")))
    }

    fn task<'d>(d: &'d Definition, name: &str) -> &'d Task {
        match &state(d, name).kind {
            StateKind::Task(task) => task,
            other => panic!("{name} is {other:?}"),
        }
    }

    fn map<'d>(d: &'d Definition, name: &str) -> &'d Map {
        match &state(d, name).kind {
            StateKind::Map(map) => map,
            other => panic!("{name} is {other:?}"),
        }
    }

    fn id(d: &Definition, name: &str) -> StateId {
        d.find(name).unwrap()
    }

    fn only_task(body: &str) -> Task {
        task(&definition(&single(body)), "S").clone()
    }

    /// The resource and pattern of a single Task with this `Resource` and `Parameters`.
    fn classify(resource: &str, parameters: &str) -> Result<(Resource, Pattern), String> {
        let body = format!(r#"{{"Type": "Task", "Resource": "{resource}", "Parameters": {parameters}, "End": true}}"#);
        read(&single(&body)).map(|d| (task(&d, "S").resource.clone(), task(&d, "S").pattern)).map_err(|e| e.to_string())
    }

    fn retrier(fields: &str) -> Result<Retrier, String> {
        let body = format!(
            r#"{{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {{"FunctionName": "f"}}, "Retry": [{fields}], "End": true}}"#
        );
        read(&single(&body)).map(|d| task(&d, "S").retry[0].clone()).map_err(|e| e.to_string())
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn timestamps_convert_to_epoch_seconds_with_their_offset_and_without_fractions() {
        assert_eq!(timestamp_epoch_s("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(timestamp_epoch_s("2016-03-14T01:59:00Z"), Some(1_457_920_740));
        assert_eq!(timestamp_epoch_s("2024-02-29T23:59:59.250+01:00"), Some(1_709_247_599));
        assert_eq!(timestamp_epoch_s("2000-03-01T00:00:00-05:30"), Some(951_868_800 + 19_800));
        assert_eq!(timestamp_epoch_s("1969-12-31T23:59:59Z"), Some(-1));
        assert_eq!(timestamp_epoch_s("2016-03-14 01:59:00Z"), None);
    }

    #[test]
    fn a_minimal_machine_has_one_top_scope_and_uses_jsonpath() {
        let d = definition(r#"{"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": true}}}"#);
        assert_eq!(d.query_language, QueryLanguage::JsonPath);
        assert_eq!(d.timeout_seconds, None);
        assert_eq!(d.start_at, StateId(0));
        assert_eq!(
            d.scopes,
            vec![Scope { start_at: StateId(0), states: vec![StateId(0)], kind: ScopeKind::Top, owner: None }]
        );
        assert_eq!(d.states[0], State { name: "Hello".into(), scope: ScopeId(0), kind: StateKind::Pass, next: None });
    }

    #[test]
    fn top_level_comment_version_timeout_and_query_language_are_read() {
        let d = definition(
            r#"{"Comment": "c", "Version": "1.0", "TimeoutSeconds": 300, "QueryLanguage": "JSONata",
                "StartAt": "S", "States": {"S": {"Type": "Pass", "Output": "{% $states.input %}", "End": true}}}"#,
        );
        assert_eq!(d.timeout_seconds, Some(300));
        assert_eq!(d.query_language, QueryLanguage::Jsonata);
    }

    #[test]
    fn top_level_typos_and_bad_values_are_rejected() {
        assert_eq!(
            rejection(r#"{"startAt": "S", "States": {"S": {"Type": "Succeed"}}}"#),
            "field \"startAt\": not a field here; allowed: StartAt, States, Comment, Version, TimeoutSeconds, \
             QueryLanguage (ASL)"
        );
        assert_eq!(
            rejection(r#"{"Version": "2.0", "StartAt": "S", "States": {"S": {"Type": "Succeed"}}}"#),
            "field \"Version\": must be \"1.0\" (ASL)"
        );
        assert_eq!(
            rejection(r#"{"TimeoutSeconds": 0, "StartAt": "S", "States": {"S": {"Type": "Succeed"}}}"#),
            "field \"TimeoutSeconds\": must be a positive integer of at most 99,999,999 (AWS)"
        );
        assert_eq!(rejection(r#"{"States": {"S": {"Type": "Succeed"}}}"#), "field \"StartAt\": is required (ASL)");
        assert_eq!(
            rejection(r#"{"StartAt": "S", "States": {}}"#),
            "field \"States\": must be an object holding at least one state (ASL)"
        );
    }

    #[test]
    fn pass_state_goes_to_next() {
        let d = definition(
            r#"{"StartAt": "A", "States": {
                "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "B"},
                "B": {"Type": "Succeed"}}}"#,
        );
        assert_eq!(state(&d, "A").next, Some(id(&d, "B")));
        assert_eq!(state(&d, "B").kind, StateKind::Succeed);
    }

    #[test]
    fn task_timeout_defaults_to_aws_99999999_seconds_not_the_specs_60() {
        let t = only_task(
            r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f"}, "End": true}"#,
        );
        assert_eq!(t.timeout_seconds, TASK_TIMEOUT_DEFAULT_S);
        assert_ne!(t.timeout_seconds, SPEC_TASK_TIMEOUT_DEFAULT_S);
        assert!(!t.timeout_seconds_path);
        assert_eq!((t.heartbeat_seconds, t.heartbeat_seconds_path), (None, false));
        assert!(t.retry.is_empty() && t.catch.is_empty());
    }

    #[test]
    fn task_reads_timeout_and_heartbeat_or_their_paths() {
        let t = only_task(
            r#"{"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:Review",
                "TimeoutSeconds": 300, "HeartbeatSeconds": 60, "End": true}"#,
        );
        assert_eq!((t.timeout_seconds, t.heartbeat_seconds), (300, Some(60)));
        let t = only_task(
            r#"{"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:Review",
                "TimeoutSecondsPath": "$.timeout", "HeartbeatSecondsPath": "$.heartbeat", "End": true}"#,
        );
        assert!(t.timeout_seconds_path && t.heartbeat_seconds_path);
        assert_eq!((t.timeout_seconds, t.heartbeat_seconds), (TASK_TIMEOUT_DEFAULT_S, None));
    }

    #[test]
    fn heartbeat_must_be_shorter_than_timeout() {
        let body = r#"{"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:Review",
                       "TimeoutSeconds": 60, "HeartbeatSeconds": 60, "End": true}"#;
        assert_eq!(
            rejection(&single(body)),
            "state \"S\": field \"HeartbeatSeconds\": must be less than TimeoutSeconds, which is 60 (AWS)"
        );
    }

    #[test]
    fn timeout_and_its_path_together_are_rejected() {
        let body = r#"{"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:Review",
                       "TimeoutSeconds": 60, "TimeoutSecondsPath": "$.t", "End": true}"#;
        assert_eq!(
            rejection(&single(body)),
            "state \"S\": field \"TimeoutSecondsPath\": give TimeoutSeconds or TimeoutSecondsPath, not both (ASL)"
        );
    }

    #[test]
    fn wait_takes_seconds_timestamp_or_either_path() {
        let wait = |field: &str| match definition(&single(&format!(r#"{{"Type": "Wait", {field}, "End": true}}"#)))
            .states[0]
            .kind
            .clone()
        {
            StateKind::Wait(wait) => wait,
            other => panic!("{other:?}"),
        };
        assert_eq!(wait(r#""Seconds": 10"#), Wait::Seconds(10));
        assert_eq!(wait(r#""Seconds": 0"#), Wait::Seconds(0));
        assert_eq!(wait(r#""Timestamp": "2016-03-14T01:59:00Z""#), Wait::Timestamp("2016-03-14T01:59:00Z".into()));
        assert_eq!(
            wait(r#""Timestamp": "2024-02-29T23:59:59.250+01:00""#),
            Wait::Timestamp("2024-02-29T23:59:59.250+01:00".into())
        );
        assert_eq!(wait(r#""SecondsPath": "$.delay""#), Wait::SecondsPath);
        assert_eq!(wait(r#""TimestampPath": "$.until""#), Wait::TimestampPath);
    }

    #[test]
    fn wait_with_none_or_two_of_its_fields_is_rejected() {
        let message = "a Wait state takes exactly one of Seconds, Timestamp, SecondsPath and TimestampPath (ASL)";
        assert_eq!(
            rejection(&single(r#"{"Type": "Wait", "Seconds": 5, "SecondsPath": "$.s", "End": true}"#)),
            format!("state \"S\": field \"SecondsPath\": {message}")
        );
        assert_eq!(
            rejection(&single(r#"{"Type": "Wait", "End": true}"#)),
            format!("state \"S\": field \"Seconds\": {message}")
        );
    }

    #[test]
    fn wait_timestamp_must_be_rfc3339_with_uppercase_t_and_z() {
        for bad in
            ["2016-03-14 01:59:00Z", "2016-03-14t01:59:00z", "2016-13-14T01:59:00Z", "2016-03-14T01:59:00", "tomorrow"]
        {
            let error = rejection(&single(&format!(r#"{{"Type": "Wait", "Timestamp": "{bad}", "End": true}}"#)));
            assert!(
                error.starts_with("state \"S\": field \"Timestamp\": must be an RFC 3339 timestamp"),
                "{bad}: {error}"
            );
        }
        let error = rejection(&single(r#"{"Type": "Wait", "Seconds": 1.5, "End": true}"#));
        assert_eq!(error, "state \"S\": field \"Seconds\": must be an integer from 0 to 99,999,999 (AWS)");
    }

    #[test]
    fn choice_resolves_each_rules_next_in_order_and_its_default() {
        let d = definition(
            r#"{"StartAt": "Route", "States": {
                "Route": {"Type": "Choice", "Choices": [
                    {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
                    {"Or": [{"Variable": "$.value", "IsPresent": false},
                            {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
                                     {"Variable": "$.value", "NumericLessThanPath": "$.limit"}]}],
                     "Next": "Small"},
                    {"Variable": "$.name", "StringMatches": "log-*.txt", "Next": "Public"},
                    {"Variable": "$.at", "TimestampGreaterThan": "2024-01-01T00:00:00Z", "Comment": "recent",
                     "Next": "Small"}
                ], "Default": "Other"},
                "Public": {"Type": "Succeed"},
                "Small": {"Type": "Succeed"},
                "Other": {"Type": "Fail"}}}"#,
        );
        let (public, small, other) = (id(&d, "Public"), id(&d, "Small"), id(&d, "Other"));
        assert_eq!(
            state(&d, "Route").kind,
            StateKind::Choice(Choice { choices: vec![public, small, public, small], default: Some(other) })
        );
        assert_eq!(state(&d, "Route").next, None);
    }

    #[test]
    fn choice_without_default_has_none() {
        let d = definition(
            r#"{"StartAt": "C", "States": {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Done"}]},
                "Done": {"Type": "Succeed"}}}"#,
        );
        assert_eq!(state(&d, "C").kind, StateKind::Choice(Choice { choices: vec![id(&d, "Done")], default: None }));
    }

    /// A machine whose Choice "C" has the one rule `rule` leading to "Done".
    fn choice_rule(rule: &str) -> String {
        format!(
            r#"{{"StartAt": "C", "States": {{
                "C": {{"Type": "Choice", "Choices": [{rule}], "Default": "Done"}},
                "Done": {{"Type": "Succeed"}}}}}}"#
        )
    }

    #[test]
    fn unknown_comparison_operator_is_rejected() {
        assert_eq!(
            rejection(&choice_rule(r#"{"Variable": "$.x", "StringEqual": "a", "Next": "Done"}"#)),
            "state \"C\": field \"Choices[0].StringEqual\": not a comparison operator nor a field of a Choice rule \
             (ASL)"
        );
        assert_eq!(
            rejection(&choice_rule(r#"{"Variable": "$.x", "StringMatchesPath": "$.y", "Next": "Done"}"#)),
            "state \"C\": field \"Choices[0].StringMatchesPath\": not a comparison operator nor a field of a Choice \
             rule (ASL)"
        );
    }

    #[test]
    fn comparison_operand_of_the_wrong_type_is_rejected() {
        assert_eq!(
            rejection(&choice_rule(r#"{"Variable": "$.x", "NumericEquals": "5", "Next": "Done"}"#)),
            "state \"C\": field \"Choices[0].NumericEquals\": must be a number (ASL)"
        );
        assert_eq!(
            rejection(&choice_rule(r#"{"Variable": "$.x", "StringEqualsPath": "x", "Next": "Done"}"#)),
            "state \"C\": field \"Choices[0].StringEqualsPath\": must be a path string starting with $ (ASL)"
        );
        assert_eq!(
            rejection(&choice_rule(r#"{"Variable": "$.x", "IsNull": "yes", "Next": "Done"}"#)),
            "state \"C\": field \"Choices[0].IsNull\": must be true or false (ASL)"
        );
    }

    #[test]
    fn choice_rules_hold_exactly_one_test_with_variable_only_for_comparisons() {
        assert_eq!(
            rejection(&choice_rule(r#"{"Variable": "$.x", "NumericEquals": 1, "NumericLessThan": 2, "Next": "Done"}"#)),
            "state \"C\": field \"Choices[0].NumericLessThan\": a rule holds one test, and this one already has \
             NumericEquals (ASL)"
        );
        assert_eq!(
            rejection(&choice_rule(r#"{"NumericEquals": 1, "Next": "Done"}"#)),
            "state \"C\": field \"Choices[0].Variable\": NumericEquals compares Variable, which is missing (ASL)"
        );
        assert_eq!(
            rejection(&choice_rule(r#"{"Variable": "$.x", "Next": "Done"}"#)),
            "state \"C\": field \"Choices[0]\": a Choice rule needs a comparison, And, Or or Not (ASL)"
        );
        assert_eq!(
            rejection(&choice_rule(
                r#"{"Variable": "$.x", "Not": {"Variable": "$.x", "IsNull": true}, "Next": "Done"}"#
            )),
            "state \"C\": field \"Choices[0].Variable\": And, Or and Not take no Variable (ASL)"
        );
        assert_eq!(
            rejection(&choice_rule(r#"{"And": [], "Next": "Done"}"#)),
            "state \"C\": field \"Choices[0].And\": must be a non-empty array of rules (ASL)"
        );
    }

    #[test]
    fn only_top_level_choice_rules_have_next() {
        assert_eq!(
            rejection(&choice_rule(r#"{"Variable": "$.x", "IsNull": true}"#)),
            "state \"C\": field \"Choices[0].Next\": a top-level Choice rule needs Next (ASL)"
        );
        assert_eq!(
            rejection(&choice_rule(
                r#"{"And": [{"Variable": "$.x", "IsNull": true, "Next": "Done"}], "Next": "Done"}"#
            )),
            "state \"C\": field \"Choices[0].And[0].Next\": only a top-level Choice rule has Next (ASL)"
        );
        assert_eq!(
            rejection(&single(r#"{"Type": "Choice", "Choices": []}"#)),
            "state \"S\": field \"Choices\": a Choice state needs a non-empty array of rules (ASL)"
        );
    }

    #[test]
    fn jsonata_choice_rules_test_a_condition() {
        let d = definition(
            r#"{"QueryLanguage": "JSONata", "StartAt": "C", "States": {
                "C": {"Type": "Choice", "Choices": [
                    {"Condition": "{% $states.input.total > 100 %}", "Next": "Big", "Output": {"big": true}}],
                 "Default": "Small"},
                "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}}}"#,
        );
        assert_eq!(
            state(&d, "C").kind,
            StateKind::Choice(Choice { choices: vec![id(&d, "Big")], default: Some(id(&d, "Small")) })
        );
        let jsonata = |rule: &str| {
            rejection(&format!(
                r#"{{"QueryLanguage": "JSONata", "StartAt": "C", "States": {{
                    "C": {{"Type": "Choice", "Choices": [{rule}], "Default": "Done"}},
                    "Done": {{"Type": "Succeed"}}}}}}"#
            ))
        };
        assert_eq!(
            jsonata(r#"{"Not": {"Condition": "{% true %}"}, "Next": "Done"}"#),
            "state \"C\": field \"Choices[0].Not\": JSONata Choice rules test a Condition; comparison operators, And, \
             Or and Not are JSONPath (AWS)"
        );
        assert!(
            jsonata(r#"{"Variable": "$.x", "IsNull": true, "Next": "Done"}"#)
                .starts_with("state \"C\": field \"Choices[0].Variable\": is a JSONPath field")
        );
        assert!(
            rejection(&choice_rule(r#"{"Condition": "{% true %}", "Next": "Done"}"#))
                .starts_with("state \"C\": field \"Choices[0].Condition\": is a JSONata field")
        );
    }

    #[test]
    fn choice_cannot_be_end_and_has_no_next() {
        assert_eq!(
            rejection(
                &choice_rule(r#"{"Variable": "$.x", "IsNull": true, "Next": "Done"}"#)
                    .replace(r#""Default": "Done""#, r#""Default": "Done", "End": true"#)
            ),
            "state \"C\": field \"End\": a Choice state cannot be End (ASL)"
        );
        assert_eq!(
            rejection(
                &choice_rule(r#"{"Variable": "$.x", "IsNull": true, "Next": "Done"}"#)
                    .replace(r#""Default": "Done""#, r#""Next": "Done""#)
            ),
            "state \"C\": field \"Next\": a Choice state has no Next: its rules and Default name where to go (ASL)"
        );
    }

    #[test]
    fn succeed_and_fail_are_terminal_without_next_or_end() {
        assert_eq!(
            rejection(&single(r#"{"Type": "Succeed", "End": true}"#)),
            "state \"S\": field \"End\": a Succeed state is terminal: no Next, no End (ASL)"
        );
        assert_eq!(
            rejection(&single(r#"{"Type": "Fail", "Next": "S"}"#)),
            "state \"S\": field \"Next\": a Fail state is terminal: no Next, no End (ASL)"
        );
    }

    #[test]
    fn fail_keeps_error_and_cause_unless_they_come_from_the_data() {
        let kind = |body: &str| definition(&single(body)).states[0].kind.clone();
        assert_eq!(
            kind(r#"{"Type": "Fail", "Error": "OrderRejected", "Cause": "bad"}"#),
            StateKind::Fail { error: Some("OrderRejected".into()), cause: Some("bad".into()) }
        );
        assert_eq!(kind(r#"{"Type": "Fail"}"#), StateKind::Fail { error: None, cause: None });
        assert_eq!(
            kind(r#"{"Type": "Fail", "ErrorPath": "$.error", "Cause": "c"}"#),
            StateKind::Fail { error: None, cause: Some("c".into()) }
        );
        assert_eq!(
            kind(r#"{"Type": "Fail", "QueryLanguage": "JSONata", "Error": "{% $states.input.e %}"}"#),
            StateKind::Fail { error: None, cause: None }
        );
    }

    #[test]
    fn states_other_than_choice_succeed_and_fail_need_exactly_one_of_next_and_end() {
        assert_eq!(
            rejection(&single(r#"{"Type": "Pass"}"#)),
            "state \"S\": field \"Next\": the state needs Next or End (ASL)"
        );
        assert_eq!(
            rejection(&single(r#"{"Type": "Pass", "Next": "S", "End": true}"#)),
            "state \"S\": field \"End\": a state has Next or End, not both (ASL)"
        );
        assert_eq!(
            rejection(&single(r#"{"Type": "Pass", "End": false}"#)),
            "state \"S\": field \"End\": must be true; to go on, give Next instead (ASL)"
        );
    }

    #[test]
    fn parallel_flattens_each_branch_into_its_own_scope() {
        let d = definition(
            r#"{"StartAt": "Both", "States": {
                "Both": {"Type": "Parallel", "Branches": [
                    {"StartAt": "A1", "States": {
                        "A1": {"Type": "Pass", "Next": "A2"}, "A2": {"Type": "Pass", "End": true}}},
                    {"Comment": "second", "StartAt": "B1", "States": {"B1": {"Type": "Succeed"}}}],
                 "Retry": [{"ErrorEquals": ["States.BranchFailed"]}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                 "Next": "Done"},
                "Done": {"Type": "Succeed"},
                "Failed": {"Type": "Fail"}}}"#,
        );
        assert_eq!(d.scopes.len(), 3);
        let StateKind::Parallel(parallel) = &state(&d, "Both").kind else { panic!() };
        assert_eq!(parallel.branches, vec![ScopeId(1), ScopeId(2)]);
        assert_eq!(parallel.retry.len(), 1);
        assert_eq!(parallel.catch, vec![Catcher { error_equals: names(&["States.ALL"]), next: id(&d, "Failed") }]);
        let first = d.scope(ScopeId(1));
        assert_eq!((first.kind, first.owner, first.start_at), (ScopeKind::Branch, Some(id(&d, "Both")), id(&d, "A1")));
        assert_eq!(first.states, vec![id(&d, "A1"), id(&d, "A2")]);
        assert_eq!(state(&d, "A1").next, Some(id(&d, "A2")));
        assert_eq!(state(&d, "B1").scope, ScopeId(2));
        assert_eq!(state(&d, "Both").next, Some(id(&d, "Done")));
        // The top level's states come first, then each branch's.
        assert_eq!(d.scope(ScopeId(0)).states, vec![StateId(0), StateId(1), StateId(2)]);
    }

    #[test]
    fn map_flattens_its_item_processor_into_a_map_iteration_scope() {
        let d = definition(
            r#"{"StartAt": "Each", "States": {
                "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 5,
                    "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Work",
                        "States": {"Work": {"Type": "Pass", "End": true}}},
                    "End": true}}}"#,
        );
        let each = map(&d, "Each");
        assert_eq!(each.processor, ScopeId(1));
        assert_eq!(each.mode, MapMode::Inline);
        assert_eq!((each.max_concurrency, each.concurrency_limit()), (5, Some(5)));
        assert_eq!(d.scope(ScopeId(1)).kind, ScopeKind::MapIteration);
        assert_eq!(d.scope(ScopeId(1)).owner, Some(id(&d, "Each")));
        assert_eq!(state(&d, "Work").scope, ScopeId(1));
    }

    #[test]
    fn map_accepts_the_deprecated_iterator_but_not_both() {
        let iterator = r#"{"StartAt": "Each", "States": {
            "Each": {"Type": "Map", "Parameters": {"x.$": "$$.Map.Item.Value"},
                "Iterator": {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": true}}}, "End": true}}}"#;
        let d = definition(iterator);
        assert_eq!((map(&d, "Each").mode, d.scope(ScopeId(1)).kind), (MapMode::Inline, ScopeKind::MapIteration));
        let both = iterator.replace(r#""End": true}}}"#, r#""ItemProcessor": {}, "End": true}}}"#);
        assert_eq!(
            rejection(&both),
            "state \"Each\": field \"Iterator\": give ItemProcessor or the deprecated Iterator, not both (ASL)"
        );
        assert_eq!(
            rejection(&single(r#"{"Type": "Map", "End": true}"#)),
            "state \"S\": field \"ItemProcessor\": a Map state needs ItemProcessor (or the deprecated Iterator) (ASL)"
        );
    }

    /// A machine whose Map "M" has the extra fields `fields` and processor config `config`.
    fn map_with(fields: &str, config: &str) -> String {
        format!(
            r#"{{"StartAt": "M", "States": {{"M": {{"Type": "Map", {fields}
                "ItemProcessor": {{"ProcessorConfig": {config}, "StartAt": "W",
                    "States": {{"W": {{"Type": "Succeed"}}}}}},
                "End": true}}}}}}"#
        )
    }

    #[test]
    fn distributed_map_reads_execution_type_and_tolerated_failures() {
        let d = definition(&map_with(
            r#""ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b"}},
               "ItemBatcher": {"MaxItemsPerBatch": 100}, "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
               "Parameters": {"Bucket": "b", "Prefix": "out"}}, "Label": "Resize", "MaxConcurrency": 1000,
               "ToleratedFailurePercentage": 5, "ToleratedFailureCountPath": "$.maxFailures","#,
            r#"{"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}"#,
        ));
        let m = map(&d, "M");
        assert_eq!(m.mode, MapMode::Distributed { execution_type: ExecutionType::Express });
        assert_eq!((m.tolerated_failure_percentage, m.tolerated_failure_percentage_path), (Some(5.0), false));
        assert_eq!((m.tolerated_failure_count, m.tolerated_failure_count_path), (None, true));
        assert_eq!(m.concurrency_limit(), Some(1000));
    }

    #[test]
    fn inline_map_concurrency_is_capped_at_40_and_distributed_at_10000() {
        let limit = |fields: &str, config: &str| map(&definition(&map_with(fields, config)), "M").concurrency_limit();
        let inline = r#"{"Mode": "INLINE"}"#;
        let distributed = r#"{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}"#;
        assert_eq!(limit("", inline), Some(INLINE_MAP_CONCURRENCY_MAX));
        assert_eq!(limit(r#""MaxConcurrency": 100,"#, inline), Some(40));
        assert_eq!(limit(r#""MaxConcurrency": 1,"#, inline), Some(1));
        assert_eq!(limit(r#""MaxConcurrencyPath": "$.n","#, inline), None);
        assert_eq!(limit("", distributed), Some(DISTRIBUTED_MAP_CONCURRENCY_MAX));
        assert_eq!(limit(r#""MaxConcurrency": 0,"#, distributed), Some(10_000));
    }

    #[test]
    fn distributed_only_fields_are_rejected_on_an_inline_map() {
        assert_eq!(
            rejection(&map_with(r#""ToleratedFailurePercentage": 10,"#, r#"{"Mode": "INLINE"}"#)),
            "state \"M\": field \"ToleratedFailurePercentage\": belongs to Distributed Maps; this Map is Inline (AWS)"
        );
        assert_eq!(
            rejection(&map_with(r#""ItemReader": {},"#, "{}")),
            "state \"M\": field \"ItemReader\": belongs to Distributed Maps; this Map is Inline (AWS)"
        );
    }

    #[test]
    fn map_processor_config_is_checked() {
        assert_eq!(
            rejection(&map_with("", r#"{"Mode": "DISTRIBUTED"}"#)),
            "state \"M\": field \"ItemProcessor.ProcessorConfig.ExecutionType\": a DISTRIBUTED Map needs \
             ExecutionType, STANDARD or EXPRESS (ASL)"
        );
        assert_eq!(
            rejection(&map_with("", r#"{"Mode": "INLINE", "ExecutionType": "EXPRESS"}"#)),
            "state \"M\": field \"ItemProcessor.ProcessorConfig.ExecutionType\": only a DISTRIBUTED Map has \
             ExecutionType (ASL)"
        );
        assert_eq!(
            rejection(&map_with("", r#"{"Mode": "inline"}"#)),
            "state \"M\": field \"ItemProcessor.ProcessorConfig.Mode\": must be \"INLINE\" or \"DISTRIBUTED\" (ASL)"
        );
        assert_eq!(
            rejection(&map_with(
                r#""Label": "a label much longer than forty characters, really","#,
                r#"{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}"#
            )),
            "state \"M\": field \"Label\": must be a string of at most 40 characters (AWS)"
        );
        assert_eq!(
            rejection(&map_with(
                r#""ToleratedFailurePercentage": 101,"#,
                r#"{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}"#
            )),
            "state \"M\": field \"ToleratedFailurePercentage\": must be a number from 0 to 100 (AWS)"
        );
    }

    #[test]
    fn next_into_a_branch_is_rejected() {
        let text = r#"{"StartAt": "Start", "States": {
            "Start": {"Type": "Pass", "Next": "Inner"},
            "Both": {"Type": "Parallel", "Branches": [{"StartAt": "Inner", "States": {"Inner": {"Type": "Succeed"}}}],
                     "End": true}}}"#;
        assert_eq!(
            rejection(text),
            "state \"Start\": field \"Next\": \"Inner\" is in another scope: Next, Default and Catch lead only to \
             states of the same level, Parallel branch or Map iteration (ASL)"
        );
    }

    #[test]
    fn next_out_of_a_branch_is_rejected() {
        let text = r#"{"StartAt": "Both", "States": {
            "Both": {"Type": "Parallel", "Branches": [
                {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Next": "After"}}}], "Next": "After"},
            "After": {"Type": "Succeed"}}}"#;
        assert_eq!(
            rejection(text),
            "state \"Inner\": field \"Next\": \"After\" is in another scope: Next, Default and Catch lead only to \
             states of the same level, Parallel branch or Map iteration (ASL)"
        );
    }

    #[test]
    fn choice_and_catch_into_a_map_iteration_are_rejected() {
        let text = |route: &str| {
            format!(
                r#"{{"StartAt": "Each", "States": {{
                    "Each": {{"Type": "Map", "ItemProcessor": {{"StartAt": "Work", "States": {{
                        "Work": {{"Type": "Pass", "End": true}}}}}}, {route}}},
                    "Done": {{"Type": "Succeed"}}}}}}"#
            )
        };
        assert!(
            rejection(&text(r#""Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Work"}], "Next": "Done""#))
                .starts_with("state \"Each\": field \"Catch[0].Next\": \"Work\" is in another scope")
        );
        let choice = r#"{"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": true, "Next": "P1"}], "Default": "Both"},
            "Both": {"Type": "Parallel", "Branches": [{"StartAt": "P1", "States": {"P1": {"Type": "Succeed"}}}],
                     "End": true}}}"#;
        assert!(rejection(choice).starts_with("state \"C\": field \"Choices[0].Next\": \"P1\" is in another scope"));
    }

    #[test]
    fn next_to_a_missing_state_is_rejected() {
        assert_eq!(
            rejection(&single(r#"{"Type": "Pass", "Next": "Nowhere"}"#)),
            "state \"S\": field \"Next\": no state is named \"Nowhere\" (ASL)"
        );
    }

    #[test]
    fn start_at_must_name_a_state_of_its_own_scope() {
        assert_eq!(
            rejection(r#"{"StartAt": "Missing", "States": {"S": {"Type": "Succeed"}}}"#),
            "field \"StartAt\": no state is named \"Missing\" (ASL)"
        );
        let text = r#"{"StartAt": "Both", "States": {
            "Both": {"Type": "Parallel", "Branches": [
                {"StartAt": "Both", "States": {"Inner": {"Type": "Succeed"}}}], "End": true}}}"#;
        assert!(
            rejection(text).starts_with("state \"Both\": field \"Branches[0].StartAt\": \"Both\" is in another scope")
        );
    }

    #[test]
    fn state_names_longer_than_80_characters_are_rejected() {
        let long = "x".repeat(81);
        assert_eq!(
            rejection(&format!(r#"{{"StartAt": "{long}", "States": {{"{long}": {{"Type": "Succeed"}}}}}}"#)),
            format!("state \"{long}\": the name has 81 characters; at most 80 are allowed (ASL)")
        );
        let fine = "é".repeat(80);
        definition(&format!(r#"{{"StartAt": "{fine}", "States": {{"{fine}": {{"Type": "Succeed"}}}}}}"#));
    }

    #[test]
    fn state_names_are_unique_across_branches() {
        let text = r#"{"StartAt": "Work", "States": {
            "Work": {"Type": "Parallel", "Branches": [
                {"StartAt": "Step", "States": {"Step": {"Type": "Succeed"}}},
                {"StartAt": "Step", "States": {"Step": {"Type": "Succeed"}}}], "End": true}}}"#;
        assert_eq!(
            rejection(text),
            "state \"Step\": another state has this name; names are unique across the whole state machine, branches \
             and iterations included (AWS: DUPLICATE_STATE_NAME)"
        );
    }

    #[test]
    fn unreachable_states_are_rejected() {
        let text = r#"{"StartAt": "A", "States": {
            "A": {"Type": "Pass", "End": true},
            "Orphan": {"Type": "Pass", "Next": "A"}}}"#;
        assert_eq!(
            rejection(text),
            "state \"Orphan\": is not reachable from \"A\", the StartAt of its scope: no Next, Choice rule, Default or \
             Catch leads to it (AWS: MISSING_TRANSITION_TARGET)"
        );
    }

    #[test]
    fn unknown_state_type_is_rejected() {
        assert_eq!(
            rejection(&single(r#"{"Type": "Sleep", "End": true}"#)),
            "state \"S\": field \"Type\": must be one of Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map (ASL)"
        );
        assert_eq!(rejection(&single(r#"{"End": true}"#)), "state \"S\": field \"Type\": is required (ASL)");
    }

    #[test]
    fn unknown_fields_are_rejected_naming_state_and_field() {
        let error = rejection(&single(r#"{"Type": "Task", "Resouce": "arn:aws:states:::lambda:invoke", "End": true}"#));
        assert!(
            error.starts_with("state \"S\": field \"Resouce\": not a field of a Task state, which takes Type, Comment"),
            "{error}"
        );
        assert_eq!(
            retrier(r#"{"ErrorEquals": ["E"], "MaxAttempt": 2}"#).unwrap_err(),
            "state \"S\": field \"Retry[0].MaxAttempt\": not a field here; allowed: ErrorEquals, IntervalSeconds, \
             MaxAttempts, BackoffRate, MaxDelaySeconds, JitterStrategy, Comment (ASL)"
        );
        assert!(
            rejection(&single(r#"{"Type": "Wait", "Seconds": 1, "Resource": "x", "End": true}"#))
                .starts_with("state \"S\": field \"Resource\": not a field of a Wait state")
        );
        assert_eq!(
            rejection(&single(r#"{"Type": "Pass", "Next": "S", "Next": "S"}"#)),
            "state \"S\": field \"Next\": appears twice (ASL)"
        );
    }

    #[test]
    fn retry_and_catch_are_only_allowed_on_task_parallel_and_map() {
        for body in [
            r#"{"Type": "Pass", "Retry": [], "End": true}"#,
            r#"{"Type": "Wait", "Seconds": 1, "Retry": [], "End": true}"#,
            r#"{"Type": "Succeed", "Retry": []}"#,
            r#"{"Type": "Fail", "Retry": []}"#,
        ] {
            assert_eq!(
                rejection(&single(body)),
                "state \"S\": field \"Retry\": only Task, Parallel and Map states have Retry (ASL)"
            );
        }
        assert_eq!(
            rejection(
                &choice_rule(r#"{"Variable": "$.x", "IsNull": true, "Next": "Done"}"#)
                    .replace(r#""Default": "Done""#, r#""Default": "Done", "Catch": []"#)
            ),
            "state \"C\": field \"Catch\": only Task, Parallel and Map states have Catch (ASL)"
        );
    }

    #[test]
    fn states_all_must_stand_alone_in_the_last_retrier_and_catcher() {
        assert_eq!(
            retrier(r#"{"ErrorEquals": ["States.ALL", "Custom"]}"#).unwrap_err(),
            "state \"S\": field \"Retry[0].ErrorEquals\": States.ALL must appear alone (ASL)"
        );
        assert_eq!(
            retrier(r#"{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["Custom"]}"#).unwrap_err(),
            "state \"S\": field \"Retry[0].ErrorEquals\": States.ALL may appear only in the last retrier (ASL)"
        );
        let text = r#"{"StartAt": "S", "States": {
            "S": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}, {"ErrorEquals": ["E"], "Next": "F"}],
                  "End": true},
            "F": {"Type": "Fail"}}}"#;
        assert_eq!(
            rejection(text),
            "state \"S\": field \"Catch[0].ErrorEquals\": States.ALL may appear only in the last catcher (ASL)"
        );
        assert_eq!(
            retrier(r#"{"ErrorEquals": []}"#).unwrap_err(),
            "state \"S\": field \"Retry[0].ErrorEquals\": must be a non-empty array of error names (ASL)"
        );
    }

    #[test]
    fn backoff_rate_below_one_is_rejected_naming_state_and_field() {
        let text = r#"{"StartAt": "CheckStock", "States": {
            "CheckStock": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                           "Parameters": {"FunctionName": "CheckStock"},
                           "Retry": [{"ErrorEquals": ["States.TaskFailed"], "BackoffRate": 0.5}], "End": true}}}"#;
        let error = read(text).unwrap_err();
        assert_eq!(
            error,
            AslError {
                state: Some("CheckStock".into()),
                field: "Retry[0].BackoffRate".into(),
                message: "must be at least 1.0 (ASL)".into()
            }
        );
        assert_eq!(
            error.to_string(),
            r#"state "CheckStock": field "Retry[0].BackoffRate": must be at least 1.0 (ASL)"#
        );
    }

    #[test]
    fn retrier_limits_are_checked() {
        assert_eq!(
            retrier(r#"{"ErrorEquals": ["E"], "MaxDelaySeconds": 0}"#).unwrap_err(),
            "state \"S\": field \"Retry[0].MaxDelaySeconds\": must be an integer from 1 to 31,622,400 (ASL)"
        );
        assert!(retrier(r#"{"ErrorEquals": ["E"], "MaxDelaySeconds": 31622401}"#).is_err());
        assert_eq!(
            retrier(r#"{"ErrorEquals": ["E"], "MaxDelaySeconds": 31622400}"#).unwrap().max_delay_seconds,
            Some(31_622_400)
        );
        assert_eq!(
            retrier(r#"{"ErrorEquals": ["E"], "IntervalSeconds": 0}"#).unwrap_err(),
            "state \"S\": field \"Retry[0].IntervalSeconds\": must be a positive integer of at most 99,999,999 (ASL)"
        );
        assert_eq!(retrier(r#"{"ErrorEquals": ["E"], "MaxAttempts": 0}"#).unwrap().max_attempts, 0);
        assert_eq!(
            retrier(r#"{"ErrorEquals": ["E"], "JitterStrategy": "HALF"}"#).unwrap_err(),
            "state \"S\": field \"Retry[0].JitterStrategy\": must be \"FULL\" or \"NONE\" (AWS)"
        );
    }

    #[test]
    fn retrier_defaults_are_one_second_three_retries_and_backoff_two() {
        assert_eq!(
            retrier(r#"{"ErrorEquals": ["States.Timeout"]}"#).unwrap(),
            Retrier {
                error_equals: names(&["States.Timeout"]),
                interval_seconds: 1,
                max_attempts: 3,
                backoff_rate: 2.0,
                max_delay_seconds: None,
                jitter: Jitter::None,
            }
        );
    }

    #[test]
    fn retrier_reads_every_field() {
        let r = retrier(
            r#"{"ErrorEquals": ["Lambda.ServiceException", "Lambda.TooManyRequestsException"], "IntervalSeconds": 2,
                "MaxAttempts": 6, "BackoffRate": 1.5, "MaxDelaySeconds": 30, "JitterStrategy": "FULL",
                "Comment": "c"}"#,
        )
        .unwrap();
        assert_eq!(r.error_equals, names(&["Lambda.ServiceException", "Lambda.TooManyRequestsException"]));
        assert_eq!((r.interval_seconds, r.max_attempts, r.backoff_rate), (2, 6, 1.5));
        assert_eq!((r.max_delay_seconds, r.jitter), (Some(30), Jitter::Full));
    }

    #[test]
    fn jsonpath_fields_are_rejected_in_a_jsonata_state() {
        let error = rejection(&single(
            r#"{"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f"}, "End": true}"#,
        ));
        assert_eq!(
            error,
            "state \"S\": field \"Parameters\": is a JSONPath field and this state uses JSONata, which has Arguments, \
             Output and {% %} expressions instead (AWS)"
        );
        let error =
            rejection(&single(r#"{"Type": "Wait", "QueryLanguage": "JSONata", "SecondsPath": "$.s", "End": true}"#));
        assert!(error.starts_with("state \"S\": field \"SecondsPath\": is a JSONPath field"));
    }

    #[test]
    fn jsonata_fields_are_rejected_in_a_jsonpath_state() {
        assert_eq!(
            rejection(&single(r#"{"Type": "Pass", "Output": {"a": 1}, "End": true}"#)),
            "state \"S\": field \"Output\": is a JSONata field and this state uses JSONPath (set QueryLanguage to \
             JSONata to use it) (AWS)"
        );
        let text = r#"{"StartAt": "S", "States": {
            "S": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Output": {}, "Next": "F"}], "End": true},
            "F": {"Type": "Fail"}}}"#;
        assert!(rejection(text).starts_with("state \"S\": field \"Catch[0].Output\": is a JSONata field"));
    }

    #[test]
    fn a_jsonpath_machine_may_hold_jsonata_states_but_not_the_reverse() {
        let mixed = r#"{"StartAt": "A", "States": {
            "A": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
                  "Arguments": {"FunctionName": "{% $states.input.fn %}", "Payload": "{% $states.input %}"},
                  "TimeoutSeconds": "{% $states.input.timeout %}", "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"x.$": "$.y"}, "End": true}}}"#;
        let d = definition(mixed);
        let a = task(&d, "A");
        assert_eq!(a.resource, Resource::Lambda { function: Target::FromData });
        assert!(a.timeout_seconds_path);
        let reverse = r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}}"#;
        assert_eq!(
            rejection(reverse),
            "state \"A\": field \"QueryLanguage\": a JSONata state machine cannot hold JSONPath states (AWS)"
        );
    }

    #[test]
    fn lambda_invoke_takes_the_function_name_without_arn_alias_or_version() {
        for function in [
            "ProcessOrder",
            "ProcessOrder:prod",
            "ProcessOrder:7",
            "123456789012:function:ProcessOrder",
            "arn:aws:lambda:us-east-1:123456789012:function:ProcessOrder",
            "arn:aws:lambda:us-east-1:123456789012:function:ProcessOrder:$LATEST",
        ] {
            assert_eq!(
                classify(
                    "arn:aws:states:::lambda:invoke",
                    &format!(r#"{{"FunctionName": "{function}", "Payload.$": "$"}}"#)
                ),
                Ok((Resource::Lambda { function: Target::Named("ProcessOrder".into()) }, Pattern::RequestResponse)),
                "{function}"
            );
        }
        assert_eq!(
            classify("arn:aws:states:::lambda:invoke.waitForTaskToken", r#"{"FunctionName": "Notify"}"#),
            Ok((Resource::Lambda { function: Target::Named("Notify".into()) }, Pattern::WaitForTaskToken))
        );
    }

    #[test]
    fn a_lambda_function_arn_as_resource_is_a_lambda_task() {
        let t = only_task(
            r#"{"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:Hello:prod", "End": true}"#,
        );
        assert_eq!(
            (t.resource, t.pattern),
            (Resource::Lambda { function: Target::Named("Hello".into()) }, Pattern::RequestResponse)
        );
    }

    #[test]
    fn a_lambda_function_arn_without_region_and_account_names_the_function() {
        let t = only_task(r#"{"Type": "Task", "Resource": "arn:aws:lambda:::function:Hello", "End": true}"#);
        assert_eq!(t.resource, Resource::Lambda { function: Target::Named("Hello".into()) });
        for refused in ["arn:aws:lambda:eu-west-1::function:Hello", "arn:aws:lambda::123456789012:function:Hello"] {
            let body = format!(r#"{{"Type": "Task", "Resource": "{refused}", "End": true}}"#);
            assert!(rejection(&single(&body)).contains("is not a service integration"), "{refused}");
        }
    }

    #[test]
    fn a_name_taken_from_the_data_is_unknown() {
        assert_eq!(
            classify("arn:aws:states:::lambda:invoke", r#"{"FunctionName.$": "$.function"}"#),
            Ok((Resource::Lambda { function: Target::FromData }, Pattern::RequestResponse))
        );
        assert_eq!(
            classify("arn:aws:states:::sqs:sendMessage", r#"{"QueueUrl.$": "$.queue", "MessageBody.$": "$"}"#),
            Ok((Resource::SqsSend { queue: Target::FromData }, Pattern::RequestResponse))
        );
        let t = only_task(
            r#"{"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::sns:publish",
                "Arguments": "{% $states.input.request %}", "End": true}"#,
        );
        assert_eq!(t.resource, Resource::SnsPublish { topic: Target::FromData });
    }

    #[test]
    fn required_arguments_are_checked() {
        assert_eq!(
            classify("arn:aws:states:::lambda:invoke", r#"{"Payload.$": "$"}"#).unwrap_err(),
            "state \"S\": field \"Parameters.FunctionName\": the call needs FunctionName (AWS)"
        );
        assert_eq!(
            classify("arn:aws:states:::states:startExecution", r#"{"StateMachineArn": "Child"}"#).unwrap_err(),
            "state \"S\": field \"Parameters.StateMachineArn\": \"Child\" does not name a state machine (expected a state machine ARN) (AWS)"
        );
        assert_eq!(
            classify("arn:aws:states:::sns:publish", r#"{"Message": "hi"}"#).unwrap_err(),
            "state \"S\": field \"Parameters.TopicArn\": the call needs TopicArn, TargetArn or PhoneNumber (AWS)"
        );
        assert_eq!(
            classify("arn:aws:states:::sns:publish", r#"{"PhoneNumber": "+15555550100", "Message": "hi"}"#),
            Ok((Resource::SnsPublish { topic: Target::Endpoint }, Pattern::RequestResponse))
        );
    }

    #[test]
    fn a_queue_url_or_topic_arn_that_is_none_is_accepted_and_fails_with_the_services_error() {
        let malformed = |value: &str, error| Target::Malformed { value: value.to_string(), error };
        for (resource, parameters, expected) in [
            (
                "arn:aws:states:::sqs:sendMessage",
                r#"{"QueueUrl": "Orders"}"#,
                Resource::SqsSend { queue: malformed("Orders", "SQS.InvalidAddressException") },
            ),
            (
                "arn:aws:states:::aws-sdk:sqs:sendMessage",
                r#"{"QueueUrl": "sqs.us-east-1.amazonaws.com/123456789012/Orders"}"#,
                Resource::SqsSend {
                    queue: malformed("sqs.us-east-1.amazonaws.com/123456789012/Orders", "Sqs.InvalidAddressException"),
                },
            ),
            (
                "arn:aws:states:::sns:publish",
                r#"{"TopicArn": "TOPIC_ARN", "Message": "hi"}"#,
                Resource::SnsPublish { topic: malformed("TOPIC_ARN", "SNS.InvalidParameterException") },
            ),
            (
                "arn:aws:states:::aws-sdk:sns:publish",
                r#"{"TopicArn": "arn:aws:sqs:us-east-1:123456789012:Orders", "Message": "hi"}"#,
                Resource::SnsPublish {
                    topic: malformed("arn:aws:sqs:us-east-1:123456789012:Orders", "Sns.InvalidParameterException"),
                },
            ),
        ] {
            assert_eq!(classify(resource, parameters), Ok((expected, Pattern::RequestResponse)), "{parameters}");
        }
    }

    #[test]
    fn a_jsonata_string_constant_names_its_target_and_any_other_expression_leaves_it_to_the_data() {
        let lambda = |function: &str| {
            let body = format!(
                r#"{{"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
                    "Arguments": {{"FunctionName": "{function}"}}, "End": true}}"#
            );
            only_task(&body).resource
        };
        let foo = Resource::Lambda { function: Target::Named("Foo".into()) };
        assert_eq!(lambda("{% 'arn:aws:lambda:us-east-1:123456789012:function:Foo' %}"), foo);
        assert_eq!(lambda(r#"{%  \"Foo\"  %}"#), foo);
        assert_eq!(lambda("{%'Foo:live'%}"), foo);
        let from_data = Resource::Lambda { function: Target::FromData };
        assert_eq!(lambda("{% $states.input.fn %}"), from_data);
        assert_eq!(lambda("{% 'Fo' & 'o' %}"), from_data);
        assert_eq!(lambda(r#"{% 'F\\u006fo' %}"#), from_data);
    }

    #[test]
    fn an_aws_sdk_resource_may_carry_a_region_and_an_account() {
        assert_eq!(
            classify("arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject", r#"{"Bucket": "b", "Key": "k"}"#),
            Ok((Resource::Other { service: "s3".into(), action: "getObject".into() }, Pattern::RequestResponse))
        );
        assert_eq!(
            classify(
                "arn:aws:states:eu-west-1:123456789012:aws-sdk:sqs:sendMessage.waitForTaskToken",
                r#"{"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/Jobs"}"#
            ),
            Ok((Resource::SqsSend { queue: Target::Named("Jobs".into()) }, Pattern::WaitForTaskToken))
        );
        for refused in [
            "arn:aws:states:us-east-1:12345:aws-sdk:s3:getObject",
            "arn:aws:states:us-east-1:123456789012:stateMachine:Child",
            "arn:aws:states:us-east-1:123456789012:lambda:invoke",
        ] {
            assert_eq!(
                classify(refused, r#"{"FunctionName": "F"}"#).unwrap_err(),
                format!(
                    "state \"S\": field \"Resource\": \"{refused}\" is not a service integration \
                     (arn:aws:states:::SERVICE:ACTION), an activity ARN or a Lambda function ARN (ASL)"
                )
            );
        }
    }

    #[test]
    fn sqs_send_takes_the_queue_from_the_urls_last_segment() {
        assert_eq!(
            classify(
                "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                r#"{"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/Approvals",
                    "MessageBody": {"TaskToken.$": "$$.Task.Token"}}"#
            ),
            Ok((Resource::SqsSend { queue: Target::Named("Approvals".into()) }, Pattern::WaitForTaskToken))
        );
    }

    #[test]
    fn sns_publish_takes_the_topic_from_the_arn() {
        assert_eq!(
            classify(
                "arn:aws:states:::sns:publish",
                r#"{"TopicArn": "arn:aws:sns:us-east-1:123456789012:Orders", "Message.$": "$"}"#
            ),
            Ok((Resource::SnsPublish { topic: Target::Named("Orders".into()) }, Pattern::RequestResponse))
        );
    }

    #[test]
    fn start_execution_takes_the_state_machine_name_and_each_pattern() {
        let arn =
            r#"{"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Child:live", "Input.$": "$"}"#;
        let child = Resource::StartExecution { state_machine: Target::Named("Child".into()) };
        for (suffix, pattern) in [
            ("", Pattern::RequestResponse),
            (".sync", Pattern::Sync),
            (".sync:2", Pattern::SyncV2),
            (".waitForTaskToken", Pattern::WaitForTaskToken),
        ] {
            assert_eq!(
                classify(&format!("arn:aws:states:::states:startExecution{suffix}"), arn),
                Ok((child.clone(), pattern))
            );
        }
    }

    #[test]
    fn an_activity_arn_is_an_activity() {
        let t = only_task(
            r#"{"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:ManualReview",
                "End": true}"#,
        );
        assert_eq!(
            (t.resource, t.pattern),
            (Resource::Activity { name: "ManualReview".into() }, Pattern::RequestResponse)
        );
    }

    #[test]
    fn other_integrations_and_sdk_calls_are_other() {
        assert_eq!(
            classify("arn:aws:states:::ecs:runTask.sync", r#"{"Cluster": "c", "TaskDefinition": "t"}"#),
            Ok((Resource::Other { service: "ecs".into(), action: "runTask".into() }, Pattern::Sync))
        );
        assert_eq!(
            classify("arn:aws:states:::dynamodb:putItem", r#"{"TableName": "Orders"}"#),
            Ok((Resource::Other { service: "dynamodb".into(), action: "putItem".into() }, Pattern::RequestResponse))
        );
        assert_eq!(
            classify("arn:aws:states:::aws-sdk:s3:getObject", r#"{"Bucket": "b", "Key": "k"}"#),
            Ok((Resource::Other { service: "s3".into(), action: "getObject".into() }, Pattern::RequestResponse))
        );
        assert_eq!(
            classify("arn:aws:states:::events:putEvents.waitForTaskToken", r#"{"Entries": []}"#),
            Ok((Resource::Other { service: "events".into(), action: "putEvents".into() }, Pattern::WaitForTaskToken))
        );
    }

    #[test]
    fn sdk_calls_of_the_modelled_apis_are_classified_like_the_optimized_ones() {
        assert_eq!(
            classify(
                "arn:aws:states:::aws-sdk:sqs:sendMessage",
                r#"{"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/Jobs", "MessageBody": "x"}"#
            ),
            Ok((Resource::SqsSend { queue: Target::Named("Jobs".into()) }, Pattern::RequestResponse))
        );
        assert_eq!(
            classify(
                "arn:aws:states:::aws-sdk:sfn:startExecution",
                r#"{"StateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:Kid"}"#
            ),
            Ok((Resource::StartExecution { state_machine: Target::Named("Kid".into()) }, Pattern::RequestResponse))
        );
    }

    #[test]
    fn patterns_outside_the_support_matrix_are_rejected() {
        assert_eq!(
            classify("arn:aws:states:::sqs:sendMessage.sync", r#"{"QueueUrl": "https://sqs/1/q"}"#).unwrap_err(),
            "state \"S\": field \"Resource\": the sqs integration cannot use .sync; it offers Request-Response and \
             .waitForTaskToken (AWS)"
        );
        assert_eq!(
            classify("arn:aws:states:::dynamodb:getItem.waitForTaskToken", "{}").unwrap_err(),
            "state \"S\": field \"Resource\": the dynamodb integration cannot use .waitForTaskToken; it offers \
             Request-Response only (AWS)"
        );
        assert_eq!(
            classify("arn:aws:states:::batch:submitJob.waitForTaskToken", "{}").unwrap_err(),
            "state \"S\": field \"Resource\": the batch integration cannot use .waitForTaskToken; it offers \
             Request-Response and .sync (AWS)"
        );
        assert_eq!(
            classify("arn:aws:states:::aws-sdk:ecs:runTask.sync", "{}").unwrap_err(),
            "state \"S\": field \"Resource\": AWS SDK integrations cannot use .sync; it offers Request-Response and \
             .waitForTaskToken (AWS)"
        );
        assert_eq!(
            classify("arn:aws:states:::lambda:invoke.sync:2", r#"{"FunctionName": "f"}"#).unwrap_err(),
            "state \"S\": field \"Resource\": the lambda integration cannot use .sync:2; it offers Request-Response \
             and .waitForTaskToken (AWS)"
        );
    }

    #[test]
    fn unknown_resources_suffixes_and_optimized_actions_are_rejected() {
        assert_eq!(
            classify("arn:aws:states:::lambda:invoke.async", r#"{"FunctionName": "f"}"#).unwrap_err(),
            "state \"S\": field \"Resource\": unknown integration pattern \".async\": use .sync, .sync:2 or \
             .waitForTaskToken (ASL)"
        );
        assert_eq!(
            classify("arn:aws:states:::sqs:receiveMessage", "{}").unwrap_err(),
            "state \"S\": field \"Resource\": the optimized sqs integration has no action \"receiveMessage\"; call \
             other actions through arn:aws:states:::aws-sdk:sqs:receiveMessage (AWS)"
        );
        assert_eq!(
            classify("${ProcessOrderFunctionArn}", "{}").unwrap_err(),
            "state \"S\": field \"Resource\": \"${ProcessOrderFunctionArn}\" is not a service integration \
             (arn:aws:states:::SERVICE:ACTION), an activity ARN or a Lambda function ARN (ASL)"
        );
        assert!(classify("arn:aws:states:::lambda", "{}").is_err());
    }

    #[test]
    fn an_error_matches_its_own_name_case_sensitively() {
        assert!(error_matches(&names(&["A", "B"]), "B"));
        assert!(!error_matches(&names(&["A", "B"]), "b"));
        assert!(!error_matches(&names(&["Lambda.ServiceException"]), "Lambda.Unknown"));
    }

    /// Which wildcards (`States.ALL`, `States.TaskFailed`, `States.Timeout`), then the error's
    /// own name, match `error` in an `ErrorEquals` of their own: one row of §4.2 each.
    fn matchers_of(error: &str) -> Vec<&str> {
        const WILDCARDS: [&str; 3] = ["States.ALL", "States.TaskFailed", "States.Timeout"];
        let own = (!WILDCARDS.contains(&error)).then_some(error);
        WILDCARDS.into_iter().chain(own).filter(|name| error_matches(&names(&[name]), error)).collect()
    }

    #[test]
    fn states_all_matches_everything_but_data_limit_exceeded_and_runtime() {
        let all = names(&["States.ALL"]);
        for error in [
            "States.Timeout",
            "States.HeartbeatTimeout",
            "States.TaskFailed",
            "States.Permissions",
            "States.BranchFailed",
            "States.NoChoiceMatched",
            "States.ResultPathMatchFailure",
            "States.ExceedToleratedFailureThreshold",
            "States.Http.Socket",
            "Lambda.Unknown",
            "Custom",
        ] {
            assert!(error_matches(&all, error), "{error}");
        }
        assert!(!error_matches(&all, "States.DataLimitExceeded"));
        assert!(!error_matches(&all, "States.Runtime"));
    }

    #[test]
    fn states_timeout_is_matched_by_its_name_and_states_all_but_not_by_task_failed() {
        assert_eq!(matchers_of("States.Timeout"), ["States.ALL", "States.Timeout"]);
    }

    #[test]
    fn a_missed_heartbeat_is_matched_by_its_name_states_timeout_and_states_all_but_not_task_failed() {
        assert_eq!(matchers_of("States.HeartbeatTimeout"), ["States.ALL", "States.Timeout", "States.HeartbeatTimeout"]);
        // A plain timeout is no missed heartbeat.
        assert!(!error_matches(&names(&["States.HeartbeatTimeout"]), "States.Timeout"));
    }

    #[test]
    fn states_task_failed_matches_everything_but_the_timeouts_and_the_named_only_errors() {
        let task_failed = names(&["States.TaskFailed"]);
        for error in ["States.TaskFailed", "Lambda.ServiceException", "States.Permissions", "States.NoChoiceMatched"] {
            assert!(error_matches(&task_failed, error), "{error}");
        }
        for error in ["States.Timeout", "States.HeartbeatTimeout", "States.DataLimitExceeded", "States.Runtime"] {
            assert!(!error_matches(&task_failed, error), "{error}");
        }
    }

    #[test]
    fn states_permissions_is_matched_by_its_name_and_both_wildcards() {
        assert_eq!(matchers_of("States.Permissions"), ["States.ALL", "States.TaskFailed", "States.Permissions"]);
    }

    #[test]
    fn data_limit_exceeded_is_matched_only_when_named_and_may_be_retried() {
        assert_eq!(matchers_of("States.DataLimitExceeded"), ["States.DataLimitExceeded"]);
        assert!(is_retriable("States.DataLimitExceeded"));
    }

    #[test]
    fn runtime_is_matched_only_when_named_and_never_retried() {
        assert_eq!(matchers_of("States.Runtime"), ["States.Runtime"]);
        assert!(!is_retriable("States.Runtime"));
        assert!(is_retriable("States.Timeout"));
    }

    #[test]
    fn branch_failed_is_a_plain_name_that_matches_no_branch_error() {
        assert_eq!(matchers_of("States.BranchFailed"), ["States.ALL", "States.TaskFailed", "States.BranchFailed"]);
        let branch_failed = names(&["States.BranchFailed"]);
        for error in ["QuorumNotMet", "States.Timeout", "States.TaskFailed", "Lambda.Unknown"] {
            assert!(!error_matches(&branch_failed, error), "{error}");
        }
    }

    #[test]
    fn no_choice_matched_is_matched_by_its_name_and_both_wildcards() {
        let error = "States.NoChoiceMatched";
        assert_eq!(matchers_of(error), ["States.ALL", "States.TaskFailed", error]);
    }

    #[test]
    fn data_processing_failures_are_matched_by_their_names_and_both_wildcards() {
        for error in [
            "States.ResultPathMatchFailure",
            "States.ParameterPathFailure",
            "States.IntrinsicFailure",
            "States.QueryEvaluationError",
        ] {
            assert_eq!(matchers_of(error), ["States.ALL", "States.TaskFailed", error]);
        }
    }

    #[test]
    fn distributed_map_failures_are_matched_by_their_names_and_both_wildcards() {
        for error in ["States.ExceedToleratedFailureThreshold", "States.ItemReaderFailed", "States.ResultWriterFailed"]
        {
            assert_eq!(matchers_of(error), ["States.ALL", "States.TaskFailed", error]);
        }
    }

    #[test]
    fn an_http_task_socket_timeout_is_no_states_timeout() {
        let error = "States.Http.Socket";
        assert_eq!(matchers_of(error), ["States.ALL", "States.TaskFailed", error]);
    }

    #[test]
    fn lambda_errors_are_matched_by_their_names_and_both_wildcards() {
        for error in [
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.ClientExecutionTimeoutException",
            "Lambda.TooManyRequestsException",
            "Lambda.Unknown",
            "Sandbox.Timedout",
        ] {
            assert_eq!(matchers_of(error), ["States.ALL", "States.TaskFailed", error]);
        }
    }

    #[test]
    fn the_shipped_order_processing_definition_parses() {
        let d = shipped("order_processing.asl.json");
        assert_eq!((d.timeout_seconds, d.scopes.len()), (Some(900), 3));
        assert_eq!(d.state(d.start_at).name, "Validate order");
        assert_eq!(
            task(&d, "Validate order").resource,
            Resource::Lambda { function: Target::Named("ValidateOrder".into()) }
        );
        assert_eq!(
            task(&d, "Notify customer").resource,
            Resource::SnsPublish { topic: Target::Named("OrderNotifications".into()) }
        );
        let reserve = task(&d, "Reserve inventory");
        assert_eq!((reserve.retry.len(), reserve.timeout_seconds), (3, 30));
        assert_eq!((reserve.retry[1].jitter, reserve.retry[1].max_delay_seconds), (Jitter::Full, Some(10)));
        assert_eq!(state(&d, "Reserve inventory").scope, ScopeId(1));
        assert_eq!(state(&d, "Charge payment").scope, ScopeId(2));
        let StateKind::Parallel(process) = &state(&d, "Process order").kind else { panic!() };
        assert_eq!(process.catch[0].next, id(&d, "Release inventory"));
        let StateKind::Choice(valid) = &state(&d, "Order valid?").kind else { panic!() };
        assert_eq!(valid.choices, vec![id(&d, "Process order"), id(&d, "Flag for review")]);
        assert_eq!(d.standard_only_feature(), None);
    }

    #[test]
    fn the_shipped_map_items_definition_parses() {
        let d = shipped("map_items.asl.json");
        assert_eq!(state(&d, "Wait for batch window").kind, StateKind::Wait(Wait::SecondsPath));
        let items = map(&d, "Process items");
        assert_eq!((items.mode, items.max_concurrency, items.concurrency_limit()), (MapMode::Inline, 10, Some(10)));
        assert_eq!(d.scope(items.processor).start_at, id(&d, "Price item"));
        assert_eq!(
            task(&d, "Queue restock request").resource,
            Resource::SqsSend { queue: Target::Named("RestockRequests".into()) }
        );
        assert_eq!(state(&d, "Restock needed?").scope, items.processor);
    }

    #[test]
    fn the_shipped_human_approval_definition_parses() {
        let d = shipped("human_approval.asl.json");
        let request = task(&d, "Request approval");
        assert_eq!(request.resource, Resource::SqsSend { queue: Target::Named("ApprovalRequests".into()) });
        assert_eq!(request.pattern, Pattern::WaitForTaskToken);
        assert_eq!((request.timeout_seconds, request.heartbeat_seconds), (86_400, None));
        assert_eq!(state(&d, "Wait before resending").kind, StateKind::Wait(Wait::Seconds(86_400)));
        assert_eq!(state(&d, "Wait before resending").next, Some(id(&d, "Request approval")));
        assert_eq!(
            d.standard_only_feature(),
            Some((id(&d, "Request approval"), "the .waitForTaskToken integration pattern"))
        );
    }

    /// In the style of AWS's public sample projects (a video transcoding pipeline): nested
    /// workflows, ECS and Batch jobs, callbacks, a Distributed Map, retries and catchers.
    const SAMPLE_PIPELINE: &str = r#"{
      "Comment": "Transcode uploaded videos: probe, transcode each rendition, publish, wait for a reviewer.",
      "StartAt": "Probe video",
      "States": {
        "Probe video": {
          "Type": "Task",
          "Resource": "arn:aws:states:::ecs:runTask.sync",
          "Parameters": {
            "LaunchType": "FARGATE",
            "Cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/media",
            "TaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/probe:3",
            "Overrides": {
              "ContainerOverrides": [{"Name": "probe", "Environment": [{"Name": "KEY", "Value.$": "$.key"}]}]
            }
          },
          "ResultPath": "$.probe",
          "Retry": [
            {"ErrorEquals": ["ECS.AmazonECSException"], "IntervalSeconds": 5, "MaxAttempts": 3, "BackoffRate": 2},
            {"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 10, "MaxAttempts": 1}
          ],
          "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Notify failure"}],
          "Next": "Is HDR?"
        },
        "Is HDR?": {
          "Type": "Choice",
          "Choices": [{"Variable": "$.probe.hdr", "BooleanEquals": true, "Next": "Tone map"}],
          "Default": "Transcode renditions"
        },
        "Tone map": {
          "Type": "Task",
          "Resource": "arn:aws:states:::batch:submitJob.sync",
          "Parameters": {"JobName": "tone-map", "JobQueue": "media", "JobDefinition": "tonemap:1"},
          "TimeoutSeconds": 3600,
          "Next": "Transcode renditions"
        },
        "Transcode renditions": {
          "Type": "Map",
          "Label": "Transcode",
          "MaxConcurrency": 50,
          "ToleratedFailurePercentage": 10,
          "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket.$": "$.bucket", "Key": "renditions.json"}
          },
          "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "Transcode",
            "States": {
              "Transcode": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "OutputPath": "$.Payload",
                "Parameters": {
                  "Payload.$": "$",
                  "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:Transcode"
                },
                "Retry": [
                  {
                    "ErrorEquals": ["Lambda.TooManyRequestsException"],
                    "IntervalSeconds": 1,
                    "MaxAttempts": 10,
                    "JitterStrategy": "FULL",
                    "MaxDelaySeconds": 20
                  }
                ],
                "End": true
              }
            }
          },
          "ResultWriter": {
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket.$": "$.bucket", "Prefix": "results"}
          },
          "ResultPath": "$.renditions",
          "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Notify failure"}],
          "Next": "Publish"
        },
        "Publish": {
          "Type": "Parallel",
          "Branches": [
            {
              "StartAt": "Update catalog",
              "States": {
                "Update catalog": {
                  "Type": "Task",
                  "Resource": "arn:aws:states:::states:startExecution.sync:2",
                  "Parameters": {
                    "StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:UpdateCatalog",
                    "Input": {"video.$": "$.key", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}
                  },
                  "End": true
                }
              }
            },
            {
              "StartAt": "Warm CDN",
              "States": {
                "Warm CDN": {"Type": "Wait", "Seconds": 30, "Next": "Purge cache"},
                "Purge cache": {
                  "Type": "Task",
                  "Resource": "arn:aws:states:::aws-sdk:cloudfront:createInvalidation",
                  "Parameters": {
                    "DistributionId": "E2EXAMPLE",
                    "InvalidationBatch": {
                      "CallerReference.$": "$$.Execution.Name",
                      "Paths": {"Quantity": 1, "Items": ["/*"]}
                    }
                  },
                  "End": true
                }
              }
            }
          ],
          "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
          "Next": "Wait for review"
        },
        "Wait for review": {
          "Type": "Task",
          "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
          "Parameters": {
            "FunctionName": "RequestReview:live",
            "Payload": {"token.$": "$$.Task.Token", "video.$": "$.key"}
          },
          "HeartbeatSeconds": 600,
          "TimeoutSeconds": 172800,
          "Catch": [{"ErrorEquals": ["States.Timeout", "States.HeartbeatTimeout"], "Next": "Notify failure"}],
          "Next": "Done"
        },
        "Done": {"Type": "Succeed"},
        "Notify failure": {
          "Type": "Task",
          "Resource": "arn:aws:states:::sns:publish",
          "Parameters": {
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:media-alerts",
            "Message.$": "States.JsonToString($)"
          },
          "Next": "Failed"
        },
        "Failed": {"Type": "Fail", "Error": "TranscodeFailed", "Cause": "See the execution history."}
      }
    }"#;

    #[test]
    fn a_definition_in_the_style_of_aws_samples_with_every_feature_parses() {
        let d = definition(SAMPLE_PIPELINE);
        assert_eq!(
            d.scopes.iter().map(|s| s.kind).collect::<Vec<_>>(),
            [ScopeKind::Top, ScopeKind::MapIteration, ScopeKind::Branch, ScopeKind::Branch]
        );
        assert_eq!(task(&d, "Probe video").pattern, Pattern::Sync);
        assert_eq!(
            task(&d, "Tone map").resource,
            Resource::Other { service: "batch".into(), action: "submitJob".into() }
        );
        assert_eq!(
            (task(&d, "Update catalog").resource.clone(), task(&d, "Update catalog").pattern),
            (Resource::StartExecution { state_machine: Target::Named("UpdateCatalog".into()) }, Pattern::SyncV2)
        );
        let review = task(&d, "Wait for review");
        assert_eq!(
            (review.resource.clone(), review.pattern),
            (Resource::Lambda { function: Target::Named("RequestReview".into()) }, Pattern::WaitForTaskToken)
        );
        let renditions = map(&d, "Transcode renditions");
        assert_eq!(renditions.mode, MapMode::Distributed { execution_type: ExecutionType::Express });
        assert_eq!(renditions.tolerated_failure_percentage, Some(10.0));
        assert_eq!(d.scope(renditions.processor).states, vec![id(&d, "Transcode")]);
        assert_eq!(state(&d, "Warm CDN").kind, StateKind::Wait(Wait::Seconds(30)));
        assert_eq!(d.standard_only_feature(), Some((id(&d, "Probe video"), "the .sync integration pattern")));
    }

    #[test]
    fn standard_only_features_are_reported_for_express_checks() {
        let feature = |body: &str| definition(&single(body)).standard_only_feature().map(|(_, why)| why);
        assert_eq!(
            feature(r#"{"Type": "Task", "Resource": "arn:aws:states:us-east-1:1:activity:A", "End": true}"#),
            Some("an activity")
        );
        assert_eq!(feature(r#"{"Type": "Pass", "End": true}"#), None);
        assert_eq!(
            feature(
                r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f"}, "End": true}"#
            ),
            None
        );
        let d = definition(&map_with("", r#"{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}"#));
        assert_eq!(d.standard_only_feature(), Some((id(&d, "M"), "a Distributed Map")));
    }
}
