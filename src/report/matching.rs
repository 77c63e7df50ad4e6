//! `orchsim match`'s answers: for each message, `match`, or `no match` with the first key
//! that failed, what the policy expected there and what the message holds; as a line of
//! text or a line of JSON.

use crate::models::filter_policy::Mismatch;

/// `match`, or `no match: key `PATH`: expected …, found …`.
pub fn match_text(mismatch: Option<&Mismatch>) -> String {
    match mismatch {
        None => "match".to_owned(),
        Some(m) if m.path.is_empty() => format!("no match: expected {}, found {}", m.expected, m.found),
        Some(m) => format!("no match: key `{}`: expected {}, found {}", m.path, m.expected, m.found),
    }
}

/// `{"line": …, "matched": …, "failed_key": …, "expected": …, "found": …}` on one line;
/// `line` is where the message starts in its file (from 1). The last three are null for a
/// match; `failed_key` is "" when the message as a whole fails (a body that is not an
/// object).
pub fn match_json(line: usize, mismatch: Option<&Mismatch>) -> String {
    // Written out rather than through a JSON map, whose keys would come out sorted.
    match mismatch {
        None => format!(r#"{{"line":{line},"matched":true,"failed_key":null,"expected":null,"found":null}}"#),
        Some(m) => format!(
            r#"{{"line":{line},"matched":false,"failed_key":{},"expected":{},"found":{}}}"#,
            quoted(&m.path),
            quoted(&m.expected),
            quoted(&m.found)
        ),
    }
}

/// `text` as a JSON string.
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mismatch(path: &str) -> Mismatch {
        Mismatch { path: path.into(), expected: r#"["gold"]"#.into(), found: r#""silver""#.into() }
    }

    #[test]
    fn text_answers_name_the_failed_key() {
        assert_eq!(match_text(None), "match");
        assert_eq!(
            match_text(Some(&mismatch("customer.tier"))),
            r#"no match: key `customer.tier`: expected ["gold"], found "silver""#
        );
        assert_eq!(match_text(Some(&mismatch(""))), r#"no match: expected ["gold"], found "silver""#);
    }

    #[test]
    fn json_answers_keep_a_fixed_key_order() {
        assert_eq!(match_json(3, None), r#"{"line":3,"matched":true,"failed_key":null,"expected":null,"found":null}"#);
        assert_eq!(
            match_json(1, Some(&mismatch("tier"))),
            r#"{"line":1,"matched":false,"failed_key":"tier","expected":"[\"gold\"]","found":"\"silver\""}"#
        );
    }
}
