class P:
    def __init__(self, v):
        self.v = v
    def __eq__(self, o):
        return isinstance(o, P) and self.v == o.v
items = [P(1), P(2)]
print(P(2) in items, P(3) in items, items.index(P(2)), items.count(P(1)))
print(P(1) == P(1), P(1) == 1, P(1) != P(2))
a = P(5)
print(a is a, a is P(5))
