class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y
    def dist2(self):
        return self.x ** 2 + self.y ** 2
p = Point(3, 4)
print(p.x, p.y, p.dist2())
p.x = 10
print(p.dist2())
print(type(p).__name__, p.__class__.__name__)
