#!/usr/bin/env bash
# The book in docs/: build it with a pinned mdBook, check every TOML snippet with
# `orchsim validate`, and run every command of the tutorial in a fresh folder.
#
# Usage: .ci/book-check.sh [ORCHSIM]   (default: target/release/orchsim, built by .ci/run)
#
# - mdBook is installed with `cargo install --locked` at MDBOOK_VERSION, without its
#   `serve` and `watch` features (a local server and a file watcher, which a check does not
#   need and which add a web stack to the build), unless that version is already installed.
# - A ```toml block is a complete scenario and must validate, unless its info string says
#   `toml,fragment` (a table shown alone, e.g. `[latency]`). The blocks are written into
#   the book's source folder for the check, so relative paths in them resolve as they would
#   beside a page; they are removed again.
# - The tutorial's ```console blocks are run in order in one shell, in an empty folder: each
#   `$ ` line is a command, and the lines after it up to the next `$ ` are its expected
#   output, compared exactly when given. `cargo` lines (installing orchsim) are skipped:
#   the check uses the orchsim it is given. `orchsim diff` may exit 1 (it found changes).
#   Each ```toml block is saved under the name of the last `*.toml` file named before it.
set -euo pipefail
cd "$(dirname "$0")/.."
MDBOOK_VERSION=0.5.4
orchsim=$(realpath "${1:-target/release/orchsim}")
[ -x "$orchsim" ] || { echo "error: $orchsim is not built (cargo build --release)" >&2; exit 1; }

mdbook_root=${MDBOOK_ROOT:-$HOME/.cargo}
mdbook="$mdbook_root/bin/mdbook"
if [ "$("$mdbook" --version 2>/dev/null)" != "mdbook v$MDBOOK_VERSION" ]; then
    echo "== installing mdbook $MDBOOK_VERSION"
    cargo install mdbook --locked --version "$MDBOOK_VERSION" --no-default-features \
        --features search --root "$mdbook_root"
fi
echo "== mdbook build docs"
"$mdbook" build docs

echo "== TOML snippets"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checked=0
while IFS= read -r page; do
    # Split the page's toml blocks (not fragments) into numbered files.
    awk -v out="$work/snippet" '
        /^```toml *$/ { n++; file = sprintf("%s-%03d.toml", out, n); inside = 1; next }
        /^```/ && inside { inside = 0; close(file); next }
        inside { print > file }
    ' "$page"
    for snippet in "$work"/snippet-*.toml; do
        [ -e "$snippet" ] || continue
        beside="$(dirname "$page")/.book-check-$(basename "$snippet")"
        cp "$snippet" "$beside"
        if ! out=$("$orchsim" validate "$beside" 2>&1); then
            rm -f "$beside"
            echo "error: a TOML snippet of $page does not validate (mark it toml,fragment if it is a part):" >&2
            echo "$out" >&2
            exit 1
        fi
        rm -f "$beside" "$snippet"
        checked=$((checked + 1))
    done
done < <(find docs/src -name '*.md' | sort)
echo "$checked snippets valid"

echo "== the tutorial, run"
tutorial=docs/src/tutorial/first-scenario.md
run=$(mktemp -d)
script="$work/tutorial.sh"
mkdir -p "$work/bin"
ln -s "$orchsim" "$work/bin/orchsim"
awk -v run="$run" '
    BEGIN { print "set -euo pipefail"; print "cd " run }
    /^```toml *$/ { intoml = 1; print "cat > " file " <<'\''SNIPPET'\''"; next }
    /^```console *$/ { inconsole = 1; next }
    /^```/ && intoml { intoml = 0; print "SNIPPET"; next }
    /^```/ && inconsole { inconsole = 0; flush(); next }
    intoml { print; next }
    inconsole && /^\$ / { flush(); cmd = substr($0, 3); expected = ""; next }
    inconsole { expected = expected $0 "\n"; next }
    { while (match($0, /`[A-Za-z0-9_.-]+\.toml`/)) { file = substr($0, RSTART + 1, RLENGTH - 2); $0 = substr($0, RSTART + RLENGTH) } }
    function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\$/, "\\$", s); gsub(/`/, "\\`", s); return s }
    function flush() {
        if (cmd == "") return
        if (cmd ~ /^cargo /) { cmd = ""; return }
        ok = (cmd ~ /^orchsim diff /) ? " || [ $? -eq 1 ]" : ""
        print "echo \"\\$ " esc(cmd) "\""
        if (expected != "") {
            n++
            printf "cat > expected-%d <<'\''EXPECTED'\''\n%sEXPECTED\n", n, expected
            print "{ " cmd "; } > got-" n " 2>&1" ok
            print "diff -u expected-" n " got-" n
        } else {
            print "{ " cmd "; } > /dev/null" ok
        }
        cmd = ""
    }
' "$tutorial" > "$script"
start=$(date +%s)
PATH="$work/bin:$PATH" bash "$script"
echo "tutorial ran in $(($(date +%s) - start)) s ($(wc -w < "$tutorial") words)"
rm -rf "$run"
echo "== book check passed"
