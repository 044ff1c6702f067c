class Validated:
    def __init__(self, x):
        if x < 0:
            raise ValueError(f"x must be >= 0, got {x}")
        self.x = x
print(Validated(1).x)
def build(v):
    return Validated(v)
build(-2)
