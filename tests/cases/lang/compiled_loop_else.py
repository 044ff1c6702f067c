def find(grid, target):
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if v == target:
                return r, c
        else:
            continue
    else:
        return None
print(find([[1, 2], [3, 4]], 4), find([[1]], 9))
def primes(n):
    out = []
    for k in range(2, n):
        for d in range(2, k):
            if k % d == 0:
                break
        else:
            out.append(k)
    return out
print(primes(20))
def while_else(n):
    i = 0
    while i < n:
        i += 1
        if i == 3:
            break
    else:
        return 'no break', i
    return 'break', i
print(while_else(2), while_else(5))
def nested_continue():
    out = []
    i = 0
    while i < 4:
        i += 1
        if i == 2:
            continue
        for j in range(3):
            if j == 1:
                continue
            if j > i:
                break
            out.append((i, j))
        else:
            out.append('else%d' % i)
    return out
print(nested_continue())
def return_from_inner_while():
    n = 0
    for i in range(10):
        while True:
            n += 1
            if n > 5:
                return i, n
            if n % 2 == 0:
                break
print(return_from_inner_while())
def empty_loops():
    r = []
    for x in []:
        r.append(x)
    else:
        r.append('for-else')
    while False:
        pass
    else:
        r.append('while-else')
    return r
print(empty_loops())
