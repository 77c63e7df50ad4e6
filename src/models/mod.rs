//! One model per AWS service, plus the vocabulary they share.
//!
//! Models never import each other: whether a workload feeds a queue or a worker pool drains
//! one is data in the scenario, routed by `world`. Models receive typed, validated
//! configuration and do not validate; a broken invariant inside a model is a bug and
//! asserts.

pub mod sqs;
pub mod workers;

use crate::engine::SimTime;

/// A message as it travels between services: only what the simulation needs (payloads are
/// never materialised).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    /// When the workload first sent it; end-to-end latency counts from here.
    pub created_at: SimTime,
    /// Body plus attributes, which is what SQS meters.
    pub size_bytes: u32,
}
