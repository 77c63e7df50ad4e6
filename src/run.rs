//! One run: (scenario with its overrides, seed) → results. A pure function: the same
//! inputs give the same results, bit for bit.

use std::collections::BTreeMap;

use crate::engine::{EventListKind, RunLimits, RunOutcome, SimDuration, Simulation, StopReason, memory};
use crate::models::lambda;
use crate::pricing::{self, CostLine, PriceBook, Pricing};
use crate::scenario::Scenario;
use crate::world::{Measurements, World};

/// Everything a run produced.
pub struct RunResult {
    pub seed: u64,
    pub outcome: RunOutcome,
    pub warmup: SimDuration,
    /// Virtual seconds after the warm-up: the window that statistics and costs cover.
    pub measured_s: f64,
    pub measurements: Measurements,
    pub costs: Vec<CostLine>,
}

/// A run stopped because it held more than `run.memory_max_mb`.
#[derive(Debug, Clone, PartialEq)]
pub struct OverMemory {
    pub held_mib: u64,
    pub memory_max_mb: u64,
    pub events: u64,
    pub virtual_s: f64,
}

impl std::fmt::Display for OverMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the run stopped after {} events ({:.1} s of virtual time): it holds {} MiB, above run.memory_max_mb = {}; what grows with traffic is the work in flight (messages waiting in queues, deliveries being retried, executions running), so a backlog that never drains grows without bound; raise run.memory_max_mb if the machine has the memory, or shorten run.horizon_s",
            self.events, self.virtual_s, self.held_mib, self.memory_max_mb
        )
    }
}

impl std::error::Error for OverMemory {}

/// Events between two looks at the memory the run holds: the run can only grow by so much
/// in a million events, and looking is cheap, but the engine runs freest in long slices.
const EVENTS_PER_MEMORY_LOOK: u64 = 1_000_000;

/// Events between two calls of a run's watcher: a tenth of a second or less at the engine's
/// speed, so that progress moves and an interrupt is felt at once, and rare enough that
/// the call costs nothing measurable. A divisor of [`EVENTS_PER_MEMORY_LOOK`], so that
/// memory is looked at after the same events as without a watcher.
const EVENTS_PER_WATCH: u64 = 100_000;

/// Where a run is, for its watcher: virtual time reached of the horizon, and events handled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub virtual_s: f64,
    pub horizon_s: f64,
    pub events: u64,
}

/// What a watcher tells the run after looking at its progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watch {
    GoOn,
    /// Stop now, with no results (someone pressed Ctrl-C).
    Stop,
}

/// Why a watched run gave no results.
#[derive(Debug, Clone, PartialEq)]
pub enum Stopped {
    OverMemory(OverMemory),
    /// Its watcher said [`Watch::Stop`].
    Interrupted,
}

/// Runs `scenario` to its horizon, event cap or drain; or stops it, with an error and no
/// results, if it comes to hold more than `run.memory_max_mb` (heap bytes it allocated and
/// did not free, counted on its thread: the same figure on any machine and in any sweep).
pub fn run(scenario: &Scenario) -> Result<RunResult, OverMemory> {
    run_watched(scenario, &mut |_| Watch::GoOn).map_err(|stopped| match stopped {
        Stopped::OverMemory(e) => e,
        Stopped::Interrupted => unreachable!("a watcher that never stops the run stopped it"),
    })
}

/// [`run`], calling `watch` every [`EVENTS_PER_WATCH`] events with the run's progress; the
/// run stops, with no results, when it answers [`Watch::Stop`]. The watcher sees the run
/// but cannot change it: a run that finishes is the same, watched or not.
pub fn run_watched(scenario: &Scenario, watch: &mut dyn FnMut(Progress) -> Watch) -> Result<RunResult, Stopped> {
    run_watched_on(EventListKind::default(), scenario, watch)
}

/// [`run`] on a chosen event list. The results are the same on each (each list gives the
/// events in (time, push order)); only the speed and the bytes the list itself holds differ.
/// For the benchmarks and the test that compare them.
pub fn run_on(kind: EventListKind, scenario: &Scenario) -> Result<RunResult, OverMemory> {
    run_watched_on(kind, scenario, &mut |_| Watch::GoOn).map_err(|stopped| match stopped {
        Stopped::OverMemory(e) => e,
        Stopped::Interrupted => unreachable!("a watcher that never stops the run stopped it"),
    })
}

fn run_watched_on(
    kind: EventListKind,
    scenario: &Scenario,
    watch: &mut dyn FnMut(Progress) -> Watch,
) -> Result<RunResult, Stopped> {
    let held_before = memory::thread_held_bytes();
    let mut sim = Simulation::with_event_list(kind, 1024);
    let mut world = World::new(scenario, sim.scheduler());
    let horizon = scenario.run.horizon;
    let events_max = scenario.run.events_max;
    // The engine runs in slices of events so that memory and the watcher can be looked at
    // between them; slicing changes nothing else (the engine picks up where it stopped).
    let mut events = 0;
    let outcome = loop {
        let slice = RunLimits { horizon, max_events: (events_max - events).min(EVENTS_PER_WATCH) };
        let part = sim.run(&mut world, slice);
        events += part.events;
        if part.stop_reason != StopReason::EventCap || events >= events_max {
            break RunOutcome { events, ..part };
        }
        let progress = Progress { virtual_s: part.end_time.as_secs_f64(), horizon_s: horizon.as_secs_f64(), events };
        if watch(progress) == Watch::Stop {
            return Err(Stopped::Interrupted);
        }
        if events % EVENTS_PER_MEMORY_LOOK != 0 {
            continue;
        }
        let held_mib = ((memory::thread_held_bytes() - held_before).max(0) as u64) >> 20;
        if held_mib > scenario.run.memory_max_mb {
            return Err(Stopped::OverMemory(OverMemory {
                held_mib,
                memory_max_mb: scenario.run.memory_max_mb,
                events,
                virtual_s: part.end_time.as_secs_f64(),
            }));
        }
    };
    let measurements = world.into_measurements(outcome.end_time);
    let start = scenario.run.warmup.as_secs_f64();
    let measured_s = (outcome.end_time.as_secs_f64() - start).max(0.0);
    let costs = costs(scenario, &measurements, measured_s);
    Ok(RunResult { seed: scenario.run.seed, outcome, warmup: scenario.run.warmup, measured_s, measurements, costs })
}

/// The bill: each resource priced with its Region's book. Each Region's usage of a service
/// is priced as a month of its own, with that book's tiers and free allowances (AWS's
/// usage types carry the Region); within a service, lines come Region by Region, in the
/// order of the Regions' codes, and in the resources' order within one.
fn costs(scenario: &Scenario, m: &Measurements, measured_s: f64) -> Vec<CostLine> {
    let pricing = &scenario.pricing;
    let window = pricing::Window { seconds: measured_s, hours_per_month: pricing.hours_per_month() };
    let mut lines = Vec::new();
    for (book, usage) in by_region(pricing, &m.sqs_billed_requests, |q| &q.0) {
        lines.extend(pricing::sqs_lines(book.sqs(), window, &usage));
    }
    for (resource, count, usd_per_hour) in &m.worker_pools {
        lines.push(pricing::worker_line(window, resource, *count, *usd_per_hour));
    }
    let usage: Vec<pricing::LambdaUsage> = m
        .functions
        .iter()
        .map(|(resource, is_arm, requests, gb_seconds)| pricing::LambdaUsage {
            resource: resource.clone(),
            architecture: if *is_arm { pricing::LambdaArchitecture::Arm } else { pricing::LambdaArchitecture::X86 },
            requests: *requests,
            gb_seconds: *gb_seconds,
        })
        .collect();
    if !usage.is_empty() {
        lines.extend(pricing::lambda_lines(pricing.book().lambda(), window, &usage));
    }
    for (resource, instances_mean, usd_per_hour) in &m.managed_instances {
        lines.extend(pricing::managed_instances_lines(
            window,
            resource,
            *instances_mean,
            *usd_per_hour,
            lambda::managed_instances::MANAGEMENT_FEE_FRACTION,
        ));
    }
    for (book, usage) in by_region(pricing, &m.sns_usage, sns_resource) {
        lines.extend(pricing::sns_lines(book.sns(), window, &usage));
    }
    for (book, events) in by_region(pricing, &m.eventbridge_events, |(bus, _)| bus) {
        lines.extend(pricing::eventbridge_lines(book.eventbridge(), window, &events));
    }
    for (book, usage) in by_region(pricing, &m.step_functions_usage, step_functions_resource) {
        lines.extend(pricing::step_functions_lines(book.step_functions(), window, &usage));
    }
    lines.extend(pricing::broker_lines(window, &m.brokers));
    if let Some((recipients, attachment_bytes)) = m.ses_usage {
        lines.extend(pricing::ses_lines(pricing.book().ses(), window, recipients, attachment_bytes));
    }
    lines
}

/// `usage` split by the Region that prices each entry, Regions in code order, each with
/// its book.
fn by_region<'p, T: Clone>(
    pricing: &'p Pricing,
    usage: &[T],
    resource: impl Fn(&T) -> &str,
) -> Vec<(&'p PriceBook, Vec<T>)> {
    let mut groups: BTreeMap<&str, Vec<T>> = BTreeMap::new();
    for u in usage {
        groups.entry(pricing.region_of(resource(u))).or_default().push(u.clone());
    }
    groups.into_iter().map(|(region, usage)| (pricing.book_in(region), usage)).collect()
}

fn sns_resource(u: &pricing::SnsUsage) -> &str {
    match u {
        pricing::SnsUsage::Topic { resource, .. } | pricing::SnsUsage::Deliveries { resource, .. } => resource,
    }
}

fn step_functions_resource(u: &pricing::StepFunctionsUsage) -> &str {
    match u {
        pricing::StepFunctionsUsage::Standard { resource, .. }
        | pricing::StepFunctionsUsage::Express { resource, .. } => resource,
    }
}
