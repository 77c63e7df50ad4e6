//! JSON text into [`Json`], for the models' unit tests: policies, patterns and definitions
//! read there as AWS writes them. `serde_json` stays in `scenario` and `report`
//! (tests/tidy.rs checks it), so this small reader does the job. It is strict JSON, keeps
//! object keys in order and keeps repeated keys, which the duplicate-key tests need.

use crate::models::filter_policy::Json;

/// Parses `text`, panicking with the byte offset on anything that is not JSON.
pub fn json(text: &str) -> Json {
    let mut reader = JsonReader { bytes: text.as_bytes(), at: 0 };
    let value = reader.value();
    reader.skip_space();
    assert_eq!(reader.at, text.len(), "trailing text at byte {}", reader.at);
    value
}

struct JsonReader<'t> {
    bytes: &'t [u8],
    at: usize,
}

impl JsonReader<'_> {
    fn skip_space(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> u8 {
        self.skip_space();
        *self.bytes.get(self.at).unwrap_or_else(|| panic!("unexpected end of JSON"))
    }

    fn expect(&mut self, byte: u8) {
        assert_eq!(self.peek(), byte, "expected {:?} at byte {}", byte as char, self.at);
        self.at += 1;
    }

    /// After an item: true if another follows, false at the closing `end`.
    fn more(&mut self, end: u8) -> bool {
        if self.peek() == b',' {
            self.at += 1;
            return true;
        }
        self.expect(end);
        false
    }

    fn value(&mut self) -> Json {
        match self.peek() {
            b'{' => {
                self.at += 1;
                let mut fields = Vec::new();
                if self.peek() == b'}' {
                    self.at += 1;
                    return Json::Object(fields);
                }
                loop {
                    let key = self.string();
                    self.expect(b':');
                    fields.push((key, self.value()));
                    if !self.more(b'}') {
                        return Json::Object(fields);
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if self.peek() == b']' {
                    self.at += 1;
                    return Json::Array(items);
                }
                loop {
                    items.push(self.value());
                    if !self.more(b']') {
                        return Json::Array(items);
                    }
                }
            }
            b'"' => Json::String(self.string()),
            b't' => self.word("true", Json::Bool(true)),
            b'f' => self.word("false", Json::Bool(false)),
            b'n' => self.word("null", Json::Null),
            _ => {
                let start = self.at;
                while self.bytes.get(self.at).is_some_and(|b| b"+-.eE0123456789".contains(b)) {
                    self.at += 1;
                }
                let text = std::str::from_utf8(&self.bytes[start..self.at]).unwrap();
                Json::Number(text.parse().unwrap_or_else(|_| panic!("bad number {text:?} at byte {start}")))
            }
        }
    }

    fn word(&mut self, word: &str, value: Json) -> Json {
        assert!(self.bytes[self.at..].starts_with(word.as_bytes()), "bad literal at byte {}", self.at);
        self.at += word.len();
        value
    }

    fn string(&mut self) -> String {
        self.expect(b'"');
        let mut out = Vec::new();
        loop {
            let byte = self.bytes[self.at];
            self.at += 1;
            match byte {
                b'"' => return String::from_utf8(out).unwrap(),
                b'\\' => {
                    let escaped = self.bytes[self.at];
                    self.at += 1;
                    let c = match escaped {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let hex = std::str::from_utf8(&self.bytes[self.at..self.at + 4]).unwrap();
                            self.at += 4;
                            char::from_u32(u32::from_str_radix(hex, 16).unwrap()).unwrap()
                        }
                        other => other as char,
                    };
                    out.extend(c.to_string().bytes());
                }
                _ => out.push(byte),
            }
        }
    }
}
