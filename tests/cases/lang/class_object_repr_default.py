class A:
    pass
r = repr(A())
print(r.startswith("<__main__.A object at 0x"), r.endswith(">"))
a = A()
print(str(a) == repr(a))
print(A)
