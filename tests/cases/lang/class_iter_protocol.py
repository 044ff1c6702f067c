class Countdown:
    def __init__(self, start):
        self.start = start
    def __iter__(self):
        n = self.start
        out = []
        while n > 0:
            out.append(n)
            n -= 1
        return iter(out)
class Fib:
    def __init__(self, limit):
        self.a, self.b, self.limit = 0, 1, limit
    def __iter__(self):
        return self
    def __next__(self):
        if self.a > self.limit:
            raise StopIteration
        v = self.a
        self.a, self.b = self.b, self.a + self.b
        return v
print(list(Countdown(4)), sum(Countdown(10)))
print(list(Fib(50)))
it = iter(Fib(3))
print(next(it), next(it), next(it), next(it), next(it, "done"))
