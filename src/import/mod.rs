//! `orchsim import`: a CloudFormation or SAM template turned into scenario text.
//!
//! The template is read ([`template`]), its intrinsic functions resolved where the template
//! alone decides them ([`intrinsics`]), and its resources mapped to scenario elements named
//! after their logical ids ([`resources`]), which [`write`] turns into TOML with a comment on
//! every value saying where it came from; [`understood`] describes the same in AWS's terms,
//! for `--json`. The text is not checked here: the caller reads it
//! with the scenario reader like any hand-written file, so one set of checks guards both.
//!
//! Mapped: SQS queues, SNS topics and subscriptions, Lambda functions (SAM's with
//! `Globals.Function`, and their SQS, SNS, Api, HttpApi, EventBridge and schedule events), SQS
//! event source mappings ([`resources`]); EventBridge buses, rules and schedules
//! ([`eventbridge`]); state machines and activities, whose definitions are written as files
//! beside the scenario ([`step_functions`]); Amazon MQ brokers ([`mq`]). Every other resource
//! is listed as skipped, with the reason.

pub mod eventbridge;
pub mod intrinsics;
pub mod managed_instances;
pub mod mq;
pub mod resources;
pub mod step_functions;
pub mod template;
pub mod understood;
pub mod write;

use std::fmt;

/// What an import gives: the scenario text and what the user should know about it.
#[derive(Debug)]
pub struct Import {
    pub toml: String,
    /// Values the template cannot know, each marked `# TODO` in the text.
    pub placeholders: Vec<String>,
    /// Resources (and SAM events) not mapped, each with its reason.
    pub skipped: Vec<String>,
    pub warnings: Vec<String>,
    /// With [`Options::json`]: what the import understood, in AWS's terms ([`understood`]).
    pub json: Option<String>,
    /// The state machines' definitions, which the scenario names by file: to be written
    /// beside it.
    pub definitions: Vec<step_functions::DefinitionFile>,
}

/// A template that cannot be imported.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportError {
    /// Not valid YAML or JSON, or not a template: `line:column: message`.
    Read(template::ReadError),
    /// A value that cannot be resolved or mapped: its template path and position.
    Resolve(intrinsics::ResolveError),
    /// Nothing in the template that a scenario can simulate.
    NothingToSimulate(String),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Read(e) => write!(f, "{e}"),
            ImportError::Resolve(e) => write!(f, "{e}"),
            ImportError::NothingToSimulate(m) => write!(f, "{m}"),
        }
    }
}

/// The options of an import.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--param NAME=VALUE`, in order.
    pub parameters: Vec<(String, String)>,
    /// The Region for `AWS::Region` in conditions and mapping keys.
    pub region: String,
    /// The template's name, for the header comment.
    pub source_name: String,
    /// Also describe what was understood, as JSON.
    pub json: bool,
    /// Where SAM's `DefinitionUri` files are looked up: the template's folder, or
    /// `--definitions-dir`.
    pub definitions_dir: std::path::PathBuf,
    /// Put before `ID.asl.json` in the names of the definition files written beside the
    /// scenario (`orders.` for `--out orders.toml`).
    pub definition_prefix: String,
}

/// Imports a template's text.
pub fn import(text: &str, options: &Options) -> Result<Import, ImportError> {
    let template = template::read(text).map_err(ImportError::Read)?;
    let ctx =
        intrinsics::Context::new(&template.root, &options.parameters, &options.region).map_err(ImportError::Resolve)?;
    let mut model = resources::map(&template.root, &ctx, options).map_err(ImportError::Resolve)?;
    if model.workloads.is_empty() {
        let what = if model.skipped.is_empty() {
            "the template has no entry point (a queue, topic, state machine or broker that traffic can reach, a rule, a schedule or an API event): nothing orchsim can simulate yet".to_string()
        } else {
            format!(
                "the template has no entry point (a queue, topic, state machine or broker that traffic can reach, a rule, a schedule or an API event): nothing orchsim can simulate yet; skipped:\n  {}",
                model.skipped.join("\n  ")
            )
        };
        return Err(ImportError::NothingToSimulate(what));
    }
    let mut warnings = template.warnings;
    warnings.extend(ctx.warnings.borrow().iter().cloned());
    warnings.append(&mut model.warnings);
    for p in ctx.parameters.iter().filter(|p| p.value.is_none()) {
        let used = if ctx.used_placeholders.borrow().contains(&p.name) {
            "the values built from it are left symbolic or set to AWS's default"
        } else {
            "nothing imported uses it"
        };
        model.placeholders.push(format!("parameter {} has no Default: {used}; pass --param {}=VALUE", p.name, p.name));
    }
    let toml = write::scenario(&model, options);
    let json = options.json.then(|| {
        understood::report(&template.root, &ctx, &model, &options.source_name, &model.placeholders, &warnings)
    });
    Ok(Import {
        toml,
        placeholders: model.placeholders,
        skipped: model.skipped,
        warnings,
        json,
        definitions: model.definitions,
    })
}
