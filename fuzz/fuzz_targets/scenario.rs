//! The scenario reader and validator on any bytes: an error, never a panic. The scenario's
//! HTTP/S delivery policies, filter policies written as tables and every other key are read
//! here too. Files a scenario names resolve against scenarios/ (the seed corpus's home).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let _ = orchsim::scenario::Scenario::from_text("fuzz.toml", text, &dir, &[]);
    }
});
