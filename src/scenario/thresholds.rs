//! `[thresholds]`: conditions over a run's reported metrics, which `orchsim check` gates on.
//!
//! `"sqs.orders.end_to_end.p99_ms" = "< 2000"`: the key names a metric as `runs.csv` and
//! `summary.csv` name them; the value is a comparison (`<`, `<=`, `>`, `>=`, `==`, `!=`) and
//! a number. In a sweep a condition holds for every point (the mean of its replications);
//! `"max(NAME)"`, `"min(NAME)"` or `"mean(NAME)"` instead applies it once to that statistic
//! over all points. Whether a metric exists is checked against the scenario's metrics when
//! it is validated (that needs the models, a layer above).

use super::error::ScenarioError;
use super::tree::{Field, Result, TableReader};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
}

impl Comparison {
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Comparison::Less => value < limit,
            Comparison::LessOrEqual => value <= limit,
            Comparison::Greater => value > limit,
            Comparison::GreaterOrEqual => value >= limit,
            Comparison::Equal => value == limit,
            Comparison::NotEqual => value != limit,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Equal => "==",
            Comparison::NotEqual => "!=",
        }
    }
}

/// A statistic over all points of a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverPoints {
    Max,
    Min,
    Mean,
}

impl OverPoints {
    pub fn as_str(self) -> &'static str {
        match self {
            OverPoints::Max => "max",
            OverPoints::Min => "min",
            OverPoints::Mean => "mean",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    pub metric: String,
    /// None: every run (or every point of a sweep).
    pub over_points: Option<OverPoints>,
    pub comparison: Comparison,
    pub limit: f64,
    /// The condition as written, for reports.
    pub text: String,
    /// An error at the condition's key, whose message the caller sets (an unknown metric).
    pub error_at: ScenarioError,
}

impl Threshold {
    /// `metric < 2000`, or `max(metric) < 2000`.
    pub fn describe(&self) -> String {
        let subject = match self.over_points {
            Some(s) => format!("{}({})", s.as_str(), self.metric),
            None => self.metric.clone(),
        };
        format!("{subject} {} {}", self.comparison.as_str(), fmt_limit(self.limit))
    }
}

fn fmt_limit(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

pub(super) fn lower_thresholds(node: Option<(Field<'_>, String)>) -> Result<Vec<Threshold>> {
    let Some((f, path)) = node else { return Ok(Vec::new()) };
    let t = TableReader::new(f.src, path.clone(), f.node)?;
    let mut out = Vec::new();
    for (key, origin, node) in t.named_entries() {
        let field = Field { src: f.src, node };
        let p = format!("{path}.\"{key}\"");
        let (metric, over_points) = match key.split_once('(') {
            Some((stat, rest)) => {
                let over = match stat {
                    "max" => OverPoints::Max,
                    "min" => OverPoints::Min,
                    "mean" => OverPoints::Mean,
                    _ => {
                        return Err(f.src.error(
                            origin,
                            &p,
                            "a statistic over a sweep's points is max(NAME), min(NAME) or mean(NAME)",
                        ));
                    }
                };
                let Some(metric) = rest.strip_suffix(')') else {
                    return Err(f.src.error(origin, &p, "a statistic over points closes with ): max(NAME)"));
                };
                (metric.to_string(), Some(over))
            }
            None => (key.clone(), None),
        };
        let text = field.str(&p)?;
        let (comparison, number) = parse_condition(text).ok_or_else(|| {
            field.error(&p, "a condition is a comparison and a number, e.g. \"< 2000\", \">= 0.99\" or \"== 0\"; comparisons: <, <=, >, >=, ==, !=")
        })?;
        out.push(Threshold {
            metric,
            over_points,
            comparison,
            limit: number,
            text: text.to_string(),
            error_at: f.src.error(origin, &p, String::new()),
        });
    }
    Ok(out)
}

fn parse_condition(text: &str) -> Option<(Comparison, f64)> {
    let text = text.trim();
    let (comparison, rest) = [
        ("<=", Comparison::LessOrEqual),
        (">=", Comparison::GreaterOrEqual),
        ("==", Comparison::Equal),
        ("!=", Comparison::NotEqual),
        ("<", Comparison::Less),
        (">", Comparison::Greater),
    ]
    .into_iter()
    .find_map(|(op, c)| text.strip_prefix(op).map(|rest| (c, rest)))?;
    let number: f64 = rest.trim().replace('_', "").parse().ok()?;
    number.is_finite().then_some((comparison, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse_with_their_comparison() {
        assert_eq!(parse_condition("< 2000"), Some((Comparison::Less, 2000.0)));
        assert_eq!(parse_condition("<=10"), Some((Comparison::LessOrEqual, 10.0)));
        assert_eq!(parse_condition(" == 0 "), Some((Comparison::Equal, 0.0)));
        assert_eq!(parse_condition(">= 1_500.5"), Some((Comparison::GreaterOrEqual, 1500.5)));
        assert_eq!(parse_condition("!= 3"), Some((Comparison::NotEqual, 3.0)));
        assert_eq!(parse_condition("2000"), None);
        assert_eq!(parse_condition("< fast"), None);
        assert_eq!(parse_condition("=< 3"), None);
    }
}
