def grow():
    xs = [1, 2, 3]
    for x in xs:
        if x < 5:
            xs.append(x + 3)
    return xs
print(grow())
def remove_skips():
    xs = [1, 2, 2, 3, 4]
    for x in xs:
        if x == 2:
            xs.remove(x)
    return xs
print(remove_skips())
def clear_midway():
    xs = [1, 2, 3, 4]
    seen = []
    for x in xs:
        seen.append(x)
        if x == 2:
            del xs[:]
    return seen, xs
print(clear_midway())
def rebind_while_iterating():
    xs = [1, 2, 3]
    out = []
    for x in xs:
        out.append(x)
        xs = [9]
    return out, xs
print(rebind_while_iterating())
def comp_over_growing():
    xs = [1, 2]
    return [xs.append(0) or x for x in xs[:]], xs
print(comp_over_growing())
def pop_front():
    xs = [1, 2, 3, 4, 5]
    seen = []
    for x in xs:
        seen.append(x)
        xs.pop(0)
    return seen, xs
print(pop_front())
def insert_front():
    xs = [1, 2, 3]
    seen = []
    for x in xs:
        seen.append(x)
        if len(xs) < 6:
            xs.insert(0, 0)
    return seen, xs
print(insert_front())
def index_error_in_loop():
    xs = [1, 2, 3]
    for i in range(len(xs)):
        xs.pop()
        xs[i] = 0
index_error_in_loop()
