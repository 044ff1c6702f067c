def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a

print(fib(90), fib(100), fib(300))
print([fib(n) % 1000 for n in range(90, 100)])
print(fib(1000) // fib(999), fib(1000) / fib(999))
