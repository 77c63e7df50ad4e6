//! Measurement primitives: latency histograms, time-weighted gauges and sampled time series.
//!
//! Latencies are recorded in microseconds into an HdrHistogram (3 significant digits, so
//! every percentile is within 0.1 %), alongside an exact sum so means carry no bucketing
//! error. Recording is on the hot path of every model, so a [`LatencyHistogram`] keeps only
//! HdrHistogram's array of counts, in HdrHistogram's own layout, and increments it directly;
//! the `hdrhistogram` crate's histogram is built from those counts when figures are read,
//! and gives the same percentiles, maximum and deviation as recording into it would. The
//! counts start covering 1 µs to 2 ms (16 KiB) and grow only when a longer value arrives, up
//! to 30 days (264 KiB): a topic with thousands of subscriptions whose deliveries take
//! milliseconds keeps thousands of small histograms, not thousands of full-range ones.
//!
//! Gauges integrate a level over virtual time, which gives exact time averages (Little's law
//! needs them) at the cost of one multiply-add per change.

use hdrhistogram::Histogram;

use crate::engine::{SimDuration, SimTime};

/// The longest latency recorded exactly: 30 days, beyond SQS's 14-day retention.
/// Longer values saturate at this ceiling.
const LATENCY_US_MAX: u64 = 30 * 86_400 * 1_000_000;

/// Why recording cannot fail: the histograms grow (`auto`), and every value is first capped
/// far below the largest a histogram can grow to.
const GROWS: &str = "a growing histogram takes any capped value";

/// An empty 3-significant-digit histogram that starts small and grows its range on demand.
fn growing_histogram() -> Histogram<u64> {
    let mut histogram = Histogram::new_with_bounds(1, 2, 3).expect("constant bounds are valid");
    histogram.auto(true);
    histogram
}

/// (buckets, sub-buckets) of a latency histogram covering its full range, as HdrHistogram
/// counts them: the bucket of the longest latency, and the counts up to the end of it.
fn full_range_layout() -> (u8, usize) {
    let buckets = count_index(LATENCY_US_MAX) >> SUB_BUCKET_HALF_COUNT_MAGNITUDE;
    (buckets as u8, (buckets + 1) * SUB_BUCKET_HALF_COUNT)
}

/// A latency distribution: HdrHistogram's counts for 1 µs resolution and 3 significant
/// digits, grown on demand, with the count and the exact sum.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    total: u64,
    sum_us: u128,
}

/// HdrHistogram's layout for a lowest value of 1 and 3 significant digits: 2,048 sub-buckets
/// in the first bucket, then 1,024 more per doubling of the value.
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = 10;
const SUB_BUCKET_HALF_COUNT: usize = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_MASK: u64 = (1 << (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1)) - 1;
/// 64 minus the bits of the sub-bucket count (unit magnitude 0).
const LEADING_ZERO_COUNT_BASE: u32 = 64 - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1);

/// The index of `value`'s count, as HdrHistogram computes it.
#[inline]
fn count_index(value: u64) -> usize {
    let bucket = LEADING_ZERO_COUNT_BASE - (value | SUB_BUCKET_MASK).leading_zeros();
    let sub_bucket = (value >> bucket) as usize;
    ((bucket as usize + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + sub_bucket - SUB_BUCKET_HALF_COUNT
}

/// The lowest value whose count is at `index` (HdrHistogram's `value_for`).
fn index_value(index: usize) -> u64 {
    let bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) as i64 - 1;
    let sub_bucket = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 { (sub_bucket - SUB_BUCKET_HALF_COUNT) as u64 } else { (sub_bucket as u64) << bucket }
}

/// How many values share the count at `index`: 1 in the first bucket, doubling with each
/// bucket after it.
fn equivalent_range(index: usize) -> u64 {
    1 << ((index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE).max(1) - 1)
}

/// The figures reported for one latency, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    pub fn new() -> Self {
        // The first bucket (0 to 2,047 µs) from the start: 16 KiB.
        LatencyHistogram { counts: vec![0; 2 * SUB_BUCKET_HALF_COUNT], total: 0, sum_us: 0 }
    }

    #[inline]
    pub fn record(&mut self, latency: SimDuration) {
        let us = latency.as_micros().min(LATENCY_US_MAX);
        self.record_n(us, 1);
        self.sum_us += u128::from(us);
    }

    #[inline]
    fn record_n(&mut self, us: u64, n: u64) {
        let i = count_index(us);
        if i >= self.counts.len() {
            self.grow_to(i);
        }
        // Saturating: counts read back from a sweep's run files could be anything.
        self.counts[i] = self.counts[i].saturating_add(n);
        self.total = self.total.saturating_add(n);
    }

    /// Grows the counts to the end of the bucket of `index`.
    #[cold]
    fn grow_to(&mut self, index: usize) {
        let len = (index / SUB_BUCKET_HALF_COUNT + 1) * SUB_BUCKET_HALF_COUNT;
        self.counts.resize(len, 0);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    /// The exact sum of the values recorded, in microseconds (cheap: no histogram is built).
    pub fn sum_us(&self) -> u128 {
        self.sum_us
    }

    /// Forgets everything recorded (used at the end of the warm-up).
    pub fn reset(&mut self) {
        self.counts.fill(0);
        self.total = 0;
        self.sum_us = 0;
    }

    /// Adds another histogram's samples (for merging replications).
    pub fn merge(&mut self, other: &LatencyHistogram) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine = mine.saturating_add(*theirs);
        }
        self.total = self.total.saturating_add(other.total);
        self.sum_us = self.sum_us.saturating_add(other.sum_us);
    }

    /// The same distribution as an HdrHistogram, for its percentiles and iterators.
    fn hdr(&self) -> Histogram<u64> {
        let mut h = growing_histogram();
        for (i, &n) in self.counts.iter().enumerate().filter(|(_, n)| **n > 0) {
            h.record_n(index_value(i), n).expect(GROWS);
        }
        h
    }

    pub fn summary(&self) -> LatencySummary {
        let f = Figures::of(&self.hdr(), self.sum_us, 1_000.0);
        LatencySummary {
            count: f.count,
            mean_ms: f.mean,
            p50_ms: f.p50,
            p90_ms: f.p90,
            p99_ms: f.p99,
            p999_ms: f.p999,
            max_ms: f.max,
        }
    }

    /// The recorded values (µs, each the highest equivalent value of its bucket) with their
    /// counts, and the exact sum: enough to rebuild the histogram ([`Self::from_parts`]).
    pub fn to_parts(&self) -> (Vec<(u64, u64)>, u128) {
        let counts = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, &n)| (index_value(i) + equivalent_range(i) - 1, n))
            .collect();
        (counts, self.sum_us)
    }

    pub fn from_parts(counts: &[(u64, u64)], sum_us: u128) -> LatencyHistogram {
        let mut h = LatencyHistogram::new();
        for &(value, count) in counts {
            h.record_n(value.min(LATENCY_US_MAX), count);
        }
        h.sum_us = sum_us;
        h
    }

    /// The percentile distribution in HdrHistogram's text format (`.hgrm`, values in
    /// milliseconds), which HdrHistogram's plotters read.
    pub fn hgrm(&self) -> String {
        use std::fmt::Write as _;
        let h = &self.hdr();
        let mut out = String::new();
        let _ = writeln!(out, "{:>12} {:>14} {:>10} {:>14}\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
        let mut total = 0u64;
        for v in h.iter_quantiles(5) {
            total += v.count_since_last_iteration();
            let q = v.quantile_iterated_to();
            let value_ms = v.value_iterated_to() as f64 / 1_000.0;
            if q < 1.0 {
                let _ = writeln!(out, "{value_ms:>12.3} {q:>2.12} {total:>10} {:>14.2}", 1.0 / (1.0 - q));
            } else {
                let _ = writeln!(out, "{value_ms:>12.3} {q:>2.12} {total:>10}");
            }
        }
        let mean_ms = if h.is_empty() { 0.0 } else { self.sum_us as f64 / h.len() as f64 / 1_000.0 };
        let _ = writeln!(out, "#[Mean    = {mean_ms:>12.3}, StdDeviation   = {:>12.3}]", h.stdev() / 1_000.0);
        let _ = writeln!(out, "#[Max     = {:>12.3}, Total count    = {:>12}]", h.max() as f64 / 1_000.0, h.len());
        // The layout of the full 1 µs – 30 days range, whatever this one has grown to, so
        // the file depends only on the values recorded.
        let (buckets, sub_buckets) = full_range_layout();
        let _ = writeln!(out, "#[Buckets = {buckets:>12}, SubBuckets     = {sub_buckets:>12}]");
        out
    }

    /// (quantile, value in ms, count at or below) points for plotting the spectrum.
    pub fn quantile_points(&self) -> Vec<(f64, f64, u64)> {
        self.hdr()
            .iter_quantiles(1)
            .map(|v| (v.quantile_iterated_to(), v.value_iterated_to() as f64 / 1_000.0, v.count_since_last_iteration()))
            .collect()
    }
}

impl CostHistogram {
    /// The recorded costs (USD, each its bucket's highest equivalent value) with their
    /// counts.
    pub fn buckets(&self) -> Vec<(f64, u64)> {
        self.histogram.iter_recorded().map(|v| (v.value_iterated_to() as f64 / 1e9, v.count_at_value())).collect()
    }
}

/// The largest cost recorded exactly, in nano-USD: $1,000 (a Standard execution of 40
/// million transitions).
const COST_NANO_USD_MAX: u64 = 1_000 * 1_000_000_000;

/// A distribution of costs (per execution, say), kept in nano-USD with 3 significant digits.
#[derive(Clone, Debug)]
pub struct CostHistogram {
    histogram: Histogram<u64>,
    sum_nano_usd: u128,
}

/// The figures reported for one cost distribution, in USD.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostSummary {
    pub count: u64,
    pub mean_usd: f64,
    pub p50_usd: f64,
    pub p90_usd: f64,
    pub p99_usd: f64,
    pub max_usd: f64,
}

impl Default for CostHistogram {
    fn default() -> Self {
        CostHistogram { histogram: growing_histogram(), sum_nano_usd: 0 }
    }
}

impl CostHistogram {
    pub fn record(&mut self, usd: f64) {
        let nano = (usd * 1e9).round().clamp(0.0, COST_NANO_USD_MAX as f64) as u64;
        self.histogram.record(nano).expect(GROWS);
        self.sum_nano_usd += u128::from(nano);
    }

    pub fn reset(&mut self) {
        self.histogram.reset();
        self.sum_nano_usd = 0;
    }

    pub fn summary(&self) -> CostSummary {
        let f = Figures::of(&self.histogram, self.sum_nano_usd, 1e9);
        CostSummary { count: f.count, mean_usd: f.mean, p50_usd: f.p50, p90_usd: f.p90, p99_usd: f.p99, max_usd: f.max }
    }
}

/// A histogram's count, exact mean and percentiles, each value divided by `per_unit`.
struct Figures {
    count: u64,
    mean: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    p999: f64,
    max: f64,
}

impl Figures {
    fn of(h: &Histogram<u64>, sum: u128, per_unit: f64) -> Figures {
        let unit = |v: u64| v as f64 / per_unit;
        let count = h.len();
        Figures {
            count,
            mean: if count == 0 { 0.0 } else { sum as f64 / count as f64 / per_unit },
            p50: unit(h.value_at_quantile(0.50)),
            p90: unit(h.value_at_quantile(0.90)),
            p99: unit(h.value_at_quantile(0.99)),
            p999: unit(h.value_at_quantile(0.999)),
            max: unit(h.max()),
        }
    }
}

/// A level that changes at instants (queue depth, busy workers), integrated over time.
#[derive(Clone, Copy, Debug, Default)]
pub struct TimeWeighted {
    level: i64,
    since: SimTime,
    area: f64,
    origin: SimTime,
}

impl TimeWeighted {
    #[inline]
    pub fn add(&mut self, now: SimTime, delta: i64) {
        self.advance(now);
        self.level += delta;
        debug_assert!(self.level >= 0, "a level went negative");
    }

    #[inline]
    fn advance(&mut self, now: SimTime) {
        let dt = now.saturating_since(self.since).as_micros();
        if dt > 0 {
            self.area += self.level as f64 * dt as f64;
            self.since = now;
        }
    }

    pub fn level(&self) -> i64 {
        self.level
    }

    /// Restarts the average at `now`, keeping the current level.
    pub fn reset(&mut self, now: SimTime) {
        self.since = now;
        self.origin = now;
        self.area = 0.0;
    }

    /// The time average from the last reset to `now`.
    pub fn mean(&self, now: SimTime) -> f64 {
        let span = now.saturating_since(self.origin).as_micros();
        if span == 0 {
            return self.level as f64;
        }
        let tail = self.level as f64 * now.saturating_since(self.since).as_micros() as f64;
        (self.area + tail) / span as f64
    }
}

/// Columns of values sampled at a fixed virtual interval.
#[derive(Clone, Debug, Default)]
pub struct TimeSeries {
    pub columns: Vec<String>,
    pub times: Vec<SimTime>,
    /// Row-major: `values[row * columns.len() + column]`.
    pub values: Vec<f64>,
}

impl TimeSeries {
    pub fn new(columns: Vec<String>) -> Self {
        TimeSeries { columns, times: Vec::new(), values: Vec::new() }
    }

    pub fn push_row(&mut self, time: SimTime, row: impl IntoIterator<Item = f64>) {
        self.times.push(time);
        let before = self.values.len();
        self.values.extend(row);
        assert_eq!(self.values.len() - before, self.columns.len(), "row width");
    }

    pub fn rows(&self) -> impl Iterator<Item = (SimTime, &[f64])> {
        let width = self.columns.len().max(1);
        self.times.iter().copied().zip(self.values.chunks(width))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> SimTime {
        SimTime::from_micros(secs * 1_000_000)
    }

    #[test]
    fn counts_sit_where_hdrhistogram_puts_them() {
        // Every value lands in the bucket HdrHistogram gives it: same lowest equivalent, and
        // the same figures and iteration as recording into the crate's histogram directly.
        let mut rng = crate::engine::RngFactory::new(9).stream("histogram");
        let mut ours = LatencyHistogram::new();
        let mut theirs = growing_histogram();
        let mut values: Vec<u64> = (0..5_000).chain([2_047, 2_048, 4_095, 4_096, LATENCY_US_MAX]).collect();
        values.extend((0..20_000).map(|_| (rng.exp1() * 10f64.powi(rng.index(12) as i32)) as u64));
        for &v in &values {
            let v = v.min(LATENCY_US_MAX);
            assert_eq!(index_value(count_index(v)), theirs.lowest_equivalent(v), "value {v}");
            ours.record(SimDuration::from_micros(v));
            theirs.record(v).unwrap();
        }
        let rebuilt = ours.hdr();
        assert_eq!(rebuilt.len(), theirs.len());
        assert_eq!((rebuilt.max(), rebuilt.min()), (theirs.max(), theirs.min()));
        assert_eq!(rebuilt.stdev(), theirs.stdev());
        for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(rebuilt.value_at_quantile(q), theirs.value_at_quantile(q));
        }
        let recorded = |h: &Histogram<u64>| -> Vec<(u64, u64)> {
            h.iter_recorded().map(|v| (v.value_iterated_to(), v.count_at_value())).collect()
        };
        assert_eq!(recorded(&rebuilt), recorded(&theirs));
        assert_eq!(ours.to_parts().0, recorded(&theirs));
        let full = Histogram::<u64>::new_with_bounds(1, LATENCY_US_MAX, 3).unwrap();
        assert_eq!(full_range_layout(), (full.buckets(), full.distinct_values()));
    }

    #[test]
    fn histogram_summary_is_exact_in_mean_and_close_in_percentiles() {
        let mut h = LatencyHistogram::new();
        for ms in 1..=1000u64 {
            h.record(SimDuration::from_micros(ms * 1_000));
        }
        let sum = h.summary();
        assert_eq!(sum.count, 1000);
        assert!((sum.mean_ms - 500.5).abs() < 1e-9);
        assert!((sum.p50_ms - 500.0).abs() <= 0.5);
        assert!((sum.p99_ms - 990.0).abs() <= 1.0);
        assert!((sum.max_ms - 1000.0).abs() <= 1.0);
    }

    #[test]
    fn time_weighted_mean_integrates_levels_over_time() {
        let mut g = TimeWeighted::default();
        g.add(s(0), 2); // 2 for 10 s
        g.add(s(10), 2); // 4 for 30 s
        g.add(s(40), -4); // 0 for 10 s
        assert!((g.mean(s(50)) - (20.0 + 120.0) / 50.0).abs() < 1e-12);
        g.reset(s(50));
        g.add(s(60), 1); // 0 for 10 s, then 1 for 10 s
        assert!((g.mean(s(70)) - 0.5).abs() < 1e-12);
    }
}
