//! Estimators and tests of fit against values worked by hand or known in closed form.

use super::*;

/// Uniforms in (0, 1) from SplitMix64, so that these tests need no random crate.
fn uniforms(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        })
        .collect()
}

fn close(a: f64, b: f64, tolerance: f64) {
    assert!((a - b).abs() <= tolerance, "{a} is not within {tolerance} of {b}");
}

#[test]
fn ks_and_ad_of_three_points_against_the_uniform_match_the_hand_computation() {
    // D = max(1/3 − 0.1, 0.9 − 2/3) = 0.2333…; A² = −3 + (2 ln 0.1 + 6 ln 0.5 + 10 ln 0.9)·(−1/3).
    let sorted = [0.1, 0.5, 0.9];
    let uniform = |x: f64| x.clamp(0.0, 1.0);
    let (d, _) = kolmogorov_smirnov(&sorted, uniform);
    close(d, 0.7 / 3.0, 1e-12);
    let by_hand = -3.0 - (2.0 * 0.1f64.ln() + 6.0 * 0.5f64.ln() + 10.0 * 0.9f64.ln()) / 3.0;
    close(anderson_darling(&sorted, uniform), by_hand, 1e-12);
    close(by_hand, 0.272_553, 1e-6);
}

#[test]
fn kolmogorov_p_values_match_the_distributions_table() {
    // Q(1) = 2(e^-2 − e^-8 + e^-18 …) = 0.27000; Q(1.3581) = 0.05 (the 5 % critical value).
    let n = 1_000_000;
    let scale = (n as f64).sqrt() + 0.12 + 0.11 / (n as f64).sqrt();
    close(kolmogorov_p(1.0 / scale, n), 0.270_000, 1e-5);
    close(kolmogorov_p(1.358_1 / scale, n), 0.05, 1e-4);
    close(kolmogorov_p(1.627_6 / scale, n), 0.01, 1e-4);
    assert_eq!(kolmogorov_p(0.0, 50), 1.0);
}

#[test]
fn the_normal_cdf_and_quantile_match_known_values() {
    close(normal_cdf(0.0), 0.5, 1e-15);
    close(normal_cdf(1.0), 0.841_344_746_068_542_9, 1e-14);
    close(normal_cdf(-2.326_347_874_040_840_8), 0.01, 1e-14);
    close(normal_cdf(-6.0), 9.865_876_450_377e-10, 1e-20);
    close(normal_quantile(0.99), Z_99, 1e-12);
    close(normal_quantile(0.9), 1.281_551_565_544_600_5, 1e-12);
    close(normal_quantile(0.001), -3.090_232_306_167_813_6, 1e-11);
    close(normal_quantile(0.5), 0.0, 1e-15);
}

#[test]
fn a_lognormal_sample_fits_back_to_its_median_and_p99_and_is_chosen() {
    let (median, p99): (f64, f64) = (0.04, 0.25);
    let sigma = (p99 / median).ln() / Z_99;
    let samples: Vec<f64> = uniforms(7, 2000).iter().map(|&u| median * (sigma * normal_quantile(u)).exp()).collect();
    let choice = fit_samples(&samples).unwrap();
    let Fitted::LogNormal { median: m, p99: p } = choice.best().dist else {
        panic!("chose {:?}: {}", choice.best().dist, choice.reason)
    };
    // σ̂ has a standard error of σ/√(2n) ≈ 1.25 %; the median's is σ/√n ≈ 1.8 %.
    close(m / median, 1.0, 0.06);
    close(p / p99, 1.0, 0.10);
    assert!(choice.reason.starts_with("lognormal: the lowest Anderson–Darling A²"), "{}", choice.reason);
    assert!(choice.best().fit.ks_p > 0.01);
}

#[test]
fn an_exponential_sample_fits_back_to_its_mean_and_is_chosen() {
    let mean = 0.2;
    let samples: Vec<f64> = uniforms(11, 2000).iter().map(|&u| -mean * (1.0 - u).ln()).collect();
    let choice = fit_samples(&samples).unwrap();
    let Fitted::Exponential { mean: m } = choice.best().dist else {
        panic!("chose {:?}: {}", choice.best().dist, choice.reason)
    };
    close(m / mean, 1.0, 0.07);
    assert_eq!(choice.candidates.len(), 3, "exponential, lognormal, empirical");
}

#[test]
fn a_bimodal_sample_is_left_empirical() {
    // Warm runs near 20 ms, a tenth cold-cache runs near 900 ms: neither form fits both.
    let u = uniforms(3, 3000);
    let samples: Vec<f64> = u
        .iter()
        .enumerate()
        .map(|(i, &u)| {
            if i % 10 == 0 { 0.9 * (0.05 * normal_quantile(u)).exp() } else { 0.02 * (0.1 * normal_quantile(u)).exp() }
        })
        .collect();
    let choice = fit_samples(&samples).unwrap();
    assert_eq!(choice.best().dist.kind(), "empirical", "{}", choice.reason);
    assert!(choice.reason.starts_with("empirical: no parametric form fits"), "{}", choice.reason);
    let Fitted::Empirical { quantiles } = &choice.best().dist else { unreachable!() };
    let ps: Vec<f64> = quantiles.iter().map(|q| q.0).collect();
    assert_eq!(ps, [0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0]);
}

#[test]
fn too_few_samples_are_refused_with_the_number_needed() {
    assert_eq!(fit_samples(&[0.1; 29]), Err(TooFew { have: 29, need: 30 }));
}

#[test]
fn percentiles_of_a_lognormal_give_it_back_exactly() {
    let (median, p99): (f64, f64) = (0.2127, 0.955);
    let sigma = (p99 / median).ln() / Z_99;
    let p90 = median * (sigma * normal_quantile(0.9)).exp();
    let fit = lognormal_from_percentiles(&[(0.5, median, 10.0), (0.9, p90, 10.0), (0.99, p99, 10.0)]).unwrap();
    close(fit.median, median, 1e-9);
    close(fit.p99, p99, 1e-9);
    assert!(fit.residuals.iter().all(|r| r.2.abs() < 1e-9));
    // One percentile says nothing of the spread.
    assert_eq!(lognormal_from_percentiles(&[(0.5, 1.0, 1.0), (0.5, 2.0, 1.0)]), None);
}

#[test]
fn the_wilson_interval_matches_a_worked_example() {
    // 10 of 100: centre 0.1148, half-width 0.0596 → 5.52 % to 17.44 %.
    let s = Share::new(10, 100);
    close(s.low, 0.055_2, 1e-4);
    close(s.high, 0.174_4, 1e-4);
    assert_eq!(Share::new(0, 50).low, 0.0);
}

#[test]
fn empirical_quantiles_invert_their_cdf() {
    let dist = Fitted::Empirical { quantiles: vec![(0.0, 1.0), (0.5, 2.0), (1.0, 4.0)] };
    close(dist.cdf(1.5), 0.25, 1e-12);
    close(dist.cdf(3.0), 0.75, 1e-12);
    close(dist.quantile(0.75), 3.0, 1e-12);
    assert_eq!((dist.cdf(0.5), dist.cdf(4.0)), (0.0, 1.0));
}
