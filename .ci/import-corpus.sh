#!/usr/bin/env bash
# `orchsim import` on every real template of the corpus CI keeps beside the checkout
# (../shared/corpus/cfn; never copied into the project). Each template is put back at its
# path in its repository (file names hold it with `/` written `__`), with the state machine
# definitions it names (definitions/, same naming), imported, and its scenario run for 60 s
# of simulated time. A template must import and run, or be refused for a reason this version
# gives: nothing to simulate (only resources orchsim does not model, such as API
# destinations, Kinesis or Batch), or invalid YAML (the corpus's known invalid file, refused with its line and
# column). Anything else fails the check. Usage: .ci/import-corpus.sh [CORPUS] (ORCHSIM
# names the binary; target/release/orchsim by default).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus/cfn}
bin=$(realpath "${ORCHSIM:-target/release/orchsim}")
if [ ! -d "$corpus" ]; then
    echo "error: $corpus is missing; CI keeps the corpus beside the checkout" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The state machine definitions the templates name (DefinitionUri), back at their paths.
if [ -d "$corpus/definitions" ]; then
    for f in "$corpus"/definitions/*; do
        name=$(basename "$f")
        path="$work/t/${name//__//}"
        mkdir -p "$(dirname "$path")"
        cp "$f" "$path"
    done
fi

templates=()
for f in "$corpus"/*; do
    name=$(basename "$f")
    case "$name" in LICENSE* | definitions) continue ;; esac
    path="$work/t/${name//__//}"
    mkdir -p "$(dirname "$path")"
    cp "$f" "$path"
    templates+=("${name//__//}")
done

imported=0 ran=0 nothing=0 invalid=0 failed=0
start=$(date +%s%N)
for t in "${templates[@]}"; do
    out="$work/out/${t//\//__}.toml"
    mkdir -p "$work/out"
    if (cd "$work/t" && "$bin" import "$t" --out "$out" 2>"$work/err"); then
        imported=$((imported + 1))
        if "$bin" run "$out" --set run.horizon_s=60 --quiet --force --out "$work/run" >/dev/null 2>"$work/run-err"; then
            ran=$((ran + 1))
        else
            failed=$((failed + 1))
            echo "FAIL (run) $t: $(head -3 "$work/run-err")"
        fi
    elif grep -q "nothing orchsim can simulate yet" "$work/err"; then
        nothing=$((nothing + 1))
    elif grep -qE "^error: $t:[0-9]+:[0-9]+: " "$work/err" && [ "$t" = "rds-sns-event-notification/template.yaml" ]; then
        invalid=$((invalid + 1))
    else
        failed=$((failed + 1))
        echo "FAIL (import) $t: $(head -3 "$work/err")"
    fi
done
end=$(date +%s%N)
echo "${#templates[@]} templates: $imported imported ($ran ran 60 s), $nothing with nothing to simulate yet, $invalid invalid YAML, $failed failed; $(( (end - start) / 1000000 )) ms with the runs"
[ "$failed" -eq 0 ]
