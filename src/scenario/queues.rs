//! `[sqs.NAME]` tables: queue attributes, redrive policies and scheduled redrives, checked
//! against SQS's limits (`reference/aws-messaging.md` §1.2, §1.5, §1.6, §1.7, §1.8).

use std::collections::BTreeMap;

use super::RedriveTask;
use super::lower::{opt, queue_ref};
use super::tree::{Node, Result, Source, TableReader};
use crate::engine::{SimDuration, SimTime};
use crate::models::sqs::{self, QueueId};

/// FIFO quota without high-throughput mode: 300 calls per second per action.
pub const FIFO_CALLS_PER_S: f64 = 300.0;
/// Most messages one mapping's redrive moves per second.
pub const REDRIVE_RATE_MAX_PER_S: f64 = 500.0;

/// The queues' names and kinds, for checking references to them.
pub(super) struct Queues {
    pub names: BTreeMap<String, QueueId>,
    is_fifo: Vec<bool>,
    is_content_based: Vec<bool>,
}

impl Queues {
    pub fn is_fifo(&self, q: QueueId) -> bool {
        self.is_fifo[q.0 as usize]
    }

    pub fn is_content_based(&self, q: QueueId) -> bool {
        self.is_content_based[q.0 as usize]
    }
}

/// FIFO high-throughput mode: calls per second per action by Region (§1.8).
fn high_throughput_calls_per_s(region: &str) -> f64 {
    match region {
        "us-east-1" | "us-west-2" | "eu-west-1" => 70_000.0,
        "us-east-2" | "eu-central-1" => 19_000.0,
        "ap-south-1" | "ap-southeast-1" | "ap-southeast-2" | "ap-northeast-1" => 9_000.0,
        "eu-west-2" | "sa-east-1" => 4_500.0,
        _ => 2_400.0,
    }
}

/// An AWS Region code such as `us-east-1`; the quotas tables name Regions by code.
pub(super) fn check_region<'a>(f: &super::tree::Field<'a>, p: &str) -> Result<&'a str> {
    let r = f.str(p)?;
    let parts: Vec<&str> = r.split('-').collect();
    let is_code = parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|x| !x.is_empty() && x.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && parts.last().is_some_and(|x| x.chars().all(|c| c.is_ascii_digit()));
    if !is_code {
        return Err(f.error(p, "expected an AWS Region code such as \"us-east-1\" or \"eu-west-2\""));
    }
    Ok(r)
}

/// Names and kinds first, so references between queues (dead-letter queues) can be checked
/// in one pass.
pub(super) fn names_and_kinds(src: &Source<'_>, node: &Node, path: String) -> Result<Queues> {
    let kind = TableReader::new(src, path, node)?;
    let mut names = BTreeMap::new();
    let mut is_fifo = Vec::new();
    let mut is_content_based = Vec::new();
    for (i, (name, _, queue)) in kind.named_entries().enumerate() {
        names.insert(name.clone(), QueueId(u32::try_from(i).expect("fewer than 2^32 queues")));
        let mut t = TableReader::new(src, format!("sqs.{name}"), queue)?;
        let fifo = opt(&mut t, "fifo", |f, p| f.bool(p))?.unwrap_or(false);
        let content_based = opt(&mut t, "content_based_deduplication", |f, p| {
            if !fifo {
                return Err(f.error(p, "deduplication applies to FIFO queues only (set fifo = true)"));
            }
            f.bool(p)
        })?;
        is_fifo.push(fifo);
        is_content_based.push(content_based.unwrap_or(false));
    }
    Ok(Queues { names, is_fifo, is_content_based })
}

pub(super) fn lower_queue(
    src: &Source<'_>,
    name: &str,
    node: &Node,
    queues: &Queues,
    redrives: &mut Vec<RedriveTask>,
) -> Result<sqs::Config> {
    let mut t = TableReader::new(src, format!("sqs.{name}"), node)?;
    let id = queues.names[name];
    let is_fifo = queues.is_fifo(id);
    // Read and checked in names_and_kinds.
    t.get("fifo");
    t.get("content_based_deduplication");
    let visibility_timeout_s =
        opt(&mut t, "visibility_timeout_s", |f, p| f.whole_per_table(p, "sqs.NAME.visibility_timeout_s"))?
            .unwrap_or(30);
    let retention_s = opt(&mut t, "message_retention_s", |f, p| f.whole_per_table(p, "sqs.NAME.message_retention_s"))?
        .unwrap_or(345_600);
    let delay_s = opt(&mut t, "delay_s", |f, p| f.whole_per_table(p, "sqs.NAME.delay_s"))?.unwrap_or(0);
    let in_flight_max =
        opt(&mut t, "in_flight_max", |f, p| f.whole_per_table(p, "sqs.NAME.in_flight_max"))?.unwrap_or(120_000) as u32;
    let max_message_size_bytes =
        opt(&mut t, "max_message_size_bytes", |f, p| f.whole_per_table(p, "sqs.NAME.max_message_size_bytes"))?
            .unwrap_or(sqs::PAYLOAD_MAX_BYTES) as u32;
    let short_poll_sample_fraction =
        opt(&mut t, "short_poll_sample_fraction", |f, p| f.number_per_table(p, "sqs.NAME.short_poll_sample_fraction"))?
            .unwrap_or(0.5);
    let kind = if is_fifo {
        let high_throughput = opt(&mut t, "high_throughput", |f, p| f.bool(p))?.unwrap_or(false);
        let region = opt(&mut t, "region", |f, p| {
            let r = check_region(f, p)?;
            if !high_throughput {
                return Err(f.error(p, "only applies with high_throughput = true"));
            }
            Ok(r.to_string())
        })?
        .unwrap_or_else(|| "us-east-1".into());
        let calls_per_s_max = if high_throughput { high_throughput_calls_per_s(&region) } else { FIFO_CALLS_PER_S };
        sqs::Kind::Fifo { calls_per_s_max }
    } else {
        let duplicate_rate =
            opt(&mut t, "duplicate_rate", |f, p| f.number_per_table(p, "sqs.NAME.duplicate_rate"))?.unwrap_or(1e-5);
        sqs::Kind::Standard { duplicate_rate }
    };
    let redrive = redrive_policy(&mut t, name, queues)?;
    if let Some((f, p)) = t.get("redrive_at_s") {
        let at_s = f.number_per_table(&p, "sqs.NAME.redrive_at_s")?;
        let rate_per_s =
            opt(&mut t, "redrive_rate_per_s", |f, p| f.number_per_table(p, "sqs.NAME.redrive_rate_per_s"))?
                .unwrap_or(REDRIVE_RATE_MAX_PER_S);
        let destination = opt(&mut t, "redrive_to", |f, p| {
            let to = queue_ref(*f, p, &queues.names)?;
            if to == id {
                return Err(f.error(p, "a redrive moves messages out of this queue, not back into it"));
            }
            if queues.is_fifo(to) != is_fifo {
                return Err(f.error(p, "must be of the same type (standard or FIFO) as this queue"));
            }
            Ok(to)
        })?;
        redrives.push(RedriveTask { dead_letter_queue: id, destination, at: SimTime::from_secs_f64(at_s), rate_per_s });
    } else {
        for key in ["redrive_rate_per_s", "redrive_to"] {
            if let Some((f, p)) = t.get(key) {
                return Err(f.error(&p, "needs redrive_at_s, the time the redrive starts"));
            }
        }
    }
    t.finish()?;
    Ok(sqs::Config {
        name: name.to_string(),
        kind,
        visibility_timeout: SimDuration::from_secs(visibility_timeout_s),
        retention: SimDuration::from_secs(retention_s),
        delay: SimDuration::from_secs(delay_s),
        in_flight_max,
        max_message_size_bytes,
        short_poll_sample_fraction,
        redrive,
    })
}

fn redrive_policy(t: &mut TableReader<'_>, name: &str, queues: &Queues) -> Result<Option<sqs::Redrive>> {
    let is_fifo = queues.is_fifo(queues.names[name]);
    let dlq = opt(t, "dead_letter_queue", |f, p| {
        let id = queue_ref(*f, p, &queues.names)?;
        if queues.names.get(name) == Some(&id) {
            return Err(f.error(p, "a queue cannot be its own dead-letter queue"));
        }
        if queues.is_fifo(id) != is_fifo {
            return Err(f.error(p, "must be of the same type as its source (AWS: FIFO to FIFO, standard to standard)"));
        }
        Ok(id)
    })?;
    let count = t.get("receive_count_max");
    Ok(match (dlq, count) {
        (Some(dead_letter_queue), count) => {
            let receive_count_max = match count {
                Some((f, p)) => f.whole_per_table(&p, "sqs.NAME.receive_count_max")? as u32,
                None => 10,
            };
            Some(sqs::Redrive { dead_letter_queue, receive_count_max })
        }
        (None, Some((f, p))) => {
            return Err(f.error(&p, "needs dead_letter_queue: maxReceiveCount is part of a redrive policy"));
        }
        (None, None) => None,
    })
}

/// AWS's redrive moves messages out of dead-letter queues only: check that each scheduled
/// redrive's queue is one.
pub(super) fn check_redrives(
    src: &Source<'_>,
    root: &Node,
    queues: &[sqs::Config],
    redrives: &[RedriveTask],
) -> Result<()> {
    for task in redrives {
        let is_dlq = queues.iter().any(|q| q.redrive.is_some_and(|r| r.dead_letter_queue == task.dead_letter_queue));
        if !is_dlq {
            let name = &queues[task.dead_letter_queue.0 as usize].name;
            return Err(src.error(
                &root.origin,
                &format!("sqs.{name}.redrive_at_s"),
                "a redrive moves messages out of a dead-letter queue, and no queue names this one as its dead_letter_queue",
            ));
        }
    }
    Ok(())
}
