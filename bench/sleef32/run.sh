#!/bin/sh
# Builds and runs bench.rs (rustc -O, no target-cpu flags, as the crate is built), then times the
# same float32 ops in PyTorch (one thread) for comparison.
set -e
cd "$(dirname "$0")"
rustc --edition 2024 -O bench.rs -o /tmp/sleef32_bench
/tmp/sleef32_bench
${PYTHON:-python3} torch_ops.py
