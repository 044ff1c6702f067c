def helper():
    return 'v1'
def caller():
    out = []
    for _ in range(2):
        out.append(helper())
    return out
print(caller())
def helper():
    return 'v2'
print(caller())
helper = lambda: 'lambda'
print(caller())
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
print(fib(10))
old = fib
def fib(n):
    return -1
print(old(10), old(1))
def caller(x):
    return x * 2
print(caller(21))
