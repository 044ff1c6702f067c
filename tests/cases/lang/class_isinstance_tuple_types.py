class A: pass
class B: pass
class C(B): pass
vals = [A(), B(), C(), 1, "s"]
print([isinstance(v, (A, C)) for v in vals])
print([type(v).__name__ for v in vals])
print(type(C()) is C, type(C()) == B)
isinstance(A(), A())
