class A:
    pass
r = repr(A())
print(r.startswith("<__main__.A object at 0x"), r.endswith(">"))
print(str(A()) == repr(A()) or "addresses differ")
print(A)
