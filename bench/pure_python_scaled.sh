#!/bin/sh
# Wall time of each part of bench/pure_python.py at ten times its size, under CPython and
# lessonrun, best of N whole-process runs each, beside each one's startup alone. At this size the
# work dwarfs startup, so the per-part ratio is readable (bench/pure_python_parts.sh gives the
# same parts as instruction counts). Both must print the same.
# Usage: bench/pure_python_scaled.sh [runs]   (build first: cargo build --release)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
runs=${1:-3}
bin=${LESSONRUN:-$root/target/release/lessonrun}
py=$(python3 -c 'import sys; print(sys.executable)')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$here/pure_python.py" "$tmp" <<'PY'
import sys
src = open(sys.argv[1]).read()
defs, _ = src.split("\nps = make(1000)\n")
parts = {
    "startup": "",
    "methods+attributes": "ps = make(1000)\nprint(round(simulate(ps, 2000), 6))",
    "fib(27)": "print(fib(27))",
    "while loop (3M)": "acc = 0\ni = 0\nwhile i < 3000000:\n    acc += i & 7\n    i += 1\nprint(acc)",
    "list comprehension": "print(len(squares(2000000)))",
    "dict counting": 'words = ["w" + str(i % 100) for i in range(1000000)]\nprint(len(count_words(words)))',
}
for i, (name, body) in enumerate(parts.items()):
    code = defs + "\n" + body + "\n"
    open(f"{sys.argv[2]}/{i}.py", "w").write(code)
    open(f"{sys.argv[2]}/{i}.md", "w").write("# Part\n\n```python\n" + code + "```\n")
    open(f"{sys.argv[2]}/{i}.name", "w").write(name)
PY
best() { # best wall time in ms of "$@" over $runs runs
    b=""
    for _ in $(seq "$runs"); do
        s=$(date +%s%N); "$@" > /dev/null 2>&1; e=$(date +%s%N)
        t=$(( (e - s) / 1000000 ))
        if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
    done
    echo "$b"
}
printf '%-22s %14s %16s\n' part "CPython (ms)" "lessonrun (ms)"
for i in 0 1 2 3 4 5; do
    "$py" "$tmp/$i.py" > "$tmp/$i.cpython"
    "$bin" run "$tmp/$i.md" | grep -v '^──' > "$tmp/$i.lessonrun" || true
    if ! diff "$tmp/$i.cpython" "$tmp/$i.lessonrun" > /dev/null; then
        echo "outputs differ for $(cat "$tmp/$i.name")"; exit 1
    fi
    printf '%-22s %14s %16s\n' "$(cat "$tmp/$i.name")" "$(best "$py" "$tmp/$i.py")" "$(best "$bin" run "$tmp/$i.md")"
done
