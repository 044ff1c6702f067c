def twice(f):
    def wrapper(*args, **kwargs):
        f(*args, **kwargs)
        return f(*args, **kwargs)
    return wrapper
class Greeter:
    def __init__(self):
        self.n = 0
    @twice
    def greet(self, who="world"):
        self.n += 1
        print(f"hello {who} #{self.n}")
        return self.n
g = Greeter()
print(g.greet(), g.greet(who="you"))
