def make_counter():
    count = 0
    def inc(step=1):
        nonlocal count
        count += step
        return count
    return inc
c = make_counter()
print(c(), c(), c(5))
c2 = make_counter()
print(c2(), c())
def adders():
    return [lambda x, i=i: x + i for i in range(3)]
print([f(10) for f in adders()])
def outer():
    x = 'outer'
    def inner():
        return x
    x = 'changed'
    return inner()
print(outer())
