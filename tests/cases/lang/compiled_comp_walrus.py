def first_big(xs):
    hits = [y for x in xs if (y := x * x) > 10]
    return hits, y
print(first_big([1, 2, 3, 4, 5]))
def running(xs):
    total = 0
    sums = [total := total + x for x in xs]
    return sums, total
print(running([1, 2, 3]))
def last_seen(xs):
    any(((last := x) > 2) for x in xs)
    return last
print(last_seen([1, 3, 5]))
vals = [w for v in range(6) if (w := v % 4) > 1]
print(vals, w)
def count_calls():
    n = 0
    def tick():
        nonlocal n
        n += 1
        return n
    r = [z for _ in range(3) if (z := tick()) != 2]
    return r, z, n
print(count_calls())
