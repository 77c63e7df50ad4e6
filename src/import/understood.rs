//! `orchsim import --json`: what the import understood, in AWS's terms.
//!
//! `{"template", "resources": [{"id", "type", "element", "properties", "skipped"}],
//! "placeholders", "warnings"}`. `properties` holds each resource's properties resolved, with
//! SAM's `Globals.Function` merged into its functions and AWS's default written for each
//! property the import maps that the template leaves out; a reference to a resource is
//! `{"ref": ID}` whatever attribute was taken (an ARN built with `Fn::Sub` or `Fn::Join`
//! included), a pseudo parameter `{"pseudo": NAME}`, a parameter without a value
//! `{"param": NAME}`.

use super::intrinsics::{Context, Piece, ResolveError, Val};
use super::resources::Model;
use super::template::Node;
use super::write::toml_string;

/// AWS's defaults of the properties the import maps, by resource type.
const DEFAULTS: [(&str, &str, Default); 21] = [
    ("AWS::SQS::Queue", "FifoQueue", Default::Bool(false)),
    ("AWS::SQS::Queue", "VisibilityTimeout", Default::Int(30)),
    ("AWS::SQS::Queue", "MessageRetentionPeriod", Default::Int(345_600)),
    ("AWS::SQS::Queue", "DelaySeconds", Default::Int(0)),
    ("AWS::SQS::Queue", "MaximumMessageSize", Default::Int(1_048_576)),
    ("AWS::SNS::Topic", "FifoTopic", Default::Bool(false)),
    ("AWS::SNS::Subscription", "FilterPolicyScope", Default::Str("MessageAttributes")),
    ("AWS::SNS::Subscription", "RawMessageDelivery", Default::Bool(false)),
    ("AWS::Lambda::Function", "MemorySize", Default::Int(128)),
    ("AWS::Lambda::Function", "Timeout", Default::Int(3)),
    ("AWS::Serverless::Function", "MemorySize", Default::Int(128)),
    ("AWS::Serverless::Function", "Timeout", Default::Int(3)),
    ("AWS::Lambda::EventSourceMapping", "BatchSize", Default::Int(10)),
    ("AWS::Lambda::EventSourceMapping", "MaximumBatchingWindowInSeconds", Default::Int(0)),
    ("AWS::Lambda::EventSourceMapping", "Enabled", Default::Bool(true)),
    ("AWS::Events::Rule", "EventBusName", Default::Str("default")),
    ("AWS::Events::Rule", "State", Default::Str("ENABLED")),
    ("AWS::Scheduler::Schedule", "State", Default::Str("ENABLED")),
    ("AWS::StepFunctions::StateMachine", "StateMachineType", Default::Str("STANDARD")),
    ("AWS::Serverless::StateMachine", "Type", Default::Str("STANDARD")),
    ("AWS::AmazonMQ::Broker", "DeploymentMode", Default::Str("SINGLE_INSTANCE")),
];

/// AWS's defaults of an event source mapping that reads an Amazon MQ broker (its 500 ms
/// batching window is not a whole number of seconds, so it is not written).
const MQ_MAPPING_DEFAULTS: [(&str, &str, Default); 2] = [
    ("AWS::Lambda::EventSourceMapping", "BatchSize", Default::Int(100)),
    ("AWS::Lambda::EventSourceMapping", "Enabled", Default::Bool(true)),
];

/// Whether a mapping's resolved `EventSourceArn` refers to an Amazon MQ broker of the
/// template.
fn reads_a_broker(root: &Node, entries: &[(String, Val)]) -> bool {
    let Some((_, Val::Text(pieces))) = entries.iter().find(|(k, _)| k == "EventSourceArn") else { return false };
    pieces.iter().any(|p| match p {
        Piece::Ref { id, .. } => root
            .get("Resources")
            .and_then(|r| r.get(id))
            .and_then(|r| r.get("Type"))
            .and_then(Node::as_str)
            .is_some_and(|t| t == super::resources::BROKER),
        _ => false,
    })
}

/// AWS's defaults of SAM events' properties, by event type.
const EVENT_DEFAULTS: [(&str, &str, Default); 11] = [
    ("SQS", "BatchSize", Default::Int(10)),
    ("MQ", "BatchSize", Default::Int(100)),
    ("MQ", "Enabled", Default::Bool(true)),
    ("SQS", "MaximumBatchingWindowInSeconds", Default::Int(0)),
    ("SQS", "Enabled", Default::Bool(true)),
    ("SNS", "FilterPolicyScope", Default::Str("MessageAttributes")),
    ("SNS", "SqsSubscription", Default::Bool(false)),
    ("EventBridgeRule", "EventBusName", Default::Str("default")),
    ("CloudWatchEvent", "EventBusName", Default::Str("default")),
    ("Schedule", "Enabled", Default::Bool(true)),
    ("ScheduleV2", "State", Default::Str("ENABLED")),
];

#[derive(Clone, Copy)]
enum Default {
    Bool(bool),
    Int(i64),
    Str(&'static str),
}

/// The JSON text.
/// A resource whose properties cannot be resolved (one the import does not map: the
/// import itself would have stopped at the others) gets `null` properties and a warning.
pub fn report(
    root: &Node,
    ctx: &Context,
    model: &Model,
    template: &str,
    placeholders: &[String],
    warnings: &[String],
) -> String {
    let mut warnings = warnings.to_vec();
    let globals = root.get("Globals").and_then(|g| g.get("Function"));
    let mut resources = Vec::new();
    for (id, node) in root.get("Resources").map(Node::entries).unwrap_or_default() {
        let kind = node.get("Type").and_then(Node::as_str).unwrap_or_default();
        let mut properties = match resolved(ctx, id, node, kind, globals) {
            Ok(p) => p,
            Err(e) => {
                warnings.push(format!("{e}: the properties of {id} are left out of the JSON"));
                Val::Null
            }
        };
        if let Val::Map(entries) = &mut properties {
            if kind == "AWS::Lambda::EventSourceMapping" && reads_a_broker(root, entries) {
                // An Amazon MQ mapping's defaults are not an SQS mapping's.
                with_defaults(entries, MQ_MAPPING_DEFAULTS.iter());
            } else {
                // On Managed Instances the on-demand default of 128 MB does not apply (the
                // smallest function there is 2 GB), and AWS publishes none of its own.
                let on_instances = entries.iter().any(|(k, _)| k == "CapacityProviderConfig");
                with_defaults(
                    entries,
                    DEFAULTS.iter().filter(|(k, p, _)| *k == kind && !(on_instances && *p == "MemorySize")),
                );
            }
            if let Some((_, definition)) = model.file_definitions.iter().find(|(m, _)| m == id)
                && !entries.iter().any(|(k, _)| k == "Definition")
            {
                entries.push(("Definition".into(), definition.clone()));
            }
            if let Some((_, Val::Map(events))) = entries.iter_mut().find(|(k, _)| k == "Events") {
                for (_, event) in events.iter_mut() {
                    let Val::Map(fields) = event else { continue };
                    let event_type =
                        fields.iter().find(|(k, _)| k == "Type").map(|(_, t)| super::intrinsics::flat_text(t));
                    let Some(event_type) = event_type else { continue };
                    if !fields.iter().any(|(k, _)| k == "Properties") {
                        fields.push(("Properties".into(), Val::Map(Vec::new())));
                    }
                    if let Some((_, Val::Map(p))) = fields.iter_mut().find(|(k, _)| k == "Properties") {
                        with_defaults(p, EVENT_DEFAULTS.iter().filter(|(t, _, _)| *t == event_type));
                    }
                }
            }
        }
        let skipped = model
            .skipped
            .iter()
            .find(|s| {
                s.starts_with(&format!("{id} (")) || s.starts_with(&format!("AWS::Lambda::EventSourceMapping {id}:"))
            })
            .map(|s| s.split_once("): ").map_or(s.as_str(), |(_, r)| r).to_string());
        let element = if skipped.is_some() { None } else { element_of(model, id, kind) };
        resources.push(format!(
            "{{\"id\": {}, \"type\": {}, \"element\": {}, \"properties\": {}, \"skipped\": {}}}",
            toml_string(id),
            toml_string(kind),
            element.map_or("null".into(), |e| toml_string(&e)),
            json(&properties),
            skipped.map_or("null".into(), |s| toml_string(&s)),
        ));
    }
    let list = |items: &[String]| items.iter().map(|s| toml_string(s)).collect::<Vec<_>>().join(", ");
    format!(
        "{{\"template\": {}, \"resources\": [{}], \"placeholders\": [{}], \"warnings\": [{}]}}\n",
        toml_string(template),
        resources.join(", "),
        list(placeholders),
        list(&warnings)
    )
}

/// AWS's defaults for the properties `entries` leaves out.
fn with_defaults<'d>(
    entries: &mut Vec<(String, Val)>,
    defaults: impl Iterator<Item = &'d (&'d str, &'d str, Default)>,
) {
    for (_, property, default) in defaults {
        if !entries.iter().any(|(k, _)| k == property) {
            let v = match default {
                Default::Bool(b) => Val::Bool(*b),
                Default::Int(i) => Val::Int(*i),
                Default::Str(s) => Val::Str((*s).to_string()),
            };
            entries.push(((*property).to_string(), v));
        }
    }
}

/// A resource's properties, resolved, with SAM's `Globals.Function` under a SAM function's.
fn resolved(ctx: &Context, id: &str, node: &Node, kind: &str, globals: Option<&Node>) -> Result<Val, ResolveError> {
    let mut properties = match node.get("Properties") {
        Some(p) => ctx.resolve(p, &format!("Resources.{id}.Properties"))?,
        None => Val::Map(Vec::new()),
    };
    if kind == "AWS::Serverless::Function"
        && let Some(g) = globals
    {
        properties = merge(ctx.resolve(g, "Globals.Function")?, properties);
    }
    Ok(properties)
}

/// The scenario element a resource became.
fn element_of(model: &Model, id: &str, kind: &str) -> Option<String> {
    let kind_of = match kind {
        "AWS::SQS::Queue" => "sqs",
        "AWS::SNS::Topic" => "sns",
        "AWS::SNS::Subscription" => "subscription",
        "AWS::Lambda::Function" | "AWS::Serverless::Function" => "lambda",
        "AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine" => "step_functions",
        "AWS::StepFunctions::Activity" => "activity",
        "AWS::Events::EventBus" => "eventbridge",
        "AWS::AmazonMQ::Broker" => "mq",
        "AWS::Events::Rule" | "AWS::Scheduler::Schedule" => {
            // A rule with a pattern is a rule; a schedule is the workload of its target(s).
            if let Some(e) = model.elements.iter().find(|e| e.kind == "rule" && e.name == id) {
                return Some(format!("rule.{}", e.name));
            }
            let schedule = format!("{id}Schedule");
            return model
                .workloads
                .iter()
                .find(|e| e.name == schedule || e.name.starts_with(&format!("{schedule}1")))
                .map(|e| format!("workload.{}", e.name));
        }
        "AWS::Lambda::EventSourceMapping" => {
            let about = format!("AWS::Lambda::EventSourceMapping {id})");
            return model
                .elements
                .iter()
                .find(|e| {
                    e.kind == "lambda" && e.settings.iter().any(|s| s.key == "source" && s.origin.ends_with(&about))
                })
                .map(|e| format!("lambda.{}", e.name));
        }
        _ => return None,
    };
    model.elements.iter().find(|e| e.kind == kind_of && e.name == id).map(|e| format!("{}.{}", e.kind, e.name))
}

/// SAM's Globals under a resource's properties: the resource's scalars win, maps merge, lists
/// are concatenated with the global entries first.
fn merge(global: Val, local: Val) -> Val {
    match (global, local) {
        (Val::Map(mut g), Val::Map(l)) => {
            for (k, v) in l {
                match g.iter().position(|(gk, _)| *gk == k) {
                    Some(i) => {
                        let old = std::mem::replace(&mut g[i].1, Val::Null);
                        g[i].1 = merge(old, v);
                    }
                    None => g.push((k, v)),
                }
            }
            Val::Map(g)
        }
        (Val::List(mut g), Val::List(l)) => {
            g.extend(l);
            Val::List(g)
        }
        (_, local) => local,
    }
}

/// A value as JSON, references as `{"ref": ID}`, pseudo parameters as `{"pseudo": NAME}`,
/// parameters without a value as `{"param": NAME}`.
fn json(v: &Val) -> String {
    match v {
        Val::Text(pieces) => {
            // A JSON document given as a string (a redrive or filter policy built with
            // Fn::Sub) stays a string, its references written `${Id.Attribute}`.
            let flat = super::intrinsics::flat_text(v);
            if flat.trim_start().starts_with(['{', '[']) {
                return toml_string(&flat);
            }
            if let Some(id) = pieces.iter().find_map(|p| match p {
                Piece::Ref { id, .. } => Some(id),
                _ => None,
            }) {
                return format!("{{\"ref\": {}}}", toml_string(id));
            }
            match pieces.as_slice() {
                [Piece::Symbol(s)] if s.starts_with("AWS::") => format!("{{\"pseudo\": {}}}", toml_string(s)),
                [Piece::Symbol(s)] if s.starts_with("parameter ") => {
                    format!("{{\"param\": {}}}", toml_string(&s["parameter ".len()..]))
                }
                _ => super::write::json(v),
            }
        }
        Val::List(items) => format!("[{}]", items.iter().map(json).collect::<Vec<_>>().join(", ")),
        Val::Map(entries) => format!(
            "{{{}}}",
            entries.iter().map(|(k, v)| format!("{}: {}", toml_string(k), json(v))).collect::<Vec<_>>().join(", ")
        ),
        other => super::write::json(other),
    }
}
