def collect(*args):
    return [i for i in range(*args)], list(range(*args))
print(collect(5, 0, -2))
print(collect(0, 5, -1))
print(collect(3, 3))
print(collect(0, 10, 1000))
print(collect(-3, 3, 4))
def loop(*args):
    out = []
    for i in range(*args):
        out.append(i)
    else:
        out.append('done')
    return out
print(loop(10, -10, -7))
print(loop(2 ** 63 - 3, 2 ** 63 - 1))
print(loop(2 ** 63 - 3, 2 ** 63 - 1, 5))
print(loop(-2 ** 63 + 2, -2 ** 63, -1))
print(loop(-2 ** 63 + 3, -2 ** 63, -2))
print(loop(0, 2 ** 62, 2 ** 61))
def rebind_loop_var():
    seen = []
    for i in range(3):
        seen.append(i)
        i = 100
    return seen, i
print(rebind_loop_var())
def range_object_reused():
    r = range(1, 4)
    return sum(x for x in r), [x * x for x in r], r[-1], len(r)
print(range_object_reused())
def range_step_zero():
    for i in range(1, 2, 0):
        pass
range_step_zero()
