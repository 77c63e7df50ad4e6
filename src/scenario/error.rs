//! The one error type users see for bad scenario input.

use std::fmt;
use std::ops::Range;

/// A mistake in a scenario file or a `--set` override: where it is, which key, the bad
/// value, and what is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    pub location: Location,
    /// Dotted key path, e.g. `sqs.jobs.visibility_timeout_s`; empty for the whole file.
    pub key_path: String,
    /// The offending value as written, when there is one.
    pub value: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// 1-based line and column, with the line's text for a caret snippet.
    Span { line: usize, column: usize, width: usize, text: String },
    /// The `--set` argument the value came from.
    Override(String),
    /// The file as a whole (it could not be read).
    File,
}

impl ScenarioError {
    pub fn at_span(file: &str, text: &str, span: Range<usize>, key_path: &str, message: impl Into<String>) -> Self {
        let start = span.start.min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let width = text[start..span.end.clamp(start, line_end)].chars().count().max(1);
        ScenarioError {
            file: file.to_string(),
            location: Location::Span { line, column, width, text: text[line_start..line_end].to_string() },
            key_path: key_path.to_string(),
            value: None,
            message: message.into(),
        }
    }

    pub fn in_override(file: &str, arg: &str, key_path: &str, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_string(),
            location: Location::Override(arg.to_string()),
            key_path: key_path.to_string(),
            value: None,
            message: message.into(),
        }
    }

    pub fn in_file(file: &str, key_path: &str, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_string(),
            location: Location::File,
            key_path: key_path.to_string(),
            value: None,
            message: message.into(),
        }
    }

    pub fn with_value(mut self, value: String) -> Self {
        self.value = Some(value);
        self
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::Span { line, column, .. } => write!(f, "{}:{line}:{column}: ", self.file)?,
            Location::Override(arg) => write!(f, "{}: in --set {arg}: ", self.file)?,
            Location::File => write!(f, "{}: ", self.file)?,
        }
        if !self.key_path.is_empty() {
            write!(f, "{}", self.key_path)?;
            if let Some(v) = &self.value {
                write!(f, " = {v}")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", self.message)?;
        if let Location::Span { line, column, width, text } = &self.location {
            let gutter = line.to_string().len();
            let pad = " ".repeat(column - 1);
            write!(f, "\n{:gutter$} |\n{line} | {text}\n{:gutter$} | {pad}{}", "", "", "^".repeat(*width))?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_become_line_and_column_with_a_caret() {
        let text = "[sqs.jobs]\nvisibility_timeout_s = 50000\n";
        let e = ScenarioError::at_span("s.toml", text, 34..39, "sqs.jobs.visibility_timeout_s", "too long")
            .with_value("50000".into());
        let shown = e.to_string();
        assert!(shown.starts_with("s.toml:2:24: sqs.jobs.visibility_timeout_s = 50000: too long"), "{shown}");
        assert!(shown.ends_with("  |                        ^^^^^"), "{shown}");
    }
}
