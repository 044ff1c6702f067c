#!/bin/sh
# Times bench/micrograd.py (Karpathy's micrograd training loop, pure Python: Value objects with
# operator dunders, a `_backward` closure per operation, a topological sort) under CPython and
# lessonrun (one cell of a lesson) in the same run: best CPU time (user+sys, the lesson's child
# included) of N rounds each, rounds interleaved, and checks that both print the same thing.
# Usage: bench/micrograd.sh [rounds]   (build first: cargo build --release)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
runs=${1:-5}
bin=${LESSONRUN:-$root/target/release/lessonrun}
py=${PYTHON:-/tmp/torch-venv/bin/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{ printf '# Micrograd\n\n```python\n'; cat "$here/micrograd.py"; printf '```\n'; } > "$tmp/bench.md"
printf '# Empty\n\n```python\nx = 1\n```\n' > "$tmp/empty.md"

"$py" "$here/micrograd.py" > "$tmp/cpython.txt"
"$bin" run "$tmp/bench.md" | grep -v '^──' > "$tmp/lessonrun.txt" || true
if ! diff "$tmp/cpython.txt" "$tmp/lessonrun.txt" > /dev/null; then
    echo "outputs differ:"; diff "$tmp/cpython.txt" "$tmp/lessonrun.txt"; exit 1
fi

cpu() { # CPU seconds (user+sys, children included) of "$@"
    /usr/bin/time -f '%U %S' -o "$tmp/t" "$@" > /dev/null 2>&1
    awk '{ printf "%.2f", $1 + $2 }' "$tmp/t"
}
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
cp=""; lr=""; cp0=""; lr0=""
for _ in $(seq "$runs"); do
    cp=$(min "$cp" "$(cpu "$py" "$here/micrograd.py")")
    lr=$(min "$lr" "$(cpu "$bin" run "$tmp/bench.md")")
    cp0=$(min "$cp0" "$(cpu "$py" -c pass)")
    lr0=$(min "$lr0" "$(cpu "$bin" run "$tmp/empty.md")")
done
echo "load: $(uptime | sed 's/.*load average: //')"
echo "$("$py" --version), best CPU time of $runs: ${cp}s (startup alone: ${cp0}s)"
echo "lessonrun, best CPU time of $runs: ${lr}s (startup alone: ${lr0}s)"
echo "ratio lessonrun/CPython, whole process: $(echo "scale=2; $lr / $cp" | bc)"
echo "ratio lessonrun/CPython, startup subtracted: $(echo "scale=2; ($lr - $lr0) / ($cp - $cp0)" | bc)"
