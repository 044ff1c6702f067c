class Counter:
    total = 0
    items = []
    def __init__(self):
        Counter.total += 1
        self.items.append(Counter.total)
a = Counter(); b = Counter()
print(Counter.total, a.total, b.items, a.items is b.items)
a.total = 99
print(a.total, b.total, Counter.total)
del a.total
print(a.total)
