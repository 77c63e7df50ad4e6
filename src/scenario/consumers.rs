//! `[workers.NAME]` tables: pools of polling consumers on EC2 or ECS.

use std::path::Path;

use super::PoolConfig;
use super::lower::{distribution_per_table, opt, queue_ref};
use super::queues::Queues;
use super::tree::{Node, Result, Source, TableReader};
use crate::engine::{SimDuration, SimTime};
use crate::models::workers;

pub(super) fn lower_pool(
    src: &Source<'_>,
    name: &str,
    node: &Node,
    queues: &Queues,
    queue_configs: &[crate::models::sqs::Config],
    base_dir: &Path,
    has_ses: bool,
) -> Result<PoolConfig> {
    let mut t = TableReader::new(src, format!("workers.{name}"), node)?;
    let (f, p) = t.require("source", "the queue this pool drains, e.g. \"sqs.jobs\"")?;
    let source = queue_ref(f, &p, &queues.names)?;
    let (f, p) = t.require("count", "how many workers poll the queue")?;
    let count = f.whole_per_table(&p, "workers.NAME.count")? as u32;
    let (f, p) = t.require("service_time_s", "how long one message takes to process, a distribution in seconds")?;
    let service_time_s = distribution_per_table(f, &p, base_dir, "workers.NAME.service_time_s")?;
    let error_rate = opt(&mut t, "error_rate", |f, p| f.number_per_table(p, "workers.NAME.error_rate"))?.unwrap_or(0.0);
    let batch_size =
        opt(&mut t, "batch_size", |f, p| f.whole_per_table(p, "workers.NAME.batch_size"))?.unwrap_or(1) as u8;
    let wait_time_s =
        opt(&mut t, "wait_time_s", |f, p| f.whole_per_table(p, "workers.NAME.wait_time_s"))?.unwrap_or(20);
    let backoff = t.get("empty_receive_backoff_s");
    let empty_receive_backoff_s = match backoff {
        Some((f, p)) => {
            let v = f.number_per_table(&p, "workers.NAME.empty_receive_backoff_s")?;
            if wait_time_s == 0 && v == 0.0 {
                return Err(f.error(&p, "must be above 0 when wait_time_s = 0: a short-polling worker that never waits would poll an empty queue endlessly at one instant"));
            }
            v
        }
        None if wait_time_s == 0 => {
            return Err(src.error(
                &node.origin,
                &format!("workers.{name}"),
                "short polling (wait_time_s = 0) needs empty_receive_backoff_s, the pause after an empty receive",
            ));
        }
        None => 0.0,
    };
    let cost_usd_per_hour =
        opt(&mut t, "cost_usd_per_hour", |f, p| f.number_per_table(p, "workers.NAME.cost_usd_per_hour"))?
            .unwrap_or(0.0);
    let heartbeat = heartbeat(&mut t, queue_configs[source.0 as usize].visibility_timeout)?;
    let delete_batch = opt(&mut t, "delete_batch", |f, p| f.bool(p))?.unwrap_or(false);
    let fix_deployed_at =
        opt(&mut t, "fix_deployed_at_s", |f, p| f.number_per_table(p, "workers.NAME.fix_deployed_at_s"))?
            .map(SimTime::from_secs_f64);
    let email = super::ses::email_sender(&mut t, has_ses)?;
    t.finish()?;
    let pool = workers::Config {
        name: name.to_string(),
        count,
        service_time_s,
        error_rate,
        batch_size,
        wait_time: SimDuration::from_secs(wait_time_s),
        empty_receive_backoff: SimDuration::from_secs_f64(empty_receive_backoff_s),
        cost_usd_per_hour,
        heartbeat,
        delete_batch,
        fix_deployed_at,
    };
    Ok(PoolConfig { source, pool, email })
}

/// ChangeMessageVisibility while working: every `heartbeat_interval_s`, the held messages'
/// visibility is set to `heartbeat_visibility_timeout_s` from then.
fn heartbeat(t: &mut TableReader<'_>, visibility: SimDuration) -> Result<Option<workers::Heartbeat>> {
    let interval = t.get("heartbeat_interval_s");
    let timeout = t.get("heartbeat_visibility_timeout_s");
    match (interval, timeout) {
        (None, None) => Ok(None),
        (Some((f, p)), Some((tf, tp))) => {
            let interval_s = f.number_per_table(&p, "workers.NAME.heartbeat_interval_s")?;
            if SimDuration::from_secs_f64(interval_s) >= visibility {
                return Err(f.error(
                    &p,
                    format!(
                        "must be shorter than the source queue's visibility timeout ({} s), or messages reappear before the first heartbeat",
                        visibility.as_secs_f64()
                    ),
                ));
            }
            let timeout_s = tf.whole_per_table(&tp, "workers.NAME.heartbeat_visibility_timeout_s")?;
            if timeout_s as f64 <= interval_s {
                return Err(
                    tf.error(&tp, "must be longer than heartbeat_interval_s, or messages reappear between heartbeats")
                );
            }
            Ok(Some(workers::Heartbeat {
                interval: SimDuration::from_secs_f64(interval_s),
                visibility_timeout: SimDuration::from_secs(timeout_s),
            }))
        }
        (Some((f, p)), None) | (None, Some((f, p))) => {
            Err(f.error(&p, "heartbeat_interval_s and heartbeat_visibility_timeout_s go together"))
        }
    }
}
