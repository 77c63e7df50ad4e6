//! `[workload.NAME]` tables: arrival processes, message sizes and timers, FIFO group keys
//! and deduplication, poison messages, producer retries and batching.

use std::path::Path;

use super::lower::{
    MESSAGE_SIZE_MAX_BYTES, TopicNames, component_ref, distribution, distribution_per_table, opt, queue_ref, read_csv,
};
use super::queues::Queues;
use super::tree::{Field, Node, Result, Source, TableReader, Value, fmt_num};
use super::{FieldGenerator, FieldSpec, Target, WorkloadConfig};
use crate::distributions::{Categorical, Distribution};
use crate::engine::SimDuration;
use crate::workload::{ArrivalProcess, GroupKeys, Window};

/// SES takes messages of up to 40 MB through its v2 API and SMTP (§3).
const SES_MESSAGE_MAX_BYTES: f64 = 40e6;

/// Amazon MQ takes messages of up to 100 MB (model bound; the reference gives none).
const MQ_MESSAGE_MAX_BYTES: f64 = 100e6;

pub(super) fn lower_workload(
    src: &Source<'_>,
    name: &str,
    node: &Node,
    queues: &Queues,
    topics: &TopicNames<'_>,
    base_dir: &Path,
) -> Result<WorkloadConfig> {
    let mut t = TableReader::new(src, format!("workload.{name}"), node)?;
    let (f, p) = t.require("target", "where messages are sent: \"sqs.NAME\", \"sns.NAME\", \"eventbridge.NAME\", \"step_functions.NAME\" (StartExecution), \"lambda.NAME\" (a synchronous Invoke), \"mq.NAME\", \"ses\", or \"endpoint.NAME\" for a direct publish to a mobile-push endpoint")?;
    let target = match f.str(&p)?.split_once('.').map(|(k, _)| k) {
        None if f.str(&p)? == "ses" => {
            if !topics.has_ses {
                return Err(f.error(&p, "the scenario has no [ses] table, whose quotas the emails would go through"));
            }
            Target::Ses(super::ses::interface(&mut t)?)
        }
        Some("sns") => Target::Topic(component_ref(f, &p, "sns", "topic", topics.names)?),
        Some("eventbridge") => Target::Bus(component_ref(f, &p, "eventbridge", "event bus", topics.buses)?),
        Some("mq") => Target::Broker(component_ref(f, &p, "mq", "Amazon MQ broker", topics.brokers)?),
        Some("lambda") => Target::Function(component_ref(f, &p, "lambda", "function", topics.functions)?),
        Some("step_functions") => {
            Target::Machine(component_ref(f, &p, "step_functions", "state machine", topics.machines)?)
        }
        Some("endpoint") => {
            let name = f.str(&p)?.trim_start_matches("endpoint.");
            match topics.direct.get(name) {
                Some(topic) => Target::Topic(*topic),
                None => {
                    return Err(f.error(
                        &p,
                        "a workload publishes directly only to a mobile-push endpoint: an [endpoint.NAME] table with protocol = \"application\"",
                    ));
                }
            }
        }
        _ => Target::Queue(queue_ref(f, &p, &queues.names)?),
    };
    let (f, p) =
        t.require("arrival", "the arrival process: constant, poisson, ramp, steps, bursts, diurnal or replay")?;
    let arrival = f.one_of_per_table(&p)?;
    let rate = |t: &mut TableReader<'_>, key: &'static str| -> Result<f64> {
        let (f, p) = t.require(key, "a rate in messages per second")?;
        f.number_in_table(&p)
    };
    let rate_or_zero = |t: &mut TableReader<'_>, key: &'static str| -> Result<f64> {
        Ok(opt(t, key, |f, p| f.number_in_table(p))?.unwrap_or(0.0))
    };
    let process = match arrival {
        "constant" => ArrivalProcess::Constant { rate_per_s: rate(&mut t, "rate_per_s")? },
        "poisson" => ArrivalProcess::Poisson { rate_per_s: rate(&mut t, "rate_per_s")? },
        "ramp" => {
            let from_per_s = rate_or_zero(&mut t, "from_per_s")?;
            let to_per_s = rate_or_zero(&mut t, "to_per_s")?;
            let (f, p) = t.require("duration_s", "how long the ramp lasts")?;
            let duration_s = f.number_per_table(&p, "workload.NAME.duration_s")?;
            if from_per_s == 0.0 && to_per_s == 0.0 {
                return Err(src.error(&node.origin, &t.path, "a ramp needs from_per_s or to_per_s above 0"));
            }
            ArrivalProcess::Ramp { from_per_s, to_per_s, duration_s }
        }
        "steps" => {
            let (f, p) = t.require("steps", "a list of [at_s, rate_per_s] pairs starting at 0")?;
            ArrivalProcess::Steps { steps: steps(f, &p)? }
        }
        "bursts" => {
            let on_rate_per_s = rate(&mut t, "on_rate_per_s")?;
            let off_rate_per_s = rate_or_zero(&mut t, "off_rate_per_s")?;
            let (f, p) = t.require("on_s", "how long each burst lasts")?;
            let on_s = f.number_per_table(&p, "workload.NAME.on_s")?;
            let (f, p) = t.require("off_s", "the pause between bursts")?;
            let off_s = f.number_per_table(&p, "workload.NAME.off_s")?;
            ArrivalProcess::Bursts { on_rate_per_s, off_rate_per_s, on_s, off_s }
        }
        "diurnal" => {
            let mean_rate_per_s = rate(&mut t, "mean_rate_per_s")?;
            let amplitude =
                opt(&mut t, "amplitude", |f, p| f.number_per_table(p, "workload.NAME.amplitude"))?.unwrap_or(0.5);
            let period_s =
                opt(&mut t, "period_s", |f, p| f.number_per_table(p, "workload.NAME.period_s"))?.unwrap_or(86_400.0);
            let peak_at_s =
                opt(&mut t, "peak_at_s", |f, p| f.number_per_table(p, "workload.NAME.peak_at_s"))?.unwrap_or(50_400.0);
            ArrivalProcess::Diurnal { mean_rate_per_s, amplitude, period_s, peak_at_s }
        }
        "replay" => {
            let (f, p) = t.require("file", "a CSV file with a send_time_s column")?;
            ArrivalProcess::Replay { send_times_s: replay_times(f, &p, base_dir)? }
        }
        other => unreachable!("{other} is not an arrival process of the key table"),
    };
    let start_s = opt(&mut t, "start_s", |f, p| f.number_per_table(p, "workload.NAME.start_s"))?.unwrap_or(0.0);
    let stop_s = opt(&mut t, "stop_s", |f, p| {
        let v = f.number_per_table(p, "workload.NAME.stop_s")?;
        if v <= start_s {
            return Err(f.error(p, format!("must be after start_s ({})", fmt_num(start_s))));
        }
        Ok(v)
    })?;
    let count_max = opt(&mut t, "count_max", |f, p| f.whole_per_table(p, "workload.NAME.count_max"))?;
    let (size_max, why) = match target {
        Target::Queue(_) => (MESSAGE_SIZE_MAX_BYTES, "SQS message size: 1 byte to 1 MiB (1,048,576 bytes)"),
        Target::Topic(_) => (262_144.0, "SNS message size: 1 byte to 256 KiB (262,144 bytes), the topic default"),
        Target::Bus(_) => (MESSAGE_SIZE_MAX_BYTES, "EventBridge event size: up to 1 MB since January 2026"),
        Target::Machine(_) => (262_144.0, "Step Functions execution input: up to 256 KiB"),
        Target::Ses(_) => (SES_MESSAGE_MAX_BYTES, "SES message size: up to 40 MB with the v2 API or SMTP"),
        Target::Broker(_) => (MQ_MESSAGE_MAX_BYTES, "a model bound of 100 MB for Amazon MQ messages"),
        Target::Function(_) => (6_291_456.0, "Lambda synchronous invocation payload: up to 6 MB"),
    };
    let message_size_bytes =
        opt(&mut t, "message_size_bytes", |f, p| distribution(*f, p, base_dir, 1.0, size_max, why))?
            .unwrap_or(Distribution::constant(1_024.0));
    let extras = workload_extras(&mut t, base_dir, target, queues, topics)?;
    let stream = opt(&mut t, "stream", |f, p| f.str(p).map(str::to_string))?.unwrap_or_else(|| name.to_string());
    t.finish()?;
    Ok(WorkloadConfig {
        name: name.to_string(),
        stream,
        target,
        process,
        window: Window { start_s, stop_s, count_max },
        message_size_bytes,
        ..extras
    })
}

fn steps(f: Field<'_>, p: &str) -> Result<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    for (i, item) in f.array(p)?.iter().enumerate() {
        let pair = item.array(p)?;
        if pair.len() != 2 {
            return Err(item.error(p, "each step is an [at_s, rate_per_s] pair"));
        }
        let at_path = format!("{p}[{i}].at_s");
        let at = pair[0].number_per_table(&at_path, "workload.NAME.steps[].at_s")?;
        let rate = pair[1].number_per_table(&format!("{p}[{i}].rate_per_s"), "workload.NAME.steps[].rate_per_s")?;
        if out.last().is_some_and(|&(prev, _)| at <= prev) {
            return Err(pair[0].error(&at_path, "step times must increase"));
        }
        out.push((at, rate));
    }
    if out.first().is_none_or(|s| s.0 != 0.0) {
        return Err(f.error(p, "the first step must be at 0 s, so the rate is defined from the start"));
    }
    Ok(out)
}

fn replay_times(f: Field<'_>, p: &str, base_dir: &Path) -> Result<Vec<f64>> {
    let file = f.str(p)?;
    let table = read_csv(f, p, base_dir, file)?;
    let column =
        table.column("send_time_s").ok_or_else(|| f.error(p, format!("{file} has no `send_time_s` column")))?;
    let mut last = 0.0;
    let mut times = Vec::with_capacity(column.len());
    for (line, t) in column {
        if t.is_nan() || *t < last {
            return Err(f.error(
                p,
                format!(
                    "{file}:{line}: send_time_s {t} is {}; times must be ≥ 0 and in order",
                    if *t < 0.0 { "negative" } else { "earlier than the row before" }
                ),
            ));
        }
        last = *t;
        times.push(*t);
    }
    if times.is_empty() {
        return Err(f.error(p, format!("{file} has no rows")));
    }
    Ok(times)
}

/// Everything but the arrival process, with FIFO/standard rules applied.
fn workload_extras(
    t: &mut TableReader<'_>,
    base_dir: &Path,
    target: Target,
    queues: &Queues,
    topics: &TopicNames<'_>,
) -> Result<WorkloadConfig> {
    let (is_fifo, is_content_based) = match target {
        Target::Queue(q) => (queues.is_fifo(q), queues.is_content_based(q)),
        Target::Topic(topic) => (topics.is_fifo[topic.0 as usize], false),
        Target::Bus(_) | Target::Machine(_) | Target::Ses(_) | Target::Broker(_) | Target::Function(_) => {
            (false, false)
        }
    };
    let message_timer_s = opt(t, "message_timer_s", |f, p| {
        if !matches!(target, Target::Queue(_)) {
            return Err(f.error(p, "only SQS sends take a message timer; set the queue's delay_s instead"));
        }
        if is_fifo {
            return Err(f.error(p, "FIFO queues take no per-message timer (AWS: DelaySeconds per message is for standard queues); set the queue's delay_s instead"));
        }
        distribution_per_table(*f, p, base_dir, "workload.NAME.message_timer_s")
    })?;
    let poison_fraction =
        opt(t, "poison_fraction", |f, p| f.number_per_table(p, "workload.NAME.poison_fraction"))?.unwrap_or(0.0);
    let group_count = opt(t, "group_count", |f, p| {
        if !is_fifo {
            return Err(f.error(
                p,
                "message groups order delivery on FIFO queues and topics only; this workload's target is neither",
            ));
        }
        f.whole_per_table(p, "workload.NAME.group_count")
    })?;
    let group_skew = opt(t, "group_skew", |f, p| {
        if !is_fifo {
            return Err(f.error(p, "message groups order delivery on FIFO queues and topics only"));
        }
        f.number_per_table(p, "workload.NAME.group_skew")
    })?;
    let groups = is_fifo.then(|| GroupKeys::new(group_count.unwrap_or(1) as u32, group_skew.unwrap_or(0.0)));
    let sends_ids = opt(t, "deduplication_ids", |f, p| {
        if !is_fifo {
            return Err(f.error(p, "deduplication ids apply to FIFO queues and topics only"));
        }
        f.bool(p)
    })?;
    if is_fifo && sends_ids == Some(false) && !is_content_based {
        let (f, p) = t.get("deduplication_ids").expect("just read");
        return Err(f.error(&p, "a FIFO queue or topic needs deduplication ids from the producer unless the queue has content_based_deduplication = true (AWS rejects the send otherwise)"));
    }
    let duplicate_send_fraction =
        opt(t, "duplicate_send_fraction", |f, p| f.number_per_table(p, "workload.NAME.duplicate_send_fraction"))?
            .unwrap_or(0.0);
    let duplicate_send_delay_s =
        opt(t, "duplicate_send_delay_s", |f, p| f.number_per_table(p, "workload.NAME.duplicate_send_delay_s"))?
            .unwrap_or(1.0);
    let send_batch_max = opt(t, "send_batch_max", |f, p| {
        if !matches!(target, Target::Queue(_) | Target::Topic(_)) {
            return Err(f.error(p, "batches are for SQS SendMessageBatch and SNS PublishBatch only (multi-entry PutEvents is not modelled; StartExecution has no batch form): one message per call"));
        }
        if let Target::Topic(topic) = target
            && topics.direct.values().any(|d| *d == topic)
        {
            return Err(f.error(p, "a direct publish to a mobile-push endpoint is a Publish of one message: AWS's PublishBatch takes a topic only"));
        }
        f.whole_per_table(p, "workload.NAME.send_batch_max")
    })?
    .unwrap_or(1) as u8;
    let send_batch_linger_s = opt(t, "send_batch_linger_s", |f, p| {
        if send_batch_max == 1 {
            return Err(f.error(p, "only applies with send_batch_max above 1"));
        }
        f.number_per_table(p, "workload.NAME.send_batch_linger_s")
    })?
    .unwrap_or(0.2);
    let attributes = opt(t, "attributes", |f, p| fields(*f, p, base_dir))?.unwrap_or_default();
    let body = opt(t, "body", |f, p| fields(*f, p, base_dir))?.unwrap_or_default();
    for (key, list) in [("attributes", &attributes), ("body", &body)] {
        let fits = match target {
            Target::Topic(_) => true,
            // An SQS queue's body, and an Amazon MQ message's data, is what Lambda's event
            // filtering tests.
            Target::Bus(_) | Target::Queue(_) | Target::Broker(_) => key == "body",
            Target::Machine(_) | Target::Ses(_) | Target::Function(_) => false,
        };
        if !list.is_empty() && !fits {
            let (f, p) = t.get(key).expect("just read");
            return Err(f.error(&p, "attributes are generated for SNS filter policies, body fields for SNS body filters, EventBridge event patterns and Lambda's filters on SQS and Amazon MQ records (which test the body only); this workload's target takes neither"));
        }
    }
    let retry = super::lower::retry_config(t)?;
    Ok(WorkloadConfig {
        name: String::new(),
        stream: String::new(),
        target,
        process: ArrivalProcess::Constant { rate_per_s: 1.0 },
        window: Window { start_s: 0.0, stop_s: None, count_max: None },
        message_size_bytes: Distribution::constant(1.0),
        message_timer_s,
        poison_fraction,
        groups,
        duplicate_send_fraction,
        duplicate_send_delay: SimDuration::from_secs_f64(duplicate_send_delay_s),
        send_batch_max,
        send_batch_linger: SimDuration::from_secs_f64(send_batch_linger_s),
        retry,
        attributes,
        body,
    })
}

/// Generated message fields: `{ values = [...], weights = [...] }` for a string, or a
/// number or distribution for a number.
fn fields(f: Field<'_>, p: &str, base_dir: &Path) -> Result<Vec<FieldSpec>> {
    let t = TableReader::new(f.src, p.to_string(), f.node)?;
    let pattern =
        if p.ends_with(".attributes") { "workload.NAME.attributes.FIELD" } else { "workload.NAME.body.FIELD" };
    let mut out = Vec::new();
    for (name, _, node) in t.named_entries() {
        let (field, path) = (Field { src: f.src, node }, t.key_path(name));
        let name = name.clone();
        let generator = match &field.node.value {
            Value::Table(entries) if entries.contains_key("values") => categorical(field, &path)?,
            _ => FieldGenerator::Number(distribution_per_table(field, &path, base_dir, pattern)?),
        };
        out.push(FieldSpec { name, generator });
    }
    if out.len() > 10 {
        return Err(f.error(p, format!("{} fields; SNS messages carry at most 10 message attributes", out.len())));
    }
    Ok(out)
}

/// `{ values = [...], weights = [...] }`, with `items` for a list of different values.
fn categorical(f: Field<'_>, p: &str) -> Result<FieldGenerator> {
    let mut t = TableReader::new(f.src, p.to_string(), f.node)?;
    let (vf, vp) = t.require("values", "the strings to choose from")?;
    let values = vf.array(&vp)?.iter().map(|v| v.str(&vp).map(str::to_string)).collect::<Result<Vec<_>>>()?;
    if values.is_empty() {
        return Err(vf.error(&vp, "needs at least one value"));
    }
    let weights = match t.get("weights") {
        Some((wf, wp)) => {
            let w = wf
                .array(&wp)?
                .iter()
                .enumerate()
                .map(|(i, x)| x.number_in_table(&format!("{wp}[{i}]")))
                .collect::<Result<Vec<_>>>()?;
            if w.len() != values.len() || w.iter().sum::<f64>() <= 0.0 {
                return Err(wf.error(
                    &wp,
                    format!("needs one non-negative weight per value ({}) and a positive sum", values.len()),
                ));
            }
            w
        }
        None => vec![1.0; values.len()],
    };
    let values = Categorical::new(values, &weights);
    let items = opt(&mut t, "items", |f, p| list_items(f, p, values.weighted_labels()))?;
    t.finish()?;
    Ok(match items {
        None => FieldGenerator::Text(values),
        Some((items_min, items_max)) => FieldGenerator::TextList { values, items_min, items_max },
    })
}

/// `items = N` or `items = [MIN, MAX]`: how many different values a list holds. A list
/// cannot hold more different values than have a weight above 0 (`weighted`).
fn list_items(f: &Field<'_>, p: &str, weighted: usize) -> Result<(usize, usize)> {
    let why =
        "each value appears at most once in a list, so a list holds at most as many values as have a weight above 0";
    let count = |f: &Field<'_>| f.u64_in(p, 0, weighted as u64, why).map(|n| n as usize);
    if let Value::Array(_) = &f.node.value {
        let bounds = f.array(p)?;
        let [low, high] = bounds.as_slice() else {
            return Err(f.error(p, "takes a count, or a [min, max] pair of counts"));
        };
        let (items_min, items_max) = (count(low)?, count(high)?);
        if items_min > items_max {
            return Err(f.error(p, format!("min {items_min} is above max {items_max}")));
        }
        return Ok((items_min, items_max));
    }
    let n = count(f)?;
    Ok((n, n))
}
