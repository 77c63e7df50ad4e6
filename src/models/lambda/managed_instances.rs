//! Lambda Managed Instances: a function whose execution environments run on EC2 instances
//! of a capacity provider in the account, launched, scaled and patched by Lambda.
//!
//! What AWS states, and the model follows:
//! - each execution environment serves several invocations at once, up to the function's
//!   `PerExecutionEnvironmentMaxConcurrency` (1 to 1,600); an environment has the
//!   function's memory and `memory / ExecutionEnvironmentMemoryGiBPerVCpu` vCPUs (a ratio
//!   of 2 to 8 GiB per vCPU; the smallest function is 2 GB and 1 vCPU)
//!   (docs.aws.amazon.com/lambda/latest/api/API_LambdaManagedInstancesCapacityProviderConfig.html,
//!   docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-scaling.html);
//! - there are no cold starts on the request path: Lambda "does not scale when invocations
//!   arrive". It scales asynchronously on CPU utilization and multi-concurrency saturation,
//!   and an invocation that finds no room is throttled (HTTP 429); traffic that "more than
//!   doubles within 5 minutes" may see throttles (same scaling page, and
//!   docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-troubleshooting.html);
//! - publishing a version launches three instances by default, for Availability Zone
//!   resiliency, before the version is active: capacity never scales to zero (scaling page);
//! - a capacity provider scales up to `MaxVCpuCount` vCPUs (2 to 15,000), in `Auto` mode
//!   towards a target CPU utilization
//!   (docs.aws.amazon.com/lambda/latest/api/API_CapacityProviderScalingConfig.html);
//! - the bill: Lambda's request charge, the EC2 instances at their on-demand price, and a
//!   management fee of 15 % of that on-demand price; no charge per GB-second
//!   (aws.amazon.com/lambda/pricing/, "Lambda Managed Instances").
//!
//! Modelling choices where AWS publishes no rule (each one a key with a default):
//! - the scaler looks every [`Config::scale_interval`] (default 60 s) at the mean number of
//!   busy concurrency slots since its last look, and asks for the instances that would hold
//!   them at the target utilization, `ceil(busy / (slots per instance × target))`, held
//!   within the minimum and maximum. When the instances are saturated (and throttling) that
//!   is their number over the target: at 0.5, twice as many. Busy slots stand for both of AWS's signals, CPU and
//!   multi-concurrency saturation (durations are given, not CPU time). The default target
//!   0.5 keeps the headroom for the doubling AWS says it absorbs;
//! - a launched instance serves invocations [`Config::launch_delay`] after the decision
//!   (default 120 s, so that a decision and its launch fit in AWS's 5 minutes);
//! - scale-down is gradual, as AWS says without figures: at each look at most a tenth of the
//!   instances (at least one) go, and none while a launch is under way. A removed
//!   instance's running invocations finish; it takes no new ones;
//! - the function has its capacity provider to itself (AWS lets functions share one).
//!
//! Instances are billed per second while they run (EC2's 60-second minimum is not applied).

use crate::engine::{SimDuration, SimTime};
use crate::metrics::TimeWeighted;

/// AWS limits and the model's defaults, for `scenario` to validate against and apply.
pub const PER_ENVIRONMENT_MAX_CONCURRENCY_MAX: u32 = 1_600;
/// AWS's memory-to-vCPU ratios (GiB per vCPU).
pub const MEMORY_GIB_PER_VCPU_CHOICES: [u32; 3] = [2, 4, 8];
/// The smallest function on Managed Instances: 2 GB and 1 vCPU.
pub const MEMORY_MB_MIN: u32 = 2_048;
/// `MaxVCpuCount` of a capacity provider.
pub const VCPUS_MAX: u64 = 15_000;
/// Instances Lambda launches when a version is published (AWS's default).
pub const INSTANCES_MIN_DEFAULT: u32 = 3;
/// The model's default ceiling when the scenario gives none.
pub const INSTANCES_MAX_DEFAULT: u32 = 30;
/// The model's default concurrency per vCPU of an environment (AWS's default depends on
/// the runtime and is not published as a number).
pub const CONCURRENCY_PER_VCPU_DEFAULT: u32 = 16;
/// The model's default instance: m7g.large (2 vCPUs, 8 GiB), Linux on demand in us-east-1.
pub const VCPUS_PER_INSTANCE_DEFAULT: u32 = 2;
pub const INSTANCE_USD_PER_HOUR_DEFAULT: f64 = 0.0816;
/// AWS's management fee: 15 % of the instance's on-demand price.
pub const MANAGEMENT_FEE_FRACTION: f64 = 0.15;
pub const TARGET_UTILIZATION_DEFAULT: f64 = 0.5;
pub const SCALE_INTERVAL_DEFAULT: SimDuration = SimDuration::from_secs(60);
pub const LAUNCH_DELAY_DEFAULT: SimDuration = SimDuration::from_secs(120);

/// A function's Managed Instances configuration, already validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Invocations one execution environment serves at once.
    pub per_environment_max_concurrency: u32,
    /// vCPUs of one execution environment (the function's memory over the ratio).
    pub vcpus_per_environment: u32,
    pub vcpus_per_instance: u32,
    pub instances_min: u32,
    pub instances_max: u32,
    /// The instance's on-demand price; the management fee comes on top.
    pub instance_usd_per_hour: f64,
    pub target_utilization: f64,
    pub scale_interval: SimDuration,
    pub launch_delay: SimDuration,
}

impl Config {
    /// Execution environments that fit on one instance.
    pub fn environments_per_instance(&self) -> u32 {
        self.vcpus_per_instance / self.vcpus_per_environment
    }

    /// Invocations one instance serves at once.
    pub fn slots_per_instance(&self) -> u32 {
        self.environments_per_instance() * self.per_environment_max_concurrency
    }
}

/// The function's instances and its scaler, advanced lazily: whoever touches the function
/// first brings the fleet up to the present ([`Fleet::advance`]), so scaling costs no
/// engine events and every gauge changes in time order.
#[derive(Clone, Debug)]
pub struct Fleet {
    config: Config,
    /// Instances serving invocations now.
    running: u32,
    /// Launches decided and not yet serving, each with the time it starts serving, in order.
    launching: Vec<(SimTime, u32)>,
    /// The scaler's next look.
    next_look: SimTime,
    /// Busy slot-microseconds since the last look, in whole numbers, so that bringing the
    /// fleet up to date in more steps (for a sample) or fewer gives the same sum.
    busy_area: u128,
    /// The busy slots and the time the two areas were last brought up to.
    busy: u32,
    since: SimTime,
    pub metrics: FleetMetrics,
}

/// What the fleet did in the statistics window.
#[derive(Clone, Debug, Default)]
pub struct FleetMetrics {
    /// Instances serving invocations.
    pub instances: TimeWeighted,
    pub launched: u64,
    pub terminated: u64,
    /// The most instances serving at once.
    pub instances_peak: u32,
}

impl Fleet {
    /// The minimum of instances serving from the start, as after a version's publication.
    pub fn new(config: Config) -> Fleet {
        let running = config.instances_min;
        let mut metrics = FleetMetrics { instances_peak: running, ..FleetMetrics::default() };
        metrics.instances.add(SimTime::ZERO, i64::from(running));
        Fleet {
            next_look: SimTime::ZERO + config.scale_interval,
            config,
            running,
            launching: Vec::new(),
            busy_area: 0,
            busy: 0,
            since: SimTime::ZERO,
            metrics,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Invocations the instances serving now can take at once.
    pub fn capacity(&self) -> u64 {
        u64::from(self.running) * u64::from(self.config.slots_per_instance())
    }

    pub fn running(&self) -> u32 {
        self.running
    }

    /// The number of busy slots changes at `now` (after [`Fleet::advance`] to `now`).
    pub fn set_busy(&mut self, now: SimTime, busy: u32) {
        self.accrue(now);
        self.busy = busy;
    }

    /// Brings launches and the scaler's looks up to `now`, in time order.
    pub fn advance(&mut self, now: SimTime) {
        loop {
            let launch = self.launching.first().map(|&(at, _)| at);
            match launch {
                Some(at) if at <= self.next_look && at <= now => {
                    let (_, count) = self.launching.remove(0);
                    self.accrue(at);
                    self.running += count;
                    self.metrics.instances.add(at, i64::from(count));
                    self.metrics.instances_peak = self.metrics.instances_peak.max(self.running);
                }
                _ if self.next_look <= now => {
                    let at = self.next_look;
                    self.accrue(at);
                    self.look(at);
                    self.next_look = at + self.config.scale_interval;
                }
                _ => break,
            }
        }
        self.accrue(now);
    }

    /// Starts a new statistics window at `now` (the fleet is advanced to it first).
    pub fn reset_metrics(&mut self, now: SimTime) {
        self.advance(now);
        let mut instances = self.metrics.instances;
        instances.reset(now);
        self.metrics = FleetMetrics { instances, instances_peak: self.running, ..FleetMetrics::default() };
    }

    fn accrue(&mut self, now: SimTime) {
        let dt = now.saturating_since(self.since).as_micros();
        self.busy_area += u128::from(self.busy) * u128::from(dt);
        self.since = self.since.max(now);
    }

    /// One look of the scaler at `at`: launch towards the target, or let a few instances go.
    fn look(&mut self, at: SimTime) {
        let c = &self.config;
        let busy = self.busy_area as f64 / c.scale_interval.as_micros() as f64;
        self.busy_area = 0;
        let wanted = (busy / (f64::from(c.slots_per_instance()) * c.target_utilization)).ceil();
        let wanted = wanted.min(f64::from(c.instances_max)) as u32;
        let wanted = wanted.clamp(c.instances_min, c.instances_max);
        let pending: u32 = self.launching.iter().map(|&(_, n)| n).sum();
        let committed = self.running + pending;
        if wanted > committed {
            let count = wanted - committed;
            self.launching.push((at + c.launch_delay, count));
            self.metrics.launched += u64::from(count);
        } else if wanted < self.running && pending == 0 {
            let step = (self.running / 10).max(1);
            let count = (self.running - wanted).min(step);
            self.running -= count;
            self.metrics.instances.add(at, -i64::from(count));
            self.metrics.terminated += u64::from(count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            per_environment_max_concurrency: 10,
            vcpus_per_environment: 1,
            vcpus_per_instance: 2,
            instances_min: 3,
            instances_max: 12,
            instance_usd_per_hour: 0.1,
            target_utilization: 0.5,
            scale_interval: SimDuration::from_secs(60),
            launch_delay: SimDuration::from_secs(120),
        }
    }

    fn at_s(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    #[test]
    fn capacity_is_instances_times_environments_times_concurrency() {
        let fleet = Fleet::new(config());
        assert_eq!(fleet.capacity(), 3 * 2 * 10);
    }

    #[test]
    fn a_saturated_fleet_doubles_after_the_launch_delay() {
        let mut fleet = Fleet::new(config());
        fleet.set_busy(SimTime::ZERO, 60);
        fleet.advance(at_s(60));
        assert_eq!(fleet.running(), 3, "launches take the launch delay");
        fleet.advance(at_s(179));
        assert_eq!(fleet.running(), 3);
        fleet.advance(at_s(180));
        assert_eq!(fleet.running(), 6);
        assert_eq!(fleet.metrics.launched, 3);
    }

    #[test]
    fn scaling_stays_within_the_maximum() {
        let mut fleet = Fleet::new(config());
        fleet.set_busy(SimTime::ZERO, 1_000);
        fleet.advance(at_s(3_600));
        assert_eq!(fleet.running(), 12);
        assert_eq!(fleet.metrics.instances_peak, 12);
    }

    #[test]
    fn an_idle_fleet_shrinks_gradually_to_its_minimum() {
        let mut fleet = Fleet::new(config());
        fleet.set_busy(SimTime::ZERO, 60);
        fleet.advance(at_s(600));
        let peak = fleet.running();
        assert!(peak > 3);
        fleet.set_busy(at_s(600), 0);
        fleet.advance(at_s(660));
        assert_eq!(fleet.running(), peak - 1, "at most a tenth, at least one, per look");
        fleet.advance(at_s(7_200));
        assert_eq!(fleet.running(), 3);
    }
}
