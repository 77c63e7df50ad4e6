//! The definition model: a state machine's states, typed and indexed by `StateId`, with its
//! scopes, tasks, resources and targets, retriers and catchers, and AWS's limits on them.

use std::fmt;

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
