# lessonrun's driver for `--engine pytorch`: runs a lesson's cells in real CPython + PyTorch
# under the lesson rules (README, "The lesson format"), speaking one JSON object per line.
#   lessonrun -> driver: {"code": "<cell source>"}
#   driver -> lessonrun: first {"ready": "<torch version>"} or {"fatal": "<why>"},
#                        then one {"output": "<printed text>", "error": null | "<last traceback line>"} per cell.
import ast
import contextlib
import io
import json
import sys
import traceback


def send(obj):
    sys.__stdout__.write(json.dumps(obj) + "\n")
    sys.__stdout__.flush()


def is_seed_output(node):
    # The seed tutorial's style: a trailing bare string whose first line is `output:`
    # (after an optional `--------` line) is the expected output, not code.
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
        return False
    lines = node.value.value.strip().splitlines()
    if lines and set(lines[0].strip()) == {"-"}:
        lines = lines[1:]
    return bool(lines) and lines[0].strip() == "output:"


def run_cell(code, ns):
    tree = ast.parse(code, "<cell>", "exec")
    body = list(tree.body)
    if body and is_seed_output(body[-1]):
        body.pop()
    last = None
    if body and isinstance(body[-1], ast.Expr):
        src_line = code.split("\n")[body[-1].end_lineno - 1]
        if not src_line.split("#")[0].rstrip().endswith(";"):
            last = body.pop()
    exec(compile(ast.Module(body=body, type_ignores=[]), "<cell>", "exec"), ns)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns)
        if value is not None:
            print(repr(value))


def main():
    try:
        import math
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - any failure to import torch is reported as such
        send({"fatal": f"this Python cannot import torch ({type(e).__name__}: {e}); install it with `pip install torch`"})
        return
    ns = {"__name__": "__lesson__", "__builtins__": __builtins__, "torch": torch, "nn": nn, "F": F, "math": math}
    torch.manual_seed(0)
    send({"ready": torch.__version__})
    for line in sys.stdin:
        if not line.strip():
            continue
        code = json.loads(line)["code"]
        buf = io.StringIO()
        error = None
        with contextlib.redirect_stdout(buf):
            try:
                run_cell(code, ns)
            except BaseException as e:  # noqa: BLE001 - the cell's exception is its output
                # Only the final newline belongs to the line; a message may end in blank lines.
                last = traceback.format_exception_only(type(e), e)[-1]
                error = last[:-1] if last.endswith("\n") else last
        send({"output": buf.getvalue(), "error": error})


main()
