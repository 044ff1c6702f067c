errs = [ValueError(), ValueError("a"), ValueError("a", 2), KeyError("k"), IndexError(3)]
for e in errs:
    print(repr(e), "|", str(e), "|", e.args)
