//! Distributions of durations and sizes: constant, uniform, exponential, lognormal (given
//! by its median and 99th percentile, the two figures people actually know), and empirical
//! (bootstrap from samples, or piecewise-linear between quantiles).
//!
//! A distribution draws plain `f64`s in whatever unit its scenario key names (`_s`,
//! `_bytes`); callers convert. Parameters arrive already validated by `scenario`.

use rand_distr::{Distribution as _, Exp, LogNormal};

use crate::engine::{SimDuration, SimRng};

/// z such that Φ(z) = 0.99 for the standard normal.
pub const Z_99: f64 = 2.326_347_874_040_840_8;

/// A validated distribution over non-negative reals.
#[derive(Clone, Debug)]
pub enum Distribution {
    Constant(f64),
    Uniform { low: f64, high: f64 },
    Exponential(Exp<f64>, f64),
    LogNormal(LogNormal<f64>, LogNormalParams),
    Empirical(Empirical),
}

/// The parameters a lognormal was given with, kept for reporting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogNormalParams {
    pub median: f64,
    pub p99: f64,
}

/// Data-driven distributions.
#[derive(Clone, Debug, PartialEq)]
pub enum Empirical {
    /// Each draw is one of the samples, uniformly (a bootstrap).
    Samples(Vec<f64>),
    /// (probability, value) points from p = 0 to p = 1; draws interpolate linearly between
    /// them (the inverse CDF is piecewise linear).
    Quantiles(Vec<(f64, f64)>),
}

impl Distribution {
    pub fn constant(value: f64) -> Distribution {
        Distribution::Constant(value)
    }

    /// `mean` must be positive.
    pub fn exponential(mean: f64) -> Distribution {
        let exp = Exp::new(1.0 / mean).expect("validated: mean > 0");
        Distribution::Exponential(exp, mean)
    }

    /// Lognormal with the given median and 99th percentile; needs 0 < median < p99.
    pub fn lognormal(median: f64, p99: f64) -> Distribution {
        let mu = median.ln();
        let sigma = (p99 / median).ln() / Z_99;
        let ln = LogNormal::new(mu, sigma).expect("validated: 0 < median < p99");
        Distribution::LogNormal(ln, LogNormalParams { median, p99 })
    }

    /// One draw.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        match self {
            Distribution::Constant(v) => *v,
            Distribution::Uniform { low, high } => low + (high - low) * rng.unit(),
            Distribution::Exponential(exp, _) => exp.sample(rng),
            Distribution::LogNormal(ln, _) => ln.sample(rng),
            Distribution::Empirical(e) => e.sample(rng),
        }
    }

    /// One draw read as seconds.
    #[inline]
    pub fn sample_duration(&self, rng: &mut SimRng) -> SimDuration {
        SimDuration::from_secs_f64(self.sample(rng))
    }

    /// True when every draw is the same value, so callers can skip drawing (and keep the
    /// random stream untouched).
    pub fn as_constant(&self) -> Option<f64> {
        match self {
            Distribution::Constant(v) => Some(*v),
            _ => None,
        }
    }

    /// The smallest value a draw can take (0 for the unbounded shapes, which come near it).
    pub fn smallest(&self) -> f64 {
        match self {
            Distribution::Constant(v) => *v,
            Distribution::Uniform { low, .. } => *low,
            Distribution::Exponential(..) | Distribution::LogNormal(..) => 0.0,
            Distribution::Empirical(Empirical::Samples(samples)) => {
                samples.iter().copied().fold(f64::INFINITY, f64::min)
            }
            Distribution::Empirical(Empirical::Quantiles(points)) => points.first().map_or(0.0, |p| p.1),
        }
    }

    /// The exact mean.
    pub fn mean(&self) -> f64 {
        match self {
            Distribution::Constant(v) => *v,
            Distribution::Uniform { low, high } => (low + high) / 2.0,
            Distribution::Exponential(_, mean) => *mean,
            Distribution::LogNormal(_, p) => {
                let sigma = (p.p99 / p.median).ln() / Z_99;
                p.median * (sigma * sigma / 2.0).exp()
            }
            Distribution::Empirical(e) => e.mean(),
        }
    }
}

impl Empirical {
    #[inline]
    fn sample(&self, rng: &mut SimRng) -> f64 {
        match self {
            Empirical::Samples(values) => values[rng.index(values.len())],
            Empirical::Quantiles(points) => interpolate_quantile(points, rng.unit()),
        }
    }

    fn mean(&self) -> f64 {
        match self {
            Empirical::Samples(values) => values.iter().sum::<f64>() / values.len() as f64,
            // The mean of a piecewise-linear inverse CDF is the sum of segment midpoints
            // weighted by their probability mass.
            Empirical::Quantiles(points) => {
                points.windows(2).map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0).sum()
            }
        }
    }
}

/// A choice among labels (e.g. the values of a message attribute), with weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Categorical {
    labels: Vec<String>,
    /// Cumulative weights, normalised to end at 1.
    cumulative: Vec<f64>,
}

impl Categorical {
    /// `weights` must be as many as `labels`, non-negative, with a positive sum.
    pub fn new(labels: Vec<String>, weights: &[f64]) -> Categorical {
        assert_eq!(labels.len(), weights.len(), "one weight per label");
        let total: f64 = weights.iter().sum();
        let mut running = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                running += w / total;
                running
            })
            .collect();
        Categorical { labels, cumulative }
    }

    /// One label.
    pub fn sample(&self, rng: &mut SimRng) -> &str {
        let u = rng.unit();
        let i = self.cumulative.partition_point(|&c| c <= u).min(self.labels.len() - 1);
        &self.labels[i]
    }

    /// How many labels have a weight above 0: the most [`Categorical::sample_distinct`] can
    /// draw.
    pub fn weighted_labels(&self) -> usize {
        self.weights().filter(|&w| w > 0.0).count()
    }

    /// `count` different labels, each drawn by weight from those not drawn yet, in the order
    /// drawn (a weighted draw without replacement). `count` must not exceed
    /// [`Categorical::weighted_labels`].
    pub fn sample_distinct(&self, count: usize, rng: &mut SimRng) -> Vec<&str> {
        assert!(count <= self.weighted_labels(), "{count} distinct labels asked of {}", self.weighted_labels());
        let mut weights: Vec<f64> = self.weights().collect();
        let mut drawn = Vec::with_capacity(count);
        for _ in 0..count {
            let mut u = rng.unit() * weights.iter().sum::<f64>();
            // The last label still in the draw catches what rounding leaves of `u`.
            let mut chosen = weights.iter().rposition(|&w| w > 0.0).expect("a label is left");
            for (i, &w) in weights.iter().enumerate() {
                if w > 0.0 && u < w {
                    chosen = i;
                    break;
                }
                u -= w;
            }
            weights[chosen] = 0.0;
            drawn.push(self.labels[chosen].as_str());
        }
        drawn
    }

    /// Each label's normalised weight, from the cumulative ones.
    fn weights(&self) -> impl Iterator<Item = f64> + '_ {
        self.cumulative.iter().scan(0.0, |before, &c| {
            let w = c - *before;
            *before = c;
            Some(w)
        })
    }
}

/// The inverse CDF at `u` for points running from p = 0 to p = 1.
fn interpolate_quantile(points: &[(f64, f64)], u: f64) -> f64 {
    // First point whose probability is above u; the segment ends there.
    let end = points.partition_point(|&(p, _)| p <= u).clamp(1, points.len() - 1);
    let (p0, v0) = points[end - 1];
    let (p1, v1) = points[end];
    if p1 <= p0 {
        return v1;
    }
    v0 + (v1 - v0) * (u - p0) / (p1 - p0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngFactory;

    fn sample_mean(d: &Distribution, n: usize) -> f64 {
        let mut rng = RngFactory::new(7).stream("test");
        (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64
    }

    fn quantile_of(d: &Distribution, q: f64, n: usize) -> f64 {
        let mut rng = RngFactory::new(7).stream("test");
        let mut v: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        v.sort_by(f64::total_cmp);
        v[(q * n as f64) as usize]
    }

    #[test]
    fn sample_means_match_the_exact_means() {
        let cases = [
            Distribution::constant(2.5),
            Distribution::Uniform { low: 1.0, high: 3.0 },
            Distribution::exponential(0.5),
            Distribution::lognormal(0.04, 0.25),
            Distribution::Empirical(Empirical::Samples(vec![1.0, 2.0, 6.0])),
            Distribution::Empirical(Empirical::Quantiles(vec![(0.0, 0.0), (0.5, 1.0), (1.0, 4.0)])),
        ];
        for d in &cases {
            let (got, want) = (sample_mean(d, 200_000), d.mean());
            assert!((got - want).abs() / want < 0.01, "{d:?}: sample mean {got}, exact {want}");
        }
    }

    #[test]
    fn lognormal_hits_its_median_and_p99() {
        let d = Distribution::lognormal(0.04, 0.25);
        let median = quantile_of(&d, 0.5, 200_000);
        let p99 = quantile_of(&d, 0.99, 200_000);
        assert!((median - 0.04).abs() / 0.04 < 0.01, "median {median}");
        assert!((p99 - 0.25).abs() / 0.25 < 0.03, "p99 {p99}");
    }

    #[test]
    fn categorical_draws_follow_their_weights() {
        let c = Categorical::new(vec!["a".into(), "b".into()], &[3.0, 1.0]);
        let mut rng = RngFactory::new(3).stream("c");
        let a = (0..100_000).filter(|_| c.sample(&mut rng) == "a").count();
        assert!((a as i64 - 75_000).abs() < 600, "{a}");
    }

    #[test]
    fn distinct_draws_never_repeat_a_label_and_skip_weightless_ones() {
        let c = Categorical::new(vec!["a".into(), "b".into(), "never".into(), "c".into()], &[6.0, 3.0, 0.0, 1.0]);
        assert_eq!(c.weighted_labels(), 3);
        let mut rng = RngFactory::new(5).stream("d");
        let mut first_a = 0;
        for _ in 0..20_000 {
            let mut drawn = c.sample_distinct(3, &mut rng);
            first_a += usize::from(drawn[0] == "a");
            drawn.sort_unstable();
            assert_eq!(drawn, ["a", "b", "c"]);
        }
        // The first draw is by weight: "a" with probability 6/10.
        assert!((first_a as i64 - 12_000).abs() < 300, "{first_a}");
        assert!(c.sample_distinct(0, &mut rng).is_empty());
    }

    #[test]
    fn quantile_interpolation_is_piecewise_linear_and_bounded() {
        let pts = [(0.0, 10.0), (0.5, 20.0), (0.9, 60.0), (1.0, 100.0)];
        assert_eq!(interpolate_quantile(&pts, 0.0), 10.0);
        assert_eq!(interpolate_quantile(&pts, 0.25), 15.0);
        assert_eq!(interpolate_quantile(&pts, 0.5), 20.0);
        assert!((interpolate_quantile(&pts, 0.7) - 40.0).abs() < 1e-9);
        assert!((interpolate_quantile(&pts, 0.999_999) - 100.0).abs() < 1e-3);
    }
}
