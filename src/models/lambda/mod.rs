//! AWS Lambda functions (on-demand, synchronous view): execution environments that start
//! cold and stay warm, the account's concurrency pool and reserved concurrency, the
//! per-function scaling rate, timeouts, function errors and billed duration.
//!
//! Follows `reference/aws-stepfunctions-lambda.md` §8 (Lambda Developer Guide, Lambda
//! pricing page, AWS News and Compute blogs):
//! - memory 128–10,240 MB (default 128); timeout 1–900 s (default 3 s);
//! - concurrency is the number of execution environments busy with an invocation, INIT
//!   included. The account has 1,000 by default; a function with reserved concurrency R
//!   can use at most R, and those R are taken out of the pool the other functions share
//!   (`scenario` checks that at least 100 stay unreserved, as AWS requires);
//! - scaling (current rule, since 2023-11-26): each function can create 1,000 new execution
//!   environments every 10 s, refilled continuously and not accruable. That is a token
//!   bucket of 1,000 refilled at 100 per second, full at the start of the run. Reusing a
//!   warm environment takes no token. An invocation with no concurrency left, or needing a
//!   new environment with no token left, is throttled (HTTP 429): counted, not run;
//! - a cold start runs INIT before the handler. INIT has its own 10 s limit and the handler
//!   has the function timeout; an INIT longer than 10 s fails, and is retried inside the
//!   first invoke, where INIT and handler together get the function timeout;
//! - billed duration is INIT + handler, rounded up to 1 ms per invocation (1 ms since
//!   December 2020). INIT is billed for every configuration since 2025-08-01; before that
//!   it was free for on-demand ZIP functions on managed runtimes: see [`Config::bills_init`];
//! - a request is billed for every invocation that starts; throttled calls are not billed.
//!
//! Modelling choices where AWS publishes no rule (each one a default that can be changed):
//! - an idle environment stays warm for [`Config::keep_alive`] (default
//!   [`KEEP_ALIVE_DEFAULT`], 10 min, the fixed idle lifetime Mikhail Shilkov measured in
//!   2019, mikhail.io/2019/08/aws-lambda-cold-starts-after-10-minutes; AWS only says "for a
//!   while") and is gone from `idle_since + keep_alive` on;
//! - the most recently used idle environment is reused first (LIFO). This keeps the fewest
//!   environments warm: under falling load the least recently used ones stay idle and
//!   expire, so the warm pool shrinks to what the load needs. That it matches what AWS does
//!   is an assumption;
//! - a failing invocation runs for its whole drawn duration, then fails; a handler that runs
//!   exactly the timeout succeeds, one microsecond longer times out;
//! - an INIT longer than 10 s occupies 10 s for the failed first attempt, then runs again
//!   inside the invoke; both attempts count as INIT (for billing and the INIT histogram);
//! - SnapStart ([`Config::snap_start`]): a cold start restores the published version's
//!   snapshot instead of running INIT. Its time is [`SnapStart::restore_duration_s`], whose
//!   default (lognormal, median 0.75 s, p99 1.4 s) follows measured Java restores
//!   (`reference/aws-latencies.md`); AWS publishes no figure. AWS bills the "Billed Restore
//!   Duration" (loading the runtime and after-restore hooks) but not the snapshot's restore,
//!   without saying how a restore splits between them: the billed share is
//!   [`SnapStart::billed_fraction`], 1 (all of it) by default, an upper bound. Restores take
//!   INIT's place in the INIT histogram and limit; the snapshot's caching and restoration
//!   charges (Python and .NET) are not priced;
//! - every started invocation draws one duration and one error decision from its own
//!   stream, and every cold start one INIT, so changing the error rate or the INIT
//!   distribution leaves every handler duration unchanged (common random numbers).
//!
//! The model never schedules events: [`Service::invoke`] says how long the environment is
//! busy and `world` schedules the end, then calls [`Service::finish`]. Idle environments
//! expire lazily, on the next invoke or end of their function, so they cost no engine events,
//! and memory grows with the peak number of environments, never with the length of the run.
//! The environments gauge still drops each one at the instant its keep-alive ran out: every
//! change of the gauge first expires what is due, so its changes stay in time order.
//!
//! The SQS event source mapping that invokes functions from a queue is in
//! [`event_source`].
//!
//! Asynchronous invocation (SNS, EventBridge, on-failure destinations) goes through the
//! function's event queue, with its retries and event age, in [`asynchronous`]; its attempts
//! use the same `invoke`.
//!
//! Deliberately absent: provisioned concurrency, the pre-2023 account-wide burst
//! scaling, the 10 requests/s per environment limit, recycling of busy environments every
//! few hours, the reset (and fresh INIT) of an environment after a timeout or crash (here it
//! is reused warm), payload limits, and CPU scaling with memory (durations are given per
//! function, so a change of memory must come with its own duration distribution).
//!
//! Environments are also measured as callers and operators see them: per function, the
//! time-weighted numbers of busy, idle-warm and all environments (`TimeWeighted`), and the
//! cold-start share. AWS publishes no metric of idle environments: these are the model's.
//!
//! Units: times are [`SimTime`]/[`SimDuration`] (microseconds); distributions are in
//! seconds (`_s`); memory in MB (MiB, as AWS means it); billed duration in whole ms.

pub mod asynchronous;
pub mod event_source;
pub mod managed_instances;

pub use asynchronous::{AsyncConfig, AsyncStep, Condition};
use asynchronous::{AsyncEvent, AsyncQueue};
use managed_instances::Fleet;

use std::collections::VecDeque;

use crate::distributions::Distribution;
use crate::engine::{RngFactory, SimDuration, SimRng, SimTime};
use crate::metrics::{LatencyHistogram, TimeWeighted};
use crate::models::Message;

/// AWS limits and defaults, for `scenario` to validate against and apply.
pub const MEMORY_MB_MIN: u32 = 128;
pub const MEMORY_MB_MAX: u32 = 10_240;
pub const MEMORY_MB_DEFAULT: u32 = 128;
pub const TIMEOUT_MIN: SimDuration = SimDuration::from_secs(1);
pub const TIMEOUT_MAX: SimDuration = SimDuration::from_secs(900);
pub const TIMEOUT_DEFAULT: SimDuration = SimDuration::from_secs(3);
pub const ACCOUNT_CONCURRENCY_DEFAULT: u32 = 1_000;
/// AWS refuses reservations that would leave less than this for unreserved functions.
pub const UNRESERVED_CONCURRENCY_MIN: u32 = 100;
/// New execution environments one function can create at once (current AWS rule).
pub const SCALING_BURST_DEFAULT: u32 = 1_000;
/// How fast that allowance refills: 1,000 per 10 s.
pub const SCALING_REFILL_PER_S_DEFAULT: u32 = 100;
/// The INIT phase's own limit for on-demand functions.
pub const INIT_LIMIT: SimDuration = SimDuration::from_secs(10);
/// How long an idle environment stays warm; an assumption, see the module docs.
pub const KEEP_ALIVE_DEFAULT: SimDuration = SimDuration::from_secs(600);

/// Index of a function within [`Service`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FunctionId(pub u32);

/// Index of an execution environment within its function. An id is reused once its
/// environment has expired, so it is only meaningful while the environment is busy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnvironmentId(pub u32);

/// The instruction set a function runs on; it only changes the price.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Architecture {
    #[default]
    X86,
    Arm,
}

/// Configuration of one function, already validated.
#[derive(Clone, Debug)]
pub struct Config {
    pub name: String,
    pub memory_mb: u32,
    /// Limit of the handler's run (and of a retried INIT with it).
    pub timeout: SimDuration,
    /// Handler run time, as it would be without a timeout.
    pub duration_s: Distribution,
    /// Probability that an invocation ends in a function error.
    pub error_rate: f64,
    /// INIT phase of a cold start.
    pub init_duration_s: Distribution,
    /// How long an idle environment stays warm (AWS publishes no figure).
    pub keep_alive: SimDuration,
    pub architecture: Architecture,
    /// At most this many concurrent environments, taken out of the account's shared pool.
    pub reserved_concurrency: Option<u32>,
    /// Whether INIT is billed: true for all configurations since 2025-08-01; set false to
    /// price on-demand ZIP functions on managed runtimes as before that date.
    pub bills_init: bool,
    /// SnapStart on the invoked version: cold starts restore a snapshot instead of INIT.
    pub snap_start: Option<SnapStart>,
    /// Retries and event age of asynchronous invocations.
    pub asynchronous: AsyncConfig,
    /// Runs on Lambda Managed Instances instead of on demand: see [`managed_instances`].
    pub managed_instances: Option<managed_instances::Config>,
}

/// Account-wide settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    /// Concurrent executions across all functions of the region.
    pub concurrency: u32,
    /// New environments each function may create at once.
    pub scaling_burst: u32,
    /// How many new-environment allowances each function gets back per second.
    pub scaling_refill_per_s: u32,
}

/// What an Invoke call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invocation {
    /// No concurrency or no scaling allowance left (HTTP 429); nothing ran.
    Throttled,
    /// The invocation runs in `environment`, which is busy for `init + run`; the caller
    /// must call [`Service::finish`] then.
    Started {
        environment: EnvironmentId,
        is_cold: bool,
        /// INIT time (zero when warm).
        init: SimDuration,
        /// Handler time, cut at the timeout.
        run: SimDuration,
        outcome: Outcome,
    },
}

/// How a started invocation ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// The handler returned a function error.
    Failed,
    TimedOut,
}

/// Counters and latencies of one function. Everything about an invocation is counted when
/// it starts, so a statistics window holds whole invocations.
#[derive(Clone, Debug, Default)]
pub struct FunctionMetrics {
    /// Invoke calls, started or throttled.
    pub invocations: u64,
    /// Billed requests: invocations that started.
    pub requests: u64,
    pub cold_starts: u64,
    /// Invocations refused with a 429.
    pub throttles: u64,
    /// Of `throttles`, those refused because the scaling rate allowed no new environment.
    pub scaling_throttles: u64,
    /// Function errors, timeouts excluded (CloudWatch's `Errors` counts both).
    pub errors: u64,
    pub timeouts: u64,
    /// Handler run per started invocation, cut at the timeout.
    pub duration: LatencyHistogram,
    /// INIT per cold start.
    pub init: LatencyHistogram,
    /// Environments busy with an invocation.
    pub concurrency: TimeWeighted,
    /// Environments that exist, busy or idle and warm. An idle one leaves it at the instant
    /// its keep-alive runs out, even though the model notices that later.
    pub environments: TimeWeighted,
    /// Sum of billed durations, each rounded up to 1 ms.
    pub billed_ms: u64,
    /// Invocations running when the statistics window opened, and those that ended in it:
    /// with `requests` and the ones still running, the function's conservation balance.
    pub running_at_start: u64,
    pub ended: u64,
    /// Asynchronous invocation (AWS's `AsyncEventsReceived`): events accepted into the queue.
    pub async_received: u64,
    /// Events whose invocation succeeded.
    pub async_succeeded: u64,
    /// Retries after function errors.
    pub async_retries: u64,
    /// Attempts refused for lack of concurrency, each one counted (also in `throttles`).
    pub async_throttled: u64,
    /// Events dropped because their retries ran out, or their age (their sum is AWS's
    /// `AsyncEventsDropped`).
    pub async_retries_exhausted: u64,
    pub async_event_age_exceeded: u64,
    /// Of the dropped events, those the world sent to the on-failure destination and those
    /// it sent to the dead-letter queue, and those sends that failed (AWS's
    /// `DestinationDeliveryFailures` and `DeadLetterErrors`).
    pub async_to_destination: u64,
    pub async_destination_failures: u64,
    pub async_to_dead_letter: u64,
    pub async_dead_letter_errors: u64,
    /// Of the succeeded events, those the world sent to the on-success destination, and the
    /// sends that failed (also AWS's `DestinationDeliveryFailures`).
    pub async_to_success_destination: u64,
    pub async_success_destination_failures: u64,
    /// Events in the queue (waiting or running) when the window opened.
    pub async_queued_at_start: u64,
    /// From an event's arrival in the queue to each invocation started for it.
    pub async_event_age: LatencyHistogram,
}

/// All functions of a scenario and the account's concurrency.
#[derive(Debug)]
pub struct Service {
    functions: Vec<Function>,
    /// Account concurrency minus every reservation: what unreserved functions share.
    unreserved_capacity: u32,
    unreserved_in_use: u32,
}

#[derive(Debug)]
struct Function {
    config: Config,
    environments: Vec<Environment>,
    /// Slots of expired environments, reused before `environments` grows.
    free_slots: Vec<u32>,
    /// Idle environments by the time they went idle, oldest at the front. `finish` pushes
    /// at the back with the current time, so the order holds without sorting.
    idle: VecDeque<u32>,
    /// When the oldest idle environment's keep-alive runs out (`SimTime::MAX` with none
    /// idle): every invoke and end looks at this one time instead of the idle list.
    idle_expires_at: SimTime,
    scaling: ScalingBucket,
    in_use: u32,
    /// The handler's duration when `duration_s` is a constant, converted to microseconds
    /// once instead of on every invocation (a constant draws nothing from `duration_rng`).
    duration_constant: Option<SimDuration>,
    duration_rng: SimRng,
    error_rng: SimRng,
    init_rng: SimRng,
    metrics: FunctionMetrics,
    queue: AsyncQueue,
    /// The instances of a function on Managed Instances.
    fleet: Option<Fleet>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Environment {
    Gone,
    Busy,
    Idle { since: SimTime },
}

/// The per-function scaling allowance, in exact integers: one new environment costs
/// `MICROS_PER_S` credits and every microsecond adds `refill_per_s`, so a refill rate in
/// whole environments per second never rounds.
#[derive(Clone, Copy, Debug)]
struct ScalingBucket {
    credits: u64,
    capacity: u64,
    refill_per_s: u64,
    updated_at: SimTime,
}

const MICROS_PER_S: u64 = 1_000_000;

impl Default for Account {
    fn default() -> Self {
        Account {
            concurrency: ACCOUNT_CONCURRENCY_DEFAULT,
            scaling_burst: SCALING_BURST_DEFAULT,
            scaling_refill_per_s: SCALING_REFILL_PER_S_DEFAULT,
        }
    }
}

/// SnapStart's restore, which replaces INIT on a cold start.
#[derive(Clone, Debug)]
pub struct SnapStart {
    pub restore_duration_s: Distribution,
    /// The share of a restore that is billed (AWS's "Billed Restore Duration").
    pub billed_fraction: f64,
}

impl Config {
    /// A function with AWS's defaults (128 MB, 3 s timeout, x86, no reservation, INIT
    /// billed), no errors, and the model's default keep-alive.
    pub fn new(name: &str, duration_s: Distribution, init_duration_s: Distribution) -> Config {
        Config {
            name: name.to_string(),
            memory_mb: MEMORY_MB_DEFAULT,
            timeout: TIMEOUT_DEFAULT,
            duration_s,
            error_rate: 0.0,
            init_duration_s,
            keep_alive: KEEP_ALIVE_DEFAULT,
            architecture: Architecture::X86,
            reserved_concurrency: None,
            bills_init: true,
            snap_start: None,
            asynchronous: AsyncConfig::default(),
            managed_instances: None,
        }
    }
}

/// GB-seconds, the unit Lambda's duration is priced in (GB meaning 1,024 MB).
pub fn gb_seconds(billed_ms: u64, memory_mb: u32) -> f64 {
    billed_ms as f64 / 1_000.0 * f64::from(memory_mb) / 1_024.0
}

impl Service {
    /// Function `i` of `configs` becomes `FunctionId(i)`. Each function draws from the
    /// streams `lambda.NAME.duration`, `lambda.NAME.errors` and `lambda.NAME.init`.
    pub fn new(account: Account, configs: Vec<Config>, rngs: &RngFactory) -> Service {
        let reserved: u64 = configs.iter().filter_map(|c| c.reserved_concurrency).map(u64::from).sum();
        assert!(
            reserved <= u64::from(account.concurrency),
            "scenario validation lets reservations exceed the account's concurrency"
        );
        let functions = configs.into_iter().map(|config| Function::new(config, &account, rngs)).collect();
        Service { functions, unreserved_capacity: account.concurrency - reserved as u32, unreserved_in_use: 0 }
    }

    pub fn function_count(&self) -> usize {
        self.functions.len()
    }

    pub fn config(&self, function: FunctionId) -> &Config {
        &self.function(function).config
    }

    pub fn metrics(&self, function: FunctionId) -> &FunctionMetrics {
        &self.function(function).metrics
    }

    /// Environments of `function` busy with an invocation now.
    pub fn concurrency_in_use(&self, function: FunctionId) -> u32 {
        self.function(function).in_use
    }

    /// Environments busy across all functions.
    pub fn busy_environments(&self) -> u64 {
        self.functions.iter().map(|f| u64::from(f.in_use)).sum()
    }

    /// The function's billed duration so far, in GB-seconds.
    /// Zero on Managed Instances, which bill instances instead of duration.
    pub fn gb_seconds(&self, function: FunctionId) -> f64 {
        let f = self.function(function);
        if f.fleet.is_some() {
            return 0.0;
        }
        gb_seconds(f.metrics.billed_ms, f.config.memory_mb)
    }

    /// An Invoke call at `now`. A started invocation keeps its environment busy for
    /// `init + run`; the caller schedules its end and then calls [`Service::finish`].
    pub fn invoke(&mut self, now: SimTime, function: FunctionId) -> Invocation {
        if self.function(function).fleet.is_some() {
            return self.functions[function.0 as usize].invoke_on_instances(now);
        }
        let has_concurrency = self.has_concurrency(function);
        let f = &mut self.functions[function.0 as usize];
        f.metrics.invocations += 1;
        f.expire_idle(now);
        if !has_concurrency {
            f.metrics.throttles += 1;
            return Invocation::Throttled;
        }
        let (environment, is_cold) = match f.idle.pop_back() {
            Some(slot) => {
                // The most recent is taken; the oldest, whose expiry is kept, stays unless
                // it was the only one.
                if f.idle.is_empty() {
                    f.idle_expires_at = SimTime::MAX;
                }
                (slot, false)
            }
            None if f.scaling.try_take(now) => {
                f.metrics.environments.add(now, 1);
                (f.new_environment(), true)
            }
            None => {
                f.metrics.throttles += 1;
                f.metrics.scaling_throttles += 1;
                return Invocation::Throttled;
            }
        };
        f.environments[environment as usize] = Environment::Busy;
        f.in_use += 1;
        if f.config.reserved_concurrency.is_none() {
            self.unreserved_in_use += 1;
        }
        f.metrics.concurrency.add(now, 1);
        f.run(EnvironmentId(environment), is_cold)
    }

    /// The invocation running in `environment` ended at `now`: the environment goes idle
    /// and stays warm for the function's keep-alive.
    pub fn finish(&mut self, now: SimTime, function: FunctionId, environment: EnvironmentId) {
        let f = &mut self.functions[function.0 as usize];
        if f.fleet.is_some() {
            f.finish_on_instances(now, environment);
            return;
        }
        // Expiries come first so that the environments gauge changes in time order.
        f.expire_idle(now);
        let slot = &mut f.environments[environment.0 as usize];
        assert_eq!(*slot, Environment::Busy, "finish of an environment with no invocation");
        *slot = Environment::Idle { since: now };
        if f.idle.is_empty() {
            f.idle_expires_at = now + f.config.keep_alive;
        }
        f.idle.push_back(environment.0);
        f.in_use -= 1;
        if f.config.reserved_concurrency.is_none() {
            self.unreserved_in_use -= 1;
        }
        f.metrics.ended += 1;
        f.metrics.concurrency.add(now, -1);
    }

    /// A started invocation ended in a function error that only its caller could see (an
    /// SQS batch handler that threw on a failed message).
    pub fn record_error(&mut self, function: FunctionId) {
        self.functions[function.0 as usize].metrics.errors += 1;
    }

    /// The handler of an invocation ran `extra` longer than drawn (it waited on a call to
    /// another service): billed too, in whole milliseconds.
    pub fn bill_extra(&mut self, function: FunctionId, extra: SimDuration) {
        self.functions[function.0 as usize].metrics.billed_ms += extra.as_micros().div_ceil(1_000);
    }

    /// Starts a new statistics window at `now` (end of warm-up); busy environments stay
    /// counted in the concurrency gauge.
    pub fn reset_metrics(&mut self, now: SimTime) {
        for f in &mut self.functions {
            f.expire_idle(now);
            let (mut concurrency, mut environments) = (f.metrics.concurrency, f.metrics.environments);
            concurrency.reset(now);
            environments.reset(now);
            let running_at_start = u64::from(f.in_use);
            let async_queued_at_start = f.queue.queued;
            if let Some(fleet) = &mut f.fleet {
                fleet.reset_metrics(now);
            }
            f.metrics = FunctionMetrics {
                concurrency,
                environments,
                running_at_start,
                async_queued_at_start,
                ..FunctionMetrics::default()
            };
        }
    }

    /// Lets every idle environment whose keep-alive ran out by `now` go, so that the
    /// environments gauge is exact up to `now` (the end of a run).
    pub fn settle(&mut self, now: SimTime) {
        for f in &mut self.functions {
            f.expire_idle(now);
            if let Some(fleet) = &mut f.fleet {
                fleet.advance(now);
            }
        }
    }

    /// Environments of `function` idle and still warm at `now`, without expiring any.
    pub fn idle_environments(&self, function: FunctionId, now: SimTime) -> u32 {
        let f = self.function(function);
        let alive = |slot: &&u32| match f.environments[**slot as usize] {
            Environment::Idle { since } => since + f.config.keep_alive > now,
            _ => unreachable!("only idle environments are in the idle list"),
        };
        // Oldest first: the expired ones are a prefix.
        f.idle.iter().rev().take_while(alive).count() as u32
    }

    /// An event handed to the function's asynchronous queue at `now` (SNS, EventBridge, or
    /// another function's on-failure destination); it is tried at once.
    /// `queueing`: how long the event takes to come out of the queue for its first attempt
    /// (Lambda's asynchronous queueing and invoke overhead; zero with hop latencies off).
    pub fn receive_async(
        &mut self,
        now: SimTime,
        function: FunctionId,
        message: Message,
        queueing: SimDuration,
    ) -> AsyncStep {
        let f = &mut self.functions[function.0 as usize];
        f.metrics.async_received += 1;
        let event = AsyncEvent {
            message,
            received_at: now,
            invocations: 0,
            throttles: 0,
            is_failing: false,
            is_expiring: false,
        };
        let id = f.queue.insert(event);
        if queueing > SimDuration::ZERO {
            return f.wait_until(id, now + queueing);
        }
        self.attempt_async(now, function, id)
    }

    /// An event's wait (a retry, or its age running out) is over.
    pub fn async_event_due(&mut self, now: SimTime, function: FunctionId, event: u32) -> AsyncStep {
        let f = &mut self.functions[function.0 as usize];
        if f.queue.get(event).is_expiring {
            return f.drop_event(event, Condition::EventAgeExceeded);
        }
        self.attempt_async(now, function, event)
    }

    /// The asynchronous invocation running in `environment` ended at `now`.
    pub fn finish_async(&mut self, now: SimTime, function: FunctionId, environment: EnvironmentId) -> AsyncStep {
        self.finish(now, function, environment);
        let f = &mut self.functions[function.0 as usize];
        let id = f.queue.by_environment[environment.0 as usize];
        let event = *f.queue.get(id);
        if !event.is_failing {
            f.queue.remove(id);
            f.metrics.async_succeeded += 1;
            return AsyncStep::Succeeded { message: event.message, invocations: event.invocations };
        }
        let retries_made = event.invocations - 1;
        if retries_made >= f.config.asynchronous.maximum_retry_attempts {
            return f.drop_event(id, Condition::RetriesExhausted);
        }
        f.metrics.async_retries += 1;
        let delay = f.config.asynchronous.retry_delays[retries_made as usize];
        f.wait_until(id, now + delay)
    }

    /// Counts where the world sent a dropped event: to the on-failure destination (`None`:
    /// the function has none; `Some(false)`: the send failed) and to the dead-letter queue.
    pub fn record_dropped_sends(&mut self, function: FunctionId, destination: Option<bool>, dead_letter: Option<bool>) {
        let m = &mut self.functions[function.0 as usize].metrics;
        match destination {
            Some(true) => m.async_to_destination += 1,
            Some(false) => m.async_destination_failures += 1,
            None => {}
        }
        match dead_letter {
            Some(true) => m.async_to_dead_letter += 1,
            Some(false) => m.async_dead_letter_errors += 1,
            None => {}
        }
    }

    /// Whether the world's send of a succeeded event's record to the on-success destination
    /// was taken.
    pub fn record_success_send(&mut self, function: FunctionId, is_sent: bool) {
        let m = &mut self.functions[function.0 as usize].metrics;
        if is_sent {
            m.async_to_success_destination += 1;
        } else {
            m.async_success_destination_failures += 1;
        }
    }

    /// Events in the function's asynchronous queue now, waiting or running.
    pub fn async_queued(&self, function: FunctionId) -> u64 {
        self.function(function).queue.queued
    }

    /// Events in every function's asynchronous queue.
    pub fn async_queued_total(&self) -> u64 {
        self.functions.iter().map(|f| f.queue.queued).sum()
    }

    /// One attempt to run a queued event: it starts, or waits for its next try.
    fn attempt_async(&mut self, now: SimTime, function: FunctionId, id: u32) -> AsyncStep {
        let invocation = self.invoke(now, function);
        let f = &mut self.functions[function.0 as usize];
        match invocation {
            Invocation::Throttled => {
                f.metrics.async_throttled += 1;
                let event = f.queue.get(id);
                event.throttles += 1;
                let backoff = asynchronous::throttle_backoff(event.throttles);
                f.wait_until(id, now + backoff)
            }
            Invocation::Started { environment, init, run, outcome, .. } => {
                let event = f.queue.get(id);
                event.invocations += 1;
                event.throttles = 0;
                event.is_failing = outcome != Outcome::Succeeded;
                let (age, succeeds) = (now.saturating_since(event.received_at), !event.is_failing);
                f.metrics.async_event_age.record(age);
                f.queue.run_in(environment.0, id);
                AsyncStep::Started { environment: environment.0, busy: init + run, succeeds }
            }
        }
    }

    /// Brings every function's Managed Instances up to `now` (their launches and the
    /// scaler's looks), for a sample of the time series; it changes no result, since the
    /// fleet counts its busy slot-time in whole numbers, the same in any number of steps.
    pub fn advance_fleets(&mut self, now: SimTime) {
        for fleet in self.functions.iter_mut().filter_map(|f| f.fleet.as_mut()) {
            fleet.advance(now);
        }
    }

    /// The instances of a function on Managed Instances, `None` for an on-demand one.
    pub fn fleet(&self, function: FunctionId) -> Option<&Fleet> {
        self.function(function).fleet.as_ref()
    }

    fn function(&self, function: FunctionId) -> &Function {
        &self.functions[function.0 as usize]
    }

    fn has_concurrency(&self, function: FunctionId) -> bool {
        let f = self.function(function);
        match f.config.reserved_concurrency {
            Some(reserved) => f.in_use < reserved,
            None => self.unreserved_in_use < self.unreserved_capacity,
        }
    }
}

impl Function {
    fn new(config: Config, account: &Account, rngs: &RngFactory) -> Function {
        let stream = |purpose: &str| rngs.stream(&format!("lambda.{}.{purpose}", config.name));
        Function {
            duration_constant: config.duration_s.as_constant().map(SimDuration::from_secs_f64),
            duration_rng: stream("duration"),
            error_rng: stream("errors"),
            init_rng: stream("init"),
            environments: Vec::new(),
            free_slots: Vec::new(),
            idle: VecDeque::new(),
            idle_expires_at: SimTime::MAX,
            scaling: ScalingBucket::full(account.scaling_burst, account.scaling_refill_per_s),
            in_use: 0,
            metrics: FunctionMetrics::default(),
            queue: AsyncQueue::default(),
            fleet: config.managed_instances.clone().map(Fleet::new),
            config,
        }
    }

    /// The event waits until `at`, or until its age runs out if that comes first.
    fn wait_until(&mut self, id: u32, at: SimTime) -> AsyncStep {
        let maximum_age = self.config.asynchronous.maximum_event_age;
        let event = self.queue.get(id);
        let expires_at = event.received_at + maximum_age;
        event.is_expiring = at > expires_at;
        AsyncStep::DueAt { event: id, at: at.min(expires_at) }
    }

    fn drop_event(&mut self, id: u32, condition: Condition) -> AsyncStep {
        let event = self.queue.remove(id);
        match condition {
            Condition::RetriesExhausted => self.metrics.async_retries_exhausted += 1,
            Condition::EventAgeExceeded => self.metrics.async_event_age_exceeded += 1,
        }
        AsyncStep::Dropped { message: event.message, condition, invocations: event.invocations }
    }

    /// An invocation of a function on Managed Instances: it takes a free slot of the
    /// instances serving now, with no INIT (environments start with their instances, off the
    /// request path), or is throttled. It uses none of the account's concurrency pool
    /// (Managed Instances have quotas of their own); a reservation still caps it.
    fn invoke_on_instances(&mut self, now: SimTime) -> Invocation {
        let fleet = self.fleet.as_mut().expect("a function on Managed Instances");
        fleet.advance(now);
        self.metrics.invocations += 1;
        let reserved = self.config.reserved_concurrency.unwrap_or(u32::MAX);
        if u64::from(self.in_use) >= fleet.capacity() || self.in_use >= reserved {
            self.metrics.throttles += 1;
            return Invocation::Throttled;
        }
        self.in_use += 1;
        fleet.set_busy(now, self.in_use);
        // A slot names the invocation, as an environment does on demand, so that the
        // asynchronous queue finds its event when it ends.
        let slot = self.new_environment();
        self.environments[slot as usize] = Environment::Busy;
        self.metrics.concurrency.add(now, 1);
        self.run(EnvironmentId(slot), false)
    }

    fn finish_on_instances(&mut self, now: SimTime, environment: EnvironmentId) {
        let fleet = self.fleet.as_mut().expect("a function on Managed Instances");
        fleet.advance(now);
        let slot = &mut self.environments[environment.0 as usize];
        assert_eq!(*slot, Environment::Busy, "finish of an environment with no invocation");
        *slot = Environment::Gone;
        self.free_slots.push(environment.0);
        self.in_use -= 1;
        fleet.set_busy(now, self.in_use);
        self.metrics.ended += 1;
        self.metrics.concurrency.add(now, -1);
    }

    /// Drops the environments that have been idle for the keep-alive or longer.
    #[inline(always)]
    fn expire_idle(&mut self, now: SimTime) {
        if now >= self.idle_expires_at {
            self.expire_idle_due(now);
        }
    }

    /// [`Function::expire_idle`] once the oldest idle environment is due.
    #[inline(never)]
    fn expire_idle_due(&mut self, now: SimTime) {
        self.idle_expires_at = SimTime::MAX;
        while let Some(&slot) = self.idle.front() {
            let Environment::Idle { since } = self.environments[slot as usize] else {
                unreachable!("only idle environments are in the idle list");
            };
            if since + self.config.keep_alive > now {
                self.idle_expires_at = since + self.config.keep_alive;
                break;
            }
            self.idle.pop_front();
            self.environments[slot as usize] = Environment::Gone;
            self.free_slots.push(slot);
            self.metrics.environments.add(since + self.config.keep_alive, -1);
        }
    }

    fn new_environment(&mut self) -> u32 {
        self.free_slots.pop().unwrap_or_else(|| {
            self.environments.push(Environment::Gone);
            u32::try_from(self.environments.len() - 1).expect("fewer than 2^32 environments")
        })
    }

    /// Draws the invocation's times and outcome, and counts it.
    fn run(&mut self, environment: EnvironmentId, is_cold: bool) -> Invocation {
        let init_drawn = match (&self.config.snap_start, is_cold) {
            (_, false) => SimDuration::ZERO,
            (Some(snap), true) => snap.restore_duration_s.sample_duration(&mut self.init_rng),
            (None, true) => self.config.init_duration_s.sample_duration(&mut self.init_rng),
        };
        let run_drawn = match self.duration_constant {
            Some(run) => run,
            None => self.config.duration_s.sample_duration(&mut self.duration_rng),
        };
        let has_failed = self.error_rng.chance(self.config.error_rate);
        let phases = Phases::new(init_drawn, run_drawn, self.config.timeout);
        let outcome = if phases.is_timed_out {
            Outcome::TimedOut
        } else if has_failed {
            Outcome::Failed
        } else {
            Outcome::Succeeded
        };

        let m = &mut self.metrics;
        m.requests += 1;
        m.duration.record(phases.run);
        if is_cold {
            m.cold_starts += 1;
            m.init.record(phases.init);
        }
        match outcome {
            Outcome::Succeeded => {}
            Outcome::Failed => m.errors += 1,
            Outcome::TimedOut => m.timeouts += 1,
        }
        let billed_init = match &self.config.snap_start {
            Some(snap) => SimDuration::from_secs_f64(phases.init.as_secs_f64() * snap.billed_fraction),
            None if self.config.bills_init => phases.init,
            None => SimDuration::ZERO,
        };
        m.billed_ms += (billed_init + phases.run).as_micros().div_ceil(1_000);
        Invocation::Started { environment, is_cold, init: phases.init, run: phases.run, outcome }
    }
}

/// How long an invocation spends in INIT and in the handler, given what they would take
/// without limits (`init` zero for a warm start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Phases {
    init: SimDuration,
    run: SimDuration,
    is_timed_out: bool,
}

impl Phases {
    fn new(init: SimDuration, run: SimDuration, timeout: SimDuration) -> Phases {
        if init <= INIT_LIMIT {
            // INIT has its own limit; the handler gets the whole timeout.
            return Phases { init, run: run.min(timeout), is_timed_out: run > timeout };
        }
        // The first INIT fails at 10 s; the invoke retries it, and INIT plus handler share
        // the function timeout.
        let init_retried = init.min(timeout);
        let invoke = (init + run).min(timeout);
        Phases {
            init: INIT_LIMIT + init_retried,
            run: SimDuration::from_micros(invoke.as_micros() - init_retried.as_micros()),
            is_timed_out: init + run > timeout,
        }
    }
}

impl ScalingBucket {
    fn full(burst: u32, refill_per_s: u32) -> ScalingBucket {
        let capacity = u64::from(burst) * MICROS_PER_S;
        ScalingBucket { credits: capacity, capacity, refill_per_s: u64::from(refill_per_s), updated_at: SimTime::ZERO }
    }

    /// Takes the allowance for one new environment, if there is one.
    fn try_take(&mut self, now: SimTime) -> bool {
        let elapsed_us = now.saturating_since(self.updated_at).as_micros();
        let refill = elapsed_us.saturating_mul(self.refill_per_s);
        self.credits = self.credits.saturating_add(refill).min(self.capacity);
        self.updated_at = now;
        if self.credits >= MICROS_PER_S {
            self.credits -= MICROS_PER_S;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_s(s: f64) -> SimTime {
        SimTime::from_secs_f64(s)
    }

    fn ms(ms: u64) -> SimDuration {
        SimDuration::from_micros(ms * 1_000)
    }

    /// A function whose handler takes `run_s` and whose INIT takes `init_s`.
    fn function(name: &str, run_s: f64, init_s: f64) -> Config {
        Config::new(name, Distribution::constant(run_s), Distribution::constant(init_s))
    }

    fn service(account: Account, configs: Vec<Config>) -> Service {
        Service::new(account, configs, &RngFactory::new(7))
    }

    fn with_concurrency(concurrency: u32) -> Account {
        Account { concurrency, ..Account::default() }
    }

    const F: FunctionId = FunctionId(0);

    fn started(invocation: Invocation) -> (EnvironmentId, bool, SimDuration, SimDuration, Outcome) {
        match invocation {
            Invocation::Started { environment, is_cold, init, run, outcome } => {
                (environment, is_cold, init, run, outcome)
            }
            Invocation::Throttled => panic!("expected the invocation to start"),
        }
    }

    /// Invokes `n` times at `now` and counts how many started.
    fn invoke_many(lambda: &mut Service, now: SimTime, function: FunctionId, n: u32) -> u32 {
        (0..n).filter(|_| lambda.invoke(now, function) != Invocation::Throttled).count() as u32
    }

    #[test]
    fn first_invocation_is_cold_and_the_next_one_right_after_is_warm() {
        let mut lambda = service(Account::default(), vec![function("f", 0.1, 0.25)]);
        let (env, is_cold, init, run, outcome) = started(lambda.invoke(at_s(0.0), F));
        assert!(is_cold);
        assert_eq!((init, run, outcome), (ms(250), ms(100), Outcome::Succeeded));
        lambda.finish(at_s(0.35), F, env);

        let (env2, is_cold, init, run, _) = started(lambda.invoke(at_s(0.35), F));
        assert!(!is_cold);
        assert_eq!(env2, env, "the warm environment is reused");
        assert_eq!((init, run), (SimDuration::ZERO, ms(100)));
        let m = lambda.metrics(F);
        assert_eq!((m.invocations, m.requests, m.cold_starts), (2, 2, 1));
        assert_eq!((m.duration.count(), m.init.count()), (2, 1));
    }

    #[test]
    fn an_environment_idle_for_the_keep_alive_cold_starts_again() {
        let mut config = function("f", 0.1, 0.25);
        config.keep_alive = SimDuration::from_secs(60);
        let mut lambda = service(Account::default(), vec![config]);
        let (env, ..) = started(lambda.invoke(at_s(0.0), F));
        lambda.finish(at_s(1.0), F, env);

        // Idle 1 µs less than the keep-alive: still warm.
        let (env, is_cold, ..) = started(lambda.invoke(SimTime::from_micros(60_999_999), F));
        assert!(!is_cold);
        lambda.finish(at_s(70.0), F, env);
        // Idle exactly the keep-alive: gone.
        let (_, is_cold, ..) = started(lambda.invoke(at_s(130.0), F));
        assert!(is_cold);
        assert_eq!(lambda.metrics(F).cold_starts, 2);
    }

    #[test]
    fn account_concurrency_throttles_the_invocation_beyond_the_cap_and_counts_it() {
        let mut lambda = service(with_concurrency(150), vec![function("f", 10.0, 0.5)]);
        assert_eq!(invoke_many(&mut lambda, at_s(0.0), F, 150), 150);
        assert_eq!(lambda.concurrency_in_use(F), 150);
        assert_eq!(lambda.invoke(at_s(1.0), F), Invocation::Throttled);
        let m = lambda.metrics(F);
        assert_eq!((m.invocations, m.requests, m.throttles), (151, 150, 1));
        assert_eq!(m.scaling_throttles, 0, "the scaling allowance was not the limit");

        // One ends: its environment takes the next invocation, warm.
        lambda.finish(at_s(10.5), F, EnvironmentId(0));
        let (env, is_cold, ..) = started(lambda.invoke(at_s(10.5), F));
        assert_eq!((env, is_cold), (EnvironmentId(0), false));
    }

    #[test]
    fn reserved_concurrency_caps_a_function_and_is_taken_from_the_account_pool() {
        let mut reserved = function("reserved", 10.0, 0.5);
        reserved.reserved_concurrency = Some(100);
        let shared = function("shared", 10.0, 0.5);
        let mut lambda = service(with_concurrency(300), vec![reserved, shared]);
        let (r, s) = (FunctionId(0), FunctionId(1));

        assert_eq!(invoke_many(&mut lambda, at_s(0.0), r, 101), 100);
        assert_eq!(lambda.metrics(r).throttles, 1);
        // 300 - 100 reserved: the other functions share 200, even while `r` is busy or idle.
        assert_eq!(invoke_many(&mut lambda, at_s(0.0), s, 201), 200);
        assert_eq!(lambda.metrics(s).throttles, 1);

        for e in 0..100 {
            lambda.finish(at_s(10.5), r, EnvironmentId(e));
        }
        assert_eq!(lambda.concurrency_in_use(r), 0);
        assert_eq!(
            lambda.invoke(at_s(11.0), s),
            Invocation::Throttled,
            "an idle reservation is not lent to other functions"
        );
    }

    #[test]
    fn scaling_allows_1000_new_environments_at_once_then_100_per_second() {
        let mut lambda = service(with_concurrency(10_000), vec![function("f", 60.0, 0.5)]);
        assert_eq!(invoke_many(&mut lambda, at_s(0.0), F, 1_001), 1_000);
        assert_eq!(lambda.metrics(F).scaling_throttles, 1);
        assert_eq!(invoke_many(&mut lambda, at_s(1.0), F, 101), 100);
        // Half an allowance: nothing; the other half arrives 5 ms later.
        assert_eq!(invoke_many(&mut lambda, at_s(1.005), F, 1), 0);
        assert_eq!(invoke_many(&mut lambda, at_s(1.01), F, 2), 1);
        // After a long quiet spell the allowance is full again, and no more than full.
        assert_eq!(invoke_many(&mut lambda, at_s(1_000.0), F, 1_500), 1_000);
        let m = lambda.metrics(F);
        assert_eq!(m.cold_starts, 2_101);
        assert_eq!(m.throttles, 1 + 1 + 1 + 1 + 500);
        assert_eq!(m.scaling_throttles, m.throttles);
    }

    #[test]
    fn warm_environments_need_no_scaling_allowance() {
        let mut lambda = service(with_concurrency(10_000), vec![function("f", 0.001, 0.0)]);
        assert_eq!(invoke_many(&mut lambda, at_s(0.0), F, 1_000), 1_000);
        for e in 0..1_000 {
            lambda.finish(at_s(0.001), F, EnvironmentId(e));
        }
        // 2 ms later only 0.2 of an allowance has come back, but all 1,000 are warm.
        assert_eq!(invoke_many(&mut lambda, at_s(0.002), F, 1_000), 1_000);
        assert_eq!(lambda.metrics(F).cold_starts, 1_000);
        assert_eq!(lambda.metrics(F).throttles, 0);
    }

    #[test]
    fn billed_duration_rounds_up_to_the_millisecond_and_includes_init() {
        let mut config = function("f", 0.050_001_4, 0.123_456_7);
        config.memory_mb = 2_048;
        let mut lambda = service(Account::default(), vec![config]);
        // Cold: 123,457 µs INIT + 50,001 µs handler = 173,458 µs, billed 174 ms.
        let (env, ..) = started(lambda.invoke(at_s(0.0), F));
        assert_eq!(lambda.metrics(F).billed_ms, 174);
        lambda.finish(at_s(1.0), F, env);
        // Warm: 50,001 µs, billed 51 ms.
        started(lambda.invoke(at_s(1.0), F));
        assert_eq!(lambda.metrics(F).billed_ms, 174 + 51);
        // 0.225 s at 2 GB.
        assert!((lambda.gb_seconds(F) - 0.45).abs() < 1e-12);
    }

    #[test]
    fn init_is_not_billed_when_bills_init_is_off() {
        let mut config = function("f", 0.050_001_4, 0.123_456_7);
        config.bills_init = false;
        let mut lambda = service(Account::default(), vec![config]);
        started(lambda.invoke(at_s(0.0), F));
        assert_eq!(lambda.metrics(F).billed_ms, 51);
    }

    #[test]
    fn a_timed_out_invocation_occupies_and_bills_exactly_the_timeout() {
        let mut config = function("f", 5.0, 0.5);
        config.timeout = SimDuration::from_secs(3);
        let mut lambda = service(Account::default(), vec![config]);
        let (env, ..) = started(lambda.invoke(at_s(0.0), F));
        lambda.finish(at_s(3.5), F, env);
        let billed_cold = lambda.metrics(F).billed_ms;

        let (_, is_cold, init, run, outcome) = started(lambda.invoke(at_s(4.0), F));
        assert!(!is_cold);
        assert_eq!((init, run, outcome), (SimDuration::ZERO, ms(3_000), Outcome::TimedOut));
        assert_eq!(lambda.metrics(F).billed_ms - billed_cold, 3_000);
        assert_eq!(lambda.metrics(F).timeouts, 2);
    }

    #[test]
    fn init_under_10_s_does_not_count_against_the_timeout() {
        let mut config = function("f", 2.9, 0.5);
        config.timeout = SimDuration::from_secs(3);
        let mut lambda = service(Account::default(), vec![config]);
        let (_, is_cold, init, run, outcome) = started(lambda.invoke(at_s(0.0), F));
        assert!(is_cold);
        assert_eq!((init, run, outcome), (ms(500), ms(2_900), Outcome::Succeeded));
        assert_eq!(lambda.metrics(F).billed_ms, 3_400);
    }

    #[test]
    fn init_over_10_s_is_retried_inside_the_invoke_under_the_timeout() {
        let mut fits = function("fits", 1.0, 12.0);
        fits.timeout = SimDuration::from_secs(30);
        let mut too_long = function("too_long", 1.0, 12.0);
        too_long.timeout = SimDuration::from_secs(5);
        let mut lambda = service(Account::default(), vec![fits, too_long]);

        // 10 s failed INIT, then 12 s INIT + 1 s handler within the 30 s timeout.
        let (_, _, init, run, outcome) = started(lambda.invoke(at_s(0.0), FunctionId(0)));
        assert_eq!((init, run, outcome), (ms(22_000), ms(1_000), Outcome::Succeeded));
        // 10 s failed INIT, then the retried INIT is cut by the 5 s timeout.
        let (_, _, init, run, outcome) = started(lambda.invoke(at_s(0.0), FunctionId(1)));
        assert_eq!((init, run, outcome), (ms(15_000), SimDuration::ZERO, Outcome::TimedOut));
        assert_eq!(lambda.metrics(FunctionId(1)).billed_ms, 15_000);
    }

    #[test]
    fn every_invocation_fails_at_error_rate_one_and_still_runs_its_duration() {
        let mut config = function("f", 0.2, 0.1);
        config.error_rate = 1.0;
        let mut lambda = service(Account::default(), vec![config]);
        let (_, _, _, run, outcome) = started(lambda.invoke(at_s(0.0), F));
        assert_eq!((run, outcome), (ms(200), Outcome::Failed));
        assert_eq!(lambda.metrics(F).errors, 1);
    }

    #[test]
    fn handler_durations_do_not_depend_on_the_error_rate_or_init() {
        let runs = |error_rate: f64, init_s: f64| -> Vec<SimDuration> {
            let mut config = Config::new("f", Distribution::lognormal(0.1, 0.8), Distribution::exponential(init_s));
            config.error_rate = error_rate;
            let mut lambda = service(Account::default(), vec![config]);
            (0..50)
                .map(|i| {
                    let now = at_s(f64::from(i));
                    let (env, _, _, run, _) = started(lambda.invoke(now, F));
                    lambda.finish(now + run, F, env);
                    run
                })
                .collect()
        };
        assert_eq!(runs(0.0, 0.2), runs(0.5, 1.5));
    }

    #[test]
    fn environment_slots_grow_with_the_peak_not_with_the_run_length() {
        let mut config = function("f", 0.1, 0.2);
        config.keep_alive = SimDuration::from_secs(1);
        let mut lambda = service(Account::default(), vec![config]);
        // 1,000 rounds of 3 overlapping invocations, each round after the last has expired.
        for round in 0..1_000 {
            let now = at_s(f64::from(round) * 10.0);
            let envs: Vec<_> = (0..3).map(|_| started(lambda.invoke(now, F)).0).collect();
            for env in envs {
                lambda.finish(now + ms(300), F, env);
            }
        }
        assert_eq!(lambda.metrics(F).cold_starts, 3_000);
        assert_eq!(lambda.functions[0].environments.len(), 3);
    }

    fn due_at(step: AsyncStep) -> (u32, SimTime) {
        match step {
            AsyncStep::DueAt { event, at } => (event, at),
            other => panic!("expected the event to wait, got {other:?}"),
        }
    }

    #[test]
    fn a_throttled_event_backs_off_doubling_until_its_age_runs_out() {
        let mut config = function("f", 0.1, 0.0);
        config.reserved_concurrency = Some(0);
        config.asynchronous.maximum_event_age = SimDuration::from_secs(60);
        let mut lambda = service(Account::default(), vec![config]);
        let message = Message::new(at_s(0.0), 100);
        let (event, mut at) = due_at(lambda.receive_async(at_s(0.0), F, message, SimDuration::ZERO));
        let mut tries = vec![at];
        while at < at_s(60.0) {
            (_, at) = due_at(lambda.async_event_due(at, F, event));
            tries.push(at);
        }
        // Tries at 0, 1, 3, 7, 15 and 31 s; the next would be at 63 s, past the age.
        assert_eq!(tries, [1.0, 3.0, 7.0, 15.0, 31.0, 60.0].map(at_s));
        let dropped = lambda.async_event_due(at_s(60.0), F, event);
        assert_eq!(dropped, AsyncStep::Dropped { message, condition: Condition::EventAgeExceeded, invocations: 0 });
        let m = lambda.metrics(F);
        assert_eq!((m.async_received, m.async_throttled, m.async_event_age_exceeded), (1, 6, 1));
        assert_eq!(lambda.async_queued(F), 0);
    }

    #[test]
    fn a_failing_event_retries_after_its_attempt_ends_then_is_dropped() {
        let mut config = function("f", 0.5, 0.0);
        config.error_rate = 1.0;
        config.asynchronous.maximum_retry_attempts = 1;
        let mut lambda = service(Account::default(), vec![config]);
        let message = Message::new(at_s(0.0), 100);
        let AsyncStep::Started { environment, succeeds: false, .. } =
            lambda.receive_async(at_s(0.0), F, message, SimDuration::ZERO)
        else {
            panic!("expected a failing start");
        };
        let (event, at) = due_at(lambda.finish_async(at_s(0.5), F, EnvironmentId(environment)));
        assert_eq!(at, at_s(60.5));
        let AsyncStep::Started { environment, .. } = lambda.async_event_due(at, F, event) else {
            panic!("expected the retry to start");
        };
        let dropped = lambda.finish_async(at_s(61.0), F, EnvironmentId(environment));
        assert_eq!(dropped, AsyncStep::Dropped { message, condition: Condition::RetriesExhausted, invocations: 2 });
        assert_eq!(lambda.metrics(F).async_retries, 1);
    }

    #[test]
    fn reset_metrics_keeps_busy_environments_in_the_concurrency_gauge() {
        let mut lambda = service(Account::default(), vec![function("f", 10.0, 0.0)]);
        invoke_many(&mut lambda, at_s(0.0), F, 4);
        lambda.reset_metrics(at_s(5.0));
        let m = lambda.metrics(F);
        assert_eq!((m.invocations, m.billed_ms), (0, 0));
        assert_eq!(m.concurrency.level(), 4);
        assert!((m.concurrency.mean(at_s(6.0)) - 4.0).abs() < 1e-12);
    }
}
