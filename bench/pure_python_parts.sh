#!/bin/sh
# Counts the instructions each part of bench/pure_python.py takes under CPython and under
# lessonrun, with valgrind's callgrind: unlike wall time, the counts repeat exactly whatever else
# the machine is doing. Each part runs alone after the shared definitions; the table also shows
# each interpreter's count for the definitions alone (startup), to subtract.
# Usage: bench/pure_python_parts.sh   (build first: cargo build --release; needs valgrind)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${LESSONRUN:-$root/target/release/lessonrun}
py=$(python3 -c 'import sys; print(sys.executable)')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$here/pure_python.py" "$tmp" <<'PY'
import sys
src = open(sys.argv[1]).read()
defs, main = src.split("\nps = make(1000)\n")
lines = main.strip().split("\n")
parts = {
    "startup": "",
    "methods+attributes": "ps = make(1000)\n" + lines[0],
    "fib(22)": lines[1],
    "while loop": "\n".join(lines[2:8]),
    "list comprehension": lines[8],
    "dict counting": "\n".join(lines[9:11]),
}
for i, (name, body) in enumerate(parts.items()):
    code = defs + "\n" + body + "\n"
    open(f"{sys.argv[2]}/{i}.py", "w").write(code)
    open(f"{sys.argv[2]}/{i}.md", "w").write("# Part\n\n```python\n" + code + "```\n")
    open(f"{sys.argv[2]}/{i}.name", "w").write(name)
PY
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | awk '/Collected/ {print int($4 / 1000000)}'; }
printf '%-20s %12s %12s\n' part "CPython (M)" "lessonrun (M)"
for i in 0 1 2 3 4 5; do
    printf '%-20s %12s %12s\n' "$(cat "$tmp/$i.name")" "$(count "$py" "$tmp/$i.py")" "$(count "$bin" run "$tmp/$i.md")"
done
