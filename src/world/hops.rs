//! The world's draws of AWS's own call and hop latencies (`models::latency` says which hop
//! applies where, and why).

use crate::engine::{SimDuration, SimRng};
use crate::models::latency::{Hop, Latencies};
use crate::scenario::Scenario;

/// Where a hop is drawn: queues and subscriptions may have latencies of their own.
#[derive(Clone, Copy, Debug)]
pub(super) enum Place {
    Scenario,
    Queue(u32),
    Subscription(u32),
}

/// Whose random stream a hop is drawn from: each caller has its own
/// (`workload.STREAM.latency`, `workers.P.latency`, `lambda.F.latency`,
/// `subscription.S.latency`, `rule.R.latency`), so that changing one part of a scenario
/// (a pool's batch size, say) leaves every other part's hops as they were: common random
/// numbers, as for every other draw.
#[derive(Clone, Copy, Debug)]
pub(super) enum Caller {
    Workload(u32),
    Pool(u16),
    Function(u32),
    Subscription(u32),
    Rule(u32),
}

pub(super) struct Hops {
    scenario: Latencies,
    /// By queue and by subscription: their own latencies, where they have overrides.
    queues: Vec<Option<Latencies>>,
    subscriptions: Vec<Option<Latencies>>,
    /// One stream per caller, by kind and id.
    workloads: Vec<SimRng>,
    pools: Vec<SimRng>,
    functions: Vec<SimRng>,
    subscription_rngs: Vec<SimRng>,
    rules: Vec<SimRng>,
    /// By queue: FIFO queues have their own send, receive and wake-up hops.
    queue_is_fifo: Vec<bool>,
    /// False when no hop takes time anywhere (`aws_calls = "none"` and no element's own
    /// latencies): every draw is then zero and draws nothing, which the hot paths of a
    /// theory check learn from one test instead of a table lookup per call.
    is_any_on: bool,
}

impl Hops {
    pub fn new(scenario: &Scenario, mut stream: impl FnMut(&str) -> SimRng) -> Hops {
        let config = &scenario.latency;
        let mut streams = |names: Vec<String>| names.iter().map(|n| stream(&format!("{n}.latency"))).collect();
        let is_any_on = !config.scenario.is_none()
            || config.queues.values().chain(config.subscriptions.values()).any(|l| !l.is_none());
        Hops {
            is_any_on,
            scenario: config.scenario.clone(),
            queues: (0..scenario.queues.len() as u32).map(|q| config.queues.get(&q).cloned()).collect(),
            subscriptions: (0..scenario.subscriptions.len() as u32)
                .map(|s| config.subscriptions.get(&s).cloned())
                .collect(),
            workloads: streams(scenario.workloads.iter().map(|w| format!("workload.{}", w.stream)).collect()),
            pools: streams(scenario.pools.iter().map(|p| format!("workers.{}", p.pool.name)).collect()),
            functions: streams(scenario.functions.iter().map(|f| format!("lambda.{}", f.function.name)).collect()),
            subscription_rngs: streams(
                scenario.subscriptions.iter().map(|s| format!("subscription.{}", s.subscription.name)).collect(),
            ),
            rules: streams(scenario.rules.iter().map(|r| format!("rule.{}", r.rule.name)).collect()),
            queue_is_fifo: scenario.queues.iter().map(|q| q.kind.is_fifo()).collect(),
        }
    }

    #[inline]
    fn latencies(&self, place: Place) -> &Latencies {
        let own = match place {
            Place::Scenario => None,
            Place::Queue(q) => self.queues[q as usize].as_ref(),
            Place::Subscription(s) => self.subscriptions[s as usize].as_ref(),
        };
        own.unwrap_or(&self.scenario)
    }

    /// One draw of `hop` by `caller`, or no time when the hop is off.
    #[inline]
    pub fn draw(&mut self, hop: Hop, caller: Caller) -> SimDuration {
        self.draw_at(hop, Place::Scenario, caller)
    }

    /// One draw of `hop` at `place` by `caller`, or no time when the hop is off there.
    /// The test for a scenario without hops is inlined where a worker receives and deletes,
    /// once per message; the draw itself sits behind a call.
    #[inline(always)]
    pub fn draw_at(&mut self, hop: Hop, place: Place, caller: Caller) -> SimDuration {
        if !self.is_any_on {
            return SimDuration::ZERO;
        }
        self.draw_on(hop, place, caller)
    }

    #[inline(never)]
    fn draw_on(&mut self, hop: Hop, place: Place, caller: Caller) -> SimDuration {
        // The distribution is borrowed from the tables, the stream from the callers'.
        let Hops { scenario, queues, subscriptions, workloads, pools, functions, subscription_rngs, rules, .. } = self;
        let own = match place {
            Place::Scenario => None,
            Place::Queue(q) => queues[q as usize].as_ref(),
            Place::Subscription(s) => subscriptions[s as usize].as_ref(),
        };
        let Some(latency) = own.unwrap_or(scenario).get(hop) else { return SimDuration::ZERO };
        let rng = match caller {
            Caller::Workload(w) => &mut workloads[w as usize],
            Caller::Pool(p) => &mut pools[usize::from(p)],
            Caller::Function(f) => &mut functions[f as usize],
            Caller::Subscription(s) => &mut subscription_rngs[s as usize],
            Caller::Rule(r) => &mut rules[r as usize],
        };
        latency.sample_duration(rng)
    }

    /// True when `hop` takes time at `place`.
    #[inline]
    pub fn is_on(&self, hop: Hop, place: Place) -> bool {
        self.is_any_on && self.latencies(place).get(hop).is_some()
    }

    /// True when some hop takes time somewhere in the scenario.
    #[inline]
    pub fn is_any_on(&self) -> bool {
        self.is_any_on
    }

    /// The send hop of a call of `entries` messages to queue `q`.
    #[inline]
    pub fn send(&self, q: u32, entries: usize) -> Hop {
        match (self.queue_is_fifo[q as usize], entries) {
            (true, _) => Hop::SqsFifoSend,
            (false, 1) => Hop::SqsSend,
            (false, _) => Hop::SqsSendBatch,
        }
    }

    /// A ReceiveMessage by `caller` on queue `q` that found messages at once (`woken`: a
    /// waiting long poll that a new message woke up).
    #[inline(always)]
    pub fn receive(&mut self, q: u32, woken: bool, caller: Caller) -> SimDuration {
        if !self.is_any_on {
            return SimDuration::ZERO;
        }
        let hop = match (self.queue_is_fifo[q as usize], woken) {
            (false, false) => Hop::SqsReceive,
            (false, true) => Hop::SqsWake,
            (true, false) => Hop::SqsFifoReceive,
            (true, true) => Hop::SqsFifoWake,
        };
        self.draw_at(hop, Place::Queue(q), caller)
    }
}
