//! The queue and worker models against queueing theory: Erlang C for M/M/c,
//! Pollaczek–Khinchine for M/D/1, and Little's law. These run the shipped scenarios through
//! the real SQS and worker models, so they check the whole path, not a toy.

mod common;

use common::{gauge, latency, load, shipped, summary};

/// Erlang C: the probability that an arrival waits in an M/M/c queue with offered load
/// a = λ/μ (in Erlangs) and c servers:
///   C(c, a) = (a^c / c!) · c/(c − a)  /  ( Σ_{k<c} a^k / k!  +  (a^c / c!) · c/(c − a) )
/// and the mean wait in queue is Wq = C(c, a) / (c·μ − λ).
fn erlang_c_mean_wait_s(arrival_rate: f64, service_rate: f64, servers: u32) -> f64 {
    let a = arrival_rate / service_rate;
    let c = f64::from(servers);
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..servers {
        sum += term;
        term *= a / f64::from(k + 1);
    }
    let top = term * c / (c - a); // term is now a^c / c!
    let wait_probability = top / (sum + top);
    wait_probability / (c * service_rate - arrival_rate)
}

#[test]
fn erlang_c_formula_matches_published_values() {
    // c = 2, λ = 1, μ = 1: C = 1/3, Wq = 1/3 s (textbook value).
    assert!((erlang_c_mean_wait_s(1.0, 1.0, 2) - 1.0 / 3.0).abs() < 1e-12);
    // c = 1 reduces to M/M/1: Wq = ρ / (μ − λ).
    assert!((erlang_c_mean_wait_s(0.5, 1.0, 1) - 1.0).abs() < 1e-12);
}

#[test]
fn mmc_queue_wait_matches_erlang_c_within_3_percent() {
    let scenario = load(&shipped("mmc_erlang_c.toml"), &[]);
    let (_, s) = summary(&scenario);
    let exact_s = erlang_c_mean_wait_s(9.0, 1.0, 10);
    assert!((exact_s - 0.6687).abs() < 1e-3, "formula sanity: {exact_s}");
    let simulated_s = latency(&s, "sqs.jobs.queue_wait", "mean") / 1_000.0;
    let error = (simulated_s - exact_s).abs() / exact_s;
    assert!(error < 0.03, "simulated {simulated_s:.4} s vs Erlang C {exact_s:.4} s ({:.2} %)", error * 100.0);
    // Utilisation is λ/(cμ) = 0.9.
    let utilization = gauge(&s, "workers.pool.utilization");
    assert!((utilization - 0.9).abs() < 0.01, "{utilization}");
}

#[test]
fn md1_queue_wait_matches_pollaczek_khinchine_within_3_percent() {
    let scenario = load(&shipped("md1_pollaczek_khinchine.toml"), &[]);
    let (_, s) = summary(&scenario);
    // Pollaczek–Khinchine for deterministic service D: Wq = ρ·D / (2 (1 − ρ)).
    let (rate, d) = (0.8, 1.0);
    let rho: f64 = rate * d;
    let exact_s = rho * d / (2.0 * (1.0 - rho));
    let simulated_s = latency(&s, "sqs.jobs.queue_wait", "mean") / 1_000.0;
    let error = (simulated_s - exact_s).abs() / exact_s;
    assert!(error < 0.03, "simulated {simulated_s:.4} s vs P-K {exact_s:.4} s ({:.2} %)", error * 100.0);
}

#[test]
fn littles_law_holds_for_the_queue_and_the_workers() {
    for (file, pool) in [("mmc_erlang_c.toml", "pool"), ("md1_pollaczek_khinchine.toml", "single")] {
        let scenario = load(&shipped(file), &[]);
        let (result, s) = summary(&scenario);
        let throughput = common::counter(&s, "workload.arrivals.sent") as f64 / result.measured_s;
        // L = λ·W for the messages waiting in the queue...
        let waiting = gauge(&s, "sqs.jobs.visible_mean");
        let wait_s = latency(&s, "sqs.jobs.queue_wait", "mean") / 1_000.0;
        let error = (waiting - throughput * wait_s).abs() / waiting;
        assert!(error < 0.02, "{file}: L = {waiting:.4}, λW = {:.4}", throughput * wait_s);
        // ...and for the messages being processed.
        let busy = gauge(&s, &format!("workers.{pool}.busy_mean"));
        let service_s = latency(&s, &format!("workers.{pool}.service"), "mean") / 1_000.0;
        let error = (busy - throughput * service_s).abs() / busy;
        assert!(error < 0.02, "{file}: busy = {busy:.4}, λS = {:.4}", throughput * service_s);
    }
}
