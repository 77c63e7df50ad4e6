//! What makes a FIFO queue: message groups delivered strictly in order, one batch of a
//! group in flight at a time, and the 5-minute deduplication window.
//!
//! `reference/aws-messaging.md` §1.1: while any message of a group is in flight, no further
//! message of that group is returned; one receive can return messages from several groups,
//! each in send order; a duplicate `MessageDeduplicationId` within 5 minutes is accepted
//! but not delivered, and the id stays tracked after the message is deleted.
//!
//! Modelling choice: groups become eligible in the order they became ready (a group is
//! ready when it has visible messages and none in flight); a receive fills its batch from
//! the first ready group, then the next. AWS does not document how it picks groups.

use std::collections::VecDeque;

use super::store::{SlotRef, State, Store};

#[derive(Debug, Default)]
struct Group {
    /// Visible messages in send order; entries go stale as in the standard queue.
    visible: VecDeque<SlotRef>,
    visible_count: u32,
    in_flight: u32,
    is_ready: bool,
    /// Enqueue sequence of the latest first delivery, plus one (0: none yet).
    first_delivered_to: u64,
}

/// The message groups of one FIFO queue.
#[derive(Debug, Default)]
pub(super) struct Groups {
    groups: Vec<Group>,
    ready: VecDeque<u32>,
}

impl Groups {
    fn group(&mut self, id: u32) -> &mut Group {
        let i = id as usize;
        if i >= self.groups.len() {
            self.groups.resize_with(i + 1, Group::default);
        }
        &mut self.groups[i]
    }

    /// A message of `group` became visible. A new message goes to the back; one whose
    /// visibility timeout ended (`returning`) goes back to its place by enqueue order, so
    /// several returning together keep their order.
    pub fn push(&mut self, store: &Store, group: u32, r: SlotRef, returning: bool) {
        let g = self.group(group);
        if returning {
            let seq = store.get(r.slot).seq;
            // Stale entries may sit anywhere; live ones are in enqueue order.
            let at = g.visible.iter().position(|e| store.is(*e, State::Visible) && store.get(e.slot).seq > seq);
            g.visible.insert(at.unwrap_or(g.visible.len()), r);
        } else {
            g.visible.push_back(r);
        }
        g.visible_count += 1;
        self.make_ready_if_eligible(group);
    }

    /// Records the first delivery of a message; returns false if it overtook an earlier
    /// message of its group (which strict FIFO ordering forbids, so a test can check it).
    pub fn on_first_delivery(&mut self, group: u32, seq: u64) -> bool {
        let g = self.group(group);
        let in_order = seq + 1 > g.first_delivered_to;
        g.first_delivered_to = g.first_delivered_to.max(seq + 1);
        in_order
    }

    /// A visible message of `group` was removed (expired, deleted with an old receipt).
    pub fn on_visible_removed(&mut self, group: u32) {
        self.group(group).visible_count -= 1;
    }

    /// A message of `group` left flight (deleted, timed out, moved, expired).
    pub fn on_in_flight_ended(&mut self, group: u32) {
        self.group(group).in_flight -= 1;
        self.make_ready_if_eligible(group);
    }

    fn make_ready_if_eligible(&mut self, group: u32) {
        let g = self.group(group);
        if g.in_flight == 0 && g.visible_count > 0 && !g.is_ready {
            g.is_ready = true;
            self.ready.push_back(group);
        }
    }

    /// The next message for a batch: more of `current` if it has any, else the head of the
    /// next ready group. The message's group counts it in flight.
    pub fn pop(&mut self, store: &Store, current: &mut Option<u32>) -> Option<SlotRef> {
        if let Some(group) = *current
            && let Some(r) = self.pop_head(store, group)
        {
            return Some(r);
        }
        while let Some(group) = self.ready.pop_front() {
            self.group(group).is_ready = false;
            if let Some(r) = self.pop_head(store, group) {
                *current = Some(group);
                return Some(r);
            }
        }
        None
    }

    /// The message `pop` would return first from the ready groups, without taking it.
    pub fn peek(&mut self, store: &Store) -> Option<SlotRef> {
        for &group in &self.ready {
            let g = &self.groups[group as usize];
            if let Some(r) = g.visible.iter().find(|r| store.is(**r, State::Visible)) {
                return Some(*r);
            }
        }
        None
    }

    fn pop_head(&mut self, store: &Store, group: u32) -> Option<SlotRef> {
        let g = self.group(group);
        while let Some(r) = g.visible.pop_front() {
            if store.is(r, State::Visible) {
                g.visible_count -= 1;
                g.in_flight += 1;
                return Some(r);
            }
        }
        None
    }
}
