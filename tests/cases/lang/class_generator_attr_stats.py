class Stats:
    def __init__(self, xs):
        self.xs = list(xs)
    @property
    def mean(self):
        return sum(self.xs) / len(self.xs)
    @property
    def var(self):
        m = self.mean
        return sum((x - m) ** 2 for x in self.xs) / len(self.xs)
s = Stats([1, 2, 3, 4])
print(s.mean, s.var, round(s.var ** 0.5, 4))
