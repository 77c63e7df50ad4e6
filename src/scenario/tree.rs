//! The scenario as a tree of values that remember where they came from (a span in the file
//! or a `--set` override), and a reader that turns it into typed values with precise errors.
//!
//! Why not serde structs with `deny_unknown_fields`: overrides must be applied before
//! validation, and an error must still point at the file position — or at the `--set`
//! argument — of the bad value. A spanned tree handles both; its reader records every key it
//! is asked for, so "unknown key" errors list exactly the keys allowed in that place.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::ScenarioError;
use super::keys::Range as Allowed;

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    File(Range<usize>),
    /// Index into the overrides.
    Override(usize),
}

#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub origin: Origin,
}

impl Node {
    /// An empty table, for kinds a scenario leaves out.
    pub fn empty_table() -> Node {
        Node { value: Value::Table(BTreeMap::new()), origin: Origin::File(0..0) }
    }
}

#[derive(Clone, Debug)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime(String),
    Array(Vec<Node>),
    /// Key → (origin of the key, value).
    Table(BTreeMap<String, (Origin, Node)>),
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Datetime(_) => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }

    /// The value as the user would write it, shortened for messages.
    pub fn display(&self) -> String {
        let s = match self {
            Value::Str(s) => format!("{s:?}"),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Datetime(d) => d.clone(),
            Value::Array(a) => format!("[{}]", a.iter().map(|n| n.value.display()).collect::<Vec<_>>().join(", ")),
            Value::Table(t) => {
                format!("{{ {} }}", t.keys().cloned().collect::<Vec<_>>().join(", "))
            }
        };
        if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s }
    }
}

/// Everything needed to word an error: the file's name and text, and the overrides.
#[derive(Debug)]
pub struct Source<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub overrides: &'a [String],
}

impl Source<'_> {
    pub fn error(&self, origin: &Origin, key_path: &str, message: impl Into<String>) -> ScenarioError {
        match origin {
            Origin::File(span) => ScenarioError::at_span(self.file, self.text, span.clone(), key_path, message),
            Origin::Override(i) => ScenarioError::in_override(self.file, &self.overrides[*i], key_path, message),
        }
    }
}

/// Parses TOML text into a tree.
pub fn parse(file: &str, text: &str) -> Result<Node> {
    let table = DeTable::parse(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        ScenarioError::at_span(file, text, span, "", e.message().to_string())
    })?;
    Ok(from_table(table.get_ref(), table.span()))
}

fn from_table(table: &DeTable<'_>, span: Range<usize>) -> Node {
    let entries = table.iter().map(|(k, v)| (k.get_ref().to_string(), (Origin::File(k.span()), from_de(v)))).collect();
    Node { value: Value::Table(entries), origin: Origin::File(span) }
}

fn from_de(v: &Spanned<DeValue<'_>>) -> Node {
    let origin = Origin::File(v.span());
    let value = match v.get_ref() {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            // Beyond i64: keep it as a float so range checks report it.
            Err(_) => Value::Float(i.as_str().parse().unwrap_or(f64::INFINITY)),
        },
        DeValue::Float(f) => Value::Float(f.as_str().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(a) => Value::Array(a.iter().map(from_de).collect()),
        DeValue::Table(t) => return from_table(t, v.span()),
    };
    Node { value, origin }
}

/// Applies `--set PATH=VALUE` overrides; `VALUE` is read as a TOML value, or as a string if
/// it is not one (so `--set workload.w.arrival=poisson` works unquoted).
pub fn apply_overrides(root: &mut Node, src: &Source<'_>) -> Result<()> {
    for (index, raw) in src.overrides.iter().enumerate() {
        let origin = Origin::Override(index);
        let Some((path, value_text)) = raw.split_once('=') else {
            return Err(src.error(&origin, "", "expected PATH=VALUE, e.g. workers.pool.count=4"));
        };
        let path = path.trim();
        let keys: Vec<&str> = path.split('.').collect();
        if keys.iter().any(|k| k.is_empty()) {
            return Err(src.error(
                &origin,
                path,
                "the path has an empty key; write it as dotted keys, e.g. sqs.jobs.visibility_timeout_s",
            ));
        }
        let value = parse_override_value(value_text.trim(), index);
        set_path(root, &keys, value, src, &origin)?;
    }
    Ok(())
}

fn parse_override_value(text: &str, index: usize) -> Node {
    let origin = Origin::Override(index);
    // Parse as the right-hand side of a key so inline tables and arrays work.
    let doc = format!("v = {text}");
    if let Ok(table) = DeTable::parse(&doc)
        && let Some(v) = table.get_ref().get("v")
    {
        return relabel(from_de(v), &origin);
    }
    Node { value: Value::Str(text.to_string()), origin }
}

fn relabel(mut node: Node, origin: &Origin) -> Node {
    node.origin = origin.clone();
    node.value = match node.value {
        Value::Array(items) => Value::Array(items.into_iter().map(|n| relabel(n, origin)).collect()),
        Value::Table(t) => {
            Value::Table(t.into_iter().map(|(k, (_, n))| (k, (origin.clone(), relabel(n, origin)))).collect())
        }
        other => other,
    };
    node
}

fn set_path(root: &mut Node, keys: &[&str], value: Node, src: &Source<'_>, origin: &Origin) -> Result<()> {
    let mut node = root;
    for (depth, key) in keys.iter().enumerate() {
        let here = keys[..depth].join(".");
        if !matches!(node.value, Value::Table(_)) {
            let found = node.value.type_name();
            return Err(src.error(origin, &here, format!("cannot set a key inside {found}")));
        }
        let Value::Table(entries) = &mut node.value else { unreachable!("checked above") };
        if depth == keys.len() - 1 {
            entries.insert(key.to_string(), (origin.clone(), value));
            return Ok(());
        }
        let entry = entries
            .entry(key.to_string())
            .or_insert_with(|| (origin.clone(), Node { value: Value::Table(BTreeMap::new()), origin: origin.clone() }));
        node = &mut entry.1;
    }
    Ok(())
}

/// Reads one table, remembering which keys were asked for.
pub struct TableReader<'a> {
    pub src: &'a Source<'a>,
    pub path: String,
    pub origin: &'a Origin,
    entries: &'a BTreeMap<String, (Origin, Node)>,
    asked: Vec<&'static str>,
}

/// One present value and its full key path.
#[derive(Clone, Copy)]
pub struct Field<'a> {
    pub src: &'a Source<'a>,
    pub node: &'a Node,
}

pub type Result<T> = std::result::Result<T, ScenarioError>;

impl<'a> TableReader<'a> {
    /// A reader over `node`, which must be a table.
    pub fn new(src: &'a Source<'a>, path: String, node: &'a Node) -> Result<TableReader<'a>> {
        match &node.value {
            Value::Table(entries) => Ok(TableReader { src, path, origin: &node.origin, entries, asked: Vec::new() }),
            other => Err(src.error(&node.origin, &path, format!("expected a table, found {}", other.type_name()))),
        }
    }

    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_string() } else { format!("{}.{key}", self.path) }
    }

    /// The value at `key`, if present.
    pub fn get(&mut self, key: &'static str) -> Option<(Field<'a>, String)> {
        self.asked.push(key);
        // Every key the reader takes must be documented: the key table is what the book,
        // the schema and the range checks come from. The shipped price book is not a
        // scenario file and has keys of its own.
        debug_assert!(
            self.src.file == super::price_books::SHIPPED_FILE || super::keys::find(&self.key_path(key)).is_some(),
            "the reader takes `{}`, which the key table (scenario/keys.rs) does not list",
            self.key_path(key)
        );
        self.entries.get(key).map(|(_, node)| {
            let path = self.key_path(key);
            (Field { src: self.src, node }, path)
        })
    }

    /// The value at `key`, which must be present.
    pub fn require(&mut self, key: &'static str, what: &str) -> Result<(Field<'a>, String)> {
        match self.get(key) {
            Some(found) => Ok(found),
            None => Err(self.src.error(self.origin, &self.path, format!("missing key `{key}` ({what})"))),
        }
    }

    /// The entries of a table whose keys are names (e.g. the queues under `[sqs]`).
    pub fn named_entries(&self) -> impl Iterator<Item = (&'a String, &'a Origin, &'a Node)> {
        self.entries.iter().map(|(k, (o, n))| (k, o, n))
    }

    /// Fails on any key that was not asked for, listing the ones that are allowed here.
    pub fn finish(self) -> Result<()> {
        for (key, (origin, _)) in self.entries {
            if !self.asked.contains(&key.as_str()) {
                let mut allowed = self.asked.clone();
                allowed.sort_unstable();
                allowed.dedup();
                let hint = closest(key, &allowed).map(|k| format!(" (did you mean `{k}`?)")).unwrap_or_default();
                return Err(self.src.error(
                    origin,
                    &self.key_path(key),
                    format!("unknown key `{key}`{hint}; allowed here: {}", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

impl<'a> Field<'a> {
    pub fn error(&self, path: &str, message: impl Into<String>) -> ScenarioError {
        self.src.error(&self.node.origin, path, message).with_value(self.node.value.display())
    }

    fn type_error(&self, path: &str, expected: &str) -> ScenarioError {
        self.error(path, format!("expected {expected}, found {}", self.node.value.type_name()))
    }

    pub fn f64(&self, path: &str) -> Result<f64> {
        match self.node.value {
            Value::Int(i) => Ok(i as f64),
            Value::Float(f) if f.is_finite() => Ok(f),
            Value::Float(_) => Err(self.error(path, "expected a finite number")),
            _ => Err(self.type_error(path, "a number")),
        }
    }

    pub fn u64(&self, path: &str) -> Result<u64> {
        match self.node.value {
            Value::Int(i) if i >= 0 => Ok(i as u64),
            Value::Int(_) => Err(self.error(path, "expected a whole number ≥ 0")),
            Value::Float(f) if f.fract() == 0.0 && (0.0..1.8e19).contains(&f) => Ok(f as u64),
            _ => Err(self.type_error(path, "a whole number")),
        }
    }

    pub fn bool(&self, path: &str) -> Result<bool> {
        match self.node.value {
            Value::Bool(b) => Ok(b),
            _ => Err(self.type_error(path, "true or false")),
        }
    }

    pub fn str(&self, path: &str) -> Result<&'a str> {
        match &self.node.value {
            Value::Str(s) => Ok(s),
            _ => Err(self.type_error(path, "a string")),
        }
    }

    pub fn array(&self, path: &str) -> Result<Vec<Field<'a>>> {
        match &self.node.value {
            Value::Array(items) => Ok(items.iter().map(|node| Field { src: self.src, node }).collect()),
            _ => Err(self.type_error(path, "an array")),
        }
    }

    /// A number within `[min, max]`; `why` names the limit (and its AWS source) for the
    /// error message.
    pub fn f64_in(&self, path: &str, min: f64, max: f64, why: &str) -> Result<f64> {
        let v = self.f64(path)?;
        if v < min || v > max {
            let range = if max.is_finite() {
                format!("from {} to {}", fmt_num(min), fmt_num(max))
            } else {
                format!("{} or more", fmt_num(min))
            };
            return Err(self.error(path, format!("must be {range}{}", suffix(why))));
        }
        Ok(v)
    }

    /// A whole number within `[min, max]`.
    pub fn u64_in(&self, path: &str, min: u64, max: u64, why: &str) -> Result<u64> {
        let in_range = match self.node.value {
            Value::Int(i) => u64::try_from(i).ok().filter(|v| (min..=max).contains(v)),
            _ => Some(self.u64(path)?).filter(|v| (min..=max).contains(v)),
        };
        let range = if max == u64::MAX { format!("{min} or more") } else { format!("from {min} to {max}") };
        in_range.ok_or_else(|| self.error(path, format!("must be a whole number {range}{}", suffix(why))))
    }

    /// A number strictly above zero (and at most `max`).
    pub fn positive(&self, path: &str, max: f64, why: &str) -> Result<f64> {
        self.f64_above(path, 0.0, max, why)
    }

    /// A number strictly above `min` (and at most `max`).
    pub fn f64_above(&self, path: &str, min: f64, max: f64, why: &str) -> Result<f64> {
        let v = self.f64(path)?;
        if v <= min || v > max {
            let most = if max.is_finite() { format!(" and at most {}", fmt_num(max)) } else { String::new() };
            return Err(self.error(path, format!("must be above {}{most}{}", fmt_num(min), suffix(why))));
        }
        Ok(v)
    }
}

/// The key table's entry for the key at the concrete `path`, which the reader names by its
/// `pattern` so the look-up is a plain comparison. Debug builds check that the pattern is
/// the entry the path itself finds, so a call cannot borrow another key's range.
pub(super) fn table_entry(path: &str, pattern: &str) -> &'static super::keys::Key {
    let key = super::keys::entry(pattern);
    debug_assert!(
        // By path, which is unique: `KEYS` is a constant, so two uses may not share an address.
        super::keys::find(path).is_some_and(|found| found.path == key.path),
        "{path} is read with the range of {pattern}, which is not its key"
    );
    key
}

impl<'a> Field<'a> {
    /// A whole number within the range the key table gives `pattern`, the limit behind it
    /// named in the error.
    pub fn whole_per_table(&self, path: &str, pattern: &str) -> Result<u64> {
        let key = table_entry(path, pattern);
        match key.range {
            Allowed::Whole { min, max } => self.u64_in(path, min, max, &key.why()),
            other => panic!("{pattern} has range {other:?} in the key table, not a whole-number range"),
        }
    }

    /// As `whole_per_table`, for a reader shared by several tables (an SDK client's retries,
    /// a retry policy), which finds the entry by the concrete `path` itself.
    pub fn whole_in_table(&self, path: &str) -> Result<u64> {
        let key = super::keys::find(path).unwrap_or_else(|| panic!("no key {path} in the key table"));
        self.whole_per_table(path, key.path)
    }

    /// As `number_per_table`, finding the entry by the concrete `path`.
    pub fn number_in_table(&self, path: &str) -> Result<f64> {
        let key = super::keys::find(path).unwrap_or_else(|| panic!("no key {path} in the key table"));
        self.number_per_table(path, key.path)
    }

    /// One of the strings the key table lists for the key at the concrete `path`, e.g.
    /// `lambda.resize.architecture`; the error lists them with the limit behind them.
    pub fn one_of_per_table(&self, path: &str) -> Result<&'a str> {
        let key = super::keys::find(path).unwrap_or_else(|| panic!("no key {path} in the key table"));
        self.one_of_key(path, key)
    }

    /// One of the strings `key` lists, for a key whose path the table cannot tell from the
    /// concrete one (a distribution's `dist` under a state whose name may hold dots).
    pub fn one_of_key(&self, path: &str, key: &super::keys::Key) -> Result<&'a str> {
        let super::keys::Kind::Enum(values) = key.kind else {
            panic!("{} is not a choice in the key table", key.path);
        };
        let value = self.str(path)?;
        if values.contains(&value) {
            return Ok(value);
        }
        let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
        let hint = closest(value, values).map(|k| format!(" (did you mean {k:?}?)")).unwrap_or_default();
        Err(self.error(path, format!("unknown value{hint}; allowed: {}{}", quoted.join(", "), suffix(&key.why()))))
    }

    /// A number within the range the key table gives `pattern`.
    pub fn number_per_table(&self, path: &str, pattern: &str) -> Result<f64> {
        self.number_of_key(path, table_entry(path, pattern))
    }

    /// A number within `key`'s range, for a key whose path the table cannot tell from the
    /// concrete one: under a name the scenario chooses, such as a state's error named
    /// `duration_s`, which would also fit `STATE.duration_s`.
    pub fn number_of_key(&self, path: &str, key: &super::keys::Key) -> Result<f64> {
        let pattern = key.path;
        match key.range {
            Allowed::Number { min, max, above_min: false } => self.f64_in(path, min, max, &key.why()),
            Allowed::Number { min, max, above_min: true } => self.f64_above(path, min, max, &key.why()),
            other => panic!("{pattern} has range {other:?} in the key table, not a number range"),
        }
    }
}

fn suffix(why: &str) -> String {
    if why.is_empty() { String::new() } else { format!(" ({why})") }
}

pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

/// The allowed key nearest to `key` by edit distance, if it is close.
pub fn closest<'k>(key: &str, allowed: &[&'k str]) -> Option<&'k str> {
    allowed.iter().map(|a| (edit_distance(key, a), *a)).filter(|(d, a)| *d <= 3.max(a.len() / 3)).min().map(|(_, a)| a)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
