//! SNS subscription filter policies and EventBridge event patterns: one matcher, compiled once
//! when a subscription (or rule) is made and run on every publish.
//!
//! Follows `reference/aws-messaging.md` §2.3 [sns-filter-policies] [sns-filter-constraints]
//! [sns-string] [sns-numeric-2022] [sns-key-2022] [sns-andor] [bc-sns], AWS's current
//! key-matching page [sns-key] (https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html)
//! and, for event patterns, EventBridge's content-filtering and comparison-operator pages
//! [eb-content-filtering] (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html,
//! https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):
//! - a policy applies to the message attributes ([`Scope::MessageAttributes`], AWS's default
//!   `FilterPolicyScope`) or to the message body ([`Scope::MessageBody`]), which must then be a
//!   JSON object and may nest;
//! - keys are ANDed, the values listed under one key are ORed, and keys the policy does not
//!   name are ignored. A `String.Array` attribute is tested element by element;
//! - operators: exact strings, numbers, `true`, `false` and `null`; `anything-but` (a list of
//!   strings or of numbers, or `{"prefix"|"suffix"|"wildcard": …}`), which can be combined with
//!   `"exists": false`; `prefix`; `suffix`; `equals-ignore-case`; `wildcard` (`*`); `numeric`
//!   (`=`, `<`, `<=`, `>`, `>=` and two-sided ranges; 301.5 equals 3.015e2); `exists`; `cidr`;
//!   and `$or`, which is an operator only when its value is an array of at least two objects,
//!   none of which has a reserved keyword as a field name; otherwise `$or` is an ordinary key;
//! - limits, checked by [`FilterPolicy::parse`] [sns-filter-constraints] [sns-andor]: at most
//!   [`KEYS_MAX`] keys (in body scope, only top-level keys count), complexity at most
//!   [`COMPLEXITY_MAX`], policy JSON at most 256 KB, numbers within ±10^9 with at most 5
//!   decimal places, and no nesting in attribute scope. String matching is case-sensitive,
//!   except for `equals-ignore-case`.
//!
//! How this module reads the reference where it leaves room (each reading is a choice):
//! - **anything-but on a `String.Array`** (§6 item 3, [sns-string]): the current page says
//!   that it "matches if none of the array elements are listed", but its own example has
//!   `["rugby","baseball"]` match `{"anything-but": ["rugby","tennis"]}`. This module follows
//!   the example and the general rule that each element is tested separately: a
//!   `String.Array` matches anything-but if **any** element is unlisted. The test
//!   `anything_but_on_a_string_array_matches_if_any_element_is_unlisted` pins this down.
//! - **`Number` attributes are compared** (§6 item 4): the current localized pages list only
//!   `String` and `String.Array`, but the 2022 English page [sns-filter-constraints-2022] lists
//!   `Number` too, and numeric matching [sns-numeric-2022] has nothing to compare in
//!   attribute scope without it. Numbers match only numbers: the `String` attribute "100" is
//!   not the number 100, and a `Number` attribute never matches a string operator.
//!   `Binary` attributes are ignored, as AWS documents: to the policy they are absent.
//! - **Complexity** ("product of array lengths; nested body keys multiply by nesting level;
//!   with `$or` the sum over the branches"): each key's list of values contributes
//!   `nesting level × list length` (level 1 at the top, 2 inside one nested object, …); a
//!   policy's complexity is the product over its keys; an `$or` contributes the sum of its
//!   branches' complexities. Products distribute over the sums, so this is the sum, over
//!   every way of choosing one branch per `$or`, of the product rule. Only the lists under
//!   keys count, not operator operands (the four items of `[">", 0, "<=", 150]`, the list
//!   of an `anything-but`).
//! - **Keys with `$or`**: `$or` itself is not a key; each `$or` adds the keys of its widest
//!   branch, so the limit is on the keys one message must satisfy together. In body scope a
//!   nested key counts once, as its top-level key.
//! - **256 KB** is 262,144 bytes (AWS's "KB" read as KiB, as elsewhere in the reference).
//!   The caller passes the size of the policy's JSON text, which the tree no longer knows.
//! - **Numbers**: the ±10^9 and 5-decimal rule is checked on the policy's numbers. A
//!   message's numbers are compared as they are (no rounding to 5 decimals), and may be
//!   outside ±10^9.
//! - **Reserved keywords** (for the `$or` rule) are the operator names of §2.3:
//!   [`RESERVED_KEYWORDS`].
//!
//! - **`exists`** [sns-key] [eb-content-filtering]: it "works only on leaf nodes", and
//!   `"exists": true` needs "a non-null and non-empty value". So a key holding an object (an
//!   intermediate node) or an empty list is absent to it, and EventBridge's own example has
//!   `{"exists": false}` match such a key; a key holding `null` (or only `null`s) matches
//!   neither `true` nor `false`: it is present, with no value. "Non-empty" is read as "holds a
//!   leaf value": the empty string is a value (EventBridge matches it with `[""]`).
//! - **No attributes** [sns-key]: "`"exists": false` only matches if at least one attribute is
//!   present. An empty set of attributes results in the filter not matching." Every other
//!   test needs its key present, so in attribute scope no policy that names a key matches a
//!   message without attributes; the attributes counted are those filtering compares (a
//!   message with only `Binary` ones has none). The note speaks of attributes, so a body `{}`
//!   still matches `"exists": false`.
//!
//! Modelling choices where the reference is silent (each an assumption):
//! - an operator object holds exactly one operator; "anything-but combined with exists
//!   false" is two entries of the key's list, ORed: `[{"anything-but": [...]}, {"exists":
//!   false}]` also matches a message without the key;
//! - every operator but `exists` tests leaf values (strings, numbers, `true`, `false`,
//!   `null`): a body array is tested element by element, like a `String.Array`, and an
//!   object is no leaf value. `anything-but` matches a present leaf value its inner test
//!   rejects, whatever its type (the number 5 is not "rugby");
//! - `prefix`, `suffix`, `equals-ignore-case`, `wildcard` and `cidr` match strings only;
//!   `numeric` matches numbers only; `true`, `false` and `null` never match an attribute
//!   (there are no such attribute types);
//! - `equals-ignore-case` compares Unicode lowercase forms, character by character;
//! - in a two-sided numeric range the lower bound (`>`, `>=`) comes first; `=` stands alone;
//! - `cidr` takes an IPv4 or IPv6 address with a prefix length; host bits are ignored;
//! - a nested body key whose value is an array of objects matches if the nested policy
//!   holds within one of them; if the value holds no object, the nested keys are absent;
//! - a body that is not a JSON object matches no policy;
//! - the empty policy `{}` filters nothing out; an empty list of values, an empty nested
//!   object and an empty `$or` branch are rejected, as is a key repeated in one object.
//!
//! EventBridge event patterns ([`EventPattern`]) use the same grammar and matcher as a
//! message-body policy, over the whole event (`source`, `detail-type`, `detail`, …, e.g. the
//! Step Functions events of §5.1). The 5-key, complexity and 256 KB limits are SNS quotas
//! and do not apply to them; the number rule does, since it belongs to the shared matcher.
//! EventBridge's operator table adds forms that SNS's pages do not list, accepted in event
//! patterns only [eb-content-filtering]:
//! - `{"prefix": {"equals-ignore-case": "EventB"}}` and `{"suffix": {"equals-ignore-case":
//!   ".png"}}`: a string that starts or ends so, ignoring case;
//! - `{"anything-but": {"equals-ignore-case": "x"}}` (or a list of strings): a present value
//!   equal to none of them, ignoring case;
//! - `wildcard` with EventBridge's rules, which its engine's documentation states
//!   [event-ruler] (https://github.com/aws/event-ruler, README, "Wildcard matching"):
//!   "consecutive wildcard characters are not allowed"; `\*` is a literal `*` and `\\` a
//!   literal backslash; "a backslash escaping any character other than asterisk or backslash
//!   is not allowed". SNS policies read a wildcard pattern as written.
//!
//! Deliberately absent: the 15-minute delay before a policy change applies
//! [sns-filter-policies] (the SNS model's business), the quota of 200 policies per topic and
//! 10,000 per account (§2.2, which belongs where subscriptions are configured), non-string
//! elements of a `String.Array`, escapes in SNS wildcard patterns (SNS's pages document
//! none), and EventBridge's limit on the complexity of wildcard patterns: its operators page
//! says only that "if a rule is too complex, EventBridge returns an
//! InvalidEventPatternException", and publishes neither the measure nor the figure, so the
//! model accepts every well-formed wildcard. EventBridge's own number range (its page gives
//! six decimals, not SNS's five) is not separated from SNS's either.
//!
//! [`Mismatch`] says why a message does not match (the first key, in the policy's order,
//! that fails, with what it expected and what the message holds), for `orchsim match`; it
//! walks the tree again and allocates, so the simulation never asks for it.
//!
//! Speed: [`FilterPolicy::parse`] compiles the policy (numeric bounds as `f64`,
//! `equals-ignore-case` strings lowercased once, wildcard patterns split at `*`, CIDR blocks
//! as integer ranges), so matching walks the compiled tree and the message by reference
//! and allocates nothing.

use std::fmt::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

/// At most this many keys per policy [sns-filter-constraints].
pub const KEYS_MAX: usize = 5;
/// The largest complexity a policy may have [sns-filter-constraints].
pub const COMPLEXITY_MAX: u64 = 150;
/// The largest policy, 256 KB, as JSON text [sns-filter-constraints].
pub const POLICY_BYTES_MAX: usize = 256 * 1024;
/// Numbers in a policy lie within ±this [sns-filter-constraints].
pub const NUMBER_MAGNITUDE_MAX: f64 = 1e9;
/// Numbers in a policy have at most this many decimal places [sns-filter-constraints].
pub const NUMBER_DECIMALS_MAX: i32 = 5;
/// Field names that stop an `$or` array from being an `$or` operator [sns-andor].
pub const RESERVED_KEYWORDS: [&str; 8] =
    ["anything-but", "prefix", "suffix", "equals-ignore-case", "wildcard", "numeric", "exists", "cidr"];

/// Bounds the compiler's recursion on absurd inputs. A leaf at nesting level n makes an SNS
/// policy's complexity at least n, so valid SNS policies nest at most 150 levels.
const NESTING_MAX: usize = 1_000;

/// A JSON value, as the scenario layer hands it over (models do not parse JSON text).
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    /// Fields in document order.
    Object(Vec<(String, Json)>),
}

/// What a subscription's policy is applied to (`FilterPolicyScope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    MessageAttributes,
    MessageBody,
}

/// A message attribute's value, by its SNS data type.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue {
    String(String),
    /// Each element is tested on its own.
    StringArray(Vec<String>),
    Number(f64),
    /// Ignored by filtering: to a policy the attribute is absent.
    Binary,
}

/// A policy AWS would refuse, with the limit broken and the value found.
#[derive(Clone, Debug, PartialEq)]
pub enum PolicyError {
    /// The policy's JSON text is longer than [`POLICY_BYTES_MAX`].
    TooLarge { size_bytes: usize },
    /// More than [`KEYS_MAX`] keys, counted as the module docs say.
    TooManyKeys { keys: usize },
    /// Complexity above [`COMPLEXITY_MAX`], computed as the module docs say.
    TooComplex { complexity: u64 },
    /// A number outside ±[`NUMBER_MAGNITUDE_MAX`].
    NumberOutOfRange { path: String, value: f64 },
    /// A number with more than [`NUMBER_DECIMALS_MAX`] decimal places.
    TooManyDecimals { path: String, value: f64 },
    /// An object under a key of a message-attributes policy.
    NestedInAttributeScope { path: String },
    /// Not a well-formed policy; `reason` says what is allowed.
    Invalid { path: String, reason: String },
}

/// Why a message does not match: the first key, in the policy's order, whose test failed.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// The key's path from the top (`detail.state`, `$or`), empty when the message as a whole
    /// fails (a body that is not a JSON object).
    pub path: String,
    /// What the policy asks for there: the key's list of values as JSON, or a sentence.
    pub expected: String,
    /// What the message holds there: its value as JSON, or a sentence.
    pub found: String,
}

/// A compiled SNS subscription filter policy.
#[derive(Clone, Debug)]
pub struct FilterPolicy {
    scope: Scope,
    root: Conjunction,
}

/// A compiled EventBridge event pattern: the message-body matcher without SNS's quotas.
#[derive(Clone, Debug)]
pub struct EventPattern {
    root: Conjunction,
}

/// Keys that must all match, and `$or` groups of which one branch each must match.
#[derive(Clone, Debug, Default)]
struct Conjunction {
    keys: Vec<KeyMatch>,
    any_of: Vec<Vec<Conjunction>>,
}

#[derive(Clone, Debug)]
struct KeyMatch {
    name: String,
    test: KeyTest,
}

#[derive(Clone, Debug)]
enum KeyTest {
    Values(Values),
    /// Body scope only: a policy for the object under the key.
    Nested(Conjunction),
}

/// One key's list of values (ORed), with `exists` split out since it needs no value.
#[derive(Clone, Debug)]
struct Values {
    rules: Vec<Rule>,
    if_present: bool,
    if_absent: bool,
    /// The length of the list in the policy, for the complexity rule.
    listed: usize,
    /// The list as compact JSON, for saying what a key expected.
    shown: String,
}

#[derive(Clone, Debug)]
enum Rule {
    Exact(Literal),
    AnythingBut(Negated),
    Prefix(String),
    Suffix(String),
    /// Held in lowercase.
    EqualsIgnoreCase(String),
    /// EventBridge only: `{"prefix": {"equals-ignore-case": …}}`, held in lowercase.
    PrefixIgnoreCase(String),
    /// EventBridge only: `{"suffix": {"equals-ignore-case": …}}`, held in lowercase.
    SuffixIgnoreCase(String),
    Wildcard(Wildcard),
    Numeric(Range),
    Cidr(IpRange),
}

#[derive(Clone, Debug)]
enum Literal {
    String(String),
    Number(f64),
    Bool(bool),
    Null,
}

/// What an `anything-but` excludes.
#[derive(Clone, Debug)]
enum Negated {
    Strings(Vec<String>),
    /// EventBridge only: `{"anything-but": {"equals-ignore-case": …}}`, held in lowercase.
    StringsIgnoreCase(Vec<String>),
    Numbers(Vec<f64>),
    Prefix(String),
    Suffix(String),
    Wildcard(Wildcard),
}

/// A pattern split at its `*`s: at least one segment, the first anchored at the start and
/// the last at the end.
#[derive(Clone, Debug)]
struct Wildcard {
    segments: Vec<String>,
}

#[derive(Clone, Copy, Debug)]
struct Range {
    low: f64,
    low_inclusive: bool,
    high: f64,
    high_inclusive: bool,
}

#[derive(Clone, Copy, Debug)]
enum IpRange {
    V4 { first: u32, last: u32 },
    V6 { first: u128, last: u128 },
}

/// Whose grammar a policy follows. EventBridge's adds operator forms to SNS's and reads
/// wildcard patterns with escapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    Sns,
    EventBridge,
}

/// What a key holds, for `exists`, which tests leaf nodes only; ordered from least to most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Presence {
    /// No leaf value: the key is missing, holds an object (an intermediate node) or an empty
    /// list.
    Absent,
    /// Leaf values, all `null`.
    OnlyNull,
    /// At least one leaf value other than `null`.
    Present,
}

/// A single value of a message, as operators see it.
#[derive(Clone, Copy, Debug)]
enum Leaf<'a> {
    String(&'a str),
    Number(f64),
    Bool(bool),
    Null,
}

impl FilterPolicy {
    /// Compiles `policy` for `scope`, checking AWS's limits; `policy_bytes` is the size of
    /// the policy's JSON text.
    pub fn parse(policy: &Json, scope: Scope, policy_bytes: usize) -> Result<FilterPolicy, PolicyError> {
        if policy_bytes > POLICY_BYTES_MAX {
            return Err(PolicyError::TooLarge { size_bytes: policy_bytes });
        }
        let root = compile(policy, scope, Dialect::Sns)?;
        let keys = root.key_count();
        if keys > KEYS_MAX {
            return Err(PolicyError::TooManyKeys { keys });
        }
        let complexity = root.complexity(1);
        if complexity > COMPLEXITY_MAX {
            return Err(PolicyError::TooComplex { complexity });
        }
        Ok(FilterPolicy { scope, root })
    }

    /// What the policy is applied to, which says whether to call
    /// [`FilterPolicy::matches_attributes`] or [`FilterPolicy::matches_body`].
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// True if a message with these attributes passes. Only for attribute-scope policies.
    pub fn matches_attributes(&self, attributes: &[(String, AttributeValue)]) -> bool {
        assert_eq!(self.scope, Scope::MessageAttributes, "a message-body policy was asked about attributes");
        !self.refuses_for_no_attributes(attributes) && self.root.matches_attributes(attributes)
    }

    /// True if a message with this body passes. Only for body-scope policies.
    pub fn matches_body(&self, body: &Json) -> bool {
        assert_eq!(self.scope, Scope::MessageBody, "a message-attributes policy was asked about a body");
        matches_object(&self.root, body)
    }

    /// None if a message with these attributes passes, else the first key that failed.
    pub fn explain_attributes(&self, attributes: &[(String, AttributeValue)]) -> Option<Mismatch> {
        assert_eq!(self.scope, Scope::MessageAttributes, "a message-body policy was asked about attributes");
        if self.refuses_for_no_attributes(attributes) {
            let (path, expected) = self.root.first_key();
            let found = "no message attributes (a policy on attributes matches no message without any)".to_owned();
            return Some(Mismatch { path, expected, found });
        }
        self.root.explain_attributes(attributes)
    }

    /// None if a message with this body passes, else the first key that failed.
    pub fn explain_body(&self, body: &Json) -> Option<Mismatch> {
        assert_eq!(self.scope, Scope::MessageBody, "a message-attributes policy was asked about a body");
        explain_object(&self.root, body)
    }

    /// AWS's key-matching page: "`"exists": false` only matches if at least one attribute is
    /// present. An empty set of attributes results in the filter not matching." Every other
    /// test needs the key present, so no policy that names a key matches such a message. The
    /// attributes counted are those filtering compares: `Binary` ones are ignored.
    fn refuses_for_no_attributes(&self, attributes: &[(String, AttributeValue)]) -> bool {
        let names_a_key = !self.root.keys.is_empty() || !self.root.any_of.is_empty();
        names_a_key && attributes.iter().all(|(_, value)| matches!(value, AttributeValue::Binary))
    }
}

impl EventPattern {
    /// Compiles `pattern` with EventBridge's grammar; SNS's quotas do not apply.
    pub fn parse(pattern: &Json) -> Result<EventPattern, PolicyError> {
        Ok(EventPattern { root: compile(pattern, Scope::MessageBody, Dialect::EventBridge)? })
    }

    /// True if the event (the whole envelope, `detail` included) matches.
    pub fn matches(&self, event: &Json) -> bool {
        matches_object(&self.root, event)
    }

    /// None if the event matches, else the first key that failed.
    pub fn explain(&self, event: &Json) -> Option<Mismatch> {
        explain_object(&self.root, event)
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::TooLarge { size_bytes } => {
                write!(f, "policy size {size_bytes} bytes exceeds {POLICY_BYTES_MAX} bytes (256 KB)")
            }
            PolicyError::TooManyKeys { keys } => write!(f, "{keys} keys exceed {KEYS_MAX}"),
            PolicyError::TooComplex { complexity } => write!(f, "complexity {complexity} exceeds {COMPLEXITY_MAX}"),
            PolicyError::NumberOutOfRange { path, value } => {
                write!(f, "{}: number {value} is outside ±{NUMBER_MAGNITUDE_MAX}", At(path))
            }
            PolicyError::TooManyDecimals { path, value } => {
                write!(f, "{}: number {value} has more than {NUMBER_DECIMALS_MAX} decimal places", At(path))
            }
            PolicyError::NestedInAttributeScope { path } => {
                write!(f, "{}: a message-attributes policy cannot nest (only a message-body policy can)", At(path))
            }
            PolicyError::Invalid { path, reason } => write!(f, "{}: {reason}", At(path)),
        }
    }
}

impl std::error::Error for PolicyError {}

/// Where an error is: "key `a.b`", or "policy" for the top level.
struct At<'a>(&'a str);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() { write!(f, "policy") } else { write!(f, "key `{}`", self.0) }
    }
}

// Matching. Everything here borrows; nothing allocates.

fn matches_object(root: &Conjunction, value: &Json) -> bool {
    match value {
        Json::Object(fields) => root.matches_body(fields),
        _ => false,
    }
}

fn field<'a>(fields: &'a [(String, Json)], name: &str) -> Option<&'a Json> {
    fields.iter().find(|(key, _)| key == name).map(|(_, value)| value)
}

impl Conjunction {
    fn matches_body(&self, fields: &[(String, Json)]) -> bool {
        self.keys.iter().all(|key| key.matches_body(field(fields, &key.name)))
            && self.any_of.iter().all(|branches| branches.iter().any(|branch| branch.matches_body(fields)))
    }

    fn matches_attributes(&self, attributes: &[(String, AttributeValue)]) -> bool {
        self.keys.iter().all(|key| key.matches_attribute(attribute(attributes, &key.name)))
            && self.any_of.iter().all(|branches| branches.iter().any(|branch| branch.matches_attributes(attributes)))
    }
}

/// The attribute named `name`, if filtering sees it: `Binary` attributes are ignored.
fn attribute<'a>(attributes: &'a [(String, AttributeValue)], name: &str) -> Option<&'a AttributeValue> {
    attributes
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
        .filter(|value| !matches!(value, AttributeValue::Binary))
}

impl KeyMatch {
    fn matches_body(&self, found: Option<&Json>) -> bool {
        match (&self.test, found) {
            (KeyTest::Values(values), found) => {
                values.matches_presence(body_presence(found))
                    || found.is_some_and(|value| any_body_leaf(value, |leaf| values.matches_leaf(leaf)))
            }
            (KeyTest::Nested(inner), Some(Json::Object(fields))) => inner.matches_body(fields),
            (KeyTest::Nested(inner), Some(Json::Array(items)))
                if items.iter().any(|i| matches!(i, Json::Object(_))) =>
            {
                items.iter().any(|item| matches!(item, Json::Object(fields) if inner.matches_body(fields)))
            }
            // No object under the key: every nested key is absent.
            (KeyTest::Nested(inner), _) => inner.matches_body(&[]),
        }
    }

    fn matches_attribute(&self, found: Option<&AttributeValue>) -> bool {
        let KeyTest::Values(values) = &self.test else {
            unreachable!("attribute-scope policies are compiled without nesting")
        };
        values.matches_presence(attribute_presence(found))
            || found.is_some_and(|value| any_attribute_leaf(value, |leaf| values.matches_leaf(leaf)))
    }
}

/// What `exists` sees under a body key. AWS: `exists` "works only on leaf nodes" and `"exists":
/// true` needs "a non-null and non-empty value" [sns-key]; an object under the key is an
/// intermediate node, so to `exists` the key is absent [eb-content-filtering].
fn body_presence(found: Option<&Json>) -> Presence {
    let of_leaf = |value: &Json| match value {
        Json::Null => Presence::OnlyNull,
        Json::Array(_) | Json::Object(_) => Presence::Absent,
        _ => Presence::Present,
    };
    match found {
        None | Some(Json::Object(_)) => Presence::Absent,
        Some(Json::Array(items)) => items.iter().map(of_leaf).max().unwrap_or(Presence::Absent),
        Some(leaf) => of_leaf(leaf),
    }
}

fn attribute_presence(found: Option<&AttributeValue>) -> Presence {
    match found {
        None | Some(AttributeValue::Binary) => Presence::Absent,
        Some(AttributeValue::StringArray(items)) if items.is_empty() => Presence::Absent,
        Some(_) => Presence::Present,
    }
}

impl Values {
    fn matches_leaf(&self, leaf: Leaf<'_>) -> bool {
        self.rules.iter().any(|rule| rule.matches(leaf))
    }

    /// `"exists": true` matches a non-null leaf value; `"exists": false` no leaf value at all
    /// (a key holding only `null` is neither: it is present, with a null value).
    fn matches_presence(&self, presence: Presence) -> bool {
        match presence {
            Presence::Absent => self.if_absent,
            Presence::OnlyNull => false,
            Presence::Present => self.if_present,
        }
    }
}

fn any_attribute_leaf(value: &AttributeValue, mut test: impl FnMut(Leaf<'_>) -> bool) -> bool {
    match value {
        AttributeValue::String(s) => test(Leaf::String(s)),
        AttributeValue::StringArray(items) => items.iter().any(|s| test(Leaf::String(s))),
        AttributeValue::Number(x) => test(Leaf::Number(*x)),
        AttributeValue::Binary => false,
    }
}

fn any_body_leaf(value: &Json, mut test: impl FnMut(Leaf<'_>) -> bool) -> bool {
    match value {
        Json::Array(items) => items.iter().any(|item| leaf_of(item).is_some_and(&mut test)),
        other => leaf_of(other).is_some_and(test),
    }
}

fn leaf_of(value: &Json) -> Option<Leaf<'_>> {
    match value {
        Json::String(s) => Some(Leaf::String(s)),
        Json::Number(x) => Some(Leaf::Number(*x)),
        Json::Bool(b) => Some(Leaf::Bool(*b)),
        Json::Null => Some(Leaf::Null),
        Json::Array(_) | Json::Object(_) => None,
    }
}

impl Rule {
    fn matches(&self, leaf: Leaf<'_>) -> bool {
        match (self, leaf) {
            (Rule::Exact(literal), leaf) => literal.equals(leaf),
            (Rule::AnythingBut(negated), leaf) => !negated.matches(leaf),
            (Rule::Prefix(prefix), Leaf::String(s)) => s.starts_with(prefix.as_str()),
            (Rule::Suffix(suffix), Leaf::String(s)) => s.ends_with(suffix.as_str()),
            (Rule::EqualsIgnoreCase(lower), Leaf::String(s)) => {
                s.chars().flat_map(char::to_lowercase).eq(lower.chars())
            }
            (Rule::PrefixIgnoreCase(lower), Leaf::String(s)) => starts_with_ignoring_case(s, lower),
            (Rule::SuffixIgnoreCase(lower), Leaf::String(s)) => ends_with_ignoring_case(s, lower),
            (Rule::Wildcard(pattern), Leaf::String(s)) => pattern.matches(s),
            (Rule::Numeric(range), Leaf::Number(x)) => range.contains(x),
            (Rule::Cidr(block), Leaf::String(s)) => block.contains(s),
            _ => false,
        }
    }
}

impl Literal {
    fn equals(&self, leaf: Leaf<'_>) -> bool {
        match (self, leaf) {
            (Literal::String(a), Leaf::String(b)) => a == b,
            (Literal::Number(a), Leaf::Number(b)) => *a == b,
            (Literal::Bool(a), Leaf::Bool(b)) => *a == b,
            (Literal::Null, Leaf::Null) => true,
            _ => false,
        }
    }
}

impl Negated {
    /// True if `leaf` is one of the excluded values.
    fn matches(&self, leaf: Leaf<'_>) -> bool {
        match (self, leaf) {
            (Negated::Strings(listed), Leaf::String(s)) => listed.iter().any(|l| l == s),
            (Negated::StringsIgnoreCase(listed), Leaf::String(s)) => {
                listed.iter().any(|l| s.chars().flat_map(char::to_lowercase).eq(l.chars()))
            }
            (Negated::Numbers(listed), Leaf::Number(x)) => listed.contains(&x),
            (Negated::Prefix(prefix), Leaf::String(s)) => s.starts_with(prefix.as_str()),
            (Negated::Suffix(suffix), Leaf::String(s)) => s.ends_with(suffix.as_str()),
            (Negated::Wildcard(pattern), Leaf::String(s)) => pattern.matches(s),
            _ => false,
        }
    }
}

/// True if the Unicode lowercase form of `s` starts with `lower`, which is lowercase already.
fn starts_with_ignoring_case(s: &str, lower: &str) -> bool {
    let mut folded = s.chars().flat_map(char::to_lowercase);
    lower.chars().all(|c| folded.next() == Some(c))
}

/// True if the Unicode lowercase form of `s` ends with `lower`, compared from the end.
fn ends_with_ignoring_case(s: &str, lower: &str) -> bool {
    let mut folded = s.chars().rev().flat_map(|c| c.to_lowercase().rev());
    lower.chars().rev().all(|c| folded.next() == Some(c))
}

impl Wildcard {
    fn new(pattern: &str) -> Wildcard {
        Wildcard { segments: pattern.split('*').map(str::to_owned).collect() }
    }

    /// EventBridge's pattern [eb-content-filtering] [event-ruler]: `*` stands for any run of
    /// characters, two in a row are refused, `\\*` is a literal `*`, `\\\\` a literal
    /// backslash, and a backslash before anything else is refused.
    fn escaped(pattern: &str) -> Result<Wildcard, String> {
        let mut segments = vec![String::new()];
        let mut chars = pattern.chars();
        let mut after_star = false;
        while let Some(c) = chars.next() {
            let literal = match c {
                '*' if after_star => {
                    return Err(format!("wildcard {pattern:?}: consecutive wildcard characters are not allowed"));
                }
                '*' => {
                    segments.push(String::new());
                    after_star = true;
                    continue;
                }
                '\\' => match chars.next() {
                    Some(escaped @ ('*' | '\\')) => escaped,
                    _ => {
                        return Err(format!(
                            "wildcard {pattern:?}: a backslash escapes only `*` or a backslash (write `\\\\*` or \
                             `\\\\\\\\` in JSON)"
                        ));
                    }
                },
                other => other,
            };
            after_star = false;
            segments.last_mut().expect("starts with one segment").push(literal);
        }
        Ok(Wildcard { segments })
    }

    /// With only `*` to expand, taking each middle segment at its leftmost occurrence never
    /// loses a match, so one pass suffices.
    fn matches(&self, s: &str) -> bool {
        let Some((first, rest)) = self.segments.split_first() else { return false };
        let Some((last, middle)) = rest.split_last() else { return s == first };
        let Some(mut remaining) = s.strip_prefix(first.as_str()) else { return false };
        for segment in middle {
            match remaining.find(segment.as_str()) {
                Some(i) => remaining = &remaining[i + segment.len()..],
                None => return false,
            }
        }
        remaining.ends_with(last.as_str())
    }
}

impl Range {
    fn contains(&self, x: f64) -> bool {
        (x > self.low || (self.low_inclusive && x == self.low))
            && (x < self.high || (self.high_inclusive && x == self.high))
    }
}

impl IpRange {
    fn contains(&self, address: &str) -> bool {
        match *self {
            IpRange::V4 { first, last } => {
                address.parse::<Ipv4Addr>().is_ok_and(|a| (first..=last).contains(&u32::from(a)))
            }
            IpRange::V6 { first, last } => {
                address.parse::<Ipv6Addr>().is_ok_and(|a| (first..=last).contains(&u128::from(a)))
            }
        }
    }
}

fn lowercase(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

// Explaining a mismatch: the matcher's walk again, stopping at the first key that fails.
// Only `orchsim match` asks, so this may allocate.

fn explain_object(root: &Conjunction, value: &Json) -> Option<Mismatch> {
    match value {
        Json::Object(fields) => root.explain_body(fields, ""),
        other => Some(Mismatch {
            path: String::new(),
            expected: "a JSON object".to_owned(),
            found: format!("{} (a message that is not a JSON object matches no policy)", render(other)),
        }),
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") }
}

impl Conjunction {
    /// The first key's path and list, or the first `$or`'s.
    fn first_key(&self) -> (String, String) {
        match (self.keys.first(), self.any_of.first()) {
            (Some(key), _) => {
                let expected = match &key.test {
                    KeyTest::Values(values) => values.shown.clone(),
                    KeyTest::Nested(_) => "an object of nested keys".to_owned(),
                };
                (key.name.clone(), expected)
            }
            (None, Some(branches)) => ("$or".to_owned(), or_expected(branches.len())),
            (None, None) => (String::new(), String::new()),
        }
    }

    fn explain_body(&self, fields: &[(String, Json)], prefix: &str) -> Option<Mismatch> {
        for key in &self.keys {
            let found = field(fields, &key.name);
            // The path is built only for the key that fails.
            if !key.matches_body(found) {
                return key.explain_body(found, &join(prefix, &key.name));
            }
        }
        let failed = self.any_of.iter().find(|branches| !branches.iter().any(|b| b.matches_body(fields)))?;
        let reasons = failed.iter().filter_map(|branch| branch.explain_body(fields, prefix));
        Some(or_mismatch(prefix, failed.len(), reasons))
    }

    fn explain_attributes(&self, attributes: &[(String, AttributeValue)]) -> Option<Mismatch> {
        for key in &self.keys {
            let found = attribute(attributes, &key.name);
            if !key.matches_attribute(found) {
                let KeyTest::Values(values) = &key.test else { unreachable!("no nesting in attribute scope") };
                let found = match attributes.iter().find(|(name, _)| *name == key.name) {
                    None => "no such attribute".to_owned(),
                    Some((_, AttributeValue::Binary)) => "a Binary attribute, which filtering ignores".to_owned(),
                    Some((_, value)) => render_attribute(value),
                };
                return Some(Mismatch { path: key.name.clone(), expected: values.shown.clone(), found });
            }
        }
        let failed = self.any_of.iter().find(|branches| !branches.iter().any(|b| b.matches_attributes(attributes)))?;
        let reasons = failed.iter().filter_map(|branch| branch.explain_attributes(attributes));
        Some(or_mismatch("", failed.len(), reasons))
    }
}

fn or_expected(branches: usize) -> String {
    format!("one of its {branches} branches to match")
}

/// An `$or` none of whose branches matched, with each branch's own first failure.
fn or_mismatch(prefix: &str, branches: usize, reasons: impl Iterator<Item = Mismatch>) -> Mismatch {
    let found: Vec<String> =
        reasons.map(|m| format!("`{}` expected {}, found {}", m.path, m.expected, m.found)).collect();
    Mismatch { path: join(prefix, "$or"), expected: or_expected(branches), found: found.join("; ") }
}

impl KeyMatch {
    fn explain_body(&self, found: Option<&Json>, path: &str) -> Option<Mismatch> {
        if self.matches_body(found) {
            return None;
        }
        match (&self.test, found) {
            (KeyTest::Values(values), found) => Some(Mismatch {
                path: path.to_owned(),
                expected: values.shown.clone(),
                found: found.map_or_else(|| "no such key".to_owned(), render),
            }),
            (KeyTest::Nested(inner), Some(Json::Object(fields))) => inner.explain_body(fields, path),
            (KeyTest::Nested(inner), Some(Json::Array(items))) => {
                // No element matched: say why the first object did not.
                match items.iter().find_map(|item| if let Json::Object(f) = item { Some(f) } else { None }) {
                    Some(fields) => inner.explain_body(fields, path),
                    None => inner.explain_body(&[], path),
                }
            }
            (KeyTest::Nested(inner), _) => inner.explain_body(&[], path),
        }
    }
}

/// A value as compact JSON. Whole numbers print without a fraction.
fn render(value: &Json) -> String {
    let mut out = String::new();
    render_into(value, &mut out);
    out
}

fn render_into(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(x) if x.fract() == 0.0 && x.abs() < 1e15 => {
            let _ = write!(out, "{}", *x as i64);
        }
        Json::Number(x) => {
            let _ = write!(out, "{x}");
        }
        Json::String(s) => render_string(s, out),
        Json::Array(items) => render_array(items, out),
        Json::Object(fields) => {
            out.push('{');
            for (i, (name, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render_string(name, out);
                out.push_str(": ");
                render_into(value, out);
            }
            out.push('}');
        }
    }
}

fn render_array(items: &[Json], out: &mut String) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        render_into(item, out);
    }
    out.push(']');
}

fn render_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn render_attribute(value: &AttributeValue) -> String {
    match value {
        AttributeValue::String(s) => render(&Json::String(s.clone())),
        AttributeValue::StringArray(items) => {
            render(&Json::Array(items.iter().map(|s| Json::String(s.clone())).collect()))
        }
        AttributeValue::Number(x) => render(&Json::Number(*x)),
        AttributeValue::Binary => "a Binary attribute".to_owned(),
    }
}

// The limits, computed on the compiled tree.

impl Conjunction {
    /// Keys one message must satisfy together: `$or` adds its widest branch; nested keys
    /// are not counted (they count as their top-level key).
    fn key_count(&self) -> usize {
        let widest = |branches: &Vec<Conjunction>| branches.iter().map(Conjunction::key_count).max().unwrap_or(0);
        self.keys.len() + self.any_of.iter().map(widest).sum::<usize>()
    }

    /// The product over keys of `level × list length` (nested keys one level deeper), with
    /// each `$or` contributing the sum over its branches. Saturates rather than overflows.
    fn complexity(&self, level: u64) -> u64 {
        let mut total: u64 = 1;
        for key in &self.keys {
            let factor = match &key.test {
                KeyTest::Values(values) => level.saturating_mul(values.listed as u64),
                KeyTest::Nested(inner) => inner.complexity(level + 1),
            };
            total = total.saturating_mul(factor);
        }
        for branches in &self.any_of {
            let sum = branches.iter().fold(0_u64, |sum, branch| sum.saturating_add(branch.complexity(level)));
            total = total.saturating_mul(sum);
        }
        total
    }
}

// Compiling: checks the shape of the policy and builds the tree.

fn compile(policy: &Json, scope: Scope, dialect: Dialect) -> Result<Conjunction, PolicyError> {
    let mut compiler = Compiler { scope, dialect, path: Vec::new() };
    match policy {
        Json::Object(fields) => compiler.conjunction(fields),
        _ => Err(compiler.error("must be a JSON object")),
    }
}

/// One step of the path to a place in the policy, for error messages.
enum Segment<'a> {
    Key(&'a str),
    Branch(usize),
}

struct Compiler<'a> {
    scope: Scope,
    dialect: Dialect,
    path: Vec<Segment<'a>>,
}

/// What one entry of a key's list compiles to.
enum Entry {
    Rule(Rule),
    Exists(bool),
}

impl<'a> Compiler<'a> {
    fn path_text(&self) -> String {
        let mut text = String::new();
        for segment in &self.path {
            match segment {
                Segment::Key(key) => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(key);
                }
                Segment::Branch(i) => {
                    let _ = write!(text, "[{i}]");
                }
            }
        }
        text
    }

    fn error(&self, reason: impl Into<String>) -> PolicyError {
        PolicyError::Invalid { path: self.path_text(), reason: reason.into() }
    }

    fn conjunction(&mut self, fields: &'a [(String, Json)]) -> Result<Conjunction, PolicyError> {
        if self.path.len() > NESTING_MAX {
            return Err(self.error(format!("nests deeper than {NESTING_MAX} levels")));
        }
        let mut conjunction = Conjunction::default();
        for (i, (name, value)) in fields.iter().enumerate() {
            self.path.push(Segment::Key(name));
            let result = if fields[..i].iter().any(|(earlier, _)| earlier == name) {
                Err(self.error("the key appears twice in one object"))
            } else {
                self.entry(&mut conjunction, name, value)
            };
            self.path.pop();
            result?;
        }
        Ok(conjunction)
    }

    /// Compiles `name: value` into `conjunction`; the path already ends at `name`.
    fn entry(&mut self, conjunction: &mut Conjunction, name: &str, value: &'a Json) -> Result<(), PolicyError> {
        if name == "$or"
            && let Some(branches) = or_branches(value)
        {
            let mut compiled = Vec::with_capacity(branches.len());
            for (i, fields) in branches.into_iter().enumerate() {
                self.path.push(Segment::Branch(i));
                let branch = if fields.is_empty() {
                    Err(self.error("an `$or` branch must name at least one key"))
                } else {
                    self.conjunction(fields)
                };
                self.path.pop();
                compiled.push(branch?);
            }
            conjunction.any_of.push(compiled);
            return Ok(());
        }
        let test = match value {
            Json::Array(items) => KeyTest::Values(self.values(items)?),
            Json::Object(_) if self.scope == Scope::MessageAttributes => {
                return Err(PolicyError::NestedInAttributeScope { path: self.path_text() });
            }
            Json::Object(fields) if fields.is_empty() => return Err(self.error("a nested object must name a key")),
            Json::Object(fields) => KeyTest::Nested(self.conjunction(fields)?),
            _ => {
                return Err(self.error(
                    "must be a list of values such as [\"a\", \"b\"] (or, in a message-body policy, an object of \
                     nested keys)",
                ));
            }
        };
        conjunction.keys.push(KeyMatch { name: name.to_owned(), test });
        Ok(())
    }

    fn values(&self, items: &[Json]) -> Result<Values, PolicyError> {
        if items.is_empty() {
            return Err(self.error("the list of values is empty"));
        }
        let mut shown = String::new();
        render_array(items, &mut shown);
        let mut values = Values { rules: Vec::new(), if_present: false, if_absent: false, listed: items.len(), shown };
        for item in items {
            match self.value(item)? {
                Entry::Rule(rule) => values.rules.push(rule),
                Entry::Exists(true) => values.if_present = true,
                Entry::Exists(false) => values.if_absent = true,
            }
        }
        Ok(values)
    }

    fn value(&self, item: &Json) -> Result<Entry, PolicyError> {
        let literal = match item {
            Json::String(s) => Literal::String(s.clone()),
            Json::Number(x) => Literal::Number(self.number(*x)?),
            Json::Bool(b) => Literal::Bool(*b),
            Json::Null => Literal::Null,
            Json::Array(_) => return Err(self.error("a list of values cannot hold a list")),
            Json::Object(operator) => return self.operator(operator),
        };
        Ok(Entry::Rule(Rule::Exact(literal)))
    }

    fn operator(&self, operator: &[(String, Json)]) -> Result<Entry, PolicyError> {
        let [(name, operand)] = operator else {
            return Err(self.error("an operator object holds exactly one operator, such as {\"prefix\": \"bas\"}"));
        };
        let event_bridge = self.dialect == Dialect::EventBridge;
        let rule = match (name.as_str(), operand) {
            ("anything-but", operand) => Rule::AnythingBut(self.anything_but(operand)?),
            ("prefix", Json::String(s)) => Rule::Prefix(s.clone()),
            ("suffix", Json::String(s)) => Rule::Suffix(s.clone()),
            ("prefix", Json::Object(inner)) if event_bridge => {
                Rule::PrefixIgnoreCase(self.ignoring_case("prefix", inner)?)
            }
            ("suffix", Json::Object(inner)) if event_bridge => {
                Rule::SuffixIgnoreCase(self.ignoring_case("suffix", inner)?)
            }
            ("equals-ignore-case", Json::String(s)) => Rule::EqualsIgnoreCase(lowercase(s)),
            ("wildcard", Json::String(s)) => Rule::Wildcard(self.wildcard(s)?),
            ("numeric", operand) => Rule::Numeric(self.numeric(operand)?),
            ("cidr", Json::String(s)) => Rule::Cidr(self.cidr(s)?),
            ("exists", Json::Bool(b)) => return Ok(Entry::Exists(*b)),
            ("exists", _) => return Err(self.error("`exists` takes true or false")),
            ("prefix" | "suffix", _) if event_bridge => {
                return Err(self.error(format!("`{name}` takes a string or {{\"equals-ignore-case\": string}}")));
            }
            (known, _) if RESERVED_KEYWORDS.contains(&known) => {
                return Err(self.error(format!("`{known}` takes a string")));
            }
            (unknown, _) => {
                return Err(
                    self.error(format!("unknown operator `{unknown}`; known: {}", RESERVED_KEYWORDS.join(", ")))
                );
            }
        };
        Ok(Entry::Rule(rule))
    }

    /// The lowercased operand of `{"prefix"|"suffix": {"equals-ignore-case": "…"}}`.
    fn ignoring_case(&self, operator: &str, inner: &[(String, Json)]) -> Result<String, PolicyError> {
        match inner {
            [(name, Json::String(s))] if name == "equals-ignore-case" => Ok(lowercase(s)),
            _ => Err(self.error(format!("`{operator}` takes a string or {{\"equals-ignore-case\": string}}"))),
        }
    }

    /// A wildcard pattern: SNS's as written; EventBridge's with its escapes and rules.
    fn wildcard(&self, pattern: &str) -> Result<Wildcard, PolicyError> {
        match self.dialect {
            Dialect::Sns => Ok(Wildcard::new(pattern)),
            Dialect::EventBridge => Wildcard::escaped(pattern).map_err(|reason| self.error(reason)),
        }
    }

    fn anything_but(&self, operand: &Json) -> Result<Negated, PolicyError> {
        let is_string = |item: &Json| matches!(item, Json::String(_));
        let is_number = |item: &Json| matches!(item, Json::Number(_));
        let strings = |items: &[Json]| -> Vec<String> {
            items.iter().filter_map(|item| if let Json::String(s) = item { Some(s.clone()) } else { None }).collect()
        };
        let event_bridge = self.dialect == Dialect::EventBridge;
        match operand {
            Json::String(s) => Ok(Negated::Strings(vec![s.clone()])),
            Json::Number(x) => Ok(Negated::Numbers(vec![self.number(*x)?])),
            Json::Array(items) if !items.is_empty() && items.iter().all(is_string) => {
                Ok(Negated::Strings(strings(items)))
            }
            Json::Array(items) if !items.is_empty() && items.iter().all(is_number) => {
                let numbers = items.iter().filter_map(|item| if let Json::Number(x) = item { Some(*x) } else { None });
                Ok(Negated::Numbers(numbers.map(|x| self.number(x)).collect::<Result<_, _>>()?))
            }
            Json::Object(inner) => match inner.as_slice() {
                [(name, Json::String(s))] if name == "prefix" => Ok(Negated::Prefix(s.clone())),
                [(name, Json::String(s))] if name == "suffix" => Ok(Negated::Suffix(s.clone())),
                [(name, Json::String(s))] if name == "wildcard" => Ok(Negated::Wildcard(self.wildcard(s)?)),
                [(name, Json::String(s))] if name == "equals-ignore-case" && event_bridge => {
                    Ok(Negated::StringsIgnoreCase(vec![lowercase(s)]))
                }
                [(name, Json::Array(items))]
                    if name == "equals-ignore-case"
                        && event_bridge
                        && !items.is_empty()
                        && items.iter().all(is_string) =>
                {
                    Ok(Negated::StringsIgnoreCase(strings(items).iter().map(|s| lowercase(s)).collect()))
                }
                _ if event_bridge => Err(self.error(
                    "`anything-but` takes one of {\"prefix\"|\"suffix\"|\"wildcard\": string} or \
                     {\"equals-ignore-case\": string or list of strings}",
                )),
                _ => Err(self.error("`anything-but` takes one of {\"prefix\"|\"suffix\"|\"wildcard\": string}")),
            },
            _ => Err(self.error("`anything-but` takes a list of strings or a list of numbers")),
        }
    }

    fn numeric(&self, operand: &Json) -> Result<Range, PolicyError> {
        let shape = "`numeric` takes [operator, number] with one of =, <, <=, >, >=, or a range such as \
                     [\">\", 0, \"<=\", 150]";
        let Json::Array(items) = operand else { return Err(self.error(shape)) };
        let open = Range { low: f64::NEG_INFINITY, low_inclusive: false, high: f64::INFINITY, high_inclusive: false };
        match items.as_slice() {
            [Json::String(op), Json::Number(x)] => {
                let x = self.number(*x)?;
                match op.as_str() {
                    "=" => Ok(Range { low: x, low_inclusive: true, high: x, high_inclusive: true }),
                    ">" => Ok(Range { low: x, ..open }),
                    ">=" => Ok(Range { low: x, low_inclusive: true, ..open }),
                    "<" => Ok(Range { high: x, ..open }),
                    "<=" => Ok(Range { high: x, high_inclusive: true, ..open }),
                    _ => Err(self.error(shape)),
                }
            }
            [Json::String(low_op), Json::Number(low), Json::String(high_op), Json::Number(high)] => {
                let low_inclusive = match low_op.as_str() {
                    ">" => false,
                    ">=" => true,
                    _ => return Err(self.error(shape)),
                };
                let high_inclusive = match high_op.as_str() {
                    "<" => false,
                    "<=" => true,
                    _ => return Err(self.error(shape)),
                };
                Ok(Range { low: self.number(*low)?, low_inclusive, high: self.number(*high)?, high_inclusive })
            }
            _ => Err(self.error(shape)),
        }
    }

    fn number(&self, value: f64) -> Result<f64, PolicyError> {
        if value.is_nan() || value.abs() > NUMBER_MAGNITUDE_MAX {
            return Err(PolicyError::NumberOutOfRange { path: self.path_text(), value });
        }
        // Scaled to units of the last allowed decimal, a valid number is whole up to float
        // error; the tolerance (a thousandth of that unit) stays far above the error of the
        // scaling, even at 10^9, and far below a sixth decimal digit.
        let scaled = value * 10_f64.powi(NUMBER_DECIMALS_MAX);
        if (scaled - scaled.round()).abs() > 1e-3 {
            return Err(PolicyError::TooManyDecimals { path: self.path_text(), value });
        }
        Ok(value)
    }

    fn cidr(&self, block: &str) -> Result<IpRange, PolicyError> {
        let bad =
            || self.error(format!("`cidr` takes an address and prefix length, such as \"10.0.0.0/24\"; got {block:?}"));
        let Some((address, length)) = block.split_once('/') else { return Err(bad()) };
        let length: u32 = length.parse().map_err(|_| bad())?;
        if let Ok(address) = address.parse::<Ipv4Addr>()
            && length <= 32
        {
            // A shift by the full width (prefix length 0) leaves no network bits.
            let mask = u32::MAX.checked_shl(32 - length).unwrap_or(0);
            let first = u32::from(address) & mask;
            return Ok(IpRange::V4 { first, last: first | !mask });
        }
        if let Ok(address) = address.parse::<Ipv6Addr>()
            && length <= 128
        {
            let mask = u128::MAX.checked_shl(128 - length).unwrap_or(0);
            let first = u128::from(address) & mask;
            return Ok(IpRange::V6 { first, last: first | !mask });
        }
        Err(bad())
    }
}

/// The branches of an `$or` operator, or None if `value` makes `$or` an ordinary key: an
/// `$or` needs an array of at least two objects, none with a reserved keyword as a field.
fn or_branches(value: &Json) -> Option<Vec<&[(String, Json)]>> {
    let Json::Array(items) = value else { return None };
    if items.len() < 2 {
        return None;
    }
    items
        .iter()
        .map(|item| match item {
            Json::Object(fields) if !fields.iter().any(|(name, _)| RESERVED_KEYWORDS.contains(&name.as_str())) => {
                Some(fields.as_slice())
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::models::json_text::json;

    fn parse(text: &str, scope: Scope) -> Result<FilterPolicy, PolicyError> {
        FilterPolicy::parse(&json(text), scope, text.len())
    }

    fn body_policy(text: &str) -> FilterPolicy {
        parse(text, Scope::MessageBody).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn attribute_policy(text: &str) -> FilterPolicy {
        parse(text, Scope::MessageAttributes).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn body_error(text: &str) -> PolicyError {
        parse(text, Scope::MessageBody).expect_err(text)
    }

    fn attribute_error(text: &str) -> PolicyError {
        parse(text, Scope::MessageAttributes).expect_err(text)
    }

    fn matches_body(policy: &str, body: &str) -> bool {
        body_policy(policy).matches_body(&json(body))
    }

    /// The message's top-level fields as attributes (strings, numbers, lists of strings),
    /// or None if some field has no attribute type.
    fn attributes_of(message: &Json) -> Option<Vec<(String, AttributeValue)>> {
        let Json::Object(fields) = message else { return None };
        let attribute = |value: &Json| match value {
            Json::String(s) => Some(AttributeValue::String(s.clone())),
            Json::Number(x) => Some(AttributeValue::Number(*x)),
            Json::Array(items) => items
                .iter()
                .map(|item| if let Json::String(s) = item { Some(s.clone()) } else { None })
                .collect::<Option<_>>()
                .map(AttributeValue::StringArray),
            _ => None,
        };
        fields.iter().map(|(name, value)| Some((name.clone(), attribute(value)?))).collect()
    }

    /// Whether `policy` passes `message`, given as a body and, where the policy is flat and
    /// the message's fields have attribute types, also as attributes: both must agree, as
    /// AWS's pages describe each operator for both.
    /// A message without attributes is the one place where the scopes differ (see
    /// `a_policy_on_attributes_matches_no_message_without_attributes`), so it is compared as
    /// a body only.
    fn matches(policy: &str, message: &str) -> bool {
        let message_json = json(message);
        let by_body = body_policy(policy).matches_body(&message_json);
        if let (Some(attributes), Ok(flat)) = (attributes_of(&message_json), parse(policy, Scope::MessageAttributes))
            && !attributes.is_empty()
        {
            assert_eq!(flat.matches_attributes(&attributes), by_body, "scopes disagree: {policy} on {message}");
        }
        by_body
    }

    fn attr(name: &str, value: AttributeValue) -> (String, AttributeValue) {
        (name.to_owned(), value)
    }

    fn string(s: &str) -> AttributeValue {
        AttributeValue::String(s.to_owned())
    }

    /// `["v0", "v1", …]` with `n` values.
    fn list(n: usize) -> String {
        let values: Vec<String> = (0..n).map(|i| format!("\"v{i}\"")).collect();
        format!("[{}]", values.join(", "))
    }

    fn complexity_of(policy: &str) -> u64 {
        body_policy(policy).root.complexity(1)
    }

    // The operators, each with the reference's example where it gives one (§2.3).

    #[test]
    fn exact_strings_match_any_listed_value() {
        let policy = r#"{"customer_interests": ["rugby", "tennis"]}"#;
        assert!(matches(policy, r#"{"customer_interests": "rugby"}"#));
        assert!(matches(policy, r#"{"customer_interests": "tennis"}"#));
        assert!(!matches(policy, r#"{"customer_interests": "baseball"}"#));
        assert!(!matches(policy, r#"{"customer_interests": "Rugby"}"#), "string matching is case-sensitive");
        assert!(!matches(policy, r#"{"other": "rugby"}"#));
    }

    #[test]
    fn string_array_elements_are_tested_separately() {
        let policy = r#"{"customer_interests": ["rugby", "tennis"]}"#;
        assert!(matches(policy, r#"{"customer_interests": ["rugby", "tennis"]}"#));
        assert!(matches(policy, r#"{"customer_interests": ["baseball", "rugby"]}"#));
        assert!(!matches(policy, r#"{"customer_interests": ["baseball"]}"#));
        assert!(!matches(policy, r#"{"customer_interests": []}"#));
    }

    #[test]
    fn exact_numbers_match_equal_numbers_only() {
        let policy = r#"{"price_usd": [301.5]}"#;
        assert!(matches(policy, r#"{"price_usd": 301.5}"#));
        assert!(matches(policy, r#"{"price_usd": 3.015e2}"#));
        assert!(!matches(policy, r#"{"price_usd": 301.50001}"#));
        assert!(!matches(policy, r#"{"price_usd": "301.5"}"#), "a string is not a number");
    }

    #[test]
    fn number_attributes_are_compared_numerically() {
        let equal = attribute_policy(r#"{"price_usd": [{"numeric": ["=", 301.5]}]}"#);
        assert!(equal.matches_attributes(&[attr("price_usd", AttributeValue::Number(3.015e2))]));
        assert!(!equal.matches_attributes(&[attr("price_usd", string("301.5"))]));
        let prefix = attribute_policy(r#"{"price_usd": [{"prefix": "30"}]}"#);
        assert!(!prefix.matches_attributes(&[attr("price_usd", AttributeValue::Number(301.5))]));
        assert!(prefix.matches_attributes(&[attr("price_usd", string("301.5"))]));
    }

    #[test]
    fn binary_attributes_are_ignored_by_filtering() {
        let binary = [attr("k", AttributeValue::Binary), attr("other", string("x"))];
        assert!(!attribute_policy(r#"{"k": [{"exists": true}]}"#).matches_attributes(&binary));
        assert!(attribute_policy(r#"{"k": [{"exists": false}]}"#).matches_attributes(&binary));
        assert!(!attribute_policy(r#"{"k": [{"anything-but": ["x"]}]}"#).matches_attributes(&binary));
        assert!(!attribute_policy(r#"{"k": [{"prefix": ""}]}"#).matches_attributes(&binary));
    }

    #[test]
    fn anything_but_matches_values_not_listed() {
        let policy = r#"{"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}"#;
        assert!(matches(policy, r#"{"customer_interests": "baseball"}"#));
        assert!(matches(policy, r#"{"customer_interests": "football"}"#));
        assert!(!matches(policy, r#"{"customer_interests": "rugby"}"#));
        assert!(!matches(policy, r#"{"customer_interests": "tennis"}"#));
        assert!(!matches(policy, "{}"), "anything-but needs the key to be present");
    }

    /// §6 item 3: the current page's sentence ("matches if none of the array elements are
    /// listed") and its own example disagree; the example wins (see the module docs).
    #[test]
    fn anything_but_on_a_string_array_matches_if_any_element_is_unlisted() {
        let policy = r#"{"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}"#;
        let attributes = |items: &[&str]| {
            vec![attr("customer_interests", AttributeValue::StringArray(items.iter().map(|s| s.to_string()).collect()))]
        };
        let flat = attribute_policy(policy);
        assert!(flat.matches_attributes(&attributes(&["rugby", "baseball"])), "AWS's example");
        assert!(!flat.matches_attributes(&attributes(&["rugby", "tennis"])), "every element listed");
        assert!(!flat.matches_attributes(&attributes(&[])), "no element to test");
        assert!(matches(policy, r#"{"customer_interests": ["rugby", "baseball"]}"#));
    }

    #[test]
    fn anything_but_numbers_matches_other_numbers() {
        let policy = r#"{"price": [{"anything-but": [100, 500]}]}"#;
        assert!(matches(policy, r#"{"price": 101}"#));
        assert!(matches(policy, r#"{"price": 100.1}"#));
        assert!(!matches(policy, r#"{"price": 100}"#));
        assert!(!matches(policy, r#"{"price": 5e2}"#));
        assert!(matches_body(policy, r#"{"price": [100, 50]}"#), "one element is unlisted");
    }

    #[test]
    fn anything_but_a_single_value_excludes_that_value() {
        assert!(!matches(r#"{"k": [{"anything-but": "rugby"}]}"#, r#"{"k": "rugby"}"#));
        assert!(matches(r#"{"k": [{"anything-but": "rugby"}]}"#, r#"{"k": "tennis"}"#));
        assert!(!matches(r#"{"k": [{"anything-but": 7}]}"#, r#"{"k": 7}"#));
    }

    #[test]
    fn anything_but_matches_present_values_of_another_type() {
        assert!(matches(r#"{"k": [{"anything-but": ["rugby"]}]}"#, r#"{"k": 5}"#));
        assert!(matches_body(r#"{"k": [{"anything-but": ["rugby"]}]}"#, r#"{"k": null}"#));
        assert!(matches(r#"{"k": [{"anything-but": [5]}]}"#, r#"{"k": "5"}"#));
        assert!(!matches_body(r#"{"k": [{"anything-but": ["rugby"]}]}"#, r#"{"k": {"x": "y"}}"#));
    }

    #[test]
    fn anything_but_prefix_rejects_values_with_the_prefix() {
        let policy = r#"{"event": [{"anything-but": {"prefix": "order-"}}]}"#;
        assert!(matches(policy, r#"{"event": "data-entry"}"#));
        assert!(!matches(policy, r#"{"event": "order-cancelled"}"#));
        assert!(!matches(policy, r#"{"event": "order-"}"#));
    }

    #[test]
    fn anything_but_suffix_rejects_values_with_the_suffix() {
        let policy = r#"{"sport": [{"anything-but": {"suffix": "ball"}}]}"#;
        assert!(matches(policy, r#"{"sport": "rugby"}"#));
        assert!(!matches(policy, r#"{"sport": "baseball"}"#));
    }

    #[test]
    fn anything_but_wildcard_rejects_values_matching_the_pattern() {
        let policy = r#"{"sport": [{"anything-but": {"wildcard": "*ball"}}]}"#;
        assert!(matches(policy, r#"{"sport": "rugby"}"#));
        assert!(matches(policy, r#"{"sport": "balloon"}"#));
        assert!(!matches(policy, r#"{"sport": "football"}"#));
    }

    #[test]
    fn anything_but_with_exists_false_also_matches_an_absent_key() {
        let policy = r#"{"sport": [{"anything-but": ["rugby"]}, {"exists": false}]}"#;
        assert!(matches(policy, "{}"));
        assert!(matches(policy, r#"{"sport": "tennis"}"#));
        assert!(!matches(policy, r#"{"sport": "rugby"}"#));
    }

    #[test]
    fn prefix_matches_strings_that_start_with_it() {
        let policy = r#"{"customer_interests": [{"prefix": "bas"}]}"#;
        assert!(matches(policy, r#"{"customer_interests": "baseball"}"#));
        assert!(matches(policy, r#"{"customer_interests": "basketball"}"#));
        assert!(!matches(policy, r#"{"customer_interests": "rebase"}"#));
        assert!(!matches(policy, r#"{"customer_interests": "Baseball"}"#));
        assert!(!matches(r#"{"n": [{"prefix": "12"}]}"#, r#"{"n": 123}"#), "prefix applies to strings only");
    }

    #[test]
    fn suffix_matches_strings_that_end_with_it() {
        let policy = r#"{"customer_interests": [{"suffix": "ball"}]}"#;
        assert!(matches(policy, r#"{"customer_interests": "baseball"}"#));
        assert!(matches(policy, r#"{"customer_interests": "ball"}"#));
        assert!(!matches(policy, r#"{"customer_interests": "balloon"}"#));
    }

    #[test]
    fn equals_ignore_case_ignores_case_only() {
        let policy = r#"{"customer_interests": [{"equals-ignore-case": "tennis"}]}"#;
        assert!(matches(policy, r#"{"customer_interests": "TeNnIs"}"#));
        assert!(matches(policy, r#"{"customer_interests": "TENNIS"}"#));
        assert!(!matches(policy, r#"{"customer_interests": "tennis "}"#));
        assert!(!matches(policy, r#"{"customer_interests": "tenni"}"#));
        assert!(matches(r#"{"k": [{"equals-ignore-case": "ÉTÉ"}]}"#, r#"{"k": "été"}"#), "beyond ASCII too");
    }

    #[test]
    fn wildcard_star_matches_any_run_of_characters() {
        let policy = r#"{"customer_interests": [{"wildcard": "*ball"}]}"#;
        assert!(matches(policy, r#"{"customer_interests": "baseball"}"#));
        assert!(matches(policy, r#"{"customer_interests": "ball"}"#));
        assert!(!matches(policy, r#"{"customer_interests": "balloon"}"#));
        let cases = [
            ("a*c*e", "abcde", true),
            ("a*c*e", "ace", true),
            ("a*c*e", "acd", false),
            ("a*c*e", "abcdef", false),
            ("ab*ba", "aba", false),
            ("ab*ba", "abba", true),
            ("*", "", true),
            ("*", "anything", true),
            ("a**b", "ab", true),
            ("ab", "ab", true),
            ("ab", "abc", false),
            ("*ü*", "grün", true),
        ];
        for (pattern, value, expected) in cases {
            let policy = format!(r#"{{"k": [{{"wildcard": "{pattern}"}}]}}"#);
            assert_eq!(matches(&policy, &format!(r#"{{"k": "{value}"}}"#)), expected, "{pattern} on {value:?}");
        }
    }

    #[test]
    fn numeric_equals_compares_values_not_spelling() {
        let policy = r#"{"price_usd": [{"numeric": ["=", 301.5]}]}"#;
        assert!(matches(policy, r#"{"price_usd": 301.5}"#));
        assert!(matches(policy, r#"{"price_usd": 3.015e2}"#));
        assert!(!matches(policy, r#"{"price_usd": 301.49999}"#));
        assert!(!matches(policy, r#"{"price_usd": "301.5"}"#), "numeric matches numbers only");
    }

    #[test]
    fn numeric_range_checks_both_bounds() {
        let policy = r#"{"price_usd": [{"numeric": [">", 0, "<=", 150]}]}"#;
        assert!(!matches(policy, r#"{"price_usd": 0}"#));
        assert!(matches(policy, r#"{"price_usd": 0.00001}"#));
        assert!(matches(policy, r#"{"price_usd": 150}"#));
        assert!(!matches(policy, r#"{"price_usd": 150.00001}"#));
        let closed = r#"{"price_usd": [{"numeric": [">=", 10, "<", 20]}]}"#;
        assert!(matches(closed, r#"{"price_usd": 10}"#));
        assert!(!matches(closed, r#"{"price_usd": 20}"#));
    }

    #[test]
    fn numeric_one_sided_comparisons_hold_at_and_around_the_bound() {
        let cases = [
            ("<", [true, false, false]),
            ("<=", [true, true, false]),
            (">", [false, false, true]),
            (">=", [false, true, true]),
            ("=", [false, true, false]),
        ];
        for (op, expected) in cases {
            let policy = format!(r#"{{"n": [{{"numeric": ["{op}", 100]}}]}}"#);
            for (value, expected) in [99.99999, 100.0, 100.00001].into_iter().zip(expected) {
                assert_eq!(matches(&policy, &format!(r#"{{"n": {value}}}"#)), expected, "{value} {op} 100");
            }
        }
    }

    #[test]
    fn exists_true_matches_only_present_keys() {
        let policy = r#"{"store": [{"exists": true}]}"#;
        assert!(matches(policy, r#"{"store": "example_corp"}"#));
        assert!(!matches(policy, r#"{"other": "example_corp"}"#));
        assert!(matches(policy, r#"{"store": ""}"#), "an empty string is a value");
        assert!(matches(policy, r#"{"store": ["a"]}"#));
        assert!(!matches(policy, r#"{"store": []}"#), "an empty list holds no value");
    }

    /// AWS's key-matching page: for `"exists": true` "the key must have a non-null and
    /// non-empty value".
    #[test]
    fn exists_true_does_not_match_a_null_value() {
        let policy = r#"{"store": [{"exists": true}]}"#;
        assert!(!matches_body(policy, r#"{"store": null}"#));
        assert!(!matches_body(policy, r#"{"store": [null]}"#));
        assert!(matches_body(policy, r#"{"store": [null, "x"]}"#));
        let pattern = EventPattern::parse(&json(r#"{"detail": {"store": [{"exists": true}]}}"#)).unwrap();
        assert!(!pattern.matches(&json(r#"{"detail": {"store": null}}"#)));
        assert!(pattern.matches(&json(r#"{"detail": {"store": "fans"}}"#)));
    }

    /// "Exists matching only works on leaf nodes. It does not work on intermediate nodes":
    /// EventBridge's own example has `{"exists": false}` match a `c-count` that holds an object.
    #[test]
    fn exists_sees_a_key_holding_an_object_as_absent() {
        let absent = EventPattern::parse(&json(r#"{"detail": {"c-count": [{"exists": false}]}}"#)).unwrap();
        assert!(absent.matches(&json(r#"{"detail": {"state": ["initializing", "running"]}}"#)));
        assert!(absent.matches(&json(r#"{"detail": {"c-count": {"c1": 100}}}"#)));
        assert!(!absent.matches(&json(r#"{"detail": {"c-count": 5}}"#)));
        let present = body_policy(r#"{"store": [{"exists": true}]}"#);
        assert!(!present.matches_body(&json(r#"{"store": {"id": 1}}"#)));
    }

    /// AWS's key-matching page: "`"exists": false` only matches if at least one attribute is
    /// present. An empty set of attributes results in the filter not matching."
    #[test]
    fn a_policy_on_attributes_matches_no_message_without_attributes() {
        let absent = attribute_policy(r#"{"store": [{"exists": false}]}"#);
        assert!(!absent.matches_attributes(&[]));
        assert!(!absent.matches_attributes(&[attr("blob", AttributeValue::Binary)]), "Binary ones are ignored");
        assert!(absent.matches_attributes(&[attr("customer_interests", string("rugby"))]));
        let either = attribute_policy(r#"{"$or": [{"a": [{"exists": false}]}, {"b": [{"exists": false}]}]}"#);
        assert!(!either.matches_attributes(&[]));
        assert!(attribute_policy("{}").matches_attributes(&[]), "a policy that names no key filters nothing out");
    }

    #[test]
    fn exists_false_matches_only_absent_keys() {
        let policy = r#"{"store": [{"exists": false}]}"#;
        assert!(!matches(policy, r#"{"store": "example_corp"}"#));
        assert!(matches(policy, r#"{"other": "example_corp"}"#));
        assert!(matches(policy, "{}"));
        assert!(!matches_body(policy, r#"{"store": null}"#));
    }

    #[test]
    fn cidr_matches_ipv4_addresses_in_the_subnet() {
        let policy = r#"{"source_ip": [{"cidr": "10.0.0.0/24"}]}"#;
        assert!(matches(policy, r#"{"source_ip": "10.0.0.0"}"#));
        assert!(matches(policy, r#"{"source_ip": "10.0.0.255"}"#));
        assert!(!matches(policy, r#"{"source_ip": "10.0.1.0"}"#));
        assert!(!matches(policy, r#"{"source_ip": "9.255.255.255"}"#));
        assert!(!matches(policy, r#"{"source_ip": "not an address"}"#));
        assert!(!matches(policy, r#"{"source_ip": "::ffff:10.0.0.1"}"#), "an IPv6 address is not in an IPv4 block");
        assert!(matches(r#"{"ip": [{"cidr": "0.0.0.0/0"}]}"#, r#"{"ip": "203.0.113.9"}"#));
        assert!(matches(r#"{"ip": [{"cidr": "10.0.0.7/32"}]}"#, r#"{"ip": "10.0.0.7"}"#));
        assert!(matches(r#"{"ip": [{"cidr": "10.0.0.7/24"}]}"#, r#"{"ip": "10.0.0.1"}"#), "host bits ignored");
    }

    #[test]
    fn cidr_matches_ipv6_addresses_in_the_subnet() {
        let policy = r#"{"source_ip": [{"cidr": "2001:db8::/32"}]}"#;
        assert!(matches(policy, r#"{"source_ip": "2001:db8::1"}"#));
        assert!(matches(policy, r#"{"source_ip": "2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff"}"#));
        assert!(!matches(policy, r#"{"source_ip": "2001:db9::"}"#));
        assert!(!matches(policy, r#"{"source_ip": "10.0.0.1"}"#));
    }

    #[test]
    fn null_in_a_body_policy_matches_a_null_value_only() {
        let policy = r#"{"k": [null]}"#;
        assert!(matches_body(policy, r#"{"k": null}"#));
        assert!(!matches_body(policy, "{}"));
        assert!(!matches_body(policy, r#"{"k": "null"}"#));
        assert!(!attribute_policy(policy).matches_attributes(&[attr("k", string("null"))]));
    }

    #[test]
    fn booleans_in_a_body_policy_match_json_booleans() {
        let policy = r#"{"k": [true]}"#;
        assert!(matches_body(policy, r#"{"k": true}"#));
        assert!(!matches_body(policy, r#"{"k": false}"#));
        assert!(!matches_body(policy, r#"{"k": "true"}"#));
        assert!(!attribute_policy(policy).matches_attributes(&[attr("k", string("true"))]));
    }

    // Combining keys and values.

    #[test]
    fn keys_are_anded_and_values_ored() {
        let policy = r#"{"customer_interests": ["rugby", "football"], "price_usd": [{"numeric": [">", 100]}]}"#;
        assert!(matches(policy, r#"{"customer_interests": "rugby", "price_usd": 101}"#));
        assert!(matches(policy, r#"{"customer_interests": "football", "price_usd": 500}"#));
        assert!(!matches(policy, r#"{"customer_interests": "rugby", "price_usd": 100}"#));
        assert!(!matches(policy, r#"{"customer_interests": "rugby"}"#));
        assert!(!matches(policy, r#"{"price_usd": 101}"#));
    }

    #[test]
    fn keys_not_in_the_policy_are_ignored() {
        let policy = r#"{"customer_interests": ["rugby"]}"#;
        assert!(matches(policy, r#"{"customer_interests": "rugby", "store": "example_corp", "price_usd": 5}"#));
    }

    #[test]
    fn a_key_lists_several_operators_ored() {
        let policy = r#"{"k": ["exact", {"prefix": "pre"}, {"numeric": [">", 10]}]}"#;
        assert!(matches(policy, r#"{"k": "exact"}"#));
        assert!(matches(policy, r#"{"k": "prefix"}"#));
        assert!(matches(policy, r#"{"k": 11}"#));
        assert!(!matches(policy, r#"{"k": 10}"#));
        assert!(!matches(policy, r#"{"k": "other"}"#));
    }

    #[test]
    fn empty_policy_matches_every_message() {
        assert!(matches("{}", "{}"));
        assert!(matches("{}", r#"{"k": "v"}"#));
    }

    #[test]
    fn or_matches_when_any_branch_matches() {
        let policy = r#"{"source": ["aws.cloudwatch"],
                         "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}"#;
        assert!(matches(policy, r#"{"source": "aws.cloudwatch", "metricName": "CPUUtilization"}"#));
        assert!(matches(policy, r#"{"source": "aws.cloudwatch", "namespace": "AWS/EC2"}"#));
        assert!(!matches(policy, r#"{"source": "aws.cloudwatch", "metricName": "ReadLatency"}"#));
        assert!(!matches(policy, r#"{"metricName": "CPUUtilization"}"#), "source is still required");
    }

    #[test]
    fn or_branches_can_hold_several_keys_and_nest() {
        let policy = r#"{"$or": [{"a": ["1"], "b": ["2"]},
                                 {"$or": [{"c": ["3"]}, {"d": [{"exists": true}]}]}]}"#;
        assert!(matches(policy, r#"{"a": "1", "b": "2"}"#));
        assert!(!matches(policy, r#"{"a": "1"}"#));
        assert!(matches(policy, r#"{"c": "3"}"#));
        assert!(matches(policy, r#"{"d": "anything"}"#));
        assert!(!matches(policy, r#"{"e": "3"}"#));
    }

    #[test]
    fn or_inside_a_nested_body_key_tests_that_object() {
        let policy = r#"{"detail": {"$or": [{"status": ["FAILED"]}, {"error": [{"exists": true}]}]}}"#;
        assert!(matches_body(policy, r#"{"detail": {"status": "FAILED"}}"#));
        assert!(matches_body(policy, r#"{"detail": {"status": "RUNNING", "error": "x"}}"#));
        assert!(!matches_body(policy, r#"{"detail": {"status": "RUNNING"}, "error": "x"}"#));
    }

    #[test]
    fn or_with_a_reserved_keyword_field_is_an_ordinary_key() {
        // Both objects are operators here, so "$or" is an attribute named "$or".
        let policy = r#"{"$or": [{"prefix": "abc"}, {"suffix": "xyz"}]}"#;
        assert!(matches(policy, r#"{"$or": "abcdef"}"#));
        assert!(matches(policy, r#"{"$or": "uvwxyz"}"#));
        assert!(!matches(policy, r#"{"$or": "mmm"}"#));
        assert!(!matches(policy, r#"{"prefix": "abc"}"#));
        // One reserved field among ordinary ones is enough.
        let mixed = r#"{"$or": [{"a": ["1"]}, {"numeric": ["=", 1]}]}"#;
        assert!(matches!(attribute_error(mixed), PolicyError::Invalid { path, .. } if path == "$or"));
    }

    #[test]
    fn or_example_with_reserved_keywords_is_not_an_or() {
        // AWS's own example: not an `$or` because numeric and prefix are reserved keywords.
        // As an ordinary key its list holds {"numeric": 123}, which is malformed.
        let error = attribute_error(r#"{"$or": [{"numeric": 123}, {"prefix": "abc"}]}"#);
        assert!(matches!(&error, PolicyError::Invalid { path, .. } if path == "$or"), "{error}");
    }

    #[test]
    fn or_with_fewer_than_two_objects_is_an_ordinary_key() {
        assert!(matches(r#"{"$or": [{"prefix": "a"}]}"#, r#"{"$or": "ab"}"#));
        let error = attribute_error(r#"{"$or": [{"a": ["x"]}]}"#);
        assert_eq!(
            error.to_string(),
            format!("key `$or`: unknown operator `a`; known: {}", RESERVED_KEYWORDS.join(", "))
        );
        assert!(matches!(attribute_error(r#"{"$or": [{"a": ["x"]}, "b"]}"#), PolicyError::Invalid { .. }));
        assert!(matches(r#"{"$or": ["x", "y"]}"#, r#"{"$or": "y"}"#));
    }

    // Message bodies.

    #[test]
    fn nested_body_keys_match_nested_properties() {
        let policy = r#"{"order": {"customer": {"tier": ["gold"]}}, "kind": ["order"]}"#;
        assert!(matches_body(policy, r#"{"kind": "order", "order": {"id": 7, "customer": {"tier": "gold"}}}"#));
        assert!(!matches_body(policy, r#"{"kind": "order", "order": {"customer": {"tier": "silver"}}}"#));
        assert!(!matches_body(policy, r#"{"kind": "order", "order": {"tier": "gold"}}"#));
        assert!(!matches_body(policy, r#"{"kind": "order", "tier": "gold"}"#));
        assert!(!matches_body(policy, r#"{"kind": "order", "order": "gold"}"#));
    }

    #[test]
    fn nested_exists_false_matches_when_the_parent_is_absent() {
        let policy = r#"{"a": {"b": [{"exists": false}]}}"#;
        assert!(matches_body(policy, "{}"));
        assert!(matches_body(policy, r#"{"a": {"c": 1}}"#));
        assert!(matches_body(policy, r#"{"a": 5}"#));
        assert!(!matches_body(policy, r#"{"a": {"b": null}}"#));
    }

    #[test]
    fn nested_keys_must_hold_within_one_element_of_an_array_of_objects() {
        let policy = r#"{"items": {"sku": ["A"], "qty": [{"numeric": [">", 1]}]}}"#;
        assert!(matches_body(policy, r#"{"items": [{"sku": "B", "qty": 5}, {"sku": "A", "qty": 2}]}"#));
        assert!(!matches_body(policy, r#"{"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 5}]}"#));
    }

    #[test]
    fn body_arrays_are_tested_element_by_element() {
        assert!(matches_body(r#"{"k": [3]}"#, r#"{"k": [1, 2, 3]}"#));
        assert!(matches_body(r#"{"k": [{"numeric": [">", 2]}]}"#, r#"{"k": [1, "x", 3]}"#));
        assert!(!matches_body(r#"{"k": [3]}"#, r#"{"k": [[3]]}"#), "nested arrays hold no leaf values");
        assert!(!matches_body(r#"{"k": ["x"]}"#, r#"{"k": {"x": "x"}}"#), "an object is not a value");
    }

    #[test]
    fn a_body_that_is_not_an_object_matches_nothing() {
        let policy = body_policy(r#"{"k": [{"exists": false}]}"#);
        assert!(policy.matches_body(&json("{}")));
        for body in [r#""text""#, "[]", "null", "5"] {
            assert!(!policy.matches_body(&json(body)), "{body}");
        }
    }

    #[test]
    #[should_panic(expected = "a message-body policy was asked about attributes")]
    fn asking_a_body_policy_about_attributes_is_a_bug() {
        body_policy(r#"{"k": ["v"]}"#).matches_attributes(&[]);
    }

    // Limits, each with its computed value.

    #[test]
    fn five_keys_are_allowed_and_six_are_not() {
        let five = r#"{"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"]}"#;
        let six = r#"{"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"]}"#;
        assert!(parse(five, Scope::MessageAttributes).is_ok());
        assert_eq!(attribute_error(six), PolicyError::TooManyKeys { keys: 6 });
        assert_eq!(body_error(six).to_string(), "6 keys exceed 5");
    }

    #[test]
    fn a_body_policy_counts_only_top_level_keys() {
        let policy = r#"{"a": {"b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"], "g": ["1"]}}"#;
        assert!(parse(policy, Scope::MessageBody).is_ok());
    }

    #[test]
    fn or_adds_the_keys_of_its_widest_branch() {
        let five = r#"{"a": ["1"], "b": ["1"], "f": ["1"], "$or": [{"c": ["1"], "d": ["1"]}, {"e": ["1"]}]}"#;
        assert_eq!(body_policy(five).root.key_count(), 5);
        let six =
            r#"{"a": ["1"], "b": ["1"], "c": ["1"], "$or": [{"d": ["1"], "e": ["1"], "f": ["1"]}, {"g": ["1"]}]}"#;
        assert_eq!(attribute_error(six), PolicyError::TooManyKeys { keys: 6 });
    }

    #[test]
    fn complexity_is_the_product_of_value_list_lengths() {
        let at_limit = format!(r#"{{"a": {}, "b": {}, "c": {}}}"#, list(3), list(5), list(10));
        assert_eq!(attribute_policy(&at_limit).root.complexity(1), 150);
        let over = format!(r#"{{"a": {}, "b": {}, "c": {}}}"#, list(3), list(6), list(10));
        assert_eq!(attribute_error(&over), PolicyError::TooComplex { complexity: 180 });
        assert_eq!(attribute_error(&over).to_string(), "complexity 180 exceeds 150");
        // Operands of operators are not value lists.
        assert_eq!(complexity_of(r#"{"a": [{"numeric": [">", 0, "<=", 150]}, {"anything-but": [1, 2, 3]}]}"#), 2);
    }

    #[test]
    fn complexity_multiplies_each_nested_list_by_its_nesting_level() {
        let policy = format!(r#"{{"a": {{"b": {{"c": {}}}}}, "d": {{"e": {}}}, "f": {}}}"#, list(4), list(3), list(3));
        // (3 × 4) × (2 × 3) × (1 × 3)
        assert_eq!(body_error(&policy), PolicyError::TooComplex { complexity: 216 });
        assert_eq!(complexity_of(&format!(r#"{{"a": {{"b": {}}}}}"#, list(75))), 150);
        assert_eq!(
            body_error(&format!(r#"{{"a": {{"b": {}}}}}"#, list(76))),
            PolicyError::TooComplex { complexity: 152 }
        );
        assert_eq!(complexity_of(&format!(r#"{{"a": {}}}"#, list(76))), 76);
    }

    #[test]
    fn complexity_with_or_is_the_sum_over_the_branches() {
        let branches = |last: usize| {
            format!(
                r#"{{"source": {}, "$or": [{{"a": {}}}, {{"b": {}}}, {{"c": {}}}]}}"#,
                list(10),
                list(5),
                list(5),
                list(last)
            )
        };
        // 10 × (5 + 5 + 5); a product over all keys would be 1,250.
        assert_eq!(complexity_of(&branches(5)), 150);
        assert_eq!(attribute_error(&branches(6)), PolicyError::TooComplex { complexity: 160 });
        // Inside a nested key the branches' lists sit at level 2: 2 × 3 + 2 × 4.
        assert_eq!(complexity_of(&format!(r#"{{"d": {{"$or": [{{"a": {}}}, {{"b": {}}}]}}}}"#, list(3), list(4))), 14);
    }

    #[test]
    fn a_policy_over_256_kb_is_rejected() {
        let policy = json(r#"{"k": ["v"]}"#);
        assert!(FilterPolicy::parse(&policy, Scope::MessageBody, 262_144).is_ok());
        let error = FilterPolicy::parse(&policy, Scope::MessageBody, 262_145).unwrap_err();
        assert_eq!(error, PolicyError::TooLarge { size_bytes: 262_145 });
        assert_eq!(error.to_string(), "policy size 262145 bytes exceeds 262144 bytes (256 KB)");
    }

    #[test]
    fn numbers_beyond_a_billion_are_rejected() {
        assert!(parse(r#"{"price": [1000000000, -1000000000]}"#, Scope::MessageAttributes).is_ok());
        let error = attribute_error(r#"{"price": [1000000001]}"#);
        assert_eq!(error, PolicyError::NumberOutOfRange { path: "price".into(), value: 1_000_000_001.0 });
        assert_eq!(error.to_string(), "key `price`: number 1000000001 is outside ±1000000000");
        for policy in [
            r#"{"price": [{"numeric": [">", -1e10]}]}"#,
            r#"{"price": [{"numeric": [">", 0, "<", 2e9]}]}"#,
            r#"{"price": [{"anything-but": [2e9]}]}"#,
        ] {
            assert!(matches!(attribute_error(policy), PolicyError::NumberOutOfRange { .. }), "{policy}");
        }
    }

    #[test]
    fn numbers_with_more_than_five_decimals_are_rejected() {
        for fine in ["0.12345", "1e-5", "999999999.99999", "-0.1", "3.015e2"] {
            assert!(parse(&format!(r#"{{"n": [{fine}]}}"#), Scope::MessageBody).is_ok(), "{fine}");
        }
        let error = body_error(r#"{"n": [0.123456]}"#);
        assert_eq!(error, PolicyError::TooManyDecimals { path: "n".into(), value: 0.123456 });
        assert_eq!(error.to_string(), "key `n`: number 0.123456 has more than 5 decimal places");
        assert!(matches!(body_error(r#"{"n": [{"numeric": ["=", 1e-6]}]}"#), PolicyError::TooManyDecimals { .. }));
    }

    #[test]
    fn a_message_attributes_policy_cannot_nest() {
        assert_eq!(attribute_error(r#"{"a": {"b": ["x"]}}"#), PolicyError::NestedInAttributeScope { path: "a".into() });
        assert_eq!(
            attribute_error(r#"{"$or": [{"x": ["1"]}, {"y": {"z": ["1"]}}]}"#),
            PolicyError::NestedInAttributeScope { path: "$or[1].y".into() }
        );
    }

    #[test]
    fn errors_name_the_offending_key_path() {
        let error = body_error(r#"{"a": {"b": [{"prefix": 1}]}}"#);
        assert_eq!(error.to_string(), "key `a.b`: `prefix` takes a string");
        assert_eq!(
            body_error(r#"{"$or": [{"x": ["1"]}, {"y": {"z": [1e10]}}]}"#),
            PolicyError::NumberOutOfRange { path: "$or[1].y.z".into(), value: 1e10 }
        );
        assert_eq!(body_error("[]").to_string(), "policy: must be a JSON object");
    }

    #[test]
    fn malformed_policies_are_rejected() {
        let malformed = [
            r#"{"a": "x"}"#,
            r#"{"a": 1}"#,
            r#"{"a": []}"#,
            r#"{"a": [["x"]]}"#,
            r#"{"a": [{}]}"#,
            r#"{"a": {}}"#,
            r#"{"a": ["x"], "a": ["y"]}"#,
            r#"{"a": [{"prefix": "x", "suffix": "y"}]}"#,
            r#"{"a": [{"anything-but": ["x"], "exists": false}]}"#,
            r#"{"a": [{"bogus": "x"}]}"#,
            r#"{"a": [{"exists": "yes"}]}"#,
            r#"{"a": [{"wildcard": 1}]}"#,
            r#"{"a": [{"equals-ignore-case": ["x"]}]}"#,
            r#"{"a": [{"numeric": 1}]}"#,
            r#"{"a": [{"numeric": [">", "1"]}]}"#,
            r#"{"a": [{"numeric": ["!=", 1]}]}"#,
            r#"{"a": [{"numeric": ["<", 1, ">", 0]}]}"#,
            r#"{"a": [{"numeric": ["=", 1, "<", 2]}]}"#,
            r#"{"a": [{"numeric": [">", 1, "<"]}]}"#,
            r#"{"a": [{"cidr": "10.0.0.0"}]}"#,
            r#"{"a": [{"cidr": "10.0.0.0/33"}]}"#,
            r#"{"a": [{"cidr": "::/129"}]}"#,
            r#"{"a": [{"cidr": "10.0.0/8"}]}"#,
            r#"{"a": [{"anything-but": []}]}"#,
            r#"{"a": [{"anything-but": [1, "x"]}]}"#,
            r#"{"a": [{"anything-but": [true]}]}"#,
            r#"{"a": [{"anything-but": {"equals-ignore-case": "x"}}]}"#,
            r#"{"a": [{"anything-but": {"prefix": 1}}]}"#,
            r#"{"$or": [{"a": ["x"]}, {}]}"#,
        ];
        for policy in malformed {
            let error = body_error(policy);
            assert!(matches!(error, PolicyError::Invalid { .. }), "{policy}: {error}");
        }
    }

    // EventBridge.

    #[test]
    fn event_pattern_matches_fields_anywhere_in_the_event() {
        // The Step Functions status-change events of reference §5.1.
        let pattern = EventPattern::parse(&json(
            r#"{"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
                "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"]}}"#,
        ))
        .unwrap();
        let event = |status: &str| {
            json(&format!(
                r#"{{"version": "0", "source": "aws.states", "detail-type": "Step Functions Execution Status Change",
                    "detail": {{"executionArn": "arn:aws:states:us-east-1:1:execution:m:e", "status": "{status}"}}}}"#
            ))
        };
        assert!(pattern.matches(&event("FAILED")));
        assert!(pattern.matches(&event("TIMED_OUT")));
        assert!(!pattern.matches(&event("SUCCEEDED")));
        assert!(!pattern.matches(&json(r#""not an event""#)));
    }

    #[test]
    fn event_patterns_are_not_held_to_sns_quotas() {
        let wide = format!(
            r#"{{"a": {}, "b": {}, "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"], "g": ["1"]}}"#,
            list(20),
            list(20)
        );
        assert!(matches!(body_error(&wide), PolicyError::TooManyKeys { keys: 7 }));
        let pattern = EventPattern::parse(&json(&wide)).unwrap();
        assert!(pattern.matches(&json(r#"{"a": "v3", "b": "v19", "c": "1", "d": "1", "e": "1", "f": "1", "g": "1"}"#)));
        // The grammar and the number rule are shared.
        assert!(matches!(
            EventPattern::parse(&json(r#"{"a": [0.1234567]}"#)),
            Err(PolicyError::TooManyDecimals { .. })
        ));
        assert!(matches!(EventPattern::parse(&json(r#"{"a": "x"}"#)), Err(PolicyError::Invalid { .. })));
    }

    fn pattern(text: &str) -> EventPattern {
        EventPattern::parse(&json(text)).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    /// Whether `pattern` matches the event `{"detail": {"k": value}}`.
    fn pattern_matches(pattern_text: &str, value: &str) -> bool {
        pattern(&format!(r#"{{"detail": {{"k": {pattern_text}}}}}"#))
            .matches(&json(&format!(r#"{{"detail": {{"k": "{value}"}}}}"#)))
    }

    #[test]
    fn event_pattern_prefix_and_suffix_can_ignore_case() {
        // EventBridge's examples: "EventB" and ".png" in any casing.
        let prefix = r#"[{"prefix": {"equals-ignore-case": "EventB"}}]"#;
        for value in ["EventBridge", "EVENTBRIDGE", "eventbus"] {
            assert!(pattern_matches(prefix, value), "{value}");
        }
        assert!(!pattern_matches(prefix, "Event"), "shorter than the prefix");
        assert!(!pattern_matches(prefix, "MyEventBridge"));
        let suffix = r#"[{"suffix": {"equals-ignore-case": ".png"}}]"#;
        for (value, expected) in [("photo.PNG", true), ("photo.png", true), (".Png", true), ("photo.jpg", false)] {
            assert_eq!(pattern_matches(suffix, value), expected, "{value}");
        }
        assert!(pattern_matches(r#"[{"prefix": {"equals-ignore-case": "ÉT"}}]"#, "été"), "beyond ASCII too");
        let numbers = pattern(r#"{"k": [{"prefix": {"equals-ignore-case": "12"}}]}"#);
        assert!(!numbers.matches(&json(r#"{"k": 123}"#)), "strings only");
    }

    #[test]
    fn event_pattern_anything_but_can_ignore_case() {
        let one = r#"[{"anything-but": {"equals-ignore-case": "initializing"}}]"#;
        assert!(!pattern_matches(one, "INITIALIZING"));
        assert!(!pattern_matches(one, "Initializing"));
        assert!(pattern_matches(one, "running"));
        let list = r#"[{"anything-but": {"equals-ignore-case": ["Stopped", "overloaded"]}}]"#;
        assert!(!pattern_matches(list, "stopped"));
        assert!(!pattern_matches(list, "OVERLOADED"));
        assert!(pattern_matches(list, "running"));
        let number = pattern(r#"{"k": [{"anything-but": {"equals-ignore-case": "x"}}]}"#);
        assert!(number.matches(&json(r#"{"k": 5}"#)), "a present value of another type");
        assert!(!number.matches(&json("{}")), "the key must be present");
    }

    /// The pattern `{"k": [{operator: pattern}]}`, built directly so that backslashes need
    /// no JSON escaping in the test.
    fn wildcard_pattern(operator: &str, wildcard: &str) -> Result<EventPattern, PolicyError> {
        let test = Json::Object(vec![("wildcard".to_owned(), Json::String(wildcard.to_owned()))]);
        let entry = if operator == "wildcard" { test } else { Json::Object(vec![(operator.to_owned(), test)]) };
        EventPattern::parse(&Json::Object(vec![("k".to_owned(), Json::Array(vec![entry]))]))
    }

    fn string_event(value: &str) -> Json {
        Json::Object(vec![("k".to_owned(), Json::String(value.to_owned()))])
    }

    #[test]
    fn event_pattern_wildcards_take_escapes() {
        let cases = [
            ("dir/*.png", "dir/a.png", true),
            ("dir/*.png", "dir/a/b.png", true),
            ("*/lib/*", "/usr/lib/x", true),
            (r"a\*b", "a*b", true),
            (r"a\*b", "axb", false),
            (r"a\\*", r"a\tail", true),
            (r"a\\*", "atail", false),
            (r"*\**", "x*y", true),
            (r"*\**", "xy", false),
        ];
        for (wildcard, value, expected) in cases {
            let pattern = wildcard_pattern("wildcard", wildcard).unwrap();
            assert_eq!(pattern.matches(&string_event(value)), expected, "{wildcard} on {value}");
        }
        let negated = wildcard_pattern("anything-but", "*/lib/*").unwrap();
        assert!(!negated.matches(&string_event("/usr/lib/x")));
        assert!(negated.matches(&string_event("/usr/bin/x")));
    }

    #[test]
    fn event_pattern_wildcards_refuse_consecutive_stars_and_other_escapes() {
        assert_eq!(
            wildcard_pattern("wildcard", "a**b").unwrap_err().to_string(),
            r#"key `k`: wildcard "a**b": consecutive wildcard characters are not allowed"#
        );
        assert!(wildcard_pattern("anything-but", "**").unwrap_err().to_string().contains("consecutive"));
        for bad in [r"a\b", r"a\"] {
            let error = wildcard_pattern("wildcard", bad).unwrap_err().to_string();
            assert!(error.contains("a backslash escapes only `*` or a backslash"), "{bad}: {error}");
        }
        // An escaped star next to a wildcard is not two wildcards.
        assert!(wildcard_pattern("wildcard", r"*\**").is_ok());
    }

    #[test]
    fn sns_policies_do_not_take_eventbridge_only_forms() {
        for policy in [
            r#"{"k": [{"prefix": {"equals-ignore-case": "ab"}}]}"#,
            r#"{"k": [{"suffix": {"equals-ignore-case": "ab"}}]}"#,
            r#"{"k": [{"anything-but": {"equals-ignore-case": ["ab"]}}]}"#,
        ] {
            assert!(matches!(body_error(policy), PolicyError::Invalid { .. }), "{policy}");
            assert!(EventPattern::parse(&json(policy)).is_ok(), "{policy}");
        }
        // SNS reads a wildcard pattern as written, consecutive stars included.
        assert!(matches(r#"{"k": [{"wildcard": "a**b"}]}"#, r#"{"k": "ab"}"#));
    }

    // Explaining a mismatch.

    fn mismatch(path: &str, expected: &str, found: &str) -> Option<Mismatch> {
        Some(Mismatch { path: path.into(), expected: expected.into(), found: found.into() })
    }

    #[test]
    fn a_mismatch_names_the_first_failing_key_with_what_it_expected_and_found() {
        let policy = body_policy(r#"{"kind": ["order"], "order": {"customer": {"tier": ["gold", "platinum"]}}}"#);
        assert_eq!(policy.explain_body(&json(r#"{"kind": "order", "order": {"customer": {"tier": "gold"}}}"#)), None);
        assert_eq!(
            policy.explain_body(&json(r#"{"kind": "order", "order": {"customer": {"tier": "silver"}}}"#)),
            mismatch("order.customer.tier", r#"["gold", "platinum"]"#, r#""silver""#)
        );
        assert_eq!(
            policy.explain_body(&json(r#"{"kind": "refund"}"#)),
            mismatch("kind", r#"["order"]"#, r#""refund""#)
        );
        assert_eq!(
            policy.explain_body(&json(r#"{"kind": "order"}"#)),
            mismatch("order.customer.tier", r#"["gold", "platinum"]"#, "no such key")
        );
        assert_eq!(
            policy.explain_body(&json("[1]")),
            mismatch("", "a JSON object", "[1] (a message that is not a JSON object matches no policy)")
        );
    }

    #[test]
    fn a_mismatch_on_attributes_shows_the_attribute_as_json() {
        let policy = attribute_policy(r#"{"price_usd": [{"numeric": [">=", 100]}], "interests": ["rugby"]}"#);
        let attributes = [
            attr("price_usd", AttributeValue::Number(210.75)),
            attr("interests", AttributeValue::StringArray(vec!["soccer".into(), "hockey".into()])),
        ];
        assert_eq!(
            policy.explain_attributes(&attributes),
            mismatch("interests", r#"["rugby"]"#, r#"["soccer", "hockey"]"#)
        );
        assert_eq!(
            policy.explain_attributes(&[attr("interests", AttributeValue::Binary), attr("x", string("y"))]),
            mismatch("price_usd", r#"[{"numeric": [">=", 100]}]"#, "no such attribute")
        );
        assert_eq!(
            policy.explain_attributes(&[]),
            mismatch(
                "price_usd",
                r#"[{"numeric": [">=", 100]}]"#,
                "no message attributes (a policy on attributes matches no message without any)"
            )
        );
    }

    #[test]
    fn a_failed_or_reports_each_branch() {
        let policy = body_policy(r#"{"$or": [{"a": ["1"]}, {"b": [{"exists": true}]}]}"#);
        assert_eq!(
            policy.explain_body(&json(r#"{"a": "2"}"#)),
            mismatch(
                "$or",
                "one of its 2 branches to match",
                r#"`a` expected ["1"], found "2"; `b` expected [{"exists": true}], found no such key"#
            )
        );
        let event = pattern(r#"{"detail": {"$or": [{"x": [1]}, {"y": [2]}]}}"#);
        assert_eq!(event.explain(&json(r#"{"detail": {"x": 1}}"#)), None);
        assert_eq!(event.explain(&json(r#"{"detail": {}}"#)).map(|m| m.path), Some("detail.$or".to_owned()));
    }

    // Robustness.

    /// SplitMix64: a fixed stream, so the test is the same on every run.
    struct Stream(u64);

    impl Stream {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<T: Copy>(&mut self, items: &[T]) -> T {
            items[self.below(items.len())]
        }
    }

    const WORDS: [&str; 20] = [
        "a",
        "b",
        "c",
        "$or",
        "prefix",
        "anything-but",
        "numeric",
        "exists",
        "",
        "*",
        "a*b**",
        "10.0.0.0/24",
        "::1/128",
        "10.0.0.7",
        "::1",
        ">=",
        "<",
        "=",
        "Straße",
        "ÉTÉ",
    ];
    const NUMBERS: [f64; 13] =
        [0.0, -0.0, 1.0, 301.5, 1e9, -1e9, 1e10, 0.123456, 1e-5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 150.0];
    const OPERATORS: [&str; 9] =
        ["anything-but", "prefix", "suffix", "equals-ignore-case", "wildcard", "numeric", "exists", "cidr", "bogus"];
    const KEYS: [&str; 5] = ["a", "b", "c", "$or", "x"];

    fn arbitrary(stream: &mut Stream, depth: usize) -> Json {
        match stream.below(if depth == 0 { 4 } else { 6 }) {
            0 => Json::Null,
            1 => Json::Bool(stream.below(2) == 0),
            2 => Json::Number(stream.pick(&NUMBERS)),
            3 => Json::String(stream.pick(&WORDS).to_owned()),
            4 => Json::Array((0..stream.below(4)).map(|_| arbitrary(stream, depth - 1)).collect()),
            _ => Json::Object(
                (0..stream.below(4)).map(|_| (stream.pick(&WORDS).to_owned(), arbitrary(stream, depth - 1))).collect(),
            ),
        }
    }

    /// Mostly policy-shaped trees, so that many compile and the matcher gets exercised.
    fn arbitrary_policy(stream: &mut Stream, depth: usize) -> Json {
        let fields = (0..stream.below(4))
            .map(|_| {
                let name = stream.pick(&KEYS).to_owned();
                let value = match stream.below(if depth == 0 { 3 } else { 5 }) {
                    0 | 1 => Json::Array((0..1 + stream.below(3)).map(|_| arbitrary_entry(stream)).collect()),
                    2 => arbitrary(stream, 2),
                    3 => arbitrary_policy(stream, depth - 1),
                    _ => Json::Array((0..stream.below(4)).map(|_| arbitrary_policy(stream, depth - 1)).collect()),
                };
                (name, value)
            })
            .collect();
        Json::Object(fields)
    }

    fn arbitrary_entry(stream: &mut Stream) -> Json {
        if stream.below(3) == 0 {
            return arbitrary(stream, 0);
        }
        let operator = stream.pick(&OPERATORS);
        let operand = if stream.below(4) == 0 { arbitrary(stream, 2) } else { arbitrary_operand(stream, operator) };
        Json::Object(vec![(operator.to_owned(), operand)])
    }

    fn arbitrary_operand(stream: &mut Stream, operator: &str) -> Json {
        let word = |stream: &mut Stream| Json::String(stream.pick(&WORDS).to_owned());
        let number = |stream: &mut Stream| Json::Number(stream.pick(&NUMBERS));
        let comparison = |stream: &mut Stream| Json::String(stream.pick(&["=", "<", "<=", ">", ">="]).to_owned());
        match operator {
            "exists" => Json::Bool(stream.below(2) == 0),
            "numeric" if stream.below(2) == 0 => Json::Array(vec![comparison(stream), number(stream)]),
            "numeric" => Json::Array(vec![comparison(stream), number(stream), comparison(stream), number(stream)]),
            "anything-but" => match stream.below(3) {
                0 => Json::Array((0..1 + stream.below(3)).map(|_| word(stream)).collect()),
                1 => Json::Array((0..1 + stream.below(3)).map(|_| number(stream)).collect()),
                _ => Json::Object(vec![(stream.pick(&["prefix", "suffix", "wildcard"]).to_owned(), word(stream))]),
            },
            _ => word(stream),
        }
    }

    fn arbitrary_body(stream: &mut Stream) -> Json {
        Json::Object((0..stream.below(5)).map(|_| (stream.pick(&KEYS).to_owned(), arbitrary(stream, 3))).collect())
    }

    fn arbitrary_attributes(stream: &mut Stream) -> Vec<(String, AttributeValue)> {
        (0..stream.below(5))
            .map(|_| {
                let value = match stream.below(4) {
                    0 => string(stream.pick(&WORDS)),
                    1 => AttributeValue::StringArray(
                        (0..stream.below(3)).map(|_| stream.pick(&WORDS).to_owned()).collect(),
                    ),
                    2 => AttributeValue::Number(stream.pick(&NUMBERS)),
                    _ => AttributeValue::Binary,
                };
                (stream.pick(&KEYS).to_owned(), value)
            })
            .collect()
    }

    #[test]
    fn arbitrary_small_trees_never_panic() {
        let mut stream = Stream(0x5EED);
        let (mut compiled, mut matched, mut missed) = (0, 0, 0);
        for round in 0..20_000 {
            let policy = if round % 4 == 0 { arbitrary(&mut stream, 4) } else { arbitrary_policy(&mut stream, 2) };
            for scope in [Scope::MessageAttributes, Scope::MessageBody] {
                let filter = match FilterPolicy::parse(&policy, scope, 1_000) {
                    Ok(filter) => filter,
                    Err(error) => {
                        assert!(!error.to_string().is_empty());
                        continue;
                    }
                };
                compiled += 1;
                for _ in 0..4 {
                    let (hit, explained) = match scope {
                        Scope::MessageAttributes => {
                            let attributes = arbitrary_attributes(&mut stream);
                            (filter.matches_attributes(&attributes), filter.explain_attributes(&attributes))
                        }
                        Scope::MessageBody => {
                            let body = arbitrary_body(&mut stream);
                            (filter.matches_body(&body), filter.explain_body(&body))
                        }
                    };
                    assert_eq!(hit, explained.is_none(), "a mismatch is explained exactly when there is one");
                    matched += usize::from(hit);
                    missed += usize::from(!hit);
                }
            }
            if let Ok(pattern) = EventPattern::parse(&policy) {
                for event in [arbitrary_body(&mut stream), arbitrary(&mut stream, 3)] {
                    assert_eq!(pattern.matches(&event), pattern.explain(&event).is_none());
                }
            }
        }
        assert!(compiled > 5_000, "only {compiled} policies compiled; the generator should exercise matching");
        assert!(matched > 1_000 && missed > 1_000, "{matched} matches, {missed} misses: both answers should occur");
    }
}
