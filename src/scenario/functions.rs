//! `[lambda.NAME]` tables (a function and, with `source`, its SQS event source mapping) and
//! the `[account]` table, checked against Lambda's limits
//! (`reference/aws-stepfunctions-lambda.md` §8, `reference/aws-messaging.md` §1.9).

use std::collections::BTreeMap;
use std::path::Path;

use super::lower::{component_ref, distribution_per_table, opt, queue_ref};
use super::queues::Queues;
use super::topics::{from_serde, from_tree};
use super::tree::{Field, Node, Result, Source, TableReader, Value};
use super::{AsyncDestination, BrokerSourceSpec, EventSourceSpec, FunctionConfig};
use crate::distributions::Distribution;
use crate::engine::{SimDuration, SimTime};
use crate::models::filter_policy::{EventPattern, Json};
use crate::models::lambda::{self, event_source, managed_instances};
use crate::models::{eventbridge, sns, sqs};

/// Default INIT of a cold start: AWS says cold starts take "from under 100 ms to over 1 s";
/// a lognormal with median 250 ms and p99 1.2 s spans that (an assumption).
fn default_init() -> Distribution {
    Distribution::lognormal(0.25, 1.2)
}

/// AWS Lambda's BatchSize for a FIFO source queue is 1 to 10; the key table's range is the
/// standard queues' 1 to 10,000, so this bound depends on the queue and stays here.
const FIFO_BATCH_SIZE_MAX: u64 = 10;

pub(super) fn lower_account(node: Option<(Field<'_>, String)>) -> Result<lambda::Account> {
    let mut account = lambda::Account::default();
    let Some((f, path)) = node else { return Ok(account) };
    let mut t = TableReader::new(f.src, path, f.node)?;
    if let Some(c) = opt(&mut t, "lambda_concurrency", |f, p| f.whole_per_table(p, "account.lambda_concurrency"))? {
        account.concurrency = c as u32;
    }
    t.finish()?;
    Ok(account)
}

/// A function's `on_failure`, `dead_letter` and `on_success` values, resolved once topics
/// and buses are known (they are read after the functions).
pub(super) struct PendingDestinations<'a> {
    pub on_failure: Option<(Field<'a>, String)>,
    pub dead_letter: Option<(Field<'a>, String)>,
    pub on_success: Option<(Field<'a>, String)>,
}

/// A function's asynchronous destinations: on failure, dead-letter queue, on success.
pub(super) type Destinations = (Option<AsyncDestination>, Option<AsyncDestination>, Option<AsyncDestination>);

/// The names an asynchronous destination may refer to.
pub(super) struct DestinationNames<'n> {
    pub queues: &'n Queues,
    pub topics: &'n BTreeMap<String, sns::TopicId>,
    pub topic_is_fifo: &'n [bool],
    pub buses: &'n BTreeMap<String, eventbridge::BusId>,
    pub functions: &'n BTreeMap<String, u32>,
}

/// Resolves `on_failure` and `on_success` (a standard queue, a standard topic, a bus or a
/// function) and `dead_letter` (a standard queue or a standard topic) of the function
/// `function`, as AWS allows for asynchronous invocation.
pub(super) fn resolve_destinations(
    pending: PendingDestinations<'_>,
    names: &DestinationNames<'_>,
    function: u32,
) -> Result<Destinations> {
    let on_failure = match pending.on_failure {
        Some((f, p)) => Some(destination(f, &p, names, true)?),
        None => None,
    };
    let dead_letter = match pending.dead_letter {
        Some((f, p)) => Some(destination(f, &p, names, false)?),
        None => None,
    };
    let on_success = match pending.on_success {
        Some((f, p)) => match destination(f, &p, names, true)? {
            AsyncDestination::Function(g) if g == function => {
                return Err(f.error(
                    &p,
                    "the function itself: each processed event would invoke it again, without end; name another destination",
                ));
            }
            d => Some(d),
        },
        None => None,
    };
    Ok((on_failure, dead_letter, on_success))
}

/// One destination: `is_destination` for `on_failure` and `on_success`, else `dead_letter`.
fn destination(f: Field<'_>, p: &str, names: &DestinationNames<'_>, is_destination: bool) -> Result<AsyncDestination> {
    let text = f.str(p)?;
    let allowed = if is_destination {
        "\"sqs.NAME\", \"sns.NAME\", \"eventbridge.NAME\" or \"lambda.NAME\" (AWS: a destination of asynchronous invocation, on failure or on success, is an SQS queue, an SNS topic, an EventBridge bus or a Lambda function)"
    } else {
        "\"sqs.NAME\" or \"sns.NAME\" (AWS: a function's dead-letter queue is an SQS queue or an SNS topic)"
    };
    let kind = text.split('.').next().unwrap_or("");
    let standard_only = "must be a standard queue or topic (AWS: a FIFO queue cannot be an asynchronous invocation's destination; the model refuses FIFO queues as dead-letter queues and FIFO topics too, since Lambda's sends name no message group)";
    match kind {
        "sqs" => {
            let q = component_ref(f, p, "sqs", "queue", &names.queues.names)?;
            if names.queues.is_fifo(q) {
                return Err(f.error(p, standard_only));
            }
            Ok(AsyncDestination::Queue(q))
        }
        "sns" => {
            let t = component_ref(f, p, "sns", "topic", names.topics)?;
            if names.topic_is_fifo[t.0 as usize] {
                return Err(f.error(p, standard_only));
            }
            Ok(AsyncDestination::Topic(t))
        }
        "eventbridge" if is_destination => {
            Ok(AsyncDestination::Bus(component_ref(f, p, "eventbridge", "bus", names.buses)?))
        }
        "lambda" if is_destination => {
            Ok(AsyncDestination::Function(component_ref(f, p, "lambda", "function", names.functions)?))
        }
        _ => Err(f.error(p, format!("allowed: {allowed}"))),
    }
}

/// The asynchronous invocation keys: retries after function errors, the event age limit
/// and the retry delays (a model assumption).
fn async_config(t: &mut TableReader<'_>) -> Result<lambda::AsyncConfig> {
    let mut config = lambda::AsyncConfig::default();
    if let Some(v) =
        opt(t, "maximum_retry_attempts", |f, p| f.whole_per_table(p, "lambda.NAME.maximum_retry_attempts"))?
    {
        config.maximum_retry_attempts = v as u32;
    }
    if let Some(v) = opt(t, "maximum_event_age_s", |f, p| f.whole_per_table(p, "lambda.NAME.maximum_event_age_s"))? {
        config.maximum_event_age = SimDuration::from_secs(v);
    }
    if let Some(delays) = opt(t, "async_retry_delays_s", |f, p| {
        let items = f.array(p)?;
        if items.len() != 2 {
            return Err(f.error(p, "two waits in seconds: before the second attempt and before the third"));
        }
        let wait = |i: usize| {
            items[i]
                .number_per_table(&format!("{p}[{i}]"), "lambda.NAME.async_retry_delays_s[]")
                .map(SimDuration::from_secs_f64)
        };
        Ok([wait(0)?, wait(1)?])
    })? {
        config.retry_delays = delays;
    }
    Ok(config)
}

/// The Amazon MQ brokers a mapping's `source` may name, read ahead of their tables: by
/// name, their index and whether the engine is RabbitMQ.
#[derive(Default)]
pub(super) struct BrokerNames {
    pub names: BTreeMap<String, u32>,
    pub is_rabbitmq: Vec<bool>,
}

/// A mapping's source: an SQS queue or an Amazon MQ broker's queue.
enum MappingSource {
    Queue(sqs::QueueId),
    Broker(u32),
}

/// Reads `source` as `"sqs.NAME"` or `"mq.NAME"`.
fn mapping_source(f: Field<'_>, p: &str, queues: &Queues, brokers: &BrokerNames) -> Result<MappingSource> {
    if f.str(p)?.starts_with("mq.") {
        return Ok(MappingSource::Broker(component_ref(f, p, "mq", "broker", &brokers.names)?));
    }
    Ok(MappingSource::Queue(queue_ref(f, p, &queues.names)?))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn lower_function<'a>(
    src: &'a Source<'a>,
    name: &str,
    node: &'a Node,
    index: usize,
    queues: &Queues,
    queue_configs: &[sqs::Config],
    brokers: &BrokerNames,
    base_dir: &Path,
    has_ses: bool,
) -> Result<(FunctionConfig, PendingDestinations<'a>)> {
    let path = format!("lambda.{name}");
    let mut t = TableReader::new(src, path.clone(), node)?;
    let (f, p) = t.require("duration_s", "how long the handler runs, a distribution in seconds")?;
    let duration_s = distribution_per_table(f, &p, base_dir, "lambda.NAME.duration_s")?;
    let mut function = lambda::Config::new(name, duration_s, default_init());
    if let Some(v) = opt(&mut t, "memory_mb", |f, p| f.whole_per_table(p, "lambda.NAME.memory_mb"))? {
        function.memory_mb = v as u32;
    }
    let timeout = t.get("timeout_s");
    if let Some((f, p)) = &timeout {
        function.timeout = SimDuration::from_secs(f.whole_per_table(p, "lambda.NAME.timeout_s")?);
    }
    if let Some(d) =
        opt(&mut t, "init_duration_s", |f, p| distribution_per_table(*f, p, base_dir, "lambda.NAME.init_duration_s"))?
    {
        function.init_duration_s = d;
    }
    if let Some(v) = opt(&mut t, "keep_alive_s", |f, p| f.number_per_table(p, "lambda.NAME.keep_alive_s"))? {
        function.keep_alive = SimDuration::from_secs_f64(v);
    }
    if let Some(a) = opt(&mut t, "architecture", |f, p| match f.one_of_per_table(p)? {
        "arm64" => Ok(lambda::Architecture::Arm),
        _ => Ok(lambda::Architecture::X86),
    })? {
        function.architecture = a;
    }
    function.reserved_concurrency =
        opt(&mut t, "reserved_concurrency", |f, p| f.whole_per_table(p, "lambda.NAME.reserved_concurrency"))?
            .map(|v| v as u32);
    if let Some(b) = opt(&mut t, "bills_init", |f, p| f.bool(p))? {
        function.bills_init = b;
    }
    function.snap_start = snap_start(&mut t, base_dir)?;
    function.managed_instances = managed_instances(&mut t, &function)?;
    let error_rate = opt(&mut t, "error_rate", |f, p| f.number_per_table(p, "lambda.NAME.error_rate"))?.unwrap_or(0.0);
    let fix_deployed_at =
        opt(&mut t, "fix_deployed_at_s", |f, p| f.number_per_table(p, "lambda.NAME.fix_deployed_at_s"))?
            .map(SimTime::from_secs_f64);
    let (origin_src, origin) = (t.src, t.origin);
    let fail = |message: String| match &timeout {
        Some((f, p)) => f.error(p, message),
        None => origin_src.error(origin, &path, message),
    };
    let sources = (t.get("source"), t.get("mappings"));
    let mut broker_sources = Vec::new();
    let event_sources = match sources {
        (None, None) => {
            for key in MAPPING_KEYS {
                if let Some((f, p)) = t.get(key) {
                    return Err(f.error(
                        &p,
                        "configures the event source mapping: set source = \"sqs.NAME\" or \"mq.NAME\" too",
                    ));
                }
            }
            // Invoked by SNS or EventBridge, if at all: errors come from the function itself.
            function.error_rate = error_rate;
            Vec::new()
        }
        (Some(_), Some((f, p))) => {
            return Err(f.error(&p, "a function takes either `source` and its mapping's keys (one event source mapping) or `mappings` (several), not both"));
        }
        (Some((f, p)), None) => match mapping_source(f, &p, queues, brokers)? {
            MappingSource::Queue(queue) => {
                let at = MappingAt { index, is_fifo: queues.is_fifo(queue), error_rate, fix_deployed_at };
                let spec = mapping(&mut t, &path, None, queue, at)?;
                check_timeouts(&queue_configs[queue.0 as usize], &function).map_err(fail)?;
                vec![spec]
            }
            MappingSource::Broker(broker) => {
                let at = MappingAt { index, is_fifo: false, error_rate, fix_deployed_at };
                let rabbitmq = brokers.is_rabbitmq[broker as usize];
                broker_sources.push(broker_mapping(&mut t, None, broker, rabbitmq, at)?);
                Vec::new()
            }
        },
        (None, Some((f, p))) => {
            for key in MAPPING_KEYS {
                if let Some((f, p)) = t.get(key) {
                    return Err(f.error(
                        &p,
                        "with `mappings`, each mapping's keys go in its own table, [lambda.NAME.mappings.MAPPING]",
                    ));
                }
            }
            let table = TableReader::new(src, p.clone(), f.node)?;
            let mut specs = Vec::new();
            for (name, _, node) in table.named_entries() {
                let mapping_path = format!("{p}.{name}");
                let mut m = TableReader::new(src, mapping_path.clone(), node)?;
                let (f, sp) = m.require(
                    "source",
                    "the queue this mapping polls, \"sqs.NAME\", or the broker it consumes, \"mq.NAME\"",
                )?;
                match mapping_source(f, &sp, queues, brokers)? {
                    MappingSource::Queue(queue) => {
                        let at = MappingAt { index, is_fifo: queues.is_fifo(queue), error_rate, fix_deployed_at };
                        specs.push(mapping(&mut m, &mapping_path, Some(name.clone()), queue, at)?);
                        m.finish()?;
                        check_timeouts(&queue_configs[queue.0 as usize], &function).map_err(fail)?;
                    }
                    MappingSource::Broker(broker) => {
                        let at = MappingAt { index, is_fifo: false, error_rate, fix_deployed_at };
                        let rabbitmq = brokers.is_rabbitmq[broker as usize];
                        broker_sources.push(broker_mapping(&mut m, Some(name.clone()), broker, rabbitmq, at)?);
                        m.finish()?;
                    }
                }
            }
            if specs.is_empty() && broker_sources.is_empty() {
                return Err(
                    f.error(&p, "no mapping: give at least one [lambda.NAME.mappings.MAPPING] table with its source")
                );
            }
            specs
        }
    };
    let email = super::ses::email_sender(&mut t, has_ses)?;
    function.asynchronous = async_config(&mut t)?;
    let pending = PendingDestinations {
        on_failure: t.get("on_failure"),
        dead_letter: t.get("dead_letter"),
        on_success: t.get("on_success"),
    };
    t.finish()?;
    let config = FunctionConfig {
        function,
        event_sources,
        broker_sources,
        email,
        on_failure: None,
        dead_letter: None,
        on_success: None,
    };
    Ok((config, pending))
}

/// Lambda's filters per event source mapping: 5 by default, up to 10 with a quota increase.
pub const FILTERS_MAX: usize = 10;
/// The longest pattern `FilterCriteria.Filters[].Pattern` takes (the CloudFormation schema).
pub const FILTER_PATTERN_CHARS_MAX: usize = 4_096;

/// The mapping's `FilterCriteria`: each pattern a JSON string or a table, in EventBridge's
/// pattern syntax, on the record's `body`, the only key an SQS mapping filters on.
fn filters(f: &Field<'_>, p: &str) -> Result<Vec<EventPattern>> {
    filters_on(f, p, "body", "SQS")
}

/// An Amazon MQ mapping's `FilterCriteria`, on the record's `data`, the only key AWS filters
/// Amazon MQ records on (the message body, decoded from base64).
fn broker_filters(f: &Field<'_>, p: &str) -> Result<Vec<EventPattern>> {
    filters_on(f, p, "data", "Amazon MQ")
}

/// Patterns that may test only `key` of the record, the one key AWS filters `source`
/// records on.
fn filters_on(f: &Field<'_>, p: &str, key: &str, source: &str) -> Result<Vec<EventPattern>> {
    let items = f.array(p)?;
    if items.len() > FILTERS_MAX {
        return Err(f.error(
            p,
            format!(
                "{} patterns; AWS Lambda takes at most {FILTERS_MAX} filters per event source mapping (5 by default, 10 with a quota increase)",
                items.len()
            ),
        ));
    }
    let mut patterns = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{p}[{i}]");
        let json = match &item.node.value {
            Value::Str(text) => {
                if text.chars().count() > FILTER_PATTERN_CHARS_MAX {
                    return Err(item.error(
                        &at,
                        format!(
                            "{} characters; AWS takes a pattern of at most {FILTER_PATTERN_CHARS_MAX}",
                            text.chars().count()
                        ),
                    ));
                }
                let parsed: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                    item.error(&at, format!("not valid JSON at line {} column {}: {e}", e.line(), e.column()))
                })?;
                from_serde(&parsed)
            }
            Value::Table(_) => from_tree(item.node),
            other => {
                return Err(item.error(
                    &at,
                    format!("expected the pattern as a JSON string or a table, found {}", other.type_name()),
                ));
            }
        };
        if let Json::Object(fields) = &json
            && let Some((bad, _)) = fields.iter().find(|(k, _)| k != key)
        {
            return Err(item.error(
                &at,
                format!("filters on \"{bad}\"; AWS Lambda filters {source} records on the \"{key}\" key only, e.g. {{\"{key}\": {{\"kind\": [\"order\"]}}}}"),
            ));
        }
        patterns.push(EventPattern::parse(&json).map_err(|e| item.error(&at, e.to_string()))?);
    }
    Ok(patterns)
}

/// SnapStart's restore time when the scenario gives none: measured Java 21 restores ran
/// p50 0.77 s, p90 1.03 s, max 1.41 s (`reference/aws-latencies.md`); a lognormal with
/// median 0.75 s and p99 1.4 s spans that (an assumption: AWS publishes no figure).
fn restore_default() -> Distribution {
    Distribution::lognormal(0.75, 1.4)
}

/// SnapStart's restore, with `snap_start = true`; its keys without it are an error.
fn snap_start(t: &mut TableReader<'_>, base_dir: &Path) -> Result<Option<lambda::SnapStart>> {
    let is_on = opt(t, "snap_start", |f, p| f.bool(p))?.unwrap_or(false);
    let restore = opt(t, "restore_duration_s", |f, p| {
        if !is_on {
            return Err(f.error(p, "applies to SnapStart's restores: set snap_start = true too"));
        }
        distribution_per_table(*f, p, base_dir, "lambda.NAME.restore_duration_s")
    })?;
    let billed_fraction = opt(t, "restore_billed_fraction", |f, p| {
        if !is_on {
            return Err(f.error(p, "applies to SnapStart's restores: set snap_start = true too"));
        }
        f.number_per_table(p, "lambda.NAME.restore_billed_fraction")
    })?;
    if !is_on {
        return Ok(None);
    }
    Ok(Some(lambda::SnapStart {
        restore_duration_s: restore.unwrap_or_else(restore_default),
        billed_fraction: billed_fraction.unwrap_or(1.0),
    }))
}

/// `[lambda.NAME.managed_instances]`, checked against the function's memory and SnapStart
/// (read before it) and against the capacity provider's limits.
fn managed_instances(
    function_table: &mut TableReader<'_>,
    function: &lambda::Config,
) -> Result<Option<managed_instances::Config>> {
    let Some((f, p)) = function_table.get("managed_instances") else { return Ok(None) };
    if function.snap_start.is_some() {
        return Err(f.error(&p, "a function on Managed Instances starts no execution environment on the request path (AWS: no cold starts), so SnapStart has nothing to restore; remove snap_start or this table"));
    }
    if function.memory_mb < managed_instances::MEMORY_MB_MIN {
        return Err(f.error(&p, format!("needs memory_mb of at least 2,048 (the function has {}): AWS's smallest function on Managed Instances is 2 GB and 1 vCPU", function.memory_mb)));
    }
    let mut t = TableReader::new(function_table.src, p.clone(), f.node)?;
    let ratio = opt(&mut t, "memory_gib_per_vcpu", |f, p| {
        let v = f.number_per_table(p, "lambda.NAME.managed_instances.memory_gib_per_vcpu")?;
        match managed_instances::MEMORY_GIB_PER_VCPU_CHOICES.iter().find(|&&c| f64::from(c) == v) {
            Some(&c) => Ok(c),
            None => Err(f.error(p, "allowed: 2, 4 or 8 (AWS: ExecutionEnvironmentMemoryGiBPerVCpu takes the memory-to-vCPU ratios 2, 4 and 8 GiB)")),
        }
    })?;
    let ratio = ratio.unwrap_or(managed_instances::MEMORY_GIB_PER_VCPU_CHOICES[0]);
    let vcpus_per_environment = function.memory_mb / (1_024 * ratio);
    if vcpus_per_environment == 0 {
        return Err(f.error(&p, format!("memory_mb {} at {ratio} GiB per vCPU gives an environment less than 1 vCPU; AWS needs at least 1 vCPU per environment: raise memory_mb to {} or lower memory_gib_per_vcpu", function.memory_mb, 1_024 * ratio)));
    }
    let per_environment_max_concurrency = opt(&mut t, "per_environment_max_concurrency", |f, p| {
        f.whole_per_table(p, "lambda.NAME.managed_instances.per_environment_max_concurrency")
    })?
    .map_or(
        (managed_instances::CONCURRENCY_PER_VCPU_DEFAULT * vcpus_per_environment)
            .min(managed_instances::PER_ENVIRONMENT_MAX_CONCURRENCY_MAX),
        |v| v as u32,
    );
    let vcpus = opt(&mut t, "vcpus_per_instance", |f, p| {
        let v = f.whole_per_table(p, "lambda.NAME.managed_instances.vcpus_per_instance")? as u32;
        if v < vcpus_per_environment {
            return Err(f.error(p, format!("{v} vCPUs cannot hold one execution environment of {vcpus_per_environment} vCPUs (memory_mb {} at {ratio} GiB per vCPU); give at least {vcpus_per_environment}", function.memory_mb)));
        }
        Ok(v)
    })?;
    let vcpus_per_instance = match vcpus {
        Some(v) => v,
        None if vcpus_per_environment > managed_instances::VCPUS_PER_INSTANCE_DEFAULT => {
            return Err(f.error(&p, format!("an execution environment needs {vcpus_per_environment} vCPUs, more than the default instance's {}; set vcpus_per_instance (and instance_usd_per_hour) for a larger instance type", managed_instances::VCPUS_PER_INSTANCE_DEFAULT)));
        }
        None => managed_instances::VCPUS_PER_INSTANCE_DEFAULT,
    };
    let min = opt(&mut t, "instances_min", |f, p| f.whole_per_table(p, "lambda.NAME.managed_instances.instances_min"))?;
    let max = t.get("instances_max");
    let max_value = match &max {
        Some((f, p)) => Some(f.whole_per_table(p, "lambda.NAME.managed_instances.instances_max")? as u32),
        None => None,
    };
    let instances_min =
        min.map_or(managed_instances::INSTANCES_MIN_DEFAULT.min(max_value.unwrap_or(u32::MAX)), |v| v as u32);
    let instances_max = max_value.unwrap_or(managed_instances::INSTANCES_MAX_DEFAULT.max(instances_min));
    let at_max = |message: String| match &max {
        Some((f, p)) => f.error(p, message),
        None => f.error(&p, message),
    };
    if instances_max < instances_min {
        return Err(at_max(format!(
            "{instances_max} is below instances_min ({instances_min}); the scaler keeps at least the minimum running"
        )));
    }
    let vcpus_total = u64::from(instances_max) * u64::from(vcpus_per_instance);
    if vcpus_total > managed_instances::VCPUS_MAX {
        return Err(at_max(format!(
            "{instances_max} instances of {vcpus_per_instance} vCPUs are {vcpus_total} vCPUs; AWS's MaxVCpuCount of a capacity provider is at most 15,000"
        )));
    }
    let instance_usd_per_hour = opt(&mut t, "instance_usd_per_hour", |f, p| {
        f.number_per_table(p, "lambda.NAME.managed_instances.instance_usd_per_hour")
    })?
    .unwrap_or(managed_instances::INSTANCE_USD_PER_HOUR_DEFAULT);
    let target_utilization = opt(&mut t, "target_utilization", |f, p| {
        f.number_per_table(p, "lambda.NAME.managed_instances.target_utilization")
    })?
    .unwrap_or(managed_instances::TARGET_UTILIZATION_DEFAULT);
    let scale_interval = opt(&mut t, "scale_interval_s", |f, p| {
        f.number_per_table(p, "lambda.NAME.managed_instances.scale_interval_s").map(SimDuration::from_secs_f64)
    })?
    .unwrap_or(managed_instances::SCALE_INTERVAL_DEFAULT);
    let launch_delay = opt(&mut t, "launch_delay_s", |f, p| {
        f.number_per_table(p, "lambda.NAME.managed_instances.launch_delay_s").map(SimDuration::from_secs_f64)
    })?
    .unwrap_or(managed_instances::LAUNCH_DELAY_DEFAULT);
    t.finish()?;
    Ok(Some(managed_instances::Config {
        per_environment_max_concurrency,
        vcpus_per_environment,
        vcpus_per_instance,
        instances_min,
        instances_max,
        instance_usd_per_hour,
        target_utilization,
        scale_interval,
        launch_delay,
    }))
}

/// The keys of an event source mapping that only a function with `source` takes.
const MAPPING_KEYS: [&str; 10] = [
    "batch_size",
    "batching_window_s",
    "maximum_concurrency",
    "scaling_max",
    "provisioned_pollers_min",
    "provisioned_pollers_max",
    "report_batch_item_failures",
    "record_overhead_bytes",
    "filter_patterns",
    "environments_max",
];

/// The keys of an SQS mapping that an Amazon MQ mapping does not take, and why.
const NOT_FOR_BROKERS: [(&str, &str); 5] = [
    (
        "maximum_concurrency",
        "an Amazon MQ mapping's concurrency is `environments_max` (AWS: ScalingConfig is for Amazon SQS only)",
    ),
    (
        "scaling_max",
        "an Amazon MQ mapping does not scale its pollers: it runs `environments_max` of them (AWS: 5 for ActiveMQ, 1 for RabbitMQ)",
    ),
    ("provisioned_pollers_min", "AWS's provisioned mode is for Amazon SQS and Kafka sources, not Amazon MQ"),
    ("provisioned_pollers_max", "AWS's provisioned mode is for Amazon SQS and Kafka sources, not Amazon MQ"),
    (
        "report_batch_item_failures",
        "AWS: FunctionResponseTypes applies to Amazon SQS, Kinesis, DynamoDB and Kafka sources, not Amazon MQ; a function error returns the whole batch to the broker",
    ),
];

/// An Amazon MQ mapping's keys, on the function's table (`name` none) or on a table of its
/// own under `mappings` (Lambda Developer Guide, "Event source mapping parameters" and
/// "Using Lambda with Amazon MQ"):
/// - `batch_size` 1–10,000, default 100; `batching_window_s` 0–300 whole seconds, default
///   500 ms, which the API cannot set back once changed, so no key value gives it;
/// - `environments_max`: the concurrent execution environments, 5 for ActiveMQ and 1 for
///   RabbitMQ by default (raised per mapping by AWS Support), all polling from the start;
/// - a function error returns the whole batch to the broker, which redelivers each message
///   up to `mq.NAME.max_redeliveries` times (AWS: Lambda uses ActiveMQ's default policy with
///   maximumRedeliveries 6), then dead-letters it;
/// - `filter_patterns` test the record's `data` key only (AWS: "Amazon MQ event source
///   mappings only support filtering on the data key"); a message none matches is
///   acknowledged without an invocation.
fn broker_mapping(
    t: &mut TableReader<'_>,
    name: Option<String>,
    broker: u32,
    rabbitmq: bool,
    at: MappingAt,
) -> Result<BrokerSourceSpec> {
    let MappingAt { index, error_rate, fix_deployed_at, .. } = at;
    for (key, why) in NOT_FOR_BROKERS {
        if let Some((f, p)) = t.get(key) {
            return Err(f.error(&p, format!("does not apply to an Amazon MQ source: {why}")));
        }
    }
    let batch_size =
        opt(t, "batch_size", |f, p| f.whole_in_table(p))?.map_or(event_source::BROKER_BATCH_SIZE_DEFAULT, |v| v as u32);
    let batching_window = opt(t, "batching_window_s", |f, p| f.whole_in_table(p))?
        .map_or(event_source::BROKER_BATCHING_WINDOW_DEFAULT, SimDuration::from_secs);
    let default_environments =
        if rabbitmq { event_source::BROKER_ENVIRONMENTS_RABBITMQ } else { event_source::BROKER_ENVIRONMENTS_ACTIVEMQ };
    let environments =
        opt(t, "environments_max", |f, p| f.whole_in_table(p))?.map_or(default_environments, |v| v as u32);
    let record_overhead_bytes = opt(t, "record_overhead_bytes", |f, p| f.whole_in_table(p))?
        .map_or(event_source::RECORD_OVERHEAD_BYTES_DEFAULT, |b| b as u32);
    let filter_patterns = opt(t, "filter_patterns", broker_filters)?.unwrap_or_default();
    let config = event_source::Config {
        function: lambda::FunctionId(index as u32),
        batch_size,
        batching_window,
        concurrency_max: environments,
        // AWS: no partial batch responses for Amazon MQ.
        report_batch_item_failures: false,
        error_rate,
        fix_deployed_at,
        is_fifo: false,
        record_overhead_bytes,
        has_filters: !filter_patterns.is_empty(),
        provisioned: None,
        name,
        is_broker: true,
    };
    Ok(BrokerSourceSpec { broker, config, filter_patterns })
}

/// What a mapping takes from its function and its queue.
struct MappingAt {
    index: usize,
    is_fifo: bool,
    error_rate: f64,
    fix_deployed_at: Option<SimTime>,
}

/// The event source mapping's keys, on the function's table (`name` none) or on a table of
/// its own under `mappings`.
fn mapping(
    t: &mut TableReader<'_>,
    path: &str,
    name: Option<String>,
    queue: sqs::QueueId,
    at: MappingAt,
) -> Result<EventSourceSpec> {
    let MappingAt { index, is_fifo, error_rate, fix_deployed_at } = at;
    let batch_size = opt(t, "batch_size", |f, p| {
        let v = f.whole_in_table(p)?;
        if is_fifo && v > FIFO_BATCH_SIZE_MAX {
            return Err(f.error(
                p,
                format!("must be a whole number from 1 to {FIFO_BATCH_SIZE_MAX} for a FIFO queue (AWS Lambda BatchSize for FIFO queues: 1 to 10)"),
            ));
        }
        Ok(v)
    })?
    .unwrap_or(10) as u32;
    let window_s = opt(t, "batching_window_s", |f, p| {
        if is_fifo {
            return Err(f.error(
                p,
                "FIFO queues take no batching window (AWS: MaximumBatchingWindowInSeconds is for standard queues)",
            ));
        }
        f.whole_in_table(p)
    })?
    .unwrap_or(0);
    if batch_size > 10 && window_s == 0 {
        return Err(t.src.error(t.origin, path, format!("batch_size {batch_size} needs batching_window_s of at least 1 (AWS: a batch size above 10 requires a batching window)")));
    }
    let scaling_max = opt(t, "scaling_max", |f, p| f.whole_in_table(p))?
        .unwrap_or(u64::from(event_source::SCALING_MAX_DEFAULT)) as u32;
    let maximum_concurrency = opt(t, "maximum_concurrency", |f, p| f.whole_in_table(p))?;
    let provisioned = provisioned(t, path, maximum_concurrency.is_some())?;
    let concurrency_max = match provisioned {
        Some(p) => p.pollers_max * event_source::INVOKES_PER_EVENT_POLLER,
        None => maximum_concurrency.map_or(scaling_max, |m| (m as u32).min(scaling_max)),
    };
    let report_batch_item_failures = opt(t, "report_batch_item_failures", |f, p| f.bool(p))?.unwrap_or(false);
    let record_overhead_bytes = opt(t, "record_overhead_bytes", |f, p| f.whole_in_table(p))?
        .map_or(event_source::RECORD_OVERHEAD_BYTES_DEFAULT, |b| b as u32);
    let filter_patterns = opt(t, "filter_patterns", filters)?.unwrap_or_default();
    if let Some((f, p)) = t.get("environments_max") {
        return Err(f.error(&p, "applies to an Amazon MQ source (\"mq.NAME\"); an SQS mapping's concurrency is `maximum_concurrency` and `scaling_max`"));
    }
    let config = event_source::Config {
        function: lambda::FunctionId(index as u32),
        batch_size,
        batching_window: SimDuration::from_secs(window_s),
        concurrency_max,
        report_batch_item_failures,
        error_rate,
        fix_deployed_at,
        is_fifo,
        record_overhead_bytes,
        has_filters: !filter_patterns.is_empty(),
        provisioned,
        name,
        is_broker: false,
    };
    Ok(EventSourceSpec { queue, config, filter_patterns })
}

/// Provisioned mode, when either of its keys is set: the event pollers' minimum and maximum,
/// AWS's defaults (2 and 200) for the one left out.
fn provisioned(
    t: &mut TableReader<'_>,
    path: &str,
    has_maximum_concurrency: bool,
) -> Result<Option<event_source::Provisioned>> {
    let pollers_min = opt(t, "provisioned_pollers_min", |f, p| f.whole_in_table(p))?;
    let pollers_max = opt(t, "provisioned_pollers_max", |f, p| f.whole_in_table(p))?;
    if pollers_min.is_none() && pollers_max.is_none() {
        return Ok(None);
    }
    if has_maximum_concurrency {
        return Err(t.src.error(t.origin, path, "maximum_concurrency cannot be set with provisioned_pollers_min or provisioned_pollers_max (AWS: ScalingConfig.MaximumConcurrency and ProvisionedPollerConfig are mutually exclusive)"));
    }
    let pollers_min = pollers_min.map_or(event_source::PROVISIONED_POLLERS_MIN_DEFAULT, |m| m as u32);
    let pollers_max = pollers_max.map_or(event_source::PROVISIONED_POLLERS_MAX_DEFAULT, |m| m as u32);
    if pollers_max < pollers_min {
        return Err(t.src.error(t.origin, path, format!("provisioned_pollers_max ({pollers_max}) is below provisioned_pollers_min ({pollers_min}); AWS requires MaximumPollers of at least MinimumPollers")));
    }
    Ok(Some(event_source::Provisioned { pollers_min, pollers_max }))
}

/// AWS validates that the function timeout does not exceed the queue's visibility timeout.
/// Its advice of at least 6 × the function timeout (plus the batching window) is a
/// set-up warning, `visibility_timeout_short` in `report::warnings`.
fn check_timeouts(queue: &sqs::Config, function: &lambda::Config) -> std::result::Result<(), String> {
    let (visibility, timeout) = (queue.visibility_timeout.as_secs_f64(), function.timeout.as_secs_f64());
    if timeout > visibility {
        return Err(format!(
            "the function timeout ({timeout} s) exceeds the visibility timeout of sqs.{} ({visibility} s); AWS rejects such a mapping",
            queue.name
        ));
    }
    Ok(())
}
