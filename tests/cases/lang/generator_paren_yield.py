# A parenthesized yield is an expression: in calls, arithmetic, conditions and assignments.
def g():
    print("start")
    x = (yield 10)
    print("x is", x)
    print((yield 20))
    if (yield):
        print("never")
    return 5
print(list(g()))
def h(n):
    total = 0
    for i in range(n):
        total += (yield i) or i
    yield total
print(list(h(4)))
def pairs():
    a = (yield "a")
    b = (yield "b")
    yield (a, b)
print(list(pairs()))
