total = 0
def add(n):
    global total
    total += n
    return total
add(5); add(7)
print(total)
def reader():
    return total * 2
print(reader())
def shadow():
    total = 'local'
    return total
print(shadow(), total)
