class T:
    def __init__(self, n): self.n = n
    def __str__(self): return f"T{self.n}"
    def __repr__(self): return f"T(n={self.n})"
ts = [T(1), T(2)]
print(ts, *ts)
print(str(ts), ", ".join(map(str, ts)))
print({1: T(3)}, (T(4), T(5)))
