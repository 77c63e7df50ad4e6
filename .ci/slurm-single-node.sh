#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine (munged, slurmctld and slurmd on localhost),
# started by hand, without systemd, for the tests that run orchsim as a Slurm array job
# (.ci/slurm-sweep-test.sh). Debian 12, as root.
#
#   install                  apt-get install munge, slurmctld, slurmd and slurm-client
#                            (nothing happens when they are installed already)
#   start                    start the three daemons; returns once the node is idle
#   env                      print `export SLURM_CONF=...`, for eval: every Slurm command
#                            (sbatch, squeue, scontrol, ...) needs it
#   waitjob ID [TIMEOUT_S]   wait until every task of job ID is COMPLETED with exit code 0:0
#                            (default timeout 600 s); non-zero at once when one fails
#   stop                     cancel the jobs and stop the daemons (safe to repeat)
#
# Everything (munge key and socket, slurm.conf, state, spool, pid files and logs) lives in one
# work dir, ORCHSIM_SLURM_DIR (default ${TMPDIR:-/tmp}/orchsim-slurm); /etc/munge,
# /etc/slurm and /run are not used. ORCHSIM_SLURM_CTLD_PORT and ORCHSIM_SLURM_SLURMD_PORT
# (default 6817 and 6818) choose the ports.
#
# Settings that matter, and why:
# - munged runs as root in the foreground with its own key and socket; slurm.conf gives the
#   socket as AuthInfo=socket=..., which both auth/munge and cred/munge read.
# - The node's CPUs, sockets, cores, threads and memory are copied from `slurmd -C`: a node
#   that claims more than it has is left "inval".
# - No cgroups: proctrack/linuxproc, task/none and jobacct_gather/none. (With
#   proctrack/cgroup the steps abort, the node is drained and the job is held.) Nothing
#   enforces a task's CPU count, so a task should keep to the CPUs it asked for itself.
# - No accounting database, so finished jobs are only known to `scontrol show job`;
#   MinJobAge=3600 keeps them there for an hour.
# - batch_sched_delay=0 starts each wave of an array job about 1 s after the previous one
#   ends instead of 3 s.
# - Batch jobs run under slurmstepd, in their own session, and outlive slurmd and slurmctld:
#   stop cancels the jobs and waits for them first, and in the end kills any slurmstepd
#   that still carries this cluster's SLURM_CONF, with everything below it.
set -euo pipefail

WORK=$(realpath -m "${ORCHSIM_SLURM_DIR:-${TMPDIR:-/tmp}/orchsim-slurm}")
CONF=$WORK/slurm.conf
MUNGE_DIR=$WORK/munge
SOCKET=$MUNGE_DIR/munge.socket
KEY=$MUNGE_DIR/munge.key
LOGS=$WORK/log
PIDS=$WORK/pids
STATE=$WORK/state
SPOOL=$WORK/spool
MARKER=$WORK/.orchsim-slurm
CTLD_PORT=${ORCHSIM_SLURM_CTLD_PORT:-6817}
SLURMD_PORT=${ORCHSIM_SLURM_SLURMD_PORT:-6818}
PACKAGES=(munge slurmctld slurmd slurm-client)
# Every Slurm command, and slurmd's slurmstepd, reads the configuration from here.
export SLURM_CONF=$CONF

say() { printf 'slurm-single-node: %s\n' "$*"; }
warn() { printf 'slurm-single-node: %s\n' "$*" >&2; }
die() {
    printf 'slurm-single-node: error: %s\n' "$*" >&2
    exit 1
}
need_root() {
    [ "$(id -u)" -eq 0 ] || die "'$1' needs root (it installs packages and runs munged, slurmctld and slurmd as root)"
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# The end of what a daemon wrote to stdout/stderr (in the foreground, slurmctld and slurmd
# write their log there as well, from before the log file opens).
log_tail() {
    local f=$LOGS/$1.out
    if [ -s "$f" ]; then
        printf -- '--- last lines of %s\n' "$f" >&2
        tail -n 25 "$f" >&2
    fi
    [ ! -s "$LOGS/$1.log" ] || printf -- '--- (the whole log: %s)\n' "$LOGS/$1.log" >&2
}

# A process's state letter (R, S, Z, ...); fails when the process is gone.
proc_state() {
    local stat rest
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    rest=${stat##*) }
    printf '%s' "${rest%% *}"
}
# Still running: present and not a zombie (kill -0 also succeeds on a zombie).
running() {
    local st
    st=$(proc_state "$1") || return 1
    [ "$st" != Z ] && [ "$st" != X ]
}
# PID is NAME, started by this script for this work dir.
is_ours() {
    local name=$1 pid=$2 comm cmd
    { read -r comm <"/proc/$pid/comm"; } 2>/dev/null || return 1
    [ "$comm" = "$name" ] || return 1
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmd == *"$WORK/"* ]]
}
# The PID of daemon NAME when it runs and is ours.
daemon_pid() {
    local pid
    [ -f "$PIDS/$1.pid" ] || return 1
    read -r pid <"$PIDS/$1.pid" || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    running "$pid" && is_ours "$1" "$pid" || return 1
    printf '%s' "$pid"
}

port_in_use() {
    local hex files=() f
    hex=$(printf '%04X' "$1")
    for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && files+=("$f"); done
    [ "${#files[@]}" -gt 0 ] || return 1
    awk -v h=":$hex" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == h { found = 1 }
        END { exit !found }' "${files[@]}"
}

# ---------------------------------------------------------------------------------------
cmd_install() {
    need_root install
    local pkg status missing=() log created_policy=0
    for pkg in "${PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) || status=
        [ "$status" = installed ] || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "installed already: ${PACKAGES[*]} ($(dpkg-query -W -f='slurm ${Version}' slurmd))"
        return 0
    fi
    command -v apt-get >/dev/null || die "apt-get not found: this needs Debian 12 (or another apt system) to install ${PACKAGES[*]}"
    # The packages' postinst scripts start munge, slurmctld and slurmd through invoke-rc.d
    # unless a policy-rc.d forbids it: such a system daemon (on /run/munge, ports 6817/6818)
    # would belong to nobody. Add one for the install when the machine has none.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\n# Temporary, from .ci/slurm-single-node.sh install: start no service.\nexit 101\n' \
            >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    log=$(mktemp)
    say "installing ${PACKAGES[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get update -q >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "apt-get update failed (output above); the Slurm test needs the Debian package registry"
    fi
    if ! apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "${PACKAGES[@]}" >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "apt-get install ${PACKAGES[*]} failed (output above)"
    fi
    rm -f "$log"
    if [ "$created_policy" -eq 1 ]; then
        rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    fi
    for pkg in munged mungekey slurmctld slurmd sbatch scontrol; do
        command -v "$pkg" >/dev/null || die "$pkg is missing after apt-get install ${PACKAGES[*]}"
    done
    say "installed: $(dpkg-query -W -f='slurm ${Version}' slurmd), $(dpkg-query -W -f='munge ${Version}' munge)"
}

# ---------------------------------------------------------------------------------------
START_OK=0
start_cleanup() {
    if [ "$START_OK" -ne 1 ]; then
        warn "start failed; stopping what was started"
        cmd_stop >&2 || true
    fi
}
# Fails the start, naming the daemon and showing the end of its logs.
start_fail() {
    local name=$1
    shift
    printf 'slurm-single-node: error: %s\n' "$*" >&2
    log_tail "$name"
    exit 1
}
# Starts a daemon in the background in its own session (so a Ctrl-C at the terminal reaches
# only the caller, whose cleanup stops the cluster in order); its PID goes to pids/NAME.pid.
launch() {
    local name=$1
    shift
    setsid "$@" </dev/null >>"$LOGS/$name.out" 2>&1 &
    printf '%s\n' "$!" >"$PIDS/$name.pid"
}
# Polls CHECK (a function) every 0.1 s for up to TIMEOUT seconds while daemon NAME runs.
wait_for() {
    local name=$1 timeout=$2 what=$3 check=$4 pid t0
    read -r pid <"$PIDS/$name.pid"
    t0=$(now)
    while ! "$check"; do
        running "$pid" || start_fail "$name" "$name exited while waiting for $what"
        if awk -v a="$t0" -v b="$(now)" -v t="$timeout" 'BEGIN { exit !(b - a > t) }'; then
            start_fail "$name" "timed out after ${timeout} s waiting for $what"
        fi
        sleep 0.1
    done
}
munge_ready() {
    [ -S "$SOCKET" ] || return 1
    local cred
    cred=$(munge -n -S "$SOCKET" 2>/dev/null) || return 1
    unmunge -S "$SOCKET" <<<"$cred" >/dev/null 2>&1
}
ctld_ready() {
    local out
    out=$(scontrol ping 2>/dev/null) || return 1
    [[ $out == *"is UP"* ]]
}
NODE_STATE=
node_idle() {
    NODE_STATE=$(sinfo -h -N -n localhost -o %T 2>/dev/null) || NODE_STATE=
    case $NODE_STATE in
    idle) return 0 ;;
    *drain* | inval* | fail*)
        scontrol show node localhost >&2 2>&1 || true
        start_fail slurmd "the node is '$NODE_STATE' instead of idle (its Reason is above)"
        ;;
    esac
    return 1
}

cmd_start() {
    need_root start
    local c t0 hw_out hw_line hw pid port name d
    t0=$(now)
    for c in munged mungekey munge unmunge slurmctld slurmd scontrol sinfo; do
        command -v "$c" >/dev/null || die "$c not found; run '$0 install' first"
    done
    for name in munged slurmctld slurmd; do
        if pid=$(daemon_pid "$name"); then
            die "$name is already running from $WORK (PID $pid); run '$0 stop' first"
        fi
    done
    for c in "$CTLD_PORT:slurmctld:ORCHSIM_SLURM_CTLD_PORT" "$SLURMD_PORT:slurmd:ORCHSIM_SLURM_SLURMD_PORT"; do
        IFS=: read -r port name d <<<"$c"
        if port_in_use "$port"; then
            ss -Hltnp "sport = :$port" >&2 2>/dev/null || true
            die "port $port, which $name would use, is taken already (above); stop what uses it or choose another with $d"
        fi
    done

    # A fresh work dir (only one that this script made is ever removed).
    if [ -e "$WORK" ]; then
        if [ -e "$MARKER" ]; then
            rm -rf "$WORK"
        elif [ -n "$(ls -A "$WORK" 2>/dev/null)" ]; then
            die "$WORK exists and is not a work dir of this script; remove it or set ORCHSIM_SLURM_DIR"
        fi
    fi
    mkdir -p "$WORK"
    chmod 755 "$WORK"
    : >"$MARKER"
    # munged refuses a socket that not everyone can reach: every dir above it needs o+x.
    d=$WORK
    while [ "$d" != / ]; do
        c=$(stat -c %A "$d")
        [[ ${c:9:1} == [xt] ]] || die "$d is mode $c; munged needs execute permission for all on every dir above its socket (set TMPDIR or ORCHSIM_SLURM_DIR elsewhere)"
        d=$(dirname "$d")
    done
    # slurmd runs the job scripts from its spool dir.
    if command -v findmnt >/dev/null; then
        c=$(findmnt -n -o OPTIONS -T "$WORK" 2>/dev/null) || c=
        [[ ,$c, != *,noexec,* ]] || die "$WORK is on a noexec mount; slurmd cannot run job scripts from it (set TMPDIR or ORCHSIM_SLURM_DIR elsewhere)"
    fi
    [ "${#SOCKET}" -le 100 ] || die "the munge socket path $SOCKET is longer than 100 bytes (the unix-socket limit is 108); choose a shorter ORCHSIM_SLURM_DIR"
    mkdir -p "$MUNGE_DIR" "$LOGS" "$PIDS" "$STATE" "$SPOOL"
    # munged: the socket dir must not be writable by group or others, the key must be 0600.
    chmod 755 "$MUNGE_DIR"
    START_OK=0
    trap start_cleanup EXIT

    mungekey --create --keyfile="$KEY" >>"$LOGS/munged.out" 2>&1 || start_fail munged "mungekey --create failed"
    chmod 600 "$KEY"
    # With -F munged logs to stderr (the --log-file is ignored).
    launch munged munged -F --socket="$SOCKET" --key-file="$KEY" --pid-file="$MUNGE_DIR/munged.pid" \
        --seed-file="$MUNGE_DIR/munged.seed" --log-file="$LOGS/munged.log"
    wait_for munged 10 "munged to answer on $SOCKET" munge_ready

    # The node's hardware as slurmd sees it: "NodeName=... CPUs=... RealMemory=...".
    hw_out=$(slurmd -C 2>>"$LOGS/slurmd.out") || start_fail slurmd "slurmd -C failed"
    hw=
    while IFS= read -r hw_line; do
        if [[ $hw_line =~ ^NodeName=[^\ ]+\ (CPUs=.*RealMemory=[0-9]+) ]]; then
            hw=${BASH_REMATCH[1]}
        fi
    done <<<"$hw_out"
    [ -n "$hw" ] || start_fail slurmd "cannot read the node's hardware from slurmd -C, which printed: $hw_out"
    cat >"$CONF" <<EOF
# Written by .ci/slurm-single-node.sh start: one node, localhost, everything under $WORK.
ClusterName=orchsim-ci
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
CommunicationParameters=NoInAddrAny
StateSaveLocation=$STATE
SlurmdSpoolDir=$SPOOL
SlurmctldPidFile=$PIDS/slurmctld.daemon.pid
SlurmdPidFile=$PIDS/slurmd.daemon.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=3600
KillWait=5
MailProg=/bin/true
NodeName=localhost NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=ci Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

    launch slurmctld slurmctld -D -c -f "$CONF"
    wait_for slurmctld 20 "slurmctld to answer (scontrol ping UP)" ctld_ready
    launch slurmd slurmd -D -N localhost -f "$CONF"
    wait_for slurmd 20 "the node to be idle" node_idle

    for name in munged slurmctld slurmd; do
        daemon_pid "$name" >/dev/null || start_fail "$name" "$name (PID $(cat "$PIDS/$name.pid")) is not running as expected"
    done
    START_OK=1
    trap - EXIT
    say "up in $(since "$t0") s: munged $(daemon_pid munged), slurmctld $(daemon_pid slurmctld), slurmd $(daemon_pid slurmd); node localhost ($hw); SLURM_CONF=$CONF"
}

# ---------------------------------------------------------------------------------------
cmd_env() {
    [ -f "$CONF" ] || die "$CONF does not exist; run '$0 start' first"
    printf 'export SLURM_CONF=%q\n' "$CONF"
}

# ---------------------------------------------------------------------------------------
# The value of KEY=VALUE in one line of `scontrol -o`.
field() {
    local re=" $2=([^ ]*)"
    [[ " $1 " =~ $re ]] && printf '%s' "${BASH_REMATCH[1]}"
}
job_failed() {
    local id=$1 out line node
    shift
    printf 'slurm-single-node: error: job %s: %s\n' "$id" "$*" >&2
    # One line per task: its state, exit code, reason and output file.
    if out=$(scontrol -o show job "$id" 2>&1); then
        printf -- '--- job %s, by task:\n' "$id" >&2
        while IFS= read -r line; do
            [ -n "$line" ] || continue
            printf '  task %-5s %-12s exit %-5s reason %-20s %s\n' \
                "$(field "$line" ArrayTaskId || field "$line" JobId)" "$(field "$line" JobState)" \
                "$(field "$line" ExitCode)" "$(field "$line" Reason)" "$(field "$line" StdOut)" >&2
        done <<<"$out"
    else
        printf -- '--- scontrol show job %s: %s\n' "$id" "$out" >&2
    fi
    if out=$(scontrol -o show node localhost 2>&1); then
        node=$(field "$out" State)
        line=${out#* Reason=}
        [ "$line" != "$out" ] || line=none
        printf -- '--- node localhost: %s, reason: %s\n' "$node" "$line" >&2
    fi
    exit 1
}

cmd_waitjob() {
    local id=${1:-} timeout=${2:-600} t0 out line state code task reason total ok bad errors=0 name node
    [[ $id =~ ^[0-9]+$ ]] || die "usage: $0 waitjob JOB_ID [TIMEOUT_S]"
    [[ $timeout =~ ^[0-9]+$ ]] || die "waitjob: the timeout must be a whole number of seconds"
    if [ ! -f "$CONF" ] || ! daemon_pid slurmctld >/dev/null; then
        die "the cluster in $WORK is not running; run '$0 start' first"
    fi
    t0=$(now)
    while :; do
        for name in munged slurmctld slurmd; do
            if ! daemon_pid "$name" >/dev/null; then
                log_tail "$name"
                job_failed "$id" "$name is not running any more (the end of its logs is above)"
            fi
        done
        if ! out=$(scontrol -o show job "$id" 2>&1); then
            errors=$((errors + 1))
            [[ $out != *"Invalid job id"* ]] || job_failed "$id" "Slurm does not know this job: $out"
            [ "$errors" -lt 20 ] || job_failed "$id" "scontrol show job keeps failing: $out"
            sleep 0.25
            continue
        fi
        errors=0
        total=0 ok=0 bad=
        while IFS= read -r line; do
            [ -n "$line" ] || continue
            total=$((total + 1))
            state=$(field "$line" JobState) || state='?'
            code=$(field "$line" ExitCode) || code='?'
            reason=$(field "$line" Reason) || reason=
            task=$(field "$line" ArrayTaskId) || task=$(field "$line" JobId) || task='?'
            case $state in
            COMPLETED)
                if [ "$code" = 0:0 ]; then ok=$((ok + 1)); else bad+=" task $task COMPLETED with exit code $code;"; fi
                ;;
            FAILED | CANCELLED* | TIMEOUT | NODE_FAIL | PREEMPTED | BOOT_FAIL | DEADLINE | OUT_OF_MEMORY)
                bad+=" task $task $state (exit code $code, reason $reason);"
                ;;
            PENDING)
                case $reason in *[Hh]eld*) bad+=" task $task is held ($reason);" ;; esac
                ;;
            esac
        done <<<"$out"
        bad=${bad# }
        [ -z "$bad" ] || job_failed "$id" "${bad%;}"
        node=$(sinfo -h -N -n localhost -o %T 2>/dev/null) || node=
        case $node in
        *drain* | inval* | down* | fail*)
            log_tail slurmd
            job_failed "$id" "the node is '$node' (the end of slurmd's logs is above)"
            ;;
        esac
        if [ "$total" -gt 0 ] && [ "$ok" -eq "$total" ]; then
            say "job $id: $total task(s) COMPLETED 0:0 (waited $(since "$t0") s)"
            return 0
        fi
        if awk -v a="$t0" -v b="$(now)" -v t="$timeout" 'BEGIN { exit !(b - a > t) }'; then
            job_failed "$id" "not finished after $timeout s ($ok of $total task(s) completed)"
        fi
        sleep 0.25
    done
}

# ---------------------------------------------------------------------------------------
# Cancels every job and waits until none is left and the steps' sockets are gone.
cancel_jobs() {
    local ids i
    ids=$(squeue -h -o %F 2>/dev/null) || ids=
    ids=$(sort -u <<<"$ids")
    if [ -n "$ids" ]; then
        # shellcheck disable=SC2086
        scancel $ids 2>/dev/null || true
        say "cancelled job(s) $(tr '\n' ' ' <<<"$ids")"
    fi
    for ((i = 0; i < 120; i++)); do
        ids=$(squeue -h -o %i 2>/dev/null) || ids=
        if [ -z "$ids" ] && ! compgen -G "$SPOOL/localhost_*" >/dev/null; then
            return 0
        fi
        sleep 0.25
    done
    warn "jobs or job steps are still there 30 s after scancel: $(tr '\n' ' ' <<<"$ids")"
    return 1
}

stop_daemon() {
    local name=$1 pid i
    [ -f "$PIDS/$name.pid" ] || return 0
    read -r pid <"$PIDS/$name.pid" || pid=
    if ! [[ $pid =~ ^[0-9]+$ ]] || ! running "$pid" || ! is_ours "$name" "$pid"; then
        # Gone already (or the PID now belongs to something else, which is left alone).
        [[ $pid =~ ^[0-9]+$ ]] && { wait "$pid" 2>/dev/null || true; }
        rm -f "$PIDS/$name.pid"
        say "$name (PID $pid) was not running any more"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        running "$pid" || break
        sleep 0.05
    done
    if running "$pid"; then
        warn "$name (PID $pid) still runs 15 s after SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 20; i++)); do
            running "$pid" || break
            sleep 0.25
        done
    fi
    # When the daemon is this shell's own child (a failed start), reap the zombie.
    wait "$pid" 2>/dev/null || true
    if running "$pid"; then
        warn "$name (PID $pid) survived SIGKILL"
        return 1
    fi
    rm -f "$PIDS/$name.pid"
    ENDED+=("$pid")
    say "stopped $name (PID $pid)"
}

# PIDs of every slurmstepd that carries this cluster's SLURM_CONF, and of every process below
# them.
stray_steps() {
    local f pid comm envs stat rest state ppid
    local -A parent=()
    local roots=() found=() queue=()
    for f in /proc/[0-9]*; do
        pid=${f#/proc/}
        { read -r stat <"$f/stat"; } 2>/dev/null || continue
        rest=${stat##*) }
        read -r state ppid _ <<<"$rest"
        [ "$state" = Z ] && continue
        parent[$pid]=$ppid
        { read -r comm <"$f/comm"; } 2>/dev/null || continue
        [ "$comm" = slurmstepd ] || continue
        envs=$(tr '\0' '\n' <"$f/environ" 2>/dev/null) || continue
        [[ $'\n'$envs$'\n' == *$'\n'"SLURM_CONF=$CONF"$'\n'* ]] && roots+=("$pid")
    done
    [ "${#roots[@]}" -gt 0 ] || return 0
    queue=("${roots[@]}")
    while [ "${#queue[@]}" -gt 0 ]; do
        f=${queue[0]}
        queue=("${queue[@]:1}")
        found+=("$f")
        for pid in "${!parent[@]}"; do
            [ "${parent[$pid]}" = "$f" ] && queue+=("$pid")
        done
    done
    printf '%s\n' "${found[@]}"
}

kill_stray_steps() {
    local pids pid left i
    pids=$(stray_steps)
    [ -n "$pids" ] || return 0
    warn "killing job processes left behind: $(tr '\n' ' ' <<<"$pids")"
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    # shellcheck disable=SC2206
    ENDED+=($pids)
    # They become zombies until PID 1 reaps them; a zombie counts as ended.
    for ((i = 0; i < 40; i++)); do
        left=
        for pid in $pids; do running "$pid" && left+=" $pid"; done
        [ -n "$left" ] || return 0
        sleep 0.25
    done
    warn "processes still running after SIGKILL:$left"
    return 1
}

# Waits (up to 5 s) until PID 1 has reaped the processes that were stopped, and any zombie
# slurmstepd of the finished jobs, so that none is left even as a zombie.
ENDED=()
await_reaping() {
    local f comm state i left
    for f in /proc/[0-9]*; do
        { read -r comm <"$f/comm"; } 2>/dev/null || continue
        [ "$comm" = slurmstepd ] || continue
        state=$(proc_state "${f#/proc/}") || continue
        [ "$state" = Z ] && ENDED+=("${f#/proc/}")
    done
    for ((i = 0; i < 50; i++)); do
        left=
        for f in "${ENDED[@]}"; do [ -e "/proc/$f" ] && left+=" $f"; done
        [ -n "$left" ] || return 0
        sleep 0.1
    done
    say "still zombies, waiting for PID 1 to reap them:$left"
}

cmd_stop() {
    local rc=0 name
    if [ -f "$CONF" ] && daemon_pid slurmctld >/dev/null; then
        cancel_jobs || rc=1
    fi
    for name in slurmd slurmctld munged; do
        stop_daemon "$name" || rc=1
    done
    kill_stray_steps || rc=1
    [ "${#ENDED[@]}" -eq 0 ] || await_reaping
    return "$rc"
}

# ---------------------------------------------------------------------------------------
usage() {
    printf 'usage: %s install | start | env | waitjob JOB_ID [TIMEOUT_S] | stop\n' "$0" >&2
    exit 2
}
[ $# -ge 1 ] || usage
cmd=$1
shift
case $cmd in
install) cmd_install ;;
start) cmd_start ;;
env) cmd_env ;;
waitjob) cmd_waitjob "$@" ;;
stop)
    need_root stop
    cmd_stop
    ;;
*) usage ;;
esac
