class Money:
    def __init__(self, v):
        self.v = v
    def __format__(self, spec):
        return "$" + format(self.v, spec or ".2f")
m = Money(3.14159)
print(f"{m}", f"{m:.1f}", format(m, ".3f"), "{}".format(m))
class Plain:
    def __str__(self):
        return "plain"
print(f"{Plain()}", f"{Plain()!s:>8}|")
f"{Plain():>8}"
