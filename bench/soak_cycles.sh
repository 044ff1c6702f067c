#!/bin/sh
# Soak: `lessonrun watch` rebuilds a lesson that leaks a reference cycle holding a 4 MB tensor
# (and a closure that captures its own frame) N times, its cell changed each time so that it
# runs again (a prose-only change re-runs nothing); prints the RSS of watch and its lesson
# workers (one process per lesson, src/watch/worker.rs) together every 50 rebuilds. Flat RSS
# means the cycles a re-run leaves behind are freed (`lang::cycles::collect`, after each live
# run) and not just bounded by replacing the worker (src/watch/worker.rs retires a worker that
# grows 32 MiB past what its cache explains): the script counts the worker processes it saw.
# Usage: bench/soak_cycles.sh [rebuilds]   (build first: cargo build --release)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
n=${1:-500}
bin=${LESSONRUN:-$root/target/release/lessonrun}
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkdir "$tmp/lessons"
lesson() {
    cat > "$tmp/lessons/leak.md" <<LESSON
# Leak $1

\`\`\`python
import torch
class Node:
    def __init__(self):
        self.me = self
        self.t = torch.zeros(1000000)
n = Node()
def outer():
    def inner():
        return inner
    return inner
f = outer()
l = [torch.ones(10)]
l.append(l)
print(n.t.shape, $1)
\`\`\`
LESSON
}
lesson 0
"$bin" watch "$tmp/lessons" --out "$tmp/site" 2> "$tmp/log" &
pid=$!
built() { grep -c '^built' "$tmp/log" 2>/dev/null || true; }
# watch and its direct children (the lesson workers), in MiB.
rss() {
    kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
    for k in $kids; do echo "$k" >> "$tmp/workers"; done
    for p in "$pid" $kids; do cat "/proc/$p/status" 2>/dev/null; done |
        awk '/^VmRSS/ { kb += $2 } END { print int(kb / 1024) }'
}
while [ "$(built)" -lt 1 ]; do sleep 0.05; done
echo "rebuilds 0: RSS $(rss) MiB"
first=""
i=1
while [ "$i" -le "$n" ]; do
    lesson "$i"
    while [ "$(built)" -le "$i" ]; do sleep 0.02; done
    [ $((i % 10)) -ne 0 ] || rss > /dev/null
    if [ $((i % 50)) -eq 0 ]; then
        r=$(rss)
        [ -n "$first" ] || first=$r
        echo "rebuilds $i: RSS $r MiB"
    fi
    i=$((i + 1))
done
echo "growth from rebuild 50 to $n: $(( $(rss) - first )) MiB"
echo "lesson worker processes seen: $(sort -u "$tmp/workers" | wc -l)"
