//! Reading a definition in two passes: the scopes walked and every state numbered, the
//! structure checked (transitions, reachability), then each state's fields read into its
//! typed form.

use std::collections::BTreeMap;

use super::fields::*;
use super::model::*;
use crate::models::filter_policy::Json;

// Pass 1 (`Builder`) walks the scopes, numbers every state and checks the structure. Pass 2
// (`Reader`) reads each state's fields, resolving names with the complete name table, which
// is what lets a `Next` naming a state of a branch met later be told apart from a typo.

pub(super) struct Builder<'a> {
    language: QueryLanguage,
    raws: Vec<Raw<'a>>,
    scopes: Vec<ScopeDraft<'a>>,
    names: BTreeMap<&'a str, StateId>,
}

/// A state numbered but not yet read.
pub(super) struct Raw<'a> {
    name: &'a str,
    scope: ScopeId,
    fields: &'a [(String, Json)],
    type_name: &'a str,
    language: QueryLanguage,
    /// Parallel: its branches; Map: its item processor.
    nested: Vec<ScopeId>,
    /// Map: `ItemProcessor.ProcessorConfig`.
    processor_config: Option<&'a Json>,
}

pub(super) struct ScopeDraft<'a> {
    kind: ScopeKind,
    owner: Option<StateId>,
    states: Vec<StateId>,
    start_at: &'a Json,
    start_field: String,
}

impl<'a> Builder<'a> {
    pub(super) fn new(language: QueryLanguage) -> Builder<'a> {
        Builder { language, raws: Vec::new(), scopes: Vec::new(), names: BTreeMap::new() }
    }
    /// Numbers the states of one scope, then walks the scopes nested in them. `prefix` is the
    /// path of the scope's fields within its owner (`Branches[0].`).
    pub(super) fn scope(
        &mut self,
        start_at: Option<&'a Json>,
        states: Option<&'a Json>,
        kind: ScopeKind,
        owner: Option<StateId>,
        prefix: &str,
    ) -> Result<ScopeId, AslError> {
        let owner_name = owner.map(|o| self.raws[o.index()].name);
        let start_at = start_at.ok_or_else(|| error(owner_name, format!("{prefix}StartAt"), "is required (ASL)"))?;
        let entries = match states {
            Some(Json::Object(entries)) if !entries.is_empty() => entries,
            Some(_) => {
                let message = "must be an object holding at least one state (ASL)";
                return Err(error(owner_name, format!("{prefix}States"), message));
            }
            None => return Err(error(owner_name, format!("{prefix}States"), "is required (ASL)")),
        };
        let id = ScopeId(self.scopes.len() as u32);
        let start_field = format!("{prefix}StartAt");
        self.scopes.push(ScopeDraft { kind, owner, states: Vec::with_capacity(entries.len()), start_at, start_field });
        let first = self.raws.len();
        for (name, body) in entries {
            let state = self.register(name, body, id)?;
            self.scopes[id.index()].states.push(state);
        }
        for index in first..first + entries.len() {
            self.nest(StateId(index as u32))?;
        }
        Ok(id)
    }

    fn register(&mut self, name: &'a str, body: &'a Json, scope: ScopeId) -> Result<StateId, AslError> {
        let id = StateId(self.raws.len() as u32);
        let chars = name.chars().count();
        if chars > STATE_NAME_CHARS_MAX {
            let message = format!("the name has {chars} characters; at most {STATE_NAME_CHARS_MAX} are allowed (ASL)");
            return Err(error(Some(name), "", message));
        }
        if self.names.insert(name, id).is_some() {
            let message = "another state has this name; names are unique across the whole state machine, \
                           branches and iterations included (AWS: DUPLICATE_STATE_NAME)";
            return Err(error(Some(name), "", message));
        }
        let Json::Object(fields) = body else {
            return Err(error(Some(name), "", "a state is a JSON object (ASL)"));
        };
        let type_name = match field(fields, "Type") {
            Some(Json::String(t)) if STATE_TYPES.contains(&t.as_str()) => t.as_str(),
            Some(_) => {
                let message = format!("must be one of {} (ASL)", STATE_TYPES.join(", "));
                return Err(error(Some(name), "Type", message));
            }
            None => return Err(error(Some(name), "Type", "is required (ASL)")),
        };
        let language = match field(fields, "QueryLanguage") {
            None => self.language,
            Some(value) => match query_language(value) {
                None => return Err(error(Some(name), "QueryLanguage", LANGUAGES)),
                Some(QueryLanguage::JsonPath) if self.language == QueryLanguage::Jsonata => {
                    let message = "a JSONata state machine cannot hold JSONPath states (AWS)";
                    return Err(error(Some(name), "QueryLanguage", message));
                }
                Some(language) => language,
            },
        };
        let raw = Raw { name, scope, fields, type_name, language, nested: Vec::new(), processor_config: None };
        self.raws.push(raw);
        Ok(id)
    }

    /// Walks the branches of a Parallel state or the item processor of a Map state.
    fn nest(&mut self, id: StateId) -> Result<(), AslError> {
        let (name, fields, type_name) = {
            let raw = &self.raws[id.index()];
            (raw.name, raw.fields, raw.type_name)
        };
        if type_name == "Parallel" {
            let branches = match field(fields, "Branches") {
                Some(Json::Array(branches)) if !branches.is_empty() => branches,
                _ => return Err(error(Some(name), "Branches", "must be a non-empty array of branches (ASL)")),
            };
            for (i, branch) in branches.iter().enumerate() {
                let path = format!("Branches[{i}]");
                let Json::Object(branch) = branch else {
                    return Err(error(Some(name), path, "a branch is an object with StartAt and States (ASL)"));
                };
                check_keys(branch, &["StartAt", "States", "Comment"], Some(name), &path)?;
                let (start_at, states) = (field(branch, "StartAt"), field(branch, "States"));
                let scope = self.scope(start_at, states, ScopeKind::Branch, Some(id), &format!("{path}."))?;
                self.raws[id.index()].nested.push(scope);
            }
        } else if type_name == "Map" {
            let (key, processor) = match (field(fields, "ItemProcessor"), field(fields, "Iterator")) {
                (Some(processor), None) => ("ItemProcessor", processor),
                (None, Some(processor)) => ("Iterator", processor),
                (Some(_), Some(_)) => {
                    let message = "give ItemProcessor or the deprecated Iterator, not both (ASL)";
                    return Err(error(Some(name), "Iterator", message));
                }
                (None, None) => {
                    let message = "a Map state needs ItemProcessor (or the deprecated Iterator) (ASL)";
                    return Err(error(Some(name), "ItemProcessor", message));
                }
            };
            let Json::Object(processor) = processor else {
                return Err(error(Some(name), key, "must be an object with StartAt and States (ASL)"));
            };
            let allowed: &[&str] = match key {
                "ItemProcessor" => &["ProcessorConfig", "StartAt", "States", "Comment"],
                _ => &["StartAt", "States", "Comment"],
            };
            check_keys(processor, allowed, Some(name), key)?;
            let (start_at, states) = (field(processor, "StartAt"), field(processor, "States"));
            let scope = self.scope(start_at, states, ScopeKind::MapIteration, Some(id), &format!("{key}."))?;
            let raw = &mut self.raws[id.index()];
            raw.nested.push(scope);
            raw.processor_config = field(processor, "ProcessorConfig");
        }
        Ok(())
    }

    /// The state that `target` names, which must be in `scope`.
    fn resolve(&self, scope: ScopeId, target: &Json, state: Option<&str>, at: &str) -> Result<StateId, AslError> {
        let Json::String(name) = target else {
            return Err(error(state, at, "must be the name of a state (ASL)"));
        };
        match self.names.get(name.as_str()) {
            None => Err(error(state, at, format!("no state is named \"{name}\" (ASL)"))),
            Some(&id) if self.raws[id.index()].scope != scope => {
                let message = format!(
                    "\"{name}\" is in another scope: Next, Default and Catch lead only to states of the same \
                     level, Parallel branch or Map iteration (ASL)"
                );
                Err(error(state, at, message))
            }
            Some(&id) => Ok(id),
        }
    }

    pub(super) fn finish(self, timeout_seconds: Option<u64>) -> Result<Definition, AslError> {
        let mut scopes = Vec::with_capacity(self.scopes.len());
        for (i, draft) in self.scopes.iter().enumerate() {
            let owner_name = draft.owner.map(|o| self.raws[o.index()].name);
            let start_at = self.resolve(ScopeId(i as u32), draft.start_at, owner_name, &draft.start_field)?;
            scopes.push(Scope { start_at, states: draft.states.clone(), kind: draft.kind, owner: draft.owner });
        }
        let mut states = Vec::with_capacity(self.raws.len());
        for raw in &self.raws {
            states.push(Reader { builder: &self, raw }.state()?);
        }
        check_reachable(&states, &scopes)?;
        Ok(Definition { start_at: scopes[0].start_at, states, timeout_seconds, query_language: self.language, scopes })
    }
}

/// Every state must be reachable from its scope's StartAt.
pub(super) fn check_reachable(states: &[State], scopes: &[Scope]) -> Result<(), AslError> {
    let mut reached = vec![false; states.len()];
    for scope in scopes {
        let mut stack = vec![scope.start_at];
        while let Some(id) = stack.pop() {
            if !reached[id.index()] {
                reached[id.index()] = true;
                stack.extend(transitions(&states[id.index()]));
            }
        }
    }
    match reached.iter().position(|r| !r) {
        None => Ok(()),
        Some(i) => {
            let state = &states[i];
            let start = &states[scopes[state.scope.index()].start_at.index()].name;
            let message = format!(
                "is not reachable from \"{start}\", the StartAt of its scope: no Next, Choice rule, Default or \
                 Catch leads to it (AWS: MISSING_TRANSITION_TARGET)"
            );
            Err(error(Some(&state.name), "", message))
        }
    }
}

/// Where a state can go next within its scope.
pub(super) fn transitions(state: &State) -> Vec<StateId> {
    let mut out: Vec<StateId> = state.next.into_iter().collect();
    let catch = match &state.kind {
        StateKind::Choice(choice) => {
            out.extend(choice.choices.iter().copied().chain(choice.default));
            &[][..]
        }
        StateKind::Task(task) => &task.catch[..],
        StateKind::Parallel(parallel) => &parallel.catch[..],
        StateKind::Map(map) => &map.catch[..],
        _ => &[][..],
    };
    out.extend(catch.iter().map(|c| c.next));
    out
}

/// Reads one state's fields (pass 2).
pub(super) struct Reader<'b, 'a> {
    builder: &'b Builder<'a>,
    raw: &'b Raw<'a>,
}

/// A number given in the definition or taken from the data at run time.
pub(super) enum Dynamic<T> {
    Value(T),
    FromData,
}

/// A Task argument: a literal string (a JSONata string constant included), something only
/// known at run time, or nothing.
pub(super) enum Argument<'a> {
    Literal(&'a str),
    FromData,
    Missing,
}

impl<'a> Reader<'_, 'a> {
    fn state(&self) -> Result<State, AslError> {
        self.check_fields()?;
        let kind = match self.raw.type_name {
            "Task" => StateKind::Task(self.task()?),
            "Pass" => StateKind::Pass,
            "Choice" => StateKind::Choice(self.choice()?),
            "Wait" => StateKind::Wait(self.wait()?),
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail { error: self.fail_text("Error")?, cause: self.fail_text("Cause")? },
            "Parallel" => StateKind::Parallel(Parallel {
                branches: self.raw.nested.clone(),
                retry: self.retriers()?,
                catch: self.catchers()?,
            }),
            _ => StateKind::Map(self.map()?),
        };
        let next = match self.raw.type_name {
            "Choice" | "Succeed" | "Fail" => None,
            _ => self.transition()?,
        };
        Ok(State { name: self.raw.name.to_string(), scope: self.raw.scope, kind, next })
    }

    fn error(&self, field: impl Into<String>, message: impl Into<String>) -> AslError {
        error(Some(self.raw.name), field, message)
    }

    fn get(&self, name: &str) -> Option<&'a Json> {
        field(self.raw.fields, name)
    }

    fn jsonata(&self) -> bool {
        self.raw.language == QueryLanguage::Jsonata
    }

    /// The state that `value` (at field path `at`) names, within this state's scope.
    fn target(&self, at: &str, value: &Json) -> Result<StateId, AslError> {
        self.builder.resolve(self.raw.scope, value, Some(self.raw.name), at)
    }

    fn check_fields(&self) -> Result<(), AslError> {
        let type_name = self.raw.type_name;
        let allowed = fields_of(type_name);
        for (i, (key, _)) in self.raw.fields.iter().enumerate() {
            if self.raw.fields[..i].iter().any(|(earlier, _)| earlier == key) {
                return Err(self.error(key, "appears twice (ASL)"));
            }
            if !COMMON_FIELDS.contains(&key.as_str()) && !allowed.contains(&key.as_str()) {
                return Err(self.error(key, not_allowed(type_name, key, allowed)));
            }
            self.check_language(key, key)?;
        }
        Ok(())
    }

    /// Fields of the other query language are errors; `at` is the field's path.
    fn check_language(&self, key: &str, at: &str) -> Result<(), AslError> {
        if self.jsonata() && JSONPATH_ONLY.contains(&key) {
            let message = "is a JSONPath field and this state uses JSONata, which has Arguments, Output and \
                           {% %} expressions instead (AWS)";
            return Err(self.error(at, message));
        }
        if !self.jsonata() && JSONATA_ONLY.contains(&key) {
            let message =
                "is a JSONata field and this state uses JSONPath (set QueryLanguage to JSONata to use it) (AWS)";
            return Err(self.error(at, message));
        }
        Ok(())
    }

    /// `Next` or `End` (exactly one) of a state that is neither Choice, Succeed nor Fail.
    fn transition(&self) -> Result<Option<StateId>, AslError> {
        match (self.get("Next"), self.get("End")) {
            (Some(next), None) => Ok(Some(self.target("Next", next)?)),
            (None, Some(Json::Bool(true))) => Ok(None),
            (Some(_), Some(_)) => Err(self.error("End", "a state has Next or End, not both (ASL)")),
            (None, Some(_)) => Err(self.error("End", "must be true; to go on, give Next instead (ASL)")),
            (None, None) => Err(self.error("Next", "the state needs Next or End (ASL)")),
        }
    }

    /// `name` as a literal (or, in a JSONata state, a `{% %}` expression), or `namePath`.
    fn dynamic<T>(
        &self,
        name: &str,
        literal: impl Fn(&Json) -> Option<T>,
        rule: &str,
    ) -> Result<Option<Dynamic<T>>, AslError> {
        let path_name = format!("{name}Path");
        match (self.get(name), self.get(&path_name)) {
            (None, None) => Ok(None),
            (Some(_), Some(_)) => Err(self.error(&path_name, format!("give {name} or {path_name}, not both (ASL)"))),
            (None, Some(Json::String(_))) => Ok(Some(Dynamic::FromData)),
            (None, Some(_)) => Err(self.error(&path_name, "must be a path, a string (ASL)")),
            (Some(Json::String(s)), None) if self.jsonata() && is_jsonata(s) => Ok(Some(Dynamic::FromData)),
            (Some(value), None) => {
                literal(value).map(|v| Some(Dynamic::Value(v))).ok_or_else(|| self.error(name, rule))
            }
        }
    }

    fn task(&self) -> Result<Task, AslError> {
        let Some(Json::String(arn)) = self.get("Resource") else {
            return Err(self.error("Resource", "a Task state needs Resource, an ARN string (ASL)"));
        };
        let (resource, pattern) = self.resource(arn)?;
        let seconds = |v: &Json| whole(v, 1, SECONDS_MAX);
        let rule = "must be a positive integer of at most 99,999,999 (AWS)";
        let (timeout_seconds, timeout_seconds_path) = match self.dynamic("TimeoutSeconds", seconds, rule)? {
            None => (TASK_TIMEOUT_DEFAULT_S, false),
            Some(Dynamic::Value(s)) => (s, false),
            Some(Dynamic::FromData) => (TASK_TIMEOUT_DEFAULT_S, true),
        };
        let (heartbeat_seconds, heartbeat_seconds_path) = match self.dynamic("HeartbeatSeconds", seconds, rule)? {
            None => (None, false),
            Some(Dynamic::Value(s)) => (Some(s), false),
            Some(Dynamic::FromData) => (None, true),
        };
        if let Some(heartbeat) = heartbeat_seconds
            && !timeout_seconds_path
            && heartbeat >= timeout_seconds
        {
            let message = format!("must be less than TimeoutSeconds, which is {timeout_seconds} (AWS)");
            return Err(self.error("HeartbeatSeconds", message));
        }
        Ok(Task {
            resource,
            pattern,
            timeout_seconds,
            timeout_seconds_path,
            heartbeat_seconds,
            heartbeat_seconds_path,
            retry: self.retriers()?,
            catch: self.catchers()?,
        })
    }

    /// Classifies a Task's `Resource` (§4.3).
    fn resource(&self, arn: &str) -> Result<(Resource, Pattern), AslError> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let unknown = || {
            let message = format!(
                "\"{arn}\" is not a service integration (arn:aws:states:::SERVICE:ACTION), an activity ARN or a \
                 Lambda function ARN (ASL)"
            );
            self.error("Resource", message)
        };
        let ["arn", _partition, service, region, account, rest] = parts.as_slice() else {
            return Err(unknown());
        };
        let regional = !region.is_empty() && !account.is_empty();
        match *service {
            "states" if region.is_empty() && account.is_empty() => self.integration(rest, arn),
            "states" if regional => match rest.strip_prefix("activity:") {
                Some(name) if !name.is_empty() && !name.contains(':') => {
                    Ok((Resource::Activity { name: name.to_string() }, Pattern::RequestResponse))
                }
                // Deployed definitions also name AWS SDK integrations with a Region and an
                // account (`arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject`);
                // AWS accepts them and runs them as the `:::` form.
                None if rest.starts_with("aws-sdk:") && is_account_id(account) => self.integration(rest, arn),
                _ => Err(unknown()),
            },
            // Without Region and account, the function is the machine's own Region's and
            // account's: AWS's pattern for resource ARNs admits both empty, and deployed
            // definitions use that form.
            "lambda" if regional || (region.is_empty() && account.is_empty()) => {
                match rest.strip_prefix("function:").and_then(|f| f.split(':').next()) {
                    Some(name) if !name.is_empty() => {
                        Ok((Resource::Lambda { function: Target::Named(name.to_string()) }, Pattern::RequestResponse))
                    }
                    _ => Err(unknown()),
                }
            }
            _ => Err(unknown()),
        }
    }

    /// `SERVICE:ACTION[.suffix]` or `aws-sdk:SERVICE:ACTION[.suffix]`.
    fn integration(&self, rest: &str, arn: &str) -> Result<(Resource, Pattern), AslError> {
        let (sdk, rest) = match rest.strip_prefix("aws-sdk:") {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let (service, call) = rest.split_once(':').unwrap_or((rest, ""));
        let (action, pattern) = match call.split_once('.') {
            None => (call, Pattern::RequestResponse),
            Some((action, "sync")) => (action, Pattern::Sync),
            Some((action, "sync:2")) => (action, Pattern::SyncV2),
            Some((action, "waitForTaskToken")) => (action, Pattern::WaitForTaskToken),
            Some((_, other)) => {
                let message =
                    format!("unknown integration pattern \".{other}\": use .sync, .sync:2 or .waitForTaskToken (ASL)");
                return Err(self.error("Resource", message));
            }
        };
        if service.is_empty() || action.is_empty() || action.contains(':') {
            let message = format!("\"{arn}\" is not of the form arn:aws:states:::SERVICE:ACTION (ASL)");
            return Err(self.error("Resource", message));
        }
        self.check_support(sdk, service, pattern)?;
        let resource = match (sdk, service, action) {
            (_, "lambda", "invoke") => Resource::Lambda { function: self.named("FunctionName", function_name, None)? },
            (_, "sqs", "sendMessage") => {
                let error = if sdk { SQS_SDK_INVALID_ADDRESS } else { SQS_INVALID_ADDRESS };
                Resource::SqsSend { queue: self.named("QueueUrl", queue_name, Some(error))? }
            }
            (_, "sns", "publish") => Resource::SnsPublish { topic: self.topic(sdk)? },
            (false, "states", "startExecution") | (true, "sfn", "startExecution") => {
                Resource::StartExecution { state_machine: self.named("StateMachineArn", state_machine_name, None)? }
            }
            (false, "lambda" | "sqs" | "sns" | "states", _) => {
                let message = format!(
                    "the optimized {service} integration has no action \"{action}\"; call other actions through \
                     arn:aws:states:::aws-sdk:{service}:{action} (AWS)"
                );
                return Err(self.error("Resource", message));
            }
            _ => Resource::Other { service: service.to_string(), action: action.to_string() },
        };
        Ok((resource, pattern))
    }

    /// The support matrix of §4.3.
    fn check_support(&self, sdk: bool, service: &str, pattern: Pattern) -> Result<(), AslError> {
        // (.sync, .waitForTaskToken); Request-Response is always supported.
        let (sync, callback) = match service {
            _ if sdk => (false, true),
            "sqs" | "sns" | "lambda" | "events" | "apigateway" => (false, true),
            "dynamodb" => (false, false),
            "batch" | "athena" | "glue" | "elasticmapreduce" | "codebuild" | "sagemaker" => (true, false),
            // ecs, eks, bedrock, states, and services the reference's matrix does not list.
            _ => (true, true),
        };
        let (supported, suffix) = match pattern {
            Pattern::RequestResponse => (true, ""),
            Pattern::Sync => (sync, ".sync"),
            Pattern::SyncV2 => (sync, ".sync:2"),
            Pattern::WaitForTaskToken => (callback, ".waitForTaskToken"),
        };
        if supported {
            return Ok(());
        }
        let what = if sdk { "AWS SDK integrations".to_string() } else { format!("the {service} integration") };
        let offers = match (sync, callback) {
            (false, true) => "Request-Response and .waitForTaskToken",
            (true, false) => "Request-Response and .sync",
            _ => "Request-Response only",
        };
        let message = format!("{what} cannot use {suffix}; it offers {offers} (AWS)");
        Err(self.error("Resource", message))
    }

    /// Where the Task's arguments are, for error paths.
    fn arguments_field(&self) -> &'static str {
        if self.jsonata() { "Arguments" } else { "Parameters" }
    }

    /// The Task argument `key` of `Parameters` (`key` or `key.$`) or `Arguments`.
    fn argument(&self, key: &str) -> Result<Argument<'a>, AslError> {
        let at = format!("{}.{key}", self.arguments_field());
        let fields = match self.get("Parameters").or_else(|| self.get("Arguments")) {
            None => return Ok(Argument::Missing),
            Some(Json::String(s)) if self.jsonata() && is_jsonata(s) => return Ok(Argument::FromData),
            Some(Json::Object(fields)) => fields,
            Some(_) => return Err(self.error(self.arguments_field(), "must be an object (ASL)")),
        };
        match field(fields, key) {
            Some(Json::String(s)) if self.jsonata() && is_jsonata(s) => {
                Ok(jsonata_constant(s).map_or(Argument::FromData, Argument::Literal))
            }
            Some(Json::String(s)) => Ok(Argument::Literal(s)),
            Some(_) => Err(self.error(at, "must be a string (AWS)")),
            None if field(fields, &format!("{key}.$")).is_some() => Ok(Argument::FromData),
            None => Ok(Argument::Missing),
        }
    }

    /// A required argument turned into a name by `name_of`. `malformed` is the error a call
    /// fails with when the literal names nothing of its kind and AWS still accepts the
    /// definition (it checks `QueueUrl` and `TopicArn` only when the call runs); without it,
    /// such a literal is refused.
    fn named(
        &self,
        key: &str,
        name_of: fn(&str) -> Option<&str>,
        malformed: Option<&'static str>,
    ) -> Result<Target, AslError> {
        let at = format!("{}.{key}", self.arguments_field());
        match self.argument(key)? {
            Argument::Literal(value) => match (name_of(value), malformed) {
                (Some(name), _) => Ok(Target::Named(name.to_string())),
                (None, Some(error)) => Ok(Target::Malformed { value: value.to_string(), error }),
                (None, None) => Err(self.error(at, format!("\"{value}\" does not name a {} (AWS)", noun(key)))),
            },
            Argument::FromData => Ok(Target::FromData),
            Argument::Missing => Err(self.error(at, format!("the call needs {key} (AWS)"))),
        }
    }

    /// `sns:publish` goes to `TopicArn`, or to a `TargetArn` or `PhoneNumber` (no topic).
    fn topic(&self, sdk: bool) -> Result<Target, AslError> {
        if !matches!(self.argument("TopicArn")?, Argument::Missing) {
            let error = if sdk { SNS_SDK_INVALID_PARAMETER } else { SNS_INVALID_PARAMETER };
            return self.named("TopicArn", topic_name, Some(error));
        }
        for key in ["TargetArn", "PhoneNumber"] {
            if !matches!(self.argument(key)?, Argument::Missing) {
                return Ok(Target::Endpoint);
            }
        }
        let at = format!("{}.TopicArn", self.arguments_field());
        Err(self.error(at, "the call needs TopicArn, TargetArn or PhoneNumber (AWS)"))
    }

    fn wait(&self) -> Result<Wait, AslError> {
        let given: Vec<&str> = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
            .into_iter()
            .filter(|f| self.get(f).is_some())
            .collect();
        if given.len() != 1 {
            let message = "a Wait state takes exactly one of Seconds, Timestamp, SecondsPath and TimestampPath (ASL)";
            return Err(self.error(*given.get(1).unwrap_or(&"Seconds"), message));
        }
        let rule = "must be an integer from 0 to 99,999,999 (AWS)";
        match self.dynamic("Seconds", |v| whole(v, 0, SECONDS_MAX), rule)? {
            Some(Dynamic::Value(seconds)) => return Ok(Wait::Seconds(seconds)),
            Some(Dynamic::FromData) => return Ok(Wait::SecondsPath),
            None => {}
        }
        let literal = |v: &Json| match v {
            Json::String(s) if is_timestamp(s) => Some(s.clone()),
            _ => None,
        };
        let rule = "must be an RFC 3339 timestamp such as \"2016-03-14T01:59:00Z\", with an uppercase T and Z (ASL)";
        match self.dynamic("Timestamp", literal, rule)? {
            Some(Dynamic::Value(timestamp)) => Ok(Wait::Timestamp(timestamp)),
            _ => Ok(Wait::TimestampPath),
        }
    }

    /// A Fail state's `Error` or `Cause`: None when absent or taken from the data.
    fn fail_text(&self, name: &str) -> Result<Option<String>, AslError> {
        let literal = |v: &Json| match v {
            Json::String(s) => Some(s.clone()),
            _ => None,
        };
        match self.dynamic(name, literal, "must be a string (ASL)")? {
            Some(Dynamic::Value(text)) => Ok(Some(text)),
            _ => Ok(None),
        }
    }

    fn choice(&self) -> Result<Choice, AslError> {
        let rules = match self.get("Choices") {
            Some(Json::Array(rules)) if !rules.is_empty() => rules,
            _ => return Err(self.error("Choices", "a Choice state needs a non-empty array of rules (ASL)")),
        };
        let mut choices = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            let path = format!("Choices[{i}]");
            let Json::Object(fields) = rule else {
                return Err(self.error(path, "a Choice rule is an object (ASL)"));
            };
            self.rule(fields, &path, true)?;
            let at = format!("{path}.Next");
            let next =
                field(fields, "Next").ok_or_else(|| self.error(&at, "a top-level Choice rule needs Next (ASL)"))?;
            choices.push(self.target(&at, next)?);
        }
        let default = self.get("Default").map(|d| self.target("Default", d)).transpose()?;
        Ok(Choice { choices, default })
    }

    /// Checks the shape of one Choice rule: a comparison of `Variable`, `And`, `Or` or `Not`
    /// (JSONPath), or a `Condition` (JSONata). Only top-level rules have `Next`.
    fn rule(&self, fields: &[(String, Json)], path: &str, top: bool) -> Result<(), AslError> {
        let mut test: Option<&str> = None;
        for (i, (key, value)) in fields.iter().enumerate() {
            let at = format!("{path}.{key}");
            if fields[..i].iter().any(|(earlier, _)| earlier == key) {
                return Err(self.error(at, "appears twice (ASL)"));
            }
            self.check_language(key, &at)?;
            match key.as_str() {
                "Comment" | "Variable" => self.string_operand(value, &at)?,
                "Next" | "Assign" | "Output" if top => {}
                "Next" | "Assign" | "Output" => {
                    return Err(self.error(at, format!("only a top-level Choice rule has {key} (ASL)")));
                }
                "And" | "Or" => match value {
                    Json::Array(rules) if !rules.is_empty() => {
                        for (j, rule) in rules.iter().enumerate() {
                            self.nested_rule(rule, &format!("{at}[{j}]"))?;
                        }
                    }
                    _ => return Err(self.error(at, "must be a non-empty array of rules (ASL)")),
                },
                "Not" => self.nested_rule(value, &at)?,
                "Condition" if matches!(value, Json::Bool(_)) => {}
                "Condition" => self.string_operand(value, &at)?,
                operator => match operand(operator) {
                    Some(kind) => self.check_operand(kind, value, &at)?,
                    None => {
                        let message = "not a comparison operator nor a field of a Choice rule (ASL)";
                        return Err(self.error(at, message));
                    }
                },
            }
            if !matches!(key.as_str(), "Comment" | "Variable" | "Next" | "Assign" | "Output") {
                if let Some(earlier) = test {
                    let message = format!("a rule holds one test, and this one already has {earlier} (ASL)");
                    return Err(self.error(at, message));
                }
                test = Some(key);
            }
        }
        self.check_rule_test(fields, path, test)
    }

    fn nested_rule(&self, rule: &Json, at: &str) -> Result<(), AslError> {
        match rule {
            Json::Object(fields) => self.rule(fields, at, false),
            _ => Err(self.error(at, "a Choice rule is an object (ASL)")),
        }
    }

    /// A rule has exactly one test, and `Variable` exactly when that test is a comparison.
    fn check_rule_test(&self, fields: &[(String, Json)], path: &str, test: Option<&str>) -> Result<(), AslError> {
        let has_variable = field(fields, "Variable").is_some();
        match test {
            None if self.jsonata() => Err(self.error(path, "a JSONata Choice rule needs Condition (ASL)")),
            Some(test) if self.jsonata() && test != "Condition" => {
                let message = "JSONata Choice rules test a Condition; comparison operators, And, Or and Not are \
                               JSONPath (AWS)";
                Err(self.error(format!("{path}.{test}"), message))
            }
            None => Err(self.error(path, "a Choice rule needs a comparison, And, Or or Not (ASL)")),
            Some("And" | "Or" | "Not") if has_variable => {
                Err(self.error(format!("{path}.Variable"), "And, Or and Not take no Variable (ASL)"))
            }
            Some(operator) if operand(operator).is_some() && !has_variable => {
                Err(self
                    .error(format!("{path}.Variable"), format!("{operator} compares Variable, which is missing (ASL)")))
            }
            Some(_) => Ok(()),
        }
    }

    fn string_operand(&self, value: &Json, at: &str) -> Result<(), AslError> {
        match value {
            Json::String(_) => Ok(()),
            _ => Err(self.error(at, "must be a string (ASL)")),
        }
    }

    fn check_operand(&self, kind: Operand, value: &Json, at: &str) -> Result<(), AslError> {
        let ok = match (kind, value) {
            (Operand::String, Json::String(_)) | (Operand::Number, Json::Number(_)) => true,
            (Operand::Boolean, Json::Bool(_)) => true,
            (Operand::Timestamp, Json::String(s)) => is_timestamp(s),
            (Operand::Path, Json::String(s)) => s.starts_with('$'),
            _ => false,
        };
        if ok {
            return Ok(());
        }
        let expected = match kind {
            Operand::String => "a string",
            Operand::Number => "a number",
            Operand::Boolean => "true or false",
            Operand::Timestamp => "an RFC 3339 timestamp string",
            Operand::Path => "a path string starting with $",
        };
        Err(self.error(at, format!("must be {expected} (ASL)")))
    }

    /// The entries of a `Retry` or `Catch` array: each one's path, fields and whether it is the
    /// last, after checking that the array holds objects with only the allowed fields.
    fn handler_entries(
        &self,
        key: &str,
        allowed: &[&str],
        (entry, required): (&str, &str),
    ) -> Result<Vec<HandlerEntry<'a>>, AslError> {
        let items = match self.get(key) {
            None => return Ok(Vec::new()),
            Some(Json::Array(items)) => items,
            Some(_) => return Err(self.error(key, format!("must be an array of {entry}s (ASL)"))),
        };
        let mut entries = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            let Json::Object(fields) = item else {
                return Err(self.error(path, format!("a {entry} is an object with {required} (ASL)")));
            };
            check_keys(fields, allowed, Some(self.raw.name), &path)?;
            entries.push(HandlerEntry { path, fields, last: i + 1 == items.len() });
        }
        Ok(entries)
    }

    fn retriers(&self) -> Result<Vec<Retrier>, AslError> {
        let entries = self.handler_entries("Retry", RETRIER_FIELDS, ("retrier", "ErrorEquals"))?;
        entries.into_iter().map(|e| self.retrier(e.fields, &e.path, e.last)).collect()
    }

    fn retrier(&self, fields: &[(String, Json)], path: &str, last: bool) -> Result<Retrier, AslError> {
        let error_equals = self.error_equals(fields, path, last, "retrier")?;
        let integer = |name: &str, min: u64, max: u64, default: u32, rule: &str| match field(fields, name) {
            None => Ok(default),
            Some(value) => {
                whole(value, min, max).map(|v| v as u32).ok_or_else(|| self.error(format!("{path}.{name}"), rule))
            }
        };
        let rule = "must be a positive integer of at most 99,999,999 (ASL)";
        let interval_seconds = integer("IntervalSeconds", 1, SECONDS_MAX, RETRY_INTERVAL_DEFAULT_S, rule)?;
        let rule = "must be an integer from 0 to 99,999,999 (ASL)";
        let max_attempts = integer("MaxAttempts", 0, SECONDS_MAX, RETRY_MAX_ATTEMPTS_DEFAULT, rule)?;
        let backoff_rate = match field(fields, "BackoffRate") {
            None => RETRY_BACKOFF_RATE_DEFAULT,
            Some(Json::Number(rate)) if *rate >= 1.0 && rate.is_finite() => *rate,
            Some(Json::Number(_)) => {
                return Err(self.error(format!("{path}.BackoffRate"), "must be at least 1.0 (ASL)"));
            }
            Some(_) => return Err(self.error(format!("{path}.BackoffRate"), "must be a number (ASL)")),
        };
        let max_delay_seconds = match field(fields, "MaxDelaySeconds") {
            None => None,
            Some(value) => {
                Some(whole(value, 1, u64::from(MAX_DELAY_SECONDS_MAX)).map(|v| v as u32).ok_or_else(|| {
                    self.error(format!("{path}.MaxDelaySeconds"), "must be an integer from 1 to 31,622,400 (ASL)")
                })?)
            }
        };
        let jitter = match field(fields, "JitterStrategy") {
            None => Jitter::None,
            Some(Json::String(s)) if s == "NONE" => Jitter::None,
            Some(Json::String(s)) if s == "FULL" => Jitter::Full,
            Some(_) => return Err(self.error(format!("{path}.JitterStrategy"), "must be \"FULL\" or \"NONE\" (AWS)")),
        };
        Ok(Retrier { error_equals, interval_seconds, max_attempts, backoff_rate, max_delay_seconds, jitter })
    }

    fn catchers(&self) -> Result<Vec<Catcher>, AslError> {
        let mut catchers = Vec::new();
        for HandlerEntry { path, fields, last } in
            self.handler_entries("Catch", CATCHER_FIELDS, ("catcher", "ErrorEquals and Next"))?
        {
            for (key, _) in fields.iter() {
                self.check_language(key, &format!("{path}.{key}"))?;
            }
            let error_equals = self.error_equals(fields, &path, last, "catcher")?;
            let at = format!("{path}.Next");
            let next = field(fields, "Next").ok_or_else(|| self.error(&at, "a catcher needs Next (ASL)"))?;
            catchers.push(Catcher { error_equals, next: self.target(&at, next)? });
        }
        Ok(catchers)
    }

    /// A non-empty list of names, where `States.ALL` stands alone in the last entry.
    fn error_equals(
        &self,
        fields: &[(String, Json)],
        path: &str,
        last: bool,
        entry: &str,
    ) -> Result<Vec<String>, AslError> {
        let at = format!("{path}.ErrorEquals");
        let names: Option<Vec<String>> = match field(fields, "ErrorEquals") {
            Some(Json::Array(names)) if !names.is_empty() => names
                .iter()
                .map(|name| match name {
                    Json::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        let names = names.ok_or_else(|| self.error(&at, "must be a non-empty array of error names (ASL)"))?;
        if names.iter().any(|n| n == "States.ALL") {
            if names.len() > 1 {
                return Err(self.error(at, "States.ALL must appear alone (ASL)"));
            }
            if !last {
                return Err(self.error(at, format!("States.ALL may appear only in the last {entry} (ASL)")));
            }
        }
        Ok(names)
    }

    fn map(&self) -> Result<Map, AslError> {
        let mode = self.map_mode()?;
        if mode == MapMode::Inline
            && let Some(name) = DISTRIBUTED_MAP_FIELDS.into_iter().find(|f| self.get(f).is_some())
        {
            return Err(self.error(name, "belongs to Distributed Maps; this Map is Inline (AWS)"));
        }
        if self.get("Parameters").is_some() && self.get("ItemSelector").is_some() {
            return Err(self.error("Parameters", "give ItemSelector or the deprecated Parameters, not both (ASL)"));
        }
        if let Some(label) = self.get("Label")
            && !matches!(label, Json::String(s) if s.chars().count() <= MAP_LABEL_CHARS_MAX)
        {
            return Err(self.error("Label", "must be a string of at most 40 characters (AWS)"));
        }
        let count = |v: &Json| whole(v, 0, u64::from(u32::MAX));
        let rule = "must be a non-negative integer (ASL)";
        let (max_concurrency, max_concurrency_path) = match self.dynamic("MaxConcurrency", count, rule)? {
            None => (0, false),
            Some(Dynamic::Value(n)) => (n as u32, false),
            Some(Dynamic::FromData) => (0, true),
        };
        let percentage = |v: &Json| match v {
            Json::Number(p) if (0.0..=100.0).contains(p) => Some(*p),
            _ => None,
        };
        let rule = "must be a number from 0 to 100 (AWS)";
        let (tolerated_failure_percentage, tolerated_failure_percentage_path) =
            split(self.dynamic("ToleratedFailurePercentage", percentage, rule)?);
        let rule = "must be a non-negative integer (AWS)";
        let (tolerated_failure_count, tolerated_failure_count_path) =
            split(self.dynamic("ToleratedFailureCount", count, rule)?);
        Ok(Map {
            processor: self.raw.nested[0],
            mode,
            max_concurrency,
            max_concurrency_path,
            tolerated_failure_percentage,
            tolerated_failure_percentage_path,
            tolerated_failure_count,
            tolerated_failure_count_path,
            retry: self.retriers()?,
            catch: self.catchers()?,
        })
    }

    /// `ItemProcessor.ProcessorConfig`: `Mode` (INLINE by default) and, for DISTRIBUTED only,
    /// `ExecutionType`.
    fn map_mode(&self) -> Result<MapMode, AslError> {
        const AT: &str = "ItemProcessor.ProcessorConfig";
        let fields = match self.raw.processor_config {
            None => return Ok(MapMode::Inline),
            Some(Json::Object(fields)) => fields,
            Some(_) => return Err(self.error(AT, "must be an object with Mode and ExecutionType (ASL)")),
        };
        check_keys(fields, &["Mode", "ExecutionType"], Some(self.raw.name), AT)?;
        let text = |name: &str| match field(fields, name) {
            Some(Json::String(s)) => Some(s.as_str()),
            _ => None,
        };
        let distributed = match (field(fields, "Mode"), text("Mode")) {
            (None, _) | (_, Some("INLINE")) => false,
            (_, Some("DISTRIBUTED")) => true,
            _ => return Err(self.error(format!("{AT}.Mode"), "must be \"INLINE\" or \"DISTRIBUTED\" (ASL)")),
        };
        let at = format!("{AT}.ExecutionType");
        match (distributed, field(fields, "ExecutionType"), text("ExecutionType")) {
            (false, None, _) => Ok(MapMode::Inline),
            (false, Some(_), _) => Err(self.error(at, "only a DISTRIBUTED Map has ExecutionType (ASL)")),
            (true, _, Some("STANDARD")) => Ok(MapMode::Distributed { execution_type: ExecutionType::Standard }),
            (true, _, Some("EXPRESS")) => Ok(MapMode::Distributed { execution_type: ExecutionType::Express }),
            (true, None, _) => Err(self.error(at, "a DISTRIBUTED Map needs ExecutionType, STANDARD or EXPRESS (ASL)")),
            (true, Some(_), _) => Err(self.error(at, "must be \"STANDARD\" or \"EXPRESS\" (ASL)")),
        }
    }
}

/// What a comparison operator compares Variable with.
#[derive(Clone, Copy)]
pub(super) enum Operand {
    String,
    Number,
    Boolean,
    Timestamp,
    /// A `...Path` operator: another path into the data.
    Path,
}

/// The operand of a JSONPath comparison operator (§4), or None if `operator` is none.
pub(super) fn operand(operator: &str) -> Option<Operand> {
    const COMPARISONS: [&str; 5] = ["Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"];
    const TYPE_TESTS: [&str; 6] = ["IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"];
    if operator == "StringMatches" {
        return Some(Operand::String);
    }
    if TYPE_TESTS.contains(&operator) {
        return Some(Operand::Boolean);
    }
    let (base, is_path) = match operator.strip_suffix("Path") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    let kind = if base == "BooleanEquals" {
        Operand::Boolean
    } else {
        [("String", Operand::String), ("Numeric", Operand::Number), ("Timestamp", Operand::Timestamp)]
            .into_iter()
            .find(|(prefix, _)| base.strip_prefix(prefix).is_some_and(|rest| COMPARISONS.contains(&rest)))?
            .1
    };
    Some(if is_path { Operand::Path } else { kind })
}
