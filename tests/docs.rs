//! The help that ships beside the binary: shell completions and man pages, generated from
//! the command definition itself.

mod common;

use std::fs;

use common::{orchsim, text};

/// Every command a user can type, as completions and man pages must know them.
const COMMANDS: [&str; 16] = [
    "run",
    "validate",
    "explain",
    "compare",
    "sweep",
    "merge",
    "chart",
    "check",
    "diff",
    "match",
    "import",
    "fit",
    "backtest",
    "completions",
    "man",
    "schema",
];

#[test]
fn each_shells_completion_script_names_every_command() {
    let dir = common::scratch_in("docs", "completions");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = orchsim(&["completions", shell], &dir);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(script.len() > 1_000, "{shell}: script of {} bytes", script.len());
        for command in COMMANDS {
            assert!(script.contains(command), "{shell}'s script lacks {command}");
        }
    }
}

#[test]
fn an_unknown_shell_is_bad_input() {
    let dir = common::scratch_in("docs", "completions-bad");
    let out = orchsim(&["completions", "tcsh"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("tcsh") && stderr.contains("powershell"), "{stderr}");
}

#[test]
fn man_prints_the_main_page_as_roff() {
    let dir = common::scratch_in("docs", "man-stdout");
    let out = orchsim(&["man"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(page.starts_with(".ie \\n(.g .ds Aq") || page.starts_with(".TH"), "{}", &page[..80.min(page.len())]);
    assert!(page.contains(".TH orchsim 1"), "no title header");
    for command in COMMANDS {
        assert!(page.contains(&format!("orchsim\\-{command}")), "the main page lacks {command}");
    }
}

/// The book's page of commands and flags is every command's `--help`, as this build prints
/// it. After changing a flag: `ORCHSIM_UPDATE_DOCS=1 cargo test --test docs`.
#[test]
fn the_books_command_page_is_the_help_of_every_command() {
    let dir = common::scratch_in("docs", "help");
    let help = |args: &[&str]| {
        let out = orchsim(args, &dir);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let mut page = String::from(
        "# Commands and flags\n\n<!-- Generated from `orchsim --help` by `cargo test --test docs` with \
         ORCHSIM_UPDATE_DOCS=1; do not edit. -->\n\nEvery command, with its arguments and flags, as \
         `orchsim COMMAND --help` prints them. Exit codes: 0 success; 1 a failed check, a difference \
         beyond tolerance or an error that is not the input's; 2 bad input (a scenario error, a bad \
         flag); 130 interrupted.\n\n```text\n",
    );
    page.push_str(&help(&["--help"]));
    page.push_str("```\n");
    for command in COMMANDS {
        page.push_str(&format!("\n## `orchsim {command}`\n\n```text\n"));
        page.push_str(&help(&[command, "--help"]));
        page.push_str("```\n");
    }
    let path = common::repo().join("docs/src/reference/commands/README.md");
    if std::env::var_os("ORCHSIM_UPDATE_DOCS").is_some() {
        fs::write(&path, &page).unwrap();
    }
    let found = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        found == page,
        "{} differs from the commands' --help; run ORCHSIM_UPDATE_DOCS=1 cargo test --test docs",
        path.display()
    );
}

#[test]
fn man_out_writes_one_page_per_command() {
    let dir = common::scratch_in("docs", "man-out");
    let out = orchsim(&["man", "--out", "man1"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut names: Vec<String> = fs::read_dir(dir.join("man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = COMMANDS.iter().map(|c| format!("orchsim-{c}.1")).collect();
    expected.push("orchsim.1".into());
    expected.sort();
    assert_eq!(names, expected);
    let run = fs::read_to_string(dir.join("man1/orchsim-run.1")).unwrap();
    assert!(run.contains(".TH orchsim-run 1"), "{run}");
    assert!(run.contains("\\-\\-seed") && run.contains("orchsim 0."), "the run page lacks its flags or version");
    assert!(!run.contains("\\-\\-version"), "orchsim run takes no --version");
}

#[test]
fn schema_prints_the_shipped_schema_and_out_writes_it() {
    let dir = common::scratch_in("docs", "schema");
    let shipped = fs::read_to_string(common::repo().join("docs/scenario.schema.json")).unwrap();
    let out = orchsim(&["schema"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), shipped);
    let out = orchsim(&["schema", "--out", "s.json"], &dir);
    assert!(out.status.success() && out.stdout.is_empty(), "{}", text(&out.stderr));
    assert_eq!(fs::read_to_string(dir.join("s.json")).unwrap(), shipped);
    let out = orchsim(&["schema", "--out", "no/such/folder/s.json"], &dir);
    assert_eq!(out.status.code(), Some(1), "an unwritable path is not the input's fault");
    assert!(text(&out.stderr).contains("cannot write the schema to no/such/folder/s.json"));
}
