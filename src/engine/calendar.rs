//! A calendar queue (R. Brown, "Calendar queues", CACM 31(10), 1988): kept as a measured
//! alternative to the radix heap, selectable for benchmarks.
//!
//! Time is cut into days of `2^day_shift` microseconds; a year is `days` days (a power of
//! two), and an event waits in the bucket of its day within the year, whatever the year.
//! Taking out the next event walks the buckets from the current day, taking a bucket's
//! earliest entry when it falls within that day; after a whole year of days without one, a
//! direct search over the buckets' earliest entries finds it. The calendar doubles or halves
//! its days when the events outnumber twice the days or fall under half of them, and picks
//! the day's length then as three times the mean gap between the earliest events, Brown's
//! rule, rounded up to a power of two so that a day is a shift.
//!
//! Each bucket is sorted latest first, so its earliest entry is its last. Ties come out in
//! push order without a sequence number: entries with the same time share a bucket, a push
//! goes in front of (is taken after) every entry at its time, and a resize moves each
//! bucket's entries earliest first.

/// A monotone priority queue of events by time, ties in push order.
#[derive(Debug)]
pub struct CalendarQueue<E> {
    buckets: Vec<Vec<(u64, E)>>,
    day_shift: u32,
    /// The bucket of the current day, and the first microsecond after that day.
    current: usize,
    day_end: u64,
    /// The time of the latest entry taken out; no entry may be pushed before it.
    last: u64,
    len: usize,
}

/// The fewest buckets kept, so that a queue of a few events does not resize at every push.
const DAYS_MIN: usize = 16;

impl<E> CalendarQueue<E> {
    pub fn with_capacity(_capacity: usize) -> Self {
        let day_shift = 10;
        CalendarQueue {
            buckets: (0..DAYS_MIN).map(|_| Vec::new()).collect(),
            day_shift,
            current: 0,
            day_end: 1 << day_shift,
            last: 0,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    fn bucket_of(&self, time: u64) -> usize {
        (time >> self.day_shift) as usize & (self.buckets.len() - 1)
    }

    fn day_end_of(&self, time: u64) -> u64 {
        ((time >> self.day_shift) + 1).checked_shl(self.day_shift).unwrap_or(u64::MAX)
    }
}

impl<E: Copy> CalendarQueue<E> {
    /// Adds an event at `time_us`, which must not be before the latest one taken out.
    #[inline]
    pub fn push(&mut self, time_us: u64, event: E) {
        assert!(time_us >= self.last, "a monotone queue takes no event before its last: {time_us} < {}", self.last);
        let b = self.bucket_of(time_us);
        insert(&mut self.buckets[b], time_us, event);
        self.len += 1;
        if self.len > 2 * self.buckets.len() {
            self.resize(2 * self.buckets.len());
        }
    }

    /// Removes and returns the earliest event if it is at or before `limit_us`; otherwise
    /// leaves the queue as it was.
    #[inline]
    pub fn pop_through(&mut self, limit_us: u64) -> Option<(u64, E)> {
        if self.len == 0 {
            return None;
        }
        let (mut current, mut day_end) = (self.current, self.day_end);
        let found = 'walk: {
            for _ in 0..self.buckets.len() {
                if let Some(&(time, _)) = self.buckets[current].last()
                    && time < day_end
                {
                    break 'walk current;
                }
                current = (current + 1) & (self.buckets.len() - 1);
                day_end = day_end.saturating_add(1 << self.day_shift);
            }
            self.earliest_bucket()
        };
        let time = self.buckets[found].last().expect("the bucket found holds an entry").0;
        if time > limit_us {
            // The walk is not kept: a later push at the clock must still find its day ahead.
            return None;
        }
        let entry = self.buckets[found].pop().expect("the bucket found holds an entry");
        self.current = found;
        self.day_end = self.day_end_of(time);
        self.last = time;
        self.len -= 1;
        if self.len < self.buckets.len() / 2 && self.buckets.len() > DAYS_MIN {
            self.resize(self.buckets.len() / 2);
        }
        Some(entry)
    }

    /// The bucket whose earliest entry is the earliest of all (the queue is not empty).
    #[inline(never)]
    fn earliest_bucket(&self) -> usize {
        let mut best: Option<(u64, usize)> = None;
        for (i, bucket) in self.buckets.iter().enumerate() {
            if let Some(&(time, _)) = bucket.last()
                && best.is_none_or(|(t, _)| time < t)
            {
                best = Some((time, i));
            }
        }
        best.expect("a non-empty calendar has an entry").1
    }

    /// Rebuilds the calendar with `days` buckets and a day fitted to the earliest events.
    #[inline(never)]
    fn resize(&mut self, days: usize) {
        let old = std::mem::take(&mut self.buckets);
        self.day_shift = day_shift_for(&old);
        self.buckets = (0..days).map(|_| Vec::new()).collect();
        for bucket in &old {
            // Earliest first, so that ties keep their order.
            for &(time, event) in bucket.iter().rev() {
                let b = self.bucket_of(time);
                insert(&mut self.buckets[b], time, event);
            }
        }
        self.current = self.bucket_of(self.last);
        self.day_end = self.day_end_of(self.last);
    }
}

/// Puts an entry into a bucket sorted latest first, after (taken before) every later entry
/// and before (taken after) every entry at its time.
#[inline]
fn insert<E>(bucket: &mut Vec<(u64, E)>, time: u64, event: E) {
    let at = bucket.partition_point(|e| e.0 > time);
    bucket.insert(at, (time, event));
}

/// Brown's day: three times the mean gap between the earliest events (up to 32 of them,
/// gaps over twice the first mean left out as stragglers), as a power of two.
fn day_shift_for<E>(buckets: &[Vec<(u64, E)>]) -> u32 {
    let mut times: Vec<u64> = buckets.iter().flat_map(|b| b.iter().map(|e| e.0)).collect();
    let sample = times.len().min(32);
    if sample < 2 {
        return 10;
    }
    times.select_nth_unstable(sample - 1);
    times.truncate(sample);
    times.sort_unstable();
    let gaps: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let mean = gaps.iter().sum::<u64>() as f64 / gaps.len() as f64;
    let kept: Vec<u64> = gaps.iter().copied().filter(|&g| g as f64 <= 2.0 * mean).collect();
    let mean = if kept.is_empty() { mean } else { kept.iter().sum::<u64>() as f64 / kept.len() as f64 };
    let day = (3.0 * mean).ceil().max(1.0) as u64;
    day.next_power_of_two().trailing_zeros().min(40)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_come_out_in_push_order_through_resizes() {
        let mut q = CalendarQueue::with_capacity(0);
        for i in 0..200u64 {
            q.push((i % 7) * 1_000, i);
        }
        let mut last = (0, None::<u64>);
        while let Some((t, e)) = q.pop_through(u64::MAX) {
            if t == last.0 {
                assert!(last.1.is_none_or(|p| p < e), "tie out of order");
            }
            last = (t, Some(e));
        }
    }

    #[test]
    fn an_entry_after_the_limit_stays_and_the_clock_may_still_be_pushed() {
        let mut q = CalendarQueue::with_capacity(0);
        q.push(1_000_000, 1);
        assert_eq!(q.pop_through(50), None);
        q.push(50, 2);
        assert_eq!(q.pop_through(50), Some((50, 2)));
        assert_eq!(q.pop_through(u64::MAX), Some((1_000_000, 1)));
    }
}
