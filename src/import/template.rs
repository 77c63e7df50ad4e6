//! Reading a CloudFormation or SAM template, YAML or JSON, into a tree of [`Node`]s that
//! remember their line and column.
//!
//! The short-form tags (`!Ref X`, `!GetAtt A.B`, `!Sub …`) become their long forms
//! (`{Ref: X}`, `{Fn::GetAtt: [A, B]}`, `{Fn::Sub: …}`), so the resolver sees one form only.
//! A duplicate key keeps its last value, as CloudFormation does, and is reported as a
//! warning; AWS's own samples contain some. JSON is read by the same parser (JSON is YAML
//! 1.2), so its errors carry positions too.
//!
//! serde-saphyr has no value tree of its own: [`Node`] is deserialized through its
//! `Spanned<Tagged<…>>` wrappers with a visitor written here (`#[serde(untagged)]` would buffer
//! the value and lose the tags and positions).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Spanned, Tagged};

/// One value of the template, with where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub line: u64,
    pub column: u64,
}

/// A template value; mappings keep their keys in the file's order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// A template read: its root and what the reader noticed on the way.
#[derive(Debug)]
pub struct Template {
    pub root: Node,
    /// Duplicate keys, each `line:column: …` of the value that was kept.
    pub warnings: Vec<String>,
}

/// A template that cannot be read: the position (1-based) and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl Node {
    /// The value under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The entries of a mapping (none for anything else).
    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `line:column`, for messages.
    pub fn at(&self) -> String {
        format!("{}:{}", self.line, self.column)
    }
}

/// The intrinsic functions' short-form tags and the long-form key each becomes.
const TAGS: [(&str, &str); 19] = [
    ("!Ref", "Ref"),
    ("!Condition", "Condition"),
    ("!GetAtt", "Fn::GetAtt"),
    ("!Sub", "Fn::Sub"),
    ("!If", "Fn::If"),
    ("!Join", "Fn::Join"),
    ("!Select", "Fn::Select"),
    ("!Split", "Fn::Split"),
    ("!FindInMap", "Fn::FindInMap"),
    ("!Equals", "Fn::Equals"),
    ("!Not", "Fn::Not"),
    ("!And", "Fn::And"),
    ("!Or", "Fn::Or"),
    ("!ImportValue", "Fn::ImportValue"),
    ("!Base64", "Fn::Base64"),
    ("!GetAZs", "Fn::GetAZs"),
    ("!Cidr", "Fn::Cidr"),
    ("!Transform", "Fn::Transform"),
    ("!ToJsonString", "Fn::ToJsonString"),
];

/// Reads a template's text. YAML and JSON alike.
pub fn read(text: &str) -> Result<Template, ReadError> {
    let mut options = serde_saphyr::options! {
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
    };
    options.with_snippet = false;
    // `On`, `Off`, `Yes` and `No` stay strings: they are also names (an event called `Off`),
    // and the Boolean properties that take them read them as such (`intrinsics::as_bool`).
    options.strict_booleans = true;
    let raw: RawNode = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        ReadError { line, column, message: error_message(&e.to_string()) }
    })?;
    let mut warnings = Vec::new();
    let root = convert(raw, &mut warnings)?;
    if !matches!(root.value, Value::Map(_)) {
        return Err(ReadError {
            line: root.line,
            column: root.column,
            message: "a template is a mapping (Resources, Parameters, …)".into(),
        });
    }
    Ok(Template { root, warnings })
}

/// The parser's message without the position it also writes, which the caller prints first.
fn error_message(text: &str) -> String {
    let first = text.lines().next().unwrap_or(text).trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match first.find(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

/// What the parser hands over: a value with its tag and position, not yet checked.
struct RawNode(Spanned<Tagged<Raw>>);

enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<RawNode>),
    Map(Vec<(String, RawNode)>),
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Spanned::<Tagged<Raw>>::deserialize(deserializer).map(RawNode)
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a template value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<RawNode>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            entries.push((key.0, map.next_value::<RawNode>()?));
        }
        Ok(Raw::Map(entries))
    }
}

/// A mapping key: any scalar, as text (Mappings may be keyed by numbers).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
                Ok(Key(String::new()))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

/// Turns the parser's tree into [`Node`]s: tags into long forms, duplicate keys into their
/// last value.
fn convert(raw: RawNode, warnings: &mut Vec<String>) -> Result<Node, ReadError> {
    let Spanned { value: Tagged(raw, tag), referenced, .. } = raw.0;
    let (line, column) = (referenced.line(), referenced.column());
    let value = match raw {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Int(i),
        Raw::Float(x) => Value::Float(x),
        Raw::Str(s) => Value::Str(s),
        Raw::Seq(items) => Value::Seq(items.into_iter().map(|i| convert(i, warnings)).collect::<Result<_, _>>()?),
        Raw::Map(raw_entries) => {
            let mut entries: Vec<(String, Node)> = Vec::with_capacity(raw_entries.len());
            for (key, raw_value) in raw_entries {
                let node = convert(raw_value, warnings)?;
                if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == key) {
                    warnings.push(format!(
                        "{}: duplicate key `{key}` (first at {}): the last value is kept, as CloudFormation does",
                        node.at(),
                        slot.1.at()
                    ));
                    slot.1 = node;
                } else {
                    entries.push((key, node));
                }
            }
            Value::Map(entries)
        }
    };
    let node = Node { value, line, column };
    match tag.as_deref() {
        None => Ok(node),
        Some(tag) => long_form(tag, node),
    }
}

/// `!Tag value` as its long form `{Fn::Tag: value}`.
fn long_form(tag: &str, node: Node) -> Result<Node, ReadError> {
    if tag.starts_with("tag:yaml.org,2002:") || tag == "!" || tag.starts_with("!!") {
        // YAML's own tags (`!!str`) and the non-specific `!`: the value as it is.
        return Ok(node);
    }
    let Some((_, key)) = TAGS.iter().find(|(t, _)| *t == tag) else {
        return Err(ReadError {
            line: node.line,
            column: node.column,
            message: format!(
                "unknown tag `{tag}`: CloudFormation's short forms are {}",
                TAGS.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ")
            ),
        });
    };
    let (line, column) = (node.line, node.column);
    let argument = match (*key, &node.value) {
        // `!GetAtt A.B.C` is the resource A and the attribute B.C.
        ("Fn::GetAtt", Value::Str(s)) => match s.split_once('.') {
            Some((resource, attribute)) => {
                let part = |text: &str| Node { value: Value::Str(text.to_string()), line, column };
                Node { value: Value::Seq(vec![part(resource), part(attribute)]), line, column }
            }
            None => {
                return Err(ReadError { line, column, message: format!("!GetAtt {s}: expected RESOURCE.ATTRIBUTE") });
            }
        },
        _ => node,
    };
    Ok(Node { value: Value::Map(vec![((*key).to_string(), argument)]), line, column })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        read(text).unwrap().root
    }

    #[test]
    fn short_forms_become_long_forms() {
        let t = root("A: !Ref X\nB: !GetAtt Q.Arn\nC: !Sub 'a-${X}'\nD: !If [c, 1, 2]\nE: !GetAtt A.Dns.Http\n");
        let long = root(
            "A: {Ref: X}\nB: {Fn::GetAtt: [Q, Arn]}\nC: {Fn::Sub: 'a-${X}'}\nD: {Fn::If: [c, 1, 2]}\nE: {Fn::GetAtt: [A, Dns.Http]}\n",
        );
        assert_eq!(unplaced(t), unplaced(long));
    }

    /// The node with every position zeroed, to compare values alone.
    fn unplaced(n: Node) -> Node {
        let value = match n.value {
            Value::Seq(items) => Value::Seq(items.into_iter().map(unplaced).collect()),
            Value::Map(entries) => Value::Map(entries.into_iter().map(|(k, v)| (k, unplaced(v))).collect()),
            v => v,
        };
        Node { value, line: 0, column: 0 }
    }

    #[test]
    fn every_short_form_is_known() {
        for (tag, key) in TAGS {
            let n = root(&format!("A: {tag} x.y\n"));
            assert!(n.get("A").unwrap().get(key).is_some(), "{tag}");
        }
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        let t = root("Off: yes\nB: true\n");
        assert_eq!(t.get("Off").unwrap().value, Value::Str("yes".into()));
        assert_eq!(t.get("B").unwrap().value, Value::Bool(true));
    }

    #[test]
    fn duplicate_keys_keep_the_last_value_and_warn() {
        let t = read("A: 1\nB: 2\nA: 3\n").unwrap();
        assert_eq!(t.root.get("A").unwrap().value, Value::Int(3));
        assert_eq!(t.root.entries().len(), 2);
        assert_eq!(t.warnings.len(), 1);
        assert!(t.warnings[0].starts_with("3:4: duplicate key `A` (first at 1:4)"), "{}", t.warnings[0]);
    }

    #[test]
    fn json_is_read_with_positions() {
        let t = root("{\n  \"Resources\": {\n    \"Q\": {\"Type\": \"AWS::SQS::Queue\"}\n  }\n}\n");
        let q = t.get("Resources").unwrap().get("Q").unwrap();
        assert_eq!(q.get("Type").unwrap().as_str(), Some("AWS::SQS::Queue"));
        assert_eq!(q.line, 3);
    }

    #[test]
    fn bad_yaml_is_refused_with_its_position() {
        let e = read("A: 1\nB: [1, 2\nC: 3\n").unwrap_err();
        assert!(e.line >= 2, "{e}");
        let e = read("A: !Reff X\n").unwrap_err();
        assert_eq!((e.line, e.column), (1, 10));
        assert!(e.message.contains("unknown tag `!Reff`"), "{e}");
    }
}
