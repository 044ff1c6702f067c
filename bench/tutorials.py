"""PyTorch's side of bench/tutorials.sh, and the tables it writes.

    tutorials.py run LESSON.md      # run the lesson's cells in PyTorch, one thread; JSON on stdout
    tutorials.py report DIR         # Markdown tables from the timings bench/tutorials.sh saved

`run` follows the lesson rules the expected outputs come from (/work/shared/tools/torch-oracle,
src/pytorch_driver.py): cells are fenced blocks whose info string starts with the word `python`
and has no `skip`, run top to bottom in one namespace that starts with torch, nn, F and math
imported and torch.manual_seed(0) called, in the lesson's folder; a trailing expression prints its
repr unless it is None or its line ends with `;`; a trailing seed-style `output:` string is not
run; an exception ends its cell only. Each cell is timed with time.perf_counter around its own
run, printing included; its output is captured, as the oracle does, and not compared here
(the tutorial suite does that).
"""
import ast
import contextlib
import io
import json
import os
import re
import sys
import time

FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")


def cells(text):
    """(line of the opening fence, 1-based; source) of every code cell, as the oracle finds them."""
    lines = text.splitlines(keepends=True)
    found, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i].rstrip("\n"))
        if not m or (m.group(2)[0] == "`" and "`" in m.group(3)):
            i += 1
            continue
        marker, info = m.group(2), m.group(3).strip()
        body, j = [], i + 1
        while j < len(lines):
            c = lines[j].rstrip("\n").strip()
            if c.startswith(marker[0] * len(marker)) and set(c) == {marker[0]}:
                break
            body.append(lines[j])
            j += 1
        words = info.replace(",", " ").split()
        if words and words[0] == "python" and "skip" not in words[1:]:
            found.append((i + 1, "".join(body)))
        i = j + 1
    return found


def is_seed_output(node):
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
        return False
    lines = [l.strip() for l in node.value.value.strip().splitlines()]
    if lines and set(lines[0]) == {"-"}:
        lines = lines[1:]
    return bool(lines) and lines[0] == "output:"


def run_cell(source, ns):
    tree = ast.parse(source, "<cell>")
    body = tree.body
    if body and is_seed_output(body[-1]):
        body = body[:-1]
    show = None
    if body and isinstance(body[-1], ast.Expr):
        last_line = source.splitlines()[body[-1].end_lineno - 1].split("#")[0].rstrip()
        if not last_line.endswith(";"):
            show = ast.Expression(body[-1].value)
            body = body[:-1]
    exec(compile(ast.Module(body=body, type_ignores=[]), "<cell>", "exec"), ns)
    if show is not None:
        value = eval(compile(show, "<cell>", "eval"), ns)
        if value is not None:
            print(repr(value))


def run(path):
    import math
    import torch
    from torch import nn
    import torch.nn.functional as F

    torch.set_num_threads(1)
    text = open(path, encoding="utf-8").read()
    os.chdir(os.path.dirname(os.path.abspath(path)))
    torch.manual_seed(0)
    ns = {"torch": torch, "nn": nn, "F": F, "math": math, "__name__": "__lesson__"}
    out = []
    for line, source in cells(text):
        buf = io.StringIO()
        t = time.perf_counter()
        with contextlib.redirect_stdout(buf):
            try:
                run_cell(source, ns)
            except Exception:  # noqa: BLE001 - the cell's error is its output, as in the oracle
                pass
        out.append({"line": line, "duration_ms": (time.perf_counter() - t) * 1e3})
    json.dump({"cells": out}, sys.__stdout__)


def fmt(ms):
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.1f} ms"


def ratio(lr, pt):
    """How many times faster lessonrun is (> 1) or slower (< 1, shown as 1/x)."""
    if lr <= 0 or pt <= 0:
        return "-"
    r = pt / lr
    return f"{r:.1f}× faster" if r >= 1 else f"**{1 / r:.2f}× slower**"


def report(folder):
    """Minimum over rounds of every figure (the least disturbed run on a shared machine)."""
    lessons = {}
    rounds = sorted(d for d in os.listdir(folder) if d.startswith("round"))
    for rd in rounds:
        base = os.path.join(folder, rd)
        for f in sorted(os.listdir(base)):
            if not f.endswith(".lr.json"):
                continue
            name = f[: -len(".lr.json")]
            entry = lessons.setdefault(name, {"lr": None, "pt": None, "lr_cells": {}, "pt_cells": {}})
            for side in ("lr", "pt"):
                wall = float(open(os.path.join(base, f"{name}.{side}.ms")).read())
                entry[side] = wall if entry[side] is None else min(entry[side], wall)
                data = json.load(open(os.path.join(base, f"{name}.{side}.json")))
                cell_list = data["files"][0]["cells"] if side == "lr" else data["cells"]
                cells_ = entry[side + "_cells"]
                for c in cell_list:
                    line, ms = str(c["line"]), c["duration_ms"]
                    cells_[line] = min(cells_.get(line, ms), ms)
    print(f"Per lesson (whole process, start-up included; cells = sum of cell times; minimum of {len(rounds)} round(s)):\n")
    print("| lesson | cells | lessonrun cells | PyTorch cells | lessonrun process | PyTorch process | process ratio |")
    print("|---|---|---|---|---|---|---|")
    tot = {"lr": 0.0, "pt": 0.0, "lrc": 0.0, "ptc": 0.0}
    slow_cells = []
    for name in sorted(lessons):
        e = lessons[name]
        lines = sorted(set(e["lr_cells"]) | set(e["pt_cells"]), key=int)
        lrc = sum(e["lr_cells"].values())
        ptc = sum(e["pt_cells"].values())
        tot["lr"] += e["lr"]
        tot["pt"] += e["pt"]
        tot["lrc"] += lrc
        tot["ptc"] += ptc
        print(f"| {name} | {len(lines)} | {fmt(lrc)} | {fmt(ptc)} | {fmt(e['lr'])} | {fmt(e['pt'])} | {ratio(e['lr'], e['pt'])} |")
        for line in lines:
            a, b = e["lr_cells"].get(line), e["pt_cells"].get(line)
            if (a or 0) > 10 or (b or 0) > 10:
                slow_cells.append((name, line, a, b))
    print(f"| **all {len(lessons)} lessons** | | **{fmt(tot['lrc'])}** | **{fmt(tot['ptc'])}** | **{fmt(tot['lr'])}** "
          f"| **{fmt(tot['pt'])}** | **{ratio(tot['lr'], tot['pt'])}** |")
    print("\nPer cell, every cell over 10 ms in either (line = the cell's opening fence):\n")
    print("| cell | lessonrun | PyTorch | ratio |")
    print("|---|---|---|---|")
    for name, line, a, b in slow_cells:
        sa = fmt(a) if a is not None else "(not run)"
        sb = fmt(b) if b is not None else "(not run)"
        print(f"| {name}:{line} | {sa} | {sb} | {ratio(a or 0, b or 0)} |")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "run":
        run(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "report":
        report(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
