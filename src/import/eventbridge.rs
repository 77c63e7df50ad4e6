//! EventBridge in a template: buses, rules with an event pattern or a schedule, EventBridge
//! Scheduler schedules, and SAM's `EventBridgeRule`, `CloudWatchEvent`, `Schedule` and
//! `ScheduleV2` events on functions and state machines.
//!
//! A rule with an `EventPattern` becomes a `[rule.ID]` on its bus (`[eventbridge.default]`
//! when the template names no bus), with targets among the template's queues, functions and
//! topics, and the retry policy and dead-letter queue of each target: the rule's keys when
//! its targets agree, else each target as a table with its own. Its traffic is a placeholder workload putting events on the bus, their fields
//! drawn from the pattern's exact values so that they match. A state machine target is a
//! target of the rule like the others: the rule starts its executions.
//!
//! A schedule (`ScheduleExpression`, SAM's `Schedule`/`ScheduleV2`, `AWS::Scheduler::Schedule`)
//! is traffic the template does know: a `constant` workload into each target at the
//! schedule's rate. `rate(N unit)` is exact. `cron(...)` is written as its mean rate over a
//! day (firings of its minutes and hours fields, scaled by the share of days its
//! day-of-month and day-of-week fields keep): a documented assumption, since a constant
//! workload cannot skip the hours a cron leaves out. A one-time `at(...)` schedule is skipped.
//! A schedule delivers asynchronously; a workload into a function invokes it synchronously,
//! which the comment on the workload says.

use super::intrinsics::{Piece, ResolveError, Val, as_bool, as_number, flat_text};
use super::resources::{Element, FUNCTIONS, Importer, Props, QUEUE, Setting, TOPIC, placeholder_workload, whole_text};
use super::write::{json, toml_string};

pub(super) const BUS: &str = "AWS::Events::EventBus";
pub(super) const MACHINES: [&str; 2] = ["AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine"];
/// EventBridge's quota: 5 targets per rule.
const TARGETS_PER_RULE_MAX: usize = 5;
/// A body holds at most 10 fields (the scenario's bound).
pub(super) const BODY_FIELDS_MAX: usize = 10;

/// A rule or schedule, gathered while reading the template and mapped once every queue,
/// topic, function and state machine is known.
pub(super) struct RuleSpec {
    /// The element's name (the rule's logical id, or `<Fn><Event>` for a SAM event).
    pub(super) name: String,
    pub(super) about: String,
    pub(super) path: String,
    pub(super) bus: Option<Val>,
    pub(super) pattern: Option<(Val, String)>,
    pub(super) schedule: Option<(String, String)>,
    pub(super) targets: Vec<TargetSpec>,
    /// `AWS::Scheduler::Schedule` and `ScheduleV2`: no rule, only traffic.
    pub(super) scheduler: bool,
}

pub(super) struct TargetSpec {
    pub(super) arn: Val,
    pub(super) retry: Option<Val>,
    pub(super) dead_letter: Option<Val>,
    /// `SqsParameters.MessageGroupId`, for a FIFO queue target.
    pub(super) message_group: Option<Val>,
}

/// One target's `RetryPolicy` (each value with where it came from), dead-letter queue and,
/// for a FIFO queue, message group.
struct TargetPolicy {
    retry_attempts: (f64, String),
    event_age_s: (f64, String),
    dead_letter_queue: Option<String>,
    message_group: Option<String>,
}

impl TargetPolicy {
    /// What the scenario sets, without the origins.
    fn values(&self) -> (f64, f64, Option<&str>) {
        (self.retry_attempts.0, self.event_age_s.0, self.dead_letter_queue.as_deref())
    }

    /// The rule's keys, when every target has this policy.
    fn rule_settings(&self, s: &mut Vec<Setting>) {
        for (key, (value, origin)) in
            [("maximum_retry_attempts", &self.retry_attempts), ("maximum_event_age_s", &self.event_age_s)]
        {
            s.push(Setting { key: key.into(), value: whole_text(*value), origin: origin.clone(), todo: false });
        }
        if let Some(q) = &self.dead_letter_queue {
            s.push(Setting {
                key: "dead_letter_queue".into(),
                value: toml_string(&format!("sqs.{q}")),
                origin: "template (Targets DeadLetterConfig.Arn)".into(),
                todo: false,
            });
        }
    }

    /// The target as an inline table with its own policy.
    fn inline_table(&self, element: &str) -> String {
        let mut out = format!(
            "{{ target = {}, maximum_retry_attempts = {}, maximum_event_age_s = {}",
            toml_string(element),
            whole_text(self.retry_attempts.0),
            whole_text(self.event_age_s.0)
        );
        if let Some(q) = &self.dead_letter_queue {
            out.push_str(&format!(", dead_letter_queue = {}", toml_string(&format!("sqs.{q}"))));
        }
        if let Some(g) = &self.message_group {
            out.push_str(&format!(", message_group_id = {}", toml_string(g)));
        }
        out.push_str(" }");
        out
    }

    /// The target under the rule's policy: its reference, or a table with its message group.
    fn plain(&self, element: &str) -> String {
        match &self.message_group {
            Some(g) => format!("{{ target = {}, message_group_id = {} }}", toml_string(element), toml_string(g)),
            None => toml_string(element),
        }
    }
}

/// Longest `SqsParameters.MessageGroupId` EventBridge takes.
const MESSAGE_GROUP_ID_CHARS_MAX: usize = 100;

/// A field of a map value.
pub(super) fn field<'v>(v: &'v Val, key: &str) -> Option<&'v Val> {
    match v {
        Val::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// A schedule expression's mean rate: `Ok((rate_per_s, how it was computed))`, or why it
/// has none.
pub fn schedule_rate(expression: &str) -> Result<(f64, String), String> {
    let e = expression.trim();
    if let Some(inner) = e.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let mut parts = inner.split_whitespace();
        let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("{e}: expected rate(VALUE UNIT)"));
        };
        let n: u64 = n
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{e}: the value must be a whole number above 0"))?;
        let unit_s = match unit {
            "minute" | "minutes" => 60,
            "hour" | "hours" => 3_600,
            "day" | "days" => 86_400,
            _ => return Err(format!("{e}: the unit must be minute(s), hour(s) or day(s)")),
        };
        let period = n * unit_s;
        return Ok((1.0 / period as f64, format!("one every {period} s")));
    }
    if let Some(inner) = e.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        let f: Vec<&str> = inner.split_whitespace().collect();
        if f.len() != 6 {
            return Err(format!(
                "{e}: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year)"
            ));
        }
        let minutes = cron_count(f[0], 0, 60).ok_or_else(|| format!("{e}: minutes field {:?} not understood", f[0]))?;
        let hours = cron_count(f[1], 0, 24).ok_or_else(|| format!("{e}: hours field {:?} not understood", f[1]))?;
        let dom_share = if matches!(f[2], "*" | "?") {
            1.0
        } else {
            cron_count(f[2], 1, 31).ok_or_else(|| format!("{e}: day-of-month field {:?} not understood", f[2]))? as f64
                / 30.44
        };
        let dow_share = if matches!(f[4], "*" | "?") {
            1.0
        } else {
            cron_count(&days_as_numbers(f[4]), 1, 7)
                .ok_or_else(|| format!("{e}: day-of-week field {:?} not understood", f[4]))? as f64
                / 7.0
        };
        let month_share = if f[3] == "*" {
            1.0
        } else {
            cron_count(&months_as_numbers(f[3]), 1, 12)
                .ok_or_else(|| format!("{e}: month field {:?} not understood", f[3]))? as f64
                / 12.0
        };
        let per_day = (minutes * hours) as f64 * dom_share.min(1.0) * dow_share.min(1.0) * month_share.min(1.0);
        if per_day <= 0.0 {
            return Err(format!("{e}: fires on no day"));
        }
        return Ok((
            per_day / 86_400.0,
            format!(
                "{} firing(s) a day on average (cron's days and months as shares of the year)",
                whole_text(per_day)
            ),
        ));
    }
    if e.starts_with("at(") {
        return Err(format!("{e}: a one-time schedule, no steady traffic to simulate"));
    }
    Err(format!("{e}: not rate(...), cron(...) or at(...)"))
}

/// How many values of `[base, base + n)` a cron field selects (`*`, lists, ranges, steps;
/// `L`, `W` and `#` count as one day).
fn cron_count(field: &str, base: u32, n: u32) -> Option<u32> {
    let mut total = 0;
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (low, high) = match range {
            "*" | "?" => (base, base + n - 1),
            r if r.contains(['L', 'W', '#']) => {
                total += 1;
                continue;
            }
            r => match r.split_once('-') {
                Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
                None => {
                    let a: u32 = r.parse().ok()?;
                    (a, if part.contains('/') { base + n - 1 } else { a })
                }
            },
        };
        if high < low {
            return None;
        }
        total += (high - low) / step + 1;
    }
    Some(total.min(n))
}

fn days_as_numbers(field: &str) -> String {
    let mut s = field.to_ascii_uppercase();
    for (i, d) in ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"].iter().enumerate() {
        s = s.replace(d, &(i + 1).to_string());
    }
    s
}

fn months_as_numbers(field: &str) -> String {
    let mut s = field.to_ascii_uppercase();
    for (i, m) in
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"].iter().enumerate()
    {
        s = s.replace(m, &(i + 1).to_string());
    }
    s
}

/// Body fields that an event pattern matches: each exact string (or a prefix) of the
/// pattern as a field drawn from those values, numbers as constants. Operators the body
/// cannot meet this way (`anything-but`, `numeric`, `exists`, …) are left out.
pub(super) fn pattern_fields(prefix: &str, pattern: &Val, out: &mut Vec<(String, String)>) {
    let Val::Map(entries) = pattern else { return };
    for (key, value) in entries {
        if key.starts_with('$') {
            continue;
        }
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match value {
            Val::Map(_) => pattern_fields(&path, value, out),
            Val::List(items) => {
                let mut strings = Vec::new();
                let mut number = None;
                for item in items {
                    match item {
                        Val::Str(_) | Val::Text(_) => strings.push(flat_text(item)),
                        Val::Int(_) | Val::Float(_) => number = number.or(as_number(item)),
                        Val::Map(_) => {
                            let text = ["prefix", "equals-ignore-case", "suffix"]
                                .iter()
                                .find_map(|op| field(item, op))
                                .filter(|p| !matches!(p, Val::Map(_)));
                            if let Some(p) = text {
                                strings.push(flat_text(p));
                            } else if field(item, "exists").is_some_and(|e| as_bool(e) == Some(true)) {
                                strings.push("present".into());
                            } else if let Some(Val::List(ops)) = field(item, "numeric") {
                                number = number.or(numeric_match(ops));
                            }
                        }
                        _ => {}
                    }
                }
                if !strings.is_empty() {
                    let values: Vec<String> = strings.iter().map(|s| toml_string(s)).collect();
                    out.push((path, format!("{{ values = [{}] }}", values.join(", "))));
                } else if let Some(x) = number {
                    out.push((path, whole_text(x)));
                }
            }
            _ => {}
        }
    }
}

/// A number that a `numeric` operator list (`[">", 0, "<=", 5]`) matches.
fn numeric_match(ops: &[Val]) -> Option<f64> {
    // Each bound: (value, strict).
    let mut low: Option<(f64, bool)> = None;
    let mut high: Option<(f64, bool)> = None;
    for pair in ops.chunks(2) {
        let [op, x] = pair else { return None };
        let x = as_number(x)?;
        match flat_text(op).as_str() {
            "=" => return Some(x),
            ">" => low = Some((x, true)),
            ">=" => low = Some((x, false)),
            "<" => high = Some((x, true)),
            "<=" => high = Some((x, false)),
            _ => return None,
        }
    }
    match (low, high) {
        (Some((l, _)), Some((h, _))) => Some((l + h) / 2.0),
        (Some((l, strict)), None) => Some(if strict { l + 1.0 } else { l }),
        (None, Some((h, strict))) => Some(if strict { h - 1.0 } else { h }),
        (None, None) => None,
    }
}

impl<'a> Importer<'a, '_> {
    /// `AWS::Events::EventBus`: a classic bus (rules and targets).
    pub(super) fn bus(&mut self, id: &str) {
        self.model.elements.push(Element {
            kind: "eventbridge",
            name: id.into(),
            about: format!("{BUS} {id}"),
            settings: vec![Setting {
                key: "kind".into(),
                value: toml_string("classic"),
                origin: "AWS::Events::EventBus: a bus with rules and targets".into(),
                todo: false,
            }],
            notes: Vec::new(),
        });
    }

    /// `AWS::Events::Rule`: gathered, mapped by [`Importer::rules`].
    pub(super) fn rule(&mut self, id: &str, props: &Props) -> Result<(), ResolveError> {
        if let Some((v, _)) = self.get(props, "State")?
            && flat_text(&v) == "DISABLED"
        {
            self.model.skipped.push(format!("{id} (AWS::Events::Rule): disabled (State: DISABLED)"));
            return Ok(());
        }
        let mut targets = Vec::new();
        if let Some((Val::List(list), _)) = self.get(props, "Targets")? {
            for t in list {
                let Some(arn) = field(&t, "Arn").cloned() else { continue };
                targets.push(TargetSpec {
                    arn,
                    retry: field(&t, "RetryPolicy").cloned(),
                    dead_letter: field(&t, "DeadLetterConfig").and_then(|d| field(d, "Arn")).cloned(),
                    message_group: field(&t, "SqsParameters").and_then(|p| field(p, "MessageGroupId")).cloned(),
                });
            }
        }
        let pattern = match self.get(props, "EventPattern")? {
            Some((v, origin)) => Some((self.json_property(v, props, "EventPattern")?, origin)),
            None => None,
        };
        let schedule = self.get(props, "ScheduleExpression")?.map(|(v, o)| (flat_text(&v), o));
        self.rule_specs.push(RuleSpec {
            name: id.into(),
            about: format!("AWS::Events::Rule {id}"),
            path: props.path.clone(),
            bus: self.get(props, "EventBusName")?.map(|(v, _)| v),
            pattern,
            schedule,
            targets,
            scheduler: false,
        });
        Ok(())
    }

    /// `AWS::Scheduler::Schedule`: its one target at the schedule's rate.
    pub(super) fn scheduler_schedule(&mut self, id: &str, props: &Props) -> Result<(), ResolveError> {
        if let Some((v, _)) = self.get(props, "State")?
            && flat_text(&v) == "DISABLED"
        {
            self.model.skipped.push(format!("{id} (AWS::Scheduler::Schedule): disabled (State: DISABLED)"));
            return Ok(());
        }
        let target = self.get(props, "Target")?.map(|(v, _)| v);
        let targets = target
            .as_ref()
            .and_then(|t| field(t, "Arn"))
            .map(|arn| TargetSpec {
                arn: arn.clone(),
                retry: target.as_ref().and_then(|t| field(t, "RetryPolicy")).cloned(),
                dead_letter: target
                    .as_ref()
                    .and_then(|t| field(t, "DeadLetterConfig"))
                    .and_then(|d| field(d, "Arn"))
                    .cloned(),
                message_group: None,
            })
            .into_iter()
            .collect();
        self.rule_specs.push(RuleSpec {
            name: id.into(),
            about: format!("AWS::Scheduler::Schedule {id}"),
            path: props.path.clone(),
            bus: None,
            pattern: None,
            schedule: self.get(props, "ScheduleExpression")?.map(|(v, o)| (flat_text(&v), o)),
            targets,
            scheduler: true,
        });
        Ok(())
    }

    /// A SAM `EventBridgeRule`, `CloudWatchEvent`, `Schedule` or `ScheduleV2` event of the
    /// function or state machine `owner` (its ARN is `target`).
    pub(super) fn sam_rule_event(
        &mut self,
        owner: &str,
        event: &str,
        kind: &str,
        props: &Props<'a>,
        owner_type: &str,
    ) -> Result<(), ResolveError> {
        let name = format!("{owner}{event}");
        let disabled = match self.get(props, "State")? {
            Some((v, _)) => flat_text(&v) == "DISABLED",
            None => self.get(props, "Enabled")?.is_some_and(|(v, _)| as_bool(&v) == Some(false)),
        };
        if disabled {
            self.model.skipped.push(format!("{owner}.Events.{event} ({kind}): disabled"));
            return Ok(());
        }
        let dead_letter = match self.get(props, "DeadLetterConfig")? {
            Some((d, _)) => match field(&d, "Arn") {
                Some(arn) => Some(arn.clone()),
                // `Type: SQS`: SAM creates the queue.
                None if field(&d, "Type").is_some_and(|t| flat_text(t) == "SQS") => {
                    let queue = format!("{name}Queue");
                    self.generated_queue(
                        &queue,
                        &format!("{owner_type} {owner}, event {event}: the dead-letter queue SAM creates"),
                    );
                    Some(Val::Text(vec![Piece::Ref { id: queue, attribute: Some("Arn".into()) }]))
                }
                None => None,
            },
            None => None,
        };
        let target = TargetSpec {
            arn: Val::Text(vec![Piece::Ref { id: owner.into(), attribute: None }]),
            retry: self.get(props, "RetryPolicy")?.map(|(v, _)| v),
            dead_letter,
            message_group: None,
        };
        let (pattern, schedule) = match kind {
            "EventBridgeRule" | "CloudWatchEvent" => {
                let p = match self.get(props, "Pattern")? {
                    Some((v, origin)) => Some((self.json_property(v, props, "Pattern")?, origin)),
                    None => None,
                };
                (p, None)
            }
            "Schedule" => (None, self.get(props, "Schedule")?.map(|(v, o)| (flat_text(&v), o))),
            _ => (None, self.get(props, "ScheduleExpression")?.map(|(v, o)| (flat_text(&v), o))),
        };
        self.rule_specs.push(RuleSpec {
            name,
            about: format!("{owner_type} {owner}, event {event} ({kind})"),
            path: props.path.clone(),
            bus: self.get(props, "EventBusName")?.map(|(v, _)| v),
            pattern,
            schedule,
            targets: vec![target],
            scheduler: kind == "ScheduleV2",
        });
        Ok(())
    }

    /// A queue SAM creates, which the template's references may name.
    pub(super) fn generated_queue(&mut self, queue: &str, about: &str) {
        if self.model.elements.iter().any(|e| e.kind == "sqs" && e.name == queue) {
            return;
        }
        self.model.elements.push(Element {
            kind: "sqs",
            name: queue.into(),
            about: about.into(),
            settings: vec![Setting {
                key: "visibility_timeout_s".into(),
                value: "30".into(),
                origin: "AWS default".into(),
                todo: false,
            }],
            notes: Vec::new(),
        });
        if !self.resources.iter().any(|r| r.id == queue) {
            self.resources.push(super::resources::Resource {
                id: queue.into(),
                kind: QUEUE.into(),
                node: &super::resources::EMPTY,
                name: None,
            });
        }
    }

    /// The scenario element a rule or schedule target names, if it is one the template has:
    /// a queue, topic, function, state machine or event bus (by its ARN, `GetAtt Arn` or an
    /// ARN built with `Fn::Sub`), or the account's default bus by its ARN.
    fn target_element(&self, arn: &Val) -> Option<String> {
        if flat_text(arn).ends_with(":event-bus/default") {
            return Some("eventbridge.default".into());
        }
        let mut kinds: Vec<&str> = vec![QUEUE, TOPIC, FUNCTIONS[0], FUNCTIONS[1], BUS];
        kinds.extend(MACHINES);
        let name = self.find(arn, &kinds).map(|id| self.element_name(&id))?;
        // A state machine whose definition could not be read has no element.
        self.model.elements.iter().any(|e| format!("{}.{}", e.kind, e.name) == name).then_some(name)
    }

    /// Why a rule's target is not imported: its kind, where the template shows it.
    fn unmodelled_target(&self, arn: &Val) -> &'static str {
        let flat = flat_text(arn);
        let names = |id: &str| flat.contains(&format!("${{{id}}}")) || flat.contains(&format!("${{{id}."));
        let kind = self.resources.iter().find(|r| names(&r.id)).map(|r| r.kind.as_str());
        let service = flat.strip_prefix("arn:").and_then(|a| a.split(':').nth(1)).unwrap_or_default();
        match (kind, service) {
            (Some("AWS::Events::ApiDestination"), _) => "an EventBridge API destination, which orchsim does not model",
            (Some(k), _) if k.starts_with("AWS::Logs::") => "a CloudWatch Logs log group, which orchsim does not model",
            (_, "logs") => "a CloudWatch Logs log group, which orchsim does not model",
            (Some(k), _) if k.starts_with("AWS::Batch::") => "an AWS Batch job queue, which orchsim does not model",
            (_, "batch") => "an AWS Batch job queue, which orchsim does not model",
            (Some(k), _) if k.starts_with("AWS::Kinesis") => "a Kinesis stream, which orchsim does not model",
            (_, "events") if flat.contains(":api-destination/") => {
                "an EventBridge API destination, which orchsim does not model"
            }
            (_, "events") if flat.contains(":event-bus/") => {
                "an event bus outside this template (another stack, account or Region), which the scenario does not hold"
            }
            _ => "not a queue, function, topic, state machine or event bus of this template",
        }
    }

    /// Every gathered rule and schedule, mapped.
    pub(super) fn rules(&mut self) -> Result<(), ResolveError> {
        for spec in std::mem::take(&mut self.rule_specs) {
            let mut targets = Vec::new();
            let mut unmodelled = Vec::new();
            for t in &spec.targets {
                match self.target_element(&t.arn) {
                    // A schedule's target is a workload's, which cannot be a bus.
                    Some(e) if e.starts_with("eventbridge.") && spec.schedule.is_some() => {
                        unmodelled.push((flat_text(&t.arn), "an event bus, which a scheduled workload cannot target"));
                    }
                    Some(e) => targets.push((e, t)),
                    None => unmodelled.push((flat_text(&t.arn), self.unmodelled_target(&t.arn))),
                }
            }
            if targets.is_empty() {
                let listed: Vec<String> = unmodelled.iter().map(|(arn, why)| format!("{arn}: {why}")).collect();
                let listed = if listed.is_empty() { "none".to_string() } else { listed.join("; ") };
                self.model
                    .skipped
                    .push(format!("{} ({}): no target orchsim models (targets: {listed})", spec.name, spec.about));
                continue;
            }
            for (arn, why) in unmodelled {
                self.model
                    .warnings
                    .push(format!("{}: target {arn} is {why}: the rule is imported without it", spec.path));
            }
            if targets.iter().any(|(e, _)| e == "eventbridge.default") {
                self.default_bus = true;
            }
            for (e, _) in &targets {
                if let Some((_, id)) = e.split_once('.') {
                    self.written.push(id.to_string());
                }
            }
            match &spec.schedule {
                Some((expression, origin)) => self.schedule_workloads(&spec, expression, origin, &targets),
                None => self.pattern_rule(&spec, &targets)?,
            }
        }
        Ok(())
    }

    fn schedule_workloads(
        &mut self,
        spec: &RuleSpec,
        expression: &str,
        origin: &str,
        targets: &[(String, &TargetSpec)],
    ) {
        let (rate, how) = match schedule_rate(expression) {
            Ok(r) => r,
            Err(why) => {
                self.model.skipped.push(format!("{} ({}): {why}", spec.name, spec.about));
                return;
            }
        };
        for (i, (element, t)) in targets.iter().enumerate() {
            let name = if targets.len() == 1 {
                format!("{}Schedule", spec.name)
            } else {
                format!("{}Schedule{}", spec.name, i + 1)
            };
            let mut notes = Vec::new();
            if element.starts_with("lambda.") {
                notes.push(
                    "the schedule invokes the function asynchronously; a workload's invocation is synchronous"
                        .to_string(),
                );
            }
            if t.retry.is_some() || t.dead_letter.is_some() {
                notes.push(format!(
                    "the target's RetryPolicy/DeadLetterConfig ({}) has no workload key: a delivery the target refuses is retried by the workload's SDK client",
                    [t.retry.as_ref().map(flat_text), t.dead_letter.as_ref().map(flat_text)].into_iter().flatten().collect::<Vec<_>>().join(", ")
                ));
            }
            let what = if spec.scheduler { "EventBridge Scheduler" } else { "a scheduled rule" };
            self.rule_workloads.push(Element {
                kind: "workload",
                name,
                about: format!("{}: {what} firing {expression} ({how})", spec.about),
                settings: vec![
                    Setting {
                        key: "target".into(),
                        value: toml_string(element),
                        origin: format!("template ({} target)", spec.about),
                        todo: false,
                    },
                    Setting {
                        key: "arrival".into(),
                        value: toml_string("constant"),
                        origin: format!("{origin} (ScheduleExpression {expression})"),
                        todo: false,
                    },
                    Setting {
                        key: "rate_per_s".into(),
                        value: rate.to_string(),
                        origin: format!("{origin} ({expression}: {how})"),
                        todo: false,
                    },
                ],
                notes,
            });
        }
    }

    /// A rule with an event pattern: `[rule.NAME]` on its bus, its traffic a placeholder.
    fn pattern_rule(&mut self, spec: &RuleSpec, targets: &[(String, &TargetSpec)]) -> Result<(), ResolveError> {
        let Some((pattern, pattern_origin)) = &spec.pattern else {
            self.model
                .skipped
                .push(format!("{} ({}): neither EventPattern nor ScheduleExpression", spec.name, spec.about));
            return Ok(());
        };
        let bus = match &spec.bus {
            None => "default".to_string(),
            Some(v) if flat_text(v) == "default" || flat_text(v).ends_with(":event-bus/default") => "default".into(),
            Some(v) => match self.find(v, &[BUS]) {
                Some(id) => id,
                None => {
                    self.model.skipped.push(format!(
                        "{} ({}): its bus {} is not a bus of this template",
                        spec.name,
                        spec.about,
                        flat_text(v)
                    ));
                    return Ok(());
                }
            },
        };
        if bus == "default" {
            self.default_bus = true;
        }
        let mut others: Vec<_> = Vec::new();
        for t in targets {
            if others.iter().any(|(e, _): &&(String, &TargetSpec)| *e == t.0) {
                // AWS tells such targets apart by Id (e.g. to give each its own Input); the
                // scenario names each target once.
                self.model.warnings.push(format!(
                    "rule.{}: {} is a target twice; the scenario names each target of a rule once: the first is imported",
                    spec.name, t.0
                ));
                continue;
            }
            others.push(t);
        }
        if others.is_empty() {
            return Ok(());
        }
        if others.len() > TARGETS_PER_RULE_MAX {
            self.model.warnings.push(format!(
                "rule.{}: {} targets; EventBridge allows {TARGETS_PER_RULE_MAX} per rule: the first {TARGETS_PER_RULE_MAX} are imported",
                spec.name,
                others.len()
            ));
            others.truncate(TARGETS_PER_RULE_MAX);
        }
        let mut policies = Vec::new();
        others.retain(|(e, t)| match self.target_policy(spec, e, t) {
            Some(p) => {
                policies.push(p);
                true
            }
            None => false,
        });
        if others.is_empty() {
            self.model.skipped.push(format!("{} ({}): none of its targets can be imported", spec.name, spec.about));
            return Ok(());
        }
        let agree = policies.iter().all(|p| p.values() == policies[0].values());
        let list: Vec<String> = if agree {
            others.iter().zip(&policies).map(|((e, _), p)| p.plain(e)).collect()
        } else {
            others.iter().zip(&policies).map(|((e, _), p)| p.inline_table(e)).collect()
        };
        let groups = if policies.iter().any(|p| p.message_group.is_some()) {
            "; a FIFO queue's SqsParameters.MessageGroupId as its message_group_id"
        } else {
            ""
        };
        let targets_origin = if agree {
            format!("template ({} Targets{groups})", spec.about)
        } else {
            format!(
                "template ({} Targets, each with its RetryPolicy and DeadLetterConfig; AWS defaults 185 retries and 86,400 s where a target sets none{groups})",
                spec.about
            )
        };
        let mut s = vec![
            Setting {
                key: "bus".into(),
                value: toml_string(&format!("eventbridge.{bus}")),
                origin: if spec.bus.is_some() {
                    "template (EventBusName)".into()
                } else {
                    "AWS default (the default bus)".into()
                },
                todo: false,
            },
            Setting {
                key: "event_pattern".into(),
                value: toml_string(&json(pattern)),
                origin: pattern_origin.clone(),
                todo: false,
            },
            Setting {
                key: "targets".into(),
                value: format!("[{}]", list.join(", ")),
                origin: targets_origin,
                todo: false,
            },
        ];
        if agree {
            policies[0].rule_settings(&mut s);
        }
        for q in policies.iter().filter_map(|p| p.dead_letter_queue.clone()) {
            self.written.push(q);
        }
        self.model.elements.push(Element {
            kind: "rule",
            name: spec.name.clone(),
            about: spec.about.clone(),
            settings: s,
            notes: Vec::new(),
        });
        self.pattern_traffic(spec, &bus, pattern);
        Ok(())
    }

    /// A target's retry policy (AWS's defaults where it sets none), dead-letter queue and
    /// message group; `None`, with a warning, for a target EventBridge cannot deliver to: a
    /// FIFO queue without a `MessageGroupId`, or without content-based deduplication.
    fn target_policy(&mut self, spec: &RuleSpec, element: &str, t: &TargetSpec) -> Option<TargetPolicy> {
        let group = t.message_group.as_ref().map(flat_text);
        let message_group = match element.strip_prefix("sqs.") {
            Some(q) if self.is_fifo_queue(q) => {
                let why = match &group {
                    None => Some("has no SqsParameters.MessageGroupId, which EventBridge requires for a FIFO queue"),
                    Some(g) if g.is_empty() || g.chars().count() > MESSAGE_GROUP_ID_CHARS_MAX => {
                        Some("has a SqsParameters.MessageGroupId that is not 1 to 100 characters")
                    }
                    Some(_) if !self.is_content_based_queue(q) => Some(
                        "is a FIFO queue without ContentBasedDeduplication, which EventBridge requires of a FIFO queue target",
                    ),
                    Some(_) => None,
                };
                if let Some(why) = why {
                    self.model.warnings.push(format!(
                        "rule.{}: the target {element} {why}: the rule is imported without it",
                        spec.name
                    ));
                    return None;
                }
                group
            }
            _ => {
                if let Some(g) = group {
                    self.model.warnings.push(format!(
                        "rule.{}: the target {element} has SqsParameters.MessageGroupId {g}, which only a FIFO queue (or a fair queue, not modelled) uses: left out",
                        spec.name
                    ));
                }
                None
            }
        };
        let mut values = Vec::new();
        for (property, default) in [("MaximumRetryAttempts", 185.0), ("MaximumEventAgeInSeconds", 86_400.0)] {
            let given = t.retry.as_ref().and_then(|r| field(r, property)).and_then(as_number);
            values.push(match given {
                Some(x) => (x, format!("template (Targets RetryPolicy.{property})")),
                None => (default, "AWS default".to_string()),
            });
        }
        let dead_letter_queue = t.dead_letter.as_ref().and_then(|dlq| match self.find(dlq, &[QUEUE]) {
            Some(q) if !self.is_fifo_queue(&q) => Some(q),
            _ => {
                self.model.warnings.push(format!(
                    "rule.{}: the dead-letter queue {} is not a standard queue of this template: imported without one",
                    spec.name,
                    flat_text(dlq)
                ));
                None
            }
        });
        Some(TargetPolicy {
            retry_attempts: values[0].clone(),
            event_age_s: values[1].clone(),
            dead_letter_queue,
            message_group,
        })
    }

    /// A placeholder workload putting events that match the rule's pattern on its bus.
    fn pattern_traffic(&mut self, spec: &RuleSpec, bus: &str, pattern: &Val) {
        let name = format!("{}Traffic", spec.name);
        let mut fields = Vec::new();
        pattern_fields("", pattern, &mut fields);
        fields.truncate(BODY_FIELDS_MAX);
        self.model.placeholders.push(format!(
            "workload.{name}: Poisson events at {} a second on eventbridge.{bus}, their fields drawn from the pattern of rule.{} ({} field(s)); the template cannot know the traffic",
            super::resources::RATE_PLACEHOLDER_PER_S,
            spec.name,
            fields.len()
        ));
        if fields.is_empty() {
            self.model.warnings.push(format!(
                "workload.{name}: the pattern of rule.{} has no exact value to draw events from: the placeholder events are empty and may not match",
                spec.name
            ));
        }
        self.rule_workloads.push(placeholder_workload(
            name.clone(),
            format!("events on eventbridge.{bus} for {}", spec.about),
            &format!("eventbridge.{bus}"),
            format!("the bus of {}", spec.about),
        ));
        if !fields.is_empty() {
            self.rule_workloads.push(Element {
                kind: "workload",
                name: format!("{name}.body"),
                about: format!(
                    "fields drawn from the values of rule.{}'s pattern, so that the events match",
                    spec.name
                ),
                settings: fields
                    .into_iter()
                    .map(|(k, v)| Setting {
                        key: toml_string(&k),
                        value: v,
                        origin: "placeholder: from the pattern".into(),
                        todo: true,
                    })
                    .collect(),
                notes: Vec::new(),
            });
        }
        let _ = &spec.path;
    }

    /// `[eventbridge.default]` when a rule uses the account's default bus.
    pub(super) fn default_bus_element(&mut self) {
        if self.default_bus && !self.model.elements.iter().any(|e| e.kind == "eventbridge" && e.name == "default") {
            self.model.elements.push(Element {
                kind: "eventbridge",
                name: "default".into(),
                about: "the account's default event bus, which the template's rules use".into(),
                settings: Vec::new(),
                notes: Vec::new(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_expressions_give_one_firing_per_period() {
        assert_eq!(schedule_rate("rate(5 minutes)").unwrap().0, 1.0 / 300.0);
        assert_eq!(schedule_rate("rate(1 hour)").unwrap().0, 1.0 / 3600.0);
        assert!(schedule_rate("rate(0 days)").is_err());
        assert!(schedule_rate("rate(5 weeks)").is_err());
    }

    #[test]
    fn cron_expressions_give_their_mean_daily_rate() {
        // Every 15 minutes, every day: 96 a day.
        assert_eq!(schedule_rate("cron(0/15 * * * ? *)").unwrap().0, 96.0 / 86_400.0);
        // 10:00 on weekdays: 5 of 7 days.
        assert_eq!(schedule_rate("cron(0 10 ? * MON-FRI *)").unwrap().0, 5.0 / 7.0 / 86_400.0);
        assert!(schedule_rate("cron(0 10 * *)").is_err());
        assert!(schedule_rate("at(2026-01-01T00:00:00)").is_err());
    }
}
