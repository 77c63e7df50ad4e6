//! Executions of a state machine in virtual time: the interpreter.
//!
//! Payloads are never evaluated, so the scenario says what the data would decide: the
//! weight of each Choice branch, how many items each Map gets, how long each SecondsPath or
//! TimestampPath wait lasts, how long each task takes and which errors it raises with what
//! probability. Everything else follows the Amazon States Language and AWS's documented
//! behaviour (`reference/aws-stepfunctions-lambda.md` §2–§4):
//! - each state entered is a state transition, each retry another (Standard billing);
//! - Retry: the first retrier whose ErrorEquals matches applies, with its own attempt
//!   counter for the state's execution; delay = Interval × BackoffRate^(n−1), capped by
//!   MaxDelaySeconds, with FULL jitter uniform in [0, delay]; exhausted → Catch → Next, or
//!   the thread fails. `States.Runtime` is never retried, even by a retrier naming it (§4.2);
//! - a Task's TimeoutSeconds fails it with `States.Timeout`;
//! - Parallel runs its branches at once and ends when all end; a failing branch fails the
//!   state with the branch's own error (a task's, a Fail state's `Error`, `States.Timeout`,
//!   an inner Parallel's or Map's), which the Parallel's Retry and Catch match, and stops
//!   the others. AWS's sample workflows catch a branch's custom errors on the Parallel; the
//!   spec's `States.BranchFailed` is never raised (§2 Parallel row, §4.2);
//! - an inline Map runs its iterations with at most MaxConcurrency at once (0 means
//!   unlimited, which AWS caps at 40 for inline Maps); one failed iteration fails the Map
//!   with the iteration's own error and stops the others;
//! - an execution that runs past 1 year (Standard) or 5 minutes (Express), or past the
//!   definition's TimeoutSeconds, fails with `States.Timeout`.
//!
//! The runtime never touches another service: a Lambda task asks the world to invoke the
//! function and is told how it ended; other integrations are drawn from the state's
//! latency distribution. The world schedules the events the runtime asks for.
//!
//! Workflow types (§2): Standard executions are exactly-once, last up to a year, and are
//! billed per state transition (each state entered, each retry); their transitions draw on
//! the account's token bucket and wait when it is empty (they are delayed, never failed).
//! Express executions last up to 5 minutes and are billed per request plus GB-seconds
//! (duration rounded up to 100 ms, memory in 64 MB chunks from AWS's estimate); an async
//! Express execution may run again from the start (at-least-once), at a configured rate,
//! each restart counted and billed as a request; a sync Express execution's caller waits,
//! and that wait is recorded.
//!
//! A `.sync` job of a service the scenario does not simulate (ECS RunTask, Batch SubmitJob,
//! Glue, …) is a latency task like any other: its duration is the job's run time to the moment
//! Step Functions sees it end, one state transition however long it runs.
//!
//! A `.waitForTaskToken` task that sends to a simulated queue carries its task token in the
//! message; the queue's consumer answers when it deletes the message, and the drawn error,
//! if any, is its SendTaskFailure. Any other callback task is answered `callback_s` after its
//! call (after the function has run, for Lambda). Consumers send no SendTaskHeartbeat, so
//! `HeartbeatSeconds` limits a callback task from its start; an answer after the task has
//! timed out is ignored, as AWS rejects its token.
//!
//! A missed heartbeat (a callback's or an activity's) fails the task with
//! `States.HeartbeatTimeout`, which `asl::error_matches` lets `States.Timeout` match too:
//! AWS's state-task page says heartbeat expiry fails the task with `States.Timeout`, and
//! AWS's sample workflows catch it with that name, while the spec names it
//! `States.HeartbeatTimeout` (§4.2, §10 item 2). Raising one name that both match is the
//! model's choice; an error name is seen only by Retry and Catch, so it needs no setting.
//!
//! Nested executions (`states:startExecution`, §3.3): the call starts an execution of another
//! machine of the scenario, billed by that machine's own type and counted against its
//! StartExecution quota (a throttled start fails the task with
//! `StepFunctions.ThrottlingException`). Request-response ends with the call; `.sync` and
//! `.sync:2` end when the child ends, failing with `States.TaskFailed` unless it succeeded.
//! Step Functions learns of the child's end at once: the DescribeExecution polling AWS
//! mentions has no published interval, so it is neither timed nor drawn from its quota. A
//! child outlives a parent task that timed out.
//!
//! A Distributed Map runs each item as a child execution of its item processor, of the Map's
//! `ExecutionType`: a machine of its own (`PARENT/MAP`), so its executions, transitions or
//! GB-seconds and cost are reported apart from the parent's. Each child started is one
//! transition of the parent. Children are dispatched at up to 100/s (Standard) or 1,000/s
//! (Express) per Map Run, at most MaxConcurrency (default 10,000) at once, and do not draw
//! from the account's StartExecution bucket. Failures beyond the tolerated count or
//! percentage fail the Map with `States.ExceedToleratedFailureThreshold`; children still
//! running then run to their end, unobserved.
//!
//! Activities (§5): a task on an activity waits in the activity's queue until one of its
//! workers, each holding a `GetActivityTask` long poll, takes it. TimeoutSeconds and
//! HeartbeatSeconds count from that moment (`ActivityStarted`), not from scheduling. The
//! worker runs for the state's `duration_s`, then calls SendTaskSuccess or SendTaskFailure.
//! Workers send SendTaskHeartbeat every `heartbeat_s` if configured; without heartbeats, or
//! with a longer interval than the state's HeartbeatSeconds, the task fails with a missed
//! heartbeat (above) once it runs longer than HeartbeatSeconds. A worker whose task
//! timed out works on to its end, as a real worker does not know. GetActivityTask,
//! SendTaskSuccess and SendTaskFailure each have the Region's bucket of their own, shared by
//! its activities; a throttled call waits for its token. Long polls that return empty (one
//! per idle worker per 60 s) and heartbeats are counted but do not draw from a bucket: at
//! the 1,000-worker limit they are under 17 calls/s against a refill of 300–500/s.
//!
//! (Standard executions' EventBridge status events are sent by the world when the scenario
//! has a default bus.)

use std::collections::{BTreeMap, VecDeque};

use super::asl::{self, Definition, ExecutionType, MapMode, Pattern, Resource, StateKind, Target};
use super::billing;
use super::retry::{self, Jitter};
use crate::distributions::Distribution;
use crate::engine::{SimDuration, SimRng, SimTime};
use crate::metrics::{CostHistogram, LatencyHistogram, TimeWeighted};
use crate::models::{TaskToken, TokenBucket};

/// AWS's longest Standard execution (1 year) and Express execution (5 minutes).
pub const STANDARD_DURATION_MAX: SimDuration = SimDuration::from_secs(365 * 86_400);
pub const EXPRESS_DURATION_MAX: SimDuration = SimDuration::from_secs(300);
/// AWS runs at most 40 iterations of an inline Map at once.
pub const INLINE_MAP_CONCURRENCY_MAX: u32 = 40;
/// A Map Run dispatches child executions at up to 100/s (Standard) or 1,000/s (Express).
const STANDARD_CHILD_DISPATCH_GAP: SimDuration = SimDuration::from_micros(10_000);
const EXPRESS_CHILD_DISPATCH_GAP: SimDuration = SimDuration::from_micros(1_000);
/// A `GetActivityTask` long poll is held up to 60 s, then returns empty.
pub const ACTIVITY_LONG_POLL: SimDuration = SimDuration::from_secs(60);
/// The error of a nested StartExecution the account's bucket refused.
const START_THROTTLED: &str = "StepFunctions.ThrottlingException";

/// Standard, Express started asynchronously, or Express started synchronously.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkflowType {
    Standard,
    ExpressAsync,
    ExpressSync,
}

impl WorkflowType {
    pub fn is_express(self) -> bool {
        self != WorkflowType::Standard
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowType::Standard => "standard",
            WorkflowType::ExpressAsync => "express_async",
            WorkflowType::ExpressSync => "express_sync",
        }
    }
}

/// What the data would decide for one state.
#[derive(Clone, Debug, Default)]
pub struct StateBehaviour {
    /// How long a task takes (integrations other than Lambda, whose function decides).
    pub duration_s: Option<Distribution>,
    /// (error name, probability per attempt), tried in order.
    pub errors: Vec<(String, f64)>,
    /// Choice: the weight of each rule in order, then of the default.
    pub branch_weights: Vec<f64>,
    /// Map: how many items it gets.
    pub items: Option<Distribution>,
    /// Wait with SecondsPath or TimestampPath: how long it waits.
    pub wait_s: Option<Distribution>,
    /// A `.waitForTaskToken` task answered outside the scenario (a person, another
    /// system): how long after the call the answer comes.
    pub callback_s: Option<Distribution>,
    /// Wait with a literal Timestamp: when it is, in the run's virtual time.
    pub wait_until: Option<SimTime>,
    /// An SES send task (`ses:sendEmail` and the like) that goes through the scenario's
    /// `[ses]` quotas, lasting the call's latency.
    pub sends_email: bool,
    /// A task whose function, queue, topic or state machine comes from the data: the names
    /// it may call, each with `target_weights`' weight; one is drawn at each call.
    pub targets: Vec<String>,
    pub target_weights: Vec<f64>,
}

/// A state machine of the scenario, validated.
#[derive(Clone, Debug)]
pub struct MachineConfig {
    pub name: String,
    pub definition: Definition,
    pub workflow: WorkflowType,
    /// Indexed by state id.
    pub behaviour: Vec<StateBehaviour>,
    /// Express: the billed memory (64 MB chunks of AWS's estimate).
    pub billed_memory_mb: u64,
    /// Express async: the probability that an execution runs again from the start.
    pub restart_rate: f64,
    /// The Region: its account-level quotas are shared by the machines in it.
    pub region: String,
    /// Standard: state transitions per second the account allows in the Region (a bucket
    /// as large).
    pub transitions_per_s: f64,
    /// Standard StartExecution in the Region: (bucket, refill per second).
    pub standard_starts: (f64, f64),
    /// Prices of one unit of usage, for the cost of each execution.
    pub unit_prices: UnitPrices,
}

/// The marginal price of each billed unit: the first tier's, without the free tier, so that
/// an execution's cost does not depend on which executions came before it in the month.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UnitPrices {
    pub usd_per_transition: f64,
    pub usd_per_request: f64,
    pub usd_per_gb_second: f64,
}

/// An activity of the scenario (`[activity.NAME]`) and the workers that poll it.
#[derive(Clone, Debug)]
pub struct ActivityConfig {
    pub name: String,
    /// Workers, each holding one GetActivityTask long poll while idle.
    pub workers: u32,
    /// How often a working worker sends SendTaskHeartbeat; None: never.
    pub heartbeat_interval: Option<SimDuration>,
    /// The Region: its GetActivityTask/SendTask* bucket is shared by its activities.
    pub region: String,
    /// GetActivityTask and SendTask* calls in the Region: (bucket, refill per second).
    pub api_calls: (f64, f64),
}

/// Counters and latencies of one activity.
#[derive(Clone, Debug, Default)]
pub struct ActivityMetrics {
    /// Tasks waiting for a worker when the statistics window began (for the audit).
    pub queued_at_start: u64,
    /// Tasks that worker had when the statistics window began (for the audit).
    pub working_at_start: u64,
    /// Tasks scheduled by executions.
    pub scheduled: u64,
    /// Tasks a worker took (ActivityStarted).
    pub started: u64,
    /// Tasks abandoned in the queue because their execution ended first.
    pub abandoned: u64,
    /// SendTaskSuccess or SendTaskFailure calls made (late ones too).
    pub answered: u64,
    /// GetActivityTask long polls that returned empty after 60 s.
    pub empty_polls: u64,
    /// GetActivityTask, SendTask* and SendTaskHeartbeat calls.
    pub api_calls: u64,
    /// Calls that waited for the Region's bucket.
    pub throttled_api_calls: u64,
    pub heartbeats: u64,
    /// From scheduled to a worker's taking the task.
    pub schedule_to_start: LatencyHistogram,
}

#[derive(Debug)]
struct Activity {
    config: ActivityConfig,
    /// Index into `Service::activity_api`.
    api: usize,
    /// When each idle worker began its current run of long polls, oldest first.
    idle_since: VecDeque<SimTime>,
    /// Tasks waiting for a worker: thread, its token, when scheduled.
    queue: VecDeque<(u32, u32, SimTime)>,
    /// Workers on a task (a worker whose task timed out works on until it ends).
    working: TimeWeighted,
    metrics: ActivityMetrics,
}

/// The account's activity API buckets in one Region: one per action, each of the same size
/// and refill (§2.2).
#[derive(Debug)]
struct ActivityApi {
    get_activity_task: TokenBucket,
    send_task_success: TokenBucket,
    send_task_failure: TokenBucket,
}

/// Express StartExecution, every Region: bucket and refill per second (§2.2).
const EXPRESS_STARTS: (f64, f64) = (6_000.0, 6_000.0);

/// The account's token buckets in one Region, shared by all its state machines (§2.2).
#[derive(Debug)]
struct RegionQuotas {
    region: String,
    /// Standard state transitions; Express transitions are unlimited.
    transitions: TokenBucket,
    standard_starts: TokenBucket,
    /// StartSyncExecution is not counted against it.
    express_starts: TokenBucket,
}

/// What the world must do for the runtime.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Call back `on_due(thread, token)` after `delay`.
    Wake {
        delay: SimDuration,
        thread: u32,
        token: u32,
    },
    /// Invoke the Lambda function synchronously, then call `on_lambda_started`.
    InvokeLambda {
        thread: u32,
        token: u32,
        function: String,
    },
    /// An integration sends a message: a request-response one at the task's end, a
    /// `.waitForTaskToken` one at its start, carrying the token its consumer answers.
    SendToQueue {
        queue: String,
        size_bytes: u32,
        task_token: Option<TaskToken>,
    },
    PublishToTopic {
        topic: String,
        size_bytes: u32,
    },
    /// A restarted execution's time limit runs afresh: call `on_execution_timeout` after
    /// `delay`.
    TimeLimit {
        delay: SimDuration,
        execution: u32,
        generation: u32,
    },
    /// An SES send task calls SES: call `on_email_answered`. A refused send fails the task
    /// with `throttle_error`.
    SendEmail {
        thread: u32,
        token: u32,
        throttle_error: &'static str,
    },
    /// An execution was started by another (a nested or a Distributed Map child), for
    /// events kept outside.
    ExecutionStarted {
        machine: u32,
    },
    /// An activity worker finishes its task after `delay` and answers `token`: call
    /// `on_activity_work_done`.
    ActivityWorkDone {
        activity: u32,
        delay: SimDuration,
        token: TaskToken,
        failed: bool,
    },
    /// An execution ended (for metrics kept outside, e.g. EventBridge events).
    ExecutionEnded {
        machine: u32,
        status: Status,
    },
}

/// How an execution ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Succeeded,
    Failed,
    TimedOut,
}

/// Counters and latencies of one state machine.
#[derive(Clone, Debug, Default)]
pub struct MachineMetrics {
    /// Executions running when the statistics window began (for the audit).
    pub running_at_start: u64,
    pub started: u64,
    pub throttled_starts: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub restarts: u64,
    /// Billed: states entered plus retries (Standard), counted for Express too.
    pub transitions: u64,
    pub retries: u64,
    pub throttled_transitions: u64,
    /// Express: billed requests (starts and restarts).
    pub requests: u64,
    /// Express: billed duration × billed memory.
    pub gb_seconds: f64,
    /// Start to end of each execution.
    pub duration: LatencyHistogram,
    /// Express sync: how long the caller waited.
    pub caller_wait: LatencyHistogram,
    /// What each execution that ended cost in Step Functions charges, at `unit_prices`.
    pub cost_per_execution: CostHistogram,
    /// Executions that timed out at their workflow type's own limit (5 minutes for Express,
    /// a year for Standard), not at a shorter `TimeoutSeconds` of the definition: the runs
    /// the other workflow type might have finished.
    pub timed_out_at_type_limit: u64,
    /// The usage of the executions that ended in the window, each counted whole, from its
    /// start (before the window too) to its end: per-execution figures are these sums over
    /// the executions that ended (succeeded, failed, timed out), never window totals.
    pub ended: EndedUsage,
}

/// The billed usage of whole executions, summed over the executions that ended.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EndedUsage {
    /// States entered plus retries, every run of a restarted execution included.
    pub transitions: u64,
    /// Express: StartExecution requests, one per run (1 + its restarts).
    pub requests: u64,
    /// Express: billed duration, each run rounded up to 100 ms.
    pub billed_ms: u64,
    /// Express: billed duration × billed memory.
    pub gb_seconds: f64,
}

impl EndedUsage {
    /// Adds one execution that ended, with `usage`, its own whole usage.
    fn add_execution(&mut self, usage: &EndedUsage) {
        self.transitions += usage.transitions;
        self.requests += usage.requests;
        self.billed_ms += usage.billed_ms;
        self.gb_seconds += usage.gb_seconds;
    }
}

#[derive(Debug)]
struct Machine {
    config: MachineConfig,
    /// The scenario's machine this one belongs to: itself, or the parent of a Distributed
    /// Map's child machine (whose definition is its parent's).
    family: u32,
    /// Index into `Service::quotas`: the machine's Region.
    quotas: usize,
    /// Executions started and not finished.
    running: u64,
    metrics: MachineMetrics,
    rng: SimRng,
    /// Draws its start and transition latencies (`step_functions.NAME.latency`), apart
    /// from `rng`, so that turning latencies off leaves every other draw as it was.
    latency_rng: SimRng,
}

#[derive(Debug)]
struct Execution {
    machine: u32,
    started_at: SimTime,
    /// Bumped when the execution ends or restarts, so its pending timeout goes stale.
    generation: u32,
    is_running: bool,
    /// The thread running the top-level states.
    root: u32,
    /// Its Step Functions charges so far (every run, for a restarted Express execution).
    cost_usd: f64,
    /// Its billed usage so far (every run, for a restarted Express execution), recorded
    /// whole in `MachineMetrics::ended` when it ends.
    usage: EndedUsage,
    /// The task or Distributed Map iteration waiting for it to end (a nested execution).
    parent: Option<TaskToken>,
    /// Started by a StartSyncExecution caller, who waits for its end.
    has_caller: bool,
}

/// Who started an execution: a caller, a task that does not wait for it, or the task or
/// Map iteration that waits for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    Caller,
    Detached,
    Task(TaskToken),
    Iteration(TaskToken),
}

/// One line of control: the execution's main path, a Parallel branch or a Map iteration.
#[derive(Debug, Default)]
struct Thread {
    execution: u32,
    state: u32,
    /// The Parallel or Map waiting for this thread.
    join: Option<u32>,
    /// Retries made by each retrier of the current state.
    retries: Vec<u32>,
    /// What a wake-up does; the token tells stale wake-ups apart.
    pending: Pending,
    token: u32,
    is_alive: bool,
    /// The Parallel or Map this thread waits at, whose threads die with it.
    waiting_on: Option<u32>,
}

#[derive(Debug, Default, Clone)]
enum Pending {
    #[default]
    Nothing,
    /// Enter the current state (after a retry delay).
    Enter,
    /// Enter the current state with the transition token reserved when it was throttled.
    EnterReserved,
    /// The current task or wait is over; `Some(error)` if it failed.
    Finish(Option<String>),
    /// A `.waitForTaskToken` task waits for its answer (`Some(error)`: SendTaskFailure), as
    /// does a `.sync` nested execution for its child and an activity task for its worker;
    /// if this wake-up comes first, the task fails with `limit_error`.
    Callback { error: Option<String>, limit_error: &'static str },
    /// Start the current task's nested execution of `machine`.
    StartChild { machine: u32 },
    /// A Distributed Map iteration: start its child execution of `machine`.
    StartIteration { machine: u32 },
    /// A Distributed Map iteration waits for its child execution.
    Iteration,
    /// A Distributed Map iteration's child ended (`Some(error)`: it did not succeed).
    IterationDone(Option<String>),
    /// An activity task waits in its activity's queue (`Some(error)`: its SendTaskFailure).
    AwaitWorker(Option<String>),
}

#[derive(Debug)]
struct Join {
    /// The thread waiting at the Parallel or Map state.
    parent: u32,
    /// Map: iterations not started yet, and the scope each one runs.
    to_start: u32,
    scope_start: u32,
    running: u32,
    failed: u64,
    /// Map: failures it may absorb; Parallel: none.
    tolerated: u64,
    children: Vec<u32>,
    /// The error when one failure too many fails the state: a Distributed Map's
    /// `States.ExceedToleratedFailureThreshold`; None (Parallel, inline Map): the failed
    /// thread's own.
    failure: Option<&'static str>,
    /// Distributed Map: the child machine, the gap between dispatches and the next free slot.
    distributed: Option<(u32, SimDuration, SimTime)>,
}

/// All state machines of a scenario and their executions in progress.
#[derive(Debug)]
pub struct Service {
    machines: Vec<Machine>,
    quotas: Vec<RegionQuotas>,
    executions: Vec<Option<Execution>>,
    free_executions: Vec<u32>,
    threads: Vec<Thread>,
    free_threads: Vec<u32>,
    joins: Vec<Option<Join>>,
    free_joins: Vec<u32>,
    outbox: Vec<Action>,
    /// How deep zero-time state changes are nested on the call stack right now.
    depth: u32,
    /// Scenario machines by name, for nested executions.
    by_name: BTreeMap<String, u32>,
    /// (family, Distributed Map state) → its child machine.
    map_children: BTreeMap<(u32, u32), u32>,
    activities: Vec<Activity>,
    activity_by_name: BTreeMap<String, u32>,
    /// GetActivityTask and SendTask* buckets by Region.
    activity_api: Vec<(String, ActivityApi)>,
    /// Start and transition latencies: Standard's, then Express's.
    start_latency: [Option<Distribution>; 2],
    transition_latency: [Option<Distribution>; 2],
}

/// See [`Service::go_to`].
const ZERO_TIME_DEPTH_MAX: u32 = 64;

impl Service {
    /// `rng(name)` gives each machine its own stream (`step_functions.NAME`), which draws its
    /// choices, item counts, waits, task durations, errors, jitter and restarts: changing
    /// one machine leaves the others' draws alone, and the same machine run as Standard and
    /// as Express sees the same draws. Each Distributed Map gets a child machine after the
    /// scenario's, named `PARENT/MAP`, with a stream of that name.
    pub fn new(
        configs: Vec<MachineConfig>,
        activities: Vec<ActivityConfig>,
        mut rng: impl FnMut(&str) -> SimRng,
    ) -> Service {
        let mut all: Vec<(MachineConfig, u32)> = configs.into_iter().enumerate().map(|(i, c)| (c, i as u32)).collect();
        let mut map_children = BTreeMap::new();
        for family in 0..all.len() {
            let parent = all[family].0.clone();
            for (state, s) in parent.definition.states.iter().enumerate() {
                let StateKind::Map(asl::Map { mode: MapMode::Distributed { execution_type }, processor, .. }) = &s.kind
                else {
                    continue;
                };
                let mut definition = parent.definition.clone();
                definition.start_at = definition.scopes[processor.index()].start_at;
                // The parent's TimeoutSeconds is the parent's; a child has its type's limit.
                definition.timeout_seconds = None;
                let workflow = match execution_type {
                    ExecutionType::Standard => WorkflowType::Standard,
                    ExecutionType::Express => WorkflowType::ExpressAsync,
                };
                let child = MachineConfig {
                    name: format!("{}/{}", parent.name, s.name),
                    definition,
                    workflow,
                    restart_rate: 0.0,
                    ..parent.clone()
                };
                map_children.insert((family as u32, state as u32), all.len() as u32);
                all.push((child, family as u32));
            }
        }
        let by_name = all.iter().enumerate().map(|(i, (c, _))| (c.name.clone(), i as u32)).collect();
        let mut quotas: Vec<RegionQuotas> = Vec::new();
        let mut region_of = |config: &MachineConfig| {
            if let Some(i) = quotas.iter().position(|q| q.region == config.region) {
                return i;
            }
            let (bucket, refill) = config.standard_starts;
            quotas.push(RegionQuotas {
                region: config.region.clone(),
                transitions: TokenBucket::new(config.transitions_per_s, config.transitions_per_s),
                standard_starts: TokenBucket::new(bucket, refill),
                express_starts: TokenBucket::new(EXPRESS_STARTS.0, EXPRESS_STARTS.1),
            });
            quotas.len() - 1
        };
        let machines = all
            .into_iter()
            .map(|(config, family)| Machine {
                rng: rng(&format!("step_functions.{}", config.name)),
                latency_rng: rng(&format!("step_functions.{}.latency", config.name)),
                quotas: region_of(&config),
                family,
                running: 0,
                config,
                metrics: MachineMetrics::default(),
            })
            .collect();
        let mut activity_api: Vec<(String, ActivityApi)> = Vec::new();
        let activity_by_name = activities.iter().enumerate().map(|(i, a)| (a.name.clone(), i as u32)).collect();
        let activities = activities
            .into_iter()
            .map(|config| {
                let api = activity_api.iter().position(|(r, _)| *r == config.region).unwrap_or_else(|| {
                    let (bucket, refill) = config.api_calls;
                    let api = ActivityApi {
                        get_activity_task: TokenBucket::new(bucket, refill),
                        send_task_success: TokenBucket::new(bucket, refill),
                        send_task_failure: TokenBucket::new(bucket, refill),
                    };
                    activity_api.push((config.region.clone(), api));
                    activity_api.len() - 1
                });
                Activity {
                    idle_since: (0..config.workers).map(|_| SimTime::ZERO).collect(),
                    config,
                    api,
                    queue: VecDeque::new(),
                    working: TimeWeighted::default(),
                    metrics: ActivityMetrics::default(),
                }
            })
            .collect();
        Service {
            machines,
            quotas,
            executions: Vec::new(),
            free_executions: Vec::new(),
            threads: Vec::new(),
            free_threads: Vec::new(),
            joins: Vec::new(),
            free_joins: Vec::new(),
            outbox: Vec::new(),
            depth: 0,
            by_name,
            map_children,
            activities,
            activity_by_name,
            activity_api,
            start_latency: [None, None],
            transition_latency: [None, None],
        }
    }

    /// Gives executions Step Functions' own latencies (none by default), Standard's then
    /// Express's: from the start to the first state, and before each later state.
    pub fn with_latencies(
        mut self,
        start: [Option<Distribution>; 2],
        transition: [Option<Distribution>; 2],
    ) -> Service {
        self.start_latency = start;
        self.transition_latency = transition;
        self
    }

    /// How long execution `e`'s next state takes to begin: its start (`is_start`) or a
    /// transition.
    fn hop(&mut self, e: u32, is_start: bool) -> SimDuration {
        let m = self.execution(e).machine as usize;
        let machine = &mut self.machines[m];
        let by_type = if is_start { &self.start_latency } else { &self.transition_latency };
        match &by_type[usize::from(machine.config.workflow.is_express())] {
            None => SimDuration::ZERO,
            Some(d) => d.sample_duration(&mut machine.latency_rng),
        }
    }

    pub fn machine_count(&self) -> usize {
        self.machines.len()
    }

    pub fn machine(&self, m: u32) -> (&MachineConfig, &MachineMetrics, u64) {
        let machine = &self.machines[m as usize];
        (&machine.config, &machine.metrics, machine.running)
    }

    /// Executions in progress.
    pub fn running(&self) -> u64 {
        (self.executions.len() - self.free_executions.len()) as u64
    }

    /// What the world must do now; drained by the caller after every call.
    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.outbox)
    }

    /// StartExecution (or StartSyncExecution). Returns the execution's id, its generation
    /// and when its time limit ends (for `on_execution_timeout`), or `None` when the start
    /// was throttled.
    pub fn start(&mut self, now: SimTime, m: u32) -> Option<(u32, u32, SimTime)> {
        self.start_execution(now, m, Origin::Caller)
    }

    /// StartExecution by a service that does not wait for the execution's end (an
    /// EventBridge rule's target): asynchronous whatever the machine's type, so an Express
    /// machine's start takes the asynchronous StartExecution quota and has no caller.
    pub fn start_async(&mut self, now: SimTime, m: u32) -> Option<(u32, u32, SimTime)> {
        self.start_execution(now, m, Origin::Detached)
    }

    /// Starts an execution of machine `m`, for a caller or as the child of a task or of a
    /// Distributed Map iteration.
    fn start_execution(&mut self, now: SimTime, m: u32, origin: Origin) -> Option<(u32, u32, SimTime)> {
        let machine = &mut self.machines[m as usize];
        let quotas = &mut self.quotas[machine.quotas];
        let quota = match (machine.config.workflow, origin) {
            // A Map Run dispatches its children at its own pace.
            (_, Origin::Iteration(_)) => None,
            (WorkflowType::Standard, _) => Some(&mut quotas.standard_starts),
            // A nested start of an Express machine is an asynchronous StartExecution.
            (WorkflowType::ExpressAsync, _) | (WorkflowType::ExpressSync, Origin::Task(_) | Origin::Detached) => {
                Some(&mut quotas.express_starts)
            }
            (WorkflowType::ExpressSync, Origin::Caller) => None,
        };
        if let Some(quota) = quota
            && !quota.try_take(now)
        {
            machine.metrics.throttled_starts += 1;
            return None;
        }
        machine.metrics.started += 1;
        machine.running += 1;
        if machine.config.workflow.is_express() {
            machine.metrics.requests += 1;
        }
        let limit = self.limit(m);
        let parent = match origin {
            Origin::Caller | Origin::Detached => None,
            Origin::Task(token) | Origin::Iteration(token) => Some(token),
        };
        let execution = Execution {
            machine: m,
            started_at: now,
            generation: 0,
            is_running: true,
            root: 0,
            cost_usd: 0.0,
            usage: EndedUsage {
                requests: u64::from(self.machines[m as usize].config.workflow.is_express()),
                ..EndedUsage::default()
            },
            parent,
            has_caller: origin == Origin::Caller,
        };
        let id = match self.free_executions.pop() {
            Some(id) => {
                let generation = self.executions[id as usize].as_ref().map_or(0, |e| e.generation + 1);
                self.executions[id as usize] = Some(Execution { generation, ..execution });
                id
            }
            None => {
                self.executions.push(Some(execution));
                self.executions.len() as u32 - 1
            }
        };
        let generation = self.execution(id).generation;
        self.begin(now, id);
        Some((id, generation, now + limit))
    }

    /// A nested execution or a Distributed Map iteration starts its child execution.
    fn start_child(&mut self, now: SimTime, m: u32, origin: Origin) -> bool {
        let Some((execution, generation, limit_at)) = self.start_execution(now, m, origin) else { return false };
        let delay = limit_at.saturating_since(now);
        self.outbox.push(Action::TimeLimit { delay, execution, generation });
        self.outbox.push(Action::ExecutionStarted { machine: m });
        true
    }

    fn limit(&self, m: u32) -> SimDuration {
        let config = &self.machines[m as usize].config;
        let max = if config.workflow.is_express() { EXPRESS_DURATION_MAX } else { STANDARD_DURATION_MAX };
        config.definition.timeout_seconds.map_or(max, |t| SimDuration::from_secs(t).min(max))
    }

    /// Runs the definition from StartAt (a start, or an at-least-once restart).
    fn begin(&mut self, now: SimTime, e: u32) {
        let start = self.definition(e).start_at.0;
        let thread = self.spawn(e, start, None);
        self.executions[e as usize].as_mut().expect("running").root = thread;
        let hop = self.hop(e, true);
        if hop > SimDuration::ZERO {
            self.wake(thread, hop, Pending::Enter);
            return;
        }
        self.enter(now, thread);
    }

    fn execution(&self, e: u32) -> &Execution {
        self.executions[e as usize].as_ref().expect("a running execution")
    }

    fn definition(&self, e: u32) -> &Definition {
        &self.machines[self.execution(e).machine as usize].config.definition
    }

    fn spawn(&mut self, execution: u32, state: u32, join: Option<u32>) -> u32 {
        let retriers = self.retrier_count(execution, state);
        let thread = Thread {
            execution,
            state,
            join,
            retries: vec![0; retriers],
            pending: Pending::Nothing,
            token: 0,
            is_alive: true,
            waiting_on: None,
        };
        match self.free_threads.pop() {
            Some(id) => {
                // The token carries on, so wake-ups for the slot's previous thread stay stale.
                let token = self.threads[id as usize].token + 1;
                self.threads[id as usize] = Thread { token, ..thread };
                id
            }
            None => {
                self.threads.push(thread);
                self.threads.len() as u32 - 1
            }
        }
    }

    fn retrier_count(&self, execution: u32, state: u32) -> usize {
        match &self.definition(execution).states[state as usize].kind {
            StateKind::Task(t) => t.retry.len(),
            StateKind::Parallel(p) => p.retry.len(),
            StateKind::Map(m) => m.retry.len(),
            _ => 0,
        }
    }

    /// Schedules a wake-up of `thread` after `delay` doing `pending`.
    fn wake(&mut self, thread: u32, delay: SimDuration, pending: Pending) {
        let t = &mut self.threads[thread as usize];
        t.token = t.token.wrapping_add(1);
        t.pending = pending;
        self.outbox.push(Action::Wake { delay, thread, token: t.token });
    }

    /// A wake-up asked for with `Action::Wake` is due.
    pub fn on_due(&mut self, now: SimTime, thread: u32, token: u32) {
        let t = &mut self.threads[thread as usize];
        if !t.is_alive || t.token != token {
            return;
        }
        match std::mem::take(&mut t.pending) {
            Pending::Nothing => {}
            Pending::Enter => self.enter(now, thread),
            Pending::EnterReserved => self.enter_reserved(now, thread),
            Pending::Finish(None) => self.succeed_state(now, thread),
            Pending::Finish(Some(error)) => self.state_failed(now, thread, error),
            Pending::Callback { limit_error, .. } => self.state_failed(now, thread, limit_error.into()),
            Pending::StartChild { machine } => self.start_nested(now, thread, machine),
            Pending::StartIteration { machine } => {
                let token = TaskToken { thread, token };
                self.threads[thread as usize].pending = Pending::Iteration;
                let started = self.start_child(now, machine, Origin::Iteration(token));
                debug_assert!(started, "a Map Run's children are not throttled");
                // The child is one transition of the parent (§3.1).
                let parent = self.threads[thread as usize].execution;
                self.bill_transition(parent);
            }
            Pending::IterationDone(error) => self.thread_done(now, thread, error),
            Pending::Iteration | Pending::AwaitWorker(_) => {}
        }
    }

    /// One Standard state transition of execution `e`, for its cost.
    fn bill_transition(&mut self, e: u32) {
        let m = self.execution(e).machine as usize;
        self.machines[m].metrics.transitions += 1;
        let standard = self.machines[m].config.workflow == WorkflowType::Standard;
        let usd = self.machines[m].config.unit_prices.usd_per_transition;
        let ex = self.executions[e as usize].as_mut().expect("a running execution");
        ex.usage.transitions += 1;
        if standard {
            ex.cost_usd += usd;
        }
    }

    /// A StartExecution task calls: a request-response one ends with the call, a `.sync` one
    /// waits for the child, a `.waitForTaskToken` one for its callback.
    fn start_nested(&mut self, now: SimTime, thread: u32, child: u32) {
        let (m, state) = {
            let t = &self.threads[thread as usize];
            (self.execution(t.execution).machine as usize, t.state)
        };
        let StateKind::Task(task) = &self.machines[m].config.definition.states[state as usize].kind else {
            unreachable!("a nested execution comes from a Task state")
        };
        let task = task.clone();
        let (limit, limit_error) = task_limit(&task);
        // A child of a request-response or callback task has no parent waiting for its end.
        let origin = if matches!(task.pattern, Pattern::Sync | Pattern::SyncV2) {
            self.wake(thread, limit, Pending::Callback { error: None, limit_error });
            Origin::Task(TaskToken { thread, token: self.threads[thread as usize].token })
        } else {
            Origin::Detached
        };
        if !self.start_child(now, child, origin) {
            self.threads[thread as usize].pending = Pending::Nothing;
            self.state_failed(now, thread, START_THROTTLED.into());
            return;
        }
        if origin == Origin::Detached {
            let took = self.draw(m, state, |b| b.duration_s.as_ref()) + self.draw_callback(m, state, &task);
            self.finish_within(thread, took, (limit, limit_error), None);
        }
    }

    /// A consumer answered the `.waitForTaskToken` task named by `token`. Stale answers (the
    /// task timed out, or the execution ended) are ignored, as AWS rejects their tokens.
    pub fn on_callback(&mut self, token: TaskToken) {
        self.answer(token, SimDuration::ZERO, None);
    }

    /// The task waiting on `token` gets its answer after `delay`: its own drawn outcome, or
    /// `outcome` when given (a child execution's end).
    fn answer(&mut self, token: TaskToken, delay: SimDuration, outcome: Option<Option<String>>) {
        let t = &mut self.threads[token.thread as usize];
        if !t.is_alive || t.token != token.token {
            return;
        }
        match std::mem::take(&mut t.pending) {
            Pending::Callback { error, .. } => {
                self.wake(token.thread, delay, Pending::Finish(outcome.unwrap_or(error)))
            }
            Pending::Iteration => self.wake(token.thread, delay, Pending::IterationDone(outcome.unwrap_or(None))),
            other => t.pending = other,
        }
    }

    /// Enters the thread's current state: one state transition.
    fn enter(&mut self, now: SimTime, thread: u32) {
        let e = self.threads[thread as usize].execution;
        let m = self.execution(e).machine as usize;
        let machine = &self.machines[m];
        if machine.config.workflow == WorkflowType::Standard {
            // Throttled transitions are delayed, in order, until their token is there.
            let wait = self.quotas[machine.quotas].transitions.reserve(now);
            if wait > SimDuration::ZERO {
                self.machines[m].metrics.throttled_transitions += 1;
                self.wake(thread, wait, Pending::EnterReserved);
                return;
            }
        }
        self.enter_reserved(now, thread);
    }

    /// Enters the thread's current state, its transition's token already taken.
    fn enter_reserved(&mut self, now: SimTime, thread: u32) {
        let e = self.threads[thread as usize].execution;
        let m = self.execution(e).machine as usize;
        self.bill_transition(e);
        let state = self.threads[thread as usize].state;
        let kind = self.machines[m].config.definition.states[state as usize].kind.clone();
        match kind {
            StateKind::Pass => self.succeed_state(now, thread),
            StateKind::Succeed => self.thread_done(now, thread, None),
            StateKind::Fail { error, .. } => {
                self.thread_done(now, thread, Some(error.unwrap_or_else(|| "States.Failed".into())))
            }
            StateKind::Wait(wait) => {
                let delay = match wait {
                    asl::Wait::Seconds(s) => SimDuration::from_secs(s),
                    asl::Wait::Timestamp(_) => {
                        let until = self.machines[m].config.behaviour[state as usize].wait_until;
                        until.map_or(SimDuration::ZERO, |at| at.saturating_since(now))
                    }
                    _ => self.draw(m, state, |b| b.wait_s.as_ref()),
                };
                self.wake(thread, delay, Pending::Finish(None));
            }
            StateKind::Choice(choice) => {
                let machine = &mut self.machines[m];
                let i = pick(&machine.config.behaviour[state as usize].branch_weights, &mut machine.rng);
                match choice.choices.get(i).copied().or(choice.default) {
                    Some(next) => self.go_to(now, thread, next.0),
                    None => self.thread_done(now, thread, Some("States.NoChoiceMatched".into())),
                }
            }
            StateKind::Task(task) => self.start_task(now, thread, m, state, &task),
            StateKind::Parallel(p) => {
                let starts: Vec<u32> = p
                    .branches
                    .iter()
                    .map(|b| self.machines[m].config.definition.scopes[b.index()].start_at.0)
                    .collect();
                // A failing branch fails the Parallel with the branch's own error.
                let join = self.new_join(thread, 0, 0, 0, None);
                self.threads[thread as usize].waiting_on = Some(join);
                // Every branch is registered before any runs (they start through the event
                // queue at this instant), so none can finish the Parallel early.
                for start in starts {
                    let child = self.spawn(e, start, Some(join));
                    let j = self.joins[join as usize].as_mut().expect("live join");
                    j.running += 1;
                    j.children.push(child);
                    let hop = self.hop(e, false);
                    self.wake(child, hop, Pending::Enter);
                }
            }
            StateKind::Map(map) => {
                let items = self.draw_count(m, state);
                let start = self.machines[m].config.definition.scopes[map.processor.index()].start_at.0;
                let tolerated = tolerated_failures(&map, items);
                // An inline Map fails with its failed iteration's error; a Distributed Map
                // with the Map Run's own error once the tolerated failures are exceeded.
                let (failure, cap) = match map.mode {
                    MapMode::Inline => (None, INLINE_MAP_CONCURRENCY_MAX),
                    MapMode::Distributed { .. } => {
                        (Some("States.ExceedToleratedFailureThreshold"), asl::DISTRIBUTED_MAP_CONCURRENCY_MAX)
                    }
                };
                let join = self.new_join(thread, items, start, tolerated, failure);
                if let MapMode::Distributed { execution_type } = map.mode {
                    let child = self.map_children[&(self.machines[m].family, state)];
                    let gap = match execution_type {
                        ExecutionType::Standard => STANDARD_CHILD_DISPATCH_GAP,
                        ExecutionType::Express => EXPRESS_CHILD_DISPATCH_GAP,
                    };
                    self.joins[join as usize].as_mut().expect("live join").distributed = Some((child, gap, now));
                }
                self.threads[thread as usize].waiting_on = Some(join);
                // MaxConcurrencyPath: the data decides; without data, AWS's cap.
                let concurrency = map.concurrency_limit().unwrap_or(cap);
                if items == 0 {
                    self.free_join(join);
                    self.succeed_state(now, thread);
                    return;
                }
                for _ in 0..concurrency.min(items) {
                    self.start_iteration(now, join);
                }
            }
        }
    }

    fn start_task(&mut self, now: SimTime, thread: u32, m: usize, state: u32, task: &asl::Task) {
        // The attempt's error is decided when it starts (a draw per attempt).
        let error = self.draw_error(m, state);
        let (limit, limit_error) = task_limit(task);
        if let Resource::SqsSend { queue: Target::Malformed { error, .. } }
        | Resource::SnsPublish { topic: Target::Malformed { error, .. } } = &task.resource
        {
            // The service refuses the address: the call fails after its latency, whatever
            // else the attempt would have done.
            let took = self.draw(m, state, |b| b.duration_s.as_ref());
            self.finish_within(thread, took, (limit, limit_error), Some((*error).to_string()));
            return;
        }
        match &task.resource {
            Resource::StartExecution { .. } if error.is_none() => {
                // Started from the event queue, so a machine that starts itself cannot
                // recurse on the call stack.
                let name = self.call_target(m, state).expect("a state machine is named or drawn");
                let machine = self.by_name[&name];
                self.wake(thread, SimDuration::ZERO, Pending::StartChild { machine });
            }
            Resource::Other { service, .. } if self.machines[m].config.behaviour[state as usize].sends_email => {
                let token = {
                    let t = &mut self.threads[thread as usize];
                    t.token = t.token.wrapping_add(1);
                    t.pending = Pending::Finish(error);
                    t.token
                };
                // AWS SDK integrations name errors `Service.Exception`, in PascalCase.
                let throttle_error =
                    if service == "sesv2" { "SesV2.ThrottlingException" } else { "Ses.ThrottlingException" };
                self.outbox.push(Action::SendEmail { thread, token, throttle_error });
            }
            Resource::Activity { name } => {
                let a = self.activity_by_name[name];
                let token = {
                    let t = &mut self.threads[thread as usize];
                    t.token = t.token.wrapping_add(1);
                    t.pending = Pending::AwaitWorker(error);
                    t.token
                };
                let activity = &mut self.activities[a as usize];
                activity.metrics.scheduled += 1;
                activity.queue.push_back((thread, token, now));
                self.dispatch(now, a);
            }
            Resource::SqsSend { .. } if task.pattern == Pattern::WaitForTaskToken => {
                // The queue's consumer answers when it has processed the message.
                self.wake(thread, limit, Pending::Callback { error, limit_error });
                let token = TaskToken { thread, token: self.threads[thread as usize].token };
                let queue = self.call_target(m, state).expect("a queue is named or drawn");
                self.outbox.push(Action::SendToQueue { queue, size_bytes: 1_024, task_token: Some(token) });
            }
            Resource::Lambda { .. } => {
                let function = self.call_target(m, state).expect("a function is named or drawn");
                let token = {
                    let t = &mut self.threads[thread as usize];
                    t.token = t.token.wrapping_add(1);
                    t.pending = Pending::Finish(error);
                    t.token
                };
                self.outbox.push(Action::InvokeLambda { thread, token, function });
            }
            resource => {
                if task.pattern == Pattern::WaitForTaskToken
                    && let Resource::SnsPublish { .. } = resource
                    && let Some(topic) = self.call_target(m, state)
                {
                    // The notification goes out with the token; someone outside answers.
                    self.outbox.push(Action::PublishToTopic { topic, size_bytes: 1_024 });
                }
                let took = self.draw(m, state, |b| b.duration_s.as_ref()) + self.draw_callback(m, state, task);
                self.finish_within(thread, took, (limit, limit_error), error);
            }
        }
    }

    /// Gives queued tasks of activity `a` to its idle workers, oldest task to the longest
    /// waiting poll.
    fn dispatch(&mut self, now: SimTime, a: u32) {
        loop {
            let activity = &mut self.activities[a as usize];
            if activity.idle_since.is_empty() {
                return;
            }
            let Some((thread, token, scheduled_at)) = activity.queue.pop_front() else { return };
            let t = &mut self.threads[thread as usize];
            if !t.is_alive || t.token != token {
                activity.metrics.abandoned += 1;
                continue;
            }
            let Pending::AwaitWorker(error) = std::mem::take(&mut t.pending) else {
                unreachable!("a queued activity task awaits a worker")
            };
            let since = activity.idle_since.pop_front().expect("an idle worker");
            // The worker's long polls since it became idle returned empty, one per 60 s.
            let empty = now.saturating_since(since).as_micros() / ACTIVITY_LONG_POLL.as_micros();
            let poll_wait = self.activity_api[activity.api].1.get_activity_task.reserve(now);
            let m = &mut activity.metrics;
            m.empty_polls += empty;
            m.api_calls += empty + 1;
            m.throttled_api_calls += u64::from(poll_wait > SimDuration::ZERO);
            m.started += 1;
            m.schedule_to_start.record((now + poll_wait).saturating_since(scheduled_at));
            activity.working.add(now, 1);
            let interval = activity.config.heartbeat_interval;
            let (e, state) = (t.execution, t.state);
            let machine = self.execution(e).machine as usize;
            let StateKind::Task(task) = &self.machines[machine].config.definition.states[state as usize].kind else {
                unreachable!("an activity task comes from a Task state")
            };
            let (limit, limit_error) = activity_limit(task, interval);
            let took = self.draw(machine, state, |b| b.duration_s.as_ref());
            let m = &mut self.activities[a as usize].metrics;
            if let Some(every) = interval {
                let beats = took.as_micros() / every.as_micros().max(1);
                m.heartbeats += beats;
                m.api_calls += beats;
            }
            // TimeoutSeconds and HeartbeatSeconds run from ActivityStarted.
            self.wake(thread, poll_wait + limit, Pending::Callback { error: error.clone(), limit_error });
            let token = TaskToken { thread, token: self.threads[thread as usize].token };
            let failed = error.is_some();
            self.outbox.push(Action::ActivityWorkDone { activity: a, delay: poll_wait + took, token, failed });
        }
    }

    /// A worker of activity `a` finished the task named by `token`: it calls SendTaskSuccess
    /// or SendTaskFailure (waiting for the bucket if need be) and polls again.
    pub fn on_activity_work_done(&mut self, now: SimTime, a: u32, token: TaskToken, failed: bool) {
        let activity = &mut self.activities[a as usize];
        let buckets = &mut self.activity_api[activity.api].1;
        let bucket = if failed { &mut buckets.send_task_failure } else { &mut buckets.send_task_success };
        let wait = bucket.reserve(now);
        let m = &mut activity.metrics;
        m.answered += 1;
        m.api_calls += 1;
        m.throttled_api_calls += u64::from(wait > SimDuration::ZERO);
        activity.working.add(now, -1);
        activity.idle_since.push_back(now + wait);
        // An answer to a task that timed out is refused (TaskTimedOut); the worker moves on.
        self.answer(token, wait, None);
        self.dispatch(now, a);
    }

    pub fn activity_count(&self) -> usize {
        self.activities.len()
    }

    /// An activity's configuration, its counters, its tasks queued and being worked on, and
    /// its mean number of busy workers since the statistics window began.
    /// The empty long polls of the workers idle at `now` are counted up to then.
    pub fn activity(&self, a: u32, now: SimTime) -> (&ActivityConfig, ActivityMetrics, u64, u64, f64) {
        let activity = &self.activities[a as usize];
        let working = activity.working.level() as u64;
        let mut metrics = activity.metrics.clone();
        let pending: u64 = activity
            .idle_since
            .iter()
            .map(|since| now.saturating_since(*since).as_micros() / ACTIVITY_LONG_POLL.as_micros())
            .sum();
        metrics.empty_polls += pending;
        metrics.api_calls += pending;
        (&activity.config, metrics, activity.queue.len() as u64, working, activity.working.mean(now))
    }

    /// Ends the task after `took` with `error`, or at `limit` with its error if that is sooner.
    fn finish_within(
        &mut self,
        thread: u32,
        took: SimDuration,
        (limit, limit_error): (SimDuration, &'static str),
        error: Option<String>,
    ) {
        if took > limit {
            self.wake(thread, limit, Pending::Finish(Some(limit_error.into())));
        } else {
            self.wake(thread, took, Pending::Finish(error));
        }
    }

    /// How long a `.waitForTaskToken` task answered outside the scenario waits for its answer.
    fn draw_callback(&mut self, m: usize, state: u32, task: &asl::Task) -> SimDuration {
        if task.pattern == Pattern::WaitForTaskToken {
            self.draw(m, state, |b| b.callback_s.as_ref())
        } else {
            SimDuration::ZERO
        }
    }

    /// SES answered an SES send task after `latency`: accepted, or refused by its quotas.
    pub fn on_email_answered(&mut self, thread: u32, token: u32, latency: SimDuration, refused: Option<&'static str>) {
        let t = &self.threads[thread as usize];
        if !t.is_alive || t.token != token {
            return;
        }
        let StateKind::Task(task) = &self.definition(t.execution).states[t.state as usize].kind else {
            unreachable!("an SES send comes from a Task state")
        };
        let limit = task_limit(task);
        let Pending::Finish(error) = self.threads[thread as usize].pending.clone() else { return };
        let error = refused.map(str::to_string).or(error);
        self.finish_within(thread, latency, limit, error);
    }

    /// The world invoked a Lambda task's function: `busy` is how long it runs (INIT
    /// included) and whether the function timed out, `None` if the invoke was throttled.
    pub fn on_lambda_started(&mut self, now: SimTime, thread: u32, token: u32, busy: Option<(SimDuration, bool)>) {
        let t = &self.threads[thread as usize];
        if !t.is_alive || t.token != token {
            return;
        }
        let Some((busy, function_timed_out)) = busy else {
            self.threads[thread as usize].pending = Pending::Nothing;
            self.state_failed(now, thread, "Lambda.TooManyRequestsException".into());
            return;
        };
        let state = t.state;
        let m = self.execution(t.execution).machine as usize;
        let StateKind::Task(task) = &self.machines[m].config.definition.states[state as usize].kind else {
            unreachable!("a Lambda invoke comes from a Task state")
        };
        let limit = task_limit(task);
        let task = task.clone();
        let Pending::Finish(mut error) = self.threads[thread as usize].pending.clone() else { return };
        let mut took = busy;
        if function_timed_out {
            // The function hit its own timeout: Lambda reports it as this error.
            error = Some("Sandbox.Timedout".into());
        } else {
            // With `.waitForTaskToken` the answer comes after the function has run.
            took = took + self.draw_callback(m, state, &task);
        }
        self.finish_within(thread, took, limit, error);
    }

    /// The current state finished without error: follow Next, or end the thread.
    fn succeed_state(&mut self, now: SimTime, thread: u32) {
        let (e, state) = {
            let t = &self.threads[thread as usize];
            (t.execution, t.state)
        };
        let m = self.execution(e).machine as usize;
        let st = &self.machines[m].config.definition.states[state as usize];
        if let StateKind::Task(task) = &st.kind
            && task.pattern != Pattern::WaitForTaskToken
        {
            // A send or publish is made when its attempt succeeds, so its target is drawn then.
            match task.resource {
                Resource::SqsSend { .. } => {
                    if let Some(queue) = self.call_target(m, state) {
                        self.outbox.push(Action::SendToQueue { queue, size_bytes: 1_024, task_token: None })
                    }
                }
                Resource::SnsPublish { .. } => {
                    if let Some(topic) = self.call_target(m, state) {
                        self.outbox.push(Action::PublishToTopic { topic, size_bytes: 1_024 })
                    }
                }
                _ => {}
            }
        }
        match self.machines[m].config.definition.states[state as usize].next {
            Some(next) => self.go_to(now, thread, next.0),
            None => self.thread_done(now, thread, None),
        }
    }

    fn go_to(&mut self, now: SimTime, thread: u32, state: u32) {
        let e = self.threads[thread as usize].execution;
        let retriers = self.retrier_count(e, state);
        let t = &mut self.threads[thread as usize];
        t.state = state;
        // Retry counters belong to one visit of a state.
        t.retries.clear();
        t.retries.resize(retriers, 0);
        let hop = self.hop(e, false);
        if hop > SimDuration::ZERO {
            self.wake(thread, hop, Pending::Enter);
            return;
        }
        // States that take no time follow each other on the call stack; past a depth they
        // continue through the event queue, so a loop of such states cannot overflow it.
        if self.depth >= ZERO_TIME_DEPTH_MAX {
            self.wake(thread, SimDuration::ZERO, Pending::Enter);
            return;
        }
        self.depth += 1;
        self.enter(now, thread);
        self.depth -= 1;
    }

    /// The current state failed with `error`: Retry, then Catch, then the thread fails.
    fn state_failed(&mut self, now: SimTime, thread: u32, error: String) {
        let (e, state) = {
            let t = &self.threads[thread as usize];
            (t.execution, t.state)
        };
        let m = self.execution(e).machine as usize;
        let (retry, catch) = match &self.machines[m].config.definition.states[state as usize].kind {
            StateKind::Task(t) => (t.retry.clone(), t.catch.clone()),
            StateKind::Parallel(p) => (p.retry.clone(), p.catch.clone()),
            StateKind::Map(map) => (map.retry.clone(), map.catch.clone()),
            _ => (Vec::new(), Vec::new()),
        };
        // The first retrier that matches decides, retries left or not; `States.Runtime` is
        // never retried, so it goes straight to the catchers.
        let retrier = if asl::is_retriable(&error) {
            retry.iter().enumerate().find(|(_, r)| asl::error_matches(&r.error_equals, &error))
        } else {
            None
        };
        if let Some((i, r)) = retrier {
            let done = self.threads[thread as usize].retries[i];
            if done < r.max_attempts {
                self.threads[thread as usize].retries[i] = done + 1;
                self.machines[m].metrics.retries += 1;
                let delay = retry::retry_delay(
                    f64::from(r.interval_seconds),
                    r.backoff_rate,
                    r.max_delay_seconds.map(f64::from),
                    done + 1,
                );
                let jitter = if r.jitter == asl::Jitter::Full { Jitter::Full } else { Jitter::None };
                let delay = retry::jittered(delay, jitter, &mut self.machines[m].rng);
                self.wake(thread, delay, Pending::Enter);
                return;
            }
        }
        if let Some(c) = catch.iter().find(|c| asl::error_matches(&c.error_equals, &error)) {
            self.go_to(now, thread, c.next.0);
            return;
        }
        self.thread_done(now, thread, Some(error));
    }

    /// A thread reached an end (`None`) or failed (`Some(error)`).
    fn thread_done(&mut self, now: SimTime, thread: u32, error: Option<String>) {
        let (e, join) = {
            let t = &mut self.threads[thread as usize];
            t.is_alive = false;
            t.token = t.token.wrapping_add(1);
            (t.execution, t.join)
        };
        self.free_threads.push(thread);
        let Some(join) = join else {
            let status = if error.is_none() { Status::Succeeded } else { Status::Failed };
            self.end_execution(now, e, status);
            return;
        };
        if self.joins[join as usize].is_none() {
            return; // its Parallel or Map already ended
        }
        let j = self.joins[join as usize].as_mut().expect("live join");
        j.running -= 1;
        j.children.retain(|c| *c != thread);
        if let Some(error) = error {
            j.failed += 1;
            if j.failed > j.tolerated {
                // One failure too many fails the whole state and stops its other threads.
                let parent = j.parent;
                let error = j.failure.map_or(error, str::to_string);
                let children = std::mem::take(&mut j.children);
                for c in children {
                    self.abort(c);
                }
                self.free_join(join);
                self.threads[parent as usize].waiting_on = None;
                self.state_failed(now, parent, error);
                return;
            }
        }
        let j = self.joins[join as usize].as_mut().expect("live join");
        if j.to_start > 0 {
            self.start_iteration(now, join);
            return;
        }
        if j.running == 0 {
            let parent = j.parent;
            self.free_join(join);
            self.threads[parent as usize].waiting_on = None;
            self.succeed_state(now, parent);
        }
    }

    /// Stops a thread and everything it waits for; their pending wake-ups go stale.
    fn abort(&mut self, thread: u32) {
        let t = &mut self.threads[thread as usize];
        if !t.is_alive {
            return;
        }
        t.is_alive = false;
        t.token = t.token.wrapping_add(1);
        let waiting_on = t.waiting_on.take();
        self.free_threads.push(thread);
        if let Some(join) = waiting_on {
            let children = std::mem::take(&mut self.joins[join as usize].as_mut().expect("live join").children);
            for c in children {
                self.abort(c);
            }
            self.free_join(join);
        }
    }

    fn new_join(
        &mut self,
        parent: u32,
        to_start: u32,
        scope_start: u32,
        tolerated: u64,
        failure: Option<&'static str>,
    ) -> u32 {
        let join = Join {
            parent,
            to_start,
            scope_start,
            running: 0,
            failed: 0,
            tolerated,
            children: Vec::new(),
            failure,
            distributed: None,
        };
        match self.free_joins.pop() {
            Some(id) => {
                self.joins[id as usize] = Some(join);
                id
            }
            None => {
                self.joins.push(Some(join));
                self.joins.len() as u32 - 1
            }
        }
    }

    fn free_join(&mut self, join: u32) {
        self.joins[join as usize] = None;
        self.free_joins.push(join);
    }

    /// Starts the next Map iteration; it runs from the event queue, so iterations never
    /// nest on the call stack however many items a Map has. A Distributed Map's iteration
    /// is a thread of the parent that starts a child execution in the Map Run's next
    /// dispatch slot and waits for it.
    fn start_iteration(&mut self, now: SimTime, join: u32) {
        let (parent, start, distributed) = {
            let j = self.joins[join as usize].as_mut().expect("live join");
            j.to_start -= 1;
            j.running += 1;
            let distributed = j.distributed.as_mut().map(|(machine, gap, next)| {
                let at = (*next).max(now);
                *next = at + *gap;
                (*machine, at.saturating_since(now))
            });
            (j.parent, j.scope_start, distributed)
        };
        let e = self.threads[parent as usize].execution;
        let owner = self.threads[parent as usize].state;
        let child = self.spawn(e, if distributed.is_some() { owner } else { start }, Some(join));
        self.joins[join as usize].as_mut().expect("live join").children.push(child);
        match distributed {
            Some((machine, delay)) => self.wake(child, delay, Pending::StartIteration { machine }),
            None => {
                let hop = self.hop(e, false);
                self.wake(child, hop, Pending::Enter)
            }
        }
    }

    fn end_execution(&mut self, now: SimTime, e: u32, status: Status) {
        let (m, started_at) = {
            let ex = self.executions[e as usize].as_mut().expect("a running execution");
            if !ex.is_running {
                return;
            }
            ex.generation = ex.generation.wrapping_add(1);
            (ex.machine as usize, ex.started_at)
        };
        let machine = &mut self.machines[m];
        let workflow = machine.config.workflow;
        // At-least-once: a finished async Express execution may run again from the start.
        if status == Status::Succeeded
            && workflow == WorkflowType::ExpressAsync
            && machine.rng.chance(machine.config.restart_rate)
        {
            machine.metrics.restarts += 1;
            machine.metrics.requests += 1;
            self.bill_express(m, e, now.saturating_since(started_at));
            let ex = self.executions[e as usize].as_mut().expect("running");
            ex.usage.requests += 1;
            ex.started_at = now;
            let generation = ex.generation;
            let delay = self.limit(m as u32);
            self.outbox.push(Action::TimeLimit { delay, execution: e, generation });
            self.begin(now, e);
            return;
        }
        let took = now.saturating_since(started_at);
        let machine = &mut self.machines[m];
        machine.metrics.duration.record(took);
        let (has_caller, parent) = {
            let ex = self.execution(e);
            (ex.has_caller, ex.parent)
        };
        let machine = &mut self.machines[m];
        if workflow == WorkflowType::ExpressSync && has_caller {
            machine.metrics.caller_wait.record(took);
        }
        machine.running -= 1;
        match status {
            Status::Succeeded => machine.metrics.succeeded += 1,
            Status::Failed => machine.metrics.failed += 1,
            Status::TimedOut => machine.metrics.timed_out += 1,
        }
        if workflow.is_express() {
            self.bill_express(m, e, took);
        }
        let (cost_usd, usage) = {
            let ex = self.execution(e);
            (ex.cost_usd, ex.usage)
        };
        let metrics = &mut self.machines[m].metrics;
        metrics.cost_per_execution.record(cost_usd);
        metrics.ended.add_execution(&usage);
        // Threads still running (a timeout) stop here.
        let root = self.executions[e as usize].as_ref().expect("running").root;
        if self.threads[root as usize].execution == e {
            self.abort(root);
        }
        self.executions[e as usize].as_mut().expect("running").is_running = false;
        self.free_executions.push(e);
        if let Some(token) = parent {
            // A `.sync` task fails with States.TaskFailed when its child did not succeed.
            let outcome = (status != Status::Succeeded).then(|| "States.TaskFailed".to_string());
            self.answer(token, SimDuration::ZERO, Some(outcome));
        }
        self.outbox.push(Action::ExecutionEnded { machine: m as u32, status });
    }

    /// One Express run of execution `e` that took `took`: its request and its GB-seconds.
    fn bill_express(&mut self, m: usize, e: u32, took: SimDuration) {
        let machine = &mut self.machines[m];
        let billed_ms = billing::express_billed_ms(took);
        let gb_seconds = billing::express_gb_seconds(billed_ms, machine.config.billed_memory_mb);
        machine.metrics.gb_seconds += gb_seconds;
        let prices = machine.config.unit_prices;
        let ex = self.executions[e as usize].as_mut().expect("a running execution");
        ex.cost_usd += prices.usd_per_request + gb_seconds * prices.usd_per_gb_second;
        ex.usage.billed_ms += billed_ms;
        ex.usage.gb_seconds += gb_seconds;
    }

    /// The execution's time limit (1 year, 5 minutes, or the definition's TimeoutSeconds)
    /// was reached: if it still runs, it fails with `States.Timeout`.
    pub fn on_execution_timeout(&mut self, now: SimTime, e: u32, generation: u32) {
        let Some(ex) = self.executions[e as usize].as_ref() else { return };
        if !ex.is_running || ex.generation != generation {
            return;
        }
        let m = ex.machine as usize;
        let config = &self.machines[m].config;
        let type_max = if config.workflow.is_express() { EXPRESS_DURATION_MAX } else { STANDARD_DURATION_MAX };
        if config.definition.timeout_seconds.is_none_or(|t| SimDuration::from_secs(t) >= type_max) {
            self.machines[m].metrics.timed_out_at_type_limit += 1;
        }
        self.end_execution(now, e, Status::TimedOut);
    }

    /// Where the call of task `state` goes: the name the definition writes, or one of the
    /// state's `targets` drawn by weight from the machine's stream; None for a publish to an
    /// endpoint or a phone number, which reaches no component of the scenario.
    fn call_target(&mut self, m: usize, state: u32) -> Option<String> {
        let machine = &mut self.machines[m];
        let StateKind::Task(task) = &machine.config.definition.states[state as usize].kind else {
            unreachable!("only a Task state calls")
        };
        let target = match &task.resource {
            Resource::Lambda { function: target }
            | Resource::SqsSend { queue: target }
            | Resource::SnsPublish { topic: target }
            | Resource::StartExecution { state_machine: target } => target,
            Resource::Activity { .. } | Resource::Other { .. } => return None,
        };
        match target {
            Target::Named(name) => Some(name.clone()),
            Target::FromData => {
                let behaviour = &machine.config.behaviour[state as usize];
                assert!(
                    !behaviour.targets.is_empty(),
                    "the scenario reader requires targets for a target from the data"
                );
                let i = pick(&behaviour.target_weights, &mut machine.rng);
                Some(behaviour.targets[i].clone())
            }
            Target::Malformed { .. } | Target::Endpoint => None,
        }
    }

    fn draw(&mut self, m: usize, state: u32, pick: impl Fn(&StateBehaviour) -> Option<&Distribution>) -> SimDuration {
        let machine = &mut self.machines[m];
        pick(&machine.config.behaviour[state as usize])
            .map_or(SimDuration::ZERO, |d| d.sample_duration(&mut machine.rng))
    }

    fn draw_count(&mut self, m: usize, state: u32) -> u32 {
        let machine = &mut self.machines[m];
        let items = machine.config.behaviour[state as usize].items.as_ref();
        items.map_or(0, |d| d.sample(&mut machine.rng).round().max(0.0) as u32)
    }

    fn draw_error(&mut self, m: usize, state: u32) -> Option<String> {
        let machine = &mut self.machines[m];
        let errors = &machine.config.behaviour[state as usize].errors;
        if errors.is_empty() {
            return None;
        }
        let u = machine.rng.unit();
        let mut acc = 0.0;
        for (name, p) in errors {
            acc += p;
            if u < acc {
                return Some(name.clone());
            }
        }
        None
    }

    /// Starts a new statistics window (end of warm-up).
    pub fn reset_metrics(&mut self, now: SimTime) {
        for m in &mut self.machines {
            m.metrics = MachineMetrics { running_at_start: m.running, ..MachineMetrics::default() };
        }
        for a in &mut self.activities {
            a.metrics = ActivityMetrics {
                queued_at_start: a.queue.len() as u64,
                working_at_start: a.working.level() as u64,
                ..ActivityMetrics::default()
            };
            a.working.reset(now);
            // Long polls are counted in the window they end in, from its start.
            for since in &mut a.idle_since {
                *since = (*since).max(now);
            }
        }
    }
}

/// Index drawn by weight; the weights need not sum to one (an index past the end when all
/// weights are zero or there are none).
fn pick(weights: &[f64], rng: &mut SimRng) -> usize {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return weights.len();
    }
    let u = rng.unit() * total;
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return i;
        }
    }
    weights.len() - 1
}

/// How many failed iterations a Map absorbs: ToleratedFailureCount, or the percentage of
/// its items; none by default.
fn tolerated_failures(map: &asl::Map, items: u32) -> u64 {
    let by_count = map.tolerated_failure_count.unwrap_or(0);
    let by_percentage = map.tolerated_failure_percentage.map_or(0, |p| (p / 100.0 * f64::from(items)).floor() as u64);
    by_count.max(by_percentage)
}

/// How long a task may take and the error when it does not finish in time: its
/// `TimeoutSeconds`, or for a `.waitForTaskToken` task its `HeartbeatSeconds` when shorter.
/// Consumers in the scenario never send SendTaskHeartbeat, so the heartbeat limit runs from
/// the task's start. A missed heartbeat is `States.HeartbeatTimeout`, which `States.Timeout`
/// matches too (see the module's documentation).
fn task_limit(task: &asl::Task) -> (SimDuration, &'static str) {
    let timeout = SimDuration::from_secs(task.timeout_seconds);
    match task.heartbeat_seconds {
        Some(h) if task.pattern == Pattern::WaitForTaskToken && h < task.timeout_seconds => {
            (SimDuration::from_secs(h), "States.HeartbeatTimeout")
        }
        _ => (timeout, "States.Timeout"),
    }
}

/// An activity task's limit from the moment its worker has it: its `TimeoutSeconds`, or its
/// `HeartbeatSeconds` when shorter and the workers do not send heartbeats often enough.
fn activity_limit(task: &asl::Task, heartbeat_interval: Option<SimDuration>) -> (SimDuration, &'static str) {
    let timeout = SimDuration::from_secs(task.timeout_seconds);
    match task.heartbeat_seconds.map(SimDuration::from_secs) {
        Some(h) if h < timeout && heartbeat_interval.is_none_or(|every| every > h) => (h, "States.HeartbeatTimeout"),
        _ => (timeout, "States.Timeout"),
    }
}
