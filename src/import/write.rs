//! The scenario text of an import: one table per element, a comment on every value.

use std::fmt::Write as _;

use super::Options;
use super::intrinsics::{Val, flat_text};
use super::resources::{Element, Model};

/// The horizon of an imported scenario, a placeholder.
pub const HORIZON_PLACEHOLDER_S: u32 = 600;

/// The scenario text.
pub fn scenario(model: &Model, options: &Options) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Imported by `orchsim import` from {}.", options.source_name);
    out.push_str(
        "# Each value says where it came from: the template, SAM's Globals, a parameter, or AWS's\n\
         # default. Values marked TODO are placeholders for what a template cannot know (traffic,\n\
         # run times): replace them with your own figures.\n",
    );
    if !options.parameters.is_empty() {
        let params: Vec<String> = options.parameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(out, "# Parameters: {}", params.join(", "));
    }
    for p in model.placeholders.iter().filter(|p| p.starts_with("parameter ")) {
        let _ = writeln!(out, "# TODO {p}");
    }
    out.push_str("\n[run]\n");
    let _ = writeln!(out, "horizon_s = {HORIZON_PLACEHOLDER_S}  # TODO placeholder: how long to simulate");
    for s in &model.run {
        let todo = if s.todo { "TODO " } else { "" };
        let _ = writeln!(out, "{} = {}  # {todo}{}", s.key, s.value, one_line(&s.origin));
    }
    for element in model.elements.iter().chain(&model.workloads) {
        table(&mut out, element);
    }
    out
}

fn table(out: &mut String, e: &Element) {
    let _ = writeln!(out, "\n[{}.{}]  # {}", e.kind, e.name, e.about);
    for note in &e.notes {
        let _ = writeln!(out, "# {note}");
    }
    for s in &e.settings {
        let todo = if s.todo { "TODO " } else { "" };
        let _ = writeln!(out, "{} = {}  # {todo}{}", s.key, s.value, one_line(&s.origin));
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// A TOML basic string.
pub fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    escape_into(&mut out, text);
    out.push('"');
    out
}

/// A value as JSON text (for filter and delivery policies), references as `${Id.Attribute}`.
pub fn json(v: &Val) -> String {
    match v {
        Val::Null | Val::NoValue => "null".into(),
        Val::Bool(b) => b.to_string(),
        Val::Int(i) => i.to_string(),
        Val::Float(x) if x.is_finite() => x.to_string(),
        Val::Float(_) => "null".into(),
        Val::Str(_) | Val::Text(_) => toml_string(&flat_text(v)),
        Val::List(items) => format!("[{}]", items.iter().map(json).collect::<Vec<_>>().join(", ")),
        Val::Map(entries) => format!(
            "{{{}}}",
            entries.iter().map(|(k, v)| format!("{}: {}", toml_string(k), json(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The escapes of JSON and TOML basic strings, which agree on these.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_for_toml_and_json() {
        assert_eq!(toml_string("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        let policy = Val::Map(vec![("store".into(), Val::List(vec![Val::Str("x".into()), Val::Int(3)]))]);
        assert_eq!(json(&policy), r#"{"store": ["x", 3]}"#);
    }
}
