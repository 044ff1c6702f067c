def two(v):
    a, b = v
    return a, b
for v in [(1, 2), 'xy', [3, 4], {5: 0, 6: 0}, range(2)]:
    print(two(v))
for v in [(1, 2, 3), (1,), 'xyz', [], 5, None]:
    try:
        two(v)
    except (ValueError, TypeError) as e:
        print(type(e).__name__, e)
def star(v):
    a, *b, c = v
    return a, b, c
print(star([1, 2]), star('abcd'))
def nested(v):
    (a, b), c = v
    return a, b, c
print(nested(((1, 2), 3)))
def gen_unpack():
    def g():
        yield 1
        yield 2
        yield 3
    a, b = g()
gen_unpack()
