//! `[mq.NAME]`: an Amazon MQ broker with one queue, its producers' connections and its
//! consumers, or a Lambda function's event source mapping in their place.

use std::path::Path;

use super::lower::{distribution_per_table, opt};
use super::tree::{Node, Result, Source, TableReader};
use crate::distributions::Distribution;
use crate::engine::SimDuration;
use crate::models::mq::{self, BrokerConfig};
use crate::pricing::PriceBook;

/// ActiveMQ instance types [mq-types].
const ACTIVEMQ_TYPES: [&str; 7] =
    ["mq.t2.micro", "mq.t3.micro", "mq.m4.large", "mq.m5.large", "mq.m5.xlarge", "mq.m5.2xlarge", "mq.m5.4xlarge"];
/// RabbitMQ instance types [mq-rabbit-size].
const RABBITMQ_TYPES: [&str; 9] = [
    "mq.t3.micro",
    "mq.m5.large",
    "mq.m5.xlarge",
    "mq.m5.2xlarge",
    "mq.m5.4xlarge",
    "mq.m7g.medium",
    "mq.m7g.large",
    "mq.m7g.xlarge",
    "mq.m7g.2xlarge",
];
/// The wait before a message Lambda rejected is redelivered on ActiveMQ.
const LAMBDA_ACTIVEMQ_REDELIVERY_DELAY: SimDuration = SimDuration::from_secs(1);
/// Approximate enqueue rate of one producer, persistent 1 KB messages [mq-storage-2023].
const EFS_SENDS_PER_S: f64 = 80.0;
const EBS_SENDS_PER_S: f64 = 500.0;
const IN_MEMORY_SENDS_PER_S: f64 = 5_000.0;

pub(super) fn lower_broker(
    src: &Source<'_>,
    name: &str,
    node: &Node,
    base_dir: &Path,
    book: &PriceBook,
    drained_by: Option<(&str, u32)>,
) -> Result<BrokerConfig> {
    let mut t = TableReader::new(src, format!("mq.{name}"), node)?;
    let (f, p) = t.require("engine", "\"activemq\" or \"rabbitmq\"")?;
    let engine = f.one_of_per_table(&p)?;
    let types: &[&str] = match engine {
        "activemq" => &ACTIVEMQ_TYPES,
        _ => &RABBITMQ_TYPES,
    };
    let engine = engine.to_string();
    let (f, p) = t.require("instance_type", "the broker's instance type, e.g. \"mq.m5.large\"")?;
    let instance_type = f.str(&p)?.to_string();
    if !types.contains(&instance_type.as_str()) {
        return Err(f.error(&p, format!("{engine} brokers run on: {}", types.join(", "))));
    }
    let deployment = opt(&mut t, "deployment", |f, p| {
        let d = f.one_of_per_table(p)?;
        match (engine.as_str(), d) {
            (_, "single_instance") => Ok(1),
            ("activemq", "active_standby") => Ok(2),
            ("rabbitmq", "cluster") => Ok(3),
            _ => Err(f.error(
                p,
                format!(
                    "{engine} brokers are single_instance or {} (Amazon MQ)",
                    if engine == "activemq" { "active_standby" } else { "cluster (3 nodes)" }
                ),
            )),
        }
    })?
    .unwrap_or(1u32);
    let storage_ebs = opt(&mut t, "storage", |f, p| match (f.one_of_per_table(p)?, engine.as_str()) {
        ("efs", "activemq") => Ok(false),
        ("ebs", "activemq") if !instance_type.starts_with("mq.m5.") => {
            Err(f.error(p, "EBS storage is for mq.m5 brokers only (Amazon MQ)"))
        }
        ("ebs", "activemq") if deployment == 2 => {
            Err(f.error(p, "EBS storage is single-AZ: an active/standby broker uses EFS (Amazon MQ)"))
        }
        ("ebs", _) => Ok(true),
        _ => Err(f.error(p, "RabbitMQ brokers store on EBS; the key is ActiveMQ's")),
    })?
    // RabbitMQ brokers keep their messages on EBS volumes (model assumption for its send
    // rate and storage price).
    .unwrap_or(engine == "rabbitmq");
    let durable = opt(&mut t, "durable", |f, p| f.bool(p))?.unwrap_or(true);
    let csad = opt(&mut t, "concurrent_store_and_dispatch", |f, p| {
        if engine != "activemq" {
            return Err(f.error(p, "concurrentStoreAndDispatchQueues is an ActiveMQ setting"));
        }
        f.bool(p)
    })?
    .unwrap_or(true);
    let (pf, pp) = t.require("producers", "how many producer connections send to the broker")?;
    let producers = pf.whole_per_table(&pp, "mq.NAME.producers")? as u32;
    let (consumers, prefetch, service_time_s, error_rate) = match drained_by {
        None => own_consumers(&mut t, base_dir)?,
        Some((function, _)) => {
            // The model's one queue has one kind of consumer: Lambda's pollers take every
            // message, so the broker's own consumer keys would describe nobody.
            for key in ["consumers", "prefetch", "service_time_s", "error_rate"] {
                if let Some((f, p)) = t.get(key) {
                    return Err(f.error(&p, format!("lambda.{function} consumes this broker (source = \"mq.{name}\"): its pollers are the queue's consumers, so the broker's own consumer keys do not apply (the handler's time and errors are the function's duration_s and error_rate)")));
                }
            }
            (0, 1, Distribution::constant(0.0), 0.0)
        }
    };
    let max_redeliveries = opt(&mut t, "max_redeliveries", |f, p| {
        if let (Some((function, _)), "activemq") = (drained_by, engine.as_str()) {
            return Err(f.error(p, format!("lambda.{function} consumes this broker, and Lambda takes no custom redelivery policy: it uses ActiveMQ's default policy with maximumRedeliveries 6 (AWS Lambda, \"Troubleshoot Amazon MQ event source mapping errors\")")));
        }
        f.whole_per_table(p, "mq.NAME.max_redeliveries")
    })?
    .map_or(6, |n| n as u32);
    // Lambda's pollers are the consumers of a broker it drains.
    let clients = producers.max(drained_by.map_or(consumers, |(_, pollers)| pollers));
    let capacity = opt(&mut t, "capacity_msgs_per_s", |f, p| f.number_per_table(p, "mq.NAME.capacity_msgs_per_s"))?;
    // AWS's benchmark is of ActiveMQ brokers.
    let benchmark = if engine == "activemq" { mq::benchmark_capacity(&instance_type, clients, csad) } else { None };
    let capacity_msgs_per_s = match (capacity, benchmark) {
        (Some(c), _) | (None, Some(c)) => c,
        (None, None) => {
            return Err(src.error(
                &node.origin,
                &t.path,
                format!(
                    "AWS publishes no throughput figure for {engine} on {instance_type} (its benchmark covers ActiveMQ on mq.m5 brokers); give capacity_msgs_per_s"
                ),
            ));
        }
    };
    let price = opt(&mut t, "usd_per_instance_hour", |f, p| f.number_per_table(p, "mq.NAME.usd_per_instance_hour"))?;
    let Some(prices) = &book.mq else {
        return Err(src.error(
            &node.origin,
            &t.path,
            format!(
                "the price book for Region {} has no Amazon MQ prices, and orchsim reads none from offer files (the usage types AWS's Price List gives them are not documented to it), so it prices brokers only in us-east-1, from the book it ships",
                book.region
            ),
        ));
    };
    let usd_per_instance_hour = match (price, prices.instance_usd_per_hour.get(&instance_type)) {
        (Some(p), _) | (None, Some(&p)) => p,
        (None, None) => {
            return Err(src.error(
                &node.origin,
                &t.path,
                format!(
                    "the price book for {} has no hourly price for {instance_type}; give usd_per_instance_hour",
                    book.region
                ),
            ));
        }
    };
    t.finish()?;
    let sends_per_s = match (durable, storage_ebs) {
        (false, _) => IN_MEMORY_SENDS_PER_S,
        (true, true) => EBS_SENDS_PER_S,
        (true, false) => EFS_SENDS_PER_S,
    };
    // Lambda takes ActiveMQ's default redelivery policy (AWS Lambda, "Troubleshoot Amazon MQ
    // event source mapping errors"), whose initialRedeliveryDelay is 1,000 ms without
    // back-off (https://activemq.apache.org/redelivery-policy). A RabbitMQ message requeued
    // after a nack is ready at once (a model choice).
    let redelivery_delay =
        if drained_by.is_some() && engine == "activemq" { LAMBDA_ACTIVEMQ_REDELIVERY_DELAY } else { SimDuration::ZERO };
    Ok(BrokerConfig {
        name: name.to_string(),
        engine,
        instance_type,
        instances: deployment,
        durable,
        capacity_msgs_per_s,
        send_time: SimDuration::from_secs_f64(1.0 / sends_per_s),
        producers,
        consumers,
        prefetch,
        service_time_s,
        error_rate,
        max_redeliveries,
        usd_per_instance_hour,
        storage_usd_per_gb_month: if storage_ebs { prices.ebs_usd_per_gb_month } else { prices.efs_usd_per_gb_month },
        pulled: drained_by.is_some(),
        redelivery_delay,
    })
}

/// The broker's own consumers: how many, their prefetch, their time per message and their
/// failure rate.
fn own_consumers(t: &mut TableReader<'_>, base_dir: &Path) -> Result<(u32, u32, Distribution, f64)> {
    let what =
        "how many consumers take messages from the queue (or a Lambda function's source = \"mq.NAME\" consumes it)";
    let (cf, cp) = t.require("consumers", what)?;
    let consumers = cf.whole_per_table(&cp, "mq.NAME.consumers")? as u32;
    let prefetch = opt(t, "prefetch", |f, p| f.whole_per_table(p, "mq.NAME.prefetch"))?.unwrap_or(1) as u32;
    let (sf, sp) = t.require("service_time_s", "how long a consumer takes per message, a distribution")?;
    let service_time_s = distribution_per_table(sf, &sp, base_dir, "mq.NAME.service_time_s")?;
    let error_rate = opt(t, "error_rate", |f, p| f.number_per_table(p, "mq.NAME.error_rate"))?.unwrap_or(0.0);
    Ok((consumers, prefetch, service_time_s, error_rate))
}
