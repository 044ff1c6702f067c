#!/usr/bin/env bash
# Builds the fuzz corpora from what the repository already holds: every language case and every
# lesson is a seed, plus the few extra seeds in fuzz/seeds/. Run from anywhere; writes fuzz/corpus/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/fuzz/corpus"
mkdir -p "$out/lang" "$out/lesson"
cp "$root"/tests/cases/lang/*.py "$root"/fuzz/seeds/lang/* "$out/lang/"
cp "$root"/lessons/*.md "$root"/tests/conformance/*.md "$out/lesson/"
for f in "$root"/tests/pending/*.md; do cp "$f" "$out/lesson/pending-$(basename "$f")"; done
echo "corpus: $(ls "$out/lang" | wc -l) lang seeds, $(ls "$out/lesson" | wc -l) lesson seeds in $out"
