#!/usr/bin/env bash
# A sharded sweep on a real Slurm cluster. A one-node cluster on this machine
# (.ci/slurm-single-node.sh) runs scenarios/lambda_concurrency_sweep.toml as an array job of
# 4 tasks, each task its own shard (`orchsim sweep --shard-from-env`, which reads
# SLURM_ARRAY_TASK_ID and the array's bounds); `orchsim merge` combines the 4 shards, and the
# result must be byte for byte the same sweep run on one machine: runs/, runs.csv,
# summary.csv, sweep.json, points/, charts/ and report.html.
#
# Needs root: it installs munge and Slurm with apt-get (Debian 12) and runs their daemons.
# ORCHSIM is the binary to test (default target/debug/orchsim, which `cargo test` builds).
# The cluster is stopped again however the test ends.
set -euo pipefail
cd "$(dirname "$0")/.."

T0=$(date +%s.%N)
CLUSTER=(bash "$PWD/.ci/slurm-single-node.sh")
SCENARIO=scenarios/lambda_concurrency_sweep.toml
SETTINGS=(--set run.horizon_s=200 --set run.warmup_s=20)
TASKS=4

elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
REPORTED=0
fail() {
    printf 'FAIL: slurm array job: %s (after %s s)\n' "$*" "$(elapsed)" >&2
    REPORTED=1
    exit 1
}

[ "$(id -u)" -eq 0 ] ||
    fail "this test needs root: it installs munge and Slurm with apt-get and runs their daemons (CI runs .ci/run as root)"

# Runs a long step in the background and waits for it, so that a SIGINT or SIGTERM reaches
# the traps below at once instead of after the step.
STEP=
step() {
    "$@" &
    STEP=$!
    wait "$STEP"
    STEP=
}

W=$(mktemp -d "${TMPDIR:-/tmp}/orchsim-slurm-sweep.XXXXXX")
cleanup() {
    local rc=$? f
    trap - EXIT INT TERM
    if [ -n "$STEP" ]; then
        kill "$STEP" 2>/dev/null || true
        wait "$STEP" 2>/dev/null || true
    fi
    case $rc in
    130 | 143)
        echo "FAIL: slurm array job: interrupted after $(elapsed) s; stopping the cluster" >&2
        REPORTED=1
        ;;
    esac
    if [ "$rc" -ne 0 ]; then
        for f in "$W"/task-*.log; do
            [ -e "$f" ] || continue
            if [ -s "$f" ]; then
                printf -- '--- %s\n' "$f" >&2
                tail -n 40 "$f" >&2
            else
                printf -- '--- %s (empty)\n' "$f" >&2
            fi
        done
    fi
    if ! "${CLUSTER[@]}" stop; then
        echo "FAIL: slurm array job: the cluster did not stop cleanly (above)" >&2
        REPORTED=1
        [ "$rc" -ne 0 ] || rc=1
    fi
    if [ "$rc" -eq 0 ]; then
        rm -rf "$W"
        echo "${RESULT:-PASS}; $(elapsed) s in all (cluster stopped)"
    else
        [ "$REPORTED" -eq 1 ] || printf 'FAIL: slurm array job: a step failed (above) after %s s\n' "$(elapsed)" >&2
        rmdir "$W" 2>/dev/null || echo "(the outputs are kept in $W)" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${CLUSTER[@]}" install
"${CLUSTER[@]}" start
conf=$("${CLUSTER[@]}" env)
eval "$conf"

ORCHSIM=${ORCHSIM:-${CARGO_TARGET_DIR:-target}/debug/orchsim}
case $ORCHSIM in /*) ;; *) ORCHSIM=$PWD/$ORCHSIM ;; esac
[ -x "$ORCHSIM" ] || fail "no orchsim binary at $ORCHSIM; build it first (cargo build, or cargo test) or point ORCHSIM at one"

# The array job. Each task keeps to the one CPU Slurm gives it (--threads 1; nothing
# enforces it here), so the two cores run two tasks at a time; the reference below uses
# every core, so the comparison also shows that the thread count changes nothing.
q() { printf '%q' "$1"; }
task="$(q "$ORCHSIM") sweep $(q "$SCENARIO") ${SETTINGS[*]} --threads 1 --shard-from-env"
task+=" --out $(q "$W")/shard-\$SLURM_ARRAY_TASK_ID --quiet"
job=$(sbatch --parsable --array=1-$TASKS --job-name=orchsim-sweep -D "$PWD" -o "$W/task-%a.log" --wrap "$task")
job=${job%%;*}
[[ $job =~ ^[0-9]+$ ]] || fail "sbatch did not print a job ID: $job"
echo "submitted array job $job: $TASKS tasks of: $task"

# The same sweep on this machine, while Slurm schedules the tasks.
"$ORCHSIM" sweep "$SCENARIO" "${SETTINGS[@]}" --out "$W/reference" --quiet
runs=$(find "$W/reference/runs" -mindepth 1 -maxdepth 1 | wc -l)
if [ "$runs" -eq 0 ] || [ ! -s "$W/reference/runs.csv" ]; then
    fail "the reference sweep wrote no runs to $W/reference"
fi

step "${CLUSTER[@]}" waitjob "$job" 300

shards=()
for ((k = 1; k <= TASKS; k++)); do shards+=("$W/shard-$k"); done
"$ORCHSIM" merge "${shards[@]}" --out "$W/merged"

if ! differences=$(diff -rq "$W/reference" "$W/merged" 2>&1); then
    echo "--- what differs (diff -rq reference merged):" >&2
    printf '%s\n' "$differences" | head -n 40 >&2 || true
    echo "--- the first lines of diff -r:" >&2
    diff -r "$W/reference" "$W/merged" 2>&1 | head -n 40 | cut -c 1-300 >&2 || true
    fail "the merged shards differ from the one-machine sweep in $(printf '%s\n' "$differences" | wc -l) file(s) (listed above)"
fi
RESULT="PASS: slurm array job: $TASKS tasks, each one shard of $SCENARIO ($runs runs); merged, byte-identical to the one-machine sweep"
