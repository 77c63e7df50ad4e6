//! `orchsim explain`: a subscription's full retry schedule as AWS would run it (jitter
//! off), so users can see what a delivery policy does before they deploy it.

use std::fmt::Write;

use serde_json::json;

use crate::models::sns::retry::{Phase, RetryPolicy};
use crate::scenario::Scenario;

fn phase_name(phase: Option<Phase>) -> &'static str {
    match phase {
        None => "first_delivery",
        Some(Phase::Immediate) => "immediate",
        Some(Phase::PreBackoff) => "pre_backoff",
        Some(Phase::Backoff) => "backoff",
        Some(Phase::PostBackoff) => "post_backoff",
    }
}

/// The retry policy of subscription `name`, or the names that exist.
pub fn subscription_policy<'a>(scenario: &'a Scenario, name: &str) -> Result<(&'a str, RetryPolicy), String> {
    match scenario.subscriptions.iter().find(|s| s.subscription.name == name) {
        Some(s) => Ok((s.subscription.protocol.as_str(), s.subscription.retry)),
        None => {
            let names: Vec<&str> = scenario.subscriptions.iter().map(|s| s.subscription.name.as_str()).collect();
            let known = if names.is_empty() { "the scenario has none".to_string() } else { names.join(", ") };
            Err(format!("no subscription named `{name}`; subscriptions: {known}"))
        }
    }
}

/// The schedule as JSON: `attempts` (attempt, phase, delay_s, offset_s), `retries`, `span_s`.
pub fn explain_json(name: &str, protocol: &str, policy: &RetryPolicy) -> String {
    let attempts: Vec<serde_json::Value> = policy
        .schedule()
        .iter()
        .map(|a| {
            json!({
                "attempt": a.attempt,
                "phase": phase_name(a.phase),
                "delay_s": a.delay.as_secs_f64(),
                "offset_s": a.offset.as_secs_f64(),
            })
        })
        .collect();
    let v = json!({
        "subscription": name,
        "protocol": protocol,
        "attempts": attempts,
        "retries": policy.retries(),
        "span_s": policy.span().as_secs_f64(),
    });
    let mut s = serde_json::to_string_pretty(&v).expect("JSON values always serialize");
    s.push('\n');
    s
}

/// The schedule as a table; runs of more than three attempts with the same phase and delay
/// are shown as their first and last attempt around one line that says how many.
pub fn explain_text(name: &str, protocol: &str, policy: &RetryPolicy) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "subscription {name} ({protocol}): {} retries over {}",
        policy.retries(),
        human(policy.span().as_secs_f64())
    );
    let _ = writeln!(out, "{:>8}  {:<15} {:>12} {:>16}", "attempt", "phase", "delay_s", "offset_s");
    let schedule = policy.schedule();
    let mut i = 0;
    while i < schedule.len() {
        let a = schedule[i];
        let run = schedule[i..].iter().take_while(|b| b.phase == a.phase && b.delay == a.delay).count();
        let row = |b: &crate::models::sns::retry::Attempt| {
            format!(
                "{:>8}  {:<15} {:>12.3} {:>16.3}",
                b.attempt,
                phase_name(b.phase),
                b.delay.as_secs_f64(),
                b.offset.as_secs_f64()
            )
        };
        if run > 3 {
            let _ = writeln!(out, "{}", row(&a));
            let _ = writeln!(out, "{:>8}  … {} more attempts like it …", "", run - 2);
            let _ = writeln!(out, "{}", row(&schedule[i + run - 1]));
        } else {
            for b in &schedule[i..i + run] {
                let _ = writeln!(out, "{}", row(b));
            }
        }
        i += run;
    }
    out
}

fn human(seconds: f64) -> String {
    if seconds >= 86_400.0 {
        format!("{seconds:.0} s ({:.2} days)", seconds / 86_400.0)
    } else if seconds >= 3_600.0 {
        format!("{seconds:.0} s ({:.2} h)", seconds / 3_600.0)
    } else {
        format!("{seconds:.3} s")
    }
}
