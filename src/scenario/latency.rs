//! `[latency]`: AWS's own call and hop latencies, their defaults, overrides and the switch
//! that turns them all off (`aws_calls = "none"`, for checks against queueing theory), and
//! the overrides of one queue (`[latency.sqs.NAME]`) or one subscription
//! (`[latency.subscription.NAME]`).

use std::collections::BTreeMap;
use std::path::Path;

use super::lower::{distribution_in_table, opt};
use super::tree::{Field, Result, TableReader};
use crate::models::latency::{HOPS, Hop, Latencies, LatencyConfig, QUEUE_HOPS, SUBSCRIPTION_HOPS};

pub(super) fn lower_latency(
    node: Option<(Field<'_>, String)>,
    base_dir: &Path,
    queues: &BTreeMap<String, u32>,
    subscriptions: &BTreeMap<String, u32>,
) -> Result<LatencyConfig> {
    let Some((f, path)) = node else { return Ok(LatencyConfig::default()) };
    let mut t = TableReader::new(f.src, path, f.node)?;
    let all_off = opt(&mut t, "aws_calls", |f, p| Ok(f.one_of_per_table(p)? == "none"))?.unwrap_or(false);
    let mut scenario = if all_off { Latencies::none() } else { Latencies::defaults() };
    let every_hop: Vec<Hop> = HOPS.iter().map(|h| h.hop).collect();
    read_hops(&mut t, &every_hop, base_dir, &mut scenario)?;
    let mut config = LatencyConfig { queues: BTreeMap::new(), subscriptions: BTreeMap::new(), scenario };
    if let Some((f, path)) = t.get("sqs") {
        config.queues = lower_elements(f, path, "queue", queues, &QUEUE_HOPS, base_dir, &config.scenario)?;
    }
    if let Some((f, path)) = t.get("subscription") {
        config.subscriptions =
            lower_elements(f, path, "subscription", subscriptions, &SUBSCRIPTION_HOPS, base_dir, &config.scenario)?;
    }
    t.finish()?;
    Ok(config)
}

/// Reads the keys of `hops` present in `t` into `latencies`.
fn read_hops(t: &mut TableReader<'_>, hops: &[Hop], base_dir: &Path, latencies: &mut Latencies) -> Result<()> {
    for &hop in hops {
        let given = opt(t, HOPS[hop as usize].key, |f, p| distribution_in_table(*f, p, base_dir))?;
        if let Some(d) = given {
            // A constant 0 is the same as no hop, and keeps the random stream untouched.
            let d = (d.as_constant() != Some(0.0)).then_some(d);
            latencies.set(hop, d);
        }
    }
    Ok(())
}

/// `[latency.sqs]` or `[latency.subscription]`: one table per element of the scenario,
/// each its own copy of the scenario's latencies with the hops it gives.
fn lower_elements(
    f: Field<'_>,
    path: String,
    what: &str,
    ids: &BTreeMap<String, u32>,
    hops: &[Hop],
    base_dir: &Path,
    scenario: &Latencies,
) -> Result<BTreeMap<u32, Latencies>> {
    let kind = TableReader::new(f.src, path, f.node)?;
    let mut by_id = BTreeMap::new();
    for (name, origin, node) in kind.named_entries() {
        let element_path = kind.key_path(name);
        let Some(&id) = ids.get(name) else {
            let known: Vec<&str> = ids.keys().map(String::as_str).collect();
            let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
            return Err(f.src.error(
                origin,
                &element_path,
                format!("no {what} named `{name}` in this scenario; {what}s: {known}"),
            ));
        };
        let mut t = TableReader::new(f.src, element_path, node)?;
        let mut latencies = scenario.clone();
        read_hops(&mut t, hops, base_dir, &mut latencies)?;
        t.finish()?;
        by_id.insert(id, latencies);
    }
    Ok(by_id)
}
