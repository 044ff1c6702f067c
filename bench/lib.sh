# Shared by bench scripts that time a lesson's cells beside PyTorch (sourced, not run).
# cell_ms BIN LESSON PYTHON: "lessonrun<TAB>line N<TAB>MS" for each cell after the first (the
# set-up cell), MS being the cell's own duration from `check --format json`.
cell_ms() {
    "$1" check "$2" --format json --cell-timeout 600 --memory-limit 8GiB \
        | "$3" -c '
import json, sys
cells = json.load(sys.stdin)["files"][0]["cells"][1:]
for c in cells:
    print("lessonrun\tline %d\t%.1f" % (c["line"], c["duration_ms"]))'
}
