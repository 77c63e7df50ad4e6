//! Estimators and goodness of fit, on plain numbers: no telemetry format and no simulation
//! here.
//!
//! - From samples: maximum likelihood for the exponential (mean = sample mean) and the
//!   lognormal (μ = mean of ln x, σ = population standard deviation of ln x, location held at
//!   0, as SciPy's `lognorm` with `s = σ`, `scale = e^μ`), and the empirical quantile table.
//! - Goodness of fit: Kolmogorov–Smirnov (D and the asymptotic Kolmogorov p-value with
//!   Stephens' small-sample correction) and Anderson–Darling (A²). The parameters come from
//!   the same data, so the KS p-value is optimistic (Lilliefors' case): it ranks fits, it
//!   does not prove one.
//! - From statistics only: a lognormal by least squares on ln q_p = μ + σ·z_p over the
//!   percentiles given (p50, p90, p99, …).
//!
//! Units are whatever the samples carry; callers convert.

use crate::distributions::Z_99;

/// Fewer samples than this and no figure is fitted. Below about 30 the asymptotic KS
/// p-value and A² say little, and the lognormal's σ has a standard error of σ/√(2n), 13 %
/// at n = 30: a figure from fewer would look more certain than it is.
pub const MIN_SAMPLES: usize = 30;

/// The empirical table shows p99 from this many samples on, and p99.9 from ten times as
/// many: below that, the top quantile is just the largest sample or two.
const TAIL_SAMPLES: usize = 100;

/// A fitted distribution in the scenario format's terms.
#[derive(Clone, Debug, PartialEq)]
pub enum Fitted {
    Exponential {
        mean: f64,
    },
    LogNormal {
        median: f64,
        p99: f64,
    },
    /// (probability, value) points from p = 0 to p = 1.
    Empirical {
        quantiles: Vec<(f64, f64)>,
    },
}

impl Fitted {
    pub fn kind(&self) -> &'static str {
        match self {
            Fitted::Exponential { .. } => "exponential",
            Fitted::LogNormal { .. } => "lognormal",
            Fitted::Empirical { .. } => "empirical",
        }
    }

    /// The cumulative distribution function.
    pub fn cdf(&self, x: f64) -> f64 {
        match self {
            Fitted::Exponential { mean } => {
                if x <= 0.0 {
                    0.0
                } else {
                    1.0 - (-x / mean).exp()
                }
            }
            Fitted::LogNormal { median, p99 } => {
                if x <= 0.0 {
                    0.0
                } else {
                    let sigma = (p99 / median).ln() / Z_99;
                    normal_cdf((x / median).ln() / sigma)
                }
            }
            Fitted::Empirical { quantiles } => empirical_cdf(quantiles, x),
        }
    }

    /// The value below which a share `p` of draws fall.
    pub fn quantile(&self, p: f64) -> f64 {
        match self {
            Fitted::Exponential { mean } => -mean * (1.0 - p).ln(),
            Fitted::LogNormal { median, p99 } => {
                let sigma = (p99 / median).ln() / Z_99;
                median * (sigma * normal_quantile(p)).exp()
            }
            Fitted::Empirical { quantiles } => {
                let i = quantiles.partition_point(|&(q, _)| q < p).clamp(1, quantiles.len() - 1);
                let ((p0, v0), (p1, v1)) = (quantiles[i - 1], quantiles[i]);
                v0 + (v1 - v0) * (p - p0) / (p1 - p0)
            }
        }
    }
}

/// Goodness of fit of one distribution to the samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// Kolmogorov–Smirnov statistic: the largest gap between the two CDFs.
    pub ks_d: f64,
    /// Its asymptotic p-value.
    pub ks_p: f64,
    /// Anderson–Darling A², which weights the tails.
    pub ad: f64,
    /// The largest relative error of p90 and p99 against the samples' own.
    pub tail_error: f64,
}

/// One candidate and how well it fits.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub dist: Fitted,
    pub fit: Fit,
    /// 95 % confidence intervals of its parameters (none for the empirical table).
    pub intervals: Vec<Interval>,
}

/// A parameter's estimate and its 95 % confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// `mu` and `sigma` (of ln x) for the lognormal, `mean` for the exponential.
    pub parameter: &'static str,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// `μ = -3.22 (95 % -3.25 to -3.19)`.
    pub fn describe(&self) -> String {
        let symbol = match self.parameter {
            "mu" => "μ",
            "sigma" => "σ",
            other => other,
        };
        format!("{symbol} = {:.4} (95 % {:.4} to {:.4})", self.value, self.low, self.high)
    }
}

/// z of a two-sided 95 % interval.
const Z_95: f64 = 1.959_963_984_540_054;

/// The intervals of a fitted form from `n` uncensored samples: for the lognormal μ̂ ± z σ̂/√n
/// and σ̂ · exp(± z /√(2(n − 1))) (the log of a sample standard deviation has standard
/// error about 1/√(2(n − 1))); for the exponential the exact interval of its mean,
/// 2n·mean̂ / χ²(2n) quantiles, by the Wilson–Hilferty cube-root approximation.
fn intervals(dist: &Fitted, n: usize) -> Vec<Interval> {
    let nf = n as f64;
    match dist {
        Fitted::LogNormal { median, p99 } => {
            let (mu, sigma) = (median.ln(), (p99 / median).ln() / Z_99);
            let half = Z_95 * sigma / nf.sqrt();
            let spread = (Z_95 / (2.0 * (nf - 1.0).max(1.0)).sqrt()).exp();
            vec![
                Interval { parameter: "mu", value: mu, low: mu - half, high: mu + half },
                Interval { parameter: "sigma", value: sigma, low: sigma / spread, high: sigma * spread },
            ]
        }
        Fitted::Exponential { mean } => {
            let k = 2.0 * nf;
            let chi = |z: f64| k * (1.0 - 2.0 / (9.0 * k) + z * (2.0 / (9.0 * k)).sqrt()).powi(3);
            vec![Interval { parameter: "mean", value: *mean, low: k * mean / chi(Z_95), high: k * mean / chi(-Z_95) }]
        }
        Fitted::Empirical { .. } => Vec::new(),
    }
}

/// The fits of a sample and the one chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub samples: usize,
    /// Exponential, lognormal (when every sample is above 0), empirical, in that order.
    pub candidates: Vec<Candidate>,
    /// Index into `candidates`.
    pub chosen: usize,
    /// Why, in words.
    pub reason: String,
}

impl Choice {
    pub fn best(&self) -> &Candidate {
        &self.candidates[self.chosen]
    }
}

/// Not enough samples for a figure: how many there are and how many it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooFew {
    pub have: usize,
    pub need: usize,
}

/// A p-value below this rejects a fit.
const REJECT_P: f64 = 0.01;
/// At large n every test rejects; a parametric fit whose p90 and p99 are this close to the
/// samples' is still taken, since it extrapolates where the samples stop.
const TAIL_TOLERANCE: f64 = 0.10;

/// Fits the exponential, the lognormal and the empirical table to `samples` and chooses:
/// the parametric form with the smaller A² when KS does not reject it at 1 %, or when its
/// p90 and p99 are within 10 % of the samples'; else the empirical table.
pub fn fit_samples(samples: &[f64]) -> Result<Choice, TooFew> {
    if samples.len() < MIN_SAMPLES {
        return Err(TooFew { have: samples.len(), need: MIN_SAMPLES });
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut candidates = Vec::new();
    let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
    if mean > 0.0 {
        candidates.push(candidate(Fitted::Exponential { mean }, &sorted));
    }
    if sorted[0] > 0.0 {
        let (mu, sigma) = lognormal_mle(&sorted);
        if sigma > 0.0 {
            let dist = Fitted::LogNormal { median: mu.exp(), p99: (mu + sigma * Z_99).exp() };
            candidates.push(candidate(dist, &sorted));
        }
    }
    let parametric = candidates.len();
    candidates.push(candidate(Fitted::Empirical { quantiles: empirical_table(&sorted) }, &sorted));
    let (chosen, reason) = choose(&candidates[..parametric], sorted.len());
    Ok(Choice { samples: sorted.len(), candidates, chosen: chosen.unwrap_or(parametric), reason })
}

fn choose(parametric: &[Candidate], n: usize) -> (Option<usize>, String) {
    let Some((best, c)) = parametric.iter().enumerate().min_by(|a, b| a.1.fit.ad.total_cmp(&b.1.fit.ad)) else {
        return (None, "no parametric form applies (a sample is 0 or all are equal)".into());
    };
    let kind = c.dist.kind();
    let runner_up = parametric
        .iter()
        .filter(|o| o.dist != c.dist)
        .map(|o| format!(" against {:.3} for the {}", o.fit.ad, o.dist.kind()))
        .next()
        .unwrap_or_default();
    let lowest = format!("{kind}: the lowest Anderson–Darling A², {:.3}{runner_up}", c.fit.ad);
    if c.fit.ks_p >= REJECT_P {
        (Some(best), format!("{lowest}; KS does not reject it (p = {:.3})", c.fit.ks_p))
    } else if c.fit.tail_error <= TAIL_TOLERANCE {
        let tail = 100.0 * c.fit.tail_error;
        (
            Some(best),
            format!(
                "{lowest}; KS rejects it at n = {n} (p = {:.1e}), but its p90 and p99 are within {tail:.1} % of the samples'",
                c.fit.ks_p
            ),
        )
    } else {
        let tail = 100.0 * c.fit.tail_error;
        (
            None,
            format!(
                "empirical: no parametric form fits; the best, {kind}, is rejected by KS (p = {:.1e}) and misses the samples' p90 or p99 by {tail:.0} %",
                c.fit.ks_p
            ),
        )
    }
}

fn candidate(dist: Fitted, sorted: &[f64]) -> Candidate {
    let (ks_d, ks_p) = kolmogorov_smirnov(sorted, |x| dist.cdf(x));
    let ad = anderson_darling(sorted, |x| dist.cdf(x));
    let tail_error = [0.9, 0.99]
        .iter()
        .map(|&p| {
            let observed = sample_quantile(sorted, p);
            if observed > 0.0 { ((dist.quantile(p) - observed) / observed).abs() } else { 0.0 }
        })
        .fold(0.0, f64::max);
    let intervals = intervals(&dist, sorted.len());
    Candidate { dist, fit: Fit { ks_d, ks_p, ad, tail_error }, intervals }
}

/// An observation that may be censored: exact when `low == high`, right-censored (known only
/// to exceed `low`, as a run stopped at its timeout) when `high` is infinite, and
/// interval-censored (somewhere in (`low`, `high`], as a histogram bucket) otherwise;
/// `weight` observations alike.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observation {
    pub low: f64,
    pub high: f64,
    pub weight: f64,
}

impl Observation {
    pub fn exact(x: f64) -> Observation {
        Observation { low: x, high: x, weight: 1.0 }
    }

    pub fn right(x: f64) -> Observation {
        Observation { low: x, high: f64::INFINITY, weight: 1.0 }
    }
}

/// A fit by maximum likelihood from possibly censored observations.
#[derive(Clone, Debug, PartialEq)]
pub struct CensoredFit {
    pub dist: Fitted,
    /// The log-likelihood at the estimate.
    pub log_likelihood: f64,
    pub intervals: Vec<Interval>,
}

/// The lognormal by maximum likelihood from censored observations (SciPy's
/// `lognorm.fit(CensoredData(…))` with the location at 0): Nelder–Mead on (μ, ln σ), the
/// intervals from the observed information (the inverse of the numerical Hessian of the
/// negative log-likelihood at the estimate). None when no observation is above 0 or the
/// likelihood has no finite maximum.
pub fn lognormal_censored(observations: &[Observation]) -> Option<CensoredFit> {
    let ll = |mu: f64, sigma: f64| -> f64 {
        observations
            .iter()
            .map(|o| {
                let z = |x: f64| if x <= 0.0 { f64::NEG_INFINITY } else { (x.ln() - mu) / sigma };
                let term = if o.low == o.high {
                    if o.low <= 0.0 {
                        return f64::NEG_INFINITY;
                    }
                    let zl = z(o.low);
                    -0.5 * zl * zl - sigma.ln() - o.low.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
                } else {
                    let upper = if o.high.is_infinite() { 1.0 } else { normal_cdf(z(o.high)) };
                    let lower = if o.low <= 0.0 { 0.0 } else { normal_cdf(z(o.low)) };
                    // The upper tail directly: 1 − Φ(z) loses its digits far out.
                    let p = if o.high.is_infinite() { normal_cdf(-z(o.low)) } else { upper - lower };
                    p.max(1e-300).ln()
                };
                o.weight * term
            })
            .sum()
    };
    // Start from the midpoints of the observations (the censoring points of the open ones).
    let points: Vec<(f64, f64)> = observations
        .iter()
        .map(|o| {
            let x = if o.high.is_infinite() || o.low == o.high {
                o.low
            } else if o.low <= 0.0 {
                o.high / 2.0
            } else {
                (o.low * o.high).sqrt()
            };
            (x, o.weight)
        })
        .filter(|(x, w)| *x > 0.0 && *w > 0.0)
        .collect();
    let total: f64 = points.iter().map(|p| p.1).sum();
    if total <= 0.0 {
        return None;
    }
    let mu0 = points.iter().map(|(x, w)| w * x.ln()).sum::<f64>() / total;
    let var0 = points.iter().map(|(x, w)| w * (x.ln() - mu0).powi(2)).sum::<f64>() / total;
    let start = [mu0, var0.sqrt().max(0.05).ln()];
    let f = |v: &[f64; 2]| -ll(v[0], v[1].exp());
    let best = nelder_mead(f, start)?;
    let (mu, sigma) = (best[0], best[1].exp());
    let value = ll(mu, sigma);
    if !value.is_finite() {
        return None;
    }
    // Observed information in (μ, σ) by central differences.
    let g = |m: f64, s: f64| -ll(m, s);
    let (hm, hs) = (1e-4 * sigma.max(1e-3), 1e-4 * sigma);
    let h11 = (g(mu + hm, sigma) - 2.0 * g(mu, sigma) + g(mu - hm, sigma)) / (hm * hm);
    let h22 = (g(mu, sigma + hs) - 2.0 * g(mu, sigma) + g(mu, sigma - hs)) / (hs * hs);
    let h12 = (g(mu + hm, sigma + hs) - g(mu + hm, sigma - hs) - g(mu - hm, sigma + hs) + g(mu - hm, sigma - hs))
        / (4.0 * hm * hs);
    let det = h11 * h22 - h12 * h12;
    let mut intervals = Vec::new();
    if det > 0.0 && h11 > 0.0 && h22 > 0.0 {
        let (se_mu, se_sigma) = ((h22 / det).sqrt(), (h11 / det).sqrt());
        intervals.push(Interval { parameter: "mu", value: mu, low: mu - Z_95 * se_mu, high: mu + Z_95 * se_mu });
        // On the log scale, so that the interval stays above 0.
        let spread = (Z_95 * se_sigma / sigma).exp();
        intervals.push(Interval { parameter: "sigma", value: sigma, low: sigma / spread, high: sigma * spread });
    }
    let dist = Fitted::LogNormal { median: mu.exp(), p99: (mu + sigma * Z_99).exp() };
    Some(CensoredFit { dist, log_likelihood: value, intervals })
}

/// The exponential from exact and right-censored observations: mean = Σ times / number of
/// exact ones (each censored run adds its time and no event), its interval from the χ²
/// with twice the exact ones' degrees of freedom. None without an exact observation.
pub fn exponential_censored(observations: &[Observation]) -> Option<CensoredFit> {
    let exact: f64 = observations.iter().filter(|o| o.low == o.high).map(|o| o.weight).sum();
    let time: f64 = observations.iter().map(|o| o.weight * o.low).sum();
    if exact <= 0.0 || time <= 0.0 || observations.iter().any(|o| o.low != o.high && o.high.is_finite()) {
        return None;
    }
    let mean = time / exact;
    let log_likelihood = -exact * mean.ln() - time / mean;
    // The exact interval holds with the total time: 2·time/mean is χ² with twice the
    // exact ones' degrees of freedom.
    let intervals = intervals(&Fitted::Exponential { mean }, exact.round() as usize);
    Some(CensoredFit { dist: Fitted::Exponential { mean }, log_likelihood, intervals })
}

/// Nelder–Mead minimisation in two dimensions from `start` (reflection 1, expansion 2,
/// contraction ½, shrink ½), until the simplex's values agree to 1e-10 or 2,000 steps.
fn nelder_mead(f: impl Fn(&[f64; 2]) -> f64, start: [f64; 2]) -> Option<[f64; 2]> {
    let mut simplex = [start, [start[0] + 0.1, start[1]], [start[0], start[1] + 0.1]];
    let mut values = simplex.map(|p| f(&p));
    for _ in 0..2_000 {
        let mut order = [0, 1, 2];
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        simplex = order.map(|i| simplex[i]);
        values = order.map(|i| values[i]);
        if (values[2] - values[0]).abs() <= 1e-10 * (1.0 + values[0].abs()) {
            break;
        }
        let centre = [(simplex[0][0] + simplex[1][0]) / 2.0, (simplex[0][1] + simplex[1][1]) / 2.0];
        let along = |t: f64| [centre[0] + t * (simplex[2][0] - centre[0]), centre[1] + t * (simplex[2][1] - centre[1])];
        let reflected = along(-1.0);
        let fr = f(&reflected);
        if fr < values[0] {
            let expanded = along(-2.0);
            let fe = f(&expanded);
            (simplex[2], values[2]) = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < values[1] {
            (simplex[2], values[2]) = (reflected, fr);
        } else {
            let contracted = if fr < values[2] { along(-0.5) } else { along(0.5) };
            let fc = f(&contracted);
            if fc < values[2].min(fr) {
                (simplex[2], values[2]) = (contracted, fc);
            } else {
                for i in 1..3 {
                    simplex[i] = [(simplex[0][0] + simplex[i][0]) / 2.0, (simplex[0][1] + simplex[i][1]) / 2.0];
                    values[i] = f(&simplex[i]);
                }
            }
        }
    }
    let best = (0..3).min_by(|&a, &b| values[a].total_cmp(&values[b]))?;
    values[best].is_finite().then_some(simplex[best])
}

/// The exponential and the lognormal fitted to durations some of which were cut off at a
/// limit (right-censored: the timeouts, each at its `Duration`), chosen by the lower AIC
/// (both have their parameters from the same likelihood; the exponential has one fewer).
/// Goodness of fit is judged on the exact durations against each form's distribution
/// below the smallest censoring point, the only part the exact ones show.
pub fn fit_right_censored(exact: &[f64], censored: &[f64]) -> Result<Choice, TooFew> {
    let n = exact.len() + censored.len();
    if exact.len() < MIN_SAMPLES {
        return Err(TooFew { have: exact.len(), need: MIN_SAMPLES });
    }
    let observations: Vec<Observation> =
        exact.iter().map(|&x| Observation::exact(x)).chain(censored.iter().map(|&c| Observation::right(c))).collect();
    let mut sorted = exact.to_vec();
    sorted.sort_by(f64::total_cmp);
    let cut = censored.iter().copied().fold(f64::INFINITY, f64::min);
    let mut fits = Vec::new();
    if let Some(e) = exponential_censored(&observations) {
        fits.push((e, 1.0));
    }
    if sorted[0] > 0.0
        && let Some(l) = lognormal_censored(&observations)
    {
        fits.push((l, 2.0));
    }
    let mut candidates = Vec::new();
    let mut aics = Vec::new();
    for (fit, k) in fits {
        let below = |x: f64| {
            let whole = fit.dist.cdf(cut);
            if whole > 0.0 { (fit.dist.cdf(x) / whole).min(1.0) } else { 0.0 }
        };
        let (ks_d, ks_p) = kolmogorov_smirnov(&sorted, below);
        let ad = anderson_darling(&sorted, below);
        aics.push(2.0 * k - 2.0 * fit.log_likelihood);
        let tail_error = 0.0;
        candidates.push(Candidate {
            dist: fit.dist,
            fit: Fit { ks_d, ks_p, ad, tail_error },
            intervals: fit.intervals,
        });
    }
    let chosen = (0..candidates.len())
        .min_by(|&a, &b| aics[a].total_cmp(&aics[b]))
        .ok_or(TooFew { have: 0, need: MIN_SAMPLES })?;
    let c = &candidates[chosen];
    let other = (0..candidates.len())
        .find(|&i| i != chosen)
        .map(|i| format!(" against {:.1} for the {}", aics[i], candidates[i].dist.kind()))
        .unwrap_or_default();
    let reason = format!(
        "{}: maximum likelihood with {} of {n} durations right-censored at the timeout; the lower AIC, {:.1}{other}; below the timeout KS p = {:.3}, A² = {:.3}",
        c.dist.kind(),
        censored.len(),
        aics[chosen],
        c.fit.ks_p,
        c.fit.ad
    );
    Ok(Choice { samples: n, candidates, chosen, reason })
}

/// (μ, σ) of ln x: the lognormal's maximum-likelihood estimates. Every sample must be above 0.
pub fn lognormal_mle(samples: &[f64]) -> (f64, f64) {
    let n = samples.len() as f64;
    let mu = samples.iter().map(|x| x.ln()).sum::<f64>() / n;
    let var = samples.iter().map(|x| (x.ln() - mu).powi(2)).sum::<f64>() / n;
    (mu, var.sqrt())
}

/// The samples' quantile at `p`, interpolated between order statistics (Hyndman and Fan's
/// type 7, the default of R and NumPy). `sorted` must be sorted and not empty.
pub fn sample_quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    match sorted.get(lo + 1) {
        Some(next) => sorted[lo] + frac * (next - sorted[lo]),
        None => sorted[lo],
    }
}

/// The quantile table of sorted samples: minimum, p5 … p95, p99 from 100 samples, p99.9 from
/// 1,000, maximum.
pub fn empirical_table(sorted: &[f64]) -> Vec<(f64, f64)> {
    let mut ps = vec![0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95];
    if sorted.len() >= TAIL_SAMPLES {
        ps.push(0.99);
    }
    if sorted.len() >= 10 * TAIL_SAMPLES {
        ps.push(0.999);
    }
    ps.push(1.0);
    ps.into_iter().map(|p| (p, sample_quantile(sorted, p))).collect()
}

/// The CDF of a piecewise-linear inverse CDF through `points`.
fn empirical_cdf(points: &[(f64, f64)], x: f64) -> f64 {
    let (first, last) = (points[0], points[points.len() - 1]);
    if x < first.1 {
        return 0.0;
    }
    if x >= last.1 {
        return 1.0;
    }
    // The last point whose value is at most x, then along the segment to the next.
    let i = points.partition_point(|&(_, v)| v <= x);
    let ((p0, v0), (p1, v1)) = (points[i - 1], points[i]);
    if v1 > v0 { p0 + (p1 - p0) * (x - v0) / (v1 - v0) } else { p1 }
}

/// Kolmogorov–Smirnov D of sorted samples against `cdf`, and its asymptotic p-value.
pub fn kolmogorov_smirnov(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> (f64, f64) {
    let n = sorted.len() as f64;
    let d = sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).max((i + 1) as f64 / n - f)
        })
        .fold(0.0, f64::max);
    (d, kolmogorov_p(d, sorted.len()))
}

/// P(D > d) for `n` samples: the Kolmogorov distribution's tail at λ = (√n + 0.12 +
/// 0.11/√n)·d (Stephens' correction, as in Numerical Recipes' `probks`).
pub fn kolmogorov_p(d: f64, n: usize) -> f64 {
    let root = (n as f64).sqrt();
    let lambda = (root + 0.12 + 0.11 / root) * d;
    if lambda < 0.2 {
        return 1.0;
    }
    let mut sum = 0.0;
    let mut sign = 1.0;
    for k in 1..=100 {
        let term = sign * 2.0 * (-2.0 * (k * k) as f64 * lambda * lambda).exp();
        sum += term;
        if term.abs() < 1e-12 * sum.abs() {
            break;
        }
        sign = -sign;
    }
    sum.clamp(0.0, 1.0)
}

/// Anderson–Darling A² of sorted samples against `cdf`:
/// −n − (1/n) Σ (2i − 1) [ln F(x_i) + ln(1 − F(x_{n+1−i}))].
pub fn anderson_darling(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len();
    // A sample outside the fitted support would make a logarithm infinite.
    let f: Vec<f64> = sorted.iter().map(|&x| cdf(x).clamp(1e-300, 1.0 - 1e-16)).collect();
    let sum: f64 = (0..n).map(|i| (2 * i + 1) as f64 * (f[i].ln() + (1.0 - f[n - 1 - i]).ln())).sum();
    -(n as f64) - sum / n as f64
}

/// A lognormal fitted to percentiles and what is left of the fit.
#[derive(Clone, Debug, PartialEq)]
pub struct PercentileFit {
    pub median: f64,
    pub p99: f64,
    /// (probability, given value, relative error of the fitted quantile), one per
    /// probability, the given value being the weighted geometric mean of its periods'.
    pub residuals: Vec<(f64, f64, f64)>,
}

/// Least squares of ln q on z_p over (probability, value) points, each with a weight (a
/// period's sample count). Needs two distinct probabilities and values above 0.
pub fn lognormal_from_percentiles(points: &[(f64, f64, f64)]) -> Option<PercentileFit> {
    let rows: Vec<(f64, f64, f64)> = points
        .iter()
        .filter(|(p, v, w)| *p > 0.0 && *p < 1.0 && *v > 0.0 && *w > 0.0)
        .map(|&(p, v, w)| (normal_quantile(p), v.ln(), w))
        .collect();
    let total: f64 = rows.iter().map(|r| r.2).sum();
    if total <= 0.0 {
        return None;
    }
    let mean_z = rows.iter().map(|r| r.2 * r.0).sum::<f64>() / total;
    let mean_y = rows.iter().map(|r| r.2 * r.1).sum::<f64>() / total;
    let szz: f64 = rows.iter().map(|r| r.2 * (r.0 - mean_z).powi(2)).sum();
    let szy: f64 = rows.iter().map(|r| r.2 * (r.0 - mean_z) * (r.1 - mean_y)).sum();
    if szz <= 1e-12 {
        return None;
    }
    let sigma = szy / szz;
    let mu = mean_y - sigma * mean_z;
    if sigma <= 0.0 {
        return None;
    }
    // One residual per probability, against the weighted geometric mean of its values.
    let mut by_p: Vec<(f64, f64, f64)> = Vec::new();
    for &(z, y, w) in &rows {
        match by_p.iter_mut().find(|r| r.0 == z) {
            Some(r) => (r.1, r.2) = (r.1 + w * y, r.2 + w),
            None => by_p.push((z, w * y, w)),
        }
    }
    by_p.sort_by(|a, b| a.0.total_cmp(&b.0));
    let residuals = by_p
        .iter()
        .map(|&(z, wy, w)| {
            let given = (wy / w).exp();
            (normal_cdf(z), given, ((mu + sigma * z).exp() - given) / given)
        })
        .collect();
    Some(PercentileFit { median: mu.exp(), p99: (mu + sigma * Z_99).exp(), residuals })
}

/// A share of `n` with its 95 % Wilson score interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Share {
    pub count: usize,
    pub of: usize,
    pub low: f64,
    pub high: f64,
}

impl Share {
    pub fn new(count: usize, of: usize) -> Share {
        let (k, n, z) = (count as f64, of as f64, 1.959_963_984_540_054);
        let p = k / n;
        let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
        let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
        Share { count, of, low: (centre - half).max(0.0), high: (centre + half).min(1.0) }
    }

    pub fn value(&self) -> f64 {
        self.count as f64 / self.of as f64
    }
}

/// Φ(x), the standard normal CDF.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The complementary error function to near double precision: erf's Taylor series below
/// 0.5, Lentz's evaluation of the continued fraction above, where the series would cancel.
fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 0.5 {
        return 1.0 - erf_small(x);
    }
    let z = x * x;
    // Lentz's continued fraction for erfc: e^{-z}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))).
    let tiny = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..500 {
        let a = k as f64 / 2.0;
        d = x + a * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = x + a / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-z).exp() / (f * std::f64::consts::PI.sqrt())
}

/// erf(x) for |x| < 0.5 by its Taylor series.
fn erf_small(x: f64) -> f64 {
    let z = x * x;
    let mut term = x;
    let mut sum = x;
    for n in 1..60 {
        term *= -z / n as f64;
        let add = term / (2 * n + 1) as f64;
        sum += add;
        if add.abs() < 1e-17 {
            break;
        }
    }
    2.0 / std::f64::consts::PI.sqrt() * sum
}

/// Φ⁻¹(p) for 0 < p < 1: Acklam's rational approximation (relative error 1.15e-9), refined
/// by one Halley step.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    let low = 0.02425;
    let x = if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

#[cfg(test)]
mod tests;
