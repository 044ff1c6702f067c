class Shape:
    def area(self):
        raise NotImplementedError("subclasses must implement area")
    def describe(self):
        return f"{type(self).__name__} with area {self.area():.2f}"
class Square(Shape):
    def __init__(self, s): self.s = s
    def area(self): return self.s ** 2
class Circle(Shape):
    def __init__(self, r): self.r = r
    def area(self): return 3.14159 * self.r ** 2
for sh in [Square(2), Circle(1)]:
    print(sh.describe())
Shape().describe()
