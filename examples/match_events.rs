//! Writes EventBridge events as JSON Lines, and an event pattern, for measuring `orchsim
//! match` as a whole process:
//!
//! ```text
//! cargo run --release --example match_events -- 1000000 /tmp/events.jsonl /tmp/pattern.json
//! /usr/bin/time ./target/release/orchsim match --pattern /tmp/pattern.json --event /tmp/events.jsonl --json > /dev/null
//! ```
//!
//! The events are about 400 bytes each, shaped like a shop's order events (envelope,
//! `resources`, a nested `detail` with a number, a customer object and a list), from a fixed
//! stream, so the same count always gives the same file. The pattern uses a prefix ignoring
//! case, a numeric range, a nested list of values and a wildcard; about one in eight of the
//! events match it, and the rest fail at different keys.

use std::fs::File;
use std::io::{BufWriter, Write};

use orchsim::engine::{RngFactory, SimRng};

const PATTERN: &str = r#"{"source": ["com.shop"], "detail-type": [{"prefix": {"equals-ignore-case": "order"}}], "detail": {"amount": [{"numeric": [">=", 100]}], "customer": {"tier": ["gold", "platinum"]}, "items": [{"wildcard": "sku-1*"}]}}"#;

const SOURCES: [&str; 4] = ["com.shop", "com.shop", "com.shop", "com.warehouse"];
const TYPES: [&str; 3] = ["OrderPlaced", "ORDERSHIPPED", "RefundIssued"];
const TIERS: [&str; 4] = ["gold", "silver", "platinum", "bronze"];
const REGIONS: [&str; 3] = ["eu", "us", "ap"];

/// Picks one of `items` from the stream.
fn pick<'a>(stream: &mut SimRng, items: &[&'a str]) -> &'a str {
    items[stream.index(items.len())]
}

/// A whole number below `n` from the stream.
fn below(stream: &mut SimRng, n: usize) -> usize {
    stream.index(n)
}

fn event(stream: &mut SimRng, i: u64, out: &mut impl Write) -> std::io::Result<()> {
    let (source, kind, tier, region) =
        (pick(stream, &SOURCES), pick(stream, &TYPES), pick(stream, &TIERS), pick(stream, &REGIONS));
    let amount_cents = below(stream, 50_000);
    let first_sku = below(stream, 30);
    let second_sku = below(stream, 30);
    writeln!(
        out,
        r#"{{"version": "0", "id": "{i:08x}-0000-4000-8000-{:012x}", "detail-type": "{kind}", "source": "{source}", "account": "123456789012", "time": "2026-12-07T05:{:02}:{:02}Z", "region": "us-east-1", "resources": ["arn:aws:s3:::orders/{i}"], "detail": {{"order_id": "o-{i}", "amount": {}.{:02}, "customer": {{"tier": "{tier}", "region": "{region}"}}, "items": ["sku-{first_sku}", "sku-{second_sku}"]}}}}"#,
        below(stream, 1 << 48),
        (i / 60) % 60,
        i % 60,
        amount_cents / 100,
        amount_cents % 100,
    )
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: match_events COUNT EVENTS_FILE PATTERN_FILE";
    let [_, count, events, pattern] = args.as_slice() else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let Ok(count) = count.parse::<u64>() else {
        eprintln!("{usage}: COUNT must be a whole number");
        std::process::exit(2);
    };
    std::fs::write(pattern, format!("{PATTERN}\n"))?;
    let mut out = BufWriter::new(File::create(events)?);
    // The crate's own seeded streams: the same count always gives the same file.
    let mut stream = RngFactory::new(0x0EB_EE5).stream("match_events");
    for i in 0..count {
        event(&mut stream, i, &mut out)?;
    }
    out.flush()
}
