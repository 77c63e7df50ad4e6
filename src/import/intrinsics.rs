//! CloudFormation's intrinsic functions, resolved statically.
//!
//! What a template alone decides is computed: parameters (their `Default`, or a `--param`
//! value), `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::FindInMap` over the
//! `Mappings`, and `Fn::If` over the `Conditions` (`Fn::Equals`, `Fn::Not`, `Fn::And`,
//! `Fn::Or`, `Condition`). What only a deployment knows stays symbolic, as a [`Piece`] of a
//! text: a resource's `Ref` or attribute (its logical id), pseudo parameters other than
//! `AWS::Region` inside `Fn::Equals` and `Fn::FindInMap` keys (which use the import's Region),
//! `Fn::ImportValue`, `Fn::GetAZs`, `Fn::Base64`, `Fn::Cidr`, and parameters that have neither
//! a default nor a `--param` value, which become named placeholders.
//!
//! Resolution is lazy: only the values the import reads are resolved, each with its template
//! path for errors ([CloudFormation intrinsic function reference]).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use super::template::{Node, Value};

/// A piece of a text some of which only a deployment knows.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Lit(String),
    /// `Ref` (attribute `None`) or `Fn::GetAtt` of a resource of the template.
    Ref {
        id: String,
        attribute: Option<String>,
    },
    /// A pseudo parameter, an import, a parameter without a value, …: its description.
    Symbol(String),
}

/// A resolved value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Text(Vec<Piece>),
    List(Vec<Val>),
    Map(Vec<(String, Val)>),
    /// `AWS::NoValue`: the property is removed.
    NoValue,
}

/// A parameter of the template and the value the import uses.
#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    pub kind: String,
    pub value: Option<String>,
    /// Whether the value came from `--param` rather than the `Default`.
    pub overridden: bool,
}

/// A value that cannot be resolved: where (template path and position) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolveError {
    pub path: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}: {}", self.line, self.column, self.path, self.message)
    }
}

/// The template's parameters, mappings, conditions and resource ids, which resolution needs.
pub struct Context<'a> {
    pub parameters: Vec<Parameter>,
    mappings: Option<&'a Node>,
    conditions: Option<&'a Node>,
    resources: Vec<String>,
    sam: bool,
    region: String,
    /// Conditions evaluated so far; `None` while one is being evaluated (a cycle).
    evaluated: RefCell<BTreeMap<String, Option<bool>>>,
    /// Parameters without a value that resolution met.
    pub used_placeholders: RefCell<Vec<String>>,
    pub warnings: RefCell<Vec<String>>,
}

const PSEUDO: [&str; 8] = [
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

fn error(node: &Node, path: &str, message: impl Into<String>) -> ResolveError {
    ResolveError { path: path.to_string(), line: node.line, column: node.column, message: message.into() }
}

impl<'a> Context<'a> {
    /// The context of a template, with `--param NAME=VALUE` overrides (each must name a
    /// parameter of the template).
    pub fn new(root: &'a Node, overrides: &[(String, String)], region: &str) -> Result<Context<'a>, ResolveError> {
        let mut parameters = Vec::new();
        if let Some(params) = root.get("Parameters") {
            for (name, spec) in params.entries() {
                let kind = spec.get("Type").and_then(Node::as_str).unwrap_or("String").to_string();
                let default = spec.get("Default").and_then(scalar_text);
                parameters.push(Parameter { name: name.clone(), kind, value: default, overridden: false });
            }
        }
        for (name, value) in overrides {
            match parameters.iter_mut().find(|p| &p.name == name) {
                Some(p) => {
                    p.value = Some(value.clone());
                    p.overridden = true;
                }
                None => {
                    let known: Vec<&str> = parameters.iter().map(|p| p.name.as_str()).collect();
                    return Err(ResolveError {
                        path: format!("--param {name}={value}"),
                        line: root.line,
                        column: root.column,
                        message: format!(
                            "the template has no parameter `{name}`; its parameters: {}",
                            if known.is_empty() { "none".to_string() } else { known.join(", ") }
                        ),
                    });
                }
            }
        }
        let transforms = root.get("Transform").map(|t| format!("{:?}", t.value)).unwrap_or_default();
        Ok(Context {
            parameters,
            mappings: root.get("Mappings"),
            conditions: root.get("Conditions"),
            resources: root
                .get("Resources")
                .map(|r| r.entries().iter().map(|(k, _)| k.clone()).collect())
                .unwrap_or_default(),
            sam: transforms.contains("AWS::Serverless"),
            region: region.to_string(),
            evaluated: RefCell::new(BTreeMap::new()),
            used_placeholders: RefCell::new(Vec::new()),
            warnings: RefCell::new(Vec::new()),
        })
    }

    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }

    pub fn is_resource(&self, id: &str) -> bool {
        self.resources.iter().any(|r| r == id)
    }

    /// Resolves every intrinsic function in `node`, found at template path `path`.
    pub fn resolve(&self, node: &Node, path: &str) -> Result<Val, ResolveError> {
        match &node.value {
            Value::Null => Ok(Val::Null),
            Value::Bool(b) => Ok(Val::Bool(*b)),
            Value::Int(i) => Ok(Val::Int(*i)),
            Value::Float(x) => Ok(Val::Float(*x)),
            Value::Str(s) => Ok(Val::Str(s.clone())),
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match self.resolve(item, &format!("{path}[{i}]"))? {
                        Val::NoValue => {}
                        v => out.push(v),
                    }
                }
                Ok(Val::List(out))
            }
            Value::Map(entries) => {
                if let [(key, argument)] = entries.as_slice()
                    && (key == "Ref" || key.starts_with("Fn::"))
                {
                    return self.function(key, argument, node, &format!("{path}.{key}"));
                }
                let mut out = Vec::with_capacity(entries.len());
                for (key, value) in entries {
                    match self.resolve(value, &format!("{path}.{key}"))? {
                        Val::NoValue => {}
                        v => out.push((key.clone(), v)),
                    }
                }
                Ok(Val::Map(out))
            }
        }
    }

    fn function(&self, name: &str, arg: &Node, node: &Node, path: &str) -> Result<Val, ResolveError> {
        match name {
            "Ref" => {
                let target = self.text_of(arg, path)?;
                self.reference(&target, node, path)
            }
            "Fn::GetAtt" => {
                let parts = match &arg.value {
                    Value::Seq(items) if items.len() == 2 => items,
                    Value::Str(s) if s.contains('.') => {
                        let (id, attribute) = s.split_once('.').unwrap_or_default();
                        return self.attribute(id, attribute, node, path);
                    }
                    _ => return Err(error(arg, path, "Fn::GetAtt takes [RESOURCE, ATTRIBUTE]")),
                };
                let id = self.text_of(&parts[0], &format!("{path}[0]"))?;
                let attribute = self.text_of(&parts[1], &format!("{path}[1]"))?;
                self.attribute(&id, &attribute, node, path)
            }
            "Fn::Sub" => match &arg.value {
                Value::Str(s) => self.sub(s, &[], arg, path),
                Value::Seq(items) if items.len() == 2 => {
                    let Some(s) = items[0].as_str() else {
                        return Err(error(&items[0], &format!("{path}[0]"), "Fn::Sub's first element is a string"));
                    };
                    let mut vars = Vec::new();
                    for (k, v) in items[1].entries() {
                        vars.push((k.clone(), self.resolve(v, &format!("{path}[1].{k}"))?));
                    }
                    self.sub(s, &vars, arg, path)
                }
                _ => Err(error(arg, path, "Fn::Sub takes a string or [STRING, {VARIABLE: VALUE}]")),
            },
            "Fn::Join" => {
                let (delimiter, list) = self.pair(arg, path, "Fn::Join takes [DELIMITER, [VALUES]]")?;
                let delimiter = self.text_of(delimiter, &format!("{path}[0]"))?;
                let values = match self.resolve(list, &format!("{path}[1]"))? {
                    Val::List(values) => values,
                    other => return Ok(opaque_like(&other, "Fn::Join")),
                };
                let mut pieces = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        pieces.push(Piece::Lit(delimiter.clone()));
                    }
                    pieces.extend(to_pieces(v).ok_or_else(|| error(list, path, "Fn::Join joins strings"))?);
                }
                Ok(text(pieces))
            }
            "Fn::Select" => {
                let (index, list) = self.pair(arg, path, "Fn::Select takes [INDEX, [VALUES]]")?;
                let index = self.resolve(index, &format!("{path}[0]"))?;
                let Some(i) = as_number(&index).filter(|x| *x >= 0.0 && x.fract() == 0.0) else {
                    return Err(error(arg, path, "Fn::Select's index is a whole number ≥ 0"));
                };
                match self.resolve(list, &format!("{path}[1]"))? {
                    Val::List(mut values) => {
                        let i = i as usize;
                        if i >= values.len() {
                            return Err(error(
                                arg,
                                path,
                                format!("index {i} is out of range: the list has {} values", values.len()),
                            ));
                        }
                        Ok(values.swap_remove(i))
                    }
                    other => Ok(opaque_like(&other, "Fn::Select")),
                }
            }
            "Fn::Split" => {
                let (delimiter, source) = self.pair(arg, path, "Fn::Split takes [DELIMITER, STRING]")?;
                let delimiter = self.text_of(delimiter, &format!("{path}[0]"))?;
                match self.resolve(source, &format!("{path}[1]"))? {
                    Val::Str(s) => {
                        Ok(Val::List(s.split(delimiter.as_str()).map(|p| Val::Str(p.to_string())).collect()))
                    }
                    other => Ok(opaque_like(&other, "Fn::Split")),
                }
            }
            "Fn::If" => {
                let Value::Seq(items) = &arg.value else {
                    return Err(error(arg, path, "Fn::If takes [CONDITION, VALUE_IF_TRUE, VALUE_IF_FALSE]"));
                };
                if items.len() != 3 {
                    return Err(error(arg, path, "Fn::If takes [CONDITION, VALUE_IF_TRUE, VALUE_IF_FALSE]"));
                }
                let condition = self.text_of(&items[0], &format!("{path}[0]"))?;
                if self.condition(&condition, &items[0], path)? {
                    self.resolve(&items[1], &format!("{path}[1]"))
                } else {
                    self.resolve(&items[2], &format!("{path}[2]"))
                }
            }
            "Fn::FindInMap" => self.find_in_map(arg, path),
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => Ok(Val::Bool(self.truth(node, path)?)),
            "Fn::ImportValue" => {
                let name = self.resolve(arg, path)?;
                Ok(text(vec![Piece::Symbol(format!("Fn::ImportValue {}", flat_text(&name)))]))
            }
            "Fn::Base64" | "Fn::GetAZs" | "Fn::Cidr" | "Fn::Transform" | "Fn::ToJsonString" | "Fn::Length" => {
                Ok(text(vec![Piece::Symbol(name.to_string())]))
            }
            _ => Err(error(node, path, format!("unknown intrinsic function `{name}`"))),
        }
    }

    fn pair<'n>(&self, arg: &'n Node, path: &str, usage: &str) -> Result<(&'n Node, &'n Node), ResolveError> {
        match &arg.value {
            Value::Seq(items) if items.len() == 2 => Ok((&items[0], &items[1])),
            _ => Err(error(arg, path, usage)),
        }
    }

    /// A value that must resolve to plain text (a name, a delimiter).
    fn text_of(&self, node: &Node, path: &str) -> Result<String, ResolveError> {
        match self.resolve(node, path)? {
            Val::Str(s) => Ok(s),
            Val::Int(i) => Ok(i.to_string()),
            v => Err(error(node, path, format!("expected a plain string, found {}", flat_text(&v)))),
        }
    }

    /// `Ref NAME`: a parameter's value, a resource's logical id, a pseudo parameter.
    fn reference(&self, name: &str, node: &Node, path: &str) -> Result<Val, ResolveError> {
        if let Some(p) = self.parameter(name) {
            return Ok(match &p.value {
                Some(v) if p.kind.starts_with("List<") || p.kind == "CommaDelimitedList" => {
                    Val::List(v.split(',').map(|s| Val::Str(s.trim().to_string())).collect())
                }
                Some(v) => Val::Str(v.clone()),
                None => {
                    let mut used = self.used_placeholders.borrow_mut();
                    if !used.contains(&p.name) {
                        used.push(p.name.clone());
                    }
                    text(vec![Piece::Symbol(format!("parameter {}", p.name))])
                }
            });
        }
        if name == "AWS::NoValue" {
            return Ok(Val::NoValue);
        }
        if PSEUDO.contains(&name) {
            return Ok(text(vec![Piece::Symbol(name.to_string())]));
        }
        if self.is_resource(name) {
            return Ok(text(vec![Piece::Ref { id: name.to_string(), attribute: None }]));
        }
        // SAM's `!Ref Fn.Alias` and `Fn.Version` name the function.
        if let Some((id, _)) = name.split_once('.')
            && self.is_resource(id)
        {
            return Ok(text(vec![Piece::Ref { id: id.to_string(), attribute: None }]));
        }
        if self.sam_generated(name) {
            return Ok(text(vec![Piece::Symbol(format!("SAM resource {name}"))]));
        }
        Err(error(node, path, format!("Ref {name}: no parameter, resource or pseudo parameter has this name")))
    }

    fn attribute(&self, id: &str, attribute: &str, node: &Node, path: &str) -> Result<Val, ResolveError> {
        if self.is_resource(id) {
            return Ok(text(vec![Piece::Ref { id: id.to_string(), attribute: Some(attribute.to_string()) }]));
        }
        if self.sam_generated(id) {
            return Ok(text(vec![Piece::Symbol(format!("SAM resource {id}.{attribute}"))]));
        }
        Err(error(node, path, format!("Fn::GetAtt {id}.{attribute}: the template has no resource {id}")))
    }

    /// Ids SAM generates from a template's own resources (`FnRole`, `ServerlessRestApi`).
    fn sam_generated(&self, name: &str) -> bool {
        self.sam
            && (name.starts_with("ServerlessRestApi")
                || name.starts_with("ServerlessHttpApi")
                || self.resources.iter().any(|r| name.len() > r.len() && name.starts_with(r.as_str())))
    }

    fn sub(&self, template: &str, vars: &[(String, Val)], node: &Node, path: &str) -> Result<Val, ResolveError> {
        let mut pieces = Vec::new();
        let mut rest = template;
        while let Some(i) = rest.find("${") {
            pieces.push(Piece::Lit(rest[..i].to_string()));
            let after = &rest[i + 2..];
            if let Some(literal) = after.strip_prefix('!') {
                // `${!Literal}` is the text `${Literal}`.
                pieces.push(Piece::Lit("${".into()));
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                return Err(error(node, path, format!("unclosed ${{ in Fn::Sub string {template:?}")));
            };
            let name = after[..end].trim();
            if let Some((_, v)) = vars.iter().find(|(k, _)| k == name) {
                pieces.extend(to_pieces(v).ok_or_else(|| error(node, path, format!("${{{name}}} is not a string")))?);
            } else if let Some((id, attribute)) = name.split_once('.')
                && !PSEUDO.contains(&name)
                && self.parameter(name).is_none()
            {
                match self.attribute(id, attribute, node, path)? {
                    Val::Text(p) => pieces.extend(p),
                    _ => unreachable!("an attribute is a text"),
                }
            } else {
                let v = self.reference(name, node, path)?;
                pieces.extend(to_pieces(&v).ok_or_else(|| error(node, path, format!("${{{name}}} is a list")))?);
            }
            rest = &after[end + 1..];
        }
        pieces.push(Piece::Lit(rest.to_string()));
        Ok(text(pieces))
    }

    fn find_in_map(&self, arg: &Node, path: &str) -> Result<Val, ResolveError> {
        let usage = "Fn::FindInMap takes [MAP, TOP_LEVEL_KEY, SECOND_LEVEL_KEY]";
        let Value::Seq(items) = &arg.value else {
            return Err(error(arg, path, usage));
        };
        if items.len() != 3 && items.len() != 4 {
            return Err(error(arg, path, usage));
        }
        let mut keys = Vec::new();
        for (i, item) in items[..3].iter().enumerate() {
            let v = self.resolve(item, &format!("{path}[{i}]"))?;
            match self.concrete(&v) {
                Some(k) => keys.push(k),
                None => {
                    return Err(error(
                        item,
                        path,
                        format!("Fn::FindInMap key {} is not known before deployment", flat_text(&v)),
                    ));
                }
            }
        }
        let found =
            self.mappings.and_then(|m| m.get(&keys[0])).and_then(|m| m.get(&keys[1])).and_then(|m| m.get(&keys[2]));
        match found {
            Some(value) => self.resolve(value, &format!("Mappings.{}.{}.{}", keys[0], keys[1], keys[2])),
            None => match items.get(3).and_then(|d| d.get("DefaultValue")) {
                Some(default) => self.resolve(default, &format!("{path}[3].DefaultValue")),
                None => Err(error(arg, path, format!("Mappings has no {}.{}.{}", keys[0], keys[1], keys[2]))),
            },
        }
    }

    /// A value as plain text for comparisons and map keys: `AWS::Region` is the import's
    /// Region; anything else a deployment decides is unknown (`None`).
    fn concrete(&self, v: &Val) -> Option<String> {
        match v {
            Val::Str(s) => Some(s.clone()),
            Val::Int(i) => Some(i.to_string()),
            Val::Float(x) => Some(x.to_string()),
            Val::Bool(b) => Some(b.to_string()),
            Val::Text(pieces) => {
                let mut out = String::new();
                for p in pieces {
                    match p {
                        Piece::Lit(s) => out.push_str(s),
                        Piece::Symbol(s) if s == "AWS::Region" => out.push_str(&self.region),
                        _ => return None,
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// The value of condition `name` of the `Conditions` section.
    pub fn condition(&self, name: &str, at: &Node, path: &str) -> Result<bool, ResolveError> {
        if let Some(state) = self.evaluated.borrow().get(name) {
            return state.ok_or_else(|| error(at, path, format!("condition {name} depends on itself")));
        }
        let Some(definition) = self.conditions.and_then(|c| c.get(name)) else {
            return Err(error(at, path, format!("the template has no condition `{name}`")));
        };
        self.evaluated.borrow_mut().insert(name.to_string(), None);
        let value = self.truth(definition, &format!("Conditions.{name}"))?;
        self.evaluated.borrow_mut().insert(name.to_string(), Some(value));
        Ok(value)
    }

    /// A condition expression's truth.
    fn truth(&self, node: &Node, path: &str) -> Result<bool, ResolveError> {
        let [(key, arg)] = node.entries() else {
            return match &node.value {
                Value::Bool(b) => Ok(*b),
                _ => Err(error(node, path, "a condition is Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition")),
            };
        };
        let path = format!("{path}.{key}");
        let operands = |n: &Node| -> Result<Vec<bool>, ResolveError> {
            match &n.value {
                Value::Seq(items) => items.iter().map(|i| self.truth(i, &path)).collect(),
                _ => Err(error(n, &path, format!("{key} takes a list of conditions"))),
            }
        };
        match key.as_str() {
            "Condition" => {
                let name = self.text_of(arg, &path)?;
                self.condition(&name, arg, &path)
            }
            "Fn::Not" => Ok(!operands(arg)?.first().copied().unwrap_or(false)),
            "Fn::And" => Ok(operands(arg)?.iter().all(|b| *b)),
            "Fn::Or" => Ok(operands(arg)?.iter().any(|b| *b)),
            "Fn::Equals" => {
                let (a, b) = self.pair(arg, &path, "Fn::Equals takes [VALUE, VALUE]")?;
                let (a, b) = (self.resolve(a, &path)?, self.resolve(b, &path)?);
                match (self.concrete(&a), self.concrete(&b)) {
                    (Some(a), Some(b)) => Ok(a == b),
                    _ => {
                        self.warnings.borrow_mut().push(format!(
                            "{}: {path}: compares {} with {}, which only a deployment knows: taken as false",
                            node.at(),
                            flat_text(&a),
                            flat_text(&b)
                        ));
                        Ok(false)
                    }
                }
            }
            "Fn::If" => match self.resolve(node, &path)? {
                Val::Bool(b) => Ok(b),
                v => Ok(self.concrete(&v).is_some_and(|s| s == "true")),
            },
            _ => Err(error(node, &path, format!("`{key}` is not a condition function"))),
        }
    }
}

/// A text from pieces, plain when every piece is literal.
fn text(pieces: Vec<Piece>) -> Val {
    let mut merged: Vec<Piece> = Vec::new();
    for p in pieces {
        match (merged.last_mut(), p) {
            (_, Piece::Lit(s)) if s.is_empty() => {}
            (Some(Piece::Lit(a)), Piece::Lit(b)) => a.push_str(&b),
            (_, p) => merged.push(p),
        }
    }
    match merged.as_slice() {
        [] => Val::Str(String::new()),
        [Piece::Lit(s)] => Val::Str(s.clone()),
        _ => Val::Text(merged),
    }
}

/// A value's pieces, when it is a string of some kind.
fn to_pieces(v: &Val) -> Option<Vec<Piece>> {
    match v {
        Val::Str(s) => Some(vec![Piece::Lit(s.clone())]),
        Val::Int(i) => Some(vec![Piece::Lit(i.to_string())]),
        Val::Float(x) => Some(vec![Piece::Lit(x.to_string())]),
        Val::Bool(b) => Some(vec![Piece::Lit(b.to_string())]),
        Val::Text(p) => Some(p.clone()),
        _ => None,
    }
}

/// The symbolic result of a list function applied to something only a deployment knows.
fn opaque_like(v: &Val, function: &str) -> Val {
    text(vec![Piece::Symbol(format!("{function} of {}", flat_text(v)))])
}

/// A number, from a number or a numeric string (a `Ref` to a Number parameter is a string).
pub fn as_number(v: &Val) -> Option<f64> {
    match v {
        Val::Int(i) => Some(*i as f64),
        Val::Float(x) => Some(*x),
        Val::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean, from a boolean or a string: `true`/`false` in any case (AWS's own examples
/// write `'true'`), and YAML 1.1's `yes`/`no`/`on`/`off`, which CloudFormation reads as
/// booleans where a Boolean property takes them.
pub fn as_bool(v: &Val) -> Option<bool> {
    match v {
        Val::Bool(b) => Some(*b),
        Val::Str(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "y" => Some(true),
            "false" | "no" | "off" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A value as one line of text: references as `${Id}` or `${Id.Attribute}`, symbols as
/// `${Symbol}`, as `Fn::Sub` would write them.
pub fn flat_text(v: &Val) -> String {
    match v {
        Val::Null => "null".into(),
        Val::NoValue => "AWS::NoValue".into(),
        Val::Bool(b) => b.to_string(),
        Val::Int(i) => i.to_string(),
        Val::Float(x) => x.to_string(),
        Val::Str(s) => s.clone(),
        Val::Text(pieces) => pieces
            .iter()
            .map(|p| match p {
                Piece::Lit(s) => s.clone(),
                Piece::Ref { id, attribute: None } => format!("${{{id}}}"),
                Piece::Ref { id, attribute: Some(a) } => format!("${{{id}.{a}}}"),
                Piece::Symbol(s) => format!("${{{s}}}"),
            })
            .collect(),
        Val::List(items) => format!("[{}]", items.iter().map(flat_text).collect::<Vec<_>>().join(", ")),
        Val::Map(entries) => {
            format!(
                "{{{}}}",
                entries.iter().map(|(k, v)| format!("{k}: {}", flat_text(v))).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(x) => Some(x.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Seq(items) => Some(items.iter().filter_map(scalar_text).collect::<Vec<_>>().join(",")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::template;

    const TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
  Size: {Type: Number, Default: 512}
  Secret: {Type: String}
  Zones: {Type: CommaDelimitedList, Default: "a,b,c"}
Mappings:
  Sizes:
    dev: {Memory: 256}
    prod: {Memory: 1024}
  Regions:
    us-east-1: {Name: virginia}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition NotProd, !Equals [1, 1]]
  Either: !Or [!Condition IsProd, !Equals [!Ref Secret, x]]
  Loop: !Condition Loop
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Fn: {Type: AWS::Serverless::Function}
"#;

    fn with(expr: &str, overrides: &[(&str, &str)]) -> Result<Val, ResolveError> {
        let root = template::read(TEMPLATE).unwrap().root;
        let overrides: Vec<(String, String)> = overrides.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        let ctx = Context::new(&root, &overrides, "us-east-1").unwrap();
        let node = template::read(&format!("V: {expr}\n")).unwrap().root;
        ctx.resolve(node.get("V").unwrap(), "V")
    }

    fn eval(expr: &str) -> Val {
        with(expr, &[]).unwrap()
    }

    fn s(text: &str) -> Val {
        Val::Str(text.into())
    }

    #[test]
    fn ref_gives_parameter_values_resource_ids_and_symbols() {
        assert_eq!(eval("!Ref Stage"), s("dev"));
        assert_eq!(with("!Ref Stage", &[("Stage", "prod")]).unwrap(), s("prod"));
        assert_eq!(eval("!Ref Size"), s("512"));
        assert_eq!(eval("!Ref Queue"), Val::Text(vec![Piece::Ref { id: "Queue".into(), attribute: None }]));
        assert_eq!(eval("!Ref AWS::AccountId"), Val::Text(vec![Piece::Symbol("AWS::AccountId".into())]));
        assert_eq!(eval("!Ref Secret"), Val::Text(vec![Piece::Symbol("parameter Secret".into())]));
        assert_eq!(eval("!Ref Zones"), Val::List(vec![s("a"), s("b"), s("c")]));
        assert_eq!(eval("!Ref Fn.Alias"), Val::Text(vec![Piece::Ref { id: "Fn".into(), attribute: None }]));
        let e = with("!Ref Nope", &[]).unwrap_err();
        assert!(e.message.contains("Ref Nope"), "{e}");
        assert_eq!(e.path, "V.Ref");
    }

    #[test]
    fn get_att_names_the_resource_and_attribute() {
        let arn = Val::Text(vec![Piece::Ref { id: "Queue".into(), attribute: Some("Arn".into()) }]);
        assert_eq!(eval("!GetAtt Queue.Arn"), arn);
        assert_eq!(eval("{Fn::GetAtt: [Queue, Arn]}"), arn);
        assert!(with("!GetAtt Other.Arn", &[]).is_err());
    }

    #[test]
    fn sub_takes_both_forms() {
        assert_eq!(
            flat_text(&eval("!Sub '${Stage}-q-${Queue.Arn}-${AWS::Region}-${!Literal}'")),
            "dev-q-${Queue.Arn}-${AWS::Region}-${Literal}"
        );
        assert_eq!(eval("!Sub ['${A}-${Stage}', {A: !FindInMap [Sizes, dev, Memory]}]"), s("256-dev"));
        assert_eq!(eval("!Sub 'plain'"), s("plain"));
    }

    #[test]
    fn join_select_and_split_compute_lists() {
        assert_eq!(eval("!Join ['-', [a, !Ref Stage, 3]]"), s("a-dev-3"));
        assert_eq!(eval("!Select [1, !Ref Zones]"), s("b"));
        assert_eq!(eval("!Select ['2', [x, y, z]]"), s("z"));
        assert_eq!(eval("!Select [0, !Split [',', 'p,q']]"), s("p"));
        assert!(with("!Select [5, [x]]", &[]).unwrap_err().message.contains("out of range"));
    }

    #[test]
    fn if_follows_conditions_with_defaults_and_overrides() {
        assert_eq!(eval("!If [IsProd, big, small]"), s("small"));
        assert_eq!(with("!If [IsProd, big, small]", &[("Stage", "prod")]).unwrap(), s("big"));
        assert_eq!(eval("!If [NotProd, yes, no]"), s("yes"));
        assert_eq!(eval("!If [Both, 1, 2]"), Val::Int(1));
        assert_eq!(eval("!If [Either, 1, 2]"), Val::Int(2));
        assert_eq!(eval("[a, !If [IsProd, b, !Ref AWS::NoValue]]"), Val::List(vec![s("a")]));
        assert_eq!(eval("{A: !If [IsProd, 1, !Ref AWS::NoValue], B: 2}"), Val::Map(vec![("B".into(), Val::Int(2))]));
        assert!(with("!If [Loop, 1, 2]", &[]).unwrap_err().message.contains("depends on itself"));
        assert!(with("!If [Missing, 1, 2]", &[]).unwrap_err().message.contains("no condition"));
    }

    #[test]
    fn find_in_map_reads_mappings_with_the_region() {
        assert_eq!(eval("!FindInMap [Sizes, !Ref Stage, Memory]"), Val::Int(256));
        assert_eq!(eval("!FindInMap [Regions, !Ref AWS::Region, Name]"), s("virginia"));
        assert!(with("!FindInMap [Sizes, test, Memory]", &[]).unwrap_err().message.contains("Mappings has no"));
    }

    #[test]
    fn imports_and_pseudo_parameters_stay_symbolic() {
        assert_eq!(flat_text(&eval("!ImportValue shared-queue")), "${Fn::ImportValue shared-queue}");
        assert_eq!(flat_text(&eval("!Base64 x")), "${Fn::Base64}");
        assert!(with("{Fn::Nope: 1}", &[]).unwrap_err().message.contains("unknown intrinsic"));
    }

    #[test]
    fn an_unknown_param_override_is_refused() {
        let root = template::read(TEMPLATE).unwrap().root;
        let e = Context::new(&root, &[("Nope".into(), "1".into())], "us-east-1").err().unwrap();
        assert!(e.message.contains("no parameter `Nope`"), "{e}");
    }
}
