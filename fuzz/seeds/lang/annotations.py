x: int = 5
y: float
def f(a: int, b: str = 'z') -> str:
    return b * a
print(x, f(2), f(1, 'q'))
