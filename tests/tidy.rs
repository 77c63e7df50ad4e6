//! Architecture rules, checked mechanically (see ARCHITECTURE.md): modules import only
//! from lower layers, outside crates stay in their rooms, and simulation code touches no
//! wall clock, no OS randomness, no hash-ordered collections and no terminal.

use std::fs;
use std::path::{Path, PathBuf};

/// (module, layer, crate modules it may use).
const LAYERS: [(&str, u8, &[&str]); 17] = [
    ("engine", 0, &[]),
    ("distributions", 1, &["engine"]),
    ("metrics", 1, &["engine"]),
    ("workload", 1, &["engine"]),
    ("models", 2, &["engine", "distributions", "metrics", "workload", "models"]),
    ("pricing", 2, &["engine", "metrics"]),
    ("scenario", 3, &["engine", "distributions", "metrics", "workload", "models", "pricing"]),
    // Beside scenario: it writes scenario text, which the scenario reader then checks; it
    // reads state machine definitions with the model's own ASL reader.
    ("import", 3, &["models"]),
    ("world", 4, &["engine", "distributions", "metrics", "workload", "models", "pricing", "scenario"]),
    ("run", 5, &["engine", "distributions", "metrics", "workload", "models", "pricing", "scenario", "world"]),
    // Calibration sits beside sweep; fitting needs no simulation, so for now it uses only
    // the distributions' constants (backtest will add run and report).
    ("calibrate", 6, &["distributions"]),
    ("report", 7, &["engine", "distributions", "metrics", "workload", "models", "pricing", "scenario", "world", "run"]),
    (
        "gate",
        8,
        &["engine", "distributions", "metrics", "workload", "models", "pricing", "scenario", "world", "run", "report"],
    ),
    (
        "sweep",
        8,
        &["engine", "distributions", "metrics", "workload", "models", "pricing", "scenario", "world", "run", "report"],
    ),
    // Beside sweep and gate: it runs a scenario on observed traffic, reads the exports
    // through calibrate's readers and draws through report.
    ("backtest", 8, &["engine", "metrics", "workload", "pricing", "scenario", "run", "report", "calibrate"]),
    (
        "cli",
        9,
        &[
            "engine",
            "distributions",
            "metrics",
            "workload",
            "models",
            "pricing",
            "scenario",
            "world",
            "run",
            "report",
            "sweep",
            "gate",
            "import",
            "calibrate",
            "backtest",
        ],
    ),
    ("lib", 10, &[]),
];

/// Outside crates and the only modules that may name them.
const ROOMS: [(&str, &[&str]); 23] = [
    ("rand", &["engine/rng.rs"]),
    ("rand_chacha", &["engine/rng.rs"]),
    ("rand_distr", &["engine/rng.rs", "distributions.rs"]),
    ("hdrhistogram", &["metrics.rs"]),
    ("toml", &["scenario/"]),
    ("sha2", &["scenario/"]),
    ("csv", &["report/", "scenario/lower.rs", "sweep.rs", "gate.rs", "backtest/cur.rs"]),
    ("serde_json", &["report/", "scenario/", "sweep.rs", "gate.rs", "calibrate/", "backtest/"]),
    ("toml_edit", &["calibrate/"]),
    ("serde", &["scenario/", "import/template.rs"]),
    ("serde_saphyr", &["import/template.rs"]),
    ("rayon", &["sweep.rs", "cli.rs"]),
    ("indicatif", &["cli.rs"]),
    ("ctrlc", &["cli.rs"]),
    ("plotters", &["report/"]),
    ("ab_glyph", &["report/chart.rs"]),
    ("image", &["report/chart.rs"]),
    ("plotters_backend", &["report/chart.rs"]),
    ("clap", &["cli.rs"]),
    ("clap_complete", &["cli.rs"]),
    ("clap_mangen", &["cli.rs"]),
    ("anyhow", &["cli.rs"]),
    // Signals, and the allocator's thresholds for a sweep's runs.
    ("libc", &["main.rs", "sweep.rs"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// (path relative to src/, code without comment lines).
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            let code: String = fs::read_to_string(&p)
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(|l| format!("{l}\n"))
                .collect();
            (rel, code)
        })
        .collect()
}

fn module_of(rel: &str) -> &str {
    let first = rel.split('/').next().unwrap();
    first.strip_suffix(".rs").unwrap_or(first)
}

#[test]
fn modules_import_only_from_lower_layers() {
    for (rel, code) in sources() {
        let module = module_of(&rel);
        if module == "lib" || module == "main" {
            continue;
        }
        let (_, _, allowed) = LAYERS
            .iter()
            .find(|(m, _, _)| *m == module)
            .unwrap_or_else(|| panic!("{rel}: module {module} is not in the layer table"));
        for (i, _) in code.match_indices("crate::") {
            let used: String = code[i + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let same_module = used == module;
            assert!(
                same_module || allowed.contains(&used.as_str()),
                "{rel} uses crate::{used}, which its layer may not import"
            );
        }
    }
}

#[test]
fn outside_crates_stay_in_their_rooms() {
    for (rel, code) in sources() {
        for (krate, rooms) in ROOMS {
            let named = code.contains(&format!("use {krate}::"))
                || code.contains(&format!("{krate}::")) && code.contains(&format!(" {krate}::"));
            if named {
                assert!(
                    rooms.iter().any(|r| rel.starts_with(r)),
                    "{rel} names the crate {krate}, which belongs in {rooms:?}"
                );
            }
        }
    }
}

#[test]
fn simulation_code_uses_no_wall_clock_os_randomness_hash_order_or_terminal() {
    for (rel, code) in sources() {
        if rel == "cli.rs" || rel == "main.rs" {
            continue;
        }
        for banned in [
            "HashMap",
            "HashSet",
            "Instant::now",
            "SystemTime",
            "thread_rng",
            "from_entropy",
            "OsRng",
            "println!",
            "eprintln!",
            "print!(",
        ] {
            // The one exception: a results folder's writer reads the ages of staging
            // folders that killed runs left, to remove them; no result depends on it.
            if rel == "report/files.rs" && banned == "SystemTime" {
                continue;
            }
            assert!(!code.contains(banned), "{rel} uses {banned}");
        }
    }
}

#[test]
fn the_engine_knows_nothing_of_aws() {
    for (rel, code) in sources() {
        if rel.starts_with("engine/") {
            for word in ["sqs", "sns", "lambda", "aws", "queue_id"] {
                assert!(!code.to_lowercase().contains(&format!("{word}::")), "{rel} mentions {word}");
            }
        }
    }
}

#[test]
fn models_never_import_each_other() {
    let models =
        ["sqs", "workers", "lambda", "sns", "endpoint", "eventbridge", "step_functions", "ses", "mq", "client"];
    for (rel, code) in sources() {
        let Some(own) = rel.strip_prefix("models/").map(|r| r.split(['/', '.']).next().unwrap().to_string()) else {
            continue;
        };
        if own == "mod" {
            continue;
        }
        for other in models.iter().filter(|m| **m != own) {
            for pattern in [format!("super::{other}"), format!("models::{other}")] {
                assert!(
                    !code.contains(&pattern),
                    "{rel} imports the {other} model; share vocabulary through models/mod.rs instead"
                );
            }
        }
    }
}
