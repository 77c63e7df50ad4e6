//! SQS model invariants under random operations: a message is never received before its
//! delay, never received again while in flight, and a FIFO message group is delivered in
//! order (a message only after every earlier one of its group is gone, or ahead of it in
//! the same batch).

use std::collections::BTreeMap;

use orchsim::engine::{RngFactory, SimDuration, SimTime};
use orchsim::models::Message;
use orchsim::models::sqs::{Config, Kind, QueueId, ReceiveOutcome, SendOutcome, Service};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Send { group: u32, timer_ms: Option<u64> },
    Receive { max: u8 },
    Delete { pick: usize },
    Advance { ms: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u32..3, prop::option::of(0u64..4_000)).prop_map(|(group, timer_ms)| Op::Send { group, timer_ms }),
        (1u8..=10).prop_map(|max| Op::Receive { max }),
        (0usize..64).prop_map(|pick| Op::Delete { pick }),
        (0u64..2_500).prop_map(|ms| Op::Advance { ms }),
    ]
}

const VISIBILITY_S: u64 = 2;

fn queue(fifo: bool) -> Service {
    let config = Config {
        name: "q".into(),
        kind: if fifo { Kind::Fifo { calls_per_s_max: 300.0 } } else { Kind::Standard { duplicate_rate: 0.0 } },
        visibility_timeout: SimDuration::from_secs(VISIBILITY_S),
        retention: SimDuration::from_secs(345_600),
        delay: SimDuration::ZERO,
        in_flight_max: 120_000,
        max_message_size_bytes: 1_048_576,
        short_poll_sample_fraction: 1.0,
        redrive: None,
    };
    let rngs = RngFactory::new(7);
    Service::new(vec![config], |name| rngs.stream(name))
}

/// Plays `ops` on a queue and checks the invariants after every receive.
fn play(fifo: bool, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut sqs = queue(fifo);
    let consumer = sqs.add_consumer();
    let q = QueueId(0);
    let mut now = SimTime::ZERO;
    let mut next_id = 1u64;
    // id → (group, sequence in its group, visible from)
    let mut sent: BTreeMap<u64, (u32, u64, SimTime)> = BTreeMap::new();
    let mut next_seq: BTreeMap<u32, u64> = BTreeMap::new();
    let mut gone: BTreeMap<u64, ()> = BTreeMap::new();
    let mut in_flight_until: BTreeMap<u64, SimTime> = BTreeMap::new();
    let mut held = Vec::new();
    for op in ops {
        while let Some(t) = sqs.next_deadline(q) {
            if t > now {
                break;
            }
            sqs.on_deadlines(t, q);
        }
        match *op {
            Op::Send { group, timer_ms } => {
                let id = next_id;
                next_id += 1;
                let message = Message { group, deduplication_id: id, ..Message::new(now, 100) };
                // FIFO queues take no per-message timer.
                let timer = if fifo { None } else { timer_ms.map(|ms| SimDuration::from_micros(ms * 1_000)) };
                if sqs.send(now, q, message, timer) == SendOutcome::Accepted {
                    let seq = next_seq.entry(group).or_insert(0);
                    sent.insert(id, (group, *seq, now + timer.unwrap_or(SimDuration::ZERO)));
                    *seq += 1;
                }
            }
            Op::Receive { max } => {
                if let ReceiveOutcome::Received(batch) = sqs.receive(now, q, consumer, max, SimDuration::ZERO) {
                    let mut earlier_in_batch: Vec<u64> = Vec::new();
                    for r in batch.receipts() {
                        let m = sqs.message(*r).expect("a received message is stored");
                        let id = m.deduplication_id;
                        let (group, seq, visible_from) = sent[&id];
                        prop_assert!(now >= visible_from, "message {id} received before its delay ended");
                        if let Some(until) = in_flight_until.get(&id) {
                            prop_assert!(now >= *until, "message {id} received again while in flight");
                        }
                        if fifo {
                            for (other, (g, s, _)) in &sent {
                                if *g == group && *s < seq {
                                    prop_assert!(
                                        gone.contains_key(other) || earlier_in_batch.contains(other),
                                        "group {group}: message {id} (#{seq}) delivered while #{s} is still queued"
                                    );
                                }
                            }
                        }
                        earlier_in_batch.push(id);
                        in_flight_until.insert(id, now + SimDuration::from_secs(VISIBILITY_S));
                        held.push((*r, id));
                    }
                }
            }
            Op::Delete { pick } => {
                if !held.is_empty() {
                    let (receipt, id) = held.remove(pick % held.len());
                    if sqs.delete(now, receipt) {
                        gone.insert(id, ());
                        in_flight_until.remove(&id);
                    }
                }
            }
            Op::Advance { ms } => now += SimDuration::from_micros(ms * 1_000),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn a_standard_queue_honours_delays_and_visibility(ops in prop::collection::vec(op(), 1..200)) {
        play(false, &ops)?;
    }

    #[test]
    fn a_fifo_queue_delivers_each_group_in_order(ops in prop::collection::vec(op(), 1..200)) {
        play(true, &ops)?;
    }
}
