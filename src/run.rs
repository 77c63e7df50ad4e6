//! One run: (scenario with its overrides, seed) → results. A pure function: the same
//! inputs give the same results, bit for bit.

use crate::engine::{RunLimits, RunOutcome, SimDuration, Simulation};
use crate::pricing::{self, CostLine};
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

/// Runs `scenario` to its horizon, event cap or drain.
pub fn run(scenario: &Scenario) -> RunResult {
    let mut sim = Simulation::with_capacity(1024);
    let mut world = World::new(scenario, sim.scheduler());
    let limits = RunLimits { horizon: scenario.run.horizon, max_events: scenario.run.events_max };
    let outcome = sim.run(&mut world, limits);
    let measurements = world.into_measurements(outcome.end_time);
    let start = scenario.run.warmup.as_secs_f64();
    let measured_s = (outcome.end_time.as_secs_f64() - start).max(0.0);
    let costs = costs(scenario, &measurements, measured_s);
    RunResult { seed: scenario.run.seed, outcome, warmup: scenario.run.warmup, measured_s, measurements, costs }
}

fn costs(scenario: &Scenario, m: &Measurements, measured_s: f64) -> Vec<CostLine> {
    let prices = &scenario.prices;
    let window = pricing::Window { seconds: measured_s, hours_per_month: prices.hours_per_month };
    let mut lines = pricing::sqs_lines(prices, window, &m.sqs_billed_requests);
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
    lines.extend(pricing::lambda_lines(&prices.lambda, window, &usage));
    lines.extend(pricing::sns_lines(&prices.sns, window, &m.sns_usage));
    lines.extend(pricing::eventbridge_lines(prices, window, &m.eventbridge_events));
    lines.extend(pricing::step_functions_lines(&prices.step_functions, window, &m.step_functions_usage));
    lines.extend(pricing::broker_lines(window, &m.brokers));
    if let Some((recipients, attachment_bytes)) = m.ses_usage {
        lines.extend(pricing::ses_lines(&prices.ses, window, recipients, attachment_bytes));
    }
    lines
}
