def evens(n):
    i = 0
    while i < n:
        if i % 2 == 0:
            yield i
        i += 1
print({x: x * x for x in evens(7)}, sorted(set(evens(9)), reverse=True))
print(any(x > 4 for x in evens(10)), all(x % 2 == 0 for x in evens(10)))
