def loud(fn):
    def wrapper(*args, **kwargs):
        print('calling', fn.__name__)
        return fn(*args, **kwargs)
    return wrapper
@loud
def add(a, b):
    return a + b
print(add(2, 3))
def repeat(n):
    def deco(fn):
        def w():
            return [fn() for _ in range(n)]
        return w
    return deco
@repeat(3)
def one():
    return 1
print(one())
