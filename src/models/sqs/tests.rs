//! Unit tests of the queue model, driven call by call with exact expected outcomes.

use super::*;
use crate::engine::RngFactory;

fn s(secs: f64) -> SimTime {
    SimTime::from_secs_f64(secs)
}

fn config(name: &str, visibility_s: u64, retention_s: u64) -> Config {
    Config {
        name: name.into(),
        kind: Kind::Standard { duplicate_rate: 0.0 },
        visibility_timeout: SimDuration::from_secs(visibility_s),
        retention: SimDuration::from_secs(retention_s),
        delay: SimDuration::ZERO,
        in_flight_max: 120_000,
        max_message_size_bytes: 1_048_576,
        short_poll_sample_fraction: 1.0,
        redrive: None,
    }
}

fn service(configs: Vec<Config>) -> Service {
    let rngs = RngFactory::new(1);
    Service::new(configs, |name| rngs.stream(name))
}

fn one_queue(visibility_s: u64, retention_s: u64) -> (Service, QueueId, ConsumerId) {
    let mut svc = service(vec![config("q", visibility_s, retention_s)]);
    let c = svc.add_consumer();
    (svc, QueueId(0), c)
}

fn msg(at: f64, size_bytes: u32) -> Message {
    Message::new(s(at), size_bytes)
}

fn in_group(at: f64, group: u32, id: u64) -> Message {
    Message { group, deduplication_id: id, ..msg(at, 1) }
}

fn received(o: ReceiveOutcome) -> Batch {
    match o {
        ReceiveOutcome::Received(b) => b,
        other => panic!("expected messages, got {other:?}"),
    }
}

fn short(svc: &mut Service, at: f64, q: QueueId, c: ConsumerId, max: u8) -> ReceiveOutcome {
    svc.receive(s(at), q, c, max, SimDuration::ZERO)
}

#[test]
fn billing_counts_64_kib_chunks() {
    assert_eq!(billed_chunks(0), 1);
    assert_eq!(billed_chunks(65_536), 1);
    assert_eq!(billed_chunks(65_537), 2);
    assert_eq!(billed_chunks(256 * 1024), 4);
    assert_eq!(billed_chunks(1_048_576), 16);
}

#[test]
fn message_reappears_after_visibility_timeout() {
    let (mut svc, q, c) = one_queue(30, 345_600);
    svc.send(s(0.0), q, msg(0.0, 100), None);
    let b = received(short(&mut svc, 1.0, q, c, 1));
    assert_eq!(b.len(), 1);
    assert!(matches!(short(&mut svc, 2.0, q, c, 1), ReceiveOutcome::Empty));
    assert_eq!(svc.next_deadline(q), Some(s(31.0)));
    svc.on_deadlines(s(31.0), q);
    assert_eq!(svc.depth(q), (0, 1, 0));
    let again = received(short(&mut svc, 32.0, q, c, 1));
    // The first receipt is outdated now: deleting with it deletes nothing.
    assert!(!svc.delete(s(33.0), b.receipts()[0]));
    assert!(svc.delete(s(33.0), again.receipts()[0]));
    assert_eq!(svc.depth(q), (0, 0, 0));
    let m = svc.metrics(q);
    assert_eq!((m.received, m.deleted, m.stale_deletes, m.empty_receives), (2, 1, 1, 1));
    assert_eq!(m.queue_wait.summary().count, 1, "queue wait counts the first receive only");
}

#[test]
fn long_poll_returns_as_soon_as_a_message_arrives_or_empty_at_the_wait() {
    let (mut svc, q, c) = one_queue(30, 345_600);
    assert!(matches!(svc.receive(s(0.0), q, c, 10, SimDuration::from_secs(20)), ReceiveOutcome::Waiting));
    assert_eq!(svc.next_deadline(q), Some(s(20.0)));
    svc.send(s(5.0), q, msg(5.0, 10), None);
    let mut b = Batch::default();
    let who = svc.serve_waiting(s(5.0), q, &mut b).expect("the waiting poll gets it");
    assert_eq!((who, b.len()), (c, 1));
    let mut ended = Vec::new();
    svc.expire_waits(s(20.0), q, &mut ended);
    assert!(ended.is_empty(), "a served poll does not also end empty");
    assert!(matches!(svc.receive(s(6.0), q, c, 10, SimDuration::from_secs(20)), ReceiveOutcome::Waiting));
    svc.expire_waits(s(26.0), q, &mut ended);
    assert_eq!(ended, vec![c]);
    assert_eq!(svc.metrics(q).empty_receives, 1);
    assert_eq!(svc.metrics(q).receive_message_requests, 2);
}

#[test]
fn message_expires_after_retention_even_in_flight() {
    let (mut svc, q, c) = one_queue(30, 60);
    svc.send(s(0.0), q, msg(0.0, 1), None);
    svc.send(s(10.0), q, msg(10.0, 1), None);
    let b = received(short(&mut svc, 50.0, q, c, 1));
    assert_eq!(svc.next_deadline(q), Some(s(60.0)));
    svc.on_deadlines(s(60.0), q);
    assert_eq!(svc.depth(q), (0, 1, 0));
    assert!(!svc.delete(s(61.0), b.receipts()[0]), "expired messages cannot be deleted");
    svc.on_deadlines(s(70.0), q);
    assert_eq!(svc.depth(q), (0, 0, 0));
    assert_eq!(svc.metrics(q).expired, 2);
}

#[test]
fn message_moves_to_the_dead_letter_queue_after_max_receives_keeping_its_age() {
    let mut src = config("src", 10, 1_000);
    src.redrive = Some(Redrive { dead_letter_queue: QueueId(1), receive_count_max: 2 });
    let mut svc = service(vec![src, config("dlq", 10, 1_000)]);
    let c = svc.add_consumer();
    let (src, dlq) = (QueueId(0), QueueId(1));
    svc.send(s(0.0), src, msg(0.0, 1), None);
    for round in 0..2 {
        let t = 20.0 * f64::from(round);
        received(short(&mut svc, t, src, c, 1));
        svc.on_deadlines(s(t + 10.0), src);
    }
    assert_eq!(svc.depth(src), (0, 0, 0));
    assert_eq!(svc.depth(dlq), (0, 1, 0));
    assert_eq!(svc.metrics(src).moved_to_dlq, 1);
    // Standard queues keep the original enqueue time: it expires 1,000 s after the send.
    assert_eq!(svc.next_deadline(dlq), Some(s(1_000.0)));
    // Redrive moves it back to where it came from, with a fresh receive count.
    assert_eq!(svc.move_one(s(40.0), dlq, None), Some(src));
    assert_eq!(svc.move_one(s(41.0), dlq, None), None, "the task ends when the DLQ is empty");
    assert_eq!(svc.depth(src), (0, 1, 0));
    assert_eq!((svc.metrics(dlq).redriven_out, svc.metrics(src).redriven_in), (1, 1));
}

#[test]
fn a_fifo_dead_letter_queue_resets_the_enqueue_time() {
    let fifo = Kind::Fifo { calls_per_s_max: 300.0 };
    let mut src = Config { kind: fifo, ..config("src", 10, 1_000) };
    src.redrive = Some(Redrive { dead_letter_queue: QueueId(1), receive_count_max: 1 });
    let mut svc = service(vec![src, Config { kind: fifo, ..config("dlq", 10, 1_000) }]);
    let c = svc.add_consumer();
    svc.send(s(0.0), QueueId(0), in_group(0.0, 1, 1), None);
    received(short(&mut svc, 100.0, QueueId(0), c, 1));
    svc.on_deadlines(s(110.0), QueueId(0));
    assert_eq!(svc.next_deadline(QueueId(1)), Some(s(1_110.0)));
}

#[test]
fn a_receive_returns_at_most_the_requested_count_in_send_order() {
    let (mut svc, q, c) = one_queue(30, 345_600);
    for i in 0..15 {
        svc.send(s(f64::from(i)), q, msg(f64::from(i), 1), None);
    }
    let b = received(short(&mut svc, 20.0, q, c, 10));
    assert_eq!(b.len(), 10);
    let created = |b: &Batch, i: usize| svc.message(b.receipts()[i]).unwrap().created_at;
    assert_eq!(created(&b, 0), s(0.0));
    assert_eq!(created(&b, 9), s(9.0));
    assert_eq!(svc.depth(q), (0, 5, 10));
}

#[test]
fn delay_queues_and_message_timers_hide_new_messages() {
    let mut cfg = config("q", 30, 345_600);
    cfg.delay = SimDuration::from_secs(60);
    let mut svc = service(vec![cfg]);
    let (q, c) = (QueueId(0), svc.add_consumer());
    svc.send(s(0.0), q, msg(0.0, 1), None);
    svc.send(s(0.0), q, msg(0.0, 1), Some(SimDuration::from_secs(5)));
    assert_eq!(svc.depth(q), (2, 0, 0));
    assert!(matches!(short(&mut svc, 1.0, q, c, 10), ReceiveOutcome::Empty));
    assert_eq!(svc.next_deadline(q), Some(s(5.0)), "the timer overrides the queue delay");
    svc.on_deadlines(s(5.0), q);
    assert_eq!(received(short(&mut svc, 5.0, q, c, 10)).len(), 1);
    assert_eq!(svc.next_deadline(q), Some(s(35.0)));
    svc.on_deadlines(s(60.0), q);
    assert_eq!(svc.depth(q).1, 1 + 1, "the delayed one and the timed-out one");
}

#[test]
fn extended_visibility_keeps_a_message_hidden_until_the_new_deadline() {
    let (mut svc, q, c) = one_queue(30, 345_600);
    svc.send(s(0.0), q, msg(0.0, 1), None);
    let b = received(short(&mut svc, 0.0, q, c, 1));
    svc.change_visibility(s(20.0), b.receipts(), SimDuration::from_secs(60));
    svc.on_deadlines(s(30.0), q);
    assert_eq!(svc.depth(q), (0, 0, 1), "still in flight at the original deadline");
    assert_eq!(svc.next_deadline(q), Some(s(80.0)));
    svc.on_deadlines(s(80.0), q);
    assert_eq!(svc.depth(q), (0, 1, 0));
    // A deadline past 12 hours from the receive is refused; the old one stands.
    let b = received(short(&mut svc, 100.0, q, c, 1));
    svc.change_visibility(s(43_000.0), b.receipts(), SimDuration::from_secs(43_200));
    assert_eq!(svc.metrics(q).visibility_extension_errors, 1);
    assert_eq!(svc.next_deadline(q), Some(s(130.0)));
    assert_eq!(svc.metrics(q).change_visibility_requests, 2);
}

#[test]
fn short_polling_with_few_messages_can_come_back_empty() {
    let mut cfg = config("q", 30, 345_600);
    cfg.short_poll_sample_fraction = 0.5;
    let mut svc = service(vec![cfg]);
    let (q, c) = (QueueId(0), svc.add_consumer());
    svc.send(s(0.0), q, msg(0.0, 1), None);
    let mut empties = 0;
    for i in 0..1_000 {
        match short(&mut svc, f64::from(i), q, c, 1) {
            ReceiveOutcome::Empty => empties += 1,
            ReceiveOutcome::Received(b) => {
                svc.delete(s(f64::from(i)), b.receipts()[0]);
                svc.send(s(f64::from(i)), q, msg(f64::from(i), 1), None);
            }
            other => panic!("{other:?}"),
        }
    }
    // One visible message, seen with probability 0.5: about 500 empty receives.
    assert!((empties - 500i32).abs() < 60, "{empties}");
}

#[test]
fn the_in_flight_limit_refuses_short_polls_and_holds_long_polls() {
    let mut cfg = config("q", 30, 345_600);
    cfg.in_flight_max = 2;
    let mut svc = service(vec![cfg]);
    let (q, c) = (QueueId(0), svc.add_consumer());
    for _ in 0..5 {
        svc.send(s(0.0), q, msg(0.0, 1), None);
    }
    let b = received(short(&mut svc, 0.0, q, c, 10));
    assert_eq!(b.len(), 2, "only room for two in flight");
    assert!(matches!(short(&mut svc, 1.0, q, c, 10), ReceiveOutcome::OverLimit));
    assert!(matches!(svc.receive(s(1.0), q, c, 10, SimDuration::from_secs(20)), ReceiveOutcome::Waiting));
    assert!(!svc.has_servable_waiter(q));
    svc.delete(s(2.0), b.receipts()[0]);
    assert!(svc.has_servable_waiter(q));
    let mut b = Batch::default();
    assert!(svc.serve_waiting(s(2.0), q, &mut b).is_some());
    assert_eq!(b.len(), 1);
    assert_eq!(svc.metrics(q).over_limit_errors, 1);
}

#[test]
fn batch_calls_are_one_request_per_64_kib_of_payload() {
    let (mut svc, q, c) = one_queue(30, 345_600);
    let entries: Vec<(Message, Option<SimDuration>)> = (0..10).map(|_| (msg(0.0, 10_000), None)).collect();
    let mut outcomes = Vec::new();
    svc.send_batch(s(0.0), q, &entries, &mut outcomes);
    assert_eq!(outcomes, vec![SendOutcome::Accepted; 10]);
    assert_eq!(svc.metrics(q).billed_requests, 2, "100,000 bytes is two 64 KiB chunks");
    let b = received(short(&mut svc, 1.0, q, c, 10));
    assert_eq!(svc.metrics(q).billed_requests, 4);
    assert_eq!(svc.delete_batch(s(2.0), b.receipts()), 10);
    assert_eq!(svc.metrics(q).billed_requests, 5);
}

#[test]
fn a_message_larger_than_the_queues_maximum_is_refused_and_stores_nothing() {
    let mut svc = service(vec![Config { max_message_size_bytes: 2_048, ..config("q", 30, 345_600) }]);
    let q = QueueId(0);
    assert_eq!(svc.send(s(0.0), q, msg(0.0, 2_048), None), SendOutcome::Accepted, "the maximum itself is allowed");
    assert_eq!(svc.send(s(0.0), q, msg(0.0, 2_049), None), SendOutcome::TooLarge);
    let entries = [(msg(1.0, 100), None), (msg(1.0, 5_000), None), (msg(1.0, 2_000), None)];
    let mut outcomes = Vec::new();
    svc.send_batch(s(1.0), q, &entries, &mut outcomes);
    assert_eq!(outcomes, [SendOutcome::Accepted, SendOutcome::TooLarge, SendOutcome::Accepted], "entry by entry");
    let m = svc.metrics(q);
    assert_eq!((m.sent, m.rejected_oversize, m.send_message_requests, m.send_message_batch_requests), (3, 2, 2, 1));
    assert_eq!(svc.depth(q), (0, 3, 0));
}

#[test]
fn a_fifo_group_delivers_nothing_more_while_one_of_its_messages_is_in_flight() {
    let fifo = Kind::Fifo { calls_per_s_max: 300.0 };
    let mut svc = service(vec![Config { kind: fifo, ..config("q", 30, 345_600) }]);
    let (q, c) = (QueueId(0), svc.add_consumer());
    for (i, group) in [1, 1, 2, 1, 2].into_iter().enumerate() {
        svc.send(s(i as f64), q, in_group(i as f64, group, i as u64), None);
    }
    let message = |svc: &Service, b: &Batch, i: usize| svc.message(b.receipts()[i]).unwrap();
    let first = received(short(&mut svc, 10.0, q, c, 2));
    // Two from group 1, in order; group 1 is then blocked.
    assert_eq!((message(&svc, &first, 0).created_at, message(&svc, &first, 1).created_at), (s(0.0), s(1.0)));
    let second = received(short(&mut svc, 10.0, q, c, 10));
    assert_eq!(second.len(), 2, "only group 2 is eligible");
    assert_eq!((message(&svc, &second, 0).group, message(&svc, &second, 1).group), (2, 2));
    assert!(matches!(short(&mut svc, 10.0, q, c, 10), ReceiveOutcome::Empty));
    svc.delete(s(11.0), first.receipts()[0]);
    assert!(matches!(short(&mut svc, 11.0, q, c, 10), ReceiveOutcome::Empty), "one of group 1 still in flight");
    svc.delete(s(12.0), first.receipts()[1]);
    let third = received(short(&mut svc, 12.0, q, c, 10));
    assert_eq!(message(&svc, &third, 0).created_at, s(3.0));
}

#[test]
fn a_fifo_duplicate_within_five_minutes_is_dropped_and_one_after_is_accepted() {
    let fifo = Kind::Fifo { calls_per_s_max: 300.0 };
    let mut svc = service(vec![Config { kind: fifo, ..config("q", 30, 345_600) }]);
    let q = QueueId(0);
    assert_eq!(svc.send(s(0.0), q, in_group(0.0, 1, 7), None), SendOutcome::Accepted);
    assert_eq!(svc.send(s(299.0), q, in_group(299.0, 1, 7), None), SendOutcome::Deduplicated);
    assert_eq!(svc.send(s(300.0), q, in_group(300.0, 1, 7), None), SendOutcome::Accepted);
    assert_eq!((svc.metrics(q).sent, svc.metrics(q).deduplicated), (2, 1));
}

#[test]
fn a_fifo_queue_throttles_sends_beyond_its_quota() {
    let fifo = Kind::Fifo { calls_per_s_max: 300.0 };
    let mut svc = service(vec![Config { kind: fifo, ..config("q", 30, 345_600) }]);
    let q = QueueId(0);
    let outcomes: Vec<SendOutcome> = (0..400).map(|i| svc.send(s(10.0), q, in_group(10.0, 1, i), None)).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == SendOutcome::Accepted).count(), 300);
    assert_eq!(svc.send(s(10.5), q, in_group(10.5, 1, 1_000), None), SendOutcome::Accepted, "refilled at 300/s");
    assert_eq!(svc.metrics(q).throttled_sends, 100);
}

#[test]
fn standard_queues_sometimes_deliver_a_message_twice() {
    let mut cfg = config("q", 30, 345_600);
    cfg.kind = Kind::Standard { duplicate_rate: 0.1 };
    let mut svc = service(vec![cfg]);
    let (q, c) = (QueueId(0), svc.add_consumer());
    for i in 0..10_000 {
        svc.send(s(f64::from(i)), q, msg(f64::from(i), 1), None);
        let b = received(short(&mut svc, f64::from(i), q, c, 1));
        svc.delete(s(f64::from(i)), b.receipts()[0]);
    }
    let m = svc.metrics(q);
    assert!((m.duplicates as i64 - 1_000).abs() < 120, "{}", m.duplicates);
    assert_eq!(svc.depth(q).1 as u64, m.duplicates, "the copies wait to be received");
}

#[test]
fn fifo_messages_timing_out_together_come_back_in_their_order() {
    let fifo = Kind::Fifo { calls_per_s_max: 300.0 };
    let mut svc = service(vec![Config { kind: fifo, ..config("q", 30, 345_600) }]);
    let (q, c) = (QueueId(0), svc.add_consumer());
    for i in 0..3 {
        svc.send(s(0.0), q, in_group(0.0, 1, i), None);
    }
    let b = received(short(&mut svc, 1.0, q, c, 10));
    assert_eq!(b.len(), 3);
    svc.on_deadlines(s(31.0), q);
    let again = received(short(&mut svc, 32.0, q, c, 10));
    let ids: Vec<u64> = again.receipts().iter().map(|r| svc.message(*r).unwrap().deduplication_id).collect();
    assert_eq!(ids, vec![0, 1, 2]);
}

#[test]
fn a_shorter_visibility_timeout_takes_effect() {
    let (mut svc, q, c) = one_queue(300, 345_600);
    svc.send(s(0.0), q, msg(0.0, 1), None);
    let b = received(short(&mut svc, 0.0, q, c, 1));
    svc.change_visibility(s(10.0), b.receipts(), SimDuration::from_secs(20));
    assert_eq!(svc.next_deadline(q), Some(s(30.0)));
    svc.on_deadlines(s(30.0), q);
    assert_eq!(svc.depth(q), (0, 1, 0));
    // The original 300 s entry no longer acts.
    svc.on_deadlines(s(300.0), q);
    assert_eq!(svc.depth(q), (0, 1, 0));
}
