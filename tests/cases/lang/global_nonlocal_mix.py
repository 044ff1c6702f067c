total = 0
def add(n):
    global total
    total += n
def outer():
    x = 1
    def inner():
        nonlocal x
        x *= 10
    inner(); inner()
    return x
add(3); add(4)
print(total, outer())
