class Bag:
    def __init__(self):
        self.items = []
    def __iadd__(self, x):
        self.items.append(x)
        return self
b = Bag()
ref = b
b += 1
b += 2
print(b.items, b is ref)
class NoIadd:
    def __init__(self, v): self.v = v
    def __add__(self, o): return NoIadd(self.v + o)
n = NoIadd(1)
m = n
n += 5
print(n.v, m.v, n is m)
