//! The command line: the only code that talks to a person.
//!
//! Exit codes: 0 success; 2 bad input (a scenario error, a bad flag); 1 anything else (for
//! example a result folder that cannot be written); 130 interrupted by Ctrl-C (128 + SIGINT,
//! as shells report it).

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::models::filter_policy::{EventPattern, FilterPolicy, Mismatch};
use crate::report;
use crate::run;
use crate::scenario::inputs;
use crate::scenario::{Scenario, ScenarioError};

#[derive(Debug, Parser)]
#[command(
    name = "orchsim",
    version,
    about = "Simulate AWS messaging and orchestration in virtual time: latency and cost before you deploy"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario once, print a summary and write the results folder.
    Run(RunArgs),
    /// Check a scenario (with its overrides) without running it.
    Validate(ScenarioArgs),
    /// Print what AWS would do for a scenario element, e.g. a subscription's retry schedule.
    Explain(ExplainArgs),
    /// Run a state machine as Standard and as Express on the same draws; compare cost and latency.
    Compare(CompareArgs),
    /// Run a scenario's [sweep]: every point of its axes, `replications` times, in parallel.
    Sweep(SweepArgs),
    /// Combine the results folders of a sweep's shards into one complete sweep.
    Merge(MergeArgs),
    /// Redraw the charts and report.html of a run's or a sweep's results folder.
    Chart(ChartArgs),
    /// Run scenarios (or their sweeps) and check their [thresholds]: exit 1 if any fails.
    Check(CheckArgs),
    /// Compare two run results folders metric by metric; exit 1 beyond tolerance.
    Diff(DiffArgs),
    /// Check an SNS filter policy or an EventBridge event pattern against messages, without a
    /// simulation: `match`, or `no match` and the first key that failed, per message.
    Match(MatchArgs),
    /// Turn an AWS SAM or CloudFormation template (YAML or JSON) into a scenario that runs:
    /// queues, topics, subscriptions, functions (on demand or on Managed Instances) and their
    /// SQS and Amazon MQ event sources, buses, rules and schedules, state machines and brokers,
    /// with placeholder traffic and run times marked TODO.
    Import(ImportArgs),
    /// Fit scenario figures (durations, INIT, error shares, arrivals) from exported AWS
    /// telemetry: Lambda REPORT lines, CloudWatch get-metric-statistics or get-metric-data
    /// JSON, Step Functions histories and Express logs, X-Ray traces.
    Fit(FitArgs),
    /// Run a scenario on the traffic CloudWatch observed and compare each observed series
    /// (and, with --cur, the bill) with the run's; exit 1 when a metric is beyond tolerance.
    Backtest(BacktestArgs),
    /// Print a shell completion script: bash, zsh, fish or powershell.
    Completions(CompletionsArgs),
    /// Write man pages: orchsim.1 and one page per command (orchsim-run.1, …).
    Man(ManArgs),
    /// Print the JSON Schema of scenario files, for editors (Taplo: a `#:schema` first line).
    Schema(SchemaArgs),
}

#[derive(Debug, Args)]
struct BacktestArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// The folder of CloudWatch exports (get-metric-data or get-metric-statistics JSON), each
    /// file recognised from its content.
    #[arg(long, value_name = "DIR")]
    observed: PathBuf,
    /// A Cost and Usage Report (CSV, CUR 2.0 or legacy column names) to compare the bill with.
    #[arg(long, value_name = "FILE")]
    cur: Option<PathBuf>,
    /// A metric's tolerance, by full name, metric name, `bill` or `*` (repeatable), e.g.
    /// --tolerance ApproximateNumberOfMessagesVisible=30%.
    #[arg(long = "tolerance", value_name = "NAME=X%")]
    tolerances: Vec<String>,
    /// The run's seed (instead of run.seed); it also spreads each period's arrivals.
    #[arg(long)]
    seed: Option<u64>,
    /// The results folder [default: results/<scenario>/backtest].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the results folder if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
struct SchemaArgs {
    /// Write the schema to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct CompletionsArgs {
    /// The shell whose completion script to print.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
struct ManArgs {
    /// Write orchsim.1 and orchsim-COMMAND.1 for every command into this folder; without it,
    /// orchsim.1 alone goes to standard output.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The template (YAML or JSON).
    template: PathBuf,
    /// A template parameter's value, instead of its Default (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    parameters: Vec<String>,
    /// Write the scenario here instead of standard output.
    #[arg(long, value_name = "FILE.toml")]
    out: Option<PathBuf>,
    /// The Region that `AWS::Region` stands for in conditions and mapping keys.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Where SAM `DefinitionUri` files are looked up [default: the template's folder].
    #[arg(long, value_name = "DIR")]
    definitions_dir: Option<PathBuf>,
    /// Print what was understood, in AWS's terms, as JSON on standard output (the scenario
    /// still goes to --out when given).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct FitArgs {
    /// The exports, any mix of formats; each is recognised from its content.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Write the figures into this scenario file in place (keeping its comments and layout)
    /// instead of printing a TOML fragment.
    #[arg(long, value_name = "SCENARIO.toml")]
    into: Option<PathBuf>,
    /// The element the figures are for, e.g. lambda.orders [default: the function of a
    /// /aws/lambda/NAME log group named in the input].
    #[arg(long, value_name = "KIND.NAME")]
    element: Option<String>,
    /// Print JSON: {"inputs", "element", "figures", "refused", "notes"}.
    #[arg(long)]
    json: bool,
    /// Where to write a replay trace, when per-period counts fit no arrival schedule
    /// [default: NAME-arrivals.csv beside the --into scenario].
    #[arg(long, value_name = "TRACE.csv")]
    trace: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct MatchArgs {
    /// An SNS subscription filter policy (JSON), checked against --message.
    #[arg(long, value_name = "FILE", requires = "message", conflicts_with_all = ["pattern", "event"])]
    policy: Option<PathBuf>,
    /// The SNS message: its MessageAttributes JSON ({"store": {"DataType": "String", "StringValue": "x"}})
    /// for --scope attributes, its body for --scope body; JSON Lines for one message per line.
    #[arg(long, value_name = "FILE", requires = "policy")]
    message: Option<PathBuf>,
    /// What the policy applies to, the subscription's FilterPolicyScope [default: attributes].
    #[arg(long, value_parser = ["attributes", "body"], requires = "policy")]
    scope: Option<String>,
    /// An EventBridge event pattern (JSON), checked against --event.
    #[arg(long, value_name = "FILE", requires = "event")]
    pattern: Option<PathBuf>,
    /// The EventBridge event (JSON); JSON Lines for one event per line.
    #[arg(long, value_name = "FILE", requires = "pattern")]
    event: Option<PathBuf>,
    /// One JSON object per message: {"line", "matched", "failed_key", "expected", "found"}.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The scenario files.
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    /// Overrides for every scenario, e.g. --set run.horizon_s=600 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    overrides: Vec<String>,
    /// Also write the outcome as JUnit XML.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Succeed when no scenario has a condition to check (by default that is bad input: a
    /// gate that checks nothing would pass silently).
    #[arg(long)]
    allow_empty: bool,
}

#[derive(Debug, Args)]
struct DiffArgs {
    /// The baseline results folder.
    baseline: PathBuf,
    /// The candidate results folder.
    candidate: PathBuf,
    /// How much metrics may move: PATTERN=5% (a share) or PATTERN=50 (an amount); `*`
    /// matches any text; the last match wins [default: *=5%] (repeatable).
    #[arg(long = "tolerance", value_name = "PATTERN=AMOUNT")]
    tolerances: Vec<String>,
}

#[derive(Debug, Args)]
struct ChartArgs {
    /// A results folder written by orchsim run or orchsim sweep.
    dir: PathBuf,
}

#[derive(Debug, Args)]
struct SweepArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// The results folder [default: results/<scenario>/sweep].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads [default: one per core].
    #[arg(long)]
    threads: Option<usize>,
    /// Run only shard K of N (1 ≤ K ≤ N): runs K−1, K−1+N, K−1+2N, …
    #[arg(long, value_name = "K/N", conflicts_with = "shard_from_env")]
    shard: Option<String>,
    /// Take the shard from an array job's environment (SLURM_ARRAY_TASK_ID,
    /// AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX).
    #[arg(long)]
    shard_from_env: bool,
    /// The number of shards, for AWS Batch and Kubernetes (and to override Slurm's).
    #[arg(long, value_name = "N")]
    shard_count: Option<u32>,
    /// Replace a results folder that holds something else.
    #[arg(long)]
    force: bool,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// The shards' results folders.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Where the complete sweep goes.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct CompareArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// The state machine to compare (its [step_functions.NAME] name); needed if there are several.
    #[arg(long)]
    machine: Option<String>,
    /// Which Express: async (StartExecution) or sync (StartSyncExecution).
    #[arg(long, default_value = "async", value_parser = ["async", "sync"])]
    express: String,
    /// Also price these monthly volumes (repeatable).
    #[arg(long = "executions-per-month", value_name = "N")]
    volumes: Vec<f64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// The results folder [default: results/<scenario>/compare].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the results folder if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
struct ExplainArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// The subscription whose retry schedule to print (its [subscription.NAME] name).
    #[arg(long)]
    subscription: String,
    /// Print JSON: {"attempts": [{"attempt", "phase", "delay_s", "offset_s"}], "retries", "span_s"}.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ScenarioArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// Override any value by its dotted path, e.g. --set workers.pool.count=4 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    overrides: Vec<String>,
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// The run's seed (instead of run.seed).
    #[arg(long)]
    seed: Option<u64>,
    /// The results folder [default: results/<scenario>/<label>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Do not print the summary table.
    #[arg(long)]
    quiet: bool,
    /// Replace the results folder if it exists.
    #[arg(long)]
    force: bool,
}

/// Why the process failed, and so its exit code.
#[derive(Debug)]
pub enum Failure {
    BadInput(String),
    Other(anyhow::Error),
    /// Ctrl-C: what was and was not written.
    Interrupted(String),
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::BadInput(_) => 2,
            Failure::Other(_) => 1,
            Failure::Interrupted(_) => 130,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::BadInput(msg) | Failure::Interrupted(msg) => write!(f, "{msg}"),
            Failure::Other(e) => write!(f, "{e:#}"),
        }
    }
}

impl From<ScenarioError> for Failure {
    fn from(e: ScenarioError) -> Self {
        Failure::BadInput(format!("error: {e}"))
    }
}

/// Parses `args` (including the program name) and runs the command.
pub fn run(args: Vec<String>) -> Result<(), Failure> {
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            return Err(Failure::BadInput(e.to_string().trim_end().to_string()));
        }
        Err(e) => {
            print!("{e}");
            return Ok(());
        }
    };
    match cli.command {
        Command::Run(a) => run_command(a, &args),
        Command::Compare(a) => compare_command(a),
        Command::Sweep(a) => sweep_command(a),
        Command::Merge(a) => merge_command(a),
        Command::Chart(a) => chart_command(a),
        Command::Check(a) => check_command(a),
        Command::Diff(a) => diff_command(a),
        Command::Match(a) => match_command(a),
        Command::Import(a) => import_command(a),
        Command::Fit(a) => fit_command(a),
        Command::Backtest(a) => backtest_command(a, &args),
        Command::Completions(a) => {
            use clap::CommandFactory as _;
            clap_complete::generate(a.shell, &mut Cli::command(), "orchsim", &mut std::io::stdout());
            Ok(())
        }
        Command::Man(a) => man_command(a),
        Command::Schema(a) => {
            let schema = crate::scenario::json_schema();
            match a.out {
                None => print!("{schema}"),
                Some(out) => write_whole(&out, &schema).map_err(|e| {
                    Failure::Other(anyhow::anyhow!("error: cannot write the schema to {}: {e}", out.display()))
                })?,
            }
            Ok(())
        }
        Command::Explain(a) => {
            let scenario = Scenario::load(&a.scenario.scenario, &a.scenario.overrides)?;
            let (protocol, policy) = report::subscription_policy(&scenario, &a.subscription)
                .map_err(|e| Failure::BadInput(format!("error: {e}")))?;
            if a.json {
                print!("{}", report::explain_json(&a.subscription, protocol, &policy));
            } else {
                print!("{}", report::explain_text(&a.subscription, protocol, &policy));
            }
            Ok(())
        }
        Command::Validate(a) => {
            let scenario = Scenario::load(&a.scenario, &a.overrides)?;
            crate::gate::validate(&scenario)?;
            print_warnings(&scenario);
            print_set_up_warnings(&scenario);
            let is_subscriber =
                |r: &&crate::scenario::RuleSpec| r.rule.kind == crate::models::eventbridge::RouteKind::Subscriber;
            let subscribers = scenario.rules.iter().filter(is_subscriber).count();
            let counts = [
                (scenario.workloads.len(), "workload(s)"),
                (scenario.queues.len(), "queue(s)"),
                (scenario.pools.len(), "worker pool(s)"),
                (scenario.functions.len(), "function(s)"),
                (scenario.topics.len(), "topic(s)"),
                (scenario.subscriptions.len(), "subscription(s)"),
                (scenario.buses.len(), "event bus(es)"),
                (scenario.rules.len() - subscribers, "rule(s)"),
                (subscribers, "subscriber(s)"),
                (scenario.machines.len(), "state machine(s)"),
                (scenario.activities.len(), "activity(ies)"),
                (usize::from(scenario.ses.is_some()), "SES account"),
                (scenario.brokers.len(), "Amazon MQ broker(s)"),
            ];
            // Only what the scenario has.
            let parts: Vec<String> =
                counts.iter().filter(|(n, _)| *n > 0).map(|(n, what)| format!("{n} {what}")).collect();
            println!("{}: valid ({})", a.scenario.display(), parts.join(", "));
            Ok(())
        }
    }
}

/// The man pages, each as (file name, roff text): `orchsim.1`, then `orchsim-COMMAND.1` for
/// every command, as git and cargo name theirs, so `man orchsim-run` finds one.
fn man_pages() -> Result<Vec<(String, Vec<u8>)>, std::io::Error> {
    use clap::CommandFactory as _;
    let root = Cli::command();
    let mut pages = Vec::new();
    let mut text = Vec::new();
    clap_mangen::Man::new(root.clone()).render(&mut text)?;
    pages.push(("orchsim.1".to_string(), text));
    for sub in root.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("orchsim-{}", sub.get_name());
        // The page's title and synopsis name the command as it is typed.
        let command = sub.clone().name(name.clone()).bin_name(format!("orchsim {}", sub.get_name()));
        let mut text = Vec::new();
        clap_mangen::Man::new(command).source(concat!("orchsim ", env!("CARGO_PKG_VERSION"))).render(&mut text)?;
        pages.push((format!("{name}.1"), text));
    }
    Ok(pages)
}

fn man_command(a: ManArgs) -> Result<(), Failure> {
    let pages = man_pages().map_err(|e| Failure::Other(anyhow::anyhow!(e)))?;
    let Some(dir) = a.out else {
        std::io::stdout().write_all(&pages[0].1).map_err(|e| Failure::Other(anyhow::anyhow!(e)))?;
        return Ok(());
    };
    let cannot =
        |e: std::io::Error| Failure::Other(anyhow::anyhow!("error: cannot write man pages to {}: {e}", dir.display()));
    std::fs::create_dir_all(&dir).map_err(cannot)?;
    // Each page goes to a temporary name first, so an interrupted write leaves no page cut short.
    for (name, text) in &pages {
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).map_err(cannot)?;
        std::fs::rename(&tmp, dir.join(name)).map_err(cannot)?;
    }
    println!("wrote {} man pages to {}", pages.len(), dir.display());
    Ok(())
}

fn sweep_failure(e: crate::sweep::SweepError) -> Failure {
    match e {
        crate::sweep::SweepError::Scenario(e) => Failure::from(e),
        crate::sweep::SweepError::Results(m) => Failure::BadInput(format!("error: {m}")),
        crate::sweep::SweepError::Io(e) => Failure::Other(anyhow::anyhow!(e)),
        crate::sweep::SweepError::Audit(m) => Failure::Other(anyhow::anyhow!(m)),
        crate::sweep::SweepError::OverMemory(m) => Failure::BadInput(format!("error: {m}; its file was not written")),
        e @ crate::sweep::SweepError::Interrupted { .. } => Failure::Interrupted(e.to_string()),
    }
}

/// The flag Ctrl-C raises, its handler installed on first use. The loops look at it (a run
/// every 100,000 events, a sweep before each run and in each run under way) and stop with
/// nothing half written; a second Ctrl-C ends the process at once.
fn interrupt_flag() -> &'static AtomicBool {
    static FLAG: AtomicBool = AtomicBool::new(false);
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // If a handler cannot be installed, Ctrl-C ends the process as it would anyway.
        let _ = ctrlc::set_handler(|| {
            if FLAG.swap(true, Ordering::SeqCst) {
                eprintln!("interrupted");
                std::process::exit(130);
            }
        });
    });
    &FLAG
}

/// A run's watcher that stops it once `flag` is raised.
fn stop_on(flag: &AtomicBool) -> run::Watch {
    if flag.load(Ordering::Relaxed) { run::Watch::Stop } else { run::Watch::GoOn }
}

fn nothing_written() -> Failure {
    Failure::Interrupted("interrupted: nothing written".into())
}

/// `error: cannot write results to PATH: REASON`, for a results folder checked before a run
/// or failing during the write.
fn cannot_write(out: &Path, reason: impl std::fmt::Display) -> Failure {
    Failure::Other(anyhow::anyhow!("error: cannot write results to {}: {reason}", out.display()))
}

fn sweep_command(a: SweepArgs) -> Result<(), Failure> {
    // The whole sweep runs in its thread pool: loading the plan checks its points on it,
    // and each step hands over to the next on the pool's threads, without waking this one
    // in between.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.unwrap_or(0))
        .build()
        .map_err(|e| Failure::Other(anyhow::anyhow!(e)))?;
    pool.install(|| sweep_in_pool(&a))
}

fn sweep_in_pool(a: &SweepArgs) -> Result<(), Failure> {
    use crate::sweep::{self, Plan, Shard};
    let plan = Plan::load(&a.scenario.scenario, &a.scenario.overrides)?;
    let shard = match (&a.shard, a.shard_from_env) {
        (Some(text), _) => Some(Shard::parse(text).map_err(|m| Failure::BadInput(format!("error: {m}")))?),
        (None, true) => Some(
            Shard::from_env(|k| std::env::var(k).ok(), a.shard_count)
                .map_err(|m| Failure::BadInput(format!("error: {m}")))?,
        ),
        (None, false) => None,
    };
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from("results").join(&plan.name).join("sweep"));
    report::prepare_folder(&out).map_err(|e| cannot_write(&out, e))?;
    let stop = interrupt_flag();
    let failure = |e: sweep::SweepError| match e {
        sweep::SweepError::Io(e) => cannot_write(&out, e),
        e => sweep_failure(e),
    };
    if !a.quiet {
        let share = shard.map(|s| format!(" (shard {} of {})", s.index + 1, s.count)).unwrap_or_default();
        eprintln!("sweep of {}{share}: {}", plan.name, sweep::describe(&plan));
    }
    let total = plan.runs.iter().filter(|r| shard.is_none_or(|s| s.takes(r.index))).count();
    let reporter = Reporter::new(total, a.quiet);
    let progress = |done: usize, of: usize| reporter.update(done, of, a.quiet);
    let executed = sweep::execute_keeping(&plan, &out, shard, a.force, &progress, stop);
    reporter.finish();
    let sweep::Executed { ran, kept } = executed.map_err(failure)?;
    if shard.is_some_and(|s| s.count > 1) {
        println!(
            "{}: {ran} run(s) of this shard done; when every shard is, combine them with orchsim merge",
            out.display()
        );
        return Ok(());
    }
    // What the runs kept in memory spares reading their files back.
    sweep::aggregate_and_write(&plan, std::slice::from_ref(&out), kept, &out).map_err(failure)?;
    println!("results: {} ({ran} run(s) run now, {} in all)", out.display(), plan.runs.len());
    Ok(())
}

/// How long a run goes before it shows progress: a shorter one shows none.
const RUN_QUIET: Duration = Duration::from_secs(2);
/// The least time between two plain progress lines (when stderr is not a terminal).
const LINE_EVERY: Duration = Duration::from_secs(10);

/// Progress of one run for people, fed by the run's watcher (every 100,000 events): nothing
/// for a run that ends within [`RUN_QUIET`]; then, on a terminal, a bar of the virtual time
/// reached over the horizon, as `sweep` draws; otherwise a plain line at most every
/// [`LINE_EVERY`], so a run shorter than that prints none.
struct RunProgress {
    started: Instant,
    quiet: bool,
    terminal: bool,
    bar: Option<indicatif::ProgressBar>,
    last_line: Instant,
}

impl RunProgress {
    fn new(quiet: bool) -> RunProgress {
        let now = Instant::now();
        RunProgress { started: now, quiet, terminal: std::io::stderr().is_terminal(), bar: None, last_line: now }
    }

    fn look(&mut self, p: run::Progress) {
        if self.quiet {
            return;
        }
        let share = if p.horizon_s > 0.0 { (p.virtual_s / p.horizon_s).clamp(0.0, 1.0) } else { 0.0 };
        let elapsed = self.started.elapsed();
        // The rest of the horizon at the pace so far (a run that drains ends sooner).
        let eta = if share > 0.0 { elapsed.as_secs_f64() * (1.0 - share) / share } else { f64::NAN };
        if self.terminal {
            if elapsed < RUN_QUIET {
                return;
            }
            let bar = self.bar.get_or_insert_with(|| {
                let bar = indicatif::ProgressBar::new(1000).with_elapsed(elapsed);
                bar.set_style(
                    indicatif::ProgressStyle::with_template("[{elapsed_precise}] {bar:30} {msg}")
                        .expect("a valid template"),
                );
                bar
            });
            bar.set_position((share * 1000.0) as u64);
            bar.set_message(format!("{:.0} % of {:.0} s virtual, ETA {eta:.0} s", share * 100.0, p.horizon_s));
        } else if self.last_line.elapsed() >= LINE_EVERY {
            self.last_line = Instant::now();
            eprintln!(
                "progress: {:.0} of {:.0} s of virtual time ({:.0} %), {} events, {:.0} s elapsed, about {eta:.0} s to go",
                p.virtual_s,
                p.horizon_s,
                share * 100.0,
                p.events,
                elapsed.as_secs_f64()
            );
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Progress for people: a bar with an ETA on a terminal, plain lines at most every 10 s
/// (and at the end) otherwise.
struct Reporter {
    bar: indicatif::ProgressBar,
    started: Instant,
    last_line: std::sync::Mutex<Instant>,
}

impl Reporter {
    fn new(total: usize, quiet: bool) -> Reporter {
        let bar = if quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(total as u64) };
        bar.set_style(
            indicatif::ProgressStyle::with_template("[{elapsed_precise}] {bar:40} {pos}/{len} runs, ETA {eta}")
                .expect("a valid template"),
        );
        Reporter { bar, started: Instant::now(), last_line: std::sync::Mutex::new(Instant::now()) }
    }

    fn update(&self, done: usize, total: usize, quiet: bool) {
        self.bar.set_position(done as u64);
        if quiet || !self.bar.is_hidden() {
            return;
        }
        let mut last = self.last_line.lock().expect("progress lock");
        if done == total || last.elapsed() >= Duration::from_secs(10) {
            *last = Instant::now();
            let elapsed = self.started.elapsed().as_secs_f64();
            let eta = if done > 0 { elapsed / done as f64 * (total - done) as f64 } else { 0.0 };
            eprintln!("progress: {done}/{total} runs, {elapsed:.0} s elapsed, about {eta:.0} s to go");
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn check_command(a: CheckArgs) -> Result<(), Failure> {
    use crate::gate;
    let mut outcomes = Vec::new();
    for path in &a.scenarios {
        let scenario = Scenario::load(path, &a.overrides)?;
        gate::validate(&scenario)?;
        if scenario.thresholds.is_empty() {
            println!("{}: no [thresholds] to check", path.display());
            continue;
        }
        let found = if scenario.sweep.is_some() {
            let plan = crate::sweep::Plan::load(path, &a.overrides)?;
            // Check's own folder, replaced when the scenario has changed since.
            let out = PathBuf::from("results").join(&plan.name).join("check");
            let executed = crate::sweep::execute_keeping(&plan, &out, None, true, &|_, _| {}, &AtomicBool::new(false))
                .map_err(sweep_failure)?;
            let files = crate::sweep::aggregate_kept(&plan, std::slice::from_ref(&out), executed.kept)
                .map_err(sweep_failure)?;
            crate::sweep::write_aggregate(&out, &files)
                .context("cannot write the sweep's results")
                .map_err(Failure::Other)?;
            let summary = files.iter().find(|(n, _)| n == "summary.csv").map(|(_, b)| b.as_slice()).unwrap_or_default();
            let axes: Vec<String> = plan.spec.axes.iter().map(|x| x.key.clone()).collect();
            gate::evaluate_sweep(&scenario.name, &scenario.thresholds, &gate::points_from_summary(summary, &axes))
        } else {
            let result = run_audited(&scenario, "", &mut |_| run::Watch::GoOn)?;
            let metrics = report::flat_metrics(&scenario, &result).into_iter().collect();
            gate::evaluate_run(&scenario.name, &scenario.thresholds, &metrics)
        };
        outcomes.extend(found);
    }
    if outcomes.is_empty() && !a.allow_empty {
        return Err(Failure::BadInput(
            "error: no thresholds to check: no scenario given has a [thresholds] table, so the gate would pass \
             without checking anything; add [thresholds], or pass --allow-empty to accept that"
                .into(),
        ));
    }
    let width = outcomes.iter().map(|o| o.suite.len() + o.condition.len() + 2).max().unwrap_or(20);
    for o in &outcomes {
        let label = format!("{}: {}", o.suite, o.condition);
        println!("{label:width$}  {:>16}  {}", o.value_text(), if o.passed { "pass" } else { "FAIL" });
    }
    if let Some(file) = &a.junit {
        crate::sweep::write_file(file, gate::junit(&outcomes).as_bytes())
            .context("cannot write the JUnit file")
            .map_err(Failure::Other)?;
    }
    let failed: Vec<&gate::Outcome> = outcomes.iter().filter(|o| !o.passed).collect();
    if failed.is_empty() {
        println!("all {} condition(s) hold", outcomes.len());
        return Ok(());
    }
    let names: Vec<String> = failed
        .iter()
        .map(|o| {
            let why =
                if o.value.is_nan() { format!(" ({}: nothing was measured)", gate::NO_SAMPLES) } else { String::new() };
            format!("{}: {}{why}", o.suite, o.condition)
        })
        .collect();
    Err(Failure::Other(anyhow::anyhow!(
        "{} of {} condition(s) failed: {}",
        failed.len(),
        outcomes.len(),
        names.join("; ")
    )))
}

fn diff_command(a: DiffArgs) -> Result<(), Failure> {
    use crate::gate;
    let mut tolerances = gate::default_tolerances();
    for t in &a.tolerances {
        tolerances.push(gate::Tolerance::parse(t).map_err(|m| Failure::BadInput(format!("error: {m}")))?);
    }
    let d = gate::diff(&a.baseline, &a.candidate, &tolerances).map_err(|m| Failure::BadInput(format!("error: {m}")))?;
    print!("{}", gate::explain(&d));
    if d.is_beyond_tolerance() {
        return Err(Failure::Other(anyhow::anyhow!(
            "{} differs from {} beyond tolerance",
            a.candidate.display(),
            a.baseline.display()
        )));
    }
    Ok(())
}

fn chart_command(a: ChartArgs) -> Result<(), Failure> {
    use crate::sweep::{self, MANIFEST, Plan};
    let dir = &a.dir;
    let files: Vec<(String, Vec<u8>)> = if let Ok(manifest) = std::fs::read_to_string(dir.join(MANIFEST)) {
        let plan = Plan::from_manifest(&manifest).map_err(|m| Failure::BadInput(format!("error: {m}")))?;
        sweep::aggregate(&plan, std::slice::from_ref(dir)).map_err(sweep_failure)?
    } else if dir.join("summary.json").exists() {
        let out = report::redraw_run(dir).context("cannot read the results folder").map_err(Failure::Other)?;
        out.files.into_iter().map(|(n, t)| (n, t.into_bytes())).chain(out.binary).collect()
    } else {
        return Err(Failure::BadInput(format!(
            "error: {}: neither a run's results folder (summary.json) nor a sweep's ({MANIFEST})",
            dir.display()
        )));
    };
    sweep::write_aggregate(dir, &files).context("cannot write the charts").map_err(Failure::Other)?;
    let charts = files.iter().filter(|(n, _)| n.starts_with("charts/")).count();
    println!("{}: {charts} chart file(s) and report.html drawn", dir.display());
    Ok(())
}

fn merge_command(a: MergeArgs) -> Result<(), Failure> {
    use crate::sweep::{self, MANIFEST, Plan};
    let read = |d: &PathBuf| {
        std::fs::read_to_string(d.join(MANIFEST)).map_err(|e| {
            Failure::BadInput(format!("error: {}: no {MANIFEST} ({e}): not a sweep's results folder", d.display()))
        })
    };
    let manifest = read(&a.dirs[0])?;
    for d in &a.dirs[1..] {
        if !sweep::is_same_sweep(&read(d)?, &manifest) {
            return Err(Failure::BadInput(format!(
                "error: {} holds another sweep than {} (their {MANIFEST} differ)",
                d.display(),
                a.dirs[0].display()
            )));
        }
    }
    let plan = Plan::from_manifest(&manifest).map_err(|m| Failure::BadInput(format!("error: {m}")))?;
    sweep::gather_runs(&plan, &a.dirs, &a.out).map_err(sweep_failure)?;
    let files = sweep::aggregate(&plan, std::slice::from_ref(&a.out)).map_err(sweep_failure)?;
    sweep::write_aggregate(&a.out, &files).context("cannot write the merged results").map_err(Failure::Other)?;
    println!("results: {} ({} runs from {} folder(s))", a.out.display(), plan.runs.len(), a.dirs.len());
    Ok(())
}

/// A results folder that exists is replaced only when asked: results are never mixed, and
/// never lost without a word.
fn refuse_existing(out: &Path, force: bool) -> Result<(), Failure> {
    let exists = std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some());
    if exists && !force {
        return Err(Failure::BadInput(format!(
            "error: {} exists; pass --force to replace it, or choose another --out",
            out.display()
        )));
    }
    Ok(())
}

fn run_command(a: RunArgs, args: &[String]) -> Result<(), Failure> {
    let mut scenario = Scenario::load(&a.scenario.scenario, &a.scenario.overrides)?;
    print_warnings(&scenario);
    if let Some(seed) = a.seed {
        scenario = scenario.with_seed(seed);
    }
    let out = a.out.unwrap_or_else(|| default_out_dir(&scenario));
    refuse_existing(&out, a.force)?;
    report::prepare_run_folder(&out).map_err(|e| cannot_write(&out, e))?;
    let stop = interrupt_flag();
    let mut progress = RunProgress::new(a.quiet);
    let result = run_audited(&scenario, "", &mut |p| {
        progress.look(p);
        stop_on(stop)
    });
    progress.finish();
    let result = result?;
    let files = report::render(&scenario, &result, args);
    // A Ctrl-C after the run's last look at the flag still leaves nothing written.
    if stop.load(Ordering::SeqCst) {
        return Err(nothing_written());
    }
    report::write_atomically(&out, &files).map_err(|e| cannot_write(&out, e))?;
    if !a.quiet {
        print!("{}", report::summary_table(&scenario, &result));
        println!("\nresults: {}", out.display());
    }
    Ok(())
}

/// The reader's warnings, then the set-up's (`report::warnings::set_up`).
/// `orchsim import`: the template's scenario, checked by the scenario reader before it is
/// written (whole, or not at all), and the placeholders, skipped resources and warnings on
/// standard error.
fn import_command(a: ImportArgs) -> Result<(), Failure> {
    let shown = a.template.display().to_string();
    let text = std::fs::read_to_string(&a.template).map_err(|e| Failure::BadInput(format!("error: {shown}: {e}")))?;
    let mut parameters = Vec::new();
    for p in &a.parameters {
        match p.split_once('=') {
            Some((name, value)) if !name.is_empty() => parameters.push((name.to_string(), value.to_string())),
            _ => return Err(Failure::BadInput(format!("error: --param {p}: expected NAME=VALUE"))),
        }
    }
    let source_name = a.template.file_name().map_or(shown.clone(), |n| n.to_string_lossy().into_owned());
    let template_dir =
        a.template.parent().filter(|p| !p.as_os_str().is_empty()).map_or(PathBuf::from("."), Path::to_path_buf);
    let definition_prefix = match a.out.as_ref().and_then(|o| o.file_stem()) {
        Some(stem) => format!("{}.", stem.to_string_lossy()),
        None => String::new(),
    };
    let options = crate::import::Options {
        parameters,
        region: a.region.clone(),
        source_name,
        json: a.json,
        definitions_dir: a.definitions_dir.clone().unwrap_or(template_dir),
        definition_prefix,
    };
    let imported =
        crate::import::import(&text, &options).map_err(|e| Failure::BadInput(format!("error: {shown}:{e}")))?;
    if !imported.definitions.is_empty() && a.out.is_none() && !a.json {
        return Err(Failure::BadInput(format!(
            "error: {shown}: the scenario's state machines read their definitions from files beside it: give --out FILE.toml"
        )));
    }
    let (file, out_dir) = match &a.out {
        Some(out) => (
            out.display().to_string(),
            out.parent().filter(|p| !p.as_os_str().is_empty()).map_or(PathBuf::from("."), Path::to_path_buf),
        ),
        None => ("<imported scenario>".to_string(), PathBuf::from(".")),
    };
    // Definitions are staged in a folder of their own, the scenario checked against them,
    // and only then moved beside it: nothing is half-written.
    let staging = if imported.definitions.is_empty() {
        None
    } else {
        let base = if a.out.is_some() { out_dir.clone() } else { std::env::temp_dir() };
        let dir = base.join(format!(".orchsim-import-{}", std::process::id()));
        let staged = std::fs::create_dir_all(&dir)
            .and_then(|()| imported.definitions.iter().try_for_each(|d| std::fs::write(dir.join(&d.file), &d.text)));
        if let Err(e) = staged {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(Failure::Other(anyhow::anyhow!("writing definitions in {}: {e}", dir.display())));
        }
        Some(dir)
    };
    let base_dir = staging.clone().unwrap_or_else(|| out_dir.clone());
    let checked = Scenario::from_text(&file, &imported.toml, &base_dir, &[]);
    let scenario = match checked {
        Ok(s) => s,
        Err(e) => {
            if let Some(dir) = &staging {
                let _ = std::fs::remove_dir_all(dir);
            }
            return Err(Failure::BadInput(format!("error: the scenario imported from {shown} does not validate: {e}")));
        }
    };
    for p in &imported.placeholders {
        eprintln!("TODO: {p}");
    }
    for s in &imported.skipped {
        eprintln!("skipped: {s}");
    }
    for w in &imported.warnings {
        // The reader's warnings start with their line:column; the mapping's name an element.
        let sep = if w.starts_with(|c: char| c.is_ascii_digit()) { ":" } else { ": " };
        eprintln!("warning: {shown}{sep}{w}");
    }
    print_warnings(&scenario);
    match &a.out {
        Some(out) => {
            let moved = match &staging {
                Some(dir) => imported
                    .definitions
                    .iter()
                    .try_for_each(|d| std::fs::rename(dir.join(&d.file), out_dir.join(&d.file))),
                None => Ok(()),
            };
            if let Some(dir) = &staging {
                let _ = std::fs::remove_dir_all(dir);
            }
            moved
                .with_context(|| format!("writing the definitions beside {}", out.display()))
                .map_err(Failure::Other)?;
            write_whole(out, &imported.toml)
                .with_context(|| format!("writing {}", out.display()))
                .map_err(Failure::Other)?;
            eprintln!(
                "{}: {} queue(s), {} topic(s), {} subscription(s), {} function(s), {} state machine(s), {} rule(s), {} workload(s); {} TODO, {} skipped",
                out.display(),
                scenario.queues.len(),
                scenario.topics.len(),
                scenario.subscriptions.len(),
                scenario.functions.len(),
                scenario.machines.len(),
                scenario.rules.len(),
                scenario.workloads.len(),
                imported.placeholders.len(),
                imported.skipped.len()
            );
        }
        None if !a.json => print!("{}", imported.toml),
        None => {
            if let Some(dir) = &staging {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
    if let Some(json) = &imported.json {
        print!("{json}");
    }
    Ok(())
}

/// Writes a file whole or not at all: a temporary file beside it, then renamed.
fn write_whole(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path.file_name().map_or("scenario".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn print_warnings(scenario: &Scenario) {
    for w in &scenario.warnings {
        eprintln!("warning: {w}");
    }
}

/// The set-up's warnings, for `orchsim validate`, which runs nothing (`run` lists them with
/// the outcome's under its table).
fn print_set_up_warnings(scenario: &Scenario) {
    for w in report::warnings::set_up(scenario) {
        eprintln!("warning: {} [{}]: {}", w.element, w.kind.code(), w.message);
    }
}

/// Runs a scenario and checks its conservation audit: results are written only for a run
/// that finished within its memory budget and accounts for every message.
fn run_audited(
    scenario: &Scenario,
    which_run: &str,
    watch: &mut dyn FnMut(run::Progress) -> run::Watch,
) -> Result<run::RunResult, Failure> {
    let result = run::run_watched(scenario, watch).map_err(|e| match e {
        run::Stopped::OverMemory(e) => {
            Failure::BadInput(format!("error: {}{which_run}: {e}; nothing was written", scenario.name))
        }
        run::Stopped::Interrupted => nothing_written(),
    })?;
    check_audit(&result, which_run)?;
    Ok(result)
}

/// A message or execution unaccounted for is a bug in the simulator, never a result.
fn check_audit(result: &run::RunResult, which_run: &str) -> Result<(), Failure> {
    let failures = report::audit_failures(result);
    if failures.is_empty() {
        return Ok(());
    }
    Err(Failure::Other(anyhow::anyhow!(
        "conservation audit failed{which_run} (a bug in orchsim; nothing was written):\n  {}",
        failures.join("\n  ")
    )))
}

/// Runs the scenario's state machine as Standard and as Express with the same seed (so the
/// same arrivals and task draws), then prints and writes the comparison.
fn compare_command(a: CompareArgs) -> Result<(), Failure> {
    let base = Scenario::load(&a.scenario.scenario, &a.scenario.overrides)?;
    print_warnings(&base);
    let out = a.out.clone().unwrap_or_else(|| Path::new("results").join(&base.name).join("compare"));
    refuse_existing(&out, a.force)?;
    report::prepare_run_folder(&out).map_err(|e| cannot_write(&out, e))?;
    let stop = interrupt_flag();
    let name = match (&a.machine, base.machines.as_slice()) {
        (Some(m), machines) if machines.iter().any(|c| &c.name == m) => m.clone(),
        (None, [only]) => only.name.clone(),
        (_, machines) => {
            let names: Vec<&str> = machines.iter().map(|c| c.name.as_str()).collect();
            return Err(Failure::BadInput(format!(
                "error: name the state machine to compare with --machine; the scenario has: {}",
                if names.is_empty() { "none".to_string() } else { names.join(", ") }
            )));
        }
    };
    let express = if a.express == "sync" { "express_sync" } else { "express_async" };
    let load = |workflow: &str| -> Result<Scenario, Failure> {
        let mut overrides = a.scenario.overrides.clone();
        overrides.push(format!("step_functions.{name}.type={workflow}"));
        if workflow != "express_async" {
            // Only asynchronous Express runs again; the others are exactly- or at-most-once.
            overrides.push(format!("step_functions.{name}.restart_rate=0"));
        }
        Ok(Scenario::load(&a.scenario.scenario, &overrides)?)
    };
    let (standard, express_scenario) = (load("standard")?, load(express)?);
    // The machine is priced with its Region's book, as in a run.
    let prices = base.pricing.book_of(&format!("step_functions.{name}"));
    let hours = prices.hours_per_month;
    let memory = |s: &Scenario| s.machines.iter().find(|m| m.name == name).map(|m| m.billed_memory_mb);
    let runs = [(&standard, "standard"), (&express_scenario, express)];
    let mut summaries = Vec::new();
    for (scenario, workflow) in runs {
        let result = run_audited(scenario, &format!(" in the {workflow} run"), &mut |_| stop_on(stop))?;
        let billed = if workflow == "standard" { None } else { memory(scenario) };
        summaries.push(report::compare::summarize(workflow, &name, &result, billed, hours));
    }
    let (s, e) = (&summaries[0], &summaries[1]);
    let json = report::compare::compare_json(prices, s, e, &a.volumes);
    let chart = report::compare::compare_chart(prices, s, e).map_err(|e| Failure::Other(anyhow::anyhow!(e)))?;
    let files = report::ResultFiles {
        files: vec![("compare.json".into(), json.clone()), ("cost_vs_volume.svg".into(), chart.svg)],
        binary: vec![("cost_vs_volume.png".into(), chart.png)],
    };
    if stop.load(Ordering::SeqCst) {
        return Err(nothing_written());
    }
    report::write_atomically(&out, &files).map_err(|e| cannot_write(&out, e))?;
    if a.json {
        print!("{json}");
    } else {
        print!("{}", report::compare::compare_text(prices, s, e, &a.volumes));
        println!("\nresults: {}", out.display());
    }
    Ok(())
}

/// `results/<scenario>/seed-<seed>[_<overrides>]`, so distinct runs land in distinct folders.
fn default_out_dir(scenario: &Scenario) -> PathBuf {
    let mut label = format!("seed-{}", scenario.run.seed);
    for o in &scenario.overrides {
        label.push('_');
        label.extend(o.chars().map(|c| if c.is_ascii_alphanumeric() || "._=-".contains(c) { c } else { '-' }));
    }
    if label.len() > 120 {
        let digest = crate::scenario::short_hash(&label);
        label = format!("seed-{}_{digest}", scenario.run.seed);
    }
    Path::new("results").join(&scenario.name).join(label)
}

/// What `orchsim match` checks messages with.
enum Matcher {
    Attributes(FilterPolicy),
    Body(FilterPolicy),
    Event(EventPattern),
}

impl Matcher {
    /// The answer for one message's text: None for a match, else the first key that failed.
    fn answer(&self, text: &str) -> Result<Option<Mismatch>, inputs::InputError> {
        Ok(match self {
            Matcher::Attributes(policy) => policy.explain_attributes(&inputs::message_attributes_document(text)?),
            Matcher::Body(policy) => policy.explain_body(&inputs::json_document(text)?),
            Matcher::Event(pattern) => pattern.explain(&inputs::event_document(text)?),
        })
    }
}

fn match_command(a: MatchArgs) -> Result<(), Failure> {
    let (matcher, messages) = match (&a.policy, &a.message, &a.pattern, &a.event) {
        (Some(policy), Some(message), None, None) => {
            let on_body = a.scope.as_deref() == Some("body");
            let text = read_input(policy)?;
            let policy = inputs::filter_policy_document(&text, on_body).map_err(|e| bad_file(policy, None, &e))?;
            (if on_body { Matcher::Body(policy) } else { Matcher::Attributes(policy) }, message)
        }
        (None, None, Some(pattern), Some(event)) => {
            let text = read_input(pattern)?;
            (Matcher::Event(inputs::event_pattern_document(&text).map_err(|e| bad_file(pattern, None, &e))?), event)
        }
        _ => {
            return Err(Failure::BadInput(
                "error: give --policy FILE --message FILE [--scope attributes|body], or --pattern FILE --event FILE"
                    .into(),
            ));
        }
    };
    let file = std::fs::File::open(messages)
        .map_err(|e| Failure::BadInput(format!("error: cannot read {}: {e}", messages.display())))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let result = answer_messages(&matcher, std::io::BufReader::new(file), messages, a.json, &mut out);
    // Answers before a bad message stay printed.
    out.flush().context("writing the answers").map_err(Failure::Other)?;
    result
}

/// Answers every message of `reader`: JSON Lines when its first non-blank line is a whole
/// JSON document on its own, else the whole text as one message (pretty-printed JSON).
fn answer_messages(
    matcher: &Matcher,
    mut reader: impl std::io::BufRead,
    path: &Path,
    json: bool,
    out: &mut impl std::io::Write,
) -> Result<(), Failure> {
    let unreadable = |e: std::io::Error| Failure::BadInput(format!("error: cannot read {}: {e}", path.display()));
    // `line` is where the message starts; `one_line` says whether `text` is that line alone
    // (JSON Lines), whose errors are then placed from it, or the whole file.
    let answer = |line: usize, one_line: bool, text: &str, out: &mut dyn std::io::Write| -> Result<(), Failure> {
        let mismatch = matcher.answer(text).map_err(|e| bad_file(path, one_line.then_some(line), &e))?;
        let shown =
            if json { report::match_json(line, mismatch.as_ref()) } else { report::match_text(mismatch.as_ref()) };
        writeln!(out, "{shown}").context("writing the answers").map_err(Failure::Other)?;
        Ok(())
    };
    let (mut before, mut text, mut line) = (String::new(), String::new(), 0);
    // Blank lines before the first message only move the line count.
    loop {
        text.clear();
        if reader.read_line(&mut text).map_err(unreadable)? == 0 {
            return Err(Failure::BadInput(format!("error: {}: holds no message", path.display())));
        }
        line += 1;
        if !text.trim().is_empty() {
            break;
        }
        before.push_str(&text);
    }
    if inputs::json_document(&text).is_err() {
        // One message over several lines: read it whole, with the lines before it, so that
        // positions in errors are the file's.
        before.push_str(&text);
        reader.read_to_string(&mut before).map_err(unreadable)?;
        return answer(line, false, &before, out);
    }
    loop {
        answer(line, true, text.trim_end(), out)?;
        loop {
            text.clear();
            if reader.read_line(&mut text).map_err(unreadable)? == 0 {
                return Ok(());
            }
            line += 1;
            if !text.trim().is_empty() {
                break;
            }
        }
    }
}

fn read_input(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| Failure::BadInput(format!("error: cannot read {}: {e}", path.display())))
}

/// `error: FILE:LINE:COLUMN: reason` for bad JSON, `error: FILE:LINE: reason` for a bad
/// message of a JSON Lines file (`line`), `error: FILE: reason` otherwise.
fn bad_file(path: &Path, line: Option<usize>, e: &inputs::InputError) -> Failure {
    let file = path.display();
    Failure::BadInput(match (line, e.line) {
        (None, 0) => format!("error: {file}: {}", e.reason),
        (None, at) => format!("error: {file}:{at}:{}: {}", e.column, e.reason),
        (Some(line), 0) => format!("error: {file}:{line}: {}", e.reason),
        // A JSON Lines message is one line: its error's line is 1.
        (Some(line), _) => format!("error: {file}:{line}:{}: {}", e.column, e.reason),
    })
}

/// Writes the replay trace of an arrival figure that is one, to `--trace` or beside the
/// `--into` scenario, and sets its `file`: relative to the scenario's folder with `--into`,
/// as given otherwise. The trace is staged and renamed, so a failure leaves no half file.
fn write_trace(a: &FitArgs, element: Option<&str>, outcome: &mut crate::calibrate::Outcome) -> Result<(), Failure> {
    use crate::calibrate::{Estimate, arrivals::Arrival};
    for f in &mut outcome.figures {
        let Estimate::Arrival(fit) = &mut f.estimate else { continue };
        let Arrival::Replay { csv, file, .. } = &mut fit.arrival else { continue };
        if a.into.is_some() && !f.writes {
            continue;
        }
        let name = element.and_then(|e| e.split_once('.')).map_or("workload", |(_, name)| name);
        let path = match (&a.trace, &a.into) {
            (Some(trace), _) => trace.clone(),
            (None, Some(into)) => into.with_file_name(format!("{name}-arrivals.csv")),
            (None, None) => {
                return Err(Failure::BadInput(format!(
                    "error: the counts fit no arrival schedule, so they are a replay trace: give --trace FILE to write it ({})",
                    f.why
                )));
            }
        };
        let staging = path.with_extension("csv.fit-tmp");
        std::fs::write(&staging, csv.as_bytes())
            .and_then(|()| std::fs::rename(&staging, &path))
            .map_err(|e| Failure::Other(anyhow::anyhow!("error: cannot write {}: {e}", path.display())))?;
        let base = a.into.as_ref().and_then(|into| into.parent()).filter(|p| !p.as_os_str().is_empty());
        let shown = match base.and_then(|b| path.strip_prefix(b).ok()) {
            Some(relative) => relative.display().to_string(),
            // The scenario resolves a relative file against its own folder.
            None if a.into.is_some() => std::fs::canonicalize(&path).unwrap_or(path.clone()).display().to_string(),
            None => path.display().to_string(),
        };
        *file = Some(shown);
    }
    Ok(())
}

/// The scenario key a fitted duration goes to, by the element's kind.
fn duration_key(element: Option<&str>) -> Result<&'static str, Failure> {
    let kind = element.map_or("lambda", |e| e.split_once('.').map_or(e, |(kind, _)| kind));
    match kind {
        // A workload's figures are its arrivals, a state machine's its states': the
        // duration key is not theirs, and fit_element keeps it out of them.
        "lambda" | "workload" | "step_functions" => Ok("duration_s"),
        "workers" | "mq" => Ok("service_time_s"),
        "endpoint" => Ok("response_time_s"),
        _ => Err(Failure::BadInput(format!(
            "error: --element {}: fit writes lambda.NAME (duration_s), workers.NAME or mq.NAME (service_time_s), endpoint.NAME (response_time_s), workload.NAME (arrival) and step_functions.NAME (states.STATE.duration_s)",
            element.unwrap_or_default()
        ))),
    }
}

/// `orchsim backtest`: the comparison printed metric by metric, the folder written whole,
/// exit 1 when any metric is beyond its tolerance.
fn backtest_command(a: BacktestArgs, args: &[String]) -> Result<(), Failure> {
    use crate::backtest;
    let tolerances = a
        .tolerances
        .iter()
        .map(|t| backtest::Tolerance::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::BadInput(format!("error: {e}")))?;
    let mut scenario = Scenario::load(&a.scenario.scenario, &a.scenario.overrides)?;
    print_warnings(&scenario);
    if let Some(seed) = a.seed {
        scenario = scenario.with_seed(seed);
    }
    let out = a.out.unwrap_or_else(|| Path::new("results").join(&scenario.name).join("backtest"));
    refuse_existing(&out, a.force)?;
    report::prepare_run_folder(&out).map_err(|e| cannot_write(&out, e))?;
    let (outcome, result) =
        backtest::backtest(&mut scenario, &a.observed, a.cur.as_deref(), &tolerances).map_err(|e| match e {
            backtest::Failure::Input(e) => Failure::BadInput(format!("error: {e}")),
            backtest::Failure::Run(e) => Failure::Other(anyhow::anyhow!("error: {e}")),
        })?;
    let files = backtest::output::render(&scenario, &result, &outcome, args);
    report::write_atomically(&out, &files).map_err(|e| cannot_write(&out, e))?;
    for o in &outcome.replayed {
        println!(
            "arrivals: {} replays {} from {} ({} messages, {} periods without a point)",
            o.workload,
            o.from,
            o.file,
            report::format::count(o.messages),
            o.missing_periods
        );
    }
    let width = outcome.metrics.iter().map(|m| m.name.len()).chain(outcome.bill.iter().map(|b| b.name.len())).max();
    let width = width.unwrap_or(20);
    for m in &outcome.metrics {
        let verdict = if m.pass { "pass" } else { "FAIL" };
        println!(
            "{:width$}  {:>20} {:>9.1} %  (tolerance {} %, {} points, from {})  {verdict}",
            m.name,
            m.measure.name(),
            m.value,
            m.tolerance_pct,
            m.points,
            m.observed.file
        );
    }
    for b in &outcome.bill {
        let verdict = if b.pass { "pass" } else { "FAIL" };
        println!(
            "{:width$}  {:>20} {:>9.1} %  (tolerance {} %)  {verdict}",
            b.name, "relative_error_pct", b.value, b.tolerance_pct
        );
    }
    for n in &outcome.notes {
        println!("note: {n}");
    }
    println!("results: {}", out.display());
    let failed: Vec<&str> = outcome
        .metrics
        .iter()
        .filter(|m| !m.pass)
        .map(|m| m.name.as_str())
        .chain(outcome.bill.iter().filter(|b| !b.pass).map(|b| b.name.as_str()))
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(Failure::Other(anyhow::anyhow!("{} metric(s) beyond tolerance: {}", failed.len(), failed.join(", "))))
}

fn fit_command(a: FitArgs) -> Result<(), Failure> {
    use crate::calibrate::{self, formats};
    if let Some(element) = &a.element
        && element.split_once('.').is_none_or(|(kind, name)| kind.is_empty() || name.is_empty())
    {
        return Err(Failure::BadInput(format!("error: --element {element:?} is not KIND.NAME, e.g. lambda.orders")));
    }
    let key = duration_key(a.element.as_deref())?;
    let mut inputs = Vec::with_capacity(a.inputs.len());
    for path in &a.inputs {
        let text = read_input(path)?;
        let (format, telemetry) = formats::read(&text).map_err(|e| {
            Failure::BadInput(match e.line {
                0 => format!("error: {}: {}", path.display(), e.reason),
                line => format!("error: {}:{line}: {}", path.display(), e.reason),
            })
        })?;
        if matches!(telemetry, formats::Telemetry::Lambda(_)) && key != "duration_s" {
            return Err(Failure::BadInput(format!(
                "error: {}: Lambda REPORT lines fit a lambda.NAME element, not {}",
                path.display(),
                a.element.as_deref().unwrap_or_default()
            )));
        }
        inputs.push(calibrate::Input { name: path.display().to_string(), format, telemetry });
    }
    let mut outcome = calibrate::fit_element(&inputs, a.element.as_deref(), key);
    if outcome.figures.is_empty() {
        let mut why: Vec<String> = outcome
            .refused
            .iter()
            .map(|r| format!("{}: {} {}, at least {} needed", r.name, r.have, r.what, r.need))
            .collect();
        why.extend(outcome.notes.iter().cloned());
        return Err(Failure::BadInput(format!("error: nothing fitted:\n  {}", why.join("\n  "))));
    }
    let element = a.element.clone().or_else(|| outcome.element.clone());
    write_trace(&a, element.as_deref(), &mut outcome)?;
    let Some(into) = &a.into else {
        if a.json {
            print!("{}", calibrate::output::json(&inputs, element.as_deref(), &outcome));
        } else {
            let shown = element.as_deref().unwrap_or(calibrate::placeholder_element(&outcome));
            print!("{}", calibrate::output::fragment(&inputs, shown, &outcome));
            if element.is_none() {
                println!("# the inputs do not name the element: give --element {shown}");
            }
        }
        return Ok(());
    };
    let element = element.ok_or_else(|| {
        Failure::BadInput(
            "error: --into needs --element KIND.NAME: the inputs do not say which element they are of".into(),
        )
    })?;
    if !outcome.figures.iter().any(|f| f.writes) {
        return Err(Failure::BadInput(format!(
            "error: nothing to write into {}: no figure fitted is a scenario key",
            into.display()
        )));
    }
    let text = read_input(into)?;
    let updated = calibrate::output::write_into(&text, &element, &outcome.figures)
        .map_err(|e| Failure::BadInput(format!("error: {}: {e}", into.display())))?;
    // The file must stay a scenario: load it as `run` would before replacing it.
    let base = into.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Scenario::from_text(&into.display().to_string(), &updated, base, &[]).map_err(|e| {
        Failure::BadInput(format!(
            "error: the updated scenario would not load, so {} is unchanged: {e}",
            into.display()
        ))
    })?;
    let staging = into.with_extension("toml.fit-tmp");
    std::fs::write(&staging, &updated)
        .and_then(|()| std::fs::rename(&staging, into))
        .map_err(|e| Failure::Other(anyhow::anyhow!("error: cannot write {}: {e}", into.display())))?;
    if a.json {
        print!("{}", calibrate::output::json(&inputs, Some(&element), &outcome));
    } else {
        for input in &inputs {
            println!("read {}: {}", input.name, input.format.name());
        }
        let keys: Vec<String> = outcome.figures.iter().filter(|f| f.writes).map(|f| f.path()).collect();
        println!("updated {}: [{element}] {}", into.display(), keys.join(", "));
        for f in outcome.figures.iter().filter(|f| !f.writes) {
            println!("{}: {}", f.path(), f.why);
        }
        for r in &outcome.refused {
            println!("{} not fitted: {} {}, at least {} needed", r.name, r.have, r.what, r.need);
        }
        for note in &outcome.notes {
            println!("note: {note}");
        }
    }
    Ok(())
}
