//! A template's resources mapped to scenario elements.
//!
//! Each element is named after the logical id of its resource (logical ids are letters and
//! digits, which scenario names accept as bare keys). Each value carries where it came from:
//! the template, SAM's `Globals`, a parameter (its `Default` or `--param`), or AWS's default
//! when the template leaves the property out, following the resource reference in
//! `shared/reference/cloudformation-import.md` and the scenario keys of
//! the key table (`scenario::keys`). What the template cannot know (traffic, handler run times) gets a
//! placeholder that runs, marked TODO.

use super::eventbridge;
use super::intrinsics::{Context, Piece, ResolveError, Val, as_bool, as_number, flat_text};
use super::template::{self, Node};
use super::write::{json, toml_string};

/// Lambda's filters per event source mapping, raised by quota (the scenario's bound).
const FILTERS_MAX: usize = 10;

/// The scenario elements of an import, in the order they are written.
#[derive(Debug, Default)]
pub struct Model {
    pub elements: Vec<Element>,
    pub workloads: Vec<Element>,
    pub placeholders: Vec<String>,
    pub skipped: Vec<String>,
    pub warnings: Vec<String>,
    /// Settings of `[run]` beyond the horizon, e.g. the `start_time` a literal Timestamp wait
    /// needs.
    pub run: Vec<Setting>,
    /// The definition files of the state machines, written beside the scenario.
    pub definitions: Vec<super::step_functions::DefinitionFile>,
    /// The definitions read from `DefinitionUri` files, by state machine, for `--json`.
    pub file_definitions: Vec<(String, Val)>,
}

/// One `[KIND.NAME]` table.
#[derive(Debug)]
pub struct Element {
    pub kind: &'static str,
    pub name: String,
    /// What it was made from, for the comment on its header.
    pub about: String,
    pub settings: Vec<Setting>,
    /// Comment lines: template properties that have no scenario key.
    pub notes: Vec<String>,
}

/// `key = value  # origin`, with `value` already TOML text.
#[derive(Debug)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub origin: String,
    pub todo: bool,
}

/// A handler run time for functions, which no template gives (`duration_s` is required).
pub const DURATION_PLACEHOLDER: &str = "{ dist = \"lognormal\", median = 0.1, p99 = 0.5 }";
/// The rate of each entry point's placeholder workload.
pub const RATE_PLACEHOLDER_PER_S: u32 = 1;

pub(super) const QUEUE: &str = "AWS::SQS::Queue";
pub(super) const TOPIC: &str = "AWS::SNS::Topic";
pub(super) const FUNCTIONS: [&str; 2] = ["AWS::Lambda::Function", "AWS::Serverless::Function"];
pub(super) const BROKER: &str = "AWS::AmazonMQ::Broker";

pub(super) struct Resource<'a> {
    pub(super) id: String,
    pub(super) kind: String,
    pub(super) node: &'a Node,
    /// The physical name, as flat text, when the template sets one.
    pub(super) name: Option<String>,
}

/// An SQS event source of a function: from an event source mapping or a SAM SQS event.
struct Mapping<'a> {
    function: String,
    /// Names the mapping among its function's several: the mapping's logical id, or the
    /// SAM event's name.
    name: String,
    queue: String,
    props: Props<'a>,
    about: String,
    /// `queue` is an Amazon MQ broker: its pollers consume the broker's queue.
    on_broker: bool,
}

/// A resource's properties, with SAM's `Globals` beneath them.
#[derive(Clone)]
pub(super) struct Props<'a> {
    pub(super) node: Option<&'a Node>,
    pub(super) globals: Option<&'a Node>,
    pub(super) path: String,
}

pub(super) struct Importer<'a, 'c> {
    pub(super) ctx: &'c Context<'a>,
    pub(super) resources: Vec<Resource<'a>>,
    pub(super) model: Model,
    mappings: Vec<Mapping<'a>>,
    /// Queues and topics something in the template writes to: SNS endpoints, dead-letter
    /// queues, rule targets.
    pub(super) written: Vec<String>,
    /// SAM `Api` and `HttpApi` events: (function, event, what it answers).
    apis: Vec<(String, String, String)>,
    /// Settings of `AWS::Lambda::EventInvokeConfig` resources, by function.
    deferred_configs: Vec<(String, Vec<Setting>)>,
    /// Rules and schedules, mapped once every element is known.
    pub(super) rule_specs: Vec<super::eventbridge::RuleSpec>,
    /// Workloads of schedules and rules.
    pub(super) rule_workloads: Vec<Element>,
    /// A rule uses the account's default bus.
    pub(super) default_bus: bool,
    /// State machines, mapped once every function, queue and topic is known.
    pub(super) machine_specs: Vec<super::step_functions::MachineSpec<'a>>,
    /// Where `DefinitionUri` files are looked up.
    pub(super) definitions_dir: std::path::PathBuf,
    /// Put before `ID.asl.json` in the names of definition files.
    pub(super) definition_prefix: String,
    /// The import's Region, written into the addresses of definitions.
    pub(super) region: String,
    /// By queue: the `body` pattern of the first filter of a mapping from it, which the
    /// queue's placeholder traffic draws its body from.
    queue_filters: Vec<(String, Val)>,
    /// By broker: the `data` pattern of the first filter of a mapping from it, likewise.
    broker_filters: Vec<(String, Val)>,
    /// SAM's `Globals.CapacityProvider`, beneath each `AWS::Serverless::CapacityProvider`.
    pub(super) capacity_provider_globals: Option<&'a Node>,
}

/// Maps the resources of a template.
pub fn map<'a>(root: &'a Node, ctx: &Context<'a>, options: &super::Options) -> Result<Model, ResolveError> {
    let mut importer = Importer {
        ctx,
        resources: Vec::new(),
        model: Model::default(),
        mappings: Vec::new(),
        written: Vec::new(),
        apis: Vec::new(),
        deferred_configs: Vec::new(),
        rule_specs: Vec::new(),
        rule_workloads: Vec::new(),
        default_bus: false,
        machine_specs: Vec::new(),
        definitions_dir: options.definitions_dir.clone(),
        definition_prefix: options.definition_prefix.clone(),
        region: options.region.clone(),
        queue_filters: Vec::new(),
        broker_filters: Vec::new(),
        capacity_provider_globals: root.get("Globals").and_then(|g| g.get("CapacityProvider")),
    };
    importer.collect(root)?;
    let globals = root.get("Globals").and_then(|g| g.get("Function"));
    let in_template = importer.resources.len();
    importer.sam_destinations_ahead(globals)?;
    for i in 0..in_template {
        let (id, kind, node) = {
            let r = &importer.resources[i];
            (r.id.clone(), r.kind.clone(), r.node)
        };
        let props = Props { node: node.get("Properties"), globals: None, path: format!("Resources.{id}.Properties") };
        match kind.as_str() {
            QUEUE => importer.queue(&id, &props)?,
            TOPIC => importer.topic(&id, &props)?,
            "AWS::SNS::Subscription" => importer.subscription(&id, &props, &format!("AWS::SNS::Subscription {id}"))?,
            "AWS::Lambda::Function" => importer.function(&id, &props, &kind)?,
            "AWS::Serverless::Function" => {
                importer.function(&id, &Props { globals, ..props }, &kind)?;
                importer.sam_events(&id, node)?;
            }
            "AWS::Lambda::EventSourceMapping" => importer.event_source_mapping(&id, &props)?,
            "AWS::Lambda::EventInvokeConfig" => importer.event_invoke_config(&id, &props)?,
            super::eventbridge::BUS => importer.bus(&id),
            "AWS::Events::Rule" => importer.rule(&id, &props)?,
            "AWS::Scheduler::Schedule" => importer.scheduler_schedule(&id, &props)?,
            "AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine" => importer
                .machine_specs
                .push(super::step_functions::MachineSpec { id: id.clone(), kind: kind.clone(), props }),
            super::step_functions::ACTIVITY => importer.activity_element(&id),
            "AWS::AmazonMQ::Broker" => importer.broker(&id, &props)?,
            _ => importer.model.skipped.push(format!("{id} ({kind}): {}", skip_reason(&kind))),
        }
    }
    importer.machines()?;
    importer.rules()?;
    importer.default_bus_element();
    importer.apply_mappings()?;
    for (function, settings) in std::mem::take(&mut importer.deferred_configs) {
        if let Some(e) = importer.model.elements.iter_mut().find(|e| e.kind == "lambda" && e.name == function) {
            e.settings.retain(|s| !settings.iter().any(|n| n.key == s.key));
            e.settings.extend(settings);
        }
    }
    importer.entry_points();
    Ok(importer.model)
}

/// Why a resource type is not mapped.
fn skip_reason(kind: &str) -> &'static str {
    match kind {
        "AWS::AmazonMQ::Configuration" | "AWS::AmazonMQ::ConfigurationAssociation" => {
            "broker configuration (XML): nothing the scenario's broker has a key for"
        }
        "AWS::EventSchemas::Registry" | "AWS::EventSchemas::Schema" | "AWS::Events::Archive" => {
            "event schemas and archives: nothing to simulate"
        }
        "AWS::Pipes::Pipe" => "EventBridge Pipes are not modelled by orchsim",
        "AWS::Events::ApiDestination" | "AWS::Events::Connection" => {
            "EventBridge API destinations are not modelled by orchsim"
        }
        "AWS::CloudFormation::Stack" | "AWS::Serverless::Application" => {
            "a nested stack: its template is not in this file"
        }
        "AWS::Lambda::Permission"
        | "AWS::SQS::QueuePolicy"
        | "AWS::SQS::QueueInlinePolicy"
        | "AWS::SNS::TopicPolicy" => "permissions only: nothing to simulate",
        "AWS::Lambda::CapacityProvider" | "AWS::Serverless::CapacityProvider" => {
            "a capacity provider: its scaling is read into the functions that run on it (`managed_instances`)"
        }
        "AWS::Lambda::Version" | "AWS::Lambda::Alias" => {
            "a version or alias runs its function: nothing of its own to simulate"
        }
        k if k.starts_with("AWS::IAM::") => "permissions only: nothing to simulate",
        k if k.starts_with("AWS::Logs::") || k.starts_with("AWS::CloudWatch::") => {
            "logging and monitoring: nothing to simulate"
        }
        k if k.starts_with("AWS::DynamoDB::") || k == "AWS::Serverless::SimpleTable" => {
            "DynamoDB is not modelled by orchsim"
        }
        k if k.starts_with("AWS::Kinesis") => "Kinesis is not modelled by orchsim",
        k if k.starts_with("AWS::S3::") => "S3 is not modelled by orchsim",
        k if k.starts_with("AWS::ApiGateway")
            || k.starts_with("AWS::Serverless::Api")
            || k.starts_with("AWS::Serverless::HttpApi") =>
        {
            "API Gateway is not modelled by orchsim (SAM Api and HttpApi events become workloads of their function or state machine)"
        }
        _ => "not modelled by orchsim",
    }
}

pub(super) fn whole_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { x.to_string() }
}

impl<'a> Importer<'a, '_> {
    /// The resources that exist (their `Condition` holds), with their physical names.
    fn collect(&mut self, root: &'a Node) -> Result<(), ResolveError> {
        for (id, node) in root.get("Resources").map(Node::entries).unwrap_or_default() {
            let path = format!("Resources.{id}");
            let kind = match node.get("Type").map(|t| self.ctx.resolve(t, &format!("{path}.Type"))).transpose()? {
                Some(Val::Str(k)) => k,
                _ => {
                    return Err(ResolveError {
                        path: format!("{path}.Type"),
                        line: node.line,
                        column: node.column,
                        message: "a resource needs a Type".into(),
                    });
                }
            };
            if let Some(condition) = node.get("Condition") {
                let name = condition.as_str().unwrap_or_default();
                if !self.ctx.condition(name, condition, &format!("{path}.Condition"))? {
                    self.model
                        .skipped
                        .push(format!("{id} ({kind}): its condition {name} is false, so it is not created"));
                    continue;
                }
            }
            let name_key = match kind.as_str() {
                QUEUE => Some("QueueName"),
                TOPIC => Some("TopicName"),
                k if FUNCTIONS.contains(&k) => Some("FunctionName"),
                "AWS::StepFunctions::StateMachine" => Some("StateMachineName"),
                "AWS::Serverless::StateMachine" | super::eventbridge::BUS | "AWS::StepFunctions::Activity" => {
                    Some("Name")
                }
                _ => None,
            };
            let name = match name_key.and_then(|k| node.get("Properties").and_then(|p| p.get(k)).map(|n| (k, n))) {
                Some((k, n)) => Some(flat_text(&self.ctx.resolve(n, &format!("{path}.Properties.{k}"))?)),
                None => None,
            };
            self.resources.push(Resource { id: id.clone(), kind, node, name });
        }
        Ok(())
    }

    /// The resource of one of `kinds` that a value names: by `Ref`/`Fn::GetAtt` (also inside
    /// an ARN built with `Fn::Sub` or `Fn::Join`), or by its physical name or logical id as a
    /// segment of an ARN, a URL or a plain name.
    pub(super) fn find(&self, v: &Val, kinds: &[&str]) -> Option<String> {
        let of_kind = |r: &&Resource| kinds.contains(&r.kind.as_str());
        if let Val::Text(pieces) = v {
            for p in pieces {
                if let Piece::Ref { id, .. } = p
                    && let Some(r) = self.resources.iter().filter(of_kind).find(|r| &r.id == id)
                {
                    return Some(r.id.clone());
                }
                // `Fn.DestinationQueue` / `Fn.DestinationTopic`: the queue or topic SAM
                // creates for the function's EventInvokeConfig, once the function is mapped.
                if let Piece::Ref { id, attribute: Some(a) } = p
                    && let Some(suffix) = a.strip_prefix("Destination").filter(|x| *x == "Queue" || *x == "Topic")
                    && let Some(r) = ["OnFailure", "OnSuccess"].iter().find_map(|property| {
                        let generated = format!("{id}EventInvokeConfig{property}{suffix}");
                        self.resources.iter().filter(of_kind).find(|r| r.id == generated)
                    })
                {
                    return Some(r.id.clone());
                }
                // A resource SAM generates from one of the template's (`FnAliaslive`, the
                // alias of `AutoPublishAlias`) stands for it.
                if let Piece::Symbol(s) = p
                    && let Some(generated) = s.strip_prefix("SAM resource ")
                    && let Some(r) = self
                        .resources
                        .iter()
                        .filter(of_kind)
                        .filter(|r| generated.starts_with(r.id.as_str()))
                        .max_by_key(|r| r.id.len())
                {
                    return Some(r.id.clone());
                }
            }
        }
        let flat = flat_text(v);
        for r in self.resources.iter().filter(of_kind) {
            if flat.contains(&format!("${{{}}}", r.id)) || flat.contains(&format!("${{{}.", r.id)) {
                return Some(r.id.clone());
            }
        }
        let segments = segments(&flat);
        for segment in segments.iter().rev() {
            if let Some(r) =
                self.resources.iter().filter(of_kind).find(|r| r.name.as_deref() == Some(segment) || &r.id == segment)
            {
                return Some(r.id.clone());
            }
        }
        None
    }

    pub(super) fn is_fifo_queue(&self, id: &str) -> bool {
        self.model
            .elements
            .iter()
            .any(|e| e.kind == "sqs" && e.name == id && e.settings.iter().any(|s| s.key == "fifo" && s.value == "true"))
    }

    pub(super) fn is_content_based_queue(&self, id: &str) -> bool {
        self.model.elements.iter().any(|e| {
            e.kind == "sqs"
                && e.name == id
                && e.settings.iter().any(|s| s.key == "content_based_deduplication" && s.value == "true")
        })
    }

    pub(super) fn is_fifo_topic(&self, id: &str) -> bool {
        self.model
            .elements
            .iter()
            .any(|e| e.kind == "sns" && e.name == id && e.settings.iter().any(|s| s.key == "fifo" && s.value == "true"))
    }

    /// Where a value of a property came from.
    pub(super) fn origin(&self, node: &Node, source: &str) -> String {
        if let Some(p) = node.get("Ref").and_then(Node::as_str).and_then(|p| self.ctx.parameter(p)) {
            return match (&p.value, p.overridden) {
                (_, true) => format!("{source}: parameter {} (--param)", p.name),
                (Some(_), false) => format!("{source}: parameter {} (its Default)", p.name),
                (None, _) => format!("{source}: parameter {} (no value)", p.name),
            };
        }
        match node.entries() {
            [(f, arg)] if f == "Fn::If" => {
                let condition = match &arg.value {
                    template::Value::Seq(items) => items.first().and_then(Node::as_str).unwrap_or_default(),
                    _ => "",
                };
                let holds = self.ctx.condition(condition, arg, "").unwrap_or(false);
                format!("{source} (Fn::If: condition {condition} is {holds})")
            }
            [(f, arg)] if f == "Fn::FindInMap" => {
                let map = match &arg.value {
                    template::Value::Seq(items) => items.first().and_then(Node::as_str).unwrap_or_default(),
                    _ => "",
                };
                format!("{source} (Fn::FindInMap in Mappings.{map})")
            }
            [(f, _)] if f.starts_with("Fn::") => format!("{source} ({f})"),
            _ => source.to_string(),
        }
    }

    /// A property, from the resource or else from `Globals`, resolved, with its origin.
    pub(super) fn get(&self, props: &Props, key: &str) -> Result<Option<(Val, String)>, ResolveError> {
        for (node, source, path) in
            [(props.node, "template", props.path.clone()), (props.globals, "Globals", "Globals.Function".to_string())]
        {
            if let Some(n) = node.and_then(|n| n.get(key)) {
                match self.ctx.resolve(n, &format!("{path}.{key}"))? {
                    Val::NoValue => {}
                    v => return Ok(Some((v, self.origin(n, source)))),
                }
            }
        }
        Ok(None)
    }

    /// A numeric property as a setting: the template's value, or AWS's default.
    pub(super) fn number(
        &mut self,
        settings: &mut Vec<Setting>,
        props: &Props,
        property: &str,
        key: &str,
        default: Option<f64>,
        element: &str,
    ) -> Result<(), ResolveError> {
        let found = self.get(props, property)?;
        let (value, origin, todo) = match found {
            Some((v, origin)) => match as_number(&v) {
                Some(x) => (Some(x), origin, false),
                None => {
                    let why = format!("{property} is {}, which only a deployment knows", flat_text(&v));
                    self.model.placeholders.push(format!(
                        "{element}.{key}: {why}; {}",
                        match default {
                            Some(d) => format!("AWS's default {} written", whole_text(d)),
                            None => "left out".into(),
                        }
                    ));
                    (default, format!("AWS default; {why}"), true)
                }
            },
            None => (default, "AWS default".into(), false),
        };
        if let Some(x) = value {
            settings.push(Setting { key: key.into(), value: whole_text(x), origin, todo });
        }
        Ok(())
    }

    pub(super) fn boolean(
        &mut self,
        settings: &mut Vec<Setting>,
        props: &Props,
        property: &str,
        key: &str,
    ) -> Result<bool, ResolveError> {
        let (value, origin) = match self.get(props, property)? {
            Some((v, origin)) => match as_bool(&v) {
                Some(b) => (b, origin),
                None => (false, format!("AWS default; {property} is {}, not true or false", flat_text(&v))),
            },
            None => (false, "AWS default".into()),
        };
        settings.push(Setting { key: key.into(), value: value.to_string(), origin, todo: false });
        Ok(value)
    }

    /// A JSON property given as an object or as a JSON string (possibly built with
    /// `Fn::Sub`), as a value; references inside a string read as `${Id.Attribute}`.
    pub(super) fn json_property(&self, v: Val, props: &Props, key: &str) -> Result<Val, ResolveError> {
        let path = format!("{}.{key}", props.path);
        let node = props.node.and_then(|n| n.get(key)).or_else(|| props.globals.and_then(|n| n.get(key)));
        let (line, column) = node.map_or((0, 0), |n| (n.line, n.column));
        match v {
            Val::Map(_) => Ok(v),
            Val::Str(_) | Val::Text(_) => {
                let text = flat_text(&v);
                let parsed = template::read(&text).map_err(|e| ResolveError {
                    path: path.clone(),
                    line,
                    column,
                    message: format!(
                        "not a JSON object (at {}:{} of the text: {}): {text}",
                        e.line, e.column, e.message
                    ),
                })?;
                self.ctx.resolve(&parsed.root, &path)
            }
            other => Err(ResolveError {
                path,
                line,
                column,
                message: format!("expected a JSON object or a JSON string, found {}", flat_text(&other)),
            }),
        }
    }

    fn queue(&mut self, id: &str, props: &Props) -> Result<(), ResolveError> {
        let element = format!("sqs.{id}");
        let mut s = Vec::new();
        let fifo = self.boolean(&mut s, props, "FifoQueue", "fifo")?;
        if fifo {
            self.boolean(&mut s, props, "ContentBasedDeduplication", "content_based_deduplication")?;
        }
        self.number(&mut s, props, "VisibilityTimeout", "visibility_timeout_s", Some(30.0), &element)?;
        self.number(&mut s, props, "MessageRetentionPeriod", "message_retention_s", Some(345_600.0), &element)?;
        self.number(&mut s, props, "DelaySeconds", "delay_s", Some(0.0), &element)?;
        self.number(&mut s, props, "MaximumMessageSize", "max_message_size_bytes", Some(1_048_576.0), &element)?;
        let mut notes = Vec::new();
        if let Some((v, origin)) = self.get(props, "ReceiveMessageWaitTimeSeconds")? {
            notes.push(format!(
                "ReceiveMessageWaitTimeSeconds = {} ({origin}): no scenario key; a consumer sets its own wait (workers' wait_time_s; Lambda's pollers always long-poll)",
                flat_text(&v)
            ));
        }
        if let Some((v, origin)) = self.get(props, "RedrivePolicy")? {
            let path = format!("{}.RedrivePolicy", props.path);
            let policy = self.json_property(v, props, "RedrivePolicy")?;
            let target = match &policy {
                Val::Map(entries) => entries.iter().find(|(k, _)| k == "deadLetterTargetArn").map(|(_, v)| v),
                _ => None,
            };
            let count = match &policy {
                Val::Map(entries) => {
                    entries.iter().find(|(k, _)| k == "maxReceiveCount").and_then(|(_, v)| as_number(v))
                }
                _ => None,
            };
            match target.and_then(|t| self.find(t, &[QUEUE])) {
                Some(dlq) => {
                    s.push(Setting { key: "dead_letter_queue".into(), value: toml_string(&format!("sqs.{dlq}")), origin: format!("{origin} (RedrivePolicy.deadLetterTargetArn)"), todo: false });
                    s.push(Setting {
                        key: "receive_count_max".into(),
                        value: whole_text(count.unwrap_or(10.0)),
                        origin: if count.is_some() { format!("{origin} (RedrivePolicy.maxReceiveCount)") } else { "AWS default".into() },
                        todo: false,
                    });
                    self.written.push(dlq);
                }
                None => self.model.warnings.push(format!(
                    "{path}: the dead-letter queue {} is not a queue of this template: {element} is imported without one",
                    target.map(flat_text).unwrap_or_else(|| "(missing deadLetterTargetArn)".into())
                )),
            }
        }
        self.model.elements.push(Element {
            kind: "sqs",
            name: id.into(),
            about: format!("{QUEUE} {id}"),
            settings: s,
            notes,
        });
        Ok(())
    }

    fn topic(&mut self, id: &str, props: &Props) -> Result<(), ResolveError> {
        let mut s = Vec::new();
        self.boolean(&mut s, props, "FifoTopic", "fifo")?;
        self.model.elements.push(Element {
            kind: "sns",
            name: id.into(),
            about: format!("{TOPIC} {id}"),
            settings: s,
            notes: Vec::new(),
        });
        if let Some((Val::List(subscriptions), _)) = self.get(props, "Subscription")? {
            for (i, sub) in subscriptions.into_iter().enumerate() {
                let name = format!("{id}Subscription{}", i + 1);
                let get = |k: &str| match &sub {
                    Val::Map(e) => e.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()),
                    _ => None,
                };
                let about = format!("{TOPIC} {id}, Subscription[{i}]");
                self.subscribe(
                    &name,
                    id,
                    get("Protocol"),
                    get("Endpoint"),
                    None,
                    &about,
                    &format!("{}.Subscription[{i}]", props.path),
                )?;
            }
        }
        Ok(())
    }

    fn subscription(&mut self, id: &str, props: &Props, about: &str) -> Result<(), ResolveError> {
        let topic_val = self.get(props, "TopicArn")?.map(|(v, _)| v);
        let Some(topic) = topic_val.as_ref().and_then(|t| self.find(t, &[TOPIC])) else {
            self.model.skipped.push(format!(
                "{id} (AWS::SNS::Subscription): its topic {} is not a topic of this template",
                topic_val.as_ref().map(flat_text).unwrap_or_default()
            ));
            return Ok(());
        };
        let protocol = self.get(props, "Protocol")?.map(|(v, _)| v);
        let endpoint = self.get(props, "Endpoint")?.map(|(v, _)| v);
        self.subscribe(id, &topic, protocol, endpoint, Some(props), about, &props.path)
    }

    /// A `[subscription.NAME]` of `topic`, with the filter and delivery settings of `props`
    /// (a standalone subscription or a SAM SNS event; none for a topic's inline one).
    #[allow(clippy::too_many_arguments)]
    fn subscribe(
        &mut self,
        name: &str,
        topic: &str,
        protocol: Option<Val>,
        endpoint: Option<Val>,
        props: Option<&Props>,
        about: &str,
        path: &str,
    ) -> Result<(), ResolveError> {
        let protocol = protocol.map(|p| flat_text(&p).to_ascii_lowercase()).unwrap_or_default();
        let endpoint_text = endpoint.as_ref().map(flat_text).unwrap_or_default();
        let target = match protocol.as_str() {
            "sqs" => endpoint.as_ref().and_then(|e| self.find(e, &[QUEUE])).map(|q| format!("sqs.{q}")),
            "lambda" => endpoint.as_ref().and_then(|e| self.find(e, &FUNCTIONS)).map(|f| format!("lambda.{f}")),
            "http" | "https" | "email" | "email-json" | "sms" | "application" => {
                let endpoint_name = format!("{name}Endpoint");
                self.model.elements.push(Element {
                    kind: "endpoint",
                    name: endpoint_name.clone(),
                    about: format!("{about}: {protocol} endpoint {endpoint_text}"),
                    settings: vec![
                        Setting {
                            key: "protocol".into(),
                            value: toml_string(&protocol),
                            origin: "template (Protocol)".into(),
                            todo: false,
                        },
                        Setting {
                            key: "response_time_s".into(),
                            value: "0.1".into(),
                            origin: "placeholder: the endpoint's response time".into(),
                            todo: true,
                        },
                    ],
                    notes: Vec::new(),
                });
                self.model.placeholders.push(format!("endpoint.{endpoint_name}.response_time_s: 0.1 s, the scenario default; the template cannot know the endpoint's response time"));
                Some(format!("endpoint.{endpoint_name}"))
            }
            _ => None,
        };
        let Some(target) = target else {
            self.model.skipped.push(format!(
                "{name} ({about}): protocol {protocol:?} to {endpoint_text:?}: {}",
                if protocol == "sqs" || protocol == "lambda" {
                    "the endpoint is not in this template"
                } else {
                    "not a protocol orchsim models"
                }
            ));
            return Ok(());
        };
        if let Some(q) = target.strip_prefix("sqs.") {
            self.written.push(q.to_string());
        }
        let mut s = vec![
            Setting {
                key: "topic".into(),
                value: toml_string(&format!("sns.{topic}")),
                origin: "template".into(),
                todo: false,
            },
            Setting {
                key: "endpoint".into(),
                value: toml_string(&target),
                origin: format!("template (Protocol {protocol}, Endpoint)"),
                todo: false,
            },
        ];
        if let Some(props) = props {
            if let Some((v, origin)) = self.get(props, "FilterPolicy")? {
                let policy = self.json_property(v, props, "FilterPolicy")?;
                s.push(Setting {
                    key: "filter_policy".into(),
                    value: toml_string(&json(&policy)),
                    origin,
                    todo: false,
                });
            }
            let (scope, origin) = match self.get(props, "FilterPolicyScope")? {
                Some((v, origin)) => (flat_text(&v), origin),
                None => ("MessageAttributes".into(), "AWS default".into()),
            };
            s.push(Setting { key: "filter_policy_scope".into(), value: toml_string(&scope), origin, todo: false });
            if ["sqs", "http", "https"].contains(&protocol.as_str()) {
                self.boolean(&mut s, props, "RawMessageDelivery", "raw_message_delivery")?;
            }
            if let Some((v, origin)) = self.get(props, "RedrivePolicy")? {
                let policy = self.json_property(v, props, "RedrivePolicy")?;
                let target = match &policy {
                    Val::Map(e) => e.iter().find(|(k, _)| k == "deadLetterTargetArn").map(|(_, v)| v.clone()),
                    _ => None,
                };
                match target.as_ref().and_then(|t| self.find(t, &[QUEUE])) {
                    Some(dlq) => {
                        s.push(Setting { key: "dead_letter_queue".into(), value: toml_string(&format!("sqs.{dlq}")), origin: format!("{origin} (RedrivePolicy.deadLetterTargetArn)"), todo: false });
                        self.written.push(dlq);
                    }
                    None => self.model.warnings.push(format!("{path}.RedrivePolicy: the dead-letter queue is not a queue of this template: subscription.{name} is imported without one")),
                }
            }
            if ["http", "https"].contains(&protocol.as_str())
                && let Some((v, origin)) = self.get(props, "DeliveryPolicy")?
            {
                let policy = self.json_property(v, props, "DeliveryPolicy")?;
                s.push(Setting {
                    key: "delivery_policy".into(),
                    value: toml_string(&json(&policy)),
                    origin,
                    todo: false,
                });
            }
        }
        self.model.elements.push(Element {
            kind: "subscription",
            name: name.into(),
            about: about.into(),
            settings: s,
            notes: Vec::new(),
        });
        Ok(())
    }

    fn function(&mut self, id: &str, props: &Props, kind: &str) -> Result<(), ResolveError> {
        let element = format!("lambda.{id}");
        let mut s = vec![Setting {
            key: "duration_s".into(),
            value: DURATION_PLACEHOLDER.into(),
            origin: "placeholder: the handler's run time".into(),
            todo: true,
        }];
        self.model.placeholders.push(format!(
            "{element}.duration_s: lognormal, median 0.1 s, p99 0.5 s; the template cannot know the handler's run time"
        ));
        let before = s.len();
        self.number(&mut s, props, "MemorySize", "memory_mb", Some(128.0), &element)?;
        if let Some(m) = s[before..].iter_mut().find(|x| x.key == "memory_mb")
            && m.value.parse::<f64>().is_ok_and(|x| x > 10_240.0)
        {
            self.model.warnings.push(format!(
                "{element}: MemorySize {} MB is above the 10,240 MB orchsim models: 10240 written",
                m.value
            ));
            m.value = "10240".into();
        }
        self.number(&mut s, props, "Timeout", "timeout_s", Some(3.0), &element)?;
        self.number(&mut s, props, "ReservedConcurrentExecutions", "reserved_concurrency", None, &element)?;
        let (architecture, origin) = match self.get(props, "Architectures")? {
            Some((Val::List(a), origin)) if a.len() == 1 => (flat_text(&a[0]), origin),
            _ => ("x86_64".into(), "AWS default".into()),
        };
        s.push(Setting { key: "architecture".into(), value: toml_string(&architecture), origin, todo: false });
        let config = match self.get(props, "EventInvokeConfig")? {
            Some((Val::Map(c), origin)) => (c, format!("{origin} (EventInvokeConfig")),
            _ => (Vec::new(), String::new()),
        };
        self.invoke_config(&mut s, &config.0, &config.1, &element);
        self.snap_start(&mut s, props, id, kind, &element)?;
        self.capacity_provider_config(&mut s, props, &element)?;
        let dead_letter = match self.get(props, "DeadLetterQueue")? {
            Some(found) => Some((found, "DeadLetterQueue")),
            None => self.get(props, "DeadLetterConfig")?.map(|found| (found, "DeadLetterConfig")),
        };
        if let Some(((Val::Map(d), origin), property)) = dead_letter {
            let target = d.iter().find(|(k, _)| k == "TargetArn").map(|(_, v)| v.clone());
            match target.as_ref().and_then(|t| self.find(t, &[QUEUE, TOPIC])) {
                Some(x) => {
                    let name = self.element_name(&x);
                    s.push(Setting {
                        key: "dead_letter".into(),
                        value: toml_string(&name),
                        origin: format!("{origin} ({property}.TargetArn)"),
                        todo: false,
                    });
                    self.written.push(x);
                }
                None => self.model.warnings.push(format!(
                    "{element}: the {property} target {} is not a queue or topic of this template: imported without one",
                    target.as_ref().map(flat_text).unwrap_or_default()
                )),
            }
        }
        self.model.elements.push(Element {
            kind: "lambda",
            name: id.into(),
            about: format!("{kind} {id}"),
            settings: s,
            notes: Vec::new(),
        });
        Ok(())
    }

    /// `SnapStart.ApplyOn: PublishedVersions` as `snap_start = true` when the template
    /// publishes versions the traffic reaches (SAM's `AutoPublishAlias`, or an
    /// `AWS::Lambda::Version` of the function), with the restore time's default; SnapStart
    /// does nothing for `$LATEST`, so without published versions it is only noted.
    fn snap_start(
        &mut self,
        s: &mut Vec<Setting>,
        props: &Props,
        id: &str,
        kind: &str,
        element: &str,
    ) -> Result<(), ResolveError> {
        let Some((Val::Map(snap), origin)) = self.get(props, "SnapStart")? else { return Ok(()) };
        let apply_on = snap.iter().find(|(k, _)| k == "ApplyOn").map(|(_, v)| flat_text(v)).unwrap_or_default();
        if apply_on != "PublishedVersions" {
            return Ok(());
        }
        let published = if kind == "AWS::Serverless::Function" {
            self.get(props, "AutoPublishAlias")?.map(|(_, o)| format!("AutoPublishAlias, {o}"))
        } else {
            self.resources
                .iter()
                .filter(|r| r.kind == "AWS::Lambda::Version")
                .find(|r| {
                    r.node
                        .get("Properties")
                        .and_then(|p| p.get("FunctionName"))
                        .and_then(|n| self.ctx.resolve(n, "").ok())
                        .and_then(|v| self.find(&v, &FUNCTIONS))
                        .is_some_and(|f| f == id)
                })
                .map(|r| format!("AWS::Lambda::Version {}", r.id))
        };
        match published {
            Some(by) => {
                s.push(Setting {
                    key: "snap_start".into(),
                    value: "true".into(),
                    origin: format!("{origin} (SnapStart.ApplyOn PublishedVersions; versions published by {by})"),
                    todo: false,
                });
                self.model.placeholders.push(format!(
                    "{element}.restore_duration_s: lognormal, median 0.75 s, p99 1.4 s (measured Java restores); the template cannot know the snapshot's restore time"
                ));
            }
            None => self.model.warnings.push(format!(
                "{element}: SnapStart applies to published versions and the template publishes none (no AutoPublishAlias or AWS::Lambda::Version): snap_start left out"
            )),
        }
        Ok(())
    }

    /// The queues and topics SAM creates for `EventInvokeConfig` destinations with a `Type`
    /// and no `Destination`, known before any resource is mapped, so that a
    /// `Fn.DestinationQueue` or `Fn.DestinationTopic` names one wherever it stands in the
    /// template, before its function or after. Their elements are written when their
    /// function is mapped (`sam_created_destination`).
    fn sam_destinations_ahead(&mut self, globals: Option<&'a Node>) -> Result<(), ResolveError> {
        let functions: Vec<_> = self
            .resources
            .iter()
            .filter(|r| r.kind == "AWS::Serverless::Function")
            .map(|r| (r.id.clone(), r.node))
            .collect();
        for (id, node) in functions {
            let props = Props { node: node.get("Properties"), globals, path: format!("Resources.{id}.Properties") };
            let Some((Val::Map(config), _)) = self.get(&props, "EventInvokeConfig")? else { continue };
            let Some((_, Val::Map(destinations))) = config.iter().find(|(k, _)| k == "DestinationConfig") else {
                continue;
            };
            for (property, destination) in destinations {
                let Val::Map(fields) = destination else { continue };
                if fields.iter().any(|(k, _)| k == "Destination") {
                    continue;
                }
                let (suffix, kind) =
                    match fields.iter().find(|(k, _)| k == "Type").map(|(_, v)| flat_text(v)).as_deref() {
                        Some("SQS") => ("Queue", QUEUE),
                        Some("SNS") => ("Topic", TOPIC),
                        _ => continue,
                    };
                let generated = format!("{id}EventInvokeConfig{property}{suffix}");
                if !self.resources.iter().any(|r| r.id == generated) {
                    self.resources.push(Resource { id: generated, kind: kind.into(), node: &EMPTY, name: None });
                }
            }
        }
        Ok(())
    }

    /// The scenario name of a queue, topic or function of the template.
    pub(super) fn element_name(&self, id: &str) -> String {
        let kind = self.resources.iter().find(|r| r.id == id).map_or("", |r| r.kind.as_str());
        let prefix = match kind {
            QUEUE => "sqs",
            TOPIC => "sns",
            k if super::eventbridge::MACHINES.contains(&k) => "step_functions",
            super::eventbridge::BUS => "eventbridge",
            _ => "lambda",
        };
        format!("{prefix}.{id}")
    }

    /// Asynchronous invocation's settings from an `EventInvokeConfig` (SAM's property or the
    /// resource's properties), AWS's defaults where it is silent. `origin` is empty without
    /// one, or `template (EventInvokeConfig` to be closed with the property.
    fn invoke_config(&mut self, s: &mut Vec<Setting>, config: &[(String, Val)], origin: &str, element: &str) {
        let field = |k: &str| config.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        for (property, key, default) in [
            ("MaximumRetryAttempts", "maximum_retry_attempts", 2.0),
            ("MaximumEventAgeInSeconds", "maximum_event_age_s", 21_600.0),
        ] {
            let (value, from) = match field(property).and_then(as_number) {
                Some(x) => (x, format!("{origin}.{property})")),
                None => (default, "AWS default".to_string()),
            };
            s.push(Setting { key: key.into(), value: whole_text(value), origin: from, todo: false });
        }
        for (property, key) in [("OnFailure", "on_failure"), ("OnSuccess", "on_success")] {
            let destination = match field("DestinationConfig") {
                Some(Val::Map(d)) => match d.iter().find(|(k, _)| k == property).map(|(_, v)| v) {
                    Some(Val::Map(f)) => f.iter().find(|(k, _)| k == "Destination").map(|(_, v)| v.clone()),
                    _ => None,
                },
                _ => None,
            };
            let destination = match destination {
                Some(d) => d,
                None => match self.sam_created_destination(field("DestinationConfig"), property, element) {
                    Some((name, from)) => {
                        s.push(Setting {
                            key: key.into(),
                            value: toml_string(&name),
                            origin: format!(
                                "{origin}.DestinationConfig.{property}.Type {from}, no Destination: SAM creates it)"
                            ),
                            todo: false,
                        });
                        continue;
                    }
                    None => continue,
                },
            };
            match self.destination_element(&destination, element, key == "on_success") {
                Ok(name) => s.push(Setting {
                    key: key.into(),
                    value: toml_string(&name),
                    origin: format!("{origin}.DestinationConfig.{property}.Destination)"),
                    todo: false,
                }),
                Err(why) => self.model.warnings.push(format!(
                    "{element}: the {property} destination {} is {why}: imported without one",
                    flat_text(&destination)
                )),
            }
        }
    }

    /// SAM's own queue or topic for a destination with `Type: SQS` or `Type: SNS` and no
    /// `Destination`: SAM creates `<Fn>EventInvokeConfig<OnSuccess|OnFailure><Queue|Topic>`
    /// with AWS's defaults (a standard queue or topic), which the template reaches as
    /// `Fn.DestinationQueue` / `Fn.DestinationTopic`. Its element name and the type, or
    /// `None` when the property names no such type.
    fn sam_created_destination(
        &mut self,
        config: Option<&Val>,
        property: &str,
        element: &str,
    ) -> Option<(String, String)> {
        let Some(Val::Map(d)) = config else { return None };
        let Some((_, Val::Map(f))) = d.iter().find(|(k, _)| k == property) else { return None };
        let kind = f.iter().find(|(k, _)| k == "Type").map(|(_, v)| flat_text(v))?;
        let function = element.strip_prefix("lambda.").unwrap_or(element);
        let about = format!("the {property} destination SAM creates for {function} (EventInvokeConfig, Type {kind})");
        match kind.as_str() {
            "SQS" => {
                let queue = format!("{function}EventInvokeConfig{property}Queue");
                self.generated_queue(&queue, &about);
                self.written.push(queue.clone());
                Some((format!("sqs.{queue}"), kind))
            }
            "SNS" => {
                let topic = format!("{function}EventInvokeConfig{property}Topic");
                if !self.model.elements.iter().any(|e| e.kind == "sns" && e.name == topic) {
                    self.model.elements.push(Element {
                        kind: "sns",
                        name: topic.clone(),
                        about,
                        settings: vec![Setting {
                            key: "fifo".into(),
                            value: "false".into(),
                            origin: "AWS default".into(),
                            todo: false,
                        }],
                        notes: Vec::new(),
                    });
                    if !self.resources.iter().any(|r| r.id == topic) {
                        self.resources.push(Resource {
                            id: topic.clone(),
                            kind: TOPIC.into(),
                            node: &EMPTY,
                            name: None,
                        });
                    }
                }
                self.written.push(topic.clone());
                Some((format!("sns.{topic}"), kind))
            }
            other => {
                self.model.warnings.push(format!(
                    "{element}: the {property} destination has Type {other} and no Destination; SAM creates one only for SQS or SNS: imported without one"
                ));
                None
            }
        }
    }

    /// The scenario element an asynchronous invocation's destination names: a standard
    /// queue or topic, a function (other than `function` itself when `is_on_success`, which
    /// would run again for each event it processed), or an event bus (the account's default
    /// bus by its ARN), or why it cannot be one.
    fn destination_element(
        &mut self,
        destination: &Val,
        function: &str,
        is_on_success: bool,
    ) -> Result<String, &'static str> {
        let text = flat_text(destination);
        if text == "default" || text.ends_with(":event-bus/default") {
            self.default_bus = true;
            return Ok("eventbridge.default".into());
        }
        let kinds = [QUEUE, TOPIC, FUNCTIONS[0], FUNCTIONS[1], super::eventbridge::BUS];
        let Some(x) = self.find(destination, &kinds) else {
            return Err("not a queue, topic, function or event bus of this template");
        };
        let name = self.element_name(&x);
        if (name.starts_with("sqs.") && self.is_fifo_queue(&x)) || (name.starts_with("sns.") && self.is_fifo_topic(&x))
        {
            return Err("a FIFO queue or topic, which a destination cannot be (Lambda's sends name no message group)");
        }
        if is_on_success && name == function {
            return Err("the function itself, which would run again for each event it processed");
        }
        Ok(name)
    }

    /// An `AWS::Lambda::EventInvokeConfig`: its settings replace the function's defaults.
    fn event_invoke_config(&mut self, id: &str, props: &Props) -> Result<(), ResolveError> {
        let function = self.get(props, "FunctionName")?.map(|(v, _)| v);
        let Some(f) = function.as_ref().and_then(|f| self.find(f, &FUNCTIONS)) else {
            self.model.skipped.push(format!(
                "{id} (AWS::Lambda::EventInvokeConfig): its function {} is not a function of this template",
                function.as_ref().map(flat_text).unwrap_or_default()
            ));
            return Ok(());
        };
        let mut config = Vec::new();
        for key in ["MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"] {
            if let Some((v, _)) = self.get(props, key)? {
                config.push((key.to_string(), v));
            }
        }
        let mut s = Vec::new();
        self.invoke_config(
            &mut s,
            &config,
            &format!("template (AWS::Lambda::EventInvokeConfig {id}"),
            &format!("lambda.{f}"),
        );
        self.deferred_configs.push((f, s));
        Ok(())
    }

    /// A SAM function's `Events`: SQS events become its event source mapping, SNS events
    /// subscriptions; the other types are listed as skipped.
    fn sam_events(&mut self, id: &str, node: &'a Node) -> Result<(), ResolveError> {
        let Some(events) = node.get("Properties").and_then(|p| p.get("Events")) else { return Ok(()) };
        for (name, event) in events.entries() {
            let path = format!("Resources.{id}.Properties.Events.{name}");
            let kind = event
                .get("Type")
                .map(|t| self.ctx.resolve(t, &format!("{path}.Type")))
                .transpose()?
                .map(|t| flat_text(&t))
                .unwrap_or_default();
            let props = Props { node: event.get("Properties"), globals: None, path: format!("{path}.Properties") };
            let about = format!("AWS::Serverless::Function {id}, event {name} ({kind})");
            match kind.as_str() {
                "SQS" | "MQ" => {
                    if let Some((v, _)) = self.get(&props, "Enabled")?
                        && as_bool(&v) == Some(false)
                    {
                        self.model.skipped.push(format!("{id}.Events.{name} ({kind}): disabled (Enabled: false)"));
                        continue;
                    }
                    let on_broker = kind == "MQ";
                    let (property, kinds, what) = if on_broker {
                        ("Broker", [BROKER], "broker {} is not an Amazon MQ broker")
                    } else {
                        ("Queue", [QUEUE], "queue {} is not a queue")
                    };
                    let source_val = self.get(&props, property)?.map(|(v, _)| v);
                    match source_val.as_ref().and_then(|q| self.find(q, &kinds)) {
                        Some(queue) => self.mappings.push(Mapping {
                            function: id.into(),
                            name: name.clone(),
                            queue,
                            props,
                            about,
                            on_broker,
                        }),
                        None => self.model.skipped.push(format!(
                            "{id}.Events.{name} ({kind}): its {} of this template",
                            what.replace("{}", &source_val.as_ref().map(flat_text).unwrap_or_default())
                        )),
                    }
                }
                "SNS" => {
                    let topic_val = self.get(&props, "Topic")?.map(|(v, _)| v);
                    let Some(topic) = topic_val.as_ref().and_then(|t| self.find(t, &[TOPIC])) else {
                        self.model.skipped.push(format!(
                            "{id}.Events.{name} (SNS): its topic {} is not a topic of this template",
                            topic_val.as_ref().map(flat_text).unwrap_or_default()
                        ));
                        continue;
                    };
                    let subscription = format!("{id}{name}");
                    match self.get(&props, "SqsSubscription")? {
                        Some((v, _)) if as_bool(&v) != Some(false) => {
                            self.sqs_subscription(id, name, &topic, v, &props, &about)?
                        }
                        _ => {
                            let endpoint = Val::Text(vec![Piece::Ref { id: id.into(), attribute: None }]);
                            self.subscribe(
                                &subscription,
                                &topic,
                                Some(Val::Str("lambda".into())),
                                Some(endpoint),
                                Some(&props),
                                &about,
                                &props.path,
                            )?;
                        }
                    }
                }
                "Api" | "HttpApi" => {
                    let part = |k: &str| -> Result<String, ResolveError> {
                        Ok(self.get(&props, k)?.map(|(v, _)| flat_text(&v)).unwrap_or_else(|| "any".into()))
                    };
                    let what = format!("{kind} {} {}", part("Method")?.to_ascii_uppercase(), part("Path")?);
                    self.apis.push((id.to_string(), name.clone(), what));
                }
                "EventBridgeRule" | "CloudWatchEvent" | "Schedule" | "ScheduleV2" => {
                    self.sam_rule_event(id, name, &kind, &props, "AWS::Serverless::Function")?
                }
                other => {
                    self.model.skipped.push(format!("{id}.Events.{name} ({other}): not an event source orchsim models"))
                }
            }
        }
        Ok(())
    }

    /// A SAM SNS event with `SqsSubscription`: the topic delivers to a queue (SAM's own
    /// `<Fn><Event>Queue` for `true`) that the function drains.
    fn sqs_subscription(
        &mut self,
        id: &str,
        event: &str,
        topic: &str,
        v: Val,
        props: &Props<'a>,
        about: &str,
    ) -> Result<(), ResolveError> {
        let queue = match &v {
            Val::Map(e) => {
                let arn = e.iter().find(|(k, _)| k == "QueueArn").map(|(_, v)| v.clone());
                match arn.as_ref().and_then(|a| self.find(a, &[QUEUE])) {
                    Some(q) => q,
                    None => {
                        self.model.skipped.push(format!(
                            "{id}.Events.{event} (SNS): its SqsSubscription queue is not a queue of this template"
                        ));
                        return Ok(());
                    }
                }
            }
            _ => {
                let q = format!("{id}{event}Queue");
                self.model.elements.push(Element {
                    kind: "sqs",
                    name: q.clone(),
                    about: format!("{about}: the queue SAM creates for SqsSubscription"),
                    settings: vec![Setting {
                        key: "visibility_timeout_s".into(),
                        value: "30".into(),
                        origin: "AWS default".into(),
                        todo: false,
                    }],
                    notes: Vec::new(),
                });
                q
            }
        };
        let endpoint = Val::Text(vec![Piece::Ref { id: queue.clone(), attribute: Some("Arn".into()) }]);
        // SAM's generated queue is not among the template's resources, so name it directly.
        let subscription = format!("{id}{event}");
        self.resources.push(Resource {
            id: queue.clone(),
            kind: QUEUE.into(),
            node: props.node.unwrap_or(&EMPTY),
            name: None,
        });
        self.subscribe(
            &subscription,
            topic,
            Some(Val::Str("sqs".into())),
            Some(endpoint),
            Some(props),
            about,
            &props.path,
        )?;
        // An object's BatchSize is the mapping's; SAM's own queue gets AWS's defaults.
        let batch = match &v {
            Val::Map(_) => Props {
                node: props.node.and_then(|n| n.get("SqsSubscription")),
                globals: None,
                path: format!("{}.SqsSubscription", props.path),
            },
            _ => Props { node: None, globals: None, path: props.path.clone() },
        };
        self.mappings.push(Mapping {
            function: id.into(),
            name: event.into(),
            queue,
            props: batch,
            about: about.into(),
            on_broker: false,
        });
        Ok(())
    }

    fn event_source_mapping(&mut self, id: &str, props: &Props<'a>) -> Result<(), ResolveError> {
        let about = format!("AWS::Lambda::EventSourceMapping {id}");
        if let Some((v, _)) = self.get(props, "Enabled")?
            && as_bool(&v) == Some(false)
        {
            self.model.skipped.push(format!("{id} (AWS::Lambda::EventSourceMapping): disabled (Enabled: false)"));
            return Ok(());
        }
        let source = self.get(props, "EventSourceArn")?.map(|(v, _)| v);
        let function = self.get(props, "FunctionName")?.map(|(v, _)| v);
        let queue = source.as_ref().and_then(|s| self.find(s, &[QUEUE]));
        let broker = source.as_ref().and_then(|s| self.find(s, &[BROKER]));
        let function_id = function.as_ref().and_then(|f| self.find(f, &FUNCTIONS));
        match (queue.clone().or(broker), function_id) {
            (Some(queue_or_broker), Some(function)) => self.mappings.push(Mapping {
                function,
                name: id.into(),
                queue: queue_or_broker,
                props: props.clone(),
                about,
                on_broker: queue.is_none(),
            }),
            (None, _) => self.model.skipped.push(format!(
                "{id} (AWS::Lambda::EventSourceMapping): its source {} is neither an SQS queue nor an Amazon MQ broker of this template (orchsim models these event sources only)",
                source.as_ref().map(flat_text).unwrap_or_default()
            )),
            (_, None) => self.model.skipped.push(format!(
                "{id} (AWS::Lambda::EventSourceMapping): its function {} is not a function of this template",
                function.as_ref().map(flat_text).unwrap_or_default()
            )),
        }
        Ok(())
    }

    /// Each function's SQS event sources: `source` and the mapping's keys on its table for
    /// one, a `[lambda.F.mappings.NAME]` table each for several.
    fn apply_mappings(&mut self) -> Result<(), ResolveError> {
        let mappings = std::mem::take(&mut self.mappings);
        let mut sub_tables = Vec::new();
        for m in &mappings {
            let several = mappings.iter().filter(|o| o.function == m.function).count() > 1;
            let element = if several {
                format!("lambda.{}.mappings.{}", m.function, m.name)
            } else {
                format!("lambda.{}", m.function)
            };
            if m.on_broker {
                let (s, notes) = self.broker_mapping(m, &element)?;
                self.place_mapping(m, several, &mut sub_tables, s, notes, "an Amazon MQ");
                continue;
            }
            let fifo = self.is_fifo_queue(&m.queue);
            let mut s = vec![Setting {
                key: "source".into(),
                value: toml_string(&format!("sqs.{}", m.queue)),
                origin: format!("template ({})", m.about),
                todo: false,
            }];
            self.number(&mut s, &m.props, "BatchSize", "batch_size", Some(10.0), &element)?;
            if !fifo {
                self.number(
                    &mut s,
                    &m.props,
                    "MaximumBatchingWindowInSeconds",
                    "batching_window_s",
                    Some(0.0),
                    &element,
                )?;
            }
            if let Some((Val::Map(scaling), origin)) = self.get(&m.props, "ScalingConfig")?
                && let Some(x) = scaling.iter().find(|(k, _)| k == "MaximumConcurrency").and_then(|(_, v)| as_number(v))
            {
                s.push(Setting {
                    key: "maximum_concurrency".into(),
                    value: whole_text(x),
                    origin: format!("{origin} (ScalingConfig.MaximumConcurrency)"),
                    todo: false,
                });
            }
            self.provisioned_pollers(&mut s, &m.props, &element)?;
            let (report, origin) = match self.get(&m.props, "FunctionResponseTypes")? {
                Some((Val::List(types), origin)) => (
                    types.iter().any(|t| flat_text(t) == "ReportBatchItemFailures"),
                    format!("{origin} (FunctionResponseTypes)"),
                ),
                _ => (false, "AWS default".into()),
            };
            s.push(Setting {
                key: "report_batch_item_failures".into(),
                value: report.to_string(),
                origin,
                todo: false,
            });
            let mut notes = Vec::new();
            if let Some(body) = self.filter_setting(m, "body", "SQS", &element, &mut s, &mut notes)?
                && !self.queue_filters.iter().any(|(q, _)| *q == m.queue)
            {
                self.queue_filters.push((m.queue.clone(), body));
            }
            self.place_mapping(m, several, &mut sub_tables, s, notes, "an SQS");
        }
        // Each function's mapping tables right after its own table.
        for table in sub_tables {
            let function = table.name.split('.').next().unwrap_or_default().to_string();
            let after = self.model.elements.iter().rposition(|e| {
                e.kind == "lambda" && (e.name == function || e.name.starts_with(&format!("{function}.")))
            });
            match after {
                Some(i) => self.model.elements.insert(i + 1, table),
                None => self.model.elements.push(table),
            }
        }
        Ok(())
    }

    /// An Amazon MQ mapping's settings: `source = "mq.B"`, `BatchSize` (AWS's default 100)
    /// and `MaximumBatchingWindowInSeconds` (left out for AWS's default of 500 ms, which no
    /// whole number of seconds gives). `Queues` and `SourceAccessConfigurations` are noted:
    /// the model's broker has one queue, and credentials change nothing simulated. The
    /// broker's own consumer placeholders go, since Lambda's pollers are its consumers.
    fn broker_mapping(&mut self, m: &Mapping, element: &str) -> Result<(Vec<Setting>, Vec<String>), ResolveError> {
        let mut s = vec![Setting {
            key: "source".into(),
            value: toml_string(&format!("mq.{}", m.queue)),
            origin: format!("template ({})", m.about),
            todo: false,
        }];
        self.number(&mut s, &m.props, "BatchSize", "batch_size", Some(100.0), element)?;
        self.number(&mut s, &m.props, "MaximumBatchingWindowInSeconds", "batching_window_s", None, element)?;
        let mut notes = Vec::new();
        if let Some((v, origin)) = self.get(&m.props, "Queues")? {
            notes.push(format!(
                "Queues = {} ({origin}): the broker's queue Lambda consumes; mq.{} models one queue",
                flat_text(&v),
                m.queue
            ));
        }
        if let Some((_, origin)) = self.get(&m.props, "SourceAccessConfigurations")? {
            notes.push(format!(
                "SourceAccessConfigurations ({origin}): credentials and virtual host, which change nothing simulated"
            ));
        }
        if let Some(data) = self.filter_setting(m, "data", "Amazon MQ", element, &mut s, &mut notes)?
            && !self.broker_filters.iter().any(|(b, _)| *b == m.queue)
        {
            self.broker_filters.push((m.queue.clone(), data));
        }
        let broker = format!("mq.{}", m.queue);
        if let Some(b) = self.model.elements.iter_mut().find(|e| e.kind == "mq" && e.name == m.queue) {
            b.settings.retain(|x| x.key != "consumers" && x.key != "service_time_s");
            b.notes.push(format!(
                "consumed by lambda.{} ({}): its pollers are the queue's consumers",
                m.function, m.about
            ));
        }
        self.model.placeholders.retain(|p| {
            !p.starts_with(&format!("{broker}.consumers:")) && !p.starts_with(&format!("{broker}.service_time_s:"))
        });
        Ok((s, notes))
    }

    /// A mapping's `ProvisionedPollerConfig` as `provisioned_pollers_min`/`_max`. For SQS
    /// Lambda takes 2–200 and 2–2,000 (the schema allows 1): a 1 is written as 2 with a
    /// warning. AWS refuses it beside `ScalingConfig.MaximumConcurrency`, which is then
    /// left out with a warning.
    fn provisioned_pollers(&mut self, s: &mut Vec<Setting>, props: &Props, element: &str) -> Result<(), ResolveError> {
        let Some((config, origin)) = self.get(props, "ProvisionedPollerConfig")? else { return Ok(()) };
        let Val::Map(config) = config else { return Ok(()) };
        let before = s.len();
        for (property, key) in
            [("MinimumPollers", "provisioned_pollers_min"), ("MaximumPollers", "provisioned_pollers_max")]
        {
            let Some(v) = config.iter().find(|(k, _)| k == property).map(|(_, v)| v) else { continue };
            // Each field's own origin, which names a parameter behind it.
            let field = props.node.and_then(|n| n.get("ProvisionedPollerConfig")).and_then(|n| n.get(property));
            let origin = field.map_or_else(|| origin.clone(), |n| self.origin(n, "template"));
            match as_number(v) {
                Some(x) if x < 2.0 => {
                    self.model.warnings.push(format!(
                        "{element}: ProvisionedPollerConfig.{property} {} is below the 2 Lambda takes for an SQS source: 2 written",
                        whole_text(x)
                    ));
                    s.push(Setting {
                        key: key.into(),
                        value: "2".into(),
                        origin: format!("{origin} (ProvisionedPollerConfig.{property} {}, raised to SQS's minimum)", whole_text(x)),
                        todo: false,
                    });
                }
                Some(x) => s.push(Setting {
                    key: key.into(),
                    value: whole_text(x),
                    origin: format!("{origin} (ProvisionedPollerConfig.{property})"),
                    todo: false,
                }),
                None => self.model.placeholders.push(format!(
                    "{element}.{key}: ProvisionedPollerConfig.{property} is {}, which only a deployment knows; left out (AWS's default applies)",
                    flat_text(v)
                )),
            }
        }
        if s.len() > before
            && let Some(i) = s.iter().position(|x| x.key == "maximum_concurrency")
        {
            s.remove(i);
            self.model.warnings.push(format!(
                "{element}: ScalingConfig.MaximumConcurrency beside ProvisionedPollerConfig, which AWS refuses: maximum_concurrency left out"
            ));
        }
        Ok(())
    }

    /// A mapping's settings: a `[lambda.F.mappings.M]` table of their own when the function
    /// has `several` sources, else keys of the function's table. `what` names the source
    /// kind in the table's comment ("an SQS", "an Amazon MQ").
    fn place_mapping(
        &mut self,
        m: &Mapping,
        several: bool,
        sub_tables: &mut Vec<Element>,
        settings: Vec<Setting>,
        notes: Vec<String>,
        what: &str,
    ) {
        if several {
            sub_tables.push(Element {
                kind: "lambda",
                name: format!("{}.mappings.{}", m.function, m.name),
                about: format!("{what} event source mapping of lambda.{} ({})", m.function, m.about),
                settings,
                notes,
            });
        } else if let Some(function) =
            self.model.elements.iter_mut().find(|e| e.kind == "lambda" && e.name == m.function)
        {
            function.settings.extend(settings);
            function.notes.extend(notes);
        }
    }

    /// A mapping's `FilterCriteria` as its `filter_patterns` setting, or a warning and a note
    /// saying why it is left out; the first pattern's `key` field (`body` for SQS, `data`
    /// for Amazon MQ), from which the source's placeholder traffic takes its body.
    fn filter_setting(
        &mut self,
        m: &Mapping,
        key: &str,
        source: &str,
        element: &str,
        s: &mut Vec<Setting>,
        notes: &mut Vec<String>,
    ) -> Result<Option<Val>, ResolveError> {
        let Some((v, origin)) = self.get(&m.props, "FilterCriteria")? else { return Ok(None) };
        match self.filter_patterns(&v, &m.props, key, source) {
            Ok(patterns) if patterns.is_empty() => Ok(None),
            Ok(patterns) => {
                let texts: Vec<String> = patterns.iter().map(|p| toml_string(&json(p))).collect();
                s.push(Setting {
                    key: "filter_patterns".into(),
                    value: format!("[{}]", texts.join(", ")),
                    origin: format!("{origin} (FilterCriteria.Filters[].Pattern)"),
                    todo: false,
                });
                Ok(eventbridge::field(&patterns[0], key).cloned())
            }
            Err(why) => {
                let note = format!(
                    "FilterCriteria = {} ({origin}): {why}; imported without filters, so every message reaches the function",
                    flat_text(&v)
                );
                self.model.warnings.push(format!("{element}: {note}"));
                notes.push(note);
                Ok(None)
            }
        }
    }

    /// The patterns of a mapping's `FilterCriteria` (`Filters[].Pattern`, each a JSON
    /// string, intrinsics resolved), or why the scenario cannot take them: each may test
    /// only `key`, the one key Lambda filters `source` records on.
    fn filter_patterns(&self, criteria: &Val, props: &Props, key: &str, source: &str) -> Result<Vec<Val>, String> {
        let filters = match eventbridge::field(criteria, "Filters") {
            Some(Val::List(filters)) => filters,
            None => return Ok(Vec::new()),
            Some(other) => return Err(format!("Filters is not a list but {}", flat_text(other))),
        };
        if filters.len() > FILTERS_MAX {
            return Err(format!(
                "{} filters; AWS Lambda takes at most {FILTERS_MAX} per event source mapping (5 by default)",
                filters.len()
            ));
        }
        let mut patterns = Vec::new();
        for filter in filters {
            let Some(pattern) = eventbridge::field(filter, "Pattern") else { continue };
            let pattern = match pattern {
                Val::Map(_) => pattern.clone(),
                _ => {
                    let text = flat_text(pattern);
                    let parsed = template::read(&text).map_err(|e| {
                        format!("a pattern is not JSON (at {}:{}: {}): {text}", e.line, e.column, e.message)
                    })?;
                    self.ctx.resolve(&parsed.root, &format!("{}.FilterCriteria", props.path)).map_err(|e| e.message)?
                }
            };
            if let Val::Map(keys) = &pattern
                && let Some((bad, _)) = keys.iter().find(|(k, _)| k != key)
            {
                return Err(format!(
                    "a pattern filters on \"{bad}\", and Lambda filters {source} records on \"{key}\" only"
                ));
            }
            patterns.push(pattern);
        }
        Ok(patterns)
    }

    /// A placeholder workload on each queue or topic nothing in the template writes to.
    fn entry_points(&mut self) {
        let mut workloads = std::mem::take(&mut self.rule_workloads);
        let entry_kinds = ["sqs", "sns", "step_functions", "mq"];
        for e in self.model.elements.iter().filter(|e| entry_kinds.contains(&e.kind) && !e.name.contains('.')) {
            if self.written.contains(&e.name) {
                continue;
            }
            let fifo = match e.kind {
                "sqs" => self.is_fifo_queue(&e.name),
                "sns" => self.is_fifo_topic(&e.name),
                _ => false,
            };
            let name = format!("{}Traffic", e.name);
            let mut s = vec![Setting {
                key: "target".into(),
                value: toml_string(&format!("{}.{}", e.kind, e.name)),
                origin: "an entry point: nothing in the template sends to it".into(),
                todo: false,
            }];
            s.extend(placeholder_traffic());
            if fifo {
                s.push(Setting {
                    key: "group_count".into(),
                    value: "10".into(),
                    origin: "placeholder: the message groups (MessageGroupId) the producers use".into(),
                    todo: true,
                });
                self.model.placeholders.push(format!(
                    "workload.{name}.group_count: 10 message groups; the template cannot know the producers' MessageGroupId"
                ));
            }
            self.model.placeholders.push(format!(
                "workload.{name}: Poisson arrivals at {RATE_PLACEHOLDER_PER_S} message/s to {}.{}; the template cannot know the traffic",
                e.kind, e.name
            ));
            let filters = match e.kind {
                "sqs" => &self.queue_filters,
                "mq" => &self.broker_filters,
                _ => &Vec::new(),
            };
            let filter = filters.iter().find(|(q, _)| *q == e.name);
            let body = filter.map(|(q, body)| self.filtered_body(&name, e.kind, q, body));
            workloads.push(Element {
                kind: "workload",
                name,
                about: format!("traffic into {}.{}", e.kind, e.name),
                settings: s,
                notes: Vec::new(),
            });
            workloads.extend(body.flatten());
        }
        // An API answers each request with a synchronous invocation of its function.
        for (function, event, what) in &self.apis {
            let name = format!("{function}{event}Traffic");
            self.model.placeholders.push(format!(
                "workload.{name}: Poisson requests at {RATE_PLACEHOLDER_PER_S} a second through {what} to lambda.{function}; the template cannot know the traffic"
            ));
            workloads.push(placeholder_workload(
                name,
                format!("requests through {what}, each a synchronous invocation"),
                &format!("lambda.{function}"),
                format!("template (Events.{event}: {what})"),
            ));
        }
        self.model.workloads = workloads;
    }
}

impl Importer<'_, '_> {
    /// The body of the placeholder traffic into a queue or broker whose mapping filters:
    /// fields drawn from the exact values of its first filter's `body` (`data` for a
    /// broker) pattern, so the messages match.
    fn filtered_body(&self, workload: &str, kind: &str, queue: &str, body: &Val) -> Option<Element> {
        let mut fields = Vec::new();
        eventbridge::pattern_fields("", body, &mut fields);
        fields.truncate(eventbridge::BODY_FIELDS_MAX);
        if fields.is_empty() {
            return None;
        }
        Some(Element {
            kind: "workload",
            name: format!("{workload}.body"),
            about: format!(
                "fields drawn from the values of the filter on {kind}.{queue}'s mapping, so that the messages match"
            ),
            settings: fields
                .into_iter()
                .map(|(k, v)| Setting {
                    key: toml_string(&k),
                    value: v,
                    origin: "placeholder: from the filter".into(),
                    todo: true,
                })
                .collect(),
            notes: Vec::new(),
        })
    }
}

pub(super) static EMPTY: Node = Node { value: template::Value::Null, line: 0, column: 0 };

/// The segments of an ARN, URL or name, split at `:` and `/` outside `${…}`.
pub(super) fn segments(flat: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut depth = 0;
    let mut chars = flat.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' if chars.peek() == Some(&'{') => {
                depth += 1;
                out.last_mut().unwrap().push(c);
            }
            '}' if depth > 0 => {
                depth -= 1;
                out.last_mut().unwrap().push(c);
            }
            ':' | '/' if depth == 0 => out.push(String::new()),
            _ => out.last_mut().unwrap().push(c),
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// A placeholder workload's arrivals: Poisson at a modest rate, both marked TODO, since a
/// template says nothing of traffic.
/// A workload of placeholder Poisson traffic into `target`; `origin` says where the target
/// came from.
pub(super) fn placeholder_workload(name: String, about: String, target: &str, origin: String) -> Element {
    let target = Setting { key: "target".into(), value: toml_string(target), origin, todo: false };
    Element {
        kind: "workload",
        name,
        about,
        settings: std::iter::once(target).chain(placeholder_traffic()).collect(),
        notes: Vec::new(),
    }
}

pub(super) fn placeholder_traffic() -> [Setting; 2] {
    [
        Setting {
            key: "arrival".into(),
            value: toml_string("poisson"),
            origin: "placeholder: the template says nothing of traffic".into(),
            todo: true,
        },
        Setting {
            key: "rate_per_s".into(),
            value: RATE_PLACEHOLDER_PER_S.to_string(),
            origin: "placeholder: a modest rate".into(),
            todo: true,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::segments;

    #[test]
    fn arns_and_urls_split_outside_substitutions() {
        assert_eq!(
            segments("arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}-q"),
            ["arn", "aws", "sqs", "${AWS::Region}", "${AWS::AccountId}", "${AWS::StackName}-q"]
        );
        assert_eq!(segments("https://sqs.us-east-1.amazonaws.com/123/jobs").last().unwrap(), "jobs");
    }
}
