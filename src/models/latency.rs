//! AWS's own call and hop latencies: how long an SQS SendMessage takes, how long SNS takes
//! to put a message in a subscribed queue, how long Step Functions takes between states.
//!
//! Every hop is a [`Distribution`] in seconds, or nothing (`latency.aws_calls = "none"`, for
//! checks against queueing theory, where a hop of 0 keeps the results exact). The defaults
//! are lognormals by median and p99 from the published figures summarised in
//! `reference/aws-latencies.md` §1, each with the strength of its evidence ([`Evidence`]):
//! most single calls have no published figure of their own, and their defaults are sized so
//! that the chains people have measured end to end add up (SQS send + long-poll wake-up +
//! Lambda invoke ≈ 17 ms at the median, against 16.2 ms measured from the producer's call to
//! the handler's start).
//!
//! Where each hop applies (the world draws them; models only see the result):
//! - a producer's call (SendMessage, SendMessageBatch, Publish, PutEvents, StartExecution)
//!   takes effect when it returns: the message is in the queue, the topic or the bus only
//!   then, and a throttled call's retry counts from then;
//! - a consumer's ReceiveMessage that finds messages returns them after the receive hop, a
//!   long poll that was waiting after the wake-up hop, and a worker's DeleteMessage holds it
//!   for the delete hop before its next receive (an event source mapping's deletes are
//!   Lambda's own and hold no poller);
//! - an SNS delivery attempt starts after its protocol's dispatch hop, an EventBridge
//!   delivery attempt after the ingestion-to-target hop;
//! - a synchronous Lambda invoke (by a workload, an event source mapping or a Step Functions
//!   task) adds the invoke hop before the handler runs; an event handed to Lambda's
//!   asynchronous queue waits the queueing hop plus the invoke hop before its first attempt;
//! - a Step Functions execution enters its first state after its type's start hop, and every
//!   later state (and each Parallel branch and Map iteration) after its type's transition
//!   hop.

use std::collections::BTreeMap;

use crate::distributions::Distribution;

/// How strong the published evidence behind a default is (`aws-latencies.md`'s scale).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// An AWS-published figure with conditions, or a primary measurement of that exact hop.
    Strong,
    /// Derived by subtraction, a single report, undated or old.
    Weak,
    /// Nothing credible: the default is a labelled assumption.
    None,
}

impl Evidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Strong => "strong",
            Evidence::Weak => "weak",
            Evidence::None => "none",
        }
    }
}

/// Every hop the simulation gives a latency, in the order of [`HOPS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hop {
    SqsSend,
    SqsSendBatch,
    SqsReceive,
    SqsDelete,
    SqsWake,
    SqsFifoSend,
    SqsFifoReceive,
    SqsFifoWake,
    SnsPublish,
    SnsToSqs,
    SnsToLambda,
    SnsToHttp,
    EventBridgePutEvents,
    EventBridgeToTarget,
    LambdaInvoke,
    LambdaAsyncQueue,
    StepFunctionsStartExecution,
    StepFunctionsStandardStart,
    StepFunctionsExpressStart,
    StepFunctionsStandardTransition,
    StepFunctionsExpressTransition,
}

/// A hop's `[latency]` key, its default (lognormal median and p99, seconds) and where the
/// default comes from.
#[derive(Clone, Copy, Debug)]
pub struct HopSpec {
    pub hop: Hop,
    pub key: &'static str,
    pub median_s: f64,
    pub p99_s: f64,
    pub evidence: Evidence,
    pub what: &'static str,
}

const fn spec(
    hop: Hop,
    key: &'static str,
    median_ms: f64,
    p99_ms: f64,
    evidence: Evidence,
    what: &'static str,
) -> HopSpec {
    HopSpec { hop, key, median_s: median_ms / 1_000.0, p99_s: p99_ms / 1_000.0, evidence, what }
}

/// The hops, their keys and defaults (`reference/aws-latencies.md` §1).
pub const HOPS: [HopSpec; 21] = [
    spec(Hop::SqsSend, "sqs_send_s", 6.0, 40.0, Evidence::Weak, "SQS SendMessage call, standard queue"),
    spec(Hop::SqsSendBatch, "sqs_send_batch_s", 8.0, 50.0, Evidence::None, "SQS SendMessageBatch call"),
    spec(Hop::SqsReceive, "sqs_receive_s", 6.0, 40.0, Evidence::None, "SQS ReceiveMessage call that finds messages"),
    spec(Hop::SqsDelete, "sqs_delete_s", 6.0, 40.0, Evidence::None, "SQS DeleteMessage or DeleteMessageBatch call"),
    spec(Hop::SqsWake, "sqs_wake_s", 3.0, 40.0, Evidence::Weak, "a waiting long poll returns after a message arrives"),
    spec(Hop::SqsFifoSend, "sqs_fifo_send_s", 10.0, 60.0, Evidence::Weak, "SendMessage(Batch) to a FIFO queue"),
    spec(Hop::SqsFifoReceive, "sqs_fifo_receive_s", 10.0, 60.0, Evidence::Weak, "ReceiveMessage on a FIFO queue"),
    spec(Hop::SqsFifoWake, "sqs_fifo_wake_s", 8.0, 500.0, Evidence::Weak, "a waiting FIFO long poll returns"),
    spec(Hop::SnsPublish, "sns_publish_s", 8.0, 50.0, Evidence::None, "SNS Publish or PublishBatch call"),
    spec(Hop::SnsToSqs, "sns_to_sqs_s", 12.0, 100.0, Evidence::Weak, "SNS accepted → message in the SQS queue"),
    spec(
        Hop::SnsToLambda,
        "sns_to_lambda_s",
        12.0,
        100.0,
        Evidence::Weak,
        "SNS accepted → handed to Lambda's async queue",
    ),
    spec(Hop::SnsToHttp, "sns_to_http_s", 12.0, 100.0, Evidence::None, "SNS accepted → HTTP/S request sent"),
    spec(
        Hop::EventBridgePutEvents,
        "eventbridge_put_events_s",
        10.0,
        60.0,
        Evidence::None,
        "EventBridge PutEvents call",
    ),
    spec(
        Hop::EventBridgeToTarget,
        "eventbridge_to_target_s",
        45.0,
        130.0,
        Evidence::Strong,
        "EventBridge ingestion → target invocation",
    ),
    spec(Hop::LambdaInvoke, "lambda_invoke_s", 8.0, 50.0, Evidence::None, "Lambda synchronous Invoke overhead, warm"),
    spec(
        Hop::LambdaAsyncQueue,
        "lambda_async_queue_s",
        40.0,
        100.0,
        Evidence::Weak,
        "Lambda asynchronous queueing, beyond the invoke",
    ),
    spec(
        Hop::StepFunctionsStartExecution,
        "step_functions_start_execution_s",
        10.0,
        60.0,
        Evidence::None,
        "Step Functions StartExecution call",
    ),
    spec(
        Hop::StepFunctionsStandardStart,
        "step_functions_standard_start_s",
        85.0,
        240.0,
        Evidence::Strong,
        "Standard execution start → first state",
    ),
    spec(
        Hop::StepFunctionsExpressStart,
        "step_functions_express_start_s",
        65.0,
        230.0,
        Evidence::Strong,
        "Express execution start → first state",
    ),
    spec(
        Hop::StepFunctionsStandardTransition,
        "step_functions_standard_transition_s",
        20.0,
        80.0,
        Evidence::None,
        "Standard state transition",
    ),
    spec(
        Hop::StepFunctionsExpressTransition,
        "step_functions_express_transition_s",
        5.0,
        30.0,
        Evidence::None,
        "Express state transition",
    ),
];

/// The latency of every hop: `None` takes no time.
#[derive(Clone, Debug)]
pub struct Latencies {
    hops: Vec<Option<Distribution>>,
}

impl Latencies {
    /// Every hop instantaneous (`aws_calls = "none"`).
    pub fn none() -> Latencies {
        Latencies { hops: vec![None; HOPS.len()] }
    }

    /// The published defaults.
    pub fn defaults() -> Latencies {
        Latencies { hops: HOPS.iter().map(|h| Some(Distribution::lognormal(h.median_s, h.p99_s))).collect() }
    }

    pub fn set(&mut self, hop: Hop, latency: Option<Distribution>) {
        self.hops[hop as usize] = latency;
    }

    #[inline]
    pub fn get(&self, hop: Hop) -> Option<&Distribution> {
        self.hops[hop as usize].as_ref()
    }

    /// True when no hop takes time.
    pub fn is_none(&self) -> bool {
        self.hops.iter().all(Option::is_none)
    }
}

/// The scenario's hop latencies, and those of the queues and subscriptions that have their
/// own (a queue or an HTTP endpoint in another Region, say): each element's are the whole
/// set with its overrides applied.
#[derive(Clone, Debug, Default)]
pub struct LatencyConfig {
    pub scenario: Latencies,
    /// By queue id.
    pub queues: BTreeMap<u32, Latencies>,
    /// By subscription id.
    pub subscriptions: BTreeMap<u32, Latencies>,
}

/// The hops a `[latency.sqs.NAME]` table may set.
pub const QUEUE_HOPS: [Hop; 8] = [
    Hop::SqsSend,
    Hop::SqsSendBatch,
    Hop::SqsReceive,
    Hop::SqsDelete,
    Hop::SqsWake,
    Hop::SqsFifoSend,
    Hop::SqsFifoReceive,
    Hop::SqsFifoWake,
];

/// The hops a `[latency.subscription.NAME]` table may set.
pub const SUBSCRIPTION_HOPS: [Hop; 3] = [Hop::SnsToSqs, Hop::SnsToLambda, Hop::SnsToHttp];

impl Default for Latencies {
    fn default() -> Self {
        Latencies::defaults()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_hop_order_with_unique_keys() {
        for (i, h) in HOPS.iter().enumerate() {
            assert_eq!(h.hop as usize, i, "{} is out of order", h.key);
            assert!(h.median_s > 0.0 && h.median_s < h.p99_s, "{}", h.key);
            assert!(h.key.ends_with("_s"));
        }
        let mut keys: Vec<_> = HOPS.iter().map(|h| h.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), HOPS.len());
    }

    /// The chain people measured end to end (producer's call → Lambda handler, standard
    /// queue, event source mapping: 16.2 ms at the median) is what the defaults add up to.
    #[test]
    fn the_sqs_to_lambda_defaults_add_up_to_the_measured_median() {
        let median_ms = |hop: Hop| HOPS[hop as usize].median_s * 1_000.0;
        let chain = median_ms(Hop::SqsSend) + median_ms(Hop::SqsWake) + median_ms(Hop::LambdaInvoke);
        assert!((14.0..=20.0).contains(&chain), "{chain} ms");
    }
}
