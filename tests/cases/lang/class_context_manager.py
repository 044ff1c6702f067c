class Timer:
    def __init__(self, name):
        self.name = name
    def __enter__(self):
        print("enter", self.name)
        return self
    def __exit__(self, exc_type, exc, tb):
        print("exit", self.name, exc_type.__name__ if exc_type else None)
        return False
with Timer("a") as t:
    print("inside", t.name)
with Timer("outer"), Timer("inner"):
    print("body")
try:
    with Timer("b"):
        1 / 0
except ZeroDivisionError as e:
    print("propagated:", e)
