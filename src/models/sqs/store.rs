//! Message storage of one queue: a slab of slots with generation counters, and a doubly
//! linked list through the live slots in enqueue order, for retention.
//!
//! Receipts, delivery-order entries and deadlines refer to a slot by (index, generation);
//! they go stale when the slot's generation moves on (at every receive and at removal), so
//! nothing has to be searched and removed eagerly, and nothing is allocated per message
//! once the slab has grown to the peak number of stored messages.

use crate::engine::SimTime;
use crate::models::Message;

pub(super) const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    Free,
    Delayed,
    Visible,
    InFlight,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Slot {
    pub message: Message,
    /// Retention counts from here: the original send for standard queues (also in a
    /// dead-letter queue), the move for FIFO dead-letter queues.
    pub enqueued_at: SimTime,
    /// When the current receipt was issued; the 12-hour visibility cap counts from here.
    pub received_at: SimTime,
    /// When the current receipt's visibility timeout ends.
    pub visible_deadline: SimTime,
    /// Enqueue order within this queue (FIFO order checks).
    pub seq: u64,
    pub generation: u32,
    pub receive_count: u32,
    pub state: State,
    /// For a message dead-lettered into this queue: the queue it came from (redrive's
    /// default destination), else `NIL`.
    pub source_queue: u32,
    older: u32,
    newer: u32,
}

/// A reference to a slot at one generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct SlotRef {
    pub slot: u32,
    pub generation: u32,
}

#[derive(Debug, Default)]
pub(super) struct Store {
    slots: Vec<Slot>,
    free: Vec<u32>,
    oldest: u32,
    newest: u32,
    live: u32,
    next_seq: u64,
}

impl Store {
    pub fn new() -> Store {
        Store { oldest: NIL, newest: NIL, ..Store::default() }
    }

    /// Stores a message; it is linked into the age list by `enqueued_at`.
    pub fn insert(&mut self, message: Message, enqueued_at: SimTime, state: State, source_queue: u32) -> SlotRef {
        let slot = Slot {
            message,
            enqueued_at,
            received_at: SimTime::ZERO,
            visible_deadline: SimTime::ZERO,
            seq: self.next_seq,
            generation: 0,
            receive_count: 0,
            state,
            source_queue,
            older: NIL,
            newer: NIL,
        };
        let index = match self.free.pop() {
            Some(i) => {
                // In place, field by field: a freed slot keeps its generation, and the age
                // links are set below. The pattern names every field, so a field added to
                // `Slot` cannot be left out here unnoticed.
                let s = &mut self.slots[i as usize];
                let Slot {
                    message,
                    enqueued_at,
                    received_at,
                    visible_deadline,
                    seq,
                    generation: _,
                    receive_count,
                    state,
                    source_queue,
                    older: _,
                    newer: _,
                } = slot;
                s.message = message;
                s.enqueued_at = enqueued_at;
                s.received_at = received_at;
                s.visible_deadline = visible_deadline;
                s.seq = seq;
                s.receive_count = receive_count;
                s.state = state;
                s.source_queue = source_queue;
                i
            }
            None => {
                self.slots.push(slot);
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 stored messages")
            }
        };
        self.next_seq += 1;
        self.link_by_age(index);
        self.live += 1;
        SlotRef { slot: index, generation: self.slots[index as usize].generation }
    }

    #[inline]
    pub fn get(&self, index: u32) -> &Slot {
        &self.slots[index as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, index: u32) -> &mut Slot {
        &mut self.slots[index as usize]
    }

    /// True if `r` still names the slot's current generation in state `state`.
    #[inline]
    pub fn is(&self, r: SlotRef, state: State) -> bool {
        let slot = &self.slots[r.slot as usize];
        slot.state == state && slot.generation == r.generation
    }

    /// Starts a new receipt: the slot's generation moves on, so older receipts and entries
    /// go stale. Returns the new reference.
    #[inline]
    pub fn renew(&mut self, index: u32) -> SlotRef {
        let slot = &mut self.slots[index as usize];
        slot.generation = slot.generation.wrapping_add(1);
        SlotRef { slot: index, generation: slot.generation }
    }

    /// Frees a slot; returns the state it was in and its message's group, all the caller
    /// needs (not a copy of the whole slot, on every delete).
    #[inline]
    pub fn remove(&mut self, index: u32) -> (State, u32) {
        let s = &mut self.slots[index as usize];
        let (state, group) = (s.state, s.message.group);
        assert!(state != State::Free, "removing a free slot");
        s.state = State::Free;
        s.generation = s.generation.wrapping_add(1);
        self.unlink_by_age(index);
        self.free.push(index);
        self.live -= 1;
        (state, group)
    }

    /// The slot enqueued longest ago.
    pub fn oldest(&self) -> Option<u32> {
        (self.oldest != NIL).then_some(self.oldest)
    }

    /// Messages stored, whatever their state.
    pub fn len(&self) -> u32 {
        self.live
    }

    /// New sends go at the newest end in O(1); messages moved in with an older enqueue time
    /// walk back to their place.
    fn link_by_age(&mut self, index: u32) {
        let enqueued_at = self.slots[index as usize].enqueued_at;
        let mut after = self.newest;
        while after != NIL && self.slots[after as usize].enqueued_at > enqueued_at {
            after = self.slots[after as usize].older;
        }
        let before = if after == NIL { self.oldest } else { self.slots[after as usize].newer };
        self.slots[index as usize].older = after;
        self.slots[index as usize].newer = before;
        match after {
            NIL => self.oldest = index,
            a => self.slots[a as usize].newer = index,
        }
        match before {
            NIL => self.newest = index,
            b => self.slots[b as usize].older = index,
        }
    }

    fn unlink_by_age(&mut self, index: u32) {
        let Slot { older, newer, .. } = self.slots[index as usize];
        match older {
            NIL => self.oldest = newer,
            o => self.slots[o as usize].newer = newer,
        }
        match newer {
            NIL => self.newest = older,
            n => self.slots[n as usize].older = older,
        }
    }
}
