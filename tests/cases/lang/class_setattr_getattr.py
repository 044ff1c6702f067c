class Tracked:
    def __init__(self):
        self.log = []
    def __setattr__(self, name, value):
        if name != "log":
            self.log.append(name)
        super().__setattr__(name, value)
t = Tracked()
t.a = 1
t.b = 2
t.a = 3
print(t.log, t.a, t.b)
class Default:
    def __getattr__(self, name):
        if name.startswith("x"):
            return len(name)
        raise AttributeError(f"no {name}")
d = Default()
d.real = 5
print(d.real, d.xyz, getattr(d, "x"), hasattr(d, "q"), hasattr(d, "xx"))
d.q
