//! What the key table gives users: the book's reference pages of scenario keys, and the
//! JSON Schema of scenario files that editors (Taplo, through a `#:schema` directive) check
//! and complete against. Both are generated from [`keys::KEYS`] alone, so neither can drift
//! from what the reader accepts.

use serde_json::{Map, Value, json};

use super::keys::{KEYS, Key, Kind, Range};

/// The reference pages, as (file name under `docs/src/reference/keys/`, Markdown text):
/// one per top-level table, then one for distributions.
pub fn reference_pages() -> Vec<(String, String)> {
    let mut groups: Vec<&str> = Vec::new();
    for key in KEYS {
        let group = group_of(key);
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups.iter().map(|g| (format!("{}.md", page_name(g)), page(g))).collect()
}

/// The index of the reference pages, for the book's summary.
pub fn reference_index() -> String {
    let mut out = String::from(
        "# Scenario keys\n\n<!-- Generated from src/scenario/keys.rs by `cargo test --test keys` with \
         ORCHSIM_UPDATE_DOCS=1; do not edit. -->\n\nEvery key a scenario file may hold, one page per table. \
         Upper-case parts of a path stand for names the scenario chooses.\n\n| Table | What it is |\n|---|---|\n",
    );
    for (file, _) in reference_pages() {
        let group = file.trim_end_matches(".md");
        let main = main_table(group_key(group));
        let (title, what) = match KEYS.iter().find(|k| k.path == main) {
            Some(k) if group != "distributions" => (title_of(group_key(group)), cell(k.description)),
            _ => ("Distributions".to_string(), "the keys of a distribution table".to_string()),
        };
        out.push_str(&format!("| [{title}]({file}) | {what} |\n"));
    }
    out
}

/// The page a key is on: its top-level table, or `DISTRIBUTION`.
fn group_of(key: &Key) -> &'static str {
    key.path.split('.').next().unwrap_or("")
}

fn page_name(group: &str) -> String {
    if group == "DISTRIBUTION" { "distributions".into() } else { group.to_string() }
}

fn group_key(page: &str) -> &'static str {
    KEYS.iter().map(group_of).find(|g| page_name(g) == page).unwrap_or("")
}

/// The table the page is about: `sqs.NAME` for the named kinds, `run` for the others.
fn main_table(group: &str) -> String {
    let named = format!("{group}.NAME");
    if KEYS.iter().any(|k| k.path == named) { named } else { group.to_string() }
}

fn title_of(group: &str) -> String {
    format!("`[{}]`", main_table(group))
}

/// A table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}

fn page(group: &str) -> String {
    let keys: Vec<&Key> = KEYS.iter().filter(|k| group_of(k) == group).collect();
    let main = main_table(group);
    let mut out = String::new();
    if group == "DISTRIBUTION" {
        out.push_str("# Distributions\n\n");
        out.push_str(GENERATED);
        out.push_str(
            "A key of kind *distribution* takes a bare number (a constant) or a table such as \
             `{ dist = \"lognormal\", median = 0.5, p99 = 2.0 }`. A distribution table takes `dist` and \
             only the keys of its kind. How each kind draws, with examples: \
             [Distributions](../distributions.md).\n\n",
        );
    } else {
        let head = keys.iter().find(|k| k.path == main_table(group));
        out.push_str(&format!("# {}\n\n", title_of(group)));
        out.push_str(GENERATED);
        if let Some(k) = head {
            out.push_str(&format!("{}. {}.\n\n", capitalised(k.description), capitalised(k.allowed)));
        }
        out.push_str(&format!("How this table works, with examples: [{}](../tables/{group}.md).\n\n", title_of(group)));
    }
    // One table per parent path, in the order the keys come.
    let mut parents: Vec<&str> = Vec::new();
    for k in &keys {
        if k.path == group
            || k.path == main
            || (k.kind == Kind::Table && keys.iter().any(|c| parent_of(c.path) == k.path))
        {
            continue;
        }
        let parent = parent_of(k.path);
        if !parents.contains(&parent) {
            parents.push(parent);
        }
    }
    for parent in parents {
        if parent != main {
            match parent.strip_suffix("[]") {
                // A pair of numbers, `[from_s, to_s]`, not a table: its places, in order.
                Some(array) if super::keys::PAIRS.contains(&array) => {
                    out.push_str(&format!("## Each pair of `{array}`, in order\n\n"))
                }
                Some(array) => out.push_str(&format!("## `[[{array}]]`\n\n")),
                None => out.push_str(&format!("## `[{parent}]`\n\n")),
            }
            if let Some(t) = keys.iter().find(|k| k.path == parent) {
                // The table's own row is this section: its default, allowed and limit too.
                let mut text = format!("{}.", capitalised(t.description));
                for (what, value) in [("Default", t.default), ("Allowed", t.allowed), ("Limit behind it", t.limit)] {
                    if !value.is_empty() && value != "—" {
                        text.push_str(&format!(" {what}: {value}."));
                    }
                }
                out.push_str(&format!("{text}\n\n"));
            }
        }
        out.push_str(
            "| Key | Meaning | Type | Unit | Default | Allowed | Limit behind it |\n|---|---|---|---|---|---|---|\n",
        );
        for k in keys.iter().filter(|k| parent_of(k.path) == parent && k.path != group && k.path != main) {
            if k.kind == Kind::Table && keys.iter().any(|c| parent_of(c.path) == k.path) {
                continue;
            }
            let name = &k.path[parent.len() + 1..];
            let when = if k.when.is_empty() { String::new() } else { format!(" (with {})", k.when) };
            out.push_str(&format!(
                "| `{name}` | {}{when} | {} | {} | {} | {} | {} |\n",
                cell(k.description),
                kind_name(k.kind),
                cell(k.unit),
                cell(k.default),
                cell(k.allowed),
                cell(if k.limit.is_empty() { "—" } else { k.limit }),
            ));
        }
        out.push('\n');
    }
    out
}

const GENERATED: &str = "<!-- Generated from src/scenario/keys.rs by `cargo test --test keys` with ORCHSIM_UPDATE_DOCS=1; do not edit. -->\n\n";

fn parent_of(path: &str) -> &str {
    // STATE and FIELD names may hold dots, but a key's own name never does.
    path.rsplit_once('.').map_or("", |(p, _)| p)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn kind_name(kind: Kind) -> String {
    match kind {
        Kind::Bool => "boolean".into(),
        Kind::Integer => "whole number".into(),
        Kind::Number => "number".into(),
        Kind::String => "string".into(),
        Kind::Enum(_) => "string (one of)".into(),
        Kind::Reference => "reference".into(),
        Kind::Distribution => "[distribution](distributions.md)".into(),
        Kind::Array => "array".into(),
        Kind::Table => "table".into(),
        Kind::Any => "see allowed".into(),
    }
}

/// The JSON Schema (draft-07, which Taplo reads) of a scenario file, as pretty-printed text
/// ending in a newline.
pub fn json_schema() -> String {
    let mut root = object_schema("a scenario file of orchsim: tables keyed by kind and name");
    root.insert("$schema".into(), json!("http://json-schema.org/draft-07/schema#"));
    root.insert("title".into(), json!("orchsim scenario"));
    root.insert("required".into(), json!(["run", "workload"]));
    for key in KEYS.iter().filter(|k| !k.path.starts_with("DISTRIBUTION")) {
        let segments: Vec<&str> = split_path(key.path);
        insert(&mut root, &segments, key);
    }
    let mut distribution = object_schema("a distribution table: `dist` and the keys of its kind");
    distribution.insert("required".into(), json!(["dist"]));
    for key in KEYS.iter().filter(|k| k.path.starts_with("DISTRIBUTION.")) {
        let name = &key.path["DISTRIBUTION.".len()..];
        insert(&mut distribution, &split_path(name), key);
    }
    root.insert("definitions".into(), json!({ "distribution": Value::Object(distribution) }));
    let mut text = serde_json::to_string_pretty(&Value::Object(root)).expect("a schema is JSON");
    text.push('\n');
    text
}

/// A path's segments, STATE and FIELD kept whole.
fn split_path(path: &str) -> Vec<&str> {
    path.split('.').collect()
}

fn object_schema(description: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), json!("object"));
    m.insert("description".into(), json!(description));
    m.insert("properties".into(), json!({}));
    m.insert("additionalProperties".into(), json!(false));
    m
}

fn properties(m: &mut Map<String, Value>) -> &mut Map<String, Value> {
    m.entry("properties").or_insert_with(|| json!({})).as_object_mut().expect("properties is an object")
}

/// Inserts `key` at `segments` below `node`, making the tables on the way.
fn insert(node: &mut Map<String, Value>, segments: &[&str], key: &Key) {
    let Some((first, rest)) = segments.split_first() else {
        // The table's own entry: its description.
        return;
    };
    let placeholder = first.chars().all(|c| c.is_ascii_uppercase());
    let (name, array) = match first.strip_suffix("[]") {
        Some(n) => (n, true),
        None => (*first, false),
    };
    if rest.is_empty() {
        let schema = leaf(key);
        if array {
            // An item of an array (`async_retry_delays_s[]`): the schema of its `items`.
            // (A pair's places, `steps[].at_s`, end in a name and take the branch below.)
            let slot = properties(node).entry(name).or_insert_with(|| Value::Object(Map::new()));
            let slot = slot.as_object_mut().expect("an object");
            let existing = slot.get("items").cloned();
            slot.insert("items".into(), Value::Object(merge(existing.as_ref(), schema)));
        } else if placeholder {
            node.insert("additionalProperties".into(), Value::Object(merge(node.get("additionalProperties"), schema)));
        } else {
            let existing = properties(node).get(name).cloned();
            properties(node).insert(name.into(), Value::Object(merge(existing.as_ref(), schema)));
        }
        return;
    }
    if let [place] = rest
        && array
        && super::keys::PAIRS.iter().any(|pair| key.path.strip_suffix(&format!("[].{place}")) == Some(*pair))
    {
        // A place of a pair (`steps[].at_s`): the pair's items are a tuple, a schema per place
        // in the table's order.
        let slot = properties(node).entry(name).or_insert_with(|| Value::Object(Map::new()));
        let slot = slot.as_object_mut().expect("an object");
        let places = slot.entry("items").or_insert_with(|| json!({ "type": "array", "items": [] }));
        let places = places.as_object_mut().expect("an object");
        places["items"].as_array_mut().expect("an array").push(Value::Object(leaf(key)));
        let count = places["items"].as_array().map_or(0, Vec::len);
        places.insert("minItems".into(), json!(count));
        places.insert("maxItems".into(), json!(count));
        return;
    }
    let child = if placeholder {
        let slot = node.entry("additionalProperties").or_insert(json!(false));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        slot.as_object_mut().expect("an object")
    } else {
        let slot = properties(node).entry(name).or_insert_with(|| Value::Object(Map::new()));
        let slot = slot.as_object_mut().expect("an object");
        if !array {
            slot
        } else {
            slot.insert("type".into(), json!("array"));
            slot.entry("items").or_insert_with(|| Value::Object(Map::new())).as_object_mut().expect("an object")
        }
    };
    // A key of several forms (a table, or a string) keeps no type: its keys apply when it
    // is a table. A FIELD of a workload's attributes or body may also be a distribution
    // table, so it leaves other keys to the reader.
    if child.get("type").is_some_and(|t| t != "object") {
        child.remove("type");
    }
    child.entry("properties").or_insert_with(|| json!({}));
    let open = *first == "FIELD";
    child.entry("additionalProperties").or_insert(json!(open));
    insert(child, rest, key);
}

/// Merges a key's own schema into what its children already built (a table's properties).
fn merge(existing: Option<&Value>, schema: Map<String, Value>) -> Map<String, Value> {
    let mut out = existing.and_then(Value::as_object).cloned().unwrap_or_default();
    let has_children = out.get("properties").and_then(Value::as_object).is_some_and(|p| !p.is_empty());
    for (k, v) in schema {
        if has_children && k == "type" && v != json!("object") {
            continue;
        }
        out.insert(k, v);
    }
    if has_children && out.get("type").is_some_and(|t| t != "object") {
        out.remove("type");
    }
    out
}

/// The schema of one key's value.
fn leaf(key: &Key) -> Map<String, Value> {
    let mut m = Map::new();
    let mut text = key.description.to_string();
    if key.unit != "—" && !key.unit.is_empty() {
        text.push_str(&format!("\n\nUnit: {}.", key.unit));
    }
    if key.default != "—" && !key.default.is_empty() {
        text.push_str(&format!("\nDefault: {}.", key.default));
    }
    if key.allowed != "—" && !key.allowed.is_empty() {
        text.push_str(&format!("\nAllowed: {}.", key.allowed));
    }
    if !key.limit.is_empty() && key.limit != "—" {
        text.push_str(&format!("\nLimit: {}.", key.limit));
    }
    if !key.when.is_empty() {
        text.push_str(&format!("\nOnly with {}.", key.when));
    }
    m.insert("description".into(), json!(text));
    let range = |m: &mut Map<String, Value>| match key.range {
        Range::Whole { min, max } => {
            m.insert("minimum".into(), json!(min));
            if max < u64::MAX {
                m.insert("maximum".into(), json!(max));
            }
        }
        Range::Number { min, max, above_min } => {
            m.insert(if above_min { "exclusiveMinimum" } else { "minimum" }.into(), json!(min));
            if max.is_finite() && max < f64::MAX {
                m.insert("maximum".into(), json!(max));
            }
        }
        Range::Any => {}
    };
    match key.kind {
        Kind::Bool => {
            m.insert("type".into(), json!("boolean"));
        }
        Kind::Integer => {
            // TOML's 30.0 is accepted where a whole number is: JSON Schema's integer
            // type takes a float with no fraction too.
            m.insert("type".into(), json!("integer"));
            range(&mut m);
        }
        Kind::Number => {
            m.insert("type".into(), json!("number"));
            range(&mut m);
        }
        Kind::String | Kind::Reference => {
            m.insert("type".into(), json!("string"));
        }
        Kind::Enum(values) => {
            m.insert("type".into(), json!("string"));
            m.insert("enum".into(), json!(values));
        }
        Kind::Distribution => {
            let mut number = Map::new();
            number.insert("type".into(), json!("number"));
            range(&mut number);
            m.insert("anyOf".into(), json!([Value::Object(number), { "$ref": "#/definitions/distribution" }]));
        }
        Kind::Array => {
            m.insert("type".into(), json!("array"));
        }
        Kind::Table => {
            m.insert("type".into(), json!("object"));
        }
        Kind::Any => {}
    }
    m
}
