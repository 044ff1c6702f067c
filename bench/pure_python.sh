#!/bin/sh
# Times bench/pure_python.py under CPython (python3) and lessonrun (one cell of a lesson), best of
# N runs each, and checks that both print the same thing.
# Usage: bench/pure_python.sh [runs]   (build first: cargo build --release)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
runs=${1:-5}
bin=${LESSONRUN:-$root/target/release/lessonrun}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{ printf '# Benchmark\n\n```python\n'; cat "$here/pure_python.py"; printf '```\n'; } > "$tmp/bench.md"

best() { # best wall time in seconds of "$@" over $runs runs
    b=""
    for _ in $(seq "$runs"); do
        s=$(date +%s.%N); "$@" > "$tmp/out" 2>&1; e=$(date +%s.%N)
        t=$(echo "$e - $s" | bc)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}

# The interpreter itself, not a version-manager shim (pyenv's shell shim adds ~50 ms per start).
py=$(python3 -c 'import sys; print(sys.executable)')
"$py" "$here/pure_python.py" > "$tmp/cpython.txt"
"$bin" run "$tmp/bench.md" | grep -v '^──' > "$tmp/lessonrun.txt" || true
if ! diff "$tmp/cpython.txt" "$tmp/lessonrun.txt" > /dev/null; then
    echo "outputs differ:"; diff "$tmp/cpython.txt" "$tmp/lessonrun.txt"; exit 1
fi
printf '# Empty\n\n```python\nx = 1\n```\n' > "$tmp/empty.md"
cp=$(best "$py" "$here/pure_python.py")
lr=$(best "$bin" run "$tmp/bench.md")
cp0=$(best "$py" -c pass)
lr0=$(best "$bin" run "$tmp/empty.md")
echo "$("$py" --version), best of $runs: ${cp}s (startup alone: ${cp0}s)"
echo "lessonrun, best of $runs: ${lr}s (startup alone: ${lr0}s)"
echo "ratio lessonrun/CPython, whole process: $(echo "scale=2; $lr / $cp" | bc)"
echo "ratio lessonrun/CPython, startup subtracted: $(echo "scale=2; ($lr - $lr0) / ($cp - $cp0)" | bc)"
