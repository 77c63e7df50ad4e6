//! What a run tells you about its set-up: risky configurations and outcomes, each a
//! [`Warning`] with a stable kind, the element it is about and a sentence for people.
//!
//! Warnings are read from the scenario and the run's results, after the run: the engine
//! and the models know nothing of them. They go to the console table, to `summary.json`
//! (`warnings`) and to `report.html`. The checks and their thresholds:
//!
//! - `queue_without_consumer`: an SQS queue that no worker pool and no Lambda event source
//!   mapping receives from, and that is no dead-letter queue (those are expected to wait
//!   for a person).
//! - `backlog_growing`: a run stopped before it drained, and a consumed queue's depth
//!   (delayed, visible and in flight) rose through the last half of the measured window:
//!   split into four slices, each slice's mean depth is above the one before, and the last
//!   is at least [`BACKLOG_GROWTH_MIN`] messages and a quarter above the first. A queue
//!   whose depth only wanders, as any busy queue's does, seldom rises four slices running
//!   by that much.
//! - `throttled`: more than [`THROTTLED_SHARE_MAX`] (5 %) of an element's calls throttled:
//!   a function's invocations, a topic's publishes, a bus's PutEvents, a queue's sends (the
//!   FIFO quota), a state machine's starts and transitions, SES sends, an activity's API
//!   calls. A few throttles are the client's retries at work; past a few per cent they
//!   shape the latency.
//! - `reserved_concurrency_below_pollers`: a function whose reserved concurrency is below
//!   the concurrent invocations its SQS event source mapping scales to (its
//!   `maximum_concurrency`, else the mapping's ceiling; on a FIFO queue no more than the
//!   message groups its workloads send). The pollers then keep receiving batches the
//!   function cannot take, and the throttled batches go back to the queue. AWS's advice:
//!   set the mapping's maximum concurrency no higher than the reserved concurrency.
//! - `visibility_timeout_short`: a queue drained by a Lambda mapping whose visibility
//!   timeout is under six times the function's timeout plus the batching window, AWS's
//!   advice for Lambda consumers ("at least six times the timeout that you configure on
//!   your function", services-sqs-configure.html, in `reference/aws-messaging.md` §1.9), so
//!   that a throttled or retried batch is not received twice.
//! - `dead_letter_queue_receiving`: a dead-letter queue (of a queue's redrive policy, a
//!   subscription, a rule, or a function's asynchronous failures) that received messages,
//!   or a broker that dead-lettered some: each is a message that could not be processed.

use crate::engine::StopReason;
use crate::models::sqs::QueueId;
use crate::run::RunResult;
use crate::scenario::{AsyncDestination, Scenario, Target};

use super::format;

/// Above this share of calls throttled, the `throttled` warning.
pub const THROTTLED_SHARE_MAX: f64 = 0.05;

/// The least rise of a queue's mean depth, in messages, that counts as a growing backlog.
pub const BACKLOG_GROWTH_MIN: f64 = 10.0;

/// AWS's advice for a queue drained by Lambda: a visibility timeout of at least this many
/// times the function's timeout.
pub const VISIBILITY_TIMEOUTS_PER_FUNCTION_TIMEOUT: f64 = 6.0;

/// One thing the run tells you.
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    pub kind: WarningKind,
    /// The element it is about, as results name it: `sqs.orders`, `lambda.process`.
    pub element: String,
    /// What happened and what to do, in a sentence or two.
    pub message: String,
}

/// What a warning is about; its `code` is stable, for programs reading `summary.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WarningKind {
    QueueWithoutConsumer,
    BacklogGrowing,
    Throttled,
    ReservedConcurrencyBelowPollers,
    VisibilityTimeoutShort,
    DeadLetterQueueReceiving,
}

impl WarningKind {
    pub fn code(self) -> &'static str {
        match self {
            WarningKind::QueueWithoutConsumer => "queue_without_consumer",
            WarningKind::BacklogGrowing => "backlog_growing",
            WarningKind::Throttled => "throttled",
            WarningKind::ReservedConcurrencyBelowPollers => "reserved_concurrency_below_pollers",
            WarningKind::VisibilityTimeoutShort => "visibility_timeout_short",
            WarningKind::DeadLetterQueueReceiving => "dead_letter_queue_receiving",
        }
    }
}

/// Every warning of a run: those of its set-up, then those of its outcome, check by
/// check, each in the scenario's order of elements.
pub fn warnings(scenario: &Scenario, result: &RunResult) -> Vec<Warning> {
    let mut out = set_up(scenario);
    let dead_letter = dead_letter_queues(scenario);
    growing_backlogs(scenario, result, &dead_letter, &mut out);
    throttled(result, &mut out);
    dead_letters(scenario, result, &dead_letter, &mut out);
    out
}

/// The warnings the scenario alone gives, before any run (what `orchsim validate` prints):
/// a queue without a consumer, reserved concurrency below a mapping's pollers, a visibility
/// timeout short of AWS's advice.
pub fn set_up(scenario: &Scenario) -> Vec<Warning> {
    let mut out = Vec::new();
    let dead_letter = dead_letter_queues(scenario);
    queues_without_consumer(scenario, &dead_letter, &mut out);
    reserved_concurrency(scenario, &mut out);
    visibility_timeouts(scenario, &mut out);
    out
}

/// A counter's value, 0 when the run has none of that name.
fn counter(result: &RunResult, name: &str) -> u64 {
    result.measurements.counters.iter().find(|(n, _)| n == name).map_or(0, |(_, v)| *v)
}

/// For each queue, who dead-letters into it (`sqs.orders`, `subscription.s`, …); empty for
/// a queue that is no dead-letter queue.
fn dead_letter_queues(scenario: &Scenario) -> Vec<Vec<String>> {
    let mut sources = vec![Vec::new(); scenario.queues.len()];
    let mut add = |q: QueueId, source: String| sources[q.0 as usize].push(source);
    for q in &scenario.queues {
        if let Some(r) = &q.redrive {
            add(r.dead_letter_queue, format!("sqs.{}", q.name));
        }
    }
    for s in &scenario.subscriptions {
        if let Some(q) = s.dead_letter_queue {
            add(q, format!("subscription.{}", s.subscription.name));
        }
    }
    for r in &scenario.rules {
        let mut queues: Vec<QueueId> = Vec::new();
        for &q in r.dead_letter_queues.iter().flatten() {
            if queues.contains(&q) {
                continue;
            }
            queues.push(q);
            add(q, format!("{}.{}", r.rule.kind.prefix(), r.rule.name));
        }
    }
    for f in &scenario.functions {
        for d in [f.on_failure, f.dead_letter].into_iter().flatten() {
            if let AsyncDestination::Queue(q) = d {
                add(q, format!("lambda.{}", f.function.name));
            }
        }
    }
    sources
}

/// Whether a worker pool or a Lambda mapping receives from queue `q`.
fn is_consumed(scenario: &Scenario, q: QueueId) -> bool {
    scenario.pools.iter().any(|p| p.source == q)
        || scenario.functions.iter().flat_map(|f| &f.event_sources).any(|e| e.queue == q)
}

fn queues_without_consumer(scenario: &Scenario, dead_letter: &[Vec<String>], out: &mut Vec<Warning>) {
    for (i, q) in scenario.queues.iter().enumerate() {
        if is_consumed(scenario, QueueId(i as u32)) || !dead_letter[i].is_empty() {
            continue;
        }
        out.push(Warning {
            kind: WarningKind::QueueWithoutConsumer,
            element: format!("sqs.{}", q.name),
            message: "no worker pool or Lambda event source mapping receives from this queue: what is sent to it waits until its retention ends; give it a consumer, or remove it".into(),
        });
    }
}

fn growing_backlogs(scenario: &Scenario, result: &RunResult, dead_letter: &[Vec<String>], out: &mut Vec<Warning>) {
    if result.outcome.stop_reason == StopReason::Drained {
        return;
    }
    let series = &result.measurements.series;
    let warmup = result.warmup.as_secs_f64();
    let rows: Vec<(f64, &[f64])> =
        series.rows().map(|(t, r)| (t.as_secs_f64(), r)).filter(|(t, _)| *t >= warmup).collect();
    let end = result.outcome.end_time.as_secs_f64();
    let middle = warmup + (end - warmup) / 2.0;
    let last_half: Vec<&[f64]> = rows.iter().filter(|(t, _)| *t >= middle).map(|(_, r)| *r).collect();
    // Four slices of at least two samples each.
    if last_half.len() < 8 {
        return;
    }
    for (i, q) in scenario.queues.iter().enumerate() {
        if !is_consumed(scenario, QueueId(i as u32)) || !dead_letter[i].is_empty() {
            continue;
        }
        let element = format!("sqs.{}", q.name);
        let column = |part: &str| series.columns.iter().position(|c| *c == format!("{element}.{part}"));
        let (Some(d), Some(v), Some(f)) = (column("delayed"), column("visible"), column("in_flight")) else {
            continue;
        };
        let depth: Vec<f64> = last_half.iter().map(|r| r[d] + r[v] + r[f]).collect();
        let slice = depth.len() / 4;
        let means: Vec<f64> =
            (0..4).map(|k| depth[k * slice..(k + 1) * slice].iter().sum::<f64>() / slice as f64).collect();
        let rising = means.windows(2).all(|w| w[1] > w[0]);
        let (first, last) = (means[0], means[3]);
        if rising && last - first >= BACKLOG_GROWTH_MIN && last >= 1.25 * first {
            out.push(Warning {
                kind: WarningKind::BacklogGrowing,
                element,
                message: format!(
                    "the backlog was still growing when the run stopped: its mean depth rose from {} to {} messages over the last half of the window, so messages arrive faster than they are processed; add consumers or concurrency, or run longer to see whether it drains",
                    format::number(first, 0),
                    format::number(last, 0)
                ),
            });
        }
    }
}

/// (element, what was throttled, throttled, calls) for every element that takes calls.
fn throttle_counts(result: &RunResult) -> Vec<(String, &'static str, u64, u64)> {
    let mut out = Vec::new();
    for (name, throttled) in &result.measurements.counters {
        let Some((element, what)) = name.rsplit_once('.') else { continue };
        let c = |suffix: &str| counter(result, &format!("{element}.{suffix}"));
        let found = match (element.split('.').next().unwrap_or(""), what) {
            // Invocations count the throttled ones.
            ("lambda", "throttles") => Some(("invocations", c("invocations"))),
            ("sns", "throttled") => Some(("publishes", c("published") + c("deduplicated") + throttled)),
            ("eventbridge", "throttled") => Some(("PutEvents calls", c("put_events") + throttled)),
            ("sqs", "throttled_sends") => {
                Some(("send requests", c("send_message_requests") + c("send_message_batch_requests") + throttled))
            }
            ("step_functions", "throttled_starts") => Some(("starts", c("started") + throttled)),
            ("step_functions", "throttled_transitions") => Some(("state transitions", c("transitions") + throttled)),
            ("activity", "throttled_api_calls") => Some(("API calls", c("api_calls"))),
            ("ses", "rate_throttles") => Some(("sends", c("calls"))),
            _ => None,
        };
        if let Some((calls_of, calls)) = found {
            // SES refuses by its daily quota too.
            let throttled = if what == "rate_throttles" { throttled + c("daily_throttles") } else { *throttled };
            out.push((element.to_string(), calls_of, throttled, calls));
        }
    }
    out
}

fn throttled(result: &RunResult, out: &mut Vec<Warning>) {
    for (element, calls_of, throttled, calls) in throttle_counts(result) {
        if calls == 0 {
            continue;
        }
        let share = throttled as f64 / calls as f64;
        if share > THROTTLED_SHARE_MAX {
            out.push(Warning {
                kind: WarningKind::Throttled,
                element,
                message: format!(
                    "{} of {} {calls_of} were throttled ({}, above {}): callers wait for retries or give up; raise the quota or the concurrency, or spread the traffic",
                    format::count(throttled),
                    format::count(calls),
                    format::percent(share),
                    format::percent(THROTTLED_SHARE_MAX)
                ),
            });
        }
    }
}

/// The most concurrent invocations a function's mapping wants: its maximum concurrency or
/// the ceiling, and on a FIFO queue no more than its message groups, when the workloads
/// sending to it say how many (`None` when they do not).
fn pollers_wanted(scenario: &Scenario, queue: QueueId, concurrency_max: u32, is_fifo: bool) -> Option<u32> {
    if !is_fifo {
        return Some(concurrency_max);
    }
    let groups: u32 = scenario
        .workloads
        .iter()
        .filter(|w| w.target == Target::Queue(queue))
        .filter_map(|w| w.groups.as_ref().map(|g| g.count()))
        .sum();
    (groups > 0).then(|| groups.min(concurrency_max))
}

fn reserved_concurrency(scenario: &Scenario, out: &mut Vec<Warning>) {
    for f in &scenario.functions {
        let Some(reserved) = f.function.reserved_concurrency else { continue };
        // The mappings' pollers share the function's concurrency.
        let mut wanted = 0;
        for e in &f.event_sources {
            wanted += pollers_wanted(scenario, e.queue, e.config.concurrency_max, e.config.is_fifo).unwrap_or(0);
        }
        let queues: Vec<String> =
            f.event_sources.iter().map(|e| format!("sqs.{}", scenario.queues[e.queue.0 as usize].name)).collect();
        let (mappings, advice) = match queues.as_slice() {
            [one] => (
                format!("its event source mapping on {one} scales"),
                format!("set the mapping's maximum_concurrency to at most {reserved} (AWS's advice)"),
            ),
            several => (
                format!("its event source mappings on {} scale", several.join(", ")),
                format!("set their maximum_concurrency to at most {reserved} together (AWS's advice, per mapping)"),
            ),
        };
        if wanted > 0 && reserved < wanted {
            out.push(Warning {
                kind: WarningKind::ReservedConcurrencyBelowPollers,
                element: format!("lambda.{}", f.function.name),
                message: format!(
                    "reserved concurrency {reserved} is below the {wanted} concurrent invocations {mappings} to: batches beyond {reserved} are throttled and go back to the queue; {advice}, or reserve more",
                ),
            });
        }
    }
}

fn visibility_timeouts(scenario: &Scenario, out: &mut Vec<Warning>) {
    for f in &scenario.functions {
        for e in &f.event_sources {
            let (queue, mapping) = (&e.queue, &e.config);
            let q = &scenario.queues[queue.0 as usize];
            let timeout_s = f.function.timeout.as_secs_f64();
            let window_s = mapping.batching_window.as_secs_f64();
            let advised_s = VISIBILITY_TIMEOUTS_PER_FUNCTION_TIMEOUT * timeout_s + window_s;
            let visibility_s = q.visibility_timeout.as_secs_f64();
            if visibility_s < advised_s {
                let window = if window_s > 0.0 {
                    format!(" plus its {} s batching window", format::tick(window_s))
                } else {
                    String::new()
                };
                out.push(Warning {
                kind: WarningKind::VisibilityTimeoutShort,
                element: format!("sqs.{}", q.name),
                message: format!(
                    "visibility timeout {} s is under six times lambda.{}'s {} s timeout{window} ({} s), AWS's advice for a queue Lambda drains: a batch throttled or retried may be received again while it is still being processed",
                    format::tick(visibility_s),
                    f.function.name,
                    format::tick(timeout_s),
                    format::tick(advised_s)
                ),
            });
            }
        }
    }
}

fn dead_letters(scenario: &Scenario, result: &RunResult, dead_letter: &[Vec<String>], out: &mut Vec<Warning>) {
    for (i, q) in scenario.queues.iter().enumerate() {
        if dead_letter[i].is_empty() {
            continue;
        }
        let element = format!("sqs.{}", q.name);
        let received = counter(result, &format!("{element}.sent")) + counter(result, &format!("{element}.moved_in"));
        if received > 0 {
            out.push(Warning {
                kind: WarningKind::DeadLetterQueueReceiving,
                element,
                message: format!(
                    "this dead-letter queue (of {}) received {}: each is one that could not be processed; find out why, then redrive them",
                    dead_letter[i].join(", "),
                    messages(received)
                ),
            });
        }
    }
    for b in &scenario.brokers {
        let element = format!("mq.{}", b.name);
        let n = counter(result, &format!("{element}.dead_lettered"));
        if n > 0 {
            out.push(Warning {
                kind: WarningKind::DeadLetterQueueReceiving,
                element,
                message: format!(
                    "the broker dead-lettered {} after their last redelivery: each is one that could not be processed",
                    messages(n)
                ),
            });
        }
    }
}

/// `1 message`, `2,000 messages`.
fn messages(n: u64) -> String {
    if n == 1 { "1 message".into() } else { format!("{} messages", format::count(n)) }
}
