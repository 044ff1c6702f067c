total = 0
log = []
def accumulate(n):
    global total
    for i in range(n):
        total += i
        if i % 2:
            log.append(i)
    return total
print(accumulate(5), total, log)
print(accumulate(3), total, log)
def make_new():
    global fresh
    for k in range(3):
        fresh = k * 10
make_new()
print(fresh)
def reset():
    global total, log
    total = -1
    log = ['reset']
reset()
print(total, log)
def count_while():
    global total
    while total < 5:
        total += 2
    return total
print(count_while(), total)
