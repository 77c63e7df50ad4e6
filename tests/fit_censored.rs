//! `orchsim fit` where the data hide part of each value: durations cut off at a Lambda
//! timeout (right-censored) and `PR(x:y)` histogram buckets of get-metric-statistics
//! (interval-censored), written from known distributions and fitted back; every fitted
//! parameter carries its 95 % interval, which covers the truth.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

use common::{figure, fit_json, orchsim, repo, text};
use orchsim::distributions::Distribution;
use orchsim::engine::RngFactory;
use serde_json::{Value, json};

fn scratch(name: &str) -> PathBuf {
    common::scratch_in("fit_censored", name)
}

fn draws(dist: &Distribution, seed: u64, n: usize) -> Vec<f64> {
    let mut rng = RngFactory::new(seed).stream("fit.censored");
    (0..n).map(|_| dist.sample(&mut rng)).collect()
}

fn interval<'a>(f: &'a Value, parameter: &str) -> &'a Value {
    f["intervals_95"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["parameter"] == parameter)
        .unwrap_or_else(|| panic!("{f:#}"))
}

fn covers(i: &Value, truth: f64) -> bool {
    i["low"].as_f64().unwrap() <= truth && truth <= i["high"].as_f64().unwrap()
}

/// JSON-format REPORT records of durations under a `timeout_s` timeout: a run that would
/// last longer stops there, its status `timeout` and its Duration the timeout.
fn records(durations: &[f64], timeout_s: f64) -> String {
    let mut log = String::new();
    for (i, d) in durations.iter().enumerate() {
        let (status, ms) = if *d >= timeout_s { ("timeout", timeout_s * 1000.0) } else { ("success", d * 1000.0) };
        writeln!(
            log,
            r#"{{"time":"2026-03-02T10:05:07.912Z","type":"platform.report","record":{{"requestId":"r{i}","status":"{status}","metrics":{{"durationMs":{ms:.3},"billedDurationMs":{},"memorySizeMB":512,"maxMemoryUsedMB":88}}}}}}"#,
            ms.ceil()
        )
        .unwrap();
    }
    log
}

#[test]
fn durations_cut_off_at_the_timeout_fit_back_by_censored_likelihood() {
    let dir = scratch("timeout");
    // Lognormal, median 1 s, p99 8 s (σ = 0.894); a 3 s timeout cuts about 11 % of the runs.
    let (median, p99): (f64, f64) = (1.0, 8.0);
    let sigma = (p99 / median).ln() / 2.326_347_874_040_841;
    let durations = draws(&Distribution::lognormal(median, p99), 11, 2_000);
    let file = dir.join("report.jsonl");
    fs::write(&file, records(&durations, 3.0)).unwrap();
    let result = fit_json(&[file.to_str().unwrap()], &dir);
    let d = figure(&result, "duration_s");
    assert_eq!((d["value"]["dist"].as_str(), d["samples"].as_u64()), (Some("lognormal"), Some(2_000)));
    let why = d["why"].as_str().unwrap();
    assert!(why.contains("durations right-censored at the timeout") && why.contains("the lower AIC"), "{why}");
    // σ is known to about 2 % at n = 2,000: p99 to about 6 %. Leaving the timeouts out
    // would put p99 near 4.5 s; taking them as 3 s durations, near 3.3 s.
    assert!((d["value"]["median"].as_f64().unwrap() / median - 1.0).abs() < 0.06, "{d:#}");
    assert!((d["value"]["p99"].as_f64().unwrap() / p99 - 1.0).abs() < 0.15, "{d:#}");
    assert!(covers(interval(d, "mu"), 0.0), "{d:#}");
    assert!(covers(interval(d, "sigma"), sigma), "{d:#}");
    let timeouts = figure(&result, "timeout_share");
    let share = timeouts["value"].as_f64().unwrap();
    assert!((0.08..0.14).contains(&share), "{timeouts:#}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn intervals_of_uncensored_fits_have_the_width_their_sample_size_gives() {
    let dir = scratch("intervals");
    let mut text_log = String::new();
    for (i, d) in draws(&Distribution::lognormal(0.05, 0.4), 14, 900).iter().enumerate() {
        writeln!(text_log, "REPORT RequestId: {i:08x}-a\tDuration: {:.3} ms\tBilled Duration: 1 ms\t", d * 1000.0)
            .unwrap();
    }
    let file = dir.join("report.log");
    fs::write(&file, text_log).unwrap();
    let d = figure(&fit_json(&[file.to_str().unwrap()], &dir), "duration_s").clone();
    let (mu, sigma) = (interval(&d, "mu"), interval(&d, "sigma"));
    let s = sigma["value"].as_f64().unwrap();
    // μ̂ ± 1.96 σ̂/√900: a half-width of 0.0653 σ̂.
    let half = (mu["high"].as_f64().unwrap() - mu["low"].as_f64().unwrap()) / 2.0;
    assert!((half / s - 1.96 / 30.0).abs() < 1e-3, "{d:#}");
    assert!(covers(mu, 0.05f64.ln()), "{d:#}");
    assert!(covers(sigma, (0.4f64 / 0.05).ln() / 2.326_347_874_040_841), "{d:#}");
    assert!(d["why"].as_str().unwrap().contains("μ = "), "{d:#}");
    // The exponential candidate carries the interval of its mean.
    let exp = d["candidates"].as_array().unwrap().iter().find(|c| c["value"]["dist"] == "exponential").unwrap();
    assert_eq!(exp["intervals_95"][0]["parameter"], "mean");
    fs::remove_dir_all(&dir).unwrap();
}

/// get-metric-statistics of Lambda Duration with `PR` buckets in milliseconds, one period
/// per hour over `periods` hours, each with `per_period` invocations drawn from `dist`.
fn bucket_export(dist: &Distribution, bounds_ms: &[f64], periods: usize, per_period: usize) -> String {
    let all = draws(dist, 13, periods * per_period);
    let points: Vec<Value> = (0..periods)
        .map(|h| {
            let chunk = &all[h * per_period..(h + 1) * per_period];
            let mut extended = serde_json::Map::new();
            let mut edges = vec![None];
            edges.extend(bounds_ms.iter().map(|&b| Some(b)));
            edges.push(None);
            for w in edges.windows(2) {
                let (low, high) = (w[0], w[1]);
                let inside = chunk
                    .iter()
                    .filter(|&&x| {
                        let ms = x * 1000.0;
                        low.is_none_or(|l| ms > l) && high.is_none_or(|h| ms <= h)
                    })
                    .count();
                let name = format!(
                    "PR({}:{})",
                    low.map_or(String::new(), |l| l.to_string()),
                    high.map_or(String::new(), |h| h.to_string())
                );
                extended.insert(name, json!(100.0 * inside as f64 / per_period as f64));
            }
            json!({"Timestamp": format!("2026-03-02T{:02}:00:00Z", (23 - h) % 24), "SampleCount": per_period as f64,
                   "Unit": "Milliseconds", "ExtendedStatistics": extended})
        })
        .collect();
    json!({"Label": "Duration", "Datapoints": points}).to_string()
}

#[test]
fn pr_buckets_fit_a_lognormal_by_interval_censored_likelihood() {
    let dir = scratch("buckets");
    let file = dir.join("duration-buckets.json");
    let bounds = [25.0, 50.0, 100.0, 200.0, 400.0, 800.0];
    fs::write(&file, bucket_export(&Distribution::lognormal(0.08, 0.5), &bounds, 6, 500)).unwrap();
    let result = fit_json(&[file.to_str().unwrap(), "--element", "lambda.orders"], &dir);
    let d = figure(&result, "duration_s");
    assert_eq!((d["value"]["dist"].as_str(), d["samples"].as_u64()), (Some("lognormal"), Some(3_000)));
    assert!((d["value"]["median"].as_f64().unwrap() / 0.08 - 1.0).abs() < 0.05, "{d:#}");
    assert!((d["value"]["p99"].as_f64().unwrap() / 0.5 - 1.0).abs() < 0.12, "{d:#}");
    let why = d["why"].as_str().unwrap();
    assert!(why.contains("from 7 PR buckets") && why.contains("on 4 degrees of freedom"), "{why}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_hand_written_bucket_export_is_read_and_partial_buckets_are_said() {
    let dir = scratch("bucket-fixture");
    let fixture = repo().join("tests/data/fit/duration-buckets.json");
    let d = figure(&fit_json(&[fixture.to_str().unwrap()], &dir), "duration_s").clone();
    assert_eq!((d["value"]["dist"].as_str(), d["samples"].as_u64()), (Some("lognormal"), Some(1_840)));
    let partial = dir.join("partial.json");
    fs::write(
        &partial,
        r#"{"Label":"Duration","Datapoints":[{"Timestamp":"2026-03-02T10:00:00Z","SampleCount":500.0,"Unit":"Milliseconds",
            "ExtendedStatistics":{"PR(:100)":40.0,"PR(100:200)":30.0}}]}"#,
    )
    .unwrap();
    let out = orchsim(&["fit", partial.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("hold 70.0 % of its points, not 100 %"), "{}", text(&out.stderr));
    let bad = dir.join("bad.json");
    fs::write(
        &bad,
        r#"{"Label":"Duration","Datapoints":[{"Timestamp":"2026-03-02T10:00:00Z","SampleCount":500.0,"Unit":"Milliseconds",
            "ExtendedStatistics":{"PR(:100)":140.0}}]}"#,
    )
    .unwrap();
    let out = orchsim(&["fit", bad.to_str().unwrap()], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Datapoints[0]: ExtendedStatistics.PR(:100) is 140, not a percentage"), "{stderr}");
    fs::remove_dir_all(&dir).unwrap();
}
