//! Long runs and failures on the command line: results folders checked before a run, stale
//! staging removed, progress kept off short runs, and Ctrl-C saying what it left.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{orchsim, shipped, text};

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    common::scratch_in("runs", name)
}

/// A horizon that would take minutes to simulate: a test that ends within seconds did not
/// simulate it.
const ENDLESS: &str = "run.horizon_s=100000000";

/// A path under a regular file cannot be a folder, for root too (a read-only folder would
/// not stop root).
#[test]
fn run_under_a_file_says_where_and_why_before_simulating() {
    let dir = scratch("under-file");
    fs::write(dir.join("plain"), "a file").unwrap();
    let scenario = shipped("mmc_erlang_c.toml");
    let started = Instant::now();
    let out = orchsim(&["run", scenario.to_str().unwrap(), "--set", ENDLESS, "--out", "plain/sub"], &dir);
    assert!(started.elapsed() < Duration::from_secs(20), "it simulated first: {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: cannot write results to plain/sub: plain is a file, not a folder"), "{stderr}");
    assert_eq!(text(&out.stdout), "", "no summary");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sweep_under_a_file_says_where_and_why_before_running() {
    let dir = scratch("sweep-under-file");
    fs::write(dir.join("plain"), "a file").unwrap();
    let scenario = shipped("lambda_concurrency_sweep.toml");
    let out = orchsim(&["sweep", scenario.to_str().unwrap(), "--set", ENDLESS, "--out", "plain/sweep"], &dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: cannot write results to plain/sweep: plain is a file, not a folder"),
        "{stderr}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// Permissions stop everyone but root, so as root (in a container, say) this case cannot be
/// made and the test says so; the cases above cover root.
#[cfg(unix)]
#[test]
fn run_into_a_read_only_folder_says_where_and_why_before_simulating() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = scratch("read-only");
    let locked = dir.join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    if fs::write(locked.join("probe"), "").is_ok() {
        eprintln!("skipped: this user writes into read-only folders (root), so none can stop it");
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        return;
    }
    let scenario = shipped("mmc_erlang_c.toml");
    let started = Instant::now();
    let out = orchsim(&["run", scenario.to_str().unwrap(), "--set", ENDLESS, "--out", "locked/run"], &dir);
    assert!(started.elapsed() < Duration::from_secs(20), "it simulated first");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: cannot write results to locked/run: Permission denied"), "{stderr}");
    let sweep = shipped("lambda_concurrency_sweep.toml");
    let out = orchsim(&["sweep", sweep.to_str().unwrap(), "--set", ENDLESS, "--out", "locked/sweep"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error: cannot write results to locked/sweep: Permission denied"), "{stderr}");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    fs::remove_dir_all(&dir).unwrap();
}

/// Sets a folder's modification time `age` in the past.
fn age(path: &Path, age: Duration) {
    let folder = fs::File::open(path).unwrap();
    folder.set_modified(std::time::SystemTime::now() - age).unwrap();
}

#[cfg(target_os = "linux")]
#[test]
fn a_run_removes_the_staging_folders_killed_runs_left_beside_its_folder() {
    let dir = scratch("stale");
    let parent = dir.join("results");
    // No process has a number above Linux's largest, 2^22: these writers are gone.
    let stale = [".seed-1.tmp-4194305", ".other.old-4194305"];
    // This test's process runs; a folder written to a moment ago may have a writer on
    // another machine; the rest is not staging.
    let alive = format!(".seed-1.tmp-{}", std::process::id());
    let kept = [alive.as_str(), ".seed-2.tmp-4194305", ".seed-1.tmp-x", "notes"];
    for name in stale.iter().chain(&kept) {
        fs::create_dir_all(parent.join(name)).unwrap();
        fs::write(parent.join(name).join("summary.json"), "{}").unwrap();
    }
    for name in stale.iter().chain(&kept).filter(|n| **n != ".seed-2.tmp-4194305") {
        age(&parent.join(name), Duration::from_secs(120));
    }
    let scenario = shipped("mmc_erlang_c.toml");
    let out = orchsim(
        &["run", scenario.to_str().unwrap(), "--set", "run.horizon_s=3000", "--out", "results/seed-1", "--quiet"],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    for name in stale {
        assert!(!parent.join(name).exists(), "{name} is still there");
    }
    for name in kept {
        assert!(parent.join(name).exists(), "{name} was removed");
    }
    assert!(parent.join("seed-1/summary.json").is_file());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_short_run_prints_no_progress_when_stderr_is_not_a_terminal() {
    let dir = scratch("quiet-progress");
    let scenario = shipped("mmc_erlang_c.toml");
    let out = orchsim(&["run", scenario.to_str().unwrap(), "--set", "run.horizon_s=20000", "--out", "r"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "stderr is for warnings and progress; a short run has neither");
    fs::remove_dir_all(&dir).unwrap();
}

/// Starts orchsim, lets it work for `after`, then sends it SIGINT as Ctrl-C would.
#[cfg(unix)]
fn interrupted(args: &[&str], cwd: &Path, after: Duration) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_orchsim"))
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    std::thread::sleep(after);
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(kill.success());
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_run_and_says_nothing_was_written() {
    let dir = scratch("interrupt-run");
    let scenario = shipped("mmc_erlang_c.toml");
    let out = interrupted(
        &["run", scenario.to_str().unwrap(), "--set", ENDLESS, "--out", "results/run"],
        &dir,
        Duration::from_millis(1500),
    );
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr).trim_end(), "interrupted: nothing written");
    assert_eq!(text(&out.stdout), "");
    let left: Vec<_> = fs::read_dir(dir.join("results")).unwrap().collect();
    assert!(left.is_empty(), "nothing written, not even staging: {left:?}");
    fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_sweep_keeping_the_runs_that_ended() {
    let dir = scratch("interrupt-sweep");
    let mut text_of = fs::read_to_string(shipped("mmc_erlang_c.toml")).unwrap();
    // The first run ends at once; the second would take minutes.
    text_of.push_str("\n[sweep]\nreplications = 1\n\n[[sweep.axis]]\nkey = \"run.horizon_s\"\n");
    text_of.push_str("values = [3000, 100000000]\n");
    fs::write(dir.join("two.toml"), text_of).unwrap();
    let out = interrupted(
        &["sweep", "two.toml", "--out", "sweep", "--threads", "1", "--quiet"],
        &dir,
        Duration::from_millis(2500),
    );
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr).trim_end(), "interrupted after 1 of 2 runs; run the same command to resume");
    assert!(dir.join("sweep/runs/run-000000.json").is_file(), "the run that ended is kept");
    assert!(!dir.join("sweep/runs/run-000001.json").exists());
    assert!(!dir.join("sweep/summary.csv").exists(), "no aggregate of an incomplete sweep");
    fs::remove_dir_all(&dir).unwrap();
}
