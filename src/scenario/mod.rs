//! Scenario files: the only code that reads them.
//!
//! A scenario is a TOML file of tables keyed by kind and name (`[sqs.jobs]`,
//! `[workers.pool]`, `[workload.orders]`, `[run]`, `[pricing]`). Reading goes in two steps:
//! `tree` parses the text into values that remember their position, and applies `--set`
//! overrides; `lower` resolves names to ids, applies defaults, converts units and checks
//! every value against AWS's limits. What comes out is a [`Scenario`] whose every value is
//! valid, so models never validate. Every key is listed, with its unit, default, range and AWS limit,
//! in the key table (`keys`), from which the book's reference pages and the JSON Schema are
//! generated.

mod brokers;
mod buses;
mod consumers;
mod error;
mod functions;
pub mod inputs;
pub mod keys;
mod latency;
mod lower;
mod machines;
mod offer_files;
mod price_books;
mod queues;
mod reference;
mod ses;
mod sweep;
mod thresholds;

pub use thresholds::{Comparison, OverPoints, Threshold};
pub use tree::closest;

/// Every setting of a scenario text with its overrides, as `dotted.key.path` → TOML value
/// text (what `orchsim diff` compares to say which settings changed).
pub fn settings(
    file: &str,
    text: &str,
    overrides: &[String],
) -> Result<std::collections::BTreeMap<String, String>, ScenarioError> {
    let src = tree::Source { file, text, overrides };
    let mut root = tree::parse(file, text)?;
    tree::apply_overrides(&mut root, &src)?;
    let mut out = std::collections::BTreeMap::new();
    fn walk(prefix: &str, node: &tree::Node, out: &mut std::collections::BTreeMap<String, String>) {
        match &node.value {
            tree::Value::Table(t) => {
                for (k, (_, v)) in t {
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&key, v, out);
                }
            }
            _ => {
                out.insert(prefix.to_string(), toml_text(node));
            }
        }
    }
    walk("", &root, &mut out);
    Ok(out)
}

pub use sweep::{Axis, SweepSpec, toml_text};
mod topics;
mod traffic;
mod tree;
mod workloads;

use std::path::{Path, PathBuf};

pub use error::{Location, ScenarioError};
/// The us-east-1 price book orchsim ships (`pricing/us-east-1.toml`).
pub use price_books::shipped as shipped_price_book;
pub use reference::{json_schema, reference_index, reference_pages};
pub use traffic::{Traffic, TrafficBasis};

use crate::distributions::{Categorical, Distribution};
use crate::engine::{SimDuration, SimTime};
use crate::models::{endpoint, eventbridge, lambda, sns, sqs, step_functions, workers};
use crate::pricing::Pricing;
use crate::workload::{ArrivalProcess, GroupKeys, Window};

/// A validated scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file's stem, used to name result folders.
    pub name: String,
    /// As given by the user, for messages and the manifest.
    pub file: String,
    /// SHA-256 of the file's bytes, hex.
    pub source_sha256: String,
    /// The file's text, kept with the results (`scenario.toml`) so that a diff can say which
    /// settings changed.
    pub text: String,
    pub overrides: Vec<String>,
    pub run: RunConfig,
    pub workloads: Vec<WorkloadConfig>,
    /// Indexed by [`sqs::QueueId`].
    pub queues: Vec<sqs::Config>,
    pub pools: Vec<PoolConfig>,
    /// Scheduled redrives out of dead-letter queues.
    pub redrives: Vec<RedriveTask>,
    /// Indexed by `lambda::FunctionId`.
    pub functions: Vec<FunctionConfig>,
    pub lambda_account: lambda::Account,
    /// Indexed by `sns::TopicId`.
    pub topics: Vec<sns::TopicConfig>,
    /// Indexed by `sns::SubscriptionId`.
    pub subscriptions: Vec<SubscriptionSpec>,
    pub endpoints: Vec<endpoint::Config>,
    /// Indexed by `eventbridge::BusId`.
    pub buses: Vec<crate::models::eventbridge::BusConfig>,
    /// Indexed by `eventbridge::RuleId`.
    pub rules: Vec<RuleSpec>,
    /// State machines, by index.
    pub machines: Vec<step_functions::runtime::MachineConfig>,
    /// Step Functions activities and their workers.
    pub activities: Vec<step_functions::runtime::ActivityConfig>,
    /// The account's SES quotas, if the scenario sends email.
    pub ses: Option<crate::models::ses::Config>,
    /// Amazon MQ brokers, by index.
    pub brokers: Vec<crate::models::mq::BrokerConfig>,
    /// The `[sweep]` table: ignored by a single run, read by `orchsim sweep`.
    pub sweep: Option<SweepSpec>,
    /// The `[thresholds]` table: conditions `orchsim check` evaluates.
    pub thresholds: Vec<Threshold>,
    /// Every Region's price book the scenario uses, and which Region prices each resource.
    pub pricing: Pricing,
    /// Valid but inadvisable settings, with AWS's advice (printed, and kept in the manifest).
    pub warnings: Vec<String>,
    /// AWS's own call and hop latencies (`[latency]`).
    pub latency: crate::models::latency::LatencyConfig,
}

/// One `[subscription.NAME]` table: the model's configuration and the world's routing.
#[derive(Clone, Debug)]
pub struct SubscriptionSpec {
    pub subscription: sns::SubscriptionConfig,
    pub target: SubscriptionTarget,
    pub dead_letter_queue: Option<sqs::QueueId>,
}

pub use buses::RuleTarget;
pub use topics::SubscriptionTarget;

/// One `[rule.NAME]` table: the model's configuration and the world's routing.
#[derive(Clone, Debug)]
pub struct RuleSpec {
    pub rule: eventbridge::RuleConfig,
    pub targets: Vec<RuleTarget>,
    /// Each target's dead-letter queue, in the order of `targets`.
    pub dead_letter_queues: Vec<Option<sqs::QueueId>>,
}

/// One `[lambda.NAME]` table: the function, and its SQS event source mapping if it has a
/// `source`.
#[derive(Clone, Debug)]
pub struct FunctionConfig {
    pub function: lambda::Config,
    /// Its SQS event source mappings: none, the one of `source`, or those of `mappings`.
    pub event_sources: Vec<EventSourceSpec>,
    /// Its Amazon MQ event source mappings, likewise (after the SQS ones in the world's
    /// order of mappings).
    pub broker_sources: Vec<BrokerSourceSpec>,
    /// The handler sends an email through SES for each message it handles, after its run.
    pub email: Option<EmailSender>,
    /// Where a dropped asynchronous event goes: the on-failure destination gets Lambda's
    /// invocation record, the dead-letter queue the event itself; both when both are set.
    pub on_failure: Option<AsyncDestination>,
    pub dead_letter: Option<AsyncDestination>,
    /// Where a processed asynchronous event's invocation record goes.
    pub on_success: Option<AsyncDestination>,
}

/// One SQS event source mapping of a function.
#[derive(Clone, Debug)]
pub struct EventSourceSpec {
    pub queue: sqs::QueueId,
    pub config: lambda::event_source::Config,
    /// The mapping's `FilterCriteria` (OR'd; empty: every message reaches the function).
    pub filter_patterns: Vec<crate::models::filter_policy::EventPattern>,
}

/// One Amazon MQ event source mapping of a function: Lambda's pollers consume the
/// broker's queue.
#[derive(Clone, Debug)]
pub struct BrokerSourceSpec {
    pub broker: u32,
    pub config: lambda::event_source::Config,
    /// The mapping's `FilterCriteria` on the record's `data` (OR'd; empty: every message
    /// reaches the function).
    pub filter_patterns: Vec<crate::models::filter_policy::EventPattern>,
}

/// An asynchronous invocation's on-failure destination or dead-letter queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsyncDestination {
    Queue(sqs::QueueId),
    Topic(crate::models::sns::TopicId),
    Bus(crate::models::eventbridge::BusId),
    Function(u32),
}

/// The `[run]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    pub seed: u64,
    /// `start_time`: the wall-clock time at virtual time 0, in seconds since 1970, for
    /// Wait states with a literal `Timestamp`.
    pub start_epoch_s: Option<i64>,
    pub horizon: SimTime,
    pub warmup: SimDuration,
    pub events_max: u64,
    /// The memory a run may use, in MiB: a scenario whose floor (see `lower`) is above it
    /// is refused, and a run whose process grows past it stops with an error.
    pub memory_max_mb: u64,
    pub sample_interval: SimDuration,
    /// Whether each sample also takes what CloudWatch would report (`orchsim backtest`
    /// compares it with the exports); not a scenario key, and off for every other run.
    pub cloudwatch_series: bool,
    /// `traffic`: whether the run's cost may be projected to a month, and why.
    pub traffic: TrafficBasis,
}

/// One `[workload.NAME]` table.
#[derive(Clone, Debug)]
pub struct WorkloadConfig {
    pub name: String,
    /// The name its random streams are drawn from (its own name unless given): workloads
    /// with the same stream send the same arrivals, sizes and content.
    pub stream: String,
    pub target: Target,
    pub process: ArrivalProcess,
    pub window: Window,
    pub message_size_bytes: Distribution,
    /// Per-message DelaySeconds (standard queues only).
    pub message_timer_s: Option<Distribution>,
    /// Share of messages that fail processing until the consumer's fix is deployed.
    pub poison_fraction: f64,
    /// FIFO targets: how message group ids are drawn.
    pub groups: Option<GroupKeys>,
    /// Share of messages the producer sends twice (a retry after a lost response).
    pub duplicate_send_fraction: f64,
    pub duplicate_send_delay: SimDuration,
    /// SendMessageBatch: up to this many messages per call (1 = SendMessage).
    pub send_batch_max: u8,
    /// How long a partly filled batch waits for more messages.
    pub send_batch_linger: SimDuration,
    /// The producer's SDK client: retry mode and attempts per throttled call.
    pub retry: crate::models::client::RetryConfig,
    /// SNS targets: message attributes to generate (for filter policies).
    pub attributes: Vec<FieldSpec>,
    /// SNS targets: JSON body fields to generate (for MessageBody filter policies); dotted
    /// names nest.
    pub body: Vec<FieldSpec>,
}

/// Where a workload sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Queue(sqs::QueueId),
    Topic(sns::TopicId),
    Bus(eventbridge::BusId),
    /// StartExecution (or StartSyncExecution) of a state machine.
    Machine(u32),
    /// SES SendEmail (or an SMTP transaction): one email per message.
    Ses(crate::models::ses::Interface),
    /// An Amazon MQ broker's queue.
    Broker(u32),
    /// A synchronous Lambda Invoke (RequestResponse) of a function.
    Function(u32),
}

/// A generated message field.
#[derive(Clone, Debug)]
pub struct FieldSpec {
    pub name: String,
    pub generator: FieldGenerator,
}

#[derive(Clone, Debug)]
pub enum FieldGenerator {
    Text(Categorical),
    /// A `String.Array` attribute, or a list of strings in the body: between `items_min` and
    /// `items_max` different values, drawn by weight.
    TextList {
        values: Categorical,
        items_min: usize,
        items_max: usize,
    },
    Number(Distribution),
}

/// A redrive (StartMessageMoveTask) scheduled at a scenario time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RedriveTask {
    pub dead_letter_queue: sqs::QueueId,
    /// `None`: each message goes back to the queue it was dead-lettered from.
    pub destination: Option<sqs::QueueId>,
    pub at: SimTime,
    pub rate_per_s: f64,
}

/// One `[workers.NAME]` table.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    pub source: sqs::QueueId,
    pub pool: workers::Config,
    /// Each message processed successfully is confirmed by an email through SES before it
    /// is deleted.
    pub email: Option<EmailSender>,
}

/// A caller that sends email through SES with its own SDK client.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EmailSender {
    pub interface: crate::models::ses::Interface,
    pub retry: crate::models::client::RetryConfig,
}

/// The largest scenario file read: 128 MiB, whose reading peaks near 6 GiB.
const SCENARIO_BYTES_MAX: u64 = 128 << 20;

impl Scenario {
    /// Reads, overrides and validates the scenario at `path`.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        if let Ok(meta) = std::fs::metadata(path)
            && meta.len() > SCENARIO_BYTES_MAX
        {
            return Err(ScenarioError::in_file(
                &file,
                "",
                format!(
                    "the scenario is {} MiB; files above {} MiB are refused, as reading one takes about 45 times its size in memory (a million subscriptions take 64 MiB)",
                    meta.len().div_ceil(1 << 20),
                    SCENARIO_BYTES_MAX >> 20
                ),
            ));
        }
        let bytes = std::fs::read(path)
            .map_err(|e| ScenarioError::in_file(&file, "", format!("cannot read the scenario: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| ScenarioError::in_file(&file, "", "the scenario is not UTF-8 text"))?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::from_text(&file, &text, &base_dir, overrides)
    }

    /// Like [`Scenario::load`] for text already in memory; relative paths inside it (trace and
    /// distribution files) resolve against `base_dir`.
    pub fn from_text(file: &str, text: &str, base_dir: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        let src = tree::Source { file, text, overrides };
        let mut root = tree::parse(file, text)?;
        tree::apply_overrides(&mut root, &src)?;
        let name =
            Path::new(file).file_stem().map_or_else(|| "scenario".to_string(), |s| s.to_string_lossy().into_owned());
        let lowered = lower::lower(&src, &root, base_dir)?;
        Ok(Scenario {
            name,
            file: file.to_string(),
            source_sha256: sha256_hex(text.as_bytes()),
            text: text.to_string(),
            overrides: overrides.to_vec(),
            run: lowered.run,
            workloads: lowered.workloads,
            queues: lowered.queues,
            pools: lowered.pools,
            redrives: lowered.redrives,
            functions: lowered.functions,
            lambda_account: lowered.lambda_account,
            topics: lowered.topics,
            subscriptions: lowered.subscriptions,
            endpoints: lowered.endpoints,
            buses: lowered.buses,
            rules: lowered.rules,
            machines: lowered.machines,
            activities: lowered.activities,
            ses: lowered.ses,
            brokers: lowered.brokers,
            sweep: lowered.sweep,
            thresholds: lowered.thresholds,
            warnings: lowered.warnings,
            pricing: lowered.pricing,
            latency: lowered.latency,
        })
    }

    /// The same scenario with another seed (what `--seed` does).
    pub fn with_seed(mut self, seed: u64) -> Scenario {
        self.run.seed = seed;
        self
    }
}

/// Files a scenario may name (traces, empirical distributions) are resolved relative to the
/// scenario's own folder.
fn resolve(base_dir: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() { p.to_path_buf() } else { base_dir.join(p) }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The first 12 hex digits of SHA-256, for naming things after their content.
pub fn short_hash(text: &str) -> String {
    sha256_hex(text.as_bytes())[..12].to_string()
}
