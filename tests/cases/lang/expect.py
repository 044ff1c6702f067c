"""Regenerate every NAME.out from NAME.py with CPython 3.11 under the lesson rules.

Each .py is one notebook cell: run with `math` pre-imported, stdout captured; the last
statement, if an expression whose value is not None and whose line does not end with ';',
is displayed as repr; an uncaught exception appends its last traceback line.
Run: python3 tests/cases/lang/expect.py   (this is the bless switch; review the diff)
"""
import ast
import contextlib
import io
import math
import pathlib
import sys
import traceback

HERE = pathlib.Path(__file__).parent


def last_line(e):
    return traceback.format_exception_only(type(e), e)[-1]


def run(src):
    out = io.StringIO()
    g = {"__name__": "__main__", "math": math}
    with contextlib.redirect_stdout(out):
        try:
            tree = ast.parse(src)
        except SyntaxError as e:
            return last_line(e)
        try:
            body = tree.body
            show = None
            if body and isinstance(body[-1], ast.Expr):
                last = body[-1]
                rest = src.splitlines()[last.end_lineno - 1][last.end_col_offset:]
                silenced = rest.lstrip(" \t").startswith(";")
                show = (ast.Expression(last.value), silenced)
                body = body[:-1]
            exec(compile(ast.Module(body=body, type_ignores=[]), "<cell>", "exec"), g)
            if show is not None:
                value = eval(compile(show[0], "<cell>", "eval"), g)
                if value is not None and not show[1]:
                    print(repr(value))
        except BaseException as e:  # noqa: BLE001 - every exception is output
            sys.stdout.flush()
            return out.getvalue() + last_line(e)
    return out.getvalue()


def main():
    assert sys.version_info[:2] == (3, 11), "expected outputs come from CPython 3.11"
    for py in sorted(HERE.glob("*.py")):
        if py.name == "expect.py":
            continue
        py.with_suffix(".out").write_text(run(py.read_text()))


if __name__ == "__main__":
    main()
