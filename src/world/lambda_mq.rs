//! The world's routing of Lambda's Amazon MQ event source: the mapping's pollers are the
//! broker queue's consumers. A poller takes ready messages from the broker (at most 10 at a
//! time, as the SQS pollers receive) into its batch until the batch is full, its payload
//! would pass 6 MB or its batching window ends; then it invokes the function synchronously,
//! and acknowledges the batch if the invocation succeeded or rejects it (the broker
//! redelivers or dead-letters each message) if it failed. A poller with room and nothing
//! ready waits on the broker. When messages become ready, the pollers gathering a batch
//! take them first, then the idle ones, each group in the order it started waiting (a model
//! choice; AWS does not say how the mapping's consumers share a queue).
//!
//! With `filter_patterns`, the messages of a take that match no filter are acknowledged at
//! once and counted as `filtered_out`, as the SQS mapping deletes them; the rest go into
//! the batch.
//!
//! The batching logic, the counters and the failure draws are the SQS mapping's
//! (`event_source::EventSource`, with `is_broker`): only where the messages come from and
//! where they go back differ.

use super::hops::Caller;
use super::{Event, World};
use crate::engine::{Scheduler, SimDuration, SimTime};
use crate::models::lambda::{self, event_source};
use crate::models::latency::Hop;

impl World {
    /// `poller` of `mapping` takes what broker `b` has ready; it waits on the broker if it
    /// finds nothing, with a wake-up at `wait` if its batch has a window running.
    pub(super) fn mq_poll(
        &mut self,
        now: SimTime,
        mapping: u16,
        poller: u32,
        b: u32,
        mut wait: SimDuration,
        s: &mut Scheduler<Event>,
    ) {
        loop {
            let m = &mut self.mappings[usize::from(mapping)].mapping;
            let batch = self.mq.take(b, usize::from(m.receive_max(poller)));
            if batch.is_empty() {
                let waiting = &mut self.mq_waiting[b as usize];
                if m.batch_len(poller) > 0 {
                    // A poller gathering a batch is served before the idle ones, so that a
                    // batch fills within its window rather than each message opening one.
                    let gathering = waiting
                        .iter()
                        .take_while(|w| self.mappings[usize::from(w.0)].mapping.batch_len(w.1) > 0)
                        .count();
                    waiting.insert(gathering, (mapping, poller));
                    s.schedule_in(wait, Event::MqWindowEnded { mapping, poller });
                } else {
                    waiting.push((mapping, poller));
                }
                return;
            }
            let filtered_out = match self.mappings[usize::from(mapping)].filter {
                Some(bit) => self.mq_filter_out(now, &batch, bit),
                None => 0,
            };
            let m = &mut self.mappings[usize::from(mapping)].mapping;
            let mq = &self.mq;
            let sizes = batch.receipts().iter().map(|r| mq.message(*r).map_or(0, |m| m.size_bytes));
            match m.on_received(now, poller, &batch, sizes, filtered_out) {
                event_source::Next::Poll(w) => wait = w,
                event_source::Next::Invoke => {
                    let function = m.config().function.0;
                    let lead = self.hops.draw(Hop::LambdaInvoke, Caller::Function(function));
                    return self.invoke(now, mapping, poller, lead, s);
                }
                event_source::Next::Retire => return,
            }
        }
    }

    /// The messages of a take that match none of a mapping's filters (its `bit` unset), as
    /// bits by position: Lambda acknowledges them on the broker at once, never invoking for
    /// them (AWS: "If none of your filters are satisfied, Lambda discards the record").
    fn mq_filter_out(&mut self, now: SimTime, batch: &crate::models::Batch, bit: u16) -> u16 {
        let mut filtered_out = 0u16;
        for (i, r) in batch.receipts().iter().enumerate() {
            if self.mq.message(*r).is_some_and(|m| m.filter_matches & bit == 0) {
                filtered_out |= 1 << i;
                self.mq.acknowledge(now, *r);
            }
        }
        filtered_out
    }

    /// Broker `b` has ready messages: the pollers waiting on it take them, longest waiting
    /// first.
    pub(super) fn serve_mq(&mut self, now: SimTime, b: u32, s: &mut Scheduler<Event>) {
        while self.mq.ready_len(b) > 0 && !self.mq_waiting[b as usize].is_empty() {
            let (mapping, poller) = self.mq_waiting[b as usize].remove(0);
            self.mq_poll(now, mapping, poller, b, event_source::POLL_WAIT, s);
        }
    }

    /// The batching window of a waiting poller may have ended: it invokes with what it has.
    /// A stale wake-up (the poller is not waiting, or its window is a later one) changes
    /// nothing.
    pub(super) fn on_mq_window_ended(&mut self, now: SimTime, mapping: u16, poller: u32, s: &mut Scheduler<Event>) {
        let Some(b) = self.mappings[usize::from(mapping)].broker else { return };
        let waiting = &mut self.mq_waiting[b as usize];
        let Some(at) = waiting.iter().position(|&w| w == (mapping, poller)) else { return };
        waiting.remove(at);
        let next = self.mappings[usize::from(mapping)].mapping.on_empty(now, poller);
        self.poller_next(now, mapping, poller, next, s);
    }

    /// A throttled invoke: the batch, and what the poller carried beyond it, go back to the
    /// front of the broker's queue, unprocessed.
    pub(super) fn release_mq_batch(&mut self, now: SimTime, mapping: u16, poller: u32, s: &mut Scheduler<Event>) {
        let state = &self.mappings[usize::from(mapping)];
        let Some(b) = state.broker else { return };
        let held: Vec<_> = state.mapping.batch_receipts(poller).chain(state.mapping.carried_receipts(poller)).collect();
        // Backwards, so that the oldest is at the front again.
        for r in held.into_iter().rev() {
            self.mq.release(r);
        }
        self.serve_mq(now, b, s);
    }

    /// The invocation of an Amazon MQ mapping ended: the batch is acknowledged, or rejected
    /// as a whole after a function error (AWS: no partial batch responses for Amazon MQ).
    pub(super) fn on_mq_invocation_finished(
        &mut self,
        now: SimTime,
        mapping: u16,
        poller: u32,
        b: u32,
        s: &mut Scheduler<Event>,
    ) {
        let state = &mut self.mappings[usize::from(mapping)];
        let function = state.mapping.config().function;
        let environment = lambda::EnvironmentId(state.mapping.environment(poller));
        self.lambda.finish(now, function, environment);
        let batch: Vec<_> = state.mapping.batch_receipts(poller).collect();
        let mut to_ack = std::mem::take(&mut self.to_delete);
        if state.mapping.on_finished(now, poller, &mut to_ack) {
            self.lambda.record_error(function);
        }
        if to_ack.is_empty() {
            for r in batch {
                self.mq.reject(now, r);
            }
            self.run_mq_actions(s);
        } else {
            debug_assert_eq!(to_ack.len(), batch.len(), "an Amazon MQ batch succeeds or fails whole");
            for r in &to_ack {
                self.mq.acknowledge(now, *r);
            }
        }
        to_ack.clear();
        self.to_delete = to_ack;
        self.serve_mq(now, b, s);
        let next = self.mappings[usize::from(mapping)].mapping.after_finished(now, poller);
        self.poller_next(now, mapping, poller, next, s);
    }
}
