def make_counter_class(start):
    class Counter:
        def __init__(self):
            self.n = start
        def inc(self):
            self.n += 1
            return self.n
    return Counter
C = make_counter_class(10)
c = C()
print(c.inc(), c.inc(), make_counter_class(0)().inc())
