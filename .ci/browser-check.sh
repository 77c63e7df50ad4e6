#!/usr/bin/env bash
# The reports in a real browser: runs every shipped scenario, one sweep and one compare,
# opens each report.html (and a page of each results folder's chart files as <img>) in
# headless Chromium, and fails when a chart or image is missing or does not load. A
# screenshot of each page stays in target/browser-check/ as a CI artefact.
#
# How a page is judged: report.html ends with a small script of its own
# (src/report/page_check.js) that, on the load event (after every image has loaded or
# failed), counts the inline SVG charts that have a size and drawn marks and the <img>
# with a natural width, and writes "N/M" on <body data-charts-ok>. Chromium's --dump-dom
# prints the DOM after the page has loaded and, with --virtual-time-budget, after its
# scripts have run, so the count is read back from the dump: it must be M/M with M the
# number of chart files the folder holds (a chart left out of the page is missing). The
# chart files themselves (PNG and SVG) go through a generated page of <img> tags with the
# same script, so a PNG or SVG that a browser cannot decode fails too.
#
# Chromium comes from Debian (apt-get, as root on a fresh CI machine); the check fails,
# never skips, when it cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/browser-check
started=$(date +%s)

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "error: chromium is not installed and installing it needs root: apt-get install -y chromium" >&2
        exit 1
    fi
    echo "installing chromium from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    chromium=$(command -v chromium)
fi
echo "using $("$chromium" --version 2>/dev/null || echo "$chromium")"

cargo build --release --locked --bin orchsim
orchsim="${CARGO_TARGET_DIR:-target}/release/orchsim"

rm -rf "$out"
mkdir -p "$out/results" "$out/pages"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

# Headless Chromium: no sandbox (CI runs as root, which the sandbox refuses), a private
# profile, and the page given a few seconds of virtual time to load and run its script.
browse() {
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$profile" --virtual-time-budget=5000 "$@" 2>/dev/null
}

failures=0
# check PAGE EXPECTED SCREENSHOT: the page must report EXPECTED/EXPECTED, EXPECTED > 0.
check() {
    local page=$1 expected=$2 shot=$3 url dom got broken
    url="file://$(realpath "$page")"
    dom=$(browse --dump-dom "$url" || true)
    got=$(grep -o 'data-charts-ok="[0-9]*/[0-9]*"' <<<"$dom" | head -1 | cut -d'"' -f2 || true)
    broken=$(grep -o 'data-charts-broken="[^"]*"' <<<"$dom" | head -1 | cut -d'"' -f2 || true)
    browse --window-size=1200,2400 --screenshot="$(realpath -m "$shot")" "$url" >/dev/null || true
    if [ "$expected" -eq 0 ]; then
        echo "FAIL $page: the folder has no chart files"
        failures=$((failures + 1))
    elif [ "$got" != "$expected/$expected" ]; then
        echo "FAIL $page: ${got:-no count (the page check did not run)} of $expected charts and images drew${broken:+; broken: $broken}"
        failures=$((failures + 1))
    elif [ ! -s "$shot" ]; then
        echo "FAIL $page: no screenshot"
        failures=$((failures + 1))
    else
        echo "ok   $page: $got ($shot)"
    fi
}

# images_page DIR NAME: a page of every PNG and SVG file of DIR (and its charts/), as <img>.
images_page() {
    local dir=$1 page="$out/pages/$2-images.html" f
    {
        echo '<!DOCTYPE html><html><head><meta charset="utf-8"><title>chart files</title>'
        echo '<style>img{max-width:560px;border:1px solid #ccc;margin:4px}</style></head><body>'
        for f in "$dir"/*.png "$dir"/*.svg "$dir"/charts/*.png "$dir"/charts/*.svg; do
            [ -e "$f" ] && echo "<img src=\"file://$(realpath "$f")\" alt=\"$f\">"
        done
        echo '<script>'
        cat src/report/page_check.js
        echo '</script></body></html>'
    } >"$page"
    echo "$page"
}

# count FILE...: how many of the (globbed) paths are files; an unmatched glob counts 0.
count() {
    local n=0 f
    for f in "$@"; do
        if [ -f "$f" ]; then n=$((n + 1)); fi
    done
    echo "$n"
}

# check_folder DIR NAME: its report.html (if it has one) and its chart files.
check_folder() {
    local dir=$1 name=$2 svgs files png
    # A browser shows what it can of a cut-off PNG and gives it its full width, so a PNG
    # must also end with its IEND chunk.
    for png in "$dir"/*.png "$dir"/charts/*.png; do
        if [ -f "$png" ] && [ "$(tail -c 8 "$png" | od -An -tx1 | tr -d ' \n')" != 49454e44ae426082 ]; then
            echo "FAIL $png: cut off (no IEND chunk at its end)"
            failures=$((failures + 1))
        fi
    done
    svgs=$(count "$dir"/charts/*.svg)
    files=$(count "$dir"/*.png "$dir"/*.svg "$dir"/charts/*.png "$dir"/charts/*.svg)
    if [ -f "$dir/report.html" ]; then
        check "$dir/report.html" "$svgs" "$out/$name.png"
    fi
    check "$(images_page "$dir" "$name")" "$files" "$out/$name-images.png"
}

for scenario in scenarios/*.toml; do
    name=$(basename "$scenario" .toml)
    "$orchsim" run "$scenario" --out "$out/results/$name" --force --quiet
    check_folder "$out/results/$name" "$name"
done
"$orchsim" sweep scenarios/lambda_concurrency_sweep.toml --out "$out/results/sweep" --force --quiet >/dev/null
check_folder "$out/results/sweep" sweep
"$orchsim" compare scenarios/step_functions_orders.toml --out "$out/results/compare" --force >/dev/null
check_folder "$out/results/compare" compare

took=$(( $(date +%s) - started ))
echo "browser check: $failures failure(s) in $took s; screenshots in $out/"
[ "$failures" -eq 0 ]
