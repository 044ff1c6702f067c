class K:
    def __init__(self, n): self.n = n
a, b = K(1), K(1)
d = {a: "a", b: "b"}
print(len(d), d[a], d[b])
s = {a, a, b}
print(len(s), a in s)
