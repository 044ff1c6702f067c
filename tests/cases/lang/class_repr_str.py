class A:
    def __repr__(self):
        return "A()"
class B(A):
    def __str__(self):
        return "a B"
a, b = A(), B()
print(a, b, repr(b), str(a))
print([a, b], (a,), {"k": b})
print(f"{a} {b!r} {b}")
print("%s %r" % (b, b))
b
