//! Step Functions properties under random definitions and retry policies: a Standard
//! execution enters each state only as often as its definition allows (a retry is one more
//! transition, and a state's visit has at most MaxAttempts of them), and retries wait
//! IntervalSeconds × BackoffRate^(n−1), capped by MaxDelaySeconds, or a FULL-jittered time
//! below that, both in the retry arithmetic and in the time executions take.
//!
//! Executions are observed two ways. The runtime is driven directly, one execution at a
//! time, so that each execution's transitions, retries and duration can be told apart;
//! and whole scenarios are run, whose counters, duration histogram and cost per execution
//! must agree with the same bounds in aggregate.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{counter, latency, summary};
use orchsim::engine::{RngFactory, SimDuration, SimTime};
use orchsim::models::step_functions::retry::{Jitter, jittered, retry_delay};
use orchsim::models::step_functions::runtime::{Action, Service, Status};
use orchsim::scenario::Scenario;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------------------
// Random definitions

/// Whether a task's attempt raises the error `Flaky`.
#[derive(Debug, Clone, Copy)]
enum Fails {
    Never,
    Always,
    /// With this probability per attempt.
    Sometimes(f64),
}

impl Fails {
    fn probability(self) -> Option<f64> {
        match self {
            Fails::Never => None,
            Fails::Always => Some(1.0),
            Fails::Sometimes(p) => Some(p),
        }
    }

    fn can_fail(self) -> bool {
        !matches!(self, Fails::Never)
    }

    fn can_succeed(self) -> bool {
        !matches!(self, Fails::Always)
    }
}

/// One `Retry` entry; every `matches` value matches `Flaky`, so the retrier always applies.
#[derive(Debug, Clone)]
struct Retrier {
    max_attempts: u32,
    interval_s: u32,
    backoff_rate: f64,
    max_delay_s: Option<u32>,
    full_jitter: bool,
    matches: &'static str,
}

impl Retrier {
    fn json(&self) -> Value {
        let jitter = if self.full_jitter { "FULL" } else { "NONE" };
        let mut retrier = json!({
            "ErrorEquals": [self.matches],
            "IntervalSeconds": self.interval_s,
            "BackoffRate": self.backoff_rate,
            "MaxAttempts": self.max_attempts,
            "JitterStrategy": jitter,
        });
        if let Some(cap) = self.max_delay_s {
            retrier["MaxDelaySeconds"] = json!(cap);
        }
        retrier
    }

    /// The delay before retry `n` (1-based) as configured, in seconds.
    fn scheduled_s(&self, n: u64) -> f64 {
        scheduled_s(self.interval_s, self.backoff_rate, self.max_delay_s, n as u32)
    }
}

/// The delay before retry `n` from the retrier's fields alone, computed independently of
/// the simulator's arithmetic: IntervalSeconds × BackoffRate^(n−1), capped by
/// MaxDelaySeconds.
fn scheduled_s(interval_s: u32, backoff_rate: f64, max_delay_s: Option<u32>, n: u32) -> f64 {
    let base = f64::from(interval_s) * backoff_rate.powi(n as i32 - 1);
    max_delay_s.map_or(base, |cap| base.min(f64::from(cap)))
}

/// A Task state: a DynamoDB call lasting `duration_s`, or a Lambda function.
#[derive(Debug, Clone)]
struct Task {
    fails: Fails,
    retry: Option<Retrier>,
    lambda: bool,
    duration_s: f64,
}

/// A state of a Parallel branch.
#[derive(Debug, Clone)]
enum Leaf {
    Pass,
    Task(Task),
}

/// One top-level step of a definition: a single state, or a Choice with its two chains of
/// Pass states, or a Parallel with its branches.
#[derive(Debug, Clone)]
enum Step {
    Pass,
    Wait {
        seconds: u32,
    },
    /// `catch`: a `States.ALL` catcher leads to a Pass state, then on.
    Task {
        task: Task,
        catch: bool,
    },
    /// The rule leads to `left` Pass states, the default to `right`, then both on.
    Choice {
        left: u32,
        right: u32,
        left_weight: f64,
    },
    Parallel {
        branches: Vec<Vec<Leaf>>,
    },
}

/// A chain of steps ending in a Succeed state, run as machine `m`.
#[derive(Debug, Clone)]
struct Machine {
    steps: Vec<Step>,
    seed: u64,
}

fn fails() -> impl Strategy<Value = Fails> {
    prop_oneof![Just(Fails::Never), Just(Fails::Always), (0.05f64..0.95).prop_map(Fails::Sometimes)]
}

fn retrier(attempts_max: u32, interval_max_s: u32, backoff_max: f64) -> impl Strategy<Value = Retrier> {
    (
        0..=attempts_max,
        1..=interval_max_s,
        prop_oneof![Just(1.0), Just(2.0), 1.0..backoff_max],
        prop::option::of(1u32..=60),
        any::<bool>(),
        prop::sample::select(vec!["Flaky", "States.TaskFailed", "States.ALL"]),
    )
        .prop_map(|(max_attempts, interval_s, backoff_rate, max_delay_s, full_jitter, matches)| Retrier {
            max_attempts,
            interval_s,
            backoff_rate,
            max_delay_s,
            full_jitter,
            matches,
        })
}

fn task() -> impl Strategy<Value = Task> {
    (fails(), prop::option::of(retrier(3, 2, 2.0)), any::<bool>(), prop::sample::select(vec![0.0, 0.05, 0.25]))
        .prop_map(|(fails, retry, lambda, duration_s)| Task { fails, retry, lambda, duration_s })
}

fn leaf() -> impl Strategy<Value = Leaf> {
    prop_oneof![1 => Just(Leaf::Pass), 2 => task().prop_map(Leaf::Task)]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => Just(Step::Pass),
        1 => (0u32..=2).prop_map(|seconds| Step::Wait { seconds }),
        4 => (task(), any::<bool>()).prop_map(|(task, catch)| Step::Task { task, catch }),
        1 => (1u32..=2, 0u32..=2, prop_oneof![Just(0.0), Just(1.0), 0.05f64..0.95])
            .prop_map(|(left, right, left_weight)| Step::Choice { left, right, left_weight }),
        2 => prop::collection::vec(prop::collection::vec(leaf(), 1..=3), 1..=3)
            .prop_map(|branches| Step::Parallel { branches }),
    ]
}

fn machine() -> impl Strategy<Value = Machine> {
    (prop::collection::vec(step(), 1..=5), any::<u64>()).prop_map(|(steps, seed)| Machine { steps, seed: seed >> 1 })
}

// ---------------------------------------------------------------------------------------
// Definitions as files

fn follow(state: &mut Value, next: Option<&str>) {
    match next {
        Some(next) => state["Next"] = json!(next),
        None => state["End"] = json!(true),
    }
}

fn pass(next: Option<&str>) -> Value {
    let mut state = json!({"Type": "Pass"});
    follow(&mut state, next);
    state
}

/// The Task state `name`; what the data would decide goes to `extra`, the scenario's tables.
fn task_state(name: &str, task: &Task, next: Option<&str>, extra: &mut String) -> Value {
    let mut state = if task.lambda {
        let function = format!("f{name}");
        *extra += &format!("[lambda.{function}]\nduration_s = 0.01\ntimeout_s = 900\n");
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": function}})
    } else {
        json!({
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": "t", "Item": {}},
        })
    };
    if let Some(retrier) = &task.retry {
        state["Retry"] = json!([retrier.json()]);
    }
    follow(&mut state, next);
    let mut table = String::new();
    if !task.lambda {
        // A Lambda task lasts as long as its function; any other task its duration_s.
        table += &format!("duration_s = {:?}\n", task.duration_s);
    }
    if let Some(p) = task.fails.probability() {
        table += &format!("errors = {{ Flaky = {p:?} }}\n");
    }
    if !table.is_empty() {
        *extra += &format!("[step_functions.m.states.{name}]\n{table}");
    }
    state
}

impl Machine {
    /// The definition, and the scenario tables its states need.
    fn render(&self) -> (Value, String) {
        let mut states = Map::new();
        let mut extra = String::new();
        for (i, step) in self.steps.iter().enumerate() {
            let name = format!("S{i}");
            let next = if i + 1 < self.steps.len() { format!("S{}", i + 1) } else { "Done".to_string() };
            match step {
                Step::Pass => {
                    states.insert(name, pass(Some(next.as_str())));
                }
                Step::Wait { seconds } => {
                    states.insert(name, json!({"Type": "Wait", "Seconds": seconds, "Next": next}));
                }
                Step::Task { task, catch } => {
                    let mut state = task_state(&name, task, Some(next.as_str()), &mut extra);
                    if *catch {
                        let recover = format!("{name}C");
                        state["Catch"] = json!([{"ErrorEquals": ["States.ALL"], "Next": recover}]);
                        states.insert(recover, pass(Some(next.as_str())));
                    }
                    states.insert(name, state);
                }
                Step::Choice { left, right, left_weight } => {
                    let chain = |side: &str, len: u32, states: &mut Map<String, Value>| -> String {
                        for k in 0..len {
                            let to = if k + 1 < len { format!("{name}{side}{}", k + 1) } else { next.clone() };
                            states.insert(format!("{name}{side}{k}"), pass(Some(to.as_str())));
                        }
                        if len == 0 { next.clone() } else { format!("{name}{side}0") }
                    };
                    let to_left = chain("L", *left, &mut states);
                    let to_right = chain("R", *right, &mut states);
                    extra += &format!(
                        "[step_functions.m.states.{name}]\nweights = [{left_weight:?}, {:?}]\n",
                        1.0 - left_weight
                    );
                    let rule = json!({"Variable": "$.ok", "BooleanEquals": true, "Next": to_left});
                    states.insert(name, json!({"Type": "Choice", "Choices": [rule], "Default": to_right}));
                }
                Step::Parallel { branches } => {
                    let mut scopes = Vec::new();
                    for (b, leaves) in branches.iter().enumerate() {
                        let mut inner = Map::new();
                        for (k, leaf) in leaves.iter().enumerate() {
                            let leaf_name = format!("{name}B{b}S{k}");
                            let to = (k + 1 < leaves.len()).then(|| format!("{name}B{b}S{}", k + 1));
                            let state = match leaf {
                                Leaf::Pass => pass(to.as_deref()),
                                Leaf::Task(task) => task_state(&leaf_name, task, to.as_deref(), &mut extra),
                            };
                            inner.insert(leaf_name, state);
                        }
                        let start = format!("{name}B{b}S0");
                        scopes.push(json!({"StartAt": start, "States": inner}));
                    }
                    states.insert(name, json!({"Type": "Parallel", "Branches": scopes, "Next": next}));
                }
            }
        }
        states.insert("Done".to_string(), json!({"Type": "Succeed"}));
        (json!({"StartAt": "S0", "States": states}), extra)
    }
}

static LOADS: AtomicU64 = AtomicU64::new(0);

/// A scenario starting `executions` executions of `definition` (Standard), one a second,
/// with AWS's own start and transition latencies off: times are the definition's own.
fn load(definition: &Value, extra: &str, seed: u64, executions: u64) -> Scenario {
    // Test threads load at once: each load gets a folder of its own.
    let dir = std::env::temp_dir().join(format!(
        "orchsim-sfn-properties-{}-{}",
        std::process::id(),
        LOADS.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("machine.asl.json"), definition.to_string()).unwrap();
    let text = format!(
        "[run]\nseed = {seed}\nhorizon_s = 100000\n\
         [workload.w]\ntarget = \"step_functions.m\"\narrival = \"constant\"\nrate_per_s = 1\n\
         count_max = {executions}\n\
         [step_functions.m]\ndefinition = \"machine.asl.json\"\ntype = \"standard\"\n{extra}"
    );
    let scenario = Scenario::from_text("sfn_properties.toml", &text, &dir, &[common::NO_HOPS.to_string()]);
    let _ = fs::remove_dir_all(&dir);
    // Every generated definition is valid ASL within AWS's limits: it must load.
    scenario.unwrap_or_else(|e| panic!("{definition}\n{text}\n{e}"))
}

// ---------------------------------------------------------------------------------------
// What a definition allows

/// (transitions, retries) pairs.
type Counts = BTreeSet<(u64, u64)>;

fn just(transitions: u64, retries: u64) -> Counts {
    BTreeSet::from([(transitions, retries)])
}

/// Every sum of a pair from `a` and a pair from `b`.
fn plus(a: &Counts, b: &Counts) -> Counts {
    a.iter().flat_map(|&(t, r)| b.iter().map(move |&(u, s)| (t + u, r + s))).collect()
}

/// What a state or a chain of states can add to its thread's counts: when it is left for
/// the next state, when it fails the thread, and at any moment before either (what a
/// Parallel branch has done when a sibling's failure stops it).
#[derive(Debug, Default, Clone)]
struct Outcomes {
    done: Counts,
    failed: Counts,
    during: Counts,
}

impl Outcomes {
    /// A state entered once that cannot fail.
    fn single(transitions: u64) -> Outcomes {
        Outcomes {
            done: just(transitions, 0),
            failed: Counts::new(),
            during: BTreeSet::from([(0, 0), (transitions, 0)]),
        }
    }
}

/// A Task's attempts: attempt k is reached only after k−1 failures, each one retry; once the
/// retries are spent the error goes to the catcher (one more state entered) or fails the
/// thread.
fn task_outcomes(task: &Task, catch: bool) -> Outcomes {
    let retries = task.retry.as_ref().map_or(0, |r| u64::from(r.max_attempts));
    let mut o = Outcomes { during: just(0, 0), ..Outcomes::default() };
    for attempt in 1..=retries + 1 {
        if attempt > 1 && !task.fails.can_fail() {
            break;
        }
        o.during.insert((attempt, attempt - 1));
        if task.fails.can_succeed() {
            o.done.insert((attempt, attempt - 1));
        }
        if task.fails.can_fail() && attempt <= retries {
            // Stopped while waiting to retry: the retry is counted, its entry not yet.
            o.during.insert((attempt, attempt));
        }
    }
    if task.fails.can_fail() {
        if catch {
            o.done.insert((retries + 2, retries));
        } else {
            o.failed.insert((retries + 1, retries));
        }
    }
    o.during.extend(o.done.iter().copied());
    o
}

fn sequence(steps: impl IntoIterator<Item = Outcomes>) -> Outcomes {
    let mut acc = Outcomes { done: just(0, 0), failed: Counts::new(), during: just(0, 0) };
    for step in steps {
        acc.during.extend(plus(&acc.done, &step.during));
        acc.failed.extend(plus(&acc.done, &step.failed));
        acc.done = plus(&acc.done, &step.done);
    }
    acc.during.extend(acc.done.iter().copied());
    acc
}

/// A Parallel without Retry or Catch: entered once, then every branch; the first branch
/// to fail fails it, with its siblings stopped wherever they were.
fn parallel(branches: &[Outcomes]) -> Outcomes {
    let entered = just(1, 0);
    let done = branches.iter().fold(entered.clone(), |acc, b| plus(&acc, &b.done));
    let mut failed = Counts::new();
    for (i, failing) in branches.iter().enumerate() {
        let others = branches
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .fold(entered.clone(), |acc, (_, b)| plus(&acc, &b.during));
        failed.extend(plus(&others, &failing.failed));
    }
    let mut during = branches.iter().fold(entered, |acc, b| plus(&acc, &b.during));
    during.insert((0, 0));
    Outcomes { done, failed, during }
}

impl Leaf {
    fn outcomes(&self) -> Outcomes {
        match self {
            Leaf::Pass => Outcomes::single(1),
            Leaf::Task(task) => task_outcomes(task, false),
        }
    }
}

impl Step {
    fn outcomes(&self) -> Outcomes {
        match self {
            Step::Pass | Step::Wait { .. } => Outcomes::single(1),
            Step::Task { task, catch } => task_outcomes(task, *catch),
            Step::Choice { left, right, left_weight } => {
                // The Choice itself, then the chain its drawn branch leads to.
                let mut o = Outcomes { during: just(0, 0), ..Outcomes::default() };
                if *left_weight > 0.0 {
                    o.done.insert((1 + u64::from(*left), 0));
                }
                if *left_weight < 1.0 {
                    o.done.insert((1 + u64::from(*right), 0));
                }
                o.during.extend(o.done.iter().copied());
                o
            }
            Step::Parallel { branches } => {
                let branches: Vec<Outcomes> =
                    branches.iter().map(|leaves| sequence(leaves.iter().map(Leaf::outcomes))).collect();
                parallel(&branches)
            }
        }
    }
}

/// The (transitions, retries) an execution may be billed, by how it ends.
struct Allowed {
    succeeded: Counts,
    failed: Counts,
}

impl Machine {
    fn allowed(&self) -> Allowed {
        let run = sequence(self.steps.iter().map(Step::outcomes));
        // The final Succeed state is one more transition.
        Allowed { succeeded: plus(&run.done, &just(1, 0)), failed: run.failed }
    }
}

fn count_transitions(c: &(u64, u64)) -> u64 {
    c.0
}

fn count_retries(c: &(u64, u64)) -> u64 {
    c.1
}

fn count_entries(c: &(u64, u64)) -> u64 {
    c.0 - c.1
}

/// The least and the most of `f` summed over `count` executions whose counts lie in `set`.
fn span(count: u64, set: &Counts, f: fn(&(u64, u64)) -> u64) -> (u64, u64) {
    if count == 0 {
        return (0, 0);
    }
    let least = set.iter().map(f).min().unwrap_or(0);
    let most = set.iter().map(f).max().unwrap_or(0);
    (count * least, count * most)
}

/// The least and the most of `f` summed over `ok` succeeded and `failed` failed executions.
fn bounds(allowed: &Allowed, ok: u64, failed: u64, f: fn(&(u64, u64)) -> u64) -> (u64, u64) {
    let (least_ok, most_ok) = span(ok, &allowed.succeeded, f);
    let (least_failed, most_failed) = span(failed, &allowed.failed, f);
    (least_ok + least_failed, most_ok + most_failed)
}

// ---------------------------------------------------------------------------------------
// The runtime driven one execution at a time

/// How long every Lambda function invoked by the driver runs.
const LAMBDA_RUN: SimDuration = SimDuration::from_micros(10_000);

/// Plays the world's part for the runtime: wake-ups through an event queue (ties in the
/// order they were asked for, as the simulation's scheduler breaks them) and Lambda
/// invokes answered at once.
struct Driver {
    sfn: Service,
    now: SimTime,
    due: BTreeMap<(SimTime, u64), (u32, u32)>,
    asked: u64,
}

/// One execution as the driver saw it.
#[derive(Debug)]
struct Execution {
    status: Status,
    transitions: u64,
    retries: u64,
    took: SimDuration,
}

impl Driver {
    fn new(scenario: &Scenario) -> Driver {
        let rngs = RngFactory::new(scenario.run.seed);
        let sfn = Service::new(scenario.machines.clone(), scenario.activities.clone(), |name| rngs.stream(name));
        Driver { sfn, now: SimTime::ZERO, due: BTreeMap::new(), asked: 0 }
    }

    fn counts(&self) -> (u64, u64) {
        let (_, metrics, _) = self.sfn.machine(0);
        (metrics.transitions, metrics.retries)
    }

    /// Starts an execution of machine 0 and runs until nothing is left to do.
    fn execute(&mut self) -> Execution {
        let (transitions, retries) = self.counts();
        let started = self.now;
        self.sfn.start(started, 0).expect("one start a second is far within the quota");
        let mut ended = None;
        self.carry_out(&mut ended);
        while let Some(((at, _), (thread, token))) = self.due.pop_first() {
            self.now = at;
            self.sfn.on_due(at, thread, token);
            self.carry_out(&mut ended);
        }
        let (status, at) = ended.expect("every execution ends");
        assert_eq!(self.sfn.running(), 0, "an ended execution left something running");
        let (transitions_after, retries_after) = self.counts();
        // The next execution starts on a later instant than anything of this one.
        self.now += SimDuration::from_secs(1);
        Execution {
            status,
            transitions: transitions_after - transitions,
            retries: retries_after - retries,
            took: at - started,
        }
    }

    fn carry_out(&mut self, ended: &mut Option<(Status, SimTime)>) {
        loop {
            let actions = self.sfn.take_actions();
            if actions.is_empty() {
                return;
            }
            for action in actions {
                match action {
                    Action::Wake { delay, thread, token } => {
                        self.asked += 1;
                        self.due.insert((self.now + delay, self.asked), (thread, token));
                    }
                    Action::InvokeLambda { thread, token, .. } => {
                        self.sfn.on_lambda_started(self.now, thread, token, Some((LAMBDA_RUN, false)))
                    }
                    Action::ExecutionEnded { status, .. } => {
                        assert!(ended.is_none(), "an execution ended twice");
                        *ended = Some((status, self.now));
                    }
                    other => panic!("the generated definitions ask for no {other:?}"),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Property 1: states are entered only as often as the definition allows

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Each execution's billed transitions and retries, told apart from every other
    /// execution's, are a combination the definition allows for how the execution ended:
    /// exactly the billing rule's count when nothing is left to chance.
    #[test]
    fn each_execution_enters_states_only_as_often_as_its_definition_allows(machine in machine()) {
        let (definition, extra) = machine.render();
        let scenario = load(&definition, &extra, machine.seed, 1);
        let allowed = machine.allowed();
        let mut driver = Driver::new(&scenario);
        for _ in 0..12 {
            let run = driver.execute();
            let set = match run.status {
                Status::Succeeded => &allowed.succeeded,
                Status::Failed => &allowed.failed,
                Status::TimedOut => {
                    return Err(TestCaseError::fail(format!("{definition}: timed out after {}", run.took)));
                }
            };
            prop_assert!(
                set.contains(&(run.transitions, run.retries)),
                "{}\n{}\n{:?} with {} transitions and {} retries; allowed (transitions, retries): {:?}",
                definition, extra, run.status, run.transitions, run.retries, set
            );
        }
    }

    /// Through the whole simulator: the machine's transition and retry counters, and the
    /// cost of each execution, lie within what its succeeded and failed executions allow;
    /// and the run repeats exactly.
    #[test]
    fn billed_transitions_and_retries_stay_within_what_the_definition_allows(machine in machine()) {
        let n = 8;
        let (definition, extra) = machine.render();
        let scenario = load(&definition, &extra, machine.seed, n);
        let allowed = machine.allowed();
        let (_, s) = summary(&scenario);
        let get = |key: &str| counter(&s, &format!("step_functions.m.{key}"));
        prop_assert_eq!(get("started"), n);
        prop_assert_eq!(get("timed_out"), 0);
        let (ok, failed) = (get("succeeded"), get("failed"));
        prop_assert_eq!(ok + failed, n, "every execution ended: {}", definition);
        prop_assert!(ok == 0 || !allowed.succeeded.is_empty(), "{}: {} succeeded", definition, ok);
        prop_assert!(failed == 0 || !allowed.failed.is_empty(), "{}: {} failed", definition, failed);

        let (transitions, retries) = (get("transitions"), get("retries"));
        prop_assert!(retries <= transitions, "{}: {} retries, {} transitions", definition, retries, transitions);
        for (what, value, (least, most)) in [
            ("transitions", transitions, bounds(&allowed, ok, failed, count_transitions)),
            ("retries", retries, bounds(&allowed, ok, failed, count_retries)),
            ("states entered", transitions - retries, bounds(&allowed, ok, failed, count_entries)),
        ] {
            prop_assert!(
                (least..=most).contains(&value),
                "{}\n{}\n{} succeeded, {} failed: {} {} outside {}..={}",
                definition, extra, ok, failed, value, what, least, most
            );
        }

        // A Standard execution costs its transitions; each execution's cost is kept to the
        // nano-dollar, and the histogram's maximum to 0.1 %.
        let price = scenario.machines[0].unit_prices.usd_per_transition;
        prop_assert!(price > 0.0);
        let cost = &s["cost_per_execution_usd"]["step_functions.m.cost_per_execution"];
        prop_assert_eq!(cost["count"].as_u64(), Some(n));
        let mean = cost["mean"].as_f64().unwrap();
        prop_assert!(
            (mean * n as f64 - transitions as f64 * price).abs() <= n as f64 * 1e-9,
            "{}: mean cost {} for {} transitions", definition, mean, transitions
        );
        let mut most = 0;
        for (count, set) in [(ok, &allowed.succeeded), (failed, &allowed.failed)] {
            if count > 0 {
                most = most.max(set.iter().map(count_transitions).max().unwrap_or(0));
            }
        }
        let max = cost["max"].as_f64().unwrap();
        prop_assert!(
            max <= most as f64 * price * 1.001 + 1e-9,
            "{}: an execution cost {}, more than {} transitions", definition, max, most
        );

        let (_, again) = summary(&scenario);
        prop_assert_eq!(&s, &again, "the same scenario ran differently twice");
    }
}

// ---------------------------------------------------------------------------------------
// Property 2: retries follow the configured schedule

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// The retry arithmetic on its own: the configured delay to the microsecond, growing
    /// with each retry and never past the cap; no jitter leaves the delay and the random
    /// stream alone, FULL jitter stays within zero and the delay.
    #[test]
    fn retry_delays_follow_interval_backoff_and_cap(
        interval_s in 1u32..=60,
        backoff_rate in prop_oneof![Just(1.0), Just(2.0), 1.0f64..3.0],
        max_delay_s in prop::option::of(1u32..=3_600),
        retries in 1u32..=10,
        seed in any::<u64>(),
    ) {
        let mut rng = RngFactory::new(seed >> 1).stream("step_functions.m");
        let mut previous = SimDuration::ZERO;
        for n in 1..=retries {
            let delay = retry_delay(f64::from(interval_s), backoff_rate, max_delay_s.map(f64::from), n);
            let expected_us = scheduled_s(interval_s, backoff_rate, max_delay_s, n) * 1e6;
            // Rounded to the clock's microsecond; the power is computed two ways, which may
            // differ in the last bits.
            prop_assert!(
                (delay.as_micros() as f64 - expected_us).abs() <= 1.0 + expected_us * 1e-12,
                "retry {}: {} µs, configured {} µs", n, delay.as_micros(), expected_us
            );
            if let Some(cap) = max_delay_s {
                prop_assert!(delay <= SimDuration::from_secs(u64::from(cap)));
            }
            prop_assert!(delay >= previous, "retry {} waits {}, less than the one before ({})", n, delay, previous);
            previous = delay;

            let mut untouched = rng.clone();
            prop_assert_eq!(jittered(delay, Jitter::None, &mut rng), delay);
            prop_assert_eq!(rng.unit(), untouched.unit(), "no jitter draws nothing");
            for _ in 0..8 {
                let drawn = jittered(delay, Jitter::Full, &mut rng);
                prop_assert!(drawn <= delay, "FULL jitter drew {} for a delay of {}", drawn, delay);
            }
        }
    }
}

/// A definition of one Task with one retrier, and what decides its attempts.
#[derive(Debug, Clone)]
struct Retried {
    retrier: Retrier,
    fails: Fails,
    duration_s: f64,
    seed: u64,
}

fn retried_task(fails: impl Strategy<Value = Fails>) -> impl Strategy<Value = Retried> {
    (retrier(5, 5, 3.0), fails, prop::sample::select(vec![0.0, 0.25, 1.0]), any::<u64>())
        .prop_map(|(retrier, fails, duration_s, seed)| Retried { retrier, fails, duration_s, seed: seed >> 1 })
}

impl Retried {
    fn machine(&self) -> Machine {
        let task =
            Task { fails: self.fails, retry: Some(self.retrier.clone()), lambda: false, duration_s: self.duration_s };
        Machine { steps: vec![Step::Task { task, catch: false }], seed: self.seed }
    }

    /// For `attempts` attempts: the time spent in them and the configured delays between
    /// them, in microseconds.
    fn schedule_us(&self, attempts: u64) -> (f64, f64) {
        let work_us = attempts as f64 * self.duration_s * 1e6;
        let delays_us = (1..attempts).map(|n| self.retrier.scheduled_s(n) * 1e6).sum::<f64>();
        (work_us, delays_us)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Each execution of a task that fails always or at random: at most MaxAttempts + 1
    /// attempts, all of them spent before the execution fails; and the execution takes its
    /// attempts plus exactly the configured delays (NONE) or at most them (FULL).
    #[test]
    fn retries_wait_their_scheduled_delays_and_stop_at_max_attempts(
        r in retried_task(prop_oneof![Just(Fails::Always), (0.05f64..0.95).prop_map(Fails::Sometimes)]),
    ) {
        let (definition, extra) = r.machine().render();
        let scenario = load(&definition, &extra, r.seed, 1);
        let mut driver = Driver::new(&scenario);
        let attempts_max = u64::from(r.retrier.max_attempts) + 1;
        for _ in 0..6 {
            let run = driver.execute();
            let attempts = run.retries + 1;
            prop_assert!(attempts <= attempts_max, "{}: {} attempts", definition, attempts);
            match run.status {
                Status::Succeeded => {
                    prop_assert_eq!(run.transitions, attempts + 1, "the attempts, then Done: {}", definition);
                }
                Status::Failed => {
                    prop_assert_eq!(attempts, attempts_max, "failed with retries left: {}", definition);
                    prop_assert_eq!(run.transitions, attempts);
                }
                Status::TimedOut => return Err(TestCaseError::fail(format!("{definition}: timed out"))),
            }
            if matches!(r.fails, Fails::Always) {
                prop_assert_eq!(run.status, Status::Failed);
            }
            let (work_us, delays_us) = r.schedule_us(attempts);
            let took_us = run.took.as_micros() as f64;
            // Each delay is rounded to the microsecond.
            let slack_us = attempts as f64;
            if r.retrier.full_jitter {
                prop_assert!(
                    took_us >= work_us - slack_us && took_us <= work_us + delays_us + slack_us,
                    "{}: took {} µs, attempts {} µs, delays up to {} µs", definition, took_us, work_us, delays_us
                );
            } else {
                prop_assert!(
                    (took_us - (work_us + delays_us)).abs() <= slack_us,
                    "{}: took {} µs, attempts {} µs, delays {} µs", definition, took_us, work_us, delays_us
                );
            }
        }
    }

    /// Through the whole simulator, a task that always fails: every execution fails after
    /// MaxAttempts retries, and the duration histogram shows the attempts plus the
    /// configured delays: at least their sum without jitter, at most with FULL jitter.
    #[test]
    fn executions_that_always_fail_last_their_scheduled_retry_delays(r in retried_task(Just(Fails::Always))) {
        let n = 4;
        let (definition, extra) = r.machine().render();
        let scenario = load(&definition, &extra, r.seed, n);
        let (_, s) = summary(&scenario);
        let get = |key: &str| counter(&s, &format!("step_functions.m.{key}"));
        let attempts = u64::from(r.retrier.max_attempts) + 1;
        prop_assert_eq!(get("failed"), n, "{}", definition);
        prop_assert_eq!(get("retries"), n * (attempts - 1));
        prop_assert_eq!(get("transitions"), n * attempts);

        let (work_us, delays_us) = r.schedule_us(attempts);
        let (work_ms, delays_ms) = (work_us / 1e3, delays_us / 1e3);
        let slack_ms = attempts as f64 * 1e-3;
        let duration = |stat: &str| latency(&s, "step_functions.m.duration", stat);
        // The mean is exact; percentiles and the maximum are kept to three significant
        // digits (within 0.1 %).
        let (mean, p50, max) = (duration("mean"), duration("p50"), duration("max"));
        if r.retrier.full_jitter {
            prop_assert!(
                mean >= work_ms - slack_ms && mean <= work_ms + delays_ms + slack_ms,
                "{}: mean {} ms, attempts {} ms, delays up to {} ms", definition, mean, work_ms, delays_ms
            );
            prop_assert!(
                max <= (work_ms + delays_ms) * 1.001 + slack_ms,
                "{}: max {} ms, attempts {} ms, delays up to {} ms", definition, max, work_ms, delays_ms
            );
        } else {
            let expected = work_ms + delays_ms;
            prop_assert!(
                (mean - expected).abs() <= slack_ms,
                "{}: mean {} ms, expected {} ms", definition, mean, expected
            );
            for (stat, value) in [("p50", p50), ("max", max)] {
                prop_assert!(
                    value >= expected * 0.999 - slack_ms && value <= expected * 1.001 + slack_ms,
                    "{}: {} {} ms, expected {} ms", definition, stat, value, expected
                );
            }
        }
    }
}
