def ratio(a, b):
    return a / b
def report(xs):
    return [ratio(x, x - 2) for x in xs]
report([4, 3, 2])
