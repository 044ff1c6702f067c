#!/bin/sh
# Runs the grammar fuzzer (examples/fuzz_limits.rs) for SECONDS under a 1 GiB memory limit and
# samples its RSS every second from outside; fails if it crashed, aborted, reported an internal
# error, or its RSS went over 1.5 GiB.
# Usage: bench/fuzz.sh [seconds] [seed]   (build first: cargo build --release --example fuzz_limits)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
secs=${1:-1800}
seed=${2:-$(date +%s)}
bin=${FUZZ_BIN:-$root/target/release/examples/fuzz_limits}
out=${FUZZ_OUT:-fuzz-$seed.log}
"$bin" "$secs" "$seed" $((1 << 30)) > "$out" 2>&1 &
pid=$!
max=0
while kill -0 "$pid" 2>/dev/null; do
    r=$(awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${r:-0}" -gt "$max" ] && max=$r
    sleep 1
done
wait "$pid"
code=$?
tail -n 30 "$out"
echo "seed $seed, exit code $code, max sampled RSS $max MiB (log: $out)"
[ "$code" -eq 0 ] && [ "$max" -lt 1536 ]
