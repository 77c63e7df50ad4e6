//! The observed side: every file of the `--observed` folder read by content through
//! `calibrate::formats`, each CloudWatch series named (metric, element, statistic) and put
//! on one clock, in seconds since 1970.
//!
//! CloudWatch's exports do not carry a query's dimensions: `get-metric-data` keeps only the
//! query's `Id` and `Label` (the metric name unless the query set one), and
//! `get-metric-statistics` only the metric name. So the element is a word of the label that
//! names a scenario element of the metric's kind (a dynamic label such as
//! `${PROP('Dim.QueueName')} ${PROP('MetricName')} ${PROP('Stat')}` gives one), or the only
//! element of that kind; the statistic is a word of the label (`Maximum`, `p99`, …), the
//! points' own keys (`get-metric-statistics`), or the metric's usual statistic.

use std::path::Path;

use crate::calibrate::formats::{self, MetricSeries, Statistics, Telemetry};
use crate::scenario::Scenario;

use super::BacktestError;

/// The kind of scenario element a metric's dimension names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `AWS/SQS`, dimension `QueueName`.
    Queue,
    /// `AWS/Lambda`, dimension `FunctionName`.
    Function,
    /// `AWS/SNS`, dimension `TopicName`.
    Topic,
    /// `AWS/States`, dimension `StateMachineArn`.
    Machine,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Queue => "queue",
            Kind::Function => "function",
            Kind::Topic => "topic",
            Kind::Machine => "state machine",
        }
    }

    /// The prefix of the element's measurements in a run (`sqs.jobs`, `lambda.worker`).
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Queue => "sqs",
            Kind::Function => "lambda",
            Kind::Topic => "sns",
            Kind::Machine => "step_functions",
        }
    }

    /// The scenario's elements of this kind, by index.
    pub fn names(self, scenario: &Scenario) -> Vec<String> {
        match self {
            Kind::Queue => scenario.queues.iter().map(|q| q.name.clone()).collect(),
            Kind::Function => scenario.functions.iter().map(|f| f.function.name.clone()).collect(),
            Kind::Topic => scenario.topics.iter().map(|t| t.name.clone()).collect(),
            Kind::Machine => scenario.machines.iter().map(|m| m.name.clone()).collect(),
        }
    }
}

/// A CloudWatch statistic of one period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stat {
    Maximum,
    Minimum,
    Average,
    Sum,
    SampleCount,
    /// `pNN`, as a probability (p99 → 0.99).
    Percentile(f64),
    /// Every invocation's value (REPORT lines): compared as a distribution.
    Distribution,
}

impl Stat {
    pub fn name(self) -> String {
        match self {
            Stat::Maximum => "Maximum".into(),
            Stat::Minimum => "Minimum".into(),
            Stat::Average => "Average".into(),
            Stat::Sum => "Sum".into(),
            Stat::SampleCount => "SampleCount".into(),
            Stat::Percentile(p) => format!("p{}", crate::report::format::number_trimmed(p * 100.0, 3)),
            Stat::Distribution => "distribution".into(),
        }
    }

    fn parse(word: &str) -> Option<Stat> {
        Some(match word {
            "Maximum" | "Max" => Stat::Maximum,
            "Minimum" | "Min" => Stat::Minimum,
            "Average" | "Avg" => Stat::Average,
            "Sum" => Stat::Sum,
            "SampleCount" => Stat::SampleCount,
            _ => {
                let p: f64 = word.strip_prefix('p')?.parse().ok()?;
                if !(0.0..=100.0).contains(&p) {
                    return None;
                }
                Stat::Percentile(p / 100.0)
            }
        })
    }
}

/// What a metric is, for the backtest.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metric {
    /// CloudWatch's name.
    pub name: &'static str,
    pub kind: Kind,
    /// CloudWatch's unit for it; a `get-metric-statistics` export in another unit is refused
    /// (CloudWatch converts no units).
    pub unit: &'static str,
    /// The statistic assumed when the export does not say.
    pub default_stat: Stat,
    /// What the metric is in a run.
    pub role: Role,
}

/// How a metric enters the backtest.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Role {
    /// Counted at the entry point: the observed traffic, replayed. Also compared, as a sum
    /// per period, when no workload sends to the element (`counter` of the CloudWatch-like
    /// series), or only read when `counter` is empty.
    Arrivals { counter: &'static str },
    /// An instant value sampled through the run (`timeseries.csv`'s column suffix or the
    /// CloudWatch-like series'): Maximum, Minimum or Average over a period's samples.
    Gauge { column: &'static str, cloudwatch: bool },
    /// A count per period: the difference of a running count between the period's ends.
    Count { counter: &'static str },
    /// A time per event (ms): per period, `Average` is the difference of the running sum
    /// over that of the running count; percentiles come from the run's whole histogram.
    Time { count: &'static str, sum_ms: &'static str, histogram: &'static str },
}

/// Every metric the backtest knows. The names and units are CloudWatch's.
pub const METRICS: [Metric; 13] = [
    Metric {
        name: "NumberOfMessagesSent",
        kind: Kind::Queue,
        unit: "Count",
        default_stat: Stat::Sum,
        role: Role::Arrivals { counter: "sent" },
    },
    Metric {
        name: "ApproximateNumberOfMessagesVisible",
        kind: Kind::Queue,
        unit: "Count",
        default_stat: Stat::Maximum,
        role: Role::Gauge { column: "visible", cloudwatch: false },
    },
    Metric {
        name: "ApproximateAgeOfOldestMessage",
        kind: Kind::Queue,
        unit: "Seconds",
        default_stat: Stat::Maximum,
        role: Role::Gauge { column: "age_oldest_s", cloudwatch: true },
    },
    Metric {
        name: "Invocations",
        kind: Kind::Function,
        unit: "Count",
        default_stat: Stat::Sum,
        role: Role::Arrivals { counter: "invocations" },
    },
    Metric {
        name: "ConcurrentExecutions",
        kind: Kind::Function,
        unit: "Count",
        default_stat: Stat::Maximum,
        role: Role::Gauge { column: "concurrency", cloudwatch: false },
    },
    Metric {
        name: "Throttles",
        kind: Kind::Function,
        unit: "Count",
        default_stat: Stat::Sum,
        role: Role::Count { counter: "throttles" },
    },
    Metric {
        name: "Duration",
        kind: Kind::Function,
        unit: "Milliseconds",
        default_stat: Stat::Average,
        role: Role::Time { count: "duration_count", sum_ms: "duration_sum_ms", histogram: "duration" },
    },
    Metric {
        name: "NumberOfMessagesPublished",
        kind: Kind::Topic,
        unit: "Count",
        default_stat: Stat::Sum,
        role: Role::Arrivals { counter: "published" },
    },
    Metric {
        name: "NumberOfNotificationsDelivered",
        kind: Kind::Topic,
        unit: "Count",
        default_stat: Stat::Sum,
        role: Role::Count { counter: "delivered" },
    },
    Metric {
        name: "NumberOfNotificationsFailed",
        kind: Kind::Topic,
        unit: "Count",
        default_stat: Stat::Sum,
        role: Role::Count { counter: "failed" },
    },
    Metric {
        name: "NumberOfNotificationsFilteredOut",
        kind: Kind::Topic,
        unit: "Count",
        default_stat: Stat::Sum,
        role: Role::Count { counter: "filtered_out" },
    },
    Metric {
        name: "ExecutionsStarted",
        kind: Kind::Machine,
        unit: "Count",
        default_stat: Stat::Sum,
        role: Role::Arrivals { counter: "started" },
    },
    Metric {
        name: "ExecutionTime",
        kind: Kind::Machine,
        unit: "Milliseconds",
        default_stat: Stat::Average,
        role: Role::Time { count: "execution_count", sum_ms: "execution_time_sum_ms", histogram: "duration" },
    },
];

/// One observed series, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// The file it came from.
    pub file: String,
    /// Where in the file, e.g. `MetricDataResults[2] (Id "visible")`.
    pub place: String,
    pub format: &'static str,
    pub metric: Metric,
    pub element: String,
    pub stat: Stat,
    /// (seconds since 1970 of the period's start, value).
    pub points: Vec<(i64, f64)>,
    /// For [`Stat::Distribution`]: every observed value, ascending.
    pub samples: Vec<f64>,
}

impl Observed {
    /// The metric's name in `backtest.json` and `--tolerance`: `sqs.jobs.ApproximateNumberOfMessagesVisible.Maximum`.
    pub fn key(&self) -> String {
        format!("{}.{}.{}.{}", self.metric.kind.prefix(), self.element, self.metric.name, self.stat.name())
    }
}

/// Reads every file of `dir` (hidden files aside), by name order.
pub fn read_dir(dir: &Path, scenario: &Scenario) -> Result<Vec<Observed>, BacktestError> {
    let shown = dir.display().to_string();
    let entries =
        std::fs::read_dir(dir).map_err(|e| BacktestError::input(&shown, 0, format!("cannot read the folder: {e}")))?;
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(BacktestError::input(
            &shown,
            0,
            "the folder holds no export: expected CloudWatch get-metric-data or get-metric-statistics JSON files",
        ));
    }
    let mut observed = Vec::new();
    for path in &paths {
        let file = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| BacktestError::input(&file, 0, format!("cannot read: {e}")))?;
        let (format, telemetry) = formats::read(&text).map_err(|e| BacktestError::input(&file, e.line, e.reason))?;
        match telemetry {
            Telemetry::Series(series) => {
                for (i, s) in series.iter().enumerate() {
                    observed.push(from_data(&file, i, s, scenario)?);
                }
            }
            Telemetry::Statistics(stats) => observed.extend(from_statistics(&file, &stats, scenario)?),
            Telemetry::Lambda(log) => observed.push(from_report_lines(&file, format.name(), &log, scenario)?),
            // Histories and traces are samples of single executions and calls, not the
            // per-period series CloudWatch keeps: `orchsim fit` reads them into durations.
            Telemetry::Executions(_) | Telemetry::Traces(_) => {
                return Err(BacktestError::input(
                    &file,
                    0,
                    format!(
                        "{} is not compared by a backtest: expected CloudWatch get-metric-data or \
                         get-metric-statistics JSON, or Lambda REPORT lines; fit it with `orchsim fit` instead",
                        format.name()
                    ),
                ));
            }
        }
    }
    Ok(observed)
}

/// REPORT lines: every invocation's `Duration`, of the function their log group names, or
/// the scenario's only function.
fn from_report_lines(
    file: &str,
    format: &'static str,
    log: &formats::LambdaLog,
    scenario: &Scenario,
) -> Result<Observed, BacktestError> {
    let metric = *METRICS.iter().find(|m| m.name == "Duration").expect("Duration is in the catalogue");
    let words: Vec<&str> = log.function.as_deref().into_iter().collect();
    let element = element_of(&words, &metric, scenario).map_err(|why| {
        let why = match metric.kind.names(scenario).len() {
            0 | 1 => why,
            _ => format!(
                "the REPORT lines do not name their function ({}): export them with their log group /aws/lambda/NAME (aws logs filter-log-events JSON), or backtest a scenario with one function",
                metric.kind.names(scenario).join(", ")
            ),
        };
        BacktestError::input(file, 0, why)
    })?;
    let mut samples: Vec<f64> = log.invocations.iter().map(|i| i.duration_ms).collect();
    if samples.is_empty() {
        return Err(BacktestError::input(file, 0, "no REPORT line with a Duration"));
    }
    samples.sort_by(f64::total_cmp);
    Ok(Observed {
        file: file.into(),
        place: format!("{} REPORT lines", samples.len()),
        format,
        metric,
        element,
        stat: Stat::Distribution,
        points: Vec::new(),
        samples,
    })
}

/// The words of a label: split on spaces, commas and slashes; an ARN's last part.
fn words(label: &str) -> Vec<&str> {
    label
        .split(|c: char| c.is_whitespace() || c == ',' || c == '/')
        .filter(|w| !w.is_empty())
        .map(|w| if w.starts_with("arn:") { w.rsplit(':').next().unwrap_or(w) } else { w })
        .collect()
}

fn metric_of(words: &[&str]) -> Option<Metric> {
    METRICS.iter().copied().find(|m| words.contains(&m.name))
}

/// The element the label names, or the only one of its kind.
fn element_of(words: &[&str], metric: &Metric, scenario: &Scenario) -> Result<String, String> {
    let names = metric.kind.names(scenario);
    if let Some(name) = names.iter().find(|n| words.contains(&n.as_str())) {
        return Ok(name.clone());
    }
    match names.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(format!("{} is a metric of a {}, and the scenario has none", metric.name, metric.kind.word())),
        _ => Err(format!(
            "the label does not name which {} ({}) it is of; give the query a label with the name as a word, e.g. \"${{PROP('Dim.{}')}} ${{PROP('MetricName')}} ${{PROP('Stat')}}\"",
            metric.kind.word(),
            names.join(", "),
            match metric.kind {
                Kind::Queue => "QueueName",
                Kind::Function => "FunctionName",
                Kind::Topic => "TopicName",
                Kind::Machine => "StateMachineArn",
            }
        )),
    }
}

fn from_data(file: &str, i: usize, s: &MetricSeries, scenario: &Scenario) -> Result<Observed, BacktestError> {
    let place = format!("MetricDataResults[{i}] (Id {:?})", s.id);
    let label = s.label.clone().unwrap_or_default();
    let at = |why: String| BacktestError::input(file, 0, format!("{place}: {why}"));
    let w = words(&label);
    let metric = metric_of(&w).ok_or_else(|| {
        at(format!(
            "the label {label:?} names no metric the backtest compares; expected one of {}",
            METRICS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
        ))
    })?;
    let element = element_of(&w, &metric, scenario).map_err(at)?;
    let stat = w.iter().find_map(|x| Stat::parse(x)).unwrap_or(metric.default_stat);
    match s.status.as_deref() {
        None | Some("Complete") => {}
        Some("PartialData") => {
            return Err(at(
                "StatusCode PartialData: CloudWatch has more points for this query; call get-metric-data again with the NextToken and merge the pages by Id into one file".into(),
            ));
        }
        Some(other) => {
            return Err(at(format!("StatusCode {other}: CloudWatch did not return this series; expected Complete")));
        }
    }
    if s.points.is_empty() {
        return Err(at(format!(
            "{} has no points (StatusCode {}): CloudWatch returns none for a window without data, a period the retention no longer keeps, or a metric the resource never sent",
            metric.name,
            s.status.as_deref().unwrap_or("absent")
        )));
    }
    let mut points = Vec::with_capacity(s.points.len());
    for (k, (t, v)) in s.points.iter().enumerate() {
        let t = parse_timestamp(t).map_err(|why| at(format!("Timestamps (point {k} oldest first): {why}")))?;
        points.push((t, *v));
    }
    Ok(Observed {
        file: file.into(),
        place,
        format: formats::Format::MetricData.name(),
        metric,
        element,
        stat,
        points,
        samples: Vec::new(),
    })
}

/// Reads one statistic of a `get-metric-statistics` point.
type StatOf = fn(&formats::StatPoint) -> Option<f64>;

fn from_statistics(file: &str, s: &Statistics, scenario: &Scenario) -> Result<Vec<Observed>, BacktestError> {
    let label = s.label.clone().unwrap_or_default();
    let at = |why: String| BacktestError::input(file, 0, why);
    let w = words(&label);
    let metric = metric_of(&w).ok_or_else(|| {
        at(format!(
            "Label {label:?} names no metric the backtest compares; expected one of {}",
            METRICS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
        ))
    })?;
    if let Some(unit) = &s.unit
        && unit != metric.unit
    {
        return Err(at(format!(
            "Datapoints are in {unit:?}, but {} is in {:?}: CloudWatch converts no units, so these points are not this metric as the backtest reads it",
            metric.name, metric.unit
        )));
    }
    let element = element_of(&w, &metric, scenario).map_err(at)?;
    let mut times = Vec::with_capacity(s.points.len());
    for (k, p) in s.points.iter().enumerate() {
        times.push(
            parse_timestamp(&p.timestamp)
                .map_err(|why| at(format!("Datapoints (point {k} oldest first): Timestamp {why}")))?,
        );
    }
    // One series per statistic the points carry.
    let mut out = Vec::new();
    let plain: [(Stat, StatOf); 5] = [
        (Stat::Maximum, |p| p.maximum),
        (Stat::Minimum, |p| p.minimum),
        (Stat::Average, |p| p.average),
        (Stat::Sum, |p| p.sum),
        (Stat::SampleCount, |p| p.sample_count),
    ];
    for (stat, get) in plain {
        let points: Vec<(i64, f64)> = s.points.iter().zip(&times).filter_map(|(p, t)| Some((*t, get(p)?))).collect();
        if !points.is_empty() {
            out.push(Observed {
                file: file.into(),
                place: format!("Datapoints {}", stat.name()),
                format: formats::Format::MetricStatistics.name(),
                metric,
                element: element.clone(),
                stat,
                points,
                samples: Vec::new(),
            });
        }
    }
    let mut probabilities: Vec<f64> = s.points.iter().flat_map(|p| p.percentiles.iter().map(|q| q.0)).collect();
    probabilities.sort_by(f64::total_cmp);
    probabilities.dedup();
    for prob in probabilities {
        let points: Vec<(i64, f64)> = s
            .points
            .iter()
            .zip(&times)
            .filter_map(|(p, t)| Some((*t, p.percentiles.iter().find(|q| q.0 == prob)?.1)))
            .collect();
        let stat = Stat::Percentile(prob);
        out.push(Observed {
            file: file.into(),
            place: format!("Datapoints ExtendedStatistics {}", stat.name()),
            format: formats::Format::MetricStatistics.name(),
            metric,
            element: element.clone(),
            stat,
            points,
            samples: Vec::new(),
        });
    }
    Ok(out)
}

/// An ISO 8601 timestamp as CloudWatch prints it (`2026-03-02T10:02:00Z`,
/// `2026-03-02T10:02:00+00:00`, fractions of a second allowed) → seconds since 1970.
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not an ISO 8601 time such as 2026-03-02T10:02:00Z");
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') || b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<i64>().ok()).ok_or_else(bad);
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return Err(bad());
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
        rest = &fraction[digits..];
    }
    let offset_s = match rest {
        "Z" | "" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(bad()),
            };
            let hm = rest[1..].replace(':', "");
            if hm.len() != 4 {
                return Err(bad());
            }
            let (h, m) = (hm[..2].parse::<i64>().map_err(|_| bad())?, hm[2..].parse::<i64>().map_err(|_| bad())?);
            sign * (h * 3600 + m * 60)
        }
    };
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset_s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since 1970 → `2026-03-02T10:02:00Z`.
pub fn format_timestamp(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_in_every_form_cloudwatch_prints() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_timestamp("2026-03-02T10:02:00+00:00"), parse_timestamp("2026-03-02T10:02:00Z"));
        assert_eq!(parse_timestamp("2026-03-02T12:02:00.000+02:00"), parse_timestamp("2026-03-02T10:02:00Z"));
        let t = parse_timestamp("2024-02-29T23:59:59Z").unwrap();
        assert_eq!(format_timestamp(t), "2024-02-29T23:59:59Z");
        assert!(parse_timestamp("yesterday").is_err());
        assert!(parse_timestamp("2026-13-02T10:02:00Z").is_err());
    }

    #[test]
    fn labels_name_metric_and_statistic_by_whole_words() {
        let w = words("jobs ApproximateNumberOfMessagesVisible Maximum");
        assert_eq!(metric_of(&w).map(|m| m.name), Some("ApproximateNumberOfMessagesVisible"));
        assert_eq!(w.iter().find_map(|x| Stat::parse(x)), Some(Stat::Maximum));
        let w = words("arn:aws:states:us-east-1:111122223333:stateMachine:orders ExecutionTime p99");
        assert!(w.contains(&"orders"));
        assert_eq!(w.iter().find_map(|x| Stat::parse(x)), Some(Stat::Percentile(0.99)));
        // A longer metric name containing a known one is not it.
        assert_eq!(metric_of(&words("ApproximateNumberOfMessagesVisibleX")), None);
    }
}
